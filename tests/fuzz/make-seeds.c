/* Writes the seed corpora of the fuzz targets into OUT/<target>/: small
 * valid inputs (IDX files plain and gzip, IDX folders, tiny models of every
 * kind saved by the project's own writer, JSON headers, shift lists, names)
 * and a few near misses. Usage: fuzz-make-seeds OUT. Not run by the tests. */
#include "dataset.h"
#include "model.h"
#include "safetensors.h"
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static const char *out_dir;

static void
put (const char *target, const char *name, const void *data, size_t len)
{
  g_autofree char *dir = g_build_filename (out_dir, target, NULL);
  g_mkdir_with_parents (dir, 0755);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GError) error = NULL;
  if (!g_file_set_contents (path, data, (gssize) len, &error))
    g_error ("%s", error->message);
}

static void
put_str (const char *target, const char *name, const char *text)
{
  put (target, name, text, strlen (text));
}

/* One byte selecting the target's mode, then the payload. */
static void
put_mode (const char *target, const char *name, uint8_t mode, const void *data, size_t len)
{
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_byte_array_append (b, &mode, 1);
  g_byte_array_append (b, data, (guint) len);
  put (target, name, b->data, b->len);
}

static GByteArray *
gzip_bytes (const void *data, size_t len)
{
  z_stream z = { 0 };
  if (deflateInit2 (&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    g_error ("deflateInit2");
  GByteArray *out = g_byte_array_sized_new ((guint) deflateBound (&z, len));
  g_byte_array_set_size (out, (guint) deflateBound (&z, len));
  z.next_in = (Bytef *) data;
  z.avail_in = (uInt) len;
  z.next_out = out->data;
  z.avail_out = out->len;
  if (deflate (&z, Z_FINISH) != Z_STREAM_END)
    g_error ("deflate");
  g_byte_array_set_size (out, (guint) z.total_out);
  deflateEnd (&z);
  return out;
}

/* IDX bytes: the header of dims (ndim), then len bytes of data (the
 * product of dims for a valid file). */
static GByteArray *
idx_bytes (const size_t *dims, size_t ndim, const uint8_t *data, size_t len)
{
  GByteArray *b = g_byte_array_new ();
  uint8_t head[4] = { 0, 0, 0x08, (uint8_t) ndim };
  g_byte_array_append (b, head, 4);
  for (size_t d = 0; d < ndim; d++)
    {
      uint8_t be[4] = { (uint8_t) (dims[d] >> 24), (uint8_t) (dims[d] >> 16),
                        (uint8_t) (dims[d] >> 8), (uint8_t) dims[d] };
      g_byte_array_append (b, be, 4);
    }
  g_byte_array_append (b, data, (guint) len);
  return b;
}

static void
seeds_idx (void)
{
  uint8_t px[3 * 4 * 4];            /* (3, 4, 4) */
  for (size_t i = 0; i < sizeof px; i++)
    px[i] = (uint8_t) (i * 17);
  uint8_t labels[3] = { 0, 1, 2 };
  const size_t img_dims[3] = { 3, 4, 4 }, lab_dims[1] = { 3 }, two[2] = { 2, 3 };
  g_autoptr (GByteArray) img = idx_bytes (img_dims, 3, px, sizeof px);
  g_autoptr (GByteArray) lab = idx_bytes (lab_dims, 1, labels, sizeof labels);
  g_autoptr (GByteArray) mat = idx_bytes (two, 2, px, 6);
  g_autoptr (GByteArray) img_gz = gzip_bytes (img->data, img->len);
  g_autoptr (GByteArray) lab_gz = gzip_bytes (lab->data, lab->len);
  put_mode ("fuzz-idx", "plain-images", 0, img->data, img->len);
  put_mode ("fuzz-idx", "plain-labels", 0, lab->data, lab->len);
  put_mode ("fuzz-idx", "plain-matrix", 0, mat->data, mat->len);
  put_mode ("fuzz-idx", "gzip-images", 1, img_gz->data, img_gz->len);
  put_mode ("fuzz-idx", "gzip-labels", 1, lab_gz->data, lab_gz->len);
  put_mode ("fuzz-idx", "gzip-named-plain", 1, img->data, img->len);
  put_mode ("fuzz-idx", "truncated", 0, img->data, img->len - 5);

  /* A small gzip bomb's opening: 2^20 zero images of 32×32, mostly absent. */
  {
    uint8_t zeros[4096] = { 0 };
    const size_t big[3] = { 1u << 20, 32, 32 };
    g_autoptr (GByteArray) b = idx_bytes (big, 3, zeros, sizeof zeros);
    g_autoptr (GByteArray) gz = gzip_bytes (b->data, b->len);
    put_mode ("fuzz-idx", "gzip-claims-big", 1, gz->data, gz->len);
  }

  /* Folders: train images, train labels, test images, test labels, classes. */
  const char sep[4] = { '\xfe', '\xfe', 'S', 'P' };
  for (int variant = 0; variant < 3; variant++)
    {
      g_autoptr (GByteArray) b = g_byte_array_new ();
      GByteArray *parts[4] = { variant == 1 ? img_gz : img, lab, img, variant == 1 ? lab_gz : lab };
      for (int i = 0; i < 4; i++)
        {
          if (i)
            g_byte_array_append (b, (const guint8 *) sep, 4);
          g_byte_array_append (b, parts[i]->data, parts[i]->len);
        }
      if (variant == 2)
        {
          g_byte_array_append (b, (const guint8 *) sep, 4);
          const char *names = "zero\none\ntwo\n";
          g_byte_array_append (b, (const guint8 *) names, (guint) strlen (names));
        }
      const char *name[3] = { "folder-plain", "folder-gzip", "folder-classes" };
      put_mode ("fuzz-idx", name[variant], 2, b->data, b->len);
    }
}

/* A tiny model of each kind, saved by inv_model_save. */
static void
seeds_safetensors (const char *tmp)
{
  struct {
    const char *file;
    InvModelKind kind;
    const char *group;
    size_t h, w, n_layers, widths[2], fc;
  } specs[] = {
    { "mlp", INV_MODEL_MLP, "c4", 4, 4, 1, { 3 }, 0 },
    { "mlp-two-layers", INV_MODEL_MLP, "flip", 2, 3, 2, { 2, 2 }, 0 },
    { "tied-mlp", INV_MODEL_TIED_MLP, "d4", 4, 4, 1, { 2 }, 0 },
    { "cnn", INV_MODEL_CNN, "c4", 4, 4, 2, { 1, 2 }, 3 },
    { "gcnn", INV_MODEL_GCNN, "c4", 4, 4, 2, { 1, 2 }, 0 },
    { "gcnn-trans", INV_MODEL_GCNN, "trans:2", 4, 4, 2, { 1, 2 }, 0 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      InvModelArch arch = { 0 };
      arch.n_layers = specs[i].n_layers;
      memcpy (arch.width, specs[i].widths, sizeof specs[i].widths);
      arch.fc = specs[i].fc;
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) m = inv_model_new (specs[i].kind, specs[i].group, specs[i].h,
                                              specs[i].w, 3, &arch, 1, &error);
      if (!m)
        g_error ("%s: %s", specs[i].file, error->message);
      m->dataset = g_strdup ("digits");
      m->mean = 0.25f;
      m->std = 0.5f;
      g_autofree char *path = g_build_filename (tmp, "seed.safetensors", NULL);
      if (!inv_model_save (m, path, &error))
        g_error ("%s", error->message);
      g_autofree char *bytes = NULL;
      size_t len;
      if (!g_file_get_contents (path, &bytes, &len, &error))
        g_error ("%s", error->message);
      put ("fuzz-safetensors", specs[i].file, bytes, len);
      guint64 hlen = GUINT64_FROM_LE (*(guint64 *) bytes);
      g_autofree char *name = g_strconcat ("header-", specs[i].file, NULL);
      put ("fuzz-json", name, bytes + 8, (size_t) hlen);
      g_unlink (path);
    }

  /* Not a model: two plain tensors and free metadata. */
  float a[6] = { 1, 2, 3, 4, 5, 6 }, b[1] = { -1 };
  InvStTensor t[2] = {
    { (char *) "a", 2, { 2, 3 }, 6, a },
    { (char *) "b", 0, { 0 }, 1, b },
  };
  g_autoptr (GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (meta, (char *) "note", (char *) "plain \"file\" \\u00e9");
  g_autofree char *path = g_build_filename (tmp, "plain.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  if (!inv_st_write (path, t, 2, meta, &error))
    g_error ("%s", error->message);
  g_autofree char *bytes = NULL;
  size_t len;
  if (!g_file_get_contents (path, &bytes, &len, &error))
    g_error ("%s", error->message);
  put ("fuzz-safetensors", "plain-tensors", bytes, len);
  g_unlink (path);
  const char empty[] = "\x02\0\0\0\0\0\0\0{}";
  put ("fuzz-safetensors", "empty", empty, sizeof empty - 1);
}

static void
seeds_json (void)
{
  put_str ("fuzz-json", "scalars", "[null,true,false,0,-1.5e3,\"\"]");
  put_str ("fuzz-json", "escapes", "{\"a\\u00e9\\ud83d\\ude00\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}");
  put_str ("fuzz-json", "nested", "{\"a\":[[[{\"b\":[]}]]],\"a\":{}}");
  put_str ("fuzz-json", "number-edge", "[1e308,-0,0.000001,123456789012345678901234567890]");
}

static void
seeds_shift (void)
{
  put_str ("fuzz-shift", "none", "none");
  put_str ("fuzz-shift", "one", "noise=0.5");
  put_str ("fuzz-shift", "all", "noise=0.1,uniform=0.2,blur=0.3,contrast=1,invert=0.5,occlude=0.25,mix=0.75");
  put_str ("fuzz-shift", "exact", "blur=1.0,occlude=0.125,contrast=0");
  put_str ("fuzz-shift", "full", "invert=1,invert=1,invert=1,invert=1,invert=1,invert=1,invert=1,invert=1");
  put_str ("fuzz-shift", "bad", "noise=1e-1,blur=.5");
}

static void
seeds_cli_values (void)
{
  const char *groups[] = { "c4", "d4", "flip", "trans", "trans:7", "trans:0" };
  for (size_t i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      g_autofree char *text = g_strdup_printf ("\x1c\x1c%s", groups[i]);
      g_autofree char *name = g_strdup_printf ("group-%zu", i);
      put_mode ("fuzz-cli-values", name, 0, text, strlen (text));
    }
  const char *names[] = { "mlp", "cnn", "tied-mlp", "gcnn", "noise", "mix", "gradient",
                          "smoothgrad", "integrated-gradients", "gradient-input", "IG" };
  for (size_t i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *name = g_strdup_printf ("name-%s", names[i]);
      put_mode ("fuzz-cli-values", name, 1, names[i], strlen (names[i]));
    }
  const char *specs[] = { "digits:x", "idx:", "idx:/nonexistent", "fashionable", "digits:-1" };
  for (size_t i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autofree char *name = g_strdup_printf ("spec-%zu", i);
      put_mode ("fuzz-cli-values", name, 2, specs[i], strlen (specs[i]));
    }
  /* kind, h, w, K, n_layers, widths (n_layers), fc, then the group name */
  const struct { uint8_t head[8]; size_t n; const char *group; } models[] = {
    { { 0, 8, 8, 3, 1, 4, 0 }, 7, "c4" },
    { { 1, 8, 8, 3, 2, 2, 2, 4 }, 8, "c4" },
    { { 2, 4, 4, 2, 1, 3, 0 }, 7, "d4" },
    { { 3, 8, 8, 3, 2, 2, 3, 0 }, 8, "c4" },
    { { 3, 8, 8, 3, 2, 2, 3, 0 }, 8, "flip" },
    { { 3, 8, 8, 3, 2, 2, 3, 0 }, 8, "trans:2" },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (models); i++)
    {
      g_autoptr (GByteArray) b = g_byte_array_new ();
      g_byte_array_append (b, models[i].head, (guint) models[i].n);
      g_byte_array_append (b, (const guint8 *) models[i].group, (guint) strlen (models[i].group));
      g_autofree char *name = g_strdup_printf ("model-%zu", i);
      put_mode ("fuzz-cli-values", name, 3, b->data, b->len);
    }
}

int
main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s OUT\n", argv[0]);
      return 2;
    }
  out_dir = argv[1];
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("fuzz-seeds-XXXXXX", &error);
  if (!tmp)
    g_error ("%s", error->message);
  seeds_idx ();
  seeds_safetensors (tmp);
  seeds_json ();
  seeds_shift ();
  seeds_cli_values ();
  g_rmdir (tmp);
  return 0;
}
