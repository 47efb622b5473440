/* GEMM, element-wise kernels and Monte-Carlo for the starbak package. */
#include "_starbak.h"

/* Creates the matrices of n operands (tiles[2i], tiles[2i+1] each), runs op
 * on them, then destroys them (which waits for the tasks). */
enum { MAX_OPERANDS = 3 };
typedef struct {
    int n;
    sbkpy_operand *ops[MAX_OPERANDS];
    int tiles[2 * MAX_OPERANDS];
    int (*op)(void *ctx, sbk_matrix **M);
    void *ctx;
} matrix_job;

static int run_matrix_job(void *arg)
{
    matrix_job *job = arg;
    sbk_matrix *M[MAX_OPERANDS] = {0};
    int ret = SBK_SUCCESS;
    for (int i = 0; i < job->n && ret == SBK_SUCCESS; i++)
        ret = sbkpy_operand_matrix(job->ops[i], job->tiles[2 * i], job->tiles[2 * i + 1], &M[i]);
    if (ret == SBK_SUCCESS)
        ret = job->op(job->ctx, M);
    for (int i = 0; i < job->n; i++)
        if (M[i])
            sbk_matrix_destroy(M[i]);
    return ret;
}

/* Holds the buffers of objs (the last `writable` ones writable), runs op on
 * their matrices and releases them: the arrays stay alive, whatever the
 * caller does meanwhile, until every task using them has ended. */
static PyObject *with_operands(int n, PyObject **objs, const char **names, int writable, const int *tiles,
                               int (*op)(void *, sbk_matrix **), void *ctx)
{
    sbkpy_operand ops[MAX_OPERANDS];
    matrix_job job = {.n = n, .op = op, .ctx = ctx};
    int got = 0;
    for (; got < n; got++) {
        if (sbkpy_operand_get(objs[got], got >= n - writable, names[got], &ops[got]) < 0)
            break;
        job.ops[got] = &ops[got];
        job.tiles[2 * got] = tiles[2 * got], job.tiles[2 * got + 1] = tiles[2 * got + 1];
    }
    PyObject *result = NULL;
    if (got == n) {
        int raised, ret = sbkpy_run(run_matrix_job, &job, &raised);
        result = sbkpy_finish(ret, raised, NULL);
    }
    while (got-- > 0)
        sbkpy_operand_release(&ops[got]);
    return result;
}

typedef struct {
    int ta, tb;
    double alpha, beta;
} gemm_ctx;

static int gemm_op(void *arg, sbk_matrix **M)
{
    gemm_ctx *g = arg;
    return sbk_gemm(g->ta ? SBK_TRANS : SBK_NOTRANS, g->tb ? SBK_TRANS : SBK_NOTRANS, g->alpha, M[0], M[1], g->beta,
                    M[2]);
}

PyObject *sbkpy_gemm(PyObject *self, PyObject *args)
{
    (void)self;
    gemm_ctx g;
    PyObject *objs[3];
    int mb, nb, kb;
    if (!PyArg_ParseTuple(args, "ppdOOdOiii", &g.ta, &g.tb, &g.alpha, &objs[0], &objs[1], &g.beta, &objs[2], &mb,
                          &nb, &kb))
        return NULL;
    /* op(A) is m×k in mb×kb tiles, op(B) k×n in kb×nb, C m×n in mb×nb. */
    int tiles[] = {g.ta ? kb : mb, g.ta ? mb : kb, g.tb ? nb : kb, g.tb ? kb : nb, mb, nb};
    const char *names[] = {"A", "B", "C"};
    return with_operands(3, objs, names, 1, tiles, gemm_op, &g);
}

typedef struct {
    double alpha, beta;
} add_ctx;

static int add_op(void *arg, sbk_matrix **M)
{
    add_ctx *a = arg;
    return sbk_add(a->alpha, M[0], a->beta, M[1], M[2]);
}

PyObject *sbkpy_add(PyObject *self, PyObject *args)
{
    (void)self;
    add_ctx a;
    PyObject *objs[3];
    int mb, nb;
    if (!PyArg_ParseTuple(args, "dOdOOii", &a.alpha, &objs[0], &a.beta, &objs[1], &objs[2], &mb, &nb))
        return NULL;
    int tiles[] = {mb, nb, mb, nb, mb, nb};
    const char *names[] = {"A", "B", "out"};
    return with_operands(3, objs, names, 1, tiles, add_op, &a);
}

static int scale_op(void *arg, sbk_matrix **M) { return sbk_scale(*(double *)arg, M[0]); }

PyObject *sbkpy_scale(PyObject *self, PyObject *args)
{
    (void)self;
    double alpha;
    PyObject *obj;
    int mb, nb;
    if (!PyArg_ParseTuple(args, "dOii", &alpha, &obj, &mb, &nb))
        return NULL;
    int tiles[] = {mb, nb};
    const char *names[] = {"A"};
    return with_operands(1, &obj, names, 1, tiles, scale_op, &alpha);
}

typedef struct {
    unsigned long long samples, seed, inside;
    int tasks;
} mcpi_ctx;

static int mcpi_job(void *arg)
{
    mcpi_ctx *c = arg;
    uint64_t inside = 0;
    int ret = sbk_mcpi(c->samples, c->seed, c->tasks, &inside);
    c->inside = inside;
    return ret;
}

PyObject *sbkpy_mcpi(PyObject *self, PyObject *args)
{
    (void)self;
    mcpi_ctx c = {0};
    if (!PyArg_ParseTuple(args, "KKi", &c.samples, &c.seed, &c.tasks))
        return NULL;
    int raised, ret = sbkpy_run(mcpi_job, &c, &raised);
    if (raised || ret != SBK_SUCCESS)
        return sbkpy_finish(ret, raised, NULL);
    return PyLong_FromUnsignedLongLong(c.inside);
}
