/* Tests for proxy/config.c through the injectable environment lookup: every
 * default of PROXY.md §14, every validation failure (table-driven, checking
 * that the message names the variable), the exact messages of §19 item 21,
 * cross-field rules, keys-file parsing, and that describe never shows a
 * secret. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"

#define DEFAULT_MODELS                                                                     \
    "glm-4.5,glm-4.5-air,glm-4.5-x,glm-4.5-airx,glm-4.5-flash,glm-4.5v,glm-4.6,glm-4.6v,"    \
    "glm-4.7,glm-4.7-flash,glm-4.7-flashx,glm-4-32b-0414-128k,glm-5,glm-5-turbo,"           \
    "glm-5v-turbo,glm-5.1,glm-5.2,glm-5.3,glm-5.3-flash"
#define S(n) ((int64_t)(n) * 1000000000LL)

/* Scratch files shared by the tests, created once. */
static char tmpdir[64];
static char keys_path[128], readable_path[128], unreadable_path[128], missing_path[128];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int files_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/zai-config-test-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(keys_path, sizeof keys_path, "%s/keys", tmpdir);
    snprintf(readable_path, sizeof readable_path, "%s/readable", tmpdir);
    snprintf(unreadable_path, sizeof unreadable_path, "%s/unreadable", tmpdir);
    snprintf(missing_path, sizeof missing_path, "%s/missing", tmpdir);
    write_file(keys_path, "# client keys\n\n  key-file-1  \r\nkey-file-2\n\t\n#key-commented\n"
                          "key-file-3");
    write_file(readable_path, "{}\n");
    write_file(unreadable_path, "x");
    chmod(unreadable_path, 0);
    return 0;
}

static int files_teardown(void **state)
{
    (void)state;
    unlink(keys_path);
    unlink(readable_path);
    unlink(unreadable_path);
    rmdir(tmpdir);
    return 0;
}

/* kv: NULL-terminated name, value pairs. */
static const char *kv_lookup(const char *name, void *ctx)
{
    for (const char *const *kv = ctx; kv[0]; kv += 2)
        if (strcmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

static bool load_kv(proxy_config *c, envcfg *e, const char *const *kv)
{
    envcfg_init(e, kv_lookup, (void *)kv);
    return config_load(c, e, "1.0.0", "abc", "2026-01-01T00:00:00Z");
}

static int expected_io_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 16 ? 16 : (int)n;
}

static void test_defaults(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, none));
    assert_false(e.failed);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.listen_port, 8080);
    assert_int_equal(c.io_threads, expected_io_threads());
    assert_string_equal(c.variant, "production");
    assert_int_equal(c.log_fmt, LOG_FORMAT_TEXT);
    assert_int_equal(c.log_lvl, LOG_INFO);
    assert_int_equal(c.shutdown_grace_ns, S(30));
    assert_string_equal(c.version, "1.0.0");
    assert_string_equal(c.commit, "abc");
    assert_string_equal(c.build_time, "2026-01-01T00:00:00Z");

    assert_string_equal(c.api_key, "");
    assert_true(c.sim_fallback);
    assert_true(c.use_simulator);
    assert_string_equal(c.base_url, "https://api.z.ai");
    assert_string_equal(c.openai_prefix, "/api/paas/v4");
    assert_string_equal(c.anthropic_prefix, "/api/anthropic");
    assert_string_equal(c.target_url, "");
    assert_false(c.upstream_http2);
    assert_string_equal(c.ca_bundle, "");
    assert_int_equal(c.connect_timeout_ns, S(10));
    assert_int_equal(c.first_byte_timeout_ns, S(600));
    assert_int_equal(c.idle_timeout_ns, S(120));
    assert_int_equal(c.max_retries, 3);
    assert_true(c.retry_on_5xx);

    assert_int_equal(c.max_workers, 10);
    assert_int_equal(c.queue_max, 100);
    assert_int_equal(c.queue_timeout_ns, S(30));
    assert_true(c.concurrency_adaptive);
    assert_int_equal(c.concurrency_min, 1);
    assert_int_equal(c.concurrency_initial, 10);
    assert_true(c.concurrency_decrease_factor == 0.75);
    assert_true(c.rate_initial == 10.0);
    assert_true(c.rate_min == 1.0);
    assert_true(c.rate_max == 50.0);
    assert_true(c.rate_alpha == 0.3);
    assert_true(c.rate_margin == 0.02);
    assert_int_equal(c.rate_probe_interval, 10);
    assert_int_equal(c.rate_window_ns, S(30));
    assert_string_equal(c.rate_state_file, "/var/lib/zai-proxy/ceiling.json");
    assert_int_equal(c.rate_state_max_age_ns, S(6 * 3600));

    assert_int_equal(c.n_client_keys, 0);
    assert_false(c.client_keys_env_set);
    assert_string_equal(c.client_keys_file, "");
    assert_string_equal(c.admin_token, "");

    assert_true(c.token_counting);
    assert_int_equal(c.tokenizer, TOKENIZER_CL100K);
    assert_string_equal(c.tokenizer_ranks_file, "");
    assert_int_equal(c.n_models, 19);
    assert_string_equal(c.models[0], "glm-4.5");
    assert_string_equal(c.models[18], "glm-5.3-flash");
    assert_true(config_has_model(&c, "glm-4-32b-0414-128k"));
    assert_false(config_has_model(&c, "gpt-4"));
    assert_string_equal(c.pricing_file, "");
    assert_false(c.peak_window_off);
    assert_int_equal(c.peak_start_min, 14 * 60);
    assert_int_equal(c.peak_end_min, 18 * 60);
    assert_int_equal(c.peak_offset_min, 8 * 60);
    assert_int_equal(c.count_tokens, COUNT_TOKENS_AUTO);

    assert_int_equal(c.max_request_body, 33554432);
    assert_int_equal(c.max_header_bytes, 65536);
    assert_int_equal(c.client_header_timeout_ns, S(30));
    assert_int_equal(c.client_write_timeout_ns, S(120));

    assert_false(c.quota_enabled);
    assert_int_equal(c.quota_interval_ns, S(60));
    assert_int_equal(c.quota_timeout_ns, S(5));
    assert_int_equal(c.quota_stale_after_ns, S(15 * 60));
    assert_string_equal(c.quota_base_url, "https://api.z.ai");
    assert_int_equal(c.quota_max_response, 65536);
    config_free(&c);
}

