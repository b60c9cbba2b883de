/* Tests for sim_config: defaults, every SIM_* variable read through an
 * injected environment, start-up errors naming the variable, and PUT
 * /sim/config (JSON keys without the SIM_ prefix) with its rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sim_int.h"

typedef struct fake_env {
    const char *const *kv; /* name, value, ..., NULL */
} fake_env;

static const char *fake_lookup(const char *name, void *ctx)
{
    const fake_env *fe = ctx;
    for (size_t i = 0; fe->kv[i]; i += 2)
        if (strcmp(fe->kv[i], name) == 0)
            return fe->kv[i + 1];
    return NULL;
}

static bool load(sim_config *c, envcfg *e, const char *const *kv)
{
    fake_env fe = {kv};
    sim_config_defaults(c);
    envcfg_init(e, fake_lookup, &fe);
    return sim_config_from_env(c, e);
}

static void test_defaults(void **state)
{
    (void)state;
    static const char *const kv[] = {NULL};
    sim_config c;
    envcfg e;
    assert_true(load(&c, &e, kv));
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 18080);
    assert_string_equal(c.api_key, "sim-key");
    assert_int_equal(c.seed, 1);
    assert_int_equal(c.ttfb_ns, 20000000);
    assert_true(c.tokens_per_sec == 200);
    assert_int_equal(c.output_tokens, 32);
    assert_int_equal(c.cached_tokens, 0);
    assert_int_equal(c.usage, SIM_USAGE_ALWAYS);
    assert_int_equal(c.openai_usage, SIM_OPENAI_USAGE_FINISH);
    assert_int_equal(c.anthropic_usage, SIM_ANTHROPIC_USAGE_A);
    assert_false(c.count_tokens);
    assert_string_equal(c.plan, "lite");
    assert_true(c.peak_multiplier == 1);
    assert_string_equal(c.fault, "");
    assert_int_equal(c.log_fmt, LOG_FORMAT_TEXT);
    assert_int_equal(c.log_lvl, LOG_INFO);
}

static void test_all_values(void **state)
{
    (void)state;
    static const char *const kv[] = {
        "SIM_LISTEN_ADDR", "127.0.0.1:0", "SIM_API_KEY", " k-123\n", "SIM_SEED", "42",
        "SIM_CONCURRENCY_PER_MODEL", "3", "SIM_RPS", "2.5", "SIM_QUOTA_5H", "1000",
        "SIM_QUOTA_WEEKLY", "5000", "SIM_PEAK_MULTIPLIER", "2", "SIM_TTFB", "0",
        "SIM_TOKENS_PER_SEC", "0", "SIM_OUTPUT_TOKENS", "7", "SIM_CACHED_TOKENS", "4",
        "SIM_USAGE", "NEVER", "SIM_OPENAI_USAGE", "separate", "SIM_ANTHROPIC_USAGE", "b",
        "SIM_COUNT_TOKENS", "Yes", "SIM_PLAN", "max", "SIM_FAULT", "ERR-1302",
        "LOG_FORMAT", "JSON", "LOG_LEVEL", "debug", NULL};
    sim_config c;
    envcfg e;
    assert_true(load(&c, &e, kv));
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 0);
    assert_string_equal(c.api_key, "k-123");
    assert_int_equal(c.seed, 42);
    assert_int_equal(c.concurrency_per_model, 3);
    assert_true(c.rps == 2.5);
    assert_int_equal(c.quota_5h, 1000);
    assert_int_equal(c.quota_weekly, 5000);
    assert_true(c.peak_multiplier == 2);
    assert_int_equal(c.ttfb_ns, 0);
    assert_true(c.tokens_per_sec == 0);
    assert_int_equal(c.output_tokens, 7);
    assert_int_equal(c.cached_tokens, 4);
    assert_int_equal(c.usage, SIM_USAGE_NEVER);
    assert_int_equal(c.openai_usage, SIM_OPENAI_USAGE_SEPARATE);
    assert_int_equal(c.anthropic_usage, SIM_ANTHROPIC_USAGE_B);
    assert_true(c.count_tokens);
    assert_string_equal(c.plan, "max");
    assert_string_equal(c.fault, "err-1302");
    assert_int_equal(c.log_fmt, LOG_FORMAT_JSON);
    assert_int_equal(c.log_lvl, LOG_DEBUG);
}

static void expect_error(const char *name, const char *value, const char *fragment)
{
    const char *kv[] = {name, value, NULL};
    sim_config c;
    envcfg e;
    assert_false(load(&c, &e, kv));
    assert_non_null(strstr(e.err, name));
    if (fragment && !strstr(e.err, fragment))
        fail_msg("error %s lacks %s", e.err, fragment);
}

