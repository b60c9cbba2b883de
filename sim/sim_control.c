/* sim_control: the /sim/ control API (ZAI-API.md §10.6, loopback peers
 * only), the counters it reports, and the quota endpoint's payload sources
 * (§10.5: PUT /sim/quota, SIM_QUOTA_ROTATE, SIM_QUOTA_FIXTURE, else live
 * counters). All of it runs on the simulator thread. */
#include "sim_srv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <event2/keyvalq_struct.h>
#include "clock.h"
#include "httpd.h"

static const char *const CT_JSON = "application/json";

/* ---- counters ------------------------------------------------------------------ */

/* Adds one to key in a bounded table; overflow goes to "(other)". */
static void count_key(sim_count *tab, size_t *n, size_t cap, const char *key)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(tab[i].key, key) == 0) {
            tab[i].n++;
            return;
        }
    }
    if (*n + 1 >= cap && strcmp(key, "(other)") != 0) {
        count_key(tab, n, cap, "(other)");
        return;
    }
    char *k = strdup(key);
    if (!k)
        return;
    tab[*n].key = k;
    tab[*n].n = 1;
    (*n)++;
}

void sim_stats_path(sim *s, const char *path)
{
    count_key(s->st.paths, &s->st.npaths, SIM_MAX_PATHS, path);
}

void sim_stats_error(sim *s, const char *code)
{
    count_key(s->st.errors, &s->st.nerrors, SIM_MAX_ERROR_CODES, code);
}

sim_model *sim_stats_model(sim *s, const char *name)
{
    sim_stats *st = &s->st;
    for (size_t i = 0; i < st->nmodels; i++)
        if (strcmp(st->models[i].name, name) == 0)
            return &st->models[i];
    if (st->nmodels + 1 >= SIM_MAX_MODELS && strcmp(name, "(other)") != 0)
        return sim_stats_model(s, "(other)");
    sim_model *m = &st->models[st->nmodels++];
    snprintf(m->name, sizeof m->name, "%s", name);
    m->in_flight = m->in_flight_max = 0;
    return m;
}

static bool is_credential(const char *name)
{
    return strcasecmp(name, "authorization") == 0 || strcasecmp(name, "x-api-key") == 0;
}

void sim_stats_last_request(sim *s, struct evhttp_request *req, const char *path, const char *query)
{
    strbuf *sb = &s->st.last_request;
    const char *method = httpd_method_name(req);
    struct evkeyval *kv;
    bool first = true;
    strbuf_reset(sb);
    strbuf_printf(sb, "{\"method\":\"%s\",\"path\":", method);
    strbuf_json_str(sb, path, strlen(path));
    strbuf_puts(sb, ",\"query\":");
    if (query)
        strbuf_json_str(sb, query, strlen(query));
    else
        strbuf_puts(sb, "null");
    strbuf_puts(sb, ",\"headers\":{");
    TAILQ_FOREACH(kv, evhttp_request_get_input_headers(req), next) {
        if (!first)
            strbuf_putc(sb, ',');
        first = false;
        strbuf_json_str(sb, kv->key, strlen(kv->key));
        strbuf_putc(sb, ':');
        if (is_credential(kv->key))
            strbuf_puts(sb, sim_credential_matches(s, kv->key, kv->value) ? "\"<matched>\"" : "\"<mismatched>\"");
        else
            strbuf_json_str(sb, kv->value, strlen(kv->value));
    }
    strbuf_puts(sb, "}}");
}

void sim_stats_free(sim_stats *st)
{
    for (size_t i = 0; i < st->npaths; i++)
        free(st->paths[i].key);
    for (size_t i = 0; i < st->nerrors; i++)
        free(st->errors[i].key);
    st->npaths = st->nerrors = 0;
    strbuf_free(&st->last_request);
}

static void put_counts(strbuf *sb, const char *name, const sim_count *tab, size_t n)
{
    strbuf_printf(sb, "\"%s\":{", name);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strbuf_putc(sb, ',');
        strbuf_json_str(sb, tab[i].key, strlen(tab[i].key));
        strbuf_printf(sb, ":%lld", tab[i].n);
    }
    strbuf_puts(sb, "},");
}

