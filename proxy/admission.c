/* admission: slots and the fair queue. Per-bucket FIFOs plus a ring of
 * active buckets served round-robin, so one noisy client cannot starve the
 * others while they wait for a slot. */
#include "admission.h"

#include <pthread.h>
#include <stdlib.h>

enum { W_IDLE = 0, W_QUEUED, W_GRANTED };

typedef struct fifo {
    adm_waiter *head, *tail;
} fifo;

struct admission {
    pthread_mutex_t mu;
    int limit, queue_max;
    bool adaptive;
    conclimit cl;                    /* the limit's source when adaptive */
    int in_flight, queued;
    fifo buckets[ADMISSION_BUCKETS];
    int active[ADMISSION_BUCKETS];   /* ring of buckets with waiters, in arrival order */
    int nactive;
    int cursor;
};

admission *admission_new(int limit, int queue_max, const conclimit *adaptive)
{
    admission *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_mutex_init(&a->mu, NULL);
    a->limit = limit;
    a->queue_max = queue_max;
    if (adaptive) {
        a->adaptive = true;
        a->cl = *adaptive;
        a->limit = conclimit_limit(&a->cl);
    }
    return a;
}

void admission_free(admission *a)
{
    if (!a)
        return;
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static void active_remove_at(admission *a, int i)
{
    for (int j = i; j < a->nactive - 1; j++)
        a->active[j] = a->active[j + 1];
    a->nactive--;
    if (i < a->cursor)
        a->cursor--;
    if (a->cursor >= a->nactive)
        a->cursor = 0;
}

static void enqueue(admission *a, adm_waiter *w)
{
    fifo *q = &a->buckets[w->bucket];
    w->next = NULL;
    if (q->tail)
        q->tail->next = w;
    else {
        q->head = w;
        a->active[a->nactive++] = w->bucket;
    }
    q->tail = w;
    w->state = W_QUEUED;
    a->queued++;
}

/* Pops the head of the bucket under the cursor and advances the cursor. */
static adm_waiter *dequeue_next(admission *a)
{
    if (a->nactive == 0)
        return NULL;
    int b = a->active[a->cursor];
    fifo *q = &a->buckets[b];
    adm_waiter *w = q->head;
    q->head = w->next;
    if (!q->head) {
        q->tail = NULL;
        active_remove_at(a, a->cursor);
    } else {
        a->cursor = (a->cursor + 1) % a->nactive;
    }
    a->queued--;
    w->next = NULL;
    return w;
}

/* Under the lock: the waiter now holds a slot. */
static void stamp(admission *a, adm_waiter *w)
{
    w->state = W_GRANTED;
    w->epoch = a->adaptive ? conclimit_epoch(&a->cl) : 0;
    w->saturated = a->adaptive && conclimit_saturated(&a->cl, a->in_flight);
}

adm_result admission_acquire(admission *a, adm_waiter *w)
{
    adm_result r;
    pthread_mutex_lock(&a->mu);
    if (a->in_flight < a->limit && a->queued == 0) {
        a->in_flight++;
        stamp(a, w);
        r = ADM_ADMITTED;
    } else if (a->queued >= a->queue_max) {
        r = ADM_FULL;
    } else {
        enqueue(a, w);
        r = ADM_QUEUED;
    }
    pthread_mutex_unlock(&a->mu);
    return r;
}

static bool unlink_waiter(admission *a, adm_waiter *w)
{
    fifo *q = &a->buckets[w->bucket];
    adm_waiter *prev = NULL;
    for (adm_waiter *it = q->head; it; prev = it, it = it->next) {
        if (it != w)
            continue;
        if (prev)
            prev->next = w->next;
        else
            q->head = w->next;
        if (q->tail == w)
            q->tail = prev;
        if (!q->head) {
            for (int i = 0; i < a->nactive; i++)
                if (a->active[i] == w->bucket) {
                    active_remove_at(a, i);
                    break;
                }
        }
        a->queued--;
        return true;
    }
    return false;
}

bool admission_cancel(admission *a, adm_waiter *w)
{
    pthread_mutex_lock(&a->mu);
    bool removed = w->state == W_QUEUED && unlink_waiter(a, w);
    if (removed)
        w->state = W_IDLE;
    pthread_mutex_unlock(&a->mu);
    return removed;
}

/* Grants freed capacity to waiters; callbacks run after the lock is dropped. */
static void grant_waiting(admission *a)
{
    for (;;) {
        adm_waiter *w = NULL;
        pthread_mutex_lock(&a->mu);
        if (a->in_flight < a->limit) {
            w = dequeue_next(a);
            if (w) {
                a->in_flight++;
                stamp(a, w);
            }
        }
        pthread_mutex_unlock(&a->mu);
        if (!w)
            return;
        w->on_grant(w);
    }
}

void admission_release(admission *a)
{
    pthread_mutex_lock(&a->mu);
    a->in_flight--;
    pthread_mutex_unlock(&a->mu);
    grant_waiting(a);
}

conc_direction admission_on_concurrency_error(admission *a, uint64_t epoch)
{
    if (!a->adaptive)
        return CONC_NONE;
    pthread_mutex_lock(&a->mu);
    conc_direction d = conclimit_on_concurrency_error(&a->cl, epoch);
    a->limit = conclimit_limit(&a->cl);
    pthread_mutex_unlock(&a->mu);
    return d;
}

conc_direction admission_on_success(admission *a, bool saturated)
{
    if (!a->adaptive)
        return CONC_NONE;
    pthread_mutex_lock(&a->mu);
    conc_direction d = conclimit_on_success(&a->cl, saturated);
    a->limit = conclimit_limit(&a->cl);
    pthread_mutex_unlock(&a->mu);
    if (d == CONC_INCREASE)
        grant_waiting(a);
    return d;
}

int admission_reset_limit(admission *a)
{
    pthread_mutex_lock(&a->mu);
    if (a->adaptive) {
        conclimit_reset(&a->cl);
        a->limit = conclimit_limit(&a->cl);
    }
    int limit = a->limit;
    pthread_mutex_unlock(&a->mu);
    grant_waiting(a);
    return limit;
}

void admission_counts(admission *a, int *in_flight, int *queued, int *limit)
{
    pthread_mutex_lock(&a->mu);
    *in_flight = a->in_flight;
    *queued = a->queued;
    *limit = a->limit;
    pthread_mutex_unlock(&a->mu);
}
