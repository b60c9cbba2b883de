/* fairsched: per-source FIFOs plus a ring of active sources served
 * round-robin, so one busy client cannot take every token while others
 * wait. Tokens are taken from the ratelimit bucket only at the moment of a
 * grant, which is what lets a cancelled dispatching waiter leave its token
 * to the next one. */
#include "fairsched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fnv.h"

enum { FS_IDLE = 0, FS_QUEUED };

typedef struct fifo {
    fs_waiter *head, *tail;
} fifo;

struct fairsched {
    ratelimit *rl;
    fifo buckets[FAIRSCHED_BUCKETS];
    int active[FAIRSCHED_BUCKETS];  /* sources with waiters, in arrival order */
    int nactive;
    int cursor;                     /* index into active of the dispatching source */
    size_t queued;
};

fairsched *fairsched_new(ratelimit *rl)
{
    fairsched *fs = calloc(1, sizeof *fs);
    if (fs)
        fs->rl = rl;
    return fs;
}

void fairsched_free(fairsched *fs)
{
    free(fs);
}

static int bucket_of(const fs_waiter *w)
{
    return (int)((unsigned)w->bucket % FAIRSCHED_BUCKETS);
}

/* The cursor keeps pointing at the same source when an earlier one leaves,
 * at the following one when its own source leaves, and wraps to 0. */
static void active_remove(fairsched *fs, int bucket)
{
    int i = 0;
    while (i < fs->nactive && fs->active[i] != bucket)
        i++;
    if (i == fs->nactive)
        return;
    memmove(&fs->active[i], &fs->active[i + 1], (size_t)(fs->nactive - i - 1) * sizeof *fs->active);
    fs->nactive--;
    if (i < fs->cursor)
        fs->cursor--;
    if (fs->cursor >= fs->nactive)
        fs->cursor = 0;
}

static void fifo_unlink(fifo *q, fs_waiter *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
}

void fairsched_enqueue(fairsched *fs, fs_waiter *w, int64_t now)
{
    int b = bucket_of(w);
    fifo *q = &fs->buckets[b];
    if (!q->head)
        fs->active[fs->nactive++] = b;
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->state = FS_QUEUED;
    w->queued_at = now;
    fs->queued++;
}

const fs_waiter *fairsched_dispatching(const fairsched *fs)
{
    return fs->nactive ? fs->buckets[fs->active[fs->cursor]].head : NULL;
}

fs_waiter *fairsched_grant(fairsched *fs, int64_t now)
{
    if (!fs->nactive || !ratelimit_try_take(fs->rl, now))
        return NULL;
    int b = fs->active[fs->cursor];
    fifo *q = &fs->buckets[b];
    fs_waiter *w = q->head;
    fifo_unlink(q, w);
    w->state = FS_IDLE;
    fs->queued--;
    if (q->head)
        fs->cursor = (fs->cursor + 1) % fs->nactive;
    else
        active_remove(fs, b);
    return w;
}

int64_t fairsched_next_at(fairsched *fs, int64_t now)
{
    return fs->nactive ? ratelimit_next_token_at(fs->rl, now) : FAIRSCHED_IDLE;
}

bool fairsched_cancel(fairsched *fs, fs_waiter *w)
{
    if (w->state != FS_QUEUED)
        return false;
    int b = bucket_of(w);
    fifo *q = &fs->buckets[b];
    fifo_unlink(q, w);
    w->state = FS_IDLE;
    fs->queued--;
    if (!q->head)
        active_remove(fs, b);
    return true;
}

size_t fairsched_queued(const fairsched *fs)
{
    return fs->queued;
}

/* Go's net.SplitHostPort: "[v6]:port" or "host:port" with a colon-free
 * host. False when the peer is not of that shape. */
static bool split_host(const char *peer, const char **host, size_t *n)
{
    if (peer[0] == '[') {
        const char *close = strchr(peer, ']');
        if (!close || close[1] != ':' || strchr(close + 2, '[') || strchr(close + 2, ']'))
            return false;
        *host = peer + 1;
        *n = (size_t)(close - peer - 1);
        return true;
    }
    const char *colon = strrchr(peer, ':');
    if (!colon || memchr(peer, ':', (size_t)(colon - peer)) || memchr(peer, '[', (size_t)(colon - peer)) ||
        memchr(peer, ']', (size_t)(colon - peer)))
        return false;
    *host = peer;
    *n = (size_t)(colon - peer);
    return true;
}

int fairsched_source_bucket(const char *peer)
{
    const char *host = peer;
    size_t n = peer ? strlen(peer) : 0;
    if (n && !split_host(peer, &host, &n)) {
        host = peer;
        n = strlen(peer);
    }
    if (!n) {
        host = "unknown";
        n = strlen(host);
    }
    return (int)(fnv1a32(host, n) % FAIRSCHED_BUCKETS);
}

void fairsched_source_label(int bucket, char out[16])
{
    snprintf(out, 16, "source-%02d", (int)((unsigned)bucket % FAIRSCHED_BUCKETS));
}
