/** The HTTP search service: query images encoded by a chosen nested submodel, searched against the full-width index. */
package dev.mmr.search;
