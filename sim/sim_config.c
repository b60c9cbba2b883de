/* sim_config: the simulator's settings (ZAI-API.md §10.7). One reader serves
 * both the environment at start-up and PUT /sim/config at run time: the JSON
 * object is presented to envcfg as a lookup of SIM_* names, so both accept the
 * same syntax and produce the same messages. */
#include "sim_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *const usage_names[] = {"always", "never", NULL};
static const char *const openai_usage_names[] = {"finish", "separate", NULL};
static const char *const anthropic_usage_names[] = {"A", "B", "C", NULL};
static const char *const log_format_names[] = {"text", "json", NULL};
static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};

/* Settings PUT /sim/config may change (lower-case, without SIM_). */
static const char *const runtime_keys[] = {
    "api_key", "seed", "concurrency_per_model", "rps", "quota_5h", "quota_weekly",
    "peak_multiplier", "ttfb", "tokens_per_sec", "output_tokens", "cached_tokens", "usage",
    "openai_usage", "anthropic_usage", "count_tokens", "plan", "quota_fixture", "quota_rotate",
    "fault", NULL};

void sim_config_defaults(sim_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen_host, sizeof c->listen_host, "127.0.0.1");
    c->listen_port = 18080;
    snprintf(c->api_key, sizeof c->api_key, "sim-key");
    c->seed = 1;
    c->peak_multiplier = 1;
    c->ttfb_ns = 20 * 1000000LL;
    c->tokens_per_sec = 200;
    c->output_tokens = 32;
    c->usage = SIM_USAGE_ALWAYS;
    c->openai_usage = SIM_OPENAI_USAGE_FINISH;
    c->anthropic_usage = SIM_ANTHROPIC_USAGE_A;
    snprintf(c->plan, sizeof c->plan, "lite");
    c->log_fmt = LOG_FORMAT_TEXT;
    c->log_lvl = LOG_INFO;
}

static bool read_nonneg_float(envcfg *e, const char *name, double *v)
{
    if (!envcfg_float(e, name, *v, v))
        return false;
    if (*v < 0) {
        envcfg_fail(e, name, "must be >= 0");
        return false;
    }
    return true;
}

static bool read_file_ok(envcfg *e, const char *name, const char *path)
{
    if (access(path, R_OK) == 0)
        return true;
    envcfg_fail(e, name, "cannot read file %s", path);
    return false;
}

static bool read_quota_files(sim_config *c, envcfg *e)
{
    if (!envcfg_string(e, "SIM_QUOTA_FIXTURE", c->quota_fixture, c->quota_fixture,
                       sizeof c->quota_fixture) ||
        !envcfg_string(e, "SIM_QUOTA_ROTATE", c->quota_rotate, c->quota_rotate,
                       sizeof c->quota_rotate))
        return false;
    if (c->quota_fixture[0] && !read_file_ok(e, "SIM_QUOTA_FIXTURE", c->quota_fixture))
        return false;
    char list[sizeof c->quota_rotate];
    memcpy(list, c->quota_rotate, sizeof list);
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*tok))
            tok++;
        size_t n = strlen(tok);
        while (n > 0 && isspace((unsigned char)tok[n - 1]))
            tok[--n] = '\0';
        if (n > 0 && !read_file_ok(e, "SIM_QUOTA_ROTATE", tok))
            return false;
    }
    return true;
}

static bool read_enums(sim_config *c, envcfg *e)
{
    int u, ou, au;
    if (!envcfg_enum(e, "SIM_USAGE", usage_names[c->usage], usage_names, &u) ||
        !envcfg_enum(e, "SIM_OPENAI_USAGE", openai_usage_names[c->openai_usage], openai_usage_names, &ou) ||
        !envcfg_enum(e, "SIM_ANTHROPIC_USAGE", anthropic_usage_names[c->anthropic_usage],
                      anthropic_usage_names, &au))
        return false;
    c->usage = (sim_usage_mode)u;
    c->openai_usage = (sim_openai_usage)ou;
    c->anthropic_usage = (sim_anthropic_usage)au;

    const char *fault = envcfg_raw(e, "SIM_FAULT");
    sim_scenario sc;
    if (fault) {
        if (!sim_scenario_parse(fault, &sc) || strlen(fault) >= sizeof c->fault) {
            envcfg_fail(e, "SIM_FAULT", "unknown scenario \"%.64s\"", fault);
            return false;
        }
        snprintf(c->fault, sizeof c->fault, "%s", sc == SIM_SC_NONE ? "" : sim_scenario_name(sc));
    }
    return true;
}

