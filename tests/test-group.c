/* Group axioms and actions: identity, closure, inverses, associativity on
 * random images, exact permutations, the documented element order and the
 * rotation direction on a hand-made image. */
#include "group.h"
#include "rng.h"
#include <string.h>

static const char *all_groups[] = { "c4", "d4", "flip", "trans", "trans:7" };

static void
random_image (float *x, size_t n, uint64_t seed)
{
  InvRng r;
  inv_rng_init (&r, seed);
  for (size_t i = 0; i < n; i++)
    x[i] = (float) inv_rng_uniform (&r);
}

static void
test_permutation (void)
{
  for (size_t t = 0; t < G_N_ELEMENTS (all_groups); t++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvGroup) grp = inv_group_new (all_groups[t], 28, 28, &error);
      g_assert_no_error (error);
      size_t n = 28 * 28;
      g_autofree guint8 *seen = g_new (guint8, n);
      for (size_t g = 0; g < grp->order; g++)
        {
          memset (seen, 0, n);
          for (size_t p = 0; p < n; p++)
            {
              g_assert_cmpuint (grp->perm[g * n + p], <, n);
              seen[grp->perm[g * n + p]]++;
            }
          for (size_t p = 0; p < n; p++)
            g_assert_cmpuint (seen[p], ==, 1);
        }
      /* Elements are distinct permutations. */
      for (size_t a = 0; a < grp->order; a++)
        for (size_t b = a + 1; b < grp->order; b++)
          g_assert_true (memcmp (grp->perm + a * n, grp->perm + b * n, n * sizeof (uint32_t)) != 0);
    }
}

/* Applies element g to x by its definition on images, independently of the
 * stored permutation, and compares. */
static void
test_axioms (void)
{
  size_t n = 12 * 12;
  float x[144], gx[144], hx[144], a[144], b[144], c[144];
  random_image (x, n, 7);
  for (size_t t = 0; t < G_N_ELEMENTS (all_groups); t++)
    {
      const char *name = g_str_equal (all_groups[t], "trans:7") ? "trans:3" : all_groups[t];
      g_autoptr (GError) error = NULL;
      g_autoptr (InvGroup) grp = inv_group_new (name, 12, 12, &error);
      g_assert_no_error (error);
      size_t G = grp->order;
      /* identity is element 0 */
      inv_group_apply (grp, 0, gx, x);
      g_assert_cmpmem (gx, sizeof gx, x, sizeof x);
      for (size_t g = 0; g < G; g++)
        {
          /* inverse: g⁻¹·(g·x) = x and g·(g⁻¹·x) = x */
          inv_group_apply (grp, g, gx, x);
          inv_group_apply (grp, grp->inverse[g], a, gx);
          g_assert_cmpmem (a, sizeof a, x, sizeof x);
          inv_group_apply (grp, grp->inverse[g], a, x);
          inv_group_apply (grp, g, b, a);
          g_assert_cmpmem (b, sizeof b, x, sizeof x);
          for (size_t h = 0; h < G; h++)
            {
              /* closure: g·(h·x) equals the action of the table's product */
              inv_group_apply (grp, h, hx, x);
              inv_group_apply (grp, g, a, hx);
              size_t gh = inv_group_mul (grp, g, h);
              g_assert_cmpuint (gh, <, G);
              inv_group_apply (grp, gh, b, x);
              g_assert_cmpmem (a, sizeof a, b, sizeof b);
              for (size_t k = 0; k < G; k++)
                {
                  /* associativity: (g·h)·k = g·(h·k), as actions on x */
                  inv_group_apply (grp, inv_group_mul (grp, inv_group_mul (grp, g, h), k), a, x);
                  inv_group_apply (grp, inv_group_mul (grp, g, inv_group_mul (grp, h, k)), c, x);
                  g_assert_cmpmem (a, sizeof a, c, sizeof c);
                }
            }
        }
    }
}

/* A 3×3 image with distinct values; rotation by 90° counter-clockwise moves
 * the top-right corner to the top-left (numpy.rot90). */
static void
test_rotation_direction (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) c4 = inv_group_new ("c4", 3, 3, &error);
  g_assert_no_error (error);
  const float x[9] = { 1, 2, 3,
                       4, 5, 6,
                       7, 8, 9 };
  /* numpy.rot90(x) = [[3,6,9],[2,5,8],[1,4,7]] */
  const float r90[9] = { 3, 6, 9, 2, 5, 8, 1, 4, 7 };
  const float r180[9] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
  const float r270[9] = { 7, 4, 1, 8, 5, 2, 9, 6, 3 };
  float out[9];
  inv_group_apply (c4, 1, out, x);
  g_assert_cmpmem (out, sizeof out, r90, sizeof r90);
  inv_group_apply (c4, 2, out, x);
  g_assert_cmpmem (out, sizeof out, r180, sizeof r180);
  inv_group_apply (c4, 3, out, x);
  g_assert_cmpmem (out, sizeof out, r270, sizeof r270);

  /* d4: elements 4..7 are the rotations followed by the mirror. */
  g_autoptr (InvGroup) d4 = inv_group_new ("d4", 3, 3, &error);
  g_assert_no_error (error);
  const float m0[9] = { 3, 2, 1, 6, 5, 4, 9, 8, 7 };
  const float m90[9] = { 9, 6, 3, 8, 5, 2, 7, 4, 1 }; /* mirror of r90 */
  inv_group_apply (d4, 4, out, x);
  g_assert_cmpmem (out, sizeof out, m0, sizeof m0);
  inv_group_apply (d4, 5, out, x);
  g_assert_cmpmem (out, sizeof out, m90, sizeof m90);
  for (size_t g = 0; g < 4; g++)
    {
      float a[9];
      inv_group_apply (c4, g, a, x);
      inv_group_apply (d4, g, out, x);
      g_assert_cmpmem (out, sizeof out, a, sizeof a);
    }

  g_autoptr (InvGroup) flip = inv_group_new ("flip", 3, 3, &error);
  g_assert_no_error (error);
  inv_group_apply (flip, 1, out, x);
  g_assert_cmpmem (out, sizeof out, m0, sizeof m0);
}

