/* InvPreferencesWindow: a template of spin buttons, drop-downs and a folder
 * button; every property reads its control, and each is bound to its
 * GSettings key (numbers clamped into the controls' ranges, the saliency
 * method mapped to the schema's names). Escape closes (hides) the window. */
#include "config.h"
#include "inv-preferences-window.h"
#include "inv-settings.h"
#include <glib/gi18n.h>

struct _InvPreferencesWindow
{
  GtkWindow parent_instance;

  /* template widgets */
  GtkSpinButton *batch_spin;
  GtkSpinButton *orbit_spin;
  GtkSpinButton *threads_spin;
  GtkSpinButton *eval_images_spin;
  GtkSpinButton *eval_interval_spin;
  GtkDropDown *saliency_dropdown;
  GtkDropDown *colormap_dropdown;
  GtkButton *folder_button;
  GtkLabel *folder_label;

  /* owned */
  GSettings *settings;        /* NULL without the schema */
  char *dataset_folder;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (InvPreferencesWindow, inv_preferences_window, GTK_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_BATCH_SIZE,
  PROP_ORBIT_SAMPLES,
  PROP_THREADS,
  PROP_EVAL_IMAGES,
  PROP_EVAL_INTERVAL,
  PROP_SALIENCY_METHOD,
  PROP_COLORMAP,
  PROP_DATASET_FOLDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Helpers. */

static GtkSpinButton *
spin_for_prop (InvPreferencesWindow *self, guint prop_id)
{
  switch (prop_id)
    {
    case PROP_BATCH_SIZE:
      return self->batch_spin;
    case PROP_ORBIT_SAMPLES:
      return self->orbit_spin;
    case PROP_THREADS:
      return self->threads_spin;
    case PROP_EVAL_IMAGES:
      return self->eval_images_spin;
    case PROP_EVAL_INTERVAL:
      return self->eval_interval_spin;
    default:
      return NULL;
    }
}

static size_t
spin_size (GtkSpinButton *spin)
{
  return (size_t) MAX (gtk_spin_button_get_value_as_int (spin), 0);
}

/* The schema's names of the saliency methods, in InvSaliencyMethod order. */
static const char *const saliency_keys[INV_SALIENCY_N_METHODS] = { "gradient", "gradxinput",
                                                                   "smoothgrad", "ig" };

static gboolean
saliency_get_mapping (GValue *value, GVariant *variant, gpointer user_data)
{
  InvSaliencyMethod method;
  if (!inv_saliency_method_from_name (g_variant_get_string (variant, NULL), &method))
    return FALSE;
  g_value_set_string (value, inv_saliency_method_name (method));
  return TRUE;
}

static GVariant *
saliency_set_mapping (const GValue *value, const GVariantType *expected, gpointer user_data)
{
  InvSaliencyMethod method;
  if (!inv_saliency_method_from_name (g_value_get_string (value), &method)
      || method >= INV_SALIENCY_N_METHODS)
    return NULL;
  return g_variant_new_string (saliency_keys[method]);
}

static void
set_dataset_folder (InvPreferencesWindow *self, const char *folder)
{
  if (folder == NULL)
    folder = "";
  if (g_strcmp0 (self->dataset_folder, folder) == 0)
    return;
  g_free (self->dataset_folder);
  self->dataset_folder = g_strdup (folder);
  gtk_label_set_text (self->folder_label, *folder ? folder : _("(home folder)"));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET_FOLDER]);
}

/* Signal callbacks. */

static void
folder_chosen_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  InvPreferencesWindow *self = INV_PREFERENCES_WINDOW (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      if (path)
        set_dataset_folder (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
folder_clicked_cb (InvPreferencesWindow *self)
{
  if (self->chooser)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose the Data Set Folder"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Select"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  if (self->dataset_folder && *self->dataset_folder)
    {
      g_autoptr (GFile) start = g_file_new_for_path (self->dataset_folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (self->chooser), start, NULL);
    }
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (folder_chosen_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
colormap_selected_cb (InvPreferencesWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP]);
}

static void
value_changed_cb (InvPreferencesWindow *self, GtkSpinButton *spin)
{
  for (guint p = PROP_BATCH_SIZE; p <= PROP_EVAL_INTERVAL; p++)
    if (spin_for_prop (self, p) == spin)
      g_object_notify_by_pspec (G_OBJECT (self), properties[p]);
}

static void
saliency_selected_cb (InvPreferencesWindow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SALIENCY_METHOD]);
}

