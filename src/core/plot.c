/* Figures drawn with Cairo and written as PNG, SVG or PDF: line plots (and
 * small multiples of them), heat maps with a colour bar, image grids and the
 * saliency grid, plus the colour maps they share with the app. Not
 * interactive: widgets wrap these draw functions. R rows, C columns, H×W
 * images, N points a series, P panels. */
#include "plot.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

G_DEFINE_QUARK (inv-plot-error-quark, inv_plot_error)

/* Cairo's image surfaces stop at 32767 pixels a side. */
#define PLOT_MAX_SIDE 32767.0
#define MAX_TICKS 64

/* ---- Theme ---- */

/* Okabe & Ito's colour-blind safe palette, black left out so that it works
 * on dark backgrounds too; yellow last, as it is faint on white. */
#define OI(r, g, b) { (r) / 255.0, (g) / 255.0, (b) / 255.0, 1 }
static const InvPlotTheme default_theme = {
  .background = { 1, 1, 1, 1 },
  .foreground = { 0, 0, 0, 1 },
  .font_family = "sans-serif",
  .font_size = 12,
  .grid = { 0, 0, 0, 0.15 },
  .palette = {
    OI (0, 114, 178),   /* blue */
    OI (213, 94, 0),    /* vermillion */
    OI (0, 158, 115),   /* bluish green */
    OI (204, 121, 167), /* reddish purple */
    OI (230, 159, 0),   /* orange */
    OI (86, 180, 233),  /* sky blue */
    OI (240, 228, 66),  /* yellow */
  },
  .n_palette = 7,
};
#undef OI

const InvPlotTheme *
inv_plot_theme_default (void)
{
  return &default_theme;
}

void
inv_plot_theme_init (InvPlotTheme *theme, const double background[4], const double foreground[4])
{
  *theme = default_theme;
  if (background)
    memcpy (theme->background, background, sizeof theme->background);
  if (foreground)
    memcpy (theme->foreground, foreground, sizeof theme->foreground);
  memcpy (theme->grid, theme->foreground, sizeof theme->grid);
  theme->grid[3] = 0.15 * theme->foreground[3];
}

void
inv_plot_theme_series_color (const InvPlotTheme *theme, size_t i, double rgba[4])
{
  if (!theme)
    theme = &default_theme;
  const double (*pal)[4] = theme->n_palette ? theme->palette : default_theme.palette;
  size_t n = theme->n_palette ? MIN (theme->n_palette, (size_t) INV_PLOT_PALETTE_MAX)
                              : default_theme.n_palette;
  memcpy (rgba, pal[i % n], 4 * sizeof (double));
}

static double
theme_fs (const InvPlotTheme *theme)
{
  return theme->font_size > 0 ? theme->font_size : 12;
}

static void
set_rgba (cairo_t *cr, const double c[4])
{
  cairo_set_source_rgba (cr, c[0], c[1], c[2], c[3]);
}

static void
set_grid_color (cairo_t *cr, const InvPlotTheme *theme)
{
  if (theme->grid[3] > 0)
    set_rgba (cr, theme->grid);
  else
    cairo_set_source_rgba (cr, theme->foreground[0], theme->foreground[1],
                           theme->foreground[2], 0.15 * theme->foreground[3]);
}

static void
paint_background (cairo_t *cr, const InvPlotTheme *theme)
{
  if (theme->background[3] > 0)
    {
      set_rgba (cr, theme->background);
      cairo_paint (cr);
    }
}

/* ---- Colour maps ---- */

typedef struct {
  const uint8_t (*rgb)[3];
  size_t n; /* control points at t = i/(n−1) */
} Ramp;

/* viridis sampled at 11 evenly spaced points (sRGB). */
static const uint8_t viridis_pts[][3] = {
  { 0x44, 0x01, 0x54 }, { 0x48, 0x25, 0x76 }, { 0x41, 0x44, 0x87 }, { 0x35, 0x60, 0x8d },
  { 0x2a, 0x78, 0x8e }, { 0x21, 0x90, 0x8c }, { 0x22, 0xa8, 0x84 }, { 0x43, 0xbf, 0x71 },
  { 0x7a, 0xd1, 0x51 }, { 0xbb, 0xdf, 0x27 }, { 0xfd, 0xe7, 0x25 },
};
/* Blue → white → red in the manner of ColorBrewer's RdBu, white exactly in
 * the middle so that zero saliency disappears. */
static const uint8_t diverging_pts[][3] = {
  { 0x05, 0x30, 0x61 }, { 0x21, 0x66, 0xac }, { 0x43, 0x93, 0xc3 }, { 0x92, 0xc5, 0xde },
  { 0xd1, 0xe5, 0xf0 }, { 0xff, 0xff, 0xff }, { 0xfd, 0xdb, 0xc7 }, { 0xf4, 0xa5, 0x82 },
  { 0xd6, 0x60, 0x4d }, { 0xb2, 0x18, 0x2b }, { 0x67, 0x00, 0x1f },
};
static const uint8_t gray_pts[][3] = { { 0, 0, 0 }, { 255, 255, 255 } };

static const char *const colormap_names[INV_N_COLORMAPS] = { "viridis", "diverging", "gray" };

static Ramp
colormap_ramp (InvColormap cmap)
{
  switch (cmap)
    {
    case INV_COLORMAP_DIVERGING:
      return (Ramp) { diverging_pts, G_N_ELEMENTS (diverging_pts) };
    case INV_COLORMAP_GRAY:
      return (Ramp) { gray_pts, G_N_ELEMENTS (gray_pts) };
    case INV_COLORMAP_VIRIDIS:
    default:
      return (Ramp) { viridis_pts, G_N_ELEMENTS (viridis_pts) };
    }
}

const char *
inv_colormap_name (InvColormap cmap)
{
  return (unsigned) cmap < INV_N_COLORMAPS ? colormap_names[cmap] : "viridis";
}

gboolean
inv_colormap_from_name (const char *name, InvColormap *cmap)
{
  for (unsigned i = 0; name && i < INV_N_COLORMAPS; i++)
    if (g_ascii_strcasecmp (name, colormap_names[i]) == 0)
      {
        *cmap = (InvColormap) i;
        return TRUE;
      }
  return FALSE;
}

gboolean
inv_colormap_is_diverging (InvColormap cmap)
{
  return cmap == INV_COLORMAP_DIVERGING;
}

void
inv_colormap_rgb (InvColormap cmap, double t, double rgb[3])
{
  Ramp r = colormap_ramp (cmap);
  t = isnan (t) ? 0 : CLAMP (t, 0.0, 1.0);
  double pos = t * (double) (r.n - 1);
  size_t i = (size_t) pos;
  if (i >= r.n - 1)
    i = r.n - 2;
  double f = pos - (double) i;
  for (int k = 0; k < 3; k++)
    rgb[k] = ((1 - f) * r.rgb[i][k] + f * r.rgb[i + 1][k]) / 255.0;
}

static uint8_t
to_byte (double v)
{
  return (uint8_t) lrint (CLAMP (v, 0.0, 1.0) * 255.0);
}

void
inv_plot_value_range (const float *v, size_t n, InvColormap cmap, double *vmin, double *vmax)
{
  double lo = INFINITY, hi = -INFINITY, m = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite (v[i]))
      {
        lo = MIN (lo, (double) v[i]);
        hi = MAX (hi, (double) v[i]);
        m = MAX (m, fabs ((double) v[i]));
      }
  if (inv_colormap_is_diverging (cmap))
    {
      if (!(m > 0))
        m = 1;
      *vmin = -m;
      *vmax = m;
      return;
    }
  if (lo > hi)
    lo = 0, hi = 1;
  else if (lo == hi)
    {
      double d = lo == 0 ? 1 : 0.5 * fabs (lo);
      lo -= lo == 0 ? 0 : d;
      hi += d;
    }
  *vmin = lo;
  *vmax = hi;
}

/* Position of v in [vmin, vmax] as t ∈ [0,1] (NaN when v is not finite). */
static double
range_t (double v, double vmin, double vmax)
{
  if (!isfinite (v))
    return NAN;
  double d = vmax - vmin;
  double t = d > 0 ? (v - vmin) / d : 0.5;
  return CLAMP (t, 0.0, 1.0);
}

void
inv_plot_map_to_rgba (uint8_t *rgba, size_t stride, const float *v, size_t h, size_t w,
                      InvColormap cmap, double vmin, double vmax)
{
  for (size_t y = 0; y < h; y++)
    {
      uint8_t *row = rgba + y * stride;
      for (size_t x = 0; x < w; x++)
        {
          double t = range_t (v[y * w + x], vmin, vmax);
          uint8_t *px = row + 4 * x;
          if (isnan (t))
            {
              memset (px, 0, 4);
              continue;
            }
          double c[3];
          inv_colormap_rgb (cmap, t, c);
          px[0] = to_byte (c[0]);
          px[1] = to_byte (c[1]);
          px[2] = to_byte (c[2]);
          px[3] = 255;
        }
    }
}

