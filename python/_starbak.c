/* starbak._starbak: the CPython extension under the starbak package, over
 * libstarbak's public API only. Arrays come in through the buffer protocol
 * (no NumPy C API, so no NumPy ABI coupling) and are used in place: the
 * package (python/starbak) arranges every operand as a column-major matrix
 * view, this module checks that the buffer really is one, wraps it in an
 * sbk_matrix and runs the library call with the GIL released.
 * Built against the stable ABI of Python 3.11, so one build loads on later
 * Pythons as well. */
#include "_starbak.h"
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* One library call at a time: calls from several Python threads queue here
 * (with the GIL released) instead of sharing StarPU's cancel flag. */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long main_thread;
static PyObject *error_factory; /* starbak.errors.from_code(code, message) */

/* Sets the Python exception for a library error code and message. */
PyObject *sbkpy_raise(int code, const char *message)
{
    if (code == SBK_ECANCELED) {
        PyErr_SetString(PyExc_KeyboardInterrupt, message && *message ? message : sbk_strerror(code));
        return NULL;
    }
    if (!error_factory) {
        PyErr_Format(PyExc_RuntimeError, "starbak: %s", message && *message ? message : sbk_strerror(code));
        return NULL;
    }
    PyObject *exc = PyObject_CallFunction(error_factory, "is", code, message && *message ? message : "");
    if (exc) {
        PyObject *type = PyObject_Type(exc);
        PyErr_SetObject(type, exc);
        Py_DECREF(type);
        Py_DECREF(exc);
    }
    return NULL;
}

/* --- Ctrl-C: while a call runs in the main thread, SIGINT cancels it --------
 * Python's own SIGINT handler stays: this one cancels the run (tasks not yet
 * started return at once) and then calls Python's, which schedules the
 * KeyboardInterrupt raised once the call has drained its tasks. */
static struct sigaction python_sigint;
static volatile sig_atomic_t interrupted;

static void on_sigint(int sig, siginfo_t *info, void *ctx)
{
    interrupted = 1;
    sbk_cancel();
    if (python_sigint.sa_flags & SA_SIGINFO)
        python_sigint.sa_sigaction(sig, info, ctx);
    else if (python_sigint.sa_handler != SIG_DFL && python_sigint.sa_handler != SIG_IGN)
        python_sigint.sa_handler(sig);
}

/* --- running a library call ------------------------------------------------ */
/* Runs fn(ctx) with the GIL released, its BLAS calls on one thread each and
 * SIGINT cancelling it (main thread only: Python raises KeyboardInterrupt
 * there). A cancelled run ends StarPU (sbk_init clears the cancel on the next
 * call). Returns the library's code; on an interrupt the pending Python
 * exception is left for the caller (*raised = 1). */
/* Set while a progress callback runs in this thread: a starbak call from there
 * would wait for the call that runs the callback. */
__thread int sbkpy_in_callback;

static int refuse_in_callback(void)
{
    if (!sbkpy_in_callback)
        return 0;
    PyErr_SetString(PyExc_RuntimeError, "starbak: a progress callback cannot call starbak (the run that calls it "
                                        "holds the library until it ends)");
    return 1;
}

int sbkpy_run(sbkpy_job fn, void *ctx, int *raised)
{
    int in_main = PyThread_get_thread_ident() == main_thread, ret;
    *raised = 0;
    if (refuse_in_callback()) {
        *raised = 1;
        return SBK_EINVAL;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&call_lock);
    struct sigaction act = {.sa_sigaction = on_sigint, .sa_flags = SA_SIGINFO | SA_ONSTACK};
    sigemptyset(&act.sa_mask);
    interrupted = 0;
    if (in_main)
        sigaction(SIGINT, &act, &python_sigint);
    int caller_threads = sbk_blas_threads_set(1);
    /* StarPU stopped by an interrupted call that another thread's call queued behind: started
     * again with the same STARPU_* variables (the package's init set them). */
    ret = sbk_is_initialized() ? SBK_SUCCESS : sbk_init();
    sbk_resume();
    if (ret == SBK_SUCCESS)
        ret = fn(ctx);
    sbk_pause(); /* idle workers would poll on the caller's cores between calls */
    if (sbk_cancelled()) {
        if (ret == SBK_SUCCESS)
            ret = SBK_ECANCELED;
        sbk_shutdown();
    }
    sbk_blas_threads_set(caller_threads);
    if (in_main)
        sigaction(SIGINT, &python_sigint, NULL);
    pthread_mutex_unlock(&call_lock);
    Py_END_ALLOW_THREADS
    if (interrupted && PyErr_CheckSignals() < 0)
        *raised = 1;
    return ret;
}

