/* Figures shared by the CLI and the GTK app, drawn with Cairo: every figure
 * kind is a draw function onto a cairo_t of a given size (the app calls it
 * from a snapshot, the CLI through inv_plot_save). Not a widget toolkit and
 * not a general plotting library: only the figures Invariance Lab shows.
 * Image sizes are H×W, grids have R rows and C columns, N points a series. */
#pragma once
#include <cairo.h>
#include <glib.h>
#include <stddef.h>
#include <stdint.h>

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

/* ---- Theme ------------------------------------------------------------ */

#define INV_PLOT_PALETTE_MAX 8

/* Colours and fonts of a figure; the app fills it from its theme so dark
 * mode works. RGBA components in [0,1]. Fields added after font_size may be
 * left zero: they then take their defaults. */
typedef struct {
  double background[4];    /* alpha 0: leave the surface as it is */
  double foreground[4];    /* text, axes, frames */
  const char *font_family; /* Cairo toy font family */
  double font_size;        /* base size in figure units (px for PNG, pt for SVG/PDF) */
  double grid[4];          /* grid lines; alpha 0: foreground at 15 % opacity */
  double palette[INV_PLOT_PALETTE_MAX][4]; /* series colours */
  size_t n_palette;        /* 0: the default (Okabe–Ito, colour-blind safe) */
} InvPlotTheme;

/* Black on white, "sans-serif" 12, Okabe–Ito palette. */
const InvPlotTheme *inv_plot_theme_default (void);
/* theme = the default with the given background and foreground (either may
 * be NULL: keep the default's). The palette stays Okabe–Ito, which reads on
 * dark backgrounds as well. */
void inv_plot_theme_init (InvPlotTheme *theme, const double background[4],
                          const double foreground[4]);
/* rgba = the theme's series colour i (modulo the palette size). */
void inv_plot_theme_series_color (const InvPlotTheme *theme, size_t i, double rgba[4]);

/* ---- Colour maps -------------------------------------------------------- */

typedef enum {
  INV_COLORMAP_VIRIDIS,   /* perceptually uniform sequential, dark blue → yellow */
  INV_COLORMAP_DIVERGING, /* blue → white → red, for signed values (0 = white) */
  INV_COLORMAP_GRAY,      /* black → white */
} InvColormap;
#define INV_N_COLORMAPS 3

/* "viridis", "diverging", "gray". */
const char *inv_colormap_name (InvColormap cmap);
gboolean inv_colormap_from_name (const char *name, InvColormap *cmap);
/* TRUE for maps meant for signed values around 0 (diverging). */
gboolean inv_colormap_is_diverging (InvColormap cmap);
/* rgb (3) in [0,1] = cmap at t ∈ [0,1] (clamped; NaN → 0). */
void inv_colormap_rgb (InvColormap cmap, double t, double rgb[3]);

/* The value range a figure shows v (N values) with, non-finite ignored:
 * diverging maps [−m, m] with m = max |v|; the others [min v, max v]. An
 * empty, all-zero or constant v gets a range of width > 0 around it. */
void inv_plot_value_range (const float *v, size_t n, InvColormap cmap,
                           double *vmin, double *vmax);
/* rgba (H rows of stride bytes, 4 bytes a pixel: R, G, B, A, straight alpha,
 * i.e. GDK_MEMORY_R8G8B8A8) = cmap at (v − vmin)/(vmax − vmin), clamped;
 * non-finite v → transparent (0, 0, 0, 0). v (H, W). These are exactly the
 * pixels the heat map figures draw. */
void inv_plot_map_to_rgba (uint8_t *rgba, size_t stride, const float *v, size_t h,
                           size_t w, InvColormap cmap, double vmin, double vmax);
/* rgba as above = the grayscale image (H, W) in [0,1] with v's colour
 * blended over it: opacity alpha·|t'| where t' is v's position in the range
 * measured from its neutral value (0 for diverging maps: the middle; vmin
 * otherwise), so weak saliency leaves the image visible. The saliency grid's
 * overlay cells. */
