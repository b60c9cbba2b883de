/* Tests for lib/envcfg: the PROXY.md §14 syntax (booleans, Go durations,
 * integers, floats, host:port, URLs, secrets) and the exact error wording,
 * through an injected lookup table instead of the real environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envcfg.h"

#define SEC 1000000000LL
#define MS 1000000LL

typedef struct kv {
    const char *name, *value;
} kv;

static const char *table_lookup(const char *name, void *ctx)
{
    for (const kv *p = ctx; p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p->value;
    return NULL;
}

/* One variable set to value; returns the envcfg reading it. */
static envcfg *with(const char *name, const char *value)
{
    static kv table[2];
    static envcfg e;
    table[0] = (kv){name, value};
    table[1] = (kv){NULL, NULL};
    envcfg_init(&e, table_lookup, table);
    return &e;
}

static void test_parse_bool(void **state)
{
    (void)state;
    static const char *const yes[] = {"true", "TRUE", "True", "1", "yes", "YES", "on", "On"};
    static const char *const no[] = {"false", "FALSE", "0", "no", "No", "off", "OFF"};
    static const char *const bad[] = {"maybe", "", "2", "t", "true ", " on", "enabled"};
    bool b;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        b = false;
        assert_true(parse_bool(yes[i], &b));
        assert_true(b);
    }
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        b = true;
        assert_true(parse_bool(no[i], &b));
        assert_false(b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(parse_bool(bad[i], &b));
}

static void test_envcfg_bool(void **state)
{
    (void)state;
    bool b = false;
    envcfg *e = with("TOKEN_COUNTING_ENABLED", "maybe");
    assert_false(envcfg_bool(e, "TOKEN_COUNTING_ENABLED", true, &b));
    assert_true(b); /* left at the default */
    assert_true(e->failed);
    assert_string_equal(e->err, "config: TOKEN_COUNTING_ENABLED: \"maybe\" is not a boolean (true/false)");

    e = with("X", "off");
    assert_true(envcfg_bool(e, "X", true, &b));
    assert_false(b);
    assert_true(envcfg_bool(e, "UNSET", true, &b));
    assert_true(b);
    e = with("X", ""); /* empty means unset */
    assert_true(envcfg_bool(e, "X", true, &b));
    assert_true(b);
    assert_false(e->failed);
}

static void test_parse_int(void **state)
{
    (void)state;
    long long v;
    assert_true(parse_int("42", &v));
    assert_int_equal(v, 42);
    assert_true(parse_int("-7", &v));
    assert_int_equal(v, -7);
    assert_true(parse_int("007", &v));
    assert_int_equal(v, 7);
    assert_true(parse_int("9223372036854775807", &v));
    assert_true(v == INT64_MAX);
    assert_true(parse_int("-9223372036854775808", &v));
    assert_true(v == INT64_MIN);
    assert_false(parse_int("9223372036854775808", &v));
    assert_false(parse_int("-9223372036854775809", &v));
    assert_false(parse_int("+5", &v));
    assert_false(parse_int("", &v));
    assert_false(parse_int("-", &v));
    assert_false(parse_int("1a", &v));
    assert_false(parse_int(" 1", &v));
    assert_false(parse_int("1 ", &v));
    assert_false(parse_int("1e3", &v));
    assert_false(parse_int("0x10", &v));
}

static void test_envcfg_int(void **state)
{
    (void)state;
    long long v = 0;
    envcfg *e = with("MAX_WORKERS", "abc");
    assert_false(envcfg_int(e, "MAX_WORKERS", 10, 1, 10000, &v));
    assert_int_equal(v, 10);
    assert_string_equal(e->err, "config: MAX_WORKERS: \"abc\" is not an integer");

    e = with("MAX_WORKERS", "0");
    assert_false(envcfg_int(e, "MAX_WORKERS", 10, 1, 10000, &v));
    assert_string_equal(e->err, "config: MAX_WORKERS: 0 is out of range (1..10000)");

    e = with("MAX_WORKERS", "99999999999999999999");
    assert_false(envcfg_int(e, "MAX_WORKERS", 10, 1, 10000, &v));
    assert_string_equal(e->err,
                        "config: MAX_WORKERS: \"99999999999999999999\" is out of range (1..10000)");

    e = with("QUEUE_MAX", "10000");
    assert_true(envcfg_int(e, "QUEUE_MAX", 100, 0, 100000, &v));
    assert_int_equal(v, 10000);
    assert_true(envcfg_int(e, "NOT_SET", 100, 0, 100000, &v));
    assert_int_equal(v, 100);
    e = with("NEG", "-5");
    assert_true(envcfg_int(e, "NEG", 0, -10, 10, &v));
    assert_int_equal(v, -5);
}

