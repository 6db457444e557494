/* Mini-batch training of one model: each base image is expanded to its
 * orbit (or m sampled group elements, or the identity alone), the loss is
 * CE + λ·invariance error, and Adam or SGD updates the flat parameter block.
 * A model invariant by construction gives every orbit copy the same logits
 * and parameter gradient, so its orbit copies share one forward and backward
 * pass (the same loss and gradient, a |orbit|-th of the work).
 * Deterministic from the seed for a fixed thread count. */
#include "train.h"
#include "blas.h"
#include "layers.h"
#include "json.h"
#include "rng.h"
#include "util.h"
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (inv-train-error-quark, inv_train_error)

struct InvTrainer {
  InvModel *model;            /* borrowed */
  const InvDataset *ds;       /* borrowed */
  InvTrainConfig cfg;
  size_t n_train;
  size_t m;                   /* orbit copies per base image */
  size_t *order;              /* (n_train) shuffled indices of this epoch */
  size_t pos;                 /* next position in order */
  size_t epoch;               /* 0-based, current */
  size_t step, steps_per_epoch, total_steps;
  size_t images;
  gboolean shared;            /* orbit copies share one pass (invariant model) */
  float lut[256];             /* pixel byte → [0,1] */
  float *x;                   /* (batch*m, n) orbit-expanded inputs (shared: (batch, n)) */
  float *logits, *dlogits;    /* (batch*m, K) */
  uint8_t *labels;            /* (batch*m) */
  size_t *elems;              /* (G) scratch for sampling group elements */
  float *adam_m, *adam_v;     /* (n_params) optimizer state (SGD uses adam_m as velocity) */
  InvRng sample_rng;
  double t_start, t_spent;
};

void
inv_train_config_init (InvTrainConfig *cfg)
{
  memset (cfg, 0, sizeof *cfg);
  cfg->lambda = 0;
  cfg->augment = INV_AUGMENT_ORBIT;
  cfg->orbit_samples = 0;
  cfg->epochs = 1;
  cfg->batch = 64;
  cfg->optimizer = INV_OPTIMIZER_ADAM;
  cfg->lr = 1e-3;
  cfg->momentum = 0.9;
  cfg->beta1 = 0.9;
  cfg->beta2 = 0.999;
  cfg->eps = 1e-8;
  cfg->seed = 1;
  cfg->limit = 0;
  cfg->share_orbits = TRUE;
}

char *
inv_train_config_to_json (const InvTrainConfig *cfg, const char *dataset, int threads)
{
  char a[G_ASCII_DTOSTR_BUF_SIZE], b[G_ASCII_DTOSTR_BUF_SIZE];
  GString *s = g_string_new ("{\"dataset\":");
  inv_json_escape (s, dataset ? dataset : "");
  g_string_append_printf (s, ",\"lambda\":%s,\"augment\":\"%s\",\"orbit_samples\":%zu,"
                          "\"epochs\":%zu,\"batch\":%zu,\"optimizer\":\"%s\",\"lr\":%s,"
                          "\"seed\":%" G_GUINT64_FORMAT ",\"limit\":%zu,\"threads\":%d}",
                          g_ascii_formatd (a, sizeof a, "%.17g", cfg->lambda),
                          cfg->augment == INV_AUGMENT_ORBIT ? "orbit" : "none",
                          cfg->orbit_samples, cfg->epochs, cfg->batch,
                          cfg->optimizer == INV_OPTIMIZER_ADAM ? "adam" : "sgd",
                          g_ascii_formatd (b, sizeof b, "%.17g", cfg->lr),
                          cfg->seed, cfg->limit, threads);
  return g_string_free (s, FALSE);
}

