/* InvSweepPlot: the Shift tab's figure — every invariance metric against
 * the severity of one shift kind, a panel per metric and a line per model
 * family, with a marker at the slider's position — drawn as the small
 * multiples of `invlab sweep`. Fed with finished curves; computes nothing. */
#pragma once
#include <gtk/gtk.h>
#include "inv-family.h"
#include "inv-figure.h"
#include "metrics.h"
#include "shift.h"

G_BEGIN_DECLS

#define INV_TYPE_SWEEP_PLOT (inv_sweep_plot_get_type ())
G_DECLARE_FINAL_TYPE (InvSweepPlot, inv_sweep_plot, INV, SWEEP_PLOT, GtkWidget)

GtkWidget *inv_sweep_plot_new (void);
/* The kind shown; clears the curves when it changes. */
void inv_sweep_plot_set_kind (InvSweepPlot *self, InvShiftKind kind);
InvShiftKind inv_sweep_plot_get_kind (InvSweepPlot *self);
/* Curves of kind at severities (S); curves[f] (S) or NULL (copied). */
void inv_sweep_plot_set_curves (InvSweepPlot *self, InvShiftKind kind, size_t S,
                                const double *severities, InvMetrics *const *curves);
void inv_sweep_plot_clear (InvSweepPlot *self);
/* The slider's position (NaN: no marker). */
void inv_sweep_plot_set_marker (InvSweepPlot *self, double severity);
/* Severities of a family's curve (tests). */
size_t inv_sweep_plot_get_n_points (InvSweepPlot *self, InvFamily family);
/* The figure as the CLI draws it (black on white), for exports. */
InvFigure *inv_sweep_plot_get_figure (InvSweepPlot *self);
/* The curves as CSV ("family,shift,severity,<metric>…" and a row per
 * family and severity), numbers in the C locale; g_free. */
char *inv_sweep_plot_to_csv (InvSweepPlot *self);

G_END_DECLS
