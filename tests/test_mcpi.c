/* Monte-Carlo pi: the task graph's count equals the sequential count of the
 * same counter-based samples (so it is the same under every scheduler the
 * loader runs, for every task split), and the estimate is within 4 sigma. */
#include <math.h>
#include "check.h"
#include "../codelets/kernels/common/mcpi_sample.h"

static uint64_t sequential_count(uint64_t samples, uint64_t seed)
{
    uint64_t n = 0;
    for (uint64_t i = 0; i < samples; i++)
        n += sbk_mcpi_inside(seed, i);
    return n;
}

static void mcpi_count_matches_sequential_for_any_split(void **state)
{
    (void)state;
    const uint64_t samples = 2000003, seed = 12345;
    uint64_t expect = sequential_count(samples, seed);
    const int splits[] = {0, 1, 2, 7, 64, 1000};
    for (size_t s = 0; s < sizeof splits / sizeof splits[0]; s++) {
        uint64_t inside = 0;
        assert_int_equal(sbk_mcpi(samples, seed, splits[s], &inside), 0);
        if (inside != expect)
            print_error("tasks=%d: %llu inside, sequential %llu\n", splits[s], (unsigned long long)inside,
                        (unsigned long long)expect);
        assert_true(inside == expect);
    }
}

static void mcpi_more_tasks_than_samples(void **state)
{
    (void)state;
    uint64_t inside = 99;
    assert_int_equal(sbk_mcpi(5, 3, 100, &inside), 0);
    assert_true(inside == sequential_count(5, 3));
}

static void mcpi_estimate_within_four_sigma(void **state)
{
    (void)state;
    const uint64_t samples = 4000000;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        uint64_t inside;
        assert_int_equal(sbk_mcpi(samples, seed, 0, &inside), 0);
        double pi = 4.0 * inside / samples, sigma = 4.0 * sqrt(M_PI / 4 * (1 - M_PI / 4) / samples);
        if (fabs(pi - M_PI) >= 4 * sigma)
            print_error("seed %llu: pi %.8f is %.2f sigma off\n", (unsigned long long)seed, pi,
                        fabs(pi - M_PI) / sigma);
        assert_true(fabs(pi - M_PI) < 4 * sigma);
    }
}

/* The generator is SplitMix64 (Vigna): its published stream for state 0. */
static void generator_is_splitmix64(void **state)
{
    (void)state;
    assert_true(sbk_splitmix64(0, 0) == 0xe220a8397b1dcdafull);
    assert_true(sbk_splitmix64(0, 1) == 0x6e789e6aa1b965f4ull);
    assert_true(sbk_splitmix64(0, 2) == 0x06c45d188009454full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mcpi_count_matches_sequential_for_any_split),
        cmocka_unit_test(mcpi_more_tasks_than_samples),
        cmocka_unit_test(mcpi_estimate_within_four_sigma),
        cmocka_unit_test(generator_is_splitmix64),
    };
    return cmocka_run_group_tests(tests, start_starbak, stop_starbak);
}