void
inv_plot_overlay_to_rgba (uint8_t *rgba, size_t stride, const float *image, const float *v,
                          size_t h, size_t w, InvColormap cmap, double vmin, double vmax,
                          double alpha)
{
  gboolean div = inv_colormap_is_diverging (cmap);
  for (size_t y = 0; y < h; y++)
    {
      uint8_t *row = rgba + y * stride;
      for (size_t x = 0; x < w; x++)
        {
          size_t p = y * w + x;
          double g = isfinite (image[p]) ? CLAMP (image[p], 0.0f, 1.0f) : 0.0;
          double t = range_t (v[p], vmin, vmax), c[3] = { g, g, g }, a = 0;
          if (!isnan (t))
            {
              inv_colormap_rgb (cmap, t, c);
              a = CLAMP (alpha, 0.0, 1.0) * (div ? fabs (2 * t - 1) : t);
            }
          uint8_t *px = row + 4 * x;
          for (int k = 0; k < 3; k++)
            px[k] = to_byte ((1 - a) * g + a * c[k]);
          px[3] = 255;
        }
    }
}

/* A Cairo image (ARGB32, premultiplied) of rgba (H, W) as above, each pixel
 * repeated up × up times. */
static cairo_surface_t *
rgba_surface (const uint8_t *rgba, size_t stride, size_t h, size_t w, size_t up)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (w * up), (int) (h * up));
  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    return s;
  cairo_surface_flush (s);
  uint8_t *data = cairo_image_surface_get_data (s);
  size_t dstride = (size_t) cairo_image_surface_get_stride (s);
  for (size_t y = 0; y < h * up; y++)
    {
      uint32_t *row = (uint32_t *) (void *) (data + y * dstride);
      const uint8_t *src = rgba + (y / up) * stride;
      for (size_t x = 0; x < w * up; x++)
        {
          const uint8_t *px = src + 4 * (x / up);
          uint32_t a = px[3];
          uint32_t r = (px[0] * a + 127) / 255, g = (px[1] * a + 127) / 255, b = (px[2] * a + 127) / 255;
          row[x] = (a << 24) | (r << 16) | (g << 8) | b;
        }
    }
  cairo_surface_mark_dirty (s);
  return s;
}

/* How many times to repeat each pixel of an image cw figure units wide. SVG
 * has no nearest filter that viewers honour, so there the blocks are baked
 * into the image; PDF (/Interpolate false) and raster targets need none. */
static size_t
cell_upscale (cairo_t *cr, double cw, size_t w)
{
  if (cairo_surface_get_type (cairo_get_target (cr)) != CAIRO_SURFACE_TYPE_SVG)
    return 1;
  double up = ceil (4.0 * cw / (double) w);
  return (size_t) CLAMP (up, 1.0, 16.0);
}

/* Paints img (w·up × h·up pixels) into the rectangle (x, y, cw, ch) with
 * nearest filtering. */
static void
paint_image (cairo_t *cr, cairo_surface_t *img, double x, double y, double cw, double ch)
{
  double iw = cairo_image_surface_get_width (img), ih = cairo_image_surface_get_height (img);
  if (!(iw > 0 && ih > 0))
    return;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, cw, ch);
  cairo_clip (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, cw / iw, ch / ih);
  cairo_set_source_surface (cr, img, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
  cairo_paint (cr);
  cairo_restore (cr);
}

/* Paints a heat map (H, W) of v through cmap into (x, y, cw, ch). */
static void
paint_heat (cairo_t *cr, const float *v, size_t h, size_t w, InvColormap cmap,
            double vmin, double vmax, double x, double y, double cw, double ch)
{
  g_autofree uint8_t *rgba = g_malloc (4 * h * w); /* (H, W, 4) */
  inv_plot_map_to_rgba (rgba, 4 * w, v, h, w, cmap, vmin, vmax);
  cairo_surface_t *img = rgba_surface (rgba, 4 * w, h, w, cell_upscale (cr, cw, w));
  paint_image (cr, img, x, y, cw, ch);
  cairo_surface_destroy (img);
}
/* ---- Saving ---- */

gboolean
inv_plot_format_from_path (const char *path, InvPlotFormat *format, GError **error)
{
  const char *dot = strrchr (path, '.');
  const char *slash = strrchr (path, '/');
  if (dot && (!slash || dot > slash))
    {
      if (g_ascii_strcasecmp (dot, ".png") == 0)
        *format = INV_PLOT_PNG;
      else if (g_ascii_strcasecmp (dot, ".svg") == 0)
        *format = INV_PLOT_SVG;
      else if (g_ascii_strcasecmp (dot, ".pdf") == 0)
        *format = INV_PLOT_PDF;
      else
        dot = NULL;
    }
  else
    dot = NULL;
  if (!dot)
    {
      g_set_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_FORMAT,
                   "%s: unknown figure format (the name must end in .png, .svg or .pdf)", path);
      return FALSE;
    }
  return TRUE;
}

static cairo_status_t
append_bytes_cb (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

gboolean
inv_plot_save (const char *path, double width, double height,
               InvPlotDrawFunc draw, const void *data, GError **error)
{
  InvPlotFormat format;
  if (!inv_plot_format_from_path (path, &format, error))
    return FALSE;
  if (!(width >= 1 && height >= 1 && width <= PLOT_MAX_SIDE && height <= PLOT_MAX_SIDE))
    {
      g_set_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_SIZE,
                   "%s: figure size %g × %g is out of range (1 to %g)",
                   path, width, height, PLOT_MAX_SIDE);
      return FALSE;
    }
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  cairo_surface_t *surf;
  switch (format)
    {
    case INV_PLOT_PNG:
      width = ceil (width);
      height = ceil (height);
      surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) width, (int) height);
      break;
    case INV_PLOT_SVG:
      surf = cairo_svg_surface_create_for_stream (append_bytes_cb, bytes, width, height);
      break;
    case INV_PLOT_PDF:
    default:
      surf = cairo_pdf_surface_create_for_stream (append_bytes_cb, bytes, width, height);
      break;
    }
  cairo_t *cr = cairo_create (surf);
  draw (cr, width, height, data);
  cairo_status_t status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && format == INV_PLOT_PNG)
    status = cairo_surface_write_to_png_stream (surf, append_bytes_cb, bytes);
  cairo_surface_finish (surf);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surf);
  cairo_surface_destroy (surf);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_CAIRO,
                   "%s: cannot draw the figure: %s", path, cairo_status_to_string (status));
      return FALSE;
    }
  GError *local = NULL;
  if (!g_file_set_contents (path, (const char *) bytes->data, (gssize) bytes->len, &local))
    {
      g_set_error (error, INV_PLOT_ERROR, INV_PLOT_ERROR_IO, "cannot write %s: %s", path, local->message);
      g_error_free (local);
      return FALSE;
    }
  return TRUE;
}

/* Text helpers. */

static void
set_font (cairo_t *cr, const InvPlotTheme *theme, double size, gboolean bold)
{
  cairo_select_font_face (cr, theme->font_family ? theme->font_family : "sans-serif",
                          CAIRO_FONT_SLANT_NORMAL,
                          bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

static double
text_width (cairo_t *cr, const char *text)
{
  cairo_text_extents_t ext;
  cairo_text_extents (cr, text, &ext);
  return ext.x_advance;
}

/* Draws text with its baseline at y, anchored at x by align (0 left,
 * 0.5 centre, 1 right), shrunk to fit max_width when that is > 0. The
 * current font size is restored afterwards. */
static void
draw_text (cairo_t *cr, const char *text, double x, double y, double align, double max_width)
{
  if (!text || !*text)
    return;
  cairo_save (cr);
  double tw = text_width (cr, text);
  if (max_width > 0 && tw > max_width)
    {
      cairo_matrix_t fm;
      cairo_get_font_matrix (cr, &fm);
      cairo_matrix_scale (&fm, max_width / tw, max_width / tw);
      cairo_set_font_matrix (cr, &fm);
      tw = max_width;
    }
  cairo_move_to (cr, x - align * tw, y);
  cairo_show_text (cr, text);
  cairo_restore (cr);
}


/* ---- Ticks ---- */

/* Ticks k·step inside [lo, hi]: how many there are. */
static double
count_ticks (double lo, double hi, double step)
{
  double eps = 1e-9 * step;
  return floor ((hi + eps) / step) - ceil ((lo - eps) / step) + 1;
}

/* Of the steps 1, 2, 5 × 10^k, the one whose tick count is closest to
 * target (the larger step on a tie). */
static double
nice_step (double lo, double hi, size_t target)
{
  static const double mult[] = { 1, 2, 5 };
  double e = floor (log10 ((hi - lo) / (double) target));
  double best = 0, best_err = INFINITY;
  for (int k = (int) e - 1; k <= (int) e + 1; k++)
    for (size_t j = 0; j < G_N_ELEMENTS (mult); j++)
      {
        double step = mult[j] * pow (10, k);
        double err = fabs (count_ticks (lo, hi, step) - (double) target);
        if (err < best_err || (err == best_err && step > best))
          best = step, best_err = err;
      }
  return best;
}

static size_t
linear_ticks (double lo, double hi, size_t target, double *ticks, size_t cap)
{
  target = MAX (target, (size_t) 2);
  double raw = (hi - lo) / (double) target;
  if (!(raw > 0) || !isfinite (raw) || !isfinite (lo))
    return 0;
  double step = nice_step (lo, hi, target), eps = 1e-9 * step;
  double k = ceil ((lo - eps) / step);
  size_t n = 0;
  for (; n < cap; k += 1)
    {
      double t = k * step;
      if (t > hi + eps)
        break;
      ticks[n++] = fabs (t) < eps ? 0 : t;
    }
  return n;
}

static size_t
log_ticks (double lo, double hi, size_t target, double *ticks, size_t cap)
{
  if (!(lo > 0 && hi > lo) || !isfinite (hi))
    return 0;
  double a = log10 (lo), b = log10 (hi);
  int k0 = (int) ceil (a - 1e-9), k1 = (int) floor (b + 1e-9);
  size_t n = 0;
  if (b - a < 3)
    {
      static const double mult[] = { 1, 2, 5 };
      for (int k = (int) floor (a); k <= k1 && n < cap; k++)
        for (size_t j = 0; j < G_N_ELEMENTS (mult) && n < cap; j++)
          {
            double t = mult[j] * pow (10, k);
            if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9))
              ticks[n++] = t;
          }
      if (n >= 2)
        return n;
      return linear_ticks (lo, hi, target, ticks, cap);
    }
  int every = 1;
  while ((size_t) ((k1 - k0) / every + 1) > MAX (target, (size_t) 2))
    every++;
  for (int k = k0; k <= k1 && n < cap; k++)
    if (((k % every) + every) % every == 0)
      ticks[n++] = pow (10, k);
  return n;
}

