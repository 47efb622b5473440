/* SolveBak, the least-squares ANN, model files and the schedule report for
 * the starbak package. */
#include "_starbak.h"
#include "internal/report.h" /* the schedule report library, linked into the module */
#include <stdlib.h>
#include <string.h>

/* --- progress callbacks: back into Python with the GIL ----------------------
 * A callback that raises cancels the run; its exception is raised once the
 * tasks have drained. */
typedef struct {
    PyObject *callable;           /* or None */
    PyObject *exc, *value, *trace; /* the callback's exception, kept for the caller */
} progress_hook;

static void call_hook(progress_hook *h, PyObject *args)
{
    if (!args || h->exc) {
        Py_XDECREF(args);
        return;
    }
    sbkpy_in_callback = 1;
    PyObject *r = PyObject_CallObject(h->callable, args);
    sbkpy_in_callback = 0;
    Py_DECREF(args);
    if (r) {
        Py_DECREF(r);
        return;
    }
    PyErr_Fetch(&h->exc, &h->value, &h->trace);
    if (!h->exc) /* a callback returning NULL without an exception */
        h->exc = PyExc_SystemError, Py_INCREF(h->exc);
    sbk_cancel();
}

static void solvebak_progress(int iteration, double rel, double seconds, void *user)
{
    progress_hook *h = user;
    PyGILState_STATE g = PyGILState_Ensure();
    call_hook(h, Py_BuildValue("(idd)", iteration, rel, seconds));
    PyGILState_Release(g);
}

static void ann_progress(int done, int total, void *user)
{
    progress_hook *h = user;
    PyGILState_STATE g = PyGILState_Ensure();
    call_hook(h, Py_BuildValue("(ii)", done, total));
    PyGILState_Release(g);
}

/* After the run: the callback's exception wins over the library's code. */
static PyObject *hook_raise(progress_hook *h)
{
    if (!h->exc)
        return NULL;
    PyErr_Restore(h->exc, h->value, h->trace);
    h->exc = h->value = h->trace = NULL;
    return NULL;
}

static PyObject *int_list(const int *v, int n)
{
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++)
        PyList_SetItem(l, i, PyLong_FromLong(v[i]));
    return l;
}

static PyObject *double_list(const double *v, int n)
{
    PyObject *l = PyList_New(n);
    for (int i = 0; l && i < n; i++)
        PyList_SetItem(l, i, PyFloat_FromDouble(v[i]));
    return l;
}

/* --- SolveBak ---------------------------------------------------------------- */
typedef struct {
    sbkpy_operand X, y, a;
    int mb, nb;
    sbk_solvebak_opts opts;
    sbk_solvebak_report report;
} solvebak_job;

static int run_solvebak(void *arg)
{
    solvebak_job *j = arg;
    sbk_matrix *X = NULL, *y = NULL, *a = NULL;
    int ret = sbkpy_operand_matrix(&j->X, j->mb, j->nb, &X);
    if (ret == SBK_SUCCESS)
        ret = sbkpy_operand_matrix(&j->y, j->mb, 1, &y);
    if (ret == SBK_SUCCESS)
        ret = sbkpy_operand_matrix(&j->a, j->nb, 1, &a);
    if (ret == SBK_SUCCESS)
        ret = sbk_solvebak(X, y, a, &j->opts, &j->report);
    if (a)
        sbk_matrix_destroy(a);
    if (y)
        sbk_matrix_destroy(y);
    if (X)
        sbk_matrix_destroy(X);
    return ret;
}

static PyObject *solvebak_report_dict(const sbk_solvebak_report *r)
{
    return Py_BuildValue("{s:i,s:N,s:d,s:N,s:i,s:d,s:d,s:d,s:s}", "iterations", r->iterations, "rel_residual",
                         double_list(r->rel_residual, r->iterations), "final_rel_residual", r->final_rel_residual,
                         "skipped", int_list(r->skipped, r->nskipped), "regularized_batches", r->nregularized,
                         "seconds_setup", r->seconds_setup, "seconds_iterations", r->seconds_iterations,
                         "seconds_total", r->seconds_total, "message", r->message);
}

