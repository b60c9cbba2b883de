/* metrics: storage and rendering of zai-proxy's own metric families.
 * Request series are keyed by (method, path, status); they live in a fixed
 * open-address table whose slots are claimed once under a mutex and then
 * updated lock-free, so the hot path never allocates. */
#include "metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "procstat.h"
#include "zaierr.h"

#define METHOD_COUNT 8
#define REQ_SLOTS 4096          /* power of two; 8 methods x 13 paths x statuses seen */
#define UPERR_STATUS_MIN 400
#define UPERR_STATUS_COUNT 200  /* 400..599 */
#define UP_STATUS_COUNT 601     /* 0 (transport) .. 600 */
#define SOURCE_BUCKETS 64
#define RETRY_REASONS 5
#define ZAI_CODE_SLOTS 1002     /* 1000..1999, "other", "none" */

static const char *const method_names[METHOD_COUNT] = {"GET", "POST", "PUT", "PATCH", "DELETE",
                                                        "HEAD", "OPTIONS", "OTHER"};
static const char *const uperr_names[UPERR_NAMED_COUNT] = {
    "upstream_connection", "upstream_timeout", "truncated_response", "empty_streaming",
    "read_error", "write_error", "internal"};

static const char *const retry_reasons[RETRY_REASONS] = {"network_error", "429", "5xx", "truncated_response",
                                                         "empty_streaming"};

static const double duration_bounds[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300};
static const double size_bounds[] = {100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
static const double wait_bounds[] = {.001, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10, 30, 60};
static const double ttfb_bounds[] = {.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600};
static const double overhead_bounds[] = {.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1};
#define NB(a) (sizeof(a) / sizeof((a)[0]))

typedef struct req_series {
    atomic_uint key;          /* 0 = free; else 1 + method*PATH*1000 + path*1000 + status */
    atomic_ullong count;
    prom_hist duration;
    prom_hist resp_size;
} req_series;

typedef struct up_series {
    atomic_uint used;
    prom_hist duration;
} up_series;

struct metrics {
    const proxy_config *cfg;
    metrics_gauge_fn gauges;
    void *gauges_ctx;
    pthread_mutex_t claim_mu;
    req_series *req;                                  /* REQ_SLOTS */
    prom_hist req_size[METHOD_COUNT][PATH_LABEL_COUNT];
    atomic_uint req_size_used[METHOD_COUNT][PATH_LABEL_COUNT];
    prom_hist queue_wait;
    atomic_ullong uperr_named[UPERR_NAMED_COUNT];
    atomic_ullong uperr_status[UPERR_STATUS_COUNT];
    up_series *up;                                    /* PATH_LABEL_COUNT x UP_STATUS_COUNT */
    prom_hist ttfb[PATH_LABEL_COUNT];
    atomic_uint ttfb_used[PATH_LABEL_COUNT];
    prom_hist overhead[PATH_LABEL_COUNT];
    atomic_uint overhead_used[PATH_LABEL_COUNT];
    atomic_ullong rejections[SOURCE_BUCKETS][2];
    atomic_ullong retries[RETRY_REASONS];
    atomic_ullong conc_adjust[2];                     /* decrease, increase */
    atomic_ullong zai_errors[ZAI_CLASS_COUNT][ZAI_CODE_SLOTS];
};

int metrics_method_index(const char *method)
{
    for (int i = 0; i < METHOD_COUNT - 1; i++)
        if (strcmp(method, method_names[i]) == 0)
            return i;
    return METHOD_COUNT - 1;
}

metrics *metrics_new(const proxy_config *c, metrics_gauge_fn gauges, void *gauges_ctx)
{
    metrics *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cfg = c;
    m->gauges = gauges;
    m->gauges_ctx = gauges_ctx;
    pthread_mutex_init(&m->claim_mu, NULL);
    m->req = calloc(REQ_SLOTS, sizeof *m->req);
    m->up = calloc((size_t)PATH_LABEL_COUNT * UP_STATUS_COUNT, sizeof *m->up);
    if (!m->req || !m->up || prom_hist_init(&m->queue_wait, wait_bounds, NB(wait_bounds)) != 0) {
        metrics_free(m);
        return NULL;
    }
    return m;
}

static void free_if(prom_hist *h)
{
    if (h->counts)
        prom_hist_free(h);
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; m->req && i < REQ_SLOTS; i++) {
        free_if(&m->req[i].duration);
        free_if(&m->req[i].resp_size);
    }
    for (size_t i = 0; m->up && i < (size_t)PATH_LABEL_COUNT * UP_STATUS_COUNT; i++)
        free_if(&m->up[i].duration);
    for (int i = 0; i < METHOD_COUNT; i++)
        for (int j = 0; j < PATH_LABEL_COUNT; j++)
            free_if(&m->req_size[i][j]);
    for (int j = 0; j < PATH_LABEL_COUNT; j++) {
        free_if(&m->ttfb[j]);
        free_if(&m->overhead[j]);
    }
    free_if(&m->queue_wait);
    free(m->req);
    free(m->up);
    pthread_mutex_destroy(&m->claim_mu);
    free(m);
}

