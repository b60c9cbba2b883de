/* ratelimit: every worked example and pinned edge rule of PROXY.md §6.5,
 * the token bucket of §6.2, reset (§6.7) and restore clamps (§6.8), all on
 * explicit virtual time: nothing sleeps. Values the spec prints rounded are
 * compared within 1e-3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include "clock.h"
#include "ratelimit.h"

#define WIN (30 * NS_PER_SEC)
#define T0 (1000 * NS_PER_SEC)
#define WALL0 (1795514400LL * NS_PER_SEC) /* 2026-11-24T10:00:00Z */
#define TOL 1e-3

#define assert_near(a, b, eps)                                                        \
    do {                                                                              \
        double a_ = (a), b_ = (b);                                                    \
        if (!(fabs(a_ - b_) <= (eps))) {                                              \
            print_error("%s = %.12g, expected %.12g (±%g)\n", #a, a_, b_, (double)(eps)); \
            fail();                                                                   \
        }                                                                             \
    } while (0)

typedef struct rig {
    ratelimit *rl;
    int64_t now;   /* monotonic */
    int64_t wall;
    rl_events ev;  /* of the last window */
} rig;

static rig make(double initial, double min, double max, int probe)
{
    rl_params p = {initial, min, max, 0.3, 0.02, probe, WIN};
    rig r = {ratelimit_new(&p, T0), T0, WALL0, {0}};
    assert_non_null(r.rl);
    return r;
}

static rl_view view(const rig *r)
{
    rl_view v;
    ratelimit_view(r->rl, &v);
    return v;
}

/* One window: the feedback arrives 1 s into it, the evaluation happens at
 * its end through try_adjust. Returns the rate after the window. */
static double window(rig *r, long n429, long nok)
{
    rl_events ev;
    int64_t start = view(r).last_adjustment;
    r->now = start + NS_PER_SEC;
    for (long i = 0; i < n429; i++) {
        ratelimit_record_429(r->rl, r->now, r->wall, &ev);
        assert_false(ev.evaluated);
    }
    for (long i = 0; i < nok; i++) {
        ratelimit_record_success(r->rl, r->now, r->wall, &ev);
        assert_false(ev.evaluated);
    }
    r->now = start + WIN;
    r->wall += WIN;
    ratelimit_try_adjust(r->rl, r->now, r->wall, &r->ev);
    return view(r).rate;
}

static double clean(rig *r)
{
    return window(r, 0, 100);
}

static void restore(rig *r, double ceiling, double hold)
{
    ceilstate s = {ceiling, hold, WALL0 - 60 * NS_PER_SEC};
    ratelimit_restore(r->rl, &s, r->now, &r->ev);
}

/* ---- burst and token bucket (§6.1, §6.2) ---- */

static void test_burst(void **state)
{
    (void)state;
    assert_near(ratelimit_burst(0), 0, 0);
    assert_near(ratelimit_burst(-3), 0, 0);
    assert_near(ratelimit_burst(0.1), 1, 0);
    assert_near(ratelimit_burst(0.5), 1, 0);
    assert_near(ratelimit_burst(0.99), 1, 0);
    assert_near(ratelimit_burst(1), 2, 0);
    assert_near(ratelimit_burst(2.7), 5, 0);
    assert_near(ratelimit_burst(10), 20, 0);
    assert_near(ratelimit_burst(9.212), 18, 0);
}

static void test_bucket_starts_full(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    assert_near(view(&r).burst, 20, 0);
    for (int i = 0; i < 20; i++)
        assert_true(ratelimit_try_take(r.rl, T0));
    assert_false(ratelimit_try_take(r.rl, T0));
    assert_int_equal(ratelimit_next_token_at(r.rl, T0), T0 + 100 * NS_PER_MS);
    ratelimit_free(r.rl);
}

/* After the burst the wait is exactly 1/rate on the virtual clock. */
static void test_bucket_interval_is_one_over_rate(void **state)
{
    (void)state;
    static const struct { double rate; int64_t gap; } cases[] = {
        {2, 500 * NS_PER_MS}, {4, 250 * NS_PER_MS}, {16, 62500 * 1000}};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        rig r = make(cases[c].rate, 1, 50, 10);
        int64_t t = T0;
        while (ratelimit_try_take(r.rl, t))
            ;
        for (int i = 0; i < 10; i++) {
            int64_t next = ratelimit_next_token_at(r.rl, t);
            assert_int_equal(next - t, cases[c].gap);
            assert_false(ratelimit_try_take(r.rl, next - 1));
            assert_true(ratelimit_try_take(r.rl, next));
            assert_false(ratelimit_try_take(r.rl, next));
            t = next;
        }
        ratelimit_free(r.rl);
    }
}

