/* config: zai-proxy's configuration, read from the environment and validated
 * once at start-up (PROXY.md §14), then passed down as this immutable struct.
 * A bad value stops the process (exit 2) with a message naming the variable. */
#ifndef ZAI_PROXY_CONFIG_H
#define ZAI_PROXY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "envcfg.h"
#include "log.h"
#include "strbuf.h"

#define CONFIG_MAX_MODELS 200
#define CONFIG_URL_MAX 1024
#define CONFIG_PATH_MAX 1024

typedef enum { COUNT_TOKENS_AUTO = 0, COUNT_TOKENS_LOCAL, COUNT_TOKENS_UPSTREAM } count_tokens_mode;
typedef enum { TOKENIZER_CL100K = 0, TOKENIZER_O200K } tokenizer_encoding;

typedef struct proxy_config {
    /* §14.1 process, listener, logging */
    char listen_host[256];
    int listen_port;
    int io_threads;                 /* resolved: 0 -> online CPUs, capped at 16 */
    char variant[33];
    log_format log_fmt;
    log_level log_lvl;
    int64_t shutdown_grace_ns;
    char version[64], commit[64], build_time[64];

    /* §14.2 upstream */
    char api_key[512];              /* secret; "" when unset */
    bool sim_fallback;
    bool use_simulator;             /* resolved: key unset and fallback on */
    char base_url[CONFIG_URL_MAX];
    char openai_prefix[256];
    char anthropic_prefix[256];
    char target_url[CONFIG_URL_MAX];  /* "" when unset */
    bool upstream_http2;
    char ca_bundle[CONFIG_PATH_MAX];  /* "" = system default */
    int64_t connect_timeout_ns;
    int64_t first_byte_timeout_ns;
    int64_t idle_timeout_ns;
    int max_retries;
    bool retry_on_5xx;

    /* §14.3 admission and limiters */
    int max_workers;
    int queue_max;
    int64_t queue_timeout_ns;
    bool concurrency_adaptive;
    int concurrency_min;
    int concurrency_initial;
    double concurrency_decrease_factor;
    double rate_initial, rate_min, rate_max;
    double rate_alpha, rate_margin;
    int rate_probe_interval;
    int64_t rate_window_ns;
    char rate_state_file[CONFIG_PATH_MAX];   /* "" when "none" */
    int64_t rate_state_max_age_ns;

    /* §14.4 security */
    char **client_keys;             /* PROXY_API_KEYS + PROXY_API_KEYS_FILE */
    size_t n_client_keys;
    bool client_keys_env_set;       /* PROXY_API_KEYS yielded a key (for describe) */
    char client_keys_file[CONFIG_PATH_MAX];  /* PROXY_API_KEYS_FILE, "" when unset */
    char admin_token[512];          /* "" when unset */

    /* §14.5 tokens, models, pricing */
    bool token_counting;
    tokenizer_encoding tokenizer;
    char tokenizer_ranks_file[CONFIG_PATH_MAX];
    char *models[CONFIG_MAX_MODELS];
    size_t n_models;
    char pricing_file[CONFIG_PATH_MAX];
    bool peak_window_off;
    int peak_start_min, peak_end_min;   /* minutes after midnight in the offset */
    int peak_offset_min;                /* e.g. +480 for +08:00 */
    count_tokens_mode count_tokens;

    /* §14.6 client limits and timeouts */
    long long max_request_body;
    long long max_header_bytes;
    int64_t client_header_timeout_ns;
    int64_t client_write_timeout_ns;

    /* §14.7 quota poller */
    bool quota_enabled;
    int64_t quota_interval_ns;
    int64_t quota_timeout_ns;
    int64_t quota_stale_after_ns;
    char quota_base_url[CONFIG_URL_MAX];
    long long quota_max_response;
} proxy_config;

/* Fills c from the environment (through e). Returns false with e->err set.
 * Compiled-in version strings are passed by the caller; empty ones fall back
 * to ZAI_PROXY_VERSION / _COMMIT / _BUILD_TIME, then "unknown". */
bool config_load(proxy_config *c, envcfg *e, const char *version, const char *commit,
                 const char *build_time);
void config_free(proxy_config *c);
/* The effective configuration as "NAME=value" lines (secrets as set/unset),
 * for `zai-proxy check-config` and the start-up log. */
void config_describe(const proxy_config *c, strbuf *out);
/* True when model (already lowercased) is in MODELS. */
bool config_has_model(const proxy_config *c, const char *model);

#endif
