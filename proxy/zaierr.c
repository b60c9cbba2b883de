/* zaierr: reads Z.AI's business code, reset instant and retry hint out of an
 * error body. The upstream is inconsistent (string or numeric codes, nested
 * or flat envelopes, the Anthropic endpoint's code in error.type, codes and
 * reset stamps only in message text), so every field is looked up in a fixed
 * order and validated strictly: a value that is not plausibly what we are
 * looking for is dropped rather than guessed at. */
#include "zaierr.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "clock.h"

#define CODE_DIGITS_MAX 8
#define RESET_MIN_S 1e9
#define RESET_MAX_S 2e10
#define RESET_MS_FROM 1e12
#define RETRY_HINT_MAX_S 604800.0
#define UTC8_OFFSET_S (8 * 3600)

static const char *const reset_keys[] = {"reset_time",      "resetTime",    "reset_at",
                                         "resetAt",         "next_reset_time", "nextResetTime"};
static const char *const hint_keys[] = {"retry_after", "retryAfter"};
static const char *const message_keys[] = {"message", "msg"};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static void trim(const char **s, size_t *n)
{
    while (*n && is_space((unsigned char)**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n && is_space((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

const char *zaierr_class_name(zai_class c)
{
    static const char *const names[ZAI_CLASS_COUNT] = {
        "unknown", "concurrency", "frequency", "quota", "model_congestion", "terminal"};
    return (unsigned)c < ZAI_CLASS_COUNT ? names[c] : "unknown";
}

zai_class zaierr_class_of_code(long code)
{
    switch (code) {
    case 1302: return ZAI_CONCURRENCY;
    case 1303: case 1305: return ZAI_FREQUENCY;
    case 1304: case 1308: case 1310: return ZAI_QUOTA;
    case 1312: return ZAI_MODEL_CONGESTION;
    case 1113: case 1309: case 1311: case 1313: return ZAI_TERMINAL;
    default: return ZAI_UNKNOWN;
    }
}

bool zaierr_is_known_code(long code)
{
    return code == 1301 || zaierr_class_of_code(code) != ZAI_UNKNOWN;
}

/* ---- code (§7.2 rule 4) ---- */

/* Exactly 1..8 ASCII digits, nothing else. */
static bool digits_code(const char *s, size_t n, long *code)
{
    if (n == 0 || n > CODE_DIGITS_MAX)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *code = v;
    return true;
}

/* cJSON keeps only the value of a number, so "no sign, decimal point or
 * exponent" is enforced on the value: a non-negative integer of at most 8
 * digits (1302.0 and 1.302e3 are therefore indistinguishable from 1302). */
static bool number_code(double v, long *code)
{
    if (!(v >= 0 && v <= 99999999.0) || v != floor(v) || signbit(v))
        return false;
    *code = (long)v;
    return true;
}

static bool code_member(const cJSON *obj, long *code)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, "code");
    if (cJSON_IsNumber(c))
        return number_code(c->valuedouble, code);
    if (cJSON_IsString(c)) {
        const char *s = c->valuestring;
        size_t n = strlen(s);
        trim(&s, &n);
        return digits_code(s, n, code);
    }
    return false;
}

static bool type_member(const cJSON *inner, long *code)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(inner, "type");
    return cJSON_IsString(t) && digits_code(t->valuestring, strlen(t->valuestring), code);
}

/* The first of message/msg, inner then top level, that is a string. */
static const char *first_message(const cJSON *inner, const cJSON *top)
{
    const cJSON *objs[2] = {inner, top};
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; k < sizeof message_keys / sizeof *message_keys; k++) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(objs[i], message_keys[k]);
            if (cJSON_IsString(m))
                return m->valuestring;
        }
    }
    return NULL;
}

/* "1302: …", " 1312 busy", "[1301][…]", "1302x": a leading digit run, only
 * trusted when it is a known code since free text starts with numbers too. */
static bool message_code(const char *msg, long *code)
{
    const char *p = msg;
    while (is_space((unsigned char)*p))
        p++;
    if (*p == '[')
        p++;
    size_t n = 0;
    while (is_digit((unsigned char)p[n]))
        n++;
    long v;
    if (!digits_code(p, n, &v) || !zaierr_is_known_code(v))
        return false;
    *code = v;
    return true;
}

static bool find_code(const cJSON *inner, const cJSON *top, long *code)
{
    if (inner && code_member(inner, code))
        return true;
    if (code_member(top, code))
        return true;
    if (inner && type_member(inner, code))
        return true;
    const char *msg = first_message(inner, top);
    return msg && message_code(msg, code);
}

/* ---- numbers and instants (§7.2 rules 6 and 7) ---- */

