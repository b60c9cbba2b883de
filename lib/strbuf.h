/* strbuf: a growable byte buffer with the append helpers every module needs
 * to build JSON, log lines and exposition text without hand-rolled sizing.
 * A strbuf is always NUL-terminated (the NUL is not counted in len). On
 * allocation failure the buffer enters a sticky error state: further appends
 * are ignored and strbuf_failed() reports it, so callers check once at the end. */
#ifndef ZAI_STRBUF_H
#define ZAI_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct strbuf {
    char *data;     /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
    bool failed;
} strbuf;

#define STRBUF_INIT {NULL, 0, 0, false}

void strbuf_free(strbuf *sb);
void strbuf_reset(strbuf *sb);                 /* len = 0, keeps the allocation */
bool strbuf_reserve(strbuf *sb, size_t extra);
void strbuf_append(strbuf *sb, const void *p, size_t n);
void strbuf_puts(strbuf *sb, const char *s);
void strbuf_putc(strbuf *sb, char c);
void strbuf_printf(strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(strbuf *sb, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included (control characters,
 * quote and backslash escaped; bytes >= 0x80 copied as they are). */
void strbuf_json_str(strbuf *sb, const char *s, size_t n);
/* Appends the shortest decimal that round-trips to v ("0.37", "10", "1e-05").
 * NaN/Inf are written as JSON null by the _json variant. */
void strbuf_double(strbuf *sb, double v);
void strbuf_json_double(strbuf *sb, double v);
bool strbuf_failed(const strbuf *sb);
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *strbuf_detach(strbuf *sb, size_t *len);

/* Shortest round-tripping representation of v into buf (at least 32 bytes).
 * Uses Go/Prometheus spellings for the specials: "NaN", "+Inf", "-Inf". */
size_t fmt_double(double v, char *buf, size_t n);

#endif