void inv_plot_overlay_to_rgba (uint8_t *rgba, size_t stride, const float *image,
                               const float *v, size_t h, size_t w, InvColormap cmap,
                               double vmin, double vmax, double alpha);

/* ---- Saving ------------------------------------------------------------- */

/* Draws a figure filling (0, 0, width, height) of cr. data is the figure's
 * description (e.g. an InvPlotImageGrid). */
typedef void (*InvPlotDrawFunc) (cairo_t *cr, double width, double height, const void *data);

/* The format named by path's extension (.png, .svg, .pdf; any case). */
gboolean inv_plot_format_from_path (const char *path, InvPlotFormat *format, GError **error);
/* Writes a width × height figure to path (atomically), choosing PNG, SVG or
 * PDF by the extension. PNG sizes are pixels, rounded up. */
gboolean inv_plot_save (const char *path, double width, double height,
                        InvPlotDrawFunc draw, const void *data, GError **error);

/* ---- Axes --------------------------------------------------------------- */

/* "Nice" tick positions covering [lo, hi]: multiples of 1, 2 or 5 × 10^k,
 * about target of them (linear), or the powers of ten (log; lo, hi > 0,
 * with 2× and 5× added when fewer than 3 decades show). Writes at most cap
 * ticks inside [lo, hi] to ticks and returns how many it wrote. */
size_t inv_plot_ticks (double lo, double hi, gboolean log_scale, size_t target,
                       double *ticks, size_t cap);

/* ---- Line plots ------------------------------------------------------- */

typedef enum {
  INV_PLOT_STYLE_LINE,        /* a polyline (default) */
  INV_PLOT_STYLE_MARKERS,     /* dots only */
  INV_PLOT_STYLE_LINE_MARKERS,
} InvPlotStyle;

typedef struct {
  const char *name;      /* legend entry; NULL: not in the legend */
  size_t color;          /* index into the theme palette */
  double rgba[4];        /* alpha > 0: this colour instead of the palette's */
  const double *x;       /* (N) or NULL: 0, 1, …, N−1 */
  const double *y;       /* (N); a non-finite y (or ≤ 0 on a log axis) breaks the line */
  size_t n;              /* N */
  InvPlotStyle style;
  gboolean dashed;
} InvPlotSeries;

typedef struct {
  const char *label;     /* or NULL */
  gboolean log;          /* log10 scale */
  gboolean fixed;        /* use [min, max]; else fit the data (with a margin) */
  double min, max;
} InvPlotAxis;

typedef enum {
  INV_PLOT_LEGEND_AUTO,    /* inside, in the corner covering the fewest points;
                            * outside at the right when every corner covers some */
  INV_PLOT_LEGEND_NONE,
  INV_PLOT_LEGEND_OUTSIDE, /* at the right of the plot area */
} InvPlotLegend;

typedef struct {
  const char *title;             /* or NULL */
  InvPlotAxis x, y;
  const InvPlotSeries *series;   /* (n_series) */
  size_t n_series;
  gboolean show_marker;          /* a vertical line at marker_x (the app's slider) */
  double marker_x;
  InvPlotLegend legend;
  const InvPlotTheme *theme;     /* NULL: inv_plot_theme_default () */
} InvPlotLines;

/* An InvPlotDrawFunc: data is a const InvPlotLines *. */
void inv_plot_lines_draw (cairo_t *cr, double width, double height, const void *lines);

/* Where inv_plot_lines_draw puts the data at this size: the plot area in
 * figure units and the axis ranges it shows, so a widget can map pointer
 * positions to data (x = x_min + (px − area_x)/area_w·(x_max − x_min), in
 * log10 units on a log axis). */
typedef struct {
  double area_x, area_y, area_w, area_h;
  double x_min, x_max, y_min, y_max; /* data units (not log10) */
  double legend_x, legend_y, legend_w, legend_h; /* the legend box; size 0: none */
} InvPlotFrame;
void inv_plot_lines_frame (cairo_t *cr, double width, double height,
                           const InvPlotLines *lines, InvPlotFrame *frame);

/* Small multiples: P line plots in a grid (one panel per metric) with one
 * legend below them for every distinct series name (first panel's colours).
 * The panels' own legend settings and themes are ignored. */
