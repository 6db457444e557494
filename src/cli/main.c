/* invlab: the headless command line of Invariance Lab. Dispatches to one
 * subcommand; every numerical step happens in the core library. */
#include "config.h"
#include "cli.h"
#include "blas.h"
#include <stdio.h>
#include <string.h>
#include <locale.h>

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "data", inv_cli_data, "inspect a data set or write an image's orbit as PNG" },
  { "train", inv_cli_train, "train one model and save it as safetensors" },
  { "eval", inv_cli_eval, "evaluate saved models' invariance metrics" },
  { "sweep", inv_cli_sweep, "metrics against the severity of a shift, as a table and a figure" },
  { "saliency", inv_cli_saliency, "saliency maps over an image's orbit, one row per model" },
  { "spectrum", inv_cli_spectrum, "singular values and non-invariant energy of first layers" },
  { "reproduce", inv_cli_reproduce, "the paper's experiment end to end: models, metrics, figures, report" },
};

static void
print_help (FILE *f)
{
  fprintf (f, "Usage: invlab COMMAND [OPTIONS]\n\n"
              "Invariance Lab: is a neural network genuinely invariant to a group,\n"
              "or only on its training data?\n\nCommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nOptions:\n  --help       show this help\n"
              "  --version    print the version (with --verbose: the BLAS kernels)\n\n"
              "Run 'invlab COMMAND --help' for a command's options.\n"
              "Exit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
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
        printf ("BLAS: %s; %d threads\n", inv_blas_selection_reason (), inv_blas_get_threads ());
      return INV_EXIT_OK;
    }
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      return commands[i].run (argc - 1, argv + 1);
  fprintf (stderr, "invlab: unknown command '%s' (see 'invlab --help')\n", argv[1]);
  return INV_EXIT_USAGE;
}
