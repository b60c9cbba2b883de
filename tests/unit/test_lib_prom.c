/* Tests for lib/prom: exact exposition text (HELP/TYPE, label escaping,
 * number spelling, cumulative histograms), the atomic histogram, and, when
 * promtool is installed, that promtool accepts what we write. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prom.h"

static void test_family_and_samples(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    prom_family(&sb, "zai_proxy_requests_total", PROM_COUNTER, "Requests \"handled\", a\\b\nnext.");
    prom_label l[] = {{"variant", "production"}, {"route", "/v1/chat/completions"}};
    prom_sample(&sb, "zai_proxy_requests_total", l, 2, 42);
    prom_label esc[] = {{"model", "a\"b\\c\nd"}};
    prom_sample(&sb, "zai_proxy_requests_total", esc, 1, 1e6);
    prom_family(&sb, "zai_proxy_limit", PROM_GAUGE, "Gauge.");
    prom_sample(&sb, "zai_proxy_limit", NULL, 0, 0.5);
    prom_sample(&sb, "zai_proxy_limit", NULL, 0, NAN);
    prom_sample(&sb, "zai_proxy_limit", NULL, 0, INFINITY);
    prom_sample(&sb, "zai_proxy_limit", NULL, 0, -INFINITY);
    prom_sample(&sb, "zai_proxy_limit", NULL, 0, 1234567);
    assert_false(strbuf_failed(&sb));
    assert_string_equal(sb.data,
                        "# HELP zai_proxy_requests_total Requests \"handled\", a\\\\b\\nnext.\n"
                        "# TYPE zai_proxy_requests_total counter\n"
                        "zai_proxy_requests_total{variant=\"production\",route=\"/v1/chat/completions\"} 42\n"
                        "zai_proxy_requests_total{model=\"a\\\"b\\\\c\\nd\"} 1e+06\n"
                        "# HELP zai_proxy_limit Gauge.\n"
                        "# TYPE zai_proxy_limit gauge\n"
                        "zai_proxy_limit 0.5\n"
                        "zai_proxy_limit NaN\n"
                        "zai_proxy_limit +Inf\n"
                        "zai_proxy_limit -Inf\n"
                        "zai_proxy_limit 1.234567e+06\n");
    strbuf_free(&sb);
}

static const double bounds[] = {0.005, 0.01, 0.1, 1, 2.5, 300, 1e9};

static void test_histogram(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    const uint64_t counts[] = {1, 0, 2, 3, 0, 4, 0, 5};
    prom_label l[] = {{"variant", "production"}};
    prom_family(&sb, "zai_proxy_request_duration_seconds", PROM_HISTOGRAM, "Latency.");
    prom_histogram(&sb, "zai_proxy_request_duration_seconds", l, 1, bounds, 7, counts, 1234.5);
    prom_histogram(&sb, "h", NULL, 0, bounds, 1, counts, 0.25);
    assert_string_equal(sb.data,
                        "# HELP zai_proxy_request_duration_seconds Latency.\n"
                        "# TYPE zai_proxy_request_duration_seconds histogram\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"0.005\"} 1\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"0.01\"} 1\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"0.1\"} 3\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"1\"} 6\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"2.5\"} 6\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"300\"} 10\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"1e+09\"} 10\n"
                        "zai_proxy_request_duration_seconds_bucket{variant=\"production\",le=\"+Inf\"} 15\n"
                        "zai_proxy_request_duration_seconds_sum{variant=\"production\"} 1234.5\n"
                        "zai_proxy_request_duration_seconds_count{variant=\"production\"} 15\n"
                        "h_bucket{le=\"0.005\"} 1\n"
                        "h_bucket{le=\"+Inf\"} 1\n"
                        "h_sum 0.25\n"
                        "h_count 1\n");
    strbuf_free(&sb);
}

static void test_hist_observe_and_write(void **state)
{
    (void)state;
    static const double b[] = {1, 10, 100};
    prom_hist h;
    assert_int_equal(prom_hist_init(&h, b, 3), 0);
    prom_hist_observe(&h, 0.5);
    prom_hist_observe(&h, 1);      /* le is inclusive */
    prom_hist_observe(&h, 1.0001);
    prom_hist_observe(&h, 100);
    prom_hist_observe(&h, 250.000001);
    prom_hist_observe(&h, NAN);    /* dropped */
    prom_hist_observe(&h, -2);     /* below every bound: first bucket */
    strbuf sb = STRBUF_INIT;
    prom_label l[] = {{"variant", "x"}, {"client", "source-07"}};
    prom_hist_write(&sb, "t", l, 2, &h);
    assert_string_equal(sb.data, "t_bucket{variant=\"x\",client=\"source-07\",le=\"1\"} 3\n"
                                 "t_bucket{variant=\"x\",client=\"source-07\",le=\"10\"} 4\n"
                                 "t_bucket{variant=\"x\",client=\"source-07\",le=\"100\"} 5\n"
                                 "t_bucket{variant=\"x\",client=\"source-07\",le=\"+Inf\"} 6\n"
                                 "t_sum{variant=\"x\",client=\"source-07\"} 350.500101\n"
                                 "t_count{variant=\"x\",client=\"source-07\"} 6\n");
    strbuf_free(&sb);
    prom_hist_free(&h);
    assert_null(h.counts);
}

