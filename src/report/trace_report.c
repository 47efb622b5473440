/* Schedule report: reads StarPU's tasks.rec (written by starpu_fxt_tool from an
 * FxT trace) and writes one self-contained HTML page (inline SVG and CSS, no
 * script): a Gantt chart per worker, busy/idle per worker, per-codelet times
 * and GFLOP/s, perf-model predictions against measurements, makespan against
 * the area bound and the critical path, and outliers. Several traces are
 * shown one after the other with a comparison table first. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/io.h"
#include "internal/trace.h"
#include "internal/report.h"

struct task {
    char name[64], footprint[24];
    int worker;
    long job;
    double start, end, gflop, estimated; /* times in ms as StarPU writes them; estimated < 0: none */
    long *deps;
    double *estimates; /* µs, one per worker (starpu_tasks_rec_complete), when there */
    int ndeps, nestimates, outlier;
};

struct trace {
    const char *path, *label;
    struct task *tasks;
    int ntasks, nworkers;
    char (*worker_names)[64]; /* from workers.txt beside tasks.rec, when there */
    double t0, makespan;
    int ntypes, *worker_type; /* worker types ("CPU", "CUDA": a name's first word) */
    char (*type_names)[16];
    int *type_workers;
};

static void free_trace(struct trace *t)
{
    for (int i = 0; i < t->ntasks; i++)
        free(t->tasks[i].deps), free(t->tasks[i].estimates);
    free(t->tasks), free(t->worker_names), free(t->worker_type), free(t->type_names), free(t->type_workers);
}

static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(text, &end); /* inf and nan are refused too: a time must place a task */
    return errno == 0 && end != text && (*end == '\0' || isspace((unsigned char)*end)) && isfinite(*out);
}

/* EstimatedTime: µs, one value per worker (starpu_tasks_rec_complete), 'inf'
 * where the model has no entry for the task's footprint. */
static int parse_estimates(const struct trace *t, int line, const char *value, struct task *cur, char *err,
                           size_t errlen)
{
    char *end;
    for (const char *p = value;; p = end) {
        double e = strtod(p, &end);
        if (end == p)
            break;
        double *grown = realloc(cur->estimates, (cur->nestimates + 1) * sizeof *grown);
        if (!grown)
            return sbk_io_fail(err, errlen, SBK_ENOMEM, t->path, "out of memory");
        cur->estimates = grown, cur->estimates[cur->nestimates++] = e;
    }
    while (isspace((unsigned char)*end))
        end++;
    if (*end)
        return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: EstimatedTime '%s' is not a list of numbers",
                           line, value);
    return SBK_SUCCESS;
}

/* Worker ids index the report's per-worker arrays: they must lie in [0, MAX_WORKERS). */
#define MAX_WORKERS 4096

/* A whole number in [lo, hi] (WorkerId, JobId). */
static int parse_integer(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    *out = strtol(text, &end, 10);
    return errno == 0 && end != text && (*end == '\0' || isspace((unsigned char)*end)) && *out >= lo && *out <= hi;
}

/* Adds the record being read to t once it is complete. */
static int finish_record(struct trace *t, struct task *cur, int *have, int line, char *err, size_t errlen)
{
    if (*have == 0)
        return SBK_SUCCESS;
    int needed = 1 | 2 | 4 | 8; /* Name, WorkerId, StartTime, EndTime */
    if ((*have & needed) != needed) {
        free(cur->deps), free(cur->estimates);
        *cur = (struct task){.estimated = -1};
        /* StarPU writes records for tasks that never ran (e.g. without a worker): skip those
         * that lack times, refuse the ones that lack a name. */
        if (!(*have & 1))
            return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: record without a Name", line);
        *have = 0;
        return SBK_SUCCESS;
    }
    if (!(cur->end >= cur->start))
        return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: EndTime before StartTime", line);
    if (cur->worker >= 0 && cur->worker < cur->nestimates && isfinite(cur->estimates[cur->worker]) &&
        cur->estimates[cur->worker] > 0) /* this worker's prediction, in ms like the times */
        cur->estimated = cur->estimates[cur->worker] / 1000;
    struct task *grown = realloc(t->tasks, (t->ntasks + 1) * sizeof *grown);
    if (!grown)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, t->path, "out of memory");
    t->tasks = grown;
    t->tasks[t->ntasks++] = *cur;
    *cur = (struct task){.estimated = -1};
    *have = 0;
    return SBK_SUCCESS;
}

