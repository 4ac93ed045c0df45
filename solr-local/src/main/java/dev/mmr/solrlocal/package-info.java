/**
 * A local SolrCloud for development and tests, run in a JVM of its own (Solr 9 and its Lucene 9 never share a
 * classpath with the project's Lucene 10).
 */
package dev.mmr.solrlocal;
