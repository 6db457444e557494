/* invariance-lab: the GTK 4 application's entry point (locale and gettext,
 * then GApplication). */
#include "config.h"
#include "inv-application.h"
#include "util.h"

int
main (int argc, char **argv)
{
  inv_i18n_init ();
  g_autoptr (InvApplication) app = inv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
