/* fairsched: source buckets (the FNV-1a vectors of PROXY.md §6.6), the
 * pinned grant order, round-robin fairness, cancellation of dispatching and
 * queued waiters, all on explicit virtual time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "clock.h"
#include "fairsched.h"
#include "fnv.h"

#define T0 (1000 * NS_PER_SEC)

typedef struct rig {
    ratelimit *rl;
    fairsched *fs;
} rig;

/* rate 0.5/s: burst(0.5) = 1, one token every 2 s */
static rig make(double rate)
{
    rl_params p = {rate, 0.1, 100, 0.3, 0.02, 10, 30 * NS_PER_SEC};
    rig r;
    r.rl = ratelimit_new(&p, T0);
    assert_non_null(r.rl);
    r.fs = fairsched_new(r.rl);
    assert_non_null(r.fs);
    return r;
}

static void drop(rig *r)
{
    fairsched_free(r->fs);
    ratelimit_free(r->rl);
}

static void waiter(fs_waiter *w, int bucket)
{
    memset(w, 0, sizeof *w);
    w->bucket = bucket;
}

/* ---- source identity ---- */

static void test_fnv_vectors(void **state)
{
    (void)state;
    static const struct { const char *in; uint32_t hash; int bucket; } v[] = {
        {"unknown", 0x9b759fb9u, 57},   {"10.42.0.7", 0x90cee9e1u, 33}, {"10.42.0.8", 0x89cededcu, 28},
        {"10.42.0.9", 0x8acee06fu, 47}, {"192.0.2.1", 0x05ecbdd8u, 24}, {"127.0.0.1", 0x08a3d11eu, 30},
        {"fd00::1", 0x9954580au, 10},   {"malformed-peer", 0x53b56685u, 5}, {"::1", 0x15bec48cu, 12},
    };
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        assert_int_equal(fnv1a32(v[i].in, strlen(v[i].in)), v[i].hash);
        assert_int_equal(fairsched_source_bucket(v[i].in), v[i].bucket);
        char label[16], want[16];
        fairsched_source_label(fairsched_source_bucket(v[i].in), label);
        snprintf(want, sizeof want, "source-%02d", v[i].bucket);
        assert_string_equal(label, want);
    }
}

static void test_bucket_ignores_port_and_brackets(void **state)
{
    (void)state;
    assert_int_equal(fairsched_source_bucket("10.42.0.7:1234"), 33);
    assert_int_equal(fairsched_source_bucket("10.42.0.7:80"), 33);
    assert_int_equal(fairsched_source_bucket("[fd00::1]:443"), 10);
    assert_int_equal(fairsched_source_bucket("[::1]:8080"), 12);
    assert_int_equal(fairsched_source_bucket("127.0.0.1:5"), 30);
    /* empty or missing is "unknown"; an unparsable peer is used whole */
    assert_int_equal(fairsched_source_bucket(""), 57);
    assert_int_equal(fairsched_source_bucket(NULL), 57);
    assert_int_equal(fairsched_source_bucket(":80"), 57);
    assert_int_equal(fairsched_source_bucket("[fd00::1]"), (int)(fnv1a32("[fd00::1]", 9) % 64));
    assert_int_equal(fairsched_source_bucket("a:b:c"), (int)(fnv1a32("a:b:c", 5) % 64));
    char label[16];
    fairsched_source_label(0, label);
    assert_string_equal(label, "source-00");
    fairsched_source_label(63, label);
    assert_string_equal(label, "source-63");
}

/* ---- scheduling ---- */

/* §6.6: burst 1; A1 is admitted at once; A2 waits for the token, A3 and B1
 * queue -> A2, B1, A3. */
static void test_pinned_order(void **state)
{
    (void)state;
    rig r = make(0.5);
    fs_waiter a1, a2, a3, b1;
    waiter(&a1, 3);
    waiter(&a2, 3);
    waiter(&a3, 3);
    waiter(&b1, 40);
    fairsched_enqueue(r.fs, &a1, T0);
    assert_ptr_equal(fairsched_grant(r.fs, T0), &a1);
    assert_null(fairsched_grant(r.fs, T0));
    assert_int_equal(fairsched_next_at(r.fs, T0), FAIRSCHED_IDLE);

    fairsched_enqueue(r.fs, &a2, T0);
    assert_null(fairsched_grant(r.fs, T0));
    assert_ptr_equal(fairsched_dispatching(r.fs), &a2);
    fairsched_enqueue(r.fs, &a3, T0 + NS_PER_MS);
    fairsched_enqueue(r.fs, &b1, T0 + 2 * NS_PER_MS);
    assert_int_equal(fairsched_queued(r.fs), 3);
    assert_int_equal(a3.queued_at, T0 + NS_PER_MS);

    static const int64_t at[] = {2, 4, 6};
    fs_waiter *expect[] = {&a2, &b1, &a3};
    int64_t t = T0;
    for (int i = 0; i < 3; i++) {
        int64_t next = fairsched_next_at(r.fs, t);
        assert_int_equal(next, T0 + at[i] * NS_PER_SEC);
        assert_null(fairsched_grant(r.fs, next - 1));
        assert_ptr_equal(fairsched_grant(r.fs, next), expect[i]);
        assert_null(fairsched_grant(r.fs, next));
        t = next;
    }
    assert_int_equal(fairsched_queued(r.fs), 0);
    assert_int_equal(fairsched_next_at(r.fs, t), FAIRSCHED_IDLE);
    drop(&r);
}

