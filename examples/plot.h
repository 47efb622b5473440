/* A convergence plot as a self-contained SVG: one line per series, log-scale y. */
#ifndef STARBAK_PLOT_H
#define STARBAK_PLOT_H

#include <stddef.h>

struct plot_series {
    const char *name;
    const double *y; /* y[0 .. n-1] plotted at x = 1 .. n */
    int n;
};

/* Writes the plot to path atomically (sbk_file_write_atomic): 0 or an SBK_E*
 * code with the reason in err. */
int plot_convergence_svg(const char *path, const char *title, const char *ylabel, const struct plot_series *s,
                         int nseries, char *err, size_t errlen);

#endif
