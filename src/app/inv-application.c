/* InvApplication: application actions with accelerators, forwarded to the
 * active InvWindow and enabled by its state (scripts drive the same
 * actions with `gapplication action`); the About dialog and the shortcuts
 * window; the --dataset/--group options; with INVLAB_TRACE set, a tracer
 * of main-loop stalls. */
#include "config.h"
#include "inv-application.h"
#include "blas.h"
#include "inv-trace.h"
#include "inv-window.h"
#include <glib/gi18n.h>

struct _InvApplication
{
  GtkApplication parent_instance;
  char *dataset;
  char *group;
  guint stall_id;             /* the stall tracer's timeout */
  gint64 stall_last;          /* µs of its last tick */
};

/* The stall tracer ticks this often and reports gaps longer than the tick
 * plus STALL_US. */
#define STALL_TICK_MS 10
#define STALL_US 20000

G_DEFINE_FINAL_TYPE (InvApplication, inv_application, GTK_TYPE_APPLICATION)

/* Helpers. */

static InvWindow *
active_window (InvApplication *self)
{
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (self));
  return INV_IS_WINDOW (win) ? INV_WINDOW (win) : NULL;
}

static void
set_enabled (InvApplication *self, const char *name, gboolean enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);
  if (G_IS_SIMPLE_ACTION (action))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

/* Signal callbacks. */

static void
train_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_train (win);
}

static void
pause_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_pause (win);
}

static void
reset_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_reset (win);
}

static void
open_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_open (win);
}

static void
save_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_save (win);
}

static void
preferences_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_show_preferences (win);
}

static void
shortcuts_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_autoptr (GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/invlab/InvarianceLab/inv-shortcuts.ui");
  GtkWindow *shortcuts = GTK_WINDOW (gtk_builder_get_object (builder, "shortcuts_window"));
  InvWindow *win = active_window (user_data);
  if (win)
    gtk_window_set_transient_for (shortcuts, GTK_WINDOW (win));
  gtk_window_present (shortcuts);
}

static void
about_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  static const char *authors[] = { "The Invariance Lab authors", NULL };
  /* Diagnostics: the BLAS kernels in use, and why (as invlab --version
   * --verbose prints them). */
  int threads = inv_blas_get_threads ();
  g_autofree char *system = g_strdup_printf (ngettext ("BLAS: %s; %d thread", "BLAS: %s; %d threads",
                                                       (unsigned long) threads),
                                             inv_blas_selection_reason (), threads);
  gtk_show_about_dialog (GTK_WINDOW (active_window (user_data)),
                         "system-information", system,
                         "program-name", _("Invariance Lab"),
                         "logo-icon-name", INVLAB_APP_ID,
                         "version", INVLAB_VERSION,
                         "comments", _("Watch whether a network is genuinely invariant to a "
                                       "transformation group, or only looks invariant on its "
                                       "training data: drag a shift slider and see learned "
                                       "invariance fail while weight-tied invariance holds. "
                                       "After Moskalev et al., “On genuine invariance learning "
                                       "without weight-tying”, 2023."),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "authors", authors,
                         NULL);
}

static void
toggle_training_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_toggle_training (win);
}

static void
export_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_show_export (win);
}

static void
export_grid_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_export (win, INV_EXPORT_GRID, g_variant_get_string (param, NULL), 0, 0, -1);
}

static void
export_figure_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  const char *name, *path;
  g_variant_get (param, "(&s&s)", &name, &path);
  InvExportItem item;
  if (win == NULL)
    return;
  if (!inv_export_item_from_name (name, &item))
    {
      g_message ("export-figure: unknown figure “%s”", name);
      return;
    }
  inv_window_export (win, item, path, 0, 0, -1);
}

static void
export_metrics_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_export (win, INV_EXPORT_METRICS_CSV, g_variant_get_string (param, NULL), 0, 0, -1);
}

static void
export_curves_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_export (win, INV_EXPORT_CURVES_CSV, g_variant_get_string (param, NULL), 0, 0, -1);
}

