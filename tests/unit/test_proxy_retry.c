/* retry: every pinned delay sequence of PROXY.md §7.3 (u = 0), replayed as
 * a request loop over retry_decide: attempts, every wait in order, the final
 * decision and the limiter feeds. Also jitter bounds, Retry-After parsing and
 * the cap on n. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>
#include "clock.h"
#include "retry.h"

#define S(x) ((int64_t)((x) * (double)NS_PER_SEC))
#define MAX_STEPS 8
#define MAX_SLEEPS 16

/* One upstream attempt of a scenario: a valid 2xx, or an input for
 * retry_decide. The last step repeats. */
typedef struct step {
    bool ok;
    retry_input in;
} step;

typedef struct run {
    int attempts;
    bool succeeded;
    int n_sleeps;
    int64_t sleeps[MAX_SLEEPS];
    int feed_429, feed_conc;
    int retries_429, retries_5xx, retries_network, retries_truncated, retries_empty;
} run;

static void count_reason(run *r, const char *reason)
{
    if (strcmp(reason, "429") == 0)
        r->retries_429++;
    else if (strcmp(reason, "5xx") == 0)
        r->retries_5xx++;
    else if (strcmp(reason, "network_error") == 0)
        r->retries_network++;
    else if (strcmp(reason, "truncated_response") == 0)
        r->retries_truncated++;
    else if (strcmp(reason, "empty_streaming") == 0)
        r->retries_empty++;
    else
        fail_msg("unexpected reason %s", reason);
}

static run play(const step *steps, int n, int max_retries)
{
    run r = {0};
    for (int attempt = 0;; attempt++) {
        assert_true(attempt <= max_retries);
        r.attempts++;
        const step *s = &steps[attempt < n ? attempt : n - 1];
        if (s->ok) {
            r.succeeded = true;
            return r;
        }
        retry_input in = s->in;
        in.attempt = attempt;
        in.max_retries = max_retries;
        retry_decision d;
        retry_decide(&in, &d);
        r.feed_429 += d.feed_429;
        r.feed_conc += d.feed_concurrency;
        if (!d.retry) {
            assert_null(d.reason);
            assert_int_equal(d.n_waits, 0);
            return r;
        }
        count_reason(&r, d.reason);
        assert_true(d.n_waits >= 1 && d.n_waits <= RETRY_MAX_WAITS);
        for (int i = 0; i < d.n_waits; i++)
            r.sleeps[r.n_sleeps++] = d.waits_ns[i];
    }
}

static void expect_sleeps(const run *r, const double *secs, int n)
{
    if (r->n_sleeps != n)
        fail_msg("%d sleeps, expected %d", r->n_sleeps, n);
    for (int i = 0; i < n; i++)
        if (r->sleeps[i] != S(secs[i]))
            fail_msg("sleep %d = %lld ns, expected %g s", i, (long long)r->sleeps[i], secs[i]);
}

static retry_input http(int status, zai_class cls, const char *retry_after)
{
    return (retry_input){.outcome = RETRY_HTTP_ERROR, .status = status, .cls = cls,
                         .retry_after = retry_after, .retry_on_5xx = true};
}

static retry_input outcome(retry_outcome o)
{
    return (retry_input){.outcome = o, .retry_on_5xx = true};
}

static const step OK = {.ok = true};

/* ---- pinned sequences ---- */

static void test_transport_truncated_empty(void **state)
{
    (void)state;
    static const double s12[] = {1, 2};
    static const retry_outcome kinds[] = {RETRY_TRANSPORT, RETRY_TRUNCATED, RETRY_EMPTY_STREAMING};
    for (size_t k = 0; k < 3; k++) {
        step st = {.in = outcome(kinds[k])};
        run r = play(&st, 1, 2);
        assert_int_equal(r.attempts, 3);
        assert_false(r.succeeded);
        expect_sleeps(&r, s12, 2);
        assert_int_equal(r.feed_429 + r.feed_conc, 0);
    }
    step st = {.in = outcome(RETRY_TRANSPORT)};
    run r = play(&st, 1, 1);
    assert_int_equal(r.attempts, 2);
    expect_sleeps(&r, s12, 1);
    assert_int_equal(r.retries_network, 1);
    st.in = outcome(RETRY_TRUNCATED);
    assert_int_equal(play(&st, 1, 2).retries_truncated, 2);
    st.in = outcome(RETRY_EMPTY_STREAMING);
    assert_int_equal(play(&st, 1, 2).retries_empty, 2);
}

