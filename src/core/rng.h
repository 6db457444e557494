/* Seeded pseudo-random numbers that are identical on every machine:
 * xoshiro256** seeded through splitmix64, with independent streams keyed by
 * (seed, stream...). Not cryptographic; never rand(). */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
  uint64_t s[4];
} InvRng;

void inv_rng_init (InvRng *r, uint64_t seed);
/* Independent stream for (seed, a, b): e.g. (seed, shift position, image). */
void inv_rng_init_stream (InvRng *r, uint64_t seed, uint64_t a, uint64_t b);
uint64_t inv_rng_next (InvRng *r);
/* Uniform in [0, 1) with 53 random bits. */
double inv_rng_uniform (InvRng *r);
/* Standard normal (Box-Muller, no cached second value so streams stay simple). */
double inv_rng_normal (InvRng *r);
/* Uniform integer in [0, n), unbiased; n > 0. */
uint64_t inv_rng_below (InvRng *r, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n). */
void inv_rng_shuffle (InvRng *r, size_t *idx, size_t n);
