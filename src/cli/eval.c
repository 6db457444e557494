/* invlab eval: loads saved models and reports every invariance metric of the
 * design on the first N test images, optionally under distribution shifts,
 * as a table, JSON or CSV on stdout. */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "json.h"
#include "metrics.h"
#include "model.h"
#include "shift.h"
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

/* The "other" data set of the mix shift: digits for Fashion-MNIST and any
 * IDX folder, Fashion-MNIST for the digits. */
InvDataset *
inv_cli_load_mix_source (const char *command, const InvDataset *ds)
{
  const char *other = g_str_has_prefix (ds->name, "digits") ? "fashion" : "digits";
  return inv_cli_load_dataset (command, other);
}

static void
print_value (GString *s, double v, const char *fmt)
{
  if (isnan (v))
    g_string_append (s, fmt[0] == 'j' ? "null" : "n/a");
  else
    {
      char buf[G_ASCII_DTOSTR_BUF_SIZE];
      g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6f", v));
    }
}

int
inv_cli_eval (int argc, char **argv)
{
  g_autofree char *dataset = NULL, *shift = NULL, *format = NULL;
  gint64 limit = 1000, seed = 0;
  int threads = 2;
  gboolean predicted = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, N_("Data set (default: the one the first model was trained on)"), "SPEC" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, N_("Evaluate on the first N test images (default 1000, 0 = all)"), "N" },
    { "shift", 0, 0, G_OPTION_ARG_STRING, &shift, N_("Distribution shifts, e.g. noise=0.5,blur=0.2"), "LIST" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("table, json or csv (default table)"), "FMT" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shifts' and the sensitivity's noise (default 0)"), "S" },
    { "saliency-predicted", 0, 0, G_OPTION_ARG_NONE, &predicted, N_("SIS explains the predicted class instead of the label"), NULL },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("BLAS threads (default 2)"), "T" },
    { NULL },
  };
  /* Translators: MODEL... stands for one or more model files. */
  g_autoptr (GOptionContext) ctx = g_option_context_new (N_("MODEL... - evaluate invariance metrics"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* Translators: keep the metric keys (orbit_accuracy, ...) and model kinds. */
  g_autofree char *description = g_strconcat (
    _("Metrics: orbit_accuracy, orbit_consistency, pdi, logit_invariance, sis,\n"
      "invariance_error, sensitivity, noninvariant_energy (mlp and tied-mlp)."), "\n\n",
    _("Examples:"), "\n"
    "  invlab eval mlp.safetensors tied.safetensors --limit 500\n"
    "  invlab eval *.safetensors --shift noise=0.5 --format json\n", NULL);
  g_option_context_set_description (ctx, description);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, "eval", &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      inv_cli_error ("eval", "%s", _("no model given (see 'invlab eval --help')"));
      return INV_EXIT_USAGE;
    }
  const char *fmt = format ? format : "table";
  if (g_strcmp0 (fmt, "table") && g_strcmp0 (fmt, "json") && g_strcmp0 (fmt, "csv"))
    {
      inv_cli_error ("eval", _("--format '%s' must be table, json or csv"), fmt);
      return INV_EXIT_USAGE;
    }
  if (limit < 0 || seed < 0 || threads < 1 || threads > 256)
    {
      /* Translators: %s is an option name (--limit, --seed, --threads). */
      inv_cli_error ("eval", _("%s is out of range"), limit < 0 ? "--limit" : seed < 0 ? "--seed" : "--threads");
      return INV_EXIT_USAGE;
    }
  inv_blas_set_threads (threads);
  g_autoptr (GError) error = NULL;
  InvShiftList shifts;
  inv_shift_list_init (&shifts, (uint64_t) seed);
  if (shift && !inv_shift_list_parse (&shifts, shift, &error))
    {
      inv_cli_error ("eval", "--shift: %s", error->message);
      return INV_EXIT_USAGE;
    }

  size_t n_models = (size_t) argc - 1;
  g_autoptr (GPtrArray) models = g_ptr_array_new_with_free_func ((GDestroyNotify) inv_model_free);
  for (size_t i = 0; i < n_models; i++)
    {
      InvModel *m = inv_model_load (argv[i + 1], &error);
      if (!m)
        {
          inv_cli_error ("eval", "%s", error->message);
          return INV_EXIT_FAILURE;
        }
      g_ptr_array_add (models, m);
    }
  InvModel *first = models->pdata[0];
  const char *spec = dataset ? dataset : (first->dataset && *first->dataset ? first->dataset : "fashion");
  g_autoptr (InvDataset) ds = inv_cli_load_dataset ("eval", spec);
  if (!ds)
    return INV_EXIT_FAILURE;
  g_autoptr (InvDataset) other = NULL;
  for (size_t i = 0; i < shifts.n; i++)
    if (shifts.items[i].kind == INV_SHIFT_MIX && !other)
      {
        if (!(other = inv_cli_load_mix_source ("eval", ds)))
          return INV_EXIT_FAILURE;
        inv_shift_list_set_mix_source (&shifts, &other->test, other->h, other->w);
      }

  g_autofree InvMetrics *results = g_new (InvMetrics, n_models);
  for (size_t i = 0; i < n_models; i++)
    {
      InvModel *m = models->pdata[i];
      if (m->h != ds->h || m->w != ds->w || ds->n_classes > m->n_classes)
        {
          /* Translators: "FILE: the model takes H×W images with K classes;
           * DATA-SET has H×W with K". */
          inv_cli_error ("eval", _("%s: the model takes %zu×%zu images with %zu classes; %s has %zu×%zu with %zu"),
                         argv[i + 1], m->h, m->w, m->n_classes, ds->title, ds->h, ds->w, ds->n_classes);
          return INV_EXIT_FAILURE;
        }
      InvEvalOptions opt;
      inv_eval_options_init (&opt);
      opt.limit = (size_t) limit;
      opt.shifts = shifts.n ? &shifts : NULL;
      opt.sis_predicted = predicted;
      opt.seed = (uint64_t) seed;
      if (!inv_evaluate (m, &ds->test, &opt, &results[i], &error))
        {
          inv_cli_error ("eval", "%s: %s", argv[i + 1], error->message);
          return INV_EXIT_FAILURE;
        }
    }

  const InvMetricInfo *infos = inv_metric_infos ();
  g_autofree char *shift_text = inv_shift_list_to_string (&shifts);
  g_autoptr (GString) s = g_string_new (NULL);
  if (g_str_equal (fmt, "json"))
    {
      g_string_append (s, "{\"dataset\":");
      inv_json_escape (s, ds->name);
      g_string_append (s, ",\"shift\":");
      inv_json_escape (s, shift_text);
      g_string_append (s, ",\"models\":[");
      for (size_t i = 0; i < n_models; i++)
        {
          InvModel *m = models->pdata[i];
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_string_append (s, i ? ",{\"file\":" : "{\"file\":");
          inv_json_escape (s, argv[i + 1]);
          g_string_append_printf (s, ",\"kind\":\"%s\",\"group\":\"%s\",\"lambda\":%s,\"metrics\":",
                                  inv_model_kind_name (m->kind), m->group->name,
                                  g_ascii_formatd (buf, sizeof buf, "%.17g", m->lambda));
          inv_metrics_to_json (&results[i], s);
          g_string_append_c (s, '}');
        }
      g_string_append (s, "]}\n");
    }
  else if (g_str_equal (fmt, "csv"))
    {
      g_string_append (s, "file,kind,group,lambda,shift,n_images");
      for (size_t k = 0; k < INV_N_METRICS; k++)
        g_string_append_printf (s, ",%s", infos[k].name);
      g_string_append_c (s, '\n');
      for (size_t i = 0; i < n_models; i++)
        {
          InvModel *m = models->pdata[i];
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_autofree char *quoted = g_strescape (argv[i + 1], NULL);
          g_string_append_printf (s, "\"%s\",%s,%s,%s,\"%s\",%zu", quoted,
                                  inv_model_kind_name (m->kind), m->group->name,
                                  g_ascii_formatd (buf, sizeof buf, "%g", m->lambda),
                                  shift_text, results[i].n_images);
          for (size_t k = 0; k < INV_N_METRICS; k++)
            {
              g_string_append_c (s, ',');
              double v = infos[k].get (&results[i]);
              if (!isnan (v))
                g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6f", v));
            }
          g_string_append_c (s, '\n');
        }
    }
  else
    {
      size_t n_images = results[0].n_images;
      /* Translators: the table's heading: "DATA-SET, N test images, group GROUP". */
      g_string_append_printf (s, ngettext ("%s, %zu test image, group %s", "%s, %zu test images, group %s",
                                           n_images),
                              ds->title, n_images, first->group->name);
      if (shifts.n)
        /* Translators: appended to the table's heading; %s lists the shifts (noise=0.5). */
        g_string_append_printf (s, _(", shift %s"), shift_text);
      g_string_append (s, "\n\n");
      /* The header is padded by characters, not bytes: translations have accents. */
      const char *model_header = C_("table header", "model");
      g_string_append (s, model_header);
      for (size_t c = g_utf8_strlen (model_header, -1); c < 28; c++)
        g_string_append_c (s, ' ');
      for (size_t k = 0; k < INV_N_METRICS; k++)
        g_string_append_printf (s, " %10s", infos[k].abbrev);
      g_string_append_c (s, '\n');
      for (size_t i = 0; i < n_models; i++)
        {
          g_autofree char *base = g_path_get_basename (argv[i + 1]);
          g_string_append_printf (s, "%-28.28s", base);
          for (size_t k = 0; k < INV_N_METRICS; k++)
            {
              double v = infos[k].get (&results[i]);
              g_string_append_c (s, ' ');
              g_autoptr (GString) cell = g_string_new (NULL);
              print_value (cell, v, "t");
              g_string_append_printf (s, "%10s", cell->str);
            }
          g_string_append_c (s, '\n');
        }
      g_string_append (s, "\n");
      for (size_t k = 0; k < INV_N_METRICS; k++)
        g_string_append_printf (s, "%s%s = %s", k ? ", " : "", infos[k].abbrev, infos[k].name);
      g_string_append_c (s, '\n');
    }
  fputs (s->str, stdout);
  return INV_EXIT_OK;
}
