/* starbak's runtime glue: StarPU start and stop, error strings, worker report. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* OpenBLAS's own call, declared here so that any cblas.h will do. */
void openblas_set_num_threads(int num_threads);

static int initialized;

const char *sbk_strerror(int code)
{
    switch (code) {
    case SBK_SUCCESS: return "success";
    case SBK_EINVAL: return "invalid argument (size, pointer or option out of range)";
    case SBK_ESHAPE: return "operands' shapes or tilings do not conform";
    case SBK_EPREC: return "operands have different precisions";
    case SBK_ENOMEM: return "out of memory";
    case SBK_ERUNTIME: return "the StarPU runtime failed";
    case SBK_ENOINIT: return "starbak is not initialized (call sbk_init first)";
    case SBK_ENODEV: return "no worker can run this kernel (check STARPU_NCPU / STARPU_NCUDA)";
    case SBK_EIO: return "a file could not be opened, read or written";
    case SBK_EFORMAT: return "a file's content is malformed or unsupported";
    default: return "unknown starbak error";
    }
}

int sbk_init(void)
{
    if (initialized)
        return SBK_SUCCESS;
    if (sbk_mpi_wanted()) {
        int ret = sbk_mpi_start();
        if (ret != SBK_SUCCESS)
            return ret;
    } else {
        int ret = starpu_init(NULL);
        if (ret == -ENODEV)
            return SBK_ENODEV;
        if (ret != 0)
            return SBK_ERUNTIME;
    }
    /* Each StarPU CPU worker owns a core; a multithreaded BLAS inside every
     * worker would oversubscribe the machine many times over. */
    openblas_set_num_threads(1);
    starpu_cublas_init();
    starpu_profiling_status_set(STARPU_PROFILING_ENABLE);
    initialized = 1;
    return SBK_SUCCESS;
}

void sbk_shutdown(void)
{
    if (!initialized)
        return;
    starpu_task_wait_for_all();
    starpu_cublas_shutdown();
    if (sbk_mpi_active())
        sbk_mpi_stop();
    else
        starpu_shutdown();
    initialized = 0;
}

int sbk_is_initialized(void) { return initialized; }

int sbk_ncpu_workers(void) { return initialized ? starpu_cpu_worker_get_count() : 0; }

int sbk_ncuda_workers(void) { return initialized ? starpu_cuda_worker_get_count() : 0; }

int sbk_wait(void)
{
    if (!initialized)
        return SBK_ENOINIT;
    return sbk_mpi_wait() == 0 ? SBK_SUCCESS : SBK_ERUNTIME;
}

/* Reading a worker's profiling info also resets it. */
void sbk_stats_reset(void)
{
    struct starpu_profiling_worker_info info;
    for (unsigned w = 0; initialized && w < starpu_worker_get_count(); w++)
        starpu_profiling_worker_get_info(w, &info);
}

/* This rank's worker counts and the tasks its workers ran (reading resets them). */
static void rank_counts(long counts[4])
{
    counts[0] = starpu_cpu_worker_get_count(), counts[1] = starpu_cuda_worker_get_count();
    counts[2] = counts[3] = 0;
    for (unsigned w = 0; w < starpu_worker_get_count(); w++) {
        struct starpu_profiling_worker_info info;
        if (starpu_profiling_worker_get_info(w, &info) == 0)
            counts[starpu_worker_get_type(w) == STARPU_CUDA_WORKER ? 3 : 2] += info.executed_tasks;
    }
}

void sbk_print_workers(FILE *out)
{
    if (!initialized)
        return;
    int n = sbk_nranks();
    long mine[4], *all = malloc(4 * sizeof *all * n);
    rank_counts(mine);
    if (!all || sbk_mpi_gather_longs(mine, 4, all) != SBK_SUCCESS) {
        free(all);
        return;
    }
    if (sbk_rank() == 0) {
        struct starpu_sched_policy *policy = starpu_sched_get_sched_policy();
        long total[4] = {0};
        for (int r = 0; r < n * 4; r++)
            total[r % 4] += all[r];
        fprintf(out, "scheduler: %s\n", policy && policy->policy_name ? policy->policy_name : "?");
        fprintf(out, "workers: %ld CPU, %ld CUDA\n", total[0], total[1]);
        fprintf(out, "tasks on CPU: %ld\ntasks on CUDA: %ld\n", total[2], total[3]);
        for (int r = 0; r < n && n > 1; r++)
            fprintf(out, "rank %d: %ld CPU, %ld CUDA workers; tasks on CPU: %ld, on CUDA: %ld\n", r, all[4 * r],
                    all[4 * r + 1], all[4 * r + 2], all[4 * r + 3]);
    }
    free(all);
}

void *sbk_alloc(size_t bytes)
{
    void *p = NULL;
    if (!initialized || bytes == 0)
        return NULL;
    return starpu_malloc(&p, bytes) == 0 ? p : NULL;
}

void sbk_free(void *ptr, size_t bytes)
{
    if (ptr)
        starpu_free_noflag(ptr, bytes);
}

int sbk_check_matrices(int count, const sbk_matrix *const *mats)
{
    if (!initialized)
        return SBK_ENOINIT;
    for (int i = 0; i < count; i++)
        if (!mats[i])
            return SBK_EINVAL;
    return SBK_SUCCESS;
}
