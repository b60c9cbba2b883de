/* sim: the simulator's HTTP server (ZAI-API.md §10) — routing, credentials,
 * per-request overrides, limits, and the plan of each answer (generated,
 * scripted or a fault scenario), handed to sim_engine.c for delivery. Also
 * the simulator's lifecycle: one thread with its own event_base, started by
 * sim_start and stopped through a wake-up pipe by sim_stop. */
#include "sim_srv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <event2/keyvalq_struct.h>
#include "clock.h"
#include "httpd.h"

#define SIM_MAX_BODY (64u << 20)
#define SIM_CONN_TIMEOUT_S 3600           /* quiet streams and stalls must survive */
#define SIM_BIG_ERROR_SIZE 40960
#define SIM_BIG_ERROR_CODE_AFTER 32768

static const char *const CT_JSON = "application/json";
static const char *const CT_SSE = "text/event-stream;charset=UTF-8";

static const char *const sim_models[] = {
    "glm-4.5", "glm-4.5-air", "glm-4.5-x", "glm-4.5-airx", "glm-4.5-flash", "glm-4.5v", "glm-4.6",
    "glm-4.6v", "glm-4.7", "glm-4.7-flash", "glm-4.7-flashx", "glm-4-32b-0414-128k", "glm-5",
    "glm-5-turbo", "glm-5v-turbo", "glm-5.1", "glm-5.2", "glm-5.3", "glm-5.3-flash", NULL};

typedef enum {
    SIM_R_OPENAI_CHAT, SIM_R_ANTHROPIC_MSG, SIM_R_COUNT_TOKENS, SIM_R_MODELS, SIM_R_QUOTA, SIM_R_UNKNOWN
} sim_route;


/* ---- plans ------------------------------------------------------------------- */

static void plan_body(sim_req *r, int status, const char *ctype)
{
    r->kind = SIM_K_BODY;
    r->status = status;
    if (ctype)
        sim_req_set_header(r, "Content-Type", ctype);
}

static void plan_stream(sim_req *r, sim_src src, const char *ctype)
{
    r->kind = SIM_K_STREAM;
    r->src = src;
    r->status = 200;
    sim_req_set_header(r, "Content-Type", ctype);
}

static void plan_error(sim_req *r, sim_api api, int status, const char *code, long long reset_s)
{
    strbuf msg = STRBUF_INIT;
    sim_error_message(code, reset_s, &msg);
    sim_error_body(api, code, msg.data ? msg.data : "", r->g.hash, &r->body);
    strbuf_free(&msg);
    sim_stats_error(r->s, code);
    plan_body(r, status, CT_JSON);
}

static void plan_script(sim_req *r, sim_script_resp *sr)
{
    r->script = sr;
    r->delay_ns = sr->delay_ms * NS_PER_MS;
    if (sr->reset) {
        r->kind = SIM_K_RESET;
        return;
    }
    for (size_t i = 0; i < sr->nheaders; i++)
        sim_req_set_header(r, sr->headers[i].name, sr->headers[i].value);
    if (sr->is_stream) {
        r->kind = SIM_K_STREAM;
        r->src = SIM_SRC_SCRIPT;
        r->status = sr->status;
        if (!sr->has_content_type)
            sim_req_set_header(r, "Content-Type", CT_SSE);
        r->interval_ns = sr->interval_ms * NS_PER_MS;
        r->stall_after = sr->stall_after;
        r->stall_ns = sr->stall_ms * NS_PER_MS;
        r->close_after_bytes = sr->close_after_bytes;
        r->drop_at_end = sr->drop_connection;
        return;
    }
    plan_body(r, sr->status, sr->has_content_type ? NULL : CT_JSON);
    strbuf_append(&r->body, sr->body ? sr->body : "", sr->body_len);
}

/* Hour-aligned reset stamps keep fault bodies stable for an hour. */
static long long fault_reset_s(int64_t ahead_s)
{
    long long now_s = clock_wall_ns() / NS_PER_SEC;
    return now_s - now_s % 3600 + ahead_s;
}

typedef struct fault_err {
    sim_scenario sc;
    int status;
    const char *code;                /* NULL = no body */
} fault_err;