static void test_errors_name_the_variable(void **state)
{
    (void)state;
    expect_error("SIM_TTFB", "abc", "duration");
    expect_error("SIM_TTFB", "-3s", NULL);
    expect_error("SIM_RPS", "-1", ">= 0");
    expect_error("SIM_TOKENS_PER_SEC", "fast", NULL);
    expect_error("SIM_OUTPUT_TOKENS", "x", "integer");
    expect_error("SIM_OUTPUT_TOKENS", "-1", NULL);
    expect_error("SIM_COUNT_TOKENS", "maybe", "boolean");
    expect_error("SIM_USAGE", "sometimes", NULL);
    expect_error("SIM_ANTHROPIC_USAGE", "D", NULL);
    expect_error("SIM_FAULT", "err-9", "unknown scenario");
    expect_error("SIM_QUOTA_FIXTURE", "/nonexistent/quota.json", "cannot read");
    expect_error("SIM_QUOTA_ROTATE", "/nonexistent/a.json", "cannot read");
    expect_error("SIM_LISTEN_ADDR", "no-port", NULL);
    expect_error("SIM_API_KEY", "a b", NULL);
    expect_error("LOG_LEVEL", "loud", NULL);
}

static void test_api_key_never_echoed(void **state)
{
    (void)state;
    const char *kv[] = {"SIM_API_KEY", "secret\x01value", NULL};
    sim_config c;
    envcfg e;
    assert_false(load(&c, &e, kv));
    assert_null(strstr(e.err, "secret"));
}

static void test_apply_json(void **state)
{
    (void)state;
    sim_config c;
    char err[256];
    sim_config_defaults(&c);
    static const char body[] =
        "{\"ttfb\":\"0s\",\"tokens_per_sec\":0,\"concurrency_per_model\":3,\"fault\":\"err-1302\","
        "\"anthropic_usage\":\"C\",\"count_tokens\":true,\"rps\":\"1.5\",\"output_tokens\":12}";
    assert_true(sim_config_apply_json(&c, body, sizeof body - 1, err, sizeof err));
    assert_int_equal(c.ttfb_ns, 0);
    assert_true(c.tokens_per_sec == 0);
    assert_int_equal(c.concurrency_per_model, 3);
    assert_string_equal(c.fault, "err-1302");
    assert_int_equal(c.anthropic_usage, SIM_ANTHROPIC_USAGE_C);
    assert_true(c.count_tokens);
    assert_true(c.rps == 1.5);
    assert_int_equal(c.output_tokens, 12);
    /* Untouched settings keep their values. */
    assert_int_equal(c.listen_port, 18080);
    assert_string_equal(c.api_key, "sim-key");

    snprintf(c.quota_rotate, sizeof c.quota_rotate, "/tmp/a.json");
    static const char clear[] = "{\"fault\":\"\",\"quota_rotate\":\"\"}";
    assert_true(sim_config_apply_json(&c, clear, sizeof clear - 1, err, sizeof err));
    assert_string_equal(c.fault, "");
    assert_string_equal(c.quota_rotate, "");
}

static void expect_json_rejected(const char *body, const char *fragment)
{
    sim_config c, before;
    char err[256] = "";
    sim_config_defaults(&c);
    before = c;
    assert_false(sim_config_apply_json(&c, body, strlen(body), err, sizeof err));
    assert_memory_equal(&c, &before, sizeof c);
    if (!strstr(err, fragment))
        fail_msg("error %s lacks %s", err, fragment);
}

static void test_apply_json_rejections(void **state)
{
    (void)state;
    expect_json_rejected("{\"bogus\":1}", "bogus");
    expect_json_rejected("{\"listen_addr\":\"127.0.0.1:1\"}", "listen_addr");
    expect_json_rejected("{\"ttfb\":\"soon\",\"seed\":5}", "SIM_TTFB");
    expect_json_rejected("{\"output_tokens\":-4}", "SIM_OUTPUT_TOKENS");
    expect_json_rejected("{\"usage\":[1]}", "usage");
    expect_json_rejected("[1,2]", "object");
    expect_json_rejected("{\"ttfb\":", "object");
}

static void test_scenario_names_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < SIM_SC_COUNT; i++) {
        sim_scenario sc;
        assert_true(sim_scenario_parse(sim_scenario_name((sim_scenario)i), &sc));
        assert_int_equal(sc, i);
    }
    sim_scenario sc = SIM_SC_ERR_1302;
    assert_true(sim_scenario_parse("", &sc));
    assert_int_equal(sc, SIM_SC_NONE);
    assert_true(sim_scenario_parse("Slow-Headers", &sc));
    assert_int_equal(sc, SIM_SC_SLOW_HEADERS);
    assert_false(sim_scenario_parse("err-1234", &sc));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_values),
        cmocka_unit_test(test_errors_name_the_variable),
        cmocka_unit_test(test_api_key_never_echoed),
        cmocka_unit_test(test_apply_json),
        cmocka_unit_test(test_apply_json_rejections),
        cmocka_unit_test(test_scenario_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
