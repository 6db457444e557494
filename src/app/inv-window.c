/* InvWindow: the template, the data set (loaded in a GTask), the training
 * session's progress and snapshots, settings, keyboard shortcuts and the
 * grid's rows. The shift sliders, the drawing pad and the off-thread
 * evaluations live in inv-window-shift.c, exports in inv-window-export.c,
 * what the actions do in inv-window-actions.c. */
#include "config.h"
#include "inv-window-private.h"
#include "inv-application.h"
#include "inv-settings.h"
#include "inv-trace.h"
#include <glib/gi18n.h>
#include <math.h>

G_DEFINE_FINAL_TYPE (InvWindow, inv_window, GTK_TYPE_APPLICATION_WINDOW)

/* The info bar's "Lower Learning Rate" button. */
#define RESPONSE_LOWER_LR 1
/* Keys of the training history a snapshot adds to. */
static const char *const snapshot_keys[] = { "orbit_accuracy", "pdi", "logit_invariance", "sis",
                                             "noninvariant_energy" };

/* Helpers. */

static char *
format_duration (double seconds)
{
  if (!isfinite (seconds) || seconds < 0)
    return g_strdup ("–");
  long s = lround (seconds);
  if (s >= 3600)
    return g_strdup_printf ("%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%ld:%02ld", s / 60, s % 60);
}

static char *
row_subtitle (InvWindow *self, InvFamily f)
{
  const InvMetrics *m = inv_window_shown_metrics (self, f);
  g_autoptr (GString) s = g_string_new (NULL);
  if (self->origins[f])
    g_string_append (s, self->origins[f]);
  if (isfinite (m->orbit_accuracy))
    g_string_append_printf (s, "%s%s %.0f%%", s->len ? " · " : "", _("acc"),
                            100 * m->orbit_accuracy);
  if (isfinite (m->sis))
    g_string_append_printf (s, "%sSIS %.2f", s->len ? " · " : "", m->sis);
  return s->len ? g_string_free (g_steal_pointer (&s), FALSE) : NULL;
}

static void
update_subtitle (InvWindow *self)
{
  g_autofree char *text = NULL;
  const char *group = inv_setup_panel_get_group (self->setup_panel);
  if (self->data && self->group)
    text = g_strdup_printf (_("%s · %s, %zu elements"),
                            /* the core names its data sets in English; the catalog has them */
                            gettext (self->data->ds->title), group,
                            self->group->order);
  else
    text = g_strdup_printf (_("%s · %s"), inv_setup_panel_get_dataset (self->setup_panel), group);
  gtk_label_set_text (self->subtitle_label, text);
}

static void
update_actions (InvWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  if (INV_IS_APPLICATION (app))
    inv_application_update_actions (INV_APPLICATION (app));
}

static void
save_window_state (InvWindow *self)
{
  if (self->settings == NULL)
    return;
  int w, h;
  gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));
  if (!maximized && w > 0 && h > 0)
    {
      g_settings_set_int (self->settings, "window-width", MAX (w, 320));
      g_settings_set_int (self->settings, "window-height", MAX (h, 240));
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
}

/* Whether the focused widget uses key (Space, or an arrow when arrows)
 * itself: text and spin entries, sliders for arrows, popovers. */
static gboolean
focus_takes_key (InvWindow *self, gboolean arrows)
{
  for (GtkWidget *w = gtk_root_get_focus (GTK_ROOT (self)); w && w != GTK_WIDGET (self);
       w = gtk_widget_get_parent (w))
    if (GTK_IS_EDITABLE (w) || GTK_IS_TEXT_VIEW (w) || GTK_IS_POPOVER (w)
        || (arrows && GTK_IS_RANGE (w)))
      return TRUE;
  return FALSE;
}

