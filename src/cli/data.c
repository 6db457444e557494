/* invlab data: print a data set's sizes, classes and pixel statistics, or
 * write one image's orbit under a group as a figure. Loading, groups and
 * drawing live in the core; this file only parses options and prints. */
#include "config.h"
#include "cli.h"
#include "group.h"
#include "json.h"
#include "plot.h"
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* Cairo's toy text API loads fonts through fontconfig, whose caches live
 * until exit; these hooks keep LeakSanitizer (sanitized builds only) from
 * reporting them. Nothing else is suppressed. */
const char *__lsan_default_suppressions (void);
const char *__lsan_default_options (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}
const char *
__lsan_default_options (void)
{
  return "print_suppressions=0";
}

/* Translators: keep the data set names, SEED, DIR and the file names. */
static const char *const data_sets_help =
  N_("Data sets (--dataset):\n"
     "  fashion      Fashion-MNIST from $INVLAB_FASHION_DIR or the installed copy (default)\n"
     "  digits       the built-in synthetic digits (digits:SEED for another seed)\n"
     "  idx:DIR      a folder with MNIST-named IDX files (each optionally .gz)\n"
     "               and an optional classes.txt\n");

/* The help of a command: translated prose, then examples (commands, never
 * translated). g_free. */
static char *
help_with_examples (const char *prose, const char *examples)
{
  return g_strconcat (prose, "\n", _("Examples:"), "\n", examples, NULL);
}

static void
print_data_help (FILE *f)
{
  /* Translators: keep "invlab data", "info", "show" and the format names. */
  fputs (_("Usage: invlab data COMMAND [OPTIONS]\n\n"
           "Inspect a data set, or write an image's orbit under a group as a figure.\n\n"
           "Commands:\n"
           "  info    print the split sizes, image size, classes and pixel statistics\n"
           "  show    write the orbit of one image (every group element) as PNG, SVG or PDF\n\n"), f);
  g_autofree char *rest = help_with_examples (_(data_sets_help),
                                              "  invlab data info --dataset digits\n"
                                              "  invlab data show --dataset fashion --index 0 --group d4 --out orbit.png\n");
  fputs (rest, f);
  fputs (_("\nRun 'invlab data COMMAND --help' for a command's options.\n"), f);
}

