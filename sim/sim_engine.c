/* sim_engine: delivers planned answers (sim.c plans them). A request context
 * holds the status, headers, body or stream source and timing; the engine
 * waits the delay (TTFB) with a timer, paces stream steps, stalls and cuts
 * streams for fault scenarios, and honours back-pressure: in instant mode
 * steps are batched into chunks, and production pauses while the connection
 * holds more than SIM_OUTPUT_HIGH bytes, so a slow reader stalls the
 * simulator instead of growing its memory. A client that goes away is
 * noticed by evhttp's close callback, or by a socket probe while the
 * simulator is quiet, and counted as cancelled. Contexts are pooled. */
#include "sim_srv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/bufferevent.h>
#include "clock.h"
#include "httpd.h"

#define SIM_CHUNK_BATCH (16 * 1024)       /* instant mode: bytes per HTTP chunk */
#define SIM_OUTPUT_HIGH (256 * 1024)      /* wait for a flush above this */
#define SIM_CLOSE_POLL_NS (2 * NS_PER_MS)

static void req_timer_cb(evutil_socket_t fd, short what, void *arg);
static void pump(sim_req *r);
static void watch_quiet(sim_req *r);

/* ---- request contexts ------------------------------------------------------- */

sim_req *sim_req_new(sim *s, struct evhttp_request *req)
{
    sim_req *r = s->free_reqs;
    if (r) {
        s->free_reqs = r->next;
    } else {
        r = calloc(1, sizeof *r);
        if (!r)
            return NULL;
        r->s = s;
        r->timer = evtimer_new(s->base, req_timer_cb, r);
        r->probe = malloc(event_get_struct_event_size());
        r->out = evbuffer_new();
        if (!r->timer || !r->probe || !r->out) {
            if (r->timer)
                event_free(r->timer);
            if (r->out)
                evbuffer_free(r->out);
            free(r->probe);
            free(r);
            return NULL;
        }
    }
    strbuf body = r->body;
    struct event *timer = r->timer, *probe = r->probe;
    struct evbuffer *out = r->out;
    memset(r, 0, sizeof *r);
    r->s = s;
    r->body = body;
    r->timer = timer;
    r->probe = probe;
    r->out = out;
    r->req = req;
    r->evcon = evhttp_request_get_connection(req);
    r->stall_after = r->cut_after = r->close_after_bytes = -1;
    r->next = s->live;
    if (s->live)
        s->live->prev = r;
    s->live = r;
    return r;
}

void sim_req_destroy(sim_req *r)
{
    event_free(r->timer);
    free(r->probe);
    evbuffer_free(r->out);
    strbuf_free(&r->body);
    sim_script_resp_unref(r->script);
    free(r);
}

void sim_req_release(sim_req *r, sim_outcome outcome)
{
    sim *s = r->s;
    event_del(r->timer);
    if (r->probing)
        event_del(r->probe);
    r->probing = false;
    if (r->track) {
        r->model->in_flight--;
        s->st.in_flight--;
    }
    if (outcome == SIM_OUT_SERVED)
        s->st.served++;
    else if (outcome == SIM_OUT_CANCELLED)
        s->st.cancelled++;
    else
        s->st.dropped++;
    evbuffer_drain(r->out, evbuffer_get_length(r->out));
    strbuf_reset(&r->body);
    sim_script_resp_unref(r->script);
    r->script = NULL;
    if (r->prev)
        r->prev->next = r->next;
    else
        s->live = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->next = s->free_reqs;
    s->free_reqs = r;
}

static void arm(sim_req *r, sim_phase ph, int64_t ns)
{
    struct timeval tv = {.tv_sec = (time_t)(ns / NS_PER_SEC), .tv_usec = (suseconds_t)(ns % NS_PER_SEC / 1000)};
    r->phase = ph;
    watch_quiet(r);
    evtimer_add(r->timer, &tv);
}

/* The client went away before the answer was complete. evhttp has detached
 * the request from its connection (it is ours to free) unless the whole
 * server is being torn down, in which case evhttp frees it. */
