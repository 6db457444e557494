/* Training: the loss falls, the regularizer lowers the invariance error,
 * runs are reproducible from the seed, divergence keeps the last finite
 * weights, and cancellation stops between steps. */
#include "dataset.h"
#include "metrics.h"
#include "model.h"
#include "train.h"
#include <math.h>
#include <string.h>

static InvDataset *
digits (void)
{
  static InvDataset *ds;
  if (!ds)
    {
      g_autoptr (GError) error = NULL;
      ds = inv_dataset_digits (3, 1500, 300, &error);
      g_assert_no_error (error);
    }
  return ds;
}

static InvModel *
train_mlp (double lambda, uint64_t seed, InvOptimizer opt, size_t epochs)
{
  g_autoptr (GError) error = NULL;
  InvModel *m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, seed, &error);
  g_assert_no_error (error);
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.lambda = lambda;
  cfg.seed = seed;
  cfg.optimizer = opt;
  cfg.lr = opt == INV_OPTIMIZER_SGD ? 0.02 : 1e-3;
  cfg.epochs = epochs;
  cfg.limit = 1000;
  g_autoptr (InvTrainer) t = inv_trainer_new (m, digits (), &cfg, &error);
  g_assert_no_error (error);
  g_assert_true (inv_trainer_run (t, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  return m;
}

static InvMetrics
evaluate (InvModel *m)
{
  InvEvalOptions opt;
  inv_eval_options_init (&opt);
  opt.which = INV_METRIC_LOGITS;
  opt.limit = 300;
  InvMetrics r;
  g_autoptr (GError) error = NULL;
  g_assert_true (inv_evaluate (m, &digits ()->test, &opt, &r, &error));
  g_assert_no_error (error);
  return r;
}

typedef struct {
  double first, last;
  size_t calls;
} LossTrace;

static gboolean
trace_cb (const InvTrainProgress *p, gpointer data)
{
  LossTrace *t = data;
  if (t->calls++ == 0)
    t->first = p->loss;
  t->last = p->loss;
  g_assert_cmpuint (p->images, ==, p->step * 64 * 4);
  return TRUE;
}

static void
test_loss_falls (void)
{
  const InvOptimizer opts[] = { INV_OPTIMIZER_ADAM, INV_OPTIMIZER_SGD };
  for (size_t i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, 1, &error);
      InvTrainConfig cfg;
      inv_train_config_init (&cfg);
      cfg.optimizer = opts[i];
      cfg.lr = opts[i] == INV_OPTIMIZER_SGD ? 0.02 : 1e-3;
      cfg.limit = 1024;
      cfg.epochs = 2;
      g_autoptr (InvTrainer) t = inv_trainer_new (m, digits (), &cfg, &error);
      g_assert_no_error (error);
      LossTrace tr = { 0 };
      g_assert_true (inv_trainer_run (t, trace_cb, &tr, NULL, &error));
      g_assert_cmpuint (tr.calls, ==, 32);
      g_test_message ("%s: loss %.3f → %.3f", opts[i] ? "sgd" : "adam", tr.first, tr.last);
      g_assert_cmpfloat (tr.last, <, 0.6 * tr.first);
      InvMetrics r = evaluate (m);
      g_assert_cmpfloat (r.orbit_accuracy, >, 0.3); /* chance is 0.1 */
      g_assert_true (inv_trainer_finished (t));
      InvTrainProgress p;
      g_assert_false (inv_trainer_step (t, &p, &error));
      g_assert_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG);
    }
}

static void
test_regularizer (void)
{
  g_autoptr (InvModel) plain = train_mlp (0, 4, INV_OPTIMIZER_ADAM, 2);
  g_autoptr (InvModel) reg = train_mlp (1, 4, INV_OPTIMIZER_ADAM, 2);
  InvMetrics a = evaluate (plain), b = evaluate (reg);
  g_test_message ("IE λ=0: %.4f, λ=1: %.4f; LI %.4f vs %.4f", a.invariance_error,
                  b.invariance_error, a.logit_invariance, b.logit_invariance);
  g_assert_cmpfloat (b.invariance_error, <, 0.7 * a.invariance_error);
  g_assert_cmpfloat (reg->lambda, ==, 1.0);
  g_assert_nonnull (strstr (reg->train_config, "\"lambda\":1"));
}

static void
test_reproducible (void)
{
  g_autoptr (InvModel) a = train_mlp (1, 9, INV_OPTIMIZER_ADAM, 1);
  g_autoptr (InvModel) b = train_mlp (1, 9, INV_OPTIMIZER_ADAM, 1);
  g_autoptr (InvModel) c = train_mlp (1, 10, INV_OPTIMIZER_ADAM, 1);
  g_assert_cmpmem (a->params, a->n_params * sizeof (float), b->params, b->n_params * sizeof (float));
  g_assert_true (memcmp (a->params, c->params, a->n_params * sizeof (float)) != 0);
}

