/* Tests for proxy/route.c: every row of the PROXY.md §2.1 table (route id,
 * API format, path label, flags and upstream URL with the query intact),
 * malformed paths, ZAI_TARGET_URL, and the prefix + remainder join that never
 * doubles a slash (PROXY.md §19 item 18). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "route.h"

static void cfg_init(proxy_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->base_url, sizeof c->base_url, "https://api.z.ai");
    snprintf(c->openai_prefix, sizeof c->openai_prefix, "/api/paas/v4");
    snprintf(c->anthropic_prefix, sizeof c->anthropic_prefix, "/api/anthropic");
}

static void resolve(const char *path, route *r)
{
    route_resolve(path, strlen(path), r);
}

/* The upstream URL of path with query (NULL = none); caller frees. */
static char *url_of(const proxy_config *c, const char *path, const char *query)
{
    route r;
    strbuf sb = STRBUF_INIT;

    resolve(path, &r);
    route_upstream_url(c, &r, path, strlen(path), query, &sb);
    assert_false(strbuf_failed(&sb));
    return strbuf_detach(&sb, NULL);
}

static void assert_url(const proxy_config *c, const char *path, const char *query,
                       const char *want)
{
    char *got = url_of(c, path, query);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

typedef struct row {
    const char *path;
    route_id id;
    api_format fmt;
    const char *label;
    bool local, generation, count_tokens;
    const char *url; /* NULL for routes without an upstream */
} row;

static const row rows[] = {
    {"/v1/chat/completions", ROUTE_V1_CHAT, API_OPENAI, "/v1/chat/completions", false, true, false,
     "https://api.z.ai/api/paas/v4/chat/completions"},
    {"/v1/models", ROUTE_V1_MODELS, API_OPENAI, "/v1/models", false, false, false,
     "https://api.z.ai/api/paas/v4/models"},
    {"/v1/messages", ROUTE_V1_MESSAGES, API_ANTHROPIC, "/v1/messages", false, true, false,
     "https://api.z.ai/api/anthropic/v1/messages"},
    {"/v1/messages/count_tokens", ROUTE_V1_COUNT_TOKENS, API_ANTHROPIC,
     "/v1/messages/count_tokens", false, false, true,
     "https://api.z.ai/api/anthropic/v1/messages/count_tokens"},
    {"/v1/messages/batches", ROUTE_V1_MESSAGES_OTHER, API_ANTHROPIC, "/v1/other", false, false,
     false, "https://api.z.ai/api/anthropic/v1/messages/batches"},
    {"/v1/embeddings", ROUTE_V1_OTHER, API_OPENAI, "/v1/other", false, false, false,
     "https://api.z.ai/api/paas/v4/embeddings"},
    {"/api/paas/v4/chat/completions", ROUTE_PAAS_CHAT, API_OPENAI,
     "/api/paas/v4/chat/completions", false, true, false,
     "https://api.z.ai/api/paas/v4/chat/completions"},
    {"/api/paas/v4/embeddings", ROUTE_PAAS_OTHER, API_OPENAI, "/api/paas/v4/other", false, false,
     false, "https://api.z.ai/api/paas/v4/embeddings"},
    {"/api/coding/paas/v4/chat/completions", ROUTE_CODING_CHAT, API_OPENAI,
     "/api/coding/paas/v4/chat/completions", false, true, false,
     "https://api.z.ai/api/coding/paas/v4/chat/completions"},
    {"/api/coding/paas/v4/models", ROUTE_CODING_OTHER, API_OPENAI, "/api/coding/paas/v4/other",
     false, false, false, "https://api.z.ai/api/coding/paas/v4/models"},
    {"/api/anthropic/v1/messages", ROUTE_ANTHROPIC_MESSAGES, API_ANTHROPIC,
     "/api/anthropic/v1/messages", false, true, false,
     "https://api.z.ai/api/anthropic/v1/messages"},
    {"/api/anthropic/v1/messages/count_tokens", ROUTE_ANTHROPIC_COUNT, API_ANTHROPIC,
     "/api/anthropic/v1/messages/count_tokens", false, false, true,
     "https://api.z.ai/api/anthropic/v1/messages/count_tokens"},
    {"/api/anthropic/v1/models", ROUTE_ANTHROPIC_OTHER, API_ANTHROPIC, "/api/anthropic/other",
     false, false, false, "https://api.z.ai/api/anthropic/v1/models"},
    {"/metrics", ROUTE_METRICS, API_OPENAI, "other", true, false, false, NULL},
    {"/health", ROUTE_HEALTH, API_OPENAI, "other", true, false, false, NULL},
    {"/ready", ROUTE_READY, API_OPENAI, "other", true, false, false, NULL},
    {"/admin/reset-rate-limit", ROUTE_ADMIN_RESET, API_OPENAI, "other", true, false, false, NULL},
    {"/", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/v2/chat/completions", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/v1", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/metrics/", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/health2", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/V1/chat/completions", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
    {"/v1/chat/completions/", ROUTE_V1_OTHER, API_OPENAI, "/v1/other", false, false, false,
     "https://api.z.ai/api/paas/v4/chat/completions/"},
    {"/v1/messages/", ROUTE_V1_MESSAGES_OTHER, API_ANTHROPIC, "/v1/other", false, false, false,
     "https://api.z.ai/api/anthropic/v1/messages/"},
    {"/api/coding/paas/v4/chat/completions2", ROUTE_CODING_OTHER, API_OPENAI,
     "/api/coding/paas/v4/other", false, false, false,
     "https://api.z.ai/api/coding/paas/v4/chat/completions2"},
    {"/api/anthropic", ROUTE_NOT_FOUND, API_OPENAI, "other", false, false, false, NULL},
};

static void test_rows(void **state)
{
    (void)state;
    proxy_config c;
    cfg_init(&c);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const row *x = &rows[i];
        route r;
        print_message("%s\n", x->path);
        resolve(x->path, &r);
        assert_int_equal(r.id, x->id);
        assert_int_equal(r.format, x->fmt);
        assert_string_equal(route_path_label_name(r.label), x->label);
        assert_int_equal(r.local, x->local);
        assert_int_equal(r.generation, x->generation);
        assert_int_equal(r.count_tokens, x->count_tokens);
        char *got = url_of(&c, x->path, NULL);
        if (x->url)
            assert_string_equal(got, x->url);
        else
            assert_true(got == NULL || got[0] == '\0');
        free(got);
    }
}

static void test_query_forwarded_verbatim(void **state)
{
    (void)state;
    proxy_config c;
    cfg_init(&c);
    assert_url(&c, "/v1/messages", "beta=true",
               "https://api.z.ai/api/anthropic/v1/messages?beta=true");
    assert_url(&c, "/v1/chat/completions", "a=%2F&b=c d",
               "https://api.z.ai/api/paas/v4/chat/completions?a=%2F&b=c d");
    assert_url(&c, "/api/paas/v4/models", "", "https://api.z.ai/api/paas/v4/models?");
    assert_url(&c, "/api/anthropic/v1/messages", "x=1",
               "https://api.z.ai/api/anthropic/v1/messages?x=1");
}

static void test_target_url(void **state)
{
    (void)state;
    proxy_config c;
    cfg_init(&c);
    snprintf(c.target_url, sizeof c.target_url, "https://other.example/api/anthropic");
    snprintf(c.anthropic_prefix, sizeof c.anthropic_prefix, "/ignored");
    assert_url(&c, "/v1/messages", "beta=true",
               "https://other.example/api/anthropic/v1/messages?beta=true");
    assert_url(&c, "/v1/messages/count_tokens", NULL,
               "https://other.example/api/anthropic/v1/messages/count_tokens");
    assert_url(&c, "/v1/messages/batches/1", NULL,
               "https://other.example/api/anthropic/v1/messages/batches/1");
    /* native paths always go to the base URL */
    assert_url(&c, "/api/anthropic/v1/messages", NULL,
               "https://api.z.ai/api/anthropic/v1/messages");
    assert_url(&c, "/api/anthropic/v1/messages/count_tokens", NULL,
               "https://api.z.ai/api/anthropic/v1/messages/count_tokens");
    /* openai rows are unaffected */
    assert_url(&c, "/v1/chat/completions", NULL, "https://api.z.ai/api/paas/v4/chat/completions");
}

static void test_prefixes_and_slashes(void **state)
{
    (void)state;
    proxy_config c;
    cfg_init(&c);
    snprintf(c.base_url, sizeof c.base_url, "http://127.0.0.1:9999");
    snprintf(c.openai_prefix, sizeof c.openai_prefix, "/api/coding/paas/v4");
    assert_url(&c, "/v1/chat/completions", NULL,
               "http://127.0.0.1:9999/api/coding/paas/v4/chat/completions");
    /* an empty prefix (configured as "/") joins without a doubled slash */
    c.openai_prefix[0] = '\0';
    c.anthropic_prefix[0] = '\0';
    assert_url(&c, "/v1/models", NULL, "http://127.0.0.1:9999/models");
    assert_url(&c, "/v1/messages", NULL, "http://127.0.0.1:9999/v1/messages");
    /* a client using /api/anthropic as its base never gets the prefix twice */
    cfg_init(&c);
    assert_url(&c, "/api/anthropic/v1/messages", NULL,
               "https://api.z.ai/api/anthropic/v1/messages");
    /* a '//' the client sent itself is kept */
    assert_url(&c, "/api/paas/v4//chat", NULL, "https://api.z.ai/api/paas/v4//chat");
    assert_url(&c, "/v1//embeddings", NULL, "https://api.z.ai/api/paas/v4//embeddings");
    /* paths are not decoded */
    assert_url(&c, "/v1/files/a%2Fb", NULL, "https://api.z.ai/api/paas/v4/files/a%2Fb");
}

static void test_bad_paths(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "v1/chat/completions", "*", "/..", "/../v1/models", "/v1/../metrics", "/v1/messages/..",
        "/api/anthropic/../../etc", "/a/../b", "//..//",
    };
    static const char *const fine[] = {
        "/a..b", "/...", "/v1/..x", "/v1/x..", "/.", "/v1/./models", "/.../x",
    };
    proxy_config c;
    cfg_init(&c);
    route r;
    route_resolve("", 0, &r);
    assert_int_equal(r.id, ROUTE_BAD_PATH);
    assert_int_equal(r.label, PATH_OTHER);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        print_message("bad %s\n", bad[i]);
        resolve(bad[i], &r);
        assert_int_equal(r.id, ROUTE_BAD_PATH);
        assert_int_equal(r.label, PATH_OTHER);
        assert_false(r.local || r.generation || r.count_tokens);
        char *got = url_of(&c, bad[i], "q=1");
        assert_true(got == NULL || got[0] == '\0');
        free(got);
    }
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        print_message("fine %s\n", fine[i]);
        resolve(fine[i], &r);
        assert_int_not_equal(r.id, ROUTE_BAD_PATH);
    }
    /* a malformed path keeps the format of the table row it falls under */
    resolve("/v1/messages/../x", &r);
    assert_int_equal(r.id, ROUTE_BAD_PATH);
    assert_int_equal(r.format, API_ANTHROPIC);
    resolve("/v1/../x", &r);
    assert_int_equal(r.format, API_OPENAI);
}

