/* Tests of `invlab sweep`, `invlab saliency` and `invlab spectrum`, run as
 * separate processes ($INVLAB) on two tiny models trained once (an mlp and a
 * tied-mlp on 300 built-in digits): table shapes, figure layouts read back
 * through Cairo, the invariance visible in the pixels, and usage errors. */
#include <cairo.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
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

/* The models every test uses, trained once in main(). */
static char *tmp_dir, *mlp_path, *tied_path;

/* Runs $INVLAB with the arguments of a NULL-terminated list. */
static void
run_argv (Run *r, const char *const *args)
{
  const char *exe = g_getenv ("INVLAB");
  g_assert_nonnull (exe);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_ptr_array_add (argv, (char *) exe);
  for (size_t i = 0; args[i]; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  g_spawn_sync (tmp_dir, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", r->status, r->out, r->err);
}

#define RUN(r, ...) run_argv ((r), (const char *const[]) { __VA_ARGS__, NULL })

static char *
tmp_file (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static char **
read_lines (const char *path, size_t *n)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &text, NULL, &error));
  g_assert_no_error (error);
  g_strchomp (text);
  char **lines = g_strsplit (text, "\n", -1);
  *n = g_strv_length (lines);
  return lines;
}

static void
assert_magic (const char *path, const char *magic)
{
  g_autofree char *bytes = NULL;
  gsize len = 0;
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  g_assert_cmpuint (len, >, 2000);
  g_assert_cmpint (memcmp (bytes, magic, strlen (magic)), ==, 0);
}

static cairo_surface_t *
load_png (const char *path)
{
  cairo_surface_t *s = cairo_image_surface_create_from_png (path);
  g_assert_cmpint (cairo_surface_status (s), ==, CAIRO_STATUS_SUCCESS);
  return s;
}

static void
pixel (cairo_surface_t *s, int x, int y, int rgb[3])
{
  const uint8_t *row = cairo_image_surface_get_data (s) + (size_t) y * (size_t) cairo_image_surface_get_stride (s);
  uint32_t v;
  memcpy (&v, row + 4 * (size_t) x, 4);
  rgb[0] = (int) ((v >> 16) & 0xff);
  rgb[1] = (int) ((v >> 8) & 0xff);
  rgb[2] = (int) (v & 0xff);
}

/* Dark: the black background of a digit. Coloured: a viridis pixel (none is
 * gray), as opposed to text, frames and gray images. */
static gboolean
is_dark (const int q[3])
{
  return q[0] < 40 && q[1] < 40 && q[2] < 40;
}

static gboolean
is_coloured (const int q[3])
{
  return MAX (q[0], MAX (q[1], q[2])) - MIN (q[0], MIN (q[1], q[2])) > 40;
}

typedef struct {
  int lo, hi;  /* [lo, hi) */
} Span;

/* Runs of at least min_len indices whose count is ≥ threshold, at most cap
 * of them (narrower runs are text or the colour bar). */
static size_t
runs (const int *count, int n, int threshold, int min_len, Span *out, size_t cap)
{
  size_t k = 0;
  for (int i = 0; i < n;)
    {
      if (count[i] < threshold)
        {
          i++;
          continue;
        }
      int j = i;
      while (j < n && count[j] >= threshold)
        j++;
      if (j - i >= min_len)
        {
          if (k < cap)
            out[k] = (Span) { i, j };
          k++;
        }
      i = j;
    }
  return k;
}

/* The blocks (about min_side or more a side) of one pixel class in a
 * figure: column spans over the whole height, then row spans measured
 * inside the first column span. */
