/* invariance-lab: the GTK 4 application's entry point (locale, gettext,
 * then GApplication). */
#include "config.h"
#include "inv-application.h"
#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_autoptr (InvApplication) app = inv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