static int read_tasks(struct trace *t, char *err, size_t errlen)
{
    FILE *f;
    int ret = sbk_io_open(t->path, &f, err, errlen), have = 0, line = 0;
    if (ret != SBK_SUCCESS)
        return ret;
    char buf[4096];
    struct task cur = {.estimated = -1};
    while (ret == SBK_SUCCESS && fgets(buf, sizeof buf, f)) {
        line++;
        size_t len = strlen(buf);
        if (len == sizeof buf - 1 && buf[len - 1] != '\n') { /* a line too long to be StarPU's */
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: longer than %zu bytes", line, len);
            break;
        }
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        if (len == 0) {
            ret = finish_record(t, &cur, &have, line, err, errlen);
            continue;
        }
        if (buf[0] == '#')
            continue;
        char *colon = strstr(buf, ": ");
        if (!colon) {
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: expected 'Key: value', got '%.40s'", line,
                              buf);
            break;
        }
        *colon = '\0';
        const char *key = buf, *value = colon + 2;
        double v = 0;
        long id = 0;
        if ((!strcmp(key, "StartTime") || !strcmp(key, "EndTime") || !strcmp(key, "GFlop")) &&
            !parse_number(value, &v)) {
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: %s '%s' is not a number", line, key, value);
            break;
        }
        if (!strcmp(key, "JobId") && !parse_integer(value, LONG_MIN, LONG_MAX, &id)) {
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: JobId '%s' is not a whole number", line,
                              value);
            break;
        }
        if (!strcmp(key, "WorkerId") && !parse_integer(value, 0, MAX_WORKERS - 1, &id)) {
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: WorkerId '%s' is not a worker (0 to %d)",
                              line, value, MAX_WORKERS - 1);
            break;
        }
        if (!strcmp(key, "Name"))
            snprintf(cur.name, sizeof cur.name, "%s", value), have |= 1;
        else if (!strcmp(key, "WorkerId"))
            cur.worker = (int)id, have |= 2;
        else if (!strcmp(key, "StartTime"))
            cur.start = v, have |= 4;
        else if (!strcmp(key, "EndTime"))
            cur.end = v, have |= 8;
        else if (!strcmp(key, "GFlop"))
            cur.gflop = v;
        else if (!strcmp(key, "Footprint"))
            snprintf(cur.footprint, sizeof cur.footprint, "%s", value);
        else if (!strcmp(key, "EstimatedTime") && (ret = parse_estimates(t, line, value, &cur, err, errlen)))
            break;
        else if (!strcmp(key, "JobId"))
            cur.job = id;
        else if (!strcmp(key, "DependsOn"))
            for (char *tok = strtok((char *)value, " "); tok; tok = strtok(NULL, " ")) {
                long *grown = realloc(cur.deps, (cur.ndeps + 1) * sizeof *grown);
                if (!grown)
                    break;
                cur.deps = grown, cur.deps[cur.ndeps++] = atol(tok);
            }
    }
    if (ret == SBK_SUCCESS && ferror(f))
        ret = sbk_io_fail(err, errlen, SBK_EIO, t->path, "read error: %s", strerror(errno));
    if (ret == SBK_SUCCESS && have && !(have & 8))
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: the last record is cut short (truncated file?)",
                          line);
    if (ret == SBK_SUCCESS)
        ret = finish_record(t, &cur, &have, line, err, errlen);
    free(cur.deps), free(cur.estimates);
    fclose(f);
    if (ret == SBK_SUCCESS && t->ntasks == 0)
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "no executed task in the trace");
    return ret;
}

/* A file beside tasks.rec (workers.txt, trace.rec), or NULL if the path is too long. */
static char *beside(const struct trace *t, const char *name, char *path, size_t len)
{
    const char *slash = strrchr(t->path, '/');
    int n = snprintf(path, len, "%.*s%s", slash ? (int)(slash - t->path + 1) : 0, t->path, name);
    return n > 0 && (size_t)n < len ? path : NULL;
}

