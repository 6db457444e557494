/* invlab reproduce --quick end to end (slow suite): the files it writes, and
 * the paper's claims checked from the raw numbers in metrics.json, not from
 * the report's own verdicts. */
#include "json.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

static const char *shift_kinds[] = { "noise", "uniform", "blur", "contrast", "invert", "occlude", "mix" };
static const char *metric_keys[] = { "orbit_accuracy", "orbit_consistency", "pdi", "logit_invariance",
                                     "sis", "invariance_error", "sensitivity" };

static const InvJson *
get (const InvJson *o, const char *key)
{
  const InvJson *v = inv_json_get (o, key);
  if (!v)
    g_error ("metrics.json lacks '%s'", key);
  return v;
}

static double
num (const InvJson *o, const char *key)
{
  const InvJson *v = get (o, key);
  g_assert_cmpint (v->type, ==, INV_JSON_NUMBER);
  return v->number;
}

static double
at (const InvJson *arr, size_t i)
{
  g_assert_cmpint (arr->type, ==, INV_JSON_ARRAY);
  g_assert_cmpuint (i, <, arr->n);
  g_assert_cmpint (arr->items[i]->type, ==, INV_JSON_NUMBER);
  return arr->items[i]->number;
}

static void
test_quick (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("invlab-repro-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *out = g_build_filename (dir, "run", NULL);
  const char *argv[] = { g_getenv ("INVLAB"), "reproduce", "--quick", "--out", out, NULL };
  g_autofree char *so = NULL, *se = NULL;
  int status;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &so, &se,
                               &status, &error));
  g_test_message ("reproduce --quick took %.0f s\n%s\n%s", (g_get_monotonic_time () - t0) / 1e6, so, se);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);

  const char *files[] = { "report.md", "metrics.json", "saliency.png", "spectrum.png",
                          "unconstrained.safetensors", "regularized.safetensors",
                          "weight-tied.safetensors", "baseline.safetensors" };
  for (size_t i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *p = g_build_filename (out, files[i], NULL);
      g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));
    }
  for (size_t k = 0; k < G_N_ELEMENTS (shift_kinds); k++)
    {
      g_autofree char *name = g_strdup_printf ("sweep-%s.png", shift_kinds[k]);
      g_autofree char *p = g_build_filename (out, name, NULL);
      g_assert_true (g_file_test (p, G_FILE_TEST_IS_REGULAR));
    }

  g_autofree char *mpath = g_build_filename (out, "metrics.json", NULL);
  g_autofree char *text = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (mpath, &text, &len, NULL));
  g_autoptr (InvJson) root = inv_json_parse (text, len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (get (root, "dataset")->string, ==, "fashion");
  g_assert_cmpstr (get (root, "group")->string, ==, "c4");

  const InvJson *in = get (root, "in_distribution");
  const InvJson *u = get (in, "unconstrained"), *g = get (in, "regularized"), *t = get (in, "weight-tied");
  /* similar in-distribution orbit accuracy (within 0.06) */
  double a[3] = { num (u, "orbit_accuracy"), num (g, "orbit_accuracy"), num (t, "orbit_accuracy") };
  double lo = MIN (a[0], MIN (a[1], a[2])), hi = MAX (a[0], MAX (a[1], a[2]));
  g_test_message ("orbit accuracy %.3f %.3f %.3f", a[0], a[1], a[2]);
  g_assert_cmpfloat (hi - lo, <=, 0.06);
  g_assert_cmpfloat (lo, >, 0.7);
  /* unconstrained SIS clearly below regularized SIS in distribution */
  g_test_message ("SIS %.3f %.3f %.5f", num (u, "sis"), num (g, "sis"), num (t, "sis"));
  g_assert_cmpfloat (num (u, "sis"), <, num (g, "sis") - 0.02);

  const InvJson *shifts = get (root, "shifts");
  for (size_t k = 0; k < G_N_ELEMENTS (shift_kinds); k++)
    {
      const InvJson *sk = get (shifts, shift_kinds[k]);
      const InvJson *sev = get (sk, "severity");
      const InvJson *us = get (sk, "unconstrained"), *gs = get (sk, "regularized"), *ts = get (sk, "weight-tied");
      g_assert_cmpfloat (at (sev, 0), ==, 0.0);
      g_assert_cmpfloat (at (sev, sev->n - 1), ==, 1.0);
      for (size_t s = 0; s < sev->n; s++)
        {
          /* weight-tied at 1 throughout */
          g_assert_cmpfloat (fabs (at (get (ts, "pdi"), s) - 1), <, 1e-4);
          g_assert_cmpfloat (fabs (at (get (ts, "logit_invariance"), s) - 1), <, 1e-4);
          g_assert_cmpfloat (fabs (at (get (ts, "sis"), s) - 1), <, s == 0 ? 1e-4 : 2e-3);
          for (size_t q = 0; q < G_N_ELEMENTS (metric_keys); q++)
            g_assert_true (isfinite (at (get (us, metric_keys[q]), s)));
          /* under noise and uniform shifts the unconstrained model's PDI and
           * LI stay below the regularized model's */
          if (s > 0 && k < 2)
            {
              g_assert_cmpfloat (at (get (us, "pdi"), s), <, at (get (gs, "pdi"), s));
              g_assert_cmpfloat (at (get (us, "logit_invariance"), s), <, at (get (gs, "logit_invariance"), s));
            }
        }
    }

  /* the report states every claim with its verdict, reversals included */
  g_autofree char *rpath = g_build_filename (out, "report.md", NULL);
  g_autofree char *report = NULL;
  g_assert_true (g_file_get_contents (rpath, &report, NULL, NULL));
  const InvJson *claims = get (root, "claims");
  g_assert_cmpuint (claims->n, >=, 6);
  for (size_t i = 0; i < claims->n; i++)
    {
      const char *c = get (claims->items[i], "claim")->string;
      gboolean held = get (claims->items[i], "held")->boolean;
      g_autofree char *row = g_strdup_printf ("| %s | %s |", c, held ? "**held**" : "**did not hold**");
      g_assert_nonnull (strstr (report, row));
    }
  g_assert_nonnull (strstr (report, "invlab reproduce --quick"));

  g_autoptr (GDir) d = g_dir_open (out, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (out, name, NULL);
      g_remove (p);
    }
  g_rmdir (out);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reproduce/quick", test_quick);
  return g_test_run ();
}
