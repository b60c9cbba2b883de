/* zaierr: every pinned parser case of PROXY.md §7.2 (codes, malformed
 * bodies, reset instants, retry hints, the 32 KiB budget), the class table,
 * the `code` label of §13.1 and the final-error headers of §7.4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "zaierr.h"

#define RESET_2026_08_27 1787837499LL /* 2026-08-27T13:31:39Z = 21:31:39 UTC+8 */
#define RESET_2026_08_24 1787614904LL /* 2026-08-24T23:41:44Z = 08-25 07:41:44 UTC+8 */

static zai_error classify(const char *body)
{
    zai_error e;
    zaierr_classify(body, strlen(body), false, &e);
    return e;
}

static void expect_code(const char *body, long code, zai_class cls)
{
    zai_error e = classify(body);
    if (!e.has_code || e.code != code || e.cls != cls) {
        print_error("%s: has_code=%d code=%ld class=%s, expected %ld %s\n", body, e.has_code, e.code,
                    zaierr_class_name(e.cls), code, zaierr_class_name(cls));
        fail();
    }
}

static void expect_no_code(const char *body)
{
    zai_error e = classify(body);
    if (e.has_code || e.cls != ZAI_UNKNOWN) {
        print_error("%s: unexpected code %ld (%s)\n", body, e.code, zaierr_class_name(e.cls));
        fail();
    }
}

static void expect_reset(const char *body, int64_t reset)
{
    zai_error e = classify(body);
    if (!e.has_reset || e.reset_at != reset) {
        print_error("%s: has_reset=%d reset=%lld, expected %lld\n", body, e.has_reset,
                    (long long)e.reset_at, (long long)reset);
        fail();
    }
}

static void expect_no_reset(const char *body)
{
    zai_error e = classify(body);
    if (e.has_reset) {
        print_error("%s: unexpected reset %lld\n", body, (long long)e.reset_at);
        fail();
    }
}

/* ---- codes ---- */

static void test_pinned_shapes(void **state)
{
    (void)state;
    expect_code("{\"error\":{\"code\":\"1302\",\"message\":\"Rate limit reached for requests\"}}", 1302,
                ZAI_CONCURRENCY);
    expect_code("{\"code\":1305,\"msg\":\"The API has triggered a rate limit\",\"success\":false}", 1305,
                ZAI_FREQUENCY);
    expect_code("{\"error\":{\"code\":\" 1302 \"}}", 1302, ZAI_CONCURRENCY);
    expect_code("{\"error\":null,\"code\":1303}", 1303, ZAI_FREQUENCY);
    expect_code("{\"error\":\"boom\",\"code\":\"1303\"}", 1303, ZAI_FREQUENCY);
    expect_code("{\"type\":\"error\",\"error\":{\"type\":\"1308\",\"message\":\"Usage limit reached for 5 "
                "hour. Your limit will reset at 2026-08-27 21:31:39\"},\"request_id\":\"20261124100000ad01\"}",
                1308, ZAI_QUOTA);
    expect_code("{\"type\":\"error\",\"error\":{\"code\":\"1301\",\"message\":\"[1301][content flagged as "
                "unsafe][20261124]\"}}",
                1301, ZAI_UNKNOWN);
    expect_code(" \n\t{\"error\":{\"code\":\"1312\"}}\r\n ", 1312, ZAI_MODEL_CONGESTION);
    expect_no_code("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}");
}

static void test_code_precedence(void **state)
{
    (void)state;
    /* inner code, then top-level code, then error.type, then the message */
    expect_code("{\"error\":{\"code\":\"1302\"},\"code\":1305}", 1302, ZAI_CONCURRENCY);
    expect_code("{\"error\":{\"code\":\"-1302\"},\"code\":1305}", 1305, ZAI_FREQUENCY);
    expect_code("{\"error\":{\"code\":\"1303\",\"type\":\"1308\"}}", 1303, ZAI_FREQUENCY);
    expect_code("{\"error\":{\"type\":\"1308\",\"message\":\"1302: busy\"}}", 1308, ZAI_QUOTA);
    expect_code("{\"error\":{\"code\":\"abc\",\"type\":\"1310\"}}", 1310, ZAI_QUOTA);
    expect_code("{\"error\":{\"code\":true,\"message\":\"1313 fair use\"}}", 1313, ZAI_TERMINAL);
    /* type is read on the inner object only, and only as digits */
    expect_no_code("{\"type\":\"1308\"}");
    expect_no_code("{\"error\":{\"type\":\" 1308\"}}");
    expect_no_code("{\"error\":{\"type\":1308}}");
}

