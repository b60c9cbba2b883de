/* auth: inbound client keys (PROXY.md §2.3) and the admin token (§12.4).
 * Every presented credential is compared with every configured key in
 * constant time, so neither the content of a key nor which key matched
 * shows in the response time. */
#include "auth.h"

#include <string.h>
#include <strings.h>
#include <sys/queue.h>

bool auth_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
    volatile unsigned char diff = 0;

    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static bool auth_is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* The value without surrounding blanks, as [*s, *s + *len). */
static void auth_trim(const char *v, const char **s, size_t *len)
{
    size_t n = strlen(v);

    while (n && auth_is_ows(*v)) {
        v++;
        n--;
    }
    while (n && auth_is_ows(v[n - 1]))
        n--;
    *s = v;
    *len = n;
}

/* The credential of "Authorization: Bearer <token>" (scheme in any case),
 * or false when the header uses another scheme. */
static bool auth_bearer(const char *value, const char **tok, size_t *len)
{
    static const char scheme[] = "Bearer";
    const char *s;
    size_t n;

    auth_trim(value, &s, &n);
    if (n <= sizeof scheme - 1 || strncasecmp(s, scheme, sizeof scheme - 1) != 0 ||
        !auth_is_ows(s[sizeof scheme - 1]))
        return false;
    s += sizeof scheme - 1;
    n -= sizeof scheme - 1;
    while (n && auth_is_ows(*s)) {
        s++;
        n--;
    }
    *tok = s;
    *len = n;
    return n > 0;
}

static bool auth_key_known(const proxy_config *c, const char *tok, size_t len)
{
    bool hit = false;

    for (size_t i = 0; i < c->n_client_keys; i++)
        hit |= auth_ct_equal(tok, len, c->client_keys[i], strlen(c->client_keys[i]));
    return hit;
}

bool auth_client_ok(const proxy_config *c, const struct evkeyvalq *headers)
{
    const struct evkeyval *h;
    bool hit = false;

    if (c->n_client_keys == 0)
        return true;
    TAILQ_FOREACH(h, headers, next) {
        const char *tok;
        size_t len;

        if (strcasecmp(h->key, "Authorization") == 0) {
            if (auth_bearer(h->value, &tok, &len))
                hit |= auth_key_known(c, tok, len);
        } else if (strcasecmp(h->key, "x-api-key") == 0) {
            auth_trim(h->value, &tok, &len);
            hit |= len > 0 && auth_key_known(c, tok, len);
        }
    }
    return hit;
}

bool auth_admin_token_ok(const proxy_config *c, const struct evkeyvalq *headers)
{
    const struct evkeyval *h;
    size_t toklen = strlen(c->admin_token);
    bool hit = false;

    if (toklen == 0)
        return false;
    TAILQ_FOREACH(h, headers, next) {
        const char *tok;
        size_t len;

        if (strcasecmp(h->key, "Authorization") == 0 && auth_bearer(h->value, &tok, &len))
            hit |= auth_ct_equal(tok, len, c->admin_token, toklen);
    }
    return hit;
}
