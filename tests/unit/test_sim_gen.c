/* Tests for the simulator's generated answers: determinism (same request →
 * same bytes; seed and body change them), lengths and the input estimate,
 * and the stream shapes parsed back with lib/sse and cJSON — OpenAI usage on
 * the finish chunk or in a separate empty-choices chunk, [DONE] last, no
 * `object` in chunks; Anthropic event order, thinking blocks and the usage
 * variants A/B/C of ZAI-API.md §4.3. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_int.h"
#include "sse.h"

#define MAX_EVENTS 256

typedef struct events {
    char *name[MAX_EVENTS];
    char *data[MAX_EVENTS];
    size_t n;
} events;

static bool collect(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len)
{
    events *ev = ctx;
    assert_true(ev->n < MAX_EVENTS);
    ev->name[ev->n] = strndup(event, event_len);
    ev->data[ev->n] = strndup(data, data_len);
    ev->n++;
    return true;
}

static void events_free(events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->name[i]);
        free(ev->data[i]);
    }
    ev->n = 0;
}

static const char openai_body[] =
    "{\"model\":\"glm-4.7\",\"stream\":true,\"max_tokens\":256,"
    "\"messages\":[{\"role\":\"system\",\"content\":\"You are terse.\"},"
    "{\"role\":\"user\",\"content\":\"Say hello to everyone in the room\"}]}";

static const char anthropic_body[] =
    "{\"model\":\"glm-4.7\",\"max_tokens\":1024,\"stream\":true,"
    "\"system\":[{\"type\":\"text\",\"text\":\"You are terse.\"}],"
    "\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Say hello\"}]}],"
    "\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512}}";

static sim_config base_config(void)
{
    sim_config c;
    sim_config_defaults(&c);
    c.output_tokens = 9;
    c.cached_tokens = 2;
    return c;
}

static void make_gen(sim_gen *g, const sim_config *c, sim_api api, const char *body, const char *path)
{
    cJSON *root = cJSON_Parse(body);
    assert_non_null(root);
    uint64_t h = sim_hash_request(c->seed, "POST", path, body, strlen(body));
    sim_gen_init(g, c, NULL, api, root, h);
    cJSON_Delete(root);
}

/* Runs the stream to its end, returning the concatenated text. */
static void run_stream(const sim_gen *g, strbuf *out, size_t *steps)
{
    sim_gen_pos p;
    sim_gen_pos_init(&p, g);
    *steps = 0;
    while (g->api == SIM_API_OPENAI ? sim_openai_step(g, &p, out) : sim_anthropic_step(g, &p, out))
        (*steps)++;
}

static void parse_stream(const sim_gen *g, events *ev)
{
    strbuf sb = STRBUF_INIT;
    size_t steps;
    run_stream(g, &sb, &steps);
    assert_int_equal(steps, g->n_out + 1);
    sse_parser *p = sse_new(SSE_MAX_LINE_DEFAULT, SSE_MAX_EVENT_DEFAULT, collect, ev);
    /* Byte by byte: shapes must not depend on chunking. */
    for (size_t i = 0; i < sb.len; i++)
        assert_int_equal(sse_feed(p, sb.data + i, 1), SSE_OK);
    assert_true(sse_at_boundary(p));
    sse_free(p);
    strbuf_free(&sb);
}

static long long num(const cJSON *o, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = o;
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        cur = cJSON_GetObjectItemCaseSensitive(cur, k);
    if (!cJSON_IsNumber(cur))
        fail_msg("%s is not a number", path);
    return (long long)cur->valuedouble;
}

static void test_deterministic_bytes(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen a, b;
    strbuf sa = STRBUF_INIT, sb = STRBUF_INIT;
    size_t n;
    make_gen(&a, &c, SIM_API_OPENAI, openai_body, "/api/paas/v4/chat/completions");
    make_gen(&b, &c, SIM_API_OPENAI, openai_body, "/api/paas/v4/chat/completions");
    run_stream(&a, &sa, &n);
    run_stream(&b, &sb, &n);
    assert_int_equal(sa.len, sb.len);
    assert_memory_equal(sa.data, sb.data, sa.len);

    /* Another seed changes ids and words. */
    c.seed = 2;
    make_gen(&b, &c, SIM_API_OPENAI, openai_body, "/api/paas/v4/chat/completions");
    assert_string_not_equal(a.id, b.id);
    strbuf_reset(&sb);
    run_stream(&b, &sb, &n);
    assert_true(sa.len != sb.len || memcmp(sa.data, sb.data, sa.len) != 0);

    /* Another path (the coding prefix) is another request. */
    c.seed = 1;
    make_gen(&b, &c, SIM_API_OPENAI, openai_body, "/api/coding/paas/v4/chat/completions");
    assert_true(a.hash != b.hash);
    strbuf_free(&sa);
    strbuf_free(&sb);
}

