/* sse: an incremental Server-Sent Events parser. It sees the relayed bytes in
 * whatever chunks they arrive and never changes or delays them: lines end in
 * LF, CRLF or a lone CR and may straddle any number of feeds; "event:" and
 * "data:" fields (one optional space after the colon); multi-line data joined
 * with '\n'; comment lines ignored; an event is dispatched at a blank line.
 * Line and event sizes are bounded; on overflow the parser stops for good
 * (sse_feed returns SSE_OVERFLOW and ignores further input). */
#ifndef ZAI_SSE_H
#define ZAI_SSE_H

#include <stdbool.h>
#include <stddef.h>

#define SSE_MAX_LINE_DEFAULT (1u << 20)
#define SSE_MAX_EVENT_DEFAULT (4u << 20)

typedef enum { SSE_OK = 0, SSE_OVERFLOW = -1, SSE_NOMEM = -2 } sse_status;

/* Called once per dispatched event. `event` is the event name ("" when no
 * event: field; "message" is NOT substituted), data is NUL-terminated. An
 * event with no data lines is still dispatched (data_len 0) if it had an
 * event: field; an entirely empty block (blank line after blank line) is not.
 * Return false to stop parsing (subsequent feeds are ignored). */
typedef bool (*sse_event_cb)(void *ctx, const char *event, size_t event_len,
                             const char *data, size_t data_len);

typedef struct sse_parser sse_parser;

sse_parser *sse_new(size_t max_line, size_t max_event, sse_event_cb cb, void *ctx);
void sse_free(sse_parser *p);
sse_status sse_feed(sse_parser *p, const char *buf, size_t len);
/* True when everything fed so far ends exactly at an event boundary: no
 * partial line and no undispatched field lines (also true before any input). */
bool sse_at_boundary(const sse_parser *p);
/* Number of events dispatched so far. */
size_t sse_events(const sse_parser *p);
bool sse_stopped(const sse_parser *p);

#endif
