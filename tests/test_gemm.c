/* Tiled GEMM against one cblas call: scaled residual below 10 in both
 * precisions, every transpose, ragged shapes; the loader repeats it under
 * several schedulers and with STARPU_NCPU=1. */
#include "check.h"

static void gemm_double_matches_blas_on_ragged_tiles(void **state)
{
    (void)state;
    assert_int_equal(run_gemm_cases(SBK_DOUBLE), 0);
}

static void gemm_float_matches_blas_on_ragged_tiles(void **state)
{
    (void)state;
    assert_int_equal(run_gemm_cases(SBK_FLOAT), 0);
}

/* Many tiles in flight at once, so that workers really share the k updates
 * of one C tile (STARPU_COMMUTE) and the scheduler has choices to make. */
static void gemm_many_tiles_matches_blas(void **state)
{
    (void)state;
    const int n = 301, tile = 32;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        void *A = malloc((size_t)n * n * prec), *B = malloc((size_t)n * n * prec);
        void *C = malloc((size_t)n * n * prec), *C0 = malloc((size_t)n * n * prec);
        fill_uniform(prec, A, (size_t)n * n, 1);
        fill_uniform(prec, B, (size_t)n * n, 2);
        fill_uniform(prec, C0, (size_t)n * n, 3);
        memcpy(C, C0, (size_t)n * n * prec);
        sbk_matrix *dA, *dB, *dC;
        assert_int_equal(sbk_matrix_create(&dA, prec, A, n, n, n, tile, tile), 0);
        assert_int_equal(sbk_matrix_create(&dB, prec, B, n, n, n, tile, tile), 0);
        assert_int_equal(sbk_matrix_create(&dC, prec, C, n, n, n, tile, tile), 0);
        assert_int_equal(sbk_gemm(SBK_NOTRANS, SBK_TRANS, 0.5, dA, dB, 2.0, dC), 0);
        assert_int_equal(sbk_wait(), 0);
        sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
        double r = sbk_gemm_residual(prec, SBK_NOTRANS, SBK_TRANS, n, n, n, 0.5, A, n, B, n, 2.0, C0, C, n);
        if (!(r < 10.0))
            print_error("%s n=%d tile=%d: residual %.3e\n", p ? "sgemm" : "dgemm", n, tile, r);
        assert_true(r < 10.0);
        free(A), free(B), free(C), free(C0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gemm_double_matches_blas_on_ragged_tiles),
        cmocka_unit_test(gemm_float_matches_blas_on_ragged_tiles),
        cmocka_unit_test(gemm_many_tiles_matches_blas),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
