/**
 * MatMamba-Vision in Java: reads the authors' checkpoints, preprocesses images, and computes the
 * network at any nested width (uniform levels or per-layer Mix'n'Match) through ND4J.
 */
package dev.mmr.encoder;
