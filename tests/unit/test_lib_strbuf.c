/* Tests for lib/strbuf: growth, sticky failure, JSON escaping and the
 * shortest round-trip float spelling shared by metrics, logs and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void test_append_and_growth(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "ab");
    strbuf_putc(&sb, 'c');
    strbuf_append(&sb, "de\0f", 4);
    assert_int_equal(sb.len, 7);
    assert_memory_equal(sb.data, "abcde\0f", 8); /* NUL-terminated after len */
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&sb, "%04d", i);
    assert_int_equal(sb.len, 7 + 4000);
    assert_true(sb.cap > sb.len);
    assert_int_equal(sb.data[sb.len], '\0');
    assert_memory_equal(sb.data + 7, "00000001", 8);
    assert_memory_equal(sb.data + sb.len - 4, "0999", 4);
    /* capacities are powers of two times the initial size: doubling */
    assert_int_equal(sb.cap & (sb.cap - 1), 0);
    assert_false(strbuf_failed(&sb));
    strbuf_free(&sb);
    assert_null(sb.data);
}

static void test_printf_large(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    char *big = malloc(100001);
    memset(big, 'x', 100000);
    big[100000] = '\0';
    strbuf_printf(&sb, "[%s]", big);
    assert_int_equal(sb.len, 100002);
    assert_int_equal(sb.data[0], '[');
    assert_int_equal(sb.data[100001], ']');
    assert_int_equal(sb.data[100002], '\0');
    free(big);
    strbuf_free(&sb);
}

static void test_reset_and_detach(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "hello world");
    char *before = sb.data;
    size_t cap = sb.cap;
    strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.data, "");
    assert_ptr_equal(sb.data, before);
    assert_int_equal(sb.cap, cap);
    strbuf_puts(&sb, "again");
    size_t len = 0;
    char *p = strbuf_detach(&sb, &len);
    assert_int_equal(len, 5);
    assert_string_equal(p, "again");
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    free(p);

    strbuf empty = STRBUF_INIT; /* detach of an untouched buffer is "" */
    p = strbuf_detach(&empty, &len);
    assert_non_null(p);
    assert_int_equal(len, 0);
    assert_string_equal(p, "");
    free(p);
}

static void test_sticky_failure(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, "ok");
    assert_false(strbuf_reserve(&sb, SIZE_MAX - 1));
    assert_true(strbuf_failed(&sb));
    strbuf_puts(&sb, "ignored");
    strbuf_printf(&sb, "%d", 42);
    assert_int_equal(sb.len, 2);
    assert_string_equal(sb.data, "ok");
    strbuf_reset(&sb);
    assert_false(strbuf_failed(&sb));
    strbuf_puts(&sb, "fresh");
    assert_string_equal(sb.data, "fresh");
    strbuf_free(&sb);
}

static void test_json_str(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    const char in[] = "a\"b\\c\nd\re\tf\bg\fh\x01i\x1fj\0k caf\xc3\xa9 \xe2\x80\xa6";
    strbuf_json_str(&sb, in, sizeof in - 1);
    assert_string_equal(sb.data, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001fj\\u0000k caf\xc3\xa9 "
                                 "\xe2\x80\xa6\"");
    strbuf_reset(&sb);
    strbuf_json_str(&sb, "", 0);
    assert_string_equal(sb.data, "\"\"");
    strbuf_reset(&sb);
    strbuf_json_str(&sb, "plain", 5);
    assert_string_equal(sb.data, "\"plain\"");
    strbuf_free(&sb);
}

static const struct {
    double v;
    const char *s;
} double_cases[] = {
    {0, "0"},
    {-0.0, "0"},
    {1, "1"},
    {-1, "-1"},
    {0.005, "0.005"},
    {0.01, "0.01"},
    {0.37, "0.37"},
    {2.5, "2.5"},
    {10, "10"},
    {300, "300"},
    {812.4, "812.4"},
    {100, "100"},
    {1000, "1000"},
    {10000, "10000"},
    {100000, "100000"},
    {123456.7, "123456.7"},
    {1e6, "1e+06"},
    {1e7, "1e+07"},
    {1e9, "1e+09"},
    {1234567, "1.234567e+06"},
    {1e21, "1e+21"},
    {0.0001, "0.0001"},
    {0.00012, "0.00012"},
    {1e-05, "1e-05"},
    {1.5e-07, "1.5e-07"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.0 / 3.0, "0.3333333333333333"},
    {-2.5, "-2.5"},
    {5e-324, "5e-324"},
    {DBL_MAX, "1.7976931348623157e+308"},
    {DBL_MIN, "2.2250738585072014e-308"},
    {9007199254740993.0, "9.007199254740992e+15"},
    {123456789012.0, "1.23456789012e+11"},
};

static void test_fmt_double_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof double_cases / sizeof double_cases[0]; i++) {
        char buf[32];
        size_t n = fmt_double(double_cases[i].v, buf, sizeof buf);
        assert_string_equal(buf, double_cases[i].s);
        assert_int_equal(n, strlen(double_cases[i].s));
    }
}

static void test_fmt_double_specials(void **state)
{
    (void)state;
    char buf[32];
    fmt_double(NAN, buf, sizeof buf);
    assert_string_equal(buf, "NaN");
    fmt_double(INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "+Inf");
    fmt_double(-INFINITY, buf, sizeof buf);
    assert_string_equal(buf, "-Inf");

    strbuf sb = STRBUF_INIT;
    strbuf_double(&sb, INFINITY);
    strbuf_putc(&sb, ' ');
    strbuf_json_double(&sb, INFINITY);
    strbuf_putc(&sb, ' ');
    strbuf_json_double(&sb, NAN);
    strbuf_putc(&sb, ' ');
    strbuf_json_double(&sb, 0.25);
    assert_string_equal(sb.data, "+Inf null null 0.25");
    strbuf_free(&sb);
}

static void test_fmt_double_small_buffer(void **state)
{
    (void)state;
    char buf[4];
    size_t n = fmt_double(0.30000000000000004, buf, sizeof buf);
    assert_int_equal(n, 19); /* the full length, like snprintf */
    assert_string_equal(buf, "0.3");
}

/* splitmix64: a fixed pseudo-random sequence of bit patterns */
static uint64_t next_bits(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void test_fmt_double_round_trips(void **state)
{
    (void)state;
    uint64_t seed = 42;
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = next_bits(&seed);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        char buf[32], again[32];
        size_t n = fmt_double(v, buf, sizeof buf);
        assert_true(n < 32);
        assert_true(strtod(buf, NULL) == v);
        fmt_double(v, again, sizeof again);
        assert_string_equal(buf, again);
        /* shortest: one digit fewer never reads back as v (normal numbers) */
        char *e = strchr(buf, 'e');
        size_t digits = strspn(buf + (buf[0] == '-'), "0123456789.") - (strchr(buf, '.') != NULL);
        if (e && digits > 1 && fabs(v) >= DBL_MIN) {
            char shorter[40];
            snprintf(shorter, sizeof shorter, "%.*e", (int)digits - 2, v);
            assert_true(strtod(shorter, NULL) != v);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_growth),
        cmocka_unit_test(test_printf_large),
        cmocka_unit_test(test_reset_and_detach),
        cmocka_unit_test(test_sticky_failure),
        cmocka_unit_test(test_json_str),
        cmocka_unit_test(test_fmt_double_table),
        cmocka_unit_test(test_fmt_double_specials),
        cmocka_unit_test(test_fmt_double_small_buffer),
        cmocka_unit_test(test_fmt_double_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