static void test_hist_invalid_bounds(void **state)
{
    (void)state;
    prom_hist h;
    static const double unsorted[] = {1, 0.5};
    static const double dup[] = {1, 1};
    static const double inf[] = {1, INFINITY};
    assert_true(prom_hist_init(&h, unsorted, 2) < 0);
    assert_true(prom_hist_init(&h, dup, 2) < 0);
    assert_true(prom_hist_init(&h, inf, 2) < 0);
    assert_int_equal(prom_hist_init(&h, NULL, 0), 0); /* only +Inf */
    prom_hist_observe(&h, 3);
    strbuf sb = STRBUF_INIT;
    prom_hist_write(&sb, "z", NULL, 0, &h);
    assert_string_equal(sb.data, "z_bucket{le=\"+Inf\"} 1\nz_sum 3\nz_count 1\n");
    strbuf_free(&sb);
    prom_hist_free(&h);
}

#define OBS_PER_THREAD 100000

static void *observer(void *arg)
{
    prom_hist *h = arg;
    for (int i = 0; i < OBS_PER_THREAD; i++)
        prom_hist_observe(h, (i % 4) * 0.5); /* 0, 0.5, 1, 1.5 */
    return NULL;
}

static void test_hist_concurrent(void **state)
{
    (void)state;
    static const double b[] = {0.5, 1};
    prom_hist h;
    assert_int_equal(prom_hist_init(&h, b, 2), 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, observer, &h);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    strbuf sb = STRBUF_INIT;
    prom_hist_write(&sb, "c", NULL, 0, &h);
    assert_string_equal(sb.data, "c_bucket{le=\"0.5\"} 100000\n"
                                 "c_bucket{le=\"1\"} 150000\n"
                                 "c_bucket{le=\"+Inf\"} 200000\n"
                                 "c_sum 150000\n"
                                 "c_count 200000\n");
    strbuf_free(&sb);
    prom_hist_free(&h);
}

/* Runs `promtool check metrics` on text; returns its exit status and output. */
static int promtool_check(const char *text, char *out, size_t outlen)
{
    char path[] = "/tmp/test_lib_prom_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s 2>&1", path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, outlen - 1, p) : 0;
    out[n] = '\0';
    int rc = p ? pclose(p) : -1;
    unlink(path);
    return rc;
}

static void test_promtool_accepts(void **state)
{
    (void)state;
    if (access("/usr/bin/promtool", X_OK) != 0 && system("command -v promtool >/dev/null 2>&1") != 0)
        skip();
    strbuf sb = STRBUF_INIT;
    prom_label l[] = {{"variant", "production"}, {"model", "we\"ird\\na\nme"}};
    prom_family(&sb, "zai_proxy_requests_total", PROM_COUNTER, "Requests handled.");
    prom_sample(&sb, "zai_proxy_requests_total", l, 2, 3);
    prom_family(&sb, "zai_proxy_rate_limit", PROM_GAUGE, "Current rate limit in requests per second.");
    prom_sample(&sb, "zai_proxy_rate_limit", l, 1, 12.5);
    prom_family(&sb, "zai_proxy_request_duration_seconds", PROM_HISTOGRAM, "Request latency.");
    const uint64_t counts[] = {1, 0, 2, 3, 0, 4, 0, 5};
    prom_histogram(&sb, "zai_proxy_request_duration_seconds", l, 1, bounds, 7, counts, 12.5);
    char out[4096];
    int rc = promtool_check(sb.data, out, sizeof out);
    if (rc != 0)
        fail_msg("promtool rc=%d: %s\n%s", rc, out, sb.data);
    strbuf_free(&sb);

    /* the check is real: a counter without _total is reported */
    rc = promtool_check("# HELP bad Bad.\n# TYPE bad counter\nbad 1\n", out, sizeof out);
    assert_true(rc != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_hist_observe_and_write),
        cmocka_unit_test(test_hist_invalid_bounds),
        cmocka_unit_test(test_hist_concurrent),
        cmocka_unit_test(test_promtool_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
