/* Tests for the simulator's failure and limit logic: provider error bodies in
 * both endpoint shapes (marker, reset stamps in UTC+8), the 40 KiB body with
 * its code past 32 KiB, the request-rate bucket on explicit times, credit
 * windows and the quota payload, peak hours, and scripted responses
 * (matching, order, repeat, validation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim_int.h"

#define SEC 1000000000LL

static void test_error_shapes(void **state)
{
    (void)state;
    strbuf msg = STRBUF_INIT, sb = STRBUF_INIT;
    sim_error_message("1302", 0, &msg);
    assert_non_null(strstr(msg.data, SIM_MARKER));

    sim_error_body(SIM_API_OPENAI, "1302", msg.data, 7, &sb);
    cJSON *o = cJSON_Parse(sb.data);
    const cJSON *e = cJSON_GetObjectItem(o, "error");
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, "1302");
    assert_string_equal(cJSON_GetObjectItem(e, "message")->valuestring, msg.data);
    assert_int_equal(cJSON_GetArraySize(o), 1);
    cJSON_Delete(o);

    strbuf_reset(&sb);
    sim_error_body(SIM_API_ANTHROPIC, "1302", msg.data, 7, &sb);
    o = cJSON_Parse(sb.data);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "error");
    e = cJSON_GetObjectItem(o, "error");
    assert_string_equal(cJSON_GetObjectItem(e, "type")->valuestring, "1302");
    assert_int_equal(strlen(cJSON_GetObjectItem(o, "request_id")->valuestring), 30);
    cJSON_Delete(o);

    strbuf_reset(&sb);
    sim_error_event(SIM_API_ANTHROPIC, "1302", msg.data, &sb);
    assert_memory_equal(sb.data, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"1302\"", 56);
    assert_string_equal(sb.data + sb.len - 2, "\n\n");
    strbuf_reset(&sb);
    sim_error_event(SIM_API_OPENAI, "1302", msg.data, &sb);
    assert_memory_equal(sb.data, "data: {\"error\":{\"code\":\"1302\"", 29);
    strbuf_free(&msg);
    strbuf_free(&sb);
}

static void test_reset_stamps(void **state)
{
    (void)state;
    strbuf msg = STRBUF_INIT;
    /* 2026-08-27T13:31:39Z is 21:31:39 in UTC+8. */
    sim_error_message("1308", 1787837499, &msg);
    assert_non_null(strstr(msg.data, "Usage limit reached for 5 hour. Your limit will reset at 2026-08-27 21:31:39"));
    assert_non_null(strstr(msg.data, SIM_MARKER));
    strbuf_reset(&msg);
    sim_error_message("1310", 1787837499, &msg);
    assert_non_null(strstr(msg.data, "Your limit will reset at 2026-08-27 21:31:39"));
    strbuf_free(&msg);
}

static void test_big_error_body(void **state)
{
    (void)state;
    for (int api = SIM_API_OPENAI; api <= SIM_API_ANTHROPIC; api++) {
        strbuf sb = STRBUF_INIT;
        sim_big_error_body((sim_api)api, "1302", 9, 40960, 32768, &sb);
        assert_int_equal(sb.len, 40960);
        const char *code = strstr(sb.data, "1302");
        assert_non_null(code);
        assert_true(code - sb.data > 32768);
        cJSON *o = cJSON_Parse(sb.data);
        assert_non_null(o);
        assert_non_null(cJSON_GetObjectItem(o, "error"));
        cJSON_Delete(o);
        strbuf_free(&sb);
    }
}

static void test_bucket(void **state)
{
    (void)state;
    sim_bucket b = {0};
    /* burst = rate = 2 */
    assert_true(sim_bucket_take(&b, 2, 10 * SEC));
    assert_true(sim_bucket_take(&b, 2, 10 * SEC));
    assert_false(sim_bucket_take(&b, 2, 10 * SEC));
    assert_true(sim_bucket_take(&b, 2, 10 * SEC + SEC / 2));
    assert_false(sim_bucket_take(&b, 2, 10 * SEC + SEC / 2));
    /* Long idle refills to the burst only. */
    assert_true(sim_bucket_take(&b, 2, 100 * SEC));
    assert_true(sim_bucket_take(&b, 2, 100 * SEC));
    assert_false(sim_bucket_take(&b, 2, 100 * SEC));
    /* Below 1 rps the burst is still one request. */
    sim_bucket slow = {0};
    assert_true(sim_bucket_take(&slow, 0.5, 0));
    assert_false(sim_bucket_take(&slow, 0.5, SEC));
    assert_true(sim_bucket_take(&slow, 0.5, 2 * SEC));
}

