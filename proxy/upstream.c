/* upstream: one upstream attempt after another for a request that holds a
 * slot (PROXY.md §4.1–4.2, §7.1): configure a pooled easy handle, collect the
 * status and headers, hold the start of the body while a retry is still
 * possible, then commit and relay every chunk as it arrives with
 * back-pressure (pause the transfer above a high watermark of unsent client
 * bytes, resume when the client drains). Timeouts are own timers: first byte,
 * then idle between chunks; paused time never counts as idle. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include "clock.h"
#include "exchange_int.h"
#include "headers.h"
#include "httpd.h"
#include "log.h"
#include "retry.h"
#include "rng.h"
#include "zaierr.h"

#define HIGH_WATERMARK (256 * 1024)
#define SSE_HOLD_BYTES 4096
#define ERROR_HOLD_BYTES (32 * 1024 + 1)
#define JSON_HOLD_BYTES (32u * 1024 * 1024)

static size_t on_header(char *buf, size_t size, size_t n, void *arg);
static size_t on_body(char *ptr, size_t size, size_t n, void *arg);

static struct evkeyvalq *out_headers(pxreq *r)
{
    return r->req ? evhttp_request_get_output_headers(r->req) : NULL;
}

static void set_method(CURL *e, pxreq *r)
{
    const char *m = r->method_name;
    if (strcmp(m, "GET") == 0 && r->body_len == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (r->body_len || strcmp(m, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body_len ? (const char *)r->body_ptr : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
}

static void configure(CURL *e, pxreq *r)
{
    const proxy_config *c = &r->w->ps->cfg;
    curl_easy_setopt(e, CURLOPT_URL, r->url.data);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    set_method(e, r);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     c->upstream_http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->connect_timeout_ns / NS_PER_MS));
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (c->ca_bundle[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
}

static void reset_attempt_state(pxreq *r)
{
    r->up_status = 0;
    r->up_headers_done = false;
    r->up_sse = false;
    r->hold = HOLD_NONE;
    r->paused = false;
    r->up_retry_after[0] = 0;
    r->first_event_checked = false;
    r->first_event_error = false;
    if (r->held)
        evbuffer_drain(r->held, evbuffer_get_length(r->held));
    if (r->sse) {
        sse_free(r->sse);
        r->sse = NULL;
    }
    if (out_headers(r))
        evhttp_clear_headers(out_headers(r));
}

void upstream_start_attempt(pxreq *r)
{
    reset_attempt_state(r);
    r->easy = worker_easy_get(r->w);
    if (!r->easy) {
        metrics_upstream_error(r->w->ps->metrics, UPERR_INTERNAL);
        px_reply_error(r, PERR_INTERNAL);
        return;
    }
    configure(r->easy, r);
    r->state = RS_ATTEMPT;
    r->t_attempt = clock_mono_ns();
    px_timer_arm(r, TK_FIRST_BYTE, r->w->ps->cfg.first_byte_timeout_ns);
    /* On success the attempt may already be over (and r freed) on return. */
    if (curlev_add(r->w->curl, r->easy) != 0) {
        px_timer_stop(r);
        worker_easy_put(r->w, r->easy);
        r->easy = NULL;
        metrics_upstream_error(r->w->ps->metrics, UPERR_INTERNAL);
        px_reply_error(r, PERR_INTERNAL);
    }
}

/* Ends the running transfer (never from inside a curl callback) and books
 * the attempt's time. */
static void end_transfer(pxreq *r, bool remove)
{
    if (!r->easy)
        return;
    if (remove)
        curlev_remove(r->w->curl, r->easy);
    worker_easy_put(r->w, r->easy);
    r->easy = NULL;
    int64_t d = clock_mono_ns() - r->t_attempt;
    r->upstream_ns += d;
    metrics_upstream_attempt(r->w->ps->metrics, r->rt.label, r->up_headers_done ? r->up_status : 0, clock_secs(d));
}

void upstream_abort(pxreq *r)
{
    end_transfer(r, true);
}

/* ---- retries and errors before commit ---- */

/* Asks the retry policy (§7.3) about the attempt that just ended. On a
 * retry the backoff timer is armed and true returned; otherwise the caller
 * makes this attempt's response final. */