/* Overrides. */

static void
inv_preferences_window_dispose (GObject *object)
{
  InvPreferencesWindow *self = INV_PREFERENCES_WINDOW (object);
  if (self->settings)
    for (guint p = PROP_BATCH_SIZE; p < N_PROPS; p++)
      g_settings_unbind (self, properties[p]->name);
  g_clear_object (&self->settings);
  if (self->chooser)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (object), INV_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (inv_preferences_window_parent_class)->dispose (object);
}

static void
inv_preferences_window_finalize (GObject *object)
{
  InvPreferencesWindow *self = INV_PREFERENCES_WINDOW (object);
  g_free (self->dataset_folder);
  G_OBJECT_CLASS (inv_preferences_window_parent_class)->finalize (object);
}

static void
inv_preferences_window_get_property (GObject *object, guint prop_id, GValue *value,
                                     GParamSpec *pspec)
{
  InvPreferencesWindow *self = INV_PREFERENCES_WINDOW (object);
  GtkSpinButton *spin = spin_for_prop (self, prop_id);
  if (spin)
    g_value_set_uint (value, (guint) spin_size (spin));
  else if (prop_id == PROP_SALIENCY_METHOD)
    g_value_set_string (value, inv_saliency_method_name (inv_preferences_window_get_saliency_method (self)));
  else if (prop_id == PROP_COLORMAP)
    g_value_set_string (value, inv_colormap_name (inv_preferences_window_get_colormap (self)));
  else if (prop_id == PROP_DATASET_FOLDER)
    g_value_set_string (value, self->dataset_folder);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inv_preferences_window_set_property (GObject *object, guint prop_id, const GValue *value,
                                     GParamSpec *pspec)
{
  InvPreferencesWindow *self = INV_PREFERENCES_WINDOW (object);
  GtkSpinButton *spin = spin_for_prop (self, prop_id);
  InvSaliencyMethod method;
  if (spin)
    gtk_spin_button_set_value (spin, g_value_get_uint (value));
  else if (prop_id == PROP_SALIENCY_METHOD)
    {
      if (inv_saliency_method_from_name (g_value_get_string (value), &method))
        gtk_drop_down_set_selected (self->saliency_dropdown, (guint) method);
      else
        g_warning ("unknown saliency method %s", g_value_get_string (value));
    }
  else if (prop_id == PROP_COLORMAP)
    {
      InvColormap cmap;
      if (inv_colormap_from_name (g_value_get_string (value), &cmap))
        gtk_drop_down_set_selected (self->colormap_dropdown, (guint) cmap);
      else
        g_warning ("unknown colour map %s", g_value_get_string (value));
    }
  else if (prop_id == PROP_DATASET_FOLDER)
    set_dataset_folder (self, g_value_get_string (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inv_preferences_window_class_init (InvPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_preferences_window_dispose;
  object_class->finalize = inv_preferences_window_finalize;
  object_class->get_property = inv_preferences_window_get_property;
  object_class->set_property = inv_preferences_window_set_property;

  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  properties[PROP_BATCH_SIZE] = g_param_spec_uint ("batch-size", NULL, NULL, 1, 1024, 64, flags);
  properties[PROP_ORBIT_SAMPLES] = g_param_spec_uint ("orbit-samples", NULL, NULL, 0, 64, 0, flags);
  properties[PROP_THREADS] = g_param_spec_uint ("threads", NULL, NULL, 1, 64, 2, flags);
  properties[PROP_EVAL_IMAGES] = g_param_spec_uint ("eval-images", NULL, NULL, 16, 10000, 256, flags);
  properties[PROP_EVAL_INTERVAL] =
    g_param_spec_uint ("eval-interval", NULL, NULL, 1, 10000, 200, flags);
  properties[PROP_SALIENCY_METHOD] =
    g_param_spec_string ("saliency-method", NULL, NULL, "gradient", flags);
  properties[PROP_COLORMAP] = g_param_spec_string ("colormap", NULL, NULL, "viridis", flags);
  properties[PROP_DATASET_FOLDER] = g_param_spec_string ("dataset-folder", NULL, NULL, "", flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, orbit_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, eval_images_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, eval_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, saliency_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, colormap_dropdown);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, folder_button);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, folder_label);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
inv_preferences_window_init (InvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->dataset_folder = g_strdup ("");
  gtk_label_set_text (self->folder_label, _("(home folder)"));
  /* Connected here, not in the template, so gtk4-builder-tool validates it. */
  for (guint p = PROP_BATCH_SIZE; p <= PROP_EVAL_INTERVAL; p++)
    g_signal_connect_swapped (spin_for_prop (self, p), "value-changed",
                              G_CALLBACK (value_changed_cb), self);
  g_signal_connect_swapped (self->saliency_dropdown, "notify::selected",
                            G_CALLBACK (saliency_selected_cb), self);
  g_signal_connect_swapped (self->colormap_dropdown, "notify::selected",
                            G_CALLBACK (colormap_selected_cb), self);
  g_signal_connect_swapped (self->folder_button, "clicked", G_CALLBACK (folder_clicked_cb), self);

  self->settings = inv_settings_new ();
  if (self->settings)
    {
      static const struct {
        const char *key, *property;
      } numbers[] = {
        { "batch-size", "batch-size" },
        { "orbit-samples", "orbit-samples" },
        { "worker-threads", "threads" },
        { "eval-subset-size", "eval-images" },
        { "eval-interval", "eval-interval" },
      };
      for (size_t i = 0; i < G_N_ELEMENTS (numbers); i++)
        inv_settings_bind_number (self->settings, numbers[i].key, self, numbers[i].property,
                                  G_SETTINGS_BIND_DEFAULT);
      g_settings_bind_with_mapping (self->settings, "saliency-method", self, "saliency-method",
                                    G_SETTINGS_BIND_DEFAULT, saliency_get_mapping,
                                    saliency_set_mapping, NULL, NULL);
      g_settings_bind (self->settings, "colormap", self, "colormap", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (self->settings, "default-dataset-folder", self, "dataset-folder",
                       G_SETTINGS_BIND_DEFAULT);
    }
}

/* Public API. */

InvPreferencesWindow *
inv_preferences_window_new (void)
{
  return g_object_new (INV_TYPE_PREFERENCES_WINDOW, NULL);
}

InvSaliencyMethod
inv_preferences_window_get_saliency_method (InvPreferencesWindow *self)
{
  g_return_val_if_fail (INV_IS_PREFERENCES_WINDOW (self), INV_SALIENCY_GRADIENT);
  guint i = gtk_drop_down_get_selected (self->saliency_dropdown);
  return i < INV_SALIENCY_N_METHODS ? (InvSaliencyMethod) i : INV_SALIENCY_GRADIENT;
}

void
inv_preferences_window_fill_config (InvPreferencesWindow *self, InvRunConfig *cfg)
{
  g_return_if_fail (INV_IS_PREFERENCES_WINDOW (self));
  cfg->batch = spin_size (self->batch_spin);
  cfg->orbit_samples = spin_size (self->orbit_spin);
  cfg->threads = (int) spin_size (self->threads_spin);
  cfg->eval_images = spin_size (self->eval_images_spin);
  cfg->eval_interval = spin_size (self->eval_interval_spin);
  cfg->saliency = inv_preferences_window_get_saliency_method (self);
}

InvColormap
inv_preferences_window_get_colormap (InvPreferencesWindow *self)
{
  g_return_val_if_fail (INV_IS_PREFERENCES_WINDOW (self), INV_COLORMAP_VIRIDIS);
  guint i = gtk_drop_down_get_selected (self->colormap_dropdown);
  return i < INV_N_COLORMAPS ? (InvColormap) i : INV_COLORMAP_VIRIDIS;
}

const char *
inv_preferences_window_get_dataset_folder (InvPreferencesWindow *self)
{
  g_return_val_if_fail (INV_IS_PREFERENCES_WINDOW (self), "");
  return self->dataset_folder;
}