static void
bind_settings (InvWindow *self)
{
  self->settings = inv_settings_new ();
  if (self->settings == NULL)
    return;
  gtk_window_set_default_size (GTK_WINDOW (self), g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
  static const struct {
    const char *key, *property;
  } numbers[] = {
    { "lambda", "lambda" },
    { "learning-rate", "learning-rate" },
    { "epochs", "epochs" },
    { "train-subset", "subset" },
    { "seed", "seed" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (numbers); i++)
    inv_settings_bind_number (self->settings, numbers[i].key, self->setup_panel,
                              numbers[i].property, G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "architecture", self->setup_panel, "architecture",
                   G_SETTINGS_BIND_DEFAULT);
  /* The data set and group come from inv_window_new (falling back to the
   * settings there) and are only written back. */
  g_settings_bind (self->settings, "dataset", self->setup_panel, "dataset", G_SETTINGS_BIND_SET);
  g_settings_bind (self->settings, "group", self->setup_panel, "group", G_SETTINGS_BIND_SET);
  g_settings_bind (self->settings, "align-to-identity", self->grid, "aligned",
                   G_SETTINGS_BIND_DEFAULT);
}

/* Signal callbacks. */

static void
info_bar_response_cb (InvWindow *self, int response)
{
  if (response == RESPONSE_LOWER_LR)
    {
      inv_window_lower_learning_rate (self);
      return;
    }
  inv_window_hide_info (self);
}

static void
setup_group (InvWindow *self)
{
  g_autoptr (GError) error = NULL;
  g_clear_pointer (&self->group, inv_group_free);
  inv_window_clear_results (self);
  if (self->data == NULL)
    {
      inv_saliency_grid_set_columns (self->grid, 0, NULL, 0, 0);
      return;
    }
  const InvDataset *ds = self->data->ds;
  self->group = inv_group_new (inv_setup_panel_get_group (self->setup_panel), ds->h, ds->w, &error);
  if (self->group == NULL)
    {
      inv_saliency_grid_set_columns (self->grid, 0, NULL, 0, 0);
      inv_window_show_error (self, _("This group does not fit the data set"), error);
      return;
    }
  inv_saliency_grid_set_columns (self->grid, self->group->order,
                                 (const char *const *) self->group->labels, ds->h, ds->w);
  inv_saliency_grid_set_class_names (self->grid, (const char *const *) ds->class_names);

  if (self->pending_load)
    {
      InvModelRef *ref = g_steal_pointer (&self->pending_load);
      const InvModel *m = ref->model;
      if (m->h == ds->h && m->w == ds->w && m->n_classes == ds->n_classes
          && m->group->kind == self->group->kind && m->group->order == self->group->order)
        {
          g_autofree char *origin = g_steal_pointer (&self->pending_origin);
          inv_window_set_model (self, inv_family_of_model (m), ref, origin);
          return;
        }
      g_autoptr (GError) fit = g_error_new (INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                                            _("%s does not fit this data set and group"),
                                            self->pending_origin);
      inv_window_show_error (self, _("Cannot show the model"), fit);
      g_clear_pointer (&self->pending_origin, g_free);
      inv_model_ref_unref (ref);
    }
  inv_window_explain (self);
}

static void
load_dataset_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  InvDataset *ds = inv_dataset_load (task_data, &error);
  if (ds)
    g_task_return_pointer (task, inv_data_new (ds, task_data), (GDestroyNotify) inv_data_unref);
  else
    g_task_return_error (task, error);
}

static void
dataset_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  InvData *data = g_task_propagate_pointer (G_TASK (result), &error);
  if (data == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      InvWindow *self = INV_WINDOW (source);
      inv_setup_panel_set_dataset_info (self->setup_panel, _("Could not be loaded."));
      inv_window_show_error (self, _("Cannot load the data set"), error);
      inv_window_sync_state (self);
      return;
    }
  InvWindow *self = INV_WINDOW (source);
  g_clear_pointer (&self->data, inv_data_unref);
  self->data = data;
  const InvDataset *ds = data->ds;
  g_autofree char *info = g_strdup_printf (_("%zu training and %zu test images of %zu×%zu "
                                             "pixels, %zu classes"),
                                           ds->train.n, ds->test.n, ds->h, ds->w, ds->n_classes);
  inv_setup_panel_set_dataset_info (self->setup_panel, info);
  gtk_adjustment_set_upper (self->sample_adjustment, ds->test.n > 0 ? (double) ds->test.n - 1 : 0);
  self->sample = MIN (self->sample, ds->test.n > 0 ? ds->test.n - 1 : 0);
  gtk_adjustment_set_value (self->sample_adjustment, (double) self->sample);
  inv_drawing_pad_set_image_size (self->drawing_pad, ds->h, ds->w);
  inv_window_update_sample_label (self);
  setup_group (self);
  update_subtitle (self);
  inv_window_sync_state (self);
}

