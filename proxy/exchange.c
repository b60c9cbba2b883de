/* exchange: the lifecycle of a proxied request on its worker thread —
 * receive, route, authenticate, admission, hand over to upstream.c, and the
 * single completion path (px_finish) every outcome goes through. Client
 * disconnects are noticed through evhttp's close callback and, while the
 * proxy is not writing, through a read probe on the socket (STACK.md §4). */
#include "exchange.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>
#include "auth.h"
#include "clock.h"
#include "exchange_int.h"
#include "fairsched.h"
#include "headers.h"
#include "httpd.h"
#include "log.h"
#include "rng.h"

#define PROBE_DELAY_US 200000

pxreq *container_of_waiter(adm_waiter *w)
{
    return (pxreq *)((char *)w - offsetof(pxreq, waiter));
}

static void on_timer(evutil_socket_t fd, short what, void *arg);

void px_timer_arm(pxreq *r, timer_kind kind, int64_t ns)
{
    if (!r->timer)
        r->timer = evtimer_new(r->w->base, on_timer, r);
    r->timer_kind = kind;
    struct timeval tv = {(time_t)(ns / NS_PER_SEC), (suseconds_t)(ns % NS_PER_SEC / 1000)};
    evtimer_add(r->timer, &tv);
}

void px_timer_stop(pxreq *r)
{
    if (r->timer)
        evtimer_del(r->timer);
    r->timer_kind = TK_NONE;
}

/* ---- client disconnects ---- */

static void cancel_for_client(pxreq *r)
{
    switch (r->state) {
    case RS_QUEUED:
        px_timer_stop(r);
        if (admission_cancel(r->w->ps->adm, &r->waiter))
            px_finish(r, OUT_CLIENT_CLOSED);
        else
            r->state = RS_GRANT_ABANDONED;
        return;
    case RS_ATTEMPT:
        upstream_abort(r);
        px_finish(r, OUT_CLIENT_CLOSED);
        return;
    case RS_BACKOFF:
    case RS_NEW:
        px_finish(r, OUT_CLIENT_CLOSED);
        return;
    case RS_GRANT_ABANDONED:
    case RS_DONE:
        return;
    }
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    pxreq *r = arg;
    if (r->client_gone)
        return;
    r->client_gone = true;
    if (r->probe)
        event_del(r->probe);
    /* A request evhttp detached from the dying connection is ours to free;
     * one still attached is freed by evhttp right after this callback. */
    if (r->req && evhttp_request_get_connection(r->req) == NULL)
        r->orphaned = true;
    else
        r->req = NULL;
    r->evcon = NULL;
    if (r->status == 0)
        r->status = 499;
    if (r->in_curl_cb)
        return; /* the write callback sees client_gone and aborts the transfer */
    cancel_for_client(r);
}

/* Readable socket while we are not reading: EOF or an error is a client
 * that left; real bytes are a pipelined request, which we cannot watch
 * past, so the probe stops. */
static void on_probe(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    pxreq *r = arg;
    char c;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) {
        event_del(r->probe);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (r->evcon)
        evhttp_connection_free(r->evcon); /* runs on_client_close */
}

/* Most requests finish long before a departed client matters, so the socket
 * probe starts only after PROBE_DELAY: short requests pay no epoll change
 * for it, and a client that leaves is still noticed well within a second. */
static void on_probe_start(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pxreq *r = arg;
    struct bufferevent *bev = r->evcon ? evhttp_connection_get_bufferevent(r->evcon) : NULL;
    int sock = bev ? bufferevent_getfd(bev) : -1;
    if (sock < 0)
        return;
    event_assign(r->probe, r->w->base, sock, EV_READ | EV_PERSIST, on_probe, r);
    event_add(r->probe, NULL);
}

static void watch_client(pxreq *r)
{
    evhttp_connection_set_closecb(r->evcon, on_client_close, r);
    r->probe = event_new(r->w->base, -1, 0, on_probe_start, r);
    struct timeval delay = {0, PROBE_DELAY_US};
    if (r->probe)
        evtimer_add(r->probe, &delay);
}