static void
set_shift_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  const char *kind;
  double severity;
  g_variant_get (param, "(&sd)", &kind, &severity);
  if (win && !inv_window_set_shift (win, kind, severity))
    g_message ("set-shift: unknown shift “%s” or severity", kind);
}

static void
reset_shifts_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    inv_window_reset_shifts (win);
}

static void
open_file_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *win = active_window (user_data);
  if (win)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (g_variant_get_string (param, NULL));
      inv_window_open_file (win, file);
    }
}

static gboolean
stall_tick_cb (gpointer user_data)
{
  InvApplication *self = user_data;
  gint64 now = g_get_monotonic_time ();
  if (self->stall_last && now - self->stall_last > STALL_TICK_MS * 1000 + STALL_US)
    inv_trace ("stall", "us=%" G_GINT64_FORMAT, now - self->stall_last - STALL_TICK_MS * 1000);
  self->stall_last = now;
  return G_SOURCE_CONTINUE;
}

static void
quit_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (user_data));
  /* Destroying a window joins its trainer; the application then quits. */
  while (windows)
    {
      GList *next = windows->next;
      gtk_window_destroy (GTK_WINDOW (windows->data));
      windows = next;
    }
}

static void
active_window_changed_cb (InvApplication *self)
{
  inv_application_update_actions (self);
}

static const GActionEntry app_entries[] = {
  { .name = "train", .activate = train_activated_cb },
  { .name = "pause", .activate = pause_activated_cb },
  { .name = "reset", .activate = reset_activated_cb },
  { .name = "open", .activate = open_activated_cb },
  { .name = "save", .activate = save_activated_cb },
  { .name = "preferences", .activate = preferences_activated_cb },
  { .name = "shortcuts", .activate = shortcuts_activated_cb },
  { .name = "about", .activate = about_activated_cb },
  { .name = "quit", .activate = quit_activated_cb },
  { .name = "toggle-training", .activate = toggle_training_activated_cb },
  { .name = "export", .activate = export_activated_cb },
  { .name = "export-grid", .activate = export_grid_activated_cb, .parameter_type = "s" },
  { .name = "export-figure", .activate = export_figure_activated_cb, .parameter_type = "(ss)" },
  { .name = "export-metrics", .activate = export_metrics_activated_cb, .parameter_type = "s" },
  { .name = "export-curves", .activate = export_curves_activated_cb, .parameter_type = "s" },
  { .name = "set-shift", .activate = set_shift_activated_cb, .parameter_type = "(sd)" },
  { .name = "reset-shifts", .activate = reset_shifts_activated_cb },
  { .name = "open-file", .activate = open_file_activated_cb, .parameter_type = "s" },
};

