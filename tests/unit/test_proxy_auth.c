/* Tests for proxy/auth.c: inbound client keys through Bearer and x-api-key
 * (PROXY.md §2.3), auth off without keys, the admin token (§12.4) and the
 * constant-time comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/queue.h>
#include <event2/http.h>
#include "auth.h"

static char key_a[] = "sk-client-alpha";
static char key_b[] = "sk-client-beta-2";
static char *keys[] = {key_a, key_b};

static void cfg_with_keys(proxy_config *c)
{
    memset(c, 0, sizeof *c);
    c->client_keys = keys;
    c->n_client_keys = 2;
}

/* One request with a single header name: value (name NULL = no header). */
static bool client_ok(const proxy_config *c, const char *name, const char *value)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    evhttp_add_header(&q, "Content-Type", "application/json");
    if (name)
        assert_int_equal(evhttp_add_header(&q, name, value), 0);
    bool ok = auth_client_ok(c, &q);
    evhttp_clear_headers(&q);
    return ok;
}

static bool admin_ok(const proxy_config *c, const char *name, const char *value)
{
    struct evkeyvalq q;
    TAILQ_INIT(&q);
    if (name)
        assert_int_equal(evhttp_add_header(&q, name, value), 0);
    bool ok = auth_admin_token_ok(c, &q);
    evhttp_clear_headers(&q);
    return ok;
}

static void test_no_keys_configured(void **state)
{
    (void)state;
    proxy_config c;
    memset(&c, 0, sizeof c);
    assert_true(client_ok(&c, NULL, NULL));
    assert_true(client_ok(&c, "Authorization", "Bearer anything"));
    assert_true(client_ok(&c, "x-api-key", "wrong"));
}

static void test_bearer(void **state)
{
    (void)state;
    proxy_config c;
    cfg_with_keys(&c);
    assert_true(client_ok(&c, "Authorization", "Bearer sk-client-alpha"));
    assert_true(client_ok(&c, "authorization", "bearer sk-client-beta-2"));
    assert_true(client_ok(&c, "Authorization", "BEARER   sk-client-alpha  "));
    assert_false(client_ok(&c, "Authorization", "Bearer sk-client-alph"));
    assert_false(client_ok(&c, "Authorization", "Bearer sk-client-alphaa"));
    assert_false(client_ok(&c, "Authorization", "Bearer SK-CLIENT-ALPHA"));
    assert_false(client_ok(&c, "Authorization", "Basic sk-client-alpha"));
    assert_false(client_ok(&c, "Authorization", "sk-client-alpha"));
    assert_false(client_ok(&c, "Authorization", "Bearersk-client-alpha"));
    assert_false(client_ok(&c, "Authorization", "Bearer "));
    assert_false(client_ok(&c, "Authorization", "Bearer"));
    assert_false(client_ok(&c, "Authorization", ""));
}

static void test_x_api_key(void **state)
{
    (void)state;
    proxy_config c;
    cfg_with_keys(&c);
    assert_true(client_ok(&c, "x-api-key", "sk-client-alpha"));
    assert_true(client_ok(&c, "X-Api-Key", "sk-client-beta-2"));
    assert_false(client_ok(&c, "x-api-key", "Bearer sk-client-alpha"));
    assert_false(client_ok(&c, "x-api-key", "nope"));
    assert_false(client_ok(&c, "x-api-key", ""));
    /* api-key is stripped upstream but is not an accepted inbound form */
    assert_false(client_ok(&c, "api-key", "sk-client-alpha"));
}

static void test_missing_and_mixed(void **state)
{
    (void)state;
    proxy_config c;
    cfg_with_keys(&c);
    assert_false(client_ok(&c, NULL, NULL));

    struct evkeyvalq q;
    TAILQ_INIT(&q);
    evhttp_add_header(&q, "Authorization", "Bearer wrong");
    evhttp_add_header(&q, "x-api-key", "sk-client-beta-2");
    assert_true(auth_client_ok(&c, &q));
    evhttp_clear_headers(&q);

    TAILQ_INIT(&q);
    evhttp_add_header(&q, "Authorization", "Bearer wrong");
    evhttp_add_header(&q, "x-api-key", "also-wrong");
    assert_false(auth_client_ok(&c, &q));
    evhttp_clear_headers(&q);
}

static void test_admin_token(void **state)
{
    (void)state;
    proxy_config c;
    memset(&c, 0, sizeof c);
    /* unset token: never accepted (the loopback rule is the caller's) */
    assert_false(admin_ok(&c, "Authorization", "Bearer "));
    assert_false(admin_ok(&c, "Authorization", "Bearer x"));
    snprintf(c.admin_token, sizeof c.admin_token, "adm-token-1");
    assert_true(admin_ok(&c, "Authorization", "Bearer adm-token-1"));
    assert_true(admin_ok(&c, "authorization", "bearer adm-token-1"));
    assert_false(admin_ok(&c, "Authorization", "Bearer adm-token-2"));
    assert_false(admin_ok(&c, "Authorization", "Bearer adm-token-10"));
    assert_false(admin_ok(&c, "x-api-key", "adm-token-1"));
    assert_false(admin_ok(&c, NULL, NULL));
    /* client keys are not admin tokens */
    cfg_with_keys(&c);
    snprintf(c.admin_token, sizeof c.admin_token, "adm-token-1");
    assert_false(admin_ok(&c, "Authorization", "Bearer sk-client-alpha"));
}

static void test_ct_equal(void **state)
{
    (void)state;
    assert_true(auth_ct_equal("abc", 3, "abc", 3));
    assert_true(auth_ct_equal("", 0, "", 0));
    assert_false(auth_ct_equal("abc", 3, "abd", 3));
    assert_false(auth_ct_equal("abc", 3, "abcd", 4));
    assert_false(auth_ct_equal("xbc", 3, "abc", 3));
    /* lengths bound the comparison, not NUL bytes */
    assert_true(auth_ct_equal("ab\0x", 4, "ab\0x", 4));
    assert_false(auth_ct_equal("ab\0x", 4, "ab\0y", 4));
    assert_true(auth_ct_equal("abcXYZ", 3, "abc", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_keys_configured),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_x_api_key),
        cmocka_unit_test(test_missing_and_mixed),
        cmocka_unit_test(test_admin_token),
        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
