/* The ANN's kmeans partition: the notebook's problem reaches r >= 0.99 on train
 * and test; each neuron's weights are LAPACKE_dgels on its k-means cluster's
 * rows (the clusters recomputed here by sbk_kmeans on X standardised the same
 * way); a cluster too small for a fit is merged and its neuron dropped, both
 * listed; the model file records the partition and version 1 files still
 * load; bad options are refused. Both precisions where the result allows. */
#include <unistd.h>
#include "ann_reference.h"

static sbk_ann_opts partition_opts(int neurons)
{
    sbk_ann_opts o;
    sbk_ann_opts_default(&o);
    o.neurons = neurons, o.partition = SBK_ANN_PARTITION_KMEANS, o.seed = 3;
    return o;
}

/* r on train and test after a fit on obs rows with the given neurons. */
static void fit_and_check_r(sbk_precision prec, int obs, int neurons)
{
    struct ann_data train = ann_notebook_problem(obs, 10, 1), test = ann_notebook_problem(obs / 4, 10, 2);
    struct ann_run r = ann_describe(&train, prec, obs / 8 + 3), t = ann_describe(&test, prec, 1000);
    sbk_ann_opts o = partition_opts(neurons);
    sbk_ann_model m;
    sbk_ann_report rep;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
    double r_train = ann_predicted_r(&m, &r, prec, train.obs);
    double r_test = ann_predicted_r(&m, &t, prec, test.obs);
    print_message("%c, obs %d, %d neurons: r train %.6f test %.6f, clusters %d..%d rows (median %d), %d merged, "
                  "%.2f s\n", prec == SBK_FLOAT ? 's' : 'd', obs, neurons, r_train, r_test, rep.cluster_rows_min,
                  rep.cluster_rows_max, rep.cluster_rows_median, rep.merged, rep.seconds_clustering);
    assert_true(r_train >= 0.99 && r_test >= 0.99);
    assert_true(rep.cluster_rows_min >= 12 && rep.cluster_rows_min <= rep.cluster_rows_median &&
                rep.cluster_rows_median <= rep.cluster_rows_max);
    assert_true(rep.seconds_clustering > 0 && rep.seconds_clustering <= rep.seconds_inner);
    assert_int_equal(m.partition, SBK_ANN_PARTITION_KMEANS);
    sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
    ann_release(&r), ann_release(&t);
    free(train.X), free(train.y), free(test.X), free(test.y);
}

/* The notebook's problem at obs 20000, 200 neurons (in float on a quarter of it: the same code). */
static void kmeans_partition_reaches_r_099_on_train_and_test(void **state)
{
    (void)state;
    fit_and_check_r(SBK_DOUBLE, 20000, 200);
    fit_and_check_r(SBK_FLOAT, 5000, 50);
}

/* The clusters as the library makes them: X's columns standardised (sums in
 * row order, as its pass over the tiles), then sbk_kmeans with its options. */
static void clusters(const struct ann_data *d, int mb, const sbk_ann_opts *o, int *labels)
{
    double *Z = malloc((size_t)d->obs * d->vars * sizeof *Z), *C = malloc((size_t)o->neurons * d->vars * sizeof *C);
    for (int c = 0; c < d->vars; c++) {
        const double *x = d->X + (size_t)c * d->obs;
        double mean = 0.0, var = 0.0;
        for (int i = 0; i < d->obs; i++)
            mean += x[i];
        mean /= d->obs;
        for (int i = 0; i < d->obs; i++)
            var += (x[i] - mean) * (x[i] - mean);
        var /= d->obs;
        for (int i = 0; i < d->obs; i++)
            Z[i + (size_t)c * d->obs] = (x[i] - mean) * (1.0 / sqrt(var));
    }
    sbk_matrix *dZ;
    assert_int_equal(sbk_matrix_create(&dZ, SBK_DOUBLE, Z, d->obs, d->vars, d->obs, mb, d->vars), 0);
    sbk_kmeans_opts ko;
    sbk_kmeans_opts_default(&ko);
    ko.k = o->neurons, ko.seed = o->seed, ko.max_iterations = 30;
    assert_int_equal(sbk_kmeans(dZ, &ko, C, labels, NULL), 0);
    sbk_matrix_destroy(dZ);
    free(Z), free(C);
}

/* Neuron k's weights and bias by LAPACKE_dgels on [X_k | 1] w = atanh(y_k). */
static void cluster_fit(const struct ann_data *d, const int *labels, int k, double *w)
{
    int n = d->vars + 1, rows = 0;
    for (int i = 0; i < d->obs; i++)
        rows += labels[i] == k;
    double *A = malloc((size_t)rows * n * sizeof *A), *t = malloc(rows * sizeof *t);
    for (int i = 0, r = 0; i < d->obs; i++) {
        if (labels[i] != k)
            continue;
        for (int c = 0; c < d->vars; c++)
            A[r + (size_t)c * rows] = d->X[i + (size_t)c * d->obs];
        A[r + (size_t)d->vars * rows] = 1.0;
        t[r++] = atanh(d->y[i]);
    }
    assert_int_equal(LAPACKE_dgels(LAPACK_COL_MAJOR, 'N', rows, n, 1, A, rows, t, rows), 0);
    memcpy(w, t, n * sizeof *w);
    free(A), free(t);
}

