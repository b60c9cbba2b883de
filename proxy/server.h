/* server: process orchestration for `zai-proxy run`. Owns the process-wide
 * shared state (effective configuration, metrics, admission), the optional
 * in-process simulator, the I/O worker threads and the control loop that
 * handles signals and the graceful shutdown of PROXY.md §17. */
#ifndef ZAI_PROXY_SERVER_H
#define ZAI_PROXY_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "admission.h"
#include "config.h"
#include "metrics.h"

typedef struct proxy_shared {
    proxy_config cfg;            /* effective configuration, immutable while serving */
    metrics *metrics;
    admission *adm;
    atomic_bool ready;
    atomic_bool shutting_down;
    bool upstream_simulator;
    char user_agent[96];         /* sent when the client sent none */
} proxy_shared;

/* Runs the proxy until shutdown; takes ownership of *cfg's heap parts.
 * Returns the process exit code (0 after a graceful shutdown, 1 on a fatal
 * start-up error). */
int server_run(proxy_config *cfg);

#endif
