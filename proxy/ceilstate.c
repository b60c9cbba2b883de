/* ceilstate: persistence of the learned rate ceiling so a restarted replica
 * does not re-learn it through a burst of 429s. Writes go through a
 * temporary file and rename(2) so a crash never leaves a torn file; loads
 * reject anything implausible rather than resume from a bad value. */
#include "ceilstate.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "clock.h"
#include "rng.h"

#define CEILSTATE_FILE_MAX 65536
/* Go's zero time.Time, 0001-01-01T00:00:00Z, as Unix seconds. */
#define GO_ZERO_TIME_S (-62135596800LL)

/* ---- ts ---- */

static void fmt_ts(int64_t wall_ns, char buf[40])
{
    int64_t sec = wall_ns / NS_PER_SEC, frac = wall_ns % NS_PER_SEC;
    if (frac < 0) {
        frac += NS_PER_SEC;
        sec--;
    }
    struct tm tm;
    time_t t = (time_t)sec;
    gmtime_r(&t, &tm);
    size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 40 - n, ".%09lldZ", (long long)frac);
}

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Fraction digits after '.', as nanoseconds (beyond 9 digits truncated). */
static const char *parse_fraction(const char *p, int64_t *ns)
{
    int64_t scale = NS_PER_SEC / 10;
    const char *start = p;
    *ns = 0;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
        *ns += (*p - '0') * scale;
    return p == start ? NULL : p;
}

/* RFC 3339: YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM), as Unix seconds plus
 * nanoseconds. */
static bool parse_rfc3339(const char *s, int64_t *secs, int64_t *ns)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, se;
    if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return false;
    const char *p = s + 19;
    *ns = 0;
    if (*p == '.' && !(p = parse_fraction(p + 1, ns)))
        return false;
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = se;
    time_t t = timegm(&tm);
    if (tm.tm_mday != d) /* timegm normalised an impossible date such as 02-30 */
        return false;
    *secs = (int64_t)t - offset;
    return true;
}

/* ---- save ---- */

void ceilstate_format(const ceilstate *s, strbuf *out)
{
    char ts[40];
    fmt_ts(s->ts_wall_ns, ts);
    strbuf_puts(out, "{\"ceiling\":");
    strbuf_double(out, s->ceiling);
    strbuf_puts(out, ",\"hold\":");
    strbuf_double(out, s->hold);
    strbuf_puts(out, ",\"ts\":\"");
    strbuf_puts(out, ts);
    strbuf_puts(out, "\"}");
}

static int fail(char err[CEILSTATE_MSG_MAX], const char *what, int errnum)
{
    snprintf(err, CEILSTATE_MSG_MAX, "%s: %s", what, strerror(errnum));
    return -1;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Makes the rename itself durable. Best effort: the new file is already in
 * place, and a directory that cannot be opened for reading is no reason to
 * report the save as failed. */
static void sync_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes body to the already created tmp and closes fd. */
static int fill_tmp(int fd, const strbuf *body, char err[CEILSTATE_MSG_MAX])
{
    int rc = 0;
    if (!write_all(fd, body->data, body->len))
        rc = fail(err, "write temporary file", errno ? errno : EIO);
    else if (fsync(fd) != 0)
        rc = fail(err, "fsync temporary file", errno);
    else if (fchmod(fd, 0644) != 0)
        rc = fail(err, "chmod temporary file", errno);
    if (close(fd) != 0 && rc == 0)
        rc = fail(err, "close temporary file", errno);
    return rc;
}

int ceilstate_save(const char *path, const ceilstate *s, char err[CEILSTATE_MSG_MAX])
{
    strbuf body = STRBUF_INIT;
    ceilstate_format(s, &body);
    if (strbuf_failed(&body)) {
        strbuf_free(&body);
        return fail(err, "format", ENOMEM);
    }
    char rnd[33];
    rng_hex128(rnd);
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%.16s", path, rnd) >= (int)sizeof tmp) {
        strbuf_free(&body);
        return fail(err, "temporary file name", ENAMETOOLONG);
    }
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        rc = fail(err, "create temporary file", errno);
    else if ((rc = fill_tmp(fd, &body, err)) == 0 && rename(tmp, path) != 0)
        rc = fail(err, "rename temporary file", errno);
    if (rc != 0 && fd >= 0)
        unlink(tmp);
    else if (rc == 0)
        sync_parent(path);
    strbuf_free(&body);
    return rc;
}

int ceilstate_remove(const char *path, char err[CEILSTATE_MSG_MAX])
{
    if (unlink(path) != 0 && errno != ENOENT)
        return fail(err, "remove", errno);
    return 0;
}

/* ---- load ---- */

