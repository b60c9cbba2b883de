/* sim_srv: the running simulator — its state (owned by the simulator thread;
 * nothing here is touched from another thread after sim_start returns, except
 * the wake-up pipe used by sim_stop) and the helpers sim.c and sim_control.c
 * share. */
#ifndef ZAI_SIM_SRV_H
#define ZAI_SIM_SRV_H

#include <pthread.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include "sim_int.h"

typedef struct sim_count {
    char *key;
    long long n;
} sim_count;

typedef struct sim_model {
    char name[128];
    long long in_flight;
    long long in_flight_max;
} sim_model;

#define SIM_MAX_PATHS 256
#define SIM_MAX_MODELS 256
#define SIM_MAX_ERROR_CODES 64

typedef struct sim_stats {
    sim_count paths[SIM_MAX_PATHS];
    size_t npaths;
    sim_model models[SIM_MAX_MODELS];
    size_t nmodels;
    sim_count errors[SIM_MAX_ERROR_CODES];
    size_t nerrors;
    long long auth_matched, auth_mismatched;
    long long served, cancelled, dropped, in_flight;
    strbuf last_request;             /* rendered JSON object, "" = none yet */
} sim_stats;

typedef struct sim_req sim_req;

struct sim {
    sim_config cfg;                  /* current (PUT /sim/config) */
    sim_config cfg0;                 /* as started (POST /sim/reset) */
    struct event_base *base;
    struct evhttp *http;
    int listen_fd;
    int port;
    pthread_t thread;
    bool thread_started;
    int wake[2];
    struct event *wake_ev;

    sim_stats st;
    sim_bucket bucket;
    sim_window w5h, wweek;
    sim_scripts scripts;

    strbuf quota_override;           /* PUT /sim/quota body, if has_quota_override */
    bool has_quota_override;
    strbuf fixture;                  /* SIM_QUOTA_FIXTURE contents */
    strbuf *rotate;                  /* SIM_QUOTA_ROTATE contents */
    size_t nrotate, rotate_idx;

    sim_req *free_reqs;              /* pool of finished request contexts */
    sim_req *live;                   /* requests being answered */
    strbuf scratch;                  /* reused by every handler */
};

/* ---- sim_control.c ------------------------------------------------------- */

void sim_control_handle(sim *s, struct evhttp_request *req, const char *path);
void sim_stats_path(sim *s, const char *path);
void sim_stats_error(sim *s, const char *code);
sim_model *sim_stats_model(sim *s, const char *name);
/* Records method, path, query and headers with credential values replaced
 * by "<matched>" / "<mismatched>". */
void sim_stats_last_request(sim *s, struct evhttp_request *req, const char *path, const char *query);
void sim_stats_free(sim_stats *st);
/* Loads SIM_QUOTA_FIXTURE / SIM_QUOTA_ROTATE files; false with err. */
bool sim_quota_load(sim *s, char *err, size_t errlen);
void sim_quota_free(sim *s);
/* Serves GET /api/monitor/usage/quota/limit. */
void sim_quota_serve(sim *s, struct evhttp_request *req);

/* ---- sim.c ----------------------------------------------------------------- */

/* True when `value` of header `name` carries the configured key. */
bool sim_credential_matches(const sim *s, const char *name, const char *value);
/* Clears scripts, counters and limits and restores the start configuration. */
void sim_reset_state(sim *s);

/* ---- sim_engine.c: one answer in progress -------------------------------- */

typedef enum { SIM_K_BODY, SIM_K_STREAM, SIM_K_RESET } sim_kind;
typedef enum { SIM_SRC_GEN, SIM_SRC_SCRIPT, SIM_SRC_ONCE } sim_src;
typedef enum { SIM_PH_DELAY, SIM_PH_STREAM, SIM_PH_CLOSE } sim_phase;
typedef enum { SIM_OUT_SERVED, SIM_OUT_CANCELLED, SIM_OUT_DROPPED } sim_outcome;

/* A request being answered. The planner (sim.c) fills kind, status,
 * headers, body or stream source and timing; the engine delivers it. */
struct sim_req {
    sim *s;
    sim_req *next, *prev;
    struct evhttp_request *req;
    struct evhttp_connection *evcon; /* NULL once the client went away */
    struct event *timer;
    struct event *probe;             /* read watch on the socket while quiet */
    struct evbuffer *out;
    sim_model *model;
    bool track;                      /* counts as in flight */
    bool watching;                   /* close callback installed */
    bool probing;                    /* probe pending */
    sim_kind kind;
    sim_src src;
    sim_phase phase;
    int status;
    int64_t delay_ns, interval_ns, stall_ns;
    long long stall_after, cut_after, close_after_bytes;
    bool drop_at_end, stalled, waiting_flush;
    long long steps, sent;
    sim_gen g;
    sim_gen_pos pos;
    sim_script_resp *script;
    strbuf body;
};

sim_req *sim_req_new(sim *s, struct evhttp_request *req);
/* Sets (replaces) a response header. */
void sim_req_set_header(sim_req *r, const char *name, const char *value);
/* Counts the request in flight when r->track, then answers at once or after
 * r->delay_ns. */
void sim_req_go(sim_req *r);
/* Ends the request's accounting and returns the context to the pool. */
void sim_req_release(sim_req *r, sim_outcome outcome);
void sim_req_destroy(sim_req *r);

#endif
