/* InvEvaluator: three long-lived worker threads (lanes), each with one
 * pending slot and at most one running job. The main thread only swaps
 * the slot and flips cancellables under the lock; every job posts one
 * message back (result or not) with g_main_context_invoke_full, so the
 * main thread knows when the evaluator is idle. Each lane keeps its own
 * model copies and group, rebuilt only when the request's models change. */
#include "config.h"
#include "inv-evaluator.h"
#include "inv-trace.h"
#include "metrics.h"
#include "spectrum.h"
#include "sweep.h"
#include "util.h"
#include <glib/gi18n.h>
#include <string.h>
#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

/* A metrics job younger than this finishes when a newer request comes,
 * so the table keeps updating during a drag; an older one is cancelled so
 * the latest request runs next. */
#define METRICS_FINISH_S 1.5

typedef struct {
  GWeakRef evaluator;
} Link;

typedef struct {
  InvEvalRequest *req;
  InvEvalLane lane;
  guint64 serial, generation;
  GCancellable *cancellable;
} Job;

typedef struct {
  InvEvaluator *self;          /* borrowed: joined before it is finalized */
  InvEvalLane id;
  GThread *thread;
  /* under self->lock */
  Job *pending;
  Job *running;
  double started;              /* inv_now () when running started */
  /* worker only */
  InvModelRef *cached_ref[INV_N_FAMILIES];
  InvModel *cached[INV_N_FAMILIES];
  InvGroup *group;
  InvModelRef *sv_ref[INV_N_FAMILIES];
  double *sv[INV_N_FAMILIES];
  size_t n_sv[INV_N_FAMILIES];
} Lane;

typedef struct {
  Link *link;
  InvEvalLane lane;
  guint64 serial, generation;
  InvEvalResult *result;       /* NULL: cancelled */
} Message;

struct _InvEvaluator
{
  GObject parent_instance;

  /* constant after init */
  GMainContext *context;
  Link *link;

  /* shared with the lanes, under lock */
  GMutex lock;
  GCond cond;
  gboolean quit;
  Lane lanes[INV_EVAL_N_LANES];

  /* main thread only */
  guint64 serial;
  guint64 generation;
  guint64 delivered[INV_EVAL_N_LANES];
  guint in_flight[INV_EVAL_N_LANES]; /* jobs accepted, not yet dropped or delivered */
};

G_DEFINE_FINAL_TYPE (InvEvaluator, inv_evaluator, G_TYPE_OBJECT)

enum {
  SIGNAL_RESULT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *const lane_names[INV_EVAL_N_LANES] = { "grid", "metrics", "sweep" };

/* Requests. */

static void
request_clear (gpointer p)
{
  InvEvalRequest *req = p;
  g_clear_pointer (&req->data, inv_data_unref);
  g_clear_pointer (&req->mix, inv_data_unref);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    g_clear_pointer (&req->models[f], inv_model_ref_unref);
  g_clear_pointer (&req->input, g_free);
}

InvEvalRequest *
inv_eval_request_new (InvData *data, const char *group)
{
  g_return_val_if_fail (data != NULL && group != NULL, NULL);
  InvEvalRequest *req = g_atomic_rc_box_new0 (InvEvalRequest);
  req->data = inv_data_ref (data);
  g_strlcpy (req->group, group, sizeof req->group);
  inv_shift_list_init (&req->shifts, 0);
  req->cls = INV_SALIENCY_PREDICTED;
  inv_saliency_options_init (&req->saliency);
  req->eval_images = 256;
  req->sweep_kind = INV_SHIFT_NOISE;
  req->sweep_steps = 6;
  return req;
}

InvEvalRequest *
inv_eval_request_ref (InvEvalRequest *req)
{
  return g_atomic_rc_box_acquire (req);
}

void
inv_eval_request_unref (InvEvalRequest *req)
{
  g_atomic_rc_box_release_full (req, request_clear);
}

void
inv_eval_request_set_input (InvEvalRequest *req, const float *x, size_t index, size_t cls)
{
  const InvDataset *ds = req->data->ds;
  g_free (req->input);
  req->input = g_memdup2 (x, ds->h * ds->w * sizeof (float));
  req->input_index = index;
  req->cls = cls;
}

/* Results, jobs, messages. */

static InvEvalResult *
result_new (const Job *job)
{
  InvEvalResult *res = g_new0 (InvEvalResult, 1);
  res->lane = job->lane;
  res->serial = job->serial;
  res->request = inv_eval_request_ref (job->req);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    inv_metrics_init (&res->metrics[f]);
  return res;
}

static void
result_free (InvEvalResult *res)
{
  if (res == NULL)
    return;
  inv_eval_request_unref (res->request);
  g_clear_error (&res->error);
  g_free (res->shifted);
  g_free (res->orbit);
  g_free (res->severities);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&res->maps[f], inv_orbit_maps_free);
      g_free (res->sv[f]);
      g_free (res->sweep[f]);
    }
  g_free (res);
}

