/* Convergence plot as SVG, written without any plotting library. */
#include "plot.h"
#include <math.h>
#include <starbak/starbak.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

enum { W = 640, H = 400, LEFT = 70, RIGHT = 150, TOP = 40, BOTTOM = 50 };

static void draw(FILE *f, const char *title, const char *ylabel, const struct plot_series *s, int nseries)
{
    int nmax = 1;
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < nseries; k++) {
        nmax = s[k].n > nmax ? s[k].n : nmax;
        for (int i = 0; i < s[k].n; i++)
            if (s[k].y[i] > 0 && isfinite(s[k].y[i]))
                lo = fmin(lo, log10(s[k].y[i])), hi = fmax(hi, log10(s[k].y[i]));
    }
    if (!(lo <= hi))
        lo = -1, hi = 0;
    lo = floor(lo), hi = ceil(hi) > floor(lo) ? ceil(hi) : floor(lo) + 1;
    double pw = W - LEFT - RIGHT, ph = H - TOP - BOTTOM;
#define PX(x) (LEFT + (nmax > 1 ? ((x) - 1) / (double)(nmax - 1) : 0.5) * pw)
#define PY(v) (TOP + (hi - (v)) / (hi - lo) * ph)
    fprintf(f, "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' "
               "font-size='12'>\n<rect width='100%%' height='100%%' fill='white'/>\n", W, H);
    fprintf(f, "<text x='%d' y='22' font-size='15'>%s</text>\n", LEFT, title);
    for (int d = (int)lo; d <= (int)hi; d++)
        fprintf(f, "<line x1='%d' x2='%.1f' y1='%.1f' y2='%.1f' stroke='#ddd'/>"
                   "<text x='%d' y='%.1f' text-anchor='end'>1e%d</text>\n",
                LEFT, LEFT + pw, PY(d), PY(d), LEFT - 6, PY(d) + 4, d);
    int step = nmax > 10 ? (nmax + 9) / 10 : 1;
    for (int x = 1; x <= nmax; x += step)
        fprintf(f, "<text x='%.1f' y='%.1f' text-anchor='middle'>%d</text>\n", PX(x), TOP + ph + 18, x);
    fprintf(f, "<rect x='%d' y='%d' width='%.0f' height='%.0f' fill='none' stroke='black'/>\n", LEFT, TOP, pw, ph);
    fprintf(f, "<text x='%.1f' y='%d' text-anchor='middle'>iteration</text>\n", LEFT + pw / 2, H - 10);
    fprintf(f, "<text transform='translate(16 %.1f) rotate(-90)' text-anchor='middle'>%s</text>\n",
            TOP + ph / 2, ylabel);
    for (int k = 0; k < nseries; k++) {
        /* Dashes too: series that coincide (gram and per-column do) stay visible. */
        static const char *const dashes[] = {"none", "8 4", "2 3", "10 3 2 3"};
        const char *c = colours[k % (sizeof colours / sizeof colours[0])], *d = dashes[k % 4];
        fprintf(f, "<polyline fill='none' stroke='%s' stroke-width='2' stroke-dasharray='%s' points='", c, d);
        for (int i = 0; i < s[k].n; i++)
            if (s[k].y[i] > 0 && isfinite(s[k].y[i]))
                fprintf(f, "%.1f,%.1f ", PX(i + 1), PY(log10(s[k].y[i])));
        fprintf(f, "'/>\n<line x1='%.0f' x2='%.0f' y1='%d' y2='%d' stroke='%s' stroke-width='2' "
                   "stroke-dasharray='%s'/><text x='%.0f' y='%d'>%s</text>\n",
                LEFT + pw + 12, LEFT + pw + 34, TOP + 12 + 20 * k, TOP + 12 + 20 * k, c, d, LEFT + pw + 40,
                TOP + 16 + 20 * k, s[k].name);
    }
    fprintf(f, "</svg>\n");
#undef PX
#undef PY
}

int plot_convergence_svg(const char *path, const char *title, const char *ylabel, const struct plot_series *s,
                         int nseries, char *err, size_t errlen)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return SBK_ENOMEM;
    draw(f, title, ylabel, s, nseries);
    int ret = fclose(f) == 0 ? sbk_file_write_atomic(path, text, len, err, errlen) : SBK_ENOMEM;
    free(text);
    return ret;
}
