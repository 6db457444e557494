/* Severity sweeps over one shift kind, by repeated evaluation. */
#include "sweep.h"

gboolean
inv_sweep_run (InvModel *m, const InvSplit *split, const InvSweepOptions *opt,
               const InvEvalOptions *eval, double *severities, InvMetrics *results,
               GError **error)
{
  g_return_val_if_fail (opt->steps >= 2, FALSE);
  for (size_t s = 0; s < opt->steps; s++)
    {
      double sev = (double) s / (double) (opt->steps - 1);
      InvShiftList list;
      if (opt->base)
        list = *opt->base;
      else
        {
          inv_shift_list_init (&list, opt->seed);
          if (opt->mix_source)
            inv_shift_list_set_mix_source (&list, opt->mix_source, opt->mix_h, opt->mix_w);
        }
      if (!inv_shift_list_add (&list, opt->kind, sev, error))
        return FALSE;
      InvEvalOptions e = *eval;
      e.shifts = &list;
      severities[s] = sev;
      if (!inv_evaluate (m, split, &e, &results[s], error))
        return FALSE;
    }
  return TRUE;
}
