/* k-means by Lloyd's iterations on StarPU tasks, as scikit-learn's
 * KMeans(algorithm="lloyd", n_init=1):
 *   per iteration, one assignment task per row tile (codelets/kmeans_assign.c)
 *   writes the tile's labels and partial sums; one tile_sum task adds the
 *   partials in tile order; the host turns the sums into the next centroids
 *   (k × vars: small), re-seeds empty clusters and decides whether to stop.
 *   k-means++ seeding: two passes over the tiles per centroid
 *   (codelets/kmeans_init.c), the candidates drawn on the host.
 * Everything the host decides comes from sums taken in a fixed order, so CPU
 * runs give the same bits under any scheduler and worker count.
 * Under StarPU-MPI (doc/mpi.md) each row tile's tasks run on the rank owning
 * the tile, which owns their outputs too; the centroids are replicated (every
 * rank sets them alike from the same sums), the tile_sum task runs on rank 0
 * and every value the host decides from is broadcast (sbk_data_read), so all
 * ranks submit the same tasks. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "codelets/codelets.h"
#include "../../codelets/kernels/common/kmeans_kernels.h" /* the partials' layout, the scratch size, the generator */

void sbk_kmeans_opts_default(sbk_kmeans_opts *opts)
{
    *opts = (sbk_kmeans_opts){.k = 8, .max_iterations = 300, .tolerance = 1e-4, .init = SBK_KMEANS_PLUSPLUS,
                              .seed = 1};
}

void sbk_kmeans_report_free(sbk_kmeans_report *report)
{
    if (!report)
        return;
    free(report->inertia), free(report->reseeded_cluster), free(report->reseeded_iteration);
    memset(report, 0, sizeof *report);
}

/* Uniform in [0, 1) from the counter-based generator, keyed by (seed, stream, i). */
static double uniform(uint64_t seed, uint64_t stream, uint64_t i)
{
    return (double)(sbk_splitmix64(sbk_splitmix64(seed, stream), i) >> 11) * 0x1.0p-53;
}

/* Everything one run registers with StarPU. */
struct km {
    const sbk_matrix *X;
    int k, vars, mt, dbl;
    size_t ldp;                     /* vars + 1: the partials' leading dimension */
    void *C;                        /* k × vars centroids in X's precision (registered as Ch) */
    double *cnorm, *total;          /* their squared norms; the summed partials */
    int *labels;
    starpu_data_handle_t Ch, cnormh, totalh, scratch;
    starpu_data_handle_t *labelh, *disth, *parth; /* per row tile */
};

/* Row r of X into out (vars doubles) on every rank (collective): the owner
 * of its tile copies it into a handle of its own, which is broadcast. */
static int read_row(const sbk_matrix *X, long r, double *out)
{
    int tile = (int)(r / X->mb);
    starpu_data_handle_t h = sbk_tile(X, tile, 0), rowh;
    starpu_vector_data_register(&rowh, -1, 0, X->n, sizeof(double));
    sbk_data_distribute(rowh, sbk_matrix_tile_owner(X, tile, 0));
    if (sbk_data_owned(h)) {
        starpu_data_acquire(h, STARPU_R), starpu_data_acquire(rowh, STARPU_W);
        const void *t = (const void *)starpu_matrix_get_local_ptr(h);
        double *row = (double *)starpu_data_get_local_ptr(rowh);
        size_t ld = starpu_matrix_get_local_ld(h), local = r % X->mb;
        for (int c = 0; c < X->n; c++)
            row[c] = sbk_elem_get(X->prec, t, local + c * ld);
        starpu_data_release(rowh), starpu_data_release(h);
    }
    int ret = sbk_data_read(rowh, out, X->n * sizeof(double));
    starpu_data_unregister(rowh);
    return ret;
}

static void unregister_all(starpu_data_handle_t *h, int n)
{
    for (int i = 0; h && i < n; i++)
        if (h[i])
            starpu_data_unregister(h[i]);
    free(h);
}

static void km_release(struct km *m)
{
    unregister_all(m->labelh, m->mt), unregister_all(m->disth, m->mt), unregister_all(m->parth, m->mt);
    if (m->Ch)
        starpu_data_unregister(m->Ch), starpu_data_unregister(m->cnormh);
    if (m->totalh)
        starpu_data_unregister(m->totalh), starpu_data_unregister(m->scratch);
    free(m->C), free(m->cnorm), free(m->total);
}

