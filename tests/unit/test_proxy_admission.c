/* Admission: slots, the bounded queue, round-robin fairness across source
 * buckets, and the cancel/grant hand-off contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "admission.h"

#define MAX_GRANTS 32
static adm_waiter *granted[MAX_GRANTS];
static int ngranted;

static void on_grant(adm_waiter *w)
{
    granted[ngranted++] = w;
}

static void waiter(adm_waiter *w, int bucket)
{
    w->next = NULL;
    w->bucket = bucket;
    w->state = 0;
    w->on_grant = on_grant;
}

static int setup(void **state)
{
    (void)state;
    ngranted = 0;
    return 0;
}

static void test_admits_until_limit_then_queues(void **state)
{
    (void)state;
    admission *a = admission_new(2, 5, NULL);
    adm_waiter w[4];
    for (int i = 0; i < 4; i++)
        waiter(&w[i], 1);
    assert_int_equal(admission_acquire(a, &w[0]), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w[1]), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w[2]), ADM_QUEUED);
    int in_flight, queued, limit;
    admission_counts(a, &in_flight, &queued, &limit);
    assert_int_equal(in_flight, 2);
    assert_int_equal(queued, 1);
    assert_int_equal(limit, 2);
    admission_release(a);
    assert_int_equal(ngranted, 1);
    assert_ptr_equal(granted[0], &w[2]);
    admission_counts(a, &in_flight, &queued, &limit);
    assert_int_equal(in_flight, 2);
    assert_int_equal(queued, 0);
    admission_free(a);
}

static void test_queue_max_rejects(void **state)
{
    (void)state;
    admission *a = admission_new(1, 1, NULL);
    adm_waiter w[3];
    for (int i = 0; i < 3; i++)
        waiter(&w[i], 0);
    assert_int_equal(admission_acquire(a, &w[0]), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w[1]), ADM_QUEUED);
    assert_int_equal(admission_acquire(a, &w[2]), ADM_FULL);
    admission_free(a);
}

static void test_queue_max_zero_is_immediate_rejection(void **state)
{
    (void)state;
    admission *a = admission_new(1, 0, NULL);
    adm_waiter w[2];
    waiter(&w[0], 0);
    waiter(&w[1], 0);
    assert_int_equal(admission_acquire(a, &w[0]), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w[1]), ADM_FULL);
    admission_free(a);
}

/* A1 holds the slot; A2, A3 (bucket A) and B1 (bucket B) queue in that
 * order: freed slots go A2, B1, A3 — one per active source in turn. */
static void test_round_robin_across_sources(void **state)
{
    (void)state;
    admission *a = admission_new(1, 10, NULL);
    adm_waiter a1, a2, a3, b1;
    waiter(&a1, 7);
    waiter(&a2, 7);
    waiter(&a3, 7);
    waiter(&b1, 30);
    assert_int_equal(admission_acquire(a, &a1), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &a2), ADM_QUEUED);
    assert_int_equal(admission_acquire(a, &a3), ADM_QUEUED);
    assert_int_equal(admission_acquire(a, &b1), ADM_QUEUED);
    admission_release(a);
    admission_release(a);
    admission_release(a);
    assert_int_equal(ngranted, 3);
    assert_ptr_equal(granted[0], &a2);
    assert_ptr_equal(granted[1], &b1);
    assert_ptr_equal(granted[2], &a3);
    admission_free(a);
}

/* A saturated success raises the adaptive limit by one and the freed
 * capacity goes to the waiter at once; the queue is then empty, so a
 * newcomer is admitted directly. */
