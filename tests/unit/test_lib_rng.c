/* Tests for lib/rng: range of rng_unit, hex ids, per-thread seeding and the
 * test override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "rng.h"

static uint64_t counter_next(void *ctx)
{
    return (*(uint64_t *)ctx)++;
}

static uint64_t fixed_next(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void test_unit_range_and_mean(void **state)
{
    (void)state;
    double sum = 0;
    int low = 0;
    for (int i = 0; i < 20000; i++) {
        double u = rng_unit();
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
        low += u < 0.5;
    }
    /* standard deviation of the mean is 0.002; these bounds are 10 sigma */
    assert_true(sum / 20000 > 0.48 && sum / 20000 < 0.52);
    assert_true(low > 9000 && low < 11000);
}

static void test_hex128(void **state)
{
    (void)state;
    char a[33], b[33];
    rng_hex128(a);
    rng_hex128(b);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
}

static void test_override(void **state)
{
    (void)state;
    uint64_t n = 7;
    rng_source src = {counter_next, &n};
    rng_set_source(&src);
    assert_int_equal(rng_u64(), 7);
    assert_int_equal(rng_u64(), 8);

    uint64_t v = 0x0123456789abcdefull;
    rng_source fixed = {fixed_next, &v};
    rng_set_source(&fixed);
    char id[33];
    rng_hex128(id);
    assert_string_equal(id, "0123456789abcdef0123456789abcdef");
    v = UINT64_MAX;
    assert_true(rng_unit() < 1.0);
    assert_true(rng_unit() > 0.9999999);
    v = 0;
    assert_true(rng_unit() == 0.0);

    rng_set_source(NULL);
    v = 5;
    int same = 0;
    for (int i = 0; i < 8; i++)
        same += rng_u64() == 5;
    assert_true(same < 8);
}

static void *thread_first(void *arg)
{
    *(uint64_t *)arg = rng_u64();
    return NULL;
}

static void test_threads_seeded_independently(void **state)
{
    (void)state;
    uint64_t first[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, thread_first, &first[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_true(first[i] != first[j]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unit_range_and_mean),
        cmocka_unit_test(test_hex128),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_threads_seeded_independently),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
