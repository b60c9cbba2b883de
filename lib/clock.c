/* clock: the process time source (system clocks by default, a virtual clock
 * in tests) and RFC 3339 formatting of wall-clock instants. */
#include "clock.h"

#include <stdio.h>
#include <time.h>

static int64_t system_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static int64_t system_mono_ns(void *ctx)
{
    (void)ctx;
    return system_ns(CLOCK_MONOTONIC);
}

static int64_t system_wall_ns(void *ctx)
{
    (void)ctx;
    return system_ns(CLOCK_REALTIME);
}

static const clock_source system_source = {system_mono_ns, system_wall_ns, NULL};
static clock_source current = {system_mono_ns, system_wall_ns, NULL};

int64_t clock_mono_ns(void)
{
    return current.mono_ns(current.ctx);
}

int64_t clock_wall_ns(void)
{
    return current.wall_ns(current.ctx);
}

void clock_set_source(const clock_source *src)
{
    current = src ? *src : system_source;
}

/* Splits an epoch-ns instant into UTC calendar fields and milliseconds,
 * flooring so instants before 1970 still format correctly. */
static void split_utc(int64_t wall_ns, struct tm *tm, int *ms)
{
    int64_t sec = wall_ns / NS_PER_SEC;
    int64_t rem = wall_ns % NS_PER_SEC;
    if (rem < 0) {
        rem += NS_PER_SEC;
        sec--;
    }
    time_t t = (time_t)sec;
    gmtime_r(&t, tm);
    *ms = (int)(rem / NS_PER_MS);
}

/* int64 nanoseconds span the years 1677..2262, so the date always has the
 * four-digit year RFC 3339 requires. */
void clock_fmt_rfc3339_ms(int64_t wall_ns, char buf[32])
{
    struct tm tm;
    int ms;
    split_utc(wall_ns, &tm, &ms);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03dZ", ms);
}

void clock_fmt_rfc3339_s(int64_t wall_ns, char buf[32])
{
    struct tm tm;
    int ms;
    split_utc(wall_ns, &tm, &ms);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, "Z");
}
