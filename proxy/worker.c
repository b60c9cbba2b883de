/* worker: an I/O thread's event loop and the resources it alone touches.
 * Requests never migrate between workers; cross-thread events arrive only
 * through the mailbox (slot grants) and the command word (shutdown). */
#include "worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include "exchange.h"
#include "httpd.h"
#include "log.h"

#define CLIENT_MAX_BODY_SLACK 1

static void on_mailbox(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    exchange_deliver_grants(arg);
}

static void on_command(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    worker *w = arg;
    int cmd = atomic_exchange(&w->cmd, WORKER_CMD_NONE);
    if ((cmd & WORKER_CMD_SHUTDOWN) && !w->draining) {
        w->draining = true;
        if (w->bound) {
            evhttp_del_accept_socket(w->http, w->bound);
            w->bound = NULL;
        }
        exchange_drain(w);
    }
    if ((cmd & WORKER_CMD_DEADLINE) && !w->deadline) {
        w->deadline = true;
        exchange_deadline(w);
    }
    worker_maybe_exit(w);
}

static void setup_http(worker *w)
{
    const proxy_config *c = &w->ps->cfg;
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
    evhttp_set_max_headers_size(w->http, (ev_ssize_t)c->max_header_bytes);
    /* One byte of slack lets a body of exactly limit+1 reach the handler with
     * its route known, so the 413 is answered in the route's API format. */
    evhttp_set_max_body_size(w->http, (ev_ssize_t)(c->max_request_body + CLIENT_MAX_BODY_SLACK));
    struct timeval tv = {(time_t)(c->client_header_timeout_ns / 1000000000LL),
                         (suseconds_t)(c->client_header_timeout_ns % 1000000000LL / 1000)};
    evhttp_set_timeout_tv(w->http, &tv);
    evhttp_set_default_content_type(w->http, NULL);
    evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
    evhttp_set_gencb(w->http, exchange_handle, w);
}

int worker_init(worker *w, proxy_shared *ps, int index, int listen_fd, char *err, size_t errlen)
{
    memset(w, 0, sizeof *w);
    w->ps = ps;
    w->index = index;
    w->listen_fd = listen_fd;
    pthread_mutex_init(&w->mbox_mu, NULL);
    w->base = httpd_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    w->curl = w->base ? curlev_new(w->base, exchange_curl_done) : NULL;
    w->scratch = evbuffer_new();
    w->mbox_ev = w->base ? event_new(w->base, -1, 0, on_mailbox, w) : NULL;
    w->cmd_ev = w->base ? event_new(w->base, -1, 0, on_command, w) : NULL;
    if (!w->http || !w->curl || !w->scratch || !w->mbox_ev || !w->cmd_ev) {
        snprintf(err, errlen, "worker %d: out of memory", index);
        return -1;
    }
    setup_http(w);
    w->bound = evhttp_accept_socket_with_handle(w->http, listen_fd);
    if (!w->bound) {
        snprintf(err, errlen, "worker %d: cannot accept on the listening socket", index);
        return -1;
    }
    CURLM *multi = curlev_multi(w->curl);
    long per_host = ps->cfg.max_workers;
    long cache = 2L * ps->cfg.max_workers / ps->cfg.io_threads;
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, cache < 8 ? 8L : cache);
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    httpd_block_signals();
    event_base_dispatch(w->base);
    if (w->on_exit)
        w->on_exit(w->on_exit_ctx);
    return NULL;
}

int worker_start(worker *w)
{
    return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

void worker_join(worker *w)
{
    pthread_join(w->thread, NULL);
}

void worker_destroy(worker *w)
{
    if (w->http)
        evhttp_free(w->http);
    for (int i = 0; i < w->n_easy; i++)
        curl_easy_cleanup(w->easy_pool[i]);
    curlev_free(w->curl);
    if (w->mbox_ev)
        event_free(w->mbox_ev);
    if (w->cmd_ev)
        event_free(w->cmd_ev);
    if (w->scratch)
        evbuffer_free(w->scratch);
    if (w->base)
        event_base_free(w->base);
    pthread_mutex_destroy(&w->mbox_mu);
}

void worker_command(worker *w, worker_cmd cmd)
{
    atomic_fetch_or(&w->cmd, (int)cmd);
    event_active(w->cmd_ev, EV_READ, 0);
}

CURL *worker_easy_get(worker *w)
{
    if (w->n_easy > 0) {
        CURL *e = w->easy_pool[--w->n_easy];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

void worker_easy_put(worker *w, CURL *easy)
{
    if (w->n_easy < WORKER_EASY_POOL)
        w->easy_pool[w->n_easy++] = easy;
    else
        curl_easy_cleanup(easy);
}

void worker_maybe_exit(worker *w)
{
    if (w->draining && w->n_active == 0 && (w->n_unflushed == 0 || w->deadline))
        event_base_loopbreak(w->base);
}
