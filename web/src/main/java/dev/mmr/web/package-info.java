/** The web pages for searching and for reading eval reports; static files under {@code public/}, served by search-api. */
package dev.mmr.web;
