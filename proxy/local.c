/* local: the proxy's own endpoints (PROXY.md §12): /health (state view),
 * /ready (readiness), /metrics (exposition) and /admin/reset-rate-limit.
 * They bypass admission and are not counted in the request metrics. */
#include <stdio.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "auth.h"
#include "exchange_int.h"
#include "httpd.h"
#include "log.h"
#include "prom.h"

static void reply(struct evhttp_request *req, int status, const char *ctype, const strbuf *body)
{
    httpd_reply(req, status, ctype, body->data ? body->data : "", body->len);
}

static void reply_local_error(struct evhttp_request *req, proxy_error e, const char *allow)
{
    strbuf body = STRBUF_INIT;
    perr_body(e, API_OPENAI, &body);
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    if (allow)
        evhttp_add_header(h, "Allow", allow);
    if (perr_get(e)->www_authenticate)
        evhttp_add_header(h, "WWW-Authenticate", "Bearer");
    reply(req, perr_get(e)->status, "application/json", &body);
    strbuf_free(&body);
}

static void health_rate_limit(const proxy_config *c, strbuf *b)
{
    double hold = c->rate_initial * (1 - c->rate_margin);
    if (hold < c->rate_min)
        hold = c->rate_min;
    if (hold > c->rate_max)
        hold = c->rate_max;
    strbuf_puts(b, "\"rate_limit\":{\"current_rate\":");
    strbuf_json_double(b, c->rate_initial);
    strbuf_puts(b, ",\"ceiling\":");
    strbuf_json_double(b, c->rate_initial);
    strbuf_puts(b, ",\"hold\":");
    strbuf_json_double(b, hold);
    if (c->rate_state_file[0]) {
        strbuf_puts(b, ",\"state_file\":");
        strbuf_json_str(b, c->rate_state_file, strlen(c->rate_state_file));
    }
    strbuf_puts(b, ",\"restored_from_state\":false}");
}

static void health(worker *w, struct evhttp_request *req)
{
    proxy_shared *ps = w->ps;
    const proxy_config *c = &ps->cfg;
    int in_flight, queued, limit;
    admission_counts(ps->adm, &in_flight, &queued, &limit);
    strbuf b = STRBUF_INIT;
    strbuf_printf(&b,
                  "{\"concurrency\":{\"adaptive\":%s,\"limit\":%d,\"max_workers\":%d,\"in_flight\":%d,"
                  "\"queued\":%d,\"queue_max\":%d},\"quota\":{\"enabled\":false,\"fresh\":false},",
                  c->concurrency_adaptive ? "true" : "false", limit, c->max_workers, in_flight, queued,
                  c->queue_max);
    health_rate_limit(c, &b);
    strbuf_printf(&b, ",\"status\":\"ok\",\"upstream\":\"%s\"}", ps->upstream_simulator ? "simulator" : "zai");
    evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
    reply(req, 200, "application/json", &b);
    strbuf_free(&b);
}

static void ready(worker *w, struct evhttp_request *req)
{
    proxy_shared *ps = w->ps;
    strbuf b = STRBUF_INIT;
    if (atomic_load(&ps->ready) && !atomic_load(&ps->shutting_down)) {
        strbuf_puts(&b, "{\"status\":\"ready\"}");
        reply(req, 200, "application/json", &b);
    } else {
        strbuf_printf(&b, "{\"status\":\"not_ready\",\"reason\":\"%s\"}",
                      atomic_load(&ps->shutting_down) ? "shutting_down" : "starting");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "5");
        reply(req, 503, "application/json", &b);
    }
    strbuf_free(&b);
}

static void metrics_page(worker *w, struct evhttp_request *req)
{
    strbuf b = STRBUF_INIT;
    metrics_render(w->ps->metrics, &b);
    reply(req, 200, PROM_CONTENT_TYPE, &b);
    strbuf_free(&b);
}

static void admin_reset(worker *w, struct evhttp_request *req)
{
    proxy_shared *ps = w->ps;
    const proxy_config *c = &ps->cfg;
    const struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    char peer[64];
    httpd_peer_ip(req, peer, sizeof peer);
    if (c->admin_token[0] ? !auth_admin_token_ok(c, in) : !httpd_peer_is_loopback(req)) {
        reply_local_error(req, c->admin_token[0] ? PERR_ADMIN_UNAUTHORIZED : PERR_FORBIDDEN, NULL);
        return;
    }
    int limit = admission_reset_limit(ps->adm);
    log_rec *l = log_begin(LOG_WARN, "admin: rate limit reset");
    if (l) {
        log_str(l, "peer", peer);
        log_end(l);
    }
    strbuf b = STRBUF_INIT;
    strbuf_printf(&b, "{\"concurrency_limit\":%d,\"current_rate\":", limit);
    strbuf_json_double(&b, c->rate_initial);
    strbuf_puts(&b, ",\"status\":\"reset\"}");
    reply(req, 200, "application/json", &b);
    strbuf_free(&b);
}

void local_handle(worker *w, struct evhttp_request *req, const route *rt)
{
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    bool get = cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD;
    switch (rt->id) {
    case ROUTE_HEALTH:
        get ? health(w, req) : reply_local_error(req, PERR_METHOD_NOT_ALLOWED, "GET, HEAD");
        return;
    case ROUTE_READY:
        get ? ready(w, req) : reply_local_error(req, PERR_METHOD_NOT_ALLOWED, "GET, HEAD");
        return;
    case ROUTE_METRICS:
        get ? metrics_page(w, req) : reply_local_error(req, PERR_METHOD_NOT_ALLOWED, "GET, HEAD");
        return;
    case ROUTE_ADMIN_RESET:
        cmd == EVHTTP_REQ_POST ? admin_reset(w, req) : reply_local_error(req, PERR_METHOD_NOT_ALLOWED, "POST");
        return;
    default:
        reply_local_error(req, PERR_NOT_FOUND, NULL);
        return;
    }
}
