/* InvPlot: a line chart with a curve per model family, axes and a legend,
 * drawn by the core's plotting module (the code that draws the CLI's
 * figures). Fed by an InvHistory (one metric against the training step,
 * redrawn when the history changes that metric) or by curves set directly
 * (the spectrum). */
#pragma once
#include <gtk/gtk.h>
#include "inv-figure.h"
#include "inv-history.h"

G_BEGIN_DECLS

#define INV_TYPE_PLOT (inv_plot_get_type ())
G_DECLARE_FINAL_TYPE (InvPlot, inv_plot, INV, PLOT, GtkWidget)

/* Properties: "history" (InvHistory), "metric" (its key), "title",
 * "x-label" (NULL: "step"), "y-label", "y-log", "y-min" and "y-max" (a
 * fixed range when y-max > y-min). */
GtkWidget *inv_plot_new (void);
void inv_plot_set_history (InvPlot *self, InvHistory *history);
InvHistory *inv_plot_get_history (InvPlot *self);
void inv_plot_set_metric (InvPlot *self, const char *metric);
const char *inv_plot_get_metric (InvPlot *self);
/* A family's curve when there is no history: x and y (n each) are
 * copied; n = 0 removes it. */
void inv_plot_set_curve (InvPlot *self, InvFamily family, const double *x, const double *y,
                         size_t n);
void inv_plot_clear_curves (InvPlot *self);
/* Points of one family's curve (tests). */
size_t inv_plot_get_n_points (InvPlot *self, InvFamily family);
/* The chart as the plot module draws it for the CLI (black on white),
 * for exports. */
InvFigure *inv_plot_get_figure (InvPlot *self);
const char *inv_plot_get_title (InvPlot *self);

/* A theme for drawing on widget: transparent background, the widget's
 * foreground colour and font family (valid while the widget lives). */
void inv_plot_theme_for_widget (InvPlotTheme *theme, GtkWidget *widget);

G_END_DECLS
