/* InvData: a loaded data set shared read-only by the main thread, the
 * training worker and the saliency tasks, with an atomic reference count.
 * Not a loader: the window loads data sets in a GTask. */
#pragma once
#include <glib.h>
#include "dataset.h"

G_BEGIN_DECLS

typedef struct {
  InvDataset *ds;   /* owned, never modified after inv_data_new */
  char *spec;       /* what was asked for: "fashion", "digits", "idx:DIR" */
} InvData;

/* Takes ownership of ds. */
InvData *inv_data_new (InvDataset *ds, const char *spec);
InvData *inv_data_ref (InvData *data);
void inv_data_unref (InvData *data);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (InvData, inv_data_unref)

G_END_DECLS
