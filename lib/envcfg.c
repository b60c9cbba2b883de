/* envcfg: the configuration syntax of PROXY.md §14, shared by every binary.
 * Pure parsers (parse_*, format_duration) plus envcfg_* readers that look a
 * variable up, validate it and record the first error with the wording the
 * operator sees at start-up ("config: NAME: problem"). Values shown in
 * messages are quoted, escaped and shortened; secrets are never shown. */
#include "envcfg.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define QUOTE_MAX 80 /* value bytes shown in an error message */

typedef enum { PARSE_OK = 0, PARSE_SYNTAX, PARSE_RANGE } parse_result;

void envcfg_init(envcfg *e, envcfg_lookup_fn lookup, void *ctx)
{
    memset(e, 0, sizeof *e);
    e->lookup = lookup;
    e->lookup_ctx = ctx;
}

const char *envcfg_raw(envcfg *e, const char *name)
{
    const char *v = e->lookup ? e->lookup(name, e->lookup_ctx) : getenv(name);
    return v && *v ? v : NULL;
}

void envcfg_fail(envcfg *e, const char *name, const char *fmt, ...)
{
    if (e->failed)
        return;
    e->failed = true;
    int n = snprintf(e->err, sizeof e->err, "config: %s: ", name);
    if (n < 0 || (size_t)n >= sizeof e->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->err + n, sizeof e->err - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Go-%q-like rendering of a value for messages: quoted, control characters
 * and quotes escaped, long values shortened with "...". */
static const char *quote(const char *s, char *buf, size_t n)
{
    size_t o = 0, i = 0;
    buf[o++] = '"';
    for (; s[i] && i < QUOTE_MAX && o + 8 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(buf + o, n - o, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    if (s[i])
        o += (size_t)snprintf(buf + o, n - o, "...");
    snprintf(buf + o, n - o, "\"");
    return buf;
}

#define QBUF_SIZE (QUOTE_MAX * 4 + 16)

/* ---- pure parsers ---------------------------------------------------- */

bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"true", "1", "yes", "on"};
    static const char *const no[] = {"false", "0", "no", "off"};
    if (!s)
        return false;
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static parse_result parse_int_r(const char *s, long long *out)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    if (!*s)
        return PARSE_SYNTAX;
    unsigned long long v = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    bool range = false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return PARSE_SYNTAX;
        unsigned d = (unsigned)(*s - '0');
        if (v > (lim - d) / 10)
            range = true;
        else
            v = v * 10 + d;
    }
    if (range)
        return PARSE_RANGE;
    *out = neg ? (long long)(0 - v) : (long long)v;
    return PARSE_OK;
}

bool parse_int(const char *s, long long *out)
{
    return s && parse_int_r(s, out) == PARSE_OK;
}

/* Decimal or exponent notation only: strtod alone would also take leading
 * blanks, hex floats, "inf" and "nan". */
bool parse_float(const char *s, double *out)
{
    if (!s || !*s || strspn(s, "0123456789+-.eE") != strlen(s))
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* The unit table of Go's time.ParseDuration; both micro signs are accepted. */
static int64_t duration_unit(const char *u, size_t n)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
        {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
        {"ms", 1000000},
        {"s", 1000000000},
        {"m", 60000000000LL},
        {"h", 3600000000000LL},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
            return units[i].ns;
    return 0;
}

#define DUR_LIMIT (1ULL << 63)

/* A port of Go's time.ParseDuration: [-+]?([0-9]*(\.[0-9]*)?unit)+ or "0". */
static parse_result parse_duration_r(const char *s, int64_t *ns)
{
    bool neg = false;
    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (strcmp(s, "0") == 0) {
        *ns = 0;
        return PARSE_OK;
    }
    if (!*s)
        return PARSE_SYNTAX;
    unsigned long long d = 0;
    while (*s) {
        if (!(*s == '.' || (*s >= '0' && *s <= '9')))
            return PARSE_SYNTAX;
        unsigned long long v = 0, f = 0;
        double scale = 1;
        const char *p = s;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (v > DUR_LIMIT / 10)
                return PARSE_RANGE;
            v = v * 10 + (unsigned)(*s - '0');
            if (v > DUR_LIMIT)
                return PARSE_RANGE;
        }
        bool pre = s != p, post = false;
        if (*s == '.') {
            s++;
            p = s;
            bool over = false; /* extra fraction digits are ignored, as in Go */
            for (; *s >= '0' && *s <= '9'; s++) {
                if (over)
                    continue;
                if (f > (DUR_LIMIT - 1) / 10) {
                    over = true;
                    continue;
                }
                unsigned long long y = f * 10 + (unsigned)(*s - '0');
                if (y > DUR_LIMIT) {
                    over = true;
                    continue;
                }
                f = y;
                scale *= 10;
            }
            post = s != p;
        }
        if (!pre && !post)
            return PARSE_SYNTAX;
        p = s;
        while (*s && *s != '.' && !(*s >= '0' && *s <= '9'))
            s++;
        int64_t unit = duration_unit(p, (size_t)(s - p));
        if (unit == 0)
            return PARSE_SYNTAX;
        if (v > DUR_LIMIT / (unsigned long long)unit)
            return PARSE_RANGE;
        v *= (unsigned long long)unit;
        if (f > 0) {
            v += (unsigned long long)((double)f * ((double)unit / scale));
            if (v > DUR_LIMIT)
                return PARSE_RANGE;
        }
        d += v;
        if (d > DUR_LIMIT)
            return PARSE_RANGE;
    }
    if (neg) {
        *ns = d == DUR_LIMIT ? INT64_MIN : -(int64_t)d;
        return PARSE_OK;
    }
    if (d > DUR_LIMIT - 1)
        return PARSE_RANGE;
    *ns = (int64_t)d;
    return PARSE_OK;
}

bool parse_duration(const char *s, int64_t *ns)
{
    return s && parse_duration_r(s, ns) == PARSE_OK;
}

/* Go's fmtFrac: writes ".ddd" of v / 10^prec backwards into buf ending at w,
 * without trailing zeros (nor the point when the fraction is zero). */
static size_t fmt_frac(char *buf, size_t w, unsigned long long *v, int prec)
{
    bool print = false;
    for (int i = 0; i < prec; i++) {
        unsigned digit = (unsigned)(*v % 10);
        print = print || digit != 0;
        if (print)
            buf[--w] = (char)('0' + digit);
        *v /= 10;
    }
    if (print)
        buf[--w] = '.';
    return w;
}

static size_t fmt_uint(char *buf, size_t w, unsigned long long v)
{
    do {
        buf[--w] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    return w;
}

/* A port of Go's time.Duration.String(), built right to left. */
void format_duration(int64_t ns, char *out, size_t n)
{
    char buf[32];
    size_t w = sizeof buf;
    bool neg = ns < 0;
    unsigned long long u = neg ? 0 - (unsigned long long)ns : (unsigned long long)ns;
    buf[--w] = 's';
    if (u < 1000000000ULL) {
        int prec = 0;
        if (u == 0) {
            buf[--w] = '0';
        } else {
            if (u < 1000ULL) {
                buf[--w] = 'n';
            } else if (u < 1000000ULL) {
                prec = 3;
                buf[--w] = '\xb5';
                buf[--w] = '\xc2';
            } else {
                prec = 6;
                buf[--w] = 'm';
            }
            w = fmt_frac(buf, w, &u, prec);
            w = fmt_uint(buf, w, u);
        }
    } else {
        w = fmt_frac(buf, w, &u, 9);
        w = fmt_uint(buf, w, u % 60);
        u /= 60;
        if (u > 0) {
            buf[--w] = 'm';
            w = fmt_uint(buf, w, u % 60);
            u /= 60;
            if (u > 0) {
                buf[--w] = 'h';
                w = fmt_uint(buf, w, u);
            }
        }
    }
    if (neg)
        buf[--w] = '-';
    snprintf(out, n, "%.*s", (int)(sizeof buf - w), buf + w);
}

/* ---- readers --------------------------------------------------------- */

bool envcfg_bool(envcfg *e, const char *name, bool def, bool *out)
{
    const char *v = envcfg_raw(e, name);
    char q[QBUF_SIZE];
    *out = def;
    if (!v)
        return true;
    if (!parse_bool(v, out)) {
        envcfg_fail(e, name, "%s is not a boolean (true/false)", quote(v, q, sizeof q));
        return false;
    }
    return true;
}

bool envcfg_int(envcfg *e, const char *name, long long def, long long min, long long max,
                long long *out)
{
    const char *v = envcfg_raw(e, name);
    char q[QBUF_SIZE];
    long long x;
    *out = def;
    if (!v)
        return true;
    parse_result r = parse_int_r(v, &x);
    if (r == PARSE_SYNTAX) {
        envcfg_fail(e, name, "%s is not an integer", quote(v, q, sizeof q));
        return false;
    }
    if (r == PARSE_RANGE) {
        envcfg_fail(e, name, "%s is out of range (%lld..%lld)", quote(v, q, sizeof q), min, max);
        return false;
    }
    if (x < min || x > max) {
        envcfg_fail(e, name, "%lld is out of range (%lld..%lld)", x, min, max);
        return false;
    }
    *out = x;
    return true;
}

bool envcfg_float(envcfg *e, const char *name, double def, double *out)
{
    const char *v = envcfg_raw(e, name);
    char q[QBUF_SIZE];
    *out = def;
    if (!v)
        return true;
    if (!parse_float(v, out)) {
        envcfg_fail(e, name, "%s is not a finite number", quote(v, q, sizeof q));
        return false;
    }
    return true;
}

bool envcfg_duration(envcfg *e, const char *name, int64_t def_ns, bool allow_zero, int64_t *out_ns)
{
    const char *v = envcfg_raw(e, name);
    char q[QBUF_SIZE];
    int64_t x;
    *out_ns = def_ns;
    if (!v)
        return true;
    parse_result r = parse_duration_r(v, &x);
    if (r == PARSE_SYNTAX) {
        envcfg_fail(e, name, "%s is not a duration (e.g. 30s, 5m, 1h30m)", quote(v, q, sizeof q));
        return false;
    }
    if (r == PARSE_RANGE) {
        envcfg_fail(e, name, "%s is out of range (at most 2562047h47m16s)", quote(v, q, sizeof q));
        return false;
    }
    if (x < 0 || (x == 0 && !allow_zero)) {
        envcfg_fail(e, name, "%s must be %s 0", quote(v, q, sizeof q), allow_zero ? ">=" : ">");
        return false;
    }
    *out_ns = x;
    return true;
}

/* memmove: callers may pass their current value as the default, i.e. def
 * and out may be the same buffer. */
static bool copy_out(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n >= outlen)
        return false;
    memmove(out, s, n + 1);
    return true;
}

/* Readers that fill a caller buffer write the default first, so that on an
 * invalid value the buffer holds the default, as for scalar readers. */
bool envcfg_string(envcfg *e, const char *name, const char *def, char *out, size_t outlen)
{
    const char *v = envcfg_raw(e, name);
    bool def_fits = copy_out(def ? def : "", out, outlen);
    if (!def_fits && outlen > 0)
        out[0] = '\0';
    if (v ? copy_out(v, out, outlen) : def_fits)
        return true;
    envcfg_fail(e, name, "value is too long (at most %zu bytes)", outlen ? outlen - 1 : 0);
    return false;
}

static int choice_index(const char *s, const char *const *choices)
{
    for (int i = 0; s && choices[i]; i++)
        if (strcasecmp(s, choices[i]) == 0)
            return i;
    return -1;
}

/* *out is the index of def (or -1 when def is NULL or not a choice) unless a
 * valid value is set. */
bool envcfg_enum(envcfg *e, const char *name, const char *def, const char *const *choices, int *out)
{
    const char *v = envcfg_raw(e, name);
    *out = choice_index(def, choices);
    if (!v)
        return true;
    int i = choice_index(v, choices);
    if (i < 0) {
        char q[QBUF_SIZE], list[256];
        size_t o = 0;
        list[0] = '\0';
        for (int k = 0; choices[k] && o < sizeof list; k++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", choices[k]);
        envcfg_fail(e, name, "%s is not one of %s", quote(v, q, sizeof q), list);
        return false;
    }
    *out = i;
    return true;
}

static bool host_char_ok(unsigned char c, bool v6)
{
    if (isalnum(c) || c == '.' || c == '-' || c == '_')
        return true;
    return v6 && (c == ':' || c == '%');
}

/* Splits "host:port" or "[v6]:port". Ports 0..65535 are accepted: 0 asks
 * the kernel for an ephemeral port, which the tests rely on. */
static bool split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
    const char *h = s, *hend, *colon;
    bool v6 = *s == '[';
    if (v6) {
        h = s + 1;
        hend = strchr(h, ']');
        if (!hend || hend[1] != ':')
            return false;
        colon = hend + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        hend = colon;
    }
    size_t hl = (size_t)(hend - h);
    if (hl == 0 || hl >= hostlen)
        return false;
    for (size_t i = 0; i < hl; i++)
        if (!host_char_ok((unsigned char)h[i], v6))
            return false;
    const char *p = colon + 1;
    size_t pl = strlen(p);
    if (pl == 0 || pl > 5 || strspn(p, "0123456789") != pl)
        return false;
    long pv = strtol(p, NULL, 10);
    if (pv > 65535)
        return false;
    memmove(host, h, hl);
    host[hl] = '\0';
    *port = (int)pv;
    return true;
}

bool envcfg_hostport(envcfg *e, const char *name, const char *def, char *host, size_t hostlen,
                     int *port)
{
    const char *v = envcfg_raw(e, name);
    char q[QBUF_SIZE];
    if (!(def && split_hostport(def, host, hostlen, port))) {
        if (hostlen > 0)
            host[0] = '\0';
        *port = 0;
    }
    if (!v || split_hostport(v, host, hostlen, port))
        return true;
    envcfg_fail(e, name, "%s is not host:port (e.g. 0.0.0.0:8080, [::1]:8080)",
                quote(v, q, sizeof q));
    return false;
}

#define URL_CREDENTIALS "must not contain credentials"

/* Why s is not an acceptable base URL, or NULL when it is. */
static const char *url_problem(const char *s)
{
    size_t skip;
    if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return "must start with http:// or https://";
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c == 0x7f)
            return "contains whitespace or control characters";
        if (c == '?' || c == '#')
            return "must not contain a query or fragment";
    }
    const char *host = s + skip;
    size_t hl = strcspn(host, "/");
    if (memchr(host, '@', hl))
        return URL_CREDENTIALS;
    if (hl == 0 || host[0] == ':')
        return "has no host";
    return NULL;
}