static void
load_dataset (InvWindow *self)
{
  const char *spec = inv_setup_panel_get_dataset (self->setup_panel);
  g_cancellable_cancel (self->data_cancellable);
  g_clear_object (&self->data_cancellable);
  self->data_cancellable = g_cancellable_new ();
  inv_train_session_reset (self->session);
  g_clear_pointer (&self->data, inv_data_unref);
  g_clear_pointer (&self->group, inv_group_free);
  inv_window_clear_results (self);
  inv_saliency_grid_set_columns (self->grid, 0, NULL, 0, 0);
  inv_setup_panel_set_dataset_info (self->setup_panel, _("Loading…"));
  inv_window_update_sample_label (self);
  update_subtitle (self);

  GTask *task = g_task_new (self, self->data_cancellable, dataset_loaded_cb, NULL);
  g_task_set_source_tag (task, load_dataset);
  g_task_set_task_data (task, g_strdup (spec), g_free);
  g_task_run_in_thread (task, load_dataset_thread);
  g_object_unref (task);
  inv_window_sync_state (self);
}

static void
dataset_changed_cb (InvWindow *self)
{
  load_dataset (self);
}

static void
group_changed_cb (InvWindow *self)
{
  update_subtitle (self);
  if (self->data)
    setup_group (self);
  inv_window_sync_state (self);
}

static void
session_state_changed_cb (InvWindow *self)
{
  /* Trace: train-running (started or resumed), train-paused,
   * train-finished, train-failed, train-idle (reset). */
  static const char *const events[] = { "train-idle", "train-running", "train-paused",
                                        "train-finished", "train-failed" };
  InvTrainState state = inv_train_session_get_state (self->session);
  inv_trace (events[MIN ((size_t) state, G_N_ELEMENTS (events) - 1)], "step=%zu",
             inv_train_session_get_step (self->session));
  inv_window_sync_state (self);
}

static void
session_progress_cb (InvTrainSession *session, const InvRunProgress *p, InvWindow *self)
{
  for (size_t i = 0; i < p->n_losses; i++)
    inv_history_append (self->history, "loss", p->losses[i].family,
                        (double) p->losses[i].step, p->losses[i].loss);
  double fraction = p->total_steps ? (double) p->step / (double) p->total_steps : 0;
  gtk_progress_bar_set_fraction (self->progress_bar, fraction);
  g_autofree char *eta = format_duration (p->eta);
  g_autofree char *text =
    g_strdup_printf (_("Epoch %zu of %zu · step %zu of %zu · %.0f images/s · %s left"),
                     MAX (p->epoch, 1), p->epochs, p->step, p->total_steps,
                     p->images_per_sec, eta);
  gtk_progress_bar_set_text (self->progress_bar, text);
}

