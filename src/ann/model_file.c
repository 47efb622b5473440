/* The ANN model file (doc/guide.md, "Model file"): little-endian, version 2.
 *   0  char[8]  "SBKANN\0\2"        magic, the last byte the format version
 *   8  uint32   precision (4 or 8)   of the data the model was fitted on
 *  12  uint32   vars
 *  16  uint32   neurons
 *  20  uint32   bias (0 or 1)
 *  24  double   y_center, y_scale    predictions are y_center + y_scale * output
 *  40  uint32   partition (0 random rows, 1 k-means clusters), then 4 bytes of 0
 *  48  double   W[(vars + 1) * neurons]  column k: neuron k's weights, then its bias
 *   …  double   v[neurons + 1]       outer weights, the last one v_0
 * Nothing follows; the size must match exactly. Version 1 files (no partition
 * field: W at 40) load as random-partition models.
 * Pure host code (no StarPU), like the data readers: tests/fuzz loads models alone. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal/io.h"

static const char ann_magic[8] = {'S', 'B', 'K', 'A', 'N', 'N', 0, 2};

struct ann_header {
    char magic[8];
    uint32_t prec, vars, neurons, bias;
    double y_center, y_scale;
    uint32_t partition, reserved; /* version 2 on */
};
enum { HEADER_V1 = 40 }; /* version 1's header: up to y_scale */

static size_t weight_count(uint32_t vars, uint32_t neurons)
{
    return ((size_t)vars + 1) * neurons + neurons + 1;
}

void sbk_ann_model_free(sbk_ann_model *model)
{
    if (!model)
        return;
    free(model->W), free(model->v);
    memset(model, 0, sizeof *model);
}

int sbk_ann_save(const sbk_ann_model *m, const char *path, char *err, size_t errlen)
{
    if (!m || !m->W || !m->v || m->vars < 1 || m->neurons < 1)
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "no fitted model to save");
    struct ann_header h = {.prec = m->prec, .vars = m->vars, .neurons = m->neurons, .bias = m->bias,
                           .y_center = m->y_center, .y_scale = m->y_scale, .partition = m->partition};
    memcpy(h.magic, ann_magic, sizeof h.magic);
    const void *parts[] = {&h, m->W, m->v};
    const size_t lens[] = {sizeof h, (size_t)(m->vars + 1) * m->neurons * sizeof *m->W, (m->neurons + 1) * sizeof *m->v};
    return sbk_io_write_atomic(path, parts, lens, 3, err, errlen);
}

int sbk_ann_load(sbk_ann_model *m, const char *path, char *err, size_t errlen)
{
    if (!m)
        return sbk_io_fail(err, errlen, SBK_EINVAL, path, "no model to load into");
    memset(m, 0, sizeof *m);
    FILE *f;
    int ret = sbk_io_open(path, &f, err, errlen);
    if (ret != SBK_SUCCESS)
        return ret;
    struct ann_header h = {0};
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    size_t header = 0;
    if (fread(&h, HEADER_V1, 1, f) != 1 || memcmp(h.magic, ann_magic, 6) != 0)
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "not a starbak ANN model (bad magic or too short)");
    else if (h.magic[6] != 0 || h.magic[7] < 1 || h.magic[7] > ann_magic[7])
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "model file version %d, this starbak reads versions 1 to %d",
                          h.magic[6] * 256 + h.magic[7], ann_magic[7]);
    else if ((header = h.magic[7] == 1 ? HEADER_V1 : sizeof h) > HEADER_V1 &&
             fread((char *)&h + HEADER_V1, sizeof h - HEADER_V1, 1, f) != 1)
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "truncated header");
    else if ((h.prec != 4 && h.prec != 8) || h.bias > 1 || h.vars < 1 || h.neurons < 1 || h.vars > 1u << 24 ||
             h.neurons > 1u << 24 || !isfinite(h.y_center) || !(h.y_scale > 0) || !isfinite(h.y_scale) ||
             h.partition > SBK_ANN_PARTITION_KMEANS || h.reserved != 0)
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path,
                          "invalid header (precision %u, vars %u, neurons %u, bias %u, y scale %g, partition %u)",
                          h.prec, h.vars, h.neurons, h.bias, h.y_scale, h.partition);
    else if ((size_t)size != header + weight_count(h.vars, h.neurons) * sizeof(double))
        ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "holds %ld bytes, a model of %u vars and %u neurons has %zu",
                          size, h.vars, h.neurons, header + weight_count(h.vars, h.neurons) * sizeof(double));
    if (ret == SBK_SUCCESS) {
        *m = (sbk_ann_model){.prec = h.prec, .vars = h.vars, .neurons = h.neurons, .bias = h.bias,
                             .y_center = h.y_center, .y_scale = h.y_scale, .partition = h.partition};
        size_t nw = (size_t)(h.vars + 1) * h.neurons;
        m->W = malloc(nw * sizeof *m->W), m->v = malloc((h.neurons + 1) * sizeof *m->v);
        if (!m->W || !m->v)
            ret = sbk_io_fail(err, errlen, SBK_ENOMEM, path, "out of memory");
        else if (fread(m->W, sizeof *m->W, nw, f) != nw || fread(m->v, sizeof *m->v, h.neurons + 1, f) != h.neurons + 1)
            ret = sbk_io_fail(err, errlen, SBK_EIO, path, "read error");
        for (size_t k = 0; ret == SBK_SUCCESS && k < weight_count(h.vars, h.neurons); k++)
            if (!isfinite(k < nw ? m->W[k] : m->v[k - nw]))
                ret = sbk_io_fail(err, errlen, SBK_EFORMAT, path, "weight %zu is not finite", k);
    }
    fclose(f);
    if (ret != SBK_SUCCESS)
        sbk_ann_model_free(m);
    return ret;
}
