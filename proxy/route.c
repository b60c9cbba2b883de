/* route: the route table of PROXY.md §2.1 as data, matched against the raw
 * client path (never decoded or normalised), and the upstream URL builder.
 * Prefixes in the configuration carry no trailing '/' and every remainder
 * starts with '/', so joining never doubles a slash or a prefix. */
#include "route.h"

#include <string.h>

typedef struct route_row {
    const char *path;
    bool prefix;          /* path ends with '/' and matches anything below it */
    route_id id;
    api_format format;
    path_label label;
} route_row;

/* Exact paths first, then prefixes from the most to the least specific. */
static const route_row route_table[] = {
    {"/v1/chat/completions", false, ROUTE_V1_CHAT, API_OPENAI, PATH_V1_CHAT},
    {"/v1/models", false, ROUTE_V1_MODELS, API_OPENAI, PATH_V1_MODELS},
    {"/v1/messages", false, ROUTE_V1_MESSAGES, API_ANTHROPIC, PATH_V1_MESSAGES},
    {"/v1/messages/count_tokens", false, ROUTE_V1_COUNT_TOKENS, API_ANTHROPIC,
     PATH_V1_COUNT_TOKENS},
    {"/api/paas/v4/chat/completions", false, ROUTE_PAAS_CHAT, API_OPENAI, PATH_PAAS_CHAT},
    {"/api/coding/paas/v4/chat/completions", false, ROUTE_CODING_CHAT, API_OPENAI,
     PATH_CODING_CHAT},
    {"/api/anthropic/v1/messages", false, ROUTE_ANTHROPIC_MESSAGES, API_ANTHROPIC,
     PATH_ANTHROPIC_MESSAGES},
    {"/api/anthropic/v1/messages/count_tokens", false, ROUTE_ANTHROPIC_COUNT, API_ANTHROPIC,
     PATH_ANTHROPIC_COUNT},
    {"/metrics", false, ROUTE_METRICS, API_OPENAI, PATH_OTHER},
    {"/health", false, ROUTE_HEALTH, API_OPENAI, PATH_OTHER},
    {"/ready", false, ROUTE_READY, API_OPENAI, PATH_OTHER},
    {"/admin/reset-rate-limit", false, ROUTE_ADMIN_RESET, API_OPENAI, PATH_OTHER},
    {"/v1/messages/", true, ROUTE_V1_MESSAGES_OTHER, API_ANTHROPIC, PATH_V1_OTHER},
    {"/v1/", true, ROUTE_V1_OTHER, API_OPENAI, PATH_V1_OTHER},
    {"/api/coding/paas/v4/", true, ROUTE_CODING_OTHER, API_OPENAI, PATH_CODING_OTHER},
    {"/api/paas/v4/", true, ROUTE_PAAS_OTHER, API_OPENAI, PATH_PAAS_OTHER},
    {"/api/anthropic/", true, ROUTE_ANTHROPIC_OTHER, API_ANTHROPIC, PATH_ANTHROPIC_OTHER},
};

static const char *const path_label_names[PATH_LABEL_COUNT] = {
    [PATH_V1_CHAT] = "/v1/chat/completions",
    [PATH_V1_MODELS] = "/v1/models",
    [PATH_V1_MESSAGES] = "/v1/messages",
    [PATH_V1_COUNT_TOKENS] = "/v1/messages/count_tokens",
    [PATH_V1_OTHER] = "/v1/other",
    [PATH_PAAS_CHAT] = "/api/paas/v4/chat/completions",
    [PATH_PAAS_OTHER] = "/api/paas/v4/other",
    [PATH_CODING_CHAT] = "/api/coding/paas/v4/chat/completions",
    [PATH_CODING_OTHER] = "/api/coding/paas/v4/other",
    [PATH_ANTHROPIC_MESSAGES] = "/api/anthropic/v1/messages",
    [PATH_ANTHROPIC_COUNT] = "/api/anthropic/v1/messages/count_tokens",
    [PATH_ANTHROPIC_OTHER] = "/api/anthropic/other",
    [PATH_OTHER] = "other",
};

