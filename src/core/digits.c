/* The built-in synthetic digits: ten stroke outlines defined below (not a
 * font), each drawn with Cairo's software rasterizer on a 28×28 A8 surface
 * under a random affine jitter, stroke width and ink noise. Every image comes
 * from its own random stream (seed, split, index), so the set is identical on
 * every machine and independent of generation order. Not handwriting. */
#include "dataset.h"
#include "rng.h"
#include <cairo.h>
#include <math.h>
#include <string.h>

#define DIGIT_SIZE 28
#define DIGIT_VARIANTS 2
#define DIGIT_MAX_OPS 10

/* Path operations in glyph units: x in [-0.3, 0.3], y in [-0.5, 0.5], y down.
 * OP_ELLIPSE takes (cx, cy, rx, ry) and is a closed sub-path of its own. */
typedef enum { OP_END, OP_MOVE, OP_LINE, OP_CURVE, OP_ELLIPSE } GlyphOpKind;

typedef struct {
  GlyphOpKind op;
  float p[6];
} GlyphOp;

#define M(x, y) { OP_MOVE, { x, y } }
#define L(x, y) { OP_LINE, { x, y } }
#define C(a, b, c, d, e, f) { OP_CURVE, { a, b, c, d, e, f } }
#define E(cx, cy, rx, ry) { OP_ELLIPSE, { cx, cy, rx, ry } }

/* (10 digits, 2 variants, ops); a variant that starts with OP_END repeats
 * variant 0. */
static const GlyphOp glyphs[10][DIGIT_VARIANTS][DIGIT_MAX_OPS] = {
  { /* 0 */
    { E (0.0f, 0.0f, 0.26f, 0.47f) },
    { E (0.0f, 0.0f, 0.22f, 0.47f) },
  },
  { /* 1: with and without the flag */
    { M (-0.15f, -0.28f), L (0.04f, -0.48f), L (0.02f, 0.48f) },
    { M (0.03f, -0.48f), L (-0.01f, 0.48f) },
  },
  { /* 2 */
    { M (-0.24f, -0.26f), C (-0.20f, -0.56f, 0.30f, -0.54f, 0.25f, -0.20f),
      C (0.21f, 0.02f, -0.08f, 0.22f, -0.26f, 0.47f), L (0.28f, 0.46f) },
    { M (-0.24f, -0.28f), C (-0.16f, -0.56f, 0.30f, -0.52f, 0.24f, -0.18f),
      C (0.18f, 0.08f, -0.14f, 0.30f, -0.25f, 0.46f),
      C (-0.10f, 0.38f, 0.10f, 0.40f, 0.28f, 0.47f) },
  },
  { /* 3 */
    { M (-0.23f, -0.36f), C (-0.08f, -0.56f, 0.30f, -0.50f, 0.22f, -0.22f),
      C (0.17f, -0.06f, 0.04f, -0.03f, -0.06f, -0.03f),
      C (0.16f, -0.03f, 0.30f, 0.08f, 0.27f, 0.24f),
      C (0.23f, 0.52f, -0.14f, 0.56f, -0.27f, 0.34f) },
    { M (-0.24f, -0.46f), L (0.24f, -0.46f), L (-0.04f, -0.08f),
      C (0.18f, -0.10f, 0.30f, 0.06f, 0.27f, 0.24f),
      C (0.23f, 0.52f, -0.14f, 0.56f, -0.27f, 0.34f) },
  },
  { /* 4: closed and open top */
    { M (0.12f, 0.48f), L (0.12f, -0.48f), L (-0.28f, 0.16f), L (0.30f, 0.16f) },
    { M (-0.18f, -0.46f), L (-0.25f, 0.10f), L (0.28f, 0.10f),
      M (0.15f, -0.34f), L (0.13f, 0.48f) },
  },
  { /* 5 */
    { M (0.25f, -0.46f), L (-0.16f, -0.46f), L (-0.21f, -0.06f),
      C (-0.04f, -0.16f, 0.27f, -0.12f, 0.27f, 0.17f),
      C (0.27f, 0.50f, -0.10f, 0.56f, -0.27f, 0.36f) },
  },
  { /* 6 */
    { M (0.20f, -0.47f), C (-0.10f, -0.34f, -0.26f, -0.05f, -0.25f, 0.20f),
      C (-0.24f, 0.42f, -0.10f, 0.48f, 0.01f, 0.48f),
      C (0.17f, 0.48f, 0.27f, 0.36f, 0.26f, 0.19f),
      C (0.25f, 0.02f, 0.11f, -0.06f, 0.00f, -0.06f),
      C (-0.12f, -0.06f, -0.22f, 0.04f, -0.25f, 0.16f) },
  },
  { /* 7: without and with the bar */
    { M (-0.26f, -0.46f), L (0.28f, -0.46f), C (0.12f, -0.20f, 0.00f, 0.14f, -0.06f, 0.48f) },
    { M (-0.26f, -0.46f), L (0.28f, -0.46f), C (0.12f, -0.20f, 0.00f, 0.14f, -0.06f, 0.48f),
      M (-0.14f, 0.02f), L (0.20f, 0.02f) },
  },
  { /* 8 */
    { E (0.0f, -0.25f, 0.19f, 0.22f), E (0.0f, 0.24f, 0.25f, 0.24f) },
    { M (0.17f, -0.36f), C (0.10f, -0.52f, -0.22f, -0.50f, -0.20f, -0.28f),
      C (-0.18f, -0.08f, 0.26f, 0.04f, 0.25f, 0.26f),
      C (0.24f, 0.54f, -0.26f, 0.54f, -0.25f, 0.26f),
      C (-0.24f, 0.04f, 0.20f, -0.08f, 0.20f, -0.28f),
      C (0.20f, -0.36f, 0.18f, -0.38f, 0.17f, -0.36f) },
  },
  { /* 9: curved and straight stem */
    { E (0.0f, -0.22f, 0.24f, 0.25f), M (0.24f, -0.25f),
      C (0.25f, 0.05f, 0.18f, 0.30f, 0.08f, 0.48f) },
    { E (-0.01f, -0.24f, 0.23f, 0.23f), M (0.22f, -0.28f), L (0.20f, 0.48f) },
  },
};