static void
find_blocks (cairo_surface_t *s, gboolean (*test) (const int q[3]), int min_side,
             Span *cols, size_t *n_cols, Span *rows, size_t *n_rows, size_t cap)
{
  int w = cairo_image_surface_get_width (s), h = cairo_image_surface_get_height (s);
  g_assert_cmpint (w, >, 0);
  g_assert_cmpint (h, >, 0);
  g_autofree int *cx = g_new0 (int, (size_t) MAX (w, 1));
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      {
        int q[3];
        pixel (s, x, y, q);
        cx[x] += test (q);
      }
  *n_cols = runs (cx, w, min_side, min_side / 2, cols, cap);
  g_assert_cmpuint (*n_cols, >, 0);
  g_autofree int *cy = g_new0 (int, (size_t) MAX (h, 1));
  for (int y = 0; y < h; y++)
    for (int x = cols[0].lo; x < cols[0].hi; x++)
      {
        int q[3];
        pixel (s, x, y, q);
        cy[y] += test (q);
      }
  *n_rows = runs (cy, h, (cols[0].hi - cols[0].lo) / 2, min_side / 2, rows, cap);
}

/* The colour at the centre of map pixel (i, j) of a 28×28 map drawn in the
 * block (col, row). */
static void
map_pixel (cairo_surface_t *s, Span col, Span row, int i, int j, int rgb[3])
{
  double x = col.lo + (j + 0.5) * (col.hi - col.lo) / 28.0;
  double y = row.lo + (i + 0.5) * (row.hi - row.lo) / 28.0;
  pixel (s, (int) x, (int) y, rgb);
}

/* Largest channel difference between the maps in two blocks. */
static int
map_difference (cairo_surface_t *a, Span ca, Span ra, cairo_surface_t *b, Span cb, Span rb)
{
  int worst = 0;
  for (int i = 1; i < 27; i++)
    for (int j = 1; j < 27; j++)
      {
        int p[3], q[3];
        map_pixel (a, ca, ra, i, j, p);
        map_pixel (b, cb, rb, i, j, q);
        for (int k = 0; k < 3; k++)
          worst = MAX (worst, abs (p[k] - q[k]));
      }
  return worst;
}

/* ---- sweep ---- */

static void
test_sweep (void)
{
  g_auto (Run) r = { 0 };
  g_autofree char *csv = tmp_file ("sweep.csv");
  g_autofree char *png = tmp_file ("sweep.png");
  RUN (&r, "sweep", mlp_path, tied_path, "--shift", "noise", "--steps", "3", "--limit", "20",
       "--out", csv, "--plot", png);
  g_assert_cmpint (r.status, ==, 0);
  size_t n;
  g_auto (GStrv) lines = read_lines (csv, &n);
  g_assert_cmpuint (n, ==, 1 + 2 * 3);
  g_auto (GStrv) head = g_strsplit (lines[0], ",", -1);
  g_assert_cmpuint (g_strv_length (head), ==, 5 + 8);
  static const char *const first[] = { "model", "kind", "lambda", "shift", "severity" };
  for (size_t i = 0; i < G_N_ELEMENTS (first); i++)
    g_assert_cmpstr (head[i], ==, first[i]);
  g_assert_true (g_strv_contains ((const char *const *) head, "sis"));
  g_assert_true (g_strv_contains ((const char *const *) head, "pdi"));
  size_t sis = 0;
  while (g_strcmp0 (head[sis], "sis"))
    sis++;
  for (size_t i = 1; i < n; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 13);
      gboolean tied = i > 3;
      g_assert_cmpstr (f[1], ==, tied ? "tied-mlp" : "mlp");
      g_assert_cmpstr (f[3], ==, "noise");
      g_assert_cmpfloat_with_epsilon (g_ascii_strtod (f[4], NULL), ((i - 1) % 3) / 2.0, 1e-12);
      /* the weight-tied model stays saliency-invariant under the shift */
      double s = g_ascii_strtod (f[sis], NULL);
      if (tied)
        g_assert_cmpfloat (s, >, 0.99);
      else
        g_assert_cmpfloat (s, <, 0.9);
    }
  cairo_surface_t *img = load_png (png);
  g_assert_cmpint (cairo_image_surface_get_width (img), >, 600);
  g_assert_cmpint (cairo_image_surface_get_height (img), >, 300);
  /* both models' colours are drawn */
  size_t coloured = 0;
  for (int y = 0; y < cairo_image_surface_get_height (img); y++)
    for (int x = 0; x < cairo_image_surface_get_width (img); x++)
      {
        int q[3];
        pixel (img, x, y, q);
        coloured += is_coloured (q);
      }
  g_assert_cmpuint (coloured, >, 2000);
  cairo_surface_destroy (img);

  /* an SVG, and the JSON table on stdout */
  g_autofree char *svg = tmp_file ("sweep.svg");
  g_auto (Run) j = { 0 };
  RUN (&j, "sweep", mlp_path, "--shift", "blur", "--steps", "2", "--limit", "10", "--format",
       "json", "--plot", svg);
  g_assert_cmpint (j.status, ==, 0);
  assert_magic (svg, "<?xml");
  g_assert_true (g_str_has_prefix (j.out, "{\"dataset\":"));
  g_assert_nonnull (strstr (j.out, "\"severity\":1"));
}

