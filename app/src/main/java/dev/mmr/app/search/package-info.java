/** The search service's {@code bin/mmr} commands: {@code serve}, {@code demo} and {@code bench-serve}, with their shared server options. */
package dev.mmr.app.search;