static void test_describe_defaults(void **state)
{
    (void)state;
    static const char *const none[] = {NULL};
    proxy_config c;
    envcfg e;
    strbuf sb = STRBUF_INIT, want = STRBUF_INIT;
    assert_true(load_kv(&c, &e, none));
    config_describe(&c, &sb);
    strbuf_printf(&want,
                  "LISTEN_ADDR=0.0.0.0:8080\nIO_THREADS=%d\nDEPLOYMENT_VARIANT=production\n"
                  "LOG_FORMAT=text\nLOG_LEVEL=info\nSHUTDOWN_GRACE=30s\n"
                  "ZAI_PROXY_VERSION=1.0.0\nZAI_PROXY_COMMIT=abc\n"
                  "ZAI_PROXY_BUILD_TIME=2026-01-01T00:00:00Z\n",
                  expected_io_threads());
    strbuf_puts(&want,
                "ZAI_API_KEY=unset\nZAI_SIM_FALLBACK=true\nZAI_BASE_URL=https://api.z.ai\n"
                "ZAI_OPENAI_PREFIX=/api/paas/v4\nZAI_ANTHROPIC_PREFIX=/api/anthropic\n"
                "ZAI_TARGET_URL=\nUPSTREAM_HTTP2=false\nUPSTREAM_CA_BUNDLE=\n"
                "UPSTREAM_CONNECT_TIMEOUT=10s\nUPSTREAM_FIRST_BYTE_TIMEOUT=10m0s\n"
                "UPSTREAM_IDLE_TIMEOUT=2m0s\nMAX_RETRIES=3\nRETRY_ON_5XX=true\n"
                "MAX_WORKERS=10\nQUEUE_MAX=100\nQUEUE_TIMEOUT=30s\nCONCURRENCY_ADAPTIVE=true\n"
                "CONCURRENCY_MIN=1\nCONCURRENCY_INITIAL=10\nCONCURRENCY_DECREASE_FACTOR=0.75\n"
                "RATE_LIMIT_INITIAL=10\nRATE_LIMIT_MIN=1\nRATE_LIMIT_MAX=50\n"
                "RATE_LIMIT_CEILING_ALPHA=0.3\nRATE_LIMIT_HOLD_MARGIN=0.02\n"
                "RATE_LIMIT_PROBE_INTERVAL=10\nRATE_LIMIT_WINDOW=30s\n"
                "RATE_LIMIT_STATE_FILE=/var/lib/zai-proxy/ceiling.json\n"
                "RATE_LIMIT_STATE_MAX_AGE=6h0m0s\n"
                "PROXY_API_KEYS=unset\nPROXY_API_KEYS_FILE=\nADMIN_TOKEN=unset\n"
                "TOKEN_COUNTING_ENABLED=true\nTOKENIZER_ENCODING=cl100k_base\n"
                "TOKENIZER_RANKS_FILE=\nMODELS=" DEFAULT_MODELS "\nPRICING_FILE=\n"
                "PEAK_WINDOW=14:00-18:00+08:00\nCOUNT_TOKENS_MODE=auto\n"
                "MAX_REQUEST_BODY_BYTES=33554432\nMAX_HEADER_BYTES=65536\n"
                "CLIENT_HEADER_TIMEOUT=30s\nCLIENT_WRITE_TIMEOUT=2m0s\n"
                "QUOTA_POLL_ENABLED=false\nQUOTA_POLL_INTERVAL=1m0s\nQUOTA_POLL_TIMEOUT=5s\n"
                "QUOTA_STALE_AFTER=15m0s\nZAI_QUOTA_BASE_URL=https://api.z.ai\n"
                "QUOTA_MAX_RESPONSE_BYTES=65536\n");
    assert_string_equal(sb.data, want.data);
    strbuf_free(&sb);
    strbuf_free(&want);
    config_free(&c);
}

