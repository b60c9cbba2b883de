/* config: every variable of PROXY.md §14 read in one place, in the order of
 * the specification, with its default, its validation and the cross-field
 * rules, so a bad deployment fails at start-up with a message naming the
 * variable instead of misbehaving later. Secrets (ZAI_API_KEY,
 * PROXY_API_KEYS, ADMIN_TOKEN) are never echoed, in errors or in describe. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_DEFAULT_MODELS                                                              \
    "glm-4.5,glm-4.5-air,glm-4.5-x,glm-4.5-airx,glm-4.5-flash,glm-4.5v,glm-4.6,glm-4.6v,"    \
    "glm-4.7,glm-4.7-flash,glm-4.7-flashx,glm-4-32b-0414-128k,glm-5,glm-5-turbo,"           \
    "glm-5v-turbo,glm-5.1,glm-5.2,glm-5.3,glm-5.3-flash"
#define SEC 1000000000LL /* nanoseconds */
#define IO_THREADS_AUTO_MAX 16

/* ---- typed readers on top of envcfg ---------------------------------- */

static bool cfg_int(envcfg *e, const char *name, long long def, long long min, long long max,
                    int *out)
{
    long long v = def;
    bool ok = envcfg_int(e, name, def, min, max, &v);

    *out = (int)v;
    return ok;
}

static void cfg_float_pos(envcfg *e, const char *name, double def, double *out)
{
    char buf[32];

    *out = def;
    if (envcfg_float(e, name, def, out) && !(*out > 0)) {
        fmt_double(*out, buf, sizeof buf);
        envcfg_fail(e, name, "%s must be > 0", buf);
    }
}

/* A fraction in (0, 1), or (0, 1] when one_ok. */
static void cfg_float_unit(envcfg *e, const char *name, double def, bool one_ok, double *out)
{
    char buf[32];

    *out = def;
    if (!envcfg_float(e, name, def, out))
        return;
    if (*out > 0 && (*out < 1 || (one_ok && *out == 1)))
        return;
    fmt_double(*out, buf, sizeof buf);
    envcfg_fail(e, name, "%s must be in (0, 1%c", buf, one_ok ? ']' : ')');
}

static void cfg_readable(envcfg *e, const char *name, const char *path)
{
    struct stat st;
    int fd;

    if (!path[0])
        return;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        envcfg_fail(e, name, "\"%s\" is not readable: %s", path, strerror(errno));
        return;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        envcfg_fail(e, name, "\"%s\" is a directory", path);
    close(fd);
}

static void cfg_exists(envcfg *e, const char *name, const char *path)
{
    struct stat st;

    if (path[0] && stat(path, &st) != 0)
        envcfg_fail(e, name, "\"%s\": %s", path, strerror(errno));
}

/* A URL path prefix: "/..." without '?', '#', blanks or control characters;
 * trailing slashes removed so "prefix + /remainder" never doubles one. */
static void cfg_prefix(envcfg *e, const char *name, const char *def, char *out, size_t outlen)
{
    size_t n;

    if (!envcfg_string(e, name, def, out, outlen))
        return;
    if (out[0] != '/') {
        envcfg_fail(e, name, "\"%s\" must start with '/'", out);
        return;
    }
    for (const char *p = out; *p; p++) {
        if (*p == '?' || *p == '#' || (unsigned char)*p <= ' ' || *p == 0x7f) {
            envcfg_fail(e, name, "\"%s\" must not contain '?', '#', blanks or control characters",
                        out);
            return;
        }
    }
    n = strlen(out);
    while (n > 0 && out[n - 1] == '/')
        out[--n] = '\0';
}

/* ---- §14.1 process, listener, logging ---------------------------------- */

