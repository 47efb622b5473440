/* libFuzzer harness: sbk_trace_states (trace.rec, the workers' states) on any
 * bytes, for 4 workers over a window that starts after time 0. */
#include "internal/trace.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *rec = fuzz_file("trace.rec", data, size);
    double times[SBK_STATE_COUNT];
    char err[512];
    sbk_trace_states(rec, 4, 1.0, 1000.0, times, err, sizeof err);
    return 0;
}
