/* server: start-up, the control loop and shutdown. The main thread becomes
 * the control thread: it binds the listening sockets (the first one decides
 * an ephemeral port, the others reuse it with SO_REUSEPORT), starts the
 * in-process simulator when there is no key, runs the workers, and turns
 * SIGTERM/SIGINT into the graceful shutdown of PROXY.md §17. */
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include "clock.h"
#include "httpd.h"
#include "log.h"
#include "sim.h"
#include "worker.h"

#define SIM_WARN_INTERVAL_SEC 60

typedef struct control {
    proxy_shared *ps;
    struct event_base *base;
    worker *workers;
    int nworkers;
    atomic_int exited;
    struct event *worker_exit_ev;
    struct event *grace_ev;
    struct event *sim_warn_ev;
    int signals;
} control;

static void gauges(void *ctx, metrics_gauges *out)
{
    proxy_shared *ps = ctx;
    int in_flight, queued, limit;
    admission_counts(ps->adm, &in_flight, &queued, &limit);
    out->in_flight = in_flight;
    out->queued_slot = queued;
    out->queued_rate = 0;
    out->concurrency_limit = limit;
}

static void log_startup(const proxy_shared *ps)
{
    const proxy_config *c = &ps->cfg;
    log_rec *l = log_begin(LOG_INFO, "starting zai-proxy");
    if (l) {
        log_str(l, "version", c->version);
        log_str(l, "commit", c->commit);
        log_str(l, "build_time", c->build_time);
        log_str(l, "variant", c->variant);
        log_end(l);
    }
    strbuf d = STRBUF_INIT;
    config_describe(c, &d);
    for (char *line = d.data, *nl; line && *line; line = nl + 1) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        log_msgf(LOG_INFO, "config %s", line);
        if (!nl)
            break;
    }
    strbuf_free(&d);
    if (c->target_url[0] && strcmp(c->anthropic_prefix, "/api/anthropic") != 0)
        log_msgf(LOG_WARN, "ZAI_TARGET_URL and ZAI_ANTHROPIC_PREFIX are both set; ZAI_TARGET_URL wins");
    log_rec *u = log_begin(LOG_INFO, "upstream");
    if (u) {
        log_str(u, "base_url", c->base_url);
        log_str(u, "openai_prefix", c->openai_prefix);
        log_str(u, "anthropic_prefix", c->anthropic_prefix);
        log_end(u);
    }
    log_msgf(LOG_INFO, "concurrency: max_workers=%d queue_max=%d", c->max_workers, c->queue_max);
}

static void sim_banner(int port)
{
    log_msgf(LOG_WARN, "==================================================================");
    log_msgf(LOG_WARN, "NO ZAI_API_KEY: serving from the built-in Z.AI SIMULATOR at http://127.0.0.1:%d", port);
    log_msgf(LOG_WARN, "responses are synthetic; set ZAI_API_KEY to proxy to the real Z.AI");
    log_msgf(LOG_WARN, "==================================================================");
}

static void on_sim_warn(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    log_msgf(LOG_WARN, "NO ZAI_API_KEY: responses come from the built-in Z.AI simulator");
}

/* Points the effective configuration at an in-process simulator. */
static sim *start_simulator(proxy_shared *ps)
{
    sim_config sc;
    sim_config_defaults(&sc);
    snprintf(sc.listen_host, sizeof sc.listen_host, "127.0.0.1");
    sc.listen_port = 0;
    sc.log_fmt = ps->cfg.log_fmt;
    sc.log_lvl = ps->cfg.log_lvl > LOG_WARN ? ps->cfg.log_lvl : LOG_WARN;
    char err[256];
    sim *s = sim_start(&sc, err, sizeof err);
    if (!s) {
        log_msgf(LOG_ERROR, "cannot start the built-in simulator: %s", err);
        return NULL;
    }
    int port = sim_port(s);
    snprintf(ps->cfg.base_url, sizeof ps->cfg.base_url, "http://127.0.0.1:%d", port);
    snprintf(ps->cfg.quota_base_url, sizeof ps->cfg.quota_base_url, "http://127.0.0.1:%d", port);
    snprintf(ps->cfg.api_key, sizeof ps->cfg.api_key, "%s", sc.api_key);
    ps->cfg.target_url[0] = 0;
    ps->upstream_simulator = true;
    sim_banner(port);
    return s;
}

