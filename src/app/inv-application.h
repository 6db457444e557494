/* InvApplication: the GtkApplication of Invariance Lab. Its actions act on
 * the active window and are exported on D-Bus, so `gapplication action`
 * can drive a running instance as a person does: app.train, app.pause,
 * app.toggle-training, app.reset, app.open, app.open-file (s: path),
 * app.save, app.export (the dialog), app.export-grid (s: path),
 * app.export-figure ((ss): name, path), app.export-metrics (s),
 * app.export-curves (s), app.set-shift ((sd): kind, severity),
 * app.reset-shifts, app.preferences, app.shortcuts, app.about, app.quit. */
#pragma once
#include <gtk/gtk.h>

G_BEGIN_DECLS

#define INV_TYPE_APPLICATION (inv_application_get_type ())
G_DECLARE_FINAL_TYPE (InvApplication, inv_application, INV, APPLICATION, GtkApplication)

InvApplication *inv_application_new (void);
/* The data set and group new windows start with (NULL: defaults). */
void inv_application_set_initial (InvApplication *self, const char *dataset, const char *group);
/* Enables the actions that make sense for the active window's state. */
void inv_application_update_actions (InvApplication *self);

G_END_DECLS
