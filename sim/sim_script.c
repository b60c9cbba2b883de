/* sim_script: scripted answers (POST /sim/script, ZAI-API.md §10.6). Scripts
 * form a FIFO; a request takes the next response of the first script whose
 * match (path prefix, model) applies. Responses are reference counted so a
 * stream still being served survives POST /sim/reset. */
#include "sim_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sim_script {
    sim_script *next;
    char *path_prefix;               /* NULL = any */
    char *model;                     /* NULL = any */
    sim_script_resp **resps;
    size_t nresps;
    size_t cur;
    long long left;                  /* repeats left of resps[cur] */
};

#define SIM_SCRIPT_MAX_BYTES (64LL << 20)

static void resp_free(sim_script_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    for (size_t i = 0; i < r->nevents; i++)
        free(r->events[i]);
    free(r->headers);
    free(r->events);
    free(r->event_lens);
    free(r->body);
    free(r);
}

void sim_script_resp_unref(sim_script_resp *r)
{
    if (r && --r->refs == 0)
        resp_free(r);
}

static void script_free(sim_script *s)
{
    for (size_t i = 0; i < s->nresps; i++)
        sim_script_resp_unref(s->resps[i]);
    free(s->resps);
    free(s->path_prefix);
    free(s->model);
    free(s);
}

/* Reads an optional integer member; false (with err) when present but not an
 * integer within [min, max]. */
static bool get_int(const cJSON *o, const char *key, long long def, long long min, long long max,
                    long long *out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = def;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble ||
        v->valuedouble < (double)min || v->valuedouble > (double)max) {
        snprintf(err, errlen, "\"%s\" must be an integer in [%lld, %lld]", key, min, max);
        return false;
    }
    *out = (long long)v->valuedouble;
    return true;
}

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static bool parse_headers(sim_script_resp *r, const cJSON *h, char *err, size_t errlen)
{
    const cJSON *it;
    if (!h)
        return true;
    if (!cJSON_IsObject(h)) {
        snprintf(err, errlen, "\"headers\" must be an object");
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(h);
    r->headers = calloc(n ? n : 1, sizeof *r->headers);
    if (!r->headers)
        return false;
    cJSON_ArrayForEach(it, h) {
        if (!cJSON_IsString(it) || strpbrk(it->string, "\r\n:") || strpbrk(it->valuestring, "\r\n")) {
            snprintf(err, errlen, "header \"%.64s\" must be a single-line string", it->string);
            return false;
        }
        sim_header *hd = &r->headers[r->nheaders++];
        hd->name = strdup(it->string);
        hd->value = strdup(it->valuestring);
        if (!hd->name || !hd->value)
            return false;
        if (strcasecmp(hd->name, "Content-Type") == 0)
            r->has_content_type = true;
    }
    return true;
}

static bool parse_stream(sim_script_resp *r, const cJSON *st, char *err, size_t errlen)
{
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(st, "events"), *ev;
    if (!cJSON_IsObject(st) || !cJSON_IsArray(events)) {
        snprintf(err, errlen, "\"stream\" must be an object with an \"events\" array");
        return false;
    }
    size_t n = (size_t)cJSON_GetArraySize(events);
    r->is_stream = true;
    r->events = calloc(n ? n : 1, sizeof *r->events);
    r->event_lens = calloc(n ? n : 1, sizeof *r->event_lens);
    if (!r->events || !r->event_lens)
        return false;
    cJSON_ArrayForEach(ev, events) {
        if (!cJSON_IsString(ev)) {
            snprintf(err, errlen, "stream events must be strings");
            return false;
        }
        size_t len = strlen(ev->valuestring);
        if (!(r->events[r->nevents] = dup_n(ev->valuestring, len)))
            return false;
        r->event_lens[r->nevents++] = len;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(st, "drop_connection");
    if (d && !cJSON_IsBool(d)) {
        snprintf(err, errlen, "\"drop_connection\" must be a boolean");
        return false;
    }
    r->drop_connection = cJSON_IsTrue(d);
    return get_int(st, "interval_ms", 0, 0, 86400000, &r->interval_ms, err, errlen) &&
           get_int(st, "stall_after", -1, -1, 1000000000, &r->stall_after, err, errlen) &&
           get_int(st, "stall_ms", 0, 0, 86400000, &r->stall_ms, err, errlen) &&
           get_int(st, "close_after_bytes", -1, -1, SIM_SCRIPT_MAX_BYTES, &r->close_after_bytes, err, errlen);
}

static bool parse_body(sim_script_resp *r, const cJSON *o, char *err, size_t errlen)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(o, "body");
    long long nbytes;
    if (body && !cJSON_IsString(body)) {
        snprintf(err, errlen, "\"body\" must be a string");
        return false;
    }
    if (!get_int(o, "body_bytes", -1, 0, SIM_SCRIPT_MAX_BYTES, &nbytes, err, errlen))
        return false;
    if (body) {
        r->body_len = strlen(body->valuestring);
        r->body = dup_n(body->valuestring, r->body_len);
        return r->body != NULL;
    }
    if (nbytes < 0)
        return true;
    static const char filler[] = "zai-sim-filler ";
    r->body_len = (size_t)nbytes;
    if (!(r->body = malloc(r->body_len + 1)))
        return false;
    for (size_t i = 0; i < r->body_len; i++)
        r->body[i] = filler[i % (sizeof filler - 1)];
    r->body[r->body_len] = '\0';
    return true;
}

static sim_script_resp *parse_resp(const cJSON *o, char *err, size_t errlen)
{
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "each response must be an object");
        return NULL;
    }
    sim_script_resp *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->refs = 1;
    long long status = 200;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "stream");
    bool ok = true;
    if (e) {
        ok = cJSON_IsString(e) && strcmp(e->valuestring, "reset") == 0;
        if (!ok)
            snprintf(err, errlen, "\"error\" must be \"reset\"");
        r->reset = true;
    }
    ok = ok && get_int(o, "status", 200, 100, 599, &status, err, errlen) &&
         get_int(o, "delay_ms", 0, 0, 86400000, &r->delay_ms, err, errlen) &&
         get_int(o, "repeat", 1, 1, 1000000000, &r->repeat, err, errlen) &&
         parse_headers(r, cJSON_GetObjectItemCaseSensitive(o, "headers"), err, errlen) &&
         parse_body(r, o, err, errlen) && (!st || parse_stream(r, st, err, errlen));
    r->status = (int)status;
    if (!ok) {
        if (!err[0])
            snprintf(err, errlen, "out of memory");
        resp_free(r);
        return NULL;
    }
    return r;
}