static void on_worker_exit(void *ctx)
{
    control *ctl = ctx;
    atomic_fetch_add(&ctl->exited, 1);
    event_active(ctl->worker_exit_ev, EV_READ, 0);
}

static void on_worker_exit_ev(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    control *ctl = arg;
    if (atomic_load(&ctl->exited) == ctl->nworkers)
        event_base_loopbreak(ctl->base);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    control *ctl = arg;
    log_msgf(LOG_WARN, "shutdown: grace period over; interrupting remaining requests");
    for (int i = 0; i < ctl->nworkers; i++)
        worker_command(&ctl->workers[i], WORKER_CMD_DEADLINE);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    control *ctl = arg;
    if (++ctl->signals > 1) {
        log_msgf(LOG_WARN, "shutdown: second signal, exiting now");
        _exit(0);
    }
    log_msgf(LOG_INFO, "shutdown: %s received; draining for up to %.0fs", sig == SIGTERM ? "SIGTERM" : "SIGINT",
             (double)ctl->ps->cfg.shutdown_grace_ns / 1e9);
    atomic_store(&ctl->ps->shutting_down, true);
    for (int i = 0; i < ctl->nworkers; i++)
        worker_command(&ctl->workers[i], WORKER_CMD_SHUTDOWN);
    int64_t g = ctl->ps->cfg.shutdown_grace_ns;
    struct timeval tv = {(time_t)(g / NS_PER_SEC), (suseconds_t)(g % NS_PER_SEC / 1000)};
    evtimer_add(ctl->grace_ev, &tv);
}

/* Binds one SO_REUSEPORT socket per worker on the configured address; with
 * port 0 the first bind picks the port the others then share. */
static int bind_all(proxy_shared *ps, int *fds, int n, int *port)
{
    char err[256];
    *port = ps->cfg.listen_port;
    for (int i = 0; i < n; i++) {
        fds[i] = httpd_listen(ps->cfg.listen_host, *port, true, err, sizeof err);
        if (fds[i] < 0) {
            log_msgf(LOG_ERROR, "cannot listen on %s:%d: %s", ps->cfg.listen_host, *port, err);
            for (int j = 0; j < i; j++)
                close(fds[j]);
            return -1;
        }
        if (*port == 0)
            *port = httpd_bound_port(fds[i]);
    }
    return 0;
}

static void log_listening(const proxy_shared *ps, int port)
{
    char addr[300];
    const char *h = ps->cfg.listen_host;
    snprintf(addr, sizeof addr, strchr(h, ':') ? "[%s]:%d" : "%s:%d", h, port);
    log_rec *l = log_begin(LOG_INFO, "listening");
    if (l) {
        log_str(l, "addr", addr);
        log_int(l, "port", port);
        log_int(l, "threads", ps->cfg.io_threads);
        log_end(l);
    }
}

static int run_workers(control *ctl, int *fds)
{
    int started = 0;
    char err[256];
    for (int i = 0; i < ctl->nworkers; i++) {
        if (worker_init(&ctl->workers[i], ctl->ps, i, fds[i], err, sizeof err) != 0) {
            log_msgf(LOG_ERROR, "%s", err);
            return -1;
        }
        ctl->workers[i].on_exit = on_worker_exit;
        ctl->workers[i].on_exit_ctx = ctl;
    }
    for (int i = 0; i < ctl->nworkers; i++) {
        if (worker_start(&ctl->workers[i]) != 0) {
            log_msgf(LOG_ERROR, "cannot start worker thread %d", i);
            for (int j = 0; j < started; j++)
                worker_command(&ctl->workers[j], WORKER_CMD_SHUTDOWN | WORKER_CMD_DEADLINE);
            for (int j = 0; j < started; j++)
                worker_join(&ctl->workers[j]);
            return -1;
        }
        started++;
    }
    return 0;
}

