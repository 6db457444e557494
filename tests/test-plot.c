/* Tests of the figure module: colour maps against published end points and
 * monotone lightness, tick choice, and pixels of rendered PNGs (lines where
 * the data says, NaN gaps, legends, log decades, heat map cells equal to the
 * colour map), file formats and errors. Not the CLI (test-cli-figures.c). */
#include "plot.h"
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cairo's toy text API loads fonts through fontconfig, whose caches live
 * until exit; these hooks keep LeakSanitizer (sanitized builds only) from
 * reporting them. Nothing else is suppressed. */
const char *__lsan_default_suppressions (void);
const char *__lsan_default_options (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}
const char *
__lsan_default_options (void)
{
  return "print_suppressions=0";
}

/* ---- helpers ---- */

typedef struct {
  char *dir;
} Tmp;

static char *
tmp_path (Tmp *t, const char *name)
{
  return g_build_filename (t->dir, name, NULL);
}

static void
tmp_setup (Tmp *t, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  t->dir = g_dir_make_tmp ("test-plot-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
tmp_teardown (Tmp *t, gconstpointer data)
{
  GDir *d = g_dir_open (t->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (t->dir, name, NULL);
      g_unlink (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (t->dir);
  g_free (t->dir);
}

/* Renders draw at width × height as a PNG through inv_plot_save and reads it
 * back (the whole path the CLI takes). */
static cairo_surface_t *
render_png (Tmp *t, const char *name, double width, double height, InvPlotDrawFunc draw,
            const void *data)
{
  g_autofree char *path = tmp_path (t, name);
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_plot_save (path, width, height, draw, data, &error));
  g_assert_no_error (error);
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (s), ==, (int) ceil (width));
  g_assert_cmpint (cairo_image_surface_get_height (s), ==, (int) ceil (height));
  return s;
}

/* rgb (3) bytes of pixel (x, y) of an opaque ARGB32 surface. */
static void
pixel (cairo_surface_t *s, int x, int y, int rgb[3])
{
  g_assert_cmpint (x, >=, 0);
  g_assert_cmpint (y, >=, 0);
  g_assert_cmpint (x, <, cairo_image_surface_get_width (s));
  g_assert_cmpint (y, <, cairo_image_surface_get_height (s));
  const uint8_t *row = cairo_image_surface_get_data (s) + (size_t) y * (size_t) cairo_image_surface_get_stride (s);
  uint32_t v;
  memcpy (&v, row + 4 * (size_t) x, 4);
  rgb[0] = (int) ((v >> 16) & 0xff);
  rgb[1] = (int) ((v >> 8) & 0xff);
  rgb[2] = (int) (v & 0xff);
}

static int
color_distance (const int a[3], const int b[3])
{
  return MAX (abs (a[0] - b[0]), MAX (abs (a[1] - b[1]), abs (a[2] - b[2])));
}

static void
to_bytes (const double c[], int rgb[3])
{
  for (int k = 0; k < 3; k++)
    rgb[k] = (int) lrint (c[k] * 255);
}

/* TRUE when some pixel within r of (x, y) is within tol of rgb. */
static gboolean
color_near (cairo_surface_t *s, double x, double y, int r, const int rgb[3], int tol)
{
  for (int dy = -r; dy <= r; dy++)
    for (int dx = -r; dx <= r; dx++)
      {
        int p[3];
        pixel (s, (int) floor (x) + dx, (int) floor (y) + dy, p);
        if (color_distance (p, rgb) <= tol)
          return TRUE;
      }
  return FALSE;
}

/* The frame of lines at width × height, measured on a scratch context. */
static void
frame_of (const InvPlotLines *lines, double width, double height, InvPlotFrame *f)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (s);
  inv_plot_lines_frame (cr, width, height, lines, f);
  cairo_destroy (cr);
  cairo_surface_destroy (s);
}

static double
frame_px (const InvPlotFrame *f, double x)
{
  return f->area_x + (x - f->x_min) / (f->x_max - f->x_min) * f->area_w;
}

static double
frame_py (const InvPlotFrame *f, double y)
{
  return f->area_y + (1 - (y - f->y_min) / (f->y_max - f->y_min)) * f->area_h;
}

/* CIE L* of an sRGB colour in [0,1]. */
static double
lightness (const double rgb[3])
{
  double lin[3];
  for (int k = 0; k < 3; k++)
    lin[k] = rgb[k] <= 0.04045 ? rgb[k] / 12.92 : pow ((rgb[k] + 0.055) / 1.055, 2.4);
  double y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return y > 216.0 / 24389 ? 116 * cbrt (y) - 16 : y * 24389.0 / 27;
}

/* ---- colour maps ---- */

static void
test_colormap_ends (void)
{
  double c[3];
  /* matplotlib's viridis: first and last entries of its 256-colour table */
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, 0, c);
  g_assert_cmpfloat_with_epsilon (c[0], 0.267004, 1.5 / 255);
  g_assert_cmpfloat_with_epsilon (c[1], 0.004874, 1.5 / 255);
  g_assert_cmpfloat_with_epsilon (c[2], 0.329415, 1.5 / 255);
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, 1, c);
  g_assert_cmpfloat_with_epsilon (c[0], 0.993248, 1.5 / 255);
  g_assert_cmpfloat_with_epsilon (c[1], 0.906157, 1.5 / 255);
  g_assert_cmpfloat_with_epsilon (c[2], 0.143936, 1.5 / 255);
  /* out of range and NaN clamp to the ends */
  double d[3];
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, 7, d);
  g_assert_cmpfloat (memcmp (c, d, sizeof c), ==, 0);
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, -1, c);
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, NAN, d);
  g_assert_cmpfloat (memcmp (c, d, sizeof c), ==, 0);

  /* diverging: blue, white at 0, red */
  inv_colormap_rgb (INV_COLORMAP_DIVERGING, 0, c);
  g_assert_cmpfloat (c[2], >, c[0] + 0.2);
  inv_colormap_rgb (INV_COLORMAP_DIVERGING, 0.5, c);
  for (int k = 0; k < 3; k++)
    g_assert_cmpfloat (c[k], ==, 1.0);
  inv_colormap_rgb (INV_COLORMAP_DIVERGING, 1, c);
  g_assert_cmpfloat (c[0], >, c[2] + 0.2);
  /* symmetric darkness: equal distances from 0 are about equally light */
  for (double t = 0; t < 0.5; t += 0.05)
    {
      double lo[3], hi[3];
      inv_colormap_rgb (INV_COLORMAP_DIVERGING, 0.5 - t, lo);
      inv_colormap_rgb (INV_COLORMAP_DIVERGING, 0.5 + t, hi);
      g_assert_cmpfloat (fabs (lightness (lo) - lightness (hi)), <, 12);
    }

  inv_colormap_rgb (INV_COLORMAP_GRAY, 0, c);
  g_assert_cmpfloat (c[0] + c[1] + c[2], ==, 0);
  inv_colormap_rgb (INV_COLORMAP_GRAY, 0.25, c);
  g_assert_cmpfloat_with_epsilon (c[1], 0.25, 1e-12);
}

