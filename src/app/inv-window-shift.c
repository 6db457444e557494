/* InvWindow's shift side: the shift sliders and the drawing pad feed
 * requests to the InvEvaluator (grid, metrics and sweep lanes; latest
 * wins), whose results fill the grid, the Shift tab (curves and table) and
 * the Spectrum tab. The mix shift's other data set is loaded in a GTask
 * the first time it is needed. With INVLAB_TRACE set, slider changes,
 * grid results and their repaints are traced. */
#include "config.h"
#include "inv-window-private.h"
#include "inv-trace.h"
#include "spectrum.h"
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* Severities of the Shift tab's curves: 0, 0.2, …, 1. */
#define SWEEP_STEPS 6
/* The drawing's index in the shifts' random streams. */
#define DRAWING_INDEX 0

static const char *const table_titles[INV_TABLE_COLUMNS] = { N_("Acc."), "PDI", "LI", "SIS" };

/* Helpers. */

static double
table_value (const InvMetrics *m, int column)
{
  switch (column)
    {
    case 0:
      return m->orbit_accuracy;
    case 1:
      return m->pdi;
    case 2:
      return m->logit_invariance;
    case 3:
    default:
      return m->sis;
    }
}

static guint64
run_seed (InvWindow *self)
{
  InvRunConfig cfg;
  inv_run_config_init (&cfg);
  inv_setup_panel_fill_config (self->setup_panel, &cfg);
  return cfg.seed;
}

static size_t
eval_images (InvWindow *self)
{
  InvRunConfig cfg;
  inv_run_config_init (&cfg);
  inv_preferences_window_fill_config (self->preferences, &cfg);
  return MAX (cfg.eval_images, (size_t) 1);
}

static gboolean
mix_ready (InvWindow *self)
{
  return self->mix_data && self->data && g_strcmp0 (self->mix_for, self->data->spec) == 0;
}

static gboolean
list_has (const InvShiftList *list, InvShiftKind kind)
{
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].kind == kind)
      return TRUE;
  return FALSE;
}

static void load_mix (InvWindow *self);

/* The sliders' shifts, seeded by the run's seed; a mix whose other data
 * set is not loaded yet is left out (and its loading started). */
static void
current_shifts (InvWindow *self, InvShiftList *list)
{
  inv_shift_list_init (list, run_seed (self));
  inv_shift_panel_fill_list (self->shift_panel, list);
  if (list_has (list, INV_SHIFT_MIX) && !mix_ready (self))
    {
      load_mix (self);
      size_t kept = 0;
      for (size_t i = 0; i < list->n; i++)
        if (list->items[i].kind != INV_SHIFT_MIX)
          list->items[kept++] = list->items[i];
      list->n = kept;
    }
}

static gboolean
same_shifts (const InvShiftList *a, const InvShiftList *b)
{
  if (a->n != b->n || a->seed != b->seed)
    return FALSE;
  for (size_t i = 0; i < a->n; i++)
    if (a->items[i].kind != b->items[i].kind || a->items[i].severity != b->items[i].severity)
      return FALSE;
  return TRUE;
}

static gboolean
same_models (InvWindow *self, const InvEvalRequest *req)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    if (req->models[f] != self->models[f])
      return FALSE;
  return TRUE;
}

static gboolean
plot_page_is (InvWindow *self, const char *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->plot_stack), name) == 0;
}

/* "noise 0.50, blur 0.20" or "no shift". g_free. */
static char *
describe_shifts (const InvShiftList *list)
{
  if (list->n == 0)
    return g_strdup (_("No shift"));
  GString *s = g_string_new (NULL);
  for (size_t i = 0; i < list->n; i++)
    g_string_append_printf (s, "%s%s %.2f", i ? ", " : "", inv_shift_kind_title (list->items[i].kind),
                            list->items[i].severity);
  return g_string_free (s, FALSE);
}

/* What a sweep request computes: the models, the other shifts, the kind
 * and the evaluation size. g_free. */
static char *
sweep_key (InvWindow *self, const InvShiftList *list, InvShiftKind kind)
{
  InvShiftList base = *list;
  base.n = 0;
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].kind != kind)
      base.items[base.n++] = list->items[i];
  g_autofree char *text = inv_shift_list_to_string (&base);
  return g_strdup_printf ("%p %p %p|%s|%" G_GUINT64_FORMAT "|%d|%zu|%s",
                          (void *) self->models[0], (void *) self->models[1],
                          (void *) self->models[2], text, base.seed, (int) kind,
                          eval_images (self), self->data ? self->data->spec : "");
}

/* Trace: the grid has shown a result; its repaint is traced after paint,
 * with the time the frame took from its start. */
