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
/* The folder the IDX chooser opens in first (NULL or "": home). */
void inv_setup_panel_set_default_folder (InvSetupPanel *self, const char *folder);
/* Not shown in the panel (tests and scripts): train with this optimizer
 * and learning rate instead of Adam and the spin button's, which allows
 * rates that diverge; lr ≤ 0 goes back to the panel's. */
void inv_setup_panel_override_training (InvSetupPanel *self, InvOptimizer optimizer, double lr);
/* The learning rate the next run uses. */
double inv_setup_panel_get_learning_rate (InvSetupPanel *self);
/* Divides the learning rate the next run uses by factor (> 1), within the
 * spin button's range; returns the new rate. */
double inv_setup_panel_lower_learning_rate (InvSetupPanel *self, double factor);

G_END_DECLS
