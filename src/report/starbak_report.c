/* starbak-report: one self-contained HTML schedule report from StarPU traces.
 *   starbak-report [-o report.html] [--label NAME]... TRACE...
 * TRACE is a tasks.rec file or a folder holding one (as written by a driver's
 * --trace DIR). Several traces are compared side by side. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <starbak/starbak.h>
#include "internal/report.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: starbak-report [-o FILE.html] [--label NAME]... TRACE...\n"
                 "  TRACE: a tasks.rec (from starpu_fxt_tool) or a folder holding one, e.g. a driver's --trace DIR.\n"
                 "  -o, --output=FILE   the report (default report.html); written whole or not at all\n"
                 "  -l, --label=NAME    a name for the next trace (default: its path)\n"
                 "  -h, --help\n");
}

int main(int argc, char **argv)
{
    const char *out = "report.html";
    const char **labels = calloc(argc, sizeof *labels);
    int nlabels = 0;
    static const struct option options[] = {{"output", required_argument, 0, 'o'},
                                            {"label", required_argument, 0, 'l'},
                                            {"help", no_argument, 0, 'h'},
                                            {0, 0, 0, 0}};
    for (int c; (c = getopt_long(argc, argv, "o:l:h", options, NULL)) != -1;) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'l': labels[nlabels++] = optarg; break;
        case 'h': free(labels); usage(stdout); return 0;
        default: free(labels); usage(stderr); return 2;
        }
    }
    int n = argc - optind;
    if (n < 1) {
        free(labels);
        fprintf(stderr, "starbak-report: no trace given (see --help)\n");
        return 2;
    }
    char **paths = calloc(n, sizeof *paths);
    for (int i = 0; i < n; i++) {
        struct stat st;
        const char *arg = argv[optind + i];
        size_t len = strlen(arg) + 16;
        paths[i] = malloc(len + 16);
        if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) { /* prefer the one with the models' estimates */
            snprintf(paths[i], len + 16, "%s/tasks_estimated.rec", arg);
            if (stat(paths[i], &st) != 0)
                snprintf(paths[i], len + 16, "%s/tasks.rec", arg);
        }
        else
            snprintf(paths[i], len, "%s", arg);
    }
    char err[512];
    int ret = sbk_trace_report((const char *const *)paths, labels, n, out, err, sizeof err);
    if (ret != SBK_SUCCESS)
        fprintf(stderr, "starbak-report: %s\n", err);
    for (int i = 0; i < n; i++)
        free(paths[i]);
    free(paths), free(labels);
    return ret == SBK_SUCCESS ? 0 : 1;
}
