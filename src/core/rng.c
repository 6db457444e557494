/* xoshiro256** (Blackman & Vigna) seeded with splitmix64. */
#include "rng.h"
#include <math.h>

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t
rotl (uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
inv_rng_init (InvRng *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64 (&x);
}

void
inv_rng_init_stream (InvRng *r, uint64_t seed, uint64_t a, uint64_t b)
{
  uint64_t x = seed;
  uint64_t h = splitmix64 (&x);
  x = h ^ (a * 0xd1b54a32d192ed03ULL);
  h = splitmix64 (&x);
  x = h ^ (b * 0x8cb92ba72f3d8dd7ULL);
  inv_rng_init (r, splitmix64 (&x));
}

uint64_t
inv_rng_next (InvRng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl (s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
inv_rng_uniform (InvRng *r)
{
  return (inv_rng_next (r) >> 11) * 0x1.0p-53;
}

double
inv_rng_normal (InvRng *r)
{
  double u1 = 1.0 - inv_rng_uniform (r); /* (0, 1] so log is finite */
  double u2 = inv_rng_uniform (r);
  return sqrt (-2.0 * log (u1)) * cos (2.0 * M_PI * u2);
}

uint64_t
inv_rng_below (InvRng *r, uint64_t n)
{
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do
    x = inv_rng_next (r);
  while (x >= limit);
  return x % n;
}

void
inv_rng_shuffle (InvRng *r, size_t *idx, size_t n)
{
  for (size_t i = n; i > 1; i--)
    {
      size_t j = (size_t) inv_rng_below (r, i);
      size_t t = idx[i - 1];
      idx[i - 1] = idx[j];
      idx[j] = t;
    }
}
