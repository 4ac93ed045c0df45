/** Reproduces the adaptive-retrieval protocol: full-width database, queries by each submodel, reports with plots. */
package dev.mmr.eval;