static void test_first_error_kept(void **state)
{
    (void)state;
    kv table[] = {{"A", "x"}, {"B", "y"}, {NULL, NULL}};
    envcfg e;
    long long v;
    bool b;
    envcfg_init(&e, table_lookup, table);
    assert_false(envcfg_int(&e, "A", 1, 0, 9, &v));
    assert_false(envcfg_bool(&e, "B", false, &b));
    assert_string_equal(e.err, "config: A: \"x\" is not an integer");
    envcfg_fail(&e, "C", "custom %d", 3);
    assert_string_equal(e.err, "config: A: \"x\" is not an integer");

    envcfg_init(&e, table_lookup, table);
    envcfg_fail(&e, "RATE_LIMIT_MIN", "must be <= RATE_LIMIT_MAX (%g)", 50.0);
    assert_string_equal(e.err, "config: RATE_LIMIT_MIN: must be <= RATE_LIMIT_MAX (50)");
}

static void test_value_quoting_in_errors(void **state)
{
    (void)state;
    long long v;
    envcfg *e = with("N", "a\"b\n");
    assert_false(envcfg_int(e, "N", 1, 0, 9, &v));
    assert_string_equal(e->err, "config: N: \"a\\\"b\\x0a\" is not an integer");

    char longv[300];
    memset(longv, 'z', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    e = with("N", longv);
    assert_false(envcfg_int(e, "N", 1, 0, 9, &v));
    assert_non_null(strstr(e->err, "zzz...\" is not an integer"));
    assert_true(strlen(e->err) < 150);
}

static void test_getenv_default(void **state)
{
    (void)state;
    envcfg e;
    long long v;
    envcfg_init(&e, NULL, NULL);
    setenv("ZAI_TEST_ENVCFG_INT", "77", 1);
    assert_true(envcfg_int(&e, "ZAI_TEST_ENVCFG_INT", 1, 0, 100, &v));
    assert_int_equal(v, 77);
    assert_string_equal(envcfg_raw(&e, "ZAI_TEST_ENVCFG_INT"), "77");
    setenv("ZAI_TEST_ENVCFG_INT", "", 1);
    assert_null(envcfg_raw(&e, "ZAI_TEST_ENVCFG_INT"));
    unsetenv("ZAI_TEST_ENVCFG_INT");
    assert_null(envcfg_raw(&e, "ZAI_TEST_ENVCFG_INT"));
}

static void test_parse_float(void **state)
{
    (void)state;
    double d;
    assert_true(parse_float("0.75", &d));
    assert_true(d == 0.75);
    assert_true(parse_float("1e-3", &d));
    assert_true(d == 0.001);
    assert_true(parse_float("-2", &d));
    assert_true(d == -2);
    assert_true(parse_float(".5", &d));
    assert_true(d == 0.5);
    assert_true(parse_float("5.", &d));
    assert_true(d == 5);
    assert_true(parse_float("2E+2", &d));
    assert_true(d == 200);
    static const char *const bad[] = {"", "nan", "NaN", "inf", "-Infinity", "1e999", "0x10",
                                      "1.5x", " 1", "1 ", ".", "e5", "1e", "--1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(parse_float(bad[i], &d));

    envcfg *e = with("RATE_LIMIT_MAX", "inf");
    d = 0;
    assert_false(envcfg_float(e, "RATE_LIMIT_MAX", 50.0, &d));
    assert_true(d == 50.0);
    assert_string_equal(e->err, "config: RATE_LIMIT_MAX: \"inf\" is not a finite number");
    e = with("RATE_LIMIT_MAX", "12.5");
    assert_true(envcfg_float(e, "RATE_LIMIT_MAX", 50.0, &d));
    assert_true(d == 12.5);
}

static const struct {
    const char *s;
    int64_t ns;
} durations[] = {
    {"0", 0},
    {"-0", 0},
    {"+0", 0},
    {"0s", 0},
    {"500ms", 500 * MS},
    {"30s", 30 * SEC},
    {"5m", 300 * SEC},
    {"6h", 6 * 3600 * SEC},
    {"1h30m", 5400 * SEC},
    {"1.5h", 5400 * SEC},
    {"-3s", -3 * SEC},
    {"+5s", 5 * SEC},
    {".5s", 500 * MS},
    {"1.s", SEC},
    {"10ns", 10},
    {"1us", 1000},
    {"2\xc2\xb5s", 2000}, /* U+00B5 */
    {"3\xce\xbcs", 3000}, /* U+03BC */
    {"1h15m30.918273645s", 4530918273645LL},
    {"1.0000000000000000000001s", SEC}, /* extra fraction digits ignored */
    {"100ms1s", 1100 * MS},
    {"9223372036854775807ns", INT64_MAX},
    {"2562047h47m16.854775807s", INT64_MAX},
    {"-2562047h47m16.854775808s", INT64_MIN},
    {"720h", 720LL * 3600 * SEC},
};

static const char *const bad_durations[] = {
    "", "5", "-", "+", ".", ".s", "s", "1d", "1h 30m", " 1s", "1s ", "1S", "1sec", "1.5", "1e3s",
    "1h-30m", "abc",
};

static const char *const overflow_durations[] = {
    "9223372036854775808ns", "2562048h", "9223372037s", "99999999999999999999s",
    "-9223372036854775809ns",
};

static void test_parse_duration(void **state)
{
    (void)state;
    int64_t ns;
    for (size_t i = 0; i < sizeof durations / sizeof *durations; i++) {
        ns = -42;
        if (!parse_duration(durations[i].s, &ns))
            fail_msg("rejected %s", durations[i].s);
        if (ns != durations[i].ns)
            fail_msg("%s: got %lld want %lld", durations[i].s, (long long)ns,
                     (long long)durations[i].ns);
    }
    for (size_t i = 0; i < sizeof bad_durations / sizeof *bad_durations; i++)
        if (parse_duration(bad_durations[i], &ns))
            fail_msg("accepted %s", bad_durations[i]);
    for (size_t i = 0; i < sizeof overflow_durations / sizeof *overflow_durations; i++)
        if (parse_duration(overflow_durations[i], &ns))
            fail_msg("accepted %s", overflow_durations[i]);
}

static const struct {
    int64_t ns;
    const char *s;
} formatted[] = {
    {0, "0s"},
    {1, "1ns"},
    {999, "999ns"},
    {1000, "1\xc2\xb5s"},
    {1100, "1.1\xc2\xb5s"},
    {2 * 1000, "2\xc2\xb5s"},
    {2200 * 1000, "2.2ms"},
    {500 * MS, "500ms"},
    {SEC, "1s"},
    {1500 * MS, "1.5s"},
    {60 * SEC, "1m0s"},
    {90 * SEC, "1m30s"},
    {5400 * SEC, "1h30m0s"},
    {6 * 3600 * SEC, "6h0m0s"},
    {-3 * SEC, "-3s"},
    {-1, "-1ns"},
    {4530918273645LL, "1h15m30.918273645s"},
    {INT64_MAX, "2562047h47m16.854775807s"},
    {INT64_MIN, "-2562047h47m16.854775808s"},
};

static void test_format_duration(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof formatted / sizeof *formatted; i++) {
        char buf[40];
        format_duration(formatted[i].ns, buf, sizeof buf);
        assert_string_equal(buf, formatted[i].s);
        int64_t back;
        assert_true(parse_duration(buf, &back)); /* Go prints what it parses */
        assert_true(back == formatted[i].ns);
    }
    char small[4];
    format_duration(5400 * SEC, small, sizeof small);
    assert_string_equal(small, "1h3");
}

static void test_envcfg_duration(void **state)
{
    (void)state;
    int64_t ns = 0;
    envcfg *e = with("QUEUE_TIMEOUT", "5");
    assert_false(envcfg_duration(e, "QUEUE_TIMEOUT", 30 * SEC, false, &ns));
    assert_true(ns == 30 * SEC);
    assert_string_equal(e->err, "config: QUEUE_TIMEOUT: \"5\" is not a duration (e.g. 30s, 5m, 1h30m)");

    e = with("QUOTA_POLL_INTERVAL", "-3s");
    assert_false(envcfg_duration(e, "QUOTA_POLL_INTERVAL", 60 * SEC, false, &ns));
    assert_string_equal(e->err, "config: QUOTA_POLL_INTERVAL: \"-3s\" must be > 0");

    e = with("SHUTDOWN_GRACE", "-3s");
    assert_false(envcfg_duration(e, "SHUTDOWN_GRACE", 30 * SEC, true, &ns));
    assert_string_equal(e->err, "config: SHUTDOWN_GRACE: \"-3s\" must be >= 0");

    e = with("QUEUE_TIMEOUT", "0");
    assert_false(envcfg_duration(e, "QUEUE_TIMEOUT", 30 * SEC, false, &ns));
    assert_string_equal(e->err, "config: QUEUE_TIMEOUT: \"0\" must be > 0");

    e = with("SHUTDOWN_GRACE", "0s");
    assert_true(envcfg_duration(e, "SHUTDOWN_GRACE", 30 * SEC, true, &ns));
    assert_true(ns == 0);

    e = with("X", "3000h");
    assert_true(envcfg_duration(e, "X", SEC, false, &ns));
    assert_true(ns == 3000LL * 3600 * SEC);

    e = with("X", "2562048h");
    assert_false(envcfg_duration(e, "X", SEC, false, &ns));
    assert_string_equal(e->err, "config: X: \"2562048h\" is out of range (at most 2562047h47m16s)");

    e = with("X", "");
    assert_true(envcfg_duration(e, "X", 7 * SEC, false, &ns));
    assert_true(ns == 7 * SEC);
}

static void test_envcfg_string_and_enum(void **state)
{
    (void)state;
    char buf[8];
    envcfg *e = with("VARIANT", "canary");
    assert_true(envcfg_string(e, "VARIANT", "production", buf, sizeof buf));
    assert_string_equal(buf, "canary");
    assert_true(envcfg_string(e, "UNSET", "prod", buf, sizeof buf));
    assert_string_equal(buf, "prod");
    e = with("VARIANT", "far-too-long");
    assert_false(envcfg_string(e, "VARIANT", "prod", buf, sizeof buf));
    assert_string_equal(buf, "prod");
    assert_string_equal(e->err, "config: VARIANT: value is too long (at most 7 bytes)");

    /* the current value may serve as its own default */
    char cur[16] = "keep";
    e = with("X", "");
    assert_true(envcfg_string(e, "X", cur, cur, sizeof cur));
    assert_string_equal(cur, "keep");
    e = with("X", "new");
    assert_true(envcfg_string(e, "X", cur, cur, sizeof cur));
    assert_string_equal(cur, "new");
    e = with("X", "much-too-long-for-cur");
    assert_false(envcfg_string(e, "X", cur, cur, sizeof cur));
    assert_string_equal(cur, "new");

    static const char *const formats[] = {"text", "json", NULL};
    int idx = -7;
    e = with("LOG_FORMAT", "JSON");
    assert_true(envcfg_enum(e, "LOG_FORMAT", "text", formats, &idx));
    assert_int_equal(idx, 1);
    assert_true(envcfg_enum(e, "UNSET", "text", formats, &idx));
    assert_int_equal(idx, 0);
    assert_true(envcfg_enum(e, "UNSET", NULL, formats, &idx));
    assert_int_equal(idx, -1);
    e = with("LOG_FORMAT", "logfmt");
    assert_false(envcfg_enum(e, "LOG_FORMAT", "text", formats, &idx));
    assert_int_equal(idx, 0);
    assert_string_equal(e->err, "config: LOG_FORMAT: \"logfmt\" is not one of text, json");
}

static void test_envcfg_hostport(void **state)
{
    (void)state;
    static const struct {
        const char *in, *host;
        int port;
    } good[] = {
        {"0.0.0.0:8080", "0.0.0.0", 8080},
        {"[::1]:8080", "::1", 8080},
        {"[fe80::1%eth0]:443", "fe80::1%eth0", 443},
        {"localhost:80", "localhost", 80},
        {"127.0.0.1:0", "127.0.0.1", 0},
        {"my-host.example_1:65535", "my-host.example_1", 65535},
    };
    static const char *const bad[] = {"8080", "host:", ":8080", "host:65536", "host:-1",
                                      "host:80x", "[::1]8080", "[::1]", "::1:80", "a b:80",
                                      "[]:80", "host:123456", "ho/st:80"};
    char host[64];
    int port;
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        envcfg *e = with("LISTEN_ADDR", good[i].in);
        assert_true(envcfg_hostport(e, "LISTEN_ADDR", "0.0.0.0:8080", host, sizeof host, &port));
        assert_string_equal(host, good[i].host);
        assert_int_equal(port, good[i].port);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        envcfg *e = with("LISTEN_ADDR", bad[i]);
        if (envcfg_hostport(e, "LISTEN_ADDR", "0.0.0.0:8080", host, sizeof host, &port))
            fail_msg("accepted %s", bad[i]);
        assert_string_equal(host, "0.0.0.0"); /* default on error */
        assert_int_equal(port, 8080);
        assert_non_null(strstr(e->err, "config: LISTEN_ADDR: \""));
        assert_non_null(strstr(e->err, "is not host:port"));
    }
    envcfg *e = with("X", "");
    assert_true(envcfg_hostport(e, "LISTEN_ADDR", "[::]:9090", host, sizeof host, &port));
    assert_string_equal(host, "::");
    assert_int_equal(port, 9090);
    char tiny[4];
    e = with("LISTEN_ADDR", "localhost:80");
    assert_false(envcfg_hostport(e, "LISTEN_ADDR", NULL, tiny, sizeof tiny, &port));
}