static void
test_colormap_lightness (void)
{
  /* viridis: L* strictly increasing over 1024 samples, from dark to light */
  double prev = -1, c[3];
  for (int i = 0; i <= 1024; i++)
    {
      inv_colormap_rgb (INV_COLORMAP_VIRIDIS, i / 1024.0, c);
      double l = lightness (c);
      g_assert_cmpfloat (l, >, prev);
      prev = l;
    }
  g_assert_cmpfloat (prev, >, 85);
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, 0, c);
  g_assert_cmpfloat (lightness (c), <, 20);

  /* diverging: lightness rises to the white middle, then falls */
  prev = -1;
  for (int i = 0; i <= 512; i++)
    {
      inv_colormap_rgb (INV_COLORMAP_DIVERGING, i / 1024.0, c);
      double l = lightness (c);
      g_assert_cmpfloat (l, >=, prev);
      prev = l;
    }
  for (int i = 513; i <= 1024; i++)
    {
      inv_colormap_rgb (INV_COLORMAP_DIVERGING, i / 1024.0, c);
      double l = lightness (c);
      g_assert_cmpfloat (l, <=, prev);
      prev = l;
    }
}

static void
test_colormap_names (void)
{
  static const struct {
    const char *name;
    gboolean ok;
    InvColormap cmap;
  } cases[] = {
    { "viridis", TRUE, INV_COLORMAP_VIRIDIS },
    { "Diverging", TRUE, INV_COLORMAP_DIVERGING },
    { "gray", TRUE, INV_COLORMAP_GRAY },
    { "jet", FALSE, 0 },
    { "", FALSE, 0 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      InvColormap m = 99;
      g_assert_cmpint (inv_colormap_from_name (cases[i].name, &m), ==, cases[i].ok);
      if (cases[i].ok)
        {
          g_assert_cmpint (m, ==, cases[i].cmap);
          g_assert_cmpint (g_ascii_strcasecmp (inv_colormap_name (m), cases[i].name), ==, 0);
        }
    }
  g_assert_false (inv_colormap_from_name (NULL, NULL));
  for (int m = 0; m < INV_N_COLORMAPS; m++)
    {
      InvColormap back;
      g_assert_true (inv_colormap_from_name (inv_colormap_name (m), &back));
      g_assert_cmpint (back, ==, m);
    }
  g_assert_true (inv_colormap_is_diverging (INV_COLORMAP_DIVERGING));
  g_assert_false (inv_colormap_is_diverging (INV_COLORMAP_VIRIDIS));
}

static void
test_value_range (void)
{
  const float v[] = { -0.5f, 2.0f, NAN, 1.0f, INFINITY };
  double lo, hi;
  inv_plot_value_range (v, G_N_ELEMENTS (v), INV_COLORMAP_DIVERGING, &lo, &hi);
  g_assert_cmpfloat (lo, ==, -2.0);
  g_assert_cmpfloat (hi, ==, 2.0);
  inv_plot_value_range (v, G_N_ELEMENTS (v), INV_COLORMAP_VIRIDIS, &lo, &hi);
  g_assert_cmpfloat (lo, ==, -0.5);
  g_assert_cmpfloat (hi, ==, 2.0);
  const float zero[] = { 0, 0, 0 };
  inv_plot_value_range (zero, 3, INV_COLORMAP_DIVERGING, &lo, &hi);
  g_assert_cmpfloat (hi, >, lo);
  inv_plot_value_range (zero, 3, INV_COLORMAP_VIRIDIS, &lo, &hi);
  g_assert_cmpfloat (lo, <=, 0);
  g_assert_cmpfloat (hi, >, 0);
  const float c[] = { 3, 3 };
  inv_plot_value_range (c, 2, INV_COLORMAP_VIRIDIS, &lo, &hi);
  g_assert_cmpfloat (lo, <, 3);
  g_assert_cmpfloat (hi, >, 3);
  inv_plot_value_range (NULL, 0, INV_COLORMAP_VIRIDIS, &lo, &hi);
  g_assert_cmpfloat (hi, >, lo);
}

static void
test_map_to_rgba (void)
{
  enum { H = 3, W = 5, STRIDE = 4 * W + 8 };
  float v[H * W];
  for (int i = 0; i < H * W; i++)
    v[i] = (float) i - 4.0f;
  v[7] = NAN;
  uint8_t rgba[H * STRIDE];
  memset (rgba, 0xab, sizeof rgba);
  inv_plot_map_to_rgba (rgba, STRIDE, v, H, W, INV_COLORMAP_VIRIDIS, -2.0, 6.0);
  for (int y = 0; y < H; y++)
    {
      for (int x = 0; x < W; x++)
        {
          const uint8_t *px = rgba + y * STRIDE + 4 * x;
          float val = v[y * W + x];
          if (isnan (val))
            {
              for (int k = 0; k < 4; k++)
                g_assert_cmpint (px[k], ==, 0);
              continue;
            }
          double t = CLAMP ((val + 2.0) / 8.0, 0.0, 1.0), c[3];
          inv_colormap_rgb (INV_COLORMAP_VIRIDIS, t, c);
          int want[3];
          to_bytes (c, want);
          for (int k = 0; k < 3; k++)
            g_assert_cmpint (px[k], ==, want[k]);
          g_assert_cmpint (px[3], ==, 255);
        }
      /* the padding at the end of each row is left alone */
      for (int k = 4 * W; k < STRIDE; k++)
        g_assert_cmpint (rgba[y * STRIDE + k], ==, 0xab);
    }
}

static void
test_overlay_to_rgba (void)
{
  const float img[4] = { 0.0f, 0.5f, 1.0f, 0.25f };
  const float v[4] = { 0.0f, 1.0f, -1.0f, NAN };
  uint8_t rgba[16];
  inv_plot_overlay_to_rgba (rgba, 16, img, v, 1, 4, INV_COLORMAP_DIVERGING, -1, 1, 0.8);
  /* v = 0 is neutral: the gray image shows unchanged */
  g_assert_cmpint (rgba[0], ==, 0);
  g_assert_cmpint (rgba[2], ==, 0);
  /* v = vmax: 80 % of the map's red over 50 % gray */
  double red[3], blue[3];
  inv_colormap_rgb (INV_COLORMAP_DIVERGING, 1, red);
  inv_colormap_rgb (INV_COLORMAP_DIVERGING, 0, blue);
  for (int k = 0; k < 3; k++)
    {
      /* within rounding */
      g_assert_cmpint (abs (rgba[4 + k] - (int) lrint ((0.2 * 0.5 + 0.8 * red[k]) * 255)), <=, 1);
      g_assert_cmpint (abs (rgba[8 + k] - (int) lrint ((0.2 * 1.0 + 0.8 * blue[k]) * 255)), <=, 1);
      g_assert_cmpint (rgba[12 + k], ==, 64);
    }
  for (int i = 0; i < 4; i++)
    g_assert_cmpint (rgba[4 * i + 3], ==, 255);
}

static void
test_theme (void)
{
  const InvPlotTheme *d = inv_plot_theme_default ();
  g_assert_cmpuint (d->n_palette, >=, 4);
  /* the palette's colours are told apart easily */
  for (size_t i = 0; i < d->n_palette; i++)
    for (size_t j = 0; j < i; j++)
      {
        int a[3], b[3];
        to_bytes (d->palette[i], a);
        to_bytes (d->palette[j], b);
        g_assert_cmpint (color_distance (a, b), >, 60);
      }
  InvPlotTheme t;
  const double bg[4] = { 0.1, 0.1, 0.1, 1 }, fg[4] = { 0.9, 0.9, 0.9, 1 };
  inv_plot_theme_init (&t, bg, fg);
  g_assert_cmpfloat (t.background[0], ==, 0.1);
  g_assert_cmpfloat (t.foreground[2], ==, 0.9);
  g_assert_cmpfloat (t.grid[0], ==, 0.9);
  g_assert_cmpfloat (t.grid[3], <, 0.5);
  /* a theme with no palette (older code) gets the default one, cyclically */
  InvPlotTheme bare = { .foreground = { 0, 0, 0, 1 }, .font_size = 10 };
  double c[4], e[4];
  inv_plot_theme_series_color (&bare, 1, c);
  inv_plot_theme_series_color (d, 1 + d->n_palette, e);
  g_assert_cmpfloat (memcmp (c, e, sizeof c), ==, 0);
  g_assert_cmpfloat (memcmp (c, d->palette[1], sizeof c), ==, 0);
}

/* ---- ticks ---- */

static gboolean
is_nice (double step)
{
  double e = floor (log10 (step));
  double f = step / pow (10, e);
  return fabs (f - 1) < 1e-6 || fabs (f - 2) < 1e-6 || fabs (f - 5) < 1e-6 || fabs (f - 10) < 1e-6;
}

static void
test_ticks_linear (void)
{
  static const double ranges[][2] = {
    { 0, 1 }, { -3.7, 12.2 }, { 0.95, 1.003 }, { 1e6, 5e6 }, { -1e-4, 1e-4 }, { 17, 17.5 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (ranges); i++)
    {
      double lo = ranges[i][0], hi = ranges[i][1], t[64];
      size_t n = inv_plot_ticks (lo, hi, FALSE, 5, t, 64);
      g_test_message ("[%g, %g]: %zu ticks", lo, hi, n);
      g_assert_cmpuint (n, >=, 2);
      g_assert_cmpuint (n, <=, 11);
      double step = t[1] - t[0];
      g_assert_true (is_nice (step));
      for (size_t k = 0; k < n; k++)
        {
          g_assert_cmpfloat (t[k], >=, lo - 1e-9 * step);
          g_assert_cmpfloat (t[k], <=, hi + 1e-9 * step);
          /* each tick a multiple of the step */
          g_assert_cmpfloat (fabs (t[k] / step - round (t[k] / step)), <, 1e-6);
          if (k)
            g_assert_cmpfloat_with_epsilon (t[k] - t[k - 1], step, 1e-9 * step);
        }
      /* no room left for another tick on either side */
      g_assert_cmpfloat (t[0] - step, <, lo);
      g_assert_cmpfloat (t[n - 1] + step, >, hi);
    }
  double t[64];
  size_t n = inv_plot_ticks (0, 1, FALSE, 5, t, 64);
  g_assert_cmpuint (n, ==, 6);
  g_assert_cmpfloat (t[0], ==, 0);
  g_assert_cmpfloat_with_epsilon (t[5], 1, 1e-12);
  /* cap and degenerate ranges */
  g_assert_cmpuint (inv_plot_ticks (0, 1, FALSE, 5, t, 3), ==, 3);
  g_assert_cmpuint (inv_plot_ticks (1, 1, FALSE, 5, t, 64), ==, 0);
  g_assert_cmpuint (inv_plot_ticks (0, NAN, FALSE, 5, t, 64), ==, 0);
}

static void
test_ticks_log (void)
{
  double t[64];
  size_t n = inv_plot_ticks (2e-9, 30, TRUE, 12, t, 64);
  g_assert_cmpuint (n, ==, 10); /* 1e-8 … 10 */
  for (size_t k = 0; k < n; k++)
    g_assert_cmpfloat_with_epsilon (log10 (t[k]), -8.0 + (double) k, 1e-9);
  /* few ticks wanted: every other decade, still powers of ten */
  n = inv_plot_ticks (1e-8, 1e3, TRUE, 4, t, 64);
  g_assert_cmpuint (n, <=, 6);
  g_assert_cmpuint (n, >=, 2);
  for (size_t k = 0; k < n; k++)
    g_assert_cmpfloat (fabs (log10 (t[k]) - round (log10 (t[k]))), <, 1e-9);
  /* under three decades: 1, 2, 5 of each */
  n = inv_plot_ticks (1, 50, TRUE, 5, t, 64);
  static const double want[] = { 1, 2, 5, 10, 20, 50 };
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (want));
  for (size_t k = 0; k < n; k++)
    g_assert_cmpfloat_with_epsilon (t[k], want[k], 1e-9 * want[k]);
  /* no positive range, no ticks */
  g_assert_cmpuint (inv_plot_ticks (0, 10, TRUE, 5, t, 64), ==, 0);
}

/* ---- line plots ---- */

static void
test_lines_pixels (Tmp *tmp, gconstpointer data)
{
  double x[2] = { 0, 1 }, y[2] = { 0, 1 };
  InvPlotSeries s = { .name = "y = x", .color = 2, .x = x, .y = y, .n = 2 };
  InvPlotLines p = {
    .title = "A known line",
    .x = { .label = "x", .fixed = TRUE, .min = 0, .max = 1 },
    .y = { .label = "y", .fixed = TRUE, .min = 0, .max = 1 },
    .series = &s, .n_series = 1,
  };
  cairo_surface_t *img = render_png (tmp, "line.png", 500, 400, inv_plot_lines_draw, &p);
  InvPlotFrame f;
  frame_of (&p, 500, 400, &f);
  g_assert_cmpfloat (f.x_min, ==, 0);
  g_assert_cmpfloat (f.y_max, ==, 1);
  g_assert_cmpfloat (f.area_w, >, 250);
  g_assert_cmpfloat (f.area_h, >, 200);
  int line[3], white[3] = { 255, 255, 255 };
  to_bytes (inv_plot_theme_default ()->palette[2], line);
  /* along y = x the series' colour; off it, the background */
  for (double v = 0.13; v < 0.95; v += 0.1)
    {
      g_assert_true (color_near (img, frame_px (&f, v), frame_py (&f, v), 1, line, 50));
      int q[3];
      pixel (img, (int) frame_px (&f, v), (int) frame_py (&f, v < 0.6 ? v + 0.3 : v - 0.3), q);
      g_assert_cmpint (color_distance (q, line), >, 60);
    }
  int q[3];
  pixel (img, (int) frame_px (&f, 0.33), (int) frame_py (&f, 0.77), q);
  g_assert_cmpint (color_distance (q, white), <=, 1);
  /* the frame's corners carry the axes (foreground) */
  int black[3] = { 0, 0, 0 };
  g_assert_true (color_near (img, f.area_x, f.area_y + f.area_h / 2, 1, black, 140));
  cairo_surface_destroy (img);
}

static void
test_lines_nan_break (Tmp *tmp, gconstpointer data)
{
  double y[5] = { 0.5, 0.5, NAN, 0.5, 0.5 };
  InvPlotSeries s = { .color = 0, .y = y, .n = 5 }; /* x = 0, 1, …, 4 */
  InvPlotLines p = {
    .x = { .fixed = TRUE, .min = 0, .max = 4 },
    .y = { .fixed = TRUE, .min = 0, .max = 1 },
    .series = &s, .n_series = 1,
  };
  int line[3];
  to_bytes (inv_plot_theme_default ()->palette[0], line);
  InvPlotFrame f;
  frame_of (&p, 400, 300, &f);
  cairo_surface_t *img = render_png (tmp, "nan.png", 400, 300, inv_plot_lines_draw, &p);
  g_assert_true (color_near (img, frame_px (&f, 0.5), frame_py (&f, 0.5), 1, line, 50));
  g_assert_true (color_near (img, frame_px (&f, 3.5), frame_py (&f, 0.5), 1, line, 50));
  /* the gap around the NaN */
  for (double x = 1.3; x <= 2.7; x += 0.2)
    g_assert_false (color_near (img, frame_px (&f, x), frame_py (&f, 0.5), 1, line, 60));
  cairo_surface_destroy (img);

  /* control: without the NaN the same pixels are drawn */
  y[2] = 0.5;
  img = render_png (tmp, "nonan.png", 400, 300, inv_plot_lines_draw, &p);
  g_assert_true (color_near (img, frame_px (&f, 2.1), frame_py (&f, 0.5), 1, line, 50));
  cairo_surface_destroy (img);
}

static size_t
count_non_white (cairo_surface_t *img, double x0, double y0, double w, double h)
{
  size_t n = 0;
  int white[3] = { 255, 255, 255 };
  for (int y = (int) ceil (y0) + 2; y < (int) (y0 + h) - 2; y++)
    for (int x = (int) ceil (x0) + 2; x < (int) (x0 + w) - 2; x++)
      {
        int q[3];
        pixel (img, x, y, q);
        n += color_distance (q, white) > 60;
      }
  return n;
}

static void
test_lines_legend (Tmp *tmp, gconstpointer data)
{
  /* y = x covers the bottom-left and top-right corners */
  double x[2] = { 0, 1 }, y[2] = { 0, 1 }, y2[2] = { 0.05, 1.05 };
  InvPlotSeries s[2] = {
    { .name = "unconstrained", .color = 0, .x = x, .y = y, .n = 2 },
    { .name = "weight-tied", .color = 1, .x = x, .y = y2, .n = 2, .dashed = TRUE },
  };
  InvPlotLines p = {
    .x = { .fixed = TRUE, .min = 0, .max = 1 },
    .y = { .fixed = TRUE, .min = 0, .max = 1.1 },
    .series = s, .n_series = 2,
  };
  InvPlotFrame f;
  frame_of (&p, 600, 400, &f);
  g_assert_cmpfloat (f.legend_w, >, 0);
  g_assert_cmpfloat (f.legend_h, >, 0);
  /* inside the plot area */
  g_assert_cmpfloat (f.legend_x, >=, f.area_x);
  g_assert_cmpfloat (f.legend_x + f.legend_w, <=, f.area_x + f.area_w);
  g_assert_cmpfloat (f.legend_y, >=, f.area_y);
  g_assert_cmpfloat (f.legend_y + f.legend_h, <=, f.area_y + f.area_h);
  /* and off the lines: the diagonal passes neither through the box's
   * top-left nor its bottom-right corner region */
  for (double t = 0; t <= 1; t += 0.005)
    for (int k = 0; k < 2; k++)
      {
        double px = frame_px (&f, t), py = frame_py (&f, s[k].y[0] + t);
        gboolean inside = px > f.legend_x && px < f.legend_x + f.legend_w
                          && py > f.legend_y && py < f.legend_y + f.legend_h;
        g_assert_false (inside);
      }
  cairo_surface_t *img = render_png (tmp, "legend.png", 600, 400, inv_plot_lines_draw, &p);
  /* the legend draws something (swatches and names) */
  size_t ink = count_non_white (img, f.legend_x, f.legend_y, f.legend_w, f.legend_h);
  g_assert_cmpuint (ink, >, 100);
  /* both swatch colours appear in the box */
  for (int k = 0; k < 2; k++)
    {
      int want[3];
      to_bytes (inv_plot_theme_default ()->palette[k], want);
      gboolean found = FALSE;
      for (double yy = f.legend_y + 2; yy < f.legend_y + f.legend_h - 2 && !found; yy += 1)
        for (double xx = f.legend_x + 2; xx < f.legend_x + 0.3 * f.legend_w && !found; xx += 1)
          found = color_near (img, xx, yy, 0, want, 30);
      g_assert_true (found);
    }
  cairo_surface_destroy (img);

  /* no legend: no box, and the same place stays empty */
  p.legend = INV_PLOT_LEGEND_NONE;
  InvPlotFrame g;
  frame_of (&p, 600, 400, &g);
  g_assert_cmpfloat (g.legend_w, ==, 0);
  img = render_png (tmp, "nolegend.png", 600, 400, inv_plot_lines_draw, &p);
  g_assert_cmpuint (count_non_white (img, f.legend_x + 0.3 * f.legend_w, f.legend_y,
                                     0.7 * f.legend_w, f.legend_h), <, ink / 4);
  cairo_surface_destroy (img);

  /* forced outside: right of the plot area */
  p.legend = INV_PLOT_LEGEND_OUTSIDE;
  frame_of (&p, 600, 400, &g);
  g_assert_cmpfloat (g.legend_x, >=, g.area_x + g.area_w);
  g_assert_cmpfloat (g.legend_x + g.legend_w, <=, 600);
}

static void
test_lines_log_axis (Tmp *tmp, gconstpointer data)
{
  double y[6] = { 1e2, 10, 1, 0.1, 0.01, 1e-3 };
  InvPlotSeries s = { .y = y, .n = 6 };
  InvPlotLines p = {
    .y = { .log = TRUE, .fixed = TRUE, .min = 1e-3, .max = 1e2 },
    .series = &s, .n_series = 1,
  };
  InvPlotFrame f;
  frame_of (&p, 500, 500, &f);
  cairo_surface_t *img = render_png (tmp, "log.png", 500, 500, inv_plot_lines_draw, &p);
  /* a tick mark just left of the area at every decade, none between */
  int fg[3] = { 0, 0, 0 };
  for (int k = -3; k <= 2; k++)
    {
      double py = f.area_y + (1 - (k + 3) / 5.0) * f.area_h;
      g_assert_true (color_near (img, f.area_x - 2.5, py, 1, fg, 100));
      double mid = f.area_y + (1 - (k + 3.5) / 5.0) * f.area_h;
      if (k < 2)
        g_assert_false (color_near (img, f.area_x - 2.5, mid, 1, fg, 100));
    }
  /* the data (a straight line on this axis) passes through each decade */
  int line[3];
  to_bytes (inv_plot_theme_default ()->palette[0], line);
  for (int i = 0; i < 6; i++)
    g_assert_true (color_near (img, frame_px (&f, i), f.area_y + (1 - (log10 (y[i]) + 3) / 5.0) * f.area_h,
                               1, line, 50));
  cairo_surface_destroy (img);
}

/* ---- heat maps ---- */

static void
test_heatmap_cells (Tmp *tmp, gconstpointer data)
{
  enum { H = 3, W = 4 };
  float map[H * W];
  for (int i = 0; i < H * W; i++)
    map[i] = (float) (i * i) - 20.0f; /* signed, all cells different */
  for (int m = 0; m < 2; m++)
    {
      InvColormap cmap = m ? INV_COLORMAP_VIRIDIS : INV_COLORMAP_DIVERGING;
      InvPlotHeatmap hm = { .map = map, .h = H, .w = W, .cmap = cmap, .title = "cells", .bar_label = "value" };
      cairo_surface_t *img = render_png (tmp, "heat.png", 600, 400, inv_plot_heatmap_draw, &hm);
      double lo, hi;
      inv_plot_value_range (map, H * W, cmap, &lo, &hi);
      if (cmap == INV_COLORMAP_DIVERGING)
        g_assert_cmpfloat (lo, ==, -hi);
      uint8_t rgba[H * W * 4];
      inv_plot_map_to_rgba (rgba, 4 * W, map, H, W, cmap, lo, hi);
      /* each cell's colour covers a block, and the blocks sit in a grid */
      double cx[H * W], cy[H * W];
      int iw = cairo_image_surface_get_width (img), ih = cairo_image_surface_get_height (img);
      for (int i = 0; i < H * W; i++)
        {
          int want[3] = { rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2] };
          double sx = 0, sy = 0;
          size_t n = 0;
          for (int y = 0; y < ih; y++)
            for (int x = 0; x < iw; x++)
              {
                int q[3];
                pixel (img, x, y, q);
                if (color_distance (q, want) == 0)
                  sx += x, sy += y, n++;
              }
          g_assert_cmpuint (n, >, 4000); /* a cell is about 80 × 80 px */
          cx[i] = sx / (double) n;
          cy[i] = sy / (double) n;
        }
      for (int r = 0; r < H; r++)
        for (int c = 1; c < W; c++)
          {
            g_assert_cmpfloat (cx[r * W + c], >, cx[r * W + c - 1] + 40);
            g_assert_cmpfloat (fabs (cy[r * W + c] - cy[r * W]), <, 3);
          }
      for (int r = 1; r < H; r++)
        g_assert_cmpfloat (cy[r * W], >, cy[(r - 1) * W] + 40);
      cairo_surface_destroy (img);
    }
}