/* Copies a valid URL without its trailing '/'s; false (out untouched) if it
 * does not fit. */
static bool url_copy(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    size_t min = (size_t)(strstr(s, "://") - s) + 3; /* never strip into the scheme */
    while (n > min && s[n - 1] == '/')
        n--;
    if (n >= outlen)
        return false;
    memmove(out, s, n);
    out[n] = '\0';
    return true;
}

bool envcfg_url(envcfg *e, const char *name, const char *def, char *out, size_t outlen)
{
    const char *v = envcfg_raw(e, name);
    if (!(def && !url_problem(def) && url_copy(def, out, outlen)) && outlen > 0)
        out[0] = '\0';
    if (!v)
        return true;
    const char *why = url_problem(v);
    if (!why && !url_copy(v, out, outlen))
        why = "is too long";
    if (!why)
        return true;
    char q[QBUF_SIZE];
    if (strcmp(why, URL_CREDENTIALS) == 0) /* the value holds a password */
        envcfg_fail(e, name, "%s", why);
    else
        envcfg_fail(e, name, "%s %s", quote(v, q, sizeof q), why);
    return false;
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool envcfg_secret(envcfg *e, const char *name, char *out, size_t outlen, bool *is_set)
{
    const char *v = envcfg_raw(e, name);
    *is_set = false;
    if (outlen > 0)
        out[0] = '\0';
    if (!v)
        return true;
    while (is_space((unsigned char)*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && is_space((unsigned char)v[n - 1]))
        n--;
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 || c == 0x7f) {
            envcfg_fail(e, name, "contains whitespace or control characters");
            return false;
        }
    }
    if (n >= outlen) {
        envcfg_fail(e, name, "value is too long (at most %zu bytes)", outlen ? outlen - 1 : 0);
        return false;
    }
    memcpy(out, v, n);
    out[n] = '\0';
    *is_set = true;
    return true;
}