static void
before_paint_cb (GdkFrameClock *clock, InvWindow *self)
{
  self->trace_frame_start = g_get_monotonic_time ();
}

static void
after_paint_cb (GdkFrameClock *clock, InvWindow *self)
{
  if (self->trace_serial == 0
      || inv_saliency_grid_get_paint_count (self->grid) <= self->trace_paint_mark)
    return;
  inv_trace ("grid-repaint", "serial=%" G_GUINT64_FORMAT " frame_us=%" G_GINT64_FORMAT,
             self->trace_serial, g_get_monotonic_time () - self->trace_frame_start);
  self->trace_serial = 0;
}

static void
trace_repaint (InvWindow *self, guint64 serial)
{
  if (!inv_trace_enabled ())
    return;
  inv_trace ("grid-shown", "serial=%" G_GUINT64_FORMAT, serial);
  if (self->frame_clock == NULL)
    {
      GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));
      if (clock == NULL)
        return;
      self->frame_clock = g_object_ref (clock);
      self->after_paint_id = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
      self->before_paint_id = g_signal_connect (clock, "before-paint", G_CALLBACK (before_paint_cb),
                                                self);
    }
  self->trace_serial = serial;
  self->trace_paint_mark = inv_saliency_grid_get_paint_count (self->grid);
}

/* Results. */

static void
grid_result (InvWindow *self, const InvEvalResult *res)
{
  const InvEvalRequest *req = res->request;
  gboolean drawing = inv_window_is_drawing (self);
  InvSaliencyMethod method = inv_preferences_window_get_saliency_method (self->preferences);
  if (!same_models (self, req) || self->group == NULL || res->G != self->group->order
      || req->saliency.method != method || drawing != (req->cls == INV_SALIENCY_PREDICTED)
      || (!drawing && req->input_index != self->sample))
    return;
  inv_saliency_grid_set_input (self->grid, res->orbit);
  inv_window_set_grid_rows (self, (InvOrbitMaps *const *) res->maps);
  trace_repaint (self, res->serial);
}

static void
metrics_result (InvWindow *self, const InvEvalResult *res)
{
  const InvEvalRequest *req = res->request;
  gboolean shifted = !inv_shift_list_is_identity (&req->shifts), any = FALSE;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (self->models[f] == NULL || req->models[f] != self->models[f])
        continue;
      if (res->sv[f])
        inv_window_set_spectrum (self, f, res->sv[f], res->n_sv[f]);
      if (!res->evaluated[f])
        continue;
      if (!shifted)
        {
          if (self->metrics[f].computed == 0)
            self->metrics[f] = res->metrics[f];
          continue;
        }
      self->shift_metrics[f] = res->metrics[f];
      any = TRUE;
    }
  if (any)
    {
      self->shift_metrics_list = req->shifts;
      self->shift_metrics_valid = TRUE;
    }
  inv_window_update_row_subtitles (self);
  inv_window_update_table (self);
}

static void
sweep_result (InvWindow *self, const InvEvalResult *res)
{
  const InvEvalRequest *req = res->request;
  if (!same_models (self, req) || req->sweep_kind != inv_sweep_plot_get_kind (self->sweep_plot))
    return;
  inv_sweep_plot_set_curves (self->sweep_plot, req->sweep_kind, res->steps, res->severities,
                             (InvMetrics *const *) res->sweep);
}

/* Signal callbacks. */

static void
evaluator_result_cb (InvEvaluator *evaluator, const InvEvalResult *res, InvWindow *self)
{
  if (res->error)
    {
      inv_window_show_error (self, _("Cannot evaluate the models"), res->error);
      return;
    }
  switch (res->lane)
    {
    case INV_EVAL_LANE_GRID:
      grid_result (self, res);
      break;
    case INV_EVAL_LANE_METRICS:
      metrics_result (self, res);
      break;
    case INV_EVAL_LANE_SWEEP:
    default:
      sweep_result (self, res);
      break;
    }
}

static void
shift_changed_cb (InvShiftPanel *panel, guint kind, double severity, InvWindow *self)
{
  inv_sweep_plot_set_kind (self->sweep_plot, kind);
  inv_sweep_plot_set_marker (self->sweep_plot, severity);
  guint64 serial = 0;
  if (self->data)
    serial = inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_GRID)
                                        | INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS)
                                        | INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP));
  if (inv_trace_enabled ())
    {
      char value[G_ASCII_DTOSTR_BUF_SIZE];
      inv_trace ("slider", "kind=%s value=%s serial=%" G_GUINT64_FORMAT, inv_shift_kind_name (kind),
                 g_ascii_formatd (value, sizeof value, "%.4f", severity), serial);
    }
  inv_window_update_row_subtitles (self);
  inv_window_update_table (self);
}