static void test_first_byte_timeout_not_retried(void **state)
{
    (void)state;
    step st = {.in = outcome(RETRY_FIRST_BYTE_TIMEOUT)};
    run r = play(&st, 1, 5);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.n_sleeps, 0);
}

static void test_frequency(void **state)
{
    (void)state;
    static const double half[] = {0.5, 1};
    step st = {.in = http(429, ZAI_FREQUENCY, NULL)}; /* 1303 or 1305 */
    run r = play(&st, 1, 2);
    assert_int_equal(r.attempts, 3);
    expect_sleeps(&r, half, 2);
    assert_int_equal(r.feed_429, 3); /* the last attempt feeds the limiter too */
    assert_int_equal(r.feed_conc, 0);
    assert_int_equal(r.retries_429, 2);

    static const double seven[] = {7, 7};
    st.in = http(429, ZAI_FREQUENCY, "7");
    r = play(&st, 1, 2);
    expect_sleeps(&r, seven, 2);

    /* Retry-After 7 and body retry_after 9: the larger, once */
    static const double nine[] = {9};
    st.in = http(429, ZAI_FREQUENCY, "7");
    st.in.has_hint = true;
    st.in.hint_s = 9;
    r = play(&st, 1, 1);
    assert_int_equal(r.attempts, 2);
    expect_sleeps(&r, nine, 1);

    /* 1305 seen on a 503 is still frequency */
    st.in = http(503, ZAI_FREQUENCY, NULL);
    r = play(&st, 1, 2);
    expect_sleeps(&r, half, 2);
    assert_int_equal(r.feed_429, 3);
    assert_int_equal(r.retries_429, 2);
}

static void test_concurrency(void **state)
{
    (void)state;
    static const double s12[] = {1, 2};
    step st = {.in = http(429, ZAI_CONCURRENCY, NULL)};
    run r = play(&st, 1, 2);
    assert_int_equal(r.attempts, 3);
    expect_sleeps(&r, s12, 2);
    assert_int_equal(r.feed_429, 0); /* the rate limiter is untouched */
    assert_int_equal(r.feed_conc, 3);
    st.in = http(429, ZAI_CONCURRENCY, "1"); /* maximum, not sum */
    r = play(&st, 1, 2);
    expect_sleeps(&r, s12, 2);
    st.in.u = 0.9; /* no jitter */
    r = play(&st, 1, 2);
    expect_sleeps(&r, s12, 2);
    st.in = http(429, ZAI_CONCURRENCY, NULL);
    st.in.has_hint = true;
    st.in.hint_s = 1.5;
    static const double hinted[] = {1.5, 2};
    r = play(&st, 1, 2);
    expect_sleeps(&r, hinted, 2);
}

static void test_model_congestion(void **state)
{
    (void)state;
    static const double half[] = {0.5, 1};
    step st = {.in = http(429, ZAI_MODEL_CONGESTION, NULL)};
    run r = play(&st, 1, 2);
    assert_int_equal(r.attempts, 3);
    expect_sleeps(&r, half, 2);
    assert_int_equal(r.feed_429 + r.feed_conc, 0);
}

static void test_unknown_429(void **state)
{
    (void)state;
    static const double s12[] = {1, 2};
    step st = {.in = http(429, ZAI_UNKNOWN, NULL)}; /* code 9999, bare, or oversized */
    run r = play(&st, 1, 2);
    assert_int_equal(r.attempts, 3);
    expect_sleeps(&r, s12, 2);
    assert_int_equal(r.feed_429, 3);
    assert_int_equal(r.retries_429, 2);

    static const double stacked[] = {7, 1, 7, 2};
    st.in = http(429, ZAI_UNKNOWN, "7");
    st.in.has_hint = true; /* R is ignored here */
    st.in.hint_s = 30;
    r = play(&st, 1, 2);
    expect_sleeps(&r, stacked, 4);
}

