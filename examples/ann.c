/* ANN driver: fits a neural network by least squares (inner layer of
 * per-neuron solves, outer layer on H^T H) from files or on a generated
 * problem, reports r on train and test, saves the model; predicts with it. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "driver.h"
#include "plot.h"

static const char *prog = "ann";

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ann fit [options]      fits y ~ sum_k v_k tanh(x . w_k + b_k) + v_0\n"
            "       ann predict --model=FILE --X=FILE --out=FILE\n"
            "  Data (fit), from files (.npy, or .csv/.txt):\n"
            "      --X=FILE --y=FILE      training rows and targets; y must lie in (-1, 1) unless --scale-y\n"
            "      --test-X=FILE --test-y=FILE   a test set for r (optional)\n"
            "  or a generated problem (x uniform in [-1/2, 1/2), y = sin(sum x) / 2, and a test set):\n"
            "      --obs=N (default 100000)  --test-obs=N (default obs / 4)  --vars=N (default 10)  --seed=S (default 1)\n"
            "  Model:\n"
            "      --neurons=N            hidden neurons (default 1000)\n"
            "      --rows-per-neuron=R    rows drawn per neuron (default obs / neurons)\n"
            "      --partition=random|kmeans  each neuron's rows: drawn at random (default), or one k-means cluster\n"
            "                             of the standardised X per neuron (local approximation)\n"
            "      --no-bias              no b_k and v_0: a plain tanh(X W^T) v model\n"
            "      --ridge=L              lambda of the outer solve (default 0)\n"
            "      --scale-y              map y's range into (-1, 1) and back on prediction\n"
            "      --model=FILE           save the fitted model (fit) / the model to use (predict)\n"
            "      --out=FILE             predictions (predict), .npy or .csv\n"
            "      --plot=FILE.svg        predicted vs true on the test set (fit)\n"
            "  -p, --precision=s|d        (default d)\n"
            "      --tile-rows=R          rows per tile (default: about 4 row blocks per worker)\n"
            "      --neurons-per-task=K   inner-layer neurons per task (default: about 4 tasks per worker)\n"
            DRV_TRACE_USAGE
            "  -h, --help\n"
            "Environment: STARPU_SCHED (e.g. dmda), STARPU_NCPU, STARPU_NCUDA, STARPU_HOME.\n");
}

struct set {
    long obs, vars;
    void *X, *y; /* y NULL when there is none */
};

static void free_set(struct set *s)
{
    free(s->X), free(s->y);
    memset(s, 0, sizeof *s);
}

/* What a run owns once StarPU is started: every exit goes through finish. */
struct run {
    struct set train, test;
    void *yhat, *that; /* predictions on the training and test sets */
    sbk_ann_model model;
    sbk_ann_report rep;
};

static int finish(struct run *r, int status)
{
    sbk_shutdown();
    sbk_ann_model_free(&r->model), sbk_ann_report_free(&r->rep);
    free(r->yhat), free(r->that);
    free_set(&r->train), free_set(&r->test);
    return status;
}

/* The generated problem: x uniform in [-1/2, 1/2), y = sin(sum of x) / 2. */
static int seed_set(long obs, long vars, uint64_t seed, sbk_precision prec, struct set *s)
{
    if (drv_memory_refused(prog, "the generated data", ((double)obs * vars + obs) * prec))
        return -1;
    *s = (struct set){obs, vars, calloc((size_t)obs * vars, prec), calloc(obs, prec)};
    if (!s->X || !s->y) {
        fprintf(stderr, "starbak: %s: cannot allocate %.2f GB\n", prog, (double)obs * vars * prec / 1e9);
        return -1;
    }
    drv_fill_uniform(prec, s->X, (size_t)obs * vars, seed);
    for (long i = 0; i < obs && !sbk_simulated(); i++) {
        double sum = 0;
        for (long j = 0; j < vars; j++)
            sum += prec == SBK_DOUBLE ? ((double *)s->X)[i + j * obs] : ((float *)s->X)[i + j * obs];
        prec == SBK_DOUBLE ? (((double *)s->y)[i] = sin(sum) / 2) : (((float *)s->y)[i] = (float)(sin(sum) / 2));
    }
    return 0;
}

/* Predicts on s into yhat (obs values), returning 0 or an SBK_E* code. Under
 * MPI, s and yhat are rank 0's: X is scattered in row blocks, yhat gathered. */
