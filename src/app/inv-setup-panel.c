/* InvSetupPanel: a template of labelled controls; each setting is a
 * property that reads its control, so bindings and tests see what the
 * person sees. Choosing "IDX folder…" asks for a folder. */
#include "config.h"
#include "inv-setup-panel.h"
#include <glib/gi18n.h>
#include <math.h>

struct _InvSetupPanel
{
  GtkWidget parent_instance;

  /* template widgets */
  GtkWidget *grid;
  GtkDropDown *dataset_dropdown;
  GtkLabel *dataset_info;
  GtkDropDown *group_dropdown;
  GtkDropDown *arch_dropdown;
  GtkScale *lambda_scale;
  GtkAdjustment *lambda_adjustment;
  GtkLabel *lambda_label;
  GtkSpinButton *lr_spin;
  GtkSpinButton *epochs_spin;
  GtkSpinButton *subset_spin;
  GtkSpinButton *seed_spin;
  GtkLabel *summary_label;

  /* owned */
  char *dataset;              /* current spec */
  char *idx_dir;              /* folder of the "IDX folder…" entry, or NULL */
  char *default_folder;       /* where the folder chooser starts, or NULL */
  InvOptimizer override_optimizer;
  double override_lr;         /* > 0: trains with this instead of the panel's */
  guint dataset_index;        /* selection that matches dataset */
  gboolean choosing;          /* ignore selection changes we make ourselves */
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (InvSetupPanel, inv_setup_panel, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_DATASET,
  PROP_GROUP,
  PROP_ARCHITECTURE,
  PROP_LAMBDA,
  PROP_LEARNING_RATE,
  PROP_EPOCHS,
  PROP_SUBSET,
  PROP_SEED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum { DATASET_FASHION, DATASET_DIGITS, DATASET_IDX };

static const char *const group_names[] = { "c4", "d4", "flip", "trans" };
static const char *const arch_names[] = { "mlp", "cnn" };

/* Helpers. */

static double
round_significant (double v, int digits)
{
  if (!(v > 0))
    return v;
  double p = pow (10.0, digits - 1 - floor (log10 (v)));
  return round (v * p) / p;
}

static double
get_lambda (InvSetupPanel *self)
{
  return round_significant (pow (10.0, gtk_adjustment_get_value (self->lambda_adjustment)), 2);
}

static void
update_summary (InvSetupPanel *self)
{
  gboolean conv = gtk_drop_down_get_selected (self->arch_dropdown) == 1;
  const char *arch = conv ? _("CNN") : _("MLP");
  const char *twin = conv ? _("group CNN") : _("tied MLP");
  char lam[32];
  g_snprintf (lam, sizeof lam, "%g", get_lambda (self));
  gtk_label_set_text (self->lambda_label, lam);
  g_autofree char *text =
    g_strdup_printf (_("Trains three models side by side: %s on orbit-augmented images "
                       "(unconstrained, λ = 0); the same %s with λ = %s (regularized); "
                       "a %s, invariant by construction (weight-tied)."),
                     arch, arch, lam, twin);
  gtk_label_set_text (self->summary_label, text);
}

static void
set_dataset_spec (InvSetupPanel *self, const char *spec)
{
  if (g_strcmp0 (self->dataset, spec) == 0)
    return;
  g_free (self->dataset);
  self->dataset = g_strdup (spec);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET]);
}

static void
select_dataset_index (InvSetupPanel *self, guint index)
{
  self->choosing = TRUE;
  gtk_drop_down_set_selected (self->dataset_dropdown, index);
  self->choosing = FALSE;
  self->dataset_index = index;
}

/* Signal callbacks. */

static void
folder_chosen_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  InvSetupPanel *self = INV_SETUP_PANEL (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        {
          g_free (self->idx_dir);
          self->idx_dir = g_steal_pointer (&path);
          self->dataset_index = DATASET_IDX;
          g_autofree char *spec = g_strconcat ("idx:", self->idx_dir, NULL);
          set_dataset_spec (self, spec);
          g_clear_object (&self->chooser);
          return;
        }
    }
  select_dataset_index (self, self->dataset_index);
  g_clear_object (&self->chooser);
}