PyObject *sbkpy_solvebak(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *Xo, *yo, *ao, *progress;
    int method, guess;
    solvebak_job j;
    memset(&j, 0, sizeof j);
    sbk_solvebak_opts_default(&j.opts);
    if (!PyArg_ParseTuple(args, "OiiOOiiidpO", &Xo, &j.mb, &j.nb, &yo, &ao, &method, &j.opts.batch,
                          &j.opts.max_iterations, &j.opts.tolerance, &guess, &progress))
        return NULL;
    j.opts.method = (sbk_solvebak_method)method, j.opts.use_initial_guess = guess;
    progress_hook hook = {progress, NULL, NULL, NULL};
    if (progress != Py_None)
        j.opts.progress = solvebak_progress, j.opts.user = &hook;
    PyObject *result = NULL;
    if (sbkpy_operand_get(Xo, 0, "X", &j.X) == 0 && sbkpy_operand_get(yo, 0, "y", &j.y) == 0 &&
        sbkpy_operand_get(ao, 1, "a", &j.a) == 0) {
        int raised, ret = sbkpy_run(run_solvebak, &j, &raised);
        if (hook.exc)
            result = hook_raise(&hook);
        else if (raised || ret != SBK_SUCCESS)
            result = sbkpy_finish(ret, raised, j.report.message);
        else
            result = solvebak_report_dict(&j.report);
    }
    sbk_solvebak_report_free(&j.report);
    sbkpy_operand_release(&j.a), sbkpy_operand_release(&j.y), sbkpy_operand_release(&j.X);
    return result;
}

/* --- the ANN ------------------------------------------------------------------ */
static PyObject *model_tuple(const sbk_ann_model *m)
{
    return Py_BuildValue("(iiiiy#y#dd)", (int)m->prec, m->vars, m->neurons, m->bias, (const char *)m->W,
                         (Py_ssize_t)((size_t)(m->vars + 1) * m->neurons * sizeof(double)), (const char *)m->v,
                         (Py_ssize_t)((m->neurons + 1) * sizeof(double)), m->y_center, m->y_scale);
}

/* A model from model_tuple's form; W and v point into the tuple's bytes,
 * which must outlive the model's use. */
static int model_from_tuple(PyObject *t, sbk_ann_model *m)
{
    int prec;
    const char *W, *v;
    Py_ssize_t wlen, vlen;
    memset(m, 0, sizeof *m);
    if (!PyArg_ParseTuple(t, "iiiiy#y#dd", &prec, &m->vars, &m->neurons, &m->bias, &W, &wlen, &v, &vlen,
                          &m->y_center, &m->y_scale))
        return -1;
    if (m->vars < 1 || m->neurons < 1 || wlen != (Py_ssize_t)((size_t)(m->vars + 1) * m->neurons * sizeof(double)) ||
        vlen != (Py_ssize_t)((m->neurons + 1) * sizeof(double)) || (prec != SBK_FLOAT && prec != SBK_DOUBLE)) {
        PyErr_SetString(PyExc_ValueError, "malformed model: W must hold (vars + 1) x neurons and v neurons + 1 "
                                          "float64 values");
        return -1;
    }
    m->prec = (sbk_precision)prec, m->W = (double *)W, m->v = (double *)v;
    return 0;
}

typedef struct {
    sbkpy_operand X, y;
    int mb, scale_y;
    sbk_ann_opts opts;
    sbk_ann_model model;
    sbk_ann_report report;
} ann_fit_job;

static int run_ann_fit(void *arg)
{
    ann_fit_job *j = arg;
    sbk_matrix *X = NULL, *y = NULL;
    int ret = sbkpy_operand_matrix(&j->X, j->mb, j->X.cols, &X);
    if (ret == SBK_SUCCESS)
        ret = sbkpy_operand_matrix(&j->y, j->mb, 1, &y);
    if (ret == SBK_SUCCESS)
        ret = sbk_ann_fit(X, y, j->scale_y, &j->opts, &j->model, &j->report);
    if (y)
        sbk_matrix_destroy(y);
    if (X)
        sbk_matrix_destroy(X);
    return ret;
}

static PyObject *ann_report_dict(const sbk_ann_report *r)
{
    return Py_BuildValue("{s:N,s:i,s:d,s:d,s:d,s:d,s:s}", "dropped", int_list(r->dropped_list, r->dropped), "redrawn",
                         r->redrawn, "ridge_used", r->ridge_used, "seconds_inner", r->seconds_inner, "seconds_outer",
                         r->seconds_outer, "seconds_total", r->seconds_total, "message", r->message);
}

