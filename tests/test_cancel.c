/* sbk_cancel: tasks not yet started skip their work, nothing more is
 * submitted, waits say SBK_ECANCELED, no file is written; the next sbk_init
 * computes normally again (scaled residual against one cblas call). */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <starpu.h>
#include "check.h"

/* A tile of C still holding the value it was given: its tasks never ran. */
static int untouched_tiles(const float *C, int n, int tile, float mark)
{
    int count = 0;
    for (int j = 0; j < n; j += tile)
        for (int i = 0; i < n; i += tile)
            count += C[i + (size_t)j * n] == mark;
    return count;
}

/* The shortest duration the GEMM model holds for any footprint, in us (1e300
 * when it holds none): a skipped task's would be well under a microsecond. */
static double shortest_gemm_sample(void)
{
    char pattern[1024];
    const char *home = getenv("STARPU_HOME");
    snprintf(pattern, sizeof pattern, "%s/.starpu/sampling/codelets/45/sbk_gemm_openblas_cublas.*",
             home ? home : getenv("HOME"));
    glob_t files;
    double shortest = 1e300;
    if (glob(pattern, 0, NULL, &files) != 0)
        return shortest;
    for (size_t f = 0; f < files.gl_pathc; f++) {
        FILE *in = fopen(files.gl_pathv[f], "r");
        char line[512], hash[64], more;
        double size, flops, mean, dev, sum, sum2, n;
        /* History entries: "hash size flops mean dev sum sum2 n", the hash in hex. */
        while (in && fgets(line, sizeof line, in))
            if (sscanf(line, "%63s %lf %lf %lf %lf %lf %lf %lf %c", hash, &size, &flops, &mean, &dev, &sum, &sum2,
                       &n, &more) == 8 && strspn(hash, "0123456789abcdef") == strlen(hash) && mean < shortest)
                shortest = mean;
        if (in)
            fclose(in);
    }
    globfree(&files);
    return shortest;
}

static void cancelled_gemm_skips_its_tasks_and_next_run_computes(void **state)
{
    (void)state;
    const int n = 1000, tile = 100, tiles = (n / tile) * (n / tile);
    const float mark = -12345.0f;
    float *A = malloc(sizeof *A * n * n), *B = malloc(sizeof *B * n * n), *C = malloc(sizeof *C * n * n);
    assert_non_null(A), assert_non_null(B), assert_non_null(C);
    fill_uniform(SBK_FLOAT, A, (size_t)n * n, 1);
    fill_uniform(SBK_FLOAT, B, (size_t)n * n, 2);
    for (size_t i = 0; i < (size_t)n * n; i++)
        C[i] = mark;
    sbk_matrix *dA, *dB, *dC;
    assert_int_equal(sbk_matrix_create(&dA, SBK_FLOAT, A, n, n, n, tile, tile), 0);
    assert_int_equal(sbk_matrix_create(&dB, SBK_FLOAT, B, n, n, n, tile, tile), 0);
    assert_int_equal(sbk_matrix_create(&dC, SBK_FLOAT, C, n, n, n, tile, tile), 0);
    /* Workers held until the cancellation, so that no task has started. */
    starpu_pause();
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1.0, dA, dB, 0.0, dC), 0);
    sbk_cancel();
    starpu_resume();
    assert_true(sbk_cancelled());
    assert_int_equal(sbk_wait(), SBK_ECANCELED);
    assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_NOTRANS, 1.0, dA, dB, 0.0, dC), SBK_ECANCELED);
    sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
    int left = untouched_tiles(C, n, tile, mark);
    if (left != tiles)
        print_error("%d of %d tiles of C computed after sbk_cancel\n", tiles - left, tiles);
    assert_int_equal(left, tiles);

    /* An interrupted run writes no file and leaves an existing one as it was. */
    char path[] = "/tmp/starbak-cancel-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "precious", 8), 8);
    close(fd);
    char err[256];
    assert_int_equal(sbk_npy_save(path, SBK_FLOAT, A, 4, 1, 1, err, sizeof err), SBK_ECANCELED);
    FILE *f = fopen(path, "r");
    char back[16] = {0};
    assert_non_null(f);
    assert_int_equal(fread(back, 1, sizeof back, f), 8);
    fclose(f);
    unlink(path);
    assert_string_equal(back, "precious");

    /* StarPU saves the models at shutdown (STARPU_CALIBRATE=1, set in main):
     * the skipped tasks' durations must not be among their samples. */
    sbk_shutdown();
    double shortest = shortest_gemm_sample();
    if (!(shortest > 2.0))
        print_error("the GEMM model holds a %.3f us sample: a skipped task's\n", shortest);
    assert_true(shortest > 2.0);

    /* A new start clears the cancellation. */
    assert_int_equal(sbk_init(), 0);
    assert_false(sbk_cancelled());
    assert_int_equal(run_gemm_cases(SBK_FLOAT), 0);
    free(A), free(B), free(C);
}

int main(void)
{
    setenv("STARPU_CALIBRATE", "1", 1); /* every task's duration goes to its model */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cancelled_gemm_skips_its_tasks_and_next_run_computes),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
