/* Helpers shared by the example drivers and the benchmarks. */
#include "driver.h"
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <starpu.h>
#include "internal/report.h"

int drv_parse_long(const char *prog, const char *opt, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < min || v > max) {
        fprintf(stderr, "starbak: %s: --%s: '%s' is not an integer in [%ld, %ld]\n", prog, opt, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int drv_parse_u64(const char *prog, const char *opt, const char *text, uint64_t min, uint64_t *out)
{
    char *end;
    int ok;
    errno = 0;
    if (strpbrk(text, "eE")) { /* sample counts are often written 1e8 */
        double d = strtod(text, &end);
        ok = !errno && end != text && !*end && d >= (double)min && d < 0x1.0p64 && d == floor(d);
        *out = ok ? (uint64_t)d : 0;
    } else {
        unsigned long long u = strtoull(text, &end, 10);
        ok = !errno && end != text && !*end && text[strspn(text, " ")] != '-' && u >= min;
        *out = u;
    }
    if (!ok)
        fprintf(stderr, "starbak: %s: --%s: '%s' is not an integer in [%llu, 2^64 - 1]\n", prog, opt, text,
                (unsigned long long)min);
    return ok ? 0 : -1;
}

int drv_parse_double(const char *prog, const char *opt, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v)) {
        fprintf(stderr, "starbak: %s: --%s: '%s' is not a finite number\n", prog, opt, text);
        return -1;
    }
    *out = v;
    return 0;
}

int drv_parse_precision(const char *prog, const char *text, sbk_precision *out)
{
    if (!strcmp(text, "d") || !strcmp(text, "double"))
        *out = SBK_DOUBLE;
    else if (!strcmp(text, "s") || !strcmp(text, "float"))
        *out = SBK_FLOAT;
    else {
        fprintf(stderr, "starbak: %s: --precision: '%s' is neither s (float) nor d (double)\n", prog, text);
        return -1;
    }
    return 0;
}

int drv_parse_trans(const char *prog, const char *opt, const char *text, sbk_trans *out)
{
    if (!strcmp(text, "N") || !strcmp(text, "n"))
        *out = SBK_NOTRANS;
    else if (!strcmp(text, "T") || !strcmp(text, "t"))
        *out = SBK_TRANS;
    else {
        fprintf(stderr, "starbak: %s: --%s: '%s' is neither N nor T\n", prog, opt, text);
        return -1;
    }
    return 0;
}

int drv_args_rejected(const char *prog, int argc, char **argv, int bad)
{
    if (optind < argc) {
        fprintf(stderr, "starbak: %s: unexpected argument '%s' (see --help)\n", prog, argv[optind]);
        return 1;
    }
    return bad != 0;
}

double drv_now(void)
{
    if (sbk_simulated() && sbk_is_initialized())
        return starpu_timing_now() * 1e-6; /* SimGrid's clock: the simulated schedule's time */
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

void *drv_alloc_input(size_t bytes)
{
    if (!sbk_simulated())
        return calloc(1, bytes);
    /* MAP_NORESERVE: the kernel's overcommit check would refuse more than this machine holds. */
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void drv_free_input(void *buf, size_t bytes)
{
    if (buf && sbk_simulated())
        munmap(buf, bytes);
    else
        free(buf);
}

void drv_fill_uniform(sbk_precision prec, void *buf, size_t count, uint64_t seed)
{
    if (sbk_simulated())
        return;
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < count; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17; /* xorshift64 */
        double u = (double)(s >> 11) * 0x1.0p-53 - 0.5;
        if (prec == SBK_DOUBLE)
            ((double *)buf)[i] = u;
        else
            ((float *)buf)[i] = (float)u;
    }
}

/* The --trace folder of this run (one per process: drivers trace one run). */
static const char *trace_dir;
static int rank; /* this process's MPI rank, kept past sbk_shutdown */

int drv_trace_option(const char *prog, const char *dir)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "starbak: %s: --trace: cannot create %s: %s\n", prog, dir, strerror(errno));
        return -1;
    }
    char prefix[4096];
    snprintf(prefix, sizeof prefix, "%s/", dir);
    /* Read by starpu_init: FxT is compiled in but records nothing without them. */
    setenv("STARPU_FXT_TRACE", "1", 1);
    setenv("STARPU_FXT_PREFIX", prefix, 1);
    trace_dir = dir;
    return 0;
}

