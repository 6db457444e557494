/* invlab saliency: the saliency grid of one image — a row per model, a
 * column per group element, each cell the transformed input, its saliency
 * map and the predicted class with its probability — as PNG, SVG or PDF.
 * Maps and predictions come from inv_saliency_orbit (core). */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "figures-common.h"
#include "group.h"
#include "plot.h"
#include "saliency.h"
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *
class_name (const InvDataset *ds, size_t k, char *buf, size_t size)
{
  if (k < ds->n_classes && ds->class_names && ds->class_names[k])
    return ds->class_names[k];
  g_snprintf (buf, size, "%zu", k);
  return buf;
}

int
inv_cli_saliency (int argc, char **argv)
{
  const char *command = "saliency";
  g_autofree char *index_str = NULL, *method_name = NULL, *shift = NULL, *dataset = NULL;
  g_autofree char *split_name = NULL, *group_name = NULL, *out = NULL, *cmap_name = NULL;
  g_autofree char *layout_name = NULL, *scale_name = NULL;
  gboolean align = FALSE, predicted = FALSE;
  gint64 seed = 0;
  int cell = 80, threads = 2;
  const GOptionEntry entries[] = {
    { "index", 'i', 0, G_OPTION_ARG_STRING, &index_str, N_("Image number in the split (required)"), "I" },
    { "method", 'm', 0, G_OPTION_ARG_STRING, &method_name, N_("gradient, gradxinput, smoothgrad or ig (default gradient)"), "METHOD" },
    { "align", 'a', 0, G_OPTION_ARG_NONE, &align, N_("Move each map back to the identity orientation (g⁻¹·s(g·x))"), NULL },
    { "predicted", 0, 0, G_OPTION_ARG_NONE, &predicted, N_("Explain the class predicted for the identity image instead of the label"), NULL },
    { "shift", 0, 0, G_OPTION_ARG_STRING, &shift, N_("Distribution shifts applied to the image first, e.g. noise=0.3,blur=0.2"), "LIST" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shifts' noise (default 0)"), "S" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset, N_("Data set (default: the one the first model was trained on)"), "SPEC" },
    { "split", 0, 0, G_OPTION_ARG_STRING, &split_name, N_("test or train (default test)"), "SPLIT" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group_name, N_("Group of the columns (default: the first model's)"), "GROUP" },
    { "cmap", 0, 0, G_OPTION_ARG_STRING, &cmap_name, N_("Colour map: diverging (signed) or viridis (|saliency|) (default diverging)"), "MAP" },
    { "layout", 0, 0, G_OPTION_ARG_STRING, &layout_name, N_("side (input beside its map) or overlay (default side)"), "LAYOUT" },
    { "scale", 0, 0, G_OPTION_ARG_STRING, &scale_name, N_("Colour range: row (per model) or shared (default row)"), "SCALE" },
    { "cell-size", 0, 0, G_OPTION_ARG_INT, &cell, N_("Width of each image in the figure (default 80)"), "PX" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Figure to write: .png, .svg or .pdf (required)"), "FILE" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("BLAS threads (default 2)"), "T" },
    { NULL },
  };
  g_set_prgname ("invlab saliency");
  /* Translators: MODEL... stands for one or more model files. */
  g_autoptr (GOptionContext) ctx = g_option_context_new (N_("MODEL... - saliency maps over an image's orbit"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_autofree char *description = g_strconcat (
    _("One row per model, one column per group element (identity first). Each cell\n"
      "shows the transformed input, its saliency map for the image's label (or the\n"
      "predicted class) and the model's prediction with its probability. A genuinely\n"
      "invariant model's aligned maps are identical across a row."), "\n\n",
    _("Examples:"), "\n"
    "  invlab saliency mlp.safetensors tied.safetensors --index 7 --out grid.png\n"
    "  invlab saliency *.safetensors --index 7 --align --method smoothgrad --out aligned.pdf\n"
    "  invlab saliency mlp.safetensors --index 3 --shift blur=0.3 --cmap viridis --out blur.svg\n", NULL);
  g_option_context_set_description (ctx, description);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, command, &argc, &argv, &status))
    return status;
  if (argc < 2)
    {
      inv_cli_error (command, "%s", _("no model given (see 'invlab saliency --help')"));
      return INV_EXIT_USAGE;
    }
  InvSaliencyMethod method = INV_SALIENCY_GRADIENT;
  if (method_name && !inv_saliency_method_from_name (method_name, &method))
    {
      inv_cli_error (command, _("--method: unknown method '%s' (use gradient, gradxinput, smoothgrad or ig)"),
                     method_name);
      return INV_EXIT_USAGE;
    }
  guint64 index = 0;
  if (!index_str)
    {
      inv_cli_error (command, "%s", _("--index is required (see 'invlab saliency --help')"));
      return INV_EXIT_USAGE;
    }
  if (!g_ascii_string_to_unsigned (index_str, 10, 0, G_MAXUINT64, &index, NULL))
    {
      inv_cli_error (command, _("--index: '%s' is not a non-negative integer"), index_str);
      return INV_EXIT_USAGE;
    }
  gboolean train = FALSE;
  if (split_name && strcmp (split_name, "train") == 0)
    train = TRUE;
  else if (split_name && strcmp (split_name, "test") != 0)
    {
      inv_cli_error (command, _("--split: unknown split '%s' (use test or train)"), split_name);
      return INV_EXIT_USAGE;
    }
  InvColormap cmap = INV_COLORMAP_DIVERGING;
  if (cmap_name && (!inv_colormap_from_name (cmap_name, &cmap) || cmap == INV_COLORMAP_GRAY))
    {
      inv_cli_error (command, _("--cmap: unknown colour map '%s' (use diverging or viridis)"), cmap_name);
      return INV_EXIT_USAGE;
    }
  InvPlotSaliencyLayout layout = INV_PLOT_SALIENCY_SIDE_BY_SIDE;
  if (layout_name && strcmp (layout_name, "overlay") == 0)
    layout = INV_PLOT_SALIENCY_OVERLAY;
  else if (layout_name && strcmp (layout_name, "side") != 0)
    {
      inv_cli_error (command, _("--layout: unknown layout '%s' (use side or overlay)"), layout_name);
      return INV_EXIT_USAGE;
    }
  InvPlotSaliencyScale scale = INV_PLOT_SCALE_ROW;
  if (scale_name && strcmp (scale_name, "shared") == 0)
    scale = INV_PLOT_SCALE_SHARED;
  else if (scale_name && strcmp (scale_name, "row") != 0)
    {
      inv_cli_error (command, _("--scale: unknown scale '%s' (use row or shared)"), scale_name);
      return INV_EXIT_USAGE;
    }
  if (cell < 8 || cell > 1024)
    {
      inv_cli_error (command, _("--cell-size: %d is out of range (8 to 1024)"), cell);
      return INV_EXIT_USAGE;
    }
  if (seed < 0 || threads < 1 || threads > 256)
    {
      inv_cli_error (command, _("%s is out of range"), seed < 0 ? "--seed" : "--threads");
      return INV_EXIT_USAGE;
    }
  if (!out)
    {
      inv_cli_error (command, _("--out is required (see 'invlab %s --help')"), command);
      return INV_EXIT_USAGE;
    }
  if (!inv_cli_check_out_path (command, "--out", out, FALSE))
    return INV_EXIT_USAGE;
  inv_blas_set_threads (threads);

  size_t M = (size_t) argc - 1;
  g_autoptr (GPtrArray) models = inv_cli_load_models (command, argv + 1, M);
  if (!models)
    return INV_EXIT_FAILURE;
  InvModel *first = models->pdata[0];
  g_autoptr (InvDataset) ds = inv_cli_models_dataset (command, dataset, first, &status);
  if (!ds)
    return status;
  for (size_t i = 0; i < M; i++)
    if (!inv_cli_model_fits (command, argv[i + 1], models->pdata[i], ds))
      return INV_EXIT_FAILURE;
  const InvSplit *split = train ? &ds->train : &ds->test;
  const char *split_label = train ? "train" : "test";
  if (index >= split->n)
    {
      inv_cli_error (command, _("--index %llu is out of range: the %s split of %s "
                                "has %zu images (0 to %zu)"), (unsigned long long) index, split_label, ds->name, split->n,
                     split->n ? split->n - 1 : 0);
      return INV_EXIT_USAGE;
    }
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) grp = inv_group_new (group_name ? group_name : first->group->name,
                                            ds->h, ds->w, &error);
  if (!grp)
    {
      inv_cli_error (command, "--group: %s", error->message);
      return INV_EXIT_USAGE;
    }
  InvShiftList shifts;
  g_autoptr (InvDataset) other = NULL;
  if (!inv_cli_parse_shift_option (command, shift, (uint64_t) seed, ds, &shifts, &other, &status))
    return status;

  size_t n = ds->h * ds->w, G = grp->order;
  g_autofree float *x = g_new (float, n); /* (H*W) */
  inv_split_get_image (split, ds->h, ds->w, (size_t) index, x);
  if (!inv_shift_apply (&shifts, (size_t) index, x, x, ds->h, ds->w, &error))
    {
      inv_cli_error (command, "--shift: %s", error->message);
      return INV_EXIT_FAILURE;
    }
  size_t label = split->labels[index];
  InvSaliencyOptions sopt;
  inv_saliency_options_init (&sopt);
  sopt.method = method;
  sopt.seed = (uint64_t) seed;

  g_autoptr (GPtrArray) orbits = g_ptr_array_new_with_free_func ((GDestroyNotify) inv_saliency_orbit_free);
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  g_autofree const float **images = g_new (const float *, M * G);
  g_autofree const float **maps = g_new (const float *, M * G);
  g_autofree const char **captions = g_new (const char *, M * G);
  g_autofree const char **row_titles = g_new (const char *, M);
  for (size_t r = 0; r < M; r++)
    {
      InvModel *m = models->pdata[r];
      InvSaliencyOrbit *o = inv_saliency_orbit (m, grp, &sopt, x,
                                                predicted ? INV_SALIENCY_PREDICTED : label,
                                                align, &error);
      if (!o)
        {
          inv_cli_error (command, "%s: %s", argv[r + 1], error->message);
          return INV_EXIT_FAILURE;
        }
      g_ptr_array_add (orbits, o);
      char *title = inv_cli_model_label (argv[r + 1]);
      g_ptr_array_add (strings, title);
      row_titles[r] = title;
      for (size_t g = 0; g < G; g++)
        {
          /* aligned maps belong to the identity orientation: show it too */
          images[r * G + g] = o->images + (align ? 0 : g) * n;
          maps[r * G + g] = o->maps + g * n;
          char buf[32];
          size_t pred = o->pred[g];
          char *caption = g_strdup_printf ("%s %.2f", class_name (ds, pred, buf, sizeof buf),
                                           o->probs[g * o->K + pred]);
          g_ptr_array_add (strings, caption);
          captions[r * G + g] = caption;
        }
    }

  char buf[32];
  g_autofree char *shift_text = inv_shift_list_to_string (&shifts);
  g_autofree char *explained = predicted ? g_strdup ("the predicted class")
                                         : g_strdup_printf ("class %s", class_name (ds, label, buf, sizeof buf));
  g_autofree char *title = g_strdup_printf ("%c%s saliency of %s — %s %s image %" G_GUINT64_FORMAT
                                            ", orbit under %s%s%s%s",
                                            g_ascii_toupper (inv_saliency_method_name (method)[0]),
                                            inv_saliency_method_name (method) + 1, explained,
                                            ds->title, split_label, index, grp->name,
                                            align ? ", aligned to the identity" : "",
                                            shifts.n ? ", shift " : "", shifts.n ? shift_text : "");
  InvPlotSaliencyGrid fig = {
    .rows = M, .cols = G, .h = ds->h, .w = ds->w,
    .images = images,
    .maps = maps,
    .captions = captions,
    .col_titles = (const char *const *) grp->labels,
    .row_titles = row_titles,
    .title = title,
    .cmap = cmap,
    .layout = layout,
    .scale = scale,
  };
  double width, height;
  inv_plot_saliency_grid_size (&fig, cell, &width, &height);
  if (!inv_plot_save (out, width, height, inv_plot_saliency_grid_draw, &fig, &error))
    {
      inv_cli_error (command, "%s", error->message);
      return INV_EXIT_FAILURE;
    }
  /* Translators: "wrote FILE: N models × G group elements (GROUP), SPLIT
   * image INDEX of DATA-SET"; SPLIT is test or train as given to --split. */
  printf (ngettext ("wrote %s: %zu model × %zu group elements (%s), %s image %llu of %s\n",
                    "wrote %s: %zu models × %zu group elements (%s), %s image %llu of %s\n", M),
          out, M, G, grp->name, split_label, (unsigned long long) index, ds->name);
  return INV_EXIT_OK;
}