/* Registers the centroids, their norms, the summed partials and, per row
 * tile, the labels (over the caller's array), distances and partials. */
static int km_register(struct km *m)
{
    const sbk_matrix *X = m->X;
    int k = m->k;
    size_t es = X->prec, psize = m->ldp * (k + 1);
    m->C = malloc((size_t)k * m->vars * es), m->cnorm = calloc(k, sizeof(double));
    m->total = calloc(psize, sizeof(double));
    m->labelh = calloc(m->mt, sizeof *m->labelh), m->disth = calloc(m->mt, sizeof *m->disth);
    m->parth = calloc(m->mt, sizeof *m->parth);
    if (!m->C || !m->cnorm || !m->total || !m->labelh || !m->disth || !m->parth)
        return SBK_ENOMEM;
    starpu_matrix_data_register(&m->Ch, STARPU_MAIN_RAM, (uintptr_t)m->C, k, k, m->vars, es);
    starpu_vector_data_register(&m->cnormh, STARPU_MAIN_RAM, (uintptr_t)m->cnorm, k, sizeof(double));
    sbk_data_replicate(m->Ch), sbk_data_replicate(m->cnormh);
    /* Written by the tile_sum task on rank 0; read into m->total on every rank. */
    starpu_matrix_data_register(&m->totalh, -1, 0, m->ldp, m->ldp, k + 1, sizeof(double));
    sbk_data_distribute(m->totalh, 0);
    starpu_vector_data_register(&m->scratch, -1, 0, sbk_kmeans_scratch_bytes(k, m->dbl), 1);
    sbk_data_replicate(m->scratch);
    for (int i = 0; i < m->mt; i++) {
        int rows = sbk_tile_rows(X, i), owner = sbk_matrix_tile_owner(X, i, 0);
        /* The labels' home is the caller's array on their tile's rank only (StarPU-MPI's rule). */
        int home = owner == sbk_rank() ? STARPU_MAIN_RAM : -1;
        starpu_vector_data_register(&m->labelh[i], home, home == -1 ? 0 : (uintptr_t)(m->labels + (size_t)i * X->mb),
                                    rows, sizeof(int));
        starpu_vector_data_register(&m->disth[i], -1, 0, rows, sizeof(double));
        starpu_matrix_data_register(&m->parth[i], -1, 0, m->ldp, m->ldp, k + 1, sizeof(double));
        sbk_data_distribute(m->labelh[i], owner), sbk_data_distribute(m->disth[i], owner);
        sbk_data_distribute(m->parth[i], owner);
    }
    return SBK_SUCCESS;
}

/* Tile i's labels into the caller's array on every rank (collective). */
static int km_read_labels(struct km *m, int i)
{
    return sbk_data_read(m->labelh[i], m->labels + (size_t)i * m->X->mb, sbk_tile_rows(m->X, i) * sizeof(int));
}

/* Writes the centroids (k × vars doubles, leading dimension k) into their
 * handle in X's precision, and the squared norms of the rounded values. */
static void km_set_centroids(struct km *m, const double *c)
{
    sbk_precision prec = m->X->prec;
    starpu_data_acquire(m->Ch, STARPU_W), starpu_data_acquire(m->cnormh, STARPU_W);
    for (int j = 0; j < m->k; j++) {
        double norm = 0.0;
        for (int v = 0; v < m->vars; v++) {
            size_t at = j + (size_t)v * m->k;
            sbk_elem_set(prec, m->C, at, c[at]);
            norm += sbk_elem_get(prec, m->C, at) * sbk_elem_get(prec, m->C, at);
        }
        m->cnorm[j] = norm;
    }
    starpu_data_release(m->cnormh), starpu_data_release(m->Ch);
}

/* k distinct rows at random (Floyd's sampling), into c (k × vars, ld k). */
static int init_random(const sbk_matrix *X, int k, uint64_t seed, double *c)
{
    unsigned char *taken = calloc((size_t)X->m / 8 + 1, 1);
    double *row = malloc(X->n * sizeof *row);
    if (!taken || !row) {
        free(taken), free(row);
        return SBK_ENOMEM;
    }
    int j = 0, ret = SBK_SUCCESS;
    for (long top = X->m - k; top < X->m && ret == SBK_SUCCESS; top++, j++) {
        long r = (long)(uniform(seed, 0, top) * (top + 1));
        if (taken[r / 8] & (1u << r % 8))
            r = top;
        taken[r / 8] |= 1u << r % 8;
        ret = read_row(X, r, row);
        for (int v = 0; v < X->n; v++)
            c[j + (size_t)v * k] = row[v];
    }
    free(taken), free(row);
    return ret;
}