/* ---- saliency grid, small multiples, image grid ---- */

static void
test_saliency_grid_range (void)
{
  enum { R = 2, C = 3, N = 4 };
  float maps[R * C][N];
  const float *mp[R * C];
  for (int i = 0; i < R * C; i++)
    {
      for (int p = 0; p < N; p++)
        maps[i][p] = (float) ((i + 1) * (p % 2 ? -1 : 1)) * (i < C ? 1.0f : 10.0f);
      mp[i] = maps[i];
    }
  InvPlotSaliencyGrid g = { .rows = R, .cols = C, .h = 2, .w = 2, .maps = mp, .cmap = INV_COLORMAP_DIVERGING };
  double lo, hi;
  inv_plot_saliency_grid_range (&g, 0, &lo, &hi);
  g_assert_cmpfloat (hi, ==, 3);
  g_assert_cmpfloat (lo, ==, -3);
  inv_plot_saliency_grid_range (&g, 1, &lo, &hi);
  g_assert_cmpfloat (hi, ==, 60);
  g.scale = INV_PLOT_SCALE_SHARED;
  inv_plot_saliency_grid_range (&g, 0, &lo, &hi);
  g_assert_cmpfloat (hi, ==, 60);
  g.cmap = INV_COLORMAP_VIRIDIS; /* |s| from 0 */
  inv_plot_saliency_grid_range (&g, 0, &lo, &hi);
  g_assert_cmpfloat (lo, ==, 0);
  g_assert_cmpfloat (hi, ==, 60);
}

