/* InvPreferencesWindow: settings that rarely change (batch size, orbit
 * copies, worker threads, evaluation size and interval, saliency method,
 * colour map, data set folder) as properties bound to their controls and
 * to GSettings when the schema is installed. One per main window, hidden
 * on close. */
#pragma once
#include <gtk/gtk.h>
#include "inv-train-session.h"
#include "plot.h"

G_BEGIN_DECLS

#define INV_TYPE_PREFERENCES_WINDOW (inv_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (InvPreferencesWindow, inv_preferences_window, INV, PREFERENCES_WINDOW,
                      GtkWindow)

/* Properties: "batch-size", "orbit-samples", "threads", "eval-images",
 * "eval-interval" (guint), "saliency-method" (string, see saliency.h),
 * "colormap" ("viridis", "diverging", "gray"), "dataset-folder" (string,
 * "" for none). */
InvPreferencesWindow *inv_preferences_window_new (void);
InvSaliencyMethod inv_preferences_window_get_saliency_method (InvPreferencesWindow *self);
InvColormap inv_preferences_window_get_colormap (InvPreferencesWindow *self);
const char *inv_preferences_window_get_dataset_folder (InvPreferencesWindow *self);
/* Copies these settings into cfg (other fields untouched). */
void inv_preferences_window_fill_config (InvPreferencesWindow *self, InvRunConfig *cfg);

G_END_DECLS
