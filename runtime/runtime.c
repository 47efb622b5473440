/* starbak's runtime glue: StarPU start and stop, error strings, worker report. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/runtime.h"
#include <starpu_cusolver.h>

/* OpenBLAS's own calls, declared here so that any cblas.h will do. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

static int initialized;
static int paused; /* sbk_pause: the workers sleep */
static size_t sent_before; /* StarPU-MPI's count of bytes sent is cumulative */

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
    case SBK_ECANCELED: return "interrupted: the run was cancelled";
    default: return "unknown starbak error";
    }
}

int sbk_init(void)
{
    if (initialized)
        return SBK_SUCCESS;
    sbk_cancel_clear();
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
    starpu_cusolver_init(); /* the ANN outer solve's Cholesky on GPUs */
    starpu_profiling_status_set(STARPU_PROFILING_ENABLE);
#ifdef STARPU_SIMGRID
    /* Simulated tasks never read their data: StarPU's host copies of it (the
     * tiles a simulated rank receives among them) all map the same few pages,
     * so that a simulated cluster's data need not fit in this machine. */
    starpu_malloc_on_node_set_default_flags(STARPU_MAIN_RAM, STARPU_MALLOC_PINNED | STARPU_MALLOC_COUNT |
                                                                 STARPU_MALLOC_SIMULATION_FOLDED);
#endif
    initialized = 1;
    sent_before = 0;
    return SBK_SUCCESS;
}

void sbk_shutdown(void)
{
    if (!initialized)
        return;
    sbk_resume();
    starpu_task_wait_for_all();
    starpu_cusolver_shutdown();
    starpu_cublas_shutdown();
    if (sbk_mpi_active())
        sbk_mpi_stop();
    else
        starpu_shutdown();
    initialized = 0;
}

int sbk_is_initialized(void) { return initialized; }

void sbk_pause(void)
{
    if (initialized && !paused)
        starpu_pause();
    paused = initialized;
}

void sbk_resume(void)
{
    if (initialized && paused)
        starpu_resume();
    paused = 0;
}

int sbk_blas_threads(void) { return openblas_get_num_threads(); }

int sbk_blas_threads_set(int nthreads)
{
    int before = openblas_get_num_threads();
    if (nthreads >= 1 && nthreads != before)
        openblas_set_num_threads(nthreads);
    return before;
}

const char *sbk_runtime_version(void)
{
    static char text[32];
    int major, minor, release;
    starpu_get_version(&major, &minor, &release);
    snprintf(text, sizeof text, "StarPU %d.%d.%d", major, minor, release);
    return text;
}

int sbk_kernel_skipped(void)
{
    if (!sbk_cancelled())
        return 0;
    /* StarPU keeps no duration of a failed task in its model (driver_common.c;
     * the field is public): this one would teach it the kernel takes no time.
     * Per task, unlike the model's benchmarking flag, which the schedulers set
     * back while other tasks still run. */
    struct starpu_task *task = starpu_task_get_current();
    if (task)
        task->failed = 1;
    return 1;
}

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
    if (sbk_mpi_wait() != 0)
        return SBK_ERUNTIME;
    return sbk_cancelled() ? SBK_ECANCELED : SBK_SUCCESS;
}

/* Reading a worker's profiling info also resets it. */
void sbk_stats_reset(void)
{
    struct starpu_profiling_worker_info info;
    for (unsigned w = 0; initialized && w < starpu_worker_get_count(); w++)
        starpu_profiling_worker_get_info(w, &info);
    sbk_mpi_comm_bytes(&sent_before);
}

/* This rank's workers, tasks, bytes sent (STARPU_MPI_STATS=1) and, in
 * simulation, its workers' busy and total time (reading a worker's profiling
 * info resets it, so it is read once, here). A simulated single process also
 * prints its schedule worker by worker; a simulated cluster prints each rank's
 * busy share instead (sbk_print_workers). */
enum { NCOUNTS = 7 };
static void rank_counts(long counts[NCOUNTS], FILE *out)
{
    size_t sent;
    sbk_mpi_comm_bytes(&sent);
    counts[4] = (long)(sent - sent_before);
    sent_before = sent;
    counts[0] = starpu_cpu_worker_get_count(), counts[1] = starpu_cuda_worker_get_count();
    counts[2] = counts[3] = 0;
    double busy = 0, total = 0;
    for (unsigned w = 0; w < starpu_worker_get_count(); w++) {
        struct starpu_profiling_worker_info info;
        if (starpu_profiling_worker_get_info(w, &info) != 0)
            continue;
        counts[starpu_worker_get_type(w) == STARPU_CUDA_WORKER ? 3 : 2] += info.executed_tasks;
        double t = starpu_timing_timespec_to_us(&info.total_time), b = starpu_timing_timespec_to_us(&info.executing_time);
        if (sbk_simulated() && sbk_nranks() == 1) {
            char name[64];
            starpu_worker_get_name((int)w, name, sizeof name);
            fprintf(out, "worker: %s: %d tasks, idle %.1f%%\n", name, info.executed_tasks,
                    t > 0 ? 100 * (1 - b / t) : 0.0);
        }
        busy += b, total += t;
    }
    counts[5] = (long)busy, counts[6] = (long)total;
}

static double idle_percent(long busy, long total) { return total > 0 ? 100 * (1 - (double)busy / total) : 0.0; }

void sbk_print_workers(FILE *out)
{
    if (!initialized)
        return;
    int n = sbk_nranks();
    long mine[NCOUNTS], *all = malloc(NCOUNTS * sizeof *all * n);
    rank_counts(mine, out);
    if (!all || sbk_mpi_gather_longs(mine, NCOUNTS, all) != SBK_SUCCESS) {
        free(all);
        return;
    }
    if (sbk_rank() == 0) {
        struct starpu_sched_policy *policy = starpu_sched_get_sched_policy();
        long total[NCOUNTS] = {0};
        for (int r = 0; r < n * NCOUNTS; r++)
            total[r % NCOUNTS] += all[r];
        fprintf(out, "scheduler: %s\n", policy && policy->policy_name ? policy->policy_name : "?");
        fprintf(out, "workers: %ld CPU, %ld CUDA\n", total[0], total[1]);
        fprintf(out, "tasks on CPU: %ld\ntasks on CUDA: %ld\n", total[2], total[3]);
        for (int r = 0; r < n && n > 1; r++) {
            const long *c = all + NCOUNTS * r;
            fprintf(out, "rank %d: %ld CPU, %ld CUDA workers; tasks on CPU: %ld, on CUDA: %ld", r, c[0], c[1], c[2],
                    c[3]);
            if (total[4] > 0)
                fprintf(out, "; MB sent: %.3f", c[4] / 1e6);
            if (sbk_simulated()) /* a simulated node's workers: how busy they were */
                fprintf(out, "; idle %.1f%%", idle_percent(c[5], c[6]));
            fputc('\n', out);
        }
        if (total[4] > 0)
            fprintf(out, "mpi_mb_sent: %.3f\n", total[4] / 1e6);
        if (sbk_simulated())
            fprintf(out, "idle_share: %.1f%%\n", idle_percent(total[5], total[6]));
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

int sbk_refusal(char *message, size_t size, int code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    if (message)
        vsnprintf(message, size, fmt, args);
    va_end(args);
    return code;
}
