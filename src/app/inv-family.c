/* The model families' table: ids, translated titles, colours (GNOME palette,
 * readable on light and dark backgrounds) and the kind each one trains. */
#include "config.h"
#include "inv-family.h"
#include <glib/gi18n.h>

static const struct {
  const char *id;
  const char *title;
  double rgba[4];
} families[INV_N_FAMILIES] = {
  [INV_FAMILY_UNCONSTRAINED] = { "unconstrained", N_("Unconstrained"), { 0.902, 0.380, 0.0, 1 } },
  [INV_FAMILY_REGULARIZED] = { "regularized", N_("Regularized"), { 0.110, 0.443, 0.847, 1 } },
  [INV_FAMILY_TIED] = { "weight-tied", N_("Weight-tied"), { 0.180, 0.659, 0.380, 1 } },
};

const char *
inv_family_id (InvFamily family)
{
  g_return_val_if_fail (family < INV_N_FAMILIES, NULL);
  return families[family].id;
}

const char *
inv_family_title (InvFamily family)
{
  g_return_val_if_fail (family < INV_N_FAMILIES, NULL);
  return _(families[family].title);
}

void
inv_family_color (InvFamily family, double rgba[4])
{
  g_return_if_fail (family < INV_N_FAMILIES);
  for (int i = 0; i < 4; i++)
    rgba[i] = families[family].rgba[i];
}

InvModelKind
inv_family_kind (InvFamily family, InvModelKind arch)
{
  gboolean conv = arch == INV_MODEL_CNN || arch == INV_MODEL_GCNN;
  if (family == INV_FAMILY_TIED)
    return conv ? INV_MODEL_GCNN : INV_MODEL_TIED_MLP;
  return conv ? INV_MODEL_CNN : INV_MODEL_MLP;
}

InvFamily
inv_family_of_model (const InvModel *model)
{
  if (inv_model_kind_is_tied (model->kind))
    return INV_FAMILY_TIED;
  return model->lambda > 0 ? INV_FAMILY_REGULARIZED : INV_FAMILY_UNCONSTRAINED;
}
