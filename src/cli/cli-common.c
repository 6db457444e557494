/* Helpers shared by the invlab subcommands: messages and option parsing. */
#include "cli.h"
#include <stdio.h>
#include <stdarg.h>

void
inv_cli_error (const char *command, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  fprintf (stderr, "invlab %s: %s\n", command, msg);
}

gboolean
inv_cli_parse (GOptionContext *ctx, const char *command, int *argc, char ***argv, int *status)
{
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      inv_cli_error (command, "%s (see 'invlab %s --help')", error->message, command);
      *status = INV_EXIT_USAGE;
      return FALSE;
    }
  return TRUE;
}

InvDataset *
inv_cli_load_dataset (const char *command, const char *spec)
{
  g_autoptr (GError) error = NULL;
  InvDataset *ds = inv_dataset_load (spec, &error);
  if (!ds)
    inv_cli_error (command, "data set '%s': %s", spec, error->message);
  return ds;
}
