/* Gram method's set-up on one row block i of X (all its column tiles) and y:
 *   M += [X_i | y_i]^T [X_i | y_i]   (lower triangle; M is (vars+1)×(vars+1))
 * so M holds G = X^T X, b^T = y^T X in its last row and y^T y in its corner
 * once every row block is in. One SYRK of order vars+1 per chunk of rows:
 * the chunk's columns are first copied side by side into a scratch buffer
 * (X's tiles need not be adjacent in memory, nor y beside them), which then
 * stays in cache while SYRK reuses it; per-tile-pair GEMMs with 100×100
 * outputs ran far from peak and re-read the row block for every pair.
 * CPU: cblas ?syrk on chunks of CPU_CHUNK rows (measured on 2 cores: 256 to
 * 2048 rows all within 2% of each other, 512 keeps the buffer at 4 MB).
 * CUDA: device-to-device copies and cublas ?syrk on chunks as tall as the
 * scratch buffer (CUDA_CHUNK rows: one launch per 4096 rows instead of per
 * 512), on the worker's stream. */
#include <stdlib.h>
#include <string.h>
#include "codelets/codelet_def.h"
#include "../kernels/cpu/solvebak.h"
#ifdef STARPU_USE_CUDA
#include <cublas_v2.h>
#include <starpu_cublas_v2.h>
#endif

enum { CPU_CHUNK = 512, CUDA_CHUNK = 4096 };

struct gram_form_args {
    int ntiles;     /* X's column tiles; buffers: X tiles, y, M, scratch */
    int accumulate; /* 0: M = ..., the first row block of a chain */
};

/* Where the chunk of rows [r0, r0 + rows) goes: X's tiles and y side by side
 * in the scratch buffer W (ld = rows), then the SYRK into M. */
struct gram_form_operands {
    int ntiles, n, dbl;
    size_t es, ldm;
    void *M, *W;
    int capacity; /* rows the scratch buffer holds */
};

static struct gram_form_operands unpack(void *buffers[], const struct gram_form_args *g)
{
    void *M = buffers[g->ntiles + 1], *W = buffers[g->ntiles + 2];
    return (struct gram_form_operands){g->ntiles,
                                       STARPU_MATRIX_GET_NX(M),
                                       STARPU_MATRIX_GET_ELEMSIZE(M) == sizeof(double),
                                       STARPU_MATRIX_GET_ELEMSIZE(M),
                                       STARPU_MATRIX_GET_LD(M),
                                       (void *)STARPU_MATRIX_GET_PTR(M),
                                       (void *)STARPU_MATRIX_GET_PTR(W),
                                       STARPU_MATRIX_GET_NX(W)};
}

/* Buffer t (X's tiles, then y) as the copy sees it. */
static const char *column_block(void *buffers[], int t, int *cols, size_t *ld)
{
    *cols = STARPU_MATRIX_GET_NY(buffers[t]);
    *ld = STARPU_MATRIX_GET_LD(buffers[t]);
    return (const char *)STARPU_MATRIX_GET_PTR(buffers[t]);
}

static void gram_form_cpu(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_form_args *g = cl_arg;
    struct gram_form_operands o = unpack(buffers, g);
    int nblocks = o.ntiles + 1, cols[nblocks], ld[nblocks];
    const void *blocks[nblocks];
    for (int t = 0; t < nblocks; t++) {
        size_t ldt;
        blocks[t] = column_block(buffers, t, &cols[t], &ldt);
        ld[t] = (int)ldt;
    }
    sbk_cpu_gram_form(o.dbl ? SBK_DOUBLE : SBK_FLOAT, STARPU_MATRIX_GET_NX(buffers[0]), nblocks, blocks, cols, ld,
                      g->accumulate, o.capacity < CPU_CHUNK ? o.capacity : CPU_CHUNK, o.W, o.M, (int)o.ldm);
}

#ifdef STARPU_USE_CUDA
static void gram_form_cuda(void *buffers[], void *cl_arg)
{
    if (sbk_kernel_skipped())
        return;
    const struct gram_form_args *g = cl_arg;
    struct gram_form_operands o = unpack(buffers, g);
    int rows = STARPU_MATRIX_GET_NX(buffers[0]);
    cublasHandle_t handle = starpu_cublas_get_local_handle();
    cudaStream_t stream = starpu_cuda_get_local_stream();
    const double one = 1.0, zero = 0.0;
    const float one_f = 1.0f, zero_f = 0.0f;
    for (int r0 = 0; r0 < rows; r0 += o.capacity) {
        int k = rows - r0 < o.capacity ? rows - r0 : o.capacity, col = 0;
        for (int t = 0; t <= o.ntiles; t++) {
            int cols;
            size_t ld;
            const char *src = column_block(buffers, t, &cols, &ld);
            sbk_check_cuda(cudaMemcpy2DAsync((char *)o.W + (size_t)col * k * o.es, k * o.es, src + r0 * o.es,
                                             ld * o.es, k * o.es, cols, cudaMemcpyDeviceToDevice, stream));
            col += cols;
        }
        int first = !g->accumulate && r0 == 0;
        cublasStatus_t status =
            o.dbl ? cublasDsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, o.n, k, &one, o.W, k,
                                first ? &zero : &one, o.M, o.ldm)
                  : cublasSsyrk(handle, CUBLAS_FILL_MODE_LOWER, CUBLAS_OP_T, o.n, k, &one_f, o.W, k,
                                first ? &zero_f : &one_f, o.M, o.ldm);
        sbk_check_cublas(status);
    }
}
#endif


SBK_CODELET(cl_gram_form, "gram_form", "sbk_gram_form_openblas_cublas", NULL,
            gram_form_cpu, gram_form_cuda, STARPU_CUDA_ASYNC,
            .nbuffers = STARPU_VARIABLE_NBUFFERS);

int sbk_insert_gram_form(starpu_data_handle_t *X_tiles, int ntiles, starpu_data_handle_t y, int accumulate,
                         starpu_data_handle_t M, starpu_data_handle_t scratch)
{
    struct gram_form_args *args = malloc(sizeof *args);
    struct starpu_data_descr *descr = malloc((ntiles + 3) * sizeof *descr);
    if (!args || !descr) {
        free(args), free(descr);
        return SBK_ENOMEM;
    }
    *args = (struct gram_form_args){ntiles, accumulate};
    for (int t = 0; t < ntiles; t++)
        descr[t] = (struct starpu_data_descr){X_tiles[t], STARPU_R};
    descr[ntiles] = (struct starpu_data_descr){y, STARPU_R};
    descr[ntiles + 1] = (struct starpu_data_descr){M, accumulate ? STARPU_RW : STARPU_W};
    /* The scratch's size follows the machine (GPU or CPU chunks), not the task. */
    descr[ntiles + 2] = (struct starpu_data_descr){scratch, STARPU_SCRATCH | STARPU_NOFOOTPRINT};
    double n = starpu_matrix_get_nx(M), rows = starpu_matrix_get_nx(y);
    int ret = sbk_submit(&cl_gram_form, descr, ntiles + 3, args, sizeof *args, n * n * rows, 0);
    free(descr);
    return ret;
}

void sbk_gram_form_scratch(starpu_data_handle_t *scratch, int rows, int n, size_t es)
{
    int chunk = starpu_cuda_worker_get_count() > 0 ? CUDA_CHUNK : CPU_CHUNK;
    int capacity = rows < chunk ? rows : chunk;
    starpu_matrix_data_register(scratch, -1, 0, capacity, capacity, n, es);
}