static void test_describe_hides_secrets(void **state)
{
    (void)state;
    const char *const kv[] = {
        "ZAI_API_KEY", "  zai-secret-key-123\n",
        "PROXY_API_KEYS", "client-secret-a,client-secret-b",
        "PROXY_API_KEYS_FILE", keys_path,
        "ADMIN_TOKEN", "admin-secret-xyz",
        "LISTEN_ADDR", "[::1]:9090",
        "PEAK_WINDOW", "22:30-02:00-05:30",
        "RATE_LIMIT_STATE_FILE", "none",
        NULL,
    };
    proxy_config c;
    envcfg e;
    strbuf sb = STRBUF_INIT;
    assert_true(load_kv(&c, &e, kv));
    assert_string_equal(c.api_key, "zai-secret-key-123");
    assert_false(c.use_simulator);
    config_describe(&c, &sb);
    assert_null(strstr(sb.data, "secret"));
    assert_null(strstr(sb.data, "key-file-"));
    assert_non_null(strstr(sb.data, "\nZAI_API_KEY=set\n"));
    assert_non_null(strstr(sb.data, "\nPROXY_API_KEYS=set\n"));
    assert_non_null(strstr(sb.data, "\nADMIN_TOKEN=set\n"));
    assert_non_null(strstr(sb.data, "LISTEN_ADDR=[::1]:9090\n"));
    assert_non_null(strstr(sb.data, "\nPEAK_WINDOW=22:30-02:00-05:30\n"));
    assert_non_null(strstr(sb.data, "\nRATE_LIMIT_STATE_FILE=none\n"));
    char line[256];
    snprintf(line, sizeof line, "\nPROXY_API_KEYS_FILE=%s\n", keys_path);
    assert_non_null(strstr(sb.data, line));
    strbuf_free(&sb);
    config_free(&c);
}

static void test_keys_env_and_file(void **state)
{
    (void)state;
    const char *const kv[] = {
        "PROXY_API_KEYS", " env-1 , ,env-2,, ",
        "PROXY_API_KEYS_FILE", keys_path,
        NULL,
    };
    static const char *const want[] = {"env-1", "env-2", "key-file-1", "key-file-2", "key-file-3"};
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, kv));
    assert_int_equal(c.n_client_keys, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(c.client_keys[i], want[i]);
    assert_true(c.client_keys_env_set);
    config_free(&c);
    assert_null(c.client_keys);
    assert_int_equal(c.n_client_keys, 0);

    const char *const file_only[] = {"PROXY_API_KEYS_FILE", keys_path, NULL};
    assert_true(load_kv(&c, &e, file_only));
    assert_int_equal(c.n_client_keys, 3);
    assert_false(c.client_keys_env_set);
    config_free(&c);

    /* only separators: no key, inbound auth stays off */
    static const char *const blank[] = {"PROXY_API_KEYS", " , ,", NULL};
    assert_true(load_kv(&c, &e, blank));
    assert_int_equal(c.n_client_keys, 0);
    assert_false(c.client_keys_env_set);
    config_free(&c);
}

