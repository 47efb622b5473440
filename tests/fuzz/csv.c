/* libFuzzer harness: sbk_csv_load on any bytes, with the header detected and
 * with a header required, in both precisions. */
#include <starbak/starbak.h>
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("input.csv", data, size);
    char err[512];
    sbk_array a;
    if (sbk_csv_load(path, SBK_DOUBLE, -1, &a, err, sizeof err) == SBK_SUCCESS)
        sbk_array_free(&a);
    if (sbk_csv_load(path, SBK_FLOAT, 1, &a, err, sizeof err) == SBK_SUCCESS)
        sbk_array_free(&a);
    return 0;
}