static void render_stats(sim *s, strbuf *sb)
{
    const sim_stats *st = &s->st;
    strbuf_putc(sb, '{');
    put_counts(sb, "requests", st->paths, st->npaths);
    strbuf_puts(sb, "\"in_flight_max\":{");
    for (size_t i = 0; i < st->nmodels; i++) {
        if (i)
            strbuf_putc(sb, ',');
        strbuf_json_str(sb, st->models[i].name, strlen(st->models[i].name));
        strbuf_printf(sb, ":%lld", st->models[i].in_flight_max);
    }
    strbuf_puts(sb, "},");
    put_counts(sb, "errors", st->errors, st->nerrors);
    strbuf_printf(sb,
                  "\"auth\":{\"matched\":%lld,\"mismatched\":%lld},\"served\":%lld,\"cancelled\":%lld,"
                  "\"dropped\":%lld,\"in_flight\":%lld,\"scripts_pending\":%zu,\"last_request\":",
                  st->auth_matched, st->auth_mismatched, st->served, st->cancelled, st->dropped,
                  st->in_flight, sim_scripts_pending(&s->scripts));
    if (st->last_request.len)
        strbuf_append(sb, st->last_request.data, st->last_request.len);
    else
        strbuf_puts(sb, "null");
    strbuf_putc(sb, '}');
}

/* ---- quota payload sources -------------------------------------------------------- */

static bool read_file(const char *path, strbuf *out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char buf[8192];
    size_t n;
    if (!f) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return false;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        strbuf_append(out, buf, n);
    bool ok = !ferror(f) && !strbuf_failed(out);
    fclose(f);
    if (!ok)
        snprintf(err, errlen, "cannot read %s", path);
    return ok;
}

void sim_quota_free(sim *s)
{
    for (size_t i = 0; i < s->nrotate; i++)
        strbuf_free(&s->rotate[i]);
    free(s->rotate);
    s->rotate = NULL;
    s->nrotate = s->rotate_idx = 0;
    strbuf_free(&s->fixture);
    strbuf_free(&s->quota_override);
}

static bool load_rotate(sim *s, const char *list, char *err, size_t errlen)
{
    char copy[sizeof s->cfg.quota_rotate];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
            tok[--n] = '\0';
        if (n == 0)
            continue;
        strbuf *grown = realloc(s->rotate, (s->nrotate + 1) * sizeof *s->rotate);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        s->rotate = grown;
        s->rotate[s->nrotate] = (strbuf)STRBUF_INIT;
        if (!read_file(tok, &s->rotate[s->nrotate++], err, errlen))
            return false;
    }
    return true;
}

bool sim_quota_load(sim *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->nrotate; i++)
        strbuf_free(&s->rotate[i]);
    s->nrotate = s->rotate_idx = 0;
    strbuf_reset(&s->fixture);
    if (s->cfg.quota_fixture[0] && !read_file(s->cfg.quota_fixture, &s->fixture, err, errlen))
        return false;
    return !s->cfg.quota_rotate[0] || load_rotate(s, s->cfg.quota_rotate, err, errlen);
}

void sim_quota_serve(sim *s, struct evhttp_request *req)
{
    strbuf *sb = &s->scratch;
    if (s->has_quota_override) {
        httpd_reply(req, 200, CT_JSON, s->quota_override.data ? s->quota_override.data : "",
                  s->quota_override.len);
    } else if (s->nrotate > 0) {
        const strbuf *f = &s->rotate[s->rotate_idx];
        s->rotate_idx = (s->rotate_idx + 1) % s->nrotate;
        httpd_reply(req, 200, CT_JSON, f->data ? f->data : "", f->len);
    } else if (s->cfg.quota_fixture[0]) {
        httpd_reply(req, 200, CT_JSON, s->fixture.data ? s->fixture.data : "", s->fixture.len);
    } else {
        strbuf_reset(sb);
        sim_quota_json(s->cfg.plan, s->cfg.quota_5h, &s->w5h, s->cfg.quota_weekly, &s->wweek,
                       clock_wall_ns() / NS_PER_MS, sb);
        httpd_reply(req, 200, CT_JSON, sb->data, sb->len);
    }
}