static void test_booleans(void **state)
{
    (void)state;
    static const char *const off[] = {"TOKEN_COUNTING_ENABLED", "OFF", NULL};
    static const char *const yes[] = {"TOKEN_COUNTING_ENABLED", "Yes", "UPSTREAM_HTTP2", "1",
                                      "RETRY_ON_5XX", "FALSE", "QUOTA_POLL_ENABLED", "on", NULL};
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, off));
    assert_false(c.token_counting);
    config_free(&c);
    assert_true(load_kv(&c, &e, yes));
    assert_true(c.token_counting);
    assert_true(c.upstream_http2);
    assert_false(c.retry_on_5xx);
    assert_true(c.quota_enabled);
    config_free(&c);
}

static void test_upstream_values(void **state)
{
    (void)state;
    static const char *const kv[] = {
        "ZAI_BASE_URL", "http://127.0.0.1:9999/",
        "ZAI_OPENAI_PREFIX", "/api/coding/paas/v4/",
        "ZAI_ANTHROPIC_PREFIX", "/",
        "ZAI_TARGET_URL", "https://target.example/api/anthropic//",
        "ZAI_SIM_FALLBACK", "false",
        "ZAI_API_KEY", "k",
        "TOKENIZER_MODEL", "anything at all",
        NULL,
    };
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, kv));
    assert_string_equal(c.base_url, "http://127.0.0.1:9999");
    assert_string_equal(c.quota_base_url, "http://127.0.0.1:9999");
    assert_string_equal(c.openai_prefix, "/api/coding/paas/v4");
    assert_string_equal(c.anthropic_prefix, "");
    assert_string_equal(c.target_url, "https://target.example/api/anthropic");
    assert_false(c.sim_fallback);
    assert_false(c.use_simulator);
    config_free(&c);

    static const char *const quota[] = {"ZAI_QUOTA_BASE_URL", "https://quota.example", NULL};
    assert_true(load_kv(&c, &e, quota));
    assert_string_equal(c.base_url, "https://api.z.ai");
    assert_string_equal(c.quota_base_url, "https://quota.example");
    config_free(&c);
}

static void test_resolved_values(void **state)
{
    (void)state;
    static const char *const kv[] = {
        "IO_THREADS", "4",
        "MAX_WORKERS", "20",
        "CONCURRENCY_MIN", "20",
        "RATE_LIMIT_INITIAL", "1e1",
        "RATE_LIMIT_MIN", "10",
        "RATE_LIMIT_MAX", "10",
        "RATE_LIMIT_CEILING_ALPHA", "1",
        "RATE_LIMIT_PROBE_INTERVAL", "0",
        "RATE_LIMIT_WINDOW", "1s",
        "QUOTA_POLL_INTERVAL", "5s",
        "QUOTA_POLL_TIMEOUT", "5s",
        "SHUTDOWN_GRACE", "0",
        "LOG_FORMAT", "JSON",
        "LOG_LEVEL", "Debug",
        "DEPLOYMENT_VARIANT", "canary_2-b",
        "TOKENIZER_ENCODING", "O200K_BASE",
        "COUNT_TOKENS_MODE", "Upstream",
        "MODELS", " GLM-4.7 , ,Foo_Bar.1,glm-4.7,",
        "PEAK_WINDOW", "OFF",
        "PRICING_FILE", readable_path,
        "UPSTREAM_CA_BUNDLE", readable_path,
        "TOKENIZER_RANKS_FILE", readable_path,
        "ZAI_PROXY_VERSION", "ignored",
        NULL,
    };
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, kv));
    assert_int_equal(c.io_threads, 4);
    assert_int_equal(c.concurrency_initial, 20);
    assert_true(c.rate_initial == 10.0);
    assert_true(c.rate_alpha == 1.0);
    assert_int_equal(c.rate_probe_interval, 0);
    assert_int_equal(c.rate_window_ns, S(1));
    assert_int_equal(c.shutdown_grace_ns, 0);
    assert_int_equal(c.log_fmt, LOG_FORMAT_JSON);
    assert_int_equal(c.log_lvl, LOG_DEBUG);
    assert_string_equal(c.variant, "canary_2-b");
    assert_int_equal(c.tokenizer, TOKENIZER_O200K);
    assert_int_equal(c.count_tokens, COUNT_TOKENS_UPSTREAM);
    assert_int_equal(c.n_models, 2);
    assert_string_equal(c.models[0], "glm-4.7");
    assert_string_equal(c.models[1], "foo_bar.1");
    assert_true(c.peak_window_off);
    assert_string_equal(c.pricing_file, readable_path);
    assert_string_equal(c.version, "1.0.0");
    config_free(&c);

    static const char *const local[] = {"COUNT_TOKENS_MODE", "local", "PEAK_WINDOW",
                                        "23:00-01:00+00:00", "IO_THREADS", "0", NULL};
    assert_true(load_kv(&c, &e, local));
    assert_int_equal(c.count_tokens, COUNT_TOKENS_LOCAL);
    assert_int_equal(c.peak_start_min, 23 * 60);
    assert_int_equal(c.peak_end_min, 60);
    assert_int_equal(c.peak_offset_min, 0);
    assert_int_equal(c.io_threads, expected_io_threads());
    config_free(&c);
}

