/* invlab: the headless command line of Invariance Lab. Dispatches to one
 * subcommand; every numerical step happens in the core library. Messages are
 * translated through gettext; INVLAB_LOCALEDIR overrides where the catalogs
 * are looked up (tests point it at the build tree's po/). */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include "util.h"
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "data", inv_cli_data, N_("inspect a data set or write an image's orbit as PNG") },
  { "train", inv_cli_train, N_("train one model and save it as safetensors") },
  { "eval", inv_cli_eval, N_("evaluate saved models' invariance metrics") },
  { "sweep", inv_cli_sweep, N_("metrics against the severity of a shift, as a table and a figure") },
  { "saliency", inv_cli_saliency, N_("saliency maps over an image's orbit, one row per model") },
  { "spectrum", inv_cli_spectrum, N_("singular values and non-invariant energy of first layers") },
  { "reproduce", inv_cli_reproduce, N_("the paper's experiment end to end: models, metrics, figures, report") },
};

static void
print_help (FILE *f)
{
  /* Translators: COMMAND and OPTIONS are placeholders; keep "invlab" and
   * the option names. */
  fputs (_("Usage: invlab COMMAND [OPTIONS]\n\n"
           "Invariance Lab: is a neural network genuinely invariant to a group,\n"
           "or only on its training data?\n\nCommands:\n"), f);
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, _(commands[i].summary));
  fputs (_("\nOptions:\n  --help       show this help\n"
           "  --version    print the version (with --verbose: the BLAS kernels)\n\n"
           "Run 'invlab COMMAND --help' for a command's options.\n"
           "Exit status: 0 success, 1 runtime failure, 2 usage error.\n"), f);
}

int
main (int argc, char **argv)
{
  /* Numbers in tables, JSON, CSV and reports are machine-readable: always a
   * decimal point, whatever the language of the messages. */
  inv_i18n_init ();
  inv_blas_autoselect (argv);
  if (argc < 2)
    {
      print_help (stderr);
      return INV_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0 || strcmp (argv[1], "help") == 0)
    {
      print_help (stdout);
      return INV_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("invlab %s\n", INVLAB_VERSION);
      if (argc > 2 && strcmp (argv[2], "--verbose") == 0)
        {
          int threads = inv_blas_get_threads ();
          printf (ngettext ("BLAS: %s; %d thread\n", "BLAS: %s; %d threads\n", (unsigned long) threads),
                  inv_blas_selection_reason (), threads);
        }
      return INV_EXIT_OK;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, _("invlab: unknown command '%s' (see 'invlab --help')\n"), argv[1]);
  return INV_EXIT_USAGE;
}