static void
session_snapshot_cb (InvTrainSession *session, InvSnapshot *snap, InvWindow *self)
{
  self->models_serial++;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&self->models[f], inv_model_ref_unref);
      if (snap->fam[f].model)
        self->models[f] = inv_model_ref_ref (snap->fam[f].model);
      self->metrics[f] = snap->fam[f].metrics;
      g_clear_pointer (&self->origins[f], g_free);
      const InvMetrics *m = &snap->fam[f].metrics;
      double values[] = { m->orbit_accuracy, m->pdi, m->logit_invariance, m->sis,
                          m->noninvariant_energy };
      G_STATIC_ASSERT (G_N_ELEMENTS (values) == G_N_ELEMENTS (snapshot_keys));
      for (size_t k = 0; k < G_N_ELEMENTS (snapshot_keys); k++)
        inv_history_append (self->history, snapshot_keys[k], f, (double) snap->step, values[k]);
    }
  inv_window_shift_models_changed (self);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_window_set_spectrum (self, f, snap->fam[f].sv, snap->fam[f].n_sv);
  if (inv_trace_enabled ())
    {
      char acc[INV_N_FAMILIES][G_ASCII_DTOSTR_BUF_SIZE];
      for (int f = 0; f < INV_N_FAMILIES; f++)
        g_ascii_formatd (acc[f], sizeof acc[f], "%.4f", snap->fam[f].metrics.orbit_accuracy);
      inv_trace ("snapshot", "step=%zu of=%zu acc_unconstrained=%s acc_regularized=%s acc_tied=%s",
                 snap->step, snap->total_steps, acc[0], acc[1], acc[2]);
    }

  /* The worker explained the sample, unshifted: use that when it is what
   * the grid shows; else evaluate here. */
  InvSaliencyMethod method = inv_preferences_window_get_saliency_method (self->preferences);
  gboolean plain = !inv_window_is_drawing (self) && inv_shift_panel_is_identity (self->shift_panel);
  if (plain && snap->sample == self->sample && snap->saliency == method && snap->fam[0].maps)
    {
      InvOrbitMaps *maps[INV_N_FAMILIES];
      for (int f = 0; f < INV_N_FAMILIES; f++)
        maps[f] = snap->fam[f].maps;
      inv_saliency_grid_set_input (self->grid, maps[0]->orbit->images);
      inv_window_set_grid_rows (self, maps);
      inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS)
                                 | INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP));
    }
  else
    inv_window_explain (self);
  inv_window_update_table (self);
  update_actions (self);
}

static void
session_failed_cb (InvTrainSession *session, const GError *error, InvWindow *self)
{
  inv_window_show_error (self, _("Training stopped"), error);
  if (g_error_matches (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_DIVERGED))
    gtk_widget_set_visible (self->lower_lr_button, TRUE);
}

static void
saliency_method_changed_cb (InvWindow *self)
{
  inv_window_explain (self);
}

static void
colormap_changed_cb (InvWindow *self)
{
  inv_saliency_grid_set_colormap (self->grid, inv_preferences_window_get_colormap (self->preferences));
}

static void
dataset_folder_changed_cb (InvWindow *self)
{
  inv_setup_panel_set_default_folder (self->setup_panel,
                                      inv_preferences_window_get_dataset_folder (self->preferences));
}

static void
aligned_changed_cb (InvWindow *self)
{
  GAction *align = g_action_map_lookup_action (G_ACTION_MAP (self), "align");
  if (align)
    g_simple_action_set_state (G_SIMPLE_ACTION (align),
                               g_variant_new_boolean (inv_saliency_grid_get_aligned (self->grid)));
}

static gboolean
close_request_cb (InvWindow *self)
{
  save_window_state (self);
  return FALSE;
}

/* Space: train or pause; Left, Right: the previous or next test image;
 * unless the focused widget needs the key itself. */
static gboolean
key_shortcut_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (widget);
  int key = GPOINTER_TO_INT (user_data);
  if (focus_takes_key (self, key != GDK_KEY_space))
    return FALSE;
  switch (key)
    {
    case GDK_KEY_space:
      inv_window_toggle_training (self);
      return TRUE;
    case GDK_KEY_Left:
      return gtk_widget_activate_action (widget, "win.previous-sample", NULL);
    case GDK_KEY_Right:
      return gtk_widget_activate_action (widget, "win.next-sample", NULL);
    default:
      return FALSE;
    }
}

/* Overrides. */

