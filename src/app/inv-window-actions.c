/* What InvWindow's actions do: the window actions (align, sample
 * navigation, clearing the drawing) and the functions behind the
 * application's actions (train, pause, reset, open, save, preferences).
 * File I/O runs in GTasks. */
#include "config.h"
#include "inv-window-private.h"
#include <glib/gi18n.h>

/* Save task input. */
typedef struct {
  char *folder;
  InvModelRef *models[INV_N_FAMILIES];
  char group[16];
} SaveInput;

static void
save_input_free (gpointer p)
{
  SaveInput *in = p;
  g_free (in->folder);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&in->models[f], inv_model_ref_unref);
  g_free (in);
}

/* Helpers. */

static gboolean
model_fits (InvWindow *self, const InvModel *m)
{
  if (self->data == NULL || self->group == NULL)
    return FALSE;
  const InvDataset *ds = self->data->ds;
  return m->h == ds->h && m->w == ds->w && m->n_classes == ds->n_classes
         && m->group->kind == self->group->kind && m->group->order == self->group->order
         && (m->dataset == NULL || g_strcmp0 (m->dataset, self->data->spec) == 0
             || g_strcmp0 (m->dataset, ds->name) == 0);
}

/* Open task. */

static void
open_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GError *error = NULL;
  InvModel *m = inv_model_load (task_data, &error);
  if (m)
    g_task_return_pointer (task, inv_model_ref_new (m), (GDestroyNotify) inv_model_ref_unref);
  else
    g_task_return_error (task, error);
}

static void
opened_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  InvModelRef *ref = g_task_propagate_pointer (G_TASK (result), &error);
  if (ref == NULL)
    {
      /* The models shown stay as they are. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_autofree char *name = g_path_get_basename (g_task_get_task_data (G_TASK (result)));
          g_autofree char *primary = g_strdup_printf (_("Cannot open “%s”"), name);
          inv_window_show_error_dialog (INV_WINDOW (source), primary, error);
        }
      return;
    }
  InvWindow *self = INV_WINDOW (source);
  g_autofree char *origin = g_path_get_basename (g_task_get_task_data (G_TASK (result)));
  const InvModel *m = ref->model;
  if (model_fits (self, m))
    {
      inv_window_set_model (self, inv_family_of_model (m), ref, origin);
      return;
    }

  /* Switch to the model's data set and group; setup_group () puts it in
   * its row once they are ready. */
  g_clear_pointer (&self->pending_load, inv_model_ref_unref);
  g_free (self->pending_origin);
  self->pending_load = ref;
  self->pending_origin = g_steal_pointer (&origin);
  gboolean other_data = m->dataset && self->data
                        && g_strcmp0 (m->dataset, self->data->spec) != 0
                        && g_strcmp0 (m->dataset, self->data->ds->name) != 0;
  if (other_data)
    inv_setup_panel_set_dataset (self->setup_panel, m->dataset);
  if (g_strcmp0 (inv_setup_panel_get_group (self->setup_panel), m->group->name) != 0
      && !g_str_has_prefix (m->group->name, inv_setup_panel_get_group (self->setup_panel)))
    inv_setup_panel_set_group (self->setup_panel, m->group->name);
  else if (!other_data && self->data)
    {
      g_autoptr (GError) fit = g_error_new (INV_MODEL_ERROR, INV_MODEL_ERROR_ARCH,
                                            _("%s does not fit the current data set "
                                              "(%zu×%zu pixels, %zu classes)"),
                                            self->pending_origin, m->h, m->w, m->n_classes);
      g_clear_pointer (&self->pending_load, inv_model_ref_unref);
      inv_window_show_error (self, _("Cannot show the model"), fit);
    }
}

static void
open_response_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file)
        inv_window_open_file (self, file);
    }
  g_object_unref (dialog);
}

/* Save task. */

static void
save_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  SaveInput *in = task_data;
  GError *error = NULL;
  gssize saved = 0;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (in->models[f] == NULL)
        continue;
      const InvModel *m = in->models[f]->model;
      g_autofree char *name = g_strdup_printf ("%s-%s-%s.safetensors", inv_family_id (f),
                                               inv_model_kind_name (m->kind), in->group);
      g_autofree char *path = g_build_filename (in->folder, name, NULL);
      if (!inv_model_save (m, path, &error))
        {
          g_task_return_error (task, error);
          return;
        }
      saved++;
    }
  g_task_return_int (task, saved);
}

static void
saved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  gssize saved = g_task_propagate_int (G_TASK (result), &error);
  if (saved < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        inv_window_show_error (INV_WINDOW (source), _("Cannot save the models"), error);
      return;
    }
  SaveInput *in = g_task_get_task_data (G_TASK (result));
  g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Saved %zd model to %s",
                                                        "Saved %zd models to %s", (gulong) saved),
                                           saved, in->folder);
  inv_window_show_info (INV_WINDOW (source), text);
}

static void
save_response_cb (GtkNativeDialog *dialog, int response, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (folder)
        inv_window_save_to_folder (self, folder);
    }
  g_object_unref (dialog);
}

/* Window actions. */

static void
align_change_state_cb (GSimpleAction *action, GVariant *value, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  g_simple_action_set_state (action, value);
  inv_saliency_grid_set_aligned (self->grid, g_variant_get_boolean (value));
}

static void
previous_sample_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  if (self->sample > 0)
    inv_window_set_sample (self, self->sample - 1);
}

static void
next_sample_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  inv_window_set_sample (self, self->sample + 1);
}