static bool try_retry(pxreq *r, retry_outcome o, const zai_error *e)
{
    const proxy_config *c = &r->w->ps->cfg;
    retry_input in = {
        .outcome = o, .status = r->up_status, .cls = e ? e->cls : ZAI_UNKNOWN,
        .has_hint = e && e->has_retry_after, .hint_s = e ? e->retry_after : 0,
        .retry_after = r->up_retry_after[0] ? r->up_retry_after : NULL,
        .attempt = r->attempt, .max_retries = c->max_retries, .retry_on_5xx = c->retry_on_5xx,
        .u = rng_unit(),
    };
    retry_decision d;
    retry_decide(&in, &d);
    if (!d.retry)
        return false;
    int64_t delay = 0;
    for (int i = 0; i < d.n_waits; i++)
        delay += d.waits_ns[i];
    metrics_retry(r->w->ps->metrics, d.reason);
    r->attempt++;
    log_rec *l = log_begin(LOG_INFO, "retrying");
    if (l) {
        log_str(l, "request_id", r->id);
        log_int(l, "attempt", r->attempt + 1);
        log_int(l, "max_attempts", c->max_retries + 1);
        log_str(l, "reason", d.reason);
        if (e) {
            log_str(l, "class", zaierr_class_name(e->cls));
            log_str(l, "code", r->error_code);
        }
        log_int(l, "delay_ms", delay / NS_PER_MS);
        log_end(l);
    }
    r->state = RS_BACKOFF;
    px_timer_arm(r, TK_BACKOFF, delay);
    return true;
}

/* A failure without a usable upstream response: retried, else 502. */
static void fail_or_retry(pxreq *r, upstream_error why, retry_outcome o)
{
    static const char *const names[] = {"upstream_connection", "upstream_timeout", "truncated_response",
                                        "empty_streaming", "read_error", "write_error", "internal"};
    metrics_upstream_error(r->w->ps->metrics, why);
    r->error_type = names[why];
    if (!try_retry(r, o, NULL))
        px_reply_error(r, PERR_UPSTREAM_ERROR);
}

/* Records a classified error body or in-stream error event (§7.2). */
static void note_error(pxreq *r, const zai_error *e)
{
    proxy_shared *ps = r->w->ps;
    zaierr_code_label(e, r->error_code);
    r->error_class = zaierr_class_name(e->cls);
    metrics_zai_error(ps->metrics, e->cls, r->error_code);
    if (e->cls == ZAI_CONCURRENCY && admission_on_concurrency_error(ps->adm, r->waiter.epoch) == CONC_DECREASE) {
        metrics_concurrency_adjustment(ps->metrics, false);
        px_log_concurrency_change(ps, "decreased");
    }
}

static void classify_held(pxreq *r, zai_error *e)
{
    size_t len = evbuffer_get_length(r->held);
    size_t n = len > ZAIERR_BODY_MAX ? ZAIERR_BODY_MAX + 1 : len;
    const void *p = n ? (const void *)evbuffer_pullup(r->held, (ev_ssize_t)n) : (const void *)"";
    zaierr_classify(p, n, len > ZAIERR_BODY_MAX, e);
    note_error(r, e);
}

/* The headers §7.4 adds to a final upstream error response. */
static void add_final_error_headers(pxreq *r, const zai_error *e)
{
    struct evkeyvalq *h = out_headers(r);
    if (!h)
        return;
    zaierr_header extra[ZAIERR_MAX_HEADERS];
    size_t n = zaierr_final_headers(r->up_status, e, r->up_retry_after[0] != 0, clock_wall_ns(), extra);
    for (size_t i = 0; i < n; i++)
        evhttp_add_header(h, extra[i].name, extra[i].value);
    log_rec *l = log_begin(LOG_WARN, "upstream error");
    if (l) {
        log_str(l, "request_id", r->id);
        log_int(l, "status", r->up_status);
        log_str(l, "class", r->error_class);
        log_str(l, "code", r->error_code);
        log_end(l);
    }
}

/* ---- commit and relay ---- */

static void on_flushed(struct evhttp_connection *evcon, void *arg);

static void send_chunk(pxreq *r, const void *data, size_t len)
{
    if (!len || !r->req)
        return;
    struct evbuffer *scratch = r->w->scratch;
    evbuffer_add(scratch, data, len);
    evhttp_send_reply_chunk_with_cb(r->req, scratch, on_flushed, r);
    evbuffer_drain(scratch, evbuffer_get_length(scratch));
    r->bytes_out += len;
    httpd_flush(r->evcon);
}

