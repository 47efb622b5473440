/* libFuzzer harness: sbk_npy_load on any bytes, read into both precisions. */
#include <starbak/starbak.h>
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("input.npy", data, size);
    char err[512];
    sbk_array a;
    if (sbk_npy_load(path, SBK_DOUBLE, &a, err, sizeof err) == SBK_SUCCESS)
        sbk_array_free(&a);
    if (sbk_npy_load(path, SBK_FLOAT, &a, err, sizeof err) == SBK_SUCCESS)
        sbk_array_free(&a);
    return 0;
}
