/* Tests for proxy/headers.c: the upstream header list of PROXY.md §3.1
 * checked entry by entry (order kept, hop-by-hop, Connection-listed,
 * credentials and libcurl-owned headers removed, the proxy's own added),
 * the response relay filter of §3.2 and request-id validation (§15.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/http.h>
#include "headers.h"

static void add(struct evkeyvalq *q, const char *k, const char *v)
{
    assert_int_equal(evhttp_add_header(q, k, v), 0);
}

/* Bypasses evhttp's own value checks, to feed values it would refuse. */
static void add_raw(struct evkeyvalq *q, const char *k, const char *v)
{
    struct evkeyval *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h->key = strdup(k);
    h->value = strdup(v);
    TAILQ_INSERT_TAIL(q, h, next);
}

static void assert_slist(const struct curl_slist *l, const char *const *want, size_t n)
{
    size_t i = 0;
    for (; l; l = l->next, i++) {
        print_message("  %s\n", l->data);
        assert_true(i < n);
        assert_string_equal(l->data, want[i]);
    }
    assert_int_equal(i, n);
}

static void test_upstream_full(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    add(&q, "Host", "proxy.local:8080");
    add(&q, "Content-Type", "application/json");
    add(&q, "Authorization", "Bearer client-key");
    add(&q, "X-Api-Key", "client-key-2");
    add(&q, "api-key", "client-key-3");
    add(&q, "Connection", "keep-alive, X-Drop-Me");
    add(&q, "X-Drop-Me", "1");
    add(&q, "Keep-Alive", "timeout=5");
    add(&q, "Proxy-Connection", "keep-alive");
    add(&q, "Proxy-Authorization", "Basic Zm9vOmJhcg==");
    add(&q, "Proxy-Authenticate", "Basic");
    add(&q, "TE", "trailers");
    add(&q, "Trailer", "X-Foo");
    add(&q, "Upgrade", "h2c");
    add(&q, "Transfer-Encoding", "chunked");
    add(&q, "Content-Length", "10");
    add(&q, "Expect", "100-continue");
    add(&q, "Accept-Encoding", "gzip, br");
    add(&q, "X-Request-Id", "client-chosen");
    add(&q, "anthropic-version", "2023-06-01");
    add(&q, "anthropic-beta", "a,b");
    add(&q, "zai:peer", "127.0.0.1");
    add(&q, "Accept", "text/event-stream");
    add(&q, "X-Empty", "");
    add(&q, "X-Dup", "1");
    add(&q, "X-Dup", "2");

    static const char *const want_anthropic[] = {
        "Content-Type: application/json",
        "anthropic-version: 2023-06-01",
        "anthropic-beta: a,b",
        "Accept: text/event-stream",
        "X-Empty;",
        "X-Dup: 1",
        "X-Dup: 2",
        "x-api-key: UPSTREAM-KEY",
        "Accept-Encoding: identity",
        "X-Request-Id: 0123456789abcdef0123456789abcdef",
        "Expect:",
        "User-Agent: zai-proxy/1.2.3",
    };
    struct curl_slist *l = headers_upstream(&q, API_ANTHROPIC, "UPSTREAM-KEY",
                                            "0123456789abcdef0123456789abcdef", "zai-proxy/1.2.3");
    assert_non_null(l);
    assert_slist(l, want_anthropic, sizeof want_anthropic / sizeof want_anthropic[0]);
    curl_slist_free_all(l);

    l = headers_upstream(&q, API_OPENAI, "UPSTREAM-KEY", "rid-1", "zai-proxy/1.2.3");
    assert_non_null(l);
    static const char *const want_openai_tail[] = {
        "Authorization: Bearer UPSTREAM-KEY", "Accept-Encoding: identity",
        "X-Request-Id: rid-1", "Expect:", "User-Agent: zai-proxy/1.2.3",
    };
    const struct curl_slist *p = l;
    for (int i = 0; i < 7; i++)
        p = p->next;
    assert_slist(p, want_openai_tail, 5);
    for (p = l; p; p = p->next)
        assert_null(strstr(p->data, "client-key"));
    curl_slist_free_all(l);
    evhttp_clear_headers(&q);
}

static void test_upstream_case_insensitive(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    add(&q, "HOST", "x");
    add(&q, "authorization", "Bearer k");
    add(&q, "X-API-KEY", "k");
    add(&q, "Api-Key", "k");
    add(&q, "connection", "X-Hidden");
    add(&q, "x-hidden", "1");
    add(&q, "CONTENT-LENGTH", "3");
    add(&q, "transfer-encoding", "chunked");
    add(&q, "x-request-id", "old");
    add(&q, "EXPECT", "100-continue");
    add(&q, "ACCEPT-ENCODING", "gzip");
    add(&q, "ZAI:internal", "1");
    add(&q, "user-agent", "claude-cli/1.0");
    add(&q, "OpenAI-Organization", "org");

    static const char *const want[] = {
        "user-agent: claude-cli/1.0",
        "OpenAI-Organization: org",
        "Authorization: Bearer K2",
        "Accept-Encoding: identity",
        "X-Request-Id: new",
        "Expect:",
    };
    struct curl_slist *l = headers_upstream(&q, API_OPENAI, "K2", "new", "zai-proxy/1.2.3");
    assert_slist(l, want, sizeof want / sizeof want[0]);
    curl_slist_free_all(l);
    evhttp_clear_headers(&q);
}