/* Leftover positional arguments are a usage error. */
static gboolean
check_no_args (const char *command, int argc, char **argv, int *status)
{
  if (argc > 1)
    {
      inv_cli_error (command, _("unexpected argument '%s' (see 'invlab %s --help')"), argv[1], command);
      *status = INV_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

/* Loads spec; an unknown name is a usage error of --dataset, anything else
 * (missing folder, broken file) a runtime failure. */
static InvDataset *
load_dataset (const char *command, const char *spec, int *status)
{
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

static void
count_labels (const InvSplit *s, size_t k, size_t *count)
{
  memset (count, 0, k * sizeof *count);
  for (size_t i = 0; i < s->n; i++)
    if (s->labels[i] < k)
      count[s->labels[i]]++;
}

static void
append_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6f", v));
}

static void
append_counts_json (GString *out, const size_t *count, size_t k)
{
  g_string_append_c (out, '[');
  for (size_t c = 0; c < k; c++)
    g_string_append_printf (out, "%s%zu", c ? ", " : "", count[c]);
  g_string_append_c (out, ']');
}

static void
print_info_json (const InvDataset *ds, const size_t *train_count, const size_t *test_count)
{
  g_autoptr (GString) out = g_string_new ("{\"name\": ");
  inv_json_escape (out, ds->name);
  g_string_append (out, ", \"title\": ");
  inv_json_escape (out, ds->title);
  g_string_append_printf (out, ", \"train\": %zu, \"test\": %zu, \"height\": %zu, \"width\": %zu"
                               ", \"classes\": %zu, \"class_names\": [",
                          ds->train.n, ds->test.n, ds->h, ds->w, ds->n_classes);
  for (size_t k = 0; k < ds->n_classes; k++)
    {
      if (k)
        g_string_append (out, ", ");
      inv_json_escape (out, ds->class_names[k]);
    }
  g_string_append (out, "], \"train_counts\": ");
  append_counts_json (out, train_count, ds->n_classes);
  g_string_append (out, ", \"test_counts\": ");
  append_counts_json (out, test_count, ds->n_classes);
  g_string_append (out, ", \"mean\": ");
  append_double (out, ds->mean);
  g_string_append (out, ", \"std\": ");
  append_double (out, ds->std);
  g_string_append (out, "}\n");
  fputs (out->str, stdout);
}

/* Appends text padded with spaces to width characters (not bytes: the
 * translations have accents), on the left when right_align. */
static void
append_padded (GString *out, const char *text, size_t width, gboolean right_align)
{
  size_t len = g_utf8_strlen (text, -1);
  size_t pad = len < width ? width - len : 0;
  if (!right_align)
    g_string_append (out, text);
  for (size_t i = 0; i < pad; i++)
    g_string_append_c (out, ' ');
  if (right_align)
    g_string_append (out, text);
}

static void
print_info_text (const InvDataset *ds, const size_t *train_count, const size_t *test_count)
{
  enum { NAME, TRAIN, TEST, SIZE, MEAN, STD, CLASSES, N_FIELDS };
  const char *labels[N_FIELDS] = {
    [NAME] = _("data set:"), [TRAIN] = _("train:"), [TEST] = _("test:"),
    [SIZE] = _("image size:"), [MEAN] = _("pixel mean:"), [STD] = _("pixel std:"),
    [CLASSES] = _("classes:"),
  };
  size_t width = 0;
  for (int f = 0; f < N_FIELDS; f++)
    width = MAX (width, (size_t) g_utf8_strlen (labels[f], -1) + 1);

  g_autoptr (GString) out = g_string_new (NULL);
  append_padded (out, labels[NAME], width, FALSE);
  g_string_append_printf (out, "%s (%s)\n", ds->name, ds->title);
  append_padded (out, labels[TRAIN], width, FALSE);
  g_string_append_printf (out, ngettext ("%zu image\n", "%zu images\n", ds->train.n), ds->train.n);
  append_padded (out, labels[TEST], width, FALSE);
  g_string_append_printf (out, ngettext ("%zu image\n", "%zu images\n", ds->test.n), ds->test.n);
  append_padded (out, labels[SIZE], width, FALSE);
  g_string_append_printf (out, "%zu×%zu\n", ds->h, ds->w);
  append_padded (out, labels[MEAN], width, FALSE);
  append_double (out, ds->mean);
  g_string_append_c (out, '\n');
  append_padded (out, labels[STD], width, FALSE);
  append_double (out, ds->std);
  g_string_append_c (out, '\n');
  append_padded (out, labels[CLASSES], width, FALSE);
  g_string_append_printf (out, "%zu\n", ds->n_classes);
  /* Translators: column headers of the class table: the class number, its
   * name, and how many training and test images it has (8 characters at most). */
  g_string_append (out, "  ");
  append_padded (out, C_("class table", "label"), 5, TRUE);
  g_string_append (out, "  ");
  append_padded (out, C_("class table", "name"), 16, FALSE);
  g_string_append_c (out, ' ');
  append_padded (out, C_("class table", "train"), 8, TRUE);
  g_string_append_c (out, ' ');
  append_padded (out, C_("class table", "test"), 8, TRUE);
  g_string_append_c (out, '\n');
  for (size_t k = 0; k < ds->n_classes; k++)
    {
      g_string_append_printf (out, "  %5zu  ", k);
      append_padded (out, ds->class_names[k], 16, FALSE);
      g_string_append_printf (out, " %8zu %8zu\n", train_count[k], test_count[k]);
    }
  fputs (out->str, stdout);
}

static int
data_info (int argc, char **argv)
{
  const char *command = "data info";
  g_autofree char *dataset = NULL;
  g_autofree char *format = NULL;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset,
      N_("Data set: fashion, digits, digits:SEED or idx:DIR (default: fashion)"), "SPEC" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("Output format: text or json (default: text)"),
      "FORMAT" },
    { NULL },
  };
  g_set_prgname ("invlab data info");
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, N_("Print a data set's split sizes, image size, classes "
                                        "(with their counts) and pixel statistics."));
  g_autofree char *description = help_with_examples (_(data_sets_help),
                                                     "  invlab data info\n"
                                                     "  invlab data info --dataset digits --format json\n"
                                                     "  invlab data info --dataset idx:$HOME/mnist\n");
  g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, command, &argc, &argv, &status)
      || !check_no_args (command, argc, argv, &status))
    return status;

  gboolean json = FALSE;
  if (format && strcmp (format, "json") == 0)
    json = TRUE;
  else if (format && strcmp (format, "text") != 0)
    {
      inv_cli_error (command, _("--format: unknown format '%s' (use text or json)"), format);
      return INV_EXIT_USAGE;
    }
  g_autoptr (InvDataset) ds = load_dataset (command, dataset ? dataset : "fashion", &status);
  if (!ds)
    return status;

  g_autofree size_t *train_count = g_new (size_t, ds->n_classes);
  g_autofree size_t *test_count = g_new (size_t, ds->n_classes);
  count_labels (&ds->train, ds->n_classes, train_count);
  count_labels (&ds->test, ds->n_classes, test_count);
  if (json)
    print_info_json (ds, train_count, test_count);
  else
    print_info_text (ds, train_count, test_count);
  return INV_EXIT_OK;
}