static void
link_clear (gpointer p)
{
  g_weak_ref_clear (&((Link *) p)->evaluator);
}

static void
job_free (Job *job)
{
  if (job == NULL)
    return;
  inv_eval_request_unref (job->req);
  g_object_unref (job->cancellable);
  g_free (job);
}

static void
message_free (gpointer p)
{
  Message *msg = p;
  g_atomic_rc_box_release_full (msg->link, link_clear);
  result_free (msg->result);
  g_free (msg);
}

/* Main thread: accounts for the job and delivers its result unless a
 * newer one of the lane was delivered or everything was cancelled since. */
static gboolean
message_dispatch_cb (gpointer data)
{
  Message *msg = data;
  g_autoptr (InvEvaluator) self = g_weak_ref_get (&msg->link->evaluator);
  if (self == NULL)
    return G_SOURCE_REMOVE;
  self->in_flight[msg->lane]--;
  if (msg->result && msg->generation == self->generation
      && msg->serial > self->delivered[msg->lane])
    {
      self->delivered[msg->lane] = msg->serial;
      g_signal_emit (self, signals[SIGNAL_RESULT], 0, msg->result);
    }
  return G_SOURCE_REMOVE;
}

/* Worker helpers. */

static void
post (Lane *lane, const Job *job, InvEvalResult *result)
{
  Message *msg = g_new0 (Message, 1);
  msg->link = g_atomic_rc_box_acquire (lane->self->link);
  msg->lane = job->lane;
  msg->serial = job->serial;
  msg->generation = job->generation;
  msg->result = result;
  /* The grid's answer is what the person waits for: ahead of redraws. */
  int priority = job->lane == INV_EVAL_LANE_GRID ? G_PRIORITY_HIGH_IDLE : G_PRIORITY_DEFAULT_IDLE;
  g_main_context_invoke_full (lane->self->context, priority, message_dispatch_cb, msg,
                              message_free);
}

static const InvGroup *
lane_group (Lane *lane, const InvEvalRequest *req, GError **error)
{
  const InvDataset *ds = req->data->ds;
  if (lane->group == NULL || strcmp (lane->group->name, req->group) != 0
      || lane->group->h != ds->h || lane->group->w != ds->w)
    {
      g_clear_pointer (&lane->group, inv_group_free);
      lane->group = inv_group_new (req->group, ds->h, ds->w, error);
    }
  return lane->group;
}

/* The lane's own copy of a family's model (models are not thread safe). */
static InvModel *
lane_model (Lane *lane, const InvEvalRequest *req, InvFamily f)
{
  if (req->models[f] == NULL)
    return NULL;
  if (lane->cached_ref[f] != req->models[f])
    {
      g_clear_pointer (&lane->cached[f], inv_model_free);
      g_clear_pointer (&lane->cached_ref[f], inv_model_ref_unref);
      lane->cached[f] = inv_model_copy (req->models[f]->model);
      lane->cached_ref[f] = inv_model_ref_ref (req->models[f]);
    }
  return lane->cached[f];
}

static void
lane_clear_caches (Lane *lane)
{
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      g_clear_pointer (&lane->cached[f], inv_model_free);
      g_clear_pointer (&lane->cached_ref[f], inv_model_ref_unref);
      g_clear_pointer (&lane->sv_ref[f], inv_model_ref_unref);
      g_clear_pointer (&lane->sv[f], g_free);
    }
  g_clear_pointer (&lane->group, inv_group_free);
}

