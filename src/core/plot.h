/* Figures shared by the CLI and the GTK app, drawn with Cairo: every figure
 * kind is a draw function onto a cairo_t of a given size (the app calls it
 * from a snapshot, the CLI through inv_plot_save). Not a widget toolkit and
 * not a general plotting library: only the figures Invariance Lab shows.
 * Image sizes are H×W, grids have R rows and C columns. */
#pragma once
#include <cairo.h>
#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define INV_PLOT_ERROR (inv_plot_error_quark ())
GQuark inv_plot_error_quark (void);
typedef enum {
  INV_PLOT_ERROR_FORMAT,   /* unknown file extension */
  INV_PLOT_ERROR_SIZE,     /* empty or absurd figure size */
  INV_PLOT_ERROR_CAIRO,    /* Cairo could not draw or encode */
  INV_PLOT_ERROR_IO,       /* cannot write the file */
} InvPlotError;

typedef enum {
  INV_PLOT_PNG,
  INV_PLOT_SVG,
  INV_PLOT_PDF,
} InvPlotFormat;

/* Colours and fonts of a figure; the app fills it from its theme so dark
 * mode works. RGBA components in [0,1]. */
typedef struct {
  double background[4];    /* alpha 0: leave the surface as it is */
  double foreground[4];    /* text, axes, frames */
  const char *font_family; /* Cairo toy font family */
  double font_size;        /* base size in figure units (px for PNG, pt for SVG/PDF) */
} InvPlotTheme;

/* Black on white, "sans-serif" 12. */
const InvPlotTheme *inv_plot_theme_default (void);

/* Draws a figure filling (0, 0, width, height) of cr. data is the figure's
 * description (e.g. an InvPlotImageGrid). */
typedef void (*InvPlotDrawFunc) (cairo_t *cr, double width, double height, const void *data);

/* The format named by path's extension (.png, .svg, .pdf; any case). */
gboolean inv_plot_format_from_path (const char *path, InvPlotFormat *format, GError **error);
/* Writes a width × height figure to path (atomically), choosing PNG, SVG or
 * PDF by the extension. PNG sizes are pixels, rounded up. */
gboolean inv_plot_save (const char *path, double width, double height,
                        InvPlotDrawFunc draw, const void *data, GError **error);

/* An R × C grid of grayscale images (0 black, 1 white, clamped), each with
 * an optional caption under it, optional row titles at the left and an
 * optional title above. Cells are square pixels scaled with nearest
 * filtering and keep their aspect ratio. */
typedef struct {
  size_t rows, cols;             /* R, C */
  size_t h, w;                   /* every image is H×W */
  const float *const *images;    /* (R*C) row-major, each (H*W) in [0,1]; NULL entry: empty cell */
  const char *const *captions;   /* (R*C) or NULL; NULL entries allowed */
  const char *const *row_titles; /* (R) or NULL */
  const char *title;             /* or NULL */
  const InvPlotTheme *theme;     /* NULL: inv_plot_theme_default () */
} InvPlotImageGrid;

/* An InvPlotDrawFunc: data is a const InvPlotImageGrid *. */
void inv_plot_image_grid_draw (cairo_t *cr, double width, double height, const void *grid);
/* A size at which every cell is cell_px wide, with room for the text. */
void inv_plot_image_grid_size (const InvPlotImageGrid *grid, double cell_px,
                               double *width, double *height);

G_END_DECLS
