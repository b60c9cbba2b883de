/* auth: optional inbound client keys (PROXY.md §2.3) and the admin token
 * check (§12.4), with constant-time comparisons. */
#ifndef ZAI_PROXY_AUTH_H
#define ZAI_PROXY_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/keyvalq_struct.h>
#include "config.h"

/* True when inbound auth is off, or the request carries one of the keys as
 * "Authorization: Bearer <key>" or "x-api-key: <key>". */
bool auth_client_ok(const proxy_config *c, const struct evkeyvalq *headers);
/* "Authorization: Bearer <ADMIN_TOKEN>" matches (token must be set). */
bool auth_admin_token_ok(const proxy_config *c, const struct evkeyvalq *headers);
/* Constant-time equality of two byte strings (length leaks, content doesn't). */
bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen);

#endif