static void test_digit_rule(void **state)
{
    (void)state;
    static const char *const dropped[] = {
        "{\"code\":\"-1302\"}",     "{\"code\":-1302}",       "{\"code\":\"1302.0\"}",
        "{\"code\":1302.5}",        "{\"code\":\"13.02\"}",   "{\"code\":\"1e3\"}",
        "{\"code\":\"+1302\"}",     "{\"code\":\"123456789\"}", "{\"code\":123456789}",
        "{\"code\":true}",          "{\"code\":null}",        "{\"code\":{\"v\":1302}}",
        "{\"code\":[1302]}",        "{\"code\":\"\"}",        "{\"code\":\"  \"}",
        "{\"code\":\"13 02\"}",     "{\"code\":\"0x516\"}",   "{\"code\":\"١٣٠٢\"}",
    };
    for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
        expect_no_code(dropped[i]);
    /* unknown codes are kept, up to 8 digits */
    expect_code("{\"error\":{\"code\":\"9999\"}}", 9999, ZAI_UNKNOWN);
    expect_code("{\"code\":12345678}", 12345678, ZAI_UNKNOWN);
    expect_code("{\"code\":\"99999999\"}", 99999999, ZAI_UNKNOWN);
    expect_code("{\"code\":\"7\"}", 7, ZAI_UNKNOWN);
}

static void test_message_prefix(void **state)
{
    (void)state;
    expect_code("{\"error\":{\"message\":\"1302: too many\"}}", 1302, ZAI_CONCURRENCY);
    expect_code("{\"error\":{\"message\":\" 1312 model busy\"}}", 1312, ZAI_MODEL_CONGESTION);
    expect_code("{\"error\":{\"message\":\"1302x\"}}", 1302, ZAI_CONCURRENCY);
    expect_code("{\"error\":{\"message\":\"[1301][content flagged]\"}}", 1301, ZAI_UNKNOWN);
    expect_code("{\"error\":{\"msg\":\"1304 daily\"}}", 1304, ZAI_QUOTA);
    expect_code("{\"msg\":\"1113 no balance\"}", 1113, ZAI_TERMINAL);
    expect_code("{\"error\":{\"code\":null},\"message\":\"1309 expired\"}", 1309, ZAI_TERMINAL);
    expect_no_code("{\"error\":{\"message\":\"1234: not a known code\"}}");
    expect_no_code("{\"error\":{\"message\":\"retries: 1302 attempted\"}}");
    expect_no_code("{\"error\":{\"message\":\"1302000000 ten digits\"}}");
    expect_no_code("{\"error\":{\"message\":\"130212345\"}}");
    expect_no_code("{\"error\":{\"message\":\"[[1302]\"}}");
    expect_no_code("{\"error\":{\"message\":\"\"}}");
    /* only the first string among message/msg (inner, then top) is read */
    expect_no_code("{\"error\":{\"message\":\"hello\"},\"msg\":\"1302 busy\"}");
    expect_code("{\"error\":{\"message\":7},\"msg\":\"1302 busy\"}", 1302, ZAI_CONCURRENCY);
}

