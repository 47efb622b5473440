/* Element-wise add and scale against the same expression evaluated on the
 * host: exact where one rounding is all there is (A + B, alpha A), within two
 * roundings for alpha A + beta B (a device may fuse the multiply-add). */
#include <math.h>
#include "check.h"


/* alpha a + beta b as the given precision rounds it without fusing. */
static double axpby(sbk_precision prec, double alpha, double a, double beta, double b)
{
    if (prec == SBK_DOUBLE)
        return alpha * a + beta * b;
    volatile float x = (float)alpha * (float)a, y = (float)beta * (float)b;
    return (float)(x + y);
}

/* Largest |C - ref| in units of eps (|alpha a| + |beta b|) over an m×n matrix
 * with tiles mb×nb and leading dimension ld > m. */
static double add_error(sbk_precision prec, int m, int n, int mb, int nb, double alpha, double beta)
{
    int ld = m + 1;
    size_t count = (size_t)ld * n;
    void *A = malloc(count * prec), *B = malloc(count * prec), *C = calloc(count, prec);
    fill_uniform(prec, A, count, 5);
    fill_uniform(prec, B, count, 6);
    sbk_matrix *dA, *dB, *dC;
    assert_int_equal(sbk_matrix_create(&dA, prec, A, m, n, ld, mb, nb), 0);
    assert_int_equal(sbk_matrix_create(&dB, prec, B, m, n, ld, mb, nb), 0);
    assert_int_equal(sbk_matrix_create(&dC, prec, C, m, n, ld, mb, nb), 0);
    assert_int_equal(sbk_add(alpha, dA, beta, dB, dC), 0);
    sbk_matrix_destroy(dA), sbk_matrix_destroy(dB), sbk_matrix_destroy(dC);
    double eps = prec == SBK_DOUBLE ? 0x1.0p-52 : 0x1.0p-23, worst = 0.0;
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            size_t e = i + (size_t)j * ld;
            double a = sbk_elem_get(prec, A, e), b = sbk_elem_get(prec, B, e);
            double err = fabs(sbk_elem_get(prec, C, e) - axpby(prec, alpha, a, beta, b)) /
                         (eps * (fabs(alpha * a) + fabs(beta * b)));
            worst = isnan(err) || err > worst ? err : worst;
        }
    /* The padding rows between m and ld belong to the user: untouched. */
    for (int j = 0; j < n; j++)
        assert_true(sbk_elem_get(prec, C, m + (size_t)j * ld) == 0.0);
    free(A), free(B), free(C);
    return worst;
}

static void add_of_vectors_is_exact(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        assert_true(add_error(prec, 1000, 1, 64, 1, 1.0, 1.0) == 0.0);
        assert_true(add_error(prec, 7, 1, 64, 1, 1.0, 1.0) == 0.0);
        assert_true(add_error(prec, 1, 1, 1, 1, 1.0, 1.0) == 0.0);
    }
}

static void add_of_ragged_matrices_is_exact(void **state)
{
    (void)state;
    assert_true(add_error(SBK_DOUBLE, 37, 25, 16, 17, 1.0, 1.0) == 0.0);
    assert_true(add_error(SBK_FLOAT, 37, 25, 16, 17, 1.0, 1.0) == 0.0);
}

static void axpby_within_two_roundings(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        double e = add_error(prec, 1001, 3, 100, 2, 0.3, -1.7);
        if (!(e <= 2.0))
            print_error("%s axpby error %.3g eps\n", p ? "float" : "double", e);
        assert_true(e <= 2.0);
    }
}

static void scale_is_exact(void **state)
{
    (void)state;
    for (int p = 0; p < 2; p++) {
        sbk_precision prec = p ? SBK_FLOAT : SBK_DOUBLE;
        int m = 45, n = 13, ld = 50;
        void *A = malloc((size_t)ld * n * prec), *A0 = malloc((size_t)ld * n * prec);
        fill_uniform(prec, A0, (size_t)ld * n, 9);
        memcpy(A, A0, (size_t)ld * n * prec);
        sbk_matrix *dA;
        assert_int_equal(sbk_matrix_create(&dA, prec, A, m, n, ld, 16, 5), 0);
        assert_int_equal(sbk_scale(-0.37, dA), 0);
        sbk_matrix_destroy(dA);
        for (int j = 0; j < n; j++)
            for (int i = 0; i < ld; i++) {
                size_t e = i + (size_t)j * ld;
                double a0 = sbk_elem_get(prec, A0, e), expect = i < m ? axpby(prec, -0.37, a0, 0.0, 0.0) : a0;
                assert_true(sbk_elem_get(prec, A, e) == expect);
            }
        free(A), free(A0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_of_vectors_is_exact),
        cmocka_unit_test(add_of_ragged_matrices_is_exact),
        cmocka_unit_test(axpby_within_two_roundings),
        cmocka_unit_test(scale_is_exact),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