#undef M
#undef L
#undef C
#undef E

/* Jitter of the outline's points, in glyph units. */
#define POINT_JITTER 0.025

static double
uniform (InvRng *r, double lo, double hi)
{
  return lo + (hi - lo) * inv_rng_uniform (r);
}

/* Adds the outline of one glyph variant to cr's path, each point moved by
 * a little noise. The current matrix maps glyph units to pixels. */
static void
append_glyph (cairo_t *cr, const GlyphOp *ops, InvRng *r)
{
  for (size_t i = 0; i < DIGIT_MAX_OPS && ops[i].op != OP_END; i++)
    {
      double p[6];
      for (int k = 0; k < 6; k++)
        p[k] = ops[i].p[k] + uniform (r, -POINT_JITTER, POINT_JITTER);
      switch (ops[i].op)
        {
        case OP_MOVE:
          cairo_move_to (cr, p[0], p[1]);
          break;
        case OP_LINE:
          cairo_line_to (cr, p[0], p[1]);
          break;
        case OP_CURVE:
          cairo_curve_to (cr, p[0], p[1], p[2], p[3], p[4], p[5]);
          break;
        case OP_ELLIPSE:
          cairo_save (cr);
          cairo_translate (cr, p[0], p[1]);
          cairo_scale (cr, ops[i].p[2] + 0.5 * (p[2] - ops[i].p[2]),
                       ops[i].p[3] + 0.5 * (p[3] - ops[i].p[3]));
          cairo_new_sub_path (cr);
          cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
          cairo_close_path (cr);
          cairo_restore (cr);
          break;
        case OP_END:
          break;
        }
    }
}

/* Draws digit `label` from stream r into px (28×28 bytes). surf is the
 * reusable A8 surface cr draws on. */
static void
render_digit (cairo_t *cr, cairo_surface_t *surf, unsigned label, InvRng *r, uint8_t *px)
{
  cairo_surface_flush (surf);
  uint8_t *data = cairo_image_surface_get_data (surf);
  int stride = cairo_image_surface_get_stride (surf);
  memset (data, 0, (size_t) stride * DIGIT_SIZE);
  cairo_surface_mark_dirty (surf);

  int variant = (int) inv_rng_below (r, DIGIT_VARIANTS);
  const GlyphOp *ops = glyphs[label][variant];
  if (ops[0].op == OP_END)
    ops = glyphs[label][0];

  double angle = uniform (r, -12.0, 12.0) * G_PI / 180.0;
  double size = 19.0 * uniform (r, 0.85, 1.08);
  double aspect = uniform (r, 0.85, 1.2);
  double shear = uniform (r, -0.3, 0.15);
  double tx = uniform (r, -1.5, 1.5), ty = uniform (r, -1.5, 1.5);
  double width = uniform (r, 1.5, 3.0);
  double ink = uniform (r, 0.75, 1.0);

  cairo_new_path (cr);
  cairo_identity_matrix (cr);
  cairo_translate (cr, DIGIT_SIZE / 2.0 + tx, DIGIT_SIZE / 2.0 + ty);
  cairo_rotate (cr, angle);
  cairo_matrix_t sh;
  cairo_matrix_init (&sh, 1, 0, shear, 1, 0, 0);
  cairo_transform (cr, &sh);
  cairo_scale (cr, size * aspect, size);
  append_glyph (cr, ops, r);
  /* The stroke width is in pixels, whatever the jitter. */
  cairo_identity_matrix (cr);
  cairo_set_line_width (cr, width);
  cairo_stroke (cr);
  cairo_surface_flush (surf);

  /* Ink noise: a triangular factor in [0.85, 1.15] per inked pixel (cheaper
   * than a normal draw, and bounded); the background stays exactly 0. */
  for (int y = 0; y < DIGIT_SIZE; y++)
    for (int x = 0; x < DIGIT_SIZE; x++)
      {
        uint8_t a = data[y * stride + x];
        uint8_t out = 0;
        if (a)
          {
            double noise = inv_rng_uniform (r) + inv_rng_uniform (r) - 1.0;
            double v = a * ink * (1.0 + 0.15 * noise) + 0.5;
            out = v >= 255.0 ? 255 : (uint8_t) v;
          }
        px[y * DIGIT_SIZE + x] = out;
      }
}

