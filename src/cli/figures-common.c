/* Helpers of the figure commands (sweep, saliency, spectrum): model and data
 * set loading, legend names, output path checks. Numerics live in the core. */
#include "figures-common.h"
#include <math.h>
#include "cli.h"
#include "plot.h"
#include <glib/gi18n.h>
#include <string.h>

GPtrArray *
inv_cli_load_models (const char *command, char **paths, size_t n)
{
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) inv_model_free);
  for (size_t i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      InvModel *m = inv_model_load (paths[i], &error);
      if (!m)
        {
          inv_cli_error (command, "%s", error->message);
          return NULL;
        }
      g_ptr_array_add (models, m);
    }
  return g_steal_pointer (&models);
}

InvDataset *
inv_cli_models_dataset (const char *command, const char *spec, const InvModel *first, int *status)
{
  if (!spec)
    spec = first && first->dataset && *first->dataset ? first->dataset : "fashion";
  g_autoptr (GError) error = NULL;
  InvDataset *ds = inv_dataset_load (spec, &error);
  if (!ds)
    {
      gboolean usage = g_error_matches (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC);
      inv_cli_error (command, usage ? _("--dataset: data set '%s': %s") : _("data set '%s': %s"),
                     spec, error->message);
      *status = usage ? INV_EXIT_USAGE : INV_EXIT_FAILURE;
    }
  return ds;
}

gboolean
inv_cli_model_fits (const char *command, const char *path, const InvModel *m, const InvDataset *ds)
{
  if (m->h == ds->h && m->w == ds->w && ds->n_classes <= m->n_classes)
    return TRUE;
  inv_cli_error (command, _("%s: the model takes %zu×%zu images with %zu classes; %s has %zu×%zu with %zu"),
                 path, m->h, m->w, m->n_classes, ds->title, ds->h, ds->w, ds->n_classes);
  return FALSE;
}

char *
inv_cli_model_label (const char *path)
{
  char *base = g_path_get_basename (path);
  size_t len = strlen (base), ext = strlen (".safetensors");
  if (len > ext && g_ascii_strcasecmp (base + len - ext, ".safetensors") == 0)
    base[len - ext] = '\0';
  return base;
}

gboolean
inv_cli_parse_shift_option (const char *command, const char *text, uint64_t seed,
                            const InvDataset *ds, InvShiftList *list, InvDataset **other,
                            int *status)
{
  inv_shift_list_init (list, seed);
  *other = NULL;
  g_autoptr (GError) error = NULL;
  if (text && !inv_shift_list_parse (list, text, &error))
    {
      inv_cli_error (command, "--shift: %s", error->message);
      *status = INV_EXIT_USAGE;
      return FALSE;
    }
  for (size_t i = 0; i < list->n; i++)
    if (list->items[i].kind == INV_SHIFT_MIX)
      {
        if (!(*other = inv_cli_load_mix_source (command, ds)))
          {
            *status = INV_EXIT_FAILURE;
            return FALSE;
          }
        inv_shift_list_set_mix_source (list, &(*other)->test, (*other)->h, (*other)->w);
        break;
      }
  return TRUE;
}

gboolean
inv_cli_path_is_csv (const char *path)
{
  size_t len = strlen (path);
  return len >= 4 && g_ascii_strcasecmp (path + len - 4, ".csv") == 0;
}

gboolean
inv_cli_check_out_path (const char *command, const char *flag, const char *path, gboolean csv_ok)
{
  if (csv_ok && inv_cli_path_is_csv (path))
    return TRUE;
  g_autoptr (GError) error = NULL;
  InvPlotFormat fmt;
  if (inv_plot_format_from_path (path, &fmt, &error))
    return TRUE;
  if (csv_ok)
    /* Translators: "--out: FILE: unknown format (...)". */
    inv_cli_error (command, _("%s: %s: unknown format (the name must end in .csv, .png, .svg or .pdf)"),
                   flag, path);
  else
    inv_cli_error (command, "%s: %s", flag, error->message);
  return FALSE;
}

void
inv_cli_append_csv_field (GString *s, const char *text)
{
  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
}

gboolean
inv_cli_sweep_figure (const char *path, const char *title, const char *const *labels,
                      size_t M, const InvMetrics *results, const double *severities,
                      size_t S, GError **error)
{
  const InvMetricInfo *infos = inv_metric_infos ();
  g_autofree double *values = g_new (double, INV_N_METRICS * M * S); /* (metric, M, S) */
  g_autofree InvPlotSeries *series = g_new0 (InvPlotSeries, INV_N_METRICS * M);
  g_autofree InvPlotLines *panels = g_new0 (InvPlotLines, INV_N_METRICS);
  size_t P = 0;
  for (size_t k = 0; k < INV_N_METRICS; k++)
    {
      gboolean any = FALSE;
      for (size_t i = 0; i < M; i++)
        for (size_t t = 0; t < S; t++)
          {
            double v = infos[k].get (&results[i * S + t]);
            values[(k * M + i) * S + t] = v;
            any |= isfinite (v);
          }
      if (!any)
        continue; /* e.g. the energy when no model has a dense first layer */
      for (size_t i = 0; i < M; i++)
        series[P * M + i] = (InvPlotSeries) {
          .name = labels[i],
          .color = i,
          .x = severities,
          .y = values + (k * M + i) * S,
          .n = S,
          .style = S <= 21 ? INV_PLOT_STYLE_LINE_MARKERS : INV_PLOT_STYLE_LINE,
        };
      panels[P] = (InvPlotLines) {
        .title = infos[k].title,
        .x = { .label = "severity" },
        .series = series + P * M,
        .n_series = M,
      };
      P++;
    }
  InvPlotMultiples fig = { .title = title, .panels = panels, .n_panels = P };
  double width, height;
  inv_plot_multiples_size (&fig, 300, 230, &width, &height);
  return inv_plot_save (path, width, height, inv_plot_multiples_draw, &fig, error);
}