/* ---- saliency ---- */

static void
test_saliency (void)
{
  g_autofree char *plain = tmp_file ("grid.png");
  g_autofree char *aligned = tmp_file ("grid-aligned.png");
  g_auto (Run) r = { 0 };
  RUN (&r, "saliency", mlp_path, tied_path, "--index", "3", "--cmap", "viridis",
       "--cell-size", "84", "--out", plain);
  g_assert_cmpint (r.status, ==, 0);
  g_auto (Run) a = { 0 };
  RUN (&a, "saliency", mlp_path, tied_path, "--index", "3", "--cmap", "viridis",
       "--cell-size", "84", "--align", "--out", aligned);
  g_assert_cmpint (a.status, ==, 0);

  cairo_surface_t *p = load_png (plain), *q = load_png (aligned);
  g_assert_cmpint (cairo_image_surface_get_width (p), ==, cairo_image_surface_get_width (q));
  enum { R = 2, C = 4 }; /* two models; c4 has four elements */
  Span in_cols[8], in_rows[8], map_cols[8], map_rows[8];
  size_t nic, nir, nmc, nmr;
  /* inputs: digits on black, one 84-pixel block per cell */
  find_blocks (p, is_dark, 84 / 2, in_cols, &nic, in_rows, &nir, 8);
  g_assert_cmpuint (nic, ==, C);
  g_assert_cmpuint (nir, ==, R);
  /* maps: viridis blocks, one beside each input */
  find_blocks (p, is_coloured, 84 / 2, map_cols, &nmc, map_rows, &nmr, 8);
  g_assert_cmpuint (nmc, ==, C);
  g_assert_cmpuint (nmr, ==, R);
  for (size_t c = 0; c < C; c++)
    {
      g_assert_cmpint (abs ((in_cols[c].hi - in_cols[c].lo) - 84), <=, 2);
      g_assert_cmpint (abs ((map_cols[c].hi - map_cols[c].lo) - 84), <=, 2);
      g_assert_cmpint (map_cols[c].lo, >, in_cols[c].hi);
      g_assert_cmpint (map_cols[c].lo - in_cols[c].hi, <, 20);
      if (c)
        g_assert_cmpint (in_cols[c].lo, >, map_cols[c - 1].hi);
    }
  for (size_t r2 = 0; r2 < R; r2++)
    {
      g_assert_cmpint (abs ((in_rows[r2].hi - in_rows[r2].lo) - 84), <=, 2);
      g_assert_cmpint (abs (map_rows[r2].lo - in_rows[r2].lo), <=, 1);
    }

  /* Aligned maps of the weight-tied model (row 1) are the same in every
   * column; the unconstrained model's (row 0) are not. */
  for (size_t c = 1; c < C; c++)
    g_assert_cmpint (map_difference (q, map_cols[0], map_rows[1], q, map_cols[c], map_rows[1]), <=, 3);
  int mlp_spread = 0;
  for (size_t c = 1; c < C; c++)
    mlp_spread = MAX (mlp_spread, map_difference (q, map_cols[0], map_rows[0], q, map_cols[c], map_rows[0]));
  g_assert_cmpint (mlp_spread, >, 30);
  /* and --align changes the mlp row's maps */
  int changed = 0;
  for (size_t c = 1; c < C; c++)
    changed = MAX (changed, map_difference (p, map_cols[c], map_rows[0], q, map_cols[c], map_rows[0]));
  g_assert_cmpint (changed, >, 30);
  /* the identity column is the same with or without alignment */
  g_assert_cmpint (map_difference (p, map_cols[0], map_rows[0], q, map_cols[0], map_rows[0]), <=, 1);
  cairo_surface_destroy (p);
  cairo_surface_destroy (q);

  /* other methods and formats */
  g_autofree char *pdf = tmp_file ("grid.pdf");
  g_auto (Run) s = { 0 };
  RUN (&s, "saliency", mlp_path, "--index", "0", "--method", "ig", "--layout", "overlay",
       "--shift", "blur=0.3", "--out", pdf);
  g_assert_cmpint (s.status, ==, 0);
  assert_magic (pdf, "%PDF-");
}

