/* Where the workers' time went, from StarPU's trace.rec (worker states written
 * by starpu_fxt_tool), in the categories of StarPU's starpu_trace_state_stats.py:
 * Task (codelet bodies), Runtime "Scheduling", the rest of Runtime (fetching
 * input, pushing output, overhead, progressing) and Other (idle, sleeping).
 * One departure from the script: a pushed state owns its time alone (the
 * script also keeps counting the state it interrupts), so the four parts add
 * up to workers × window. Only the window [t0, t1] is counted: the span of the
 * tasks, so set-up before the first task does not read as idleness. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/io.h"
#include "internal/trace.h"

#define DEPTH 32

struct worker_state {
    int depth, stack[DEPTH]; /* stack[0]: the SetState; above it, pushed states */
    double since;
};

static int category_of(const char *category, const char *name)
{
    if (!strcmp(category, "Task"))
        return SBK_STATE_TASK;
    if (!strcmp(category, "Runtime"))
        return !strcmp(name, "Scheduling") ? SBK_STATE_SCHEDULING : SBK_STATE_RUNTIME;
    if (!strcmp(category, "Other"))
        return SBK_STATE_IDLE;
    return SBK_STATE_NONE; /* no state yet, the final "End", user-side states */
}

/* Adds [from, to] clipped to the window to the worker's current state. */
static void account(const struct worker_state *w, double to, double t0, double t1, double *times)
{
    double a = w->since > t0 ? w->since : t0, b = to < t1 ? to : t1;
    if (b > a && w->depth > 0)
        times[w->stack[w->depth > DEPTH ? DEPTH - 1 : w->depth - 1]] += b - a;
}

/* Applies one event (E:, N:, C:, W:, S: fields) to its worker. */
static void apply(struct worker_state *ws, int nworkers, const char *event, const char *name,
                  const char *category, int worker, double s, double t0, double t1, double *times)
{
    if (worker < 0 || worker >= nworkers)
        return; /* the application thread (W: -1) is not a worker */
    struct worker_state *w = &ws[worker];
    account(w, s, t0, t1, times);
    w->since = s;
    if (!strcmp(event, "SetState")) {
        w->stack[0] = category_of(category, name);
        if (w->depth == 0)
            w->depth = 1;
    } else if (!strcmp(event, "PushState")) {
        if (w->depth == 0) /* a push before any SetState: nothing underneath */
            w->stack[w->depth++] = SBK_STATE_NONE;
        if (w->depth < DEPTH)
            w->stack[w->depth] = category_of(category, name);
        w->depth++;
    } else if (!strcmp(event, "PopState") && w->depth > 1) {
        w->depth--;
    }
}

int sbk_trace_states(const char *path, int nworkers, double t0, double t1, double times[SBK_STATE_COUNT],
                     char *err, size_t errlen)
{
    FILE *f;
    int ret = sbk_io_open(path, &f, err, errlen), line = 0, worker = -1;
    if (ret != SBK_SUCCESS)
        return ret;
    struct worker_state *ws = calloc(nworkers, sizeof *ws);
    if (!ws) {
        fclose(f);
        return sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory");
    }
    for (int k = 0; k < SBK_STATE_COUNT; k++)
        times[k] = 0;
    char buf[1024], event[32] = "", name[128] = "", category[32] = "";
    double s = 0;
    int have_time = 0;
    for (int more = 1; more && ret == SBK_SUCCESS;) {
        more = fgets(buf, sizeof buf, f) != NULL;
        line += more;
        size_t len = more ? strcspn(buf, "\r\n") : 0;
        buf[len] = '\0';
        if (more && buf[0] == '#')
            continue;
        if (len == 0) { /* a blank line or the end: the record is complete */
            if (event[0] && have_time)
                apply(ws, nworkers, event, name, category, worker, s, t0, t1, times);
            else if (event[0])
                ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "line %d: an event without a time (S:)", line);
            event[0] = name[0] = category[0] = '\0', worker = -1, have_time = 0;
            continue;
        }
        if (len < 3 || buf[1] != ':' || buf[2] != ' ') {
            ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "line %d: expected 'K: value', got '%.40s'", line, buf);
            break;
        }
        const char *value = buf + 3;
        char *end;
        switch (buf[0]) {
        case 'E': snprintf(event, sizeof event, "%.*s", (int)sizeof event - 1, value); break;
        case 'N': snprintf(name, sizeof name, "%.*s", (int)sizeof name - 1, value); break;
        case 'C': snprintf(category, sizeof category, "%.*s", (int)sizeof category - 1, value); break;
        case 'W': worker = (int)strtol(value, &end, 10); break;
        case 'S':
            errno = 0;
            s = strtod(value, &end);
            if (errno || end == value)
                ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "line %d: time '%s' is not a number", line, value);
            have_time = 1;
            break;
        default: break; /* T: (thread) and fields of other event kinds */
        }
    }
    for (int w = 0; ret == SBK_SUCCESS && w < nworkers; w++)
        account(&ws[w], t1, t0, t1, times); /* each worker's last state lasts to the window's end */
    if (ret == SBK_SUCCESS && ferror(f))
        ret = sbk_io_fail(err, errlen, SBK_EIO, path, "read error: %s", strerror(errno));
    free(ws);
    fclose(f);
    return ret;
}