/* workers.txt beside the trace names the report's lanes ("CPU 0", "CUDA 0"...). */
static void write_worker_list(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/workers.txt", trace_dir);
    FILE *f = fopen(path, "w");
    for (unsigned w = 0; f && w < starpu_worker_get_count(); w++) {
        char name[64];
        starpu_worker_get_name((int)w, name, sizeof name);
        fprintf(f, "%u\t%s\n", w, name);
    }
    if (f)
        fclose(f);
}

/* A StarPU tool from the StarPU this tree was built with, else from PATH
 * (a copied build, such as scripts/gpu-bundle's, has its own bin/ there). */
static const char *starpu_tool(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s/%s", SBK_STARPU_BINDIR, name);
    return access(buf, X_OK) == 0 ? buf : name;
}

int drv_trace_finish(const char *prog)
{
    /* Under MPI each rank writes its prof_file_*; rank 0 converts them all. */
    if (!trace_dir || rank != 0)
        return 0;
    char cmd[8192], tasks[4096], report[4096], err[512], tool[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' -i prof_file_* -d . > fxt_tool.log 2>&1", trace_dir,
             starpu_tool("starpu_fxt_tool", tool, sizeof tool));
    if (strchr(trace_dir, '\'') || system(cmd) != 0) {
        fprintf(stderr, "starbak: %s: --trace: starpu_fxt_tool failed on %s (see %s/fxt_tool.log)\n", prog,
                trace_dir, trace_dir);
        return 1;
    }
    /* The perf models' predictions (EstimatedTime) join each task, when the
     * models in STARPU_HOME know the codelets: the report compares them. */
    snprintf(cmd, sizeof cmd, "cd '%s' && STARPU_FXT_TRACE=0 '%s' tasks.rec tasks_estimated.rec >> fxt_tool.log 2>&1",
             trace_dir, starpu_tool("starpu_tasks_rec_complete", tool, sizeof tool));
    int estimated = system(cmd) == 0;
    snprintf(tasks, sizeof tasks, "%s/%s", trace_dir, estimated ? "tasks_estimated.rec" : "tasks.rec");
    snprintf(report, sizeof report, "%s/report.html", trace_dir);
    const char *paths[] = {tasks}, *labels[] = {prog};
    if (sbk_trace_report(paths, labels, 1, report, err, sizeof err) != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: --trace: %s\n", prog, err);
        return 1;
    }
    printf("trace: %s (report.html, paje.trace, tasks.rec, dag.dot)\n", trace_dir);
    return 0;
}

/* SIGINT/SIGTERM. The first one removes the temporary file of an output being
 * written (the user's files stay as they were) and cancels the run: tasks not
 * started skip their work, the driver fails with "interrupted", and at exit
 * StarPU is shut down (perf models and an FxT trace saved) before the process
 * ends by the signal, as an interrupted program should. A second signal ends it
 * at once; so does the first under MPI with several ranks, which could not
 * agree on where to stop. */
static volatile sig_atomic_t interrupted_by;

static void say_async(const char *msg, size_t len)
{
    ssize_t ignored = write(STDERR_FILENO, msg, len);
    (void)ignored;
}

static void on_interrupt(int sig)
{
    static const char msg[] = "starbak: interrupted: stopping; no output written, existing files left as they were\n";
    sbk_discard_pending_output();
    if (interrupted_by || sbk_nranks() > 1) {
        signal(sig, SIG_DFL);
        raise(sig); /* delivered once this handler returns */
        return;
    }
    say_async(msg, sizeof msg - 1);
    interrupted_by = sig;
    sbk_cancel();
}

