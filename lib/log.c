/* log: structured log records (text or JSON) built in a thread-local 4 KiB
 * buffer and written with one write(2), so concurrent threads never
 * interleave partial lines (STACK.md §3.1) and logging never allocates.
 *
 * Truncation: a record that would exceed LOG_LINE_MAX bytes (newline
 * included) is cut at a UTF-8 boundary and marked with "…". A cut inside a
 * quoted value closes the quote; in JSON a cut outside a string value drops
 * the partial field, so every JSON line stays a valid object.
 *
 * One record per thread is open at a time: log_begin while another record of
 * the same thread is open (code that logs while a field value is computed)
 * returns NULL, dropping the inner record rather than corrupting the outer. */
#include "log.h"

#include "clock.h"
#include "strbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LOG_LINE_MAX 4096
#define ELLIPSIS "\xe2\x80\xa6"

struct log_rec {
    size_t len;
    size_t limit;       /* body bytes allowed; the rest is kept for the tail */
    size_t field_start; /* JSON: offset where the current field began */
    log_format fmt;
    bool active;
    bool truncated;
    bool in_str;        /* inside a quoted value: a cut owes the closing quote */
    char buf[LOG_LINE_MAX];
};

static atomic_int cfg_format = LOG_FORMAT_TEXT;
static atomic_int cfg_min = LOG_INFO;
static atomic_int cfg_fd = 2;

static _Thread_local struct log_rec tl_rec;

static const char *const level_text[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
static const char *const level_json[] = {"debug", "info", "warn", "error"};

void log_setup(log_format fmt, log_level min_level, int fd)
{
    atomic_store_explicit(&cfg_format, (int)fmt, memory_order_relaxed);
    atomic_store_explicit(&cfg_min, (int)min_level, memory_order_relaxed);
    atomic_store_explicit(&cfg_fd, fd, memory_order_relaxed);
}

bool log_enabled(log_level level)
{
    return (int)level >= atomic_load_explicit(&cfg_min, memory_order_relaxed);
}

/* Appends n bytes as one unit: all of them or, when they do not fit, none
 * (and the record is truncated from here on). */
static void put(log_rec *r, const char *p, size_t n)
{
    if (r->truncated)
        return;
    if (n > r->limit - r->len) {
        r->truncated = true;
        return;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
}

static void puts_unit(log_rec *r, const char *s)
{
    put(r, s, strlen(s));
}

/* Appends verbatim bytes, keeping as many as fit without splitting a UTF-8
 * sequence. */
static void put_run(log_rec *r, const char *p, size_t n)
{
    if (r->truncated)
        return;
    size_t room = r->limit - r->len;
    if (n <= room) {
        memcpy(r->buf + r->len, p, n);
        r->len += n;
        return;
    }
    size_t c = room;
    while (c > 0 && ((unsigned char)p[c] & 0xC0) == 0x80)
        c--;
    memcpy(r->buf + r->len, p, c);
    r->len += c;
    r->truncated = true;
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/* Control characters become \n, \r, \t or \u00XX; with quote_chars also
 * '"' and '\\' are escaped (quoted text values and JSON strings). */
static void put_escaped(log_rec *r, const char *s, size_t n, bool quote_chars)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool special = is_ctl(c) || (quote_chars && (c == '"' || c == '\\'));
        if (!special)
            continue;
        put_run(r, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t en = 2;
        if (c == '\n') {
            e[1] = 'n';
        } else if (c == '\r') {
            e[1] = 'r';
        } else if (c == '\t') {
            e[1] = 't';
        } else if (is_ctl(c)) {
            memcpy(e + 1, "u00", 3);
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
        }
        put(r, e, en);
    }
    put_run(r, s + run, n - run);
}

/* A quoted string. Only a value marks the record in_str: a cut inside a JSON
 * key is dropped with its field instead of being closed. */
static void put_quoted(log_rec *r, const char *s, size_t n, bool is_value)
{
    put(r, "\"", 1);
    if (r->truncated)
        return;
    r->in_str = is_value;
    put_escaped(r, s, n, true);
    put(r, "\"", 1);
    if (!r->truncated)
        r->in_str = false;
}

static bool text_needs_quotes(const char *s, size_t n)
{
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '"' || c == '=' || is_ctl(c))
            return true;
    }
    return false;
}

/* Starts a field: " key=" in text, ",\"key\":" in JSON. */
static void put_key(log_rec *r, const char *key)
{
    r->field_start = r->len;
    if (r->fmt == LOG_FORMAT_JSON) {
        put(r, ",", 1);
        put_quoted(r, key, strlen(key), false);
        put(r, ":", 1);
    } else {
        put(r, " ", 1);
        put_run(r, key, strlen(key));
        put(r, "=", 1);
    }
}

