/* InvWindow's private side: the instance struct shared by inv-window.c
 * (layout, data, training results), inv-window-shift.c (shift sliders,
 * drawing pad, off-thread evaluation, Shift and Spectrum tabs),
 * inv-window-export.c (figures, CSV, models) and inv-window-actions.c
 * (what the actions do), and accessors for the GUI tests. */
#pragma once
#include "inv-window.h"
#include "inv-data.h"
#include "inv-drawing-pad.h"
#include "inv-evaluator.h"
#include "inv-export-dialog.h"
#include "inv-history.h"
#include "inv-plot.h"
#include "inv-preferences-window.h"
#include "inv-saliency-grid.h"
#include "inv-setup-panel.h"
#include "inv-shift-panel.h"
#include "inv-snapshot.h"
#include "inv-sweep-plot.h"
#include "inv-train-session.h"

G_BEGIN_DECLS

/* Columns of the Shift tab's table. */
#define INV_TABLE_COLUMNS 4

struct _InvWindow
{
  GtkApplicationWindow parent_instance;

  /* template widgets */
  GtkButton *train_button;
  GtkImage *train_icon;
  GtkLabel *train_label;
  GtkLabel *subtitle_label;
  GtkInfoBar *info_bar;
  GtkLabel *info_label;
  GtkStack *side_stack;
  InvSetupPanel *setup_panel;
  InvShiftPanel *shift_panel;
  InvDrawingPad *drawing_pad;
  GtkAdjustment *brush_adjustment;
  GtkLabel *sample_label;
  GtkSpinButton *sample_spin;
  GtkAdjustment *sample_adjustment;
  InvSaliencyGrid *grid;
  GtkStack *plot_stack;
  InvPlot *loss_plot;
  InvPlot *accuracy_plot;
  InvPlot *pdi_plot;
  InvPlot *li_plot;
  InvPlot *sis_plot;
  InvSweepPlot *sweep_plot;
  GtkLabel *shift_label;
  GtkGrid *metrics_table;
  GtkLabel *table_caption;
  InvPlot *sv_plot;
  InvPlot *energy_plot;
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;

  /* borrowed */
  GtkWidget *lower_lr_button;     /* in the info bar's action area */
  GtkLabel *table_cells[INV_N_FAMILIES][INV_TABLE_COLUMNS];

  /* owned */
  InvTrainSession *session;
  InvEvaluator *evaluator;
  InvHistory *history;
  InvPreferencesWindow *preferences;
  InvExportDialog *export_dialog;
  GSettings *settings;            /* NULL without the installed schema */
  GCancellable *cancellable;      /* every task of the window; cancelled on dispose */
  GCancellable *data_cancellable; /* the data set being loaded */
  InvData *data;                  /* NULL while loading */
  InvGroup *group;                /* acts on the data's images; NULL while loading */
  InvModelRef *models[INV_N_FAMILIES];
  InvMetrics metrics[INV_N_FAMILIES]; /* unshifted: snapshots, or evaluated for opened files */
  char *origins[INV_N_FAMILIES];  /* "loaded from X" for opened files, else NULL */
  gboolean have_sv[INV_N_FAMILIES];
  guint64 models_serial;          /* bumped whenever models[] changes */
  size_t sample;                  /* test image the grid explains */
  InvModelRef *pending_load;      /* opened model waiting for its data set */
  char *pending_origin;

  /* the shift and drawing side (inv-window-shift.c) */
  InvMetrics shift_metrics[INV_N_FAMILIES]; /* of the last shifted evaluation */
  InvShiftList shift_metrics_list;          /* the shifts they were taken under */
  gboolean shift_metrics_valid;
  char *sweep_key;                /* what the last sweep request computes */
  InvData *mix_data;              /* the other data set of the mix shift */
  char *mix_for;                  /* the data set spec mix_data belongs to */
  GCancellable *mix_cancellable;  /* while it loads */
  guint64 trace_serial;           /* a grid result waiting for its repaint (trace) */
  guint64 trace_paint_mark;
  GdkFrameClock *frame_clock;     /* traced repaints */
  gulong after_paint_id, before_paint_id;
  gint64 trace_frame_start;       /* µs when the frame clock's paint began */
};