static void test_unknown_429_then_success(void **state)
{
    (void)state;
    static const struct { const char *h; double sleeps[2]; int n; } t[] = {
        {"1", {1, 1}, 2}, {"3", {3, 1}, 2}, {"0", {1, 0}, 1}, {NULL, {1, 0}, 1},
        {"Wed, 21 Oct 2015 07:28:00 GMT", {1, 0}, 1},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        step st[2] = {{.in = http(429, ZAI_UNKNOWN, t[i].h)}, OK};
        run r = play(st, 2, 2);
        assert_int_equal(r.attempts, 2);
        assert_true(r.succeeded);
        expect_sleeps(&r, t[i].sleeps, t[i].n);
    }
    static const double s12[] = {1, 2};
    step st[3] = {{.in = http(429, ZAI_UNKNOWN, NULL)}, {.in = http(429, ZAI_UNKNOWN, NULL)}, OK};
    run r = play(st, 3, 3);
    assert_int_equal(r.attempts, 3);
    assert_true(r.succeeded);
    expect_sleeps(&r, s12, 2);
    assert_int_equal(r.retries_429, 2);
    assert_int_equal(r.retries_network + r.retries_truncated, 0);
}

static void test_never_retried_classes(void **state)
{
    (void)state;
    static const struct { int status; zai_class cls; const char *h; } t[] = {
        {429, ZAI_QUOTA, NULL},   {429, ZAI_QUOTA, "5"}, {200, ZAI_QUOTA, NULL},
        {429, ZAI_TERMINAL, NULL}, {403, ZAI_TERMINAL, NULL},
        {500, ZAI_UNKNOWN, NULL}, {422, ZAI_UNKNOWN, NULL}, {400, ZAI_UNKNOWN, NULL},
        {404, ZAI_UNKNOWN, NULL}, {401, ZAI_UNKNOWN, NULL}, {501, ZAI_UNKNOWN, "1"},
        {400, ZAI_UNKNOWN, "1"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        step st = {.in = http(t[i].status, t[i].cls, t[i].h)};
        run r = play(&st, 1, 3);
        assert_int_equal(r.attempts, 1);
        assert_int_equal(r.n_sleeps, 0);
        assert_int_equal(r.feed_429 + r.feed_conc, 0);
    }
}

static void test_5xx(void **state)
{
    (void)state;
    static const double half[] = {0.5, 1};
    static const double three[] = {3, 3};
    static const int statuses[] = {502, 503, 504, 529};
    for (size_t i = 0; i < 4; i++) {
        step st = {.in = http(statuses[i], ZAI_UNKNOWN, NULL)};
        run r = play(&st, 1, 2);
        assert_int_equal(r.attempts, 3);
        expect_sleeps(&r, half, 2);
        assert_int_equal(r.retries_5xx, 2);
        assert_int_equal(r.feed_429 + r.feed_conc, 0);
    }
    step st = {.in = http(503, ZAI_UNKNOWN, "3")};
    st.in.has_hint = true; /* R is not part of the 5xx rule */
    st.in.hint_s = 20;
    run r = play(&st, 1, 2);
    expect_sleeps(&r, three, 2);
    st.in = http(503, ZAI_UNKNOWN, NULL);
    st.in.retry_on_5xx = false;
    assert_int_equal(play(&st, 1, 2).attempts, 1);
}

/* A first SSE event carrying a business code: the retryable classes follow
 * the table (counted as "429"), the others commit. */
static void test_in_stream_errors(void **state)
{
    (void)state;
    static const double s12[] = {1, 2};
    step st = {.in = {.outcome = RETRY_STREAM_ERROR, .status = 200, .cls = ZAI_CONCURRENCY}};
    run r = play(&st, 1, 2);
    expect_sleeps(&r, s12, 2);
    assert_int_equal(r.retries_429, 2);
    assert_int_equal(r.feed_conc, 3);
    st.in.cls = ZAI_FREQUENCY;
    r = play(&st, 1, 2);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(r.feed_429, 3);
    static const zai_class committed[] = {ZAI_QUOTA, ZAI_TERMINAL, ZAI_UNKNOWN};
    for (size_t i = 0; i < 3; i++) {
        st.in.cls = committed[i];
        r = play(&st, 1, 2);
        assert_int_equal(r.attempts, 1);
        assert_int_equal(r.feed_429 + r.feed_conc, 0);
    }
}

static void test_no_retries_configured(void **state)
{
    (void)state;
    step st = {.in = http(429, ZAI_FREQUENCY, NULL)};
    run r = play(&st, 1, 0);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.feed_429, 1);
}