static void test_versions(void **state)
{
    (void)state;
    static const char *const kv[] = {"ZAI_PROXY_VERSION", "9.9.9", "ZAI_PROXY_COMMIT", "deadbeef",
                                     NULL};
    proxy_config c;
    envcfg e;
    envcfg_init(&e, kv_lookup, (void *)kv);
    assert_true(config_load(&c, &e, "", NULL, ""));
    assert_string_equal(c.version, "9.9.9");
    assert_string_equal(c.commit, "deadbeef");
    assert_string_equal(c.build_time, "unknown");
    config_free(&c);
}

static void test_models_limit(void **state)
{
    (void)state;
    strbuf list = STRBUF_INIT;
    for (int i = 0; i < CONFIG_MAX_MODELS; i++)
        strbuf_printf(&list, "%sm-%d", i ? "," : "", i);
    const char *kv[] = {"MODELS", list.data, NULL};
    proxy_config c;
    envcfg e;
    assert_true(load_kv(&c, &e, kv));
    assert_int_equal(c.n_models, CONFIG_MAX_MODELS);
    assert_true(config_has_model(&c, "m-199"));
    config_free(&c);

    strbuf_puts(&list, ",one-too-many");
    kv[1] = list.data;
    assert_false(load_kv(&c, &e, kv));
    assert_string_equal(e.err, "config: MODELS: more than 200 entries");
    assert_int_equal(c.n_models, 0);
    strbuf_free(&list);
}

