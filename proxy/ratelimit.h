/* ratelimit: the adaptive request-rate limiter of PROXY.md §6.1–§6.5 and
 * §6.7: an EWMA estimate of the upstream's ceiling, a hold point just below
 * it, probes above it after clean windows, and the token bucket that paces
 * admissions at the current rate.
 *
 * Pure logic: time is always an argument (`now` = monotonic ns for windows
 * and the bucket, `wall` = epoch ns for the ceiling's timestamp), there is
 * no lock, no logging, no file I/O and no metric. Every call that may change
 * something fills an rl_events the caller acts on after the call: count the
 * adjustment direction, set the gauges, wake the scheduler, log the lines,
 * and write the snapshot (ceilstate_save) after releasing its lock.
 *
 * Thread-safety: none inside. The caller serialises every call with one
 * mutex (the same one that protects the fair scheduler, which takes its
 * tokens from here). */
#ifndef ZAI_PROXY_RATELIMIT_H
#define ZAI_PROXY_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include "ceilstate.h"

struct proxy_config;

typedef struct rl_params {
    double initial, min, max;   /* req/s, 0 < min <= initial <= max */
    double alpha;               /* EWMA weight of the new observation, (0, 1] */
    double margin;              /* hold margin, (0, 1) */
    int probe_interval;         /* clean windows before a probe; 0 disables */
    int64_t window_ns;          /* > 0 */
} rl_params;

/* RATE_LIMIT_* from the validated configuration. */
void ratelimit_params_from_config(const struct proxy_config *c, rl_params *p);

/* zai_proxy_rate_limit_adjustments_total{direction} to count, if any. */
typedef enum rl_direction { RL_NONE = 0, RL_DECREASE, RL_INCREASE, RL_PROBE } rl_direction;

#define RL_LOG_MAX 2
#define RL_LOG_LEN 160

typedef struct rl_events {
    bool evaluated;             /* a window was evaluated */
    rl_direction direction;
    bool rate_changed;          /* set the rate gauge, wake the scheduler */
    bool ceiling_changed;       /* set the ceiling gauge */
    bool persist;               /* write `snapshot` (ceiling learned this call) */
    ceilstate snapshot;
    double rate, ceiling;       /* values after the call */
    int n_logs;                 /* INFO lines, in order */
    char logs[RL_LOG_MAX][RL_LOG_LEN];
} rl_events;

typedef struct rl_view {
    double rate, ceiling;
    double hold;                /* clamp(ceiling * (1 - margin), min, max) */
    double burst;               /* bucket capacity, burst(rate) */
    int clean_windows;
    uint64_t n429, nok;         /* counters of the current window */
    int64_t last_adjustment;    /* monotonic ns */
    int64_t last_ceiling_update;/* epoch ns; 0 until learned or restored */
    bool restored_from_state;
} rl_view;

typedef struct ratelimit ratelimit;

/* NULL on invalid parameters or allocation failure. initial is clamped into
 * [min, max]; the bucket starts full. */
ratelimit *ratelimit_new(const rl_params *p, int64_t now);
void ratelimit_free(ratelimit *rl);

/* burst(r) = 0 if r <= 0, else max(1, floor(2r)). */
double ratelimit_burst(double r);

/* Feedback (§6.3): increments its counter, then ratelimit_try_adjust. */
void ratelimit_record_429(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev);
void ratelimit_record_success(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev);
/* §6.4: evaluates the window if `window` has elapsed and it saw traffic. */
void ratelimit_try_adjust(ratelimit *rl, int64_t now, int64_t wall, rl_events *ev);

/* §6.7: rate = ceiling = r (clamped to [min, max]), a fresh full bucket,
 * nothing learned. The caller also deletes the state file. */
void ratelimit_reset(ratelimit *rl, double r, int64_t now, rl_events *ev);
/* §6.8: resume from a loaded snapshot, clamping ceiling to [min, max] and
 * the rate to [min, ceiling]. */
void ratelimit_restore(ratelimit *rl, const ceilstate *s, int64_t now, rl_events *ev);
/* The snapshot to write at graceful shutdown; false if nothing was learned. */
bool ratelimit_snapshot(const ratelimit *rl, ceilstate *out);

/* Token bucket (§6.2): takes one token if one has accrued by now. */
bool ratelimit_try_take(ratelimit *rl, int64_t now);
/* The earliest instant >= now at which ratelimit_try_take will succeed. */
int64_t ratelimit_next_token_at(ratelimit *rl, int64_t now);

void ratelimit_view(const ratelimit *rl, rl_view *out);

#endif