/* Lazily initialises a histogram the first time its series is used; `used`
 * is the publication flag readers check before touching the histogram. */
static prom_hist *lazy_hist(metrics *m, prom_hist *h, atomic_uint *used, const double *b, size_t nb)
{
    if (atomic_load_explicit(used, memory_order_acquire))
        return h;
    pthread_mutex_lock(&m->claim_mu);
    if (!atomic_load_explicit(used, memory_order_relaxed) && prom_hist_init(h, b, nb) == 0)
        atomic_store_explicit(used, 1, memory_order_release);
    pthread_mutex_unlock(&m->claim_mu);
    return atomic_load_explicit(used, memory_order_acquire) ? h : NULL;
}

static req_series *req_slot(metrics *m, int method, path_label path, int status)
{
    unsigned key = 1u + (unsigned)method * PATH_LABEL_COUNT * 1000u + (unsigned)path * 1000u + (unsigned)status;
    unsigned h = (key * 2654435761u) & (REQ_SLOTS - 1);
    for (unsigned probe = 0; probe < REQ_SLOTS; probe++) {
        req_series *s = &m->req[(h + probe) & (REQ_SLOTS - 1)];
        unsigned k = atomic_load_explicit(&s->key, memory_order_acquire);
        if (k == key)
            return s;
        if (k != 0)
            continue;
        pthread_mutex_lock(&m->claim_mu);
        k = atomic_load_explicit(&s->key, memory_order_relaxed);
        if (k == 0 && prom_hist_init(&s->duration, duration_bounds, NB(duration_bounds)) == 0 &&
            prom_hist_init(&s->resp_size, size_bounds, NB(size_bounds)) == 0) {
            atomic_store_explicit(&s->key, key, memory_order_release);
            k = key;
        }
        pthread_mutex_unlock(&m->claim_mu);
        if (k == key)
            return s;
        if (k == 0)
            return NULL;
    }
    return NULL;
}

