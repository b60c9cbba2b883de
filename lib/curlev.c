/* curlev: libcurl's multi-socket API on a libevent base. Each socket curl
 * wants watched gets one persistent event (kept with curl_multi_assign);
 * curl's single timeout becomes one evtimer. Completed transfers are drained
 * after every socket_action and reported through the done callback. */
#include "curlev.h"

#include <stdlib.h>

struct curlev {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    curlev_done_fn done;
    int active;
};

typedef struct sockctx {
    curlev *owner;
    struct event *ev;
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

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    curlev *c = arg;
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

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)easy;
    curlev *c = arg;
    sockctx *sc = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            event_free(sc->ev);
            free(sc);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!sc) {
        sc = calloc(1, sizeof *sc);
        if (!sc)
            return -1;
        sc->owner = c;
        curl_multi_assign(c->multi, fd, sc);
        sc->ev = event_new(c->base, fd, kind, on_socket_event, c);
        if (!sc->ev) {
            free(sc);
            curl_multi_assign(c->multi, fd, NULL);
            return -1;
        }
    } else {
        /* Re-arming in place avoids an allocation per direction change. */
        event_del(sc->ev);
        event_assign(sc->ev, c->base, fd, kind, on_socket_event, c);
    }
    event_add(sc->ev, NULL);
    return 0;
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
