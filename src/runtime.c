/* starbak's runtime glue: StarPU start and stop, error strings, worker report. */
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include <starpu_cusolver.h>

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
    int ret = starpu_init(NULL);
    if (ret == -ENODEV)
        return SBK_ENODEV;
    if (ret != 0)
        return SBK_ERUNTIME;
    /* Each StarPU CPU worker owns a core; a multithreaded BLAS inside every
     * worker would oversubscribe the machine many times over. */
    openblas_set_num_threads(1);
    starpu_cublas_init();
    starpu_cusolver_init(); /* the ANN outer solve's Cholesky on GPUs */
    starpu_profiling_status_set(STARPU_PROFILING_ENABLE);
    initialized = 1;
    return SBK_SUCCESS;
}

void sbk_shutdown(void)
{
    if (!initialized)
        return;
    starpu_task_wait_for_all();
    starpu_cusolver_shutdown();
    starpu_cublas_shutdown();
    starpu_shutdown();
    initialized = 0;
}

int sbk_is_initialized(void) { return initialized; }

int sbk_simulated(void)
{
#ifdef STARPU_SIMGRID
    return 1;
#else
    return 0;
#endif
}

int sbk_ncpu_workers(void) { return initialized ? starpu_cpu_worker_get_count() : 0; }

int sbk_ncuda_workers(void) { return initialized ? starpu_cuda_worker_get_count() : 0; }

int sbk_wait(void)
{
    if (!initialized)
        return SBK_ENOINIT;
    return starpu_task_wait_for_all() == 0 ? SBK_SUCCESS : SBK_ERUNTIME;
}

/* Reading a worker's profiling info also resets it. */
void sbk_stats_reset(void)
{
    struct starpu_profiling_worker_info info;
    for (unsigned w = 0; initialized && w < starpu_worker_get_count(); w++)
        starpu_profiling_worker_get_info(w, &info);
}

void sbk_print_workers(FILE *out)
{
    if (!initialized)
        return;
    struct starpu_sched_policy *policy = starpu_sched_get_sched_policy();
    fprintf(out, "scheduler: %s\n", policy && policy->policy_name ? policy->policy_name : "?");
    fprintf(out, "workers: %u CPU, %u CUDA\n", starpu_cpu_worker_get_count(), starpu_cuda_worker_get_count());
    long cpu_tasks = 0, cuda_tasks = 0;
    double busy = 0, total = 0;
    for (unsigned w = 0; w < starpu_worker_get_count(); w++) {
        struct starpu_profiling_worker_info info;
        if (starpu_profiling_worker_get_info(w, &info) != 0)
            continue;
        if (starpu_worker_get_type(w) == STARPU_CUDA_WORKER)
            cuda_tasks += info.executed_tasks;
        else
            cpu_tasks += info.executed_tasks;
        if (sbk_simulated()) { /* the simulated schedule, worker by worker */
            char name[64];
            double t = starpu_timing_timespec_to_us(&info.total_time),
                   b = starpu_timing_timespec_to_us(&info.executing_time);
            starpu_worker_get_name((int)w, name, sizeof name);
            fprintf(out, "worker: %s: %d tasks, idle %.1f%%\n", name, info.executed_tasks,
                    t > 0 ? 100 * (1 - b / t) : 0.0);
            busy += b, total += t;
        }
    }
    fprintf(out, "tasks on CPU: %ld\ntasks on CUDA: %ld\n", cpu_tasks, cuda_tasks);
    if (sbk_simulated())
        fprintf(out, "idle_share: %.1f%%\n", total > 0 ? 100 * (1 - busy / total) : 0.0);
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
