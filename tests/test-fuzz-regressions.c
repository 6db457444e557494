/* Replays every input in tests/fuzz/regressions/<target>/ through the core
 * entry points of its fuzz target, one subprocess per input under a memory
 * bound: no crash, success or an error naming the file. Fixed inputs only. */
#define _GNU_SOURCE  /* memmem */
#include "dataset.h"
#include "json.h"
#include "model.h"
#include "safetensors.h"
#include "shift.h"
#include <glib/gstdio.h>
#include <string.h>
#include <sys/resource.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define REPLAY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define REPLAY_SANITIZED 1
#endif
#endif

/* Address space of a replay (plain builds; sanitizers reserve terabytes of
 * shadow and get allocator options instead), and its peak resident set. */
#define REPLAY_MAX_AS ((rlim_t) 4 << 30)
#define REPLAY_MAX_RSS_KB (256 * 1024)
/* Each input gets this long (a hostile input must fail within a second;
 * this leaves room for sanitized builds and a busy machine). */
#define REPLAY_TIMEOUT_US (5 * G_USEC_PER_SEC)

/* fuzz-idx: the first byte picks plain, .gz-named, or folder (parts split
 * at this separator), as in tests/fuzz/fuzz-idx.c. */
#define IDX_SEP "\xfe\xfeSP"
#define IDX_SEP_LEN 4

/* Reported bugs not fixed yet, each replayed as an incomplete test while it
 * fails and as an ordinary test once fixed (none open now). */
typedef struct {
  const char *input;   /* target/name */
  const char *issue;   /* what is wrong, and where */
} KnownOpen;

static const KnownOpen known_open[] = {
  { NULL, NULL },  /* none open now */
};

static const char *
known_issue (const char *input)
{
  for (size_t i = 0; known_open[i].input; i++)
    if (strcmp (known_open[i].input, input) == 0)
      return known_open[i].issue;
  return NULL;
}

static char *scratch;

static char *
scratch_write (const char *name, const void *data, size_t len)
{
  char *path = g_build_filename (scratch, name, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, data, (gssize) len, &error));
  g_assert_no_error (error);
  return path;
}

static void
scratch_clear (void)
{
  GDir *d = g_dir_open (scratch, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (scratch, name, NULL);
      g_remove (p);
    }
  if (d)
    g_dir_close (d);
}

static void
replay_idx (const uint8_t *data, size_t size)
{
  static const char *const parts[5] = {
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "classes.txt",
  };
  if (size < 1)
    return;
  g_autoptr (GError) error = NULL;
  if ((data[0] & 3) < 2)
    {
      g_autofree char *path = scratch_write ((data[0] & 3) ? "f.gz" : "f", data + 1, size - 1);
      g_autoptr (InvIdx) idx = inv_idx_read (path, &error);
      g_assert_true ((idx == NULL) == (error != NULL));
      if (error)
        g_assert_nonnull (strstr (error->message, path));
      return;
    }
  const uint8_t *p = data + 1, *end = data + size;
  for (size_t i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      const uint8_t *sep = memmem (p, (size_t) (end - p), IDX_SEP, IDX_SEP_LEN);
      size_t len = sep ? (size_t) (sep - p) : (size_t) (end - p);
      gboolean gz = i < 4 && len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
      g_autofree char *name = g_strconcat (parts[i], gz ? ".gz" : "", NULL);
      g_free (scratch_write (name, p, len));
      if (!sep)
        break;
      p = sep + IDX_SEP_LEN;
    }
  g_autoptr (InvDataset) ds = inv_dataset_load_idx (scratch, NULL, &error);
  g_assert_true ((ds == NULL) == (error != NULL));
}