static void
test_saliency_grid_cells (Tmp *tmp, gconstpointer data)
{
  enum { R = 2, C = 3, H = 8, W = 8, N = H * W };
  float imgs[R * C][N], maps[R * C][N];
  const float *ip[R * C], *mp[R * C];
  const char *caps[R * C] = { "a 0.1", "b 0.2", "c 0.3", "d 0.4", "e 0.5", "f 0.6" };
  const char *cols[C] = { "0°", "90°", "180°" }, *rows[R] = { "first", "second" };
  for (int i = 0; i < R * C; i++)
    {
      for (int p = 0; p < N; p++)
        {
          imgs[i][p] = 0; /* black inputs: easy to find */
          maps[i][p] = 1; /* every map at its row's maximum */
        }
      ip[i] = imgs[i];
      mp[i] = maps[i];
    }
  InvPlotSaliencyGrid g = {
    .rows = R, .cols = C, .h = H, .w = W, .images = ip, .maps = mp, .captions = caps,
    .col_titles = cols, .row_titles = rows, .title = "grid", .cmap = INV_COLORMAP_VIRIDIS,
  };
  double width, height;
  inv_plot_saliency_grid_size (&g, 50, &width, &height);
  g_assert_cmpfloat (width, >, 2 * C * 50);
  g_assert_cmpfloat (height, >, R * 50);
  cairo_surface_t *img = render_png (tmp, "sal.png", width, height, inv_plot_saliency_grid_draw, &g);
  /* the top colour of viridis, one 50 × 50 block per cell; black inputs too */
  double c[3];
  inv_colormap_rgb (INV_COLORMAP_VIRIDIS, 1, c);
  int top[3], black[3] = { 0, 0, 0 };
  to_bytes (c, top);
  size_t n_top = 0, n_black = 0;
  for (int y = 0; y < (int) ceil (height); y++)
    for (int x = 0; x < (int) ceil (width); x++)
      {
        int q[3];
        pixel (img, x, y, q);
        n_top += color_distance (q, top) == 0;
        n_black += color_distance (q, black) == 0;
      }
  g_assert_cmpuint (n_top, >=, R * C * 48 * 48);
  g_assert_cmpuint (n_top, <=, R * C * 50 * 50 + 2000); /* + the colour bar's top */
  g_assert_cmpuint (n_black, >=, R * C * 48 * 48);
  cairo_surface_destroy (img);
}