static void on_reply_written(struct evhttp_request *req, void *arg)
{
    (void)req;
    worker *w = arg;
    w->n_unflushed--;
    worker_maybe_exit(w);
}

void px_detach_client(pxreq *r)
{
    if (r->probe) {
        event_free(r->probe);
        r->probe = NULL;
    }
    if (r->evcon && !r->client_gone && !r->detached) {
        r->detached = true;
        evhttp_connection_set_closecb(r->evcon, NULL, NULL);
        /* Registered before the final reply is issued (evhttp may complete it
         * synchronously); shutdown waits for it to leave the output buffer. */
        r->w->n_unflushed++;
        evhttp_request_set_on_complete_cb(r->req, on_reply_written, r->w);
    }
}

/* ---- completion ---- */

static const char *outcome_name(outcome o)
{
    static const char *const names[] = {"ok", "upstream_error", "proxy_error", "client_closed", "interrupted"};
    return names[o];
}

static void access_log(pxreq *r, int64_t now)
{
    log_rec *l = log_begin(LOG_INFO, "request");
    if (!l)
        return;
    int64_t total = now - r->t_start;
    log_str(l, "request_id", r->id);
    log_str(l, "method", r->method_name);
    log_str(l, "path", r->path);
    log_str(l, "route", route_path_label_name(r->rt.label));
    log_int(l, "status", r->status);
    log_ms(l, "duration_ms", (double)total / 1e6);
    log_ms(l, "queue_ms", (double)(r->t_queue_end ? r->t_queue_end - r->t_start : 0) / 1e6);
    log_ms(l, "ratelimit_ms", 0);
    log_ms(l, "upstream_ms", (double)r->upstream_ns / 1e6);
    log_ms(l, "ttfb_ms", r->ttfb_ns >= 0 ? (double)r->ttfb_ns / 1e6 : 0);
    log_int(l, "attempts", r->t_attempt ? r->attempt + 1 : 0);
    log_int(l, "bytes_in", (long long)r->body_len);
    log_int(l, "bytes_out", (long long)r->bytes_out);
    log_bool(l, "stream", r->up_sse);
    log_str(l, "model", r->model);
    char client[16];
    snprintf(client, sizeof client, "source-%02d", r->bucket);
    log_str(l, "client", client);
    log_str(l, "peer", r->peer);
    log_int(l, "tokens_in", 0);
    log_int(l, "tokens_out", 0);
    log_int(l, "tokens_cache_read", 0);
    log_int(l, "tokens_cache_write", 0);
    log_str(l, "token_source", "none");
    log_str(l, "error_class", r->error_class ? r->error_class : "");
    log_str(l, "error_code", r->error_code);
    if (r->error_type)
        log_str(l, "error_type", r->error_type);
    log_str(l, "outcome", outcome_name(r->result));
    log_end(l);
}

static void unlink_active(pxreq *r)
{
    worker *w = r->w;
    if (r->prev)
        r->prev->next = r->next;
    else
        w->active = r->next;
    if (r->next)
        r->next->prev = r->prev;
    w->n_active--;
}

void px_log_concurrency_change(proxy_shared *ps, const char *how)
{
    int in_flight, queued, limit;
    admission_counts(ps->adm, &in_flight, &queued, &limit);
    log_rec *l = log_begin(LOG_INFO, "concurrency limit changed");
    if (l) {
        log_str(l, "direction", how);
        log_int(l, "limit", limit);
        log_int(l, "in_flight", in_flight);
        log_end(l);
    }
}

