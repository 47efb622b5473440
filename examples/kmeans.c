/* k-means driver: clusters the rows of X (a .npy/CSV file, or generated
 * groups) by Lloyd's iterations on StarPU tasks; prints one progress line per
 * iteration with the inertia, then the result as "key: value" lines; writes
 * the centroids, the labels and an inertia plot on request. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"
#include "plot.h"

static const char *prog = "kmeans";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kmeans [options]\n"
            "  Clusters the rows of X by k-means (Lloyd's iterations, as scikit-learn's KMeans(algorithm=\"lloyd\",\n"
            "  n_init=1)) on StarPU tasks.\n"
            "  Data, from a file (.npy, or .csv/.txt):\n"
            "      --X=FILE          obs×vars matrix, one row per point\n"
            "  or generated: k groups of rows, uniform in [-1/2, 1/2) around centres uniform in [-5, 5):\n"
            "      --obs=N           rows (default 100000)\n"
            "      --vars=N          columns (default 10)\n"
            "  Clustering:\n"
            "      --k=N             clusters (default 8, or the rows of an --init file)\n"
            "      --iters=N         at most N iterations (default 300)\n"
            "      --tol=T           stop once the centroids' squared shift <= T × the mean column variance\n"
            "                        (default 1e-4; 0: only when no label changes)\n"
            "      --init=WAY        k-means++ (default), random (k distinct rows), or a file of k×vars centroids\n"
            "      --seed=S          of the generated data and of the initial centroids (default 1)\n"
            "  Outputs (.npy, or .csv/.txt; never half-written):\n"
            "      --out=FILE        the k×vars centroids\n"
            "      --labels=FILE     each row's cluster, 0 to k-1 (float64 values)\n"
            "      --plot=FILE.svg   the inertia per iteration\n"
            "  -p, --precision=s|d   (default d)\n"
            "      --tile-rows=R     rows per tile (default: about 4 row blocks per worker)\n"
            DRV_TRACE_USAGE
            "  -h, --help            this text\n"
            "Environment: STARPU_SCHED (e.g. dmda), STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}

struct run {
    sbk_precision prec;
    long obs, vars, k;
    void *X, *C;   /* obs×vars points; k×vars centroids (the initial ones from a file, then the result) */
    int *labels;
    sbk_kmeans_report rep;
};

static int finish(struct run *r, int status)
{
    sbk_shutdown();
    free(r->X), free(r->C), free(r->labels);
    sbk_kmeans_report_free(&r->rep);
    return status;
}

/* k groups: row i around centre i % k. */
static int generate(struct run *r, uint64_t seed)
{
    size_t n = (size_t)r->obs * r->vars;
    if (drv_memory_refused(prog, "the generated X", (double)n * r->prec))
        return -1;
    double *centres = calloc((size_t)r->k * r->vars, sizeof *centres);
    r->X = calloc(n, r->prec);
    if (!r->X || !centres) {
        free(centres);
        fprintf(stderr, "starbak: %s: cannot allocate %.2f GB for X\n", prog, n * (double)r->prec / 1e9);
        return -1;
    }
    drv_fill_uniform(r->prec, r->X, n, seed);
    drv_fill_uniform(SBK_DOUBLE, centres, (size_t)r->k * r->vars, seed + 1);
    for (long v = 0; v < r->vars; v++)
        for (long i = 0; i < r->obs; i++) {
            size_t at = i + v * (size_t)r->obs;
            double c = 10.0 * centres[i % r->k + v * r->k];
            r->prec == SBK_DOUBLE ? (((double *)r->X)[at] += c) : (((float *)r->X)[at] += (float)c);
        }
    free(centres);
    return 0;
}

/* Initial centroids from a file: k×vars, k agreeing with --k when given. */
static int load_init(struct run *r, const char *path, long k_option)
{
    long rows, cols;
    if (drv_load_xy(prog, path, NULL, r->prec, &r->C, &rows, &cols, NULL))
        return 1;
    if (cols != r->vars) {
        fprintf(stderr, "starbak: %s: --init: %s holds %ld×%ld centroids, but X has %ld columns\n", prog, path, rows,
                cols, r->vars);
        return 1;
    }
    if (k_option > 0 && k_option != rows) {
        fprintf(stderr, "starbak: %s: --k: %ld, but %s holds %ld centroids\n", prog, k_option, path, rows);
        return 2;
    }
    r->k = rows;
    return 0;
}

static void progress(int iteration, double inertia, double shift, long changed, double seconds, void *user)
{
    (void)user;
    printf("iteration: %d inertia: %.10e shift: %.3e changed: %ld time_s: %.4f\n", iteration, inertia, shift,
           changed, seconds);
    fflush(stdout);
}