bool sim_config_read(sim_config *c, envcfg *e)
{
    long long seed = (long long)(c->seed & 0x7fffffffffffffffULL);
    bool key_set;
    char key[sizeof c->api_key];

    if (!envcfg_secret(e, "SIM_API_KEY", key, sizeof key, &key_set))
        return false;
    if (key_set)
        memcpy(c->api_key, key, sizeof key);
    if (!envcfg_int(e, "SIM_SEED", seed, 0, INT64_MAX, &seed))
        return false;
    c->seed = (uint64_t)seed;
    if (!envcfg_int(e, "SIM_CONCURRENCY_PER_MODEL", c->concurrency_per_model, 0, 1000000,
                    &c->concurrency_per_model) ||
        !read_nonneg_float(e, "SIM_RPS", &c->rps) ||
        !envcfg_int(e, "SIM_QUOTA_5H", c->quota_5h, 0, INT64_MAX / 4, &c->quota_5h) ||
        !envcfg_int(e, "SIM_QUOTA_WEEKLY", c->quota_weekly, 0, INT64_MAX / 4, &c->quota_weekly) ||
        !read_nonneg_float(e, "SIM_PEAK_MULTIPLIER", &c->peak_multiplier) ||
        !envcfg_duration(e, "SIM_TTFB", c->ttfb_ns, true, &c->ttfb_ns) ||
        !read_nonneg_float(e, "SIM_TOKENS_PER_SEC", &c->tokens_per_sec) ||
        !envcfg_int(e, "SIM_OUTPUT_TOKENS", c->output_tokens, 0, 100000000, &c->output_tokens) ||
        !envcfg_int(e, "SIM_CACHED_TOKENS", c->cached_tokens, 0, INT64_MAX / 4, &c->cached_tokens) ||
        !read_enums(c, e) ||
        !envcfg_bool(e, "SIM_COUNT_TOKENS", c->count_tokens, &c->count_tokens) ||
        !envcfg_string(e, "SIM_PLAN", c->plan, c->plan, sizeof c->plan))
        return false;
    return read_quota_files(c, e);
}

bool sim_config_from_env(sim_config *c, envcfg *e)
{
    int fmt, lvl;
    char def_addr[300];

    snprintf(def_addr, sizeof def_addr, "%s:%d", c->listen_host, c->listen_port);
    if (!envcfg_hostport(e, "SIM_LISTEN_ADDR", def_addr, c->listen_host, sizeof c->listen_host,
                         &c->listen_port) ||
        !envcfg_enum(e, "LOG_FORMAT", log_format_names[c->log_fmt], log_format_names, &fmt) ||
        !envcfg_enum(e, "LOG_LEVEL", log_level_names[c->log_lvl], log_level_names, &lvl))
        return false;
    c->log_fmt = (log_format)fmt;
    c->log_lvl = (log_level)lvl;
    return sim_config_read(c, e);
}

/* ---- PUT /sim/config ------------------------------------------------------ */

typedef struct json_lookup {
    const cJSON *obj;
    char buf[4200];
} json_lookup;

/* Presents {"ttfb":"0s"} as SIM_TTFB=0s: strings as they are, numbers in
 * shortest form, booleans as true/false. */
static const char *json_lookup_fn(const char *name, void *ctx)
{
    json_lookup *jl = ctx;
    char key[64];
    size_t i = 0;
    if (strncmp(name, "SIM_", 4) != 0)
        return NULL;
    for (const char *p = name + 4; *p && i + 1 < sizeof key; p++)
        key[i++] = (char)tolower((unsigned char)*p);
    key[i] = '\0';
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(jl->obj, key);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    if (cJSON_IsNumber(v)) {
        fmt_double(v->valuedouble, jl->buf, sizeof jl->buf);
        return jl->buf;
    }
    return NULL;
}

static bool known_runtime_key(const char *k)
{
    for (int i = 0; runtime_keys[i]; i++)
        if (strcmp(k, runtime_keys[i]) == 0)
            return true;
    return false;
}

static bool check_keys(const cJSON *obj, char *err, size_t errlen)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!known_runtime_key(it->string)) {
            snprintf(err, errlen, "unknown or read-only setting \"%.64s\"", it->string);
            return false;
        }
        if (!cJSON_IsString(it) && !cJSON_IsNumber(it) && !cJSON_IsBool(it)) {
            snprintf(err, errlen, "setting \"%.64s\" must be a string, number or boolean", it->string);
            return false;
        }
    }
    return true;
}

/* envcfg reads "" as unset; in a PUT it means "clear this setting". */
static void clear_emptied(const cJSON *obj, sim_config *c)
{
    static const char *const keys[] = {"fault", "quota_fixture", "quota_rotate"};
    char *const fields[] = {c->fault, c->quota_fixture, c->quota_rotate};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, keys[i]);
        if (cJSON_IsString(v) && v->valuestring[0] == '\0')
            fields[i][0] = '\0';
    }
}

bool sim_config_apply_json(sim_config *c, const char *body, size_t len, char *err, size_t errlen)
{
    cJSON *root = cJSON_ParseWithLength(body, len);
    if (!cJSON_IsObject(root)) {
        snprintf(err, errlen, "body must be a JSON object");
        cJSON_Delete(root);
        return false;
    }
    bool ok = check_keys(root, err, errlen);
    if (ok) {
        json_lookup jl = {.obj = root};
        envcfg e;
        sim_config next = *c;
        envcfg_init(&e, json_lookup_fn, &jl);
        clear_emptied(root, &next);
        ok = sim_config_read(&next, &e);
        if (ok)
            *c = next;
        else
            snprintf(err, errlen, "%s", e.err);
    }
    cJSON_Delete(root);
    return ok;
}