static const struct {
  const char *action;
  const char *accels[3];
} accels[] = {
  { "app.train", { "<Control>Return", NULL } },
  { "app.pause", { "<Control>p", NULL } },
  { "app.reset", { "<Control>r", NULL } },
  { "app.open", { "<Control>o", NULL } },
  { "app.save", { "<Control>s", NULL } },
  { "app.preferences", { "<Control>comma", NULL } },
  { "app.export", { "<Control>e", NULL } },
  { "app.shortcuts", { "<Control>question", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  { "window.close", { "<Control>w", NULL } },
  { "win.align", { "<Control>i", NULL } },
  { "win.previous-sample", { "<Alt>Left", NULL } },
  { "win.next-sample", { "<Alt>Right", NULL } },
  { "win.random-sample", { "<Alt>Down", NULL } },
};

/* Overrides. */

static void
inv_application_activate (GApplication *app)
{
  InvApplication *self = INV_APPLICATION (app);
  GtkWindow *win = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (!win)
    win = GTK_WINDOW (inv_window_new (GTK_APPLICATION (app), self->dataset, self->group));
  gtk_window_present (win);
}

static void
inv_application_startup (GApplication *app)
{
  InvApplication *self = INV_APPLICATION (app);
  G_APPLICATION_CLASS (inv_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), app_entries, G_N_ELEMENTS (app_entries), app);
  for (size_t i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (app), accels[i].action,
                                           accels[i].accels);
  g_signal_connect (app, "notify::active-window", G_CALLBACK (active_window_changed_cb), NULL);
  inv_application_update_actions (self);
  if (inv_trace_enabled ())
    {
      inv_trace ("start", "version=%s", INVLAB_VERSION);
      self->stall_id = g_timeout_add_full (G_PRIORITY_HIGH, STALL_TICK_MS, stall_tick_cb, self, NULL);
    }

  g_autoptr (GtkCssProvider) css = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (css, "/io/github/invlab/InvarianceLab/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static int
inv_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  InvApplication *self = INV_APPLICATION (app);
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("invariance-lab %s\n", INVLAB_VERSION);
      int threads = inv_blas_get_threads ();
      g_print (ngettext ("BLAS: %s; %d thread\n", "BLAS: %s; %d threads\n", (unsigned long) threads),
               inv_blas_selection_reason (), threads);
      return 0;
    }
  g_autofree char *dataset = NULL, *group = NULL;
  g_variant_dict_lookup (options, "dataset", "s", &dataset);
  g_variant_dict_lookup (options, "group", "s", &group);
  inv_application_set_initial (self, dataset, group);
  return -1;
}

static void
inv_application_shutdown (GApplication *app)
{
  InvApplication *self = INV_APPLICATION (app);
  g_clear_handle_id (&self->stall_id, g_source_remove);
  G_APPLICATION_CLASS (inv_application_parent_class)->shutdown (app);
}

static void
inv_application_finalize (GObject *object)
{
  InvApplication *self = INV_APPLICATION (object);
  g_clear_handle_id (&self->stall_id, g_source_remove);
  g_free (self->dataset);
  g_free (self->group);
  G_OBJECT_CLASS (inv_application_parent_class)->finalize (object);
}

static void
inv_application_class_init (InvApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = inv_application_finalize;
  G_APPLICATION_CLASS (klass)->activate = inv_application_activate;
  G_APPLICATION_CLASS (klass)->startup = inv_application_startup;
  G_APPLICATION_CLASS (klass)->shutdown = inv_application_shutdown;
  G_APPLICATION_CLASS (klass)->handle_local_options = inv_application_handle_local_options;
}

static void
inv_application_init (InvApplication *self)
{
  const GOptionEntry entries[] = {
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version"), NULL },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, NULL,
      N_("Data set: fashion, digits or idx:DIR"), N_("SPEC") },
    { "group", 'g', 0, G_OPTION_ARG_STRING, NULL, N_("Group: c4, d4, flip or trans"), N_("NAME") },
    { NULL },
  };
  g_application_add_main_option_entries (G_APPLICATION (self), entries);
}

/* Public API. */

InvApplication *
inv_application_new (void)
{
  return g_object_new (INV_TYPE_APPLICATION,
                       "application-id", INVLAB_APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       NULL);
}

void
inv_application_set_initial (InvApplication *self, const char *dataset, const char *group)
{
  g_return_if_fail (INV_IS_APPLICATION (self));
  g_free (self->dataset);
  g_free (self->group);
  self->dataset = g_strdup (dataset);
  self->group = g_strdup (group);
}

void
inv_application_update_actions (InvApplication *self)
{
  g_return_if_fail (INV_IS_APPLICATION (self));
  InvWindow *win = active_window (self);
  set_enabled (self, "train", win && inv_window_can_train (win));
  set_enabled (self, "pause", win && inv_window_get_state (win) == INV_TRAIN_STATE_RUNNING);
  set_enabled (self, "reset", win != NULL);
  set_enabled (self, "open", win && inv_window_can_open (win));
  set_enabled (self, "save", win && inv_window_can_save (win));
  set_enabled (self, "preferences", win != NULL);
  static const char *const window_actions[] = { "toggle-training", "export", "export-grid",
                                                "export-figure", "export-metrics", "export-curves",
                                                "set-shift", "reset-shifts" };
  for (size_t i = 0; i < G_N_ELEMENTS (window_actions); i++)
    set_enabled (self, window_actions[i], win != NULL);
  set_enabled (self, "open-file", win && inv_window_can_open (win));
}
