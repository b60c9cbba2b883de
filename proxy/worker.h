/* worker: one I/O thread. It owns an event_base, an evhttp server on its own
 * SO_REUSEPORT socket, a curl multi handle on the same base, a pool of easy
 * handles and every request it accepted, from start to end. Other threads
 * talk to it only through its mailbox (admission grants) and its command
 * word (shutdown, deadline), both delivered with event_active(). */
#ifndef ZAI_PROXY_WORKER_H
#define ZAI_PROXY_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/http.h>
#include "curlev.h"
#include "server.h"

#define WORKER_EASY_POOL 64

typedef struct pxreq pxreq;

typedef enum { WORKER_CMD_NONE = 0, WORKER_CMD_SHUTDOWN = 1, WORKER_CMD_DEADLINE = 2 } worker_cmd;

typedef struct worker {
    proxy_shared *ps;
    int index;
    int listen_fd;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    curlev *curl;
    pthread_t thread;
    struct evbuffer *scratch;       /* chunk staging, moved (not copied) into client output */

    pthread_mutex_t mbox_mu;
    pxreq *mbox_head;               /* granted requests waiting to be started here */
    struct event *mbox_ev;

    atomic_int cmd;                 /* worker_cmd bits */
    struct event *cmd_ev;
    bool draining;
    bool deadline;

    CURL *easy_pool[WORKER_EASY_POOL];
    int n_easy;
    pxreq *active;                  /* every request this worker owns */
    int n_active;
    int n_unflushed;                /* finished responses still being written */

    void (*on_exit)(void *ctx);     /* called on the worker thread when its loop ends */
    void *on_exit_ctx;
} worker;

/* Creates the worker's base, evhttp and curl multi on listen_fd (adopted). */
int worker_init(worker *w, proxy_shared *ps, int index, int listen_fd, char *err, size_t errlen);
int worker_start(worker *w);
void worker_join(worker *w);
void worker_destroy(worker *w);
/* Thread-safe. */
void worker_command(worker *w, worker_cmd cmd);

/* Easy-handle pool (worker thread only). */
CURL *worker_easy_get(worker *w);
void worker_easy_put(worker *w, CURL *easy);
/* Leaves the loop once draining, idle and every response is written (or at
 * the grace deadline, whatever is still unwritten). */
void worker_maybe_exit(worker *w);

#endif