size_t
inv_plot_ticks (double lo, double hi, gboolean log_scale, size_t target, double *ticks, size_t cap)
{
  if (cap == 0)
    return 0;
  return log_scale ? log_ticks (lo, hi, target, ticks, cap) : linear_ticks (lo, hi, target, ticks, cap);
}

/* A tick label: base text and an optional superscript (10⁻⁵ as "10", "−5"). */
typedef struct {
  char base[48];
  char sup[16];
} TickLabel;

static void
use_minus_sign (char *s, size_t size)
{
  if (s[0] == '-' && strlen (s) + 3 < size)
    {
      memmove (s + 3, s + 1, strlen (s));
      memcpy (s, "\xe2\x88\x92", 3); /* U+2212 MINUS SIGN */
    }
}

/* ticks (n) all get the same number of decimals. */
static void
tick_labels (TickLabel *labels, const double *ticks, size_t n, gboolean log_scale)
{
  double step = 0, big = 0;
  for (size_t i = 0; i < n; i++)
    {
      big = MAX (big, fabs (ticks[i]));
      if (i > 0)
        step = step > 0 ? MIN (step, fabs (ticks[i] - ticks[i - 1])) : fabs (ticks[i] - ticks[i - 1]);
    }
  int decimals = step > 0 ? (int) -floor (log10 (step) + 1e-9) : 0;
  for (size_t i = 0; i < n; i++)
    {
      TickLabel *l = &labels[i];
      double v = ticks[i];
      l->sup[0] = 0;
      double k = log10 (fabs (v));
      if (log_scale && fabs (k - round (k)) < 1e-9 && fabs (k) > 3)
        {
          g_strlcpy (l->base, "10", sizeof l->base);
          g_snprintf (l->sup, sizeof l->sup, "%d", (int) round (k));
          use_minus_sign (l->sup, sizeof l->sup);
          continue;
        }
      if (log_scale)
        g_snprintf (l->base, sizeof l->base, "%g", v);
      else if (big >= 1e6 || decimals > 6)
        g_snprintf (l->base, sizeof l->base, "%.3g", v);
      else
        g_snprintf (l->base, sizeof l->base, "%.*f", MAX (decimals, 0), v + 0.0);
      use_minus_sign (l->base, sizeof l->base);
    }
}

static double
tick_label_width (cairo_t *cr, const TickLabel *l)
{
  double w = text_width (cr, l->base);
  if (l->sup[0])
    {
      cairo_save (cr);
      cairo_matrix_t fm;
      cairo_get_font_matrix (cr, &fm);
      cairo_matrix_scale (&fm, 0.7, 0.7);
      cairo_set_font_matrix (cr, &fm);
      w += text_width (cr, l->sup);
      cairo_restore (cr);
    }
  return w;
}

/* Draws l with its baseline at y, anchored at x by align; fs the font size. */
static void
draw_tick_label (cairo_t *cr, const TickLabel *l, double x, double y, double align, double fs)
{
  double w = tick_label_width (cr, l);
  double x0 = x - align * w;
  cairo_move_to (cr, x0, y);
  cairo_show_text (cr, l->base);
  if (l->sup[0])
    {
      cairo_save (cr);
      cairo_matrix_t fm;
      cairo_get_font_matrix (cr, &fm);
      double bw = text_width (cr, l->base);
      cairo_matrix_scale (&fm, 0.7, 0.7);
      cairo_set_font_matrix (cr, &fm);
      cairo_move_to (cr, x0 + bw, y - 0.4 * fs);
      cairo_show_text (cr, l->sup);
      cairo_restore (cr);
    }
}

/* ---- Line plots ---- */

typedef struct {
  gboolean log;
  double lo, hi;                 /* shown range, data units */
  double ticks[MAX_TICKS];
  size_t n_ticks;
} Scale;

/* Position of v on the scale: 0 at lo, 1 at hi. */
static double
scale_t (const Scale *s, double v)
{
  if (s->log)
    return (log10 (v) - log10 (s->lo)) / (log10 (s->hi) - log10 (s->lo));
  return (v - s->lo) / (s->hi - s->lo);
}

static gboolean
series_point (const InvPlotSeries *s, size_t i, gboolean xlog, gboolean ylog, double *x, double *y)
{
  *x = s->x ? s->x[i] : (double) i;
  *y = s->y ? s->y[i] : NAN;
  return isfinite (*x) && isfinite (*y) && (!xlog || *x > 0) && (!ylog || *y > 0);
}

static void
fit_scale (Scale *sc, const InvPlotAxis *ax, const InvPlotLines *p, gboolean is_x)
{
  sc->log = ax->log;
  sc->n_ticks = 0;
  if (ax->fixed && isfinite (ax->min) && isfinite (ax->max) && ax->max > ax->min
      && (!ax->log || ax->min > 0))
    {
      sc->lo = ax->min;
      sc->hi = ax->max;
      return;
    }
  double lo = INFINITY, hi = -INFINITY;
  gboolean markers = FALSE;
  for (size_t s = 0; s < p->n_series; s++)
    {
      const InvPlotSeries *se = &p->series[s];
      for (size_t i = 0; i < se->n; i++)
        {
          double x, y;
          if (!series_point (se, i, p->x.log, p->y.log, &x, &y))
            continue;
          double v = is_x ? x : y;
          lo = MIN (lo, v);
          hi = MAX (hi, v);
          markers |= se->style != INV_PLOT_STYLE_LINE;
        }
    }
  if (lo > hi)
    {
      lo = sc->log ? 1 : 0;
      hi = sc->log ? 10 : 1;
    }
  /* Lines may touch the sides; markers and the y extremes get some room. */
  double frac = is_x && !markers ? 0 : 0.05;
  if (sc->log)
    {
      double a = log10 (lo), b = log10 (hi);
      double pad = a == b ? 0.5 : frac * (b - a);
      lo = pow (10, a - pad);
      hi = pow (10, b + pad);
    }
  else if (lo == hi)
    {
      double d = lo == 0 ? 1 : 0.1 * fabs (lo);
      lo -= d;
      hi += d;
    }
  else
    {
      double pad = frac * (hi - lo);
      lo -= pad;
      hi += pad;
    }
  sc->lo = lo;
  sc->hi = hi;
}

typedef struct {
  double fs, margin;
  double ax, ay, aw, ah;         /* plot area */
  Scale sx, sy;
  InvPlotLegend legend;          /* resolved: NONE, OUTSIDE or AUTO (= inside) */
  double lx, ly, lw, lh;         /* legend box */
  size_t n_legend;
} LinesLayout;

static const InvPlotTheme *
lines_theme (const InvPlotLines *p)
{
  return p->theme ? p->theme : inv_plot_theme_default ();
}

static gboolean
has_text (const char *s)
{
  return s && *s;
}

static void
series_color (const InvPlotTheme *theme, const InvPlotSeries *s, double rgba[4])
{
  if (s->rgba[3] > 0)
    memcpy (rgba, s->rgba, sizeof s->rgba);
  else
    inv_plot_theme_series_color (theme, s->color, rgba);
}

static double
legend_text_width (cairo_t *cr, const InvPlotTheme *theme, double fs,
                   const InvPlotSeries *const *entries, size_t n)
{
  set_font (cr, theme, 0.9 * fs, FALSE);
  double w = 0;
  for (size_t i = 0; i < n; i++)
    w = MAX (w, text_width (cr, entries[i]->name));
  return w;
}

/* Sample points along the series in figure units; counts those in the box. */
static size_t
count_points_in (const InvPlotLines *p, const LinesLayout *L, double x0, double y0,
                 double x1, double y1)
{
  size_t count = 0;
  for (size_t s = 0; s < p->n_series; s++)
    {
      const InvPlotSeries *se = &p->series[s];
      gboolean have_prev = FALSE;
      double px = 0, py = 0;
      for (size_t i = 0; i < se->n; i++)
        {
          double x, y;
          if (!series_point (se, i, p->x.log, p->y.log, &x, &y))
            {
              have_prev = FALSE;
              continue;
            }
          double sx = L->ax + scale_t (&L->sx, x) * L->aw;
          double sy = L->ay + (1 - scale_t (&L->sy, y)) * L->ah;
          size_t steps = 1;
          if (have_prev && se->style != INV_PLOT_STYLE_MARKERS)
            {
              double d = hypot (sx - px, sy - py) / (0.3 * L->fs);
              steps = (size_t) CLAMP (ceil (d), 1.0, 400.0);
            }
          for (size_t k = 0; k < steps; k++)
            {
              double f = have_prev ? (double) (k + 1) / (double) steps : 1;
              double qx = px + f * (sx - px), qy = py + f * (sy - py);
              if (!have_prev)
                qx = sx, qy = sy;
              if (qx >= x0 && qx <= x1 && qy >= y0 && qy <= y1)
                count++;
            }
          px = sx;
          py = sy;
          have_prev = TRUE;
        }
    }
  return count;
}