/* Rows and columns for an orbit: d4 as rotations over mirrored rotations,
 * trans as its k×k shifts, the others in one row. */
static void
orbit_layout (const InvGroup *grp, size_t *rows, size_t *cols)
{
  if (grp->kind == INV_GROUP_D4)
    *rows = 2;
  else if (grp->kind == INV_GROUP_TRANS && grp->k > 0)
    *rows = grp->k;
  else
    *rows = 1;
  *cols = grp->order / *rows;
}

static int
data_show (int argc, char **argv)
{
  const char *command = "data show";
  g_autofree char *dataset = NULL;
  g_autofree char *index_str = NULL;
  g_autofree char *split_name = NULL;
  g_autofree char *group_name = NULL;
  g_autofree char *out = NULL;
  int cell = 96;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset,
      N_("Data set: fashion, digits, digits:SEED or idx:DIR (default: fashion)"), "SPEC" },
    { "index", 'i', 0, G_OPTION_ARG_STRING, &index_str, N_("Image number in the split (default: 0)"), "I" },
    { "split", 's', 0, G_OPTION_ARG_STRING, &split_name, N_("Split: test or train (default: test)"), "SPLIT" },
    { "group", 'g', 0, G_OPTION_ARG_STRING, &group_name,
      N_("Group: c4, d4, flip, trans or trans:K (default: c4)"), "GROUP" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Figure to write: .png, .svg or .pdf (required)"),
      "FILE" },
    { "cell-size", 0, 0, G_OPTION_ARG_INT, &cell, N_("Width of each image in the figure (default: 96)"),
      "PX" },
    { NULL },
  };
  g_set_prgname ("invlab data show");
  g_autoptr (GOptionContext) ctx = g_option_context_new (NULL);
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, N_("Write the orbit of one image: the image transformed by "
                                        "every element of a group,\nidentity first, each captioned "
                                        "with its group element."));
  g_autofree char *description = help_with_examples (_(data_sets_help),
                                                     "  invlab data show --dataset digits --index 3 --group c4 --out orbit.png\n"
                                                     "  invlab data show --index 10 --split train --group d4 --out orbit.pdf\n"
                                                     "  invlab data show --group trans:4 --out shifts.svg\n");
  g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, NULL);
  int status = INV_EXIT_OK;
  if (!inv_cli_parse (ctx, command, &argc, &argv, &status)
      || !check_no_args (command, argc, argv, &status))
    return status;

  gboolean train = FALSE;
  if (split_name && strcmp (split_name, "train") == 0)
    train = TRUE;
  else if (split_name && strcmp (split_name, "test") != 0)
    {
      inv_cli_error (command, _("--split: unknown split '%s' (use test or train)"), split_name);
      return INV_EXIT_USAGE;
    }
  guint64 index = 0;
  if (index_str && !g_ascii_string_to_unsigned (index_str, 10, 0, G_MAXUINT64, &index, NULL))
    {
      inv_cli_error (command, _("--index: '%s' is not a non-negative integer"), index_str);
      return INV_EXIT_USAGE;
    }
  if (!out)
    {
      inv_cli_error (command, _("--out is required (see 'invlab %s --help')"), command);
      return INV_EXIT_USAGE;
    }
  g_autoptr (GError) error = NULL;
  InvPlotFormat fmt;
  if (!inv_plot_format_from_path (out, &fmt, &error))
    {
      inv_cli_error (command, "--out: %s", error->message);
      return INV_EXIT_USAGE;
    }
  if (cell < 8 || cell > 1024)
    {
      inv_cli_error (command, _("--cell-size: %d is out of range (8 to 1024)"), cell);
      return INV_EXIT_USAGE;
    }

  g_autoptr (InvDataset) ds = load_dataset (command, dataset ? dataset : "fashion", &status);
  if (!ds)
    return status;
  const InvSplit *split = train ? &ds->train : &ds->test;
  const char *split_label = train ? "train" : "test";
  if (index >= split->n)
    {
      /* Translators: the second %s is the split's name (test or train, as
       * given to --split), the third the data set's name. */
      inv_cli_error (command, _("--index %llu is out of range: the %s split of %s "
                                "has %zu images (0 to %zu)"), (unsigned long long) index, split_label, ds->name, split->n,
                     split->n - 1);
      return INV_EXIT_USAGE;
    }
  g_autoptr (InvGroup) grp = inv_group_new (group_name ? group_name : "c4", ds->h, ds->w, &error);
  if (!grp)
    {
      inv_cli_error (command, "--group: %s", error->message);
      return INV_EXIT_USAGE;
    }

  size_t n = ds->h * ds->w, G = grp->order;
  g_autofree float *image = g_new (float, n);
  g_autofree float *orbit = g_new (float, G * n); /* (G, H*W) */
  inv_split_get_image (split, ds->h, ds->w, (size_t) index, image);
  inv_group_orbit (grp, orbit, image);
  g_autofree const float **cells = g_new (const float *, G);
  for (size_t g = 0; g < G; g++)
    cells[g] = orbit + g * n;
  unsigned label = split->labels[index];
  g_autofree char *title = g_strdup_printf ("%s, %s image %" G_GUINT64_FORMAT ", class %s — orbit under %s",
                                            ds->title, split_label, index,
                                            ds->class_names[label], grp->name);
  InvPlotImageGrid fig = {
    .h = ds->h, .w = ds->w,
    .images = cells,
    .captions = (const char *const *) grp->labels,
    .title = title,
  };
  orbit_layout (grp, &fig.rows, &fig.cols);
  double width, height;
  inv_plot_image_grid_size (&fig, cell, &width, &height);
  if (!inv_plot_save (out, width, height, inv_plot_image_grid_draw, &fig, &error))
    {
      inv_cli_error (command, "%s", error->message);
      return INV_EXIT_FAILURE;
    }
  /* Translators: "wrote FILE: SPLIT image INDEX of DATASET (class NAME)
   * under GROUP, N images"; SPLIT is test or train as given to --split. */
  printf (_("wrote %s: %s image %llu of %s (class %s) under %s, %zu images\n"),
          out, split_label, (unsigned long long) index, ds->name, ds->class_names[label], grp->name, G);
  return INV_EXIT_OK;
}

int
inv_cli_data (int argc, char **argv)
{
  if (argc < 2)
    {
      print_data_help (stderr);
      return INV_EXIT_USAGE;
    }
  const char *sub = argv[1];
  if (strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0 || strcmp (sub, "help") == 0)
    {
      print_data_help (stdout);
      return INV_EXIT_OK;
    }
  if (strcmp (sub, "info") == 0)
    return data_info (argc - 1, argv + 1);
  if (strcmp (sub, "show") == 0)
    return data_show (argc - 1, argv + 1);
  inv_cli_error ("data", _("unknown command '%s' (see 'invlab data --help')"), sub);
  return INV_EXIT_USAGE;
}