static void
drawing_changed_cb (InvWindow *self)
{
  if (inv_window_is_drawing (self))
    inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_GRID));
}

static void
side_page_changed_cb (InvWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->side_stack);
  /* Choosing the sliders shows what they do. */
  if (g_strcmp0 (page, "shift") == 0
      && (plot_page_is (self, "training") || plot_page_is (self, "invariance")))
    gtk_stack_set_visible_child_name (self->plot_stack, "shift");
  inv_window_update_sample_label (self);
  inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_GRID));
}

static void
plot_page_changed_cb (InvWindow *self)
{
  if (plot_page_is (self, "shift"))
    inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP));
}

static void
eval_images_changed_cb (InvWindow *self)
{
  inv_window_evaluate (self, INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS)
                             | INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP));
}

/* The mix shift's other data set. */

static void
load_mix_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *spec = task_data;
  GError *error = NULL;
  /* Digits for clothes and any IDX set, clothes for digits, as invlab
   * does; other digits when Fashion-MNIST is not installed. */
  const char *other = g_str_has_prefix (spec, "digits") ? "fashion" : "digits";
  InvDataset *ds = inv_dataset_load (other, &error);
  if (ds == NULL && g_strcmp0 (other, "fashion") == 0)
    {
      g_debug ("mix: %s; using other digits", error->message);
      g_clear_error (&error);
      other = "digits:7";
      ds = inv_dataset_load (other, &error);
    }
  if (ds)
    g_task_return_pointer (task, inv_data_new (ds, other), (GDestroyNotify) inv_data_unref);
  else
    g_task_return_error (task, error);
}

static void
mix_loaded_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GError) error = NULL;
  InvData *mix = g_task_propagate_pointer (G_TASK (result), &error);
  if (mix == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  InvWindow *self = INV_WINDOW (source);
  g_clear_object (&self->mix_cancellable);
  if (mix == NULL)
    {
      /* Back to 0, so the next slider move does not try again at once. */
      inv_shift_panel_set_status (self->shift_panel, NULL);
      inv_shift_panel_set_severity (self->shift_panel, INV_SHIFT_MIX, 0);
      inv_window_show_error (self, _("Cannot load the other data set of the mix shift"), error);
      return;
    }
  g_clear_pointer (&self->mix_data, inv_data_unref);
  self->mix_data = mix;
  g_free (self->mix_for);
  self->mix_for = g_strdup (g_task_get_task_data (G_TASK (result)));
  g_autofree char *status = g_strdup_printf (_("Mix blends in images of %s."), mix->ds->title);
  inv_shift_panel_set_status (self->shift_panel, status);
  inv_window_explain (self);
}

static void
load_mix (InvWindow *self)
{
  if (self->mix_cancellable || self->data == NULL)
    return;
  self->mix_cancellable = g_cancellable_new ();
  inv_shift_panel_set_status (self->shift_panel, _("Loading the other data set for the mix shift…"));
  GTask *task = g_task_new (self, self->mix_cancellable, mix_loaded_cb, NULL);
  g_task_set_source_tag (task, load_mix);
  g_task_set_task_data (task, g_strdup (self->data->spec), g_free);
  g_task_run_in_thread (task, load_mix_thread);
  g_object_unref (task);
}

/* Module API. */

void
inv_window_shift_init (InvWindow *self)
{
  g_signal_connect (self->evaluator, "result", G_CALLBACK (evaluator_result_cb), self);
  g_signal_connect (self->shift_panel, "changed", G_CALLBACK (shift_changed_cb), self);
  g_signal_connect_swapped (self->drawing_pad, "changed", G_CALLBACK (drawing_changed_cb), self);
  g_signal_connect_swapped (self->side_stack, "notify::visible-child-name",
                            G_CALLBACK (side_page_changed_cb), self);
  g_signal_connect_swapped (self->plot_stack, "notify::visible-child-name",
                            G_CALLBACK (plot_page_changed_cb), self);
  g_signal_connect_swapped (self->preferences, "notify::eval-images",
                            G_CALLBACK (eval_images_changed_cb), self);
  inv_shift_list_init (&self->shift_metrics_list, 0);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_metrics_init (&self->shift_metrics[f]);

  /* The table: a header row, then a row per family. */
  for (int c = 0; c < INV_TABLE_COLUMNS; c++)
    {
      GtkWidget *head = gtk_label_new (_(table_titles[c]));
      gtk_label_set_xalign (GTK_LABEL (head), 1);
      gtk_widget_add_css_class (head, "dim-label");
      gtk_grid_attach (self->metrics_table, head, c + 1, 0, 1, 1);
    }
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      GtkWidget *name = gtk_label_new (inv_family_title (f));
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_widget_add_css_class (name, inv_family_id (f));
      gtk_grid_attach (self->metrics_table, name, 0, f + 1, 1, 1);
      for (int c = 0; c < INV_TABLE_COLUMNS; c++)
        {
          GtkWidget *cell = gtk_label_new ("–");
          gtk_label_set_xalign (GTK_LABEL (cell), 1);
          gtk_label_set_width_chars (GTK_LABEL (cell), 6);
          gtk_widget_add_css_class (cell, "numeric");
          gtk_grid_attach (self->metrics_table, cell, c + 1, f + 1, 1, 1);
          self->table_cells[f][c] = GTK_LABEL (cell);
        }
    }
  inv_window_update_table (self);
}

