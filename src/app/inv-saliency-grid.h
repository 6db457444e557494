/* InvSaliencyGrid: the orbit saliency grid, a row per model family and a
 * column per group element; each cell the transformed input with its
 * saliency heat map over it and the predicted class with its probability.
 * A drawing widget fed with precomputed orbits: it computes no saliency. */
#pragma once
#include <gtk/gtk.h>
#include "inv-family.h"
#include "inv-figure.h"
#include "inv-snapshot.h"
#include "plot.h"

G_BEGIN_DECLS

#define INV_TYPE_SALIENCY_GRID (inv_saliency_grid_get_type ())
G_DECLARE_FINAL_TYPE (InvSaliencyGrid, inv_saliency_grid, INV, SALIENCY_GRID, GtkWidget)

GtkWidget *inv_saliency_grid_new (void);
/* The columns: G labels ("0°", "90°", …) for H×W images. Clears the rows
 * and the input when the shape changes. */
void inv_saliency_grid_set_columns (InvSaliencyGrid *self, size_t G,
                                    const char *const *labels, size_t h, size_t w);
/* Class names for the captions (NULL-terminated; copied). */
void inv_saliency_grid_set_class_names (InvSaliencyGrid *self, const char *const *names);
/* The orbit of the current sample, images (G, H*W), shown where a row has
 * no model; NULL clears it. */
void inv_saliency_grid_set_input (InvSaliencyGrid *self, const float *images);
/* A family's orbit (copied), or NULL to empty the row; subtitle is a short
 * line under the row title (metrics), or NULL. */
void inv_saliency_grid_set_row (InvSaliencyGrid *self, InvFamily family,
                                const InvOrbitMaps *maps, const char *subtitle);
void inv_saliency_grid_clear_rows (InvSaliencyGrid *self);
/* Replaces a row's subtitle (NULL: none), keeping its maps. */
void inv_saliency_grid_set_row_subtitle (InvSaliencyGrid *self, InvFamily family,
                                         const char *subtitle);
void inv_saliency_grid_set_aligned (InvSaliencyGrid *self, gboolean aligned);
gboolean inv_saliency_grid_get_aligned (InvSaliencyGrid *self);

/* For tests and exports. */
size_t inv_saliency_grid_get_n_rows (InvSaliencyGrid *self);
size_t inv_saliency_grid_get_n_columns (InvSaliencyGrid *self);
/* Cells that show a model's saliency map. */
size_t inv_saliency_grid_get_n_filled_cells (InvSaliencyGrid *self);
/* The map a cell shows (aligned or raw, as the grid is set), H*W floats,
 * or NULL for an empty cell. */
const float *inv_saliency_grid_get_cell_map (InvSaliencyGrid *self, InvFamily row, size_t col);
/* The image a cell shows under its map (the identity orientation in every
 * column when aligned), H*W pixels, or NULL. */
const float *inv_saliency_grid_get_cell_image (InvSaliencyGrid *self, InvFamily row, size_t col);
/* Snapshots drawn so far: the trace tells repaints from this. */
guint64 inv_saliency_grid_get_paint_count (InvSaliencyGrid *self);
/* Viridis (|saliency|) by default; a diverging map shows signed saliency. */
void inv_saliency_grid_set_colormap (InvSaliencyGrid *self, InvColormap cmap);
InvColormap inv_saliency_grid_get_colormap (InvSaliencyGrid *self);
/* The grid as the CLI's saliency grid figure draws it, for exports. */
InvFigure *inv_saliency_grid_get_figure (InvSaliencyGrid *self, const char *title);

G_END_DECLS