/* A source whose head is dispatching cannot get a second token before the
 * other queued sources get theirs. */
static void test_no_overtaking(void **state)
{
    (void)state;
    rig r = make(0.5);
    while (ratelimit_try_take(r.rl, T0))
        ;
    fs_waiter a[3], b;
    for (int i = 0; i < 3; i++)
        waiter(&a[i], 7);
    waiter(&b, 8);
    fairsched_enqueue(r.fs, &a[0], T0);
    fairsched_enqueue(r.fs, &b, T0);
    fairsched_enqueue(r.fs, &a[1], T0);
    fairsched_enqueue(r.fs, &a[2], T0);
    fs_waiter *expect[] = {&a[0], &b, &a[1], &a[2]};
    int64_t t = T0;
    for (int i = 0; i < 4; i++) {
        t = fairsched_next_at(r.fs, t);
        assert_ptr_equal(fairsched_grant(r.fs, t), expect[i]);
    }
    drop(&r);
}

/* Three busy sources alternate even when tokens come in a burst. */
static void test_round_robin_with_burst(void **state)
{
    (void)state;
    rig r = make(10); /* burst 20: everything is granted at once */
    fs_waiter w[9];
    for (int i = 0; i < 9; i++) {
        waiter(&w[i], i / 3); /* sources 0,0,0,1,1,1,2,2,2 */
        fairsched_enqueue(r.fs, &w[i], T0);
    }
    static const int order[] = {0, 3, 6, 1, 4, 7, 2, 5, 8};
    for (int i = 0; i < 9; i++)
        assert_ptr_equal(fairsched_grant(r.fs, T0), &w[order[i]]);
    assert_null(fairsched_grant(r.fs, T0));
    drop(&r);
}

/* A cancelled dispatching waiter leaves its token to the next one. */
static void test_cancel_dispatching_keeps_token(void **state)
{
    (void)state;
    rig r = make(0.5);
    fs_waiter a1, a2, b1;
    waiter(&a1, 1);
    waiter(&a2, 1);
    waiter(&b1, 2);
    fairsched_enqueue(r.fs, &a1, T0);
    assert_ptr_equal(fairsched_grant(r.fs, T0), &a1);
    fairsched_enqueue(r.fs, &a2, T0);
    fairsched_enqueue(r.fs, &b1, T0);
    assert_ptr_equal(fairsched_dispatching(r.fs), &a2);
    /* the token has accrued at T0+2 s but was not granted yet */
    int64_t t = T0 + 2 * NS_PER_SEC;
    assert_true(fairsched_cancel(r.fs, &a2));
    assert_false(fairsched_cancel(r.fs, &a2));
    assert_ptr_equal(fairsched_dispatching(r.fs), &b1);
    assert_int_equal(fairsched_next_at(r.fs, t), t);
    assert_ptr_equal(fairsched_grant(r.fs, t), &b1);
    /* exactly one token was consumed since A1: the next is 2 s later */
    assert_false(ratelimit_try_take(r.rl, t));
    assert_int_equal(ratelimit_next_token_at(r.rl, t), t + 2 * NS_PER_SEC);
    drop(&r);
}

static void test_cancel_dispatching_before_token(void **state)
{
    (void)state;
    rig r = make(0.5);
    while (ratelimit_try_take(r.rl, T0))
        ;
    fs_waiter a1, b1;
    waiter(&a1, 1);
    waiter(&b1, 2);
    fairsched_enqueue(r.fs, &a1, T0);
    fairsched_enqueue(r.fs, &b1, T0);
    assert_true(fairsched_cancel(r.fs, &a1));
    int64_t next = fairsched_next_at(r.fs, T0 + NS_PER_SEC);
    assert_int_equal(next, T0 + 2 * NS_PER_SEC);
    assert_ptr_equal(fairsched_grant(r.fs, next), &b1);
    assert_int_equal(fairsched_queued(r.fs), 0);
    drop(&r);
}