static void test_class_table(void **state)
{
    (void)state;
    static const struct { long code; zai_class cls; } t[] = {
        {1302, ZAI_CONCURRENCY}, {1303, ZAI_FREQUENCY}, {1305, ZAI_FREQUENCY},
        {1308, ZAI_QUOTA},       {1310, ZAI_QUOTA},     {1304, ZAI_QUOTA},
        {1312, ZAI_MODEL_CONGESTION}, {1113, ZAI_TERMINAL}, {1309, ZAI_TERMINAL},
        {1311, ZAI_TERMINAL},    {1313, ZAI_TERMINAL},  {1301, ZAI_UNKNOWN},
        {1316, ZAI_UNKNOWN},     {1000, ZAI_UNKNOWN},   {0, ZAI_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        assert_int_equal(zaierr_class_of_code(t[i].code), t[i].cls);
    static const long known[] = {1113, 1302, 1303, 1304, 1305, 1308, 1309, 1310, 1311, 1312, 1313, 1301};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        assert_true(zaierr_is_known_code(known[i]));
    assert_false(zaierr_is_known_code(1234));
    assert_false(zaierr_is_known_code(1300));
    assert_string_equal(zaierr_class_name(ZAI_CONCURRENCY), "concurrency");
    assert_string_equal(zaierr_class_name(ZAI_FREQUENCY), "frequency");
    assert_string_equal(zaierr_class_name(ZAI_QUOTA), "quota");
    assert_string_equal(zaierr_class_name(ZAI_MODEL_CONGESTION), "model_congestion");
    assert_string_equal(zaierr_class_name(ZAI_TERMINAL), "terminal");
    assert_string_equal(zaierr_class_name(ZAI_UNKNOWN), "unknown");
    assert_string_equal(zaierr_class_name((zai_class)99), "unknown");
}

static void test_malformed_bodies(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "[{\"code\":1302}]", "\"1302\"", "1302", "null", "{}", "",
        "   ", "data: {\"error\":{\"code\":\"1302\"}}", "{\"error\":{\"code\":\"1302\"}",
        "{\"code\":1302} x", "{\"code\":1302}{\"code\":1303}", "\x01{\"code\":1302}",
        "{\"code\":1302}\x01", "<html>429 Too Many Requests</html>", "{code:1302}",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
        expect_no_code(bodies[i]);
    static const unsigned char binary[] = {0x00, 0xff, '{', 0x13, 0x02, 0x80, '}', 0x00, 0x7f};
    zai_error e;
    zaierr_classify(binary, sizeof binary, false, &e);
    assert_false(e.has_code);
    assert_int_equal(e.cls, ZAI_UNKNOWN);
    /* an object with a NUL byte after it is not an object and nothing else */
    static const char nul_after[] = "{\"code\":1302}\0";
    zaierr_classify(nul_after, sizeof nul_after - 1, false, &e);
    assert_false(e.has_code);
    /* nothing else is reported for a malformed body either */
    e = classify("[{\"reset_time\":1788624000,\"retry_after\":5}]");
    assert_false(e.has_reset);
    assert_false(e.has_retry_after);
}

static char *sized_body(size_t len)
{
    static const char head[] = "{\"error\":{\"code\":\"1302\",\"message\":\"";
    static const char tail[] = "\"}}";
    char *b = malloc(len);
    assert_non_null(b);
    memcpy(b, head, sizeof head - 1);
    memset(b + sizeof head - 1, 'x', len - (sizeof head - 1) - (sizeof tail - 1));
    memcpy(b + len - (sizeof tail - 1), tail, sizeof tail - 1);
    return b;
}

static void test_size_budget(void **state)
{
    (void)state;
    zai_error e;
    char *b = sized_body(ZAIERR_BODY_MAX);
    zaierr_classify(b, ZAIERR_BODY_MAX, false, &e);
    assert_true(e.has_code);
    assert_int_equal(e.code, 1302);
    free(b);
    b = sized_body(ZAIERR_BODY_MAX + 1);
    zaierr_classify(b, ZAIERR_BODY_MAX + 1, false, &e);
    assert_false(e.has_code);
    assert_int_equal(e.cls, ZAI_UNKNOWN);
    /* the first 32 KiB of a longer body, flagged oversized */
    zaierr_classify(b, ZAIERR_BODY_MAX, true, &e);
    assert_false(e.has_code);
    free(b);
    const char *small = "{\"code\":1302}";
    zaierr_classify(small, strlen(small), true, &e);
    assert_false(e.has_code);
}

/* ---- reset instants ---- */

static void test_reset_numbers(void **state)
{
    (void)state;
    expect_reset("{\"error\":{\"code\":\"1308\",\"reset_time\":1788624000}}", 1788624000);
    expect_reset("{\"error\":{\"code\":\"1308\",\"reset_time\":1788624000123}}", 1788624000);
    expect_reset("{\"error\":{\"code\":\"1308\",\"reset_time\":\"1788624000\"}}", 1788624000);
    expect_reset("{\"error\":{\"code\":\"1308\",\"reset_time\":1.788624e9}}", 1788624000);
    expect_reset("{\"error\":{\"code\":\"1308\",\"reset_time\":\"1.788624e9\"}}", 1788624000);
    expect_reset("{\"reset_time\":1788624000.9}", 1788624000);
    expect_reset("{\"reset_time\":\"1788624000123\"}", 1788624000);
    expect_reset("{\"reset_time\":1000000000}", 1000000000);
    expect_reset("{\"reset_time\":20000000000}", 20000000000LL);
    /* nested beats outer; outer is used when nested lacks it */
    expect_reset("{\"error\":{\"reset_time\":1788624000},\"reset_time\":1788000000}", 1788624000);
    expect_reset("{\"error\":{\"code\":\"1308\"},\"resetAt\":1788624000}", 1788624000);
    expect_reset("{\"error\":{\"reset_time\":null},\"reset_time\":1788000000}", 1788000000);
}

static void test_reset_every_key(void **state)
{
    (void)state;
    static const char *const keys[] = {"reset_time", "resetTime",       "reset_at",
                                       "resetAt",    "next_reset_time", "nextResetTime"};
    char body[128];
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        snprintf(body, sizeof body, "{\"error\":{\"%s\":1788624000}}", keys[i]);
        expect_reset(body, 1788624000);
        snprintf(body, sizeof body, "{\"%s\":\"2026-08-27 21:31:39\"}", keys[i]);
        expect_reset(body, RESET_2026_08_27);
    }
    /* the first key in the list wins over a later one */
    expect_reset("{\"nextResetTime\":1788000000,\"reset_time\":1788624000}", 1788624000);
    expect_no_reset("{\"reset\":1788624000,\"resets_at\":1788624000}");
}

static void test_reset_implausible(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"reset_time\":42}",           "{\"reset_time\":-5}",       "{\"reset_time\":999999999999}",
        "{\"reset_time\":9e13}",         "{\"reset_time\":\"soon\"}", "{\"reset_time\":null}",
        "{\"reset_time\":999999999}",    "{\"reset_time\":20000000001}", "{\"reset_time\":true}",
        "{\"reset_time\":\"\"}",         "{\"reset_time\":\"nan\"}",  "{\"reset_time\":\"inf\"}",
        "{\"reset_time\":\"0x6a9b7c00\"}", "{\"reset_time\":1e999}",  "{\"reset_time\":{\"s\":1}}",
        "{\"reset_time\":\"1990-01-01T00:00:00Z\"}", "{\"reset_time\":\"2700-01-01T00:00:00Z\"}",
        "{\"reset_time\":\"2026-02-30 10:00:00\"}",  "{\"reset_time\":\"2026-13-01 10:00:00\"}",
        "{\"reset_time\":\"2026-08-27 24:00:00\"}",  "{\"reset_time\":\"2026-08-27 21:31\"}",
        "{\"reset_time\":\"2026-08-27 21:31:39 tomorrow\"}", "{\"reset_time\":\"2026-08-27T21:31:39+8\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect_no_reset(bad[i]);
}

static void test_reset_stamps(void **state)
{
    (void)state;
    expect_reset("{\"reset_time\":\"2026-08-27T13:31:39Z\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2026-08-27T13:31:39.750Z\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2026-08-27T21:31:39+08:00\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2026-08-27T08:31:39-05:00\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2026-08-27 21:31:39\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2026-08-27T21:31:39\"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\" 2026-08-27 21:31:39 \"}", RESET_2026_08_27);
    expect_reset("{\"reset_time\":\"2024-02-29 08:00:00\"}", 1709164800); /* leap day */
}

static void test_reset_from_message(void **state)
{
    (void)state;
    expect_reset("{\"type\":\"error\",\"error\":{\"type\":\"1308\",\"message\":\"Usage limit reached for 5 "
                 "hour. Your limit will reset at 2026-08-27 21:31:39\"}}",
                 RESET_2026_08_27);
    expect_reset("{\"error\":{\"code\":\"1308\",\"message\":\"已达到 5 小时的使用上限。您的限额将在 "
                 "2026-08-25 07:41:44 重置。\"}}",
                 RESET_2026_08_24);
    expect_reset("{\"error\":{\"code\":\"1310\",\"message\":\"Weekly/Monthly Limit Exhausted. Your limit "
                 "will reset at 2026-08-27T21:31:39\"}}",
                 RESET_2026_08_27);
    expect_reset("{\"code\":1308,\"msg\":\"reset at 2026-08-27 21:31:39.\"}", RESET_2026_08_27);
    /* a key beats the message; an implausible key still lets the message speak */
    expect_reset("{\"error\":{\"reset_time\":1788624000,\"message\":\"reset at 2026-08-27 21:31:39\"}}",
                 1788624000);
    expect_reset("{\"error\":{\"reset_time\":\"soon\",\"message\":\"reset at 2026-08-27 21:31:39\"}}",
                 RESET_2026_08_27);
    expect_no_reset("{\"error\":{\"message\":\"reset at 2026/08/27 21:31:39\"}}");
    expect_no_reset("{\"error\":{\"message\":\"reset at 2026-08-27 21:31\"}}");
    expect_no_reset("{\"error\":{\"message\":\"reset at 1999-08-27 21:31:39\"}}");
}

/* ---- retry hint ---- */

static void test_retry_hint(void **state)
{
    (void)state;
    static const struct { const char *body; double hint; } ok[] = {
        {"{\"error\":{\"retry_after\":42}}", 42},
        {"{\"error\":{\"retry_after\":\"7\"}}", 7},
        {"{\"retry_after\":604800}", 604800},
        {"{\"retryAfter\":1.5}", 1.5},
        {"{\"error\":{\"retry_after\":9},\"retry_after\":3}", 9},
        {"{\"error\":{\"code\":\"1303\"},\"retryAfter\":\" 12 \"}", 12},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        zai_error e = classify(ok[i].body);
        assert_true(e.has_retry_after);
        assert_true(e.retry_after == ok[i].hint);
    }
    static const char *const bad[] = {
        "{\"retry_after\":0}",       "{\"retry_after\":-5}",      "{\"retry_after\":604900}",
        "{\"retry_after\":\"NaN\"}", "{\"retry_after\":\"Inf\"}", "{\"retry_after\":\"Infinity\"}",
        "{\"retry_after\":1e999}",   "{\"retry_after\":null}",    "{\"retry_after\":\"soon\"}",
        "{\"retry_after\":true}",    "{\"retry-after\":5}",       "{\"retry_after\":\"\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        zai_error e = classify(bad[i]);
        if (e.has_retry_after) {
            print_error("%s: unexpected hint %g\n", bad[i], e.retry_after);
            fail();
        }
    }
}

/* ---- labels and final headers ---- */

static void test_code_label(void **state)
{
    (void)state;
    char l[8];
    zai_error e = {0};
    zaierr_code_label(&e, l);
    assert_string_equal(l, "none");
    static const struct { long code; const char *label; } t[] = {
        {1302, "1302"}, {1000, "1000"}, {1999, "1999"}, {9999, "other"},
        {999, "other"}, {2000, "other"}, {0, "other"}, {12345678, "other"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        e.has_code = true;
        e.code = t[i].code;
        zaierr_code_label(&e, l);
        assert_string_equal(l, t[i].label);
    }
}

static const char *header(const zaierr_header *h, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(h[i].name, name) == 0)
            return h[i].value;
    return NULL;
}

static void test_final_headers_classes(void **state)
{
    (void)state;
    zaierr_header h[ZAIERR_MAX_HEADERS];
    zai_error bare = classify("");
    size_t n = zaierr_final_headers(429, &bare, false, 0, h);
    assert_int_equal(n, 1);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "unknown");

    zai_error e = classify("{\"error\":{\"code\":\"1303\"}}");
    n = zaierr_final_headers(429, &e, false, 0, h);
    assert_int_equal(n, 2);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "frequency");
    assert_string_equal(header(h, n, "X-Zai-Error-Code"), "1303");

    e = classify("{\"error\":{\"code\":\"9999\"}}");
    n = zaierr_final_headers(400, &e, false, 0, h);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "unknown");
    assert_string_equal(header(h, n, "X-Zai-Error-Code"), "9999");

    /* other statuses: the class only with a code */
    e = classify("{\"error\":{\"message\":\"overloaded\"}}");
    assert_int_equal(zaierr_final_headers(503, &e, false, 0, h), 0);
    e = classify("{\"code\":1305}");
    n = zaierr_final_headers(503, &e, false, 0, h);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "frequency");
    e = classify("{\"error\":{\"code\":\"1113\"}}");
    n = zaierr_final_headers(429, &e, false, 0, h);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "terminal");
}