static const fault_err fault_errors[] = {
    {SIM_SC_ERR_1302, 429, "1302"}, {SIM_SC_ERR_1303, 429, "1303"},
    {SIM_SC_ERR_1305_503, 503, "1305"}, {SIM_SC_ERR_1308, 429, "1308"},
    {SIM_SC_ERR_1310, 429, "1310"}, {SIM_SC_ERR_1312, 429, "1312"},
    {SIM_SC_ERR_1113, 429, "1113"}, {SIM_SC_ERR_UNKNOWN_429, 429, "9999"},
    {SIM_SC_BARE_429, 429, NULL}, {SIM_SC_ERR_500, 500, "500"},
    {SIM_SC_ERR_502, 502, "502"}, {SIM_SC_ERR_503, 503, "503"},
    {SIM_SC_ERR_529, 529, "529"},
};

/* Plans the answer of a fault scenario that replaces generation; false when
 * the scenario only modifies a generated answer. */
static bool plan_fault(sim_req *r, sim_scenario sc)
{
    sim_api api = r->g.api;
    for (size_t i = 0; i < sizeof fault_errors / sizeof fault_errors[0]; i++) {
        const fault_err *f = &fault_errors[i];
        if (f->sc != sc)
            continue;
        if (!f->code) {
            sim_stats_error(r->s, "429");
            plan_body(r, f->status, NULL);
        } else {
            plan_error(r, api, f->status, f->code,
                       fault_reset_s(sc == SIM_SC_ERR_1310 ? 7 * 86400 : 5 * 3600));
        }
        return true;
    }
    switch (sc) {
    case SIM_SC_EMPTY_200:
        plan_body(r, 200, CT_JSON);
        return true;
    case SIM_SC_INVALID_JSON_200:
    case SIM_SC_TRUNCATED_JSON_200: {
        strbuf full = STRBUF_INIT;
        if (api == SIM_API_OPENAI)
            sim_openai_json(&r->g, &full);
        else
            sim_anthropic_json(&r->g, &full);
        strbuf_append(&r->body, full.data, full.len / 2);
        strbuf_free(&full);
        plan_body(r, 200, CT_JSON);
        return true;
    }
    case SIM_SC_EMPTY_STREAM:
        plan_stream(r, SIM_SRC_ONCE, CT_SSE);
        return true;
    case SIM_SC_STREAM_ERROR_FIRST_EVENT: {
        strbuf msg = STRBUF_INIT;
        sim_error_message("1302", 0, &msg);
        sim_error_event(api, "1302", msg.data ? msg.data : "", &r->body);
        strbuf_free(&msg);
        sim_stats_error(r->s, "1302");
        plan_stream(r, SIM_SRC_ONCE, CT_SSE);
        return true;
    }
    case SIM_SC_BIG_ERROR_BODY:
        sim_big_error_body(api, "1302", r->g.hash, SIM_BIG_ERROR_SIZE, SIM_BIG_ERROR_CODE_AFTER, &r->body);
        sim_stats_error(r->s, "1302");
        plan_body(r, 429, CT_JSON);
        return true;
    default:
        return false;
    }
}

/* §10.3 limits; false when the request was answered with a limit error. */
static bool admit(sim_req *r)
{
    sim *s = r->s;
    const sim_config *c = &s->cfg;
    int64_t now_ms = clock_wall_ns() / NS_PER_MS;
    sim_api api = r->g.api;

    if (c->concurrency_per_model > 0 && r->model->in_flight >= c->concurrency_per_model) {
        plan_error(r, api, 429, "1302", 0);
        return false;
    }
    if (c->rps > 0 && !sim_bucket_take(&s->bucket, c->rps, clock_mono_ns())) {
        plan_error(r, api, 429, "1303", 0);
        return false;
    }
    sim_window_roll(&s->w5h, now_ms);
    sim_window_roll(&s->wweek, now_ms);
    if (c->quota_5h > 0 && s->w5h.used >= c->quota_5h) {
        plan_error(r, api, 429, "1308", s->w5h.reset_ms / 1000);
        return false;
    }
    if (c->quota_weekly > 0 && s->wweek.used >= c->quota_weekly) {
        plan_error(r, api, 429, "1310", s->wweek.reset_ms / 1000);
        return false;
    }
    double mult = sim_is_peak(now_ms) ? c->peak_multiplier : 1.0;
    long long credits = llround((double)(r->g.input_tokens + r->g.n_out) * mult);
    sim_window_add(&s->w5h, credits, now_ms, SIM_WINDOW_5H_MS);
    sim_window_add(&s->wweek, credits, now_ms, SIM_WINDOW_WEEK_MS);
    return true;
}

