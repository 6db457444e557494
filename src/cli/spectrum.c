/* invlab spectrum: the singular values of each model's first layer and, for
 * fully-connected first layers, the non-invariant energy fraction on test
 * images, as a log-scale figure or a CSV. Numerics: spectrum.h (core). */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "figures-common.h"
#include "plot.h"
#include "spectrum.h"
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void
format_energy (char *buf, size_t size, double e)
{
  if (isnan (e))
    g_strlcpy (buf, "n/a", size);
  else
    g_snprintf (buf, size, "%.3g", e);
}

int
inv_cli_spectrum (int argc, char **argv)
{
  const char *command = "spectrum";
  g_autofree char *out = NULL, *dataset = NULL, *shift = NULL;
  gint64 limit = 1000, seed = 0;
  int threads = 2;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write a figure (.png, .svg, .pdf) or a table (.csv) (required)"), "FILE" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, N_("Data set of the energy (default: the one the first model was trained on)"), "SPEC" },
    { "limit", 'n', 0, G_OPTION_ARG_INT64, &limit, N_("Energy over the first N test images (default 1000, 0 = all)"), "N" },
    { "shift", 0, 0, G_OPTION_ARG_STRING, &shift, N_("Distribution shifts applied to those images, e.g. noise=0.5"), "LIST" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shifts' noise (default 0)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("BLAS threads (default 2)"), "T" },
    { NULL },
  };
  g_set_prgname ("invlab spectrum");
  /* Translators: MODEL... stands for one or more model files. */
  g_autoptr (GOptionContext) ctx = g_option_context_new (N_("MODEL... - spectra of the models' first layers"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  /* Translators: keep the formula, the model kinds and the CSV column names
   * (model, kind, index, singular_value, energy). */
  g_autofree char *description = g_strconcat (
    _("The singular values of each model's first layer as a matrix (fc: out×n; conv:\n"
      "out×(in·k·k)), largest first, and for mlp and tied-mlp the non-invariant\n"
      "energy fraction ‖W(I − P)X‖ / ‖WX‖ over test images X (n/a for cnn and gcnn).\n"
      "The CSV has one row per singular value: model, kind, index (from 1),\n"
      "singular_value, energy (empty when not applicable)."), "\n\n",
    _("Examples:"), "\n"
    "  invlab spectrum mlp.safetensors reg.safetensors tied.safetensors --out spectrum.svg\n"
    "  invlab spectrum *.safetensors --out spectrum.csv --limit 500\n"
    "  invlab spectrum mlp.safetensors --shift noise=0.5 --out noisy.png\n", NULL);
  g_option_context_set_description (ctx, description);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, command, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      inv_cli_error (command, "%s", _("no model given (see 'invlab spectrum --help')"));
      return INV_EXIT_USAGE;
    }
  if (!out)
    {
      inv_cli_error (command, _("--out is required (see 'invlab %s --help')"), command);
      return INV_EXIT_USAGE;
    }
  if (!inv_cli_check_out_path (command, "--out", out, TRUE))
    return INV_EXIT_USAGE;
  if (limit < 0 || seed < 0 || threads < 1 || threads > 256)
    {
      inv_cli_error (command, _("%s is out of range"), limit < 0 ? "--limit" : seed < 0 ? "--seed" : "--threads");
      return INV_EXIT_USAGE;
    }
  inv_blas_set_threads (threads);

  size_t M = (size_t) argc - 1;
  g_autoptr (GPtrArray) models = inv_cli_load_models (command, argv + 1, M);
  if (!models)
    return INV_EXIT_FAILURE;
  gboolean any_energy = FALSE;
  for (size_t i = 0; i < M; i++)
    any_energy |= inv_spectrum_has_energy (((InvModel *) models->pdata[i])->kind);

  /* The evaluation images (N, H*W), only when some model has an energy. */
  g_autoptr (InvDataset) ds = NULL;
  g_autoptr (InvDataset) other = NULL;
  g_autofree float *pixels = NULL;
  size_t N = 0;
  g_autoptr (GError) error = NULL;
  if (any_energy || shift || dataset)
    {
      ds = inv_cli_models_dataset (command, dataset, models->pdata[0], &status);
      if (!ds)
        return status;
      InvShiftList shifts;
      if (!inv_cli_parse_shift_option (command, shift, (uint64_t) seed, ds, &shifts, &other, &status))
        return status;
      for (size_t i = 0; i < M; i++)
        if (inv_spectrum_has_energy (((InvModel *) models->pdata[i])->kind)
            && !inv_cli_model_fits (command, argv[i + 1], models->pdata[i], ds))
          return INV_EXIT_FAILURE;
      N = limit == 0 ? ds->test.n : MIN ((size_t) limit, ds->test.n);
      size_t n = ds->h * ds->w;
      pixels = g_new (float, N * n);
      for (size_t i = 0; i < N; i++)
        {
          inv_split_get_image (&ds->test, ds->h, ds->w, i, pixels + i * n);
          if (!inv_shift_apply (&shifts, i, pixels + i * n, pixels + i * n, ds->h, ds->w, &error))
            {
              inv_cli_error (command, "--shift: %s", error->message);
              return INV_EXIT_FAILURE;
            }
        }
    }

  g_autofree double **svs = g_new0 (double *, M);
  g_autofree size_t *n_sv = g_new0 (size_t, M);
  g_autofree double *energy = g_new (double, M);
  int rc = INV_EXIT_OK;
  for (size_t i = 0; i < M && rc == INV_EXIT_OK; i++)
    {
      InvModel *m = models->pdata[i];
      svs[i] = inv_spectrum_model_singular_values (m, &n_sv[i], &error);
      if (!svs[i])
        {
          inv_cli_error (command, "%s: %s", argv[i + 1], error->message);
          rc = INV_EXIT_FAILURE;
          break;
        }
      energy[i] = NAN;
      if (inv_spectrum_has_energy (m->kind)
          && !inv_spectrum_model_energy (&energy[i], m, pixels, N, &error))
        {
          inv_cli_error (command, "%s: %s", argv[i + 1], error->message);
          rc = INV_EXIT_FAILURE;
        }
    }

  if (rc == INV_EXIT_OK && inv_cli_path_is_csv (out))
    {
      g_autoptr (GString) s = g_string_new ("model,kind,index,singular_value,energy\n");
      for (size_t i = 0; i < M; i++)
        {
          char e[G_ASCII_DTOSTR_BUF_SIZE] = "", v[G_ASCII_DTOSTR_BUF_SIZE];
          if (!isnan (energy[i]))
            g_ascii_formatd (e, sizeof e, "%.9g", energy[i]);
          for (size_t k = 0; k < n_sv[i]; k++)
            {
              inv_cli_append_csv_field (s, argv[i + 1]);
              g_string_append_printf (s, ",%s,%zu,%s,%s\n",
                                      inv_model_kind_name (((InvModel *) models->pdata[i])->kind),
                                      k + 1, g_ascii_formatd (v, sizeof v, "%.9g", svs[i][k]), e);
            }
        }
      if (!g_file_set_contents (out, s->str, (gssize) s->len, &error))
        {
          inv_cli_error (command, _("cannot write %s: %s"), out, error->message);
          rc = INV_EXIT_FAILURE;
        }
    }
  else if (rc == INV_EXIT_OK)
    {
      g_autofree InvPlotSeries *series = g_new0 (InvPlotSeries, M);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (GPtrArray) xs = g_ptr_array_new_with_free_func (g_free);
      for (size_t i = 0; i < M; i++)
        {
          g_autofree char *label = inv_cli_model_label (argv[i + 1]);
          char e[32];
          format_energy (e, sizeof e, energy[i]);
          char *name = g_strdup_printf ("%s (energy %s)", label, e);
          double *x = g_new (double, n_sv[i] + 1);
          for (size_t k = 0; k < n_sv[i]; k++)
            x[k] = (double) (k + 1);
          g_ptr_array_add (names, name);
          g_ptr_array_add (xs, x);
          series[i] = (InvPlotSeries) { .name = name, .color = i, .x = x, .y = svs[i], .n = n_sv[i] };
        }
      g_autofree char *title = ds ? g_strdup_printf ("First-layer singular values (energy on %zu %s test images)",
                                                     N, ds->title)
                                  : g_strdup ("First-layer singular values");
      InvPlotLines fig = {
        .title = title,
        .x = { .label = "index" },
        .y = { .label = "singular value", .log = TRUE },
        .series = series,
        .n_series = M,
      };
      if (!inv_plot_save (out, 720, 460, inv_plot_lines_draw, &fig, &error))
        {
          inv_cli_error (command, "%s", error->message);
          rc = INV_EXIT_FAILURE;
        }
    }
  if (rc == INV_EXIT_OK)
    for (size_t i = 0; i < M; i++)
      {
        char e[32];
        format_energy (e, sizeof e, energy[i]);
        /* Translators: "FILE: MODEL-KIND, N singular values (largest X, smallest
         * Y), non-invariant energy E"; E may be n/a. */
        printf (_("%s: %s, %zu singular values (largest %.4g, smallest %.4g), non-invariant energy %s\n"),
                argv[i + 1], inv_model_kind_name (((InvModel *) models->pdata[i])->kind), n_sv[i],
                n_sv[i] ? svs[i][0] : NAN, n_sv[i] ? svs[i][n_sv[i] - 1] : NAN, e);
      }
  for (size_t i = 0; i < M; i++)
    g_free (svs[i]);
  return rc;
}