static void test_windows_and_quota(void **state)
{
    (void)state;
    sim_window w5 = {0}, ww = {0};
    int64_t t0 = 1900000000000LL;
    assert_int_equal(sim_window_reset_ms(&w5, t0, SIM_WINDOW_5H_MS), t0 + SIM_WINDOW_5H_MS);
    sim_window_add(&w5, 740, t0, SIM_WINDOW_5H_MS);
    sim_window_add(&ww, 5207, t0, SIM_WINDOW_WEEK_MS);
    sim_window_add(&w5, 10, t0 + 1000, SIM_WINDOW_5H_MS);
    assert_int_equal(w5.used, 750);
    assert_int_equal(w5.reset_ms, t0 + SIM_WINDOW_5H_MS);

    strbuf sb = STRBUF_INIT;
    sim_quota_json("lite", 0, &w5, 0, &ww, t0 + 2000, &sb);
    cJSON *o = cJSON_Parse(sb.data);
    assert_non_null(o);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "success")));
    const cJSON *data = cJSON_GetObjectItem(o, "data");
    assert_string_equal(cJSON_GetObjectItem(data, "level")->valuestring, "lite");
    const cJSON *l0 = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "limits"), 0);
    const cJSON *l1 = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "limits"), 1);
    assert_string_equal(cJSON_GetObjectItem(l0, "type")->valuestring, "CREDIT_LIMIT");
    assert_int_equal(cJSON_GetObjectItem(l0, "unit")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(l0, "number")->valueint, 5);
    assert_int_equal(cJSON_GetObjectItem(l0, "usage")->valueint, 2000);
    assert_int_equal(cJSON_GetObjectItem(l0, "currentValue")->valueint, 750);
    assert_int_equal(cJSON_GetObjectItem(l0, "remaining")->valueint, 1250);
    assert_int_equal(cJSON_GetObjectItem(l0, "percentage")->valueint, 38);
    assert_true(cJSON_GetObjectItem(l0, "nextResetTime")->valuedouble == (double)(t0 + SIM_WINDOW_5H_MS));
    assert_int_equal(cJSON_GetObjectItem(l1, "unit")->valueint, 6);
    assert_int_equal(cJSON_GetObjectItem(l1, "usage")->valueint, 10000);
    assert_int_equal(cJSON_GetObjectItem(l1, "percentage")->valueint, 52);
    cJSON_Delete(o);

    /* After the reset instant the window is empty again. */
    sim_window_roll(&w5, t0 + SIM_WINDOW_5H_MS);
    assert_int_equal(w5.used, 0);
    assert_int_equal(w5.reset_ms, 0);
    strbuf_free(&sb);
}

static void test_peak_hours(void **state)
{
    (void)state;
    /* 2025-11-24T06:00:00Z = 14:00 UTC+8 */
    int64_t peak_start = 1763964000000LL;
    assert_false(sim_is_peak(peak_start - 1000));
    assert_true(sim_is_peak(peak_start));
    assert_true(sim_is_peak(peak_start + 4 * 3600 * 1000LL - 1000));
    assert_false(sim_is_peak(peak_start + 4 * 3600 * 1000LL));
}

static bool add(sim_scripts *ss, const char *json, char *err, size_t errlen)
{
    return sim_scripts_add(ss, json, strlen(json), err, errlen);
}