/* Writes a rows×cols array as CSV (.csv/.txt) or .npy. */
static int save_matrix(const char *path, sbk_precision prec, const void *a, long rows, long cols)
{
    char err[512];
    size_t len = strlen(path);
    int csv = len > 4 && (!strcmp(path + len - 4, ".csv") || !strcmp(path + len - 4, ".txt"));
    int ret = csv ? sbk_csv_save(path, prec, a, rows, cols, err, sizeof err)
                  : sbk_npy_save(path, prec, a, rows, cols, 2, err, sizeof err);
    if (ret != SBK_SUCCESS)
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
    return ret;
}

static int save_labels(const char *path, const int *labels, long n)
{
    double *v = malloc(n * sizeof *v);
    if (!v) {
        fprintf(stderr, "starbak: %s: out of memory for the labels\n", prog);
        return 1;
    }
    for (long i = 0; i < n; i++)
        v[i] = labels[i];
    int ret = drv_save_vector(prog, path, SBK_DOUBLE, v, n);
    free(v);
    return ret != SBK_SUCCESS;
}

static void print_result(const struct run *r)
{
    const sbk_kmeans_report *rep = &r->rep;
    sbk_print_workers(stdout);
    printf("iterations: %d\nconverged: %s\ninertia: %.10e\nreseeded_clusters: %d\n", rep->iterations,
           rep->converged ? "yes" : "no", rep->final_inertia, rep->nreseeded);
    for (int i = 0; i < rep->nreseeded && i < 10; i++)
        printf("note: cluster %d was empty at iteration %d: re-seeded from the farthest row\n",
               rep->reseeded_cluster[i], rep->reseeded_iteration[i]);
    printf("time_init_s: %.4f\ntime_iterations_s: %.4f\ntime_per_iteration_s: %.6f\ntime_s: %.4f\n",
           rep->seconds_init, rep->seconds_iterations,
           rep->iterations > 0 ? rep->seconds_iterations / rep->iterations : 0.0, rep->seconds_total);
}

/* Writes the outputs asked for; 0 or 1. */
static int write_outputs(const struct run *r, const char *out, const char *labels, const char *plot)
{
    char err[512];
    if (out && save_matrix(out, r->prec, r->C, r->k, r->vars) != SBK_SUCCESS)
        return 1;
    if (labels && save_labels(labels, r->labels, r->obs))
        return 1;
    struct plot_series s = {"inertia", r->rep.inertia, r->rep.iterations};
    if (plot && plot_convergence_svg(plot, "k-means inertia per iteration", "inertia", &s, 1, err, sizeof err)) {
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
        return 1;
    }
    return 0;
}

