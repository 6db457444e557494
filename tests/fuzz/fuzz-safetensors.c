/* libFuzzer target: the safetensors reader (header JSON included) on bytes
 * in memory, then, for files it accepts that claim to be Invariance Lab
 * models, the model loader's validation, a forward pass and a save/load
 * round trip. */
#include "fuzz-common.h"
#include "model.h"
#include "safetensors.h"
#include <math.h>
#include <string.h>

#define FUZZ_ST_NAME "fuzz.safetensors"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  fuzz_dir ();
  return 0;
}

static void
check_file (const InvStFile *f)
{
  g_assert (f->metadata != NULL);
  for (size_t i = 0; i < f->n; i++)
    {
      const InvStTensor *t = &f->tensors[i];
      g_assert (t->ndim <= INV_ST_MAX_DIMS);
      size_t numel = 1;
      for (size_t d = 0; d < t->ndim; d++)
        numel *= t->shape[d];
      g_assert (numel == t->numel);
      for (size_t k = 0; k < t->numel; k++)
        g_assert (isfinite (t->data[k]));
      g_assert (inv_st_find (f, t->name) == t);
    }
}

static void
check_model (const uint8_t *data, size_t size)
{
  g_autofree char *path = fuzz_write (FUZZ_ST_NAME, data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_load (path, &error);
  g_assert ((m == NULL) == (error != NULL));
  if (!m)
    {
      g_assert (strstr (error->message, path) != NULL);
      return;
    }
  /* The loader checked every tensor before allocating, so a small file
   * gave a small model; a forward pass still costs in proportion to the
   * image size, which a tiny model may declare as 2048×2048: only small
   * images go on to one forward pass, then save and reload bit for bit. */
  size_t n = m->h * m->w;
  if (n > 64 * 64)
    return;
  g_autofree float *x = g_new (float, n);
  g_autofree float *logits = g_new (float, m->n_classes);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5f;
  g_assert (inv_model_forward (m, logits, x, 1, &error));
  g_autofree char *copy_path = g_build_filename (fuzz_dir (), "copy.safetensors", NULL);
  g_assert (inv_model_save (m, copy_path, &error));
  g_autoptr (InvModel) back = inv_model_load (copy_path, &error);
  g_assert (back != NULL);
  g_assert (back->kind == m->kind && back->n_params == m->n_params);
  g_assert (memcmp (back->params, m->params, m->n_params * sizeof (float)) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvStFile) f = inv_st_read_bytes (data, size, FUZZ_ST_NAME, &error);
  g_assert ((f == NULL) == (error != NULL));
  if (!f)
    {
      g_assert (strstr (error->message, FUZZ_ST_NAME) != NULL);
      return 0;
    }
  check_file (f);
  if (g_strcmp0 (g_hash_table_lookup (f->metadata, "format"), "invariance-lab") == 0)
    check_model (data, size);
  return 0;
}
