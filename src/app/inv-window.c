/* InvWindow: the template, the data set (loaded in a GTask), the training
 * session's progress and snapshots, and the grid's orbits (computed in a
 * GTask whenever the sample, the models or the saliency method change).
 * What the actions do lives in inv-window-actions.c. */
#include "config.h"
#include "inv-window-private.h"
#include "inv-application.h"
#include <glib/gi18n.h>
#include <math.h>

G_DEFINE_FINAL_TYPE (InvWindow, inv_window, GTK_TYPE_APPLICATION_WINDOW)

/* Input and output of an explain task. */
typedef struct {
  InvData *data;
  char group[16];
  size_t sample;
  InvSaliencyOptions opt;
  InvModelRef *models[INV_N_FAMILIES];
  gboolean evaluate[INV_N_FAMILIES];  /* families without metrics (opened files) */
  size_t eval_images;
  guint64 serial;
} ExplainInput;

typedef struct {
  float *input;                       /* (G, n) orbit of the sample */
  InvOrbitMaps *maps[INV_N_FAMILIES];
  InvMetrics metrics[INV_N_FAMILIES];
  gboolean evaluated[INV_N_FAMILIES];
} ExplainOutput;

/* Helpers. */

static void
explain_input_free (gpointer p)
{
  ExplainInput *in = p;
  inv_data_unref (in->data);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&in->models[f], inv_model_ref_unref);
  g_free (in);
}

static void
explain_output_free (gpointer p)
{
  ExplainOutput *out = p;
  g_free (out->input);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&out->maps[f], inv_orbit_maps_free);
  g_free (out);
}

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
  const InvMetrics *m = &self->metrics[f];
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
    text = g_strdup_printf (_("%s · %s, %zu elements"), self->data->ds->title, group,
                            self->group->order);
  else
    text = g_strdup_printf (_("%s · %s"), inv_setup_panel_get_dataset (self->setup_panel), group);
  gtk_label_set_text (self->subtitle_label, text);
}

static void
set_grid_rows_from_maps (InvWindow *self, InvOrbitMaps *const *maps)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_autofree char *sub = row_subtitle (self, f);
      inv_saliency_grid_set_row (self->grid, f, self->models[f] ? maps[f] : NULL, sub);
    }
}

static void
update_actions (InvWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  if (INV_IS_APPLICATION (app))
    inv_application_update_actions (INV_APPLICATION (app));
}

/* Explain task. */

static void
explain_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExplainInput *in = task_data;
  const InvDataset *ds = in->data->ds;
  GError *error = NULL;
  g_autoptr (InvGroup) grp = inv_group_new (in->group, ds->h, ds->w, &error);
  if (grp == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  size_t n = ds->h * ds->w;
  g_autofree float *x = g_new (float, n); /* (n) */
  inv_split_get_image (&ds->test, ds->h, ds->w, in->sample, x);
  ExplainOutput *out = g_new0 (ExplainOutput, 1);
  out->input = g_new (float, grp->order * n);
  inv_group_orbit (grp, out->input, x);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (in->models[f] == NULL)
        continue;
      if (g_task_return_error_if_cancelled (task))
        {
          explain_output_free (out);
          return;
        }
      g_autoptr (InvModel) m = inv_model_copy (in->models[f]->model);
      out->maps[f] = inv_orbit_maps_compute (m, grp, &in->opt, x, ds->test.labels[in->sample],
                                             &error);
      if (out->maps[f] == NULL)
        {
          explain_output_free (out);
          g_task_return_error (task, error);
          return;
        }
      if (in->evaluate[f])
        {
          InvEvalOptions opt;
          inv_eval_options_init (&opt);
          opt.which = INV_METRIC_LOGITS | INV_METRIC_SIS;
          opt.limit = MIN (in->eval_images, ds->test.n);
          opt.group = grp;
          opt.cancellable = cancellable;
          out->evaluated[f] = inv_evaluate (m, &ds->test, &opt, &out->metrics[f], NULL);
        }
    }
  g_task_return_pointer (task, out, explain_output_free);
}