/* workers.txt beside tasks.rec ("id<TAB>name" per line), written by the drivers' --trace:
 * the lanes' names, workers that ran nothing, and the worker types. */
static int read_workers(struct trace *t)
{
    char path[4096], line[256];
    FILE *f = beside(t, "workers.txt", path, sizeof path) ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof line, f)) {
        int id;
        if (sscanf(line, "%d\t", &id) == 1 && id >= t->nworkers && id < MAX_WORKERS)
            t->nworkers = id + 1;
    }
    t->worker_names = calloc(t->nworkers, sizeof *t->worker_names);
    t->worker_type = calloc(t->nworkers, sizeof *t->worker_type);
    t->type_names = calloc(t->nworkers, sizeof *t->type_names);
    t->type_workers = calloc(t->nworkers, sizeof *t->type_workers);
    if (!t->worker_names || !t->worker_type || !t->type_names || !t->type_workers) {
        if (f)
            fclose(f);
        return SBK_ENOMEM;
    }
    for (int w = 0; w < t->nworkers; w++)
        snprintf(t->worker_names[w], sizeof t->worker_names[w], "worker %d", w);
    if (f)
        rewind(f);
    while (f && fgets(line, sizeof line, f)) {
        int id, n = 0;
        if (sscanf(line, "%d\t%n", &id, &n) == 1 && id >= 0 && id < t->nworkers)
            snprintf(t->worker_names[id], sizeof t->worker_names[id], "%.*s", (int)strcspn(line + n, "\n"), line + n);
    }
    if (f)
        fclose(f);
    for (int w = 0; w < t->nworkers; w++) {
        char type[16];
        snprintf(type, sizeof type, "%.*s", (int)strcspn(t->worker_names[w], " "), t->worker_names[w]);
        int a = 0;
        while (a < t->ntypes && strcmp(t->type_names[a], type))
            a++;
        if (a == t->ntypes)
            memcpy(t->type_names[t->ntypes++], type, sizeof type);
        t->worker_type[w] = a, t->type_workers[a]++;
    }
    return SBK_SUCCESS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const struct task *const *)a)->name, (*(const struct task *const *)b)->name);
}

/* Marks tasks slower than Q3 + 1.5 IQR of their codelet (one sort by name,
 * then one per codelet: 1e5 tasks take milliseconds). */
static void mark_outliers(struct trace *t)
{
    struct task **by_name = malloc(t->ntasks * sizeof *by_name);
    double *d = malloc(t->ntasks * sizeof *d);
    for (int i = 0; by_name && d && i < t->ntasks; i++)
        by_name[i] = &t->tasks[i];
    if (by_name && d)
        qsort(by_name, t->ntasks, sizeof *by_name, cmp_name);
    for (int lo = 0, hi; by_name && d && lo < t->ntasks; lo = hi) {
        for (hi = lo; hi < t->ntasks && !strcmp(by_name[hi]->name, by_name[lo]->name); hi++)
            d[hi - lo] = by_name[hi]->end - by_name[hi]->start;
        int n = hi - lo;
        if (n < 8)
            continue;
        qsort(d, n, sizeof *d, cmp_double);
        double q1 = d[n / 4], q3 = d[3 * n / 4];
        for (int i = lo; i < hi; i++)
            by_name[i]->outlier = by_name[i]->end - by_name[i]->start > q3 + 1.5 * (q3 - q1);
    }
    free(by_name), free(d);
}

static int cmp_job(const void *a, const void *b)
{
    long x = (*(const struct task *const *)a)->job, y = (*(const struct task *const *)b)->job;
    return (x > y) - (x < y);
}