static void end_interrupted_run(void)
{
    if (!interrupted_by)
        return;
    sbk_shutdown();
    fflush(NULL);
    static const char msg[] = "starbak: interrupted: StarPU shut down\n";
    say_async(msg, sizeof msg - 1);
    signal(interrupted_by, SIG_DFL);
    raise(interrupted_by);
}

static void catch_interrupts(void)
{
    struct sigaction act = {.sa_handler = on_interrupt};
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    atexit(end_interrupted_run);
}

int drv_start(const char *prog)
{
    int ret = sbk_init();
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: cannot start StarPU: %s\n", prog, sbk_strerror(ret));
        return -1;
    }
    catch_interrupts(); /* after sbk_init: StarPU installs its own handlers there */
    if (trace_dir)
        write_worker_list();
    /* Under mpirun, rank 0 prints the results (each rank's workers and tasks
     * included: sbk_print_workers gathers them); the others only their errors. */
    rank = sbk_rank();
    if (rank != 0 && !sbk_simulated() && !freopen("/dev/null", "w", stdout))
        fclose(stdout);
    if (sbk_simulated())
        printf("simulation: %s (doc/simulation.md): times are simulated; data not generated, "
               "no result computed, checks and output files skipped\n",
               getenv("STARPU_HOSTNAME") ? getenv("STARPU_HOSTNAME") : "?");
    return 0;
}

#ifdef SBK_SMPI_DRIVER_H
FILE *drv_stdout(void)
{
    static FILE *silent; /* one per simulated rank: SMPI gives each its own globals */
    if (sbk_rank() == 0)
        return drv_process_stdout();
    if (!silent)
        silent = fopen("/dev/null", "w");
    return silent ? silent : stderr;
}

/* What SimGrid starts once per rank: getopt's position is the process's, left
 * at the end by the rank that parsed before (no rank yields while parsing). */
int starpu_main(int argc, char **argv)
{
    optind = 1;
    return drv_rank_main(argc, argv);
}
#endif

int drv_fail(const char *prog, const char *what, int code)
{
    fprintf(stderr, "starbak: %s: %s: %s\n", prog, what, sbk_strerror(code));
    /* Other ranks may be waiting for this one in StarPU-MPI: end them all. */
    if (sbk_nranks() > 1)
        sbk_abort(1);
    return 1;
}

int drv_share(const char *prog, int ok, long *values, int count)
{
    if (!sbk_all_succeeded(ok)) {
        if (ok)
            fprintf(stderr, "starbak: %s: rank %d stops because another rank failed (see its message)\n", prog,
                    sbk_rank());
        return -1;
    }
    return count > 0 && sbk_broadcast(values, count * sizeof *values) != SBK_SUCCESS ? -1 : 0;
}

/* A simulated cluster whose nodes start with their own tiles (scripts/simulate
 * --local-inputs), as a user's data beyond one node would: no scatter from
 * rank 0, no gather back. */
static int inputs_local(void)
{
    const char *v = getenv("SBK_SIM_LOCAL_INPUTS");
    return sbk_simulated() && v && !strcmp(v, "1");
}

/* Each rank's tiles as if just received: in StarPU's memory, contiguous (an
 * acquisition for writing allocates them; simulated tasks read no values). */
static int local_tiles(sbk_matrix **out, sbk_precision prec, long m, long n, long mb, long nb, sbk_distribution dist)
{
    int ret = sbk_matrix_create_dist(out, prec, NULL, m, n, m, mb, nb, dist);
    for (int j = 0; ret == SBK_SUCCESS && j < sbk_matrix_col_tiles(*out); j++)
        for (int i = 0; i < sbk_matrix_row_tiles(*out); i++)
            if (sbk_matrix_tile_owner(*out, i, j) == sbk_rank()) {
                starpu_data_handle_t h = sbk_matrix_tile(*out, i, j);
                starpu_data_acquire(h, STARPU_W);
                starpu_data_release(h);
            }
    return ret;
}