typedef struct {
  const char *title;             /* or NULL */
  const InvPlotLines *panels;    /* (P) */
  size_t n_panels;               /* P */
  size_t cols;                   /* 0: about square */
  const InvPlotTheme *theme;     /* NULL: default */
} InvPlotMultiples;

/* An InvPlotDrawFunc: data is a const InvPlotMultiples *. */
void inv_plot_multiples_draw (cairo_t *cr, double width, double height, const void *multiples);
/* A size giving each panel about panel_w × panel_h. */
void inv_plot_multiples_size (const InvPlotMultiples *mp, double panel_w, double panel_h,
                              double *width, double *height);

/* ---- Heat map --------------------------------------------------------- */

typedef struct {
  const float *map;              /* (H, W) */
  size_t h, w;
  InvColormap cmap;
  gboolean fixed_range;          /* use [vmin, vmax]; else inv_plot_value_range */
  double vmin, vmax;
  const char *title;             /* or NULL */
  const char *bar_label;         /* colour bar label, or NULL */
  const InvPlotTheme *theme;     /* NULL: default */
} InvPlotHeatmap;

/* An InvPlotDrawFunc: data is a const InvPlotHeatmap *. The map keeps its
 * aspect ratio, pixels drawn with nearest filtering, colour bar at the right. */
void inv_plot_heatmap_draw (cairo_t *cr, double width, double height, const void *heatmap);

/* ---- Image grid --------------------------------------------------------- */

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

/* ---- Saliency grid ---------------------------------------------------- */

typedef enum {
  INV_PLOT_SALIENCY_SIDE_BY_SIDE, /* each cell: the input, then its heat map */
  INV_PLOT_SALIENCY_OVERLAY,      /* each cell: the heat map blended over the input */
} InvPlotSaliencyLayout;

typedef enum {
  INV_PLOT_SCALE_ROW,    /* each row (model) on its own range, the bar in units of
                          * the row's largest value (−1…1 or 0…1) */
  INV_PLOT_SCALE_SHARED, /* one range over every map, the bar in saliency units */
} InvPlotSaliencyScale;

/* Rows = models, columns = group elements. All arrays are borrowed. */
typedef struct {
  size_t rows, cols;             /* R, C */
  size_t h, w;                   /* every image and map is H×W */
  const float *const *images;    /* (R*C) row-major, each (H*W) in [0,1]; NULL: empty cell */
  const float *const *maps;      /* (R*C), each (H*W) saliency; NULL entries allowed */
  const char *const *captions;   /* (R*C) e.g. "Sneaker 0.93", or NULL */
  const char *const *col_titles; /* (C) e.g. "0°", "90°", or NULL */
  const char *const *row_titles; /* (R) model names, or NULL */
  const char *title;             /* or NULL */
  const char *bar_label;         /* or NULL: "saliency" (+ " / row max" for ROW) */
  InvColormap cmap;              /* sequential maps show |saliency| */
  InvPlotSaliencyLayout layout;
  InvPlotSaliencyScale scale;
  double overlay_alpha;          /* OVERLAY: the heat map's opacity; 0: 0.85 */
  const InvPlotTheme *theme;     /* NULL: default */
} InvPlotSaliencyGrid;

/* The range row r's maps are coloured with (the shared one for
 * INV_PLOT_SCALE_SHARED), over the values the map shows (|s| for sequential
 * maps): pass it, with the shown values, to inv_plot_map_to_rgba or
 * inv_plot_overlay_to_rgba to get the figure's pixels. */
void inv_plot_saliency_grid_range (const InvPlotSaliencyGrid *grid, size_t row,
                                   double *vmin, double *vmax);
/* An InvPlotDrawFunc: data is a const InvPlotSaliencyGrid *. */
void inv_plot_saliency_grid_draw (cairo_t *cr, double width, double height, const void *grid);
/* A size at which every image is cell_px wide, with room for the text. */
void inv_plot_saliency_grid_size (const InvPlotSaliencyGrid *grid, double cell_px,
                                  double *width, double *height);

G_END_DECLS
