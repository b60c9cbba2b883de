/* sim_main: the zai-sim executable. Reads the configuration (exit 2 with a
 * message naming the variable when it is invalid), starts the simulator,
 * logs one "listening" record carrying the bound address (test harnesses read
 * the port from it), and stops at once on SIGTERM/SIGINT with exit 0. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <event2/thread.h>
#include "sim.h"

int main(void)
{
    sim_config c;
    envcfg e;
    char err[512];

    if (evthread_use_pthreads() != 0) {
        fprintf(stderr, "zai-sim: libevent thread support unavailable\n");
        return 1;
    }
    sim_config_defaults(&c);
    envcfg_init(&e, NULL, NULL);
    if (!sim_config_from_env(&c, &e)) {
        fprintf(stderr, "%s\n", e.err);
        return 2;
    }
    log_setup(c.log_fmt, c.log_lvl, 2);

    /* Block the stop signals before the simulator thread exists so only
     * sigwait below receives them; SIGPIPE is ignored process-wide. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    sim *s = sim_start(&c, err, sizeof err);
    if (!s) {
        log_rec *r = log_begin(LOG_ERROR, "cannot start");
        if (r) {
            log_str(r, "error", err);
            log_end(r);
        }
        return 1;
    }
    char addr[300];
    snprintf(addr, sizeof addr, strchr(c.listen_host, ':') ? "[%s]:%d" : "%s:%d", c.listen_host, sim_port(s));
    log_rec *r = log_begin(LOG_INFO, "listening");
    if (r) {
        log_str(r, "addr", addr);
        log_int(r, "port", sim_port(s));
        log_end(r);
    }

    int sig = 0;
    while (sigwait(&stop, &sig) != 0)
        ;
    sim_stop(s);
    r = log_begin(LOG_INFO, "stopped");
    if (r) {
        log_str(r, "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        log_end(r);
    }
    return 0;
}