static void
collect_legend (const InvPlotLines *p, const InvPlotSeries **entries, size_t *n)
{
  *n = 0;
  for (size_t s = 0; s < p->n_series; s++)
    if (has_text (p->series[s].name))
      entries[(*n)++] = &p->series[s];
}

static void
lines_layout_mode (cairo_t *cr, double width, double height, const InvPlotLines *p,
                   InvPlotLegend mode, LinesLayout *L)
{
  const InvPlotTheme *theme = lines_theme (p);
  double fs = theme_fs (theme);
  memset (L, 0, sizeof *L);
  L->fs = fs;
  L->margin = 0.6 * fs;
  double top = L->margin + (has_text (p->title) ? 1.9 * fs : 0.5 * fs);
  double bottom = height - L->margin - (has_text (p->x.label) ? 1.5 * fs : 0) - 1.5 * fs;
  fit_scale (&L->sx, &p->x, p, TRUE);
  fit_scale (&L->sy, &p->y, p, FALSE);

  size_t ty = (size_t) CLAMP ((bottom - top) / (3.2 * fs), 3.0, 11.0);
  L->sy.n_ticks = inv_plot_ticks (L->sy.lo, L->sy.hi, L->sy.log, ty, L->sy.ticks, MAX_TICKS);
  TickLabel labels[MAX_TICKS];
  tick_labels (labels, L->sy.ticks, L->sy.n_ticks, L->sy.log);
  set_font (cr, theme, 0.85 * fs, FALSE);
  double ytw = 0;
  for (size_t i = 0; i < L->sy.n_ticks; i++)
    ytw = MAX (ytw, tick_label_width (cr, &labels[i]));
  double left = L->margin + (has_text (p->y.label) ? 1.5 * fs : 0) + ytw + 0.7 * fs;
  double right = width - L->margin - 1.0 * fs;

  const InvPlotSeries *entries[256];
  size_t n_entries = 0;
  if (p->n_series <= G_N_ELEMENTS (entries))
    collect_legend (p, entries, &n_entries);
  L->n_legend = n_entries;
  L->legend = n_entries ? mode : INV_PLOT_LEGEND_NONE;
  if (L->legend != INV_PLOT_LEGEND_NONE)
    {
      L->lw = legend_text_width (cr, theme, fs, entries, n_entries) + 3.4 * fs;
      L->lh = (double) n_entries * 1.3 * fs + 0.6 * fs;
    }
  if (L->legend == INV_PLOT_LEGEND_OUTSIDE)
    right = width - L->margin - L->lw - 0.8 * fs;

  L->ax = left;
  L->ay = top;
  L->aw = MAX (right - left, 1.0);
  L->ah = MAX (bottom - top, 1.0);

  /* Fewer x ticks until their labels do not touch. */
  set_font (cr, theme, 0.85 * fs, FALSE);
  for (size_t tx = (size_t) CLAMP (L->aw / (5.5 * fs), 3.0, 11.0);; tx--)
    {
      L->sx.n_ticks = inv_plot_ticks (L->sx.lo, L->sx.hi, L->sx.log, tx, L->sx.ticks, MAX_TICKS);
      tick_labels (labels, L->sx.ticks, L->sx.n_ticks, L->sx.log);
      gboolean fits = TRUE;
      for (size_t i = 1; i < L->sx.n_ticks && fits; i++)
        {
          double gap = (scale_t (&L->sx, L->sx.ticks[i]) - scale_t (&L->sx, L->sx.ticks[i - 1])) * L->aw;
          double need = 0.5 * (tick_label_width (cr, &labels[i]) + tick_label_width (cr, &labels[i - 1]))
                        + 0.8 * fs;
          fits = gap >= need;
        }
      if (fits || tx <= 2)
        break;
    }

  if (L->legend == INV_PLOT_LEGEND_OUTSIDE)
    {
      L->lx = width - L->margin - L->lw;
      L->ly = top;
    }
  else if (L->legend == INV_PLOT_LEGEND_AUTO)
    {
      /* Corners in order of preference: top right, top left, bottom right,
       * bottom left; the first that covers the fewest data points wins. */
      double in = 0.5 * fs;
      double xs[4] = { L->ax + L->aw - in - L->lw, L->ax + in, L->ax + L->aw - in - L->lw, L->ax + in };
      double ys[4] = { L->ay + in, L->ay + in, L->ay + L->ah - in - L->lh, L->ay + L->ah - in - L->lh };
      size_t best = 0, best_count = SIZE_MAX;
      for (size_t c = 0; c < 4; c++)
        {
          double pad = 0.3 * fs;
          size_t count = count_points_in (p, L, xs[c] - pad, ys[c] - pad, xs[c] + L->lw + pad,
                                          ys[c] + L->lh + pad);
          if (count < best_count)
            best = c, best_count = count;
        }
      L->lx = xs[best];
      L->ly = ys[best];
      L->legend = best_count == 0 ? INV_PLOT_LEGEND_AUTO : INV_PLOT_LEGEND_OUTSIDE;
    }
}

static void
lines_layout (cairo_t *cr, double width, double height, const InvPlotLines *p, LinesLayout *L)
{
  lines_layout_mode (cr, width, height, p, p->legend, L);
  /* AUTO found every corner covering data: move the legend out when the
   * plot keeps most of its width, else keep the least bad corner. */
  if (p->legend == INV_PLOT_LEGEND_AUTO && L->legend == INV_PLOT_LEGEND_OUTSIDE)
    {
      if (L->lw + 0.8 * L->fs < 0.4 * width)
        lines_layout_mode (cr, width, height, p, INV_PLOT_LEGEND_OUTSIDE, L);
      else
        L->legend = INV_PLOT_LEGEND_AUTO;
    }
}

void
inv_plot_lines_frame (cairo_t *cr, double width, double height, const InvPlotLines *lines,
                      InvPlotFrame *frame)
{
  LinesLayout L;
  cairo_save (cr);
  lines_layout (cr, width, height, lines, &L);
  cairo_restore (cr);
  frame->area_x = L.ax;
  frame->area_y = L.ay;
  frame->area_w = L.aw;
  frame->area_h = L.ah;
  frame->x_min = L.sx.lo;
  frame->x_max = L.sx.hi;
  frame->y_min = L.sy.lo;
  frame->y_max = L.sy.hi;
  gboolean shown = L.legend != INV_PLOT_LEGEND_NONE;
  frame->legend_x = shown ? L.lx : 0;
  frame->legend_y = shown ? L.ly : 0;
  frame->legend_w = shown ? L.lw : 0;
  frame->legend_h = shown ? L.lh : 0;
}

static void
set_series_style (cairo_t *cr, const InvPlotSeries *s, double u)
{
  cairo_set_line_width (cr, 1.8 * u);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  if (s->dashed)
    {
      double dash[2] = { 5 * u, 3.5 * u };
      cairo_set_dash (cr, dash, 2, 0);
    }
  else
    cairo_set_dash (cr, NULL, 0, 0);
}

static void
draw_dot (cairo_t *cr, double x, double y, double r)
{
  cairo_new_sub_path (cr);
  cairo_arc (cr, x, y, r, 0, 2 * G_PI);
}

/* A legend entry's swatch, centred vertically on y, from x over len. */
static void
draw_swatch (cairo_t *cr, const InvPlotTheme *theme, const InvPlotSeries *s, double x,
             double y, double len, double u)
{
  double c[4];
  series_color (theme, s, c);
  cairo_save (cr);
  set_rgba (cr, c);
  set_series_style (cr, s, u);
  if (s->style != INV_PLOT_STYLE_MARKERS)
    {
      cairo_move_to (cr, x, y);
      cairo_line_to (cr, x + len, y);
      cairo_stroke (cr);
    }
  if (s->style != INV_PLOT_STYLE_LINE)
    {
      draw_dot (cr, x + len / 2, y, 2.8 * u);
      cairo_fill (cr);
    }
  cairo_restore (cr);
}