static void
test_diverges (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, 1, &error);
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.optimizer = INV_OPTIMIZER_SGD;
  cfg.lr = 100;
  cfg.limit = 1500;
  cfg.epochs = 20;
  g_autoptr (InvTrainer) t = inv_trainer_new (m, digits (), &cfg, &error);
  g_assert_no_error (error);
  g_autofree float *before = g_new (float, m->n_params);
  gboolean ok = TRUE;
  size_t steps = 0;
  while (ok && !inv_trainer_finished (t))
    {
      memcpy (before, m->params, m->n_params * sizeof (float));
      InvTrainProgress p;
      ok = inv_trainer_step (t, &p, &error);
      steps++;
    }
  g_assert_false (ok);
  g_assert_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_DIVERGED);
  g_test_message ("after %zu steps: %s", steps, error->message);
  g_autofree char *step = g_strdup_printf ("step %zu", steps);
  g_assert_nonnull (strstr (error->message, step));
  /* the weights are those from before the failing step, all finite */
  g_assert_cmpmem (before, m->n_params * sizeof (float), m->params, m->n_params * sizeof (float));
  for (size_t i = 0; i < m->n_params; i++)
    g_assert_true (isfinite (m->params[i]));
}

static gboolean
cancel_after_3 (const InvTrainProgress *p, gpointer data)
{
  if (p->step == 3)
    g_cancellable_cancel (data);
  return TRUE;
}

static gboolean
stop_after_2 (const InvTrainProgress *p, gpointer data)
{
  return p->step < 2;
}

static void
test_cancel (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (InvModel) m = inv_model_new (INV_MODEL_TIED_MLP, "d4", 28, 28, 10, NULL, 1, &error);
  InvTrainConfig cfg;
  inv_train_config_init (&cfg);
  cfg.limit = 1000;
  g_autoptr (InvTrainer) t = inv_trainer_new (m, digits (), &cfg, &error);
  g_autoptr (GCancellable) c = g_cancellable_new ();
  g_assert_false (inv_trainer_run (t, cancel_after_3, c, c, &error));
  g_assert_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CANCELLED);
  g_assert_nonnull (strstr (error->message, "step 3 of 16"));
  g_clear_error (&error);
  /* the callback can stop it too, and training resumes where it stopped */
  g_autoptr (InvTrainer) t2 = inv_trainer_new (m, digits (), &cfg, &error);
  g_assert_false (inv_trainer_run (t2, stop_after_2, NULL, NULL, &error));
  g_assert_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (inv_trainer_run (t2, NULL, NULL, NULL, &error));
  g_assert_true (inv_trainer_finished (t2));
}

static void
test_config_errors (void)
{
  g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, 1, NULL);
  const struct { const char *what; double lambda, lr; size_t epochs, batch, samples; } cases[] = {
    { "λ", -1, 1e-3, 1, 64, 0 }, { "λ", NAN, 1e-3, 1, 64, 0 },
    { "learning rate", 0, 0, 1, 64, 0 }, { "learning rate", 0, INFINITY, 1, 64, 0 },
    { "epochs", 0, 1e-3, 0, 64, 0 }, { "batch", 0, 1e-3, 1, 0, 0 },
    { "orbit samples", 0, 1e-3, 1, 64, 5 },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      InvTrainConfig cfg;
      inv_train_config_init (&cfg);
      cfg.lambda = cases[i].lambda;
      cfg.lr = cases[i].lr;
      cfg.epochs = cases[i].epochs;
      cfg.batch = cases[i].batch;
      cfg.orbit_samples = cases[i].samples;
      g_autoptr (GError) error = NULL;
      InvTrainer *t = inv_trainer_new (m, digits (), &cfg, &error);
      g_assert_null (t);
      g_assert_error (error, INV_TRAIN_ERROR, INV_TRAIN_ERROR_CONFIG);
      g_assert_nonnull (strstr (error->message, cases[i].what));
    }
}

static void
test_augment_modes (void)
{
  /* none: identity images only, so the penalty is 0 for any model;
   * orbit samples m = 2: the penalty is positive for an mlp. */
  const struct { InvAugment augment; size_t samples; gboolean zero_penalty; } cases[] = {
    { INV_AUGMENT_NONE, 0, TRUE }, { INV_AUGMENT_ORBIT, 2, FALSE }, { INV_AUGMENT_ORBIT, 0, FALSE },
  };
  for (size_t i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (InvModel) m = inv_model_new (INV_MODEL_MLP, "c4", 28, 28, 10, NULL, 1, NULL);
      InvTrainConfig cfg;
      inv_train_config_init (&cfg);
      cfg.augment = cases[i].augment;
      cfg.orbit_samples = cases[i].samples;
      cfg.limit = 128;
      g_autoptr (InvTrainer) t = inv_trainer_new (m, digits (), &cfg, &error);
      InvTrainProgress p;
      g_assert_true (inv_trainer_step (t, &p, &error));
      size_t copies = cases[i].augment == INV_AUGMENT_NONE ? 1 : cases[i].samples ? cases[i].samples : 4;
      g_assert_cmpuint (p.images, ==, 64 * copies);
      if (cases[i].zero_penalty)
        g_assert_cmpfloat (p.penalty, ==, 0.0);
      else
        g_assert_cmpfloat (p.penalty, >, 0.0);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/train/loss-falls", test_loss_falls);
  g_test_add_func ("/train/regularizer", test_regularizer);
  g_test_add_func ("/train/reproducible", test_reproducible);
  g_test_add_func ("/train/diverges", test_diverges);
  g_test_add_func ("/train/cancel", test_cancel);
  g_test_add_func ("/train/config-errors", test_config_errors);
  g_test_add_func ("/train/augment-modes", test_augment_modes);
  return g_test_run ();
}