static void send_chunk_buffer(pxreq *r, struct evbuffer *buf)
{
    size_t len = evbuffer_get_length(buf);
    if (!len || !r->req)
        return;
    evhttp_send_reply_chunk_with_cb(r->req, buf, on_flushed, r);
    r->bytes_out += len;
    httpd_flush(r->evcon);
}

static void add_relay_headers(pxreq *r)
{
    struct evkeyvalq *h = out_headers(r);
    evhttp_add_header(h, "X-Request-Id", r->id);
    if (r->up_sse) {
        if (!evhttp_find_header(h, "Cache-Control"))
            evhttp_add_header(h, "Cache-Control", "no-cache");
        if (!evhttp_find_header(h, "X-Accel-Buffering"))
            evhttp_add_header(h, "X-Accel-Buffering", "no");
    }
    if (r->w->draining)
        evhttp_add_header(h, "Connection", "close");
}

static size_t client_backlog(pxreq *r)
{
    struct bufferevent *bev = r->evcon ? evhttp_connection_get_bufferevent(r->evcon) : NULL;
    return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

static void commit_progressive(pxreq *r)
{
    r->committed = true;
    r->status = r->up_status;
    if (!r->req)
        return;
    add_relay_headers(r);
    evhttp_send_reply_start(r->req, r->up_status, httpd_reason(r->up_status));
    struct bufferevent *bev = r->evcon ? evhttp_connection_get_bufferevent(r->evcon) : NULL;
    if (bev) {
        /* A quiet stream must not be cut by the request-read timeout; only a
         * client that stops accepting bytes is. */
        int64_t wt = r->w->ps->cfg.client_write_timeout_ns;
        struct timeval tv = {(time_t)(wt / NS_PER_SEC), (suseconds_t)(wt % NS_PER_SEC / 1000)};
        bufferevent_set_timeouts(bev, NULL, &tv);
    }
    if (r->held)
        send_chunk_buffer(r, r->held);
}

static void commit_buffered(pxreq *r, outcome o)
{
    r->committed = true;
    r->status = r->up_status;
    px_detach_client(r);
    if (r->req && !r->client_gone) {
        add_relay_headers(r);
        r->bytes_out = r->held ? evbuffer_get_length(r->held) : 0;
        evhttp_send_reply(r->req, r->up_status, httpd_reason(r->up_status), r->held);
    }
    px_finish(r, o);
}

static void finish_stream(pxreq *r, outcome o)
{
    px_detach_client(r);
    if (r->req && !r->client_gone)
        evhttp_send_reply_end(r->req);
    px_finish(r, o);
}

void upstream_interrupt(pxreq *r, upstream_error why)
{
    end_transfer(r, true);
    metrics_upstream_error(r->w->ps->metrics, why);
    if (r->up_sse && r->sse && sse_at_boundary(r->sse) && r->req && !r->client_gone) {
        size_t len;
        const char *ev = perr_stream_interrupted(r->rt.format, &len);
        send_chunk(r, ev, len);
    }
    finish_stream(r, OUT_INTERRUPTED);
}

static void on_flushed(struct evhttp_connection *evcon, void *arg)
{
    (void)evcon;
    pxreq *r = arg;
    if (!r->paused || !r->easy)
        return;
    r->paused = false;
    px_timer_arm(r, TK_IDLE, r->w->ps->cfg.idle_timeout_ns);
    curl_easy_pause(r->easy, CURLPAUSE_CONT);
}

/* Only the first event matters here (§4.1): a Z.AI business error sent as
 * the first event of a 200 stream is handled like an error status. */
static bool on_sse_event(void *ctx, const char *event, size_t elen, const char *data, size_t dlen)
{
    (void)event;
    (void)elen;
    pxreq *r = ctx;
    if (r->first_event_checked)
        return true;
    r->first_event_checked = true;
    zaierr_classify(data, dlen, false, &r->first_event);
    r->first_event_error = r->first_event.has_code;
    if (r->first_event_error)
        note_error(r, &r->first_event);
    return true;
}

/* ---- curl callbacks ---- */

static bool is_event_stream(const char *v)
{
    while (*v == ' ')
        v++;
    return strncasecmp(v, "text/event-stream", 17) == 0;
}

static void headers_complete(pxreq *r)
{
    r->up_headers_done = true;
    r->ttfb_ns = clock_mono_ns() - r->t_attempt;
    metrics_upstream_ttfb(r->w->ps->metrics, r->rt.label, clock_secs(r->ttfb_ns));
    if (r->up_sse)
        r->sse = sse_new(SSE_MAX_LINE_DEFAULT, SSE_MAX_EVENT_DEFAULT, on_sse_event, r);
    if (r->up_status >= 400) {
        metrics_upstream_status_error(r->w->ps->metrics, r->up_status);
        r->hold = HOLD_ERROR;
    } else if (r->up_status < 300 && r->up_sse) {
        r->hold = HOLD_SSE_FIRST;
    } else if (r->up_status < 300 && r->rt.generation) {
        r->hold = HOLD_JSON;
    } else {
        commit_progressive(r);
        return;
    }
    if (!r->held)
        r->held = evbuffer_new();
}

static void header_line(pxreq *r, const char *buf, size_t len)
{
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    const char *colon = memchr(buf, ':', len);
    if (!colon || colon == buf)
        return;
    size_t nlen = (size_t)(colon - buf);
    const char *v = colon + 1;
    while (v < buf + len && (*v == ' ' || *v == '\t'))
        v++;
    char name[256], value[8192];
    if (nlen >= sizeof name || (size_t)(buf + len - v) >= sizeof value)
        return;
    memcpy(name, buf, nlen);
    name[nlen] = 0;
    memcpy(value, v, (size_t)(buf + len - v));
    value[buf + len - v] = 0;
    if (strcasecmp(name, "Content-Type") == 0 && is_event_stream(value))
        r->up_sse = true;
    if (strcasecmp(name, "Retry-After") == 0)
        snprintf(r->up_retry_after, sizeof r->up_retry_after, "%.31s", value);
    if (headers_relay_response(name, nlen) && out_headers(r))
        evhttp_add_header(out_headers(r), name, value);
}

static size_t on_header(char *buf, size_t size, size_t n, void *arg)
{
    pxreq *r = arg;
    size_t len = size * n;
    if (r->client_gone)
        return 0;
    if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new status line (interim responses exist) starts a fresh header set. */
        const char *sp = memchr(buf, ' ', len);
        r->up_status = sp ? atoi(sp + 1) : 0;
        r->up_sse = false;
        if (out_headers(r))
            evhttp_clear_headers(out_headers(r));
        px_timer_arm(r, TK_IDLE, r->w->ps->cfg.idle_timeout_ns);
        return len;
    }
    if (len <= 2 && (len == 0 || buf[0] == '\r' || buf[0] == '\n')) {
        if (r->up_status >= 200)
            headers_complete(r);
        return len;
    }
    header_line(r, buf, len);
    return len;
}