/* PROXY.md §19 item 21, word for word. */
static void test_spec_messages(void **state)
{
    (void)state;
    static const struct {
        const char *kv[5];
        const char *err;
    } cases[] = {
        {{"MAX_RETRIES", "abc"}, "config: MAX_RETRIES: \"abc\" is not an integer"},
        {{"RATE_LIMIT_CEILING_ALPHA", "2.0"}, "config: RATE_LIMIT_CEILING_ALPHA: 2 must be in (0, 1]"},
        {{"RATE_LIMIT_HOLD_MARGIN", "-0.05"},
         "config: RATE_LIMIT_HOLD_MARGIN: -0.05 must be in (0, 1)"},
        {{"QUOTA_POLL_INTERVAL", "0s"}, "config: QUOTA_POLL_INTERVAL: \"0s\" must be > 0"},
        {{"QUOTA_POLL_INTERVAL", "-3s"}, "config: QUOTA_POLL_INTERVAL: \"-3s\" must be > 0"},
        {{"QUOTA_POLL_INTERVAL", "not-a-duration"},
         "config: QUOTA_POLL_INTERVAL: \"not-a-duration\" is not a duration (e.g. 30s, 5m, 1h30m)"},
        {{"TOKEN_COUNTING_ENABLED", "maybe"},
         "config: TOKEN_COUNTING_ENABLED: \"maybe\" is not a boolean (true/false)"},
        {{"RATE_LIMIT_INITIAL", "60", "RATE_LIMIT_MAX", "50"},
         "config: RATE_LIMIT_INITIAL: 60 must be within [RATE_LIMIT_MIN, RATE_LIMIT_MAX] = [1, 50]"},
        {{"ZAI_SIM_FALLBACK", "false"},
         "config: ZAI_API_KEY: required when ZAI_SIM_FALLBACK=false"},
        {{"ZAI_SIM_FALLBACK", "no", "ZAI_API_KEY", " \n"},
         "config: ZAI_API_KEY: required when ZAI_SIM_FALLBACK=false"},
        {{"CONCURRENCY_INITIAL", "11"},
         "config: CONCURRENCY_INITIAL: 11 must be within [CONCURRENCY_MIN, MAX_WORKERS] = [1, 10]"},
        {{"CONCURRENCY_MIN", "11"}, "config: CONCURRENCY_MIN: 11 must be <= MAX_WORKERS (10)"},
        {{"RATE_LIMIT_MIN", "60"}, "config: RATE_LIMIT_MIN: 60 must be <= RATE_LIMIT_MAX (50)"},
        {{"QUOTA_POLL_TIMEOUT", "90s"},
         "config: QUOTA_POLL_TIMEOUT: 1m30s must be <= QUOTA_POLL_INTERVAL (1m0s)"},
        {{"RATE_LIMIT_WINDOW", "500ms"}, "config: RATE_LIMIT_WINDOW: 500ms must be >= 1s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        proxy_config c;
        envcfg e;
        print_message("%s=%s\n", cases[i].kv[0], cases[i].kv[1]);
        assert_false(load_kv(&c, &e, cases[i].kv));
        assert_true(e.failed);
        assert_string_equal(e.err, cases[i].err);
    }
}

typedef struct bad_case {
    const char *name, *value;
    const char *extra_name, *extra_value;
} bad_case;

/* Each value alone must be refused with a message starting "config: NAME: ". */
static const bad_case bad_cases[] = {
    {"LISTEN_ADDR", "nope", NULL, NULL},
    {"LISTEN_ADDR", "0.0.0.0:70000", NULL, NULL},
    {"IO_THREADS", "65", NULL, NULL},
    {"IO_THREADS", "-1", NULL, NULL},
    {"IO_THREADS", "two", NULL, NULL},
    {"DEPLOYMENT_VARIANT", "Production", NULL, NULL},
    {"DEPLOYMENT_VARIANT", "-canary", NULL, NULL},
    {"DEPLOYMENT_VARIANT", "a.b", NULL, NULL},
    {"DEPLOYMENT_VARIANT", "abcdefghijklmnopqrstuvwxyz0123456", NULL, NULL},
    {"LOG_FORMAT", "xml", NULL, NULL},
    {"LOG_LEVEL", "verbose", NULL, NULL},
    {"SHUTDOWN_GRACE", "-1s", NULL, NULL},
    {"SHUTDOWN_GRACE", "30", NULL, NULL},
    {"ZAI_API_KEY", "has space", NULL, NULL},
    {"ZAI_SIM_FALLBACK", "maybe", NULL, NULL},
    {"ZAI_BASE_URL", "ftp://api.z.ai", NULL, NULL},
    {"ZAI_BASE_URL", "https://api.z.ai/?x=1", NULL, NULL},
    {"ZAI_BASE_URL", "api.z.ai", NULL, NULL},
    {"ZAI_OPENAI_PREFIX", "api/paas/v4", NULL, NULL},
    {"ZAI_OPENAI_PREFIX", "/api?x", NULL, NULL},
    {"ZAI_ANTHROPIC_PREFIX", "/api#frag", NULL, NULL},
    {"ZAI_ANTHROPIC_PREFIX", "/api anthropic", NULL, NULL},
    {"ZAI_TARGET_URL", "target", NULL, NULL},
    {"UPSTREAM_HTTP2", "2", NULL, NULL},
    {"UPSTREAM_CA_BUNDLE", "/nonexistent/ca.pem", NULL, NULL},
    {"UPSTREAM_CA_BUNDLE", "/tmp", NULL, NULL},
    {"UPSTREAM_CONNECT_TIMEOUT", "0", NULL, NULL},
    {"UPSTREAM_FIRST_BYTE_TIMEOUT", "0s", NULL, NULL},
    {"UPSTREAM_IDLE_TIMEOUT", "-1m", NULL, NULL},
    {"MAX_RETRIES", "11", NULL, NULL},
    {"MAX_RETRIES", "-1", NULL, NULL},
    {"MAX_RETRIES", "1.5", NULL, NULL},
    {"RETRY_ON_5XX", "y", NULL, NULL},
    {"MAX_WORKERS", "0", NULL, NULL},
    {"MAX_WORKERS", "10001", NULL, NULL},
    {"QUEUE_MAX", "-1", NULL, NULL},
    {"QUEUE_MAX", "100001", NULL, NULL},
    {"QUEUE_TIMEOUT", "0", NULL, NULL},
    {"CONCURRENCY_ADAPTIVE", "adaptive", NULL, NULL},
    {"CONCURRENCY_MIN", "0", NULL, NULL},
    {"CONCURRENCY_INITIAL", "0", NULL, NULL},
    {"CONCURRENCY_INITIAL", "4", "CONCURRENCY_MIN", "5"},
    {"CONCURRENCY_DECREASE_FACTOR", "1", NULL, NULL},
    {"CONCURRENCY_DECREASE_FACTOR", "0", NULL, NULL},
    {"CONCURRENCY_DECREASE_FACTOR", "half", NULL, NULL},
    {"RATE_LIMIT_INITIAL", "0", NULL, NULL},
    {"RATE_LIMIT_INITIAL", "0.5", NULL, NULL},
    {"RATE_LIMIT_MIN", "-1", NULL, NULL},
    {"RATE_LIMIT_MAX", "nan", NULL, NULL},
    {"RATE_LIMIT_MAX", "inf", NULL, NULL},
    {"RATE_LIMIT_MAX", "0", NULL, NULL},
    {"RATE_LIMIT_CEILING_ALPHA", "0", NULL, NULL},
    {"RATE_LIMIT_CEILING_ALPHA", "1.0001", NULL, NULL},
    {"RATE_LIMIT_HOLD_MARGIN", "1", NULL, NULL},
    {"RATE_LIMIT_HOLD_MARGIN", "0", NULL, NULL},
    {"RATE_LIMIT_PROBE_INTERVAL", "-1", NULL, NULL},
    {"RATE_LIMIT_WINDOW", "0", NULL, NULL},
    {"RATE_LIMIT_WINDOW", "999ms", NULL, NULL},
    {"RATE_LIMIT_STATE_MAX_AGE", "0", NULL, NULL},
    {"RATE_LIMIT_STATE_MAX_AGE", "-6h", NULL, NULL},
    {"RATE_LIMIT_STATE_MAX_AGE", "1d", NULL, NULL},
    {"PROXY_API_KEYS_FILE", "/nonexistent/keys", NULL, NULL},
    {"PROXY_API_KEYS_FILE", "/tmp", NULL, NULL},
    {"ADMIN_TOKEN", "tok en", NULL, NULL},
    {"TOKEN_COUNTING_ENABLED", "enabled", NULL, NULL},
    {"TOKENIZER_ENCODING", "p50k_base", NULL, NULL},
    {"TOKENIZER_RANKS_FILE", "/nonexistent/cl100k_base.tiktoken", NULL, NULL},
    {"MODELS", "glm 4.7", NULL, NULL},
    {"MODELS", "glm-4.7,-bad", NULL, NULL},
    {"MODELS", "glm/4", NULL, NULL},
    {"MODELS", ",, ,", NULL, NULL},
    {"MODELS", "m0123456789012345678901234567890123456789012345678901234567890123", NULL, NULL},
    {"PRICING_FILE", "/nonexistent/pricing.json", NULL, NULL},
    {"PEAK_WINDOW", "14:00-14:00+08:00", NULL, NULL},
    {"PEAK_WINDOW", "24:00-18:00+08:00", NULL, NULL},
    {"PEAK_WINDOW", "14:60-18:00+08:00", NULL, NULL},
    {"PEAK_WINDOW", "14:00-18:00", NULL, NULL},
    {"PEAK_WINDOW", "14:00-18:00*08:00", NULL, NULL},
    {"PEAK_WINDOW", "14:00-18:00+8:00", NULL, NULL},
    {"PEAK_WINDOW", "14:00-18:00+08:00 ", NULL, NULL},
    {"PEAK_WINDOW", "1400-1800+0800xx", NULL, NULL},
    {"PEAK_WINDOW", "always", NULL, NULL},
    {"COUNT_TOKENS_MODE", "remote", NULL, NULL},
    {"MAX_REQUEST_BODY_BYTES", "1023", NULL, NULL},
    {"MAX_REQUEST_BODY_BYTES", "1073741825", NULL, NULL},
    {"MAX_REQUEST_BODY_BYTES", "32MiB", NULL, NULL},
    {"MAX_HEADER_BYTES", "1023", NULL, NULL},
    {"MAX_HEADER_BYTES", "1048577", NULL, NULL},
    {"CLIENT_HEADER_TIMEOUT", "0", NULL, NULL},
    {"CLIENT_WRITE_TIMEOUT", "soon", NULL, NULL},
    {"QUOTA_POLL_ENABLED", "sometimes", NULL, NULL},
    {"QUOTA_POLL_INTERVAL", "0", NULL, NULL},
    {"QUOTA_POLL_TIMEOUT", "0s", NULL, NULL},
    {"QUOTA_POLL_TIMEOUT", "6s", "QUOTA_POLL_INTERVAL", "5s"},
    {"QUOTA_STALE_AFTER", "0", NULL, NULL},
    {"ZAI_QUOTA_BASE_URL", "quota.example", NULL, NULL},
    {"QUOTA_MAX_RESPONSE_BYTES", "1023", NULL, NULL},
    {"QUOTA_MAX_RESPONSE_BYTES", "16777217", NULL, NULL},
};

static void test_validation_failures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        const char *kv[] = {b->name, b->value, b->extra_name, b->extra_value, NULL};
        char prefix[128];
        proxy_config c;
        envcfg e;
        print_message("%s=%s\n", b->name, b->value);
        assert_false(load_kv(&c, &e, kv));
        assert_true(e.failed);
        snprintf(prefix, sizeof prefix, "config: %s: ", b->name);
        assert_memory_equal(e.err, prefix, strlen(prefix));
        assert_null(c.client_keys);
        assert_int_equal(c.n_models, 0);
    }
}

