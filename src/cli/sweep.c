/* invlab sweep: every metric of saved models at evenly spaced severities of
 * one shift kind, as a table (CSV, JSON or text) and a small-multiples figure
 * with one panel per metric. The sweep itself is inv_sweep_run (core). */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "figures-common.h"
#include "json.h"
#include "metrics.h"
#include "plot.h"
#include "sweep.h"
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void
append_number (GString *s, double v, const char *nan_text)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  if (isnan (v))
    g_string_append (s, nan_text);
  else
    g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
shift_kinds_list (GString *s)
{
  for (int k = 0; k < INV_SHIFT_N_KINDS; k++)
    /* Translators: joins the last two choices of a list ("noise, blur or mix"). */
    g_string_append_printf (s, "%s%s", k ? (k == INV_SHIFT_N_KINDS - 1 ? C_("list", " or ") : ", ") : "",
                            inv_shift_kind_name ((InvShiftKind) k));
}

typedef struct {
  char **paths;                  /* (M) */
  GPtrArray *models;             /* (M) InvModel */
  size_t steps;                  /* S */
  const double *severities;      /* (S) */
  const InvMetrics *results;     /* (M, S) */
  const char *kind;
} Sweep;

static void
write_csv (GString *s, const Sweep *sw)
{
  const InvMetricInfo *infos = inv_metric_infos ();
  g_string_append (s, "model,kind,lambda,shift,severity");
  for (size_t k = 0; k < INV_N_METRICS; k++)
    g_string_append_printf (s, ",%s", infos[k].name);
  g_string_append_c (s, '\n');
  for (size_t i = 0; i < sw->models->len; i++)
    {
      InvModel *m = sw->models->pdata[i];
      for (size_t t = 0; t < sw->steps; t++)
        {
          inv_cli_append_csv_field (s, sw->paths[i]);
          g_string_append_printf (s, ",%s,", inv_model_kind_name (m->kind));
          append_number (s, m->lambda, "");
          g_string_append_printf (s, ",%s,", sw->kind);
          append_number (s, sw->severities[t], "");
          for (size_t k = 0; k < INV_N_METRICS; k++)
            {
              g_string_append_c (s, ',');
              append_number (s, infos[k].get (&sw->results[i * sw->steps + t]), "");
            }
          g_string_append_c (s, '\n');
        }
    }
}

static void
write_json (GString *s, const Sweep *sw, const InvDataset *ds)
{
  g_string_append (s, "{\"dataset\":");
  inv_json_escape (s, ds->name);
  g_string_append_printf (s, ",\"shift\":\"%s\",\"models\":[", sw->kind);
  for (size_t i = 0; i < sw->models->len; i++)
    {
      InvModel *m = sw->models->pdata[i];
      g_string_append (s, i ? ",{\"file\":" : "{\"file\":");
      inv_json_escape (s, sw->paths[i]);
      g_string_append_printf (s, ",\"kind\":\"%s\",\"group\":\"%s\",\"lambda\":",
                              inv_model_kind_name (m->kind), m->group->name);
      append_number (s, m->lambda, "null");
      g_string_append (s, ",\"points\":[");
      for (size_t t = 0; t < sw->steps; t++)
        {
          g_string_append (s, t ? ",{\"severity\":" : "{\"severity\":");
          append_number (s, sw->severities[t], "null");
          g_string_append (s, ",\"metrics\":");
          inv_metrics_to_json (&sw->results[i * sw->steps + t], s);
          g_string_append_c (s, '}');
        }
      g_string_append (s, "]}");
    }
  g_string_append (s, "]}\n");
}

static void
write_table (GString *s, const Sweep *sw, const InvDataset *ds)
{
  const InvMetricInfo *infos = inv_metric_infos ();
  for (size_t i = 0; i < sw->models->len; i++)
    {
      g_autofree char *label = inv_cli_model_label (sw->paths[i]);
      if (i)
        g_string_append_c (s, '\n');
      /* Translators: a table's heading: "MODEL (SHIFT-KIND shift, DATA-SET)";
       * the shift kinds are noise, blur, mix, ... */
      g_string_append_printf (s, _("%s (%s shift, %s)"), label, sw->kind, ds->title);
      g_string_append_c (s, '\n');
      /* Padded by characters, not bytes: translations have accents. */
      const char *header = C_("table header", "severity");
      g_string_append (s, header);
      for (size_t c = g_utf8_strlen (header, -1); c < 9; c++)
        g_string_append_c (s, ' ');
      for (size_t k = 0; k < INV_N_METRICS; k++)
        g_string_append_printf (s, " %10s", infos[k].abbrev);
      g_string_append_c (s, '\n');
      for (size_t t = 0; t < sw->steps; t++)
        {
          g_string_append_printf (s, "%-9.3f", sw->severities[t]);
          for (size_t k = 0; k < INV_N_METRICS; k++)
            {
              double v = infos[k].get (&sw->results[i * sw->steps + t]);
              if (isnan (v))
                g_string_append_printf (s, " %10s", "n/a");
              else
                g_string_append_printf (s, " %10.4f", v);
            }
          g_string_append_c (s, '\n');
        }
    }
}

