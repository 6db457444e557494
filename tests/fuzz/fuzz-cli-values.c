/* libFuzzer target: the values the command line and the GUI pass to the
 * core by name: group names (with image sizes), model kinds, shift kinds,
 * saliency methods, data set specs, and the kind × group × size × layer
 * widths combinations that inv_model_new accepts. The first byte picks the
 * parser. Stays off the disk except for idx: specs that name no folder. */
#include "fuzz-common.h"
#include "dataset.h"
#include "model.h"
#include "saliency.h"
#include "shift.h"
#include <math.h>
#include <string.h>

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  return 0;
}

/* Every element a permutation, inverses and the table consistent. */
static void
check_group (const InvGroup *g, size_t h, size_t w)
{
  size_t n = h * w, G = g->order;
  g_assert (G >= 1 && g->h == h && g->w == w);
  g_autofree uint8_t *seen = g_new (uint8_t, n);
  for (size_t e = 0; e < G; e++)
    {
      memset (seen, 0, n);
      for (size_t p = 0; p < n; p++)
        {
          uint32_t q = g->perm[e * n + p];
          g_assert (q < n && !seen[q]);
          seen[q] = 1;
        }
      g_assert (g->inverse[e] < G);
      g_assert (inv_group_mul (g, e, g->inverse[e]) == 0);
      g_assert (g->labels[e] != NULL);
    }
}

static void
fuzz_group (const uint8_t *data, size_t size)
{
  if (size < 2)
    return;
  size_t h = data[0] % 33, w = data[1] % 33;
  g_autofree char *name = g_strndup ((const char *) data + 2, size - 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) g = inv_group_new (name, h, w, &error);
  g_assert ((g == NULL) == (error != NULL));
  if (g)
    check_group (g, h, w);
}

static void
fuzz_names (const uint8_t *data, size_t size)
{
  g_autofree char *name = g_strndup ((const char *) data, size);
  InvModelKind kind;
  if (inv_model_kind_from_name (name, &kind))
    {
      InvModelKind again;
      g_assert (inv_model_kind_from_name (inv_model_kind_name (kind), &again) && again == kind);
    }
  InvShiftKind shift;
  if (inv_shift_kind_from_name (name, &shift))
    {
      InvShiftKind again;
      g_assert (inv_shift_kind_from_name (inv_shift_kind_name (shift), &again) && again == shift);
    }
  InvSaliencyMethod method;
  if (inv_saliency_method_from_name (name, &method))
    {
      InvSaliencyMethod again;
      g_assert ((unsigned) method < INV_SALIENCY_N_METHODS);
      g_assert (inv_saliency_method_from_name (inv_saliency_method_name (method), &again)
                && again == method);
    }
}

/* Only specs that fail fast: real data sets (fashion, digits[:SEED], an
 * existing idx: folder) are left out, they are slow and not fuzzed input. */
static void
fuzz_spec (const uint8_t *data, size_t size)
{
  g_autofree char *spec = g_strndup ((const char *) data, size);
  guint64 seed;
  if (strcmp (spec, "fashion") == 0 || strcmp (spec, "digits") == 0
      || (g_str_has_prefix (spec, "digits:")
          && g_ascii_string_to_unsigned (spec + 7, 10, 0, G_MAXUINT64, &seed, NULL))
      || (g_str_has_prefix (spec, "idx:") && g_file_test (spec + 4, G_FILE_TEST_EXISTS)))
    return;
  g_autoptr (GError) error = NULL;
  g_autoptr (InvDataset) ds = inv_dataset_load (spec, &error);
  g_assert (ds == NULL && error != NULL);
}

/* kind, h, w, K, n_layers, widths..., fc, then the group name. Sizes are
 * kept small so every accepted model is cheap to build and run. */
static void
fuzz_model (const uint8_t *data, size_t size)
{
  if (size < 5)
    return;
  InvModelKind kind = (InvModelKind) (data[0] % 4);
  size_t h = data[1] % 17, w = data[2] % 17, K = data[3] % 20;
  InvModelArch arch = { 0 };
  arch.n_layers = data[4] % 10;
  size_t used = 5;
  for (size_t i = 0; i < arch.n_layers && i < INV_MODEL_MAX_LAYERS && used < size; i++)
    arch.width[i] = data[used++] % 9;
  if (used < size)
    arch.fc = data[used++] % 33;
  g_autofree char *group = g_strndup ((const char *) data + used, size - used);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (kind, group, h, w, K, &arch, 1, &error);
  g_assert ((m == NULL) == (error != NULL));
  if (!m)
    return;
  g_assert (m->h == h && m->w == w && m->n_classes == K);
  g_autofree float *x = g_new (float, 2 * h * w);
  g_autofree float *logits = g_new (float, 2 * K);
  for (size_t i = 0; i < 2 * h * w; i++)
    x[i] = (float) (i % 7) / 6.0f;
  g_assert (inv_model_forward (m, logits, x, 2, &error));
  for (size_t i = 0; i < 2 * K; i++)
    g_assert (isfinite (logits[i]));
  g_autofree float *dlogits = g_new0 (float, 2 * K);
  dlogits[0] = 1;
  g_autofree float *dx = g_new (float, 2 * h * w);
  inv_model_backward (m, dx, dlogits, 2, TRUE);
  for (size_t i = 0; i < 2 * h * w; i++)
    g_assert (isfinite (dx[i]));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  switch (data[0] % 4)
    {
    case 0:
      fuzz_group (data + 1, size - 1);
      break;
    case 1:
      fuzz_names (data + 1, size - 1);
      break;
    case 2:
      fuzz_spec (data + 1, size - 1);
      break;
    default:
      fuzz_model (data + 1, size - 1);
      break;
    }
  return 0;
}
