/**
 * A local SolrCloud for development and tests, run in a JVM of its own (Solr 9 and its Lucene 9 never share a
 * classpath with the project's Lucene 10). That is why this module, alone among the libraries, has a {@code main}
 * ({@link dev.mmr.solrlocal.SolrLocal}): {@code dev.mmr.solr.LocalCluster} starts it as a separate process on Solr 9's
 * classpath, and {@code bin/mmr solr-local} is the command users run.
 */
package dev.mmr.solrlocal;