static void test_ids_and_created(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen g;
    make_gen(&g, &c, SIM_API_OPENAI, openai_body, "/api/paas/v4/chat/completions");
    assert_int_equal(strlen(g.id), 20);
    assert_int_equal(strspn(g.id, "0123456789"), 14);
    assert_true(g.created >= 1763978400 && g.created < 1763978400 + 365LL * 86400);
    make_gen(&g, &c, SIM_API_ANTHROPIC, anthropic_body, "/api/anthropic/v1/messages");
    assert_memory_equal(g.id, "msg_", 4);
    assert_int_equal(strlen(g.id), 22);
    char rid[40];
    sim_request_id(g.hash, rid);
    assert_int_equal(strlen(rid), 30);
}

static void test_lengths_and_estimate(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen g;
    make_gen(&g, &c, SIM_API_OPENAI, openai_body, "/p");
    assert_int_equal(g.n_out, 9);
    assert_false(g.cut);
    /* "You are terse." 14 B → 3 (+3); "Say hello to everyone in the room" 33 B → 8 (+3) */
    assert_int_equal(g.input_tokens, 3 + 3 + 8 + 3);
    assert_int_equal(g.cached_tokens, 2);

    make_gen(&g, &c, SIM_API_OPENAI, "{\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"\"}]}", "/p");
    assert_int_equal(g.n_out, 4);
    assert_true(g.cut);
    assert_int_equal(g.input_tokens, 1 + 3);
    assert_int_equal(g.cached_tokens, 2);
    assert_string_equal(g.model, "glm-4.7");

    /* system string + text blocks + tool_result content; cached capped. */
    c.cached_tokens = 1000;
    make_gen(&g, &c, SIM_API_ANTHROPIC,
             "{\"model\":\"m\",\"system\":\"abcdefgh\",\"messages\":[{\"role\":\"user\",\"content\":["
             "{\"type\":\"text\",\"text\":\"abcdefghijkl\"},{\"type\":\"tool_result\",\"content\":\"abcd\"}]}]}",
             "/p");
    assert_int_equal(g.input_tokens, 2 + 4 + 3);
    assert_int_equal(g.cached_tokens, g.input_tokens);
    assert_string_equal(g.model, "m");
}

static void test_overrides(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_overrides o = {.output_tokens = 3, .tokens_per_sec = -1, .ttfb_ns = -1, .usage = SIM_USAGE_NEVER};
    cJSON *root = cJSON_Parse(openai_body);
    sim_gen g;
    sim_gen_init(&g, &c, &o, SIM_API_OPENAI, root, 1);
    cJSON_Delete(root);
    assert_int_equal(g.n_out, 3);
    assert_false(g.usage);
}

static void test_openai_json(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen g;
    strbuf sb = STRBUF_INIT;
    make_gen(&g, &c, SIM_API_OPENAI, openai_body, "/p");
    sim_openai_json(&g, &sb);
    cJSON *o = cJSON_Parse(sb.data);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "object")->valuestring, "chat.completion");
    assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, g.id);
    const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0);
    assert_string_equal(cJSON_GetObjectItem(ch, "finish_reason")->valuestring, "stop");
    char *content = strdup(cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "message"), "content")->valuestring);
    size_t words = 0;
    for (const char *p = content; *p; p++)
        words += *p == ' ';
    assert_int_equal(words, 9);
    assert_int_equal(num(o, "usage.prompt_tokens"), g.input_tokens);
    assert_int_equal(num(o, "usage.completion_tokens"), 9);
    assert_int_equal(num(o, "usage.total_tokens"), g.input_tokens + 9);
    assert_int_equal(num(o, "usage.prompt_tokens_details.cached_tokens"), 2);
    cJSON_Delete(o);

    /* The non-streaming text equals the concatenated stream text. */
    events ev = {0};
    strbuf text = STRBUF_INIT;
    parse_stream(&g, &ev);
    for (size_t i = 0; i + 1 < ev.n; i++) {
        cJSON *chunk = cJSON_Parse(ev.data[i]);
        const cJSON *d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(chunk, "choices"), 0), "delta");
        strbuf_puts(&text, cJSON_GetObjectItem(d, "content")->valuestring);
        cJSON_Delete(chunk);
    }
    assert_string_equal(text.data, content);
    free(content);
    strbuf_free(&text);
    events_free(&ev);
    strbuf_free(&sb);
}