static void test_envcfg_url(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } good[] = {
        {"https://api.z.ai", "https://api.z.ai"},
        {"https://api.z.ai/", "https://api.z.ai"},
        {"http://127.0.0.1:9999//", "http://127.0.0.1:9999"},
        {"HTTPS://Example.com/api/", "HTTPS://Example.com/api"},
        {"http://[::1]:8080/x", "http://[::1]:8080/x"},
    };
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"ftp://x", "must start with http:// or https://"},
        {"api.z.ai", "must start with http:// or https://"},
        {"https://", "has no host"},
        {"https:///path", "has no host"},
        {"http://:80", "has no host"},
        {"https://x/?a=1", "must not contain a query or fragment"},
        {"https://x/#frag", "must not contain a query or fragment"},
        {"https://x y", "contains whitespace or control characters"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        envcfg *e = with("ZAI_BASE_URL", good[i].in);
        assert_true(envcfg_url(e, "ZAI_BASE_URL", "https://api.z.ai", out, sizeof out));
        assert_string_equal(out, good[i].out);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        envcfg *e = with("ZAI_BASE_URL", bad[i].in);
        assert_false(envcfg_url(e, "ZAI_BASE_URL", "https://api.z.ai/", out, sizeof out));
        assert_string_equal(out, "https://api.z.ai");
        char want[200];
        snprintf(want, sizeof want, "config: ZAI_BASE_URL: \"%s\" %s", bad[i].in, bad[i].why);
        assert_string_equal(e->err, want);
    }
    envcfg *e = with("ZAI_BASE_URL", "https://user:hunter2@x/");
    assert_false(envcfg_url(e, "ZAI_BASE_URL", NULL, out, sizeof out));
    assert_string_equal(out, "");
    assert_string_equal(e->err, "config: ZAI_BASE_URL: must not contain credentials");
    e = with("X", "");
    assert_true(envcfg_url(e, "ZAI_TARGET_URL", NULL, out, sizeof out));
    assert_string_equal(out, "");
    char self[64] = "https://a.example/";
    assert_true(envcfg_url(e, "UNSET", self, self, sizeof self));
    assert_string_equal(self, "https://a.example");
    char tiny[10];
    e = with("ZAI_BASE_URL", "https://api.z.ai");
    assert_false(envcfg_url(e, "ZAI_BASE_URL", NULL, tiny, sizeof tiny));
}

