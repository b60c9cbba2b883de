/* route: the route table of PROXY.md §2.1. Maps a client path (without its
 * query string) to a route: its API format, its bounded `path` metric label,
 * whether it is local, a generation or a count-tokens route, and builds the
 * upstream URL (prefix + remainder, so the join never doubles a '/'). */
#ifndef ZAI_PROXY_ROUTE_H
#define ZAI_PROXY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"
#include "strbuf.h"

typedef enum { API_OPENAI = 0, API_ANTHROPIC = 1 } api_format;

typedef enum route_id {
    ROUTE_V1_CHAT = 0,          /* 1  /v1/chat/completions */
    ROUTE_V1_MODELS,            /* 2  /v1/models */
    ROUTE_V1_MESSAGES,          /* 3  /v1/messages */
    ROUTE_V1_COUNT_TOKENS,      /* 4  /v1/messages/count_tokens */
    ROUTE_V1_MESSAGES_OTHER,    /* 5  /v1/messages/<rest> */
    ROUTE_V1_OTHER,             /* 6  /v1/<rest> */
    ROUTE_PAAS_CHAT,            /* 7 */
    ROUTE_PAAS_OTHER,           /* 8 */
    ROUTE_CODING_CHAT,          /* 9 */
    ROUTE_CODING_OTHER,         /* 10 */
    ROUTE_ANTHROPIC_MESSAGES,   /* 11 */
    ROUTE_ANTHROPIC_COUNT,      /* 12 */
    ROUTE_ANTHROPIC_OTHER,      /* 13 */
    ROUTE_METRICS,              /* 14 */
    ROUTE_HEALTH,               /* 15 */
    ROUTE_READY,                /* 16 */
    ROUTE_ADMIN_RESET,          /* 17 */
    ROUTE_NOT_FOUND,            /* 18 */
    ROUTE_BAD_PATH,             /* no leading '/' or a ".." segment: 400 */
    ROUTE_COUNT
} route_id;

/* The `path` label vocabulary (§13.1), in a fixed order for metric arrays. */
typedef enum path_label {
    PATH_V1_CHAT = 0, PATH_V1_MODELS, PATH_V1_MESSAGES, PATH_V1_COUNT_TOKENS, PATH_V1_OTHER,
    PATH_PAAS_CHAT, PATH_PAAS_OTHER, PATH_CODING_CHAT, PATH_CODING_OTHER,
    PATH_ANTHROPIC_MESSAGES, PATH_ANTHROPIC_COUNT, PATH_ANTHROPIC_OTHER, PATH_OTHER,
    PATH_LABEL_COUNT
} path_label;

typedef struct route {
    route_id id;
    api_format format;
    path_label label;
    bool local;          /* rows 14-17: answered by the proxy itself */
    bool generation;     /* rows 1, 3, 7, 9, 11 */
    bool count_tokens;   /* rows 4, 12 */
} route;

/* Resolves path[0..len) (no query string). Never fails: unknown paths give
 * ROUTE_NOT_FOUND (openai format), malformed ones ROUTE_BAD_PATH. */
void route_resolve(const char *path, size_t len, route *out);
const char *route_path_label_name(path_label l);
/* Appends the upstream URL for a proxied route: base/prefix + remainder, then
 * "?" + query when query is non-NULL (forwarded unchanged, even if empty). */
void route_upstream_url(const proxy_config *c, const route *r, const char *path, size_t len,
                        const char *query, strbuf *out);

#endif
