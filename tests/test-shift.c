/* Distribution shifts: identity at severity 0, the design's formulas checked
 * against values computed here by hand or from the documented random
 * streams, reproducibility and stream separation, and the strict parser on
 * good, bad and random input. Images are H×W floats in [0,1]. */
#include "shift.h"
#include "rng.h"
#include <math.h>
#include <string.h>

#define H 28
#define W 28
#define NPX (H * W)

static void
random_image (float *x, size_t n, uint64_t seed, float lo, float hi)
{
  InvRng r;
  inv_rng_init (&r, seed);
  for (size_t i = 0; i < n; i++)
    x[i] = lo + (hi - lo) * (float) inv_rng_uniform (&r);
}

/* A small "other" data set for mix: n images of mh×mw random bytes. */
typedef struct {
  InvSplit split;
  size_t h, w;
} MixSource;

static void
mix_source_init (MixSource *m, size_t n, size_t h, size_t w, uint64_t seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  m->h = h;
  m->w = w;
  m->split.n = n;
  m->split.images = g_new (uint8_t, n * h * w);
  m->split.labels = g_new0 (uint8_t, n);
  for (size_t i = 0; i < n * h * w; i++)
    m->split.images[i] = (uint8_t) inv_rng_below (&r, 256);
}

static void
mix_source_clear (MixSource *m)
{
  g_free (m->split.images);
  g_free (m->split.labels);
}

static void
list_one (InvShiftList *list, uint64_t seed, InvShiftKind kind, double s,
          const MixSource *mix)
{
  g_autoptr (GError) error = NULL;
  inv_shift_list_init (list, seed);
  g_assert_true (inv_shift_list_add (list, kind, s, &error));
  g_assert_no_error (error);
  if (mix)
    inv_shift_list_set_mix_source (list, &mix->split, mix->h, mix->w);
}

static void
apply_ok (const InvShiftList *list, size_t index, float *out, const float *in,
          size_t h, size_t w)
{
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_shift_apply (list, index, out, in, h, w, &error));
  g_assert_no_error (error);
}

static void
test_kind_names (void)
{
  const char *names[] = { "noise", "uniform", "blur", "contrast", "invert", "occlude", "mix" };
  g_assert_cmpuint (G_N_ELEMENTS (names), ==, INV_SHIFT_N_KINDS);
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    {
      InvShiftKind kind;
      g_assert_cmpstr (inv_shift_kind_name ((InvShiftKind) k), ==, names[k]);
      g_assert_true (inv_shift_kind_from_name (names[k], &kind));
      g_assert_cmpint (kind, ==, k);
    }
  InvShiftKind kind;
  g_assert_false (inv_shift_kind_from_name ("nois", &kind));
  g_assert_false (inv_shift_kind_from_name ("noisee", &kind));
  g_assert_false (inv_shift_kind_from_name ("", &kind));
  g_assert_false (inv_shift_kind_from_name (NULL, &kind));
  g_assert_null (inv_shift_kind_name (INV_SHIFT_N_KINDS));
}

static void
test_identity_at_zero (void)
{
  MixSource mix;
  mix_source_init (&mix, 5, 14, 14, 3);
  float in[NPX], out[NPX];
  random_image (in, NPX, 1, 0.0f, 1.0f);
  in[0] = 0.0f; /* the edges of the range too */
  in[1] = 1.0f;
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    {
      InvShiftList list;
      list_one (&list, 42, (InvShiftKind) k, 0.0, &mix);
      memset (out, 0xff, sizeof out);
      apply_ok (&list, 7, out, in, H, W);
      g_assert_cmpmem (out, sizeof out, in, sizeof in);
      g_assert_true (inv_shift_list_is_identity (&list));
    }
  /* mix at 0 needs no other data set */
  InvShiftList list;
  list_one (&list, 42, INV_SHIFT_MIX, 0.0, NULL);
  apply_ok (&list, 0, out, in, H, W);
  g_assert_cmpmem (out, sizeof out, in, sizeof in);
  /* an empty list and a list of zeros */
  g_autoptr (GError) error = NULL;
  inv_shift_list_init (&list, 1);
  apply_ok (&list, 0, out, in, H, W);
  g_assert_cmpmem (out, sizeof out, in, sizeof in);
  g_assert_true (inv_shift_list_parse (&list, "noise=0,blur=0,occlude=0,invert=0", &error));
  g_assert_no_error (error);
  apply_ok (&list, 3, out, in, H, W);
  g_assert_cmpmem (out, sizeof out, in, sizeof in);
  mix_source_clear (&mix);
}

