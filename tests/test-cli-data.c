/* Tests of `invlab data`, run as a separate process ($INVLAB): info in text
 * and JSON, orbit figures as PNG/SVG/PDF, and the exit status and message
 * of every kind of mistake. */
#include "dataset.h"
#include "json.h"
#include <cairo.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
  int status;  /* exit status */
  char *out;   /* stdout */
  char *err;   /* stderr */
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs $INVLAB with the NULL-terminated arguments. */
static void
run_invlab (Run *r, ...)
{
  const char *exe = g_getenv ("INVLAB");
  g_assert_nonnull (exe);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) exe);
  va_list ap;
  va_start (ap, r);
  const char *a;
  while ((a = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) a);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
}

static char *
make_tmp (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-cli-data-XXXXXX", &error);
  g_assert_no_error (error);
  return dir;
}

static void
test_info_fashion (void)
{
  if (!g_file_test ("/usr/share/datasets/fashion-mnist", G_FILE_TEST_IS_DIR)
      && !g_getenv ("INVLAB_FASHION_DIR"))
    {
      g_test_skip ("Fashion-MNIST is not installed");
      return;
    }
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "info", "--dataset", "fashion", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "60000"));
  g_assert_nonnull (strstr (r.out, "10000"));
  g_assert_nonnull (strstr (r.out, "28×28"));
  g_assert_nonnull (strstr (r.out, "Fashion-MNIST"));
  g_assert_nonnull (strstr (r.out, "Ankle boot"));
  g_assert_cmpstr (r.err, ==, "");
}

static void
test_info_missing_folder (void)
{
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "info", "--dataset", "idx:/nonexistent/folder", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "/nonexistent/folder"));
  g_assert_nonnull (strstr (r.err, "does not exist"));
  g_assert_cmpstr (r.out, ==, "");
}

