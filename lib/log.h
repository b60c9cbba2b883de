/* log: structured records to stderr, one write(2) per line so lines from
 * different threads never interleave. Two formats: text
 * ("2026-11-24T10:00:00.123Z INFO  msg key=value ...") and JSON
 * ({"ts":...,"level":"info","msg":...,...}). Records are built in a
 * thread-local buffer capped at 4 KiB (longer lines end with "…").
 *
 * Usage:
 *   log_rec *r = log_begin(LOG_INFO, "request");
 *   if (r) { log_str(r, "path", p); log_int(r, "status", 200); log_end(r); }
 * log_begin returns NULL when the level is filtered out. */
#ifndef ZAI_LOG_H
#define ZAI_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;
typedef enum { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON } log_format;

typedef struct log_rec log_rec;

void log_setup(log_format fmt, log_level min_level, int fd);
bool log_enabled(log_level level);

log_rec *log_begin(log_level level, const char *msg);
void log_str(log_rec *r, const char *key, const char *val);
void log_strn(log_rec *r, const char *key, const char *val, size_t n);
void log_int(log_rec *r, const char *key, long long val);
void log_num(log_rec *r, const char *key, double val);   /* shortest round-trip */
void log_ms(log_rec *r, const char *key, double ms);     /* one decimal: 812.4 */
void log_bool(log_rec *r, const char *key, bool val);
void log_end(log_rec *r);

/* A record with only a printf-formatted message (no fields). The message
 * must never contain secrets, bodies or provider text. */
void log_msgf(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parsing helpers for configuration ("debug".."error", "text"/"json", any case). */
bool log_parse_level(const char *s, log_level *out);
bool log_parse_format(const char *s, log_format *out);

#endif