void
inv_window_shift_dispose (InvWindow *self)
{
  if (self->mix_cancellable)
    g_cancellable_cancel (self->mix_cancellable);
  g_clear_object (&self->mix_cancellable);
  g_clear_pointer (&self->mix_data, inv_data_unref);
  g_clear_pointer (&self->mix_for, g_free);
  g_clear_pointer (&self->sweep_key, g_free);
  /* A destroyed surface's clock may have dropped its handlers already. */
  gulong *ids[] = { &self->after_paint_id, &self->before_paint_id };
  for (size_t i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      if (self->frame_clock && *ids[i] && g_signal_handler_is_connected (self->frame_clock, *ids[i]))
        g_signal_handler_disconnect (self->frame_clock, *ids[i]);
      *ids[i] = 0;
    }
  g_clear_object (&self->frame_clock);
  if (self->shift_panel)
    g_signal_handlers_disconnect_by_data (self->shift_panel, self);
  if (self->drawing_pad)
    g_signal_handlers_disconnect_by_data (self->drawing_pad, self);
  if (self->side_stack)
    g_signal_handlers_disconnect_by_data (self->side_stack, self);
  if (self->plot_stack)
    g_signal_handlers_disconnect_by_data (self->plot_stack, self);
}

gboolean
inv_window_is_drawing (InvWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->side_stack), "draw") == 0;
}

guint64
inv_window_evaluate (InvWindow *self, guint lanes)
{
  if (self->data == NULL || self->group == NULL || self->data->ds->test.n == 0)
    return 0;
  const InvDataset *ds = self->data->ds;
  InvShiftList list;
  current_shifts (self, &list);
  gboolean shifted = !inv_shift_list_is_identity (&list), any_model = FALSE;

  g_autoptr (InvEvalRequest) req = inv_eval_request_new (self->data, self->group->name);
  req->shifts = list;
  req->seed = list.seed;
  /* The sweep may mix even when the slider is at 0. */
  if (mix_ready (self))
    req->mix = inv_data_ref (self->mix_data);
  req->saliency.method = inv_preferences_window_get_saliency_method (self->preferences);
  req->saliency.seed = list.seed;
  req->eval_images = eval_images (self);
  req->sweep_kind = inv_shift_panel_get_last_kind (self->shift_panel);
  req->sweep_steps = SWEEP_STEPS;
  gboolean metrics = FALSE;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (self->models[f] == NULL)
        continue;
      any_model = TRUE;
      req->models[f] = inv_model_ref_ref (self->models[f]);
      req->metrics[f] = shifted || self->metrics[f].computed == 0;
      req->spectrum[f] = !self->have_sv[f];
      metrics |= req->metrics[f] || req->spectrum[f];
    }

  size_t dh = 0, dw = 0;
  const float *drawing = inv_drawing_pad_get_image (self->drawing_pad, &dh, &dw);
  if (inv_window_is_drawing (self) && dh == ds->h && dw == ds->w)
    inv_eval_request_set_input (req, drawing, DRAWING_INDEX, INV_SALIENCY_PREDICTED);
  else
    {
      g_autofree float *x = g_new (float, ds->h * ds->w); /* (n) */
      inv_split_get_image (&ds->test, ds->h, ds->w, self->sample, x);
      inv_eval_request_set_input (req, x, self->sample, ds->test.labels[self->sample]);
    }

  guint submit = lanes & INV_EVAL_LANE_BIT (INV_EVAL_LANE_GRID);
  if ((lanes & INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS)) && metrics)
    submit |= INV_EVAL_LANE_BIT (INV_EVAL_LANE_METRICS);
  if (req->sweep_kind == INV_SHIFT_MIX && !mix_ready (self))
    load_mix (self); /* sweeps when it is loaded */
  else if ((lanes & INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP)) && any_model
           && plot_page_is (self, "shift"))
    {
      g_autofree char *key = sweep_key (self, &list, req->sweep_kind);
      if (g_strcmp0 (key, self->sweep_key) != 0)
        {
          g_free (self->sweep_key);
          self->sweep_key = g_steal_pointer (&key);
          submit |= INV_EVAL_LANE_BIT (INV_EVAL_LANE_SWEEP);
        }
    }
  if (submit == 0)
    return 0;
  return inv_evaluator_submit (self->evaluator, submit, req);
}