static void
inv_window_dispose (GObject *object)
{
  InvWindow *self = INV_WINDOW (object);
  save_window_state (self);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->data_cancellable);
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  /* Joins the worker; it never waits on the main thread. */
  g_clear_object (&self->session);
  inv_window_shift_dispose (self);
  if (self->evaluator)
    g_signal_handlers_disconnect_by_data (self->evaluator, self);
  g_clear_object (&self->evaluator);
  if (self->preferences)
    {
      g_signal_handlers_disconnect_by_data (self->preferences, self);
      gtk_window_destroy (GTK_WINDOW (self->preferences));
      g_clear_object (&self->preferences);
    }
  if (self->export_dialog)
    {
      g_signal_handlers_disconnect_by_data (self->export_dialog, self);
      gtk_window_destroy (GTK_WINDOW (self->export_dialog));
      g_clear_object (&self->export_dialog);
    }
  if (self->settings)
    {
      g_settings_unbind (self->grid, "aligned");
      static const char *const props[] = { "lambda", "learning-rate", "epochs", "subset", "seed",
                                           "architecture", "dataset", "group" };
      for (size_t i = 0; i < G_N_ELEMENTS (props); i++)
        g_settings_unbind (self->setup_panel, props[i]);
      g_clear_object (&self->settings);
    }
  if (self->grid)
    g_signal_handlers_disconnect_by_data (self->grid, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), INV_TYPE_WINDOW);
  g_clear_object (&self->history);
  G_OBJECT_CLASS (inv_window_parent_class)->dispose (object);
}

static void
inv_window_finalize (GObject *object)
{
  InvWindow *self = INV_WINDOW (object);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&self->models[f], inv_model_ref_unref);
      g_free (self->origins[f]);
    }
  g_clear_pointer (&self->pending_load, inv_model_ref_unref);
  g_free (self->pending_origin);
  g_clear_pointer (&self->data, inv_data_unref);
  g_clear_pointer (&self->group, inv_group_free);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->data_cancellable);
  G_OBJECT_CLASS (inv_window_parent_class)->finalize (object);
}

static void
inv_window_class_init (InvWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  object_class->dispose = inv_window_dispose;
  object_class->finalize = inv_window_finalize;

  g_type_ensure (INV_TYPE_SETUP_PANEL);
  g_type_ensure (INV_TYPE_SHIFT_PANEL);
  g_type_ensure (INV_TYPE_DRAWING_PAD);
  g_type_ensure (INV_TYPE_SALIENCY_GRID);
  g_type_ensure (INV_TYPE_PLOT);
  g_type_ensure (INV_TYPE_SWEEP_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_button);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_icon);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, side_stack);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, setup_panel);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, shift_panel);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, drawing_pad);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, brush_adjustment);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sample_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sample_spin);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sample_adjustment);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, grid);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, plot_stack);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, loss_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, accuracy_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, pdi_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, li_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sis_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sweep_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, shift_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, metrics_table);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, table_caption);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, sv_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, energy_plot);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, progress_bar);
}

