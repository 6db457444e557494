/* libFuzzer target: the strict --shift list parser. A list it accepts must
 * print back to text that parses to the same list, and must apply to a
 * small image with every pixel finite and in [0,1]. */
#include "fuzz-common.h"
#include "shift.h"
#include <math.h>
#include <string.h>

#define FUZZ_SHIFT_H 8
#define FUZZ_SHIFT_W 8

static uint8_t mix_images[2 * FUZZ_SHIFT_H * FUZZ_SHIFT_W]; /* (2, H, W) */
static uint8_t mix_labels[2];
static const InvSplit mix_split = { 2, mix_images, mix_labels };

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  fuzz_init ();
  for (size_t i = 0; i < sizeof mix_images; i++)
    mix_images[i] = (uint8_t) (i * 37);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  InvShiftList list, before;
  inv_shift_list_init (&list, 7);
  list.items[0].kind = INV_SHIFT_BLUR;  /* must survive a failed parse */
  list.items[0].severity = 0.25;
  list.n = 1;
  before = list;
  g_autoptr (GError) error = NULL;
  if (!inv_shift_list_parse (&list, text, &error))
    {
      g_assert (error != NULL);
      g_assert (list.n == before.n && list.seed == before.seed);
      g_assert (list.items[0].kind == before.items[0].kind
                && list.items[0].severity == before.items[0].severity);
      return 0;
    }
  g_assert (error == NULL);
  g_assert (list.n <= INV_SHIFT_MAX);
  for (size_t i = 0; i < list.n; i++)
    {
      g_assert ((unsigned) list.items[i].kind < INV_SHIFT_N_KINDS);
      g_assert (list.items[i].severity >= 0 && list.items[i].severity <= 1);
    }

  g_autofree char *printed = inv_shift_list_to_string (&list);
  InvShiftList back;
  inv_shift_list_init (&back, 7);
  g_assert (inv_shift_list_parse (&back, printed, &error));
  g_assert (back.n == list.n);
  for (size_t i = 0; i < list.n; i++)
    g_assert (back.items[i].kind == list.items[i].kind
              && back.items[i].severity == list.items[i].severity);

  inv_shift_list_set_mix_source (&list, &mix_split, FUZZ_SHIFT_H, FUZZ_SHIFT_W);
  g_assert (inv_shift_list_validate (&list, FUZZ_SHIFT_H, FUZZ_SHIFT_W, &error));
  float img[FUZZ_SHIFT_H * FUZZ_SHIFT_W];
  for (size_t p = 0; p < G_N_ELEMENTS (img); p++)
    img[p] = (float) (p % 5) / 4.0f;
  g_assert (inv_shift_apply (&list, 3, img, img, FUZZ_SHIFT_H, FUZZ_SHIFT_W, &error));
  for (size_t p = 0; p < G_N_ELEMENTS (img); p++)
    g_assert (isfinite (img[p]) && img[p] >= 0.0f && img[p] <= 1.0f);
  return 0;
}