static void
dataset_selected_cb (InvSetupPanel *self)
{
  if (self->choosing)
    return;
  guint index = gtk_drop_down_get_selected (self->dataset_dropdown);
  if (index == DATASET_FASHION || index == DATASET_DIGITS)
    {
      self->dataset_index = index;
      set_dataset_spec (self, index == DATASET_FASHION ? "fashion" : "digits");
      return;
    }
  if (index != DATASET_IDX || self->chooser)
    return;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  self->chooser = gtk_file_chooser_native_new (_("Choose an IDX Data Set Folder"),
                                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (folder_chosen_cb), self, 0);
  if (self->idx_dir || (self->default_folder && *self->default_folder))
    {
      g_autoptr (GFile) start = g_file_new_for_path (self->idx_dir ? self->idx_dir
                                                                   : self->default_folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), start, NULL);
    }
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
group_selected_cb (InvSetupPanel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_GROUP]);
}

static void
arch_selected_cb (InvSetupPanel *self)
{
  update_summary (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ARCHITECTURE]);
}

static void
lambda_changed_cb (InvSetupPanel *self)
{
  update_summary (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAMBDA]);
}

static void
lr_changed_cb (InvSetupPanel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LEARNING_RATE]);
}

static void
epochs_changed_cb (InvSetupPanel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EPOCHS]);
}

static void
subset_changed_cb (InvSetupPanel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBSET]);
}

static void
seed_changed_cb (InvSetupPanel *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEED]);
}

/* Overrides. */

static void
inv_setup_panel_dispose (GObject *object)
{
  InvSetupPanel *self = INV_SETUP_PANEL (object);
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), INV_TYPE_SETUP_PANEL);
  G_OBJECT_CLASS (inv_setup_panel_parent_class)->dispose (object);
}

static void
inv_setup_panel_finalize (GObject *object)
{
  InvSetupPanel *self = INV_SETUP_PANEL (object);
  g_free (self->dataset);
  g_free (self->idx_dir);
  g_free (self->default_folder);
  G_OBJECT_CLASS (inv_setup_panel_parent_class)->finalize (object);
}

