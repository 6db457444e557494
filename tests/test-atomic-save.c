/* Saves lose nothing: a saving child killed at many moments always leaves one
 * complete, loadable version at the path; failed saves (simulated full disk,
 * missing or read-only folder) name the path and keep the old file. */
#include "model.h"
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MODEL_NAME "model.safetensors"
/* mlp 784 → 2048 → 10: about 6.5 MB on disk. */
#define BIG_WIDTH 2048
#define N_VERSIONS 3
/* Kills to try, and how many must land while a temporary file exists. */
#define MAX_KILLS 80
#define MIN_MID_WRITE_KILLS 5

typedef struct {
  char *dir;
  char *path;                      /* dir/MODEL_NAME */
  InvModel *models[N_VERSIONS];    /* version v: seed v + 1 */
  GBytes *bytes[N_VERSIONS];       /* each version as saved */
} Fixture;

static InvModel *
big_model (uint64_t seed)
{
  InvModelArch arch = { .n_layers = 1, .width = { BIG_WIDTH } };
  g_autoptr (GError) error = NULL;
  InvModel *m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, &arch, seed, &error);
  g_assert_no_error (error);
  m->mean = 0.25f;
  m->std = 0.5f;
  return m;
}

static GBytes *
read_bytes (const char *path)
{
  char *data = NULL;
  size_t len = 0;
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_get_contents (path, &data, &len, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, len);
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  f->dir = g_dir_make_tmp ("test-atomic-save-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, MODEL_NAME, NULL);
  for (size_t v = 0; v < N_VERSIONS; v++)
    {
      f->models[v] = big_model (v + 1);
      g_assert_true (inv_model_save (f->models[v], f->path, &error));
      g_assert_no_error (error);
      f->bytes[v] = read_bytes (f->path);
    }
  for (size_t v = 1; v < N_VERSIONS; v++)
    g_assert_false (g_bytes_equal (f->bytes[0], f->bytes[v]));
  /* Start from version 0 on disk. */
  g_assert_true (inv_model_save (f->models[0], f->path, &error));
}

/* Removes every file left in the folder, then the folder. */
static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_remove (p);
    }
  g_dir_close (d);
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  for (size_t v = 0; v < N_VERSIONS; v++)
    {
      inv_model_free (f->models[v]);
      g_bytes_unref (f->bytes[v]);
    }
  g_free (f->path);
  g_free (f->dir);
}

/* Which version the file at path is, bit for bit; -1 for none. */
static int
which_version (const Fixture *f)
{
  g_autoptr (GBytes) now = read_bytes (f->path);
  for (size_t v = 0; v < N_VERSIONS; v++)
    if (g_bytes_equal (now, f->bytes[v]))
      return (int) v;
  return -1;
}

/* The file loads, and holds version v's parameters. */
static void
assert_loads_as (const Fixture *f, int v)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_load (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (m->n_params, ==, f->models[v]->n_params);
  g_assert_cmpmem (m->params, m->n_params * sizeof (float),
                   f->models[v]->params, m->n_params * sizeof (float));
}

/* Temporary files of the saver in the folder: their count, and the size of
 * the last one seen. */
static size_t
count_temporaries (const Fixture *f, goffset *size)
{
  g_autofree char *prefix = g_strdup_printf (".%s.", MODEL_NAME);
  size_t n = 0;
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)))
    {
      if (!g_str_has_prefix (name, prefix))
        {
          g_assert_cmpstr (name, ==, MODEL_NAME);   /* nothing else appears */
          continue;
        }
      n++;
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      GStatBuf st;
      g_assert_cmpint (g_stat (p, &st), ==, 0);
      if (size)
        *size = st.st_size;
    }
  g_dir_close (d);
  return n;
}

static void
remove_temporaries (const Fixture *f)
{
  g_autofree char *prefix = g_strdup_printf (".%s.", MODEL_NAME);
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)))
    if (g_str_has_prefix (name, prefix))
      {
        g_autofree char *p = g_build_filename (f->dir, name, NULL);
        g_assert_cmpint (g_remove (p), ==, 0);
      }
  g_dir_close (d);
}