const char *route_path_label_name(path_label l)
{
    if ((unsigned)l >= PATH_LABEL_COUNT)
        return path_label_names[PATH_OTHER];
    return path_label_names[l];
}

static bool route_row_matches(const route_row *row, const char *path, size_t len)
{
    size_t n = strlen(row->path);

    if (row->prefix)
        return len >= n && memcmp(path, row->path, n) == 0;
    return len == n && memcmp(path, row->path, n) == 0;
}

/* A segment is the text between two '/' (or the end): only ".." itself is
 * a traversal, "a..b" or "..." are ordinary names. */
static bool route_has_dotdot_segment(const char *path, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i == len || path[i] == '/') {
            if (i - start == 2 && path[start] == '.' && path[start + 1] == '.')
                return true;
            start = i + 1;
        }
    }
    return false;
}

/* A malformed path still gets the API format of the table row it would
 * have matched, so /v1/messages/../x is refused in Anthropic format. */
void route_resolve(const char *path, size_t len, route *out)
{
    const route_row *hit = NULL;

    for (size_t i = 0; i < sizeof route_table / sizeof route_table[0]; i++) {
        if (route_row_matches(&route_table[i], path, len)) {
            hit = &route_table[i];
            break;
        }
    }
    out->id = hit ? hit->id : ROUTE_NOT_FOUND;
    out->format = hit ? hit->format : API_OPENAI;
    out->label = hit ? hit->label : PATH_OTHER;
    if (len == 0 || path[0] != '/' || route_has_dotdot_segment(path, len)) {
        out->id = ROUTE_BAD_PATH;
        out->label = PATH_OTHER;
    }
    out->local = out->id == ROUTE_METRICS || out->id == ROUTE_HEALTH || out->id == ROUTE_READY ||
                 out->id == ROUTE_ADMIN_RESET;
    out->generation = out->id == ROUTE_V1_CHAT || out->id == ROUTE_V1_MESSAGES ||
                      out->id == ROUTE_PAAS_CHAT || out->id == ROUTE_CODING_CHAT ||
                      out->id == ROUTE_ANTHROPIC_MESSAGES;
    out->count_tokens = out->id == ROUTE_V1_COUNT_TOKENS || out->id == ROUTE_ANTHROPIC_COUNT;
}

void route_upstream_url(const proxy_config *c, const route *r, const char *path, size_t len,
                        const char *query, strbuf *out)
{
    static const char v1[] = "/v1";

    switch (r->id) {
    case ROUTE_V1_CHAT:
    case ROUTE_V1_MODELS:
    case ROUTE_V1_OTHER:
        strbuf_puts(out, c->base_url);
        strbuf_puts(out, c->openai_prefix);
        strbuf_append(out, path + (sizeof v1 - 1), len - (sizeof v1 - 1));
        break;
    case ROUTE_V1_MESSAGES:
    case ROUTE_V1_COUNT_TOKENS:
    case ROUTE_V1_MESSAGES_OTHER:
        if (c->target_url[0]) {
            strbuf_puts(out, c->target_url);
        } else {
            strbuf_puts(out, c->base_url);
            strbuf_puts(out, c->anthropic_prefix);
        }
        strbuf_append(out, path, len);
        break;
    case ROUTE_PAAS_CHAT:
    case ROUTE_PAAS_OTHER:
    case ROUTE_CODING_CHAT:
    case ROUTE_CODING_OTHER:
    case ROUTE_ANTHROPIC_MESSAGES:
    case ROUTE_ANTHROPIC_COUNT:
    case ROUTE_ANTHROPIC_OTHER:
        strbuf_puts(out, c->base_url);
        strbuf_append(out, path, len);
        break;
    default:
        return;
    }
    if (query) {
        strbuf_putc(out, '?');
        strbuf_puts(out, query);
    }
}