static void
inv_window_init (InvWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->data_cancellable = g_cancellable_new ();
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_metrics_init (&self->metrics[f]);

  /* Connected here, not in the template, so gtk4-builder-tool validates it. */
  g_signal_connect_swapped (self->info_bar, "response", G_CALLBACK (info_bar_response_cb), self);
  g_signal_connect_swapped (self->setup_panel, "notify::dataset", G_CALLBACK (dataset_changed_cb), self);
  g_signal_connect_swapped (self->setup_panel, "notify::group", G_CALLBACK (group_changed_cb), self);
  g_signal_connect_swapped (self->sample_spin, "value-changed",
                            G_CALLBACK (inv_window_sample_changed_cb), self);
  g_signal_connect_swapped (self, "close-request", G_CALLBACK (close_request_cb), self);
  self->lower_lr_button = gtk_info_bar_add_button (self->info_bar, _("_Lower Learning Rate"),
                                                   RESPONSE_LOWER_LR);
  gtk_widget_set_tooltip_text (self->lower_lr_button,
                               _("Divide the learning rate by 10 and reset, ready to train again"));
  gtk_widget_set_visible (self->lower_lr_button, FALSE);

  self->history = inv_history_new ();
  InvPlot *plots[] = { self->loss_plot, self->accuracy_plot, self->pdi_plot, self->li_plot,
                       self->sis_plot, self->energy_plot };
  for (size_t i = 0; i < G_N_ELEMENTS (plots); i++)
    inv_plot_set_history (plots[i], self->history);

  self->session = inv_train_session_new ();
  g_signal_connect_swapped (self->session, "notify::state",
                            G_CALLBACK (session_state_changed_cb), self);
  g_signal_connect (self->session, "progress", G_CALLBACK (session_progress_cb), self);
  g_signal_connect (self->session, "snapshot", G_CALLBACK (session_snapshot_cb), self);
  g_signal_connect (self->session, "failed", G_CALLBACK (session_failed_cb), self);
  self->evaluator = inv_evaluator_new ();

  self->preferences = g_object_ref_sink (inv_preferences_window_new ());
  gtk_window_set_transient_for (GTK_WINDOW (self->preferences), GTK_WINDOW (self));
  g_signal_connect_swapped (self->preferences, "notify::saliency-method",
                            G_CALLBACK (saliency_method_changed_cb), self);
  g_signal_connect_swapped (self->preferences, "notify::colormap",
                            G_CALLBACK (colormap_changed_cb), self);
  g_signal_connect_swapped (self->preferences, "notify::dataset-folder",
                            G_CALLBACK (dataset_folder_changed_cb), self);
  colormap_changed_cb (self);
  dataset_folder_changed_cb (self);

  g_object_bind_property (self->brush_adjustment, "value", self->drawing_pad, "brush-size",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);

  GtkEventController *keys = gtk_shortcut_controller_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  const guint key_list[] = { GDK_KEY_space, GDK_KEY_Left, GDK_KEY_Right };
  for (size_t i = 0; i < G_N_ELEMENTS (key_list); i++)
    gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (keys),
      gtk_shortcut_new (gtk_keyval_trigger_new (key_list[i], 0),
                        gtk_callback_action_new (key_shortcut_cb, GINT_TO_POINTER (key_list[i]), NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self), keys);

  inv_window_actions_init (self);
  inv_window_shift_init (self);
  inv_window_export_init (self);
  bind_settings (self);
  g_signal_connect_swapped (self->grid, "notify::aligned", G_CALLBACK (aligned_changed_cb), self);
  aligned_changed_cb (self);
}

/* Module API (inv-window-private.h). */

void
inv_window_update_sample_label (InvWindow *self)
{
  if (inv_window_is_drawing (self))
    {
      gtk_label_set_text (self->sample_label, _("your drawing, as each model sees it"));
      return;
    }
  if (self->data == NULL || self->data->ds->test.n == 0)
    {
      gtk_label_set_text (self->sample_label, "");
      return;
    }
  const InvDataset *ds = self->data->ds;
  size_t label = ds->test.labels[self->sample];
  const char *name = label < ds->n_classes && ds->class_names ? ds->class_names[label] : "?";
  g_autofree char *text = g_strdup_printf (_("test image %zu of %zu · true class: %s"),
                                           self->sample, ds->test.n, name);
  gtk_label_set_text (self->sample_label, text);
}

void
inv_window_show_error (InvWindow *self, const char *primary, const GError *error)
{
  g_autofree char *text = g_strdup_printf ("%s: %s", primary, error ? error->message : "");
  gtk_widget_set_visible (self->lower_lr_button, FALSE);
  gtk_info_bar_set_message_type (self->info_bar, GTK_MESSAGE_ERROR);
  gtk_label_set_text (self->info_label, text);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

static void
error_dialog_response_cb (GtkDialog *dialog, int response, gpointer user_data)
{
  gtk_window_destroy (GTK_WINDOW (dialog));
}

void
inv_window_show_error_dialog (InvWindow *self, const char *primary, const GError *error)
{
  GtkWidget *dialog = gtk_message_dialog_new (GTK_WINDOW (self),
                                              GTK_DIALOG_MODAL | GTK_DIALOG_DESTROY_WITH_PARENT,
                                              GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", primary);
  if (error)
    gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (dialog), "%s", error->message);
  g_signal_connect (dialog, "response", G_CALLBACK (error_dialog_response_cb), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
inv_window_show_info (InvWindow *self, const char *text)
{
  gtk_widget_set_visible (self->lower_lr_button, FALSE);
  gtk_info_bar_set_message_type (self->info_bar, GTK_MESSAGE_INFO);
  gtk_label_set_text (self->info_label, text);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

void
inv_window_hide_info (InvWindow *self)
{
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
  gtk_widget_set_visible (self->lower_lr_button, FALSE);
  gtk_info_bar_set_message_type (self->info_bar, GTK_MESSAGE_ERROR);
}

void
inv_window_clear_results (InvWindow *self)
{
  inv_evaluator_cancel_all (self->evaluator);
  self->models_serial++;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&self->models[f], inv_model_ref_unref);
      g_clear_pointer (&self->origins[f], g_free);
      inv_metrics_init (&self->metrics[f]);
      inv_window_set_spectrum (self, f, NULL, 0);
    }
  inv_window_shift_models_changed (self);
  inv_history_clear (self->history);
  inv_saliency_grid_clear_rows (self->grid);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, "");
  inv_window_update_table (self);
  update_actions (self);
}

void
inv_window_explain (InvWindow *self)
{
  inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_GRID)
                             | INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS)
                             | INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP));
}

