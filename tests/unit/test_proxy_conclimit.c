/* conclimit: the AIMD of PROXY.md §5.2, its worked example, epochs, the
 * saturation rule and the bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "conclimit.h"

/* n saturated successes; returns how many raised the limit. */
static int successes(conclimit *cl, int n)
{
    int raised = 0;
    for (int i = 0; i < n; i++)
        raised += conclimit_on_success(cl, true) == CONC_INCREASE;
    return raised;
}

/* MAX_WORKERS=10, factor 0.75, min 1. */
static void test_worked_example(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 10, 1, 10, 0.75);
    assert_int_equal(conclimit_limit(&cl), 10);
    uint64_t e0 = conclimit_epoch(&cl);
    assert_int_equal(e0, 0);
    /* a burst of three 1302 answers for requests admitted in epoch 0 */
    assert_int_equal(conclimit_on_concurrency_error(&cl, e0), CONC_DECREASE);
    assert_int_equal(conclimit_limit(&cl), 7);
    assert_int_equal(conclimit_epoch(&cl), 1);
    assert_int_equal(conclimit_on_concurrency_error(&cl, e0), CONC_NONE);
    assert_int_equal(conclimit_on_concurrency_error(&cl, e0), CONC_NONE);
    assert_int_equal(conclimit_limit(&cl), 7);
    /* 7 saturated successes -> 8; 8 more -> 9; 9 more -> 10 */
    assert_int_equal(successes(&cl, 6), 0);
    assert_int_equal(conclimit_on_success(&cl, true), CONC_INCREASE);
    assert_int_equal(conclimit_limit(&cl), 8);
    assert_int_equal(successes(&cl, 7), 0);
    assert_int_equal(successes(&cl, 1), 1);
    assert_int_equal(conclimit_limit(&cl), 9);
    assert_int_equal(successes(&cl, 8), 0);
    assert_int_equal(successes(&cl, 1), 1);
    assert_int_equal(conclimit_limit(&cl), 10);
    /* never above MAX_WORKERS */
    assert_int_equal(successes(&cl, 100), 0);
    assert_int_equal(conclimit_limit(&cl), 10);
}

static void test_floor_and_minimum(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 2, 1, 10, 0.75);
    assert_int_equal(conclimit_on_concurrency_error(&cl, conclimit_epoch(&cl)), CONC_DECREASE);
    assert_int_equal(conclimit_limit(&cl), 1); /* floor(1.5) */
    assert_int_equal(conclimit_on_concurrency_error(&cl, conclimit_epoch(&cl)), CONC_DECREASE);
    assert_int_equal(conclimit_limit(&cl), 1); /* max(1, floor(0.75)) */
    assert_int_equal(conclimit_epoch(&cl), 2);

    conclimit_init(&cl, 10, 4, 10, 0.5);
    conclimit_on_concurrency_error(&cl, 0);
    assert_int_equal(conclimit_limit(&cl), 5);
    conclimit_on_concurrency_error(&cl, 1);
    assert_int_equal(conclimit_limit(&cl), 4); /* floor(2.5) raised to min 4 */
}

static void test_unsaturated_successes_do_not_grow(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 10, 1, 10, 0.75);
    conclimit_on_concurrency_error(&cl, 0); /* L = 7 */
    for (int i = 0; i < 100; i++)
        assert_int_equal(conclimit_on_success(&cl, false), CONC_NONE);
    assert_int_equal(conclimit_limit(&cl), 7);
}

/* A decrease restarts the count of saturated successes. */
static void test_decrease_resets_success_count(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 10, 1, 10, 0.75);
    conclimit_on_concurrency_error(&cl, 0); /* 7 */
    successes(&cl, 6);
    conclimit_on_concurrency_error(&cl, 1); /* floor(5.25) = 5 */
    assert_int_equal(conclimit_limit(&cl), 5);
    assert_int_equal(successes(&cl, 4), 0);
    assert_int_equal(successes(&cl, 1), 1);
    assert_int_equal(conclimit_limit(&cl), 6);
}

static void test_saturation_flag(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 7, 1, 10, 0.75);
    assert_false(conclimit_saturated(&cl, 6));
    assert_true(conclimit_saturated(&cl, 7));
    assert_true(conclimit_saturated(&cl, 9)); /* a lowered L with old requests running */
}

static void test_reset(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 8, 2, 10, 0.75);
    conclimit_on_concurrency_error(&cl, conclimit_epoch(&cl));
    successes(&cl, 3);
    uint64_t old = conclimit_epoch(&cl); /* requests admitted before the reset */
    conclimit_reset(&cl);
    assert_int_equal(conclimit_limit(&cl), 8);
    /* a 1302 of a request admitted before the reset does not cut the fresh limit */
    assert_int_equal(conclimit_on_concurrency_error(&cl, old), CONC_NONE);
    assert_int_equal(conclimit_limit(&cl), 8);
    assert_int_equal(successes(&cl, 7), 0); /* the count restarted */
    assert_int_equal(successes(&cl, 1), 1);
    assert_int_equal(conclimit_limit(&cl), 9);
}

static void test_initial_clamped(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 50, 1, 10, 0.75);
    assert_int_equal(conclimit_limit(&cl), 10);
    conclimit_init(&cl, 0, 3, 10, 0.75);
    assert_int_equal(conclimit_limit(&cl), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_floor_and_minimum),
        cmocka_unit_test(test_unsaturated_successes_do_not_grow),
        cmocka_unit_test(test_decrease_resets_success_count),
        cmocka_unit_test(test_saturation_flag),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_initial_clamped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