static void on_conn_close(struct evhttp_connection *evcon, void *arg)
{
    sim_req *r = arg;
    (void)evcon;
    if (evhttp_request_get_connection(r->req) == NULL)
        evhttp_request_free(r->req);
    r->evcon = NULL;
    sim_req_release(r, SIM_OUT_CANCELLED);
}

/* Called before the last evhttp call on the request, which may free the
 * connection. */
static void unwatch(sim_req *r)
{
    if (r->watching && r->evcon)
        evhttp_connection_set_closecb(r->evcon, NULL, NULL);
    r->watching = false;
    if (r->probing)
        event_del(r->probe);
    r->probing = false;
}

/* evhttp stops reading once a request is complete, so a client that goes
 * away while the simulator is quiet (TTFB, stall) would only be noticed at
 * the next write. The probe peeks at the socket: EOF or an error means the
 * client is gone; data means a pipelined request, left to evhttp. */
static void on_probe(evutil_socket_t fd, short what, void *arg)
{
    sim_req *r = arg;
    char c;
    (void)what;
    r->probing = false;
    ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0)
        return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        r->probing = event_add(r->probe, NULL) == 0;
        return;
    }
    struct evhttp_connection *evcon = r->evcon;
    unwatch(r);
    r->evcon = NULL;
    evhttp_connection_free(evcon);
    sim_req_release(r, SIM_OUT_CANCELLED);
}

static void watch(sim_req *r)
{
    if (!r->watching && r->evcon) {
        evhttp_connection_set_closecb(r->evcon, on_conn_close, r);
        r->watching = true;
    }
}

/* Before a quiet period (a timer): close callback plus the probe. */
static void watch_quiet(sim_req *r)
{
    watch(r);
    if (r->probing || !r->evcon)
        return;
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(r->evcon));
    if (fd >= 0 && event_assign(r->probe, r->s->base, fd, EV_READ, on_probe, r) == 0)
        r->probing = event_add(r->probe, NULL) == 0;
}

/* ---- replies ----------------------------------------------------------------- */

void sim_req_set_header(sim_req *r, const char *name, const char *value)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->req);
    evhttp_remove_header(h, name);
    evhttp_add_header(h, name, value);
}

/* Closes the connection without finishing the response; a reset (RST)
 * when `rst`, else an orderly close after whatever was already flushed. */
static void drop_connection(sim_req *r, bool rst)
{
    struct evhttp_connection *evcon = r->evcon;
    unwatch(r);
    if (evcon && rst) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
        if (fd >= 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    if (evcon)
        evhttp_connection_free(evcon);
    sim_req_release(r, SIM_OUT_DROPPED);
}

static size_t conn_pending(const sim_req *r)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(r->evcon);
    return evbuffer_get_length(bufferevent_get_output(bev));
}

static void close_when_flushed(sim_req *r)
{
    if (conn_pending(r) > 0)
        arm(r, SIM_PH_CLOSE, SIM_CLOSE_POLL_NS);
    else
        drop_connection(r, false);
}

static void on_flushed(struct evhttp_connection *evcon, void *arg)
{
    sim_req *r = arg;
    (void)evcon;
    if (r->waiting_flush) {
        r->waiting_flush = false;
        pump(r);
    }
}

static void flush_chunk(sim_req *r)
{
    if (evbuffer_get_length(r->out) > 0)
        evhttp_send_reply_chunk_with_cb(r->req, r->out, on_flushed, r);
}

/* Appends the next stream step to sb; false at the end of the stream. */
static bool next_step(sim_req *r, strbuf *sb)
{
    switch (r->src) {
    case SIM_SRC_GEN:
        return r->g.api == SIM_API_OPENAI ? sim_openai_step(&r->g, &r->pos, sb)
                                          : sim_anthropic_step(&r->g, &r->pos, sb);
    case SIM_SRC_SCRIPT:
        if ((size_t)r->steps >= r->script->nevents)
            return false;
        strbuf_append(sb, r->script->events[r->steps], r->script->event_lens[r->steps]);
        return true;
    case SIM_SRC_ONCE:
        if (r->steps > 0 || r->body.len == 0)
            return false;
        strbuf_append(sb, r->body.data, r->body.len);
        return true;
    }
    return false;
}

