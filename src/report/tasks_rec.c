/* Reading a schedule: StarPU's tasks.rec (written by starpu_fxt_tool from an
 * FxT trace), one "Key: value" record per task, and the workers.txt the
 * drivers' --trace writes beside it. Malformed input is refused with the file
 * and line. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/io.h"
#include "internal/trace.h"

void sbk_trace_free(struct trace *t)
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

/* One "Key: value" line of a record into cur (have: which of Name, WorkerId,
 * StartTime and EndTime it holds so far). */
static int parse_field(const struct trace *t, const char *key, char *value, int line, struct task *cur, int *have,
                       char *err, size_t errlen)
{
    double v = 0;
    long id = 0;
    if ((!strcmp(key, "StartTime") || !strcmp(key, "EndTime") || !strcmp(key, "GFlop")) && !parse_number(value, &v))
        return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: %s '%s' is not a number", line, key, value);
    if (!strcmp(key, "JobId") && !parse_integer(value, LONG_MIN, LONG_MAX, &id))
        return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: JobId '%s' is not a whole number", line,
                           value);
    if (!strcmp(key, "WorkerId") && !parse_integer(value, 0, SBK_TRACE_MAX_WORKERS - 1, &id))
        return sbk_io_fail(err, errlen, SBK_EFORMAT, t->path, "line %d: WorkerId '%s' is not a worker (0 to %d)",
                           line, value, SBK_TRACE_MAX_WORKERS - 1);
    if (!strcmp(key, "Name"))
        snprintf(cur->name, sizeof cur->name, "%s", value), *have |= 1;
    else if (!strcmp(key, "WorkerId"))
        cur->worker = (int)id, *have |= 2;
    else if (!strcmp(key, "StartTime"))
        cur->start = v, *have |= 4;
    else if (!strcmp(key, "EndTime"))
        cur->end = v, *have |= 8;
    else if (!strcmp(key, "GFlop"))
        cur->gflop = v;
    else if (!strcmp(key, "Footprint"))
        snprintf(cur->footprint, sizeof cur->footprint, "%s", value);
    else if (!strcmp(key, "EstimatedTime"))
        return parse_estimates(t, line, value, cur, err, errlen);
    else if (!strcmp(key, "JobId"))
        cur->job = id;
    else if (!strcmp(key, "DependsOn"))
        for (char *tok = strtok(value, " "); tok; tok = strtok(NULL, " ")) {
            long *grown = realloc(cur->deps, (cur->ndeps + 1) * sizeof *grown);
            if (!grown)
                break; /* the dependencies read so far stand */
            cur->deps = grown, cur->deps[cur->ndeps++] = atol(tok);
        }
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
        ret = parse_field(t, buf, colon + 2, line, &cur, &have, err, errlen);
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
char *sbk_trace_beside(const struct trace *t, const char *name, char *path, size_t len)
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
    FILE *f = sbk_trace_beside(t, "workers.txt", path, sizeof path) ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof line, f)) {
        int id;
        if (sscanf(line, "%d\t", &id) == 1 && id >= t->nworkers && id < SBK_TRACE_MAX_WORKERS)
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

int sbk_trace_load(struct trace *t, char *err, size_t errlen)
{
    int ret = read_tasks(t, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    double t0 = INFINITY, t1 = -INFINITY;
    for (int k = 0; k < t->ntasks; k++) {
        t0 = fmin(t0, t->tasks[k].start), t1 = fmax(t1, t->tasks[k].end);
        t->nworkers = t->tasks[k].worker + 1 > t->nworkers ? t->tasks[k].worker + 1 : t->nworkers;
    }
    t->t0 = t0, t->makespan = t1 - t0;
    if (read_workers(t) != SBK_SUCCESS)
        return sbk_io_fail(err, errlen, SBK_ENOMEM, t->path, "out of memory");
    sbk_trace_mark_outliers(t);
    return SBK_SUCCESS;
}