static bool get_str(const cJSON *o, const char *key, char **out, char *err, size_t errlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return true;
    if (!cJSON_IsString(v)) {
        snprintf(err, errlen, "\"match.%s\" must be a string", key);
        return false;
    }
    *out = strdup(v->valuestring);
    return *out != NULL;
}

static sim_script *parse_script(const cJSON *root, char *err, size_t errlen)
{
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(root, "match");
    const cJSON *resps = cJSON_GetObjectItemCaseSensitive(root, "responses"), *it;
    if ((match && !cJSON_IsObject(match)) || !cJSON_IsArray(resps) || cJSON_GetArraySize(resps) == 0) {
        snprintf(err, errlen, "body must be {\"match\":{…},\"responses\":[…]} with at least one response");
        return NULL;
    }
    sim_script *s = calloc(1, sizeof *s);
    size_t n = (size_t)cJSON_GetArraySize(resps);
    if (!s || !(s->resps = calloc(n, sizeof *s->resps))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bool ok = get_str(match, "path_prefix", &s->path_prefix, err, errlen) &&
              get_str(match, "model", &s->model, err, errlen);
    cJSON_ArrayForEach(it, resps) {
        if (!ok)
            break;
        sim_script_resp *r = parse_resp(it, err, errlen);
        ok = r != NULL;
        if (r)
            s->resps[s->nresps++] = r;
    }
    if (!ok) {
        script_free(s);
        return NULL;
    }
    s->left = s->resps[0]->repeat;
    return s;
}

bool sim_scripts_add(sim_scripts *ss, const char *body, size_t len, char *err, size_t errlen)
{
    err[0] = '\0';
    cJSON *root = cJSON_ParseWithLength(body, len);
    sim_script *s = NULL;
    if (!cJSON_IsObject(root))
        snprintf(err, errlen, "body must be a JSON object");
    else
        s = parse_script(root, err, errlen);
    cJSON_Delete(root);
    if (!s)
        return false;
    if (ss->tail)
        ss->tail->next = s;
    else
        ss->head = s;
    ss->tail = s;
    return true;
}

static bool matches(const sim_script *s, const char *path, const char *model)
{
    if (s->path_prefix && strncmp(path, s->path_prefix, strlen(s->path_prefix)) != 0)
        return false;
    return !s->model || (model && strcmp(model, s->model) == 0);
}

static void unlink_script(sim_scripts *ss, sim_script *prev, sim_script *s)
{
    if (prev)
        prev->next = s->next;
    else
        ss->head = s->next;
    if (ss->tail == s)
        ss->tail = prev;
    script_free(s);
}

sim_script_resp *sim_scripts_next(sim_scripts *ss, const char *path, const char *model)
{
    sim_script *prev = NULL;
    for (sim_script *s = ss->head; s; prev = s, s = s->next) {
        if (!matches(s, path, model))
            continue;
        sim_script_resp *r = s->resps[s->cur];
        r->refs++;
        if (--s->left == 0) {
            if (++s->cur == s->nresps)
                unlink_script(ss, prev, s);
            else
                s->left = s->resps[s->cur]->repeat;
        }
        return r;
    }
    return NULL;
}

size_t sim_scripts_pending(const sim_scripts *ss)
{
    size_t n = 0;
    for (const sim_script *s = ss->head; s; s = s->next)
        n++;
    return n;
}

void sim_scripts_clear(sim_scripts *ss)
{
    sim_script *s = ss->head;
    while (s) {
        sim_script *next = s->next;
        script_free(s);
        s = next;
    }
    ss->head = ss->tail = NULL;
}