static void
explain_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (source);
  ExplainInput *in = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  ExplainOutput *out = g_task_propagate_pointer (G_TASK (result), &error);
  self->explain_running--;
  if (out == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        inv_window_show_error (self, _("Cannot explain the predictions"), error);
      return;
    }
  /* Anything that changes the models, sample or method cancels this task,
   * so a result that arrives is current; the serial is a second guard. */
  if (in->serial == self->models_serial && in->sample == self->sample)
    {
      for (int f = 0; f < INV_N_FAMILIES; f++)
        if (out->evaluated[f])
          self->metrics[f] = out->metrics[f];
      inv_saliency_grid_set_input (self->grid, out->input);
      set_grid_rows_from_maps (self, out->maps);
    }
  explain_output_free (out);
}

/* Signal callbacks. */

static void
info_bar_response_cb (InvWindow *self, int response)
{
  gtk_info_bar_set_revealed (self->info_bar, FALSE);
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
  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  self->models_serial++;
  static const char *const keys[] = { "orbit_accuracy", "pdi", "logit_invariance", "sis" };
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&self->models[f], inv_model_ref_unref);
      if (snap->fam[f].model)
        self->models[f] = inv_model_ref_ref (snap->fam[f].model);
      self->metrics[f] = snap->fam[f].metrics;
      g_clear_pointer (&self->origins[f], g_free);
      const InvMetrics *m = &snap->fam[f].metrics;
      double values[] = { m->orbit_accuracy, m->pdi, m->logit_invariance, m->sis };
      for (size_t k = 0; k < G_N_ELEMENTS (keys); k++)
        inv_history_append (self->history, keys[k], f, (double) snap->step, values[k]);
    }
  InvSaliencyMethod method = inv_preferences_window_get_saliency_method (self->preferences);
  if (snap->sample == self->sample && snap->saliency == method)
    {
      InvOrbitMaps *maps[INV_N_FAMILIES];
      for (int f = 0; f < INV_N_FAMILIES; f++)
        maps[f] = snap->fam[f].maps;
      if (maps[0])
        inv_saliency_grid_set_input (self->grid, maps[0]->orbit->images);
      set_grid_rows_from_maps (self, maps);
    }
  else
    inv_window_explain (self);
  update_actions (self);
}

static void
session_failed_cb (InvTrainSession *session, const GError *error, InvWindow *self)
{
  inv_window_show_error (self, _("Training stopped"), error);
}

static void
saliency_method_changed_cb (InvWindow *self)
{
  inv_window_explain (self);
}

/* Overrides. */

static void
inv_window_dispose (GObject *object)
{
  InvWindow *self = INV_WINDOW (object);
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->data_cancellable);
  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  /* Joins the worker; it never waits on the main thread. */
  g_clear_object (&self->session);
  if (self->preferences)
    {
      g_signal_handlers_disconnect_by_data (self->preferences, self);
      gtk_window_destroy (GTK_WINDOW (self->preferences));
      g_clear_object (&self->preferences);
    }
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
  g_clear_object (&self->explain_cancellable);
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
  g_type_ensure (INV_TYPE_SALIENCY_GRID);
  g_type_ensure (INV_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/invlab/InvarianceLab/inv-window.ui");
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_button);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_icon);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, train_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, info_bar);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, info_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, setup_panel);
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
  gtk_widget_class_bind_template_child (widget_class, InvWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, InvWindow, progress_bar);
  gtk_widget_class_bind_template_callback (widget_class, info_bar_response_cb);
  gtk_widget_class_bind_template_callback (widget_class, dataset_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, group_changed_cb);
  gtk_widget_class_bind_template_callback_full (widget_class, "sample_changed_cb",
                                                G_CALLBACK (inv_window_sample_changed_cb));
}

static void
inv_window_init (InvWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->data_cancellable = g_cancellable_new ();
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_metrics_init (&self->metrics[f]);

  self->history = inv_history_new ();
  InvPlot *plots[] = { self->loss_plot, self->accuracy_plot, self->pdi_plot, self->li_plot,
                       self->sis_plot };
  for (size_t i = 0; i < G_N_ELEMENTS (plots); i++)
    inv_plot_set_history (plots[i], self->history);

  self->session = inv_train_session_new ();
  g_signal_connect_swapped (self->session, "notify::state",
                            G_CALLBACK (session_state_changed_cb), self);
  g_signal_connect (self->session, "progress", G_CALLBACK (session_progress_cb), self);
  g_signal_connect (self->session, "snapshot", G_CALLBACK (session_snapshot_cb), self);
  g_signal_connect (self->session, "failed", G_CALLBACK (session_failed_cb), self);

  self->preferences = g_object_ref_sink (inv_preferences_window_new ());
  gtk_window_set_transient_for (GTK_WINDOW (self->preferences), GTK_WINDOW (self));
  g_signal_connect_swapped (self->preferences, "notify::saliency-method",
                            G_CALLBACK (saliency_method_changed_cb), self);

  inv_window_actions_init (self);
}