static gboolean
write_figure (const char *path, const Sweep *sw, const InvDataset *ds, size_t n_images,
              GError **error)
{
  size_t M = sw->models->len;
  g_autoptr (GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  for (size_t i = 0; i < M; i++)
    g_ptr_array_add (labels, inv_cli_model_label (sw->paths[i]));
  InvModel *first = sw->models->pdata[0];
  g_autofree char *title = g_strdup_printf ("Invariance under %s shift — %s, %zu test images, group %s",
                                            sw->kind, ds->title, n_images, first->group->name);
  return inv_cli_sweep_figure (path, title, (const char *const *) labels->pdata, M, sw->results,
                               sw->severities, sw->steps, error);
}

int
inv_cli_sweep (int argc, char **argv)
{
  const char *command = "sweep";
  g_autofree char *shift = NULL, *dataset = NULL, *out = NULL, *plot = NULL, *format = NULL;
  gint64 limit = 500, seed = 0;
  int steps = 11, threads = 2;
  gboolean predicted = FALSE;
  const GOptionEntry entries[] = {
    { "shift", 0, 0, G_OPTION_ARG_STRING, &shift, N_("Shift kind to sweep (required): noise, uniform, blur, contrast, invert, occlude or mix"), "KIND" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, N_("Severities 0, 1/(S-1), ..., 1 (default 11)"), "S" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, N_("Data set (default: the one the first model was trained on)"), "SPEC" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, N_("Evaluate on the first N test images (default 500, 0 = all)"), "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shift's and the sensitivity's noise (default 0)"), "S" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write the table to FILE (default: stdout)"), "FILE" },
    { "plot", 'p', 0, G_OPTION_ARG_FILENAME, &plot, N_("Write a figure, one panel per metric: .png, .svg or .pdf"), "FILE" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("Table format: csv, json or table (default: csv with --out, else table)"), "FMT" },
    { "saliency-predicted", 0, 0, G_OPTION_ARG_NONE, &predicted, N_("SIS explains the predicted class instead of the label"), NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("BLAS threads (default 2)"), "T" },
    { NULL },
  };
  g_set_prgname ("invlab sweep");
  /* Translators: MODEL... stands for one or more model files. */
  g_autoptr (GOptionContext) ctx = g_option_context_new (N_("MODEL... - metrics against the severity of a shift"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* Translators: keep the CSV column names (model, kind, lambda, shift, severity). */
  g_autofree char *description = g_strconcat (
    _("Evaluates every metric of 'invlab eval' at evenly spaced severities of one\n"
      "shift kind. The CSV has one row per model and severity: model, kind, lambda,\n"
      "shift, severity, then one column per metric (empty where not applicable)."), "\n\n",
    _("Examples:"), "\n"
    "  invlab sweep mlp.safetensors tied.safetensors --shift noise --out sweep.csv --plot sweep.svg\n"
    "  invlab sweep *.safetensors --shift blur --steps 6 --limit 200 --plot blur.png\n"
    "  invlab sweep mlp.safetensors --shift mix --format json\n", NULL);
  g_option_context_set_description (ctx, description);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, command, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      inv_cli_error (command, "%s", _("no model given (see 'invlab sweep --help')"));
      return INV_EXIT_USAGE;
    }
  InvShiftKind kind;
  if (!shift)
    {
      inv_cli_error (command, "%s", _("--shift is required (see 'invlab sweep --help')"));
      return INV_EXIT_USAGE;
    }
  if (!inv_shift_kind_from_name (shift, &kind))
    {
      g_autoptr (GString) kinds = g_string_new (NULL);
      shift_kinds_list (kinds);
      inv_cli_error (command, _("--shift: unknown shift kind '%s' (use %s)"), shift, kinds->str);
      return INV_EXIT_USAGE;
    }
  if (steps < 2 || steps > 1001)
    {
      inv_cli_error (command, _("--steps: %d is out of range (2 to 1001)"), steps);
      return INV_EXIT_USAGE;
    }
  if (limit < 0 || seed < 0 || threads < 1 || threads > 256)
    {
      inv_cli_error (command, _("%s is out of range"), limit < 0 ? "--limit" : seed < 0 ? "--seed" : "--threads");
      return INV_EXIT_USAGE;
    }
  const char *fmt = format ? format : out ? "csv" : "table";
  if (g_strcmp0 (fmt, "table") && g_strcmp0 (fmt, "json") && g_strcmp0 (fmt, "csv"))
    {
      inv_cli_error (command, _("--format: unknown format '%s' (use csv, json or table)"), fmt);
      return INV_EXIT_USAGE;
    }
  if (plot && !inv_cli_check_out_path (command, "--plot", plot, FALSE))
    return INV_EXIT_USAGE;
  inv_blas_set_threads (threads);

  size_t M = (size_t) argc - 1;
  g_autoptr (GPtrArray) models = inv_cli_load_models (command, argv + 1, M);
  if (!models)
    return INV_EXIT_FAILURE;
  g_autoptr (InvDataset) ds = inv_cli_models_dataset (command, dataset, models->pdata[0], &status);
  if (!ds)
    return status;
  for (size_t i = 0; i < M; i++)
    if (!inv_cli_model_fits (command, argv[i + 1], models->pdata[i], ds))
      return INV_EXIT_FAILURE;
  g_autoptr (InvDataset) other = NULL;
  if (kind == INV_SHIFT_MIX && !(other = inv_cli_load_mix_source (command, ds)))
    return INV_EXIT_FAILURE;

  InvSweepOptions sopt = {
    .kind = kind,
    .steps = (size_t) steps,
    .seed = (uint64_t) seed,
    .mix_source = other ? &other->test : NULL,
    .mix_h = other ? other->h : 0,
    .mix_w = other ? other->w : 0,
  };
  InvEvalOptions eopt;
  inv_eval_options_init (&eopt);
  eopt.limit = (size_t) limit;
  eopt.seed = (uint64_t) seed;
  eopt.sis_predicted = predicted;
  g_autofree double *severities = g_new (double, (size_t) steps);
  g_autofree InvMetrics *results = g_new (InvMetrics, M * (size_t) steps);
  gboolean tty = isatty (STDERR_FILENO);
  for (size_t i = 0; i < M; i++)
    {
      if (tty)
        {
          fputc ('\r', stderr);
          fprintf (stderr, _("sweeping model %zu/%zu "), i + 1, M);
          fflush (stderr);
        }
      g_autoptr (GError) error = NULL;
      if (!inv_sweep_run (models->pdata[i], &ds->test, &sopt, &eopt, severities,
                          results + i * (size_t) steps, &error))
        {
          if (tty)
            fputc ('\n', stderr);
          inv_cli_error (command, "%s: %s", argv[i + 1], error->message);
          return INV_EXIT_FAILURE;
        }
    }
  if (tty)
    fputc ('\n', stderr);

  Sweep sw = {
    .paths = argv + 1,
    .models = models,
    .steps = (size_t) steps,
    .severities = severities,
    .results = results,
    .kind = inv_shift_kind_name (kind),
  };
  g_autoptr (GString) s = g_string_new (NULL);
  if (g_str_equal (fmt, "csv"))
    write_csv (s, &sw);
  else if (g_str_equal (fmt, "json"))
    write_json (s, &sw, ds);
  else
    write_table (s, &sw, ds);
  g_autoptr (GError) error = NULL;
  if (out)
    {
      if (!g_file_set_contents (out, s->str, (gssize) s->len, &error))
        {
          inv_cli_error (command, _("cannot write %s: %s"), out, error->message);
          return INV_EXIT_FAILURE;
        }
    }
  else
    fputs (s->str, stdout);
  if (plot && !write_figure (plot, &sw, ds, results[0].n_images, &error))
    {
      inv_cli_error (command, "%s", error->message);
      return INV_EXIT_FAILURE;
    }
  /* stdout may hold the table: then the notes go to stderr */
  FILE *note = out ? stdout : stderr;
  if (out)
    /* Translators: "wrote FILE: N models × S severities of SHIFT-KIND". */
    fprintf (note, ngettext ("wrote %s: %zu model × %d severities of %s\n",
                             "wrote %s: %zu models × %d severities of %s\n", M),
             out, M, steps, sw.kind);
  if (plot)
    fprintf (note, _("wrote %s\n"), plot);
  return INV_EXIT_OK;
}
