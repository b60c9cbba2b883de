/* Tests for proxy/errors.c: the §8 table (statuses, types, codes, extra
 * headers), the exact body shapes in both API formats, and the in-band
 * stream interruption events of §4.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <cjson/cJSON.h>
#include "errors.h"

typedef struct expect_row {
    proxy_error e;
    int status;
    const char *openai_type, *openai_code, *anthropic_type;
    int retry_after;
    bool close, www_auth;
} expect_row;

static const expect_row expected[] = {
    {PERR_BAD_REQUEST, 400, "invalid_request_error", "bad_request", "invalid_request_error", 0, false, false},
    {PERR_UNAUTHORIZED, 401, "invalid_request_error", "invalid_api_key", "authentication_error", 0, false, true},
    {PERR_ADMIN_UNAUTHORIZED, 401, "invalid_request_error", "invalid_api_key", "authentication_error", 0, false, true},
    {PERR_FORBIDDEN, 403, "invalid_request_error", "forbidden", "permission_error", 0, false, false},
    {PERR_NOT_FOUND, 404, "invalid_request_error", "not_found", "not_found_error", 0, false, false},
    {PERR_METHOD_NOT_ALLOWED, 405, "invalid_request_error", "method_not_allowed", "invalid_request_error", 0, false, false},
    {PERR_TOO_LARGE, 413, "invalid_request_error", "request_too_large", "request_too_large", 0, true, false},
    {PERR_INVALID_JSON, 400, "invalid_request_error", "invalid_json", "invalid_request_error", 0, false, false},
    {PERR_UPSTREAM_ERROR, 502, "server_error", "upstream_error", "api_error", 0, false, false},
    {PERR_QUEUE_FULL, 503, "server_error", "queue_full", "overloaded_error", 1, false, false},
    {PERR_QUEUE_TIMEOUT, 503, "server_error", "queue_timeout", "overloaded_error", 1, false, false},
    {PERR_SHUTTING_DOWN, 503, "server_error", "shutting_down", "overloaded_error", 5, true, false},
    {PERR_UPSTREAM_TIMEOUT, 504, "server_error", "upstream_timeout", "api_error", 0, false, false},
    {PERR_INTERNAL, 500, "server_error", "internal_error", "api_error", 0, false, false},
};

static void test_table_matches_spec(void **state)
{
    (void)state;
    assert_int_equal(sizeof expected / sizeof expected[0], PERR_COUNT);
    for (size_t i = 0; i < PERR_COUNT; i++) {
        const expect_row *x = &expected[i];
        const perr_info *pi = perr_get(x->e);
        assert_non_null(pi);
        assert_int_equal(pi->status, x->status);
        assert_string_equal(pi->openai_type, x->openai_type);
        assert_string_equal(pi->openai_code, x->openai_code);
        assert_string_equal(pi->anthropic_type, x->anthropic_type);
        assert_int_equal(pi->retry_after, x->retry_after);
        assert_int_equal(pi->close, x->close);
        assert_int_equal(pi->www_authenticate, x->www_auth);
        assert_true(pi->message && strlen(pi->message) > 5);
    }
}

static void test_every_429_503_has_retry_after(void **state)
{
    (void)state;
    for (int e = 0; e < PERR_COUNT; e++) {
        const perr_info *pi = perr_get((proxy_error)e);
        if (pi->status == 429 || pi->status == 503)
            assert_true(pi->retry_after > 0);
    }
}

static void test_admin_message_differs(void **state)
{
    (void)state;
    const perr_info *u = perr_get(PERR_UNAUTHORIZED), *a = perr_get(PERR_ADMIN_UNAUTHORIZED);
    assert_string_not_equal(u->message, a->message);
    assert_non_null(strstr(a->message, "admin token"));
}

static void test_out_of_range_is_internal(void **state)
{
    (void)state;
    assert_ptr_equal(perr_get(PERR_COUNT), perr_get(PERR_INTERNAL));
    assert_ptr_equal(perr_get((proxy_error)-1), perr_get(PERR_INTERNAL));
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

static void test_openai_bodies_parse(void **state)
{
    (void)state;
    for (int e = 0; e < PERR_COUNT; e++) {
        const perr_info *pi = perr_get((proxy_error)e);
        strbuf sb = STRBUF_INIT;
        perr_body((proxy_error)e, API_OPENAI, &sb);
        assert_false(strbuf_failed(&sb));
        cJSON *root = cJSON_Parse(sb.data);
        assert_non_null(root);
        assert_int_equal(cJSON_GetArraySize(root), 1);
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        assert_true(cJSON_IsObject(err));
        assert_int_equal(cJSON_GetArraySize(err), 4);
        assert_string_equal(json_str(err, "message"), pi->message);
        assert_string_equal(json_str(err, "type"), pi->openai_type);
        assert_string_equal(json_str(err, "code"), pi->openai_code);
        assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(err, "param")));
        cJSON_Delete(root);
        strbuf_free(&sb);
    }
}

static void test_anthropic_bodies_parse(void **state)
{
    (void)state;
    for (int e = 0; e < PERR_COUNT; e++) {
        const perr_info *pi = perr_get((proxy_error)e);
        strbuf sb = STRBUF_INIT;
        perr_body((proxy_error)e, API_ANTHROPIC, &sb);
        cJSON *root = cJSON_Parse(sb.data);
        assert_non_null(root);
        assert_int_equal(cJSON_GetArraySize(root), 2);
        assert_string_equal(json_str(root, "type"), "error");
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        assert_true(cJSON_IsObject(err));
        assert_int_equal(cJSON_GetArraySize(err), 2);
        assert_string_equal(json_str(err, "type"), pi->anthropic_type);
        assert_string_equal(json_str(err, "message"), pi->message);
        cJSON_Delete(root);
        strbuf_free(&sb);
    }
}

/* Compact, in the documented key order. */
static void test_exact_bytes(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    perr_body(PERR_INVALID_JSON, API_OPENAI, &sb);
    assert_string_equal(sb.data, "{\"error\":{\"message\":\"request body is not valid JSON\","
                                 "\"type\":\"invalid_request_error\",\"param\":null,"
                                 "\"code\":\"invalid_json\"}}");
    strbuf_reset(&sb);
    perr_body(PERR_QUEUE_FULL, API_ANTHROPIC, &sb);
    assert_string_equal(sb.data, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                 "\"message\":\"proxy admission queue is full, retry later\"}}");
    strbuf_reset(&sb);
    /* appends, never overwrites */
    strbuf_puts(&sb, "x");
    perr_body(PERR_NOT_FOUND, API_OPENAI, &sb);
    assert_int_equal(sb.data[0], 'x');
    assert_int_equal(sb.data[1], '{');
    strbuf_free(&sb);
}

