/* metrics: zai-proxy's metric families (PROXY.md §13). Label vocabularies
 * are fixed, so every series is pre-indexed (arrays, or a fixed open-address
 * table for the (method, path, status) combinations) and updated with relaxed
 * atomics from any thread; /metrics renders a consistent-enough snapshot.
 * Gauges that mirror other modules' state (admission) are read at render
 * time through a callback so there is one source of truth. */
#ifndef ZAI_PROXY_METRICS_H
#define ZAI_PROXY_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "route.h"
#include "strbuf.h"

typedef struct metrics metrics;

/* The `error_type` label of zai_proxy_upstream_errors_total for errors that
 * are not an upstream HTTP status. */
typedef enum upstream_error {
    UPERR_CONNECTION = 0, UPERR_TIMEOUT, UPERR_TRUNCATED, UPERR_EMPTY_STREAMING,
    UPERR_READ, UPERR_WRITE, UPERR_INTERNAL, UPERR_NAMED_COUNT
} upstream_error;

typedef struct metrics_gauges {
    int in_flight;
    int queued_slot;
    int queued_rate;
    int concurrency_limit;
} metrics_gauges;

typedef void (*metrics_gauge_fn)(void *ctx, metrics_gauges *out);

metrics *metrics_new(const proxy_config *c, metrics_gauge_fn gauges, void *gauges_ctx);
void metrics_free(metrics *m);

/* Method label: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or OTHER. */
int metrics_method_index(const char *method);

/* One finished proxied request (every outcome, 499 included). */
void metrics_request_done(metrics *m, int method, path_label path, int status, double seconds,
                          uint64_t response_bytes);
void metrics_request_size(metrics *m, int method, path_label path, uint64_t bytes);
void metrics_queue_wait(metrics *m, double seconds);
void metrics_upstream_error(metrics *m, upstream_error e);
void metrics_upstream_status_error(metrics *m, int status);
void metrics_upstream_attempt(metrics *m, path_label path, int upstream_status, double seconds);
void metrics_upstream_ttfb(metrics *m, path_label path, double seconds);
void metrics_overhead(metrics *m, path_label path, double seconds);
void metrics_rejection(metrics *m, int source_bucket, int queue_timeout);
/* The adaptive concurrency limit moved (§5.2). */
void metrics_concurrency_adjustment(metrics *m, bool increase);
/* One retry decision; reason is one of network_error, 429, 5xx,
 * truncated_response, empty_streaming. */
void metrics_retry(metrics *m, const char *reason);
/* One classified upstream error response or in-stream error event; cls is
 * a zai_class, code_label "1000".."1999", "other" or "none". */
void metrics_zai_error(metrics *m, int cls, const char *code_label);

/* Renders every family in the exposition format. */
void metrics_render(metrics *m, strbuf *out);

#endif
