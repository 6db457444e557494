/* InvWindow's exports: figures (copied from the widgets as InvFigure, so
 * they are drawn off the main thread by the CLI's figure code), the
 * current metrics and the shift curves as CSV, the models as safetensors.
 * Every write runs in a GTask; every write is atomic. */
#include "config.h"
#include "inv-window-private.h"
#include <glib/gi18n.h>
#include <math.h>

typedef struct {
  InvExportItem item;
  char *path;
  double width, height;
  InvFigure *figure;                   /* figures */
  char *text;                          /* tables */
  InvModelRef *models[INV_N_FAMILIES]; /* models: those to save */
  gboolean folder;                     /* models: path is a folder */
  char group[16];
} ExportJob;

/* Helpers. */

static void
export_job_free (gpointer p)
{
  ExportJob *job = p;
  g_free (job->path);
  g_clear_pointer (&job->figure, inv_figure_free);
  g_free (job->text);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&job->models[f], inv_model_ref_unref);
  g_free (job);
}

static InvFigure *
figure_of (InvWindow *self, InvExportItem item)
{
  switch (item)
    {
    case INV_EXPORT_GRID:
      {
        g_autofree char *title = NULL;
        InvShiftList list;
        inv_shift_list_init (&list, 0);
        inv_shift_panel_fill_list (self->shift_panel, &list);
        g_autofree char *shift = inv_shift_list_to_string (&list);
        if (self->data && inv_window_is_drawing (self))
          title = g_strdup_printf (_("Orbit saliency · a drawing · %s"),
                                   self->group ? self->group->name : "");
        else if (self->data)
          title = g_strdup_printf (_("Orbit saliency · %s test image %zu · %s · shift %s"),
                                   self->data->ds->title, self->sample,
                                   self->group ? self->group->name : "", shift);
        return inv_saliency_grid_get_figure (self->grid, title);
      }
    case INV_EXPORT_LOSS:
      return inv_plot_get_figure (self->loss_plot);
    case INV_EXPORT_ACCURACY:
      return inv_plot_get_figure (self->accuracy_plot);
    case INV_EXPORT_PDI:
      return inv_plot_get_figure (self->pdi_plot);
    case INV_EXPORT_LOGIT_INVARIANCE:
      return inv_plot_get_figure (self->li_plot);
    case INV_EXPORT_SIS:
      return inv_plot_get_figure (self->sis_plot);
    case INV_EXPORT_SHIFT_CURVES:
      return inv_sweep_plot_get_figure (self->sweep_plot);
    case INV_EXPORT_SPECTRUM:
      return inv_plot_get_figure (self->sv_plot);
    case INV_EXPORT_ENERGY:
      return inv_plot_get_figure (self->energy_plot);
    default:
      return NULL;
    }
}

/* The table of the Shift tab: a header row and a row per family. */
static char *
metrics_csv (InvWindow *self)
{
  const InvMetricInfo *infos = inv_metric_infos ();
  GString *s = g_string_new ("family,model,shift,n_images");
  for (size_t k = 0; k < INV_N_METRICS; k++)
    g_string_append_printf (s, ",%s", infos[k].name);
  g_string_append_c (s, '\n');
  /* The shifts the numbers were taken under (the sliders' while none are). */
  InvShiftList list;
  inv_shift_list_init (&list, 0);
  if (!inv_shift_panel_is_identity (self->shift_panel))
    {
      if (self->shift_metrics_valid)
        list = self->shift_metrics_list;
      else
        inv_shift_panel_fill_list (self->shift_panel, &list);
    }
  g_autofree char *shift = inv_shift_list_to_string (&list);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      const InvMetrics *m = inv_window_shown_metrics (self, f);
      const InvModel *model = self->models[f] ? self->models[f]->model : NULL;
      g_string_append_printf (s, "%s,%s,%s,", inv_family_id (f),
                              model ? inv_model_kind_name (model->kind) : "", shift);
      if (model && m->n_images > 0)
        g_string_append_printf (s, "%zu", m->n_images);
      for (size_t k = 0; k < INV_N_METRICS; k++)
        {
          double v = model ? infos[k].get (m) : NAN;
          g_string_append_c (s, ',');
          if (isfinite (v))
            g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
        }
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

/* Export task. */

static void
export_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExportJob *job = task_data;
  GError *error = NULL;
  gboolean ok = TRUE;
  if (job->figure)
    ok = inv_figure_save (job->figure, job->path, job->width, job->height, &error);
  else if (job->text)
    ok = g_file_set_contents (job->path, job->text, -1, &error);
  else
    for (int f = 0; ok && f < INV_N_FAMILIES; f++)
      {
        if (job->models[f] == NULL)
          continue;
        const InvModel *m = job->models[f]->model;
        g_autofree char *name = g_strdup_printf ("%s-%s-%s.safetensors", inv_family_id (f),
                                                 inv_model_kind_name (m->kind), job->group);
        g_autofree char *path = job->folder ? g_build_filename (job->path, name, NULL)
                                            : g_strdup (job->path);
        ok = inv_model_save (m, path, &error);
      }
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
exported_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        inv_window_show_error (INV_WINDOW (source), _("Cannot export"), error);
      return;
    }
  ExportJob *job = g_task_get_task_data (G_TASK (result));
  g_autofree char *text = g_strdup_printf (_("Exported to %s"), job->path);
  inv_window_show_info (INV_WINDOW (source), text);
}