static void test_adaptive_increase_grants_waiter(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 1, 1, 3, 0.75);
    admission *a = admission_new(1, 10, &cl);
    adm_waiter w0, w1, w2;
    waiter(&w0, 1);
    waiter(&w1, 2);
    waiter(&w2, 3);
    assert_int_equal(admission_acquire(a, &w0), ADM_ADMITTED);
    assert_true(w0.saturated);
    assert_int_equal(admission_acquire(a, &w1), ADM_QUEUED);
    assert_int_equal(admission_on_success(a, w0.saturated), CONC_INCREASE);
    assert_int_equal(ngranted, 1);
    assert_ptr_equal(granted[0], &w1);
    int in_flight, queued, limit;
    admission_counts(a, &in_flight, &queued, &limit);
    assert_int_equal(limit, 2);
    assert_int_equal(in_flight, 2);
    admission_release(a);
    assert_int_equal(admission_acquire(a, &w2), ADM_ADMITTED);
    admission_free(a);
}

static void test_fixed_limit_ignores_feedback(void **state)
{
    (void)state;
    admission *a = admission_new(2, 10, NULL);
    assert_int_equal(admission_on_concurrency_error(a, 0), CONC_NONE);
    assert_int_equal(admission_on_success(a, true), CONC_NONE);
    assert_int_equal(admission_reset_limit(a), 2);
    admission_free(a);
}

static void test_cancel_queued_and_granted(void **state)
{
    (void)state;
    admission *a = admission_new(1, 10, NULL);
    adm_waiter w0, w1, w2;
    waiter(&w0, 1);
    waiter(&w1, 1);
    waiter(&w2, 2);
    assert_int_equal(admission_acquire(a, &w0), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w1), ADM_QUEUED);
    assert_int_equal(admission_acquire(a, &w2), ADM_QUEUED);
    assert_true(admission_cancel(a, &w1));
    assert_false(admission_cancel(a, &w1));
    admission_release(a);
    assert_int_equal(ngranted, 1);
    assert_ptr_equal(granted[0], &w2);
    /* Already granted: cancel reports that the slot is held. */
    assert_false(admission_cancel(a, &w2));
    int in_flight, queued, limit;
    admission_counts(a, &in_flight, &queued, &limit);
    assert_int_equal(in_flight, 1);
    assert_int_equal(queued, 0);
    admission_release(a);
    admission_counts(a, &in_flight, &queued, &limit);
    assert_int_equal(in_flight, 0);
    admission_free(a);
}

/* One 1302 per epoch halves the limit (factor 0.5); the lower limit never
 * pre-empts running requests, it only delays new admissions; a reset
 * restores the initial limit and lets the waiter in. */
static void test_concurrency_error_delays_new_admissions(void **state)
{
    (void)state;
    conclimit cl;
    conclimit_init(&cl, 3, 1, 3, 0.5);
    admission *a = admission_new(3, 10, &cl);
    adm_waiter w[4];
    for (int i = 0; i < 4; i++)
        waiter(&w[i], i);
    assert_int_equal(admission_acquire(a, &w[0]), ADM_ADMITTED);
    assert_int_equal(admission_acquire(a, &w[1]), ADM_ADMITTED);
    assert_int_equal(admission_on_concurrency_error(a, w[0].epoch), CONC_DECREASE);
    assert_int_equal(admission_on_concurrency_error(a, w[1].epoch), CONC_NONE);
    assert_int_equal(admission_acquire(a, &w[2]), ADM_QUEUED);
    admission_release(a);
    assert_int_equal(ngranted, 0);
    assert_int_equal(admission_reset_limit(a), 3);
    assert_int_equal(ngranted, 1);
    assert_ptr_equal(granted[0], &w[2]);
    admission_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_admits_until_limit_then_queues, setup),
        cmocka_unit_test_setup(test_queue_max_rejects, setup),
        cmocka_unit_test_setup(test_queue_max_zero_is_immediate_rejection, setup),
        cmocka_unit_test_setup(test_round_robin_across_sources, setup),
        cmocka_unit_test_setup(test_adaptive_increase_grants_waiter, setup),
        cmocka_unit_test_setup(test_fixed_limit_ignores_feedback, setup),
        cmocka_unit_test_setup(test_cancel_queued_and_granted, setup),
        cmocka_unit_test_setup(test_concurrency_error_delays_new_admissions, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
