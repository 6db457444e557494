/* invariance-lab: the GTK 4 application's entry point (locale and gettext, the
 * BLAS kernels, then GApplication). */
#include "config.h"
#include "inv-application.h"
#include "blas.h"
#include "util.h"

int
main (int argc, char **argv)
{
  inv_i18n_init ();
  /* May re-execute the app with kernels that suit the CPU (see blas.h). */
  inv_blas_autoselect (argv);
  g_autoptr (InvApplication) app = inv_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
