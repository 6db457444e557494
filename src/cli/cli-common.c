/* Helpers shared by the invlab subcommands: messages and option parsing. */
#include "cli.h"
#include <glib/gi18n.h>
#include <stdio.h>
#include <stdarg.h>
#include <unistd.h>

/* Colour is for a person at a terminal: never when NO_COLOR is set and not
 * empty (https://no-color.org), for TERM=dumb, or when stderr is a pipe or a
 * file, so logs and tests see the plain text. */
static gboolean
stderr_wants_color (void)
{
  const char *no_color = g_getenv ("NO_COLOR");
  const char *term = g_getenv ("TERM");
  if ((no_color && *no_color) || !term || g_str_equal (term, "dumb"))
    return FALSE;
  return isatty (STDERR_FILENO);
}

void
inv_cli_error (const char *command, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  /* The same text either way; on a terminal the "invlab COMMAND:" prefix is bold red. */
  if (stderr_wants_color ())
    fprintf (stderr, "\033[1;31minvlab %s:\033[0m %s\n", command, msg);
  else
    fprintf (stderr, "invlab %s: %s\n", command, msg);
}

gboolean
inv_cli_parse (GOptionContext *ctx, const char *command, int *argc, char ***argv, int *status)
{
  g_autoptr (GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      /* Translators: an option parsing error (GLib's), then the hint. */
      inv_cli_error (command, _("%s (see 'invlab %s --help')"), error->message, command);
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
    inv_cli_error (command, _("data set '%s': %s"), spec, error->message);
  return ds;
}
