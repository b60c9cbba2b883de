/* admission: worker slots and the bounded, fair admission queue (PROXY.md
 * §5.1). A request takes a slot at once when one is free and nobody waits;
 * otherwise it queues in its source bucket's FIFO, and freed slots are handed
 * out round-robin across the active buckets. Shared by all I/O threads under
 * one mutex.
 *
 * Hand-off: a slot freed on any thread is granted to the next waiter by
 * calling the waiter's on_grant (outside the lock). The waiter's owner must
 * not free it until that grant has been delivered, which is why
 * admission_cancel tells the caller whether a grant is already on its way. */
#ifndef ZAI_PROXY_ADMISSION_H
#define ZAI_PROXY_ADMISSION_H

#include <stdbool.h>
#include <stdint.h>
#include "conclimit.h"

#define ADMISSION_BUCKETS 64

typedef struct adm_waiter adm_waiter;
typedef void (*adm_grant_fn)(adm_waiter *w);

struct adm_waiter {
    adm_waiter *next;        /* owned by admission while queued */
    int bucket;              /* 0..63, the source bucket */
    int state;               /* private to admission */
    adm_grant_fn on_grant;   /* called once, on whichever thread freed the slot */
    uint64_t epoch;          /* set at admission: the concurrency epoch (§5.2) */
    bool saturated;          /* set at admission: in_flight reached the limit */
};

typedef enum { ADM_ADMITTED = 0, ADM_QUEUED, ADM_FULL } adm_result;

typedef struct admission admission;

/* With adaptive = NULL the limit is fixed; otherwise the limit is the
 * AIMD value of PROXY.md §5.2, initialised from *adaptive. */
admission *admission_new(int limit, int queue_max, const conclimit *adaptive);
void admission_free(admission *a);
adm_result admission_acquire(admission *a, adm_waiter *w);
/* Removes a queued waiter. Returns true if it was still queued (no slot is
 * held); false if a grant was already issued (the caller holds a slot and
 * will still receive on_grant). */
bool admission_cancel(admission *a, adm_waiter *w);
void admission_release(admission *a);
/* Feedback for the adaptive limit; both return the change made (CONC_NONE
 * when the limit is fixed). A decrease only delays new admissions. */
conc_direction admission_on_concurrency_error(admission *a, uint64_t epoch);
conc_direction admission_on_success(admission *a, bool saturated);
/* Back to the initial limit (POST /admin/reset-rate-limit); returns it. */
int admission_reset_limit(admission *a);
void admission_counts(admission *a, int *in_flight, int *queued, int *limit);

#endif
