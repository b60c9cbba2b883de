/* strbuf: growable NUL-terminated byte buffer, JSON string escaping and the
 * one float formatter of the project. Every number that reaches a metric
 * exposition, a log line or a JSON body goes through fmt_double so that the
 * same value is always spelled the same way (Go's strconv 'g' with shortest
 * precision, which is what Prometheus itself writes). */
#include "strbuf.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STRBUF_MIN_CAP 64

void strbuf_free(strbuf *sb)
{
    free(sb->data);
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}

/* Clears the error state too: the content it guarded is gone. */
void strbuf_reset(strbuf *sb)
{
    sb->len = 0;
    sb->failed = false;
    if (sb->data)
        sb->data[0] = '\0';
}

bool strbuf_reserve(strbuf *sb, size_t extra)
{
    if (sb->failed)
        return false;
    if (extra > SIZE_MAX - sb->len - 1) {
        sb->failed = true;
        return false;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap)
        return true;
    size_t cap = sb->cap ? sb->cap : STRBUF_MIN_CAP;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(sb->data, cap);
    if (!p) {
        sb->failed = true;
        return false;
    }
    if (!sb->data)
        p[0] = '\0';
    sb->data = p;
    sb->cap = cap;
    return true;
}

void strbuf_append(strbuf *sb, const void *p, size_t n)
{
    if (!strbuf_reserve(sb, n))
        return;
    if (n)
        memcpy(sb->data + sb->len, p, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void strbuf_puts(strbuf *sb, const char *s)
{
    strbuf_append(sb, s, strlen(s));
}

void strbuf_putc(strbuf *sb, char c)
{
    strbuf_append(sb, &c, 1);
}

void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        sb->failed = true;
        return;
    }
    if (!strbuf_reserve(sb, (size_t)n))
        return;
    vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
}

void strbuf_printf(strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_json_str(strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    strbuf_putc(sb, '"');
    size_t run = 0; /* bytes copied verbatim are flushed in runs */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        strbuf_append(sb, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': strbuf_append(sb, "\\\"", 2); break;
        case '\\': strbuf_append(sb, "\\\\", 2); break;
        case '\n': strbuf_append(sb, "\\n", 2); break;
        case '\r': strbuf_append(sb, "\\r", 2); break;
        case '\t': strbuf_append(sb, "\\t", 2); break;
        case '\b': strbuf_append(sb, "\\b", 2); break;
        case '\f': strbuf_append(sb, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_append(sb, u, sizeof u);
        }
        }
    }
    strbuf_append(sb, s + run, n - run);
    strbuf_putc(sb, '"');
}

void strbuf_double(strbuf *sb, double v)
{
    char buf[32];
    size_t n = fmt_double(v, buf, sizeof buf);
    strbuf_append(sb, buf, n);
}

void strbuf_json_double(strbuf *sb, double v)
{
    if (!isfinite(v))
        strbuf_append(sb, "null", 4);
    else
        strbuf_double(sb, v);
}

bool strbuf_failed(const strbuf *sb)
{
    return sb->failed;
}

char *strbuf_detach(strbuf *sb, size_t *len)
{
    char *p = sb->data;
    if (len)
        *len = sb->len;
    if (!p)
        p = calloc(1, 1);
    sb->data = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
    return p;
}

/* Shortest significant digits of |v| (no leading/trailing zeros) and the
 * decimal exponent of the first digit. "%.*e" is correctly rounded by glibc,
 * so the first precision whose output reads back as v is the shortest; for
 * normal numbers any value that needs at most 15 digits prints exactly those
 * digits at precision 15 (DBL_DIG), so only 15..17 are tried. Subnormals can
 * have shorter spellings than 15 digits suggest and are searched from 1. */
static size_t shortest_digits(double v, char digits[20], int *exp10)
{
    char tmp[40];
    int p = fabs(v) < 2.2250738585072014e-308 ? 1 : 15;
    for (;; p++) {
        snprintf(tmp, sizeof tmp, "%.*e", p - 1, v);
        if (p == 17 || strtod(tmp, NULL) == v)
            break;
    }
    size_t nd = 0;
    const char *s = tmp;
    if (*s == '-')
        s++;
    for (; *s && *s != 'e'; s++)
        if (*s != '.')
            digits[nd++] = *s;
    *exp10 = atoi(s + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    return nd;
}

/* Go's strconv.FormatFloat(v, 'g', -1, 64): %e when exp < -4 || exp >= 6
 * (Go fixes the threshold at 6 for shortest precision, so 1e+06 and
 * 1.234567e+06), %f otherwise, exponent with sign and at least two digits. */
static size_t format_go_g(double v, char *out)
{
    char digits[20];
    int exp10;
    size_t nd = shortest_digits(v, digits, &exp10);
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    if (exp10 < -4 || exp10 >= 6) {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            memcpy(out + o, digits + 1, nd - 1);
            o += nd - 1;
        }
        int e = exp10 < 0 ? -exp10 : exp10;
        o += (size_t)snprintf(out + o, 8, "e%c%02d", exp10 < 0 ? '-' : '+', e);
    } else if (exp10 < 0) {
        out[o++] = '0';
        out[o++] = '.';
        for (int i = -1; i > exp10; i--)
            out[o++] = '0';
        memcpy(out + o, digits, nd);
        o += nd;
    } else {
        size_t intd = (size_t)exp10 + 1;
        for (size_t i = 0; i < intd; i++)
            out[o++] = i < nd ? digits[i] : '0';
        if (nd > intd) {
            out[o++] = '.';
            memcpy(out + o, digits + intd, nd - intd);
            o += nd - intd;
        }
    }
    out[o] = '\0';
    return o;
}

size_t fmt_double(double v, char *buf, size_t n)
{
    char tmp[40];
    size_t len;
    if (isnan(v))
        len = (size_t)snprintf(tmp, sizeof tmp, "NaN");
    else if (isinf(v))
        len = (size_t)snprintf(tmp, sizeof tmp, "%cInf", v > 0 ? '+' : '-');
    else if (v == 0)
        len = (size_t)snprintf(tmp, sizeof tmp, "0"); /* -0 too, as Prometheus writes it */
    else
        len = format_go_g(v, tmp);
    if (n > 0) {
        size_t c = len < n ? len : n - 1;
        memcpy(buf, tmp, c);
        buf[c] = '\0';
    }
    return len;
}