static void test_cancel_queued_and_granted(void **state)
{
    (void)state;
    rig r = make(0.5);
    while (ratelimit_try_take(r.rl, T0))
        ;
    fs_waiter a1, a2, a3, b1, idle;
    waiter(&a1, 1);
    waiter(&a2, 1);
    waiter(&a3, 1);
    waiter(&b1, 2);
    waiter(&idle, 5);
    fairsched_enqueue(r.fs, &a1, T0);
    fairsched_enqueue(r.fs, &a2, T0);
    fairsched_enqueue(r.fs, &a3, T0);
    fairsched_enqueue(r.fs, &b1, T0);
    assert_false(fairsched_cancel(r.fs, &idle)); /* never queued */
    assert_true(fairsched_cancel(r.fs, &a2));   /* middle of a FIFO */
    assert_int_equal(fairsched_queued(r.fs), 3);
    int64_t t = fairsched_next_at(r.fs, T0);
    assert_ptr_equal(fairsched_grant(r.fs, t), &a1);
    assert_false(fairsched_cancel(r.fs, &a1)); /* granted: too late */
    t = fairsched_next_at(r.fs, t);
    assert_ptr_equal(fairsched_grant(r.fs, t), &b1);
    t = fairsched_next_at(r.fs, t);
    assert_ptr_equal(fairsched_grant(r.fs, t), &a3);
    assert_int_equal(fairsched_queued(r.fs), 0);
    drop(&r);
}

/* Removing a source ahead of the cursor keeps the cursor on the same source. */
static void test_cursor_after_removal(void **state)
{
    (void)state;
    rig r = make(0.5);
    while (ratelimit_try_take(r.rl, T0))
        ;
    fs_waiter a1, b1, b2, c1, c2, d1;
    waiter(&a1, 1);
    waiter(&b1, 2);
    waiter(&b2, 2);
    waiter(&c1, 3);
    waiter(&c2, 3);
    waiter(&d1, 4);
    fs_waiter *all[] = {&a1, &b1, &b2, &c1, &c2, &d1};
    for (int i = 0; i < 6; i++)
        fairsched_enqueue(r.fs, all[i], T0);
    int64_t t = fairsched_next_at(r.fs, T0);
    assert_ptr_equal(fairsched_grant(r.fs, t), &a1); /* A leaves: [B, C, D], B next */
    t = fairsched_next_at(r.fs, t);
    assert_ptr_equal(fairsched_grant(r.fs, t), &b1); /* cursor on C */
    assert_true(fairsched_cancel(r.fs, &b2));        /* B leaves: still C, not D */
    assert_ptr_equal(fairsched_dispatching(r.fs), &c1);
    t = fairsched_next_at(r.fs, t);
    assert_ptr_equal(fairsched_grant(r.fs, t), &c1); /* cursor on D */
    assert_true(fairsched_cancel(r.fs, &d1));        /* the last source leaves: wrap to C */
    assert_ptr_equal(fairsched_dispatching(r.fs), &c2);
    assert_true(fairsched_cancel(r.fs, &c2));
    assert_null(fairsched_dispatching(r.fs));
    assert_int_equal(fairsched_next_at(r.fs, t), FAIRSCHED_IDLE);
    drop(&r);
}

/* A retried request queues again with the same waiter; a rate change moves
 * the next grant. */
static void test_requeue_and_rate_change(void **state)
{
    (void)state;
    rig r = make(0.5);
    fs_waiter a;
    waiter(&a, 9);
    fairsched_enqueue(r.fs, &a, T0);
    assert_ptr_equal(fairsched_grant(r.fs, T0), &a);
    fairsched_enqueue(r.fs, &a, T0 + NS_PER_SEC);
    assert_int_equal(fairsched_next_at(r.fs, T0 + NS_PER_SEC), T0 + 2 * NS_PER_SEC);
    rl_events ev;
    ceilstate s = {4, 4, 1};
    ratelimit_restore(r.rl, &s, T0 + NS_PER_SEC, &ev); /* 0.5 token accrued, now 4/s */
    assert_true(ev.rate_changed);
    assert_int_equal(fairsched_next_at(r.fs, T0 + NS_PER_SEC), T0 + NS_PER_SEC + 125 * NS_PER_MS);
    assert_ptr_equal(fairsched_grant(r.fs, T0 + NS_PER_SEC + 125 * NS_PER_MS), &a);
    drop(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_vectors),
        cmocka_unit_test(test_bucket_ignores_port_and_brackets),
        cmocka_unit_test(test_pinned_order),
        cmocka_unit_test(test_no_overtaking),
        cmocka_unit_test(test_round_robin_with_burst),
        cmocka_unit_test(test_cancel_dispatching_keeps_token),
        cmocka_unit_test(test_cancel_dispatching_before_token),
        cmocka_unit_test(test_cancel_queued_and_granted),
        cmocka_unit_test(test_cursor_after_removal),
        cmocka_unit_test(test_requeue_and_rate_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