static void
test_any_size (void)
{
  /* every figure draws at any size without a Cairo error, tiny ones too */
  double y[3] = { 1, NAN, 3 };
  InvPlotSeries s = { .name = "s", .y = y, .n = 3, .style = INV_PLOT_STYLE_LINE_MARKERS };
  InvPlotLines lines = { .title = "t", .x = { .label = "x" }, .y = { .label = "y", .log = TRUE },
                         .series = &s, .n_series = 1, .show_marker = TRUE, .marker_x = 1 };
  InvPlotLines empty = { 0 };
  InvPlotLines panels[5] = { lines, empty, lines, lines, lines };
  InvPlotMultiples mp = { .title = "m", .panels = panels, .n_panels = 5 };
  float map[4] = { 0, 1, NAN, -1 };
  InvPlotHeatmap hm = { .map = map, .h = 2, .w = 2 };
  const float *ip[1] = { map };
  InvPlotSaliencyGrid sg = { .rows = 1, .cols = 1, .h = 2, .w = 2, .images = ip, .maps = ip,
                             .layout = INV_PLOT_SALIENCY_OVERLAY };
  InvPlotImageGrid ig = { .rows = 1, .cols = 1, .h = 2, .w = 2, .images = ip };
  struct { InvPlotDrawFunc draw; const void *data; } figs[] = {
    { inv_plot_lines_draw, &lines }, { inv_plot_lines_draw, &empty },
    { inv_plot_multiples_draw, &mp }, { inv_plot_heatmap_draw, &hm },
    { inv_plot_saliency_grid_draw, &sg }, { inv_plot_image_grid_draw, &ig },
  };
  static const int sizes[][2] = { { 1, 1 }, { 37, 23 }, { 300, 200 }, { 1600, 1200 } };
  for (size_t i = 0; i < G_N_ELEMENTS (figs); i++)
    for (size_t k = 0; k < G_N_ELEMENTS (sizes); k++)
      {
        cairo_surface_t *s2 = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, sizes[k][0], sizes[k][1]);
        cairo_t *cr = cairo_create (s2);
        cairo_matrix_t before, after;
        cairo_get_matrix (cr, &before);
        figs[i].draw (cr, sizes[k][0], sizes[k][1], figs[i].data);
        cairo_get_matrix (cr, &after);
        g_assert_cmpint (cairo_status (cr), ==, CAIRO_STATUS_SUCCESS);
        /* the caller's state is restored (the app draws more after it) */
        g_assert_cmpfloat (memcmp (&before, &after, sizeof before), ==, 0);
        cairo_destroy (cr);
        cairo_surface_destroy (s2);
      }
  double w, h;
  inv_plot_multiples_size (&mp, 200, 150, &w, &h);
  g_assert_cmpfloat (w, >=, 3 * 200);
  g_assert_cmpfloat (h, >=, 2 * 150);
}