static void test_unreadable_files(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads mode-0 files */
    static const char *const names[] = {"PROXY_API_KEYS_FILE", "UPSTREAM_CA_BUNDLE",
                                        "PRICING_FILE"};
    for (size_t i = 0; i < 3; i++) {
        const char *kv[] = {names[i], unreadable_path, NULL};
        proxy_config c;
        envcfg e;
        assert_false(load_kv(&c, &e, kv));
        assert_non_null(strstr(e.err, names[i]));
    }
}

/* The rank file only has to exist: an unreadable one falls back at load. */
static void test_missing_file_messages(void **state)
{
    (void)state;
    const char *kv[] = {"TOKENIZER_RANKS_FILE", missing_path, NULL};
    proxy_config c;
    envcfg e;
    char want[256];
    assert_false(load_kv(&c, &e, kv));
    snprintf(want, sizeof want, "config: TOKENIZER_RANKS_FILE: \"%s\": No such file or directory",
             missing_path);
    assert_string_equal(e.err, want);

    kv[0] = "PRICING_FILE";
    assert_false(load_kv(&c, &e, kv));
    snprintf(want, sizeof want, "config: PRICING_FILE: \"%s\" is not readable: No such file or "
                                "directory", missing_path);
    assert_string_equal(e.err, want);
}

