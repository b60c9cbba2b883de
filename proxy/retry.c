/* retry: the per-outcome rules of the §7.3 table. Each row decides three
 * things independently: whether the limiters hear about the attempt (even on
 * the last allowed attempt), whether it may be retried at all, and the wait
 * shape (plain backoff, jittered backoff, max with the server's hints, or the
 * legacy two stacked waits of an unclassified 429). */
#include "retry.h"

#include <math.h>
#include <stddef.h>
#include "clock.h"

#define H_MAX_S (INT64_MAX / NS_PER_SEC)

int64_t retry_backoff_ns(int n)
{
    if (n < 1)
        n = 1;
    if (n > RETRY_N_CAP)
        n = RETRY_N_CAP;
    return NS_PER_SEC << (n - 1);
}

int64_t retry_jitter_ns(int64_t base_ns, double u)
{
    if (!(u >= 0 && u < 1))
        u = 0;
    int64_t half = base_ns / 2;
    return half + (int64_t)((double)half * u);
}

bool retry_parse_header(const char *v, int64_t *secs)
{
    if (!v)
        return false;
    while (*v == ' ' || *v == '\t')
        v++;
    int64_t s = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (s > (H_MAX_S - (*p - '0')) / 10)
            return false;
        s = s * 10 + (*p - '0');
    }
    if (p == v)
        return false;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p || s == 0)
        return false;
    *secs = s;
    return true;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* R in nanoseconds; zaierr bounds it to (0, 604800] s. */
static int64_t hint_ns(const retry_input *in)
{
    if (!in->has_hint || !(in->hint_s > 0))
        return 0;
    return (int64_t)llround(in->hint_s * (double)NS_PER_SEC);
}

static bool retryable_class(zai_class c)
{
    return c == ZAI_CONCURRENCY || c == ZAI_FREQUENCY || c == ZAI_MODEL_CONGESTION;
}

static bool retryable_5xx(int status)
{
    return status == 502 || status == 503 || status == 504 || status == 529;
}

/* Which row of the table applies: sets the feeds and reason, returns false
 * when the outcome is never retried. */
static bool classify_row(const retry_input *in, retry_decision *out)
{
    switch (in->outcome) {
    case RETRY_TRANSPORT:
        out->reason = "network_error";
        return true;
    case RETRY_TRUNCATED:
        out->reason = "truncated_response";
        return true;
    case RETRY_EMPTY_STREAMING:
        out->reason = "empty_streaming";
        return true;
    case RETRY_FIRST_BYTE_TIMEOUT:
        return false;
    case RETRY_HTTP_ERROR:
    case RETRY_STREAM_ERROR:
        break;
    }
    bool http = in->outcome == RETRY_HTTP_ERROR;
    out->feed_429 = in->cls == ZAI_FREQUENCY || (http && in->status == 429 && in->cls == ZAI_UNKNOWN);
    out->feed_concurrency = in->cls == ZAI_CONCURRENCY;
    if (retryable_class(in->cls) || (http && in->status == 429 && in->cls == ZAI_UNKNOWN)) {
        out->reason = "429";
        return true;
    }
    if (http && in->cls == ZAI_UNKNOWN && in->retry_on_5xx && retryable_5xx(in->status)) {
        out->reason = "5xx";
        return true;
    }
    return false;
}

static void add_wait(retry_decision *out, int64_t ns)
{
    out->waits_ns[out->n_waits++] = ns;
}

static void plan_waits(const retry_input *in, retry_decision *out)
{
    int64_t base = retry_backoff_ns(in->attempt >= RETRY_N_CAP ? RETRY_N_CAP : in->attempt + 1);
    int64_t h_s;
    int64_t h = retry_parse_header(in->retry_after, &h_s) ? h_s * NS_PER_SEC : 0;
    if (in->outcome != RETRY_HTTP_ERROR && in->outcome != RETRY_STREAM_ERROR) {
        add_wait(out, base);
        return;
    }
    switch (in->cls) {
    case ZAI_CONCURRENCY:
        add_wait(out, max64(base, max64(h, hint_ns(in))));
        return;
    case ZAI_FREQUENCY:
    case ZAI_MODEL_CONGESTION:
        add_wait(out, max64(retry_jitter_ns(base, in->u), max64(h, hint_ns(in))));
        return;
    default:
        break;
    }
    if (in->status == 429) {
        if (h)
            add_wait(out, h);
        add_wait(out, base);
        return;
    }
    add_wait(out, max64(retry_jitter_ns(base, in->u), h));
}

void retry_decide(const retry_input *in, retry_decision *out)
{
    *out = (retry_decision){0};
    bool retryable = classify_row(in, out);
    if (!retryable || in->attempt >= in->max_retries) {
        out->reason = NULL;
        return;
    }
    out->retry = true;
    plan_waits(in, out);
}