/* inv-window.c */
void inv_window_show_error (InvWindow *self, const char *primary, const GError *error);
/* A modal GtkMessageDialog: primary text and the error's message. */
void inv_window_show_error_dialog (InvWindow *self, const char *primary, const GError *error);
void inv_window_show_info (InvWindow *self, const char *text);
void inv_window_hide_info (InvWindow *self);
/* Drops the models, curves and grid rows. */
void inv_window_clear_results (InvWindow *self);
/* Recomputes the grid's orbits (and the metrics the current shifts or
 * models lack) off the main thread. */
void inv_window_explain (InvWindow *self);
/* Puts a model into its family's row (takes the reference). */
void inv_window_set_model (InvWindow *self, InvFamily family, InvModelRef *model,
                           const char *origin);
void inv_window_sync_state (InvWindow *self);
/* "test image 17 of 10000 · true class: Sneaker" above the grid. */
void inv_window_update_sample_label (InvWindow *self);
/* Sets the grid's rows from orbit maps (NULL entries: empty rows). */
void inv_window_set_grid_rows (InvWindow *self, InvOrbitMaps *const *maps);
/* The metrics under the rows' titles changed. */
void inv_window_update_row_subtitles (InvWindow *self);
/* The metrics the grid and the table show for a family: shifted when a
 * shift is applied and its evaluation arrived, else the unshifted ones. */
const InvMetrics *inv_window_shown_metrics (InvWindow *self, InvFamily family);

/* inv-window-shift.c */
void inv_window_shift_init (InvWindow *self);
void inv_window_shift_dispose (InvWindow *self);
/* Submits what the current state needs to the evaluator's lanes (a
 * mask of INV_EVAL_LANE_BIT); returns the request's serial, 0 if none. */
guint64 inv_window_evaluate (InvWindow *self, guint lanes);
/* Whether the grid explains the drawing pad (its page is shown). */
gboolean inv_window_is_drawing (InvWindow *self);
/* The models or the data changed: the shifted metrics, curves and spectra
 * of the old ones are stale. */
void inv_window_shift_models_changed (InvWindow *self);
/* The first-layer singular values of a family (NULL: none). */
void inv_window_set_spectrum (InvWindow *self, InvFamily family, const double *sv, size_t n);
void inv_window_update_table (InvWindow *self);

/* inv-window-export.c */
void inv_window_export_init (InvWindow *self);

/* inv-window-actions.c */
void inv_window_actions_init (InvWindow *self);
void inv_window_set_sample (InvWindow *self, size_t index);
/* The sample spin button's "value-changed". */
void inv_window_sample_changed_cb (InvWindow *self);

/* For the GUI tests. */
InvSaliencyGrid *inv_window_get_grid (InvWindow *self);
/* "loss", "orbit_accuracy", "pdi", "logit_invariance", "sis",
 * "noninvariant_energy" or "spectrum". */
InvPlot *inv_window_get_plot (InvWindow *self, const char *metric);
GtkWidget *inv_window_get_plot_stack (InvWindow *self);
GtkWidget *inv_window_get_side_stack (InvWindow *self);
InvSetupPanel *inv_window_get_setup_panel (InvWindow *self);
InvShiftPanel *inv_window_get_shift_panel (InvWindow *self);
InvDrawingPad *inv_window_get_drawing_pad (InvWindow *self);
InvSweepPlot *inv_window_get_sweep_plot (InvWindow *self);
InvPreferencesWindow *inv_window_get_preferences (InvWindow *self);
InvExportDialog *inv_window_get_export_dialog (InvWindow *self);
InvTrainSession *inv_window_get_session (InvWindow *self);
GtkInfoBar *inv_window_get_info_bar (InvWindow *self);
/* The info bar's text when it is shown, else NULL. */
const char *inv_window_get_info_text (InvWindow *self);
/* TRUE once the data set is loaded and no task is computing the grid,
 * the metrics, the curves or loading the mix data set. */
gboolean inv_window_is_idle (InvWindow *self);
/* Steps per family of the last progress or snapshot. */
size_t inv_window_get_step (InvWindow *self);
/* The model of a family's row (borrowed), or NULL. */
const InvModel *inv_window_get_model (InvWindow *self, InvFamily family);
/* What the Shift tab's table shows for a family (FALSE: no model). */
gboolean inv_window_get_current_metrics (InvWindow *self, InvFamily family, InvMetrics *out);

G_END_DECLS