static void plan_generated(sim_req *r, const sim_overrides *ov, sim_scenario sc)
{
    const sim_config *c = &r->s->cfg;
    r->track = true;
    int64_t ttfb = ov->ttfb_ns >= 0 ? ov->ttfb_ns : c->ttfb_ns;
    double tps = ov->tokens_per_sec >= 0 ? ov->tokens_per_sec : c->tokens_per_sec;
    if (sc == SIM_SC_SLOW_TTFB || sc == SIM_SC_SLOW_HEADERS)
        ttfb = ttfb > SIM_SLOW_TTFB_NS ? ttfb : SIM_SLOW_TTFB_NS;
    r->delay_ns = ttfb;
    if (plan_fault(r, sc))
        return;
    if (!admit(r)) {
        r->track = false;
        r->delay_ns = 0;
        return;
    }
    if (sc == SIM_SC_NO_USAGE)
        r->g.usage = false;
    r->interval_ns = tps > 0 ? (int64_t)(1e9 / tps) : 0;
    if (r->g.stream) {
        plan_stream(r, SIM_SRC_GEN, CT_SSE);
        sim_gen_pos_init(&r->pos, &r->g);
        if (sc == SIM_SC_STALL_MID_STREAM) {
            r->stall_after = SIM_FAULT_AFTER_STEPS;
            r->stall_ns = SIM_STALL_NS;
        } else if (sc == SIM_SC_RESET_MID_STREAM) {
            r->cut_after = SIM_FAULT_AFTER_STEPS;
        }
        return;
    }
    /* A non-streaming answer takes as long as generating it would. */
    r->delay_ns += r->interval_ns * r->g.n_out;
    if (r->g.api == SIM_API_OPENAI)
        sim_openai_json(&r->g, &r->body);
    else
        sim_anthropic_json(&r->g, &r->body);
    if (sc == SIM_SC_STALL_MID_STREAM) {
        r->delay_ns += SIM_STALL_NS;
    } else if (sc == SIM_SC_RESET_MID_STREAM) {
        r->body.len /= 2;
        plan_stream(r, SIM_SRC_ONCE, CT_JSON);
        r->interval_ns = 0;
        r->drop_at_end = true;
        return;
    }
    plan_body(r, 200, CT_JSON);
}

/* ---- X-Sim-* overrides -------------------------------------------------------- */

static bool parse_overrides(const sim *s, struct evkeyvalq *h, sim_overrides *o, sim_scenario *sc,
                            char *err, size_t errlen)
{
    const char *v;
    long long n;
    *o = (sim_overrides){.output_tokens = -1, .tokens_per_sec = -1, .ttfb_ns = -1, .usage = -1};
    if ((v = evhttp_find_header(h, "X-Sim-Output-Tokens"))) {
        if (!parse_int(v, &n) || n < 0 || n > 100000000) {
            snprintf(err, errlen, "X-Sim-Output-Tokens must be an integer in [0, 100000000]");
            return false;
        }
        o->output_tokens = n;
    }
    if ((v = evhttp_find_header(h, "X-Sim-Tokens-Per-Sec")) &&
        (!parse_float(v, &o->tokens_per_sec) || o->tokens_per_sec < 0)) {
        snprintf(err, errlen, "X-Sim-Tokens-Per-Sec must be a number >= 0");
        return false;
    }
    if ((v = evhttp_find_header(h, "X-Sim-TTFB")) && (!parse_duration(v, &o->ttfb_ns) || o->ttfb_ns < 0)) {
        snprintf(err, errlen, "X-Sim-TTFB must be a duration >= 0 (e.g. 150ms)");
        return false;
    }
    if ((v = evhttp_find_header(h, "X-Sim-Usage"))) {
        if (strcasecmp(v, "always") != 0 && strcasecmp(v, "never") != 0) {
            snprintf(err, errlen, "X-Sim-Usage must be always or never");
            return false;
        }
        o->usage = strcasecmp(v, "always") == 0 ? SIM_USAGE_ALWAYS : SIM_USAGE_NEVER;
    }
    v = evhttp_find_header(h, "X-Sim-Scenario");
    if (!sim_scenario_parse(v ? v : s->cfg.fault, sc)) {
        snprintf(err, errlen, "X-Sim-Scenario names no known scenario");
        return false;
    }
    return true;
}

/* ---- routes ------------------------------------------------------------------- */