static void
test_changes (void)
{
  MixSource mix;
  mix_source_init (&mix, 5, 14, 14, 3);
  float in[NPX], out[NPX];
  /* strictly inside (0, 1) so occlusion and clipping both show */
  random_image (in, NPX, 2, 0.1f, 0.9f);
  const double sev[] = { 0.5, 1.0 };
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    for (size_t t = 0; t < G_N_ELEMENTS (sev); t++)
      {
        InvShiftList list;
        list_one (&list, 42, (InvShiftKind) k, sev[t], &mix);
        g_assert_false (inv_shift_list_is_identity (&list));
        apply_ok (&list, 0, out, in, H, W);
        size_t changed = 0;
        for (size_t p = 0; p < NPX; p++)
          {
            g_assert_true (isfinite (out[p]));
            g_assert_cmpfloat (out[p], >=, 0.0f);
            g_assert_cmpfloat (out[p], <=, 1.0f);
            changed += out[p] != in[p];
          }
        if (g_test_verbose ())
          g_test_message ("%s=%g changed %zu pixels", inv_shift_kind_name (k), sev[t],
                          changed);
        g_assert_cmpuint (changed, >, NPX / 10);
      }
  mix_source_clear (&mix);
}

static void
test_reproducible (void)
{
  MixSource mix;
  mix_source_init (&mix, 50, H, W, 3);
  float in[NPX], a[NPX], b[NPX];
  random_image (in, NPX, 4, 0.2f, 0.8f);
  const InvShiftKind kinds[] = { INV_SHIFT_NOISE, INV_SHIFT_UNIFORM, INV_SHIFT_OCCLUDE,
                                 INV_SHIFT_MIX };
  for (size_t t = 0; t < G_N_ELEMENTS (kinds); t++)
    {
      InvShiftList list, other_seed;
      list_one (&list, 42, kinds[t], 0.5, &mix);
      list_one (&other_seed, 43, kinds[t], 0.5, &mix);
      apply_ok (&list, 11, a, in, H, W);
      apply_ok (&list, 11, b, in, H, W);
      g_assert_cmpmem (a, sizeof a, b, sizeof b);
      /* some other index, and the other seed, draw differently */
      gboolean differs = FALSE;
      for (size_t idx = 12; idx < 20 && !differs; idx++)
        {
          apply_ok (&list, idx, b, in, H, W);
          differs = memcmp (a, b, sizeof a) != 0;
        }
      g_assert_true (differs);
      differs = FALSE;
      for (size_t idx = 11; idx < 20 && !differs; idx++)
        {
          apply_ok (&list, idx, a, in, H, W);
          apply_ok (&other_seed, idx, b, in, H, W);
          differs = memcmp (a, b, sizeof a) != 0;
        }
      g_assert_true (differs);
    }
  /* noise: neighbouring indices never share a single draw */
  InvShiftList list;
  list_one (&list, 42, INV_SHIFT_NOISE, 0.05, NULL);
  apply_ok (&list, 0, a, in, H, W);
  apply_ok (&list, 1, b, in, H, W);
  for (size_t p = 0; p < NPX; p++)
    g_assert_cmpfloat (a[p], !=, b[p]);
  mix_source_clear (&mix);
}

static float
clip01 (double v)
{
  return (float) (v < 0 ? 0 : v > 1 ? 1 : v);
}

/* Noise per the design: stream (seed, position, index), one normal a pixel. */
static void
reference_noise (float *x, size_t n, double s, uint64_t seed, size_t pos, size_t index)
{
  InvRng r;
  inv_rng_init_stream (&r, seed, pos, index);
  for (size_t p = 0; p < n; p++)
    x[p] = clip01 (x[p] + s * inv_rng_normal (&r));
}