static void
draw_series (cairo_t *cr, const InvPlotTheme *theme, const InvPlotLines *p,
             const InvPlotSeries *s, const LinesLayout *L)
{
  double u = L->fs / 12, c[4];
  series_color (theme, s, c);
  set_rgba (cr, c);
  set_series_style (cr, s, u);
  cairo_new_path (cr);
  /* Screen positions are clamped far outside the area, where the clip
   * hides them, so that Cairo's fixed-point coordinates do not overflow. */
  double lim = 1e5;
  gboolean prev_ok = FALSE;
  for (size_t i = 0; i < s->n; i++)
    {
      double x, y;
      gboolean ok = series_point (s, i, p->x.log, p->y.log, &x, &y);
      if (ok)
        {
          double sx = CLAMP (L->ax + scale_t (&L->sx, x) * L->aw, -lim, lim);
          double sy = CLAMP (L->ay + (1 - scale_t (&L->sy, y)) * L->ah, -lim, lim);
          double nx, ny;
          gboolean next_ok = i + 1 < s->n && series_point (s, i + 1, p->x.log, p->y.log, &nx, &ny);
          if (s->style != INV_PLOT_STYLE_MARKERS)
            {
              if (prev_ok)
                cairo_line_to (cr, sx, sy);
              else
                cairo_move_to (cr, sx, sy);
              if (!prev_ok && !next_ok)
                {
                  /* an isolated point would not show as a line */
                  cairo_stroke (cr);
                  draw_dot (cr, sx, sy, 1.5 * u);
                  cairo_fill (cr);
                }
            }
        }
      prev_ok = ok;
    }
  cairo_stroke (cr);
  if (s->style != INV_PLOT_STYLE_LINE)
    {
      for (size_t i = 0; i < s->n; i++)
        {
          double x, y;
          if (!series_point (s, i, p->x.log, p->y.log, &x, &y))
            continue;
          double sx = CLAMP (L->ax + scale_t (&L->sx, x) * L->aw, -lim, lim);
          double sy = CLAMP (L->ay + (1 - scale_t (&L->sy, y)) * L->ah, -lim, lim);
          draw_dot (cr, sx, sy, 2.8 * u);
        }
      cairo_fill (cr);
    }
}

/* A legend box: entries stacked in (x, y, w, h). */
static void
draw_legend_box (cairo_t *cr, const InvPlotTheme *theme, const InvPlotSeries *const *entries,
                 size_t n, double x, double y, double w, double h, double fs)
{
  double u = fs / 12;
  cairo_save (cr);
  cairo_rectangle (cr, x, y, w, h);
  if (theme->background[3] > 0)
    {
      cairo_set_source_rgba (cr, theme->background[0], theme->background[1],
                             theme->background[2], 0.9 * theme->background[3]);
      cairo_fill_preserve (cr);
    }
  set_grid_color (cr, theme);
  cairo_set_line_width (cr, u);
  cairo_stroke (cr);
  set_font (cr, theme, 0.9 * fs, FALSE);
  for (size_t i = 0; i < n; i++)
    {
      double cy = y + 0.3 * fs + ((double) i + 0.5) * 1.3 * fs;
      draw_swatch (cr, theme, entries[i], x + 0.5 * fs, cy, 1.8 * fs, u);
      set_rgba (cr, theme->foreground);
      draw_text (cr, entries[i]->name, x + 2.8 * fs, cy + 0.32 * fs, 0, 0);
    }
  cairo_restore (cr);
}

void
inv_plot_lines_draw (cairo_t *cr, double width, double height, const void *data)
{
  const InvPlotLines *p = data;
  const InvPlotTheme *theme = lines_theme (p);
  cairo_save (cr);
  paint_background (cr, theme);
  LinesLayout L;
  lines_layout (cr, width, height, p, &L);
  double fs = L.fs, u = fs / 12;

  if (has_text (p->title))
    {
      set_rgba (cr, theme->foreground);
      set_font (cr, theme, 1.1 * fs, TRUE);
      /* centred over the plot area, but kept inside the figure */
      double avail = width - 2 * L.margin;
      double tw = MIN (text_width (cr, p->title), avail);
      double cx = CLAMP (L.ax + L.aw / 2, L.margin + tw / 2, width - L.margin - tw / 2);
      draw_text (cr, p->title, cx, L.margin + 1.15 * fs, 0.5, avail);
    }

  /* grid */
  set_grid_color (cr, theme);
  cairo_set_line_width (cr, u);
  for (size_t i = 0; i < L.sx.n_ticks; i++)
    {
      double x = L.ax + scale_t (&L.sx, L.sx.ticks[i]) * L.aw;
      cairo_move_to (cr, x, L.ay);
      cairo_line_to (cr, x, L.ay + L.ah);
    }
  for (size_t i = 0; i < L.sy.n_ticks; i++)
    {
      double y = L.ay + (1 - scale_t (&L.sy, L.sy.ticks[i])) * L.ah;
      cairo_move_to (cr, L.ax, y);
      cairo_line_to (cr, L.ax + L.aw, y);
    }
  cairo_stroke (cr);

  /* frame, ticks and their labels */
  set_rgba (cr, theme->foreground);
  cairo_rectangle (cr, L.ax, L.ay, L.aw, L.ah);
  cairo_stroke (cr);
  double tick = 0.35 * fs;
  TickLabel labels[MAX_TICKS];
  set_font (cr, theme, 0.85 * fs, FALSE);
  tick_labels (labels, L.sx.ticks, L.sx.n_ticks, L.sx.log);
  for (size_t i = 0; i < L.sx.n_ticks; i++)
    {
      double x = L.ax + scale_t (&L.sx, L.sx.ticks[i]) * L.aw;
      cairo_move_to (cr, x, L.ay + L.ah);
      cairo_line_to (cr, x, L.ay + L.ah + tick);
      cairo_stroke (cr);
      draw_tick_label (cr, &labels[i], x, L.ay + L.ah + tick + 0.95 * fs, 0.5, 0.85 * fs);
    }
  tick_labels (labels, L.sy.ticks, L.sy.n_ticks, L.sy.log);
  for (size_t i = 0; i < L.sy.n_ticks; i++)
    {
      double y = L.ay + (1 - scale_t (&L.sy, L.sy.ticks[i])) * L.ah;
      cairo_move_to (cr, L.ax - tick, y);
      cairo_line_to (cr, L.ax, y);
      cairo_stroke (cr);
      draw_tick_label (cr, &labels[i], L.ax - tick - 0.25 * fs, y + 0.3 * fs, 1.0, 0.85 * fs);
    }

  /* axis labels */
  set_font (cr, theme, fs, FALSE);
  if (has_text (p->x.label))
    draw_text (cr, p->x.label, L.ax + L.aw / 2, height - L.margin - 0.3 * fs, 0.5, L.aw);
  if (has_text (p->y.label))
    {
      cairo_save (cr);
      cairo_translate (cr, L.margin + 0.9 * fs, L.ay + L.ah / 2);
      cairo_rotate (cr, -G_PI / 2);
      draw_text (cr, p->y.label, 0, 0, 0.5, L.ah);
      cairo_restore (cr);
    }

  /* data, clipped to the area */
  cairo_save (cr);
  cairo_rectangle (cr, L.ax, L.ay, L.aw, L.ah);
  cairo_clip (cr);
  for (size_t s = 0; s < p->n_series; s++)
    draw_series (cr, theme, p, &p->series[s], &L);
  if (p->show_marker && isfinite (p->marker_x) && (!p->x.log || p->marker_x > 0))
    {
      double x = L.ax + scale_t (&L.sx, p->marker_x) * L.aw;
      cairo_set_source_rgba (cr, theme->foreground[0], theme->foreground[1],
                             theme->foreground[2], 0.6 * theme->foreground[3]);
      cairo_set_line_width (cr, 1.5 * u);
      cairo_set_dash (cr, NULL, 0, 0);
      cairo_move_to (cr, CLAMP (x, -1e5, 1e5), L.ay);
      cairo_line_to (cr, CLAMP (x, -1e5, 1e5), L.ay + L.ah);
      cairo_stroke (cr);
    }
  cairo_restore (cr);

  if (L.legend != INV_PLOT_LEGEND_NONE)
    {
      const InvPlotSeries *entries[256];
      size_t n = 0;
      if (p->n_series <= G_N_ELEMENTS (entries))
        collect_legend (p, entries, &n);
      draw_legend_box (cr, theme, entries, n, L.lx, L.ly, L.lw, L.lh, fs);
    }
  cairo_restore (cr);
}

/* ---- Small multiples ---- */

static const InvPlotTheme *
mp_theme (const InvPlotMultiples *mp)
{
  return mp->theme ? mp->theme : inv_plot_theme_default ();
}

static size_t
mp_cols (const InvPlotMultiples *mp)
{
  size_t P = mp->n_panels;
  if (P == 0)
    return 1;
  if (mp->cols)
    return MIN (mp->cols, P);
  if (P <= 3)
    return P;
  if (P == 4)
    return 2;
  return (size_t) ceil (sqrt (1.5 * (double) P));
}

/* The distinct series names over every panel, first occurrence first. */
static GPtrArray *
mp_legend_entries (const InvPlotMultiples *mp)
{
  GPtrArray *e = g_ptr_array_new ();
  for (size_t k = 0; k < mp->n_panels; k++)
    for (size_t s = 0; s < mp->panels[k].n_series; s++)
      {
        const InvPlotSeries *se = &mp->panels[k].series[s];
        if (!has_text (se->name))
          continue;
        gboolean seen = FALSE;
        for (size_t j = 0; j < e->len && !seen; j++)
          seen = g_str_equal (((const InvPlotSeries *) e->pdata[j])->name, se->name);
        if (!seen)
          g_ptr_array_add (e, (gpointer) se);
      }
  return e;
}

/* Lays the legend entries out in centred lines of at most avail width;
 * returns the number of lines, and each entry's width in widths (n). */
