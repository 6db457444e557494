/* Losses: softmax cross-entropy (stable log-sum-exp) and the invariance
 * penalty mean_i mean_g ‖z_ig − z̄_i‖², each with its gradient. Not the
 * metrics (those live in the metrics code) and not the optimizer.
 * Size letters: N rows, K classes, B orbits, G rows per orbit. */
#include "layers.h"
#include <math.h>

double
inv_softmax_xent (float *dlogits, const float *logits, const uint8_t *labels,
                  size_t N, size_t K, float scale)
{
  /* logits (N,K), labels (N) in [0,K), dlogits (N,K) or NULL.
   * CE_i = log Σ_k exp z_ik − z_iy; ∂(mean CE)/∂z_ik = (p_ik − [k = y]) / N. */
  g_return_val_if_fail (K > 0 || N == 0, NAN);
  double total = 0;
  const double gscale = N ? (double) scale / (double) N : 0.0;
  for (size_t i = 0; i < N; i++)
    {
      const float *z = logits + i * K;
      g_return_val_if_fail (labels[i] < K, NAN);
      double m = z[0];
      for (size_t k = 1; k < K; k++)
        m = z[k] > m ? z[k] : m;
      double sum = 0;
      for (size_t k = 0; k < K; k++)
        sum += exp ((double) z[k] - m);
      double lse = m + log (sum);
      total += lse - z[labels[i]];
      if (dlogits)
        {
          float *d = dlogits + i * K;
          for (size_t k = 0; k < K; k++)
            {
              double p = exp ((double) z[k] - lse);
              d[k] = (float) (gscale * (p - (k == labels[i] ? 1.0 : 0.0)));
            }
        }
    }
  return N ? total / (double) N : 0.0;
}

double
inv_invariance_penalty (float *dlogits, const float *logits,
                        size_t B, size_t G, size_t K, float lambda)
{
  /* logits (B, G, K), row i*G+g; dlogits (B, G, K) or NULL, added to.
   * ∂/∂z_ig = 2 (z_ig − z̄_i) / (B·G): the z̄_i terms cancel since the
   * deviations of an orbit sum to zero. */
  if (B == 0 || G == 0)
    return 0.0;
  double total = 0;
  const double gscale = 2.0 * (double) lambda / ((double) B * (double) G);
  for (size_t i = 0; i < B; i++)
    {
      const float *zi = logits + i * G * K;
      for (size_t k = 0; k < K; k++)
        {
          double mean = 0;
          for (size_t g = 0; g < G; g++)
            mean += zi[g * K + k];
          mean /= (double) G;
          for (size_t g = 0; g < G; g++)
            {
              double dev = zi[g * K + k] - mean;
              total += dev * dev;
              if (dlogits)
                dlogits[(i * G + g) * K + k] += (float) (gscale * dev);
            }
        }
    }
  return total / ((double) B * (double) G);
}
