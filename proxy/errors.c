/* errors: the table of PROXY.md §8 and the bodies built from it. Every error
 * the proxy generates itself comes from here so status, type, code, message
 * and extra headers stay consistent between the two API formats. */
#include "errors.h"

#include <string.h>

static const perr_info perr_table[PERR_COUNT] = {
    [PERR_BAD_REQUEST] = {400, "invalid_request_error", "bad_request", "invalid_request_error",
                          "malformed request path", 0, false, false},
    [PERR_UNAUTHORIZED] = {401, "invalid_request_error", "invalid_api_key", "authentication_error",
                           "missing or invalid API key", 0, false, true},
    [PERR_ADMIN_UNAUTHORIZED] = {401, "invalid_request_error", "invalid_api_key",
                                 "authentication_error", "missing or invalid admin token", 0,
                                 false, true},
    [PERR_FORBIDDEN] = {403, "invalid_request_error", "forbidden", "permission_error",
                        "admin endpoint is restricted to loopback clients when no admin token "
                        "is configured",
                        0, false, false},
    [PERR_NOT_FOUND] = {404, "invalid_request_error", "not_found", "not_found_error",
                        "no route for this path", 0, false, false},
    [PERR_METHOD_NOT_ALLOWED] = {405, "invalid_request_error", "method_not_allowed",
                                 "invalid_request_error", "method not allowed for this endpoint",
                                 0, false, false},
    [PERR_TOO_LARGE] = {413, "invalid_request_error", "request_too_large", "request_too_large",
                        "request body exceeds the configured size limit", 0, true, false},
    [PERR_INVALID_JSON] = {400, "invalid_request_error", "invalid_json", "invalid_request_error",
                           "request body is not valid JSON", 0, false, false},
    [PERR_UPSTREAM_ERROR] = {502, "server_error", "upstream_error", "api_error",
                             "upstream failed or returned an empty or malformed response after "
                             "retries",
                             0, false, false},
    [PERR_QUEUE_FULL] = {503, "server_error", "queue_full", "overloaded_error",
                         "proxy admission queue is full, retry later", 1, false, false},
    [PERR_QUEUE_TIMEOUT] = {503, "server_error", "queue_timeout", "overloaded_error",
                            "timed out waiting for admission, retry later", 1, false, false},
    [PERR_SHUTTING_DOWN] = {503, "server_error", "shutting_down", "overloaded_error",
                            "proxy is shutting down, retry later", 5, true, false},
    [PERR_UPSTREAM_TIMEOUT] = {504, "server_error", "upstream_timeout", "api_error",
                               "upstream did not respond in time", 0, false, false},
    [PERR_INTERNAL] = {500, "server_error", "internal_error", "api_error", "internal proxy error",
                       0, false, false},
};

/* An out-of-range value is a programming error; answering 500 is safer than
 * handing the caller a NULL to dereference on a request path. */
const perr_info *perr_get(proxy_error e)
{
    if ((unsigned)e >= PERR_COUNT)
        return &perr_table[PERR_INTERNAL];
    return &perr_table[e];
}

static void perr_json_field(strbuf *out, const char *key, const char *val)
{
    strbuf_json_str(out, key, strlen(key));
    strbuf_putc(out, ':');
    strbuf_json_str(out, val, strlen(val));
}

void perr_body(proxy_error e, api_format fmt, strbuf *out)
{
    const perr_info *pi = perr_get(e);

    if (fmt == API_ANTHROPIC) {
        strbuf_puts(out, "{\"type\":\"error\",\"error\":{");
        perr_json_field(out, "type", pi->anthropic_type);
        strbuf_putc(out, ',');
        perr_json_field(out, "message", pi->message);
        strbuf_puts(out, "}}");
        return;
    }
    strbuf_puts(out, "{\"error\":{");
    perr_json_field(out, "message", pi->message);
    strbuf_putc(out, ',');
    perr_json_field(out, "type", pi->openai_type);
    strbuf_puts(out, ",\"param\":null,");
    perr_json_field(out, "code", pi->openai_code);
    strbuf_puts(out, "}}");
}

static const char stream_err_openai[] =
    "data: {\"error\":{\"message\":\"upstream stream interrupted\",\"type\":\"server_error\","
    "\"param\":null,\"code\":\"upstream_interrupted\"}}\n\n";
static const char stream_err_anthropic[] =
    "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
    "\"message\":\"upstream stream interrupted\"}}\n\n";

const char *perr_stream_interrupted(api_format fmt, size_t *len)
{
    if (fmt == API_ANTHROPIC) {
        if (len)
            *len = sizeof stream_err_anthropic - 1;
        return stream_err_anthropic;
    }
    if (len)
        *len = sizeof stream_err_openai - 1;
    return stream_err_openai;
}