/* Secret values never appear in an error message. */
static void test_secrets_not_echoed(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"ZAI_API_KEY", "sekrit value"},
        {"ADMIN_TOKEN", "sekrit\tvalue"},
        {"ZAI_API_KEY", "sekrit\x01"},
    };
    for (size_t i = 0; i < 3; i++) {
        const char *kv[] = {cases[i][0], cases[i][1], NULL};
        proxy_config c;
        envcfg e;
        assert_false(load_kv(&c, &e, kv));
        assert_null(strstr(e.err, "sekrit"));
        assert_non_null(strstr(e.err, cases[i][0]));
    }
}

/* The first invalid variable in §14 order is the one reported. */
static void test_first_error_wins(void **state)
{
    (void)state;
    static const char *const kv[] = {"QUOTA_POLL_INTERVAL", "x", "MAX_RETRIES", "x",
                                     "LISTEN_ADDR", "x", NULL};
    proxy_config c;
    envcfg e;
    assert_false(load_kv(&c, &e, kv));
    assert_memory_equal(e.err, "config: LISTEN_ADDR: ", 21);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_describe_defaults),
        cmocka_unit_test(test_describe_hides_secrets),
        cmocka_unit_test(test_keys_env_and_file),
        cmocka_unit_test(test_booleans),
        cmocka_unit_test(test_upstream_values),
        cmocka_unit_test(test_resolved_values),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_models_limit),
        cmocka_unit_test(test_spec_messages),
        cmocka_unit_test(test_validation_failures),
        cmocka_unit_test(test_unreadable_files),
        cmocka_unit_test(test_missing_file_messages),
        cmocka_unit_test(test_secrets_not_echoed),
        cmocka_unit_test(test_first_error_wins),
    };
    return cmocka_run_group_tests(tests, files_setup, files_teardown);
}
