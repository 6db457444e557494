/* Tests of the built-in synthetic digits: determinism, seeds, class balance,
 * plausible pixels; and a sample sheet written as PNG through the
 * figure module for a person to look at. */
#include "dataset.h"
#include "plot.h"
#include "util.h"
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define NPIX (28 * 28)

/* Cairo's toy text API loads fonts through fontconfig, whose caches live
 * until exit; these hooks keep LeakSanitizer (sanitized builds only) from
 * reporting them. Nothing else is suppressed. */
const char *__lsan_default_suppressions (void);
const char *__lsan_default_options (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n";
}
const char *
__lsan_default_options (void)
{
  return "print_suppressions=0";
}

static void
test_deterministic (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) a = inv_dataset_digits (7, 300, 100, &error);
  g_assert_no_error (error);
  g_autoptr (InvDataset) b = inv_dataset_digits (7, 300, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (a->h, ==, 28);
  g_assert_cmpuint (a->w, ==, 28);
  g_assert_cmpuint (a->train.n, ==, 300);
  g_assert_cmpuint (a->test.n, ==, 100);
  g_assert_cmpmem (a->train.images, 300 * NPIX, b->train.images, 300 * NPIX);
  g_assert_cmpmem (a->train.labels, 300, b->train.labels, 300);
  g_assert_cmpmem (a->test.images, 100 * NPIX, b->test.images, 100 * NPIX);
  g_assert_cmpmem (a->test.labels, 100, b->test.labels, 100);
  g_assert_cmpfloat (a->mean, ==, b->mean);
  g_assert_cmpstr (a->name, ==, "digits:7");
  g_assert_cmpstr (a->title, ==, "Built-in digits");
}

/* Each image comes from its own stream: the same index of a smaller set
 * with the same label is the same picture. */
static void
test_order_independent (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) big = inv_dataset_digits (11, 200, 50, &error);
  g_assert_no_error (error);
  g_autoptr (InvDataset) small = inv_dataset_digits (11, 40, 10, &error);
  g_assert_no_error (error);
  size_t same = 0, same_label = 0;
  for (size_t i = 0; i < 40; i++)
    if (big->train.labels[i] == small->train.labels[i])
      {
        same_label++;
        same += memcmp (big->train.images + i * NPIX, small->train.images + i * NPIX, NPIX) == 0;
      }
  g_assert_cmpuint (same, ==, same_label);
}

static void
test_seeds_differ (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) a = inv_dataset_digits (1, 100, 20, &error);
  g_assert_no_error (error);
  g_autoptr (InvDataset) b = inv_dataset_digits (2, 100, 20, &error);
  g_assert_no_error (error);
  size_t identical = 0;
  for (size_t i = 0; i < 100; i++)
    identical += memcmp (a->train.images + i * NPIX, b->train.images + i * NPIX, NPIX) == 0;
  g_assert_cmpuint (identical, ==, 0);
  /* Train and test come from different streams. */
  for (size_t i = 0; i < 20; i++)
    g_assert_true (memcmp (a->train.images + i * NPIX, a->test.images + i * NPIX, NPIX) != 0);
}

static void
test_default_spec (void)
{
  g_autoptr (GError) error = NULL;
  double t0 = inv_now ();
  g_autoptr (InvDataset) ds = inv_dataset_load ("digits", &error);
  double dt = inv_now () - t0;
  g_assert_no_error (error);
  /* Timing is reported, not asserted: sanitizers and loaded machines vary. */
  g_test_message ("10000 + 2000 digits in %.3f s", dt);
  g_assert_cmpstr (ds->name, ==, "digits");
  g_assert_cmpuint (ds->train.n, ==, INV_DIGITS_DEFAULT_TRAIN);
  g_assert_cmpuint (ds->test.n, ==, INV_DIGITS_DEFAULT_TEST);
  g_assert_cmpuint (ds->n_classes, ==, 10);
  for (size_t k = 0; k < 10; k++)
    {
      char want[4];
      g_snprintf (want, sizeof want, "%zu", k);
      g_assert_cmpstr (ds->class_names[k], ==, want);
    }
  g_assert_null (ds->class_names[10]);

  g_autoptr (InvDataset) seeded = inv_dataset_load ("digits:5", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (seeded->name, ==, "digits:5");
  g_autoptr (InvDataset) bad = inv_dataset_load ("digits:x5", &error);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_SPEC);
  g_assert_null (bad);
  g_assert_nonnull (strstr (error->message, "digits:x5"));
}

