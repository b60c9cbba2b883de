/* headers: what crosses the proxy in each direction (PROXY.md §3). Upstream:
 * client headers in order minus hop-by-hop, Host, Content-Length and every
 * client credential, plus the upstream credential for the route's format,
 * Accept-Encoding: identity, X-Request-Id, an empty Expect and a default
 * User-Agent. Downstream: upstream headers minus hop-by-hop and
 * Transfer-Encoding. Also request-id validation. */
#ifndef ZAI_PROXY_HEADERS_H
#define ZAI_PROXY_HEADERS_H

#include <stdbool.h>
#include <stddef.h>
#include <curl/curl.h>
#include <event2/keyvalq_struct.h>
#include "route.h"

/* Header names the proxy attaches to a request for its own bookkeeping
 * contain ':' and so can never arrive from the wire; they are never
 * forwarded. */
#define HEADERS_INTERNAL_PREFIX "zai:"

/* Case-insensitive: Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
 * Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate. */
bool headers_is_hop_by_hop(const char *name);
/* True if `name` is listed in any Connection header of `in`. */
bool headers_named_in_connection(const struct evkeyvalq *in, const char *name);
/* The upstream request header list for libcurl, or NULL on allocation failure.
 * The key is inserted as "Authorization: Bearer KEY" (openai) or
 * "x-api-key: KEY" (anthropic). */
struct curl_slist *headers_upstream(const struct evkeyvalq *in, api_format fmt, const char *api_key,
                                    const char *request_id, const char *default_user_agent);
/* Whether an upstream response header is relayed to the client (Content-Length
 * is decided by the caller, so it is reported as not relayed here). */
bool headers_relay_response(const char *name, size_t len);
/* ^[A-Za-z0-9._:-]{1,128}$ */
bool headers_request_id_valid(const char *s);

#endif