log_rec *log_begin(log_level level, const char *msg)
{
    if (!log_enabled(level) || (unsigned)level > LOG_ERROR)
        return NULL;
    log_rec *r = &tl_rec;
    if (r->active)
        return NULL; /* a record built while another is open on this thread */
    r->active = true;
    r->fmt = (log_format)atomic_load_explicit(&cfg_format, memory_order_relaxed);
    r->len = 0;
    r->truncated = false;
    r->in_str = false;
    /* tail: ELLIPSIS, closing quote, '}' (JSON) and the newline */
    r->limit = LOG_LINE_MAX - (r->fmt == LOG_FORMAT_JSON ? 6 : 5);

    char ts[32];
    clock_fmt_rfc3339_ms(clock_wall_ns(), ts);
    if (!msg)
        msg = "";
    if (r->fmt == LOG_FORMAT_JSON) {
        puts_unit(r, "{\"ts\":\"");
        puts_unit(r, ts);
        puts_unit(r, "\",\"level\":\"");
        puts_unit(r, level_json[level]);
        puts_unit(r, "\",\"msg\":");
        r->field_start = r->len;
        put_quoted(r, msg, strlen(msg), true);
    } else {
        puts_unit(r, ts);
        put(r, " ", 1);
        puts_unit(r, level_text[level]);
        put(r, " ", 1);
        put_escaped(r, msg, strlen(msg), false);
    }
    return r;
}

void log_strn(log_rec *r, const char *key, const char *val, size_t n)
{
    if (!r || r->truncated)
        return;
    if (!val) {
        val = "";
        n = 0;
    }
    put_key(r, key);
    if (r->fmt == LOG_FORMAT_JSON || text_needs_quotes(val, n))
        put_quoted(r, val, n, true);
    else
        put_run(r, val, n);
}

void log_str(log_rec *r, const char *key, const char *val)
{
    log_strn(r, key, val, val ? strlen(val) : 0);
}

/* A field whose value is a bare token (number, bool, null): never quoted. */
static void put_token_field(log_rec *r, const char *key, const char *tok)
{
    if (!r || r->truncated)
        return;
    put_key(r, key);
    puts_unit(r, tok);
}

void log_int(log_rec *r, const char *key, long long val)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", val);
    put_token_field(r, key, b);
}

static void put_double_field(log_rec *r, const char *key, double val, bool one_decimal)
{
    char b[40];
    if (!r)
        return;
    if (!isfinite(val) && r->fmt == LOG_FORMAT_JSON)
        snprintf(b, sizeof b, "null");
    else if (one_decimal && isfinite(val) && fabs(val) < 1e15)
        snprintf(b, sizeof b, "%.1f", val);
    else
        fmt_double(val, b, sizeof b);
    put_token_field(r, key, b);
}

void log_num(log_rec *r, const char *key, double val)
{
    put_double_field(r, key, val, false);
}

void log_ms(log_rec *r, const char *key, double ms)
{
    put_double_field(r, key, ms, true);
}

void log_bool(log_rec *r, const char *key, bool val)
{
    put_token_field(r, key, val ? "true" : "false");
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void log_end(log_rec *r)
{
    if (!r)
        return;
    /* the tail was reserved by r->limit, so these appends always fit */
    if (r->truncated && r->fmt == LOG_FORMAT_JSON && !r->in_str)
        r->len = r->field_start;
    if (r->truncated && (r->in_str || r->fmt == LOG_FORMAT_TEXT)) {
        memcpy(r->buf + r->len, ELLIPSIS, 3);
        r->len += 3;
    }
    if (r->truncated && r->in_str)
        r->buf[r->len++] = '"';
    if (r->fmt == LOG_FORMAT_JSON)
        r->buf[r->len++] = '}';
    r->buf[r->len++] = '\n';
    write_all(atomic_load_explicit(&cfg_fd, memory_order_relaxed), r->buf, r->len);
    r->active = false;
}

void log_msgf(log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_end(log_begin(level, msg));
}

bool log_parse_level(const char *s, log_level *out)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (s && strcasecmp(s, level_json[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    return false;
}

bool log_parse_format(const char *s, log_format *out)
{
    if (s && strcasecmp(s, "text") == 0) {
        *out = LOG_FORMAT_TEXT;
        return true;
    }
    if (s && strcasecmp(s, "json") == 0) {
        *out = LOG_FORMAT_JSON;
        return true;
    }
    return false;
}