/* A folder holding a broken file: the message names that file. */
static void
test_info_broken_file (void)
{
  g_autofree char *dir = make_tmp ();
  g_autofree char *spec = g_strconcat ("idx:", dir, NULL);
  const char *names[] = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      g_assert_true (g_file_set_contents (p, "\0\0\x08\x01\0\0\0\x01\0", 9, NULL));
    }
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "info", "--dataset", spec, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "train-images-idx3-ubyte.gz"));
  g_assert_nonnull (strstr (r.err, "not gzip-compressed"));
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *p = g_build_filename (dir, names[i], NULL);
      g_assert_cmpint (g_remove (p), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static double
json_number (const InvJson *obj, const char *key)
{
  const InvJson *v = inv_json_get (obj, key);
  g_assert_nonnull (v);
  g_assert_cmpint (v->type, ==, INV_JSON_NUMBER);
  return v->number;
}

static void
test_info_json (void)
{
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "info", "--dataset", "digits", "--format", "json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse (r.out, strlen (r.out), &error);
  g_assert_no_error (error);
  g_assert_cmpint (j->type, ==, INV_JSON_OBJECT);
  g_assert_cmpstr (inv_json_get (j, "name")->string, ==, "digits");
  g_assert_cmpfloat (json_number (j, "train"), ==, INV_DIGITS_DEFAULT_TRAIN);
  g_assert_cmpfloat (json_number (j, "test"), ==, INV_DIGITS_DEFAULT_TEST);
  g_assert_cmpfloat (json_number (j, "height"), ==, 28);
  g_assert_cmpfloat (json_number (j, "width"), ==, 28);
  g_assert_cmpfloat (json_number (j, "classes"), ==, 10);
  const InvJson *names = inv_json_get (j, "class_names");
  g_assert_nonnull (names);
  g_assert_cmpuint (names->n, ==, 10);
  g_assert_cmpstr (names->items[7]->string, ==, "7");
  const InvJson *counts = inv_json_get (j, "train_counts");
  g_assert_nonnull (counts);
  g_assert_cmpuint (counts->n, ==, 10);
  double total = 0;
  for (size_t k = 0; k < counts->n; k++)
    total += counts->items[k]->number;
  g_assert_cmpfloat (total, ==, INV_DIGITS_DEFAULT_TRAIN);

  /* The statistics are those of the data set loaded here. */
  g_autoptr (InvDataset) ds = inv_dataset_load ("digits", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (json_number (j, "mean"), ds->mean, 1e-6);
  g_assert_cmpfloat_with_epsilon (json_number (j, "std"), ds->std, 1e-6);
}

/* The most dark runs at least min_run pixels long on any one image row:
 * the number of cells per row of a grid of digits (text never makes such
 * long runs). */
static int
count_dark_cells (cairo_surface_t *s, int min_run)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  int stride = cairo_image_surface_get_stride (s);
  const uint8_t *data = cairo_image_surface_get_data (s);
  int most = 0;
  for (int y = 0; y < h; y++)
    {
      const uint32_t *row = (const uint32_t *) (const void *) (data + y * stride);
      int runs = 0, len = 0;
      for (int x = 0; x <= w; x++)
        {
          gboolean dark = x < w && (row[x] & 0xff) < 64 && (row[x] >> 24) == 0xff;
          if (dark)
            len++;
          else
            {
              runs += len >= min_run;
              len = 0;
            }
        }
      most = MAX (most, runs);
    }
  return most;
}

static void
test_show_png (void)
{
  g_autofree char *dir = make_tmp ();
  g_autofree char *png = g_build_filename (dir, "orbit.png", NULL);
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", "show", "--dataset", "digits", "--index", "3", "--group", "c4",
              "--out", png, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, png));

  g_autofree char *bytes = NULL;
  size_t len;
  g_assert_true (g_file_get_contents (png, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 8);
  g_assert_cmpmem (bytes, 8, "\x89PNG\r\n\x1a\n", 8);

  cairo_surface_t *s = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  g_test_message ("orbit figure %d×%d at %s", w, h, png);
  /* Four 96-pixel cells side by side, in one row. */
  g_assert_cmpint (w, >=, 4 * 96);
  g_assert_cmpint (h, <, w);
  g_assert_cmpint (count_dark_cells (s, 60), ==, 4);
  cairo_surface_destroy (s);

  /* d4 doubles the cells: two rows of four. */
  run_clear (&r);
  run_invlab (&r, "data", "show", "--dataset", "digits", "--index", "3", "--group", "d4",
              "--cell-size", "50", "--out", png, NULL);
  g_assert_cmpint (r.status, ==, 0);
  s = cairo_image_surface_create_from_png (png);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_height (s), >=, 2 * 50);
  g_assert_cmpint (count_dark_cells (s, 30), ==, 4);
  cairo_surface_destroy (s);

  g_assert_cmpint (g_remove (png), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_show_vector (void)
{
  g_autofree char *dir = make_tmp ();
  const char *names[] = { "orbit.svg", "orbit.PDF" };
  const char *magic[] = { "<?xml", "%PDF-" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_auto (Run) r = { 0 };
      run_invlab (&r, "data", "show", "--dataset", "digits", "--split", "train", "--index", "0",
                  "--group", "flip", "--out", path, NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_autofree char *bytes = NULL;
      size_t len;
      g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
      g_assert_cmpuint (len, >, 100);
      g_assert_true (g_str_has_prefix (bytes, magic[i]));
      g_assert_cmpint (g_remove (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* Usage errors exit with 2 and name the flag. */
static void
test_usage_errors (void)
{
  g_autofree char *dir = make_tmp ();
  g_autofree char *png = g_build_filename (dir, "x.png", NULL);
  g_autofree char *gif = g_build_filename (dir, "x.gif", NULL);
  struct {
    const char *args[12];
    const char *needle;
  } cases[] = {
    { { "data", "show", "--dataset", "digits", "--index", "2000", "--out", png }, "--index" },
    { { "data", "show", "--dataset", "digits", "--index", "-1", "--out", png }, "--index" },
    { { "data", "show", "--dataset", "digits", "--index", "x", "--out", png }, "--index" },
    { { "data", "show", "--dataset", "digits", "--group", "c5", "--out", png }, "--group" },
    { { "data", "show", "--dataset", "digits", "--split", "valid", "--out", png }, "--split" },
    { { "data", "show", "--dataset", "digits" }, "--out" },
    { { "data", "show", "--dataset", "digits", "--out", gif }, "--out" },
    { { "data", "show", "--bogus" }, "--bogus" },
    { { "data", "info", "--dataset", "digits", "--format", "xml" }, "--format" },
    { { "data", "info", "--dataset", "mnist" }, "mnist" },
    { { "data", "info", "extra" }, "extra" },
    { { "data", "frobnicate" }, "frobnicate" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *const *a = cases[i].args;
      g_auto (Run) r = { 0 };
      run_invlab (&r, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], NULL);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_nonnull (strstr (r.err, cases[i].needle));
      g_assert_cmpstr (r.out, ==, "");
    }
  g_assert_false (g_file_test (png, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (gif, G_FILE_TEST_EXISTS));
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_help (void)
{
  const char *sub[] = { "info", "show", NULL };
  for (size_t i = 0; i < G_N_ELEMENTS (sub); i++)
    {
      g_auto (Run) r = { 0 };
      run_invlab (&r, "data", sub[i] ? sub[i] : "--help", sub[i] ? "--help" : NULL, NULL);
      g_assert_cmpint (r.status, ==, 0);
      g_assert_nonnull (strstr (r.out, "Usage"));
      g_assert_nonnull (strstr (r.out, "Examples"));
      g_assert_nonnull (strstr (r.out, "--dataset"));
    }
  g_auto (Run) r = { 0 };
  run_invlab (&r, "data", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "Usage"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli-data/info-fashion", test_info_fashion);
  g_test_add_func ("/cli-data/info-missing-folder", test_info_missing_folder);
  g_test_add_func ("/cli-data/info-broken-file", test_info_broken_file);
  g_test_add_func ("/cli-data/info-json", test_info_json);
  g_test_add_func ("/cli-data/show-png", test_show_png);
  g_test_add_func ("/cli-data/show-vector", test_show_vector);
  g_test_add_func ("/cli-data/usage-errors", test_usage_errors);
  g_test_add_func ("/cli-data/help", test_help);
  return g_test_run ();
}