/* A killed save leaves its temporary file, .NAME.XXXXXX beside NAME: harmless
 * (never read as the model), and removed here after each kill. */

/* The child: saves versions 1, 2, 1, 2, ... until killed. Writes one byte
 * to ready first so the parent's delay counts from the first save. */
static G_GNUC_NORETURN void
child_save_forever (const Fixture *f, int ready)
{
  if (write (ready, "r", 1) != 1)
    _exit (3);
  for (size_t i = 0;; i++)
    {
      GError *error = NULL;
      if (!inv_model_save (f->models[1 + i % 2], f->path, &error))
        _exit (2);
    }
}

/* Kills the saving child after delays spread over a few save durations, and
 * checks after every kill. Some kills must land mid-write (a temporary file
 * exists then), at various byte offsets. */
static void
test_kill (Fixture *f, gconstpointer data)
{
  /* How long one save takes here, to spread the kills over it. */
  g_autoptr (GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_assert_true (inv_model_save (f->models[0], f->path, &error));
  gint64 save_us = MAX (g_get_monotonic_time () - t0, 1000);
  g_test_message ("one save of %zu bytes takes %.1f ms", g_bytes_get_size (f->bytes[0]),
                  save_us / 1000.0);

  GRand *rand = g_rand_new_with_seed (20230808);
  size_t mid_write = 0, kills = 0;
  int seen[N_VERSIONS] = { 0 };
  g_autoptr (GArray) offset_list = g_array_new (FALSE, FALSE, sizeof (gint64));
  while (kills < MAX_KILLS && (mid_write < MIN_MID_WRITE_KILLS || kills < 20))
    {
      int ready[2];
      g_assert_cmpint (pipe (ready), ==, 0);
      pid_t pid = fork ();
      g_assert_cmpint (pid, >=, 0);
      if (pid == 0)
        {
          close (ready[0]);
          child_save_forever (f, ready[1]);
        }
      close (ready[1]);
      char c;
      g_assert_cmpint (read (ready[0], &c, 1), ==, 1);
      close (ready[0]);
      g_usleep ((gulong) g_rand_int_range (rand, 0, (gint32) MIN (save_us * 3, G_MAXINT32)));
      g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
      int status = 0;
      g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
      g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
      kills++;

      int v = which_version (f);
      if (v < 0)
        g_error ("after kill %zu the file is no complete version", kills);
      seen[v]++;
      goffset size = -1;
      size_t temps = count_temporaries (f, &size);
      g_assert_cmpuint (temps, <=, 1);   /* only the killed save's */
      if (temps == 1)
        {
          mid_write++;
          gint64 off = size;
          gboolean known = FALSE;
          for (guint i = 0; i < offset_list->len; i++)
            known = known || g_array_index (offset_list, gint64, i) == off;
          if (!known)
            g_array_append_val (offset_list, off);
          remove_temporaries (f);
        }
      if (kills % 10 == 1)
        assert_loads_as (f, v);
    }
  g_rand_free (rand);
  g_autoptr (GString) list = g_string_new (NULL);
  for (guint i = 0; i < offset_list->len && i < 12; i++)
    g_string_append_printf (list, "%s%" G_GINT64_FORMAT, i ? ", " : "",
                            g_array_index (offset_list, gint64, i));
  g_test_message ("%zu kills, %zu mid-write (temporary file sizes: %s); versions seen %d/%d/%d",
                  kills, mid_write, list->str, seen[0], seen[1], seen[2]);
  g_assert_cmpuint (mid_write, >=, MIN_MID_WRITE_KILLS);
  /* Kills at different moments caught the temporary file at different sizes. */
  g_assert_cmpuint (offset_list->len, >=, 2);
  assert_loads_as (f, which_version (f));
}

/* A simulated full disk at several byte offsets: the save fails naming the
 * path, the old file stays, and the failed save removes its temporary. */
static void
test_fault (Fixture *f, gconstpointer data)
{
  size_t size = g_bytes_get_size (f->bytes[1]);
  guint64 hlen;
  memcpy (&hlen, g_bytes_get_data (f->bytes[1], NULL), 8);
  hlen = GUINT64_FROM_LE (hlen);
  const guint64 at[] = { 0, 1, 7, 8, 8 + hlen / 2, 8 + hlen, 8 + hlen + 1, size / 2, size - 1 };
  for (size_t i = 0; i < G_N_ELEMENTS (at); i++)
    {
      g_autofree char *n = g_strdup_printf ("%" G_GUINT64_FORMAT, at[i]);
      g_setenv ("INVLAB_FAULT_WRITE_AT", n, TRUE);
      g_autoptr (GError) error = NULL;
      gboolean ok = inv_model_save (f->models[1], f->path, &error);
      g_unsetenv ("INVLAB_FAULT_WRITE_AT");
      g_assert_false (ok);
      g_assert_nonnull (error);
      g_test_message ("fault at byte %s: %s", n, error->message);
      g_assert_nonnull (strstr (error->message, f->path));
      g_assert_cmpint (which_version (f), ==, 0);
      g_assert_cmpuint (count_temporaries (f, NULL), ==, 0);
    }
  assert_loads_as (f, 0);

  /* A limit at the file size lets the save through. */
  g_autofree char *n = g_strdup_printf ("%zu", size);
  g_setenv ("INVLAB_FAULT_WRITE_AT", n, TRUE);
  g_autoptr (GError) error = NULL;
  gboolean ok = inv_model_save (f->models[1], f->path, &error);
  g_unsetenv ("INVLAB_FAULT_WRITE_AT");
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (which_version (f), ==, 1);
}

/* A save into a folder that does not exist fails and names the path. */
static void
test_missing_folder (Fixture *f, gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "no-such-folder", MODEL_NAME, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_false (inv_model_save (f->models[1], path, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpint (which_version (f), ==, 0);
}

/* A read-only folder (not as root, which may write anyway). */
static void
test_read_only_folder (Fixture *f, gconstpointer data)
{
  if (geteuid () == 0)
    {
      g_test_skip ("root writes into read-only folders; test_fault covers the failure path");
      return;
    }
  g_assert_cmpint (g_chmod (f->dir, 0500), ==, 0);
  g_autoptr (GError) error = NULL;
  gboolean ok = inv_model_save (f->models[1], f->path, &error);
  g_assert_cmpint (g_chmod (f->dir, 0700), ==, 0);
  g_assert_false (ok);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_cmpint (which_version (f), ==, 0);
  g_assert_cmpuint (count_temporaries (f, NULL), ==, 0);
}

/* A stale temporary file left by a killed save does not disturb the next
 * save or the load. */
static void
test_stale_temporary (Fixture *f, gconstpointer data)
{
  g_autofree char *stale = g_build_filename (f->dir, "." MODEL_NAME ".AbC123", NULL);
  g_assert_true (g_file_set_contents (stale, "half a model", -1, NULL));
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_model_save (f->models[2], f->path, &error));
  g_assert_no_error (error);
  g_assert_cmpint (which_version (f), ==, 2);
  assert_loads_as (f, 2);
  g_assert_true (g_file_test (stale, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/atomic-save/kill", Fixture, NULL, fixture_setup, test_kill, fixture_teardown);
  g_test_add ("/atomic-save/fault", Fixture, NULL, fixture_setup, test_fault, fixture_teardown);
  g_test_add ("/atomic-save/missing-folder", Fixture, NULL, fixture_setup, test_missing_folder,
              fixture_teardown);
  g_test_add ("/atomic-save/read-only-folder", Fixture, NULL, fixture_setup,
              test_read_only_folder, fixture_teardown);
  g_test_add ("/atomic-save/stale-temporary", Fixture, NULL, fixture_setup, test_stale_temporary,
              fixture_teardown);
  return g_test_run ();
}
