/* fairsched: fair scheduling of rate-limiter tokens across client sources
 * (PROXY.md §6.6). Waiters queue in per-source FIFOs; the active sources are
 * served round-robin and only one waiter at a time, the head of the source
 * under the cursor, is dispatching: it gets the next token of the ratelimit
 * bucket. A source therefore gets at most one token before every other
 * active source gets one, and scheduling never adds or removes capacity.
 *
 * Pure logic driven by explicit `now` arguments: fairsched_grant says who is
 * granted at `now`, fairsched_next_at says when the next grant can happen
 * (the caller arms its timer there and calls fairsched_grant again; it also
 * does so after a cancel and after any rate change, since both can move the
 * next grant earlier). No lock inside: the caller holds the same mutex that
 * protects the ratelimit. Waiters are owned by the caller; fairsched only
 * links them. */
#ifndef ZAI_PROXY_FAIRSCHED_H
#define ZAI_PROXY_FAIRSCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ratelimit.h"

#define FAIRSCHED_BUCKETS 64
/* fairsched_next_at when nobody waits. */
#define FAIRSCHED_IDLE INT64_MAX

typedef struct fs_waiter {
    struct fs_waiter *prev, *next;  /* private: links in its source FIFO */
    int bucket;                     /* 0..63, set by the caller before enqueue */
    int state;                      /* private */
    int64_t queued_at;              /* set by fairsched_enqueue (wait metric, timeout) */
} fs_waiter;

typedef struct fairsched fairsched;

/* rl must outlive the scheduler. NULL on allocation failure. */
fairsched *fairsched_new(ratelimit *rl);
void fairsched_free(fairsched *fs);

/* Appends w, which must not be queued already, to its source's FIFO (the
 * source joins the active list if its FIFO was empty). The caller then calls
 * fairsched_grant: with a token and nobody ahead, w is granted at once. */
void fairsched_enqueue(fairsched *fs, fs_waiter *w, int64_t now);
/* Grants the dispatching waiter if a token has accrued by now, consuming it,
 * and returns it (no longer queued); NULL otherwise. Call until NULL. */
fs_waiter *fairsched_grant(fairsched *fs, int64_t now);
/* When the dispatching waiter's token will be available, or FAIRSCHED_IDLE. */
int64_t fairsched_next_at(fairsched *fs, int64_t now);
/* Removes a queued waiter; true if it was queued. A dispatching waiter's
 * token is not consumed: the next head dispatches instead. False if w is not
 * queued (already granted, or never enqueued). */
bool fairsched_cancel(fairsched *fs, fs_waiter *w);
/* Waiters currently queued (zai_proxy_queue_depth{stage="rate"}). */
size_t fairsched_queued(const fairsched *fs);
/* The waiter that will receive the next token, or NULL. */
const fs_waiter *fairsched_dispatching(const fairsched *fs);

/* Source identity: the IP text of a peer ("10.0.0.7:5000", "[fd00::1]:443"
 * and bare addresses all work; an unparsable peer is used whole, an empty or
 * NULL one is "unknown"), FNV-1a 32-bit modulo 64. */
int fairsched_source_bucket(const char *peer);
/* "source-NN". */
void fairsched_source_label(int bucket, char out[16]);

#endif
