/* ratelimit: window evaluation and the token bucket. The ceiling is an EWMA
 * of the rate the upstream actually accepted in rejected-heavy windows, so
 * back-off is proportional to the 429 share; clean windows converge towards
 * the hold point just under the ceiling and, every probe_interval windows,
 * probe just above it. Windows are evaluated lazily on feedback, as in the
 * reference. */
#include "ratelimit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "clock.h"
#include "config.h"
#include "strbuf.h"

#define CONVERGE_MIN_STEP 0.25
#define NEVER_NS (INT64_MAX / 2)

struct ratelimit {
    rl_params p;
    double rate, ceiling;
    int clean_windows;
    uint64_t n429, nok;
    int64_t last_adjustment;        /* monotonic ns */
    int64_t last_ceiling_update;    /* epoch ns, 0 = not learned */
    bool restored;
    double tokens, burst;
    int64_t refilled_at;            /* monotonic ns */
};

void ratelimit_params_from_config(const proxy_config *c, rl_params *p)
{
    p->initial = c->rate_initial;
    p->min = c->rate_min;
    p->max = c->rate_max;
    p->alpha = c->rate_alpha;
    p->margin = c->rate_margin;
    p->probe_interval = c->rate_probe_interval;
    p->window_ns = c->rate_window_ns;
}

