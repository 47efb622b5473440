/* SolveBak driver: solves X a ~ y from .npy/CSV files or on a generated
 * generated problem, with one or several methods; prints one progress line per
 * iteration, the error against the truth when it is known, time and GB/s. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"
#include "plot.h"

static const char *prog = "solvebak";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: solvebak [options]\n"
            "  Solves X a ~ y (X tall: obs >> vars) by SolveBak's coordinate descent on StarPU tasks.\n"
            "  Data, from files (.npy, or .csv/.txt):\n"
            "      --X=FILE          obs×vars matrix\n"
            "      --y=FILE          obs values\n"
            "      --out=FILE        write a (the last method's) to .npy or .csv; never half-written\n"
            "  or generated (X uniform in [-1/2, 1/2), y = X a_true):\n"
            "      --obs=N           rows (default 100000)\n"
            "      --vars=N          columns (default 1000)\n"
            "      --seed=S          (default 1)\n"
            "  Method:\n"
            "      --method=LIST     per-column, batched, block-exact, gram, comma-separated (default batched);\n"
            "                        one may repeat (warm runs in one process), 16 runs at most\n"
            "      --batch=B         columns per batch (default 100, or vars if fewer); per-column and\n"
            "                        gram give the same iterates whatever B (per-column works blocks of\n"
            "                        at most B columns)\n"
            "      --iters=N         iterations (default 10)\n"
            "      --tol=T           stop once ||e||/||y|| <= T (default 0: never)\n"
            "  -p, --precision=s|d   (default d)\n"
            "      --tile-rows=R     rows per tile (default: about 4 row blocks per worker)\n"
            "      --plot=FILE.svg   ||e||/||y|| per iteration, one line per method\n"
            DRV_TRACE_USAGE
            "  -h, --help            this text\n"
            "Environment: STARPU_SCHED (e.g. dmda), STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}

static const char *method_names[] = {"per-column", "batched", "block-exact", "gram"};
enum { MAX_RUNS = 16 }; /* --method entries: a method may repeat (warm runs in one process) */

/* Parses "batched,gram" into methods[]; returns the count or -1. */
static int parse_methods(const char *text, sbk_solvebak_method *methods)
{
    int n = 0;
    char *copy = strdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int found = -1;
        for (int m = 0; m < 4; m++)
            if (!strcmp(tok, method_names[m]))
                found = m;
        if (found < 0 || n == MAX_RUNS) {
            if (found < 0)
                fprintf(stderr, "starbak: %s: --method: '%s' is not one of per-column, batched, block-exact, gram\n",
                        prog, tok);
            else
                fprintf(stderr, "starbak: %s: --method: more than %d runs\n", prog, MAX_RUNS);
            free(copy);
            return -1;
        }
        methods[n++] = (sbk_solvebak_method)found;
    }
    free(copy);
    if (n == 0)
        fprintf(stderr, "starbak: %s: --method: empty list\n", prog);
    return n ? n : -1;
}

static void progress(int iteration, double rel, double seconds, void *user)
{
    printf("%s iteration: %d rel_residual: %.6e time_s: %.4f\n", (const char *)user, iteration, rel, seconds);
    fflush(stdout);
}


struct data {
    sbk_precision prec;
    long obs, vars;
    void *X, *y;
    double *a_true; /* NULL when the data came from files */
};

/* Every return after the data exist frees them (a run that fails leaks nothing either). */
static int free_data(struct data *d, void *a, int status)
{
    if (d->a_true) /* generated */
        drv_free_input(d->X, (size_t)d->obs * d->vars * d->prec), drv_free_input(d->y, (size_t)d->obs * d->prec);
    else
        free(d->X), free(d->y);
    free(d->a_true), free(a);
    return status;
}

/* The generated problem: X uniform in [-1/2, 1/2), a_true uniform too, y = X a_true. */
static int generate(struct data *d, uint64_t seed)
{
    size_t n = (size_t)d->obs * d->vars;
    if (drv_memory_refused(prog, "the generated X and y", ((double)n + d->obs) * d->prec))
        return -1;
    /* a_true first: free_data tells generated buffers by it */
    if ((d->a_true = calloc(d->vars, sizeof(double))))
        d->X = drv_alloc_input(n * d->prec), d->y = drv_alloc_input((size_t)d->obs * d->prec);
    if (!d->X || !d->y || !d->a_true) {
        fprintf(stderr, "starbak: %s: cannot allocate %.2f GB for X\n", prog, n * (double)d->prec / 1e9);
        return -1;
    }
    drv_fill_uniform(d->prec, d->X, n, seed);
    drv_fill_uniform(SBK_DOUBLE, d->a_true, d->vars, seed + 1);
    if (sbk_simulated())
        return 0;
    double *y = calloc(d->obs, sizeof *y);
    for (long j = 0; j < d->vars; j++)
        for (long i = 0; i < d->obs; i++)
            y[i] += sbk_elem_get(d->prec, d->X, i + j * (size_t)d->obs) * d->a_true[j];
    for (long i = 0; i < d->obs; i++)
        d->prec == SBK_DOUBLE ? (((double *)d->y)[i] = y[i]) : (((float *)d->y)[i] = (float)y[i]);
    free(y);
    return 0;
}