/* Where job `job` stands in by_job (sorted by JobId), or -1. */
static int find_job(struct task *const *by_job, int n, long job)
{
    for (int lo = 0, hi = n - 1; lo <= hi;) {
        int mid = lo + (hi - lo) / 2;
        if (by_job[mid]->job == job)
            return mid;
        if (by_job[mid]->job < job)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Longest chain of durations through DependsOn (JobIds grow with submission,
 * so dependencies point to earlier jobs: one pass in JobId order). Memory
 * follows the task count, not the JobIds, which may be as large as they like. */
static double critical_path(const struct trace *t)
{
    struct task **by_job = malloc(t->ntasks * sizeof *by_job);
    double *finish = calloc(t->ntasks, sizeof *finish), best = 0;
    if (!by_job || !finish) {
        free(by_job), free(finish);
        return 0;
    }
    for (int i = 0; i < t->ntasks; i++)
        by_job[i] = &t->tasks[i];
    qsort(by_job, t->ntasks, sizeof *by_job, cmp_job);
    for (int k = 0; k < t->ntasks; k++) {
        const struct task *x = by_job[k];
        double ready = 0;
        for (int d = 0; d < x->ndeps; d++) {
            int at = find_job(by_job, t->ntasks, x->deps[d]);
            if (at >= 0 && at < k)
                ready = fmax(ready, finish[at]);
        }
        finish[k] = ready + (x->end - x->start);
        best = fmax(best, finish[k]);
    }
    free(by_job), free(finish);
    return best;
}

static const char *palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                                "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};

struct codelet_stats {
    char name[64];
    int count, on_cuda;
    double total, gflop, ratio_median, ratio_worst;
};

static int codelet_index(struct codelet_stats *c, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(c[i].name, name))
            return i;
    snprintf(c[*n].name, sizeof c[*n].name, "%s", name);
    return (*n)++;
}

static int is_cuda(const struct trace *t, int worker)
{
    return !strcmp(t->type_names[t->worker_type[worker]], "CUDA");
}

static int codelet_of(const struct codelet_stats *c, int nc, const char *name)
{
    for (int k = 0; k < nc; k++)
        if (!strcmp(c[k].name, name))
            return k;
    return 0;
}

/* The Gantt chart: one lane per worker. A task a pixel wide or more is one
 * rectangle; narrower tasks are summed per pixel column and lane, and runs of
 * columns where one codelet dominates are drawn as one rectangle whose tooltip
 * counts the tasks, so 1e5 tasks stay a light page. Outliers are always drawn
 * alone, outlined in red. */
#define GANTT_WIDTH 1000
static void gantt(FILE *f, const struct trace *t, const struct codelet_stats *c, int nc)
{
    const double lane = 22, left = 150;
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' font-size='11'>\n",
            left + GANTT_WIDTH + 10, lane * t->nworkers + 30);
    for (int w = 0; w < t->nworkers; w++)
        fprintf(f, "<text x='4' y='%.0f'>%s</text><rect x='%.0f' y='%.0f' width='%d' height='%.0f' fill='#f4f4f4'/>\n",
                lane * w + 15, t->worker_names[w], left, lane * w + 2, GANTT_WIDTH, lane - 4);
    double scale = GANTT_WIDTH / (t->makespan > 0 ? t->makespan : 1);
    size_t ncells = (size_t)t->nworkers * GANTT_WIDTH;
    double *busy = calloc(ncells * nc, sizeof *busy); /* [worker][pixel][codelet] */
    int *count = calloc(ncells, sizeof *count);
    for (int i = 0; i < t->ntasks; i++) {
        const struct task *x = &t->tasks[i];
        int k = codelet_of(c, nc, x->name);
        double a = (x->start - t->t0) * scale, b = (x->end - t->t0) * scale;
        int px = (int)a < GANTT_WIDTH ? (int)a : GANTT_WIDTH - 1;
        if (b - a < 1 && !x->outlier && busy && count) {
            busy[((size_t)x->worker * GANTT_WIDTH + px) * nc + k] += x->end - x->start;
            count[(size_t)x->worker * GANTT_WIDTH + px]++;
            continue;
        }
        fprintf(f, "<rect x='%.1f' y='%.0f' width='%.1f' height='%.0f' fill='%s'%s><title>%s, job %ld: %.3f ms%s</title></rect>\n",
                left + a, lane * x->worker + 2, fmax(b - a, 0.5), lane - 4, palette[k % 10],
                x->outlier ? " stroke='red' stroke-width='1.5'" : "", x->name, x->job, x->end - x->start,
                x->outlier ? " (outlier)" : "");
    }
    for (int w = 0; busy && count && w < t->nworkers; w++)
        for (int px = 0, end; px < GANTT_WIDTH; px = end) {
            const double *cell = &busy[((size_t)w * GANTT_WIDTH + px) * nc];
            int top = 0, tasks = 0;
            for (int k = 1; k < nc; k++)
                top = cell[k] > cell[top] ? k : top;
            double ms = 0;
            for (end = px; end < GANTT_WIDTH; end++) { /* the run of columns that top dominates */
                const double *next = &busy[((size_t)w * GANTT_WIDTH + end) * nc];
                int next_top = 0;
                for (int k = 1; k < nc; k++)
                    next_top = next[k] > next[next_top] ? k : next_top;
                if (count[(size_t)w * GANTT_WIDTH + end] == 0 || next_top != top)
                    break;
                tasks += count[(size_t)w * GANTT_WIDTH + end];
                for (int k = 0; k < nc; k++)
                    ms += next[k];
            }
            if (end == px) {
                end++;
                continue;
            }
            fprintf(f, "<rect x='%d' y='%.0f' width='%d' height='%.0f' fill='%s'><title>%d tasks, mostly %s: %.3f ms busy"
                       "</title></rect>\n",
                    (int)left + px, lane * w + 2, end - px, lane - 4, palette[top % 10], tasks, c[top].name, ms);
        }
    free(busy), free(count);
    fprintf(f, "<text x='%.0f' y='%.0f'>0</text><text x='%.0f' y='%.0f' text-anchor='end'>%.3f ms</text>\n", left,
            lane * t->nworkers + 20, left + GANTT_WIDTH, lane * t->nworkers + 20, t->makespan);
    fprintf(f, "</svg>\n<p>");
    for (int k = 0; k < nc; k++)
        fprintf(f, "<span class='key' style='background:%s'></span>%s &nbsp; ", palette[k % 10], c[k].name);
    fprintf(f, "<span class='key' style='border:2px solid red'></span>outlier (&gt; Q3 + 1.5 IQR of its codelet)</p>\n");
}

