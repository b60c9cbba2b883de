/* sim: zai-sim, a simulated Z.AI upstream (ZAI-API.md §10). Built as a
 * library so zai-proxy can run it in-process when no ZAI_API_KEY is set, and
 * wrapped by sim_main.c as the zai-sim executable. A running simulator owns
 * one thread with its own event_base and evhttp; everything it serves is
 * deterministic for a given seed and configuration. */
#ifndef ZAI_SIM_H
#define ZAI_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "envcfg.h"
#include "log.h"

typedef enum { SIM_USAGE_ALWAYS = 0, SIM_USAGE_NEVER } sim_usage_mode;
typedef enum { SIM_OPENAI_USAGE_FINISH = 0, SIM_OPENAI_USAGE_SEPARATE } sim_openai_usage;
typedef enum { SIM_ANTHROPIC_USAGE_A = 0, SIM_ANTHROPIC_USAGE_B, SIM_ANTHROPIC_USAGE_C } sim_anthropic_usage;

typedef struct sim_config {
    char listen_host[256];
    int listen_port;                 /* 0 = ephemeral */
    char api_key[256];
    uint64_t seed;
    long long concurrency_per_model; /* 0 = off */
    double rps;                      /* 0 = off */
    long long quota_5h, quota_weekly;
    double peak_multiplier;
    int64_t ttfb_ns;
    double tokens_per_sec;           /* 0 = as fast as possible */
    long long output_tokens;
    long long cached_tokens;
    sim_usage_mode usage;
    sim_openai_usage openai_usage;
    sim_anthropic_usage anthropic_usage;
    bool count_tokens;
    char plan[64];
    char quota_fixture[1024];        /* "" = unset */
    char quota_rotate[4096];         /* comma-separated files, "" = unset */
    char fault[64];                  /* SIM_FAULT scenario name, "" = none */
    log_format log_fmt;
    log_level log_lvl;
} sim_config;

void sim_config_defaults(sim_config *c);
/* Reads SIM_* (and LOG_FORMAT / LOG_LEVEL); false with e->err set on error. */
bool sim_config_from_env(sim_config *c, envcfg *e);

typedef struct sim sim;

/* Binds, starts the simulator thread and returns once it is serving.
 * NULL with a message in err on failure. */
sim *sim_start(const sim_config *c, char *err, size_t errlen);
int sim_port(const sim *s);
/* Stops the thread, closes every connection and frees everything. */
void sim_stop(sim *s);

#endif