static void test_stream_interrupted(void **state)
{
    (void)state;
    static const char want_openai[] =
        "data: {\"error\":{\"message\":\"upstream stream interrupted\",\"type\":\"server_error\","
        "\"param\":null,\"code\":\"upstream_interrupted\"}}\n\n";
    static const char want_anthropic[] =
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
        "\"message\":\"upstream stream interrupted\"}}\n\n";
    size_t len = 0;
    const char *s = perr_stream_interrupted(API_OPENAI, &len);
    assert_int_equal(len, strlen(want_openai));
    assert_memory_equal(s, want_openai, len);
    s = perr_stream_interrupted(API_ANTHROPIC, &len);
    assert_int_equal(len, strlen(want_anthropic));
    assert_memory_equal(s, want_anthropic, len);

    /* the data: payloads are JSON */
    const char *d = strstr(want_openai, "data: ") + 6;
    cJSON *j = cJSON_ParseWithLength(d, strlen(d) - 2);
    assert_non_null(j);
    cJSON_Delete(j);
    s = perr_stream_interrupted(API_ANTHROPIC, NULL);
    d = strstr(s, "data: ") + 6;
    j = cJSON_ParseWithLength(d, strlen(d) - 2);
    assert_non_null(j);
    assert_string_equal(json_str(j, "type"), "error");
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_matches_spec),
        cmocka_unit_test(test_every_429_503_has_retry_after),
        cmocka_unit_test(test_admin_message_differs),
        cmocka_unit_test(test_out_of_range_is_internal),
        cmocka_unit_test(test_openai_bodies_parse),
        cmocka_unit_test(test_anthropic_bodies_parse),
        cmocka_unit_test(test_exact_bytes),
        cmocka_unit_test(test_stream_interrupted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