static size_t
flow_legend (cairo_t *cr, const InvPlotTheme *theme, double fs, GPtrArray *e, double avail,
             double *widths)
{
  set_font (cr, theme, 0.9 * fs, FALSE);
  size_t lines = e->len ? 1 : 0;
  double x = 0;
  for (size_t i = 0; i < e->len; i++)
    {
      widths[i] = 2.3 * fs + text_width (cr, ((const InvPlotSeries *) e->pdata[i])->name) + 1.4 * fs;
      if (x > 0 && x + widths[i] > avail)
        {
          lines++;
          x = 0;
        }
      x += widths[i];
    }
  return lines;
}

void
inv_plot_multiples_size (const InvPlotMultiples *mp, double panel_w, double panel_h,
                         double *width, double *height)
{
  const InvPlotTheme *theme = mp_theme (mp);
  double fs = theme_fs (theme), margin = 0.6 * fs;
  size_t cols = mp_cols (mp), rows = (mp->n_panels + cols - 1) / cols;
  *width = 2 * margin + (double) cols * panel_w;
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surf);
  g_autoptr (GPtrArray) e = mp_legend_entries (mp);
  g_autofree double *widths = g_new (double, e->len + 1);
  size_t lines = flow_legend (cr, theme, fs, e, *width - 2 * margin, widths);
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
  *height = 2 * margin + (has_text (mp->title) ? 2.0 * fs : 0) + (double) MAX (rows, (size_t) 1) * panel_h
            + (lines ? (double) lines * 1.4 * fs + 0.6 * fs : 0);
}

void
inv_plot_multiples_draw (cairo_t *cr, double width, double height, const void *data)
{
  const InvPlotMultiples *mp = data;
  const InvPlotTheme *theme = mp_theme (mp);
  double fs = theme_fs (theme), margin = 0.6 * fs, u = fs / 12;
  cairo_save (cr);
  paint_background (cr, theme);
  double top = margin;
  if (has_text (mp->title))
    {
      set_rgba (cr, theme->foreground);
      set_font (cr, theme, 1.2 * fs, TRUE);
      draw_text (cr, mp->title, width / 2, margin + 1.3 * fs, 0.5, width - 2 * margin);
      top += 2.0 * fs;
    }
  g_autoptr (GPtrArray) e = mp_legend_entries (mp);
  g_autofree double *widths = g_new (double, e->len + 1);
  size_t lines = flow_legend (cr, theme, fs, e, width - 2 * margin, widths);
  double legend_h = lines ? (double) lines * 1.4 * fs + 0.6 * fs : 0;

  size_t cols = mp_cols (mp), rows = (mp->n_panels + cols - 1) / cols;
  double pw = (width - 2 * margin) / (double) cols;
  double ph = (height - top - margin - legend_h) / (double) MAX (rows, (size_t) 1);
  InvPlotTheme panel_theme = *theme;
  panel_theme.background[3] = 0;
  if (pw >= 1 && ph >= 1)
    for (size_t k = 0; k < mp->n_panels; k++)
      {
        InvPlotLines panel = mp->panels[k];
        panel.legend = INV_PLOT_LEGEND_NONE;
        panel.theme = &panel_theme;
        cairo_save (cr);
        cairo_translate (cr, margin + (double) (k % cols) * pw, top + (double) (k / cols) * ph);
        cairo_rectangle (cr, 0, 0, pw, ph);
        cairo_clip (cr);
        inv_plot_lines_draw (cr, pw, ph, &panel);
        cairo_restore (cr);
      }

  /* the shared legend, in centred lines under the panels */
  set_font (cr, theme, 0.9 * fs, FALSE);
  double y = height - margin - legend_h + 0.3 * fs;
  for (size_t i = 0; i < e->len;)
    {
      size_t j = i;
      double line_w = 0;
      while (j < e->len && (j == i || line_w + widths[j] <= width - 2 * margin))
        line_w += widths[j++];
      double x = (width - line_w + 1.4 * fs) / 2;
      double cy = y + 0.7 * fs;
      for (; i < j; i++)
        {
          const InvPlotSeries *se = e->pdata[i];
          draw_swatch (cr, theme, se, x, cy, 1.8 * fs, u);
          set_rgba (cr, theme->foreground);
          draw_text (cr, se->name, x + 2.3 * fs, cy + 0.32 * fs, 0, 0);
          x += widths[i];
        }
      y += 1.4 * fs;
    }
  cairo_restore (cr);
}

/* ---- Colour bar and heat map ---- */

/* Width of a vertical colour bar with its tick labels and label. */
static double
colorbar_width (cairo_t *cr, const InvPlotTheme *theme, double vmin, double vmax,
                const char *label)
{
  double fs = theme_fs (theme), ticks[MAX_TICKS];
  size_t n = inv_plot_ticks (vmin, vmax, FALSE, 5, ticks, MAX_TICKS);
  TickLabel labels[MAX_TICKS];
  tick_labels (labels, ticks, n, FALSE);
  set_font (cr, theme, 0.85 * fs, FALSE);
  double tw = 0;
  for (size_t i = 0; i < n; i++)
    tw = MAX (tw, tick_label_width (cr, &labels[i]));
  return 1.0 * fs + 0.6 * fs + tw + (has_text (label) ? 1.7 * fs : 0);
}

/* A vertical colour bar at (x, y), 1 fs wide and h high, vmax at the top,
 * with ticks at its right and the label rotated beyond them. */
static void
draw_colorbar (cairo_t *cr, const InvPlotTheme *theme, InvColormap cmap, double vmin,
               double vmax, const char *label, double x, double y, double h)
{
  enum { STEPS = 256 };
  double fs = theme_fs (theme), bw = fs, u = fs / 12;
  float values[STEPS]; /* (STEPS, 1), top = high */
  for (size_t i = 0; i < STEPS; i++)
    values[i] = (float) (vmax - ((double) i + 0.5) / STEPS * (vmax - vmin));
  uint8_t rgba[STEPS * 4];
  inv_plot_map_to_rgba (rgba, 4, values, STEPS, 1, cmap, vmin, vmax);
  cairo_surface_t *img = rgba_surface (rgba, 4, STEPS, 1, 1);
  cairo_save (cr);
  paint_image (cr, img, x, y, bw, h);
  cairo_surface_destroy (img);

  set_rgba (cr, theme->foreground);
  cairo_set_line_width (cr, u);
  cairo_rectangle (cr, x, y, bw, h);
  cairo_stroke (cr);
  double ticks[MAX_TICKS];
  size_t n = inv_plot_ticks (vmin, vmax, FALSE, 5, ticks, MAX_TICKS);
  TickLabel labels[MAX_TICKS];
  tick_labels (labels, ticks, n, FALSE);
  set_font (cr, theme, 0.85 * fs, FALSE);
  double tw = 0;
  for (size_t i = 0; i < n; i++)
    {
      double ty = y + (1 - (ticks[i] - vmin) / (vmax - vmin)) * h;
      cairo_move_to (cr, x + bw, ty);
      cairo_line_to (cr, x + bw + 0.3 * fs, ty);
      cairo_stroke (cr);
      draw_tick_label (cr, &labels[i], x + bw + 0.45 * fs, ty + 0.3 * fs, 0, 0.85 * fs);
      tw = MAX (tw, tick_label_width (cr, &labels[i]));
    }
  if (has_text (label))
    {
      set_font (cr, theme, 0.9 * fs, FALSE);
      cairo_translate (cr, x + bw + 0.6 * fs + tw + 1.1 * fs, y + h / 2);
      cairo_rotate (cr, -G_PI / 2);
      draw_text (cr, label, 0, 0, 0.5, MAX (h, 4 * fs));
    }
  cairo_restore (cr);
}

static void
heatmap_range (const InvPlotHeatmap *hm, double *vmin, double *vmax)
{
  if (hm->fixed_range && isfinite (hm->vmin) && isfinite (hm->vmax) && hm->vmax > hm->vmin)
    {
      *vmin = hm->vmin;
      *vmax = hm->vmax;
    }
  else
    inv_plot_value_range (hm->map, hm->map ? hm->h * hm->w : 0, hm->cmap, vmin, vmax);
}

void
inv_plot_heatmap_draw (cairo_t *cr, double width, double height, const void *data)
{
  const InvPlotHeatmap *hm = data;
  const InvPlotTheme *theme = hm->theme ? hm->theme : inv_plot_theme_default ();
  double fs = theme_fs (theme), margin = 0.8 * fs;
  cairo_save (cr);
  paint_background (cr, theme);
  double top = margin;
  if (has_text (hm->title))
    {
      set_rgba (cr, theme->foreground);
      set_font (cr, theme, 1.1 * fs, TRUE);
      draw_text (cr, hm->title, width / 2, margin + 1.15 * fs, 0.5, width - 2 * margin);
      top += 2.0 * fs;
    }
  if (!hm->map || hm->h == 0 || hm->w == 0 || hm->h > SIZE_MAX / 4 / hm->w)
    goto done;
  double vmin, vmax;
  heatmap_range (hm, &vmin, &vmax);
  double bar = colorbar_width (cr, theme, vmin, vmax, hm->bar_label) + 1.0 * fs;
  double aw = width - 2 * margin - bar, ah = height - top - margin - 0.5 * fs;
  double mw = MIN (aw, ah * (double) hm->w / (double) hm->h);
  if (!(mw > 0))
    goto done;
  double mh = mw * (double) hm->h / (double) hm->w;
  double x = (width - mw - bar) / 2, y = top + (ah - mh) / 2;
  paint_heat (cr, hm->map, hm->h, hm->w, hm->cmap, vmin, vmax, x, y, mw, mh);
  draw_colorbar (cr, theme, hm->cmap, vmin, vmax, hm->bar_label, x + mw + 1.0 * fs, y, mh);
done:
  cairo_restore (cr);
}