/* --init's keyword, or 0 for a file name. */
static int parse_init(const char *text, sbk_kmeans_init *init)
{
    if (!strcmp(text, "k-means++"))
        *init = SBK_KMEANS_PLUSPLUS;
    else if (!strcmp(text, "random"))
        *init = SBK_KMEANS_RANDOM;
    else {
        *init = SBK_KMEANS_GIVEN;
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    long obs = 100000, vars = 10, k = 0, iters = 300, tile_rows = 0;
    uint64_t seed = 1;
    double tol = 1e-4;
    const char *xpath = NULL, *out = NULL, *labels = NULL, *plot = NULL, *init_text = "k-means++";
    sbk_kmeans_init init = SBK_KMEANS_PLUSPLUS;
    int bad = 0;
    struct run r = {.prec = SBK_DOUBLE};
    static const struct option options[] = {
        {"X", required_argument, 0, 'X'},         {"obs", required_argument, 0, 'O'},
        {"vars", required_argument, 0, 'V'},      {"k", required_argument, 0, 'k'},
        {"iters", required_argument, 0, 'i'},     {"tol", required_argument, 0, 't'},
        {"init", required_argument, 0, 'I'},      {"seed", required_argument, 0, 'S'},
        {"out", required_argument, 0, 'o'},       {"labels", required_argument, 0, 'l'},
        {"plot", required_argument, 0, 'P'},      {"precision", required_argument, 0, 'p'},
        {"tile-rows", required_argument, 0, 'r'}, {"trace", required_argument, 0, 'Z'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "p:h", options, NULL)) != -1;) {
        switch (c) {
        case 'X': xpath = optarg; break;
        case 'O': bad |= drv_parse_long(prog, "obs", optarg, 1, 0x7fffffffL, &obs); break;
        case 'V': bad |= drv_parse_long(prog, "vars", optarg, 1, 0x7fffffffL, &vars); break;
        case 'k': bad |= drv_parse_long(prog, "k", optarg, 1, 0x7fffffffL, &k); break;
        case 'i': bad |= drv_parse_long(prog, "iters", optarg, 0, 10000000, &iters); break;
        case 't':
            if (!(bad |= drv_parse_double(prog, "tol", optarg, &tol)) && tol < 0) {
                fprintf(stderr, "starbak: %s: --tol: %s is below 0\n", prog, optarg);
                bad = 1;
            }
            break;
        case 'I': init_text = optarg, parse_init(optarg, &init); break;
        case 'S': bad |= drv_parse_u64(prog, "seed", optarg, 0, &seed); break;
        case 'o': out = optarg; break;
        case 'l': labels = optarg; break;
        case 'P': plot = optarg; break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &r.prec); break;
        case 'r': bad |= drv_parse_long(prog, "tile-rows", optarg, 1, 0x7fffffffL, &tile_rows); break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    if (!xpath && k > obs) {
        fprintf(stderr, "starbak: %s: --k: %ld exceeds the %ld rows (--obs)\n", prog, k, obs);
        return 2;
    }
    r.obs = obs, r.vars = vars, r.k = k > 0 ? k : 8;
    if (drv_start(prog))
        return 1;
    /* Rank 0 reads or makes X and the initial centroids; StarPU-MPI scatters X in row blocks. */
    int root = sbk_rank() == 0, status = 0;
    if (root && (xpath ? drv_load_xy(prog, xpath, NULL, r.prec, &r.X, &r.obs, &r.vars, NULL) : generate(&r, seed)))
        status = 1;
    if (root && !status && init == SBK_KMEANS_GIVEN)
        status = load_init(&r, init_text, k);
    if (!tile_rows)
        tile_rows = drv_default_tile_rows(r.obs);
    long shape[] = {r.obs, r.vars, r.k, tile_rows};
    if (drv_share(prog, status == 0, shape, 4))
        return finish(&r, root && status ? status : 1);
    r.obs = shape[0], r.vars = shape[1], r.k = shape[2], tile_rows = shape[3];
    if (r.k > r.obs) { /* every rank stops alike; rank 0 says why */
        if (root)
            fprintf(stderr, "starbak: %s: --k: %ld exceeds the %ld rows of %s\n", prog, r.k, r.obs, xpath);
        return finish(&r, 2);
    }
    if (!r.C && !(r.C = calloc((size_t)r.k * r.vars, r.prec)))
        return finish(&r, drv_fail(prog, "the centroids", SBK_ENOMEM));
    if (!(r.labels = calloc(r.obs, sizeof *r.labels)))
        return finish(&r, drv_fail(prog, "the labels", SBK_ENOMEM));
    /* Every rank starts from the same given centroids. */
    if (init == SBK_KMEANS_GIVEN && sbk_broadcast(r.C, (size_t)r.k * r.vars * r.prec) != SBK_SUCCESS)
        return finish(&r, drv_fail(prog, "broadcasting the initial centroids", SBK_ERUNTIME));
    printf("obs: %ld\nvars: %ld\nk: %ld\ninit: %s\nprecision: %s\ntile_rows: %ld\n", r.obs, r.vars, r.k, init_text,
           r.prec == SBK_DOUBLE ? "d" : "s", tile_rows);
    sbk_matrix *dX, *rX;
    int ret = drv_distribute(&dX, &rX, r.prec, r.X, r.obs, r.vars, tile_rows, r.vars, SBK_DIST_ROWS);
    if (ret != SBK_SUCCESS)
        return finish(&r, drv_fail(prog, "describing X", ret));
    sbk_kmeans_opts o;
    sbk_kmeans_opts_default(&o);
    o.k = (int)r.k, o.max_iterations = (int)iters, o.tolerance = tol, o.init = init, o.seed = seed;
    o.progress = progress;
    ret = sbk_kmeans(dX, &o, r.C, r.labels, &r.rep);
    sbk_matrix_destroy(dX), sbk_matrix_destroy(rX);
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: k-means: %s%s%s\n", prog, sbk_strerror(ret), r.rep.message[0] ? ": " : "",
                r.rep.message);
        return finish(&r, 1);
    }
    print_result(&r);
    sbk_shutdown();
    status = drv_trace_finish(prog);
    if (root && !sbk_simulated()) /* outputs are written once, by rank 0 */
        status |= write_outputs(&r, out, labels, plot);
    return finish(&r, status);
}