static void
check_balanced (const InvSplit *s)
{
  size_t count[10] = { 0 };
  for (size_t i = 0; i < s->n; i++)
    {
      g_assert_cmpuint (s->labels[i], <, 10);
      count[s->labels[i]]++;
    }
  for (int k = 0; k < 10; k++)
    {
      g_assert_cmpuint (count[k], >=, s->n / 10);
      g_assert_cmpuint (count[k], <=, s->n / 10 + 1);
    }
}

static void
test_balanced (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (3, 1003, 207, &error);
  g_assert_no_error (error);
  check_balanced (&ds->train);
  check_balanced (&ds->test);
  /* Shuffled: not simply 0, 1, 2, ... */
  size_t in_order = 0;
  for (size_t i = 0; i < ds->train.n; i++)
    in_order += ds->train.labels[i] == i % 10;
  g_assert_cmpuint (in_order, <, ds->train.n / 2);
}

/* Ink covers a plausible share of each image, never the whole of it, has
 * grey edges, and stays within the frame; mean and std agree with the
 * pixels. */
static void
test_pixels (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (INV_DIGITS_DEFAULT_SEED, 500, 100, &error);
  g_assert_no_error (error);
  double sum = 0, sum2 = 0;
  for (size_t i = 0; i < ds->train.n; i++)
    {
      const uint8_t *px = ds->train.images + i * NPIX;
      size_t ink = 0, bright = 0, border = 0, grey = 0;
      uint8_t top = 0;
      for (size_t p = 0; p < NPIX; p++)
        {
          ink += px[p] > 32;
          bright += px[p] > 128;
          grey += px[p] > 32 && px[p] < 224;
          top = MAX (top, px[p]);
          size_t y = p / 28, x = p % 28;
          if (y == 0 || y == 27 || x == 0 || x == 27)
            border += px[p] > 32;
          sum += px[p] / 255.0;
          sum2 += (px[p] / 255.0) * (px[p] / 255.0);
        }
      g_assert_cmpuint (ink, >, 25);
      g_assert_cmpuint (ink, <, NPIX / 2);
      g_assert_cmpuint (bright, >, 10);
      /* Antialiased edges: not a two-level image. */
      g_assert_cmpuint (grey, >, 5);
      g_assert_cmpuint (top, >=, 160);
      g_assert_cmpuint (border, <=, 3);
    }
  double n = (double) ds->train.n * NPIX;
  double mean = sum / n;
  g_assert_cmpfloat_with_epsilon (ds->mean, mean, 1e-9);
  g_assert_cmpfloat_with_epsilon (ds->std, sqrt (sum2 / n - mean * mean), 1e-9);
  g_assert_cmpfloat (ds->mean, >, 0.05);
  g_assert_cmpfloat (ds->mean, <, 0.3);

  float img[NPIX];
  inv_split_get_image (&ds->test, 28, 28, 5, img);
  for (size_t p = 0; p < NPIX; p++)
    g_assert_cmpfloat (img[p], ==, ds->test.images[5 * NPIX + p] / 255.0f);
}

/* Images of the same class differ (the jitter works) but look more like
 * each other than like other classes on average. */