void
inv_window_shift_models_changed (InvWindow *self)
{
  g_clear_pointer (&self->sweep_key, g_free);
  gboolean any = FALSE;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    any |= self->models[f] != NULL;
  if (!any)
    {
      /* Reset or a new data set: nothing of the old models stays. */
      self->shift_metrics_valid = FALSE;
      for (int f = 0; f < INV_N_FAMILIES; f++)
        inv_metrics_init (&self->shift_metrics[f]);
      inv_sweep_plot_clear (self->sweep_plot);
      if (self->data == NULL || g_strcmp0 (self->mix_for, self->data->spec) != 0)
        {
          if (self->mix_cancellable)
            g_cancellable_cancel (self->mix_cancellable);
          g_clear_object (&self->mix_cancellable);
          g_clear_pointer (&self->mix_data, inv_data_unref);
          g_clear_pointer (&self->mix_for, g_free);
        }
    }
}

void
inv_window_set_spectrum (InvWindow *self, InvFamily family, const double *sv, size_t n)
{
  self->have_sv[family] = sv != NULL;
  if (sv == NULL)
    {
      inv_plot_set_curve (self->sv_plot, family, NULL, NULL, 0);
      return;
    }
  g_autofree double *x = g_new (double, n);
  for (size_t i = 0; i < n; i++)
    x[i] = (double) (i + 1);
  inv_plot_set_curve (self->sv_plot, family, x, sv, n);
}

void
inv_window_update_table (InvWindow *self)
{
  gboolean identity = inv_shift_panel_is_identity (self->shift_panel);
  InvShiftList list;
  inv_shift_list_init (&list, run_seed (self));
  inv_shift_panel_fill_list (self->shift_panel, &list);
  g_autofree char *wanted = describe_shifts (&list);
  gboolean pending = !identity && (!self->shift_metrics_valid
                                   || !same_shifts (&self->shift_metrics_list, &list)
                                   || inv_evaluator_lane_busy (self->evaluator, INV_EVAL_LANE_METRICS));
  /* The heading says which shift the numbers are for. */
  g_autofree char *shown = identity ? g_strdup (wanted) : describe_shifts (&self->shift_metrics_list);
  g_autofree char *heading = !identity && !self->shift_metrics_valid
                               ? g_strdup_printf (_("%s (evaluating…)"), wanted)
                               : g_strdup (shown);
  gtk_label_set_text (self->shift_label, heading);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      const InvMetrics *m = inv_window_shown_metrics (self, f);
      for (int c = 0; c < INV_TABLE_COLUMNS; c++)
        {
          double v = table_value (m, c);
          char text[32] = "–";
          if (self->models[f] && isfinite (v))
            g_snprintf (text, sizeof text, "%.4f", v);
          gtk_label_set_text (self->table_cells[f][c], text);
          if (pending)
            gtk_widget_add_css_class (GTK_WIDGET (self->table_cells[f][c]), "dim-label");
          else
            gtk_widget_remove_css_class (GTK_WIDGET (self->table_cells[f][c]), "dim-label");
        }
    }
  g_autofree char *caption = g_strdup_printf (_("Metrics on the first %zu test images, each "
                                                "expanded to its orbit. Weight-tied models stay "
                                                "at 1 under every shift."),
                                              eval_images (self));
  gtk_label_set_text (self->table_caption, caption);
}

/* Public API (inv-window.h). */

gboolean
inv_window_set_shift (InvWindow *self, const char *kind, double severity)
{
  g_return_val_if_fail (INV_IS_WINDOW (self), FALSE);
  InvShiftKind k;
  if (!inv_shift_kind_from_name (kind, &k) || !isfinite (severity))
    return FALSE;
  inv_shift_panel_set_severity (self->shift_panel, k, severity);
  return TRUE;
}

void
inv_window_reset_shifts (InvWindow *self)
{
  g_return_if_fail (INV_IS_WINDOW (self));
  inv_shift_panel_reset (self->shift_panel);
}
