/* invlab subcommands. Each returns the process exit status:
 * 0 success, 1 runtime failure, 2 usage error. Only main() exits. */
#pragma once
#include <glib.h>
#include "dataset.h"

#define INV_EXIT_OK 0
#define INV_EXIT_FAILURE 1
#define INV_EXIT_USAGE 2

int inv_cli_data (int argc, char **argv);
int inv_cli_train (int argc, char **argv);
int inv_cli_eval (int argc, char **argv);
int inv_cli_sweep (int argc, char **argv);
int inv_cli_saliency (int argc, char **argv);
int inv_cli_spectrum (int argc, char **argv);
int inv_cli_reproduce (int argc, char **argv);

/* Shared helpers (cli-common.c). */
/* Prints "invlab COMMAND: message" to stderr. */
void inv_cli_error (const char *command, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* Parses options; on failure prints the message with the command name and
 * returns FALSE. Handles --help (prints, sets *exit_now). */
gboolean inv_cli_parse (GOptionContext *ctx, const char *command, int *argc, char ***argv,
                        int *status);
/* Loads a data set spec, printing an error naming it on failure. */
InvDataset *inv_cli_load_dataset (const char *command, const char *spec);
/* The "other" data set that the mix shift blends toward (eval.c). */
InvDataset *inv_cli_load_mix_source (const char *command, const InvDataset *ds);