static void test_bucket_accrues_continuously_and_caps(void **state)
{
    (void)state;
    rig r = make(4, 1, 50, 10); /* burst 8 */
    for (int i = 0; i < 8; i++)
        assert_true(ratelimit_try_take(r.rl, T0));
    /* 0.625 s at 4/s = 2.5 tokens: two takes, the third waits 0.125 s */
    int64_t t = T0 + 625 * NS_PER_MS;
    assert_true(ratelimit_try_take(r.rl, t));
    assert_true(ratelimit_try_take(r.rl, t));
    assert_false(ratelimit_try_take(r.rl, t));
    assert_int_equal(ratelimit_next_token_at(r.rl, t), t + 125 * NS_PER_MS);
    assert_false(ratelimit_try_take(r.rl, t + 125 * NS_PER_MS - 1));
    /* any rate: next_token_at is exactly the first instant with a token */
    assert_true(ratelimit_try_take(r.rl, t + 125 * NS_PER_MS));
    t += 125 * NS_PER_MS + 7 * NS_PER_MS;
    int64_t next = ratelimit_next_token_at(r.rl, t);
    assert_false(ratelimit_try_take(r.rl, next - 1));
    assert_true(ratelimit_try_take(r.rl, next));
    t = next;
    /* an hour idle refills to the capacity, not beyond */
    t += 3600 * NS_PER_SEC;
    for (int i = 0; i < 8; i++)
        assert_true(ratelimit_try_take(r.rl, t));
    assert_false(ratelimit_try_take(r.rl, t));
    /* a clock that goes backwards adds nothing */
    assert_false(ratelimit_try_take(r.rl, t - NS_PER_SEC));
    ratelimit_free(r.rl);
}

/* A rate change caps the accrued tokens at the new capacity. */
static void test_bucket_follows_rate_change(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    window(&r, 20, 80); /* rate 9.212, burst 18 */
    assert_true(r.ev.rate_changed);
    assert_near(view(&r).burst, 18, 0);
    int taken = 0;
    while (ratelimit_try_take(r.rl, r.now))
        taken++;
    assert_int_equal(taken, 18);
    int64_t next = ratelimit_next_token_at(r.rl, r.now);
    assert_int_equal(next - r.now, (int64_t)ceil(1e9 / view(&r).rate));
    ratelimit_free(r.rl);
}

/* ---- worked examples (§6.5) ---- */

static void test_example_back_off_20_percent(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    window(&r, 20, 80);
    rl_view v = view(&r);
    assert_near(v.ceiling, 9.4, TOL);
    assert_near(v.rate, 9.212, TOL);
    assert_true(r.ev.evaluated);
    assert_int_equal(r.ev.direction, RL_DECREASE);
    assert_true(r.ev.ceiling_changed);
    assert_int_equal(r.ev.n_logs, 1);
    assert_string_equal(r.ev.logs[0],
                        "rate limit: ceiling 10 -> 9.4 req/s, holding at 9.212 req/s (429 share 20.0%)");
    ratelimit_free(r.rl);
}

static void test_example_back_off_80_percent(void **state)
{
    (void)state;
    rig r = make(10, 0.1, 40, 10);
    window(&r, 81, 20);
    rl_view v = view(&r);
    /* accepted = 10 * 20/101 = 1.980 */
    assert_near(v.ceiling, 0.3 * (10.0 * 20 / 101) + 0.7 * 10, 1e-12);
    assert_near(v.ceiling, 7.594, TOL);
    assert_near(v.rate, 7.442, TOL);
    assert_true(v.rate <= 8);
    ratelimit_free(r.rl);
}

