/* conclimit: additive increase (one step after L saturated successes, the
 * limit only grows when it was actually tested), multiplicative decrease on
 * 1302 with epochs so a burst of 1302 answers from one generation of requests
 * cuts the limit once, like TCP's one reduction per round trip. */
#include "conclimit.h"

#include <math.h>

void conclimit_init(conclimit *cl, int initial, int min, int max, double factor)
{
    cl->min = min;
    cl->max = max;
    cl->initial = initial < min ? min : initial > max ? max : initial;
    cl->factor = factor;
    cl->limit = cl->initial;
    cl->epoch = 0;
    cl->saturated_ok = 0;
}

int conclimit_limit(const conclimit *cl)
{
    return cl->limit;
}

uint64_t conclimit_epoch(const conclimit *cl)
{
    return cl->epoch;
}

bool conclimit_saturated(const conclimit *cl, int in_flight_after_admission)
{
    return in_flight_after_admission >= cl->limit;
}

conc_direction conclimit_on_concurrency_error(conclimit *cl, uint64_t admitted_epoch)
{
    if (admitted_epoch != cl->epoch)
        return CONC_NONE;
    int next = (int)floor((double)cl->limit * cl->factor);
    cl->limit = next < cl->min ? cl->min : next;
    cl->epoch++;
    cl->saturated_ok = 0;
    return CONC_DECREASE;
}

conc_direction conclimit_on_success(conclimit *cl, bool saturated)
{
    if (!saturated)
        return CONC_NONE;
    /* s stops at L while L sits at max: it only matters once it reaches L */
    if (cl->saturated_ok < cl->limit)
        cl->saturated_ok++;
    if (cl->saturated_ok < cl->limit || cl->limit >= cl->max)
        return CONC_NONE;
    cl->limit++;
    cl->saturated_ok = 0;
    return CONC_INCREASE;
}

void conclimit_reset(conclimit *cl)
{
    cl->limit = cl->initial;
    cl->epoch++;
    cl->saturated_ok = 0;
}