/* A plain decimal number: [+-]digits[.digits][e[+-]digits], also ".5" and
 * "5.". Stricter than strtod, which would take "inf", "nan" and hex. */
static bool parse_decimal(const char *s, size_t n, double *out)
{
    trim(&s, &n);
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return false;
    size_t i = 0, mant = 0;
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < n && is_digit((unsigned char)s[i])) {
        i++;
        mant++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit((unsigned char)s[i])) {
            i++;
            mant++;
        }
    }
    if (mant == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = 0;
        while (i < n && is_digit((unsigned char)s[i])) {
            i++;
            exp++;
        }
        if (exp == 0)
            return false;
    }
    if (i != n)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The value of n ASCII digits the caller has already checked. */
static int field(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* \d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2} at s. Stops at the first
 * mismatch, so a shorter NUL-terminated string is never overrun. */
static bool stamp_shape(const char *s)
{
    static const char pat[] = "dddd-dd-ddTdd:dd:dd";
    for (int i = 0; pat[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        bool ok = pat[i] == 'd'   ? is_digit(c)
                  : pat[i] == 'T' ? c == 'T' || c == 't' || c == ' '
                                  : c == (unsigned char)pat[i];
        if (!ok)
            return false;
    }
    return true;
}

/* A stamp of stamp_shape as seconds of a naive calendar instant (no zone
 * applied); false for impossible dates and times. */
static bool parse_datetime19(const char *s, int64_t *secs)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!stamp_shape(s))
        return false;
    int y = field(s, 4), mo = field(s + 5, 2), d = field(s + 8, 2);
    int h = field(s + 11, 2), mi = field(s + 14, 2), se = field(s + 17, 2);
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59)
        return false;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return false;
    *secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

static bool plausible_reset(int64_t secs)
{
    return secs >= RESET_MIN_S && secs <= RESET_MAX_S;
}

/* RFC 3339 ("…Z", "…+08:00", optional fraction) or a naive stamp, which Z.AI
 * writes in Beijing time (UTC+8). The fraction is dropped: resets are whole
 * seconds. */
static bool parse_stamp(const char *s, size_t n, int64_t *reset)
{
    trim(&s, &n);
    int64_t secs;
    if (n < 19 || !parse_datetime19(s, &secs))
        return false;
    size_t i = 19;
    if (i < n && s[i] == '.') {
        size_t f = ++i;
        while (i < n && is_digit((unsigned char)s[i]))
            i++;
        if (i == f)
            return false;
    }
    int64_t offset = UTC8_OFFSET_S;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        offset = 0;
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        const unsigned char *o = (const unsigned char *)s + i;
        if (n - i < 6 || !is_digit(o[1]) || !is_digit(o[2]) || o[3] != ':' || !is_digit(o[4]) ||
            !is_digit(o[5]))
            return false;
        int oh = field(s + i + 1, 2), om = field(s + i + 4, 2);
        if (oh > 23 || om > 59)
            return false;
        offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        i += 6;
    }
    if (i != n)
        return false;
    secs -= offset;
    if (!plausible_reset(secs))
        return false;
    *reset = secs;
    return true;
}

/* Epoch seconds or milliseconds, told apart by magnitude. */
static bool numeric_reset(double v, int64_t *reset)
{
    if (!isfinite(v) || v < RESET_MIN_S)
        return false;
    double secs = v >= RESET_MS_FROM ? v / 1000.0 : v;
    if (secs > RESET_MAX_S)
        return false;
    *reset = (int64_t)secs;
    return true;
}

static bool reset_value(const cJSON *v, int64_t *reset)
{
    if (cJSON_IsNumber(v))
        return numeric_reset(v->valuedouble, reset);
    if (!cJSON_IsString(v))
        return false;
    size_t n = strlen(v->valuestring);
    double d;
    if (parse_decimal(v->valuestring, n, &d))
        return numeric_reset(d, reset);
    return parse_stamp(v->valuestring, n, reset);
}

/* The first member named by keys (inner object first) whose value is not
 * JSON null: a null is treated as an absent key. */
static const cJSON *first_member(const cJSON *inner, const cJSON *top, const char *const *keys,
                                 size_t nkeys)
{
    const cJSON *objs[2] = {inner, top};
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; objs[i] && k < nkeys; k++) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(objs[i], keys[k]);
            if (m && !cJSON_IsNull(m))
                return m;
        }
    }
    return NULL;
}

/* The first date-time stamp in the text, read as a naive UTC+8 stamp; an
 * impossible or implausible first stamp means no reset. */