void metrics_request_done(metrics *m, int method, path_label path, int status, double seconds,
                          uint64_t response_bytes)
{
    if (status < 100 || status > 599)
        status = 500;
    req_series *s = req_slot(m, method, path, status);
    if (!s)
        return;
    prom_hist_observe(&s->duration, seconds);
    prom_hist_observe(&s->resp_size, (double)response_bytes);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

void metrics_request_size(metrics *m, int method, path_label path, uint64_t bytes)
{
    prom_hist *h = lazy_hist(m, &m->req_size[method][path], &m->req_size_used[method][path], size_bounds,
                             NB(size_bounds));
    if (h)
        prom_hist_observe(h, (double)bytes);
}

void metrics_queue_wait(metrics *m, double seconds)
{
    prom_hist_observe(&m->queue_wait, seconds);
}

void metrics_upstream_error(metrics *m, upstream_error e)
{
    atomic_fetch_add_explicit(&m->uperr_named[e], 1, memory_order_relaxed);
}

void metrics_upstream_status_error(metrics *m, int status)
{
    if (status >= UPERR_STATUS_MIN && status < UPERR_STATUS_MIN + UPERR_STATUS_COUNT)
        atomic_fetch_add_explicit(&m->uperr_status[status - UPERR_STATUS_MIN], 1, memory_order_relaxed);
}

void metrics_upstream_attempt(metrics *m, path_label path, int upstream_status, double seconds)
{
    if (upstream_status < 0 || upstream_status >= UP_STATUS_COUNT)
        upstream_status = 0;
    up_series *s = &m->up[(size_t)path * UP_STATUS_COUNT + (size_t)upstream_status];
    prom_hist *h = lazy_hist(m, &s->duration, &s->used, duration_bounds, NB(duration_bounds));
    if (h)
        prom_hist_observe(h, seconds);
}

void metrics_upstream_ttfb(metrics *m, path_label path, double seconds)
{
    prom_hist *h = lazy_hist(m, &m->ttfb[path], &m->ttfb_used[path], ttfb_bounds, NB(ttfb_bounds));
    if (h)
        prom_hist_observe(h, seconds);
}

void metrics_overhead(metrics *m, path_label path, double seconds)
{
    prom_hist *h = lazy_hist(m, &m->overhead[path], &m->overhead_used[path], overhead_bounds,
                             NB(overhead_bounds));
    if (h)
        prom_hist_observe(h, seconds);
}

void metrics_rejection(metrics *m, int source_bucket, int queue_timeout)
{
    atomic_fetch_add_explicit(&m->rejections[source_bucket & 63][queue_timeout ? 1 : 0], 1,
                              memory_order_relaxed);
}

/* The labels of a request series from its slot key; false for a free slot. */
static bool req_labels(const metrics *m, const req_series *s, char status[16], prom_label l[4])
{
    unsigned k = atomic_load_explicit(&s->key, memory_order_acquire);
    if (!k)
        return false;
    unsigned v = k - 1;
    snprintf(status, 16, "%u", v % 1000);
    l[0] = (prom_label){"method", method_names[v / (PATH_LABEL_COUNT * 1000)]};
    l[1] = (prom_label){"path", route_path_label_name((path_label)(v / 1000 % PATH_LABEL_COUNT))};
    l[2] = (prom_label){"status_code", status};
    l[3] = (prom_label){"variant", m->cfg->variant};
    return true;
}

static void render_requests(metrics *m, strbuf *out)
{
    const char *variant = m->cfg->variant;
    char status[16];
    prom_label l[4];
    prom_family(out, "zai_proxy_requests_total", PROM_COUNTER,
                "Total number of proxied requests by method, path template, status code and deployment variant.");
    for (size_t i = 0; i < REQ_SLOTS; i++)
        if (req_labels(m, &m->req[i], status, l))
            prom_sample(out, "zai_proxy_requests_total", l, 4,
                        (double)atomic_load_explicit(&m->req[i].count, memory_order_relaxed));
    for (int pass = 0; pass < 2; pass++) {
        const char *name = pass ? "zai_proxy_response_size_bytes" : "zai_proxy_request_duration_seconds";
        prom_family(out, name, PROM_HISTOGRAM,
                    pass ? "Bytes of response body written to the client."
                         : "Time from receiving a request to its completion, full stream included.");
        for (size_t i = 0; i < REQ_SLOTS; i++)
            if (req_labels(m, &m->req[i], status, l))
                prom_hist_write(out, name, l, 4, pass ? &m->req[i].resp_size : &m->req[i].duration);
    }
    prom_family(out, "zai_proxy_request_size_bytes", PROM_HISTOGRAM, "Bytes of request body received.");
    for (int i = 0; i < METHOD_COUNT; i++)
        for (int j = 0; j < PATH_LABEL_COUNT; j++) {
            if (!atomic_load_explicit(&m->req_size_used[i][j], memory_order_acquire))
                continue;
            prom_label sl[] = {{"method", method_names[i]}, {"path", route_path_label_name((path_label)j)},
                               {"variant", variant}};
            prom_hist_write(out, "zai_proxy_request_size_bytes", sl, 3, &m->req_size[i][j]);
        }
}

static void gauge1(strbuf *out, const char *name, const char *help, const char *variant, double v)
{
    prom_label l[] = {{"variant", variant}};
    prom_family(out, name, PROM_GAUGE, help);
    prom_sample(out, name, l, 1, v);
}

static void render_admission(metrics *m, strbuf *out)
{
    const char *variant = m->cfg->variant;
    metrics_gauges g = {0};
    m->gauges(m->gauges_ctx, &g);
    gauge1(out, "zai_proxy_concurrent_requests", "Requests currently holding a worker slot.", variant, g.in_flight);
    gauge1(out, "zai_proxy_max_workers", "Configured maximum number of concurrent upstream requests (MAX_WORKERS).",
           variant, m->cfg->max_workers);
    gauge1(out, "zai_proxy_worker_utilization_ratio", "Share of worker slots in use (0..1).", variant,
           (double)g.in_flight / m->cfg->max_workers);
    gauge1(out, "zai_proxy_concurrency_limit", "Current concurrency limit.", variant, g.concurrency_limit);
    prom_family(out, "zai_proxy_concurrency_adjustments_total", PROM_COUNTER,
                "Changes of the adaptive concurrency limit (decrease on Z.AI 1302, increase on saturated successes).");
    for (int i = 0; i < 2; i++) {
        unsigned long long n = atomic_load_explicit(&m->conc_adjust[i], memory_order_relaxed);
        prom_label l[] = {{"direction", i ? "increase" : "decrease"}, {"variant", variant}};
        if (n)
            prom_sample(out, "zai_proxy_concurrency_adjustments_total", l, 2, (double)n);
    }
    prom_family(out, "zai_proxy_queue_depth", PROM_GAUGE, "Requests waiting for a worker slot or a rate token.");
    prom_label slot[] = {{"stage", "slot"}, {"variant", variant}};
    prom_label rate[] = {{"stage", "rate"}, {"variant", variant}};
    prom_sample(out, "zai_proxy_queue_depth", slot, 2, g.queued_slot);
    prom_sample(out, "zai_proxy_queue_depth", rate, 2, g.queued_rate);
    prom_label v[] = {{"variant", variant}};
    prom_family(out, "zai_proxy_queue_wait_seconds", PROM_HISTOGRAM, "Time spent waiting for a worker slot.");
    prom_hist_write(out, "zai_proxy_queue_wait_seconds", v, 1, &m->queue_wait);
    prom_family(out, "zai_proxy_rate_limit_rejections_total", PROM_COUNTER,
                "Requests rejected by admission (queue full or wait timed out), by source bucket.");
    for (int b = 0; b < SOURCE_BUCKETS; b++)
        for (int r = 0; r < 2; r++) {
            unsigned long long n = atomic_load_explicit(&m->rejections[b][r], memory_order_relaxed);
            if (!n)
                continue;
            char client[24];
            snprintf(client, sizeof client, "source-%02d", b);
            prom_label l[] = {{"variant", variant}, {"client", client},
                              {"reason", r ? "queue_timeout" : "queue_full"}};
            prom_sample(out, "zai_proxy_rate_limit_rejections_total", l, 3, (double)n);
        }
}

void metrics_concurrency_adjustment(metrics *m, bool increase)
{
    atomic_fetch_add_explicit(&m->conc_adjust[increase ? 1 : 0], 1, memory_order_relaxed);
}

void metrics_retry(metrics *m, const char *reason)
{
    for (int i = 0; i < RETRY_REASONS; i++)
        if (strcmp(reason, retry_reasons[i]) == 0)
            atomic_fetch_add_explicit(&m->retries[i], 1, memory_order_relaxed);
}

static int code_slot(const char *label)
{
    if (strcmp(label, "none") == 0)
        return ZAI_CODE_SLOTS - 1;
    long code = strtol(label, NULL, 10);
    return code >= 1000 && code <= 1999 ? (int)(code - 1000) : ZAI_CODE_SLOTS - 2;
}

void metrics_zai_error(metrics *m, int cls, const char *code_label)
{
    if (cls >= 0 && cls < ZAI_CLASS_COUNT)
        atomic_fetch_add_explicit(&m->zai_errors[cls][code_slot(code_label)], 1, memory_order_relaxed);
}

static void render_retries(metrics *m, strbuf *out)
{
    const char *variant = m->cfg->variant;
    prom_family(out, "zai_proxy_retry_attempts_total", PROM_COUNTER, "Upstream retries by reason.");
    for (int i = 0; i < RETRY_REASONS; i++) {
        unsigned long long n = atomic_load_explicit(&m->retries[i], memory_order_relaxed);
        prom_label l[] = {{"reason", retry_reasons[i]}, {"variant", variant}};
        if (n)
            prom_sample(out, "zai_proxy_retry_attempts_total", l, 2, (double)n);
    }
    prom_family(out, "zai_proxy_zai_errors_total", PROM_COUNTER,
                "Classified Z.AI error responses and in-stream error events by class and business code.");
    char code[8];
    for (int c = 0; c < ZAI_CLASS_COUNT; c++)
        for (int i = 0; i < ZAI_CODE_SLOTS; i++) {
            unsigned long long n = atomic_load_explicit(&m->zai_errors[c][i], memory_order_relaxed);
            if (!n)
                continue;
            if (i < 1000)
                snprintf(code, sizeof code, "%d", 1000 + i);
            else
                snprintf(code, sizeof code, "%s", i == ZAI_CODE_SLOTS - 1 ? "none" : "other");
            prom_label l[] = {{"class", zaierr_class_name((zai_class)c)}, {"code", code}, {"variant", variant}};
            prom_sample(out, "zai_proxy_zai_errors_total", l, 3, (double)n);
        }
}

static void render_upstream(metrics *m, strbuf *out)
{
    const char *variant = m->cfg->variant;
    char status[16];
    prom_family(out, "zai_proxy_upstream_errors_total", PROM_COUNTER,
                "Upstream failures by error type or upstream HTTP status.");
    for (int i = 0; i < UPERR_NAMED_COUNT; i++) {
        unsigned long long n = atomic_load_explicit(&m->uperr_named[i], memory_order_relaxed);
        prom_label l[] = {{"error_type", uperr_names[i]}, {"variant", variant}};
        if (n)
            prom_sample(out, "zai_proxy_upstream_errors_total", l, 2, (double)n);
    }
    for (int i = 0; i < UPERR_STATUS_COUNT; i++) {
        unsigned long long n = atomic_load_explicit(&m->uperr_status[i], memory_order_relaxed);
        if (!n)
            continue;
        snprintf(status, sizeof status, "%d", UPERR_STATUS_MIN + i);
        prom_label l[] = {{"error_type", status}, {"variant", variant}};
        prom_sample(out, "zai_proxy_upstream_errors_total", l, 2, (double)n);
    }
    prom_family(out, "zai_proxy_upstream_duration_seconds", PROM_HISTOGRAM,
                "Upstream attempt duration, request start to last byte or failure.");
    for (int p = 0; p < PATH_LABEL_COUNT; p++)
        for (int s = 0; s < UP_STATUS_COUNT; s++) {
            up_series *u = &m->up[(size_t)p * UP_STATUS_COUNT + (size_t)s];
            if (!atomic_load_explicit(&u->used, memory_order_acquire))
                continue;
            snprintf(status, sizeof status, "%03d", s);
            prom_label l[] = {{"path", route_path_label_name((path_label)p)}, {"status_code", status},
                              {"variant", variant}};
            prom_hist_write(out, "zai_proxy_upstream_duration_seconds", l, 3, &u->duration);
        }
    for (int pass = 0; pass < 2; pass++) {
        const char *name = pass ? "zai_proxy_overhead_seconds" : "zai_proxy_upstream_ttfb_seconds";
        prom_family(out, name, PROM_HISTOGRAM,
                    pass ? "Time the proxy itself added to a request (total minus waits and upstream time)."
                         : "Upstream time to the status line, per attempt.");
        for (int p = 0; p < PATH_LABEL_COUNT; p++) {
            atomic_uint *used = pass ? &m->overhead_used[p] : &m->ttfb_used[p];
            if (!atomic_load_explicit(used, memory_order_acquire))
                continue;
            prom_label l[] = {{"path", route_path_label_name((path_label)p)}, {"variant", variant}};
            prom_hist_write(out, name, l, 2, pass ? &m->overhead[p] : &m->ttfb[p]);
        }
    }
}

static void render_build_info(metrics *m, strbuf *out)
{
    prom_family(out, "zai_proxy_build_info", PROM_GAUGE, "Build information; the value is always 1.");
    prom_label l[] = {{"version", m->cfg->version}, {"variant", m->cfg->variant},
                      {"commit", m->cfg->commit}, {"build_time", m->cfg->build_time}};
    prom_sample(out, "zai_proxy_build_info", l, 4, 1);
}

void metrics_render(metrics *m, strbuf *out)
{
    render_requests(m, out);
    render_admission(m, out);
    render_upstream(m, out);
    render_retries(m, out);
    render_build_info(m, out);
    procstat_write(out);
}