/* The request's shifts with the mix source attached. */
static void
request_shifts (const InvEvalRequest *req, InvShiftList *list)
{
  *list = req->shifts;
  if (req->mix)
    inv_shift_list_set_mix_source (list, &req->mix->ds->test, req->mix->ds->h, req->mix->ds->w);
}

static gboolean
cancelled (const Job *job, GError **error)
{
  return g_cancellable_set_error_if_cancelled (job->cancellable, error);
}

static InvEvalResult *
run_grid (Lane *lane, const Job *job, GError **error)
{
  const InvEvalRequest *req = job->req;
  const InvDataset *ds = req->data->ds;
  if (req->input == NULL)
    {
      g_set_error (error, INV_SALIENCY_ERROR, INV_SALIENCY_ERROR_ARGS, "no input image");
      return NULL;
    }
  const InvGroup *grp = lane_group (lane, req, error);
  if (grp == NULL)
    return NULL;
  InvShiftList list;
  request_shifts (req, &list);
  size_t n = ds->h * ds->w;
  InvEvalResult *res = result_new (job);
  res->G = grp->order;
  res->n = n;
  res->shifted = g_new (float, n);
  res->orbit = g_new (float, grp->order * n);
  if (!inv_shift_apply (&list, req->input_index, res->shifted, req->input, ds->h, ds->w, error))
    goto fail;
  inv_group_orbit (grp, res->orbit, res->shifted);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (cancelled (job, error))
        goto fail;
      InvModel *m = lane_model (lane, req, f);
      if (m == NULL)
        continue;
      res->maps[f] = inv_orbit_maps_compute (m, grp, &req->saliency, res->shifted, req->cls, error);
      if (res->maps[f] == NULL)
        goto fail;
    }
  return res;
fail:
  result_free (res);
  return NULL;
}

static gboolean
lane_singular_values (Lane *lane, const InvEvalRequest *req, InvFamily f, InvEvalResult *res,
                      GError **error)
{
  if (lane->sv_ref[f] != req->models[f])
    {
      g_clear_pointer (&lane->sv[f], g_free);
      g_clear_pointer (&lane->sv_ref[f], inv_model_ref_unref);
      lane->sv[f] = inv_spectrum_model_singular_values (req->models[f]->model, &lane->n_sv[f], error);
      if (lane->sv[f] == NULL)
        return FALSE;
      lane->sv_ref[f] = inv_model_ref_ref (req->models[f]);
    }
  res->sv[f] = g_memdup2 (lane->sv[f], lane->n_sv[f] * sizeof (double));
  res->n_sv[f] = lane->n_sv[f];
  return TRUE;
}

static InvEvalResult *
run_metrics (Lane *lane, const Job *job, GError **error)
{
  const InvEvalRequest *req = job->req;
  const InvDataset *ds = req->data->ds;
  const InvGroup *grp = lane_group (lane, req, error);
  if (grp == NULL)
    return NULL;
  InvShiftList list;
  request_shifts (req, &list);
  InvEvalResult *res = result_new (job);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (cancelled (job, error))
        goto fail;
      InvModel *m = lane_model (lane, req, f);
      if (m == NULL)
        continue;
      if (req->metrics[f])
        {
          InvEvalOptions opt;
          inv_eval_options_init (&opt);
          opt.which = INV_METRIC_LOGITS | INV_METRIC_SIS | INV_METRIC_NONINVARIANT_ENERGY;
          opt.limit = MIN (req->eval_images, ds->test.n);
          opt.group = grp;
          opt.shifts = inv_shift_list_is_identity (&list) ? NULL : &list;
          opt.seed = req->seed;
          opt.cancellable = job->cancellable;
          if (!inv_evaluate (m, &ds->test, &opt, &res->metrics[f], error))
            goto fail;
          res->evaluated[f] = TRUE;
        }
      if (req->spectrum[f] && !lane_singular_values (lane, req, f, res, error))
        goto fail;
    }
  return res;
fail:
  result_free (res);
  return NULL;
}