static void
inv_setup_panel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  InvSetupPanel *self = INV_SETUP_PANEL (object);
  switch (prop_id)
    {
    case PROP_DATASET:
      g_value_set_string (value, self->dataset);
      break;
    case PROP_GROUP:
      g_value_set_string (value, inv_setup_panel_get_group (self));
      break;
    case PROP_ARCHITECTURE:
      g_value_set_string (value, arch_names[gtk_drop_down_get_selected (self->arch_dropdown) == 1]);
      break;
    case PROP_LAMBDA:
      g_value_set_double (value, get_lambda (self));
      break;
    case PROP_LEARNING_RATE:
      g_value_set_double (value, gtk_spin_button_get_value (self->lr_spin));
      break;
    case PROP_EPOCHS:
      g_value_set_uint (value, (guint) gtk_spin_button_get_value_as_int (self->epochs_spin));
      break;
    case PROP_SUBSET:
      g_value_set_uint (value, (guint) gtk_spin_button_get_value_as_int (self->subset_spin));
      break;
    case PROP_SEED:
      g_value_set_uint (value, (guint) gtk_spin_button_get_value_as_int (self->seed_spin));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_setup_panel_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  InvSetupPanel *self = INV_SETUP_PANEL (object);
  switch (prop_id)
    {
    case PROP_DATASET:
      inv_setup_panel_set_dataset (self, g_value_get_string (value));
      break;
    case PROP_GROUP:
      inv_setup_panel_set_group (self, g_value_get_string (value));
      break;
    case PROP_ARCHITECTURE:
      gtk_drop_down_set_selected (self->arch_dropdown,
                                  g_strcmp0 (g_value_get_string (value), "cnn") == 0 ? 1 : 0);
      break;
    case PROP_LAMBDA:
      gtk_adjustment_set_value (self->lambda_adjustment, log10 (g_value_get_double (value)));
      break;
    case PROP_LEARNING_RATE:
      gtk_spin_button_set_value (self->lr_spin, g_value_get_double (value));
      break;
    case PROP_EPOCHS:
      gtk_spin_button_set_value (self->epochs_spin, g_value_get_uint (value));
      break;
    case PROP_SUBSET:
      gtk_spin_button_set_value (self->subset_spin, g_value_get_uint (value));
      break;
    case PROP_SEED:
      gtk_spin_button_set_value (self->seed_spin, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
inv_setup_panel_class_init (InvSetupPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_setup_panel_dispose;
  object_class->finalize = inv_setup_panel_finalize;
  object_class->get_property = inv_setup_panel_get_property;
  object_class->set_property = inv_setup_panel_set_property;

  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  properties[PROP_DATASET] = g_param_spec_string ("dataset", NULL, NULL, "fashion", flags);
  properties[PROP_GROUP] = g_param_spec_string ("group", NULL, NULL, "c4", flags);
  properties[PROP_ARCHITECTURE] = g_param_spec_string ("architecture", NULL, NULL, "mlp", flags);
  properties[PROP_LAMBDA] = g_param_spec_double ("lambda", NULL, NULL, 1e-3, 100, 1, flags);
  properties[PROP_LEARNING_RATE] =
    g_param_spec_double ("learning-rate", NULL, NULL, 1e-4, 0.1, 1e-3, flags);
  properties[PROP_EPOCHS] = g_param_spec_uint ("epochs", NULL, NULL, 1, 100, 3, flags);
  properties[PROP_SUBSET] = g_param_spec_uint ("subset", NULL, NULL, 100, 1000000, 10000, flags);
  properties[PROP_SEED] = g_param_spec_uint ("seed", NULL, NULL, 0, 999999, 1, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-setup-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, grid);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, dataset_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, dataset_info);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, arch_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, lambda_scale);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, lambda_adjustment);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, lambda_label);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, lr_spin);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, epochs_spin);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, subset_spin);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, seed_spin);
  gtk_widget_class_bind_template_child (widget_class, InvSetupPanel, summary_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "setuppanel");
}

static void
inv_setup_panel_init (InvSetupPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Connected here, not in the template, so gtk4-builder-tool validates it. */
  g_signal_connect_swapped (self->dataset_dropdown, "notify::selected",
                            G_CALLBACK (dataset_selected_cb), self);
  g_signal_connect_swapped (self->group_dropdown, "notify::selected",
                            G_CALLBACK (group_selected_cb), self);
  g_signal_connect_swapped (self->arch_dropdown, "notify::selected",
                            G_CALLBACK (arch_selected_cb), self);
  g_signal_connect_swapped (self->lambda_scale, "value-changed", G_CALLBACK (lambda_changed_cb), self);
  g_signal_connect_swapped (self->lr_spin, "value-changed", G_CALLBACK (lr_changed_cb), self);
  g_signal_connect_swapped (self->epochs_spin, "value-changed", G_CALLBACK (epochs_changed_cb), self);
  g_signal_connect_swapped (self->subset_spin, "value-changed", G_CALLBACK (subset_changed_cb), self);
  g_signal_connect_swapped (self->seed_spin, "value-changed", G_CALLBACK (seed_changed_cb), self);
  self->dataset = g_strdup ("fashion");
  self->dataset_index = DATASET_FASHION;
  for (int e = -3; e <= 2; e++)
    gtk_scale_add_mark (self->lambda_scale, e, GTK_POS_BOTTOM,
                        e == -2 ? "0.01" : e == 0 ? "1" : e == 2 ? "100" : NULL);
  update_summary (self);
}