static gboolean
check_config (const InvTrainConfig *c, const InvModel *m, GError **error)
{
  const char *problem = NULL;
  if (!isfinite (c->lambda) || c->lambda < 0)
    problem = "λ must be a finite number ≥ 0";
  else if (c->epochs < 1 || c->epochs > 100000)
    problem = "epochs must be from 1 to 100000";
  else if (c->batch < 1 || c->batch > 65536)
    problem = "batch must be from 1 to 65536";
  else if (!isfinite (c->lr) || c->lr <= 0 || c->lr > 100)
    problem = "learning rate must be in (0, 100]";
  else if (c->orbit_samples > m->group->order)
    problem = "orbit samples cannot exceed the group order";
  if (problem)
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG, "%s", problem);
      return FALSE;
    }
  return TRUE;
}

InvTrainer *
inv_trainer_new (InvModel *model, const InvDataset *ds, const InvTrainConfig *cfg, GError **error)
{
  if (!check_config (cfg, model, error))
    return NULL;
  if (ds->h != model->h || ds->w != model->w || ds->n_classes > model->n_classes)
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG,
                   "data set %s (%zu×%zu, %zu classes) does not fit the model (%zu×%zu, %zu classes)",
                   ds->name, ds->h, ds->w, ds->n_classes, model->h, model->w, model->n_classes);
      return NULL;
    }
  size_t n_train = cfg->limit ? MIN (cfg->limit, ds->train.n) : ds->train.n;
  if (n_train == 0)
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG, "no training images");
      return NULL;
    }
  InvTrainer *t = g_new0 (InvTrainer, 1);
  t->model = model;
  t->ds = ds;
  t->cfg = *cfg;
  t->n_train = n_train;
  size_t G = model->group->order;
  t->m = cfg->augment == INV_AUGMENT_NONE ? 1 : (cfg->orbit_samples ? cfg->orbit_samples : G);
  size_t batch = MIN (cfg->batch, n_train);
  t->cfg.batch = batch;
  t->steps_per_epoch = (n_train + batch - 1) / batch;
  t->total_steps = t->steps_per_epoch * cfg->epochs;
  size_t n = model->h * model->w, rows = batch * t->m, K = model->n_classes;
  t->order = g_new (size_t, n_train);
  t->elems = g_new (size_t, G);
  t->labels = g_new (uint8_t, rows);
  t->shared = cfg->share_orbits && inv_model_kind_is_tied (model->kind) && t->m > 1;
  for (int v = 0; v < 256; v++)
    t->lut[v] = v / 255.0f; /* as inv_split_get_image */
  if (!(t->x = inv_floats_new (rows * n, error))
      || !(t->logits = inv_floats_new (rows * K, error))
      || !(t->dlogits = inv_floats_new (rows * K, error))
      || !(t->adam_m = inv_floats_new (model->n_params, error))
      || !(t->adam_v = inv_floats_new (model->n_params, error)))
    {
      inv_trainer_free (t);
      return NULL;
    }
  inv_rng_init_stream (&t->sample_rng, cfg->seed, 0x5a3b, 0);

  /* The model remembers how it was trained and how to standardize inputs. */
  model->mean = (float) ds->mean;
  model->std = (float) (ds->std > 1e-6 ? ds->std : 1.0);
  model->lambda = cfg->lambda;
  g_free (model->dataset);
  model->dataset = g_strdup (ds->name);
  g_free (model->train_config);
  model->train_config = inv_train_config_to_json (cfg, ds->name, inv_model_threads ());
  g_strfreev (model->class_names);
  model->class_names = g_strdupv (ds->class_names);
  return t;
}

void
inv_trainer_free (InvTrainer *t)
{
  if (!t)
    return;
  g_free (t->order);
  g_free (t->elems);
  g_free (t->labels);
  inv_free (t->x);
  inv_free (t->logits);
  inv_free (t->dlogits);
  inv_free (t->adam_m);
  inv_free (t->adam_v);
  g_free (t);
}

gboolean
inv_trainer_finished (const InvTrainer *t)
{
  return t->step >= t->total_steps;
}

/* Fills t->x with the orbit copies of the next base images (shared: the
 * base images alone), gathered straight from the bytes; returns the number
 * of base images. */