static void check_openai_stream(sim_openai_usage mode, sim_usage_mode usage)
{
    sim_config c = base_config();
    c.openai_usage = mode;
    c.usage = usage;
    sim_gen g;
    events ev = {0};
    make_gen(&g, &c, SIM_API_OPENAI, openai_body, "/p");
    parse_stream(&g, &ev);

    bool separate = usage == SIM_USAGE_ALWAYS && mode == SIM_OPENAI_USAGE_SEPARATE;
    size_t expect = 9 + 1 + (separate ? 1 : 0) + 1;
    assert_int_equal(ev.n, expect);
    assert_string_equal(ev.data[ev.n - 1], "[DONE]");
    size_t finish_at = 9, usage_seen = 0;
    for (size_t i = 0; i + 1 < ev.n; i++) {
        assert_string_equal(ev.name[i], "");
        cJSON *o = cJSON_Parse(ev.data[i]);
        assert_non_null(o);
        assert_null(cJSON_GetObjectItem(o, "object"));
        assert_string_equal(cJSON_GetObjectItem(o, "id")->valuestring, g.id);
        const cJSON *choices = cJSON_GetObjectItem(o, "choices");
        const cJSON *u = cJSON_GetObjectItem(o, "usage");
        const cJSON *fr = cJSON_GetObjectItem(cJSON_GetArrayItem(choices, 0), "finish_reason");
        if (i < finish_at) {
            assert_null(fr);
            assert_null(u);
        } else if (i == finish_at) {
            assert_string_equal(fr->valuestring, "stop");
            assert_true(separate || usage == SIM_USAGE_NEVER ? u == NULL : u != NULL);
        } else {
            assert_int_equal(cJSON_GetArraySize(choices), 0);
            assert_non_null(u);
        }
        if (u) {
            usage_seen++;
            assert_int_equal(num(o, "usage.completion_tokens"), 9);
            assert_int_equal(num(o, "usage.prompt_tokens"), g.input_tokens);
            assert_int_equal(num(o, "usage.prompt_tokens_details.cached_tokens"), 2);
        }
        cJSON_Delete(o);
    }
    assert_int_equal(usage_seen, usage == SIM_USAGE_ALWAYS ? 1 : 0);
    events_free(&ev);
}

static void test_openai_stream_finish(void **state)
{
    (void)state;
    check_openai_stream(SIM_OPENAI_USAGE_FINISH, SIM_USAGE_ALWAYS);
}

static void test_openai_stream_separate(void **state)
{
    (void)state;
    check_openai_stream(SIM_OPENAI_USAGE_SEPARATE, SIM_USAGE_ALWAYS);
}

static void test_openai_stream_never(void **state)
{
    (void)state;
    check_openai_stream(SIM_OPENAI_USAGE_FINISH, SIM_USAGE_NEVER);
    check_openai_stream(SIM_OPENAI_USAGE_SEPARATE, SIM_USAGE_NEVER);
}

static void test_openai_reasoning_split(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen g;
    events ev = {0};
    make_gen(&g, &c, SIM_API_OPENAI,
             "{\"model\":\"glm-4.7\",\"thinking\":{\"type\":\"enabled\"},\"messages\":[]}", "/p");
    assert_int_equal(g.n_reason, 3);
    parse_stream(&g, &ev);
    for (size_t i = 0; i < 9; i++) {
        cJSON *o = cJSON_Parse(ev.data[i]);
        const cJSON *d = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0), "delta");
        assert_true(i < 3 ? cJSON_HasObjectItem(d, "reasoning_content") : cJSON_HasObjectItem(d, "content"));
        cJSON_Delete(o);
    }
    events_free(&ev);
}

