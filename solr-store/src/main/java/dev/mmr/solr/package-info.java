/**
 * The image store on a SolrCloud collection: {@link dev.mmr.solr.SolrStoreProvider} serves
 * {@code --solr URL --collection NAME} through the store seam of the indexer, with SolrJ over the JDK's HTTP client.
 * {@link dev.mmr.solr.LocalCluster} starts a local SolrCloud (module {@code solr-local}) in a JVM of its own.
 */
package dev.mmr.solr;