static size_t
fill_batch (InvTrainer *t)
{
  if (t->pos == 0)
    {
      InvRng r;
      inv_rng_init_stream (&r, t->cfg.seed, 0x5f1e, t->epoch);
      for (size_t i = 0; i < t->n_train; i++)
        t->order[i] = i;
      inv_rng_shuffle (&r, t->order, t->n_train);
    }
  const InvGroup *grp = t->model->group;
  size_t n = t->model->h * t->model->w, G = grp->order;
  size_t B = MIN (t->cfg.batch, t->n_train - t->pos);
  size_t copies = t->shared ? 1 : t->m;
  for (size_t i = 0; i < B; i++)
    {
      size_t idx = t->order[t->pos + i];
      const uint8_t *px = t->ds->train.images + idx * n;
      if (t->shared || t->m == 1)
        t->elems[0] = 0; /* an invariant model sees any orbit copy as the identity */
      else if (t->m == G)
        for (size_t g = 0; g < G; g++)
          t->elems[g] = g;
      else
        {
          /* m distinct random elements: a partial Fisher-Yates shuffle */
          for (size_t g = 0; g < G; g++)
            t->elems[g] = g;
          for (size_t j = 0; j < t->m; j++)
            {
              size_t k = j + (size_t) inv_rng_below (&t->sample_rng, G - j);
              size_t tmp = t->elems[j];
              t->elems[j] = t->elems[k];
              t->elems[k] = tmp;
            }
        }
      for (size_t j = 0; j < copies; j++)
        {
          /* (g·x)[p] = x[perm_g[p]], converted on the way */
          float *dst = t->x + (i * copies + j) * n;
          const uint32_t *perm = grp->perm + t->elems[j] * n;
          if (t->elems[j] == 0)
            for (size_t p = 0; p < n; p++)
              dst[p] = t->lut[px[p]];
          else
            for (size_t p = 0; p < n; p++)
              dst[p] = t->lut[px[perm[p]]];
          t->labels[i * copies + j] = t->ds->train.labels[idx];
        }
    }
  t->pos += B;
  return B;
}

/* No NaN or Inf in x: tests the exponent bits, so the loop vectorizes. */
INV_HOT static gboolean
all_finite (const float *x, size_t n)
{
  const uint32_t *u = (const uint32_t *) x;
  uint32_t bad = 0;
  for (size_t i = 0; i < n; i++)
    bad |= (uint32_t) ((u[i] & 0x7f800000u) == 0x7f800000u);
  return bad == 0;
}

/* One Adam step over n parameters, bias correction folded into lr_t. */
INV_HOT static void
adam_update (float *restrict p, const float *restrict g, float *restrict mm,
             float *restrict vv, size_t n, float b1, float b2, float lr_t, float eps)
{
  for (size_t i = 0; i < n; i++)
    {
      float gi = g[i];
      float m = b1 * mm[i] + (1 - b1) * gi;
      float v = b2 * vv[i] + (1 - b2) * gi * gi;
      mm[i] = m;
      vv[i] = v;
      p[i] -= lr_t * m / (sqrtf (v) + eps);
    }
}

INV_HOT static void
sgd_update (float *restrict p, const float *restrict g, float *restrict mm, size_t n,
            float mu, float lr)
{
  for (size_t i = 0; i < n; i++)
    {
      mm[i] = mu * mm[i] + g[i];
      p[i] -= lr * mm[i];
    }
}

typedef struct {
  InvTrainer *t;
  float lr_t;   /* Adam: learning rate with the bias correction */
} Update;

/* Each parameter's update depends on it alone: any split of the range
 * gives the same bits. */
static void
update_range (gpointer data, size_t begin, size_t end)
{
  const Update *u = data;
  InvModel *m = u->t->model;
  const InvTrainConfig *c = &u->t->cfg;
  size_t n = end - begin;
  if (c->optimizer == INV_OPTIMIZER_SGD)
    sgd_update (m->params + begin, m->grads + begin, u->t->adam_m + begin, n,
                (float) c->momentum, (float) c->lr);
  else
    adam_update (m->params + begin, m->grads + begin, u->t->adam_m + begin,
                 u->t->adam_v + begin, n, (float) c->beta1, (float) c->beta2, u->lr_t,
                 (float) c->eps);
}