double ratelimit_burst(double r)
{
    if (!(r > 0))
        return 0;
    double b = floor(2 * r);
    return b < 1 ? 1 : b;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* ---- token bucket ---- */

/* The bucket's level at t, computed from the last committed point only.
 * Failed takes and next_token_at commit nothing, so the instant
 * next_token_at reports is exactly where try_take starts to succeed (no
 * floating-point drift from intermediate refills). */
static double tokens_at(const ratelimit *rl, int64_t t)
{
    if (t <= rl->refilled_at)
        return rl->tokens;
    double v = rl->tokens + (double)(t - rl->refilled_at) * rl->rate / (double)NS_PER_SEC;
    return v > rl->burst ? rl->burst : v;
}

static void bucket_commit(ratelimit *rl, int64_t now)
{
    rl->tokens = tokens_at(rl, now);
    if (now > rl->refilled_at)
        rl->refilled_at = now;
}

static void bucket_fill(ratelimit *rl, int64_t now)
{
    rl->burst = ratelimit_burst(rl->rate);
    rl->tokens = rl->burst;
    rl->refilled_at = now;
}

/* Tokens accrued so far at the old rate stay; the capacity follows the new
 * rate. */
static void set_rate(ratelimit *rl, double rate, int64_t now)
{
    bucket_commit(rl, now);
    rl->rate = rate;
    rl->burst = ratelimit_burst(rate);
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
}

bool ratelimit_try_take(ratelimit *rl, int64_t now)
{
    if (tokens_at(rl, now) < 1)
        return false;
    bucket_commit(rl, now);
    rl->tokens -= 1;
    return true;
}

int64_t ratelimit_next_token_at(ratelimit *rl, int64_t now)
{
    if (tokens_at(rl, now) >= 1)
        return now;
    double wait = ceil((1 - rl->tokens) * (double)NS_PER_SEC / rl->rate);
    /* a wait of centuries (a near-zero rate) is "never" */
    if (wait >= (double)NEVER_NS || rl->refilled_at >= NEVER_NS)
        return INT64_MAX;
    /* the estimate is within a nanosecond or two; settle on the first
     * instant that really has a token */
    int64_t t = rl->refilled_at + (int64_t)wait;
    if (t < now)
        t = now;
    while (t > now && tokens_at(rl, t - 1) >= 1)
        t--;
    while (tokens_at(rl, t) < 1)
        t++;
    return t;
}

/* ---- lifecycle ---- */

static bool params_valid(const rl_params *p)
{
    return p->initial > 0 && p->min > 0 && p->min <= p->max && isfinite(p->max) && p->alpha > 0 &&
           p->alpha <= 1 && p->margin > 0 && p->margin < 1 && p->probe_interval >= 0 && p->window_ns > 0;
}

ratelimit *ratelimit_new(const rl_params *p, int64_t now)
{
    if (!params_valid(p))
        return NULL;
    ratelimit *rl = calloc(1, sizeof *rl);
    if (!rl)
        return NULL;
    rl->p = *p;
    rl->p.initial = clamp(p->initial, p->min, p->max);
    rl->rate = rl->ceiling = rl->p.initial;
    rl->last_adjustment = now;
    bucket_fill(rl, now);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    free(rl);
}

/* ---- events ---- */

static void events_begin(rl_events *ev)
{
    *ev = (rl_events){0};
}

static void events_end(const ratelimit *rl, rl_events *ev)
{
    ev->rate = rl->rate;
    ev->ceiling = rl->ceiling;
}

/* Log values to three decimals, spelled as the shortest round-trip form. */
static const char *num(double v, char buf[32])
{
    fmt_double(round(v * 1000) / 1000, buf, 32);
    return buf;
}

static void add_log(rl_events *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_log(rl_events *ev, const char *fmt, ...)
{
    if (ev->n_logs >= RL_LOG_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev->logs[ev->n_logs++], RL_LOG_LEN, fmt, ap);
    va_end(ap);
}

/* ---- window evaluation (§6.4) ---- */

/* More than 5 % rejected: fold the accepted rate into the ceiling and hold
 * just under it, never above the current rate. */
static double high_regime(ratelimit *rl, uint64_t c429, uint64_t total, int64_t wall, rl_events *ev)
{
    double e = (double)c429 / (double)total;
    double accepted = rl->rate * (1 - e);
    double old = rl->ceiling;
    rl->ceiling = fmax(rl->p.alpha * accepted + (1 - rl->p.alpha) * rl->ceiling, rl->p.min);
    rl->clean_windows = 0;
    rl->last_ceiling_update = wall;
    ev->ceiling_changed = true;
    double next = fmax(rl->ceiling * (1 - rl->p.margin), rl->p.min);
    next = fmin(next, rl->rate);
    ev->direction = RL_DECREASE;
    char a[32], b[32], r[32];
    add_log(ev, "rate limit: ceiling %s -> %s req/s, holding at %s req/s (429 share %.1f%%)",
            num(old, a), num(rl->ceiling, b), num(next, r), e * 100);
    return next;
}

/* Under 1 % rejected: a surviving probe raises the ceiling; then probe,
 * converge towards the hold point, or hold. */
static double clean_regime(ratelimit *rl, int64_t wall, rl_events *ev)
{
    char a[32], b[32], c[32];
    rl->clean_windows++;
    if (rl->rate > rl->ceiling) {
        add_log(ev, "rate limit: ceiling raised %s -> %s req/s", num(rl->ceiling, a), num(rl->rate, b));
        rl->ceiling = rl->rate;
        rl->last_ceiling_update = wall;
        ev->ceiling_changed = true;
    }
    double target = rl->ceiling * (1 - rl->p.margin);
    if (rl->p.probe_interval > 0 && rl->clean_windows >= rl->p.probe_interval && rl->rate < rl->p.max) {
        double next = fmin(rl->ceiling * (1 + rl->p.margin), rl->p.max);
        rl->clean_windows = 0;
        ev->direction = RL_PROBE;
        add_log(ev, "rate limit: probing at %s req/s above ceiling %s req/s", num(next, a),
                num(rl->ceiling, b));
        return next;
    }
    if (rl->rate < target) {
        double step = fmax(0.5 * (target - rl->rate), CONVERGE_MIN_STEP);
        double next = fmin(rl->rate + step, target);
        ev->direction = RL_INCREASE;
        add_log(ev, "rate limit: raising rate %s -> %s req/s (target %s req/s)", num(rl->rate, a),
                num(next, b), num(target, c));
        return next;
    }
    return rl->rate;
}

void ratelimit_try_adjust(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev)
{
    events_begin(ev);
    if (now - rl->last_adjustment < rl->p.window_ns) {
        events_end(rl, ev);
        return;
    }
    uint64_t c429 = rl->n429, total = rl->n429 + rl->nok;
    rl->n429 = rl->nok = 0;
    if (total == 0) {
        events_end(rl, ev);
        return;
    }
    ev->evaluated = true;
    double next = rl->rate;
    /* e > 5 % and e < 1 %, compared exactly in integers */
    if (c429 * 20 > total)
        next = high_regime(rl, c429, total, wall, ev);
    else if (c429 * 100 < total)
        next = clean_regime(rl, wall, ev);
    if (next != rl->rate) {
        set_rate(rl, next, now);
        ev->rate_changed = true;
    }
    rl->last_adjustment = now;
    if (ev->ceiling_changed) {
        ev->persist = true;
        ev->snapshot = (ceilstate){rl->ceiling, rl->rate, rl->last_ceiling_update};
    }
    events_end(rl, ev);
}

void ratelimit_record_429(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev)
{
    rl->n429++;
    ratelimit_try_adjust(rl, now, wall, ev);
}

void ratelimit_record_success(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev)
{
    rl->nok++;
    ratelimit_try_adjust(rl, now, wall, ev);
}

/* ---- reset, restore, views ---- */

void ratelimit_reset(ratelimit *rl, double r, int64_t now, rl_events *ev)
{
    events_begin(ev);
    rl->rate = rl->ceiling = clamp(r, rl->p.min, rl->p.max);
    rl->clean_windows = 0;
    rl->n429 = rl->nok = 0;
    bucket_fill(rl, now);
    rl->last_adjustment = now;
    rl->last_ceiling_update = 0;
    rl->restored = false;
    ev->rate_changed = ev->ceiling_changed = true;
    char a[32];
    add_log(ev, "rate limiter reset: rate=%s req/s", num(rl->rate, a));
    events_end(rl, ev);
}

void ratelimit_restore(ratelimit *rl, const ceilstate *s, int64_t now, rl_events *ev)
{
    events_begin(ev);
    rl->ceiling = clamp(s->ceiling, rl->p.min, rl->p.max);
    set_rate(rl, clamp(s->hold, rl->p.min, rl->ceiling), now);
    rl->clean_windows = 0;
    rl->last_adjustment = now;
    rl->last_ceiling_update = s->ts_wall_ns;
    rl->restored = true;
    ev->rate_changed = ev->ceiling_changed = true;
    char a[32], b[32], ts[32];
    clock_fmt_rfc3339_ms(s->ts_wall_ns, ts);
    add_log(ev, "rate limit: resumed at ceiling %s req/s, holding at %s req/s (learned %s)",
            num(rl->ceiling, a), num(rl->rate, b), ts);
    events_end(rl, ev);
}

bool ratelimit_snapshot(const ratelimit *rl, ceilstate *out)
{
    if (rl->last_ceiling_update == 0)
        return false;
    *out = (ceilstate){rl->ceiling, rl->rate, rl->last_ceiling_update};
    return true;
}

void ratelimit_view(const ratelimit *rl, rl_view *out)
{
    out->rate = rl->rate;
    out->ceiling = rl->ceiling;
    out->hold = clamp(rl->ceiling * (1 - rl->p.margin), rl->p.min, rl->p.max);
    out->burst = rl->burst;
    out->clean_windows = rl->clean_windows;
    out->n429 = rl->n429;
    out->nok = rl->nok;
    out->last_adjustment = rl->last_adjustment;
    out->last_ceiling_update = rl->last_ceiling_update;
    out->restored_from_state = rl->restored;
}
