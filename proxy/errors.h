/* errors: every error response the proxy itself generates (PROXY.md §8),
 * as JSON in the API format the client used, plus the in-band error events
 * that end an interrupted stream (§4.2). Messages are fixed English
 * sentences: never keys, prompts or upstream text. */
#ifndef ZAI_PROXY_ERRORS_H
#define ZAI_PROXY_ERRORS_H

#include <stdbool.h>
#include "route.h"
#include "strbuf.h"

typedef enum proxy_error {
    PERR_BAD_REQUEST = 0,     /* 400 malformed path */
    PERR_UNAUTHORIZED,        /* 401 missing/wrong client key */
    PERR_ADMIN_UNAUTHORIZED,  /* 401 wrong admin token */
    PERR_FORBIDDEN,           /* 403 admin endpoint refused */
    PERR_NOT_FOUND,           /* 404 */
    PERR_METHOD_NOT_ALLOWED,  /* 405 */
    PERR_TOO_LARGE,           /* 413 */
    PERR_INVALID_JSON,        /* 400 count_tokens body not JSON */
    PERR_UPSTREAM_ERROR,      /* 502 retries exhausted */
    PERR_QUEUE_FULL,          /* 503 */
    PERR_QUEUE_TIMEOUT,       /* 503 */
    PERR_SHUTTING_DOWN,       /* 503 */
    PERR_UPSTREAM_TIMEOUT,    /* 504 first-byte timeout */
    PERR_INTERNAL,            /* 500 */
    PERR_COUNT
} proxy_error;

typedef struct perr_info {
    int status;
    const char *openai_type;
    const char *openai_code;
    const char *anthropic_type;
    const char *message;
    int retry_after;          /* seconds; 0 = no Retry-After header */
    bool close;               /* add Connection: close */
    bool www_authenticate;    /* add WWW-Authenticate: Bearer */
} perr_info;

const perr_info *perr_get(proxy_error e);
/* Appends the JSON body of e in format fmt. */
void perr_body(proxy_error e, api_format fmt, strbuf *out);
/* The SSE event appended when a committed stream is cut at an event boundary. */
const char *perr_stream_interrupted(api_format fmt, size_t *len);

#endif