/* --- operands --------------------------------------------------------------- */
void sbkpy_operand_release(sbkpy_operand *op)
{
    if (op->held)
        PyBuffer_Release(&op->view);
    op->held = 0;
}

/* Takes obj's buffer as a column-major rows×cols matrix (1-D: a column):
 * elements contiguous down each column, columns ld elements apart. The
 * package passes transposed views where the data is row-major. */
int sbkpy_operand_get(PyObject *obj, int writable, const char *name, sbkpy_operand *op)
{
    memset(op, 0, sizeof *op);
    if (PyObject_GetBuffer(obj, &op->view, PyBUF_STRIDES | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    op->held = 1;
    Py_buffer *v = &op->view;
    const char *f = v->format ? v->format : "B";
    if ((strcmp(f, "d") && strcmp(f, "f")) || (v->itemsize != 4 && v->itemsize != 8)) {
        PyErr_Format(PyExc_TypeError, "%s: buffer format '%s' is neither float64 ('d') nor float32 ('f')", name, f);
        goto fail;
    }
    op->prec = v->itemsize == 8 ? SBK_DOUBLE : SBK_FLOAT;
    if (v->ndim < 1 || v->ndim > 2) {
        PyErr_Format(PyExc_ValueError, "%s: %d dimensions, expected 1 or 2", name, v->ndim);
        goto fail;
    }
    Py_ssize_t rows = v->shape[0], cols = v->ndim == 2 ? v->shape[1] : 1, e = v->itemsize;
    Py_ssize_t s0 = v->strides[0], s1 = v->ndim == 2 ? v->strides[1] : rows * e;
    if (rows > 0x7fffffff || cols > 0x7fffffff) {
        PyErr_Format(PyExc_ValueError, "%s: %zd x %zd: starbak's matrices hold at most 2^31 - 1 rows and columns",
                     name, rows, cols);
        goto fail;
    }
    Py_ssize_t ld = cols <= 1 ? (rows > 0 ? rows : 1) : s1 / e;
    if ((rows > 1 && s0 != e) || (cols > 1 && (s1 % e || ld < rows || ld > 0x7fffffff))) {
        PyErr_Format(PyExc_ValueError, "%s: not a column-major view (strides %zd, %zd for %zd-byte elements)", name,
                     s0, s1, e);
        goto fail;
    }
    op->rows = (int)rows, op->cols = (int)cols, op->ld = (int)ld;
    return 0;
fail:
    sbkpy_operand_release(op);
    return -1;
}

/* The operand's matrix in mb×nb tiles (clipped to its size, at least 1). */
int sbkpy_operand_matrix(const sbkpy_operand *op, int mb, int nb, sbk_matrix **out)
{
    mb = mb < op->rows ? mb : op->rows, nb = nb < op->cols ? nb : op->cols;
    return sbk_matrix_create(out, op->prec, op->view.buf, op->rows, op->cols, op->ld, mb > 0 ? mb : 1,
                             nb > 0 ? nb : 1);
}

PyObject *sbkpy_finish(int ret, int raised, const char *message)
{
    if (raised)
        return NULL;
    if (ret != SBK_SUCCESS)
        return sbkpy_raise(ret, message);
    Py_RETURN_NONE;
}

/* --- runtime ---------------------------------------------------------------- */
static int do_init(void *ctx)
{
    (void)ctx;
    return SBK_SUCCESS; /* sbkpy_run starts StarPU */
}

static PyObject *py_init(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    int raised, ret = sbkpy_run(do_init, NULL, &raised);
    return sbkpy_finish(ret, raised, NULL);
}

static PyObject *py_shutdown(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    if (refuse_in_callback())
        return NULL;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&call_lock);
    sbk_shutdown();
    pthread_mutex_unlock(&call_lock);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *py_is_initialized(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyBool_FromLong(sbk_is_initialized());
}

/* The "key: value" lines of sbk_print_workers (scheduler, workers, tasks). */
static PyObject *py_workers_report(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    char *text = NULL;
    size_t len = 0;
    if (refuse_in_callback())
        return NULL;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return PyErr_NoMemory();
    Py_BEGIN_ALLOW_THREADS /* a running call's callbacks need the GIL before it lets the lock go */
    pthread_mutex_lock(&call_lock);
    if (sbk_is_initialized())
        sbk_print_workers(f);
    pthread_mutex_unlock(&call_lock);
    Py_END_ALLOW_THREADS
    fclose(f);
    PyObject *s = PyUnicode_FromStringAndSize(text ? text : "", (Py_ssize_t)len);
    free(text);
    return s;
}

static PyObject *py_counts(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return Py_BuildValue("(ii)", sbk_ncpu_workers(), sbk_ncuda_workers());
}

static PyObject *py_runtime_version(PyObject *self, PyObject *args)
{
    (void)self, (void)args;
    return PyUnicode_FromString(sbk_runtime_version());
}

static PyObject *py_blas_threads(PyObject *self, PyObject *args)
{
    (void)self;
    int n = 0;
    if (!PyArg_ParseTuple(args, "|i", &n))
        return NULL;
    return PyLong_FromLong(n > 0 ? sbk_blas_threads_set(n) : sbk_blas_threads());
}

static PyObject *py_strerror(PyObject *self, PyObject *args)
{
    (void)self;
    int code;
    if (!PyArg_ParseTuple(args, "i", &code))
        return NULL;
    return PyUnicode_FromString(sbk_strerror(code));
}

static PyObject *py_set_error_factory(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *f;
    if (!PyArg_ParseTuple(args, "O", &f))
        return NULL;
    Py_XDECREF(error_factory);
    Py_INCREF(f);
    error_factory = f;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"init", py_init, METH_NOARGS, "sbk_init (STARPU_* variables apply)"},
    {"shutdown", py_shutdown, METH_NOARGS, "sbk_shutdown"},
    {"is_initialized", py_is_initialized, METH_NOARGS, "sbk_is_initialized"},
    {"workers_report", py_workers_report, METH_NOARGS, "sbk_print_workers's lines"},
    {"worker_counts", py_counts, METH_NOARGS, "(CPU workers, CUDA workers)"},
    {"runtime_version", py_runtime_version, METH_NOARGS, "sbk_runtime_version"},
    {"blas_threads", py_blas_threads, METH_VARARGS, "blas_threads([n]): OpenBLAS's count (set to n, the old one)"},
    {"strerror", py_strerror, METH_VARARGS, "sbk_strerror"},
    {"set_error_factory", py_set_error_factory, METH_VARARGS, "the callable making exceptions from codes"},
    SBKPY_OPS_METHODS
    SBKPY_SOLVER_METHODS
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_starbak", "starbak's C extension (over libstarbak's public API)", -1, methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__starbak(void)
{
    main_thread = PyThread_get_thread_ident(); /* the package is imported from the main thread */
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    if (PyModule_AddStringConstant(m, "STARPU_BINDIR", SBK_STARPU_BINDIR) < 0 ||
        PyModule_AddIntConstant(m, "ECANCELED", SBK_ECANCELED) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