static void test_example_probe_then_raise(void **state)
{
    (void)state;
    rig r = make(30, 1, 50, 3);
    assert_near(clean(&r), 30, 0);
    assert_int_equal(r.ev.direction, RL_NONE);
    assert_near(clean(&r), 30, 0);
    assert_int_equal(r.ev.direction, RL_NONE);
    assert_near(clean(&r), 30.6, TOL);
    assert_int_equal(r.ev.direction, RL_PROBE);
    assert_false(r.ev.ceiling_changed);
    assert_near(view(&r).ceiling, 30, 0);
    /* window 4: the probe survived, the ceiling follows; the rate stays */
    assert_near(clean(&r), 30.6, TOL);
    assert_true(r.ev.ceiling_changed);
    assert_true(r.ev.persist);
    assert_false(r.ev.rate_changed);
    assert_int_equal(r.ev.direction, RL_NONE); /* a raise counts nothing */
    assert_string_equal(r.ev.logs[0], "rate limit: ceiling raised 30 -> 30.6 req/s");
    assert_near(view(&r).ceiling, 30.6, TOL);
    assert_near(clean(&r), 30.6, TOL);
    assert_near(clean(&r), 31.212, TOL);
    assert_int_equal(r.ev.direction, RL_PROBE);
    ratelimit_free(r.rl);
}

/* The upstream accepts 1 req/s: e = 1 - 1/rate in every window. */
static void test_example_saturated_upstream_converges(void **state)
{
    (void)state;
    static const double expect[] = {7.154, 5.302, 4.005, 3.098, 2.462, 2.018, 1.706, 1.489};
    rig r = make(10, 0.1, 40, 10);
    const long total = 100000;
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        long ok = lround((double)total / view(&r).rate);
        double rate = window(&r, total - ok, ok);
        assert_near(rate, expect[i], TOL);
        assert_int_equal(r.ev.direction, RL_DECREASE);
    }
    assert_true(view(&r).rate <= 1.5);
    ratelimit_free(r.rl);
}

static void test_example_converge_from_far_below(void **state)
{
    (void)state;
    static const double expect[] = {29.5, 39.25, 44.125, 46.5625, 47.78125};
    rig r = make(10, 1, 100, 10);
    restore(&r, 50, 10);
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        assert_near(clean(&r), expect[i], 1e-9);
        assert_int_equal(r.ev.direction, RL_INCREASE);
        assert_false(r.ev.persist);
    }
    ratelimit_free(r.rl);
}

static void test_example_converge_minimum_step(void **state)
{
    (void)state;
    rig r = make(10, 1, 100, 10);
    restore(&r, 50, 48.5);
    assert_near(clean(&r), 48.75, 1e-9);
    assert_near(clean(&r), 49.0, 1e-9);
    assert_near(clean(&r), 49.0, 1e-9); /* at the target: hold */
    assert_int_equal(r.ev.direction, RL_NONE);
    assert_string_equal(r.ev.logs[0], "");
    ratelimit_free(r.rl);
}

/* The fix: a back-off never raises the rate. */
static void test_example_restored_low_rate_never_jumps_up(void **state)
{
    (void)state;
    rig r = make(10, 0.5, 40, 10);
    restore(&r, 40, 0.5);
    assert_near(view(&r).rate, 0.5, 0);
    window(&r, 20, 80);
    assert_near(view(&r).ceiling, 28.12, 1e-9);
    assert_near(view(&r).hold, 27.5576, 1e-9);
    assert_near(view(&r).rate, 0.5, 0);
    assert_false(r.ev.rate_changed);
    assert_int_equal(r.ev.direction, RL_DECREASE);
    ratelimit_free(r.rl);
}

/* ---- pinned edge rules (§6.5) ---- */

/* Two clean windows, so the counter is visible. */
static rig with_two_clean(void)
{
    rig r = make(30, 1, 50, 10);
    clean(&r);
    clean(&r);
    assert_int_equal(view(&r).clean_windows, 2);
    return r;
}

static void test_exactly_5_percent_is_middle(void **state)
{
    (void)state;
    rig r = with_two_clean();
    window(&r, 5, 95);
    assert_true(r.ev.evaluated);
    assert_int_equal(r.ev.direction, RL_NONE);
    assert_false(r.ev.ceiling_changed);
    assert_near(view(&r).rate, 30, 0);
    assert_near(view(&r).ceiling, 30, 0);
    assert_int_equal(view(&r).clean_windows, 2);
    window(&r, 3, 97); /* 1 %–5 % likewise */
    assert_int_equal(view(&r).clean_windows, 2);
    assert_near(view(&r).rate, 30, 0);
    window(&r, 6, 94); /* just above 5 %: back-off, counter reset */
    assert_int_equal(r.ev.direction, RL_DECREASE);
    assert_int_equal(view(&r).clean_windows, 0);
    assert_true(view(&r).rate < 30);
    ratelimit_free(r.rl);
}

static void test_exactly_1_percent_is_not_clean(void **state)
{
    (void)state;
    rig r = with_two_clean();
    window(&r, 1, 99);
    assert_int_equal(view(&r).clean_windows, 2);
    window(&r, 1, 100); /* 0.99 % is clean */
    assert_int_equal(view(&r).clean_windows, 3);
    ratelimit_free(r.rl);
}