/* The length argument bounds the match: the bytes after it are not read. */
static void test_length_bounded(void **state)
{
    (void)state;
    route r;
    route_resolve("/v1/modelsXYZ", 10, &r);
    assert_int_equal(r.id, ROUTE_V1_MODELS);
    route_resolve("/healthz", 7, &r);
    assert_int_equal(r.id, ROUTE_HEALTH);
    route_resolve("/a/..", 3, &r);
    assert_int_equal(r.id, ROUTE_NOT_FOUND);
}

static void test_labels(void **state)
{
    (void)state;
    static const char *const want[PATH_LABEL_COUNT] = {
        "/v1/chat/completions", "/v1/models", "/v1/messages", "/v1/messages/count_tokens",
        "/v1/other", "/api/paas/v4/chat/completions", "/api/paas/v4/other",
        "/api/coding/paas/v4/chat/completions", "/api/coding/paas/v4/other",
        "/api/anthropic/v1/messages", "/api/anthropic/v1/messages/count_tokens",
        "/api/anthropic/other", "other",
    };
    for (int l = 0; l < PATH_LABEL_COUNT; l++)
        assert_string_equal(route_path_label_name((path_label)l), want[l]);
    assert_string_equal(route_path_label_name(PATH_LABEL_COUNT), "other");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_query_forwarded_verbatim),
        cmocka_unit_test(test_target_url),
        cmocka_unit_test(test_prefixes_and_slashes),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_length_bounded),
        cmocka_unit_test(test_labels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
