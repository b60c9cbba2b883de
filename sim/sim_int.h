/* sim_int: types shared by the simulator's source files (not part of the
 * public contract in sim.h). The pure parts — request parsing, text
 * generation, response shapes, error bodies, scenario names, limits, scripts —
 * take plain data so unit tests can drive them without a server. */
#ifndef ZAI_SIM_INT_H
#define ZAI_SIM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "sim.h"
#include "strbuf.h"

/* ---- scenarios (X-Sim-Scenario, SIM_FAULT) ------------------------------ */

typedef enum {
    SIM_SC_NONE = 0,
    SIM_SC_ERR_1302,
    SIM_SC_ERR_1303,
    SIM_SC_ERR_1305_503,
    SIM_SC_ERR_1308,
    SIM_SC_ERR_1310,
    SIM_SC_ERR_1312,
    SIM_SC_ERR_1113,
    SIM_SC_ERR_UNKNOWN_429,
    SIM_SC_BARE_429,
    SIM_SC_ERR_500,
    SIM_SC_ERR_502,
    SIM_SC_ERR_503,
    SIM_SC_ERR_529,
    SIM_SC_EMPTY_200,
    SIM_SC_INVALID_JSON_200,
    SIM_SC_TRUNCATED_JSON_200,
    SIM_SC_EMPTY_STREAM,
    SIM_SC_STREAM_ERROR_FIRST_EVENT,
    SIM_SC_STALL_MID_STREAM,
    SIM_SC_RESET_MID_STREAM,
    SIM_SC_NO_USAGE,
    SIM_SC_SLOW_TTFB,
    SIM_SC_SLOW_HEADERS,
    SIM_SC_BIG_ERROR_BODY,
    SIM_SC_COUNT
} sim_scenario;

/* "" and "none" parse as SIM_SC_NONE. */
bool sim_scenario_parse(const char *name, sim_scenario *out);
const char *sim_scenario_name(sim_scenario sc);

#define SIM_SLOW_TTFB_NS (5 * 1000000000LL)
#define SIM_STALL_NS (600 * 1000000000LL)
#define SIM_FAULT_AFTER_STEPS 3
#define SIM_MARKER "zai-sim-provider-text"

/* ---- configuration ------------------------------------------------------- */

/* Reads every SIM_* variable with the current values of *c as defaults, so
 * the same code serves the environment and PUT /sim/config. */
bool sim_config_read(sim_config *c, envcfg *e);
/* Applies a PUT /sim/config JSON object; false with a message on a bad key
 * or value (c is unchanged then). */
bool sim_config_apply_json(sim_config *c, const char *body, size_t len, char *err, size_t errlen);

/* ---- one model request, parsed ------------------------------------------ */

typedef enum { SIM_API_OPENAI = 0, SIM_API_ANTHROPIC } sim_api;

typedef struct sim_gen {
    sim_api api;
    char model[128];
    bool stream;
    bool thinking;
    bool usage;                      /* usage fields present in the output */
    long long n_out;                 /* generated words = output tokens */
    long long n_reason;              /* the first n_reason words are reasoning */
    bool cut;                        /* max_tokens cut the output short */
    long long input_tokens;          /* all prompt tokens, cached included */
    long long cached_tokens;
    sim_openai_usage openai_usage;
    sim_anthropic_usage anthropic_usage;
    uint64_t hash;                   /* of seed + method + path + body */
    uint64_t text_seed;              /* of seed + model + system + messages */
    long long created;               /* epoch seconds derived from hash */
    char id[48];
} sim_gen;

/* Generation cursor for streams. */
typedef struct sim_gen_pos {
    long long step;
    uint64_t rng;
} sim_gen_pos;

/* Per-request overrides (X-Sim-* headers) on top of the configuration. */
typedef struct sim_overrides {
    long long output_tokens;         /* < 0 = not set */
    double tokens_per_sec;           /* < 0 = not set */
    int64_t ttfb_ns;                 /* < 0 = not set */
    int usage;                       /* -1 = not set, else sim_usage_mode */
} sim_overrides;

uint64_t sim_hash_request(uint64_t seed, const char *method, const char *path,
                          const char *body, size_t len);
/* Fills g from a parsed request body (root may be NULL: nothing to count). */
void sim_gen_init(sim_gen *g, const sim_config *c, const sim_overrides *o, sim_api api,
                  const cJSON *root, uint64_t hash);
