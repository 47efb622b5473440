/* Schedule report: from StarPU's tasks.rec (read by tasks_rec.c), one
 * self-contained HTML page (inline SVG and CSS, no script): a Gantt chart per worker, busy/idle per worker, per-codelet times
 * and GFLOP/s, perf-model predictions against measurements, makespan against
 * the area bound and the critical path, and outliers. Several traces are
 * shown one after the other with a comparison table first. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/io.h"
#include "internal/trace.h"
#include "internal/report.h"

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

/* Where the bound puts each class against where the scheduler ran it. */
static void bound_table(FILE *f, const struct trace *t, const struct sbk_trace_classes *k)
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
    if (!sbk_trace_beside(t, "trace.rec", path, sizeof path) ||
        sbk_trace_states(path, t->nworkers, t->t0, t->t0 + t->makespan, s, err, sizeof err) != SBK_SUCCESS) {
        fprintf(f, "<p>No efficiency breakdown: no readable trace.rec beside the tasks (%s).</p>\n",
                sbk_trace_beside(t, "trace.rec", path, sizeof path) ? err : "path too long");
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

/* Per codelet: tasks, times, GFLOP/s, the CUDA share and the perf model's accuracy. */
static void codelet_table(FILE *f, const struct trace *t, const struct codelet_stats *c, int nc)
{
    fprintf(f, "<h3>Codelets</h3><table><tr><th>codelet</th><th>tasks</th><th>total</th><th>mean</th>"
               "<th>GFLOP/s</th><th>on CUDA</th><th>model: median measured/predicted</th><th>worst</th></tr>\n");
    for (int k = 0; k < nc; k++) {
        double *ratio = malloc(c[k].count * sizeof *ratio);
        int nr = 0;
        for (int i = 0; ratio && i < t->ntasks; i++)
            if (!strcmp(t->tasks[i].name, c[k].name) && t->tasks[i].estimated > 0)
                ratio[nr++] = (t->tasks[i].end - t->tasks[i].start) / t->tasks[i].estimated;
        char model[64] = "not calibrated", worst[32] = "-";
        if (nr) {
            qsort(ratio, nr, sizeof *ratio, sbk_trace_cmp_double);
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
    struct sbk_trace_classes k;
    double area = sbk_trace_area_bound(t, &k), path = sbk_trace_critical_path(t);
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
    sbk_trace_free_classes(&k);
    efficiency_table(f, t);
    fprintf(f, "<h3>Workers</h3><table><tr><th>worker</th><th>tasks</th><th>busy</th><th>busy %%</th><th>idle %%</th></tr>\n");
    for (int w = 0; w < t->nworkers; w++)
        fprintf(f, "<tr><td>%s</td><td>%d</td><td>%.3f ms</td><td>%.1f</td><td>%.1f</td></tr>\n", t->worker_names[w],
                count[w], busy[w], 100 * busy[w] / t->makespan, 100 - 100 * busy[w] / t->makespan);
    fprintf(f, "</table>\n");
    codelet_table(f, t, c, nc);
    snprintf(summary, summary_len, "<tr><td>%s</td><td>%d</td><td>%.3f ms</td><td>%.2f</td><td>%.1f %%</td></tr>\n",
             t->label, t->ntasks, t->makespan, t->makespan / bound, 100 * efficiency);
out:
    free(c), free(busy), free(count);
}

/* Reads each trace (t[i] of paths[i], labelled); 0 or the first failure. */
static int load_traces(struct trace *t, const char *const *paths, const char *const *labels, int ntraces, char *err,
                       size_t errlen)
{
    int ret = SBK_SUCCESS;
    for (int i = 0; i < ntraces && ret == SBK_SUCCESS; i++) {
        t[i].path = paths[i], t[i].label = labels && labels[i] ? labels[i] : paths[i];
        ret = sbk_trace_load(&t[i], err, errlen);
    }
    return ret;
}

/* The page: the introduction, one section per trace, then the comparison when several. */
static void write_page(FILE *f, struct trace *t, int ntraces, char (*summary)[512])
{
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
}

int sbk_trace_report(const char *const *paths, const char *const *labels, int ntraces, const char *out_path,
                     char *err, size_t errlen)
{
    if (ntraces < 1 || !paths || !out_path)
        return sbk_io_fail(err, errlen, SBK_EINVAL, out_path, "no trace given");
    struct trace *t = calloc(ntraces, sizeof *t);
    char (*summary)[512] = calloc(ntraces, sizeof *summary);
    int ret = t && summary ? load_traces(t, paths, labels, ntraces, err, errlen) : SBK_ENOMEM;
    char *html = NULL;
    size_t len = 0;
    FILE *f = ret == SBK_SUCCESS ? open_memstream(&html, &len) : NULL;
    if (ret == SBK_SUCCESS && !f)
        ret = sbk_io_fail(err, errlen, SBK_ENOMEM, out_path, "out of memory");
    if (f) {
        write_page(f, t, ntraces, summary);
        if (fclose(f) != 0)
            ret = sbk_io_fail(err, errlen, SBK_ENOMEM, out_path, "out of memory");
        else
            ret = sbk_file_write_atomic(out_path, html, len, err, errlen);
    }
    free(html);
    for (int i = 0; t && i < ntraces; i++)
        sbk_trace_free(&t[i]);
    free(t), free(summary);
    return ret;
}