/* The error-body budget is full: decide with what was read, then either
 * abandon the transfer for a retry or relay the whole body from here on. */
static void decide_error(pxreq *r)
{
    zai_error e;
    classify_held(r, &e);
    if (try_retry(r, RETRY_HTTP_ERROR, &e)) {
        r->retry_scheduled = true;
        return;
    }
    add_final_error_headers(r, &e);
    commit_progressive(r);
}

static void hold_bytes(pxreq *r, const char *ptr, size_t len)
{
    evbuffer_add(r->held, ptr, len);
    size_t held = evbuffer_get_length(r->held);
    if (r->sse)
        sse_feed(r->sse, ptr, len);
    switch (r->hold) {
    case HOLD_SSE_FIRST:
        if (sse_events(r->sse) == 0 && held < SSE_HOLD_BYTES)
            break;
        if (r->first_event_error && try_retry(r, RETRY_STREAM_ERROR, &r->first_event))
            r->retry_scheduled = true;
        else
            commit_progressive(r);
        break;
    case HOLD_ERROR:
        if (held >= ERROR_HOLD_BYTES)
            decide_error(r);
        break;
    case HOLD_JSON:
        if (held > JSON_HOLD_BYTES)
            commit_progressive(r);
        break;
    case HOLD_NONE:
        break;
    }
}

static size_t body_bytes(pxreq *r, char *ptr, size_t len)
{
    if (!r->up_headers_done)
        return len;
    if (!r->committed) {
        hold_bytes(r, ptr, len);
        return len;
    }
    if (client_backlog(r) > HIGH_WATERMARK) {
        r->paused = true;
        px_timer_stop(r);
        return CURL_WRITEFUNC_PAUSE;
    }
    send_chunk(r, ptr, len);
    if (r->sse)
        sse_feed(r->sse, ptr, len);
    return len;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
    pxreq *r = arg;
    size_t len = size * n;
    if (r->client_gone)
        return 0;
    if (!r->paused)
        px_timer_arm(r, TK_IDLE, r->w->ps->cfg.idle_timeout_ns);
    r->in_curl_cb = true;
    size_t rc = body_bytes(r, ptr, len);
    r->in_curl_cb = false;
    return r->client_gone || r->retry_scheduled ? 0 : rc;
}

