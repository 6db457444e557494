/* InvPreferencesWindow: a template of spin buttons and a drop-down; every
 * property reads its control. Escape closes (hides) the window. */
#include "config.h"
#include "inv-preferences-window.h"
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

/* Signal callbacks. */

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
  gtk_widget_dispose_template (GTK_WIDGET (object), INV_TYPE_PREFERENCES_WINDOW);
  G_OBJECT_CLASS (inv_preferences_window_parent_class)->dispose (object);
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
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
inv_preferences_window_class_init (InvPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_preferences_window_dispose;
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
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, batch_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, orbit_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, threads_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, eval_images_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, eval_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, InvPreferencesWindow, saliency_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, value_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, saliency_selected_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
inv_preferences_window_init (InvPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
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