int main(int argc, char **argv)
{
    long obs = 100000, vars = 1000, batch = 0, iters = 10, tile_rows = 0; /* batch 0: the default */
    uint64_t seed = 1;
    double tol = 0.0;
    const char *xpath = NULL, *ypath = NULL, *out = NULL, *plot = NULL;
    sbk_solvebak_method methods[MAX_RUNS] = {SBK_SOLVEBAK_BATCHED};
    int nmethods = 1, bad = 0;
    struct data d = {.prec = SBK_DOUBLE};
    static const struct option options[] = {
        {"X", required_argument, 0, 'X'},         {"y", required_argument, 0, 'y'},
        {"out", required_argument, 0, 'o'},       {"obs", required_argument, 0, 'O'},
        {"vars", required_argument, 0, 'V'},      {"seed", required_argument, 0, 'S'},
        {"method", required_argument, 0, 'm'},    {"batch", required_argument, 0, 'b'},
        {"iters", required_argument, 0, 'i'},     {"tol", required_argument, 0, 't'},
        {"precision", required_argument, 0, 'p'}, {"tile-rows", required_argument, 0, 'r'},
        {"plot", required_argument, 0, 'P'},      {"help", no_argument, 0, 'h'},
        {"trace", required_argument, 0, 'Z'},
        {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "p:h", options, NULL)) != -1;) {
        switch (c) {
        case 'X': xpath = optarg; break;
        case 'y': ypath = optarg; break;
        case 'o': out = optarg; break;
        case 'O': bad |= drv_parse_long(prog, "obs", optarg, 1, DRV_MAX_SIZE, &obs); break;
        case 'V': bad |= drv_parse_long(prog, "vars", optarg, 1, DRV_MAX_SIZE, &vars); break;
        case 'S': bad |= drv_parse_u64(prog, "seed", optarg, 0, &seed); break;
        case 'm': bad |= (nmethods = parse_methods(optarg, methods)) < 0; break;
        case 'b': bad |= drv_parse_long(prog, "batch", optarg, 1, DRV_MAX_SIZE, &batch); break;
        case 'i': bad |= drv_parse_long(prog, "iters", optarg, 0, 1000000, &iters); break;
        case 't':
            if (!(bad |= drv_parse_double(prog, "tol", optarg, &tol)) && tol < 0) {
                fprintf(stderr, "starbak: %s: --tol: %s is below 0\n", prog, optarg);
                bad = 1;
            }
            break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &d.prec); break;
        case 'r': bad |= drv_parse_long(prog, "tile-rows", optarg, 1, DRV_MAX_SIZE, &tile_rows); break;
        case 'P': plot = optarg; break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    if (!!xpath != !!ypath) {
        fprintf(stderr, "starbak: %s: --X and --y go together (got only %s)\n", prog, xpath ? "--X" : "--y");
        return 2;
    }
    d.obs = obs, d.vars = vars;
    if (drv_start(prog))
        return 1;
    /* Rank 0 reads or makes the data; StarPU-MPI scatters X and y in row blocks. */
    int root = sbk_rank() == 0;
    void *a = NULL;
    int ok = !root || !(xpath ? drv_load_xy(prog, xpath, ypath, d.prec, &d.X, &d.obs, &d.vars, &d.y)
                              : generate(&d, seed));
    if (ok && root && !(a = calloc(d.vars, d.prec))) {
        fprintf(stderr, "starbak: %s: out of memory\n", prog);
        ok = 0;
    }
    if (!tile_rows) /* a few row blocks per worker, so every worker has work in each pass */
        tile_rows = drv_default_tile_rows(d.obs);
    long shape[] = {d.obs, d.vars, tile_rows};
    if (drv_share(prog, ok, shape, 3)) {
        sbk_shutdown();
        return free_data(&d, a, 1);
    }
    d.obs = shape[0], d.vars = shape[1], tile_rows = shape[2];
    if (!batch)
        batch = d.vars < 100 ? d.vars : 100;
    if (batch > d.vars) {
        fprintf(stderr, "starbak: %s: --batch %ld exceeds the %ld columns of X\n", prog, batch, d.vars);
        sbk_shutdown();
        return free_data(&d, a, 2);
    }
    printf("obs: %ld\nvars: %ld\nprecision: %s\nbatch: %ld\ntile_rows: %ld\n", d.obs, d.vars,
           d.prec == SBK_DOUBLE ? "d" : "s", batch, tile_rows);

    sbk_matrix *dX, *dy, *da, *rX, *ry;
    int ret = drv_distribute(&dX, &rX, d.prec, d.X, d.obs, d.vars, tile_rows, batch, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = drv_distribute(&dy, &ry, d.prec, d.y, d.obs, 1, tile_rows, 1, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = sbk_matrix_create_dist(&da, d.prec, a, d.vars, 1, d.vars, batch, 1, SBK_DIST_ROOT);
    if (ret != SBK_SUCCESS)
        return free_data(&d, a, drv_fail(prog, "describing X, y and a", ret));
    sbk_solvebak_report reports[MAX_RUNS];
    struct plot_series series[MAX_RUNS];
    int status = 0, done = 0;
    for (int k = 0; k < nmethods; k++, done++) {
        sbk_solvebak_opts o;
        sbk_solvebak_opts_default(&o);
        o.method = methods[k], o.batch = batch, o.max_iterations = iters, o.tolerance = tol;
        o.progress = progress, o.user = (void *)method_names[methods[k]];
        if (sbk_simulated()) /* no residual is computed: run every iteration, print none */
            o.tolerance = 0, o.progress = NULL;
        sbk_stats_reset();
        ret = sbk_solvebak(dX, dy, da, &o, &reports[k]);
        if (ret != SBK_SUCCESS) {
            fprintf(stderr, "starbak: %s: %s: %s%s%s\n", prog, method_names[methods[k]], sbk_strerror(ret),
                    reports[k].message[0] ? ": " : "", reports[k].message);
            sbk_solvebak_report_free(&reports[k]);
            status = 1;
            break;
        }
        sbk_solvebak_report *r = &reports[k];
        series[k] = (struct plot_series){method_names[methods[k]], r->rel_residual, r->iterations};
        sbk_matrix_destroy(da); /* brings a home to read it */
        double xbytes = (double)d.obs * d.vars * d.prec;
        printf("method: %s\n", method_names[methods[k]]);
        sbk_print_workers(stdout);
        printf("iterations: %d\n", r->iterations);
        if (!sbk_simulated())
            printf("rel_residual: %.6e\nskipped_columns: %d\nregularized_batches: %d\n", r->final_rel_residual,
                   r->nskipped, r->nregularized);
        if (r->message[0])
            printf("note: %s\n", r->message);
        printf("time_setup_s: %.4f\ntime_iterations_s: %.4f\ntime_s: %.4f\n", r->seconds_setup,
               r->seconds_iterations, r->seconds_total);
        if (methods[k] == SBK_SOLVEBAK_GRAM)
            printf("gbytes_per_s: %.2f (X read once to form G)\n", xbytes / r->seconds_setup / 1e9);
        else if (r->iterations > 0)
            printf("gbytes_per_s: %.2f (X read twice per iteration)\n",
                   2 * xbytes * r->iterations / r->seconds_iterations / 1e9);
        if (d.a_true && root && !sbk_simulated()) {
            double err = 0.0;
            for (long j = 0; j < d.vars; j++)
                err += fabs(sbk_elem_get(d.prec, a, j) - d.a_true[j]);
            printf("mean_abs_error: %.3e\n", err / d.vars);
        }
        if ((ret = sbk_matrix_create_dist(&da, d.prec, a, d.vars, 1, d.vars, batch, 1, SBK_DIST_ROOT)))
            return free_data(&d, a, drv_fail(prog, "describing a", ret));
    }
    sbk_matrix_destroy(dX), sbk_matrix_destroy(dy), sbk_matrix_destroy(da);
    sbk_matrix_destroy(rX), sbk_matrix_destroy(ry);
    sbk_shutdown();
    status |= drv_trace_finish(prog);
    if (!root || sbk_simulated()) /* outputs are written once, by rank 0, and not in simulation */
        out = plot = NULL;
    if (status == 0 && out && drv_save_vector(prog, out, d.prec, a, d.vars) != SBK_SUCCESS)
        status = 1;
    char err[512];
    if (status == 0 && plot &&
        plot_convergence_svg(plot, "SolveBak convergence", "||e|| / ||y||", series, nmethods, err, sizeof err)) {
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
        status = 1;
    }
    for (int k = 0; k < done; k++)
        sbk_solvebak_report_free(&reports[k]);
    return free_data(&d, a, status);
}
