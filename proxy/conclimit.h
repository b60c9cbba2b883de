/* conclimit: the adaptive concurrency limit L of PROXY.md §5.2, learned by
 * AIMD on Z.AI 1302 answers. A plain value type with no lock and no clock:
 * the caller serialises access (the admission mutex), feeds it, applies L
 * to admission, counts the returned adjustment and logs the change. */
#ifndef ZAI_PROXY_CONCLIMIT_H
#define ZAI_PROXY_CONCLIMIT_H

#include <stdbool.h>
#include <stdint.h>

typedef enum conc_direction { CONC_NONE = 0, CONC_INCREASE, CONC_DECREASE } conc_direction;

/* Fields are read through the functions below; they are public only so the
 * struct can be embedded. */
typedef struct conclimit {
    int limit;               /* L */
    int min, max, initial;   /* CONCURRENCY_MIN, MAX_WORKERS, CONCURRENCY_INITIAL */
    double factor;           /* CONCURRENCY_DECREASE_FACTOR */
    uint64_t epoch;
    int saturated_ok;        /* s: saturated successes since the last change */
} conclimit;

/* initial is clamped to [min, max] (config validation already ensures it). */
void conclimit_init(conclimit *cl, int initial, int min, int max, double factor);
int conclimit_limit(const conclimit *cl);
/* The epoch a request stores at slot admission (retries keep it). */
uint64_t conclimit_epoch(const conclimit *cl);
/* The request's `saturated` flag: in_flight counted after its admission >= L. */
bool conclimit_saturated(const conclimit *cl, int in_flight_after_admission);
/* An attempt classified `concurrency`: one decrease per epoch. Returns
 * CONC_DECREASE when the rule fired (also when L was already at min). */
conc_direction conclimit_on_concurrency_error(conclimit *cl, uint64_t admitted_epoch);
/* A request that completed with a final 2xx. */
conc_direction conclimit_on_success(conclimit *cl, bool saturated);
/* L back to CONCURRENCY_INITIAL, s = 0, and a new epoch so 1302 answers of
 * requests admitted before the reset do not cut the fresh limit. */
void conclimit_reset(conclimit *cl);

#endif