static InvEvalResult *
run_sweep (Lane *lane, const Job *job, GError **error)
{
  const InvEvalRequest *req = job->req;
  const InvDataset *ds = req->data->ds;
  const InvGroup *grp = lane_group (lane, req, error);
  if (grp == NULL)
    return NULL;
  InvShiftList list, base;
  request_shifts (req, &list);
  /* The swept kind is appended to the others, which stay where they are. */
  base = list;
  base.n = 0;
  for (size_t i = 0; i < list.n; i++)
    if (list.items[i].kind != req->sweep_kind)
      base.items[base.n++] = list.items[i];
  size_t steps = MAX (req->sweep_steps, (size_t) 2);
  InvEvalResult *res = result_new (job);
  res->steps = steps;
  res->severities = g_new (double, steps);
  for (int f = 0; f < INV_N_FAMILIES; f++)
    {
      if (cancelled (job, error))
        goto fail;
      InvModel *m = lane_model (lane, req, f);
      if (m == NULL)
        continue;
      InvSweepOptions sopt = { .kind = req->sweep_kind, .steps = steps, .base = &base };
      InvEvalOptions eval;
      inv_eval_options_init (&eval);
      eval.which = INV_METRIC_LOGITS | INV_METRIC_SIS;
      eval.limit = MIN (req->eval_images, ds->test.n);
      eval.group = grp;
      eval.seed = req->seed;
      eval.cancellable = job->cancellable;
      res->sweep[f] = g_new (InvMetrics, steps);
      if (!inv_sweep_run (m, &ds->test, &sopt, &eval, res->severities, res->sweep[f], error))
        goto fail;
    }
  return res;
fail:
  result_free (res);
  return NULL;
}

/* Metrics and sweeps yield the CPU to the grid lane and the main thread;
 * on Linux the nice value of a thread is its own. */
static void
lower_thread_priority (int nice_value)
{
#ifdef __linux__
  pid_t tid = (pid_t) syscall (SYS_gettid);
  if (nice_value > 0 && setpriority (PRIO_PROCESS, (id_t) tid, nice_value) != 0)
    g_debug ("cannot lower the evaluator's priority");
#endif
}

static gpointer
lane_main (gpointer data)
{
  Lane *lane = data;
  InvEvaluator *self = lane->self;
  lower_thread_priority (lane->id == INV_EVAL_LANE_GRID ? 0 : lane->id == INV_EVAL_LANE_METRICS ? 5 : 10);
  g_mutex_lock (&self->lock);
  for (;;)
    {
      while (!self->quit && lane->pending == NULL)
        g_cond_wait (&self->cond, &self->lock);
      if (self->quit)
        break;
      Job *job = g_steal_pointer (&lane->pending);
      lane->running = job;
      lane->started = inv_now ();
      g_mutex_unlock (&self->lock);

      inv_trace ("eval-start", "lane=%s serial=%" G_GUINT64_FORMAT, lane_names[lane->id], job->serial);
      double t0 = inv_now ();
      GError *error = NULL;
      InvEvalResult *res = NULL;
      switch (lane->id)
        {
        case INV_EVAL_LANE_GRID:
          res = run_grid (lane, job, &error);
          break;
        case INV_EVAL_LANE_METRICS:
          res = run_metrics (lane, job, &error);
          break;
        case INV_EVAL_LANE_SWEEP:
        default:
          res = run_sweep (lane, job, &error);
          break;
        }
      double seconds = inv_now () - t0;
      gboolean was_cancelled = g_cancellable_is_cancelled (job->cancellable);
      if (res == NULL && !was_cancelled)
        {
          res = result_new (job);
          res->error = error ? g_steal_pointer (&error)
                             : g_error_new_literal (INV_METRICS_ERROR, INV_METRICS_ERROR_ARGS,
                                                    _("The evaluation failed"));
        }
      g_clear_error (&error);
      if (res)
        res->seconds = seconds;
      inv_trace (was_cancelled ? "eval-cancelled" : "eval-finish",
                 "lane=%s serial=%" G_GUINT64_FORMAT " us=%" G_GINT64_FORMAT,
                 lane_names[lane->id], job->serial, (gint64) (seconds * 1e6));

      g_mutex_lock (&self->lock);
      lane->running = NULL;
      g_mutex_unlock (&self->lock);
      if (was_cancelled)
        g_clear_pointer (&res, result_free);
      post (lane, job, res);
      job_free (job);
      g_mutex_lock (&self->lock);
    }
  g_mutex_unlock (&self->lock);
  lane_clear_caches (lane);
  return NULL;
}

