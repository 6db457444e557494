/* Reference counting for InvData (g_atomic_rc_box: the worker and the
 * saliency tasks drop their references from other threads). */
#include "config.h"
#include "inv-data.h"

InvData *
inv_data_new (InvDataset *ds, const char *spec)
{
  InvData *data = g_atomic_rc_box_new0 (InvData);
  data->ds = ds;
  data->spec = g_strdup (spec);
  return data;
}

InvData *
inv_data_ref (InvData *data)
{
  return g_atomic_rc_box_acquire (data);
}

static void
data_clear (gpointer p)
{
  InvData *data = p;
  g_clear_pointer (&data->ds, inv_dataset_free);
  g_clear_pointer (&data->spec, g_free);
}

void
inv_data_unref (InvData *data)
{
  g_atomic_rc_box_release_full (data, data_clear);
}
