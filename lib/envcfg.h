/* envcfg: typed, validated reading of environment variables, shared by the
 * proxy, the simulator and the dashboard so every binary accepts the same
 * syntax (PROXY.md §14): booleans (true/false/1/0/yes/no/on/off, any case),
 * Go durations ("500ms", "1h30m", bare "0"), integers, finite floats, lists,
 * host:port and http(s) URLs. An empty value means unset.
 *
 * An envcfg collects the FIRST error; every reader returns false on error and
 * leaves *out at the default. The message names the variable and the problem:
 *   config: MAX_WORKERS: "abc" is not an integer
 * Secret variables (envcfg_secret) never have their value echoed. */
#ifndef ZAI_ENVCFG_H
#define ZAI_ENVCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef const char *(*envcfg_lookup_fn)(const char *name, void *ctx);

typedef struct envcfg {
    envcfg_lookup_fn lookup;  /* NULL = getenv */
    void *lookup_ctx;
    bool failed;
    char err[512];
} envcfg;

void envcfg_init(envcfg *e, envcfg_lookup_fn lookup, void *ctx);
/* The raw value, or NULL when unset or empty. */
const char *envcfg_raw(envcfg *e, const char *name);
/* Records an error "config: NAME: <formatted>" unless one is recorded already. */
void envcfg_fail(envcfg *e, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

bool envcfg_bool(envcfg *e, const char *name, bool def, bool *out);
bool envcfg_int(envcfg *e, const char *name, long long def, long long min, long long max, long long *out);
/* Finite float; range checks with custom wording are left to the caller. */
bool envcfg_float(envcfg *e, const char *name, double def, double *out);
/* Duration in nanoseconds; negative durations are always rejected and
 * allow_zero=false rejects 0 too ("must be > 0", or "must be >= 0" when zero
 * is allowed). */
bool envcfg_duration(envcfg *e, const char *name, int64_t def_ns, bool allow_zero, int64_t *out_ns);
/* Copies the value (or def) into out; returns false if it does not fit. */
bool envcfg_string(envcfg *e, const char *name, const char *def, char *out, size_t outlen);
/* Case-insensitive choice among NULL-terminated names; *out = index. */
bool envcfg_enum(envcfg *e, const char *name, const char *def, const char *const *choices, int *out);
/* "host:port", "[v6]:port" (host returned without brackets); port 0..65535:
 * 0 (kernel-chosen port) is accepted for tests even though LISTEN_ADDR's
 * documented range is 1..65535. */
bool envcfg_hostport(envcfg *e, const char *name, const char *def, char *host, size_t hostlen, int *port);
/* http or https URL with a host, no query or fragment; trailing '/' removed. */
bool envcfg_url(envcfg *e, const char *name, const char *def, char *out, size_t outlen);
/* A secret string: surrounding whitespace and trailing newline trimmed; inner
 * whitespace/control characters are an error; the value is never echoed. */
bool envcfg_secret(envcfg *e, const char *name, char *out, size_t outlen, bool *is_set);

/* Pure parsers, also used by tests and other modules. */
bool parse_bool(const char *s, bool *out);
/* Go duration syntax; returns false on syntax error or overflow. */
bool parse_duration(const char *s, int64_t *ns);
/* Go's time.Duration.String(): "1m0s", "500ms", "1h30m0s", "0s". */
void format_duration(int64_t ns, char *buf, size_t n);
bool parse_int(const char *s, long long *out);
bool parse_float(const char *s, double *out);

#endif
