/** The indexer's {@code bin/mmr} commands: {@code index}, {@code add}, {@code delete}, {@code info}, {@code export}, {@code bench-index}. */
package dev.mmr.app.indexer;