/* ---- /sim/ handlers ---------------------------------------------------------------- */

static void reply_json_error(sim *s, struct evhttp_request *req, int status, const char *msg)
{
    strbuf *sb = &s->scratch;
    strbuf_reset(sb);
    strbuf_puts(sb, "{\"error\":");
    strbuf_json_str(sb, msg, strlen(msg));
    strbuf_putc(sb, '}');
    httpd_reply(req, status, CT_JSON, sb->data, sb->len);
}

static void reply_ok(struct evhttp_request *req)
{
    static const char ok[] = "{\"ok\":true}";
    httpd_reply(req, 200, CT_JSON, ok, sizeof ok - 1);
}

static void put_config(sim *s, struct evhttp_request *req, const char *body, size_t len)
{
    char err[512];
    sim_config next = s->cfg;
    if (!sim_config_apply_json(&next, body, len, err, sizeof err)) {
        reply_json_error(s, req, 400, err);
        return;
    }
    bool reload = strcmp(next.quota_fixture, s->cfg.quota_fixture) != 0 ||
                  strcmp(next.quota_rotate, s->cfg.quota_rotate) != 0;
    s->cfg = next;
    if (reload && !sim_quota_load(s, err, sizeof err)) {
        reply_json_error(s, req, 400, err);
        return;
    }
    reply_ok(req);
}

static void put_quota(sim *s, struct evhttp_request *req, const char *body, size_t len)
{
    strbuf_reset(&s->quota_override);
    strbuf_append(&s->quota_override, body, len);
    if (strbuf_failed(&s->quota_override)) {
        reply_json_error(s, req, 500, "out of memory");
        return;
    }
    s->has_quota_override = true;
    reply_ok(req);
}

static void post_script(sim *s, struct evhttp_request *req, const char *body, size_t len)
{
    char err[256];
    if (!sim_scripts_add(&s->scripts, body, len, err, sizeof err)) {
        reply_json_error(s, req, 400, err);
        return;
    }
    strbuf *sb = &s->scratch;
    strbuf_reset(sb);
    strbuf_printf(sb, "{\"ok\":true,\"scripts_pending\":%zu}", sim_scripts_pending(&s->scripts));
    httpd_reply(req, 200, CT_JSON, sb->data, sb->len);
}

void sim_control_handle(sim *s, struct evhttp_request *req, const char *path)
{
    if (!httpd_peer_is_loopback(req)) {
        reply_json_error(s, req, 403, "the control API answers loopback peers only");
        return;
    }
    enum evhttp_cmd_type m = evhttp_request_get_command(req);
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    const char *body = len ? (const char *)evbuffer_pullup(in, -1) : "";

    if (m == EVHTTP_REQ_POST && strcmp(path, "/sim/script") == 0) {
        post_script(s, req, body, len);
    } else if (m == EVHTTP_REQ_POST && strcmp(path, "/sim/reset") == 0) {
        sim_reset_state(s);
        char err[256];
        if (!sim_quota_load(s, err, sizeof err))
            reply_json_error(s, req, 500, err);
        else
            reply_ok(req);
    } else if (m == EVHTTP_REQ_PUT && strcmp(path, "/sim/config") == 0) {
        put_config(s, req, body, len);
    } else if (m == EVHTTP_REQ_PUT && strcmp(path, "/sim/quota") == 0) {
        put_quota(s, req, body, len);
    } else if (m == EVHTTP_REQ_GET && strcmp(path, "/sim/stats") == 0) {
        strbuf *sb = &s->scratch;
        strbuf_reset(sb);
        render_stats(s, sb);
        httpd_reply(req, 200, CT_JSON, sb->data, sb->len);
    } else {
        reply_json_error(s, req, 404, "unknown control endpoint");
    }
}