static void
update (InvTrainer *t)
{
  const InvTrainConfig *c = &t->cfg;
  double k = (double) t->step + 1;
  Update u = { t, (float) (c->lr * sqrt (1 - pow (c->beta2, k)) / (1 - pow (c->beta1, k))) };
  inv_model_parallel_for (t->model->n_params, 16384, update_range, &u);
}

gboolean
inv_trainer_step (InvTrainer *t, InvTrainProgress *progress, GError **error)
{
  if (inv_trainer_finished (t))
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG, "training is already finished");
      return FALSE;
    }
  double t0 = inv_now ();
  InvModel *model = t->model;
  size_t B = fill_batch (t), rows = t->shared ? B : B * t->m, K = model->n_classes;
  if (!inv_model_forward (model, t->logits, t->x, rows, error))
    return FALSE;
  /* Shared orbits: the mean CE over (i, g) is the mean over i, its gradient
   * with respect to the one shared logit row is the sum over the copies, and
   * the invariance error is 0. */
  double ce = inv_softmax_xent (t->dlogits, t->logits, t->labels, rows, K, 1.0f);
  double pen = t->shared ? 0.0
                         : inv_invariance_penalty (t->cfg.lambda > 0 ? t->dlogits : NULL, t->logits,
                                                   B, t->m, K, (float) t->cfg.lambda);
  double loss = ce + t->cfg.lambda * pen;
  if (!isfinite (loss))
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_DIVERGED,
                   "the loss became %s at step %zu (epoch %zu); kept the weights of step %zu — "
                   "try a smaller learning rate", isnan (loss) ? "NaN" : "infinite",
                   t->step + 1, t->epoch + 1, t->step);
      return FALSE;
    }
  inv_model_zero_grad (model);
  inv_model_backward (model, NULL, t->dlogits, rows, TRUE);
  if (!all_finite (model->grads, model->n_params))
    {
      g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_DIVERGED,
                   "the gradient became non-finite at step %zu (epoch %zu); kept the weights "
                   "of step %zu — try a smaller learning rate", t->step + 1, t->epoch + 1, t->step);
      return FALSE;
    }
  update (t);
  t->step++;
  t->images += B * t->m;
  gboolean epoch_done = t->pos >= t->n_train;
  if (epoch_done)
    {
      t->pos = 0;
      t->epoch++;
    }
  t->t_spent += inv_now () - t0;
  if (progress)
    {
      progress->epoch = epoch_done ? t->epoch : t->epoch + 1;
      progress->epochs = t->cfg.epochs;
      progress->step = t->step;
      progress->total_steps = t->total_steps;
      progress->images = t->images;
      progress->loss = loss;
      progress->ce = ce;
      progress->penalty = pen;
      progress->elapsed = t->t_spent;
      progress->images_per_sec = t->t_spent > 0 ? t->images / t->t_spent : 0;
      progress->eta = t->t_spent / t->step * (t->total_steps - t->step);
      progress->epoch_done = epoch_done;
    }
  return TRUE;
}

gboolean
inv_trainer_run (InvTrainer *t, InvTrainProgressFunc cb, gpointer user_data,
                 GCancellable *cancellable, GError **error)
{
  while (!inv_trainer_finished (t))
    {
      if (g_cancellable_is_cancelled (cancellable))
        goto cancelled;
      InvTrainProgress p;
      if (!inv_trainer_step (t, &p, error))
        return FALSE;
      if (cb && !cb (&p, user_data))
        goto cancelled;
    }
  return TRUE;
cancelled:
  g_set_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CANCELLED,
               "training cancelled at step %zu of %zu", t->step, t->total_steps);
  return FALSE;
}
