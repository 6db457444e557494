/* InvApplication: the GtkApplication of Invariance Lab. Its actions
 * (app.train, app.pause, app.reset, app.open, app.save, app.preferences,
 * app.shortcuts, app.about, app.quit) act on the active window and are
 * exported on D-Bus, so `gapplication action` can drive a running instance. */
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