/* ---- spectrum ---- */

static void
test_spectrum (void)
{
  g_autofree char *csv = tmp_file ("spectrum.csv");
  g_auto (Run) r = { 0 };
  RUN (&r, "spectrum", mlp_path, tied_path, "--limit", "100", "--out", csv);
  g_assert_cmpint (r.status, ==, 0);
  size_t n;
  g_auto (GStrv) lines = read_lines (csv, &n);
  g_assert_cmpstr (lines[0], ==, "model,kind,index,singular_value,energy");
  g_assert_cmpuint (n, ==, 1 + 2 * 256);
  size_t per_kind[2] = { 0, 0 };
  double prev = INFINITY;
  for (size_t i = 1; i < n; i++)
    {
      g_auto (GStrv) f = g_strsplit (lines[i], ",", -1);
      g_assert_cmpuint (g_strv_length (f), ==, 5);
      gboolean tied = g_str_equal (f[1], "tied-mlp");
      per_kind[tied]++;
      g_assert_cmpuint (g_ascii_strtoull (f[2], NULL, 10), ==, per_kind[tied]);
      double sv = g_ascii_strtod (f[3], NULL), e = g_ascii_strtod (f[4], NULL);
      if (per_kind[tied] == 1)
        prev = INFINITY;
      g_assert_cmpfloat (sv, >=, 0);
      g_assert_cmpfloat (sv, <=, prev); /* descending */
      prev = sv;
      if (tied)
        g_assert_cmpfloat (e, <, 1e-6);
      else
        g_assert_cmpfloat (e, >, 0.01);
    }
  g_assert_cmpuint (per_kind[0], ==, 256);
  g_assert_cmpuint (per_kind[1], ==, 256);
  /* the energies are printed too */
  g_assert_nonnull (strstr (r.out, "non-invariant energy"));

  g_autofree char *svg = tmp_file ("spectrum.svg");
  g_auto (Run) s = { 0 };
  RUN (&s, "spectrum", mlp_path, tied_path, "--limit", "50", "--out", svg);
  g_assert_cmpint (s.status, ==, 0);
  assert_magic (svg, "<?xml");
}

/* ---- mistakes ---- */

