/* ceilstate: the rate limiter's persisted ceiling (PROXY.md §6.8), one small
 * JSON file {"ceiling":…,"hold":…,"ts":"…"} written atomically (temporary
 * file in the same directory, fsync, chmod 0644, rename) and validated on
 * load. Only file I/O: no clock reads (now is an argument), no logging (the
 * caller logs the returned message), no locks. The directory is never
 * created. */
#ifndef ZAI_PROXY_CEILSTATE_H
#define ZAI_PROXY_CEILSTATE_H

#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

typedef struct ceilstate {
    double ceiling;          /* req/s */
    double hold;             /* the rate at the time of the snapshot */
    int64_t ts_wall_ns;      /* when the ceiling was learned (epoch ns) */
} ceilstate;

typedef enum ceilstate_result {
    CEILSTATE_OK = 0,
    CEILSTATE_MISSING,       /* no file: a normal start */
    CEILSTATE_REJECTED       /* unreadable, invalid or too old: see reason */
} ceilstate_result;

#define CEILSTATE_MSG_MAX 256

/* The file's exact bytes: shortest round-trip numbers and ts as RFC 3339 UTC
 * with nanoseconds. */
void ceilstate_format(const ceilstate *s, strbuf *out);
/* Returns 0, or -1 with a message in err ("rename …: Permission denied");
 * no temporary file is left behind either way. */
int ceilstate_save(const char *path, const ceilstate *s, char err[CEILSTATE_MSG_MAX]);
/* Loads and validates. When ts is absent or zero (Go's zero time), the file's
 * modification time is both the age reference and the returned ts_wall_ns.
 * On CEILSTATE_REJECTED, reason says why ("older than max age (7h0m0s)"). */
ceilstate_result ceilstate_load(const char *path, int64_t now_wall_ns, int64_t max_age_ns,
                                ceilstate *out, char reason[CEILSTATE_MSG_MAX]);
/* Deletes the file (rate limiter reset). A missing file is success. */
int ceilstate_remove(const char *path, char err[CEILSTATE_MSG_MAX]);

#endif