void px_finish(pxreq *r, outcome o)
{
    worker *w = r->w;
    proxy_shared *ps = w->ps;
    int64_t now = clock_mono_ns();
    /* The final reply is written only after the request is accounted for, so
     * a client that got its answer finds it in /metrics. */
    struct evhttp_connection *reply_conn = r->detached && !r->client_gone ? r->evcon : NULL;
    r->state = RS_DONE;
    r->result = o;
    if (o == OUT_CLIENT_CLOSED)
        r->status = 499;
    px_timer_stop(r);
    px_detach_client(r);
    if (r->easy)
        upstream_abort(r);
    if (r->holds_slot) {
        r->holds_slot = false;
        if (o == OUT_OK && r->status >= 200 && r->status < 300 &&
            admission_on_success(ps->adm, r->waiter.saturated) == CONC_INCREASE) {
            metrics_concurrency_adjustment(ps->metrics, true);
            px_log_concurrency_change(ps, "increased");
        }
        admission_release(ps->adm);
    }
    int64_t total = now - r->t_start;
    metrics_request_done(ps->metrics, r->method, r->rt.label, r->status, clock_secs(total), r->bytes_out);
    if (r->t_attempt) {
        int64_t overhead = total - r->wait_ns - r->upstream_ns;
        metrics_overhead(ps->metrics, r->rt.label, clock_secs(overhead > 0 ? overhead : 0));
    }
    access_log(r, now);
    unlink_active(r);
    if (r->orphaned && r->req)
        evhttp_request_free(r->req);
    if (r->timer)
        event_free(r->timer);
    if (r->sse)
        sse_free(r->sse);
    if (r->held)
        evbuffer_free(r->held);
    if (r->body)
        evbuffer_free(r->body);
    if (r->hdrs)
        curl_slist_free_all(r->hdrs);
    strbuf_free(&r->url);
    free(r);
    httpd_flush(reply_conn);
    worker_maybe_exit(w);
}

/* ---- proxy-generated errors ---- */

static void add_error_headers(struct evkeyvalq *out, const perr_info *pi, const char *request_id)
{
    char ra[16];
    evhttp_add_header(out, "Content-Type", "application/json");
    evhttp_add_header(out, "X-Request-Id", request_id);
    if (pi->retry_after) {
        snprintf(ra, sizeof ra, "%d", pi->retry_after);
        evhttp_add_header(out, "Retry-After", ra);
    }
    if (pi->close)
        evhttp_add_header(out, "Connection", "close");
    if (pi->www_authenticate)
        evhttp_add_header(out, "WWW-Authenticate", "Bearer");
}

static void send_error(struct evhttp_request *req, proxy_error e, api_format fmt, const char *request_id)
{
    const perr_info *pi = perr_get(e);
    strbuf body = STRBUF_INIT;
    perr_body(e, fmt, &body);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    evhttp_clear_headers(out);
    add_error_headers(out, pi, request_id);
    if (evhttp_request_get_command(req) == EVHTTP_REQ_CONNECT) {
        /* evhttp treats every CONNECT answer as bodiless; delimit it ourselves. */
        char len[24];
        snprintf(len, sizeof len, "%zu", body.len);
        evhttp_add_header(out, "Content-Length", len);
        if (!pi->close)
            evhttp_add_header(out, "Connection", "close");
    }
    struct evbuffer *buf = evbuffer_new();
    if (buf && body.len)
        evbuffer_add(buf, body.data, body.len);
    evhttp_send_reply(req, pi->status, httpd_reason(pi->status), buf);
    if (buf)
        evbuffer_free(buf);
    strbuf_free(&body);
}

void px_reply_error(pxreq *r, proxy_error e)
{
    const perr_info *pi = perr_get(e);
    r->status = pi->status;
    px_detach_client(r);
    if (r->req && !r->client_gone)
        send_error(r->req, e, r->rt.format, r->id);
    px_finish(r, OUT_PROXY_ERROR);
}

/* ---- timers ---- */

static void on_queue_timeout(pxreq *r)
{
    /* A grant already on its way wins: the request proceeds when it lands. */
    if (!admission_cancel(r->w->ps->adm, &r->waiter))
        return;
    metrics_rejection(r->w->ps->metrics, r->bucket, 1);
    px_reply_error(r, PERR_QUEUE_TIMEOUT);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pxreq *r = arg;
    timer_kind kind = r->timer_kind;
    r->timer_kind = TK_NONE;
    switch (kind) {
    case TK_QUEUE:
        on_queue_timeout(r);
        break;
    case TK_BACKOFF:
        upstream_start_attempt(r);
        break;
    case TK_FIRST_BYTE:
    case TK_IDLE:
        upstream_on_timer(r, kind);
        break;
    case TK_NONE:
        break;
    }
}