static void test_envcfg_secret(void **state)
{
    (void)state;
    char out[32];
    bool set = false;
    envcfg *e = with("ZAI_API_KEY", "  abc.DEF-123\n");
    assert_true(envcfg_secret(e, "ZAI_API_KEY", out, sizeof out, &set));
    assert_true(set);
    assert_string_equal(out, "abc.DEF-123");

    e = with("ZAI_API_KEY", "\t\r\n");
    assert_true(envcfg_secret(e, "ZAI_API_KEY", out, sizeof out, &set));
    assert_false(set);
    assert_string_equal(out, "");
    assert_true(envcfg_secret(e, "UNSET", out, sizeof out, &set));
    assert_false(set);

    static const char *const bad[] = {"sk-secret value", "sk-secret\nline2", "sk-\x01secret",
                                      "sk-secret\tx"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        e = with("ZAI_API_KEY", bad[i]);
        set = true;
        assert_false(envcfg_secret(e, "ZAI_API_KEY", out, sizeof out, &set));
        assert_false(set);
        assert_string_equal(out, "");
        assert_string_equal(e->err, "config: ZAI_API_KEY: contains whitespace or control characters");
        assert_null(strstr(e->err, "secret")); /* never echoed */
    }
    e = with("ADMIN_TOKEN", "0123456789012345678901234567890123456789");
    assert_false(envcfg_secret(e, "ADMIN_TOKEN", out, sizeof out, &set));
    assert_false(set);
    assert_string_equal(e->err, "config: ADMIN_TOKEN: value is too long (at most 31 bytes)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_bool),
        cmocka_unit_test(test_envcfg_bool),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_envcfg_int),
        cmocka_unit_test(test_first_error_kept),
        cmocka_unit_test(test_value_quoting_in_errors),
        cmocka_unit_test(test_getenv_default),
        cmocka_unit_test(test_parse_float),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_format_duration),
        cmocka_unit_test(test_envcfg_duration),
        cmocka_unit_test(test_envcfg_string_and_enum),
        cmocka_unit_test(test_envcfg_hostport),
        cmocka_unit_test(test_envcfg_url),
        cmocka_unit_test(test_envcfg_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
