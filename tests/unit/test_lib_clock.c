/* Tests for lib/clock: the injectable source and RFC 3339 formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"

#define T_2026_11_24_10 1795514400LL /* 2026-11-24T10:00:00Z */

typedef struct fake_clock {
    int64_t mono, wall;
} fake_clock;

static int64_t fake_mono(void *ctx)
{
    return ((fake_clock *)ctx)->mono;
}

static int64_t fake_wall(void *ctx)
{
    return ((fake_clock *)ctx)->wall;
}

static void test_fake_source(void **state)
{
    (void)state;
    fake_clock fc = {5 * NS_PER_SEC, T_2026_11_24_10 * NS_PER_SEC};
    clock_source src = {fake_mono, fake_wall, &fc};
    clock_set_source(&src);
    assert_int_equal(clock_mono_ns(), 5 * NS_PER_SEC);
    assert_int_equal(clock_wall_ns(), T_2026_11_24_10 * NS_PER_SEC);
    fc.mono += 250 * NS_PER_MS;
    assert_int_equal(clock_mono_ns(), 5 * NS_PER_SEC + 250 * NS_PER_MS);
    clock_set_source(NULL);
    /* back on the system clocks: the fake values are gone */
    assert_true(clock_wall_ns() > 1700000000LL * NS_PER_SEC);
    assert_true(clock_mono_ns() != 5 * NS_PER_SEC + 250 * NS_PER_MS);
}

static void test_system_monotonic(void **state)
{
    (void)state;
    int64_t prev = clock_mono_ns();
    assert_true(prev > 0);
    for (int i = 0; i < 1000; i++) {
        int64_t now = clock_mono_ns();
        assert_true(now >= prev);
        prev = now;
    }
}

static void test_rfc3339_ms(void **state)
{
    (void)state;
    char buf[32];
    clock_fmt_rfc3339_ms(T_2026_11_24_10 * NS_PER_SEC + 123 * NS_PER_MS + 999999, buf);
    assert_string_equal(buf, "2026-11-24T10:00:00.123Z");
    clock_fmt_rfc3339_ms(0, buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    clock_fmt_rfc3339_ms(951868799LL * NS_PER_SEC + 5 * NS_PER_MS, buf);
    assert_string_equal(buf, "2000-02-29T23:59:59.005Z");
    clock_fmt_rfc3339_ms(-1, buf); /* one ns before the epoch floors */
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

static void test_rfc3339_s(void **state)
{
    (void)state;
    char buf[32];
    clock_fmt_rfc3339_s(T_2026_11_24_10 * NS_PER_SEC + 999 * NS_PER_MS, buf);
    assert_string_equal(buf, "2026-11-24T10:00:00Z");
    clock_fmt_rfc3339_s((T_2026_11_24_10 + 3661) * NS_PER_SEC, buf);
    assert_string_equal(buf, "2026-11-24T11:01:01Z");
    clock_fmt_rfc3339_s(INT64_MAX, buf);
    assert_string_equal(buf, "2262-04-11T23:47:16Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fake_source),
        cmocka_unit_test(test_system_monotonic),
        cmocka_unit_test(test_rfc3339_ms),
        cmocka_unit_test(test_rfc3339_s),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