static void
test_translation (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) t = inv_group_new ("trans", 8, 8, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->order, ==, 16);
  float x[64] = { 0 }, out[64];
  x[0] = 1; /* pixel (0,0) */
  /* element a·k + b = 1·4 + 3 shifts 2 rows down and 6 columns right */
  inv_group_apply (t, 7, out, x);
  for (size_t p = 0; p < 64; p++)
    g_assert_cmpfloat (out[p], ==, p == 2 * 8 + 6 ? 1.0f : 0.0f);
  /* cyclic: pixel (7,7) shifted by 2 rows, 6 cols lands at (1,5) */
  memset (x, 0, sizeof x);
  x[63] = 1;
  inv_group_apply (t, 7, out, x);
  g_assert_cmpfloat (out[1 * 8 + 5], ==, 1.0f);
}

static void
test_orbit (void)
{
  const struct { const char *name; size_t order; } cases[] = {
    { "c4", 4 }, { "d4", 8 }, { "flip", 2 }, { "trans", 16 }, { "trans:2", 4 },
  };
  float x[64], orbit[16 * 64], gx[64];
  random_image (x, 64, 3);
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvGroup) grp = inv_group_new (cases[t].name, 8, 8, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (grp->order, ==, cases[t].order);
      inv_group_orbit (grp, orbit, x);
      g_assert_cmpmem (orbit, 64 * sizeof (float), x, sizeof x);
      for (size_t g = 0; g < grp->order; g++)
        {
          inv_group_apply (grp, g, gx, x);
          g_assert_cmpmem (orbit + g * 64, 64 * sizeof (float), gx, sizeof gx);
          g_assert_nonnull (grp->labels[g]);
        }
    }
}

static void
test_errors (void)
{
  const struct { const char *name; size_t h, w; GQuark domain; int code; } cases[] = {
    { "c5", 28, 28, 0, INV_GROUP_ERROR_UNKNOWN },
    { "", 28, 28, 0, INV_GROUP_ERROR_UNKNOWN },
    { "trans:0", 28, 28, 0, INV_GROUP_ERROR_UNKNOWN },
    { "trans:x", 28, 28, 0, INV_GROUP_ERROR_UNKNOWN },
    { "c4", 28, 27, 0, INV_GROUP_ERROR_SIZE },
    { "d4", 0, 0, 0, INV_GROUP_ERROR_SIZE },
    { "trans:3", 28, 28, 0, INV_GROUP_ERROR_SIZE },
    /* the caps: 4096 elements; 4096 × 2048² permutation entries (64 GiB) */
    { "trans:64", 64, 64, 0, INV_GROUP_ERROR_SIZE },
    { "trans:32", 2048, 2048, 0, INV_GROUP_ERROR_SIZE },
    { "d4", 2048, 2048, 0, INV_GROUP_ERROR_SIZE },
  };
  for (size_t t = 0; t < G_N_ELEMENTS (cases); t++)
    {
      g_autoptr (GError) error = NULL;
      InvGroup *grp = inv_group_new (cases[t].name, cases[t].h, cases[t].w, &error);
      g_assert_null (grp);
      g_assert_error (error, INV_GROUP_ERROR, cases[t].code);
    }
  /* at the limits: translations compose by adding shifts, so the largest
   * groups build at once; spot-check the table against the permutations */
  {
    g_autoptr (GError) e2 = NULL;
    g_autoptr (InvGroup) big = inv_group_new ("trans:32", 128, 128, &e2);
    g_assert_no_error (e2);
    g_assert_cmpuint (big->order, ==, 1024);
    size_t n = 128 * 128, G = big->order;
    for (size_t a = 0; a < G; a += 37)
      for (size_t b = 0; b < G; b += 53)
        {
          size_t c = inv_group_mul (big, a, b);
          for (size_t p = 0; p < n; p += 97)
            g_assert_cmpuint (big->perm[c * n + p], ==, big->perm[b * n + big->perm[a * n + p]]);
          g_assert_cmpuint (inv_group_mul (big, a, big->inverse[a]), ==, 0);
        }
  }
  /* flip works on non-square images */
  g_autoptr (GError) error = NULL;
  g_autoptr (InvGroup) f = inv_group_new ("flip", 4, 6, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->order, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/group/permutation", test_permutation);
  g_test_add_func ("/group/axioms", test_axioms);
  g_test_add_func ("/group/rotation-direction", test_rotation_direction);
  g_test_add_func ("/group/translation", test_translation);
  g_test_add_func ("/group/orbit", test_orbit);
  g_test_add_func ("/group/errors", test_errors);
  return g_test_run ();
}