/* The input estimate (one small function so the tokenizer can replace it). */
long long sim_estimate_input(const cJSON *root, sim_api api);
void sim_gen_pos_init(sim_gen_pos *p, const sim_gen *g);
/* The next pseudo-word (with its leading space); each is one token. */
const char *sim_gen_word(sim_gen_pos *p);
/* The next n words as one JSON string literal. */
void sim_gen_put_words(sim_gen_pos *p, long long n, strbuf *out);
/* Request id for error envelopes ("20261124100000" + 16 hex). */
void sim_request_id(uint64_t hash, char out[40]);
/* "YYYY-MM-DD HH:MM:SS" in UTC+8 for an epoch-seconds instant. */
void sim_fmt_utc8(long long epoch_s, char out[24]);

/* Complete non-streaming bodies. */
void sim_openai_json(const sim_gen *g, strbuf *out);
void sim_anthropic_json(const sim_gen *g, strbuf *out);
/* Appends the SSE text of the next stream step (one token, or the final
 * events) and returns true; returns false when the stream is complete. */
bool sim_openai_step(const sim_gen *g, sim_gen_pos *p, strbuf *out);
bool sim_anthropic_step(const sim_gen *g, sim_gen_pos *p, strbuf *out);

/* ---- error bodies -------------------------------------------------------- */

/* Provider-style message for a business code (marker included). reset_s is
 * used by 1308/1310 ("Your limit will reset at ..."). */
void sim_error_message(const char *code, long long reset_s, strbuf *out);
/* Error body in the endpoint's shape: nested string code (OpenAI) or the
 * Anthropic envelope with the code in error.type and a request_id. */
void sim_error_body(sim_api api, const char *code, const char *message, uint64_t hash, strbuf *out);
/* The first SSE event of stream-error-first-event, in the endpoint's shape. */
void sim_error_event(sim_api api, const char *code, const char *message, strbuf *out);
/* A body of exactly `size` bytes whose code appears after `code_after` bytes. */
void sim_big_error_body(sim_api api, const char *code, uint64_t hash, size_t size,
                        size_t code_after, strbuf *out);

/* ---- limits (§10.3) ------------------------------------------------------ */

typedef struct sim_bucket {
    double tokens;
    int64_t last_ns;
    bool primed;
} sim_bucket;

/* True when a request may pass at now_ns (consumes one token). */
bool sim_bucket_take(sim_bucket *b, double rps, int64_t now_ns);

typedef struct sim_window {
    long long used;
    int64_t reset_ms;                /* 0 = no window open yet */
} sim_window;

/* Rolls the window over when its reset instant has passed. */
void sim_window_roll(sim_window *w, int64_t now_ms);
/* The reset instant reported for the window (opened at now when unused). */
int64_t sim_window_reset_ms(const sim_window *w, int64_t now_ms, int64_t len_ms);
void sim_window_add(sim_window *w, long long credits, int64_t now_ms, int64_t len_ms);
/* True during 14:00–18:00 UTC+8. */
bool sim_is_peak(int64_t wall_ms);

#define SIM_WINDOW_5H_MS (5LL * 3600 * 1000)
#define SIM_WINDOW_WEEK_MS (7LL * 86400 * 1000)

/* Current-schema quota payload (§8.1) from live counters. */
void sim_quota_json(const char *plan, long long limit_5h, const sim_window *w5,
                    long long limit_week, const sim_window *ww, int64_t now_ms, strbuf *out);

/* ---- scripts (POST /sim/script) ----------------------------------------- */

typedef struct sim_header {
    char *name;
    char *value;
} sim_header;

/* One scripted answer. Shared by reference: a stream that is still running
 * keeps its response alive after POST /sim/reset. */
typedef struct sim_script_resp {
    int refs;
    bool reset;                      /* {"error":"reset"} */
    int status;
    sim_header *headers;
    size_t nheaders;
    bool has_content_type;
    char *body;
    size_t body_len;
    long long delay_ms;
    long long repeat;
    bool is_stream;
    char **events;
    size_t *event_lens;
    size_t nevents;
    long long interval_ms;
    long long stall_after;           /* < 0 = never */
    long long stall_ms;
    long long close_after_bytes;     /* < 0 = never */
    bool drop_connection;
} sim_script_resp;

typedef struct sim_script sim_script;
typedef struct sim_scripts {
    sim_script *head, *tail;
} sim_scripts;

/* Parses and appends a script; false with a message on invalid input. */
bool sim_scripts_add(sim_scripts *ss, const char *body, size_t len, char *err, size_t errlen);
/* The next scripted response for a request (a new reference), or NULL. */
sim_script_resp *sim_scripts_next(sim_scripts *ss, const char *path, const char *model);
size_t sim_scripts_pending(const sim_scripts *ss);
void sim_scripts_clear(sim_scripts *ss);
void sim_script_resp_unref(sim_script_resp *r);

#endif
