/* retry: the retry policy of PROXY.md §7.3 as one pure decision. Given how an
 * upstream attempt ended (its outcome, Z.AI class, Retry-After header H, body
 * hint R) and a uniform random u, it says whether to retry, which limiters to
 * feed, the retry metric reason and the list of waits before the next
 * attempt. No clock, no I/O, no state: the caller runs the timers. */
#ifndef ZAI_PROXY_RETRY_H
#define ZAI_PROXY_RETRY_H

#include <stdbool.h>
#include <stdint.h>
#include "zaierr.h"

/* n (the 1-based number of the upcoming retry) is capped here. */
#define RETRY_N_CAP 32
#define RETRY_MAX_WAITS 2

typedef enum retry_outcome {
    RETRY_TRANSPORT = 0,     /* transport error before any response byte */
    RETRY_FIRST_BYTE_TIMEOUT,/* no headers in time: never retried (504) */
    RETRY_TRUNCATED,         /* 2xx non-SSE generation body empty or not JSON */
    RETRY_EMPTY_STREAMING,   /* 2xx SSE with zero bytes */
    RETRY_HTTP_ERROR,        /* status >= 400, classified by zaierr */
    RETRY_STREAM_ERROR       /* 2xx SSE whose first event is a classified error */
} retry_outcome;

typedef struct retry_input {
    retry_outcome outcome;
    int status;              /* upstream HTTP status (RETRY_HTTP_ERROR) */
    zai_class cls;           /* RETRY_HTTP_ERROR and RETRY_STREAM_ERROR */
    bool has_hint;           /* R, the body's retry hint (zai_error.retry_after) */
    double hint_s;
    const char *retry_after; /* the raw upstream Retry-After value, NULL if absent */
    int attempt;             /* 0-based index of the attempt that just ended */
    int max_retries;
    bool retry_on_5xx;
    double u;                /* uniform in [0, 1); anything else counts as 0 */
} retry_input;

typedef struct retry_decision {
    bool retry;              /* false: the attempt's response is final */
    bool feed_429;           /* ratelimit record_429 (also on the last attempt) */
    bool feed_concurrency;   /* conclimit decrease (also on the last attempt) */
    const char *reason;      /* retry_attempts_total{reason} when retrying, else NULL */
    int n_waits;             /* waits in order, 0 when not retrying */
    int64_t waits_ns[RETRY_MAX_WAITS];
} retry_decision;

void retry_decide(const retry_input *in, retry_decision *out);

/* backoff(n) = 2^(n-1) s, n clamped to [1, RETRY_N_CAP]. */
int64_t retry_backoff_ns(int n);
/* base/2 + base/2 * u, u outside [0, 1) or NaN taken as 0. */
int64_t retry_jitter_ns(int64_t base_ns, double u);
/* H: a positive decimal integer of seconds (surrounding blanks allowed).
 * HTTP-dates, 0, signs, garbage and values too large to wait for -> false. */
bool retry_parse_header(const char *v, int64_t *secs);

#endif