/* [a-z0-9] without the locale's idea of letters. */
static bool cfg_alnum_lower(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* ^[a-z0-9][<extra>a-z0-9]{0,max-1}$ */
static bool cfg_name_ok(const char *v, const char *extra, size_t max)
{
    size_t n = strlen(v);

    if (n < 1 || n > max || !cfg_alnum_lower(v[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!cfg_alnum_lower(v[i]) && !strchr(extra, v[i]))
            return false;
    return true;
}

static void cfg_io_threads(proxy_config *c, envcfg *e)
{
    long n;

    if (!cfg_int(e, "IO_THREADS", 0, 0, 64, &c->io_threads) || c->io_threads > 0)
        return;
    n = sysconf(_SC_NPROCESSORS_ONLN);
    c->io_threads = n < 1 ? 1 : n > IO_THREADS_AUTO_MAX ? IO_THREADS_AUTO_MAX : (int)n;
}

static void cfg_logging(proxy_config *c, envcfg *e)
{
    const char *v = envcfg_raw(e, "LOG_FORMAT");

    c->log_fmt = LOG_FORMAT_TEXT;
    if (v && !log_parse_format(v, &c->log_fmt))
        envcfg_fail(e, "LOG_FORMAT", "\"%s\" must be text or json", v);
    v = envcfg_raw(e, "LOG_LEVEL");
    c->log_lvl = LOG_INFO;
    if (v && !log_parse_level(v, &c->log_lvl))
        envcfg_fail(e, "LOG_LEVEL", "\"%s\" must be debug, info, warn or error", v);
}

static void cfg_version(envcfg *e, const char *compiled, const char *name, char *out, size_t n)
{
    if (compiled && compiled[0])
        snprintf(out, n, "%s", compiled);
    else
        envcfg_string(e, name, "unknown", out, n);
}

static void load_process(proxy_config *c, envcfg *e, const char *version, const char *commit,
                         const char *build_time)
{
    const char *v;

    envcfg_hostport(e, "LISTEN_ADDR", "0.0.0.0:8080", c->listen_host, sizeof c->listen_host,
                    &c->listen_port);
    cfg_io_threads(c, e);
    v = envcfg_raw(e, "DEPLOYMENT_VARIANT");
    if (!v)
        v = "production";
    if (cfg_name_ok(v, "_-", 32))
        snprintf(c->variant, sizeof c->variant, "%s", v);
    else
        envcfg_fail(e, "DEPLOYMENT_VARIANT", "\"%.64s\" must match ^[a-z0-9][a-z0-9_-]{0,31}$", v);
    cfg_logging(c, e);
    envcfg_duration(e, "SHUTDOWN_GRACE", 30 * SEC, true, &c->shutdown_grace_ns);
    cfg_version(e, version, "ZAI_PROXY_VERSION", c->version, sizeof c->version);
    cfg_version(e, commit, "ZAI_PROXY_COMMIT", c->commit, sizeof c->commit);
    cfg_version(e, build_time, "ZAI_PROXY_BUILD_TIME", c->build_time, sizeof c->build_time);
}

/* ---- §14.2 upstream ------------------------------------------------------ */

static void load_upstream(proxy_config *c, envcfg *e)
{
    bool key_set = false;

    envcfg_secret(e, "ZAI_API_KEY", c->api_key, sizeof c->api_key, &key_set);
    envcfg_bool(e, "ZAI_SIM_FALLBACK", true, &c->sim_fallback);
    if (!key_set && !c->sim_fallback)
        envcfg_fail(e, "ZAI_API_KEY", "required when ZAI_SIM_FALLBACK=false");
    c->use_simulator = !key_set && c->sim_fallback;
    envcfg_url(e, "ZAI_BASE_URL", "https://api.z.ai", c->base_url, sizeof c->base_url);
    cfg_prefix(e, "ZAI_OPENAI_PREFIX", "/api/paas/v4", c->openai_prefix, sizeof c->openai_prefix);
    cfg_prefix(e, "ZAI_ANTHROPIC_PREFIX", "/api/anthropic", c->anthropic_prefix,
               sizeof c->anthropic_prefix);
    if (envcfg_raw(e, "ZAI_TARGET_URL"))
        envcfg_url(e, "ZAI_TARGET_URL", "", c->target_url, sizeof c->target_url);
    envcfg_bool(e, "UPSTREAM_HTTP2", false, &c->upstream_http2);
    if (envcfg_string(e, "UPSTREAM_CA_BUNDLE", "", c->ca_bundle, sizeof c->ca_bundle))
        cfg_readable(e, "UPSTREAM_CA_BUNDLE", c->ca_bundle);
    envcfg_duration(e, "UPSTREAM_CONNECT_TIMEOUT", 10 * SEC, false, &c->connect_timeout_ns);
    envcfg_duration(e, "UPSTREAM_FIRST_BYTE_TIMEOUT", 600 * SEC, false,
                    &c->first_byte_timeout_ns);
    envcfg_duration(e, "UPSTREAM_IDLE_TIMEOUT", 120 * SEC, false, &c->idle_timeout_ns);
    cfg_int(e, "MAX_RETRIES", 3, 0, 10, &c->max_retries);
    envcfg_bool(e, "RETRY_ON_5XX", true, &c->retry_on_5xx);
}

/* ---- §14.3 admission and limiters ---------------------------------------- */

static void load_concurrency(proxy_config *c, envcfg *e)
{
    bool ok;

    ok = cfg_int(e, "MAX_WORKERS", 10, 1, 10000, &c->max_workers);
    cfg_int(e, "QUEUE_MAX", 100, 0, 100000, &c->queue_max);
    envcfg_duration(e, "QUEUE_TIMEOUT", 30 * SEC, false, &c->queue_timeout_ns);
    envcfg_bool(e, "CONCURRENCY_ADAPTIVE", true, &c->concurrency_adaptive);
    ok &= cfg_int(e, "CONCURRENCY_MIN", 1, 1, 10000, &c->concurrency_min);
    ok &= cfg_int(e, "CONCURRENCY_INITIAL", c->max_workers, 1, 10000, &c->concurrency_initial);
    cfg_float_unit(e, "CONCURRENCY_DECREASE_FACTOR", 0.75, false, &c->concurrency_decrease_factor);
    if (!ok)
        return;
    if (c->concurrency_min > c->max_workers)
        envcfg_fail(e, "CONCURRENCY_MIN", "%d must be <= MAX_WORKERS (%d)", c->concurrency_min,
                    c->max_workers);
    else if (c->concurrency_initial < c->concurrency_min ||
             c->concurrency_initial > c->max_workers)
        envcfg_fail(e, "CONCURRENCY_INITIAL",
                    "%d must be within [CONCURRENCY_MIN, MAX_WORKERS] = [%d, %d]",
                    c->concurrency_initial, c->concurrency_min, c->max_workers);
}

static void cfg_rate_bounds(proxy_config *c, envcfg *e)
{
    char v[32], lo[32], hi[32];

    fmt_double(c->rate_initial, v, sizeof v);
    fmt_double(c->rate_min, lo, sizeof lo);
    fmt_double(c->rate_max, hi, sizeof hi);
    if (c->rate_min > c->rate_max)
        envcfg_fail(e, "RATE_LIMIT_MIN", "%s must be <= RATE_LIMIT_MAX (%s)", lo, hi);
    else if (c->rate_initial < c->rate_min || c->rate_initial > c->rate_max)
        envcfg_fail(e, "RATE_LIMIT_INITIAL",
                    "%s must be within [RATE_LIMIT_MIN, RATE_LIMIT_MAX] = [%s, %s]", v, lo, hi);
}

static void load_rate(proxy_config *c, envcfg *e)
{
    char buf[32];

    cfg_float_pos(e, "RATE_LIMIT_INITIAL", 10.0, &c->rate_initial);
    cfg_float_pos(e, "RATE_LIMIT_MIN", 1.0, &c->rate_min);
    cfg_float_pos(e, "RATE_LIMIT_MAX", 50.0, &c->rate_max);
    cfg_rate_bounds(c, e);
    cfg_float_unit(e, "RATE_LIMIT_CEILING_ALPHA", 0.3, true, &c->rate_alpha);
    cfg_float_unit(e, "RATE_LIMIT_HOLD_MARGIN", 0.02, false, &c->rate_margin);
    cfg_int(e, "RATE_LIMIT_PROBE_INTERVAL", 10, 0, INT_MAX, &c->rate_probe_interval);
    if (envcfg_duration(e, "RATE_LIMIT_WINDOW", 30 * SEC, false, &c->rate_window_ns) &&
        c->rate_window_ns < SEC) {
        format_duration(c->rate_window_ns, buf, sizeof buf);
        envcfg_fail(e, "RATE_LIMIT_WINDOW", "%s must be >= 1s", buf);
    }
    if (envcfg_string(e, "RATE_LIMIT_STATE_FILE", "/var/lib/zai-proxy/ceiling.json",
                      c->rate_state_file, sizeof c->rate_state_file) &&
        strcasecmp(c->rate_state_file, "none") == 0)
        c->rate_state_file[0] = '\0';
    envcfg_duration(e, "RATE_LIMIT_STATE_MAX_AGE", 6 * 3600 * SEC, false,
                    &c->rate_state_max_age_ns);
}

/* ---- §14.4 security -------------------------------------------------------- */

static bool cfg_add_key(proxy_config *c, envcfg *e, const char *name, const char *k, size_t n)
{
    char **keys = realloc(c->client_keys, (c->n_client_keys + 1) * sizeof *keys);

    if (!keys) {
        envcfg_fail(e, name, "out of memory");
        return false;
    }
    c->client_keys = keys;
    keys[c->n_client_keys] = strndup(k, n);
    if (!keys[c->n_client_keys]) {
        envcfg_fail(e, name, "out of memory");
        return false;
    }
    c->n_client_keys++;
    return true;
}

/* [*s, *s + *n) without surrounding whitespace (blanks, CR, LF). */
static void cfg_trim(const char **s, size_t *n)
{
    while (*n && isspace((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static void cfg_keys_env(proxy_config *c, envcfg *e)
{
    const char *p = envcfg_raw(e, "PROXY_API_KEYS");

    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;

        cfg_trim(&s, &n);
        if (n > 0) {
            if (!cfg_add_key(c, e, "PROXY_API_KEYS", s, n))
                return;
            c->client_keys_env_set = true;
        }
        p = end ? end + 1 : NULL;
    }
}

static void cfg_keys_file(proxy_config *c, envcfg *e, const char *path)
{
    FILE *f = fopen(path, "re");
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    bool ok = true;

    if (!f) {
        envcfg_fail(e, "PROXY_API_KEYS_FILE", "\"%s\" is not readable: %s", path, strerror(errno));
        return;
    }
    while (ok && (got = getline(&line, &cap, f)) >= 0) {
        const char *s = line;
        size_t n = (size_t)got;

        cfg_trim(&s, &n);
        if (n > 0 && s[0] != '#')
            ok = cfg_add_key(c, e, "PROXY_API_KEYS_FILE", s, n);
    }
    if (ok && ferror(f))
        envcfg_fail(e, "PROXY_API_KEYS_FILE", "\"%s\": read error: %s", path, strerror(errno));
    if (line)
        explicit_bzero(line, cap);
    free(line);
    fclose(f);
}

static void load_security(proxy_config *c, envcfg *e)
{
    bool set = false;

    cfg_keys_env(c, e);
    if (envcfg_string(e, "PROXY_API_KEYS_FILE", "", c->client_keys_file,
                      sizeof c->client_keys_file) &&
        c->client_keys_file[0])
        cfg_keys_file(c, e, c->client_keys_file);
    envcfg_secret(e, "ADMIN_TOKEN", c->admin_token, sizeof c->admin_token, &set);
}

/* ---- §14.5 tokens, models, pricing ------------------------------------------ */

/* One MODELS entry [s, s + n), already trimmed and non-empty. */
static bool cfg_add_model(proxy_config *c, envcfg *e, const char *s, size_t n)
{
    char m[65];

    if (n >= sizeof m) {
        envcfg_fail(e, "MODELS", "\"%.64s...\" is longer than 64 characters", s);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        m[i] = (char)tolower((unsigned char)s[i]);
    m[n] = '\0';
    if (!cfg_name_ok(m, "._-", 64)) {
        envcfg_fail(e, "MODELS", "\"%s\" must match ^[a-z0-9][a-z0-9._-]{0,63}$", m);
        return false;
    }
    if (config_has_model(c, m))
        return true;
    if (c->n_models == CONFIG_MAX_MODELS) {
        envcfg_fail(e, "MODELS", "more than %d entries", CONFIG_MAX_MODELS);
        return false;
    }
    c->models[c->n_models] = strdup(m);
    if (!c->models[c->n_models]) {
        envcfg_fail(e, "MODELS", "out of memory");
        return false;
    }
    c->n_models++;
    return true;
}

static void cfg_models(proxy_config *c, envcfg *e)
{
    const char *p = envcfg_raw(e, "MODELS");

    if (!p)
        p = CONFIG_DEFAULT_MODELS;
    while (p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;

        cfg_trim(&s, &n);
        if (n > 0 && !cfg_add_model(c, e, s, n))
            return;
        p = end ? end + 1 : NULL;
    }
    if (c->n_models == 0)
        envcfg_fail(e, "MODELS", "names no model");
}

/* Exactly "HH:MM", 00:00 to 23:59, as minutes. */
static bool cfg_hhmm(const char *s, int *min)
{
    for (int i = 0; i < 5; i++)
        if (i == 2 ? s[i] != ':' : !isdigit((unsigned char)s[i]))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return false;
    *min = h * 60 + m;
    return true;
}

/* "HH:MM-HH:MM+HH:MM" (or -HH:MM offset). */
static bool cfg_parse_peak(const char *s, int *start, int *end, int *offset)
{
    if (strlen(s) != 17 || s[5] != '-' || (s[11] != '+' && s[11] != '-'))
        return false;
    if (!cfg_hhmm(s, start) || !cfg_hhmm(s + 6, end) || !cfg_hhmm(s + 12, offset))
        return false;
    if (s[11] == '-')
        *offset = -*offset;
    return true;
}

static void cfg_peak(proxy_config *c, envcfg *e)
{
    const char *v = envcfg_raw(e, "PEAK_WINDOW");

    if (!v)
        v = "14:00-18:00+08:00";
    if (strcasecmp(v, "off") == 0) {
        c->peak_window_off = true;
        return;
    }
    if (!cfg_parse_peak(v, &c->peak_start_min, &c->peak_end_min, &c->peak_offset_min))
        envcfg_fail(e, "PEAK_WINDOW", "\"%.64s\" must be HH:MM-HH:MM+HH:MM (or -HH:MM) or off", v);
    else if (c->peak_start_min == c->peak_end_min)
        envcfg_fail(e, "PEAK_WINDOW", "\"%s\": start and end must differ", v);
}

static void load_tokens(proxy_config *c, envcfg *e)
{
    static const char *const encodings[] = {"cl100k_base", "o200k_base", NULL};
    static const char *const modes[] = {"auto", "local", "upstream", NULL};
    int idx = 0;

    envcfg_bool(e, "TOKEN_COUNTING_ENABLED", true, &c->token_counting);
    envcfg_enum(e, "TOKENIZER_ENCODING", "cl100k_base", encodings, &idx);
    c->tokenizer = idx == 1 ? TOKENIZER_O200K : TOKENIZER_CL100K;
    if (envcfg_string(e, "TOKENIZER_RANKS_FILE", "", c->tokenizer_ranks_file,
                      sizeof c->tokenizer_ranks_file))
        cfg_exists(e, "TOKENIZER_RANKS_FILE", c->tokenizer_ranks_file);
    cfg_models(c, e);
    if (envcfg_string(e, "PRICING_FILE", "", c->pricing_file, sizeof c->pricing_file))
        cfg_readable(e, "PRICING_FILE", c->pricing_file);
    cfg_peak(c, e);
    idx = 0;
    envcfg_enum(e, "COUNT_TOKENS_MODE", "auto", modes, &idx);
    c->count_tokens = idx == 1 ? COUNT_TOKENS_LOCAL : idx == 2 ? COUNT_TOKENS_UPSTREAM
                                                                : COUNT_TOKENS_AUTO;
}

/* ---- §14.6 client limits, §14.7 quota poller ----------------------------------- */

static void load_client(proxy_config *c, envcfg *e)
{
    envcfg_int(e, "MAX_REQUEST_BODY_BYTES", 33554432, 1024, 1073741824, &c->max_request_body);
    envcfg_int(e, "MAX_HEADER_BYTES", 65536, 1024, 1048576, &c->max_header_bytes);
    envcfg_duration(e, "CLIENT_HEADER_TIMEOUT", 30 * SEC, false, &c->client_header_timeout_ns);
    envcfg_duration(e, "CLIENT_WRITE_TIMEOUT", 120 * SEC, false, &c->client_write_timeout_ns);
}

static void load_quota(proxy_config *c, envcfg *e)
{
    bool ok;

    envcfg_bool(e, "QUOTA_POLL_ENABLED", false, &c->quota_enabled);
    ok = envcfg_duration(e, "QUOTA_POLL_INTERVAL", 60 * SEC, false, &c->quota_interval_ns);
    ok &= envcfg_duration(e, "QUOTA_POLL_TIMEOUT", 5 * SEC, false, &c->quota_timeout_ns);
    if (ok && c->quota_timeout_ns > c->quota_interval_ns) {
        char t[32], i[32];
        format_duration(c->quota_timeout_ns, t, sizeof t);
        format_duration(c->quota_interval_ns, i, sizeof i);
        envcfg_fail(e, "QUOTA_POLL_TIMEOUT", "%s must be <= QUOTA_POLL_INTERVAL (%s)", t, i);
    }
    envcfg_duration(e, "QUOTA_STALE_AFTER", 15 * 60 * SEC, false, &c->quota_stale_after_ns);
    envcfg_url(e, "ZAI_QUOTA_BASE_URL", c->base_url, c->quota_base_url, sizeof c->quota_base_url);
    envcfg_int(e, "QUOTA_MAX_RESPONSE_BYTES", 65536, 1024, 16777216, &c->quota_max_response);
}

bool config_load(proxy_config *c, envcfg *e, const char *version, const char *commit,
                 const char *build_time)
{
    memset(c, 0, sizeof *c);
    load_process(c, e, version, commit, build_time);
    load_upstream(c, e);
    load_concurrency(c, e);
    load_rate(c, e);
    load_security(c, e);
    load_tokens(c, e);
    load_client(c, e);
    load_quota(c, e);
    if (e->failed) {
        config_free(c);
        return false;
    }
    return true;
}

void config_free(proxy_config *c)
{
    for (size_t i = 0; i < c->n_client_keys; i++) {
        explicit_bzero(c->client_keys[i], strlen(c->client_keys[i]));
        free(c->client_keys[i]);
    }
    free(c->client_keys);
    c->client_keys = NULL;
    c->n_client_keys = 0;
    for (size_t i = 0; i < c->n_models; i++)
        free(c->models[i]);
    c->n_models = 0;
    explicit_bzero(c->api_key, sizeof c->api_key);
    explicit_bzero(c->admin_token, sizeof c->admin_token);
}

bool config_has_model(const proxy_config *c, const char *model)
{
    for (size_t i = 0; i < c->n_models; i++)
        if (strcmp(c->models[i], model) == 0)
            return true;
    return false;
}

/* ---- describe --------------------------------------------------------------------- */

static void put_str(strbuf *out, const char *name, const char *v)
{
    strbuf_printf(out, "%s=%s\n", name, v);
}

static void put_bool(strbuf *out, const char *name, bool v)
{
    put_str(out, name, v ? "true" : "false");
}

static void put_int(strbuf *out, const char *name, long long v)
{
    strbuf_printf(out, "%s=%lld\n", name, v);
}

static void put_float(strbuf *out, const char *name, double v)
{
    char buf[32];

    fmt_double(v, buf, sizeof buf);
    put_str(out, name, buf);
}

static void put_dur(strbuf *out, const char *name, int64_t ns)
{
    char buf[64];

    format_duration(ns, buf, sizeof buf);
    put_str(out, name, buf);
}

static void put_secret(strbuf *out, const char *name, bool set)
{
    put_str(out, name, set ? "set" : "unset");
}

static void describe_process(const proxy_config *c, strbuf *out)
{
    static const char *const levels[] = {"debug", "info", "warn", "error"};
    bool v6 = strchr(c->listen_host, ':') != NULL;

    strbuf_printf(out, "LISTEN_ADDR=%s%s%s:%d\n", v6 ? "[" : "", c->listen_host, v6 ? "]" : "",
                  c->listen_port);
    put_int(out, "IO_THREADS", c->io_threads);
    put_str(out, "DEPLOYMENT_VARIANT", c->variant);
    put_str(out, "LOG_FORMAT", c->log_fmt == LOG_FORMAT_JSON ? "json" : "text");
    put_str(out, "LOG_LEVEL", levels[c->log_lvl]);
    put_dur(out, "SHUTDOWN_GRACE", c->shutdown_grace_ns);
    put_str(out, "ZAI_PROXY_VERSION", c->version);
    put_str(out, "ZAI_PROXY_COMMIT", c->commit);
    put_str(out, "ZAI_PROXY_BUILD_TIME", c->build_time);
}

static void describe_upstream(const proxy_config *c, strbuf *out)
{
    put_secret(out, "ZAI_API_KEY", c->api_key[0] != '\0');
    put_bool(out, "ZAI_SIM_FALLBACK", c->sim_fallback);
    put_str(out, "ZAI_BASE_URL", c->base_url);
    put_str(out, "ZAI_OPENAI_PREFIX", c->openai_prefix);
    put_str(out, "ZAI_ANTHROPIC_PREFIX", c->anthropic_prefix);
    put_str(out, "ZAI_TARGET_URL", c->target_url);
    put_bool(out, "UPSTREAM_HTTP2", c->upstream_http2);
    put_str(out, "UPSTREAM_CA_BUNDLE", c->ca_bundle);
    put_dur(out, "UPSTREAM_CONNECT_TIMEOUT", c->connect_timeout_ns);
    put_dur(out, "UPSTREAM_FIRST_BYTE_TIMEOUT", c->first_byte_timeout_ns);
    put_dur(out, "UPSTREAM_IDLE_TIMEOUT", c->idle_timeout_ns);
    put_int(out, "MAX_RETRIES", c->max_retries);
    put_bool(out, "RETRY_ON_5XX", c->retry_on_5xx);
}

static void describe_limiters(const proxy_config *c, strbuf *out)
{
    put_int(out, "MAX_WORKERS", c->max_workers);
    put_int(out, "QUEUE_MAX", c->queue_max);
    put_dur(out, "QUEUE_TIMEOUT", c->queue_timeout_ns);
    put_bool(out, "CONCURRENCY_ADAPTIVE", c->concurrency_adaptive);
    put_int(out, "CONCURRENCY_MIN", c->concurrency_min);
    put_int(out, "CONCURRENCY_INITIAL", c->concurrency_initial);
    put_float(out, "CONCURRENCY_DECREASE_FACTOR", c->concurrency_decrease_factor);
    put_float(out, "RATE_LIMIT_INITIAL", c->rate_initial);
    put_float(out, "RATE_LIMIT_MIN", c->rate_min);
    put_float(out, "RATE_LIMIT_MAX", c->rate_max);
    put_float(out, "RATE_LIMIT_CEILING_ALPHA", c->rate_alpha);
    put_float(out, "RATE_LIMIT_HOLD_MARGIN", c->rate_margin);
    put_int(out, "RATE_LIMIT_PROBE_INTERVAL", c->rate_probe_interval);
    put_dur(out, "RATE_LIMIT_WINDOW", c->rate_window_ns);
    put_str(out, "RATE_LIMIT_STATE_FILE", c->rate_state_file[0] ? c->rate_state_file : "none");
    put_dur(out, "RATE_LIMIT_STATE_MAX_AGE", c->rate_state_max_age_ns);
    put_secret(out, "PROXY_API_KEYS", c->client_keys_env_set);
    put_str(out, "PROXY_API_KEYS_FILE", c->client_keys_file);
    put_secret(out, "ADMIN_TOKEN", c->admin_token[0] != '\0');
}

static void describe_tokens(const proxy_config *c, strbuf *out)
{
    static const char *const modes[] = {"auto", "local", "upstream"};

    put_bool(out, "TOKEN_COUNTING_ENABLED", c->token_counting);
    put_str(out, "TOKENIZER_ENCODING", c->tokenizer == TOKENIZER_O200K ? "o200k_base"
                                                                       : "cl100k_base");
    put_str(out, "TOKENIZER_RANKS_FILE", c->tokenizer_ranks_file);
    strbuf_puts(out, "MODELS=");
    for (size_t i = 0; i < c->n_models; i++)
        strbuf_printf(out, "%s%s", i ? "," : "", c->models[i]);
    strbuf_putc(out, '\n');
    put_str(out, "PRICING_FILE", c->pricing_file);
    if (c->peak_window_off) {
        put_str(out, "PEAK_WINDOW", "off");
    } else {
        int off = c->peak_offset_min < 0 ? -c->peak_offset_min : c->peak_offset_min;
        strbuf_printf(out, "PEAK_WINDOW=%02d:%02d-%02d:%02d%c%02d:%02d\n", c->peak_start_min / 60,
                      c->peak_start_min % 60, c->peak_end_min / 60, c->peak_end_min % 60,
                      c->peak_offset_min < 0 ? '-' : '+', off / 60, off % 60);
    }
    put_str(out, "COUNT_TOKENS_MODE", modes[c->count_tokens]);
}

static void describe_client_quota(const proxy_config *c, strbuf *out)
{
    put_int(out, "MAX_REQUEST_BODY_BYTES", c->max_request_body);
    put_int(out, "MAX_HEADER_BYTES", c->max_header_bytes);
    put_dur(out, "CLIENT_HEADER_TIMEOUT", c->client_header_timeout_ns);
    put_dur(out, "CLIENT_WRITE_TIMEOUT", c->client_write_timeout_ns);
    put_bool(out, "QUOTA_POLL_ENABLED", c->quota_enabled);
    put_dur(out, "QUOTA_POLL_INTERVAL", c->quota_interval_ns);
    put_dur(out, "QUOTA_POLL_TIMEOUT", c->quota_timeout_ns);
    put_dur(out, "QUOTA_STALE_AFTER", c->quota_stale_after_ns);
    put_str(out, "ZAI_QUOTA_BASE_URL", c->quota_base_url);
    put_int(out, "QUOTA_MAX_RESPONSE_BYTES", c->quota_max_response);
}

/* TOKENIZER_MODEL has no effect and so no effective value to show. */
void config_describe(const proxy_config *c, strbuf *out)
{
    describe_process(c, out);
    describe_upstream(c, out);
    describe_limiters(c, out);
    describe_tokens(c, out);
    describe_client_quota(c, out);
}