/* ---- completion of an attempt ---- */

static bool valid_json(struct evbuffer *b)
{
    size_t len = b ? evbuffer_get_length(b) : 0;
    if (!len)
        return false;
    const char *p = (const char *)evbuffer_pullup(b, -1);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    bool ok = j != NULL;
    if (ok)
        while (end < p + len && isspace((unsigned char)*end))
            end++;
    cJSON_Delete(j);
    return ok && end == p + len;
}

static void done_before_commit(pxreq *r)
{
    bool empty = !r->held || evbuffer_get_length(r->held) == 0;
    zai_error e;
    switch (r->hold) {
    case HOLD_SSE_FIRST:
        if (empty) {
            fail_or_retry(r, UPERR_EMPTY_STREAMING, RETRY_EMPTY_STREAMING);
            return;
        }
        if (r->first_event_error && try_retry(r, RETRY_STREAM_ERROR, &r->first_event))
            return;
        break;
    case HOLD_JSON:
        if (!valid_json(r->held)) {
            fail_or_retry(r, UPERR_TRUNCATED, RETRY_TRUNCATED);
            return;
        }
        break;
    case HOLD_ERROR:
        classify_held(r, &e);
        if (try_retry(r, RETRY_HTTP_ERROR, &e))
            return;
        add_final_error_headers(r, &e);
        break;
    case HOLD_NONE:
        break;
    }
    commit_buffered(r, r->up_status >= 400 ? OUT_UPSTREAM_ERROR : OUT_OK);
}

/* A transfer that failed after the status line but before commit. */
static void failed_before_commit(pxreq *r)
{
    bool empty = !r->held || evbuffer_get_length(r->held) == 0;
    if (r->hold == HOLD_JSON || (r->hold == HOLD_SSE_FIRST && empty)) {
        if (r->hold == HOLD_JSON)
            fail_or_retry(r, UPERR_TRUNCATED, RETRY_TRUNCATED);
        else
            fail_or_retry(r, UPERR_EMPTY_STREAMING, RETRY_EMPTY_STREAMING);
        return;
    }
    commit_progressive(r);
    upstream_interrupt(r, UPERR_READ);
}

void upstream_done(pxreq *r, CURLcode result)
{
    if (r->retry_scheduled) {
        /* The write callback already decided; its backoff timer is armed. */
        r->retry_scheduled = false;
        end_transfer(r, false);
        return;
    }
    px_timer_stop(r);
    end_transfer(r, false);
    if (r->client_gone) {
        if (r->committed)
            metrics_upstream_error(r->w->ps->metrics, UPERR_WRITE);
        px_finish(r, OUT_CLIENT_CLOSED);
        return;
    }
    if (result == CURLE_OK && r->up_headers_done) {
        if (r->committed)
            finish_stream(r, r->up_status >= 400 ? OUT_UPSTREAM_ERROR : OUT_OK);
        else
            done_before_commit(r);
        return;
    }
    if (!r->up_headers_done) {
        fail_or_retry(r, UPERR_CONNECTION, RETRY_TRANSPORT);
        return;
    }
    if (!r->committed) {
        failed_before_commit(r);
        return;
    }
    upstream_interrupt(r, UPERR_READ);
}

void upstream_on_timer(pxreq *r, timer_kind kind)
{
    end_transfer(r, true);
    if (kind == TK_FIRST_BYTE && !r->up_headers_done) {
        metrics_upstream_error(r->w->ps->metrics, UPERR_TIMEOUT);
        r->error_type = "upstream_timeout";
        px_reply_error(r, PERR_UPSTREAM_TIMEOUT);
        return;
    }
    if (r->committed) {
        upstream_interrupt(r, UPERR_TIMEOUT);
        return;
    }
    bool empty = !r->held || evbuffer_get_length(r->held) == 0;
    if (r->hold == HOLD_SSE_FIRST && empty) {
        fail_or_retry(r, UPERR_EMPTY_STREAMING, RETRY_EMPTY_STREAMING);
        return;
    }
    if (r->hold == HOLD_JSON || !r->up_headers_done) {
        fail_or_retry(r, UPERR_TRUNCATED, RETRY_TRUNCATED);
        return;
    }
    commit_progressive(r);
    upstream_interrupt(r, UPERR_TIMEOUT);
}