static void each_neuron_fits_its_cluster(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(3000, 4, 5);
    struct ann_run r = ann_describe(&d, SBK_DOUBLE, 700);
    sbk_ann_opts o = partition_opts(30);
    o.neurons_per_task = 4; /* blocks of clusters of unequal sizes */
    sbk_ann_model m;
    sbk_ann_report rep;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
    assert_int_equal(rep.merged, 0);
    assert_true(rep.cluster_rows_min < rep.cluster_rows_max);
    int *labels = malloc(d.obs * sizeof *labels);
    clusters(&d, 700, &o, labels);
    double w[5], worst = 0;
    for (int k = 0; k < o.neurons; k++) {
        cluster_fit(&d, labels, k, w);
        for (int c = 0; c <= d.vars; c++)
            worst = fmax(worst, fabs(m.W[c + (size_t)k * (d.vars + 1)] - w[c]) / (1 + fabs(w[c])));
    }
    print_message("worst weight difference to dgels on the clusters: %.2e\n", worst);
    assert_true(worst < (sbk_ncuda_workers() > 0 ? 1e-9 : 1e-11));
    free(labels);
    sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
    ann_release(&r);
    free(d.X), free(d.y);
}

/* Three rows far from the rest make a cluster of 3 < vars + bias + 1 = 6 rows. */
static void small_clusters_are_merged_and_their_neurons_dropped(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        struct ann_data d = ann_notebook_problem(2000, 4, 8);
        for (int i = 0; i < 3; i++)
            for (int c = 0; c < d.vars; c++)
                d.X[i + (size_t)c * d.obs] = 40.0 + i;
        struct ann_run r = ann_describe(&d, prec, 500);
        sbk_ann_opts o = partition_opts(20);
        sbk_ann_model m;
        sbk_ann_report rep;
        assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), 0);
        assert_true(rep.merged >= 1 && rep.dropped >= rep.merged);
        for (int i = 0; i < rep.merged; i++) {
            int k = rep.merged_list[i], listed = 0;
            for (int j = 0; j < rep.dropped; j++)
                listed |= rep.dropped_list[j] == k;
            assert_true(listed);
            for (int c = 0; c <= d.vars; c++)
                assert_true(m.W[c + (size_t)k * (d.vars + 1)] == 0.0);
        }
        assert_true(rep.cluster_rows_min >= 6);
        sbk_ann_model_free(&m), sbk_ann_report_free(&rep);
        ann_release(&r);
        free(d.X), free(d.y);
    }
}

/* Version 2 keeps the partition; a version 1 file (no partition field, the
 * weights right after y_scale) loads as a random-partition model. */
static void model_file_records_the_partition_and_reads_version_1(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(1000, 3, 4);
    struct ann_run r = ann_describe(&d, SBK_DOUBLE, 300);
    sbk_ann_opts o = partition_opts(10);
    sbk_ann_model m, loaded;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, NULL), 0);
    char dir[] = "/tmp/starbak-ann-partition.XXXXXX", path[96], old[96], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/model.sbk", dir), snprintf(old, sizeof old, "%s/v1.sbk", dir);
    assert_int_equal(sbk_ann_save(&m, path, err, sizeof err), 0);
    assert_int_equal(sbk_ann_load(&loaded, path, err, sizeof err), 0);
    assert_int_equal(loaded.partition, SBK_ANN_PARTITION_KMEANS);
    sbk_ann_model_free(&loaded);
    /* The same model as version 1 wrote it: bytes 0-39 of the header, then the weights. */
    FILE *in = fopen(path, "rb"), *out = fopen(old, "wb");
    char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_true(n > 48 && n < sizeof buf);
    buf[7] = 1;
    fwrite(buf, 1, 40, out), fwrite(buf + 48, 1, n - 48, out);
    fclose(in), fclose(out);
    assert_int_equal(sbk_ann_load(&loaded, old, err, sizeof err), 0);
    assert_int_equal(loaded.partition, SBK_ANN_PARTITION_RANDOM);
    assert_memory_equal(loaded.W, m.W, (size_t)(d.vars + 1) * o.neurons * sizeof *m.W);
    assert_memory_equal(loaded.v, m.v, (o.neurons + 1) * sizeof *m.v);
    sbk_ann_model_free(&loaded);
    buf[7] = 3; /* a version this starbak does not know */
    out = fopen(old, "wb"), fwrite(buf, 1, n, out), fclose(out);
    assert_int_equal(sbk_ann_load(&loaded, old, err, sizeof err), SBK_EFORMAT);
    assert_non_null(strstr(err, "model file version 3, this starbak reads versions 1 to 2"));
    unlink(path), unlink(old), rmdir(dir);
    sbk_ann_model_free(&m);
    ann_release(&r);
    free(d.X), free(d.y);
}

static void bad_partition_options_are_refused(void **state)
{
    (void)state;
    struct ann_data d = ann_notebook_problem(50, 3, 6);
    struct ann_run r = ann_describe(&d, SBK_DOUBLE, 16);
    sbk_ann_opts o = partition_opts(51);
    sbk_ann_model m;
    sbk_ann_report rep;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "the kmeans partition: 51 neurons exceed the 50 rows"));
    o = partition_opts(40); /* 50 rows in 40 clusters: none holds the 5 rows a fit needs */
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "holds the 5 rows a neuron's fit needs: use fewer neurons"));
    sbk_ann_report_free(&rep);
    o = partition_opts(5), o.kmeans_iterations = -1;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "iterations -1 below 0"));
    o.partition = (sbk_ann_partition)7;
    assert_int_equal(sbk_ann_fit(r.dX, r.dy, 0, &o, &m, &rep), SBK_EINVAL);
    assert_non_null(strstr(rep.message, "unknown partition 7"));
    ann_release(&r);
    free(d.X), free(d.y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmeans_partition_reaches_r_099_on_train_and_test),
        cmocka_unit_test(each_neuron_fits_its_cluster),
        cmocka_unit_test(small_clusters_are_merged_and_their_neurons_dropped),
        cmocka_unit_test(model_file_records_the_partition_and_reads_version_1),
        cmocka_unit_test(bad_partition_options_are_refused),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