/* Public API. */

GtkWidget *
inv_setup_panel_new (void)
{
  return g_object_new (INV_TYPE_SETUP_PANEL, NULL);
}

const char *
inv_setup_panel_get_dataset (InvSetupPanel *self)
{
  g_return_val_if_fail (INV_IS_SETUP_PANEL (self), NULL);
  return self->dataset;
}

void
inv_setup_panel_set_dataset (InvSetupPanel *self, const char *spec)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  if (spec == NULL || g_strcmp0 (spec, self->dataset) == 0)
    return;
  if (g_str_has_prefix (spec, "idx:"))
    {
      g_free (self->idx_dir);
      self->idx_dir = g_strdup (spec + 4);
      select_dataset_index (self, DATASET_IDX);
    }
  else
    select_dataset_index (self, g_str_has_prefix (spec, "digits") ? DATASET_DIGITS : DATASET_FASHION);
  set_dataset_spec (self, spec);
}

const char *
inv_setup_panel_get_group (InvSetupPanel *self)
{
  g_return_val_if_fail (INV_IS_SETUP_PANEL (self), NULL);
  guint i = gtk_drop_down_get_selected (self->group_dropdown);
  return group_names[MIN (i, G_N_ELEMENTS (group_names) - 1)];
}

void
inv_setup_panel_set_group (InvSetupPanel *self, const char *group)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  for (guint i = 0; group && i < G_N_ELEMENTS (group_names); i++)
    if (g_str_has_prefix (group, group_names[i]))
      {
        gtk_drop_down_set_selected (self->group_dropdown, i);
        return;
      }
}

void
inv_setup_panel_set_dataset_info (InvSetupPanel *self, const char *text)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  gtk_label_set_text (self->dataset_info, text ? text : "");
}

void
inv_setup_panel_fill_config (InvSetupPanel *self, InvRunConfig *cfg)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  g_strlcpy (cfg->group, inv_setup_panel_get_group (self), sizeof cfg->group);
  cfg->arch = gtk_drop_down_get_selected (self->arch_dropdown) == 1 ? INV_MODEL_CNN : INV_MODEL_MLP;
  cfg->lambda = get_lambda (self);
  cfg->lr = gtk_spin_button_get_value (self->lr_spin);
  if (self->override_lr > 0)
    {
      cfg->optimizer = self->override_optimizer;
      cfg->lr = self->override_lr;
    }
  cfg->epochs = (size_t) gtk_spin_button_get_value_as_int (self->epochs_spin);
  cfg->limit = (size_t) gtk_spin_button_get_value_as_int (self->subset_spin);
  cfg->seed = (guint64) gtk_spin_button_get_value_as_int (self->seed_spin);
}

void
inv_setup_panel_set_default_folder (InvSetupPanel *self, const char *folder)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  g_free (self->default_folder);
  self->default_folder = g_strdup (folder);
}

void
inv_setup_panel_override_training (InvSetupPanel *self, InvOptimizer optimizer, double lr)
{
  g_return_if_fail (INV_IS_SETUP_PANEL (self));
  self->override_optimizer = optimizer;
  self->override_lr = lr > 0 ? lr : 0;
}

double
inv_setup_panel_get_learning_rate (InvSetupPanel *self)
{
  g_return_val_if_fail (INV_IS_SETUP_PANEL (self), 0);
  return self->override_lr > 0 ? self->override_lr : gtk_spin_button_get_value (self->lr_spin);
}

double
inv_setup_panel_lower_learning_rate (InvSetupPanel *self, double factor)
{
  g_return_val_if_fail (INV_IS_SETUP_PANEL (self), 0);
  g_return_val_if_fail (factor > 1, 0);
  if (self->override_lr > 0)
    self->override_lr /= factor;
  else
    gtk_spin_button_set_value (self->lr_spin, gtk_spin_button_get_value (self->lr_spin) / factor);
  return inv_setup_panel_get_learning_rate (self);
}