/* Task classes (codelet and footprint) for the area bound: how many, and the
 * time of one on each worker type: measured (mean) where some ran, else the
 * perf model's prediction, else none (the codelet cannot run there). */
struct classes {
    int n, *count, *ran;        /* ran[c * ntypes + a]: tasks of c that ran on type a */
    double *time, *share;       /* ms, and the bound's split, per class and type */
    char (*name)[96];
    int *modelled;              /* time[c * ntypes + a] came from the model */
};

static void free_classes(struct classes *k)
{
    free(k->count), free(k->ran), free(k->time), free(k->share), free(k->name), free(k->modelled);
}

static int class_of(const struct trace *t, const int *first, int n, const struct task *x)
{
    for (int c = 0; c < n; c++)
        if (!strcmp(t->tasks[first[c]].name, x->name) && !strcmp(t->tasks[first[c]].footprint, x->footprint))
            return c;
    return -1;
}

/* The heterogeneous area bound (ms; -1 when it cannot be computed) and the classes behind it. */
static double area_bound(const struct trace *t, struct classes *k)
{
    int A = t->ntypes, *first = malloc(t->ntasks * sizeof *first), *of = malloc(t->ntasks * sizeof *of);
    *k = (struct classes){0};
    if (!first || !of)
        goto fail;
    for (int i = 0; i < t->ntasks; i++) {
        int c = class_of(t, first, k->n, &t->tasks[i]);
        if (c < 0)
            first[c = k->n++] = i;
        of[i] = c;
    }
    k->count = calloc(k->n, sizeof *k->count), k->ran = calloc(k->n * A, sizeof *k->ran);
    k->time = calloc(k->n * A, sizeof *k->time), k->share = calloc(k->n * A, sizeof *k->share);
    k->name = calloc(k->n, sizeof *k->name), k->modelled = calloc(k->n * A, sizeof *k->modelled);
    double *predicted = calloc(k->n * A, sizeof *predicted);
    int *npredicted = calloc(k->n * A, sizeof *npredicted);
    if (!k->count || !k->ran || !k->time || !k->share || !k->name || !k->modelled || !predicted || !npredicted) {
        free(predicted), free(npredicted);
        goto fail;
    }
    for (int i = 0; i < t->ntasks; i++) {
        const struct task *x = &t->tasks[i];
        int c = of[i], ca = c * A + t->worker_type[x->worker];
        snprintf(k->name[c], sizeof k->name[c], "%s %s", x->name, x->footprint);
        k->count[c]++, k->ran[ca]++, k->time[ca] += x->end - x->start;
        for (int a = 0; a < A; a++) /* a prediction for type a: the first worker of that type */
            for (int w = 0; w < t->nworkers && w < x->nestimates; w++)
                if (t->worker_type[w] == a) {
                    if (isfinite(x->estimates[w]) && x->estimates[w] > 0)
                        predicted[c * A + a] += x->estimates[w] / 1000, npredicted[c * A + a]++;
                    break;
                }
    }
    for (int ca = 0; ca < k->n * A; ca++) {
        k->modelled[ca] = !k->ran[ca] && npredicted[ca];
        k->time[ca] = k->ran[ca] ? k->time[ca] / k->ran[ca] : npredicted[ca] ? predicted[ca] / npredicted[ca] : NAN;
    }
    free(predicted), free(npredicted), free(first), free(of);
    return sbk_area_bound(k->count, k->time, k->n, t->type_workers, A, k->share);
fail:
    free(first), free(of);
    free_classes(k);
    *k = (struct classes){0};
    return -1;
}

