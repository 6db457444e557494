/* InvSetupPanel: the settings of a training run (data set, group,
 * architecture, λ, learning rate, epochs, training images, seed) as
 * properties bound to their controls. Loads nothing and trains nothing. */
#pragma once
#include <gtk/gtk.h>
#include "inv-train-session.h"

G_BEGIN_DECLS

#define INV_TYPE_SETUP_PANEL (inv_setup_panel_get_type ())
G_DECLARE_FINAL_TYPE (InvSetupPanel, inv_setup_panel, INV, SETUP_PANEL, GtkWidget)

/* Properties: "dataset" (spec: "fashion", "digits", "idx:DIR"), "group"
 * ("c4", "d4", "flip", "trans"), "architecture" ("mlp", "cnn"), "lambda",
 * "learning-rate", "epochs", "subset", "seed". */
GtkWidget *inv_setup_panel_new (void);
const char *inv_setup_panel_get_dataset (InvSetupPanel *self);
void inv_setup_panel_set_dataset (InvSetupPanel *self, const char *spec);
const char *inv_setup_panel_get_group (InvSetupPanel *self);
void inv_setup_panel_set_group (InvSetupPanel *self, const char *group);
/* A line under the data set chooser ("60000 training images, …"). */
void inv_setup_panel_set_dataset_info (InvSetupPanel *self, const char *text);
/* Copies the panel's settings into cfg (other fields untouched). */
void inv_setup_panel_fill_config (InvSetupPanel *self, InvRunConfig *cfg);

G_END_DECLS
