/** The SolrCloud {@code bin/mmr} command: {@code solr-local}, a local cluster for development (the store options live with the indexer commands). */
package dev.mmr.app.solr;
