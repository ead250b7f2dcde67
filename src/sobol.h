/* sobol.h — Sobol points in up to SOBOL_MAX_DIMS dimensions (Joe & Kuo's direction numbers),
 * one coordinate at a time, scrambled by a random linear matrix and a digital shift. */
#ifndef OPTSWEEP_SOBOL_H
#define OPTSWEEP_SOBOL_H

#include <stdint.h>

#define SOBOL_MAX_DIMS 128

/* Coordinate `dim` (0-based, < SOBOL_MAX_DIMS) of point i of the unscrambled sequence, as a
 * 32-bit binary fraction (point 0 is 0; dim 0 is van der Corput's sequence). */
uint32_t sobol_point(int dim, uint64_t i);
/* The same coordinate, scrambled: a lower-triangular binary matrix with a unit diagonal
 * (Matousek's linear matrix scramble) and a digital shift, drawn by Philox from (seed,
 * stream).  The scramble is invertible digit by digit, so the first 2^m points still fall
 * once into each of the 2^m equal intervals of every dimension. */
uint32_t sobol_scrambled(int dim, uint64_t i, uint64_t seed, uint64_t stream);

#endif
