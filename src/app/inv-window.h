/* InvWindow: the main window — setup, shift and drawing panels, the orbit
 * saliency grid, live plots (training, invariance, shift, spectrum) and
 * progress — and the training session it drives. The application's
 * actions call the functions below on the active window. */
#pragma once
#include <gtk/gtk.h>
#include "inv-export-dialog.h"
#include "inv-train-session.h"

G_BEGIN_DECLS

#define INV_TYPE_WINDOW (inv_window_get_type ())
G_DECLARE_FINAL_TYPE (InvWindow, inv_window, INV, WINDOW, GtkApplicationWindow)

/* dataset_spec, group: NULL for the defaults (fashion, c4). */
InvWindow *inv_window_new (GtkApplication *app, const char *dataset_spec, const char *group);

InvTrainState inv_window_get_state (InvWindow *self);
/* Whether the actions of the same names can do anything now. */
gboolean inv_window_can_train (InvWindow *self);
gboolean inv_window_can_open (InvWindow *self);
gboolean inv_window_can_save (InvWindow *self);

/* Starts a run with the panel's settings, or resumes a paused one. */
void inv_window_train (InvWindow *self);
void inv_window_pause (InvWindow *self);
/* Pauses a running run, else trains or resumes (Space). */
void inv_window_toggle_training (InvWindow *self);
/* Divides the learning rate by 10 and resets (offered when training
 * diverges). */
void inv_window_lower_learning_rate (InvWindow *self);
/* Stops training and drops the models and curves. */
void inv_window_reset (InvWindow *self);
/* Asks for a model file / a folder with a file chooser. */
void inv_window_open (InvWindow *self);
void inv_window_save (InvWindow *self);
/* Loads a checkpoint (made by `invlab train` or Save Models) into its
 * family's row, switching data set and group to the model's if needed. */
void inv_window_open_file (InvWindow *self, GFile *file);
/* Writes the current models as FAMILY-KIND-GROUP.safetensors into folder. */
void inv_window_save_to_folder (InvWindow *self, GFile *folder);
void inv_window_show_preferences (InvWindow *self);

/* Moves a shift slider ("noise", "blur", …; severity clamped to [0, 1]),
 * as dragging it does; FALSE for an unknown kind. */
gboolean inv_window_set_shift (InvWindow *self, const char *kind, double severity);
void inv_window_reset_shifts (InvWindow *self);
/* Shows the Export dialog. */
void inv_window_show_export (InvWindow *self);
/* Writes an item in the background: figures by path's extension (.png,
 * .svg, .pdf) at width × height (≤ 0: a natural size), CSV tables, the
 * models (family < 0: every model into the folder path; else that
 * family's model to the file path). The info bar says how it went. */
void inv_window_export (InvWindow *self, InvExportItem item, const char *path, double width,
                        double height, int family);

G_END_DECLS