static void
test_positions (void)
{
  g_autoptr (GError) error = NULL;
  float in[NPX], out[NPX], ref[NPX], first[NPX], second[NPX];
  random_image (in, NPX, 5, 0.3f, 0.7f);
  const uint64_t seed = 99;
  const size_t index = 17;

  /* noise then noise: each from its own stream, composed in order */
  InvShiftList list;
  inv_shift_list_init (&list, seed);
  g_assert_true (inv_shift_list_parse (&list, "noise=0.2,noise=0.1", &error));
  g_assert_no_error (error);
  apply_ok (&list, index, out, in, H, W);
  memcpy (ref, in, sizeof ref);
  reference_noise (ref, NPX, 0.2, seed, 0, index);
  reference_noise (ref, NPX, 0.1, seed, 1, index);
  g_assert_cmpmem (out, sizeof out, ref, sizeof ref);

  /* the noise of position 1 is not that of position 0 */
  g_assert_true (inv_shift_list_parse (&list, "noise=0.2", &error));
  apply_ok (&list, index, first, in, H, W);
  g_assert_true (inv_shift_list_parse (&list, "noise=0,noise=0.2", &error));
  apply_ok (&list, index, second, in, H, W);
  size_t same = 0;
  for (size_t p = 0; p < NPX; p++)
    same += first[p] == second[p];
  g_assert_cmpuint (same, <, 5);
  /* and position 1 is exactly stream (seed, 1, index) */
  memcpy (ref, in, sizeof ref);
  reference_noise (ref, NPX, 0.2, seed, 1, index);
  g_assert_cmpmem (second, sizeof second, ref, sizeof ref);

  /* uniform against its stream too */
  g_assert_true (inv_shift_list_parse (&list, "blur=0,uniform=0.3", &error));
  apply_ok (&list, index, out, in, H, W);
  InvRng r;
  inv_rng_init_stream (&r, seed, 1, index);
  for (size_t p = 0; p < NPX; p++)
    g_assert_cmpfloat (out[p], ==, (float) ((1.0 - 0.3) * in[p] + 0.3 * inv_rng_uniform (&r)));
}

static void
test_contrast_invert (void)
{
  const float in[4] = { 0.0f, 0.25f, 0.5f, 1.0f };
  float out[4];
  /* contrast s = 0.5: 0.5 + 0.55 (x - 0.5) */
  const float contrast[4] = { 0.225f, 0.3625f, 0.5f, 0.775f };
  /* contrast s = 1: 0.5 + 0.1 (x - 0.5), never constant */
  const float contrast1[4] = { 0.45f, 0.475f, 0.5f, 0.55f };
  /* invert s = 0.25: 0.75 x + 0.25 (1 - x) = 0.25 + 0.5 x */
  const float invert[4] = { 0.25f, 0.375f, 0.5f, 0.75f };
  const float invert1[4] = { 1.0f, 0.75f, 0.5f, 0.0f };
  const struct { InvShiftKind kind; double s; const float *want; } cases[] = {
    { INV_SHIFT_CONTRAST, 0.5, contrast },
    { INV_SHIFT_CONTRAST, 1.0, contrast1 },
    { INV_SHIFT_INVERT, 0.25, invert },
    { INV_SHIFT_INVERT, 1.0, invert1 },
  };
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      InvShiftList list;
      list_one (&list, 0, cases[t].kind, cases[t].s, NULL);
      apply_ok (&list, 0, out, in, 2, 2);
      for (int p = 0; p < 4; p++)
        g_assert_cmpfloat_with_epsilon (out[p], cases[t].want[p], 1e-6);
    }
}

static void
test_blur (void)
{
  enum { N = 25, C = 12 };
  float in[N * N], out[N * N];
  const double sev[] = { 0.1, 0.5, 1.0 / 3.0, 1.0 };
  for (size_t t = 0; t < G_N_ELEMENTS (sev); t++)
    {
      double sigma = 3.0 * sev[t];
      int r = (int) ceil (3.0 * sigma);
      double z = 0.0; /* normalizer of the 1-D kernel */
      for (int i = -r; i <= r; i++)
        z += exp (-(double) (i * i) / (2.0 * sigma * sigma));

      InvShiftList list;
      list_one (&list, 0, INV_SHIFT_BLUR, sev[t], NULL);
      memset (in, 0, sizeof in);
      in[C * N + C] = 1.0f;
      apply_ok (&list, 0, out, in, N, N);
      double sum = 0.0;
      for (int p = 0; p < N * N; p++)
        sum += out[p];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
      /* symmetric under both mirrors and the transpose */
      for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++)
          {
            float v = out[y * N + x];
            g_assert_cmpfloat_with_epsilon (v, out[y * N + (N - 1 - x)], 1e-7);
            g_assert_cmpfloat_with_epsilon (v, out[(N - 1 - y) * N + x], 1e-7);
            g_assert_cmpfloat_with_epsilon (v, out[x * N + y], 1e-7);
          }
      /* centre = (1/z)^2, a tap at distance d along a row e^{-d²/2σ²}/z², and
       * nothing beyond the radius */
      g_assert_cmpfloat_with_epsilon (out[C * N + C], 1.0 / (z * z), 1e-6);
      g_assert_cmpfloat_with_epsilon (out[C * N + C + r],
                                      exp (-(double) (r * r) / (2 * sigma * sigma)) / (z * z),
                                      1e-7);
      g_assert_cmpfloat (out[C * N + C + r], >, 0.0f);
      g_assert_cmpfloat (out[C * N + C + r + 1], ==, 0.0f);
      g_assert_cmpfloat (out[(C - r - 1) * N + C], ==, 0.0f);

      /* edges replicated: a constant image stays constant, and a corner
       * delta keeps the mass of all taps that land outside: (Σ_{i≤0} k_i)² */
      for (int p = 0; p < N * N; p++)
        in[p] = 0.625f;
      apply_ok (&list, 0, out, in, N, N);
      for (int p = 0; p < N * N; p++)
        g_assert_cmpfloat_with_epsilon (out[p], 0.625, 1e-6);
      memset (in, 0, sizeof in);
      in[0] = 1.0f;
      apply_ok (&list, 0, out, in, N, N);
      double half = 0.0;
      for (int i = -r; i <= 0; i++)
        half += exp (-(double) (i * i) / (2.0 * sigma * sigma)) / z;
      g_assert_cmpfloat_with_epsilon (out[0], half * half, 1e-6);
    }
}

