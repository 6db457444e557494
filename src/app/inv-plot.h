/* InvPlot: a line chart of one metric against the training step, a curve
 * per model family, with axes and a legend, drawn by the core's plotting
 * module (the code that draws the CLI's figures). Fed by an InvHistory and
 * redrawn when the history changes its metric. */
#pragma once
#include <gtk/gtk.h>
#include "inv-history.h"

G_BEGIN_DECLS

#define INV_TYPE_PLOT (inv_plot_get_type ())
G_DECLARE_FINAL_TYPE (InvPlot, inv_plot, INV, PLOT, GtkWidget)

/* Properties: "history" (InvHistory), "metric" (its key), "title",
 * "y-label", "y-min" and "y-max" (NaN: from the data). */
GtkWidget *inv_plot_new (void);
void inv_plot_set_history (InvPlot *self, InvHistory *history);
InvHistory *inv_plot_get_history (InvPlot *self);
void inv_plot_set_metric (InvPlot *self, const char *metric);
const char *inv_plot_get_metric (InvPlot *self);
/* Points of one family's curve (tests). */
size_t inv_plot_get_n_points (InvPlot *self, InvFamily family);

G_END_DECLS