void
inv_window_set_grid_rows (InvWindow *self, InvOrbitMaps *const *maps)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_autofree char *sub = row_subtitle (self, f);
      inv_saliency_grid_set_row (self->grid, f, self->models[f] ? maps[f] : NULL, sub);
    }
}

void
inv_window_update_row_subtitles (InvWindow *self)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_autofree char *sub = row_subtitle (self, f);
      inv_saliency_grid_set_row_subtitle (self->grid, f, sub);
    }
}

void
inv_window_set_model (InvWindow *self, InvFamily family, InvModelRef *model, const char *origin)
{
  g_clear_pointer (&self->models[family], inv_model_ref_unref);
  self->models[family] = model;
  g_free (self->origins[family]);
  self->origins[family] = g_strdup (origin);
  inv_metrics_init (&self->metrics[family]);
  inv_window_set_spectrum (self, family, NULL, 0);
  self->models_serial++;
  inv_window_shift_models_changed (self);
  inv_window_explain (self);
  inv_window_update_table (self);
  update_actions (self);
}

void
inv_window_sync_state (InvWindow *self)
{
  InvTrainState state = inv_train_session_get_state (self->session);
  gboolean active = state == INV_TRAIN_STATE_RUNNING || state == INV_TRAIN_STATE_PAUSED;
  const char *status;
  switch (state)
    {
    case INV_TRAIN_STATE_RUNNING:
      status = _("Training");
      break;
    case INV_TRAIN_STATE_PAUSED:
      status = _("Paused");
      break;
    case INV_TRAIN_STATE_FINISHED:
      status = _("Finished");
      break;
    case INV_TRAIN_STATE_FAILED:
      status = _("Stopped");
      break;
    case INV_TRAIN_STATE_IDLE:
    default:
      status = self->data ? _("Ready") : _("Loading data…");
      break;
    }
  gtk_label_set_text (self->status_label, status);

  gboolean running = state == INV_TRAIN_STATE_RUNNING;
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->train_button),
                                  running ? "app.pause" : "app.train");
  gtk_label_set_text_with_mnemonic (self->train_label,
                                    running ? _("_Pause")
                                    : state == INV_TRAIN_STATE_PAUSED ? _("Res_ume") : _("_Train"));
  gtk_image_set_from_icon_name (self->train_icon, running ? "media-playback-pause-symbolic"
                                                          : "media-playback-start-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->train_button),
                               running ? _("Pause training (Space)")
                                       : _("Train the three model families (Space)"));
  if (running)
    gtk_widget_remove_css_class (GTK_WIDGET (self->train_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->train_button), "suggested-action");
  gtk_widget_set_sensitive (GTK_WIDGET (self->setup_panel), !active);
  update_actions (self);
}

const InvMetrics *
inv_window_shown_metrics (InvWindow *self, InvFamily family)
{
  static InvMetrics pending;
  static gsize pending_init;
  if (g_once_init_enter (&pending_init))
    {
      inv_metrics_init (&pending);
      g_once_init_leave (&pending_init, 1);
    }
  if (inv_shift_panel_is_identity (self->shift_panel))
    return &self->metrics[family];
  return self->shift_metrics_valid ? &self->shift_metrics[family] : &pending;
}

/* For the GUI tests. */

InvSaliencyGrid *
inv_window_get_grid (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->grid;
}