/* ---- files ---- */

static void
test_save_formats (Tmp *tmp, gconstpointer data)
{
  double y[4] = { 1, 3, 2, 4 };
  InvPlotSeries s = { .name = "s", .y = y, .n = 4 };
  InvPlotLines p = { .title = "formats", .series = &s, .n_series = 1 };
  static const struct {
    const char *name;
    const char *magic;
  } cases[] = {
    { "f.png", "\x89PNG\r\n\x1a\n" },
    { "f.SVG", "<?xml" },
    { "f.pdf", "%PDF-" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = tmp_path (tmp, cases[i].name);
      g_autoptr (GError) error = NULL;
      g_assert_true (inv_plot_save (path, 400, 300, inv_plot_lines_draw, &p, &error));
      g_assert_no_error (error);
      g_autofree char *bytes = NULL;
      gsize len = 0;
      g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
      g_assert_cmpuint (len, >, 1000);
      g_assert_cmpint (memcmp (bytes, cases[i].magic, strlen (cases[i].magic)), ==, 0);
      if (i == 1)
        g_assert_nonnull (g_strstr_len (bytes, (gssize) len, "<svg"));
    }
  /* an unknown extension fails, naming the path, and writes nothing */
  g_autofree char *bad = tmp_path (tmp, "figure.gif");
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_plot_save (bad, 400, 300, inv_plot_lines_draw, &p, &error));
  g_assert_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, bad));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  g_clear_error (&error);
  g_autofree char *noext = tmp_path (tmp, "figure");
  g_assert_false (inv_plot_save (noext, 400, 300, inv_plot_lines_draw, &p, &error));
  g_assert_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_FORMAT);
  g_clear_error (&error);
  /* absurd sizes */
  g_autofree char *png = tmp_path (tmp, "size.png");
  g_assert_false (inv_plot_save (png, 0, 300, inv_plot_lines_draw, &p, &error));
  g_assert_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_SIZE);
  g_clear_error (&error);
  /* a folder that does not exist */
  g_autofree char *missing = g_build_filename (tmp->dir, "no", "such", "f.png", NULL);
  g_assert_false (inv_plot_save (missing, 100, 100, inv_plot_lines_draw, &p, &error));
  g_assert_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_IO);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/plot/colormap-ends", test_colormap_ends);
  g_test_add_func ("/plot/colormap-lightness", test_colormap_lightness);
  g_test_add_func ("/plot/colormap-names", test_colormap_names);
  g_test_add_func ("/plot/value-range", test_value_range);
  g_test_add_func ("/plot/map-to-rgba", test_map_to_rgba);
  g_test_add_func ("/plot/overlay-to-rgba", test_overlay_to_rgba);
  g_test_add_func ("/plot/theme", test_theme);
  g_test_add_func ("/plot/ticks-linear", test_ticks_linear);
  g_test_add_func ("/plot/ticks-log", test_ticks_log);
  g_test_add ("/plot/lines-pixels", Tmp, NULL, tmp_setup, test_lines_pixels, tmp_teardown);
  g_test_add ("/plot/lines-nan-break", Tmp, NULL, tmp_setup, test_lines_nan_break, tmp_teardown);
  g_test_add ("/plot/lines-legend", Tmp, NULL, tmp_setup, test_lines_legend, tmp_teardown);
  g_test_add ("/plot/lines-log-axis", Tmp, NULL, tmp_setup, test_lines_log_axis, tmp_teardown);
  g_test_add ("/plot/heatmap-cells", Tmp, NULL, tmp_setup, test_heatmap_cells, tmp_teardown);
  g_test_add_func ("/plot/saliency-grid-range", test_saliency_grid_range);
  g_test_add ("/plot/saliency-grid-cells", Tmp, NULL, tmp_setup, test_saliency_grid_cells, tmp_teardown);
  g_test_add_func ("/plot/any-size", test_any_size);
  g_test_add ("/plot/save-formats", Tmp, NULL, tmp_setup, test_save_formats, tmp_teardown);
  return g_test_run ();
}