static ceilstate_result reject(char reason[CEILSTATE_MSG_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static ceilstate_result reject(char reason[CEILSTATE_MSG_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, CEILSTATE_MSG_MAX, fmt, ap);
    va_end(ap);
    return CEILSTATE_REJECTED;
}

/* Reads the whole (small) file; *data is NUL-terminated and owned by the
 * caller. Returns 0, or an errno value (EFBIG for a file over the cap). */
static int read_file(const char *path, char **data, size_t *len, int64_t *mtime_ns)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    struct stat st;
    int e = 0;
    char *buf = NULL;
    size_t n = 0;
    if (fstat(fd, &st) != 0)
        e = errno;
    else if (!S_ISREG(st.st_mode))
        e = EISDIR;
    else if (st.st_size > CEILSTATE_FILE_MAX)
        e = EFBIG;
    else if (!(buf = malloc(CEILSTATE_FILE_MAX + 1)))
        e = ENOMEM;
    while (!e && n <= CEILSTATE_FILE_MAX) {
        ssize_t r = read(fd, buf + n, CEILSTATE_FILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = errno;
        else if (r == 0)
            break;
        else
            n += (size_t)r;
    }
    close(fd);
    if (!e && n > CEILSTATE_FILE_MAX)
        e = EFBIG;
    if (e) {
        free(buf);
        return e;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    *mtime_ns = (int64_t)st.st_mtim.tv_sec * NS_PER_SEC + st.st_mtim.tv_nsec;
    return 0;
}

static ceilstate_result positive(const cJSON *root, const char *key, double *out,
                                 char reason[CEILSTATE_MSG_MAX])
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(v))
        return reject(reason, "%s is missing or not a number", key);
    if (!(v->valuedouble > 0) || !isfinite(v->valuedouble))
        return reject(reason, "%s is not a positive number", key);
    *out = v->valuedouble;
    return CEILSTATE_OK;
}

/* ts as epoch ns; false for a present but invalid stamp. Absent, empty,
 * Go's zero time and the Unix epoch itself all read as 0 ("no stamp"). */
static bool read_ts(const cJSON *root, int64_t *ts_ns)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "ts");
    *ts_ns = 0;
    if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
        return true;
    int64_t secs, ns;
    if (!cJSON_IsString(v) || !parse_rfc3339(v->valuestring, &secs, &ns))
        return false;
    if (secs == GO_ZERO_TIME_S && ns == 0)
        return true;
    if (secs <= INT64_MIN / NS_PER_SEC || secs >= INT64_MAX / NS_PER_SEC)
        return false;
    *ts_ns = secs * NS_PER_SEC + ns;
    return true;
}

static ceilstate_result validate(const char *data, size_t len, int64_t mtime_ns, int64_t now_wall_ns,
                                 int64_t max_age_ns, ceilstate *out, char reason[CEILSTATE_MSG_MAX])
{
    cJSON *root = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return reject(reason, "not a JSON object");
    }
    ceilstate s;
    ceilstate_result r = positive(root, "ceiling", &s.ceiling, reason);
    if (r == CEILSTATE_OK)
        r = positive(root, "hold", &s.hold, reason);
    if (r == CEILSTATE_OK && !read_ts(root, &s.ts_wall_ns))
        r = reject(reason, "ts is not an RFC 3339 timestamp");
    cJSON_Delete(root);
    if (r != CEILSTATE_OK)
        return r;
    if (s.ts_wall_ns == 0)
        s.ts_wall_ns = mtime_ns;
    int64_t age;
    if (__builtin_sub_overflow(now_wall_ns, s.ts_wall_ns, &age))
        age = s.ts_wall_ns < now_wall_ns ? INT64_MAX : INT64_MIN;
    if (age > max_age_ns) {
        return reject(reason, "older than RATE_LIMIT_STATE_MAX_AGE (age %llds, max %llds)",
                      (long long)(age / NS_PER_SEC), (long long)(max_age_ns / NS_PER_SEC));
    }
    *out = s;
    return CEILSTATE_OK;
}

ceilstate_result ceilstate_load(const char *path, int64_t now_wall_ns, int64_t max_age_ns,
                                ceilstate *out, char reason[CEILSTATE_MSG_MAX])
{
    char *data = NULL;
    size_t len = 0;
    int64_t mtime_ns = 0;
    int e = read_file(path, &data, &len, &mtime_ns);
    if (e == ENOENT)
        return CEILSTATE_MISSING;
    if (e)
        return reject(reason, "unreadable: %s", strerror(e));
    ceilstate_result r = validate(data, len, mtime_ns, now_wall_ns, max_age_ns, out, reason);
    free(data);
    return r;
}