/* ---- Image grid ---- */

/* Image grid layout, in figure units. */
typedef struct {
  double margin, gap;
  double title_h, caption_h, row_title_w;
  double fs;
} GridLayout;

static const InvPlotTheme *
grid_theme (const InvPlotImageGrid *g)
{
  return g->theme ? g->theme : inv_plot_theme_default ();
}

static gboolean
grid_has_captions (const InvPlotImageGrid *g)
{
  if (!g->captions)
    return FALSE;
  for (size_t i = 0; i < g->rows * g->cols; i++)
    if (g->captions[i] && *g->captions[i])
      return TRUE;
  return FALSE;
}

static void
grid_layout (cairo_t *cr, const InvPlotImageGrid *g, GridLayout *lay)
{
  const InvPlotTheme *theme = grid_theme (g);
  double fs = theme->font_size > 0 ? theme->font_size : 12;
  lay->fs = fs;
  lay->margin = 0.8 * fs;
  lay->gap = 0.6 * fs;
  lay->title_h = g->title && *g->title ? 2.0 * fs : 0;
  lay->caption_h = grid_has_captions (g) ? 1.6 * fs : 0;
  lay->row_title_w = 0;
  if (g->row_titles)
    {
      set_font (cr, theme, fs, FALSE);
      for (size_t r = 0; r < g->rows; r++)
        if (g->row_titles[r])
          lay->row_title_w = MAX (lay->row_title_w, text_width (cr, g->row_titles[r]));
      if (lay->row_title_w > 0)
        lay->row_title_w += 0.8 * fs;
    }
}

void
inv_plot_image_grid_size (const InvPlotImageGrid *grid, double cell_px,
                          double *width, double *height)
{
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surf);
  GridLayout lay;
  grid_layout (cr, grid, &lay);
  double cols = (double) grid->cols, rows = (double) grid->rows;
  double cell_h = grid->w ? cell_px * (double) grid->h / (double) grid->w : cell_px;
  *width = 2 * lay.margin + lay.row_title_w + cols * cell_px + MAX (cols - 1, 0) * lay.gap;
  *height = 2 * lay.margin + lay.title_h + rows * (cell_h + lay.caption_h)
            + MAX (rows - 1, 0) * lay.gap;
  if (grid->title && *grid->title)
    {
      set_font (cr, grid_theme (grid), 1.25 * lay.fs, TRUE);
      *width = MAX (*width, text_width (cr, grid->title) + 2 * lay.margin);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
}

/* A Cairo image of one grayscale cell: (H, W) floats → RGB24, each pixel
 * repeated up × up times. */
static cairo_surface_t *
cell_surface (const float *img, size_t h, size_t w, size_t up)
{
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) (w * up), (int) (h * up));
  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS)
    return s;
  cairo_surface_flush (s);
  uint8_t *data = cairo_image_surface_get_data (s);
  size_t stride = (size_t) cairo_image_surface_get_stride (s);
  for (size_t y = 0; y < h * up; y++)
    {
      uint32_t *row = (uint32_t *) (void *) (data + y * stride);
      const float *src = img + (y / up) * w;
      for (size_t x = 0; x < w * up; x++)
        {
          float v = src[x / up];
          v = isfinite (v) ? CLAMP (v, 0.0f, 1.0f) : 0.0f;
          uint32_t c = (uint32_t) lrintf (v * 255.0f);
          row[x] = 0xff000000u | (c << 16) | (c << 8) | c;
        }
    }
  cairo_surface_mark_dirty (s);
  return s;
}

void
inv_plot_image_grid_draw (cairo_t *cr, double width, double height, const void *data)
{
  const InvPlotImageGrid *g = data;
  const InvPlotTheme *theme = grid_theme (g);
  cairo_save (cr);
  if (theme->background[3] > 0)
    {
      cairo_set_source_rgba (cr, theme->background[0], theme->background[1],
                             theme->background[2], theme->background[3]);
      cairo_paint (cr);
    }
  cairo_set_source_rgba (cr, theme->foreground[0], theme->foreground[1],
                         theme->foreground[2], theme->foreground[3]);
  GridLayout lay;
  grid_layout (cr, g, &lay);
  double fs = lay.fs;

  if (lay.title_h > 0)
    {
      set_font (cr, theme, 1.25 * fs, TRUE);
      draw_text (cr, g->title, width / 2, lay.margin + 1.3 * fs, 0.5, width - 2 * lay.margin);
    }
  if (g->rows == 0 || g->cols == 0 || g->h == 0 || g->w == 0)
    goto done;

  double cols = (double) g->cols, rows = (double) g->rows;
  double aw = width - 2 * lay.margin - lay.row_title_w - (cols - 1) * lay.gap;
  double ah = height - 2 * lay.margin - lay.title_h - rows * lay.caption_h - (rows - 1) * lay.gap;
  double cw = MIN (aw / cols, ah / rows * (double) g->w / (double) g->h);
  if (!(cw > 0))
    goto done;
  double ch = cw * (double) g->h / (double) g->w;
  double grid_w = cols * cw + (cols - 1) * lay.gap;
  double grid_h = rows * (ch + lay.caption_h) + (rows - 1) * lay.gap;
  double x0 = lay.margin + lay.row_title_w + (aw + (cols - 1) * lay.gap - grid_w) / 2;
  double y0 = lay.margin + lay.title_h
              + (ah + rows * lay.caption_h + (rows - 1) * lay.gap - grid_h) / 2;

  set_font (cr, theme, fs, FALSE);
  for (size_t r = 0; r < g->rows; r++)
    {
      double y = y0 + (double) r * (ch + lay.caption_h + lay.gap);
      if (g->row_titles && g->row_titles[r])
        draw_text (cr, g->row_titles[r], x0 - 0.8 * fs, y + ch / 2 + 0.35 * fs, 1.0,
                   lay.row_title_w);
      for (size_t c = 0; c < g->cols; c++)
        {
          size_t i = r * g->cols + c;
          double x = x0 + (double) c * (cw + lay.gap);
          if (g->images && g->images[i])
            {
              size_t up = cell_upscale (cr, cw, g->w);
              cairo_surface_t *img = cell_surface (g->images[i], g->h, g->w, up);
              cairo_save (cr);
              cairo_rectangle (cr, x, y, cw, ch);
              cairo_clip (cr);
              cairo_translate (cr, x, y);
              cairo_scale (cr, cw / (double) (g->w * up), ch / (double) (g->h * up));
              cairo_set_source_surface (cr, img, 0, 0);
              cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
              cairo_pattern_set_extend (cairo_get_source (cr), CAIRO_EXTEND_PAD);
              cairo_paint (cr);
              cairo_restore (cr);
              cairo_surface_destroy (img);
            }
          if (g->captions && g->captions[i])
            draw_text (cr, g->captions[i], x + cw / 2, y + ch + 1.2 * fs, 0.5, cw + lay.gap * 0.8);
        }
    }
done:
  cairo_restore (cr);
}

/* ---- Saliency grid ---- */

static const InvPlotTheme *
sal_theme (const InvPlotSaliencyGrid *g)
{
  return g->theme ? g->theme : inv_plot_theme_default ();
}

void
inv_plot_saliency_grid_range (const InvPlotSaliencyGrid *g, size_t row, double *vmin, double *vmax)
{
  size_t r0 = g->scale == INV_PLOT_SCALE_SHARED ? 0 : row;
  size_t r1 = g->scale == INV_PLOT_SCALE_SHARED ? g->rows : MIN (row + 1, g->rows);
  size_t n = g->h * g->w;
  double m = 0;
  for (size_t r = r0; g->maps && r < r1; r++)
    for (size_t c = 0; c < g->cols; c++)
      {
        const float *map = g->maps[r * g->cols + c];
        for (size_t p = 0; map && p < n; p++)
          if (isfinite (map[p]))
            m = MAX (m, fabs ((double) map[p]));
      }
  if (!(m > 0))
    m = 1;
  *vmin = inv_colormap_is_diverging (g->cmap) ? -m : 0;
  *vmax = m;
}

typedef struct {
  double fs, margin, title_h, col_title_h, caption_h, row_title_w;
  double col_gap, row_gap, inner_gap, bar_w;
  size_t per_cell;               /* images side by side in a cell */
  double bar_min, bar_max;
  const char *bar_label;
} SalLayout;

