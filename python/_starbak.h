/* Shared by the files of the starbak._starbak extension. */
#ifndef SBKPY_H
#define SBKPY_H
#define Py_LIMITED_API 0x030B0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <starbak/starbak.h>

/* A Python buffer held for the duration of one call, seen as a column-major
 * rows×cols matrix with leading dimension ld. */
typedef struct {
    Py_buffer view;
    int held;
    sbk_precision prec;
    int rows, cols, ld;
} sbkpy_operand;

int sbkpy_operand_get(PyObject *obj, int writable, const char *name, sbkpy_operand *op);
void sbkpy_operand_release(sbkpy_operand *op);
int sbkpy_operand_matrix(const sbkpy_operand *op, int mb, int nb, sbk_matrix **out);

typedef int (*sbkpy_job)(void *ctx);
extern __thread int sbkpy_in_callback; /* a progress callback runs in this thread */
int sbkpy_run(sbkpy_job fn, void *ctx, int *raised);
/* Sets the starbak.Error (or KeyboardInterrupt) for a library code; returns NULL. */
PyObject *sbkpy_raise(int code, const char *message);
/* None on success, else the exception for ret (NULL). */
PyObject *sbkpy_finish(int ret, int raised, const char *message);

PyObject *sbkpy_gemm(PyObject *self, PyObject *args);
PyObject *sbkpy_add(PyObject *self, PyObject *args);
PyObject *sbkpy_scale(PyObject *self, PyObject *args);
PyObject *sbkpy_mcpi(PyObject *self, PyObject *args);
#define SBKPY_OPS_METHODS \
    {"gemm", sbkpy_gemm, METH_VARARGS, "gemm(ta, tb, alpha, A, B, beta, C, mb, nb, kb): sbk_gemm in place"}, \
    {"add", sbkpy_add, METH_VARARGS, "add(alpha, A, beta, B, C, mb, nb): C = alpha A + beta B"}, \
    {"scale", sbkpy_scale, METH_VARARGS, "scale(alpha, A, mb, nb): A *= alpha"}, \
    {"mcpi", sbkpy_mcpi, METH_VARARGS, "mcpi(samples, seed, tasks): points inside the quarter disc"},

PyObject *sbkpy_solvebak(PyObject *self, PyObject *args);
PyObject *sbkpy_ann_fit(PyObject *self, PyObject *args);
PyObject *sbkpy_ann_predict(PyObject *self, PyObject *args);
PyObject *sbkpy_ann_save(PyObject *self, PyObject *args);
PyObject *sbkpy_ann_load(PyObject *self, PyObject *args);
PyObject *sbkpy_trace_report(PyObject *self, PyObject *args);
#define SBKPY_SOLVER_METHODS \
    {"solvebak", sbkpy_solvebak, METH_VARARGS, \
     "solvebak(X, mb, nb, y, a, method, batch, iters, tol, guess, progress): report"}, \
    {"ann_fit", sbkpy_ann_fit, METH_VARARGS, "ann_fit(X, mb, y, scale_y, options..., progress): (model, report)"}, \
    {"ann_predict", sbkpy_ann_predict, METH_VARARGS, "ann_predict(model, X, mb, yhat)"}, \
    {"ann_save", sbkpy_ann_save, METH_VARARGS, "ann_save(model, path)"}, \
    {"ann_load", sbkpy_ann_load, METH_VARARGS, "ann_load(path): model"}, \
    {"trace_report", sbkpy_trace_report, METH_VARARGS, "trace_report(tasks_rec_paths, labels, out_html)"},
#endif