static void test_upstream_never_emits_crlf(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    add_raw(&q, "X-Bad", "a\r\nInjected: 1");
    add_raw(&q, "X-Bad-Lf", "a\nb");
    add_raw(&q, "X Space", "v");
    add_raw(&q, "", "v");
    add_raw(&q, "X-Good", "ok");

    static const char *const want[] = {
        "X-Good: ok", "x-api-key: K", "Accept-Encoding: identity", "X-Request-Id: r",
        "Expect:", "User-Agent: ua/1",
    };
    struct curl_slist *l = headers_upstream(&q, API_ANTHROPIC, "K", "r", "ua/1");
    assert_slist(l, want, sizeof want / sizeof want[0]);
    curl_slist_free_all(l);
    evhttp_clear_headers(&q);
}

static void test_upstream_empty_input(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    static const char *const want[] = {
        "Authorization: Bearer K", "Accept-Encoding: identity", "X-Request-Id: r", "Expect:",
        "User-Agent: zai-proxy/0",
    };
    struct curl_slist *l = headers_upstream(&q, API_OPENAI, "K", "r", "zai-proxy/0");
    assert_slist(l, want, sizeof want / sizeof want[0]);
    curl_slist_free_all(l);
}

static void test_hop_by_hop(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "Connection", "connection", "Keep-Alive", "PROXY-CONNECTION", "TE", "te", "Trailer",
        "Transfer-Encoding", "Upgrade", "Proxy-Authorization", "proxy-authenticate",
    };
    static const char *const no[] = {
        "Content-Type", "Connections", "T", "TE2", "Host", "Authorization", "Content-Length", "",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(headers_is_hop_by_hop(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(headers_is_hop_by_hop(no[i]));
}

static void test_named_in_connection(void **state)
{
    (void)state;
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    assert_false(headers_named_in_connection(&q, "close"));
    add(&q, "Connection", "close ,\tX-A ,, x-b");
    add(&q, "Other", "X-C");
    add(&q, "CONNECTION", "X-D");
    assert_true(headers_named_in_connection(&q, "close"));
    assert_true(headers_named_in_connection(&q, "X-A"));
    assert_true(headers_named_in_connection(&q, "X-B"));
    assert_true(headers_named_in_connection(&q, "x-d"));
    assert_false(headers_named_in_connection(&q, "X-C"));
    assert_false(headers_named_in_connection(&q, "X"));
    assert_false(headers_named_in_connection(&q, "X-A-Long"));
    assert_false(headers_named_in_connection(&q, ""));
    evhttp_clear_headers(&q);
}

static void test_relay_response(void **state)
{
    (void)state;
    static const char *const relayed[] = {
        "Content-Type", "retry-after", "anthropic-ratelimit-requests-remaining",
        "x-ratelimit-limit", "X-Upstream-Error", "Cache-Control", "Set-Cookie",
    };
    static const char *const dropped[] = {
        "Transfer-Encoding", "transfer-encoding", "Content-Length", "CONTENT-LENGTH",
        "Connection", "Keep-Alive", "Trailer", "Upgrade", "Proxy-Authenticate", "TE",
    };
    for (size_t i = 0; i < sizeof relayed / sizeof relayed[0]; i++)
        assert_true(headers_relay_response(relayed[i], strlen(relayed[i])));
    for (size_t i = 0; i < sizeof dropped / sizeof dropped[0]; i++)
        assert_false(headers_relay_response(dropped[i], strlen(dropped[i])));
    /* names come from libcurl's header callback: not NUL-terminated */
    assert_false(headers_relay_response("Content-Length: 5\r\n", 14));
    assert_true(headers_relay_response("Content-Lengthy: 5\r\n", 15));
    assert_false(headers_relay_response("TEXT", 2));
}

static void test_request_id(void **state)
{
    (void)state;
    char id[130];
    memset(id, 'a', 128);
    id[128] = '\0';
    assert_true(headers_request_id_valid(id));
    id[128] = 'a';
    id[129] = '\0';
    assert_false(headers_request_id_valid(id));
    assert_true(headers_request_id_valid("a"));
    assert_true(headers_request_id_valid("AZaz09._:-"));
    assert_true(headers_request_id_valid("0123456789abcdef0123456789abcdef"));
    assert_false(headers_request_id_valid(""));
    assert_false(headers_request_id_valid(NULL));
    assert_false(headers_request_id_valid("a b"));
    assert_false(headers_request_id_valid("a/b"));
    assert_false(headers_request_id_valid("a\r\nb"));
    assert_false(headers_request_id_valid("é"));
    assert_false(headers_request_id_valid("a+b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upstream_full),
        cmocka_unit_test(test_upstream_case_insensitive),
        cmocka_unit_test(test_upstream_never_emits_crlf),
        cmocka_unit_test(test_upstream_empty_input),
        cmocka_unit_test(test_hop_by_hop),
        cmocka_unit_test(test_named_in_connection),
        cmocka_unit_test(test_relay_response),
        cmocka_unit_test(test_request_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