static void
sal_layout (cairo_t *cr, const InvPlotSaliencyGrid *g, SalLayout *L, char *label_buf, size_t label_size)
{
  const InvPlotTheme *theme = sal_theme (g);
  double fs = theme_fs (theme);
  gboolean div = inv_colormap_is_diverging (g->cmap);
  L->fs = fs;
  L->margin = 0.8 * fs;
  L->title_h = has_text (g->title) ? 2.0 * fs : 0;
  L->col_title_h = 0;
  for (size_t c = 0; g->col_titles && c < g->cols; c++)
    if (has_text (g->col_titles[c]))
      L->col_title_h = 1.5 * fs;
  L->caption_h = 0;
  for (size_t i = 0; g->captions && i < g->rows * g->cols; i++)
    if (has_text (g->captions[i]))
      L->caption_h = 1.5 * fs;
  L->row_title_w = 0;
  set_font (cr, theme, fs, FALSE);
  for (size_t r = 0; g->row_titles && r < g->rows; r++)
    if (has_text (g->row_titles[r]))
      L->row_title_w = MAX (L->row_title_w, MIN (text_width (cr, g->row_titles[r]), 14 * fs));
  if (L->row_title_w > 0)
    L->row_title_w += 0.8 * fs;
  L->col_gap = 1.0 * fs;
  L->row_gap = 0.6 * fs;
  L->inner_gap = 0.25 * fs;
  L->per_cell = g->layout == INV_PLOT_SALIENCY_OVERLAY ? 1 : 2;
  if (g->scale == INV_PLOT_SCALE_SHARED)
    inv_plot_saliency_grid_range (g, 0, &L->bar_min, &L->bar_max);
  else
    {
      L->bar_min = div ? -1 : 0;
      L->bar_max = 1;
    }
  if (has_text (g->bar_label))
    L->bar_label = g->bar_label;
  else
    {
      g_snprintf (label_buf, label_size, "%s%s", div ? "saliency" : "|saliency|",
                  g->scale == INV_PLOT_SCALE_SHARED ? "" : " / row max");
      L->bar_label = label_buf;
    }
  L->bar_w = colorbar_width (cr, theme, L->bar_min, L->bar_max, L->bar_label) + 1.2 * fs;
}

/* The figure's fixed part (everything but the images) across and down. */
static void
sal_fixed (const InvPlotSaliencyGrid *g, const SalLayout *L, double *fw, double *fh)
{
  double cols = (double) g->cols, rows = (double) g->rows;
  *fw = 2 * L->margin + L->row_title_w + L->bar_w + MAX (cols - 1, 0) * L->col_gap
        + cols * (double) (L->per_cell - 1) * L->inner_gap;
  *fh = 2 * L->margin + L->title_h + L->col_title_h + rows * L->caption_h
        + MAX (rows - 1, 0) * L->row_gap;
}

void
inv_plot_saliency_grid_size (const InvPlotSaliencyGrid *g, double cell_px, double *width,
                             double *height)
{
  cairo_surface_t *surf = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create (surf);
  SalLayout L;
  char label[64];
  sal_layout (cr, g, &L, label, sizeof label);
  double fw, fh;
  sal_fixed (g, &L, &fw, &fh);
  double cell_h = g->w ? cell_px * (double) g->h / (double) g->w : cell_px;
  *width = fw + (double) (g->cols * L.per_cell) * cell_px;
  *height = fh + (double) g->rows * cell_h;
  /* the colour bar wants some height even for one row */
  *height = MAX (*height, fh - (double) g->rows * L.caption_h + 6 * L.fs);
  if (has_text (g->title))
    {
      set_font (cr, sal_theme (g), 1.2 * L.fs, TRUE);
      *width = MAX (*width, text_width (cr, g->title) + 2 * L.margin);
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surf);
}

/* values (n) = what a cell of map shows: |s| for sequential maps. */
static const float *
sal_shown (const InvPlotSaliencyGrid *g, const float *map, float *buf, size_t n)
{
  if (inv_colormap_is_diverging (g->cmap))
    return map;
  for (size_t p = 0; p < n; p++)
    buf[p] = fabsf (map[p]);
  return buf;
}

static void
frame_rect (cairo_t *cr, const InvPlotTheme *theme, double x, double y, double w, double h)
{
  cairo_save (cr);
  set_grid_color (cr, theme);
  cairo_set_line_width (cr, theme_fs (theme) / 12);
  cairo_rectangle (cr, x, y, w, h);
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
inv_plot_saliency_grid_draw (cairo_t *cr, double width, double height, const void *data)
{
  const InvPlotSaliencyGrid *g = data;
  const InvPlotTheme *theme = sal_theme (g);
  cairo_save (cr);
  paint_background (cr, theme);
  SalLayout L;
  char label[64];
  sal_layout (cr, g, &L, label, sizeof label);
  double fs = L.fs;
  g_autofree float *buf = NULL;
  g_autofree uint8_t *rgba = NULL;
  set_rgba (cr, theme->foreground);
  if (L.title_h > 0)
    {
      set_font (cr, theme, 1.2 * fs, TRUE);
      draw_text (cr, g->title, width / 2, L.margin + 1.3 * fs, 0.5, width - 2 * L.margin);
    }
  size_t n = g->h * g->w;
  if (g->rows == 0 || g->cols == 0 || g->h == 0 || g->w == 0 || g->h > SIZE_MAX / 4 / g->w)
    goto done;

  double fw, fh;
  sal_fixed (g, &L, &fw, &fh);
  double cols = (double) g->cols, rows = (double) g->rows;
  double aspect = (double) g->h / (double) g->w;
  double s = MIN ((width - fw) / (cols * (double) L.per_cell), (height - fh) / rows / aspect);
  if (!(s > 0))
    goto done;
  double ih = s * aspect;
  double cw = (double) L.per_cell * s + (double) (L.per_cell - 1) * L.inner_gap;
  double grid_w = cols * cw + (cols - 1) * L.col_gap;
  double grid_h = rows * (ih + L.caption_h) + (rows - 1) * L.row_gap;
  double x0 = L.margin + L.row_title_w + (width - fw - cols * (double) L.per_cell * s) / 2;
  double y0 = L.margin + L.title_h + L.col_title_h + (height - fh - rows * ih) / 2;
  double alpha = g->overlay_alpha > 0 ? g->overlay_alpha : 0.85;
  buf = g_new (float, n);    /* (H, W) */
  rgba = g_malloc (4 * n);   /* (H, W, 4) */

  set_font (cr, theme, fs, FALSE);
  for (size_t c = 0; g->col_titles && c < g->cols; c++)
    draw_text (cr, g->col_titles[c], x0 + (double) c * (cw + L.col_gap) + cw / 2,
               y0 - 0.5 * fs, 0.5, cw + 0.8 * L.col_gap);
  for (size_t r = 0; r < g->rows; r++)
    {
      double y = y0 + (double) r * (ih + L.caption_h + L.row_gap);
      double vmin, vmax;
      inv_plot_saliency_grid_range (g, r, &vmin, &vmax);
      set_rgba (cr, theme->foreground);
      set_font (cr, theme, fs, FALSE);
      if (g->row_titles && has_text (g->row_titles[r]))
        draw_text (cr, g->row_titles[r], x0 - 0.8 * fs, y + ih / 2 + 0.35 * fs, 1.0,
                   L.row_title_w - 0.8 * fs);
      for (size_t c = 0; c < g->cols; c++)
        {
          size_t i = r * g->cols + c;
          double x = x0 + (double) c * (cw + L.col_gap);
          const float *img = g->images ? g->images[i] : NULL;
          const float *map = g->maps ? g->maps[i] : NULL;
          size_t up = cell_upscale (cr, s, g->w);
          if (L.per_cell == 2)
            {
              if (img)
                {
                  cairo_surface_t *surf = cell_surface (img, g->h, g->w, up);
                  paint_image (cr, surf, x, y, s, ih);
                  cairo_surface_destroy (surf);
                  frame_rect (cr, theme, x, y, s, ih);
                }
              if (map)
                {
                  paint_heat (cr, sal_shown (g, map, buf, n), g->h, g->w, g->cmap, vmin, vmax,
                              x + s + L.inner_gap, y, s, ih);
                  frame_rect (cr, theme, x + s + L.inner_gap, y, s, ih);
                }
            }
          else if (img || map)
            {
              if (img && map)
                inv_plot_overlay_to_rgba (rgba, 4 * g->w, img, sal_shown (g, map, buf, n), g->h,
                                          g->w, g->cmap, vmin, vmax, alpha);
              else if (map)
                inv_plot_map_to_rgba (rgba, 4 * g->w, sal_shown (g, map, buf, n), g->h, g->w,
                                      g->cmap, vmin, vmax);
              else
                {
                  for (size_t p = 0; p < n; p++)
                    buf[p] = NAN;
                  inv_plot_overlay_to_rgba (rgba, 4 * g->w, img, buf, g->h, g->w, g->cmap,
                                            vmin, vmax, 0);
                }
              cairo_surface_t *surf = rgba_surface (rgba, 4 * g->w, g->h, g->w, up);
              paint_image (cr, surf, x, y, s, ih);
              cairo_surface_destroy (surf);
              frame_rect (cr, theme, x, y, s, ih);
            }
          if (g->captions && has_text (g->captions[i]))
            {
              set_rgba (cr, theme->foreground);
              set_font (cr, theme, 0.95 * fs, FALSE);
              draw_text (cr, g->captions[i], x + cw / 2, y + ih + 1.1 * fs, 0.5, cw + 0.8 * L.col_gap);
            }
        }
    }
  /* one colour bar for the grid, as tall as the image rows (at least 5 fs) */
  double bar_h = MAX (grid_h - L.caption_h, MIN (5 * fs, height - y0 - L.margin));
  draw_colorbar (cr, theme, g->cmap, L.bar_min, L.bar_max, L.bar_label,
                 x0 + grid_w + 1.2 * fs, y0, bar_h);
done:
  cairo_restore (cr);
}