static void test_back_off_resets_clean_windows(void **state)
{
    (void)state;
    rig r = with_two_clean();
    window(&r, 50, 50);
    assert_int_equal(view(&r).clean_windows, 0);
    ratelimit_free(r.rl);
}

static void test_probe_timing(void **state)
{
    (void)state;
    /* interval 4: not after 3 clean windows, exactly after 4 */
    rig r = make(30, 1, 50, 4);
    for (int i = 0; i < 3; i++) {
        clean(&r);
        assert_int_equal(r.ev.direction, RL_NONE);
    }
    clean(&r);
    assert_int_equal(r.ev.direction, RL_PROBE);
    assert_int_equal(view(&r).clean_windows, 0);
    ratelimit_free(r.rl);

    r = make(30, 1, 50, 1); /* interval 1 probes on the first clean window */
    assert_near(clean(&r), 30.6, TOL);
    assert_int_equal(r.ev.direction, RL_PROBE);
    ratelimit_free(r.rl);

    r = make(30, 1, 50, 0); /* 0 never probes */
    for (int i = 0; i < 40; i++) {
        assert_near(clean(&r), 30, 0);
        assert_int_equal(r.ev.direction, RL_NONE);
    }
    assert_int_equal(view(&r).clean_windows, 40);
    ratelimit_free(r.rl);
}

static void test_probe_capped_at_max_and_not_at_max(void **state)
{
    (void)state;
    rig r = make(30, 1, 30.3, 1);
    assert_near(clean(&r), 30.3, 0);
    assert_int_equal(r.ev.direction, RL_PROBE);
    /* at max: no probe; the ceiling follows the surviving probe */
    assert_near(clean(&r), 30.3, 0);
    assert_int_equal(r.ev.direction, RL_NONE);
    assert_near(view(&r).ceiling, 30.3, 0);
    for (int i = 0; i < 5; i++)
        assert_near(clean(&r), 30.3, 0);
    ratelimit_free(r.rl);
}

static void test_no_adjustment_inside_a_window(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    rl_events ev;
    for (int i = 0; i < 100; i++) {
        ratelimit_record_429(r.rl, T0 + WIN / 2, WALL0, &ev);
        assert_false(ev.evaluated);
        assert_false(ev.rate_changed);
    }
    ratelimit_try_adjust(r.rl, T0 + WIN - 1, WALL0, &ev);
    assert_false(ev.evaluated);
    assert_near(view(&r).rate, 10, 0);
    assert_int_equal(view(&r).n429, 100);
    /* the window closes at exactly `window` */
    ratelimit_try_adjust(r.rl, T0 + WIN, WALL0, &ev);
    assert_true(ev.evaluated);
    assert_true(view(&r).rate < 10);
    assert_int_equal(view(&r).n429, 0);
    assert_int_equal(view(&r).last_adjustment, T0 + WIN);
    ratelimit_free(r.rl);
}

/* Zero-traffic windows do nothing; a quiet period merges into one longer
 * window closed by the next feedback. */
static void test_zero_traffic_and_lazy_windows(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 1);
    rl_events ev;
    for (int k = 1; k <= 5; k++) {
        ratelimit_try_adjust(r.rl, T0 + k * WIN, WALL0, &ev);
        assert_false(ev.evaluated);
        assert_int_equal(view(&r).last_adjustment, T0);
    }
    ratelimit_record_success(r.rl, T0 + 10 * WIN, WALL0, &ev);
    assert_true(ev.evaluated);
    assert_int_equal(ev.direction, RL_PROBE);
    assert_int_equal(view(&r).last_adjustment, T0 + 10 * WIN);
    ratelimit_free(r.rl);
}

static void test_heavy_first_window_never_raises(void **state)
{
    (void)state;
    static const long shares[] = {6, 20, 50, 90, 100};
    for (size_t i = 0; i < sizeof shares / sizeof *shares; i++) {
        rig r = make(10, 1, 50, 10);
        window(&r, shares[i], 100 - shares[i]);
        assert_true(view(&r).rate < 10);
        assert_true(view(&r).ceiling < 10);
        ratelimit_free(r.rl);
    }
}