static int control_loop(control *ctl)
{
    struct event *sigterm = evsignal_new(ctl->base, SIGTERM, on_signal, ctl);
    struct event *sigint = evsignal_new(ctl->base, SIGINT, on_signal, ctl);
    ctl->grace_ev = evtimer_new(ctl->base, on_grace, ctl);
    ctl->worker_exit_ev = event_new(ctl->base, -1, 0, on_worker_exit_ev, ctl);
    if (!sigterm || !sigint || !ctl->grace_ev || !ctl->worker_exit_ev)
        return -1;
    evsignal_add(sigterm, NULL);
    evsignal_add(sigint, NULL);
    if (ctl->ps->upstream_simulator) {
        ctl->sim_warn_ev = event_new(ctl->base, -1, EV_PERSIST, on_sim_warn, ctl);
        struct timeval tv = {SIM_WARN_INTERVAL_SEC, 0};
        evtimer_add(ctl->sim_warn_ev, &tv);
    }
    atomic_store(&ctl->ps->ready, true);
    event_base_dispatch(ctl->base);
    event_free(sigterm);
    event_free(sigint);
    return 0;
}

static void control_free(control *ctl)
{
    if (ctl->grace_ev)
        event_free(ctl->grace_ev);
    if (ctl->worker_exit_ev)
        event_free(ctl->worker_exit_ev);
    if (ctl->sim_warn_ev)
        event_free(ctl->sim_warn_ev);
    if (ctl->base)
        event_base_free(ctl->base);
    free(ctl->workers);
}

static int serve(proxy_shared *ps)
{
    control ctl = {.ps = ps, .nworkers = ps->cfg.io_threads};
    int *fds = calloc((size_t)ctl.nworkers, sizeof *fds);
    ctl.workers = calloc((size_t)ctl.nworkers, sizeof *ctl.workers);
    ctl.base = event_base_new();
    int port = 0;
    if (!fds || !ctl.workers || !ctl.base || bind_all(ps, fds, ctl.nworkers, &port) != 0) {
        free(fds);
        control_free(&ctl);
        return 1;
    }
    int rc = run_workers(&ctl, fds);
    free(fds);
    if (rc == 0) {
        log_listening(ps, port);
        rc = control_loop(&ctl);
        for (int i = 0; i < ctl.nworkers; i++)
            worker_join(&ctl.workers[i]);
        log_msgf(LOG_INFO, "shutdown complete");
    }
    for (int i = 0; i < ctl.nworkers; i++)
        worker_destroy(&ctl.workers[i]);
    control_free(&ctl);
    return rc == 0 ? 0 : 1;
}

int server_run(proxy_config *cfg)
{
    proxy_shared ps = {.cfg = *cfg};
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    log_setup(ps.cfg.log_fmt, ps.cfg.log_lvl, 2);
    snprintf(ps.user_agent, sizeof ps.user_agent, "zai-proxy/%s", ps.cfg.version);
    sim *s = NULL;
    int rc = 1;
    if (ps.cfg.use_simulator && !(s = start_simulator(&ps)))
        goto out;
    log_startup(&ps);
    conclimit cl;
    conclimit_init(&cl, ps.cfg.concurrency_initial, ps.cfg.concurrency_min, ps.cfg.max_workers,
                   ps.cfg.concurrency_decrease_factor);
    ps.adm = admission_new(ps.cfg.max_workers, ps.cfg.queue_max, ps.cfg.concurrency_adaptive ? &cl : NULL);
    ps.metrics = ps.adm ? metrics_new(&ps.cfg, gauges, &ps) : NULL;
    if (!ps.metrics) {
        log_msgf(LOG_ERROR, "out of memory");
        goto out;
    }
    rc = serve(&ps);
out:
    metrics_free(ps.metrics);
    admission_free(ps.adm);
    if (s)
        sim_stop(s);
    curl_global_cleanup();
    *cfg = ps.cfg;
    return rc;
}