static void
test_occlude (void)
{
  float in[NPX], out[NPX];
  for (size_t p = 0; p < NPX; p++)
    in[p] = 1.0f;
  const struct { double s; size_t side; } cases[] = {
    { 0.5, 14 }, { 0.3, 8 }, { 0.2, 6 }, { 0.25, 7 }, { 0.01, 0 }, { 1.0, 28 },
    { 0.98, 27 },
  };
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      InvShiftList list;
      list_one (&list, 5, INV_SHIFT_OCCLUDE, cases[t].s, NULL);
      GHashTable *corners = g_hash_table_new (NULL, NULL);
      for (size_t idx = 0; idx < 20; idx++)
        {
          apply_ok (&list, idx, out, in, H, W);
          size_t zeros = 0, y0 = H, y1 = 0, x0 = W, x1 = 0;
          for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
              if (out[y * W + x] == 0.0f)
                {
                  zeros++;
                  y0 = MIN (y0, y), y1 = MAX (y1, y);
                  x0 = MIN (x0, x), x1 = MAX (x1, x);
                }
              else
                g_assert_cmpfloat (out[y * W + x], ==, 1.0f);
          g_assert_cmpuint (zeros, ==, cases[t].side * cases[t].side);
          if (zeros)
            {
              /* one solid square inside the image */
              g_assert_cmpuint (y1 - y0 + 1, ==, cases[t].side);
              g_assert_cmpuint (x1 - x0 + 1, ==, cases[t].side);
              g_hash_table_add (corners, GSIZE_TO_POINTER (y0 * W + x0 + 1));
            }
        }
      /* the position is drawn, not fixed (unless the square fills the image) */
      if (cases[t].side > 0 && cases[t].side < H)
        g_assert_cmpuint (g_hash_table_size (corners), >, 1);
      g_hash_table_unref (corners);
    }
}

static void
test_noise_clipped (void)
{
  float in[NPX], out[NPX];
  for (size_t p = 0; p < NPX; p++)
    in[p] = (p % 2) ? 1.0f : 0.0f;
  InvShiftList list;
  list_one (&list, 8, INV_SHIFT_NOISE, 1.0, NULL);
  apply_ok (&list, 0, out, in, H, W);
  size_t at0 = 0, at1 = 0, inside = 0;
  for (size_t p = 0; p < NPX; p++)
    {
      g_assert_cmpfloat (out[p], >=, 0.0f);
      g_assert_cmpfloat (out[p], <=, 1.0f);
      at0 += out[p] == 0.0f;
      at1 += out[p] == 1.0f;
      inside += out[p] > 0.0f && out[p] < 1.0f;
    }
  /* about half of each colour is pushed out of range and clipped */
  g_assert_cmpuint (at0, >, NPX / 8);
  g_assert_cmpuint (at1, >, NPX / 8);
  g_assert_cmpuint (inside, >, NPX / 8);
}