static sim_route classify(enum evhttp_cmd_type m, const char *path)
{
    if (m == EVHTTP_REQ_POST) {
        if (strcmp(path, "/api/paas/v4/chat/completions") == 0 ||
            strcmp(path, "/api/coding/paas/v4/chat/completions") == 0)
            return SIM_R_OPENAI_CHAT;
        if (strcmp(path, "/api/anthropic/v1/messages") == 0)
            return SIM_R_ANTHROPIC_MSG;
        if (strcmp(path, "/api/anthropic/v1/messages/count_tokens") == 0)
            return SIM_R_COUNT_TOKENS;
    } else if (m == EVHTTP_REQ_GET) {
        if (strcmp(path, "/api/paas/v4/models") == 0 || strcmp(path, "/api/coding/paas/v4/models") == 0)
            return SIM_R_MODELS;
        if (strcmp(path, "/api/monitor/usage/quota/limit") == 0)
            return SIM_R_QUOTA;
    }
    return SIM_R_UNKNOWN;
}

static sim_api api_of_path(const char *path)
{
    return strncmp(path, "/api/anthropic", 14) == 0 ? SIM_API_ANTHROPIC : SIM_API_OPENAI;
}

static const char *bearer_value(const char *v)
{
    if (!v || strncasecmp(v, "Bearer ", 7) != 0)
        return NULL;
    v += 7;
    while (*v == ' ')
        v++;
    return v;
}

bool sim_credential_matches(const sim *s, const char *name, const char *value)
{
    const char *key = s->cfg.api_key;
    if (strcasecmp(name, "authorization") == 0) {
        const char *b = bearer_value(value);
        return strcmp(b ? b : value, key) == 0;
    }
    return strcasecmp(name, "x-api-key") == 0 && strcmp(value, key) == 0;
}

/* §10.2: Bearer on OpenAI paths; x-api-key or Bearer on the Anthropic path;
 * the raw key or Bearer on the monitor path. */
static bool auth_ok(sim *s, struct evhttp_request *req, sim_route route)
{
    struct evkeyvalq *h = evhttp_request_get_input_headers(req);
    const char *key = s->cfg.api_key;
    const char *a = evhttp_find_header(h, "Authorization");
    const char *x = evhttp_find_header(h, "x-api-key");
    const char *b = bearer_value(a);
    bool ok = b && strcmp(b, key) == 0;
    if (route == SIM_R_ANTHROPIC_MSG || route == SIM_R_COUNT_TOKENS)
        ok = ok || (x && strcmp(x, key) == 0);
    else if (route == SIM_R_QUOTA)
        ok = ok || (a && strcmp(a, key) == 0);
    if (ok)
        s->st.auth_matched++;
    else
        s->st.auth_mismatched++;
    return ok;
}

static void reply_now_error(sim *s, struct evhttp_request *req, sim_api api, int status,
                            const char *code, const char *detail, uint64_t hash)
{
    strbuf *sb = &s->scratch, msg = STRBUF_INIT;
    if (detail)
        strbuf_printf(&msg, "%s (%s)", detail, SIM_MARKER);
    else
        sim_error_message(code, 0, &msg);
    strbuf_reset(sb);
    sim_error_body(api, code, msg.data ? msg.data : "", hash, sb);
    strbuf_free(&msg);
    sim_stats_error(s, code);
    httpd_reply(req, status, CT_JSON, sb->data, sb->len);
}

static void reply_not_found(sim *s, struct evhttp_request *req, const char *path, uint64_t hash)
{
    strbuf *sb = &s->scratch;
    if (api_of_path(path) == SIM_API_OPENAI) {
        reply_now_error(s, req, SIM_API_OPENAI, 404, "404", NULL, hash);
        return;
    }
    strbuf_reset(sb);
    sim_error_body(SIM_API_ANTHROPIC, "not_found_error", "Not found (" SIM_MARKER ")", hash, sb);
    sim_stats_error(s, "404");
    httpd_reply(req, 404, CT_JSON, sb->data, sb->len);
}

static void serve_models(sim *s, struct evhttp_request *req)
{
    strbuf *sb = &s->scratch;
    strbuf_reset(sb);
    strbuf_puts(sb, "{\"object\":\"list\",\"data\":[");
    for (int i = 0; sim_models[i]; i++)
        strbuf_printf(sb, "%s{\"id\":\"%s\",\"object\":\"model\",\"owned_by\":\"z-ai\"}", i ? "," : "",
                      sim_models[i]);
    strbuf_puts(sb, "]}");
    httpd_reply(req, 200, CT_JSON, sb->data, sb->len);
}

