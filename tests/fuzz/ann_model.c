/* libFuzzer harness: sbk_ann_load (the ANN model file) on any bytes. */
#include <starbak/starbak.h>
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("model.sbkann", data, size);
    char err[512];
    sbk_ann_model m;
    if (sbk_ann_load(&m, path, err, sizeof err) == SBK_SUCCESS)
        sbk_ann_model_free(&m);
    return 0;
}