/* k-means++ state: the candidates and the chosen centroid (host buffers every
 * tile task reads), per row tile the rows' distances to the nearest chosen
 * centroid, their sum and the candidates' potentials. */
struct pp {
    const sbk_matrix *X;
    int trials, mt;
    double *cand, *centroid, *row, *sums, *pots, *closest;
    starpu_data_handle_t candh, centh, *closeh, *sumh, *poth;
};

static void pp_release(struct pp *p)
{
    unregister_all(p->closeh, p->mt), unregister_all(p->sumh, p->mt), unregister_all(p->poth, p->mt);
    if (p->candh)
        starpu_data_unregister(p->candh), starpu_data_unregister(p->centh);
    free(p->cand), free(p->centroid), free(p->row), free(p->sums), free(p->pots), free(p->closest);
}

static int pp_register(struct pp *p, const sbk_matrix *X, int k)
{
    *p = (struct pp){.X = X, .trials = 2 + (int)log(k), .mt = X->mt};
    int vars = X->n;
    p->cand = calloc((size_t)p->trials * vars, sizeof(double)), p->centroid = calloc(vars, sizeof(double));
    p->row = calloc(vars, sizeof(double));
    p->sums = calloc(p->mt, sizeof(double)), p->pots = calloc((size_t)p->mt * p->trials, sizeof(double));
    p->closest = calloc(X->mb, sizeof(double));
    p->closeh = calloc(p->mt, sizeof *p->closeh), p->sumh = calloc(p->mt, sizeof *p->sumh);
    p->poth = calloc(p->mt, sizeof *p->poth);
    if (!p->cand || !p->centroid || !p->row || !p->sums || !p->pots || !p->closest || !p->closeh || !p->sumh ||
        !p->poth)
        return SBK_ENOMEM;
    starpu_matrix_data_register(&p->candh, STARPU_MAIN_RAM, (uintptr_t)p->cand, p->trials, p->trials, vars,
                                sizeof(double));
    starpu_vector_data_register(&p->centh, STARPU_MAIN_RAM, (uintptr_t)p->centroid, vars, sizeof(double));
    sbk_data_replicate(p->candh), sbk_data_replicate(p->centh); /* every rank draws them alike */
    for (int i = 0; i < p->mt; i++) {
        int owner = sbk_matrix_tile_owner(X, i, 0);
        starpu_vector_data_register(&p->closeh[i], -1, 0, sbk_tile_rows(X, i), sizeof(double));
        starpu_variable_data_register(&p->sumh[i], -1, 0, sizeof(double));
        starpu_vector_data_register(&p->poth[i], -1, 0, p->trials, sizeof(double));
        sbk_data_distribute(p->closeh[i], owner), sbk_data_distribute(p->sumh[i], owner);
        sbk_data_distribute(p->poth[i], owner);
    }
    return SBK_SUCCESS;
}

/* Makes row r the next centroid: closest follows it in tasks. The tile sums
 * are read back for the first centroid; later ones come from the potentials
 * (pp_step), which are the same sums taken in the same order. */
