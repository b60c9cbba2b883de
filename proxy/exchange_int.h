/* exchange_int: the request context shared by exchange.c (lifecycle),
 * upstream.c (attempts and relay) and local.c (local endpoints). Private to
 * those files; nothing else may look inside a pxreq. */
#ifndef ZAI_PROXY_EXCHANGE_INT_H
#define ZAI_PROXY_EXCHANGE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include "admission.h"
#include "errors.h"
#include "metrics.h"
#include "route.h"
#include "sse.h"
#include "strbuf.h"
#include "worker.h"
#include "zaierr.h"

typedef enum rstate {
    RS_NEW = 0,
    RS_QUEUED,           /* waiting for a slot */
    RS_GRANT_ABANDONED,  /* client left after a grant was issued; waits for its delivery */
    RS_ATTEMPT,          /* an upstream transfer is running */
    RS_BACKOFF,          /* waiting before the next attempt */
    RS_DONE
} rstate;

typedef enum timer_kind { TK_NONE = 0, TK_QUEUE, TK_BACKOFF, TK_FIRST_BYTE, TK_IDLE } timer_kind;

/* How the body of an attempt is held before commit (§4.1). */
typedef enum hold_mode {
    HOLD_NONE = 0,       /* committed at headers, relayed progressively */
    HOLD_SSE_FIRST,      /* until the first complete event or 4096 bytes */
    HOLD_JSON,           /* whole body (generation routes), validated */
    HOLD_ERROR           /* first 32 KiB + 1 of an error body */
} hold_mode;

typedef enum outcome {
    OUT_OK = 0, OUT_UPSTREAM_ERROR, OUT_PROXY_ERROR, OUT_CLIENT_CLOSED, OUT_INTERRUPTED
} outcome;

struct pxreq {
    worker *w;
    pxreq *prev, *next;          /* worker's active list */
    pxreq *mbox_next;            /* worker's grant mailbox */
    struct evhttp_request *req;  /* NULL once evhttp has freed it */
    struct evhttp_connection *evcon;
    route rt;
    int method;                  /* metrics method index */
    const char *method_name;
    char id[129];
    char peer[64];
    char path[256];              /* raw path for the access log (truncated) */
    char model[65];              /* the `model` label: an entry of MODELS or "other" */
    int bucket;

    int64_t t_start, t_queue_end, t_attempt;
    int64_t wait_ns, upstream_ns;
    int64_t ttfb_ns;             /* last attempt's time to status line, -1 = none */

    struct evbuffer *body;       /* the request body, owned */
    const unsigned char *body_ptr;
    size_t body_len;
    strbuf url;
    struct curl_slist *hdrs;

    adm_waiter waiter;
    bool holds_slot;
    rstate state;
    struct event *timer;
    timer_kind timer_kind;
    struct event *probe;         /* client-close detection while not writing */

    CURL *easy;
    int attempt;                 /* 0-based number of the running/last attempt */
    int up_status;
    bool up_headers_done;
    bool up_sse;
    hold_mode hold;
    struct evbuffer *held;
    sse_parser *sse;
    bool committed;
    bool paused;
    bool in_curl_cb;
    bool retry_scheduled;        /* decided inside a curl callback; the transfer is being aborted */
    char up_retry_after[32];     /* the attempt's Retry-After header, "" if none */
    bool first_event_checked;
    bool first_event_error;      /* the first SSE event carried a business code */
    zai_error first_event;

    int status;                  /* status sent to the client */
    uint64_t bytes_out;
    bool client_gone;
    bool orphaned;               /* evhttp detached req; we free it */
    bool detached;               /* close detection stopped, final reply tracked */
    outcome result;
    const char *error_type;      /* for the access log */
    const char *error_class;
    char error_code[8];
};

/* exchange.c */
pxreq *container_of_waiter(adm_waiter *w);
void px_timer_arm(pxreq *r, timer_kind kind, int64_t ns);
void px_timer_stop(pxreq *r);
/* Stops close detection before a final reply so evhttp may free the connection. */
void px_detach_client(pxreq *r);
void px_reply_error(pxreq *r, proxy_error e);
void px_finish(pxreq *r, outcome o);

/* Logs the adaptive concurrency limit after a change. */
void px_log_concurrency_change(proxy_shared *ps, const char *how);

/* upstream.c */
void upstream_start_attempt(pxreq *r);
void upstream_abort(pxreq *r);
void upstream_on_timer(pxreq *r, timer_kind kind);
void upstream_done(pxreq *r, CURLcode result);
/* Ends a committed response early, with the in-band error event when cut at
 * an event boundary (§4.2). */
void upstream_interrupt(pxreq *r, upstream_error why);

/* local.c: answers /metrics, /health, /ready, /admin (not counted). */
void local_handle(worker *w, struct evhttp_request *req, const route *rt);

#endif