/* Signal callbacks. */

static void
export_chosen_cb (InvExportDialog *dialog, GFile *file, InvWindow *self)
{
  g_autofree char *path = g_file_get_path (file);
  if (path == NULL)
    return;
  InvExportItem item = inv_export_dialog_get_item (dialog);
  double w, h;
  inv_export_dialog_get_size (dialog, &w, &h);
  InvPlotFormat format;
  if (inv_export_item_is_figure (item) && !inv_plot_format_from_path (path, &format, NULL))
    {
      /* No known extension: the format chosen in the dialog. */
      char *with = g_strconcat (path, ".", inv_export_dialog_get_format (dialog), NULL);
      g_free (path);
      path = with;
    }
  inv_window_export (self, item, path, w, h, inv_export_dialog_get_family (dialog));
}

/* Module API. */

void
inv_window_export_init (InvWindow *self)
{
  self->export_dialog = g_object_ref_sink (inv_export_dialog_new ());
  gtk_window_set_transient_for (GTK_WINDOW (self->export_dialog), GTK_WINDOW (self));
  g_signal_connect (self->export_dialog, "export", G_CALLBACK (export_chosen_cb), self);
}

/* Public API (inv-window.h). */

void
inv_window_show_export (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  gtk_window_present (GTK_WINDOW (self->export_dialog));
}

void
inv_window_export (InvWindow *self, InvExportItem item, const char *path, double width,
                   double height, int family)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  g_return_if_fail (item < INV_N_EXPORTS && path != NULL);
  ExportJob *job = g_new0 (ExportJob, 1);
  job->item = item;
  job->path = g_strdup (path);
  g_autoptr (GError) error = NULL;
  if (inv_export_item_is_figure (item))
    {
      job->figure = figure_of (self, item);
      double nw, nh;
      inv_figure_natural_size (job->figure, &nw, &nh);
      job->width = width > 0 ? width : nw;
      job->height = height > 0 ? height : nh;
    }
  else if (item == INV_EXPORT_METRICS_CSV)
    job->text = metrics_csv (self);
  else if (item == INV_EXPORT_CURVES_CSV)
    job->text = inv_sweep_plot_to_csv (self->sweep_plot);
  else
    {
      gboolean any = FALSE;
      job->folder = family < 0;
      g_strlcpy (job->group, self->group ? self->group->name : "group", sizeof job->group);
      for (int f = 0; f < INV_N_FAMILIES; f++)
        if (self->models[f] && (family < 0 || family == f))
          {
            job->models[f] = inv_model_ref_ref (self->models[f]);
            any = TRUE;
          }
      if (!any)
        {
          error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("there is no model to export"));
          inv_window_show_error (self, _("Cannot export"), error);
          export_job_free (job);
          return;
        }
    }
  GTask *task = g_task_new (self, self->cancellable, exported_cb, NULL);
  g_task_set_source_tag (task, inv_window_export);
  g_task_set_task_data (task, job, export_job_free);
  g_task_run_in_thread (task, export_thread);
  g_object_unref (task);
}