static void
test_mix (void)
{
  g_autoptr (GError) error = NULL;
  float in[NPX], out[NPX];
  random_image (in, NPX, 6, 0.0f, 1.0f);
  /* other images at half the size: nearest neighbour makes 2×2 blocks */
  MixSource mix;
  mix_source_init (&mix, 7, H / 2, W / 2, 9);
  InvShiftList list;
  list_one (&list, 1, INV_SHIFT_MIX, 1.0, &mix);
  GHashTable *picked = g_hash_table_new (NULL, NULL);
  for (size_t idx = 0; idx < 30; idx++)
    {
      apply_ok (&list, idx, out, in, H, W);
      size_t found = mix.split.n;
      for (size_t i = 0; i < mix.split.n && found == mix.split.n; i++)
        {
          const uint8_t *o = mix.split.images + i * mix.h * mix.w;
          gboolean eq = TRUE;
          for (size_t y = 0; y < H && eq; y++)
            for (size_t x = 0; x < W && eq; x++)
              eq = out[y * W + x] == o[(y / 2) * mix.w + x / 2] / 255.0f;
          if (eq)
            found = i;
        }
      g_assert_cmpuint (found, <, mix.split.n);
      g_hash_table_add (picked, GSIZE_TO_POINTER (found + 1));
    }
  g_assert_cmpuint (g_hash_table_size (picked), >, 1);
  g_hash_table_unref (picked);

  /* s = 0.25 blends with that same image */
  float full[NPX];
  apply_ok (&list, 3, full, in, H, W);
  list.items[0].severity = 0.25;
  apply_ok (&list, 3, out, in, H, W);
  for (size_t p = 0; p < NPX; p++)
    g_assert_cmpfloat_with_epsilon (out[p], 0.75 * in[p] + 0.25 * full[p], 1e-6);

  /* same size: the pixels themselves */
  MixSource same;
  mix_source_init (&same, 1, H, W, 10);
  list_one (&list, 1, INV_SHIFT_MIX, 1.0, &same);
  apply_ok (&list, 0, out, in, H, W);
  for (size_t p = 0; p < NPX; p++)
    g_assert_cmpfloat (out[p], ==, same.split.images[p] / 255.0f);

  /* larger other images are subsampled at the pixel centres */
  MixSource big;
  mix_source_init (&big, 1, 2 * H, 3 * W, 11);
  list_one (&list, 1, INV_SHIFT_MIX, 1.0, &big);
  apply_ok (&list, 0, out, in, H, W);
  for (size_t y = 0; y < H; y++)
    for (size_t x = 0; x < W; x++)
      g_assert_cmpfloat (out[y * W + x], ==,
                         big.split.images[(2 * y + 1) * big.w + 3 * x + 1] / 255.0f);

  /* no other data set */
  list_one (&list, 1, INV_SHIFT_MIX, 0.5, NULL);
  g_assert_false (inv_shift_list_validate (&list, H, W, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SOURCE);
  g_clear_error (&error);
  g_assert_false (inv_shift_apply (&list, 0, out, in, H, W, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SOURCE);
  g_clear_error (&error);
  InvSplit empty = { 0 };
  inv_shift_list_set_mix_source (&list, &empty, H, W);
  g_assert_false (inv_shift_list_validate (&list, H, W, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SOURCE);
  g_clear_error (&error);
  inv_shift_list_set_mix_source (&list, &same.split, 0, W);
  g_assert_false (inv_shift_list_validate (&list, H, W, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SIZE);

  mix_source_clear (&mix);
  mix_source_clear (&same);
  mix_source_clear (&big);
}

static void
test_parse_good (void)
{
  const struct {
    const char *text;
    size_t n;
    InvShiftKind kinds[INV_SHIFT_MAX];
    double sev[INV_SHIFT_MAX];
    const char *canonical;
  } cases[] = {
    { "noise=0.5", 1, { INV_SHIFT_NOISE }, { 0.5 }, "noise=0.5" },
    { "noise=0.5,blur=0.2", 2, { INV_SHIFT_NOISE, INV_SHIFT_BLUR }, { 0.5, 0.2 },
      "noise=0.5,blur=0.2" },
    { "mix=1", 1, { INV_SHIFT_MIX }, { 1.0 }, "mix=1" },
    { "occlude=0", 1, { INV_SHIFT_OCCLUDE }, { 0.0 }, "occlude=0" },
    { "contrast=.25", 1, { INV_SHIFT_CONTRAST }, { 0.25 }, "contrast=0.25" },
    { "invert=1e-1", 1, { INV_SHIFT_INVERT }, { 0.1 }, "invert=0.1" },
    { "uniform=1.", 1, { INV_SHIFT_UNIFORM }, { 1.0 }, "uniform=1" },
    { "uniform=+0.5E0", 1, { INV_SHIFT_UNIFORM }, { 0.5 }, "uniform=0.5" },
    { "noise=-0", 1, { INV_SHIFT_NOISE }, { 0.0 }, "noise=0" },
    { "noise=0.5,noise=0.25", 2, { INV_SHIFT_NOISE, INV_SHIFT_NOISE }, { 0.5, 0.25 },
      "noise=0.5,noise=0.25" },
    { "none", 0, { 0 }, { 0 }, "none" },
    { "noise=0.1,uniform=0.2,blur=0.3,contrast=0.4,invert=0.5,occlude=0.6,mix=0.7,noise=1",
      8,
      { INV_SHIFT_NOISE, INV_SHIFT_UNIFORM, INV_SHIFT_BLUR, INV_SHIFT_CONTRAST,
        INV_SHIFT_INVERT, INV_SHIFT_OCCLUDE, INV_SHIFT_MIX, INV_SHIFT_NOISE },
      { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 1.0 },
      "noise=0.1,uniform=0.2,blur=0.3,contrast=0.4,invert=0.5,occlude=0.6,mix=0.7,noise=1" },
  };
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr (GError) error = NULL;
      InvShiftList list;
      inv_shift_list_init (&list, 77);
      g_assert_true (inv_shift_list_parse (&list, cases[t].text, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (list.n, ==, cases[t].n);
      g_assert_cmpuint (list.seed, ==, 77);
      for (size_t i = 0; i < list.n; i++)
        {
          g_assert_cmpint (list.items[i].kind, ==, cases[t].kinds[i]);
          g_assert_cmpfloat (list.items[i].severity, ==, cases[t].sev[i]);
          g_assert_false (signbit (list.items[i].severity));
        }
      g_autofree char *text = inv_shift_list_to_string (&list);
      g_assert_cmpstr (text, ==, cases[t].canonical);
    }

  /* to_string reads back exactly, even for severities with no short form */
  InvShiftList list, back;
  inv_shift_list_init (&list, 0);
  inv_shift_list_init (&back, 0);
  g_assert_true (inv_shift_list_add (&list, INV_SHIFT_BLUR, 1.0 / 3.0, NULL));
  g_assert_true (inv_shift_list_add (&list, INV_SHIFT_NOISE, 1e-5, NULL));
  g_assert_true (inv_shift_list_add (&list, INV_SHIFT_MIX, 0.1 + 0.2, NULL));
  g_autofree char *text = inv_shift_list_to_string (&list);
  g_assert_true (inv_shift_list_parse (&back, text, NULL));
  g_assert_cmpuint (back.n, ==, 3);
  for (size_t i = 0; i < 3; i++)
    {
      g_assert_cmpint (back.items[i].kind, ==, list.items[i].kind);
      g_assert_cmpfloat (back.items[i].severity, ==, list.items[i].severity);
    }
}

static void
test_parse_bad (void)
{
  const struct { const char *text; int code; const char *message; } cases[] = {
    { "nois=0.5", INV_SHIFT_ERROR_PARSE,
      "shift 'nois=0.5': unknown kind 'nois' (expected noise, uniform, blur, contrast, "
      "invert, occlude or mix)" },
    { "noise=0.5,blurr=0.2", INV_SHIFT_ERROR_PARSE, "shift 'blurr=0.2': unknown kind 'blurr'" },
    { "NOISE=0.5", INV_SHIFT_ERROR_PARSE, "unknown kind 'NOISE'" },
    { "=0.5", INV_SHIFT_ERROR_PARSE, "shift '=0.5': unknown kind ''" },
    { " noise=0.5", INV_SHIFT_ERROR_PARSE, "unknown kind ' noise'" },
    { "noise", INV_SHIFT_ERROR_PARSE, "shift 'noise': expected KIND=SEVERITY" },
    { "noise=0.5,blur", INV_SHIFT_ERROR_PARSE, "shift 'blur': expected KIND=SEVERITY" },
    { "noise=-0.1", INV_SHIFT_ERROR_RANGE,
      "shift 'noise=-0.1': severity '-0.1' must be a number from 0 to 1" },
    { "noise=1.5", INV_SHIFT_ERROR_RANGE, "severity '1.5' must be a number from 0 to 1" },
    { "noise=1.0000001", INV_SHIFT_ERROR_RANGE, "severity '1.0000001'" },
    { "noise=1e400", INV_SHIFT_ERROR_RANGE, "severity '1e400'" },
    { "noise=nan", INV_SHIFT_ERROR_PARSE, "shift 'noise=nan': severity 'nan' must be" },
    { "noise=NaN", INV_SHIFT_ERROR_PARSE, "severity 'NaN'" },
    { "noise=inf", INV_SHIFT_ERROR_PARSE, "severity 'inf'" },
    { "noise=-inf", INV_SHIFT_ERROR_PARSE, "severity '-inf'" },
    { "noise=0x1p-1", INV_SHIFT_ERROR_PARSE, "severity '0x1p-1'" },
    { "noise=", INV_SHIFT_ERROR_PARSE, "shift 'noise=': severity ''" },
    { "noise=.", INV_SHIFT_ERROR_PARSE, "severity '.'" },
    { "noise=1e", INV_SHIFT_ERROR_PARSE, "severity '1e'" },
    { "noise=0.5x", INV_SHIFT_ERROR_PARSE, "shift 'noise=0.5x': severity '0.5x'" },
    { "noise=0.5 ", INV_SHIFT_ERROR_PARSE, "severity '0.5 '" },
    { "noise= 0.5", INV_SHIFT_ERROR_PARSE, "severity ' 0.5'" },
    { "noise=0.5=0.5", INV_SHIFT_ERROR_PARSE, "severity '0.5=0.5'" },
    { "noise=0.5\n", INV_SHIFT_ERROR_PARSE, "severity '0.5\\n'" },
    { "noise=0.5\xff", INV_SHIFT_ERROR_PARSE, "severity '0.5\\377'" },
    { "", INV_SHIFT_ERROR_PARSE, "empty shift list" },
    { ",", INV_SHIFT_ERROR_PARSE, "shift list ',': item 1 is empty" },
    { "noise=0.5,", INV_SHIFT_ERROR_PARSE, "shift list 'noise=0.5,': item 2 is empty" },
    { ",noise=0.5", INV_SHIFT_ERROR_PARSE, "item 1 is empty" },
    { "noise=0.5,,blur=0.2", INV_SHIFT_ERROR_PARSE, "item 2 is empty" },
    { "none,noise=0.5", INV_SHIFT_ERROR_PARSE, "shift 'none': expected KIND=SEVERITY" },
    { "noise=0.1,noise=0.1,noise=0.1,noise=0.1,noise=0.1,noise=0.1,noise=0.1,noise=0.1,"
      "blur=0.1", INV_SHIFT_ERROR_FULL, "shift 'blur=0.1': too many shifts (at most 8)" },
  };
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr (GError) error = NULL;
      InvShiftList list;
      inv_shift_list_init (&list, 5);
      g_assert_true (inv_shift_list_add (&list, INV_SHIFT_BLUR, 0.75, NULL));
      g_assert_false (inv_shift_list_parse (&list, cases[t].text, &error));
      g_assert_error (error, INV_SHIFT_ERROR, cases[t].code);
      if (strstr (error->message, cases[t].message) == NULL)
        g_error ("'%s': message \"%s\" lacks \"%s\"", cases[t].text, error->message,
                 cases[t].message);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      /* the list is unchanged on failure */
      g_assert_cmpuint (list.n, ==, 1);
      g_assert_cmpint (list.items[0].kind, ==, INV_SHIFT_BLUR);
      g_assert_cmpfloat (list.items[0].severity, ==, 0.75);
    }
  g_autoptr (GError) error = NULL;
  InvShiftList list;
  inv_shift_list_init (&list, 0);
  g_assert_false (inv_shift_list_parse (&list, NULL, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE);
}

/* Random strings over the grammar's alphabet and arbitrary bytes: parse
 * either fails with a valid message or gives a list that prints and parses
 * back to itself. */
static void
test_parse_random (void)
{
  static const char *const pieces[] = {
    "noise", "blur", "mix", "occlude", "=", "=", ",", ",", "0", "1", ".", "5", "e",
    "-", "+", "nan", "inf", " ", "x", "\xc3\xa9", "\xff", "none", "0.25", "e-3",
  };
  InvRng r;
  inv_rng_init (&r, 2024);
  char buf[256];
  size_t ok = 0;
  for (int iter = 0; iter < 20000; iter++)
    {
      size_t len = 0;
      size_t n_pieces = inv_rng_below (&r, 16);
      for (size_t i = 0; i < n_pieces; i++)
        {
          if (inv_rng_below (&r, 8) == 0)
            {
              char c = (char) (1 + inv_rng_below (&r, 255));
              if (len + 1 < sizeof buf)
                buf[len++] = c;
              continue;
            }
          const char *p = pieces[inv_rng_below (&r, G_N_ELEMENTS (pieces))];
          size_t l = strlen (p);
          if (len + l < sizeof buf)
            memcpy (buf + len, p, l), len += l;
        }
      buf[len] = '\0';
      g_autoptr (GError) error = NULL;
      InvShiftList list;
      inv_shift_list_init (&list, 0);
      if (!inv_shift_list_parse (&list, buf, &error))
        {
          g_assert_nonnull (error);
          g_assert_true (g_utf8_validate (error->message, -1, NULL));
          g_assert_cmpuint (list.n, ==, 0);
          continue;
        }
      ok++;
      g_assert_cmpuint (list.n, <=, INV_SHIFT_MAX);
      for (size_t i = 0; i < list.n; i++)
        {
          g_assert_nonnull (inv_shift_kind_name (list.items[i].kind));
          g_assert_true (list.items[i].severity >= 0.0 && list.items[i].severity <= 1.0);
        }
      g_autofree char *text = inv_shift_list_to_string (&list);
      InvShiftList back;
      inv_shift_list_init (&back, 0);
      g_assert_true (inv_shift_list_parse (&back, text, NULL));
      g_assert_cmpuint (back.n, ==, list.n);
      for (size_t i = 0; i < list.n; i++)
        {
          g_assert_cmpint (back.items[i].kind, ==, list.items[i].kind);
          g_assert_cmpfloat (back.items[i].severity, ==, list.items[i].severity);
        }
    }
  /* the generator does reach valid lists */
  g_assert_cmpuint (ok, >, 20);
}

static void
test_batch_in_place (void)
{
  g_autoptr (GError) error = NULL;
  enum { B = 4 };
  float in[B * NPX], out[B * NPX], one[NPX];
  random_image (in, B * NPX, 12, 0.0f, 1.0f);
  InvShiftList list;
  inv_shift_list_init (&list, 3);
  g_assert_true (inv_shift_list_parse (&list, "blur=0.3,noise=0.2,occlude=0.4,contrast=0.5",
                                       &error));
  g_assert_true (inv_shift_apply_batch (&list, 100, out, in, B, H, W, &error));
  g_assert_no_error (error);
  for (size_t b = 0; b < B; b++)
    {
      apply_ok (&list, 100 + b, one, in + b * NPX, H, W);
      g_assert_cmpmem (one, sizeof one, out + b * NPX, sizeof one);
    }
  /* in place gives the same */
  g_assert_true (inv_shift_apply_batch (&list, 100, in, in, B, H, W, &error));
  g_assert_cmpmem (in, sizeof in, out, sizeof out);
}

static void
test_errors (void)
{
  g_autoptr (GError) error = NULL;
  InvShiftList list;
  float px[4] = { 0 };
  inv_shift_list_init (&list, 0);
  g_assert_false (inv_shift_list_add (&list, INV_SHIFT_NOISE, 1.5, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (inv_shift_list_add (&list, INV_SHIFT_NOISE, NAN, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_RANGE);
  g_clear_error (&error);
  g_assert_false (inv_shift_list_add (&list, INV_SHIFT_N_KINDS, 0.5, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_PARSE);
  g_clear_error (&error);
  g_assert_cmpuint (list.n, ==, 0);
  for (int i = 0; i < INV_SHIFT_MAX; i++)
    g_assert_true (inv_shift_list_add (&list, INV_SHIFT_INVERT, 0.5, NULL));
  g_assert_false (inv_shift_list_add (&list, INV_SHIFT_INVERT, 0.5, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_FULL);
  g_clear_error (&error);
  g_assert_false (inv_shift_apply (&list, 0, px, px, 0, 4, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SIZE);
  g_clear_error (&error);
  g_assert_false (inv_shift_list_validate (&list, SIZE_MAX, 2, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_SIZE);
  g_clear_error (&error);
  /* a hand-edited list is checked before use */
  list.items[3].severity = -1.0;
  g_assert_false (inv_shift_apply (&list, 0, px, px, 2, 2, &error));
  g_assert_error (error, INV_SHIFT_ERROR, INV_SHIFT_ERROR_RANGE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shift/kind-names", test_kind_names);
  g_test_add_func ("/shift/identity-at-zero", test_identity_at_zero);
  g_test_add_func ("/shift/changes", test_changes);
  g_test_add_func ("/shift/reproducible", test_reproducible);
  g_test_add_func ("/shift/positions", test_positions);
  g_test_add_func ("/shift/contrast-invert", test_contrast_invert);
  g_test_add_func ("/shift/blur", test_blur);
  g_test_add_func ("/shift/occlude", test_occlude);
  g_test_add_func ("/shift/noise-clipped", test_noise_clipped);
  g_test_add_func ("/shift/mix", test_mix);
  g_test_add_func ("/shift/parse-good", test_parse_good);
  g_test_add_func ("/shift/parse-bad", test_parse_bad);
  g_test_add_func ("/shift/parse-random", test_parse_random);
  g_test_add_func ("/shift/batch-in-place", test_batch_in_place);
  g_test_add_func ("/shift/errors", test_errors);
  return g_test_run ();
}
