/* prom: Prometheus text exposition format 0.0.4 writer (STACK.md §7).
 * Families get HELP and TYPE once, samples of a family are written together,
 * label values are escaped, numbers use Go float syntax with the shortest
 * round-trip spelling so bucket bounds never change between scrapes.
 *
 * The writer formats; it stores nothing. Modules keep their own counters
 * (pre-indexed arrays of atomics) and render them through these calls.
 * Histograms are rendered from per-bucket (non-cumulative) counts. */
#ifndef ZAI_PROM_H
#define ZAI_PROM_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct prom_label {
    const char *name;
    const char *value;
} prom_label;

typedef enum { PROM_COUNTER, PROM_GAUGE, PROM_HISTOGRAM } prom_type;

void prom_family(strbuf *out, const char *name, prom_type type, const char *help);
void prom_sample(strbuf *out, const char *name, const prom_label *labels, size_t nlabels, double value);
/* counts[i] = observations in bucket i (bounds[i-1], bounds[i]]; counts[nbounds]
 * = observations above the last bound. Writes _bucket (cumulative, with
 * le="+Inf"), _sum and _count. */
void prom_histogram(strbuf *out, const char *name, const prom_label *labels, size_t nlabels,
                    const double *bounds, size_t nbounds, const uint64_t *counts, double sum);

/* A lock-free histogram for hot paths: relaxed atomic bucket counters and a
 * sum kept in fixed-point micro-units. Bounds are shared and immutable. */
typedef struct prom_hist {
    const double *bounds;
    size_t nbounds;
    uint64_t *counts;          /* nbounds + 1 atomics */
    int64_t sum_micro;         /* atomic; sum * 1e6 */
} prom_hist;

int prom_hist_init(prom_hist *h, const double *bounds, size_t nbounds);
void prom_hist_free(prom_hist *h);
void prom_hist_observe(prom_hist *h, double v);
void prom_hist_write(strbuf *out, const char *name, const prom_label *labels, size_t nlabels,
                     const prom_hist *h);

#endif