static void test_scripts_order_and_match(void **state)
{
    (void)state;
    sim_scripts ss = {0};
    char err[256];
    assert_true(add(&ss,
                    "{\"match\":{\"path_prefix\":\"/api/anthropic\",\"model\":\"glm-4.7\"},\"responses\":["
                    "{\"status\":429,\"body\":\"a\",\"repeat\":2,\"headers\":{\"Retry-After\":\"1\"}},"
                    "{\"error\":\"reset\"},"
                    "{\"stream\":{\"events\":[\"data: 1\\n\\n\",\"d\"],\"interval_ms\":10,\"stall_after\":1,"
                    "\"stall_ms\":5,\"close_after_bytes\":100,\"drop_connection\":true}}]}",
                    err, sizeof err));
    assert_true(add(&ss, "{\"responses\":[{\"body_bytes\":20}]}", err, sizeof err));
    assert_int_equal(sim_scripts_pending(&ss), 2);

    /* Wrong model or path: the catch-all second script answers. */
    sim_script_resp *r = sim_scripts_next(&ss, "/api/anthropic/v1/messages", "glm-5");
    assert_non_null(r);
    assert_int_equal(r->body_len, 20);
    assert_memory_equal(r->body, "zai-sim-filler zai-s", 20);
    sim_script_resp_unref(r);
    assert_int_equal(sim_scripts_pending(&ss), 1);
    assert_null(sim_scripts_next(&ss, "/api/paas/v4/chat/completions", "glm-4.7"));

    for (int i = 0; i < 2; i++) {
        r = sim_scripts_next(&ss, "/api/anthropic/v1/messages", "glm-4.7");
        assert_int_equal(r->status, 429);
        assert_string_equal(r->body, "a");
        assert_int_equal(r->nheaders, 1);
        assert_string_equal(r->headers[0].name, "Retry-After");
        assert_false(r->has_content_type);
        sim_script_resp_unref(r);
    }
    r = sim_scripts_next(&ss, "/api/anthropic/v1/messages", "glm-4.7");
    assert_true(r->reset);
    sim_script_resp_unref(r);
    r = sim_scripts_next(&ss, "/api/anthropic/v1/messages", "glm-4.7");
    assert_true(r->is_stream);
    assert_int_equal(r->nevents, 2);
    assert_string_equal(r->events[0], "data: 1\n\n");
    assert_int_equal(r->interval_ms, 10);
    assert_int_equal(r->stall_after, 1);
    assert_int_equal(r->stall_ms, 5);
    assert_int_equal(r->close_after_bytes, 100);
    assert_true(r->drop_connection);
    /* The script is used up, but the response lives while referenced. */
    assert_int_equal(sim_scripts_pending(&ss), 0);
    assert_null(sim_scripts_next(&ss, "/api/anthropic/v1/messages", "glm-4.7"));
    assert_string_equal(r->events[1], "d");
    sim_script_resp_unref(r);
    sim_scripts_clear(&ss);
}

static void test_scripts_reject_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[]",
        "{\"responses\":[]}",
        "{\"responses\":[{\"status\":700}]}",
        "{\"responses\":[{\"status\":\"200\"}]}",
        "{\"responses\":[{\"error\":\"boom\"}]}",
        "{\"responses\":[{\"headers\":{\"X\":1}}]}",
        "{\"responses\":[{\"headers\":{\"X\":\"a\\r\\nInjected: 1\"}}]}",
        "{\"responses\":[{\"repeat\":0}]}",
        "{\"responses\":[{\"stream\":{\"events\":[1]}}]}",
        "{\"responses\":[{\"stream\":{\"events\":[],\"drop_connection\":\"yes\"}}]}",
        "{\"match\":{\"model\":5},\"responses\":[{}]}",
        NULL};
    sim_scripts ss = {0};
    char err[256];
    for (int i = 0; bad[i]; i++) {
        err[0] = '\0';
        if (add(&ss, bad[i], err, sizeof err))
            fail_msg("accepted %s", bad[i]);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(sim_scripts_pending(&ss), 0);
    sim_scripts_clear(&ss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_reset_stamps),
        cmocka_unit_test(test_big_error_body),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_windows_and_quota),
        cmocka_unit_test(test_peak_hours),
        cmocka_unit_test(test_scripts_order_and_match),
        cmocka_unit_test(test_scripts_reject_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