int drv_distribute(sbk_matrix **out, sbk_matrix **root, sbk_precision prec, void *buf, long m, long n, long mb,
                   long nb, sbk_distribution dist)
{
    *root = NULL;
    if (inputs_local()) /* one node too: every node count then starts alike */
        return local_tiles(out, prec, m, n, mb, nb, dist);
    if (sbk_nranks() == 1)
        return sbk_matrix_create_dist(out, prec, buf, m, n, m, mb, nb, dist);
    int ret = sbk_matrix_create_dist(root, prec, sbk_rank() == 0 ? buf : NULL, m, n, m, mb, nb, SBK_DIST_ROOT);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(out, prec, NULL, m, n, m, mb, nb, dist);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_copy(*root, *out);
    /* Scattered before anything is timed or counted (sbk_print_workers' bytes). */
    return ret == SBK_SUCCESS ? sbk_wait() : ret;
}

int drv_collect(sbk_matrix *A, sbk_matrix *root)
{
    int ret = root ? sbk_matrix_copy(A, root) : SBK_SUCCESS;
    sbk_matrix_destroy(A), sbk_matrix_destroy(root);
    return ret;
}

/* One array, checked to be finite and of a size the library's int sizes hold. */
static void *load_array(const char *prog, const char *path, sbk_precision prec, long *rows, long *cols)
{
    sbk_array a;
    char err[512];
    if (sbk_array_load(path, prec, &a, err, sizeof err) != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
        return NULL;
    }
    int64_t r, c;
    if (sbk_array_find_nonfinite(&a, &r, &c)) {
        fprintf(stderr, "starbak: %s: %s: NaN or Inf at row %lld, column %lld (counting from 0)\n", prog, path,
                (long long)r, (long long)c);
        sbk_array_free(&a);
        return NULL;
    }
    if (a.rows > DRV_MAX_SIZE || a.cols > DRV_MAX_SIZE) {
        fprintf(stderr, "starbak: %s: %s is too large (%lld×%lld)\n", prog, path, (long long)a.rows,
                (long long)a.cols);
        sbk_array_free(&a);
        return NULL;
    }
    *rows = a.rows, *cols = a.cols;
    return a.data;
}

int drv_load_xy(const char *prog, const char *xpath, const char *ypath, sbk_precision prec, void **X, long *obs,
                long *vars, void **y)
{
    long yr, yc;
    if (!(*X = load_array(prog, xpath, prec, obs, vars)))
        return -1;
    if (!ypath)
        return 0;
    if (!(*y = load_array(prog, ypath, prec, &yr, &yc)))
        return -1;
    if (yr != *obs || yc != 1) {
        fprintf(stderr, "starbak: %s: %s has shape %ld×%ld but %s has %ld rows: y must be a vector of %ld values\n",
                prog, ypath, yr, yc, xpath, *obs, *obs);
        return -1;
    }
    return 0;
}

int drv_save_vector(const char *prog, const char *path, sbk_precision prec, const void *v, long n)
{
    char err[512];
    size_t len = strlen(path);
    int csv = len > 4 && (!strcmp(path + len - 4, ".csv") || !strcmp(path + len - 4, ".txt"));
    int ret = csv ? sbk_csv_save(path, prec, v, n, 1, err, sizeof err)
                  : sbk_npy_save(path, prec, v, n, 1, 1, err, sizeof err);
    if (ret != SBK_SUCCESS)
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
    return ret;
}

long drv_default_tile_rows(long obs)
{
    long workers = (long)(sbk_ncpu_workers() + sbk_ncuda_workers()) * sbk_nranks(); /* ranks alike */
    long blocks = SBK_TASKS_PER_WORKER * workers;
    return (obs + blocks - 1) / blocks;
}
int drv_memory_refused(const char *prog, const char *what, double bytes)
{
    double avail = sbk_simulated() ? -1 : sbk_memory_available();
    if (avail < 0 || bytes <= avail)
        return 0;
    fprintf(stderr, "starbak: %s: not enough memory for %s: %.2f GB asked, %.2f GB available\n", prog, what,
            bytes / 1e9, avail / 1e9);
    return 1;
}