static void
test_classes_distinct (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (9, 2000, 10, &error);
  g_assert_no_error (error);
  double mean[10][NPIX] = { { 0 } };
  size_t count[10] = { 0 };
  for (size_t i = 0; i < ds->train.n; i++)
    {
      unsigned k = ds->train.labels[i];
      count[k]++;
      for (size_t p = 0; p < NPIX; p++)
        mean[k][p] += ds->train.images[i * NPIX + p] / 255.0;
    }
  for (int k = 0; k < 10; k++)
    for (size_t p = 0; p < NPIX; p++)
      mean[k][p] /= (double) count[k];
  /* Nearest class mean classifies most training images correctly. */
  size_t correct = 0;
  for (size_t i = 0; i < ds->train.n; i++)
    {
      double best = G_MAXDOUBLE;
      unsigned arg = 0;
      for (unsigned k = 0; k < 10; k++)
        {
          double d = 0;
          for (size_t p = 0; p < NPIX; p++)
            {
              double e = ds->train.images[i * NPIX + p] / 255.0 - mean[k][p];
              d += e * e;
            }
          if (d < best)
            best = d, arg = k;
        }
      correct += arg == ds->train.labels[i];
    }
  g_test_message ("nearest class mean: %zu of %zu correct", correct, ds->train.n);
  g_assert_cmpuint (correct, >, ds->train.n / 2);
  g_assert_cmpuint (correct, <, ds->train.n);
}

/* Four samples of every class as a PNG sheet, for a person to check. */
static void
test_sample_sheet (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_digits (INV_DIGITS_DEFAULT_SEED, 200, 10, &error);
  g_assert_no_error (error);
  enum { PER = 4 };
  float *pix = g_new (float, 10 * PER * NPIX);
  const float *cells[10 * PER] = { NULL };
  const char *captions[10 * PER] = { NULL };
  char names[10 * PER][16];
  size_t found[10] = { 0 };
  for (size_t i = 0; i < ds->train.n; i++)
    {
      unsigned k = ds->train.labels[i];
      if (found[k] == PER)
        continue;
      size_t cell = found[k] * 10 + k;
      inv_split_get_image (&ds->train, 28, 28, i, pix + cell * NPIX);
      cells[cell] = pix + cell * NPIX;
      g_snprintf (names[cell], sizeof names[cell], "#%zu: %u", i, k);
      captions[cell] = names[cell];
      found[k]++;
    }
  for (int k = 0; k < 10; k++)
    g_assert_cmpuint (found[k], ==, PER);
  const char *rows[PER] = { "a", "b", "c", "d" };
  InvPlotImageGrid grid = {
    .rows = PER, .cols = 10, .h = 28, .w = 28,
    .images = cells, .captions = captions, .row_titles = rows,
    .title = "Built-in digits, one column per class",
  };
  double w, h;
  inv_plot_image_grid_size (&grid, 56, &w, &h);
  g_assert_cmpfloat (w, >, 560);
  g_assert_cmpfloat (h, >, 4 * 56);
  const char *dir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *tmp = NULL;
  if (!dir)
    dir = tmp = g_dir_make_tmp ("test-digits-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "digits-sample.png", NULL);
  g_assert_true (inv_plot_save (path, w, h, inv_plot_image_grid_draw, &grid, &error));
  g_assert_no_error (error);
  g_test_message ("sample sheet: %s", path);

  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  g_assert_cmpint (cairo_image_surface_get_width (s), ==, (int) ceil (w));
  g_assert_cmpint (cairo_image_surface_get_height (s), ==, (int) ceil (h));
  cairo_surface_destroy (s);
  if (tmp)
    {
      g_remove (path);
      g_rmdir (tmp);
    }
  g_free (pix);
}

static void
test_bad_sizes (void)
{
  g_autoptr (GError) error = NULL;
  InvDataset *ds = inv_dataset_digits (1, 0, 10, &error);
  g_assert_null (ds);
  g_assert_error (error, INV_DATA_ERROR, INV_DATA_ERROR_DIMENSIONS);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/digits/deterministic", test_deterministic);
  g_test_add_func ("/digits/order-independent", test_order_independent);
  g_test_add_func ("/digits/seeds-differ", test_seeds_differ);
  g_test_add_func ("/digits/default-spec", test_default_spec);
  g_test_add_func ("/digits/balanced", test_balanced);
  g_test_add_func ("/digits/pixels", test_pixels);
  g_test_add_func ("/digits/classes-distinct", test_classes_distinct);
  g_test_add_func ("/digits/sample-sheet", test_sample_sheet);
  g_test_add_func ("/digits/bad-sizes", test_bad_sizes);
  return g_test_run ();
}
