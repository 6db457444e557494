/* InvFigure: a self-contained deep copy of one figure description of the
 * plot module (line chart, small multiples or saliency grid), so a widget's
 * current figure can be written to PNG, SVG or PDF on a worker thread by
 * the same drawing code that draws the widget and the CLI's figures. Not a
 * widget; immutable once made. */
#pragma once
#include <glib.h>
#include "plot.h"

G_BEGIN_DECLS

typedef struct _InvFigure InvFigure;

/* Each copies everything the description points to (theme NULL: the
 * plot module's default, black on white, as the CLI draws). */
InvFigure *inv_figure_new_lines (const InvPlotLines *lines);
InvFigure *inv_figure_new_multiples (const InvPlotMultiples *multiples);
InvFigure *inv_figure_new_saliency_grid (const InvPlotSaliencyGrid *grid);
void inv_figure_free (InvFigure *figure);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvFigure, inv_figure_free)

/* A good size for the figure (the saliency grid's from its cells). */
void inv_figure_natural_size (const InvFigure *figure, double *width, double *height);
void inv_figure_draw (const InvFigure *figure, cairo_t *cr, double width, double height);
/* Writes the figure (format by the extension: .png, .svg, .pdf). */
gboolean inv_figure_save (const InvFigure *figure, const char *path, double width,
                          double height, GError **error);

G_END_DECLS