static void test_90_percent_backs_off_3x_harder_than_10(void **state)
{
    (void)state;
    rig a = make(10, 1, 50, 10), b = make(10, 1, 50, 10);
    double drop10 = 10 - window(&a, 10, 90);
    double drop90 = 10 - window(&b, 90, 10);
    assert_true(drop10 > 0);
    assert_true(drop90 >= 3 * drop10);
    ratelimit_free(a.rl);
    ratelimit_free(b.rl);
}

static void test_total_rejection_floors_at_min(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    for (int i = 0; i < 30; i++) {
        window(&r, 100, 0);
        assert_true(view(&r).ceiling >= 1);
        assert_true(view(&r).rate >= 1);
    }
    assert_near(view(&r).ceiling, 1, 0);
    assert_near(view(&r).rate, 1, 0);
    ratelimit_free(r.rl);
}

/* ---- persistence events, restore and reset ---- */

static void test_persist_snapshot_only_on_ceiling_change(void **state)
{
    (void)state;
    rig r = make(30, 1, 50, 10);
    for (int i = 0; i < 3; i++) { /* three clean windows without a probe */
        clean(&r);
        assert_false(r.ev.persist);
        assert_false(r.ev.ceiling_changed);
    }
    ceilstate snap;
    assert_false(ratelimit_snapshot(r.rl, &snap));
    window(&r, 20, 80);
    assert_true(r.ev.persist);
    assert_near(r.ev.snapshot.ceiling, view(&r).ceiling, 0);
    assert_near(r.ev.snapshot.hold, view(&r).rate, 0);
    assert_int_equal(r.ev.snapshot.ts_wall_ns, r.wall);
    assert_int_equal(view(&r).last_ceiling_update, r.wall);
    assert_true(ratelimit_snapshot(r.rl, &snap));
    assert_near(snap.ceiling, r.ev.snapshot.ceiling, 0);
    assert_int_equal(snap.ts_wall_ns, r.wall);
    window(&r, 3, 97); /* middle: nothing to write */
    assert_false(r.ev.persist);
    ratelimit_free(r.rl);
}

static void test_restore_clamps(void **state)
{
    (void)state;
    rig r = make(10, 0.5, 40, 10);
    restore(&r, 500, 0.001);
    rl_view v = view(&r);
    assert_near(v.ceiling, 40, 0);
    assert_near(v.rate, 0.5, 0);
    assert_near(v.burst, 1, 0);
    assert_true(v.restored_from_state);
    assert_int_equal(v.last_ceiling_update, WALL0 - 60 * NS_PER_SEC);
    assert_int_equal(v.clean_windows, 0);
    assert_true(r.ev.rate_changed);
    assert_true(r.ev.ceiling_changed);
    assert_false(r.ev.persist);
    restore(&r, 0.01, 99); /* ceiling to min, hold to the ceiling */
    assert_near(view(&r).ceiling, 0.5, 0);
    assert_near(view(&r).rate, 0.5, 0);
    restore(&r, 20, 30); /* hold above the ceiling is capped at it */
    assert_near(view(&r).rate, 20, 0);
    ratelimit_free(r.rl);
}

static void test_restore_resumes_stored_values(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    r.now = T0 + 5 * NS_PER_SEC;
    ceilstate s = {30.4, 29.79, WALL0 - 3600 * NS_PER_SEC};
    ratelimit_restore(r.rl, &s, r.now, &r.ev);
    rl_view v = view(&r);
    assert_near(v.ceiling, 30.4, 0);
    assert_near(v.rate, 29.79, 0);
    assert_near(v.burst, 59, 0);
    assert_int_equal(v.last_adjustment, r.now);
    assert_int_equal(r.ev.n_logs, 1);
    assert_string_equal(r.ev.logs[0], "rate limit: resumed at ceiling 30.4 req/s, holding at 29.79 "
                                      "req/s (learned 2026-11-24T09:00:00.000Z)");
    ceilstate snap;
    assert_true(ratelimit_snapshot(r.rl, &snap));
    assert_near(snap.hold, 29.79, 0);
    ratelimit_free(r.rl);
}