static bool has_more(const sim_req *r)
{
    switch (r->src) {
    case SIM_SRC_GEN:
        return r->pos.step <= r->g.n_out;
    case SIM_SRC_SCRIPT:
        return (size_t)r->steps < r->script->nevents;
    case SIM_SRC_ONCE:
        return r->steps == 0 && r->body.len > 0;
    }
    return false;
}

static void end_stream(sim_req *r)
{
    flush_chunk(r);
    if (r->drop_at_end) {
        close_when_flushed(r);
        return;
    }
    unwatch(r);
    evhttp_send_reply_end(r->req);
    sim_req_release(r, SIM_OUT_SERVED);
}

/* Writes steps until the stream ends, a pause is due (pacing, stall) or the
 * connection's output holds more than SIM_OUTPUT_HIGH (resumed by
 * on_flushed, so a slow reader stalls the simulator instead of its memory). */
static void pump(sim_req *r)
{
    strbuf *sb = &r->s->scratch;
    for (;;) {
        if (r->stall_after >= 0 && r->steps == r->stall_after && !r->stalled) {
            flush_chunk(r);
            r->stalled = true;
            arm(r, SIM_PH_STREAM, r->stall_ns);
            return;
        }
        if (r->cut_after >= 0 && r->steps >= r->cut_after) {
            flush_chunk(r);
            close_when_flushed(r);
            return;
        }
        strbuf_reset(sb);
        if (!next_step(r, sb)) {
            end_stream(r);
            return;
        }
        if (r->close_after_bytes >= 0 && r->sent + (long long)sb->len >= r->close_after_bytes) {
            evbuffer_add(r->out, sb->data, (size_t)(r->close_after_bytes - r->sent));
            flush_chunk(r);
            close_when_flushed(r);
            return;
        }
        evbuffer_add(r->out, sb->data, sb->len);
        r->sent += (long long)sb->len;
        r->steps++;
        if (r->interval_ns > 0 && has_more(r)) {
            flush_chunk(r);
            arm(r, SIM_PH_STREAM, r->interval_ns);
            return;
        }
        if (evbuffer_get_length(r->out) >= SIM_CHUNK_BATCH)
            flush_chunk(r);
        if (conn_pending(r) > SIM_OUTPUT_HIGH) {
            flush_chunk(r);
            r->waiting_flush = true;
            return;
        }
    }
}

static void begin(sim_req *r)
{
    switch (r->kind) {
    case SIM_K_RESET:
        drop_connection(r, true);
        return;
    case SIM_K_BODY:
        unwatch(r);
        evbuffer_add(r->out, r->body.data ? r->body.data : "", r->body.len);
        evhttp_send_reply(r->req, r->status, httpd_reason(r->status), r->out);
        sim_req_release(r, SIM_OUT_SERVED);
        return;
    case SIM_K_STREAM:
        watch(r);
        evhttp_send_reply_start(r->req, r->status, httpd_reason(r->status));
        pump(r);
        return;
    }
}

static void req_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    sim_req *r = arg;
    (void)fd;
    (void)what;
    switch (r->phase) {
    case SIM_PH_DELAY:
        begin(r);
        break;
    case SIM_PH_STREAM:
        pump(r);
        break;
    case SIM_PH_CLOSE:
        close_when_flushed(r);
        break;
    }
}

/* Starts the planned answer: at once, or after its delay (a reset always
 * goes through the timer so the connection is never freed inside the
 * request callback). */
void sim_req_go(sim_req *r)
{
    if (r->track) {
        r->model->in_flight++;
        if (r->model->in_flight > r->model->in_flight_max)
            r->model->in_flight_max = r->model->in_flight;
        r->s->st.in_flight++;
    }
    if (r->delay_ns > 0 || r->kind == SIM_K_RESET) {
        arm(r, SIM_PH_DELAY, r->delay_ns);
        return;
    }
    begin(r);
}
