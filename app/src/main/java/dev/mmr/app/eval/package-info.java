/** The {@code bin/mmr eval} command: runs the adaptive-retrieval evaluation and writes its report. */
package dev.mmr.app.eval;
