/* sse: incremental Server-Sent Events parser (STACK.md §6.2, PROXY.md §9.3).
 * Complete lines are parsed straight from the caller's chunk; only a line
 * that straddles two feeds is copied into the line buffer. Data lines are
 * accumulated in one data buffer (each followed by '\n'; the last '\n'
 * becomes the NUL at dispatch), the event name in a small name buffer. All
 * three grow by doubling and are bounded by max_line / max_event. */
#include "sse.h"

#include <stdlib.h>
#include <string.h>

typedef struct sse_buf {
    char *p;
    size_t len, cap;
} sse_buf;

struct sse_parser {
    sse_event_cb cb;
    void *ctx;
    size_t max_line, max_event;
    sse_buf line;  /* partial line carried over to the next feed */
    sse_buf data;  /* data lines of the current event, each + '\n' */
    sse_buf name;  /* value of the last event: field */
    bool has_data, has_event;
    bool pending;  /* field lines seen since the last blank line */
    bool after_cr; /* last feed ended in CR: a leading LF belongs to it */
    bool stopped;
    sse_status status; /* returned by every feed once stopped */
    size_t nevents;
};

sse_parser *sse_new(size_t max_line, size_t max_event, sse_event_cb cb, void *ctx)
{
    sse_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->cb = cb;
    p->ctx = ctx;
    p->max_line = max_line ? max_line : SSE_MAX_LINE_DEFAULT;
    p->max_event = max_event ? max_event : SSE_MAX_EVENT_DEFAULT;
    return p;
}

void sse_free(sse_parser *p)
{
    if (!p)
        return;
    free(p->line.p);
    free(p->data.p);
    free(p->name.p);
    free(p);
}

static void stop(sse_parser *p, sse_status st)
{
    p->stopped = true;
    p->status = st;
}

/* Appends n bytes, growing by doubling; the caller has checked the bound. */
static bool buf_append(sse_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q)
            return false;
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    return true;
}

static void dispatch(sse_parser *p)
{
    bool fire = p->has_data || p->has_event;
    char none = '\0';
    const char *data = &none, *name = &none;
    size_t dlen = 0;
    if (p->has_data) {
        dlen = p->data.len - 1;
        p->data.p[dlen] = '\0'; /* replaces the last line's '\n' */
        data = p->data.p;
    }
    if (p->has_event) {
        p->name.p[p->name.len] = '\0'; /* buf_append left room for it */
        name = p->name.p;
    }
    size_t nlen = p->has_event ? p->name.len : 0;
    p->data.len = 0;
    p->name.len = 0;
    p->has_data = p->has_event = p->pending = false;
    if (!fire)
        return;
    p->nevents++;
    if (!p->cb(p->ctx, name, nlen, data, dlen))
        stop(p, SSE_OK);
}

static void field(sse_parser *p, const char *f, size_t flen, const char *v, size_t vlen)
{
    if (flen == 4 && memcmp(f, "data", 4) == 0) {
        /* the joined data is data.len + vlen bytes once this line is added */
        if (p->data.len + vlen > p->max_event) {
            stop(p, SSE_OVERFLOW);
            return;
        }
        if (!buf_append(&p->data, v, vlen) || !buf_append(&p->data, "\n", 1)) {
            stop(p, SSE_NOMEM);
            return;
        }
        p->has_data = true;
    } else if (flen == 5 && memcmp(f, "event", 5) == 0) {
        p->name.len = 0;
        if (!buf_append(&p->name, v, vlen)) {
            stop(p, SSE_NOMEM);
            return;
        }
        p->has_event = true;
    }
}

static void line(sse_parser *p, const char *s, size_t n)
{
    if (n == 0) {
        dispatch(p);
        return;
    }
    if (s[0] == ':')
        return;
    p->pending = true;
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = n - (size_t)(v - s);
    if (vlen > 0 && *v == ' ') {
        v++;
        vlen--;
    }
    field(p, s, flen, v, vlen);
}

/* Offset of the first CR or LF in s[0..n), or n. */
static size_t find_eol(const char *s, size_t n)
{
    const char *lf = memchr(s, '\n', n);
    size_t lim = lf ? (size_t)(lf - s) : n;
    const char *cr = memchr(s, '\r', lim);
    return cr ? (size_t)(cr - s) : lim;
}

sse_status sse_feed(sse_parser *p, const char *buf, size_t len)
{
    if (p->stopped)
        return p->status;
    size_t i = 0;
    if (p->after_cr && len > 0) {
        p->after_cr = false;
        if (buf[0] == '\n')
            i = 1;
    }
    while (i < len) {
        const char *s = buf + i;
        size_t n = len - i;
        size_t k = find_eol(s, n);
        if (p->line.len + k > p->max_line) {
            stop(p, SSE_OVERFLOW);
            break;
        }
        if (k == n) {
            if (!buf_append(&p->line, s, n))
                stop(p, SSE_NOMEM);
            break;
        }
        i += k + 1;
        if (s[k] == '\r') {
            if (i == len)
                p->after_cr = true;
            else if (buf[i] == '\n')
                i++;
        }
        if (p->line.len > 0) {
            if (!buf_append(&p->line, s, k)) {
                stop(p, SSE_NOMEM);
                break;
            }
            size_t total = p->line.len;
            p->line.len = 0; /* the bytes stay valid while line() reads them */
            line(p, p->line.p, total);
        } else {
            line(p, s, k);
        }
        if (p->stopped)
            break;
    }
    return p->stopped ? p->status : SSE_OK;
}

bool sse_at_boundary(const sse_parser *p)
{
    return !p->stopped && p->line.len == 0 && !p->pending;
}

size_t sse_events(const sse_parser *p)
{
    return p->nevents;
}

bool sse_stopped(const sse_parser *p)
{
    return p->stopped;
}
