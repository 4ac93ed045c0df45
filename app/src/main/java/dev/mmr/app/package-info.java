/** The {@code bin/mmr} launcher: finds the commands ({@link dev.mmr.app.MmrCommand}) and gives them one way to fail ({@link dev.mmr.app.CommandErrors}). */
package dev.mmr.app;
