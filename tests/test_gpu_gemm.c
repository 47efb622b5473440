/* The CUDA implementations of GEMM, add/scale and Monte-Carlo pi alone, on a
 * GPU-only StarPU (gpu_only.h); skipped on a machine without one. */
#include "gpu_only.h"
#include "../codelets/kernels/common/mcpi_sample.h"

static void cublas_gemm_matches_blas_both_precisions(void **state)
{
    (void)state;
    require_gpu();
    assert_int_equal(run_gemm_cases(SBK_DOUBLE), 0);
    assert_int_equal(run_gemm_cases(SBK_FLOAT), 0);
}

static void cublas_geam_add_is_exact(void **state)
{
    (void)state;
    require_gpu();
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        const int n = 1000;
        void *A = malloc(n * prec), *B = malloc(n * prec), *C = malloc(n * prec);
        fill_uniform(prec, A, n, 1), fill_uniform(prec, B, n, 2);
        sbk_matrix *dA, *dB, *dC;
        assert_int_equal(sbk_matrix_create(&dA, prec, A, n, 1, n, 64, 1), 0);
        assert_int_equal(sbk_matrix_create(&dB, prec, B, n, 1, n, 64, 1), 0);
        assert_int_equal(sbk_matrix_create(&dC, prec, C, n, 1, n, 64, 1), 0);
        assert_int_equal(sbk_add(1.0, dA, 1.0, dB, dC), 0);
        assert_int_equal(sbk_scale(0.5, dC), 0);
        sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
        for (int i = 0; i < n; i++) {
            if (prec == SBK_DOUBLE)
                assert_true(((double *)C)[i] == (((double *)A)[i] + ((double *)B)[i]) * 0.5);
            else
                assert_true(((float *)C)[i] == (((float *)A)[i] + ((float *)B)[i]) * 0.5f);
        }
        free(A), free(B), free(C);
    }
}

static void cuda_mcpi_count_matches_sequential(void **state)
{
    (void)state;
    require_gpu();
    const uint64_t samples = 3000017, seed = 77;
    uint64_t expect = 0, inside;
    for (uint64_t i = 0; i < samples; i++)
        expect += sbk_mcpi_inside(seed, i);
    assert_int_equal(sbk_mcpi(samples, seed, 13, &inside), 0);
    assert_true(inside == expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cublas_gemm_matches_blas_both_precisions),
        cmocka_unit_test(cublas_geam_add_is_exact),
        cmocka_unit_test(cuda_mcpi_count_matches_sequential),
    };
    return gpu_only_exit(cmocka_run_group_tests(tests, start_gpu_only, stop_starbak));
}