static bool scan_reset(const char *msg, int64_t *reset)
{
    for (const char *p = msg; *p; p++) {
        if (!stamp_shape(p))
            continue;
        int64_t secs;
        if (!parse_datetime19(p, &secs) || !plausible_reset(secs - UTC8_OFFSET_S))
            return false;
        *reset = secs - UTC8_OFFSET_S;
        return true;
    }
    return false;
}

static bool find_reset(const cJSON *inner, const cJSON *top, int64_t *reset)
{
    const cJSON *v = first_member(inner, top, reset_keys, sizeof reset_keys / sizeof *reset_keys);
    if (v && reset_value(v, reset))
        return true;
    const cJSON *objs[2] = {inner, top};
    for (int i = 0; i < 2; i++) {
        for (size_t k = 0; objs[i] && k < sizeof message_keys / sizeof *message_keys; k++) {
            const cJSON *m = cJSON_GetObjectItemCaseSensitive(objs[i], message_keys[k]);
            if (cJSON_IsString(m) && scan_reset(m->valuestring, reset))
                return true;
        }
    }
    return false;
}

static bool find_retry_hint(const cJSON *inner, const cJSON *top, double *hint)
{
    const cJSON *v = first_member(inner, top, hint_keys, sizeof hint_keys / sizeof *hint_keys);
    double d;
    if (cJSON_IsNumber(v))
        d = v->valuedouble;
    else if (!cJSON_IsString(v) || !parse_decimal(v->valuestring, strlen(v->valuestring), &d))
        return false;
    if (!isfinite(d) || d <= 0 || d > RETRY_HINT_MAX_S)
        return false;
    *hint = d;
    return true;
}

/* ---- classification ---- */

/* A JSON object and nothing else around it but JSON whitespace. The outer
 * bytes are checked here because cJSON skips every control byte as if it
 * were whitespace. */
static cJSON *parse_object(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n < 2 || s[0] != '{' || s[n - 1] != '}')
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, n, &end, false);
    if (root && (!cJSON_IsObject(root) || end != s + n)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

void zaierr_classify(const void *body, size_t len, bool oversized, zai_error *out)
{
    memset(out, 0, sizeof *out);
    out->cls = ZAI_UNKNOWN;
    if (oversized || len == 0 || len > ZAIERR_BODY_MAX)
        return;
    cJSON *top = parse_object(body, len);
    if (!top)
        return;
    const cJSON *inner = cJSON_GetObjectItemCaseSensitive(top, "error");
    if (!cJSON_IsObject(inner))
        inner = NULL;
    out->has_code = find_code(inner, top, &out->code);
    if (out->has_code)
        out->cls = zaierr_class_of_code(out->code);
    out->has_reset = find_reset(inner, top, &out->reset_at);
    out->has_retry_after = find_retry_hint(inner, top, &out->retry_after);
    cJSON_Delete(top);
}

void zaierr_code_label(const zai_error *e, char out[8])
{
    if (!e->has_code)
        snprintf(out, 8, "none");
    else if (e->code >= 1000 && e->code <= 1999)
        snprintf(out, 8, "%ld", e->code);
    else
        snprintf(out, 8, "other");
}

/* ---- final error headers (§7.4) ---- */

/* Resets reach 2e10 s (year 2603), beyond int64 nanoseconds, so they are
 * formatted and compared in seconds. */
static void fmt_reset(int64_t secs, char *buf, size_t n)
{
    struct tm tm;
    time_t t = (time_t)secs;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

size_t zaierr_final_headers(int status, const zai_error *e, bool upstream_has_retry_after,
                            int64_t now_wall_ns, zaierr_header out[ZAIERR_MAX_HEADERS])
{
    size_t n = 0;
    if (status == 429 || e->has_code) {
        out[n].name = "X-Zai-Error-Class";
        snprintf(out[n++].value, sizeof out->value, "%s", zaierr_class_name(e->cls));
    }
    if (e->has_code) {
        out[n].name = "X-Zai-Error-Code";
        snprintf(out[n++].value, sizeof out->value, "%ld", e->code);
    }
    if (e->has_reset) {
        out[n].name = "X-Zai-Rate-Limit-Reset";
        fmt_reset(e->reset_at, out[n++].value, sizeof out->value);
    }
    if (upstream_has_retry_after)
        return n;
    /* ceil(reset - now) is reset - floor(now) for an integral reset */
    int64_t now_s = now_wall_ns / NS_PER_SEC - (now_wall_ns % NS_PER_SEC < 0);
    int64_t derived = 0;
    if (e->has_retry_after)
        derived = (int64_t)ceil(e->retry_after);
    else if (e->has_reset && e->reset_at > now_s)
        derived = e->reset_at - now_s;
    if (derived > 0) {
        out[n].name = "Retry-After";
        snprintf(out[n++].value, sizeof out->value, "%lld", (long long)derived);
    }
    return n;
}