/* Module API (inv-window-private.h). */

void
inv_window_update_sample_label (InvWindow *self)
{
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
  gtk_label_set_text (self->info_label, text);
  gtk_info_bar_set_revealed (self->info_bar, TRUE);
}

void
inv_window_clear_results (InvWindow *self)
{
  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  self->models_serial++;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&self->models[f], inv_model_ref_unref);
      g_clear_pointer (&self->origins[f], g_free);
      inv_metrics_init (&self->metrics[f]);
    }
  inv_history_clear (self->history);
  inv_saliency_grid_clear_rows (self->grid);
  gtk_progress_bar_set_fraction (self->progress_bar, 0);
  gtk_progress_bar_set_text (self->progress_bar, "");
  update_actions (self);
}

void
inv_window_explain (InvWindow *self)
{
  if (self->explain_cancellable)
    g_cancellable_cancel (self->explain_cancellable);
  g_clear_object (&self->explain_cancellable);
  if (self->data == NULL || self->group == NULL || self->data->ds->test.n == 0)
    return;
  self->explain_cancellable = g_cancellable_new ();
  ExplainInput *in = g_new0 (ExplainInput, 1);
  in->data = inv_data_ref (self->data);
  g_strlcpy (in->group, self->group->name, sizeof in->group);
  in->sample = self->sample;
  inv_saliency_options_init (&in->opt);
  in->opt.method = inv_preferences_window_get_saliency_method (self->preferences);
  in->serial = self->models_serial;
  InvRunConfig cfg;
  inv_run_config_init (&cfg);
  inv_preferences_window_fill_config (self->preferences, &cfg);
  in->opt.seed = cfg.seed;
  in->eval_images = cfg.eval_images;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (self->models[f])
      {
        in->models[f] = inv_model_ref_ref (self->models[f]);
        in->evaluate[f] = self->metrics[f].computed == 0;
      }
  self->explain_running++;
  GTask *task = g_task_new (self, self->explain_cancellable, explain_done_cb, NULL);
  g_task_set_source_tag (task, inv_window_explain);
  g_task_set_task_data (task, in, explain_input_free);
  g_task_run_in_thread (task, explain_thread);
  g_object_unref (task);
}

void
inv_window_set_model (InvWindow *self, InvFamily family, InvModelRef *model, const char *origin)
{
  g_clear_pointer (&self->models[family], inv_model_ref_unref);
  self->models[family] = model;
  g_free (self->origins[family]);
  self->origins[family] = g_strdup (origin);
  inv_metrics_init (&self->metrics[family]);
  self->models_serial++;
  inv_window_explain (self);
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
                               running ? _("Pause training (Ctrl+P)")
                                       : _("Train the three model families (Ctrl+Return)"));
  if (running)
    gtk_widget_remove_css_class (GTK_WIDGET (self->train_button), "suggested-action");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->train_button), "suggested-action");
  gtk_widget_set_sensitive (GTK_WIDGET (self->setup_panel), !active);
  update_actions (self);
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
  InvPlot *plots[] = { self->loss_plot, self->accuracy_plot, self->pdi_plot, self->li_plot,
                       self->sis_plot };
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

InvSetupPanel *
inv_window_get_setup_panel (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->setup_panel;
}

InvPreferencesWindow *
inv_window_get_preferences (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->preferences;
}

InvTrainSession *
inv_window_get_session (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), NULL);
  return self->session;
}

gboolean
inv_window_is_idle (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  return self->data != NULL && self->explain_running == 0;
}

size_t
inv_window_get_step (InvWindow *self)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), 0);
  return inv_train_session_get_step (self->session);
}

/* Public API. */

InvWindow *
inv_window_new (GtkApplication *app, const char *dataset_spec, const char *group)
{
  InvWindow *self = g_object_new (INV_TYPE_WINDOW, "application", app, NULL);
  if (group)
    inv_setup_panel_set_group (self->setup_panel, group);
  const char *spec = dataset_spec ? dataset_spec : "fashion";
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
