/* libFuzzer harness: the schedule report (sbk_trace_report) on any bytes as
 * tasks.rec: parsing, the critical path, the area bound (GLPK) and the HTML. */
#include <starbak/starbak.h>
#include "internal/report.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rec = fuzz_file("tasks.rec", data, size);
    char html[4200], err[512];
    snprintf(html, sizeof html, "%s/report.html", fuzz_dir);
    sbk_trace_report(&rec, NULL, 1, html, err, sizeof err);
    return 0;
}