static void serve_count_tokens(sim *s, struct evhttp_request *req, const cJSON *root, const char *path,
                               uint64_t hash)
{
    strbuf *sb = &s->scratch;
    if (!s->cfg.count_tokens) {
        reply_not_found(s, req, path, hash);
        return;
    }
    if (!cJSON_IsObject(root)) {
        reply_now_error(s, req, SIM_API_ANTHROPIC, 400, "1214", NULL, hash);
        return;
    }
    strbuf_reset(sb);
    strbuf_printf(sb, "{\"input_tokens\":%lld}", sim_estimate_input(root, SIM_API_ANTHROPIC));
    httpd_reply(req, 200, CT_JSON, sb->data, sb->len);
}

static void reply_auth_failure(sim *s, struct evhttp_request *req, sim_route route, sim_api api, uint64_t hash)
{
    static const char monitor[] = "{\"code\":401,\"msg\":\"token expired or incorrect\",\"data\":null,\"success\":false}";
    if (route == SIM_R_QUOTA) {
        httpd_reply(req, 200, CT_JSON, monitor, sizeof monitor - 1);
        return;
    }
    reply_now_error(s, req, api, 401, "1002", NULL, hash);
}

static void serve_model(sim *s, struct evhttp_request *req, sim_api api, const cJSON *root, uint64_t hash,
                        sim_req *r)
{
    sim_overrides ov;
    sim_scenario sc;
    char err[128];
    if (!parse_overrides(s, evhttp_request_get_input_headers(req), &ov, &sc, err, sizeof err)) {
        sim_req_release(r, SIM_OUT_SERVED);
        reply_now_error(s, req, api, 400, "1214", err, hash);
        return;
    }
    if (!cJSON_IsObject(root)) {
        sim_req_release(r, SIM_OUT_SERVED);
        reply_now_error(s, req, api, 400, "1214", NULL, hash);
        return;
    }
    sim_gen_init(&r->g, &s->cfg, &ov, api, root, hash);
    plan_generated(r, &ov, sc);
    sim_req_go(r);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    sim *s = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || !*path)
        path = "/";
    if (strcmp(path, "/sim") == 0 || strncmp(path, "/sim/", 5) == 0) {
        sim_control_handle(s, req, path);
        return;
    }
    sim_stats_path(s, path);
    sim_stats_last_request(s, req, path, uri ? evhttp_uri_get_query(uri) : NULL);

    sim_route route = classify(evhttp_request_get_command(req), path);
    sim_api api = api_of_path(path);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";
    uint64_t hash = sim_hash_request(s->cfg.seed, httpd_method_name(req), path, body, len);

    if (route != SIM_R_UNKNOWN && !auth_ok(s, req, route)) {
        reply_auth_failure(s, req, route, api, hash);
        s->st.served++;
        return;
    }
    cJSON *root = len ? cJSON_ParseWithLength(body, len) : NULL;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "model");
    const char *model = cJSON_IsString(m) ? m->valuestring : NULL;
    sim_script_resp *sr = sim_scripts_next(&s->scripts, path, model);
    sim_req *r = NULL;
    if (sr || route == SIM_R_OPENAI_CHAT || route == SIM_R_ANTHROPIC_MSG) {
        r = sim_req_new(s, req);
        if (!r) {
            sim_script_resp_unref(sr);
            httpd_reply(req, 500, NULL, NULL, 0);
            cJSON_Delete(root);
            return;
        }
        r->model = sim_stats_model(s, model && *model ? model : "unknown");
        r->g.api = api;
        r->g.hash = hash;
    }
    if (sr) {
        r->track = true;
        plan_script(r, sr);
        sim_req_go(r);
    } else if (r) {
        serve_model(s, req, api, root, hash, r);
    } else {
        if (route == SIM_R_MODELS)
            serve_models(s, req);
        else if (route == SIM_R_COUNT_TOKENS)
            serve_count_tokens(s, req, root, path, hash);
        else if (route == SIM_R_QUOTA)
            sim_quota_serve(s, req);
        else
            reply_not_found(s, req, path, hash);
        s->st.served++;
    }
    cJSON_Delete(root);
}

/* ---- state reset ------------------------------------------------------------------ */