static void test_final_headers_reset_and_retry_after(void **state)
{
    (void)state;
    zaierr_header h[ZAIERR_MAX_HEADERS];
    char body[160];
    int64_t reset = RESET_2026_08_27;
    snprintf(body, sizeof body, "{\"error\":{\"code\":\"1308\",\"reset_time\":%lld}}", (long long)reset);
    zai_error e = classify(body);
    /* one hour ahead (and half a second): ceil -> 3600 */
    int64_t now = (reset - 3600) * NS_PER_SEC + 500 * NS_PER_MS;
    size_t n = zaierr_final_headers(429, &e, false, now, h);
    assert_int_equal(n, 4);
    assert_string_equal(header(h, n, "X-Zai-Error-Class"), "quota");
    assert_string_equal(header(h, n, "X-Zai-Error-Code"), "1308");
    assert_string_equal(header(h, n, "X-Zai-Rate-Limit-Reset"), "2026-08-27T13:31:39Z");
    int ra = atoi(header(h, n, "Retry-After"));
    assert_true(ra >= 3500 && ra <= 3600);
    assert_int_equal(ra, 3600);
    n = zaierr_final_headers(429, &e, false, (reset - 10) * NS_PER_SEC, h);
    assert_string_equal(header(h, n, "Retry-After"), "10");
    /* the upstream's Retry-After is kept: nothing derived */
    n = zaierr_final_headers(429, &e, true, now, h);
    assert_int_equal(n, 3);
    assert_null(header(h, n, "Retry-After"));
    /* a reset in the past derives nothing */
    n = zaierr_final_headers(429, &e, false, reset * NS_PER_SEC, h);
    assert_null(header(h, n, "Retry-After"));
    assert_non_null(header(h, n, "X-Zai-Rate-Limit-Reset"));
    /* R wins over the reset, rounded up */
    e = classify("{\"error\":{\"code\":\"1308\",\"retry_after\":2.2,\"reset_time\":1788624000}}");
    n = zaierr_final_headers(429, &e, false, now, h);
    assert_string_equal(header(h, n, "Retry-After"), "3");
    /* the message-only reset of a 1310 */
    e = classify("{\"error\":{\"code\":\"1310\",\"message\":\"Your limit will reset at 2026-08-27 21:31:39\"}}");
    n = zaierr_final_headers(429, &e, false, now, h);
    assert_string_equal(header(h, n, "X-Zai-Rate-Limit-Reset"), "2026-08-27T13:31:39Z");
    assert_string_equal(header(h, n, "Retry-After"), "3600");
    /* resets past 2262 are formatted from seconds */
    e = classify("{\"reset_time\":20000000000}");
    n = zaierr_final_headers(429, &e, true, now, h);
    assert_string_equal(header(h, n, "X-Zai-Rate-Limit-Reset"), "2603-10-11T11:33:20Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pinned_shapes),
        cmocka_unit_test(test_code_precedence),
        cmocka_unit_test(test_digit_rule),
        cmocka_unit_test(test_message_prefix),
        cmocka_unit_test(test_class_table),
        cmocka_unit_test(test_malformed_bodies),
        cmocka_unit_test(test_size_budget),
        cmocka_unit_test(test_reset_numbers),
        cmocka_unit_test(test_reset_every_key),
        cmocka_unit_test(test_reset_implausible),
        cmocka_unit_test(test_reset_stamps),
        cmocka_unit_test(test_reset_from_message),
        cmocka_unit_test(test_retry_hint),
        cmocka_unit_test(test_code_label),
        cmocka_unit_test(test_final_headers_classes),
        cmocka_unit_test(test_final_headers_reset_and_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
