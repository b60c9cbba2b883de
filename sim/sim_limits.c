/* sim_limits: the limits the simulator enforces (ZAI-API.md §10.3) as plain
 * data — a request-rate token bucket, credit windows (five-hour and weekly)
 * with their reset instants, the peak-hour rule — and the quota payload of
 * §8.1 computed from the same counters. Time is passed in, never read. */
#include "sim_int.h"

#include <math.h>
#include <string.h>

bool sim_bucket_take(sim_bucket *b, double rps, int64_t now_ns)
{
    double burst = rps < 1 ? 1 : rps;
    if (!b->primed) {
        b->primed = true;
        b->tokens = burst;
    } else if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) / 1e9 * rps;
        if (b->tokens > burst)
            b->tokens = burst;
    }
    b->last_ns = now_ns;
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}

void sim_window_roll(sim_window *w, int64_t now_ms)
{
    if (w->reset_ms != 0 && now_ms >= w->reset_ms) {
        w->used = 0;
        w->reset_ms = 0;
    }
}

int64_t sim_window_reset_ms(const sim_window *w, int64_t now_ms, int64_t len_ms)
{
    return w->reset_ms != 0 ? w->reset_ms : now_ms + len_ms;
}

void sim_window_add(sim_window *w, long long credits, int64_t now_ms, int64_t len_ms)
{
    sim_window_roll(w, now_ms);
    if (w->reset_ms == 0)
        w->reset_ms = now_ms + len_ms;
    w->used += credits;
}

bool sim_is_peak(int64_t wall_ms)
{
    long long hour = ((wall_ms / 1000 + 8 * 3600) / 3600) % 24;
    return hour >= 14 && hour < 18;
}

static void put_credit(strbuf *out, int unit, int number, long long limit, long long used,
                       int64_t reset_ms)
{
    long long remaining = limit > used ? limit - used : 0;
    long long pct = limit > 0 ? llround((double)used * 100.0 / (double)limit) : 0;
    strbuf_printf(out,
                  "{\"type\":\"CREDIT_LIMIT\",\"unit\":%d,\"number\":%d,\"usage\":%lld,\"currentValue\":%lld,"
                  "\"remaining\":%lld,\"percentage\":%lld,\"nextResetTime\":%lld}",
                  unit, number, limit, used, remaining, pct, (long long)reset_ms);
}

void sim_quota_json(const char *plan, long long limit_5h, const sim_window *w5,
                    long long limit_week, const sim_window *ww, int64_t now_ms, strbuf *out)
{
    sim_window a = *w5, b = *ww;
    sim_window_roll(&a, now_ms);
    sim_window_roll(&b, now_ms);
    strbuf_puts(out, "{\"code\":200,\"msg\":\"Operation successful\",\"success\":true,\"data\":{\"level\":");
    strbuf_json_str(out, plan, strlen(plan));
    strbuf_puts(out, ",\"limits\":[");
    put_credit(out, 3, 5, limit_5h > 0 ? limit_5h : 2000, a.used,
               sim_window_reset_ms(&a, now_ms, SIM_WINDOW_5H_MS));
    strbuf_putc(out, ',');
    put_credit(out, 6, 1, limit_week > 0 ? limit_week : 10000, b.used,
               sim_window_reset_ms(&b, now_ms, SIM_WINDOW_WEEK_MS));
    strbuf_puts(out, ",{\"type\":\"TIME_LIMIT\",\"unit\":5,\"number\":1,\"usage\":100,\"currentValue\":0,"
                     "\"remaining\":100,\"percentage\":0}]}}");
}