InvPlot *
inv_window_get_plot (InvWindow *self, const char *metric)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  if (g_strcmp0 (metric, "spectrum") == 0)
    return self->sv_plot;
  InvPlot *plots[] = { self->loss_plot, self->accuracy_plot, self->pdi_plot, self->li_plot,
                       self->sis_plot, self->energy_plot };
  for (size_t i = 0; i < G_N_ELEMENTS (plots); i++)
    if (g_strcmp0 (inv_plot_get_metric (plots[i]), metric) == 0)
      return plots[i];
  return NULL;
}

GtkWidget *
inv_window_get_plot_stack (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->plot_stack);
}

GtkWidget *
inv_window_get_side_stack (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return GTK_WIDGET (self->side_stack);
}

InvSetupPanel *
inv_window_get_setup_panel (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->setup_panel;
}

InvShiftPanel *
inv_window_get_shift_panel (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->shift_panel;
}

InvDrawingPad *
inv_window_get_drawing_pad (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->drawing_pad;
}

InvSweepPlot *
inv_window_get_sweep_plot (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->sweep_plot;
}

InvPreferencesWindow *
inv_window_get_preferences (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->preferences;
}

InvExportDialog *
inv_window_get_export_dialog (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->export_dialog;
}

InvTrainSession *
inv_window_get_session (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->session;
}

GtkInfoBar *
inv_window_get_info_bar (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->info_bar;
}

const char *
inv_window_get_info_text (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return gtk_info_bar_get_revealed (self->info_bar) ? gtk_label_get_text (self->info_label) : NULL;
}

gboolean
inv_window_is_idle (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  return self->data != NULL && self->pending_load == NULL && self->mix_cancellable == NULL
         && inv_evaluator_is_idle (self->evaluator);
}

size_t
inv_window_get_step (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), 0);
  return inv_train_session_get_step (self->session);
}

const InvModel *
inv_window_get_model (InvWindow *self, InvFamily family)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  g_return_val_if_fail (family < INV_N_FAMILIES, NULL);
  return self->models[family] ? self->models[family]->model : NULL;
}

gboolean
inv_window_get_current_metrics (InvWindow *self, InvFamily family, InvMetrics *out)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  g_return_val_if_fail (family < INV_N_FAMILIES, FALSE);
  if (self->models[family] == NULL)
    return FALSE;
  *out = *inv_window_shown_metrics (self, family);
  return TRUE;
}

/* Public API. */

InvWindow *
inv_window_new (GtkApplication *app, const char *dataset_spec, const char *group)
{
  InvWindow *self = g_object_new (INV_TYPE_WINDOW, "application", app, NULL);
  g_autofree char *saved_dataset = NULL, *saved_group = NULL;
  if (self->settings)
    {
      saved_dataset = g_settings_get_string (self->settings, "dataset");
      saved_group = g_settings_get_string (self->settings, "group");
    }
  if (group == NULL)
    group = saved_group;
  if (group)
    inv_setup_panel_set_group (self->setup_panel, group);
  const char *spec = dataset_spec ? dataset_spec : saved_dataset && *saved_dataset ? saved_dataset
                                                                                   : "fashion";
  /* The panel notifies (and we load) only when the spec changes. */
  if (g_strcmp0 (inv_setup_panel_get_dataset (self->setup_panel), spec) == 0)
    load_dataset (self);
  else
    inv_setup_panel_set_dataset (self->setup_panel, spec);
  return self;
}

InvTrainState
inv_window_get_state (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), INV_TRAIN_STATE_IDLE);
  return inv_train_session_get_state (self->session);
}

gboolean
inv_window_can_train (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  InvTrainState state = inv_train_session_get_state (self->session);
  return state == INV_TRAIN_STATE_PAUSED
         || (state != INV_TRAIN_STATE_RUNNING && self->data != NULL && self->group != NULL);
}

gboolean
inv_window_can_open (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  InvTrainState state = inv_train_session_get_state (self->session);
  return state != INV_TRAIN_STATE_RUNNING && state != INV_TRAIN_STATE_PAUSED;
}

gboolean
inv_window_can_save (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (self->models[f])
      return TRUE;
  return FALSE;
}
