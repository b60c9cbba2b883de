/* headers: the header filters of PROXY.md §3. The upstream list is rebuilt
 * from the client's headers in order so everything not explicitly removed
 * reaches Z.AI unchanged, while client credentials, hop-by-hop headers and
 * anything libcurl must own (Host, Content-Length, Expect, encodings) are
 * dropped and replaced by the proxy's own values. */
#include "headers.h"

#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include "strbuf.h"

static const char *const hop_by_hop[] = {
    "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
    "Upgrade", "Proxy-Authorization", "Proxy-Authenticate",
};

/* Headers libcurl or the proxy sets itself, and every client credential. */
static const char *const replaced_upstream[] = {
    "Host", "Content-Length", "Authorization", "x-api-key", "api-key", "Expect",
    "Accept-Encoding", "X-Request-Id",
};

static bool name_eq(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && strncasecmp(name, want, len) == 0;
}

static bool name_in(const char *name, size_t len, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (name_eq(name, len, list[i]))
            return true;
    return false;
}

static bool hop_by_hop_n(const char *name, size_t len)
{
    return name_in(name, len, hop_by_hop, sizeof hop_by_hop / sizeof *hop_by_hop);
}

bool headers_is_hop_by_hop(const char *name)
{
    return hop_by_hop_n(name, strlen(name));
}

static bool is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Connection: a, b, c — a comma-separated token list. */
static bool token_listed(const char *list, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = list;

    if (nlen == 0)
        return false;
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *s = p, *e = end;
        while (s < e && is_ows(*s))
            s++;
        while (e > s && is_ows(e[-1]))
            e--;
        if ((size_t)(e - s) == nlen && strncasecmp(s, name, nlen) == 0)
            return true;
        p = *end ? end + 1 : end;
    }
    return false;
}

bool headers_named_in_connection(const struct evkeyvalq *in, const char *name)
{
    const struct evkeyval *h;

    TAILQ_FOREACH(h, in, next) {
        if (strcasecmp(h->key, "Connection") == 0 && token_listed(h->value, name))
            return true;
    }
    return false;
}

/* evhttp refuses CR/LF in values already; this keeps the promise even for
 * headers added by other code paths, and refuses names libcurl would
 * misread (empty, or containing ':' like the internal bookkeeping names). */
static bool header_emittable(const char *name, const char *value)
{
    if (!name[0])
        return false;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == ':' || *p == 0x7f)
            return false;
    for (const char *p = value; *p; p++)
        if (*p == '\r' || *p == '\n')
            return false;
    return true;
}

static bool header_forwarded(const struct evkeyvalq *in, const char *name)
{
    size_t len = strlen(name);
    size_t plen = sizeof HEADERS_INTERNAL_PREFIX - 1;

    if (len >= plen && strncasecmp(name, HEADERS_INTERNAL_PREFIX, plen) == 0)
        return false;
    if (hop_by_hop_n(name, len) ||
        name_in(name, len, replaced_upstream, sizeof replaced_upstream / sizeof *replaced_upstream))
        return false;
    return !headers_named_in_connection(in, name);
}

/* Hands line to libcurl (which copies it); on failure frees the whole list
 * so the caller has a single thing to check. */
static bool slist_push(struct curl_slist **list, const strbuf *line)
{
    struct curl_slist *n = strbuf_failed(line) ? NULL : curl_slist_append(*list, line->data);

    if (!n) {
        curl_slist_free_all(*list);
        *list = NULL;
        return false;
    }
    *list = n;
    return true;
}

/* libcurl reads "Name:" with nothing after it as "do not send Name", so an
 * empty value is written as "Name;", its syntax for an empty header. */
static bool slist_add(struct curl_slist **list, strbuf *line, const char *name, const char *value)
{
    strbuf_reset(line);
    strbuf_puts(line, name);
    if (value[0]) {
        strbuf_puts(line, ": ");
        strbuf_puts(line, value);
    } else {
        strbuf_putc(line, ';');
    }
    return slist_push(list, line);
}

static bool slist_add_raw(struct curl_slist **list, strbuf *line, const char *raw)
{
    strbuf_reset(line);
    strbuf_puts(line, raw);
    return slist_push(list, line);
}

static bool add_client_headers(struct curl_slist **list, strbuf *line, const struct evkeyvalq *in,
                               bool *has_user_agent)
{
    const struct evkeyval *h;

    TAILQ_FOREACH(h, in, next) {
        if (!header_forwarded(in, h->key) || !header_emittable(h->key, h->value))
            continue;
        if (strcasecmp(h->key, "User-Agent") == 0)
            *has_user_agent = true;
        if (!slist_add(list, line, h->key, h->value))
            return false;
    }
    return true;
}

static bool add_credential(struct curl_slist **list, strbuf *line, api_format fmt,
                           const char *api_key)
{
    if (!api_key || !api_key[0])
        return true;
    strbuf_reset(line);
    strbuf_puts(line, fmt == API_ANTHROPIC ? "x-api-key: " : "Authorization: Bearer ");
    strbuf_puts(line, api_key);
    return slist_push(list, line);
}

struct curl_slist *headers_upstream(const struct evkeyvalq *in, api_format fmt, const char *api_key,
                                    const char *request_id, const char *default_user_agent)
{
    struct curl_slist *list = NULL;
    strbuf line = STRBUF_INIT;
    bool has_ua = false;
    /* "Expect:" with no value keeps libcurl from sending 100-continue. */
    bool ok = add_client_headers(&list, &line, in, &has_ua) &&
              add_credential(&list, &line, fmt, api_key) &&
              slist_add(&list, &line, "Accept-Encoding", "identity") &&
              (!request_id || !request_id[0] ||
               slist_add(&list, &line, "X-Request-Id", request_id)) &&
              slist_add_raw(&list, &line, "Expect:") &&
              (has_ua || !default_user_agent ||
               slist_add(&list, &line, "User-Agent", default_user_agent));

    strbuf_free(&line);
    return ok ? list : NULL;
}

bool headers_relay_response(const char *name, size_t len)
{
    return !hop_by_hop_n(name, len) && !name_eq(name, len, "Content-Length");
}

bool headers_request_id_valid(const char *s)
{
    size_t n = 0;

    if (!s)
        return false;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-';
        if (!ok || n >= 128)
            return false;
    }
    return n >= 1;
}