/* ---- building blocks ---- */

static void test_backoff_and_cap(void **state)
{
    (void)state;
    assert_int_equal(retry_backoff_ns(1), NS_PER_SEC);
    assert_int_equal(retry_backoff_ns(2), 2 * NS_PER_SEC);
    assert_int_equal(retry_backoff_ns(4), 8 * NS_PER_SEC);
    assert_int_equal(retry_backoff_ns(32), NS_PER_SEC << 31);
    assert_int_equal(retry_backoff_ns(33), NS_PER_SEC << 31);
    assert_int_equal(retry_backoff_ns(1000), NS_PER_SEC << 31);
    assert_int_equal(retry_backoff_ns(0), NS_PER_SEC);
    retry_input in = outcome(RETRY_TRANSPORT);
    in.attempt = 40;
    in.max_retries = 100;
    retry_decision d;
    retry_decide(&in, &d);
    assert_true(d.retry);
    assert_int_equal(d.waits_ns[0], NS_PER_SEC << 31);
    in.attempt = 2147483646;
    in.max_retries = 2147483647;
    retry_decide(&in, &d);
    assert_int_equal(d.waits_ns[0], NS_PER_SEC << 31);
}

static void test_jitter_bounds(void **state)
{
    (void)state;
    int64_t base = 4 * NS_PER_SEC;
    assert_int_equal(retry_jitter_ns(base, 0), 2 * NS_PER_SEC);
    assert_int_equal(retry_jitter_ns(base, 0.5), 3 * NS_PER_SEC);
    assert_true(retry_jitter_ns(base, 0.999999) < base);
    assert_true(retry_jitter_ns(base, 0.999999) > 3 * NS_PER_SEC);
    /* u outside [0, 1) or NaN counts as 0 */
    static const double bad[] = {1.0, 1.5, -0.1, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(retry_jitter_ns(base, bad[i]), 2 * NS_PER_SEC);
    for (int k = 0; k < 1000; k++) {
        double u = k / 1000.0;
        int64_t j = retry_jitter_ns(base, u);
        assert_true(j >= base / 2 && j < base);
    }
    /* the decision uses u */
    retry_input in = http(429, ZAI_MODEL_CONGESTION, NULL);
    in.max_retries = 3;
    in.u = 0.5;
    retry_decision d;
    retry_decide(&in, &d);
    assert_int_equal(d.waits_ns[0], 750 * NS_PER_MS);
}

static void test_parse_retry_after(void **state)
{
    (void)state;
    int64_t s;
    assert_true(retry_parse_header("7", &s));
    assert_int_equal(s, 7);
    assert_true(retry_parse_header(" 60\t", &s));
    assert_int_equal(s, 60);
    assert_true(retry_parse_header("007", &s));
    assert_int_equal(s, 7);
    assert_true(retry_parse_header("9223372036", &s));
    static const char *const bad[] = {
        "0", "000", "-5", "+5", "7.5", "1e3", "", " ", "abc", "7s", "7 8",
        "Wed, 21 Oct 2015 07:28:00 GMT", "9223372037", "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (retry_parse_header(bad[i], &s))
            fail_msg("accepted \"%s\"", bad[i]);
    assert_false(retry_parse_header(NULL, &s));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transport_truncated_empty),
        cmocka_unit_test(test_first_byte_timeout_not_retried),
        cmocka_unit_test(test_frequency),
        cmocka_unit_test(test_concurrency),
        cmocka_unit_test(test_model_congestion),
        cmocka_unit_test(test_unknown_429),
        cmocka_unit_test(test_unknown_429_then_success),
        cmocka_unit_test(test_never_retried_classes),
        cmocka_unit_test(test_5xx),
        cmocka_unit_test(test_in_stream_errors),
        cmocka_unit_test(test_no_retries_configured),
        cmocka_unit_test(test_backoff_and_cap),
        cmocka_unit_test(test_jitter_bounds),
        cmocka_unit_test(test_parse_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