void sim_reset_state(sim *s)
{
    sim_stats *st = &s->st;
    sim_scripts_clear(&s->scripts);
    for (size_t i = 0; i < st->npaths; i++)
        free(st->paths[i].key);
    for (size_t i = 0; i < st->nerrors; i++)
        free(st->errors[i].key);
    st->npaths = st->nerrors = 0;
    /* Entries stay: running requests point at them. */
    for (size_t i = 0; i < st->nmodels; i++)
        st->models[i].in_flight_max = st->models[i].in_flight;
    st->auth_matched = st->auth_mismatched = 0;
    st->served = st->cancelled = st->dropped = 0;
    strbuf_reset(&st->last_request);
    s->bucket = (sim_bucket){0};
    s->w5h = s->wweek = (sim_window){0};
    s->has_quota_override = false;
    strbuf_reset(&s->quota_override);
    s->rotate_idx = 0;
    s->cfg = s->cfg0;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    sim *s = arg;
    (void)fd;
    (void)what;
    event_base_loopbreak(s->base);
}

static void *sim_thread(void *arg)
{
    sim *s = arg;
    httpd_block_signals();
    event_base_dispatch(s->base);
    return NULL;
}

static void sim_free(sim *s)
{
    if (s->http)
        evhttp_free(s->http);           /* close callbacks release live requests */
    while (s->live) {
        sim_req *r = s->live;
        r->evcon = NULL;
        sim_req_release(r, SIM_OUT_CANCELLED);
    }
    while (s->free_reqs) {
        sim_req *r = s->free_reqs;
        s->free_reqs = r->next;
        sim_req_destroy(r);
    }
    if (s->wake_ev)
        event_free(s->wake_ev);
    for (int i = 0; i < 2; i++)
        if (s->wake[i] >= 0)
            close(s->wake[i]);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->base)
        event_base_free(s->base);
    sim_scripts_clear(&s->scripts);
    sim_stats_free(&s->st);
    sim_quota_free(s);
    strbuf_free(&s->scratch);
    free(s);
}

static bool setup_http(sim *s, char *err, size_t errlen)
{
    s->base = httpd_base_new();
    s->http = s->base ? evhttp_new(s->base) : NULL;
    if (!s->http) {
        snprintf(err, errlen, "cannot create the event loop");
        return false;
    }
    evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH |
                                            EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT);
    evhttp_set_default_content_type(s->http, NULL);
    evhttp_set_max_body_size(s->http, SIM_MAX_BODY);
    evhttp_set_timeout(s->http, SIM_CONN_TIMEOUT_S);
    evhttp_set_gencb(s->http, on_request, s);
    if (!evhttp_accept_socket_with_handle(s->http, s->listen_fd)) {
        snprintf(err, errlen, "cannot accept on the listening socket");
        return false;
    }
    s->listen_fd = -1;                  /* owned by evhttp now */
    if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: cannot create the wake-up pipe");
        return false;
    }
    s->wake_ev = event_new(s->base, s->wake[0], EV_READ | EV_PERSIST, on_wake, s);
    if (!s->wake_ev || event_add(s->wake_ev, NULL) != 0) {
        snprintf(err, errlen, "cannot create the wake-up event");
        return false;
    }
    return true;
}

sim *sim_start(const sim_config *c, char *err, size_t errlen)
{
    sim *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = s->cfg0 = *c;
    s->listen_fd = -1;
    s->wake[0] = s->wake[1] = -1;
    if (!sim_quota_load(s, err, errlen))
        goto fail;
    s->listen_fd = httpd_listen(c->listen_host, c->listen_port, false, err, errlen);
    if (s->listen_fd < 0)
        goto fail;
    s->port = httpd_bound_port(s->listen_fd);
    if (!setup_http(s, err, errlen))
        goto fail;
    if (pthread_create(&s->thread, NULL, sim_thread, s) != 0) {
        snprintf(err, errlen, "cannot start the simulator thread");
        goto fail;
    }
    s->thread_started = true;
    return s;
fail:
    sim_free(s);
    return NULL;
}

int sim_port(const sim *s)
{
    return s->port;
}

void sim_stop(sim *s)
{
    if (!s)
        return;
    if (s->thread_started) {
        ssize_t n;
        do
            n = write(s->wake[1], "x", 1);
        while (n < 0 && errno == EINTR);
        pthread_join(s->thread, NULL);
    }
    sim_free(s);
}