/* Where the bound puts each class against where the scheduler ran it. */
static void bound_table(FILE *f, const struct trace *t, const struct classes *k)
{
    int A = t->ntypes;
    fprintf(f, "<h3>Area bound by task class</h3><p>One class per codelet and footprint (data sizes); the time of "
               "one task per worker type is the mean measured there, or the perf model's prediction "
               "(<i>modelled</i>) where none ran there. The bound is the linear program's makespan when every "
               "worker type takes the share below.</p>\n<table><tr><th>codelet footprint</th><th>tasks</th>");
    for (int a = 0; a < A; a++)
        fprintf(f, "<th>%s: one task</th><th>%s: ran / bound</th>", t->type_names[a], t->type_names[a]);
    fprintf(f, "</tr>\n");
    for (int c = 0; c < k->n && c < 40; c++) {
        fprintf(f, "<tr><td>%s</td><td>%d</td>", k->name[c], k->count[c]);
        for (int a = 0; a < A; a++) {
            double x = k->time[c * A + a];
            if (isfinite(x))
                fprintf(f, "<td>%.3f ms%s</td><td>%d / %.1f</td>", x, k->modelled[c * A + a] ? " <i>modelled</i>" : "",
                        k->ran[c * A + a], k->share[c * A + a]);
            else
                fprintf(f, "<td>-</td><td>%d / -</td>", k->ran[c * A + a]);
        }
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table>%s\n", k->n > 40 ? "<p>(the first 40 classes)</p>" : "");
}

/* The efficiency breakdown of starpu_trace_state_stats.py from trace.rec. */
static void efficiency_table(FILE *f, const struct trace *t)
{
    char path[4096], err[512];
    double s[SBK_STATE_COUNT];
    if (!beside(t, "trace.rec", path, sizeof path) ||
        sbk_trace_states(path, t->nworkers, t->t0, t->t0 + t->makespan, s, err, sizeof err) != SBK_SUCCESS) {
        fprintf(f, "<p>No efficiency breakdown: no readable trace.rec beside the tasks (%s).</p>\n",
                beside(t, "trace.rec", path, sizeof path) ? err : "path too long");
        return;
    }
    double tt = s[SBK_STATE_TASK], ts = s[SBK_STATE_SCHEDULING], tr = s[SBK_STATE_RUNTIME], ti = s[SBK_STATE_IDLE];
    double es = tt / (tt + ts), er = (tt + ts) / (tt + ts + tr), ep = (tt + ts + tr) / (tt + ts + tr + ti);
    fprintf(f, "<h3>Efficiency breakdown</h3><p>Worker time between the first task's start and the last task's "
               "end, from trace.rec, split as StarPU's starpu_trace_state_stats.py does: task (codelet bodies), "
               "scheduling, the rest of the runtime (fetching input, pushing output, overhead) and idle. Task "
               "efficiency needs a sequential run's task time and is taken as 1, as the script does "
               "without one.</p>\n<table><tr><th>task</th><th>scheduling</th><th>runtime</th><th>idle</th>"
               "<th>scheduling eff.</th><th>runtime eff.</th><th>pipeline eff.</th><th>parallel eff. "
               "(product)</th></tr>\n<tr><td>%.3f ms</td><td>%.3f ms</td><td>%.3f ms</td><td>%.3f ms</td>"
               "<td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr></table>\n",
            tt, ts, tr, ti, es, er, ep, es * er * ep);
}

/* One trace's section; fills the summary line for the comparison table. */
static void section(FILE *f, struct trace *t, char *summary, size_t summary_len)
{
    struct codelet_stats *c = calloc(t->ntasks, sizeof *c);
    double *busy = calloc(t->nworkers, sizeof *busy), total = 0;
    int *count = calloc(t->nworkers, sizeof *count), nc = 0;
    if (!c || !busy || !count)
        goto out;
    for (int i = 0; i < t->ntasks; i++) {
        const struct task *x = &t->tasks[i];
        int k = codelet_index(c, &nc, x->name);
        double d = x->end - x->start;
        c[k].count++, c[k].total += d, c[k].gflop += x->gflop, c[k].on_cuda += is_cuda(t, x->worker);
        busy[x->worker] += d, count[x->worker]++, total += d;
    }
    struct classes k;
    double area = area_bound(t, &k), path = critical_path(t);
    double bound = fmax(area, path), efficiency = total / (t->makespan * t->nworkers);
    fprintf(f, "<h2>%s</h2>\n<p class='src'>%s: %d tasks on %d workers</p>\n", t->label, t->path, t->ntasks,
            t->nworkers);
    fprintf(f, "<table><tr><th>makespan</th><th>area bound</th><th>critical path</th><th>makespan / bound</th>"
               "<th>parallel efficiency</th></tr>\n<tr><td>%.3f ms</td><td>%.3f ms</td><td>%.3f ms</td><td>%.2f</td>"
               "<td>%.1f %%</td></tr></table>\n",
            t->makespan, area, path, t->makespan / bound, 100 * efficiency);
    gantt(f, t, c, nc);
    if (area >= 0)
        bound_table(f, t, &k);
    else
        fprintf(f, "<p>No area bound: the linear program found no solution.</p>\n");
    free_classes(&k);
    efficiency_table(f, t);
    fprintf(f, "<h3>Workers</h3><table><tr><th>worker</th><th>tasks</th><th>busy</th><th>busy %%</th><th>idle %%</th></tr>\n");
    for (int w = 0; w < t->nworkers; w++)
        fprintf(f, "<tr><td>%s</td><td>%d</td><td>%.3f ms</td><td>%.1f</td><td>%.1f</td></tr>\n", t->worker_names[w],
                count[w], busy[w], 100 * busy[w] / t->makespan, 100 - 100 * busy[w] / t->makespan);
    fprintf(f, "</table>\n<h3>Codelets</h3><table><tr><th>codelet</th><th>tasks</th><th>total</th><th>mean</th>"
               "<th>GFLOP/s</th><th>on CUDA</th><th>model: median measured/predicted</th><th>worst</th></tr>\n");
    for (int k = 0; k < nc; k++) {
        double *ratio = malloc(c[k].count * sizeof *ratio);
        int nr = 0;
        for (int i = 0; ratio && i < t->ntasks; i++)
            if (!strcmp(t->tasks[i].name, c[k].name) && t->tasks[i].estimated > 0)
                ratio[nr++] = (t->tasks[i].end - t->tasks[i].start) / t->tasks[i].estimated;
        char model[64] = "not calibrated", worst[32] = "-";
        if (nr) {
            qsort(ratio, nr, sizeof *ratio, cmp_double);
            double far = fmax(ratio[nr - 1], 1 / ratio[0]);
            snprintf(model, sizeof model, "%.2f (%d predictions)", ratio[nr / 2], nr);
            snprintf(worst, sizeof worst, "%.2f&times; off", far);
        }
        free(ratio);
        char gfs[32] = "-"; /* per task while it runs: total GFLOP over total task time */
        if (c[k].gflop > 0)
            snprintf(gfs, sizeof gfs, "%.2f", c[k].gflop / (c[k].total * 1e-3));
        fprintf(f, "<tr><td><span class='key' style='background:%s'></span>%s</td><td>%d</td><td>%.3f ms</td>"
                   "<td>%.3f ms</td><td>%s</td><td>%.0f %%</td><td>%s</td><td>%s</td></tr>\n",
                palette[k % 10], c[k].name, c[k].count, c[k].total, c[k].total / c[k].count, gfs,
                100.0 * c[k].on_cuda / c[k].count, model, worst);
    }
    fprintf(f, "</table>\n");
    snprintf(summary, summary_len, "<tr><td>%s</td><td>%d</td><td>%.3f ms</td><td>%.2f</td><td>%.1f %%</td></tr>\n",
             t->label, t->ntasks, t->makespan, t->makespan / bound, 100 * efficiency);
out:
    free(c), free(busy), free(count);
}

int sbk_trace_report(const char *const *paths, const char *const *labels, int ntraces, const char *out_path,
                     char *err, size_t errlen)
{
    if (ntraces < 1 || !paths || !out_path)
        return sbk_io_fail(err, errlen, SBK_EINVAL, out_path, "no trace given");
    struct trace *t = calloc(ntraces, sizeof *t);
    char (*summary)[512] = calloc(ntraces, sizeof *summary);
    int ret = t && summary ? SBK_SUCCESS : SBK_ENOMEM;
    for (int i = 0; i < ntraces && ret == SBK_SUCCESS; i++) {
        t[i].path = paths[i], t[i].label = labels && labels[i] ? labels[i] : paths[i];
        if ((ret = read_tasks(&t[i], err, errlen)) != SBK_SUCCESS)
            break;
        double t0 = INFINITY, t1 = -INFINITY;
        for (int k = 0; k < t[i].ntasks; k++) {
            t0 = fmin(t0, t[i].tasks[k].start), t1 = fmax(t1, t[i].tasks[k].end);
            t[i].nworkers = t[i].tasks[k].worker + 1 > t[i].nworkers ? t[i].tasks[k].worker + 1 : t[i].nworkers;
        }
        t[i].t0 = t0, t[i].makespan = t1 - t0;
        if (read_workers(&t[i]) != SBK_SUCCESS) {
            ret = sbk_io_fail(err, errlen, SBK_ENOMEM, paths[i], "out of memory");
            break;
        }
        mark_outliers(&t[i]);
    }
    char *html = NULL;
    size_t len = 0;
    FILE *f = ret == SBK_SUCCESS ? open_memstream(&html, &len) : NULL;
    if (ret == SBK_SUCCESS && !f)
        ret = sbk_io_fail(err, errlen, SBK_ENOMEM, out_path, "out of memory");
    if (f) {
        fprintf(f, "<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>starbak schedule report</title>\n"
                   "<style>body{font-family:sans-serif;margin:1.5em;max-width:1200px}table{border-collapse:collapse;"
                   "margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}th{background:#eee}"
                   "td:first-child{text-align:left}.key{display:inline-block;width:10px;height:10px;margin-right:4px}"
                   ".src{color:#666}</style></head><body>\n"
                   "<h1>starbak schedule report</h1>\n<p>Times from StarPU's FxT trace (tasks.rec). The area bound is "
                   "the shortest time in which the workers could run all the tasks if each task class were "
                   "spread over the worker types optimally (a linear program, dependencies ignored), the "
                   "critical path the longest chain of task "
                   "durations through the dependencies; a makespan / bound near 1 leaves nothing to gain by "
                   "scheduling.</p>\n");
        for (int i = 0; i < ntraces; i++)
            section(f, &t[i], summary[i], sizeof summary[i]);
        if (ntraces > 1) {
            fprintf(f, "<h2>Side by side</h2><table><tr><th>trace</th><th>tasks</th><th>makespan</th>"
                       "<th>makespan / bound</th><th>parallel efficiency</th></tr>\n");
            for (int i = 0; i < ntraces; i++)
                fputs(summary[i], f);
            fprintf(f, "</table>\n");
        }
        fprintf(f, "</body></html>\n");
        if (fclose(f) != 0)
            ret = sbk_io_fail(err, errlen, SBK_ENOMEM, out_path, "out of memory");
        else
            ret = sbk_file_write_atomic(out_path, html, len, err, errlen);
    }
    free(html);
    for (int i = 0; t && i < ntraces; i++)
        free_trace(&t[i]);
    free(t), free(summary);
    return ret;
}