static void
replay_safetensors (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvStFile) f = inv_st_read_bytes (data, size, "input.safetensors", &error);
  g_assert_true ((f == NULL) == (error != NULL));
  if (!f)
    {
      g_assert_nonnull (strstr (error->message, "input.safetensors"));
      return;
    }
  g_autofree char *path = scratch_write ("input.safetensors", data, size);
  g_autoptr (InvModel) m = inv_model_load (path, &error);
  g_assert_true ((m == NULL) == (error != NULL));
  if (error)
    {
      g_assert_nonnull (strstr (error->message, path));
      return;
    }
  /* As the fuzzer: a loaded model saves and loads back bit for bit. */
  g_autofree char *copy = g_build_filename (scratch, "copy.safetensors", NULL);
  g_assert_true (inv_model_save (m, copy, &error));
  g_assert_no_error (error);
  g_autoptr (InvModel) back = inv_model_load (copy, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (back->n_params, ==, m->n_params);
  g_assert_cmpmem (back->params, back->n_params * sizeof (float), m->params,
                   m->n_params * sizeof (float));
}

static void
replay_json (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvJson) j = inv_json_parse ((const char *) data, size, &error);
  g_assert_true ((j == NULL) == (error != NULL));
}

static void
replay_shift (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  InvShiftList list;
  inv_shift_list_init (&list, 1);
  g_autoptr (GError) error = NULL;
  if (!inv_shift_list_parse (&list, text, &error))
    {
      g_assert_nonnull (error);
      return;
    }
  g_autofree char *printed = inv_shift_list_to_string (&list);
  InvShiftList back;
  inv_shift_list_init (&back, 1);
  g_assert_true (inv_shift_list_parse (&back, printed, &error));
  g_assert_cmpuint (back.n, ==, list.n);
}

/* As fuzz-cli-values: the first byte picks group (sizes, name), names,
 * data set spec, or model (kind, sizes, widths, group). */
static void
replay_cli_values (const uint8_t *data, size_t size)
{
  if (size < 1)
    return;
  const uint8_t *d = data + 1;
  size_t n = size - 1;
  g_autoptr (GError) error = NULL;
  switch (data[0] % 4)
    {
    case 0:
      if (n >= 2)
        {
          g_autofree char *name = g_strndup ((const char *) d + 2, n - 2);
          g_autoptr (InvGroup) g = inv_group_new (name, d[0] % 33, d[1] % 33, &error);
          g_assert_true ((g == NULL) == (error != NULL));
        }
      break;
    case 1:
      {
        g_autofree char *name = g_strndup ((const char *) d, n);
        InvModelKind kind;
        InvShiftKind shift;
        if (inv_model_kind_from_name (name, &kind))
          g_assert_nonnull (inv_model_kind_name (kind));
        if (inv_shift_kind_from_name (name, &shift))
          g_assert_nonnull (inv_shift_kind_name (shift));
      }
      break;
    case 2:
      {
        g_autofree char *spec = g_strndup ((const char *) d, n);
        if (g_str_has_prefix (spec, "digits") || g_str_has_prefix (spec, "fashion")
            || g_str_has_prefix (spec, "idx:"))
          break;   /* real data sets: not replayed */
        g_autoptr (InvDataset) ds = inv_dataset_load (spec, &error);
        g_assert_true (ds == NULL && error != NULL);
      }
      break;
    default:
      if (n >= 5)
        {
          InvModelArch arch = { 0 };
          arch.n_layers = d[4] % 10;
          size_t used = 5;
          for (size_t i = 0; i < arch.n_layers && i < INV_MODEL_MAX_LAYERS && used < n; i++)
            arch.width[i] = d[used++] % 9;
          if (used < n)
            arch.fc = d[used++] % 33;
          g_autofree char *group = g_strndup ((const char *) d + used, n - used);
          g_autoptr (InvModel) m = inv_model_new ((InvModelKind) (d[0] % 4), group, d[1] % 17,
                                                  d[2] % 17, d[3] % 20, &arch, 1, &error);
          g_assert_true ((m == NULL) == (error != NULL));
        }
      break;
    }
}

typedef struct {
  const char *target;
  void (*replay) (const uint8_t *data, size_t size);
} Target;

static const Target targets[] = {
  { "fuzz-idx", replay_idx },
  { "fuzz-safetensors", replay_safetensors },
  { "fuzz-json", replay_json },
  { "fuzz-shift", replay_shift },
  { "fuzz-cli-values", replay_cli_values },
};