/* Usage of message_start and message_delta for one variant. */
static void check_anthropic(sim_anthropic_usage variant)
{
    sim_config c = base_config();
    c.anthropic_usage = variant;
    sim_gen g;
    events ev = {0};
    make_gen(&g, &c, SIM_API_ANTHROPIC, anthropic_body, "/api/anthropic/v1/messages");
    assert_int_equal(g.n_reason, 3);
    parse_stream(&g, &ev);

    /* start, block_start(thinking), ping, 3 thinking deltas, block_stop,
     * block_start(text), 6 text deltas, block_stop, message_delta, stop */
    static const char *const order[] = {
        "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_stop", "content_block_start", "content_block_delta",
        "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta",
        "content_block_delta", "content_block_stop", "message_delta", "message_stop"};
    assert_int_equal(ev.n, sizeof order / sizeof order[0]);
    for (size_t i = 0; i < ev.n; i++) {
        assert_string_equal(ev.name[i], order[i]);
        cJSON *o = cJSON_Parse(ev.data[i]);
        assert_non_null(o);
        assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, order[i]);
        if (i >= 3 && i <= 5)
            assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "delta"), "type")->valuestring,
                                "thinking_delta");
        if (i >= 8 && i <= 13) {
            assert_int_equal(num(o, "index"), 1);
            assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "delta"), "type")->valuestring,
                                "text_delta");
        }
        cJSON_Delete(o);
    }

    long long in_uncached = g.input_tokens - g.cached_tokens;
    cJSON *start = cJSON_Parse(ev.data[0]);
    cJSON *delta = cJSON_Parse(ev.data[15]);
    const cJSON *du = cJSON_GetObjectItem(delta, "usage");
    assert_int_equal(num(start, "message.usage.input_tokens"), variant == SIM_ANTHROPIC_USAGE_B ? 0 : in_uncached);
    assert_int_equal(num(start, "message.usage.cache_read_input_tokens"), variant == SIM_ANTHROPIC_USAGE_B ? 0 : 2);
    assert_int_equal(num(delta, "usage.output_tokens"), 9);
    if (variant == SIM_ANTHROPIC_USAGE_A) {
        assert_false(cJSON_HasObjectItem(du, "input_tokens"));
        assert_false(cJSON_HasObjectItem(du, "cache_read_input_tokens"));
    } else {
        assert_int_equal(num(delta, "usage.input_tokens"), in_uncached);
        assert_int_equal(num(delta, "usage.cache_read_input_tokens"), 2);
        assert_int_equal(num(delta, "usage.cache_creation_input_tokens"), 0);
    }
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(delta, "delta"), "stop_reason")->valuestring,
                        "end_turn");
    cJSON_Delete(start);
    cJSON_Delete(delta);
    events_free(&ev);
}

static void test_anthropic_variant_a(void **state)
{
    (void)state;
    check_anthropic(SIM_ANTHROPIC_USAGE_A);
}

static void test_anthropic_variant_b(void **state)
{
    (void)state;
    check_anthropic(SIM_ANTHROPIC_USAGE_B);
}

static void test_anthropic_variant_c(void **state)
{
    (void)state;
    check_anthropic(SIM_ANTHROPIC_USAGE_C);
}

static void test_anthropic_zero_tokens_and_no_usage(void **state)
{
    (void)state;
    sim_config c = base_config();
    c.usage = SIM_USAGE_NEVER;
    sim_gen g;
    events ev = {0};
    make_gen(&g, &c, SIM_API_ANTHROPIC, "{\"model\":\"glm-4.7\",\"max_tokens\":0,\"messages\":[]}", "/p");
    assert_int_equal(g.n_out, 0);
    parse_stream(&g, &ev);
    assert_int_equal(ev.n, 4);
    assert_string_equal(ev.name[0], "message_start");
    assert_string_equal(ev.name[1], "ping");
    assert_string_equal(ev.name[2], "message_delta");
    assert_string_equal(ev.name[3], "message_stop");
    for (size_t i = 0; i < ev.n; i++)
        assert_null(strstr(ev.data[i], "usage"));
    cJSON *d = cJSON_Parse(ev.data[2]);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "delta"), "stop_reason")->valuestring,
                        "max_tokens");
    cJSON_Delete(d);
    events_free(&ev);
}

static void test_anthropic_json(void **state)
{
    (void)state;
    sim_config c = base_config();
    sim_gen g;
    strbuf sb = STRBUF_INIT;
    make_gen(&g, &c, SIM_API_ANTHROPIC, anthropic_body, "/p");
    sim_anthropic_json(&g, &sb);
    cJSON *o = cJSON_Parse(sb.data);
    assert_non_null(o);
    assert_string_equal(cJSON_GetObjectItem(o, "type")->valuestring, "message");
    const cJSON *content = cJSON_GetObjectItem(o, "content");
    assert_int_equal(cJSON_GetArraySize(content), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 0), "type")->valuestring, "thinking");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 1), "type")->valuestring, "text");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "stop_sequence")));
    assert_int_equal(num(o, "usage.input_tokens"), g.input_tokens - 2);
    assert_int_equal(num(o, "usage.output_tokens"), 9);
    assert_int_equal(num(o, "usage.cache_read_input_tokens"), 2);
    assert_int_equal(num(o, "usage.cache_creation_input_tokens"), 0);
    cJSON_Delete(o);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic_bytes),
        cmocka_unit_test(test_ids_and_created),
        cmocka_unit_test(test_lengths_and_estimate),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_openai_json),
        cmocka_unit_test(test_openai_stream_finish),
        cmocka_unit_test(test_openai_stream_separate),
        cmocka_unit_test(test_openai_stream_never),
        cmocka_unit_test(test_openai_reasoning_split),
        cmocka_unit_test(test_anthropic_variant_a),
        cmocka_unit_test(test_anthropic_variant_b),
        cmocka_unit_test(test_anthropic_variant_c),
        cmocka_unit_test(test_anthropic_zero_tokens_and_no_usage),
        cmocka_unit_test(test_anthropic_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