/* ---- admission ---- */

static void on_grant(adm_waiter *aw)
{
    pxreq *r = container_of_waiter(aw);
    worker *w = r->w;
    pthread_mutex_lock(&w->mbox_mu);
    r->mbox_next = w->mbox_head;
    w->mbox_head = r;
    pthread_mutex_unlock(&w->mbox_mu);
    event_active(w->mbox_ev, EV_READ, 0);
}

static void admitted(pxreq *r)
{
    r->holds_slot = true;
    r->t_queue_end = clock_mono_ns();
    r->wait_ns += r->t_queue_end - r->t_start;
    metrics_queue_wait(r->w->ps->metrics, clock_secs(r->t_queue_end - r->t_start));
    upstream_start_attempt(r);
}

void exchange_deliver_grants(worker *w)
{
    pthread_mutex_lock(&w->mbox_mu);
    pxreq *list = w->mbox_head;
    w->mbox_head = NULL;
    pthread_mutex_unlock(&w->mbox_mu);
    while (list) {
        pxreq *r = list;
        list = r->mbox_next;
        px_timer_stop(r);
        if (r->state == RS_GRANT_ABANDONED) {
            r->holds_slot = true;
            px_finish(r, OUT_CLIENT_CLOSED);
        } else {
            admitted(r);
        }
    }
}

static void admit(pxreq *r)
{
    proxy_shared *ps = r->w->ps;
    r->waiter.bucket = r->bucket;
    r->waiter.on_grant = on_grant;
    switch (admission_acquire(ps->adm, &r->waiter)) {
    case ADM_ADMITTED:
        admitted(r);
        return;
    case ADM_QUEUED:
        r->state = RS_QUEUED;
        px_timer_arm(r, TK_QUEUE, ps->cfg.queue_timeout_ns);
        return;
    case ADM_FULL:
        metrics_rejection(ps->metrics, r->bucket, 0);
        px_reply_error(r, PERR_QUEUE_FULL);
        return;
    }
}

/* ---- receive ---- */

static void set_request_id(pxreq *r, const struct evkeyvalq *in)
{
    const char *id = evhttp_find_header(in, "X-Request-Id");
    if (id && headers_request_id_valid(id))
        snprintf(r->id, sizeof r->id, "%s", id);
    else
        rng_hex128(r->id);
}

static pxreq *pxreq_new(worker *w, struct evhttp_request *req, const char *uri, size_t pathlen)
{
    pxreq *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->w = w;
    r->req = req;
    r->evcon = evhttp_request_get_connection(req);
    r->t_start = clock_mono_ns();
    r->ttfb_ns = -1;
    r->method_name = httpd_method_name(req);
    r->method = metrics_method_index(r->method_name);
    snprintf(r->path, sizeof r->path, "%.*s", (int)pathlen, uri);
    snprintf(r->model, sizeof r->model, "other");
    httpd_peer_ip(req, r->peer, sizeof r->peer);
    r->bucket = fairsched_source_bucket(r->peer);
    set_request_id(r, evhttp_request_get_input_headers(req));
    r->next = w->active;
    if (w->active)
        w->active->prev = r;
    w->active = r;
    w->n_active++;
    return r;
}

/* Takes the body out of evhttp's input buffer (moving chains, not bytes) so
 * it outlives the client request if evhttp lets go of it. */
static bool take_body(pxreq *r)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
    r->body_len = evbuffer_get_length(in);
    if (r->body_len == 0)
        return true;
    r->body = evbuffer_new();
    if (!r->body || evbuffer_add_buffer(r->body, in) != 0)
        return false;
    r->body_ptr = evbuffer_pullup(r->body, -1);
    return r->body_ptr != NULL;
}

/* Stage 4 of §4 for generation and count-tokens routes: the request's model
 * as a bounded label. Invalid JSON is not rejected (the upstream decides). */