static void
test_usage_errors (void)
{
  g_autofree char *out = tmp_file ("bad.png");
  static const struct {
    const char *flag;
    const char *args[10]; /* @M: the mlp, @O: an output that must not appear */
  } cases[] = {
    { "--method", { "saliency", "@M", "--index", "0", "--method", "guided", "--out", "@O" } },
    { "--index", { "saliency", "@M", "--index", "99999", "--out", "@O" } },
    { "--index", { "saliency", "@M", "--index", "x1", "--out", "@O" } },
    { "--index", { "saliency", "@M", "--out", "@O" } },
    { "--shift", { "saliency", "@M", "--index", "0", "--shift", "nosie=0.3", "--out", "@O" } },
    { "--cmap", { "saliency", "@M", "--index", "0", "--cmap", "jet", "--out", "@O" } },
    { "--out", { "saliency", "@M", "--index", "0", "--out", "grid.gif" } },
    { "--shift", { "sweep", "@M", "--shift", "nosie", "--limit", "5", "--plot", "@O" } },
    { "--shift", { "sweep", "@M", "--limit", "5", "--plot", "@O" } },
    { "--steps", { "sweep", "@M", "--shift", "noise", "--steps", "1", "--plot", "@O" } },
    { "--plot", { "sweep", "@M", "--shift", "noise", "--plot", "fig.gif" } },
    { "--format", { "sweep", "@M", "--shift", "noise", "--format", "xml", "--plot", "@O" } },
    { "--out", { "spectrum", "@M", "--out", "spectrum.txt" } },
    { "--out", { "spectrum", "@M" } },
    { "--dataset", { "spectrum", "@M", "--dataset", "nonesuch", "--out", "@O" } },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const char *args[11];
      size_t k = 0;
      for (; cases[i].args[k]; k++)
        args[k] = g_str_equal (cases[i].args[k], "@M") ? mlp_path
                  : g_str_equal (cases[i].args[k], "@O") ? out : cases[i].args[k];
      args[k] = NULL;
      g_auto (Run) r = { 0 };
      run_argv (&r, args);
      g_assert_cmpint (r.status, ==, 2);
      g_assert_nonnull (strstr (r.err, cases[i].flag));
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
  /* no model, a missing model file (a runtime failure, 1) */
  g_auto (Run) a = { 0 };
  RUN (&a, "spectrum", "--out", "s.csv");
  g_assert_cmpint (a.status, ==, 2);
  g_auto (Run) b = { 0 };
  RUN (&b, "saliency", "no-such-model.safetensors", "--index", "0", "--out", out);
  g_assert_cmpint (b.status, ==, 1);
  g_assert_nonnull (strstr (b.err, "no-such-model.safetensors"));
  /* every command has help with examples */
  static const char *const commands[] = { "sweep", "saliency", "spectrum" };
  for (size_t i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto (Run) h = { 0 };
      RUN (&h, commands[i], "--help");
      g_assert_cmpint (h.status, ==, 0);
      g_assert_nonnull (strstr (h.out, "Examples:"));
    }
}

static void
train (const char *kind, const char *path)
{
  g_auto (Run) r = { 0 };
  RUN (&r, "train", "--dataset", "digits", "--limit", "300", "--model", kind, "--eval-limit", "50",
       "--out", path);
  g_assert_cmpint (r.status, ==, 0);
}

static void
remove_tree (const char *dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  tmp_dir = g_dir_make_tmp ("test-cli-figures-XXXXXX", &error);
  g_assert_no_error (error);
  mlp_path = tmp_file ("mlp.safetensors");
  tied_path = tmp_file ("tied-mlp.safetensors");
  train ("mlp", mlp_path);
  train ("tied-mlp", tied_path);
  g_test_add_func ("/cli-figures/sweep", test_sweep);
  g_test_add_func ("/cli-figures/saliency", test_saliency);
  g_test_add_func ("/cli-figures/spectrum", test_spectrum);
  g_test_add_func ("/cli-figures/usage-errors", test_usage_errors);
  int rc = g_test_run ();
  remove_tree (tmp_dir);
  g_free (mlp_path);
  g_free (tied_path);
  g_free (tmp_dir);
  return rc;
}