typedef struct {
  const Target *target;
  char *input;   /* target/name */
  char *path;
} Case;

static void
case_free (gpointer p)
{
  Case *c = p;
  g_free (c->input);
  g_free (c->path);
  g_free (c);
}

static void
test_replay (gconstpointer p)
{
  const Case *c = p;
  if (g_test_subprocess ())
    {
#ifndef REPLAY_SANITIZED
      struct rlimit lim = { REPLAY_MAX_AS, REPLAY_MAX_AS };
      g_assert_cmpint (setrlimit (RLIMIT_AS, &lim), ==, 0);
#endif
      g_autofree char *data = NULL;
      size_t size = 0;
      g_assert_true (g_file_get_contents (c->path, &data, &size, NULL));
      c->target->replay ((const uint8_t *) data, size);
      struct rusage ru;
      g_assert_cmpint (getrusage (RUSAGE_SELF, &ru), ==, 0);
      if (ru.ru_maxrss >= REPLAY_MAX_RSS_KB)
        g_error ("%s: peak RSS %ld KiB (limit %d)", c->input, ru.ru_maxrss, REPLAY_MAX_RSS_KB);
      return;
    }
  g_test_trap_subprocess (NULL, REPLAY_TIMEOUT_US, G_TEST_SUBPROCESS_DEFAULT);
  const char *issue = known_issue (c->input);
  if (issue && !g_test_trap_has_passed ())
    {
      g_test_incomplete (issue);
      return;
    }
  g_test_trap_assert_passed ();
}

/* Sanitized builds: allocations beyond the bound fail (NULL) instead of
 * being granted from the sanitizer's huge reserve. */
static void
limit_sanitizer_allocations (void)
{
#ifdef REPLAY_SANITIZED
  const char *old = g_getenv ("ASAN_OPTIONS");
  g_autofree char *opts = g_strdup_printf ("%s%sallocator_may_return_null=1:max_allocation_size_mb=%d",
                                           old ? old : "", old && *old ? ":" : "",
                                           (int) (REPLAY_MAX_AS >> 20));
  g_setenv ("ASAN_OPTIONS", opts, TRUE);
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  limit_sanitizer_allocations ();
  g_autoptr (GError) error = NULL;
  scratch = g_dir_make_tmp ("test-fuzz-regressions-XXXXXX", &error);
  g_assert_no_error (error);

  g_autoptr (GPtrArray) cases = g_ptr_array_new_with_free_func (case_free);
  g_autofree char *root = g_test_build_filename (G_TEST_DIST, "fuzz", "regressions", NULL);
  size_t n_inputs = 0;
  for (size_t t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      g_autofree char *dir = g_build_filename (root, targets[t].target, NULL);
      GDir *d = g_dir_open (dir, 0, NULL);
      if (!d)
        continue;
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while ((name = g_dir_read_name (d)))
        if (name[0] != '.')
          g_ptr_array_add (names, g_strdup (name));
      g_dir_close (d);
      g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
      for (guint i = 0; i < names->len; i++)
        {
          Case *c = g_new0 (Case, 1);
          c->target = &targets[t];
          c->input = g_strdup_printf ("%s/%s", targets[t].target, (char *) names->pdata[i]);
          c->path = g_build_filename (dir, names->pdata[i], NULL);
          g_ptr_array_add (cases, c);
          g_autofree char *test_path = g_strdup_printf ("/fuzz-regressions/%s", c->input);
          g_test_add_data_func (test_path, c, test_replay);
          n_inputs++;
        }
    }
  /* The known-open list names real files (a typo would hide nothing). */
  for (size_t i = 0; known_open[i].input; i++)
    {
      g_autofree char *p = g_build_filename (root, known_open[i].input, NULL);
      if (!g_file_test (p, G_FILE_TEST_IS_REGULAR))
        g_error ("known_open[] names %s, which does not exist", p);
    }
  if (n_inputs == 0)
    g_error ("no regression inputs under %s", root);

  int status = g_test_run ();
  scratch_clear ();
  g_rmdir (scratch);
  g_free (scratch);
  return status;
}