static int predict(const sbk_ann_model *m, const struct set *s, sbk_precision prec, long tile_rows, void *yhat)
{
    sbk_matrix *dX, *dyhat, *rX, *ryhat;
    int ret = drv_distribute(&dX, &rX, prec, s->X, s->obs, s->vars, tile_rows, s->vars, SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS &&
        (ret = drv_distribute(&dyhat, &ryhat, prec, yhat, s->obs, 1, tile_rows, 1, SBK_DIST_ROWS)) != SBK_SUCCESS)
        drv_collect(dX, rX);
    if (ret != SBK_SUCCESS)
        return ret;
    ret = sbk_ann_predict(m, dX, dyhat);
    int back = drv_collect(dyhat, ryhat);
    drv_collect(dX, rX);
    return ret != SBK_SUCCESS ? ret : back;
}

static void progress(int done, int total, void *user)
{
    int *last = user; /* print every 10% */
    if (done * 10 / total > *last || done == total) {
        *last = done * 10 / total;
        printf("inner: %d/%d neurons\n", done, total);
        fflush(stdout);
    }
}

/* Writes the test set's predicted vs true values as a scatter plot. */
static int plot_scatter(const char *path, sbk_precision prec, const void *pred, const void *truth, long n, double r)
{
    char title[96], err[512];
    snprintf(title, sizeof title, "ANN test set: predicted vs true, r = %.5f", r);
    int ret = plot_scatter_svg(path, title, prec, pred, truth, n, err, sizeof err);
    if (ret != SBK_SUCCESS)
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "fit") && strcmp(argv[1], "predict"))) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            usage(stdout);
            return 0;
        }
        fprintf(stderr, "starbak: %s: the first argument is fit or predict (see --help)\n", prog);
        return 2;
    }
    int fitting = !strcmp(argv[1], "fit");
    long obs = 100000, test_obs = -1, vars = 10, neurons = 1000, rows_per_neuron = 0, tile_rows = 0, per_task = 0;
    uint64_t seed = 1;
    double ridge = 0;
    int bias = 1, scale_y = 0, bad = 0;
    sbk_ann_partition partition = SBK_ANN_PARTITION_RANDOM;
    sbk_precision prec = SBK_DOUBLE;
    const char *xpath = NULL, *ypath = NULL, *txpath = NULL, *typath = NULL, *model_path = NULL, *out = NULL,
               *plot = NULL;
    static const struct option options[] = {
        {"X", required_argument, 0, 'X'},        {"y", required_argument, 0, 'y'},
        {"test-X", required_argument, 0, 'T'},   {"test-y", required_argument, 0, 'U'},
        {"obs", required_argument, 0, 'O'},      {"test-obs", required_argument, 0, 'Q'},
        {"vars", required_argument, 0, 'V'},     {"seed", required_argument, 0, 'S'},
        {"neurons", required_argument, 0, 'n'},  {"rows-per-neuron", required_argument, 0, 'R'},
        {"no-bias", no_argument, 0, 'B'},        {"ridge", required_argument, 0, 'L'},
        {"scale-y", no_argument, 0, 'Y'},        {"model", required_argument, 0, 'm'},
        {"out", required_argument, 0, 'o'},      {"plot", required_argument, 0, 'P'},
        {"precision", required_argument, 0, 'p'}, {"tile-rows", required_argument, 0, 'r'},
        {"help", no_argument, 0, 'h'},           {"trace", required_argument, 0, 'Z'},
        {"neurons-per-task", required_argument, 0, 'K'},
        {"partition", required_argument, 0, 'A'},
        {0, 0, 0, 0}};
    optind = 2;
    for (int c; (c = getopt_long(argc, argv, "p:h", options, NULL)) != -1;) {
        switch (c) {
        case 'X': xpath = optarg; break;
        case 'y': ypath = optarg; break;
        case 'T': txpath = optarg; break;
        case 'U': typath = optarg; break;
        case 'O': bad |= drv_parse_long(prog, "obs", optarg, 2, DRV_MAX_SIZE, &obs); break;
        case 'Q': bad |= drv_parse_long(prog, "test-obs", optarg, 2, DRV_MAX_SIZE, &test_obs); break;
        case 'V': bad |= drv_parse_long(prog, "vars", optarg, 1, 1L << 20, &vars); break;
        case 'S': bad |= drv_parse_u64(prog, "seed", optarg, 0, &seed); break;
        case 'n': bad |= drv_parse_long(prog, "neurons", optarg, 1, 1L << 20, &neurons); break;
        case 'R': bad |= drv_parse_long(prog, "rows-per-neuron", optarg, 1, DRV_MAX_SIZE, &rows_per_neuron); break;
        case 'B': bias = 0; break;
        case 'L': bad |= drv_parse_double(prog, "ridge", optarg, &ridge); break;
        case 'Y': scale_y = 1; break;
        case 'm': model_path = optarg; break;
        case 'o': out = optarg; break;
        case 'P': plot = optarg; break;
        case 'p': bad |= drv_parse_precision(prog, optarg, &prec); break;
        case 'r': bad |= drv_parse_long(prog, "tile-rows", optarg, 1, DRV_MAX_SIZE, &tile_rows); break;
        case 'Z': bad |= drv_trace_option(prog, optarg); break;
        case 'K': bad |= drv_parse_long(prog, "neurons-per-task", optarg, 1, 1L << 20, &per_task); break;
        case 'A':
            if (!strcmp(optarg, "kmeans"))
                partition = SBK_ANN_PARTITION_KMEANS;
            else if (strcmp(optarg, "random")) {
                fprintf(stderr, "starbak: %s: --partition: '%s' is neither random nor kmeans\n", prog, optarg);
                bad = 1;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (drv_args_rejected(prog, argc, argv, bad))
        return 2;
    if (!fitting && (!model_path || !xpath || !out)) {
        fprintf(stderr, "starbak: %s: predict needs --model, --X and --out\n", prog);
        return 2;
    }
    if (fitting && (!!xpath != !!ypath || !!txpath != !!typath)) {
        fprintf(stderr, "starbak: %s: --X and --y (and --test-X and --test-y) go together\n", prog);
        return 2;
    }
    if (drv_start(prog))
        return 1;
    /* Rank 0 reads or makes the data sets; the other ranks learn their sizes. */
    int root = sbk_rank() == 0;
    struct run run = {0};
    struct set *train = &run.train, *test = &run.test;
    int ok = !root || !(xpath ? drv_load_xy(prog, xpath, fitting ? ypath : NULL, prec, &train->X, &train->obs,
                                            &train->vars, &train->y)
                              : seed_set(obs, vars, seed, prec, train));
    if (ok && root && fitting &&
        (txpath ? drv_load_xy(prog, txpath, typath, prec, &test->X, &test->obs, &test->vars, &test->y)
                : !xpath ? seed_set(test_obs > 0 ? test_obs : obs / 4, vars, seed + 1000, prec, test) : 0))
        ok = 0;
    if (ok && test->X && test->vars != train->vars) {
        fprintf(stderr, "starbak: %s: the test set has %ld columns, the training set %ld\n", prog, test->vars,
                train->vars);
        ok = 0;
    }
    if (!tile_rows)
        tile_rows = drv_default_tile_rows(train->obs);
    long shape[] = {train->obs, train->vars, test->X != NULL, test->obs, tile_rows};
    if (drv_share(prog, ok, shape, 5))
        return finish(&run, 1);
    train->obs = shape[0], train->vars = test->vars = shape[1], test->obs = shape[3], tile_rows = shape[4];
    int has_test = shape[2] != 0;
    int status = 0;
    char err[512];
    sbk_ann_model *model = &run.model;
    if (!fitting) {
        /* Every rank reads the (small) model file: each needs the weights. */
        void *yhat = run.yhat = root ? calloc(train->obs, prec) : NULL;
        int ret = sbk_ann_load(model, model_path, err, sizeof err);
        if (ret != SBK_SUCCESS)
            fprintf(stderr, "starbak: %s: %s\n", prog, err);
        else if (model->vars != train->vars)
            fprintf(stderr, "starbak: %s: %s was fitted on %d columns, %s has %ld\n", prog, model_path, model->vars,
                    xpath, train->vars);
        if (drv_share(prog, ret == SBK_SUCCESS && model->vars == train->vars, NULL, 0))
            return finish(&run, 1);
        double t0 = drv_now();
        if ((ret = predict(model, train, prec, tile_rows, yhat)) != SBK_SUCCESS)
            return finish(&run, drv_fail(prog, "predict", ret));
        printf("obs: %ld\nneurons: %d\n", train->obs, model->neurons);
        sbk_print_workers(stdout);
        printf("time_s: %.4f\n", drv_now() - t0);
        sbk_shutdown();
        status = drv_trace_finish(prog) ||
                 (root && !sbk_simulated() && drv_save_vector(prog, out, prec, yhat, train->obs) != SBK_SUCCESS);
        return finish(&run, status);
    }

    sbk_matrix *dX = NULL, *dy = NULL, *rX = NULL, *ry = NULL;
    int ret = drv_distribute(&dX, &rX, prec, train->X, train->obs, train->vars, tile_rows, train->vars,
                             SBK_DIST_ROWS);
    if (ret == SBK_SUCCESS)
        ret = drv_distribute(&dy, &ry, prec, train->y, train->obs, 1, tile_rows, 1, SBK_DIST_ROWS);
    if (ret != SBK_SUCCESS) {
        sbk_matrix_destroy(dX), sbk_matrix_destroy(rX), sbk_matrix_destroy(dy), sbk_matrix_destroy(ry);
        return finish(&run, drv_fail(prog, "describing X and y", ret));
    }
    sbk_ann_opts o;
    sbk_ann_opts_default(&o);
    int last = -1;
    o.neurons = (int)neurons, o.rows_per_neuron = (int)rows_per_neuron, o.bias = bias, o.ridge = ridge;
    o.seed = seed, o.progress = progress, o.user = &last, o.neurons_per_task = (int)per_task;
    o.partition = partition;
    printf("obs: %ld\nvars: %ld\nneurons: %ld\nbias: %s\nprecision: %s\ntile_rows: %ld\npartition: %s\n", train->obs,
           train->vars, neurons, bias ? "yes" : "no", prec == SBK_DOUBLE ? "d" : "s", tile_rows,
           partition == SBK_ANN_PARTITION_KMEANS ? "kmeans" : "random");
    sbk_ann_report *rep = &run.rep;
    ret = sbk_ann_fit(dX, dy, scale_y, &o, model, rep);
    drv_collect(dX, rX), drv_collect(dy, ry);
    if (ret != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: fit: %s%s%s\n", prog, sbk_strerror(ret), rep->message[0] ? ": " : "",
                rep->message);
        return finish(&run, 1);
    }
    sbk_print_workers(stdout);
    if (!sbk_simulated())
        printf("dropped_neurons: %d\nredrawn_neurons: %d\nridge: %g\n", rep->dropped, rep->redrawn, rep->ridge_used);
    if (rep->message[0] && !sbk_simulated())
        printf("note: %s\n", rep->message);
    if (partition == SBK_ANN_PARTITION_KMEANS && !sbk_simulated()) {
        printf("cluster_rows_min: %d\ncluster_rows_median: %d\ncluster_rows_max: %d\nmerged_clusters: %d\n",
               rep->cluster_rows_min, rep->cluster_rows_median, rep->cluster_rows_max, rep->merged);
        for (int i = 0; i < rep->merged && i < 10; i++)
            printf("note: cluster %d had fewer than %ld rows: merged into its nearest, neuron %d dropped\n",
                   rep->merged_list[i], train->vars + bias + 1, rep->merged_list[i]);
        printf("time_clustering_s: %.4f\n", rep->seconds_clustering);
    }
    printf("time_inner_s: %.4f\ntime_outer_s: %.4f\ntime_fit_s: %.4f\n", rep->seconds_inner, rep->seconds_outer,
           rep->seconds_total);
    void *yhat = run.yhat = root ? calloc(train->obs, prec) : NULL;
    if (sbk_simulated()) /* r is not computed in simulation: nor are the predictions it needs */
        plot = NULL;
    else if ((ret = predict(model, train, prec, tile_rows, yhat)) != SBK_SUCCESS)
        return finish(&run, drv_fail(prog, "predict", ret));
    else if (root)
        printf("r_train: %.8f\n", sbk_correlation(prec, yhat, train->y, train->obs));
    if (has_test && !sbk_simulated()) {
        void *that = run.that = root ? calloc(test->obs, prec) : NULL;
        if ((ret = predict(model, test, prec, drv_default_tile_rows(test->obs), that)) != SBK_SUCCESS)
            return finish(&run, drv_fail(prog, "predict", ret));
        double r = root ? sbk_correlation(prec, that, test->y, test->obs) : 0.0;
        printf("r_test: %.8f\n", r);
        if (root && plot && plot_scatter(plot, prec, that, test->y, test->obs, r) != SBK_SUCCESS)
            status = 1;
    } else if (plot) {
        fprintf(stderr, "starbak: %s: --plot needs a test set (--test-X, --test-y)\n", prog);
        status = 1;
    }
    sbk_shutdown();
    status |= drv_trace_finish(prog);
    if (root && model_path && !sbk_simulated() && sbk_ann_save(model, model_path, err, sizeof err) != SBK_SUCCESS) {
        fprintf(stderr, "starbak: %s: %s\n", prog, err);
        status = 1;
    }
    return finish(&run, status);
}
