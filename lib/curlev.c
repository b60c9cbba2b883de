/* curlev: libcurl's multi-socket API on a libevent base. Each socket curl
 * shows us gets one persistent event, found by fd, that lives until curl
 * closes the socket; curl's single timeout becomes one evtimer. Completed transfers are drained
 * after every socket_action and reported through the done callback. */
#include "curlev.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct curlev {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    curlev_done_fn done;
    int active;
    struct sockctx **socks;   /* indexed by fd */
    int nsocks;
};

/* One per socket curl has shown us, kept until curl closes the socket: a
 * keep-alive connection goes back to curl's cache between transfers, and
 * leaving its event registered (instead of deleting and re-adding it) saves
 * two epoll_ctl calls per request. */
typedef struct sockctx {
    struct event *ev;
    short kind;      /* EV_READ/EV_WRITE currently registered, 0 = none */
    bool wanted;     /* curl currently wants events for it */
} sockctx;

static void check_done(curlev *c)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        void *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&priv);
        curl_multi_remove_handle(c->multi, easy);
        c->active--;
        c->done(easy, result, priv);
    }
}

static sockctx *sock_get(curlev *c, curl_socket_t fd)
{
    return fd >= 0 && fd < c->nsocks ? c->socks[fd] : NULL;
}

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    curlev *c = arg;
    sockctx *sc = sock_get(c, fd);
    if (sc && !sc->wanted) {
        /* An idle cached connection became readable (the peer closed it or
         * sent junk): stop watching; curl checks it before any reuse. */
        event_del(sc->ev);
        sc->kind = 0;
        return;
    }
    int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(c->multi, fd, flags, &running);
    check_done(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    curlev *c = arg;
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
    (void)multi;
    curlev *c = arg;
    if (timeout_ms < 0) {
        evtimer_del(c->timer);
        return 0;
    }
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return 0;
}

static sockctx *sock_new(curlev *c, curl_socket_t fd)
{
    if (fd >= c->nsocks) {
        int n = c->nsocks ? c->nsocks : 64;
        while (n <= fd)
            n *= 2;
        sockctx **grown = realloc(c->socks, (size_t)n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + c->nsocks, 0, (size_t)(n - c->nsocks) * sizeof *grown);
        c->socks = grown;
        c->nsocks = n;
    }
    sockctx *sc = calloc(1, sizeof *sc);
    if (sc && !(sc->ev = event_new(c->base, fd, EV_PERSIST, on_socket_event, c))) {
        free(sc);
        sc = NULL;
    }
    c->socks[fd] = sc;
    return sc;
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)easy;
    (void)sockp;
    curlev *c = arg;
    sockctx *sc = sock_get(c, fd);
    if (what == CURL_POLL_REMOVE) {
        if (sc)
            sc->wanted = false;
        if (sc && (sc->kind & EV_WRITE)) {
            event_del(sc->ev);
            sc->kind = 0;
        }
        return 0;
    }
    if (!sc && !(sc = sock_new(c, fd)))
        return -1;
    sc->wanted = true;
    short kind = ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (kind == sc->kind)
        return 0;
    event_del(sc->ev);
    event_assign(sc->ev, c->base, fd, kind | EV_PERSIST, on_socket_event, c);
    sc->kind = kind;
    return event_add(sc->ev, NULL);
}

/* curl closes the socket: drop its event first so the fd number can be
 * reused safely. */
static int close_cb(void *arg, curl_socket_t fd)
{
    curlev *c = arg;
    sockctx *sc = sock_get(c, fd);
    if (sc) {
        event_free(sc->ev);
        free(sc);
        c->socks[fd] = NULL;
    }
    return close(fd);
}

curlev *curlev_new(struct event_base *base, curlev_done_fn done)
{
    curlev *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base = base;
    c->done = done;
    c->multi = curl_multi_init();
    c->timer = evtimer_new(base, on_timer, c);
    if (!c->multi || !c->timer) {
        curlev_free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    return c;
}

void curlev_free(curlev *c)
{
    if (!c)
        return;
    if (c->multi)
        curl_multi_cleanup(c->multi);
    for (int fd = 0; fd < c->nsocks; fd++)
        if (c->socks[fd]) {
            event_free(c->socks[fd]->ev);
            free(c->socks[fd]);
        }
    free(c->socks);
    if (c->timer)
        event_free(c->timer);
    free(c);
}

CURLM *curlev_multi(curlev *c)
{
    return c->multi;
}

int curlev_add(curlev *c, CURL *easy)
{
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, close_cb);
    curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, c);
    if (curl_multi_add_handle(c->multi, easy) != CURLM_OK)
        return -1;
    c->active++;
    /* Start the transfer now rather than on the next loop iteration through
     * curl's zero timeout: one epoll round trip less per request. */
    int running;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(c);
    return 0;
}

void curlev_remove(curlev *c, CURL *easy)
{
    if (curl_multi_remove_handle(c->multi, easy) == CURLM_OK)
        c->active--;
}

int curlev_active(const curlev *c)
{
    return c->active;
}
