/* InvWindow's private side: the instance struct shared by inv-window.c
 * (layout, data, training results) and inv-window-actions.c (what the
 * actions do), and accessors for the GUI tests. */
#pragma once
#include "inv-window.h"
#include "inv-data.h"
#include "inv-history.h"
#include "inv-plot.h"
#include "inv-preferences-window.h"
#include "inv-saliency-grid.h"
#include "inv-setup-panel.h"
#include "inv-snapshot.h"
#include "inv-train-session.h"

G_BEGIN_DECLS

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
  InvSetupPanel *setup_panel;
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
  GtkLabel *status_label;
  GtkProgressBar *progress_bar;

  /* owned */
  InvTrainSession *session;
  InvHistory *history;
  InvPreferencesWindow *preferences;
  GCancellable *cancellable;      /* every task of the window; cancelled on dispose */
  GCancellable *data_cancellable; /* the data set being loaded */
  InvData *data;                  /* NULL while loading */
  InvGroup *group;                /* acts on the data's images; NULL while loading */
  InvModelRef *models[INV_N_FAMILIES];
  InvMetrics metrics[INV_N_FAMILIES];
  char *origins[INV_N_FAMILIES];  /* "loaded from X" for opened files, else NULL */
  guint64 models_serial;          /* bumped whenever models[] changes */
  size_t sample;                  /* test image the grid explains */
  GCancellable *explain_cancellable;
  guint explain_running;          /* explain tasks not yet completed */
  InvModelRef *pending_load;      /* opened model waiting for its data set */
  char *pending_origin;
};

/* inv-window.c */
void inv_window_show_error (InvWindow *self, const char *primary, const GError *error);
/* Drops the models, curves and grid rows. */
void inv_window_clear_results (InvWindow *self);
/* Recomputes the grid's orbits off the main thread. */
void inv_window_explain (InvWindow *self);
/* Puts a model into its family's row (takes the reference). */
void inv_window_set_model (InvWindow *self, InvFamily family, InvModelRef *model,
                           const char *origin);
void inv_window_sync_state (InvWindow *self);
/* "test image 17 of 10000 · true class: Sneaker" above the grid. */
void inv_window_update_sample_label (InvWindow *self);

/* inv-window-actions.c */
void inv_window_actions_init (InvWindow *self);
void inv_window_set_sample (InvWindow *self, size_t index);
/* The sample spin button's "value-changed" (bound in the template). */
void inv_window_sample_changed_cb (InvWindow *self);

/* For the GUI tests. */
InvSaliencyGrid *inv_window_get_grid (InvWindow *self);
/* "loss", "orbit_accuracy", "pdi", "logit_invariance" or "sis". */
InvPlot *inv_window_get_plot (InvWindow *self, const char *metric);
GtkWidget *inv_window_get_plot_stack (InvWindow *self);
InvSetupPanel *inv_window_get_setup_panel (InvWindow *self);
InvPreferencesWindow *inv_window_get_preferences (InvWindow *self);
InvTrainSession *inv_window_get_session (InvWindow *self);
/* TRUE once the data set is loaded and no task is computing the grid. */
gboolean inv_window_is_idle (InvWindow *self);
/* Steps per family of the last progress or snapshot. */
size_t inv_window_get_step (InvWindow *self);

G_END_DECLS