/* Call with the lock held. */
static gboolean
should_cancel_running (InvEvaluator *self, Lane *lane)
{
  if (lane->running == NULL)
    return FALSE;
  if (lane->id != INV_EVAL_LANE_METRICS || lane->running->generation != self->generation)
    return TRUE;
  return inv_now () - lane->started > METRICS_FINISH_S;
}

/* Overrides. */

static void
inv_evaluator_dispose (GObject *object)
{
  InvEvaluator *self = INV_EVALUATOR (object);
  g_mutex_lock (&self->lock);
  self->quit = TRUE;
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    if (self->lanes[l].running)
      g_cancellable_cancel (self->lanes[l].running->cancellable);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    if (self->lanes[l].thread)
      g_thread_join (g_steal_pointer (&self->lanes[l].thread));
  G_OBJECT_CLASS (inv_evaluator_parent_class)->dispose (object);
}

static void
inv_evaluator_finalize (GObject *object)
{
  InvEvaluator *self = INV_EVALUATOR (object);
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    g_clear_pointer (&self->lanes[l].pending, job_free);
  g_atomic_rc_box_release_full (self->link, link_clear);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (inv_evaluator_parent_class)->finalize (object);
}

static void
inv_evaluator_class_init (InvEvaluatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->dispose = inv_evaluator_dispose;
  object_class->finalize = inv_evaluator_finalize;
  signals[SIGNAL_RESULT] =
    g_signal_new ("result", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
inv_evaluator_init (InvEvaluator *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  self->context = g_main_context_ref_thread_default ();
  self->link = g_atomic_rc_box_new0 (Link);
  g_weak_ref_init (&self->link->evaluator, self);
  static const char *const thread_names[INV_EVAL_N_LANES] = { "inv-eval-grid", "inv-eval-metrics",
                                                              "inv-eval-sweep" };
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    {
      Lane *lane = &self->lanes[l];
      lane->self = self;
      lane->id = l;
      lane->thread = g_thread_new (thread_names[l], lane_main, lane);
    }
}

/* Public API. */

InvEvaluator *
inv_evaluator_new (void)
{
  return g_object_new (INV_TYPE_EVALUATOR, NULL);
}

guint64
inv_evaluator_submit (InvEvaluator *self, guint lanes, InvEvalRequest *req)
{
  g_return_val_if_fail (INV_IS_EVALUATOR (self), 0);
  g_return_val_if_fail (req != NULL, 0);
  guint64 serial = ++self->serial;
  g_mutex_lock (&self->lock);
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    {
      if (!(lanes & INV_EVAL_LANE_BIT (l)))
        continue;
      Lane *lane = &self->lanes[l];
      Job *job = g_new0 (Job, 1);
      job->req = inv_eval_request_ref (req);
      job->lane = l;
      job->serial = serial;
      job->generation = self->generation;
      job->cancellable = g_cancellable_new ();
      if (lane->pending)
        {
          /* Superseded before it ran. */
          g_clear_pointer (&lane->pending, job_free);
          self->in_flight[l]--;
        }
      lane->pending = job;
      self->in_flight[l]++;
      if (should_cancel_running (self, lane))
        g_cancellable_cancel (lane->running->cancellable);
    }
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return serial;
}

void
inv_evaluator_cancel_all (InvEvaluator *self)
{
  g_return_if_fail (INV_IS_EVALUATOR (self));
  self->generation++;
  g_mutex_lock (&self->lock);
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    {
      Lane *lane = &self->lanes[l];
      if (lane->pending)
        {
          g_clear_pointer (&lane->pending, job_free);
          self->in_flight[l]--;
        }
      if (lane->running)
        g_cancellable_cancel (lane->running->cancellable);
    }
  g_mutex_unlock (&self->lock);
}

gboolean
inv_evaluator_is_idle (InvEvaluator *self)
{
  g_return_val_if_fail (INV_IS_EVALUATOR (self), TRUE);
  for (int l = 0; l < INV_EVAL_N_LANES; l++)
    if (self->in_flight[l] > 0)
      return FALSE;
  return TRUE;
}

gboolean
inv_evaluator_lane_busy (InvEvaluator *self, InvEvalLane lane)
{
  g_return_val_if_fail (INV_IS_EVALUATOR (self), FALSE);
  g_return_val_if_fail (lane < INV_EVAL_N_LANES, FALSE);
  return self->in_flight[lane] > 0;
}