static int pp_choose(struct pp *p, long r, int first)
{
    starpu_data_acquire(p->centh, STARPU_W);
    int ret = read_row(p->X, r, p->centroid);
    starpu_data_release(p->centh);
    for (int i = 0; i < p->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_kmeans_pp_update(sbk_tile(p->X, i, 0), p->centh, first, p->closeh[i], p->sumh[i]);
    for (int i = 0; i < p->mt && ret == SBK_SUCCESS && first; i++)
        ret = sbk_data_read(p->sumh[i], &p->sums[i], sizeof(double));
    return ret;
}

/* The row where the running sum of the distances first reaches u (scikit-learn's
 * searchsorted on their cumulative sum), by tile sums and then within the tile
 * (whose distances are broadcast: collective); *ret an SBK_ code. */
static long pp_locate(struct pp *p, double u, int *ret)
{
    *ret = SBK_SUCCESS;
    double before = 0.0;
    int tile = -1;
    for (int i = 0; i < p->mt && tile < 0; i++) {
        if (p->sums[i] > 0 && (before + p->sums[i] >= u || i == p->mt - 1))
            tile = i;
        else
            before += p->sums[i];
    }
    for (int i = p->mt - 1; tile < 0 && i >= 0; i--) /* rounding: the last tile with weight */
        if (p->sums[i] > 0)
            tile = i;
    if (tile < 0)
        return 0;
    int rows = sbk_tile_rows(p->X, tile), last = 0;
    *ret = sbk_data_read(p->closeh[tile], p->closest, rows * sizeof(double));
    for (int r = 0; r < rows; r++) {
        if (p->closest[r] > 0)
            last = r;
        before += p->closest[r];
        if (before >= u && p->closest[r] > 0)
            return (long)tile * p->X->mb + r;
    }
    return (long)tile * p->X->mb + last;
}

/* One greedy k-means++ step: draws the candidates, keeps the one leaving the
 * least inertia; returns its row in *chosen. */
static int pp_step(struct pp *p, uint64_t seed, int step, long *chosen)
{
    double potential = 0.0;
    for (int i = 0; i < p->mt; i++)
        potential += p->sums[i];
    long rows[64]; /* trials = 2 + log k < 64 */
    int ret = SBK_SUCCESS;
    starpu_data_acquire(p->candh, STARPU_W);
    for (int t = 0; t < p->trials && ret == SBK_SUCCESS; t++) {
        rows[t] = pp_locate(p, uniform(seed, (uint64_t)step, t) * potential, &ret);
        if (ret == SBK_SUCCESS)
            ret = read_row(p->X, rows[t], p->row);
        for (int v = 0; v < p->X->n; v++)
            p->cand[t + (size_t)v * p->trials] = p->row[v];
    }
    starpu_data_release(p->candh);
    for (int i = 0; i < p->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_kmeans_pp_potentials(sbk_tile(p->X, i, 0), p->closeh[i], p->candh, p->poth[i]);
    for (int i = 0; i < p->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_data_read(p->poth[i], p->pots + (size_t)i * p->trials, p->trials * sizeof(double));
    int best = 0;
    double least = INFINITY;
    for (int t = 0; t < p->trials; t++) {
        double sum = 0.0;
        for (int i = 0; i < p->mt; i++)
            sum += p->pots[(size_t)i * p->trials + t];
        if (sum < least)
            least = sum, best = t;
    }
    for (int i = 0; i < p->mt; i++) /* the tile sums once the chosen candidate joins the centroids */
        p->sums[i] = p->pots[(size_t)i * p->trials + best];
    *chosen = rows[best];
    return ret;
}

/* k-means++ as scikit-learn's _kmeans_plusplus, into c (k × vars, ld k). */
static int init_plusplus(const sbk_matrix *X, int k, uint64_t seed, double *c)
{
    struct pp p;
    int ret = pp_register(&p, X, k);
    long r = (long)(uniform(seed, 0, 0) * X->m);
    for (int j = 0; j < k && ret == SBK_SUCCESS; j++) {
        if (j > 0)
            ret = pp_step(&p, seed, j, &r);
        if (ret == SBK_SUCCESS && j < k - 1)
            ret = pp_choose(&p, r, j == 0);
        if (ret == SBK_SUCCESS && (ret = read_row(X, r, p.row)) == SBK_SUCCESS)
            for (int v = 0; v < X->n; v++)
                c[j + (size_t)v * k] = p.row[v];
    }
    pp_release(&p);
    return ret;
}

/* One assignment pass over the tiles; the partials summed in tile order land in m->total. */
static int km_assign(struct km *m)
{
    int ret = SBK_SUCCESS;
    for (int i = 0; i < m->mt && ret == SBK_SUCCESS; i++)
        ret = sbk_insert_kmeans_assign(sbk_tile(m->X, i, 0), m->Ch, m->cnormh, m->labelh[i], m->disth[i],
                                       m->parth[i], m->scratch);
    if (ret == SBK_SUCCESS)
        ret = sbk_insert_tile_sum(m->parth, m->mt, 0, m->totalh);
    if (ret == SBK_SUCCESS)
        ret = sbk_data_read(m->totalh, m->total, m->ldp * (m->k + 1) * sizeof(double));
    return ret;
}

struct far_row {
    double dist;
    long row;
};

/* Farthest first; equal distances by row. */
static int farther(const void *a, const void *b)
{
    const struct far_row *x = a, *y = b;
    return x->dist != y->dist ? (x->dist < y->dist ? 1 : -1) : (x->row > y->row) - (x->row < y->row);
}

static int note_reseeded(sbk_kmeans_report *r, int cluster, int iteration)
{
    if (!r)
        return SBK_SUCCESS;
    int *c = realloc(r->reseeded_cluster, (r->nreseeded + 1) * sizeof *c);
    if (c)
        r->reseeded_cluster = c;
    int *i = realloc(r->reseeded_iteration, (r->nreseeded + 1) * sizeof *i);
    if (i)
        r->reseeded_iteration = i;
    if (!c || !i)
        return SBK_ENOMEM;
    c[r->nreseeded] = cluster, i[r->nreseeded++] = iteration;
    return SBK_SUCCESS;
}

/* The `want` farthest rows offered so far, in a heap whose root is the nearest
 * of them (the first to leave): a pass over X's rows costs O(rows log want),
 * not the sort of every row. */
struct farthest {
    struct far_row *heap;
    int size, want;
};

static void farthest_offer(struct farthest *f, struct far_row row)
{
    int at;
    if (f->size < f->want) { /* sift up past the parents farther than row */
        for (at = f->size++; at > 0 && farther(&f->heap[(at - 1) / 2], &row) < 0; at = (at - 1) / 2)
            f->heap[at] = f->heap[(at - 1) / 2];
        f->heap[at] = row;
        return;
    }
    if (farther(&row, &f->heap[0]) > 0) /* nearer than every row kept */
        return;
    for (at = 0;;) { /* sift down past the children nearer than row */
        int child = 2 * at + 1;
        if (child + 1 < f->size && farther(&f->heap[child + 1], &f->heap[child]) > 0)
            child++;
        if (child >= f->size || farther(&f->heap[child], &row) < 0)
            break;
        f->heap[at] = f->heap[child], at = child;
    }
    f->heap[at] = row;
}

/* The `want` rows farthest from their centroids into far, farthest first,
 * and every tile's labels into m->labels (collective). */
static int farthest_rows(struct km *m, int want, struct far_row *far)
{
    const sbk_matrix *X = m->X;
    struct farthest f = {.heap = far, .want = want};
    double *dist = malloc((size_t)X->mb * sizeof *dist);
    int ret = dist ? SBK_SUCCESS : SBK_ENOMEM;
    for (int i = 0; i < m->mt && ret == SBK_SUCCESS; i++) {
        int rows = sbk_tile_rows(X, i);
        if ((ret = sbk_data_read(m->disth[i], dist, rows * sizeof *dist)) == SBK_SUCCESS)
            ret = km_read_labels(m, i);
        for (int t = 0; t < rows && ret == SBK_SUCCESS; t++)
            farthest_offer(&f, (struct far_row){dist[t], (long)i * X->mb + t});
    }
    qsort(far, f.size, sizeof *far, farther);
    free(dist);
    return ret;
}

/* Empty clusters take the rows farthest from their centroids, as scikit-learn's
 * _relocate_empty_clusters: each such row leaves its cluster's sum for the empty one's. */
static int km_reseed(struct km *m, int iteration, sbk_kmeans_report *r)
{
    int empty = 0;
    for (int j = 0; j < m->k; j++)
        empty += m->total[m->vars + j * m->ldp] == 0;
    if (!empty)
        return SBK_SUCCESS;
    struct far_row *far = malloc((size_t)empty * sizeof *far);
    double *row = malloc(m->vars * sizeof *row);
    int ret = far && row ? farthest_rows(m, empty, far) : SBK_ENOMEM;
    for (int j = 0, e = 0; j < m->k && ret == SBK_SUCCESS; j++) {
        if (m->total[m->vars + j * m->ldp] != 0)
            continue;
        long at = far[e++].row;
        int old = m->labels[at];
        if ((ret = read_row(m->X, at, row)) != SBK_SUCCESS)
            break;
        for (int v = 0; v < m->vars; v++)
            m->total[v + old * m->ldp] -= row[v], m->total[v + j * m->ldp] = row[v];
        m->total[m->vars + old * m->ldp] -= 1, m->total[m->vars + j * m->ldp] = 1;
        ret = note_reseeded(r, j, iteration);
    }
    free(far), free(row);
    return ret;
}

/* Moves each centroid to the mean of its rows (c: k × vars doubles of
 * workspace); returns the shift, sum_j ||c_j - c_j'||^2 in X's precision. */
static double km_update(struct km *m, double *c)
{
    double shift = 0.0;
    starpu_data_acquire(m->Ch, STARPU_R);
    for (int j = 0; j < m->k; j++) {
        double count = m->total[m->vars + j * m->ldp];
        for (int v = 0; v < m->vars; v++) {
            size_t at = j + (size_t)v * m->k;
            double old = sbk_elem_get(m->X->prec, m->C, at);
            c[at] = count > 0 ? m->total[v + j * m->ldp] / count : old;
            double moved = (m->dbl ? c[at] : (float)c[at]) - old;
            shift += moved * moved;
        }
    }
    starpu_data_release(m->Ch);
    km_set_centroids(m, c);
    return shift;
}

/* The mean of X's column variances (collective). */
static int column_spread(const sbk_matrix *X, double *mean_variance)
{
    double *mean = malloc(X->n * sizeof *mean), *var = malloc(X->n * sizeof *var), sum = 0.0;
    int ret = mean && var ? sbk_matrix_column_moments(X, mean, var) : SBK_ENOMEM;
    for (int c = 0; c < X->n && ret == SBK_SUCCESS; c++)
        sum += var[c];
    *mean_variance = sum / X->n;
    free(mean), free(var);
    return ret;
}

static int check_input(const sbk_matrix *X, const sbk_kmeans_opts *o, const void *centroids, double *mean_variance,
                       sbk_kmeans_report *r)
{
    if (!o || !centroids)
        return SBK_REFUSE(r, SBK_EINVAL, "no options or no centroid array");
    if (X->nt != 1)
        return SBK_REFUSE(r, SBK_ESHAPE, "X's tiles must hold whole rows (tile width %d < %d columns)", X->nb, X->n);
    if (o->k < 1)
        return SBK_REFUSE(r, SBK_EINVAL, "k must be at least 1 (got %d)", o->k);
    if (o->k > X->m)
        return SBK_REFUSE(r, SBK_EINVAL, "k = %d exceeds the %d rows of X", o->k, X->m);
    if (o->max_iterations < 0 || o->max_iterations > 10000000)
        return SBK_REFUSE(r, SBK_EINVAL, "iterations must be between 0 and 1e7 (got %d)", o->max_iterations);
    if (!(o->tolerance >= 0) || isinf(o->tolerance))
        return SBK_REFUSE(r, SBK_EINVAL, "the tolerance must be finite and >= 0 (got %g)", o->tolerance);
    if (o->init != SBK_KMEANS_PLUSPLUS && o->init != SBK_KMEANS_RANDOM && o->init != SBK_KMEANS_GIVEN)
        return SBK_REFUSE(r, SBK_EINVAL, "unknown initialisation %d", (int)o->init);
    long row, col;
    if (sbk_matrix_find_nonfinite(X, &row, &col))
        return SBK_REFUSE(r, SBK_EINVAL, "X holds a NaN or Inf at row %ld, column %ld", row, col);
    int ret = column_spread(X, mean_variance);
    if (ret != SBK_SUCCESS)
        return SBK_REFUSE(r, ret, "out of memory for X's column variances");
    for (int j = 0; o->init == SBK_KMEANS_GIVEN && j < o->k; j++)
        for (int v = 0; v < X->n; v++)
            if (!isfinite(sbk_elem_get(X->prec, centroids, j + (size_t)v * o->k)))
                return SBK_REFUSE(r, SBK_EINVAL, "the initial centroids hold a NaN or Inf at centroid %d, column %d", j,
                              v);
    return SBK_SUCCESS;
}

/* The initial centroids into c (k × vars doubles) and their handle. */
static int km_initial(struct km *m, const sbk_kmeans_opts *o, const void *given, double *c)
{
    int ret = SBK_SUCCESS;
    if (o->init == SBK_KMEANS_GIVEN)
        for (size_t at = 0; at < (size_t)m->k * m->vars; at++)
            c[at] = sbk_elem_get(m->X->prec, given, at);
    else if (o->init == SBK_KMEANS_RANDOM)
        ret = init_random(m->X, m->k, o->seed, c);
    else
        ret = init_plusplus(m->X, m->k, o->seed, c);
    if (ret == SBK_SUCCESS)
        km_set_centroids(m, c);
    return ret;
}

static int note_inertia(sbk_kmeans_report *r, int iteration, double inertia)
{
    if (!r)
        return SBK_SUCCESS;
    if ((iteration & (iteration - 1)) == 0) { /* grows at powers of two */
        double *grown = realloc(r->inertia, 2 * (iteration + 1) * sizeof *grown);
        if (!grown)
            return SBK_ENOMEM;
        r->inertia = grown;
    }
    r->inertia[iteration] = inertia;
    r->iterations = iteration + 1;
    return SBK_SUCCESS;
}

/* Lloyd's iterations, then the rows assigned to the final centroids unless
 * the last pass already did it; *final_inertia is theirs. */
static int km_iterate(struct km *m, const sbk_kmeans_opts *o, double tol, double *c, sbk_kmeans_report *r,
                      double *final_inertia)
{
    double t0 = starpu_timing_now() * 1e-6;
    int ret = SBK_SUCCESS, settled = 0, converged = 0;
    for (int it = 0; it < o->max_iterations && ret == SBK_SUCCESS && !converged; it++) {
        int reseeded = r ? r->nreseeded : 0;
        if ((ret = km_assign(m)) != SBK_SUCCESS || (ret = km_reseed(m, it + 1, r)) != SBK_SUCCESS)
            break;
        double inertia = m->total[sbk_kmeans_inertia_at(m->vars, m->k)];
        long changed = (long)m->total[sbk_kmeans_changed_at(m->vars, m->k)];
        double shift = km_update(m, c);
        ret = note_inertia(r, it, inertia);
        if (o->progress)
            o->progress(it + 1, inertia, shift, changed, starpu_timing_now() * 1e-6 - t0, o->user);
        /* No label changed: the centroids did not move either (unless re-seeded). */
        settled = changed == 0 && (!r || r->nreseeded == reseeded);
        converged = changed == 0 || shift <= tol;
        *final_inertia = inertia;
    }
    if (r)
        r->converged = converged;
    if (ret == SBK_SUCCESS && !settled && (ret = km_assign(m)) == SBK_SUCCESS)
        *final_inertia = m->total[sbk_kmeans_inertia_at(m->vars, m->k)];
    for (int i = 0; i < m->mt && ret == SBK_SUCCESS; i++)
        ret = km_read_labels(m, i);
    return ret;
}

int sbk_kmeans(const sbk_matrix *X, const sbk_kmeans_opts *opts, void *centroids, int *labels,
               sbk_kmeans_report *report)
{
    const sbk_matrix *mats[] = {X};
    if (report)
        memset(report, 0, sizeof *report);
    double mean_variance = 0.0, t0 = starpu_timing_now() * 1e-6, final_inertia = 0.0;
    int ret = sbk_check_matrices(1, mats);
    if (ret == SBK_SUCCESS)
        ret = check_input(X, opts, centroids, &mean_variance, report);
    if (ret != SBK_SUCCESS)
        return ret;
    struct km m = {.X = X, .k = opts->k, .vars = X->n, .mt = X->mt, .dbl = X->prec == SBK_DOUBLE,
                   .ldp = (size_t)X->n + 1, .labels = labels ? labels : malloc((size_t)X->m * sizeof(int))};
    double *c = malloc((size_t)m.k * m.vars * sizeof *c);
    if (m.labels && c) {
        for (long i = 0; i < X->m; i++)
            m.labels[i] = -1; /* every label changes on the first pass */
        ret = km_register(&m);
    } else
        ret = SBK_ENOMEM;
    if (ret == SBK_SUCCESS)
        ret = km_initial(&m, opts, centroids, c);
    double t1 = starpu_timing_now() * 1e-6;
    if (ret == SBK_SUCCESS)
        ret = km_iterate(&m, opts, opts->tolerance * mean_variance, c, report, &final_inertia);
    if (ret == SBK_SUCCESS) {
        starpu_data_acquire(m.Ch, STARPU_R);
        memcpy(centroids, m.C, (size_t)m.k * m.vars * X->prec);
        starpu_data_release(m.Ch);
    }
    km_release(&m);
    if (!labels)
        free(m.labels);
    free(c);
    if (report) {
        report->final_inertia = final_inertia;
        report->seconds_init = t1 - t0;
        report->seconds_total = starpu_timing_now() * 1e-6 - t0;
        report->seconds_iterations = report->seconds_total - report->seconds_init;
    }
    return ret;
}
