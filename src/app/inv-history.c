/* InvHistory: a hash table from metric key to one pair of growing arrays
 * (x, y) per family. Main thread only. */
#include "config.h"
#include "inv-history.h"
#include <math.h>

typedef struct {
  GArray *x[INV_N_FAMILIES];  /* double */
  GArray *y[INV_N_FAMILIES];  /* double */
} Curves;

struct _InvHistory
{
  GObject parent_instance;
  GHashTable *curves;         /* key → Curves */
};

G_DEFINE_FINAL_TYPE (InvHistory, inv_history, G_TYPE_OBJECT)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
curves_free (gpointer p)
{
  Curves *c = p;
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_array_unref (c->x[f]);
      g_array_unref (c->y[f]);
    }
  g_free (c);
}

static void
inv_history_finalize (GObject *object)
{
  InvHistory *self = INV_HISTORY (object);
  g_clear_pointer (&self->curves, g_hash_table_unref);
  G_OBJECT_CLASS (inv_history_parent_class)->finalize (object);
}

static void
inv_history_class_init (InvHistoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = inv_history_finalize;
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
inv_history_init (InvHistory *self)
{
  self->curves = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, curves_free);
}

InvHistory *
inv_history_new (void)
{
  return g_object_new (INV_TYPE_HISTORY, NULL);
}

void
inv_history_append (InvHistory *self, const char *key, InvFamily family, double x, double y)
{
  g_return_if_fail (INV_IS_HISTORY (self));
  g_return_if_fail (key != NULL && family < INV_N_FAMILIES);
  if (!isfinite (x) || !isfinite (y))
    return;
  Curves *c = g_hash_table_lookup (self->curves, key);
  if (c == NULL)
    {
      c = g_new0 (Curves, 1);
      for (int f = 0; f < INV_N_FAMILIES; f++)
        {
          c->x[f] = g_array_new (FALSE, FALSE, sizeof (double));
          c->y[f] = g_array_new (FALSE, FALSE, sizeof (double));
        }
      g_hash_table_insert (self->curves, g_strdup (key), c);
    }
  g_array_append_val (c->x[family], x);
  g_array_append_val (c->y[family], y);
  g_signal_emit (self, signals[SIGNAL_CHANGED], g_quark_from_string (key));
}

void
inv_history_clear (InvHistory *self)
{
  g_return_if_fail (INV_IS_HISTORY (self));
  if (g_hash_table_size (self->curves) == 0)
    return;
  g_hash_table_remove_all (self->curves);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

void
inv_history_get_points (InvHistory *self, const char *key, InvFamily family,
                        const double **xs, const double **ys, size_t *n)
{
  g_return_if_fail (INV_IS_HISTORY (self));
  g_return_if_fail (family < INV_N_FAMILIES);
  Curves *c = key ? g_hash_table_lookup (self->curves, key) : NULL;
  if (c == NULL || c->x[family]->len == 0)
    {
      *xs = *ys = NULL;
      *n = 0;
      return;
    }
  *xs = (const double *) (void *) c->x[family]->data;
  *ys = (const double *) (void *) c->y[family]->data;
  *n = c->x[family]->len;
}
