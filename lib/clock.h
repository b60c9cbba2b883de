/* clock: every time read in the project goes through here, so tests can run
 * timing logic (limiters, windows, freshness) on a virtual clock instead of
 * sleeping. The default source is CLOCK_MONOTONIC / CLOCK_REALTIME. */
#ifndef ZAI_CLOCK_H
#define ZAI_CLOCK_H

#include <stdint.h>

#define NS_PER_MS 1000000LL
#define NS_PER_SEC 1000000000LL

typedef struct clock_source {
    int64_t (*mono_ns)(void *ctx);   /* monotonic nanoseconds */
    int64_t (*wall_ns)(void *ctx);   /* Unix epoch nanoseconds */
    void *ctx;
} clock_source;

int64_t clock_mono_ns(void);
/* A nanosecond interval in seconds, for metrics and logs. */
static inline double clock_secs(int64_t ns)
{
    return (double)ns / 1e9;
}
int64_t clock_wall_ns(void);
/* Replaces the process clock (NULL restores the system clock). Tests only;
 * not thread-safe against concurrent readers. */
void clock_set_source(const clock_source *src);

/* Formats an epoch-ns instant as RFC 3339 UTC with milliseconds
 * ("2026-11-24T10:00:00.123Z") or whole seconds ("2026-11-24T10:00:00Z"). */
void clock_fmt_rfc3339_ms(int64_t wall_ns, char buf[32]);
void clock_fmt_rfc3339_s(int64_t wall_ns, char buf[32]);

#endif