static void test_reset(void **state)
{
    (void)state;
    rig r = make(10, 1, 50, 10);
    restore(&r, 40, 35);
    window(&r, 50, 50);
    clean(&r);
    clean(&r);
    assert_int_equal(view(&r).clean_windows, 2);
    while (ratelimit_try_take(r.rl, r.now))
        ;
    rl_events ev;
    ratelimit_record_429(r.rl, r.now + NS_PER_SEC, r.wall, &ev); /* pending feedback */
    int64_t t = r.now + 2 * NS_PER_SEC;
    ratelimit_reset(r.rl, 10, t, &ev);
    rl_view v = view(&r);
    assert_near(v.rate, 10, 0);
    assert_near(v.ceiling, 10, 0);
    assert_int_equal(v.clean_windows, 0);
    assert_int_equal(v.n429, 0);
    assert_int_equal(v.nok, 0);
    assert_int_equal(v.last_adjustment, t);
    assert_int_equal(v.last_ceiling_update, 0);
    assert_false(v.restored_from_state);
    assert_true(ev.rate_changed); /* the gauge is updated (the reference forgot) */
    assert_true(ev.ceiling_changed);
    assert_false(ev.persist);
    assert_string_equal(ev.logs[0], "rate limiter reset: rate=10 req/s");
    ceilstate snap;
    assert_false(ratelimit_snapshot(r.rl, &snap));
    int taken = 0; /* a fresh full bucket */
    while (ratelimit_try_take(r.rl, t))
        taken++;
    assert_int_equal(taken, 20);
    ratelimit_reset(r.rl, 1000, t, &ev); /* clamped */
    assert_near(view(&r).rate, 50, 0);
    ratelimit_free(r.rl);
}

static void test_rate_stays_within_bounds(void **state)
{
    (void)state;
    rig r = make(5, 2, 8, 1);
    for (int i = 0; i < 200; i++) {
        long n429 = (i % 7 == 0) ? 60 : (i % 5 == 0 ? 3 : 0);
        window(&r, n429, 100 - n429);
        assert_true(view(&r).rate >= 2 && view(&r).rate <= 8);
        assert_true(view(&r).ceiling >= 2 && view(&r).ceiling <= 8);
    }
    ratelimit_free(r.rl);
}

static void test_invalid_params(void **state)
{
    (void)state;
    static const rl_params bad[] = {
        {10, 0, 50, 0.3, 0.02, 10, WIN},   {10, 60, 50, 0.3, 0.02, 10, WIN},
        {10, 1, 50, 0, 0.02, 10, WIN},     {10, 1, 50, 1.5, 0.02, 10, WIN},
        {10, 1, 50, 0.3, 0, 10, WIN},      {10, 1, 50, 0.3, 1, 10, WIN},
        {10, 1, 50, 0.3, 0.02, -1, WIN},   {10, 1, 50, 0.3, 0.02, 10, 0},
        {NAN, 1, 50, 0.3, 0.02, 10, WIN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_null(ratelimit_new(&bad[i], T0));
    rl_params p = {500, 1, 50, 0.3, 0.02, 10, WIN}; /* initial clamped */
    ratelimit *rl = ratelimit_new(&p, T0);
    rl_view v;
    ratelimit_view(rl, &v);
    assert_near(v.rate, 50, 0);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst),
        cmocka_unit_test(test_bucket_starts_full),
        cmocka_unit_test(test_bucket_interval_is_one_over_rate),
        cmocka_unit_test(test_bucket_accrues_continuously_and_caps),
        cmocka_unit_test(test_bucket_follows_rate_change),
        cmocka_unit_test(test_example_back_off_20_percent),
        cmocka_unit_test(test_example_back_off_80_percent),
        cmocka_unit_test(test_example_probe_then_raise),
        cmocka_unit_test(test_example_saturated_upstream_converges),
        cmocka_unit_test(test_example_converge_from_far_below),
        cmocka_unit_test(test_example_converge_minimum_step),
        cmocka_unit_test(test_example_restored_low_rate_never_jumps_up),
        cmocka_unit_test(test_exactly_5_percent_is_middle),
        cmocka_unit_test(test_exactly_1_percent_is_not_clean),
        cmocka_unit_test(test_back_off_resets_clean_windows),
        cmocka_unit_test(test_probe_timing),
        cmocka_unit_test(test_probe_capped_at_max_and_not_at_max),
        cmocka_unit_test(test_no_adjustment_inside_a_window),
        cmocka_unit_test(test_zero_traffic_and_lazy_windows),
        cmocka_unit_test(test_heavy_first_window_never_raises),
        cmocka_unit_test(test_90_percent_backs_off_3x_harder_than_10),
        cmocka_unit_test(test_total_rejection_floors_at_min),
        cmocka_unit_test(test_persist_snapshot_only_on_ceiling_change),
        cmocka_unit_test(test_restore_clamps),
        cmocka_unit_test(test_restore_resumes_stored_values),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_rate_stays_within_bounds),
        cmocka_unit_test(test_invalid_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