static void
random_sample_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  if (self->data && self->data->ds->test.n > 1)
    inv_window_set_sample (self, (size_t) g_random_int_range (0, (gint32) MIN (self->data->ds->test.n,
                                                                               G_MAXINT32)));
}

static void
clear_drawing_activated_cb (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  InvWindow *self = INV_WINDOW (user_data);
  inv_drawing_pad_clear (self->drawing_pad);
}

static const GActionEntry win_entries[] = {
  { .name = "align", .state = "false", .change_state = align_change_state_cb },
  { .name = "previous-sample", .activate = previous_sample_activated_cb },
  { .name = "next-sample", .activate = next_sample_activated_cb },
  { .name = "random-sample", .activate = random_sample_activated_cb },
  { .name = "clear-drawing", .activate = clear_drawing_activated_cb },
};

/* Module API. */

void
inv_window_actions_init (InvWindow *self)
{
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_entries, G_N_ELEMENTS (win_entries),
                                   self);
}

void
inv_window_sample_changed_cb (InvWindow *self)
{
  double v = gtk_adjustment_get_value (self->sample_adjustment);
  inv_window_set_sample (self, v > 0 ? (size_t) v : 0);
}

void
inv_window_set_sample (InvWindow *self, size_t index)
{
  if (self->data == NULL || self->data->ds->test.n == 0)
    return;
  index = MIN (index, self->data->ds->test.n - 1);
  if (index == self->sample)
    return;
  self->sample = index;
  gtk_adjustment_set_value (self->sample_adjustment, (double) index);
  inv_train_session_set_sample (self->session, index);
  inv_window_update_sample_label (self);
  inv_window_explain (self);
}

/* Public API (inv-window.h). */

void
inv_window_train (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  InvTrainState state = inv_train_session_get_state (self->session);
  if (state == INV_TRAIN_STATE_PAUSED)
    {
      inv_train_session_resume (self->session);
      return;
    }
  if (!inv_window_can_train (self))
    return;
  InvRunConfig cfg;
  inv_run_config_init (&cfg);
  inv_setup_panel_fill_config (self->setup_panel, &cfg);
  inv_preferences_window_fill_config (self->preferences, &cfg);
  g_strlcpy (cfg.group, self->group->name, sizeof cfg.group);
  cfg.orbit_samples = MIN (cfg.orbit_samples, self->group->order);

  inv_window_clear_results (self);
  inv_window_hide_info (self);
  inv_train_session_set_sample (self->session, self->sample);
  g_autoptr (GError) error = NULL;
  if (!inv_train_session_start (self->session, self->data, &cfg, &error))
    {
      inv_window_show_error (self, _("Cannot start training"), error);
      return;
    }
  gtk_progress_bar_set_text (self->progress_bar, _("Preparing the models…"));
}

void
inv_window_pause (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  inv_train_session_pause (self->session);
}

void
inv_window_reset (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  inv_train_session_reset (self->session);
  inv_window_clear_results (self);
  inv_window_hide_info (self);
  inv_window_explain (self);
  inv_window_sync_state (self);
}

void
inv_window_toggle_training (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  if (inv_train_session_get_state (self->session) == INV_TRAIN_STATE_RUNNING)
    inv_window_pause (self);
  else
    inv_window_train (self);
}

void
inv_window_lower_learning_rate (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  double lr = inv_setup_panel_lower_learning_rate (self->setup_panel, 10);
  inv_window_reset (self);
  char value[G_ASCII_DTOSTR_BUF_SIZE];
  g_snprintf (value, sizeof value, "%g", lr);
  g_autofree char *text = g_strdup_printf (_("The learning rate is now %s. Train to try again."),
                                           value);
  inv_window_show_info (self, text);
}

void
inv_window_open (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Open a Model"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  gtk_file_filter_set_name (filter, _("Models (safetensors)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (open_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
inv_window_open_file (InvWindow *self, GFile *file)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));
  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autoptr (GError) error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                                              _("only local files can be opened"));
      inv_window_show_error (self, _("Cannot open the model"), error);
      return;
    }
  GTask *task = g_task_new (self, self->cancellable, opened_cb, NULL);
  g_task_set_source_tag (task, inv_window_open_file);
  g_task_set_task_data (task, g_steal_pointer (&path), g_free);
  g_task_run_in_thread (task, open_thread);
  g_object_unref (task);
}

void
inv_window_save (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  GtkFileChooserNative *chooser =
    gtk_file_chooser_native_new (_("Save the Models to a Folder"), GTK_WINDOW (self),
                                 GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect_object (chooser, "response", G_CALLBACK (save_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
inv_window_save_to_folder (InvWindow *self, GFile *folder)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (folder));
  SaveInput *in = g_new0 (SaveInput, 1);
  in->folder = g_file_get_path (folder);
  g_strlcpy (in->group, self->group ? self->group->name : "group", sizeof in->group);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (self->models[f])
      in->models[f] = inv_model_ref_ref (self->models[f]);
  if (in->folder == NULL)
    {
      save_input_free (in);
      return;
    }
  GTask *task = g_task_new (self, self->cancellable, saved_cb, NULL);
  g_task_set_source_tag (task, inv_window_save_to_folder);
  g_task_set_task_data (task, in, save_input_free);
  g_task_run_in_thread (task, save_thread);
  g_object_unref (task);
}

void
inv_window_show_preferences (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  gtk_window_present (GTK_WINDOW (self->preferences));
}