PyObject *sbkpy_ann_fit(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *Xo, *yo, *progress;
    unsigned long long seed;
    ann_fit_job j;
    memset(&j, 0, sizeof j);
    sbk_ann_opts_default(&j.opts);
    if (!PyArg_ParseTuple(args, "OiOpiipdKiO", &Xo, &j.mb, &yo, &j.scale_y, &j.opts.neurons, &j.opts.rows_per_neuron,
                          &j.opts.bias, &j.opts.ridge, &seed, &j.opts.neurons_per_task, &progress))
        return NULL;
    j.opts.seed = seed;
    progress_hook hook = {progress, NULL, NULL, NULL};
    if (progress != Py_None)
        j.opts.progress = ann_progress, j.opts.user = &hook;
    PyObject *result = NULL;
    if (sbkpy_operand_get(Xo, 0, "X", &j.X) == 0 && sbkpy_operand_get(yo, 0, "y", &j.y) == 0) {
        int raised, ret = sbkpy_run(run_ann_fit, &j, &raised);
        if (hook.exc)
            result = hook_raise(&hook);
        else if (raised || ret != SBK_SUCCESS)
            result = sbkpy_finish(ret, raised, j.report.message);
        else
            result = Py_BuildValue("(NN)", model_tuple(&j.model), ann_report_dict(&j.report));
    }
    sbk_ann_model_free(&j.model);
    sbk_ann_report_free(&j.report);
    sbkpy_operand_release(&j.y), sbkpy_operand_release(&j.X);
    return result;
}

typedef struct {
    sbk_ann_model model;
    sbkpy_operand X, yhat;
    int mb;
} ann_predict_job;

static int run_ann_predict(void *arg)
{
    ann_predict_job *j = arg;
    sbk_matrix *X = NULL, *yhat = NULL;
    int ret = sbkpy_operand_matrix(&j->X, j->mb, j->X.cols, &X);
    if (ret == SBK_SUCCESS)
        ret = sbkpy_operand_matrix(&j->yhat, j->mb, 1, &yhat);
    if (ret == SBK_SUCCESS)
        ret = sbk_ann_predict(&j->model, X, yhat);
    if (yhat)
        sbk_matrix_destroy(yhat);
    if (X)
        sbk_matrix_destroy(X);
    return ret;
}

PyObject *sbkpy_ann_predict(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *mo, *Xo, *yo;
    ann_predict_job j;
    memset(&j, 0, sizeof j);
    if (!PyArg_ParseTuple(args, "OOOi", &mo, &Xo, &yo, &j.mb) || model_from_tuple(mo, &j.model) < 0)
        return NULL;
    PyObject *result = NULL;
    if (sbkpy_operand_get(Xo, 0, "X", &j.X) == 0 && sbkpy_operand_get(yo, 1, "out", &j.yhat) == 0) {
        int raised, ret = sbkpy_run(run_ann_predict, &j, &raised);
        result = sbkpy_finish(ret, raised, NULL);
    }
    sbkpy_operand_release(&j.yhat), sbkpy_operand_release(&j.X);
    return result;
}

/* --- files: pure host code, no StarPU --------------------------------------- */
PyObject *sbkpy_ann_save(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *mo;
    const char *path;
    sbk_ann_model m;
    char err[512] = "";
    if (!PyArg_ParseTuple(args, "Os", &mo, &path) || model_from_tuple(mo, &m) < 0)
        return NULL;
    int ret;
    Py_BEGIN_ALLOW_THREADS
    ret = sbk_ann_save(&m, path, err, sizeof err);
    Py_END_ALLOW_THREADS
    return sbkpy_finish(ret, 0, err);
}

PyObject *sbkpy_ann_load(PyObject *self, PyObject *args)
{
    (void)self;
    const char *path;
    sbk_ann_model m;
    char err[512] = "";
    if (!PyArg_ParseTuple(args, "s", &path))
        return NULL;
    int ret;
    Py_BEGIN_ALLOW_THREADS
    ret = sbk_ann_load(&m, path, err, sizeof err);
    Py_END_ALLOW_THREADS
    if (ret != SBK_SUCCESS)
        return sbkpy_raise(ret, err);
    PyObject *t = model_tuple(&m);
    sbk_ann_model_free(&m);
    return t;
}

PyObject *sbkpy_trace_report(PyObject *self, PyObject *args)
{
    (void)self;
    const char *rec, *label, *out;
    char err[512] = "";
    if (!PyArg_ParseTuple(args, "sss", &rec, &label, &out))
        return NULL;
    const char *recs[] = {rec}, *labels[] = {label};
    int ret;
    Py_BEGIN_ALLOW_THREADS
    ret = sbk_trace_report(recs, labels, 1, out, err, sizeof err);
    Py_END_ALLOW_THREADS
    return sbkpy_finish(ret, 0, err);
}
