/** The {@code bin/mmr} launcher and the contract by which modules contribute subcommands. */
package dev.mmr.app;
