/* Figures drawn with Cairo and written as PNG, SVG or PDF. For now: the
 * image grid (orbits, saliency rows). Not interactive: widgets wrap these
 * draw functions. R rows, C columns, H×W images. */
#include "plot.h"
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

G_DEFINE_QUARK (inv-plot-error-quark, inv_plot_error)

/* Cairo's image surfaces stop at 32767 pixels a side. */
#define PLOT_MAX_SIDE 32767.0

static const InvPlotTheme default_theme = {
  .background = { 1, 1, 1, 1 },
  .foreground = { 0, 0, 0, 1 },
  .font_family = "sans-serif",
  .font_size = 12,
};

const InvPlotTheme *
inv_plot_theme_default (void)
{
  return &default_theme;
}

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

/* How many times to repeat each pixel of a cell cw figure units wide. SVG
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