/* Split a (1 train, 2 test): balanced labels in a seeded order, then one
 * image per index from stream (seed, a, index). */
static gboolean
make_split (InvSplit *s, uint64_t seed, uint64_t a, size_t n, GError **error)
{
  s->n = n;
  s->labels = g_malloc (n ? n : 1);
  s->images = g_malloc (n ? n * DIGIT_SIZE * DIGIT_SIZE : 1);
  size_t *order = g_new (size_t, n ? n : 1);
  for (size_t i = 0; i < n; i++)
    order[i] = i % 10;
  InvRng r;
  inv_rng_init_stream (&r, seed, a + 2, 0);
  inv_rng_shuffle (&r, order, n);
  for (size_t i = 0; i < n; i++)
    s->labels[i] = (uint8_t) order[i];
  g_free (order);

  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_A8, DIGIT_SIZE, DIGIT_SIZE);
  cairo_t *cr = cairo_create (surf);
  gboolean ok = cairo_status (cr) == CAIRO_STATUS_SUCCESS;
  if (ok)
    {
      cairo_set_antialias (cr, CAIRO_ANTIALIAS_GRAY);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_source_rgba (cr, 0, 0, 0, 1);
      for (size_t i = 0; i < n; i++)
        {
          inv_rng_init_stream (&r, seed, a, i);
          render_digit (cr, surf, s->labels[i], &r, s->images + i * DIGIT_SIZE * DIGIT_SIZE);
        }
      ok = cairo_status (cr) == CAIRO_STATUS_SUCCESS;
    }
  if (!ok)
    g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_IO,
                 "cannot draw the built-in digits: %s",
                 cairo_status_to_string (cairo_status (cr)));
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
  return ok;
}

InvDataset *
inv_dataset_digits (uint64_t seed, size_t n_train, size_t n_test, GError **error)
{
  const size_t max_n = INV_IDX_MAX_BYTES / (DIGIT_SIZE * DIGIT_SIZE);
  if (n_train == 0 || n_test == 0 || n_train > max_n || n_test > max_n)
    {
      g_set_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS,
                   "built-in digits: split sizes must be 1 to %zu, got %zu and %zu",
                   max_n, n_train, n_test);
      return NULL;
    }
  g_autoptr (InvDataset) ds = g_new0 (InvDataset, 1);
  ds->name = seed == INV_DIGITS_DEFAULT_SEED ? g_strdup ("digits")
                                             : g_strdup_printf ("digits:%" G_GUINT64_FORMAT, (guint64) seed);
  ds->title = g_strdup ("Built-in digits");
  ds->h = ds->w = DIGIT_SIZE;
  ds->n_classes = 10;
  ds->class_names = g_new0 (char *, 11);
  for (int k = 0; k < 10; k++)
    ds->class_names[k] = g_strdup_printf ("%d", k);
  if (!make_split (&ds->train, seed, 1, n_train, error)
      || !make_split (&ds->test, seed, 2, n_test, error))
    return NULL;

  uint64_t hist[256] = { 0 };
  size_t n = n_train * DIGIT_SIZE * DIGIT_SIZE;
  for (size_t i = 0; i < n; i++)
    hist[ds->train.images[i]]++;
  double sum = 0, sum2 = 0;
  for (int v = 0; v < 256; v++)
    {
      sum += (double) hist[v] * (v / 255.0);
      sum2 += (double) hist[v] * (v / 255.0) * (v / 255.0);
    }
  ds->mean = sum / (double) n;
  ds->std = sqrt (MAX (sum2 / (double) n - ds->mean * ds->mean, 0.0));
  return g_steal_pointer (&ds);
}