static void inspect_body(pxreq *r)
{
    if (!(r->rt.generation || r->rt.count_tokens) || !r->body_len)
        return;
    cJSON *root = cJSON_ParseWithLength((const char *)r->body_ptr, r->body_len);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (cJSON_IsString(m) && strlen(m->valuestring) < sizeof r->model) {
        char lower[sizeof r->model];
        size_t i = 0;
        for (; m->valuestring[i]; i++)
            lower[i] = (char)tolower((unsigned char)m->valuestring[i]);
        lower[i] = 0;
        if (config_has_model(&r->w->ps->cfg, lower))
            memcpy(r->model, lower, i + 1);
    }
    cJSON_Delete(root);
}

static void begin(pxreq *r, const char *uri, size_t pathlen)
{
    proxy_shared *ps = r->w->ps;
    const proxy_config *c = &ps->cfg;
    if (!take_body(r)) {
        px_reply_error(r, PERR_INTERNAL);
        return;
    }
    if (r->body_len)
        metrics_request_size(ps->metrics, r->method, r->rt.label, r->body_len);
    if ((long long)r->body_len > c->max_request_body) {
        px_reply_error(r, PERR_TOO_LARGE);
        return;
    }
    inspect_body(r);
    if (r->w->draining) {
        px_reply_error(r, PERR_SHUTTING_DOWN);
        return;
    }
    if (r->rt.id == ROUTE_BAD_PATH) {
        px_reply_error(r, PERR_BAD_REQUEST);
        return;
    }
    /* Unknown paths need a client key too (§2.3), so they cannot be probed. */
    const struct evkeyvalq *in = evhttp_request_get_input_headers(r->req);
    if (!auth_client_ok(c, in)) {
        px_reply_error(r, PERR_UNAUTHORIZED);
        return;
    }
    if (r->rt.id == ROUTE_NOT_FOUND) {
        px_reply_error(r, PERR_NOT_FOUND);
        return;
    }
    const char *query = uri[pathlen] == '?' ? uri + pathlen + 1 : NULL;
    route_upstream_url(c, &r->rt, uri, pathlen, query, &r->url);
    r->hdrs = headers_upstream(in, r->rt.format, c->api_key, r->id, ps->user_agent);
    if (r->hdrs && r->body_len && !evhttp_find_header(in, "Content-Type"))
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type:");
    if (!r->hdrs || strbuf_failed(&r->url)) {
        px_reply_error(r, PERR_INTERNAL);
        return;
    }
    watch_client(r);
    admit(r);
}

void exchange_handle(struct evhttp_request *req, void *arg)
{
    worker *w = arg;
    /* evhttp answers its own parse failures; a missing URI is malformed. */
    const char *uri = evhttp_request_get_uri(req);
    if (!uri)
        uri = "";
    size_t pathlen = strcspn(uri, "?");
    route rt;
    route_resolve(uri, pathlen, &rt);
    if (rt.local) {
        local_handle(w, req, &rt);
        return;
    }
    pxreq *r = pxreq_new(w, req, uri, pathlen);
    if (!r) {
        send_error(req, PERR_INTERNAL, rt.format, "00000000000000000000000000000000");
        return;
    }
    r->rt = rt;
    begin(r, uri, pathlen);
}

void exchange_curl_done(CURL *easy, CURLcode result, void *priv)
{
    (void)easy;
    upstream_done(priv, result);
}

void exchange_drain(worker *w)
{
    pxreq *next;
    for (pxreq *r = w->active; r; r = next) {
        next = r->next;
        if (r->state == RS_QUEUED && admission_cancel(w->ps->adm, &r->waiter))
            px_reply_error(r, PERR_SHUTTING_DOWN);
    }
}

void exchange_deadline(worker *w)
{
    pxreq *next;
    for (pxreq *r = w->active; r; r = next) {
        next = r->next;
        if (r->state == RS_GRANT_ABANDONED)
            continue;
        if (r->committed)
            upstream_interrupt(r, UPERR_INTERNAL);
        else if (r->state == RS_QUEUED && !admission_cancel(w->ps->adm, &r->waiter))
            r->state = RS_GRANT_ABANDONED;
        else {
            if (r->easy)
                upstream_abort(r);
            px_reply_error(r, PERR_SHUTTING_DOWN);
        }
    }
}
