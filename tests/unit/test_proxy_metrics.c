/* Proxy metrics: series appear on first use with bounded labels, counts and
 * histogram counts agree, gauges come from the admission callback, and the
 * whole page is valid exposition (checked with promtool when installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "config.h"
#include "metrics.h"

static proxy_config cfg;

static void gauges(void *ctx, metrics_gauges *out)
{
    (void)ctx;
    out->in_flight = 3;
    out->queued_slot = 2;
    out->queued_rate = 0;
    out->concurrency_limit = 7;
}

static int setup(void **state)
{
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.variant, sizeof cfg.variant, "canary");
    snprintf(cfg.version, sizeof cfg.version, "1.2.3");
    snprintf(cfg.commit, sizeof cfg.commit, "abc");
    snprintf(cfg.build_time, sizeof cfg.build_time, "2026-11-24T00:00:00Z");
    cfg.max_workers = 10;
    cfg.io_threads = 2;
    *state = metrics_new(&cfg, gauges, NULL);
    return *state ? 0 : -1;
}

static int teardown(void **state)
{
    metrics_free(*state);
    return 0;
}

static char *render(metrics *m)
{
    strbuf out = STRBUF_INIT;
    metrics_render(m, &out);
    assert_false(strbuf_failed(&out));
    return strbuf_detach(&out, NULL);
}

static void test_method_vocabulary(void **state)
{
    (void)state;
    assert_int_equal(metrics_method_index("GET"), 0);
    assert_int_equal(metrics_method_index("OPTIONS"), 6);
    assert_int_equal(metrics_method_index("TRACE"), metrics_method_index("OTHER"));
    assert_int_equal(metrics_method_index("get"), metrics_method_index("OTHER"));
}

static void test_request_series_counted(void **state)
{
    metrics *m = *state;
    int post = metrics_method_index("POST");
    for (int i = 0; i < 3; i++)
        metrics_request_done(m, post, PATH_V1_CHAT, 200, 0.02, 500);
    metrics_request_done(m, post, PATH_V1_MESSAGES, 499, 1.5, 10);
    metrics_request_done(m, metrics_method_index("BREW"), PATH_OTHER, 404, 0.001, 0);
    char *page = render(m);
    assert_non_null(strstr(page, "zai_proxy_requests_total{method=\"POST\",path=\"/v1/chat/completions\","
                                 "status_code=\"200\",variant=\"canary\"} 3\n"));
    assert_non_null(strstr(page, "zai_proxy_requests_total{method=\"POST\",path=\"/v1/messages\","
                                 "status_code=\"499\",variant=\"canary\"} 1\n"));
    assert_non_null(strstr(page, "zai_proxy_requests_total{method=\"OTHER\",path=\"other\","
                                 "status_code=\"404\",variant=\"canary\"} 1\n"));
    assert_non_null(strstr(page, "zai_proxy_request_duration_seconds_bucket{method=\"POST\",path=\"/v1/chat/"
                                 "completions\",status_code=\"200\",variant=\"canary\",le=\"0.025\"} 3\n"));
    assert_non_null(strstr(page, "zai_proxy_request_duration_seconds_count{method=\"POST\",path=\"/v1/chat/"
                                 "completions\",status_code=\"200\",variant=\"canary\"} 3\n"));
    assert_non_null(strstr(page, "zai_proxy_response_size_bytes_bucket{method=\"POST\",path=\"/v1/messages\","
                                 "status_code=\"499\",variant=\"canary\",le=\"100\"} 1\n"));
    free(page);
}

static void test_out_of_range_status_is_bounded(void **state)
{
    metrics *m = *state;
    metrics_request_done(m, 0, PATH_OTHER, 999, 0.1, 0);
    char *page = render(m);
    assert_null(strstr(page, "status_code=\"999\""));
    free(page);
}

static void test_gauges_and_build_info(void **state)
{
    char *page = render(*state);
    assert_non_null(strstr(page, "zai_proxy_concurrent_requests{variant=\"canary\"} 3\n"));
    assert_non_null(strstr(page, "zai_proxy_max_workers{variant=\"canary\"} 10\n"));
    assert_non_null(strstr(page, "zai_proxy_worker_utilization_ratio{variant=\"canary\"} 0.3\n"));
    assert_non_null(strstr(page, "zai_proxy_concurrency_limit{variant=\"canary\"} 7\n"));
    assert_non_null(strstr(page, "zai_proxy_queue_depth{stage=\"slot\",variant=\"canary\"} 2\n"));
    assert_non_null(strstr(page, "zai_proxy_queue_depth{stage=\"rate\",variant=\"canary\"} 0\n"));
    assert_non_null(strstr(page, "zai_proxy_build_info{version=\"1.2.3\",variant=\"canary\",commit=\"abc\","
                                 "build_time=\"2026-11-24T00:00:00Z\"} 1\n"));
    assert_non_null(strstr(page, "# TYPE zai_proxy_requests_total counter\n"));
    assert_non_null(strstr(page, "# TYPE process_resident_memory_bytes gauge\n"));
    free(page);
}

static void test_upstream_errors_and_rejections(void **state)
{
    metrics *m = *state;
    metrics_upstream_error(m, UPERR_TIMEOUT);
    metrics_upstream_error(m, UPERR_TIMEOUT);
    metrics_upstream_status_error(m, 429);
    metrics_upstream_status_error(m, 200);
    metrics_rejection(m, 30, 0);
    metrics_rejection(m, 30, 1);
    metrics_upstream_attempt(m, PATH_V1_CHAT, 0, 0.5);
    char *page = render(m);
    assert_non_null(strstr(page, "zai_proxy_upstream_errors_total{error_type=\"upstream_timeout\","
                                 "variant=\"canary\"} 2\n"));
    assert_non_null(strstr(page, "zai_proxy_upstream_errors_total{error_type=\"429\",variant=\"canary\"} 1\n"));
    assert_null(strstr(page, "error_type=\"200\""));
    assert_non_null(strstr(page, "zai_proxy_rate_limit_rejections_total{variant=\"canary\",client=\"source-30\","
                                 "reason=\"queue_full\"} 1\n"));
    assert_non_null(strstr(page, "reason=\"queue_timeout\"} 1\n"));
    assert_non_null(strstr(page, "zai_proxy_upstream_duration_seconds_count{path=\"/v1/chat/completions\","
                                 "status_code=\"000\",variant=\"canary\"} 1\n"));
    free(page);
}

static void test_promtool_accepts_page(void **state)
{
    metrics *m = *state;
    metrics_request_done(m, 1, PATH_V1_CHAT, 200, 0.02, 500);
    metrics_request_size(m, 1, PATH_V1_CHAT, 1234);
    metrics_queue_wait(m, 0.003);
    metrics_upstream_ttfb(m, PATH_V1_CHAT, 0.2);
    metrics_overhead(m, PATH_V1_CHAT, 0.0001);
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        skip();
    char *page = render(m);
    FILE *p = popen("promtool check metrics >/dev/null 2>&1", "w");
    assert_non_null(p);
    fputs(page, p);
    assert_int_equal(pclose(p), 0);
    free(page);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_vocabulary),
        cmocka_unit_test_setup_teardown(test_request_series_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_range_status_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gauges_and_build_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upstream_errors_and_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_promtool_accepts_page, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
