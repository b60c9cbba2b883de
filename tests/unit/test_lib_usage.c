/* Tests for lib/usage: non-streaming bodies and the example streams of
 * ZAI-API.md §3.3 and §4.3, the Anthropic usage variants A/B/C, OpenAI cached
 * tokens and the separate empty-choices usage chunk, "reported" rules, text
 * collection and its cap, malformed events, SSE syntax variants, overflow,
 * and chunking independence (byte by byte and every 2-way split). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "usage.h"

#include "zai_streams.h"

/* Everything a stream yields, for comparing runs. */
typedef struct outcome {
    usage_counts c;
    bool reported;
    bool overflowed;
    char *text;
    size_t text_len, dropped;
} outcome;

static void outcome_take(usage_stream *s, outcome *o)
{
    const char *t;
    memset(o, 0, sizeof *o);
    o->reported = usage_stream_result(s, &o->c);
    o->overflowed = usage_stream_overflowed(s);
    t = usage_stream_text(s, &o->text_len, &o->dropped);
    assert_non_null(t);
    assert_int_equal(t[o->text_len], '\0');
    o->text = malloc(o->text_len + 1);
    assert_non_null(o->text);
    memcpy(o->text, t, o->text_len + 1);
    usage_stream_free(s);
}

/* Feeds `in` in pieces of `step` bytes (0 = all at once). */
static void run_stepped(usage_format f, const char *in, size_t len, size_t step, outcome *o)
{
    usage_stream *s = usage_stream_new(f);
    assert_non_null(s);
    if (step == 0)
        step = len ? len : 1;
    for (size_t off = 0; off < len; off += step)
        usage_stream_feed(s, in + off, len - off < step ? len - off : step);
    outcome_take(s, o);
}

static void run_split(usage_format f, const char *in, size_t len, size_t cut, outcome *o)
{
    usage_stream *s = usage_stream_new(f);
    assert_non_null(s);
    usage_stream_feed(s, in, cut);
    usage_stream_feed(s, in + cut, len - cut);
    outcome_take(s, o);
}

static void run(usage_format f, const char *in, outcome *o)
{
    run_stepped(f, in, strlen(in), 0, o);
}

static void outcome_free(outcome *o)
{
    free(o->text);
    o->text = NULL;
}

static void assert_counts_equal(const usage_counts *a, const usage_counts *b)
{
    assert_int_equal(a->input, b->input);
    assert_int_equal(a->output, b->output);
    assert_int_equal(a->cache_read, b->cache_read);
    assert_int_equal(a->cache_write, b->cache_write);
    assert_int_equal(a->has_input, b->has_input);
    assert_int_equal(a->has_output, b->has_output);
    assert_int_equal(a->has_cache_read, b->has_cache_read);
    assert_int_equal(a->has_cache_write, b->has_cache_write);
}

static void assert_outcome_equal(const outcome *a, const outcome *b)
{
    assert_counts_equal(&a->c, &b->c);
    assert_int_equal(a->reported, b->reported);
    assert_int_equal(a->overflowed, b->overflowed);
    assert_int_equal(a->text_len, b->text_len);
    assert_int_equal(a->dropped, b->dropped);
    assert_memory_equal(a->text, b->text, a->text_len);
}

static void assert_counts(const usage_counts *c, long long in, long long out,
                          long long cr, long long cw)
{
    assert_int_equal(c->input, in);
    assert_int_equal(c->output, out);
    assert_int_equal(c->cache_read, cr);
    assert_int_equal(c->cache_write, cw);
}

/* Replaces every "\n" with `eol` and optionally "data: " with "data:". */
static char *respell(const char *in, const char *eol, bool nospace)
{
    strbuf sb = STRBUF_INIT;
    for (const char *p = in; *p; p++) {
        if (*p == '\n')
            strbuf_puts(&sb, eol);
        else if (nospace && strncmp(p, "data: ", 6) == 0) {
            strbuf_puts(&sb, "data:");
            p += 5;
        } else
            strbuf_putc(&sb, *p);
    }
    assert_false(strbuf_failed(&sb));
    return strbuf_detach(&sb, NULL);
}

/* ---- non-streaming bodies ---------------------------------------------- */

static void test_json_openai_spec(void **state)
{
    (void)state;
    /* ZAI-API.md §3.2 */
    static const char body[] =
        "{\"id\":\"20261124100000a1b2c3\",\"created\":1763978400,\"model\":\"glm-4.7\",\"object\":\"chat.completion\","
        "\"choices\":[{\"index\":0,\"finish_reason\":\"stop\","
        "\"message\":{\"role\":\"assistant\",\"content\":\"Hello!\",\"reasoning_content\":\"The user wants a greeting.\"}}],"
        "\"usage\":{\"prompt_tokens\":14,\"completion_tokens\":12,\"total_tokens\":26,"
        "\"prompt_tokens_details\":{\"cached_tokens\":0}}}";
    usage_counts c;
    assert_true(usage_from_json(USAGE_OPENAI, body, strlen(body), &c));
    assert_counts(&c, 14, 12, 0, 0);
    assert_true(c.has_input && c.has_output && c.has_cache_read);
}

static void test_json_openai_cached(void **state)
{
    (void)state;
    static const char body[] =
        "{\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":7,"
        "\"prompt_tokens_details\":{\"cached_tokens\":40}}}";
    static const char no_details[] = "{\"usage\":{\"prompt_tokens\":100,\"completion_tokens\":7}}";
    static const char over[] =
        "{\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":7,"
        "\"prompt_tokens_details\":{\"cached_tokens\":40}}}";
    usage_counts c;
    assert_true(usage_from_json(USAGE_OPENAI, body, strlen(body), &c));
    assert_counts(&c, 60, 7, 40, 0);
    assert_true(usage_from_json(USAGE_OPENAI, no_details, strlen(no_details), &c));
    assert_counts(&c, 100, 7, 0, 0);
    assert_true(usage_from_json(USAGE_OPENAI, over, strlen(over), &c));
    assert_counts(&c, 0, 7, 40, 0);
}

static void test_json_anthropic(void **state)
{
    (void)state;
    /* ZAI-API.md §4.2 */
    static const char body[] =
        "{\"id\":\"msg_20261124100000a1b2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"glm-4.7\","
        "\"content\":[{\"type\":\"thinking\",\"thinking\":\"Greeting.\"},{\"type\":\"text\",\"text\":\"Hello!\"}],"
        "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
        "\"usage\":{\"input_tokens\":14,\"output_tokens\":9,"
        "\"cache_read_input_tokens\":0,\"cache_creation_input_tokens\":0}}";
    static const char cached[] =
        "{\"usage\":{\"input_tokens\":3,\"output_tokens\":9,"
        "\"cache_read_input_tokens\":50,\"cache_creation_input_tokens\":20}}";
    static const char partial[] = "{\"usage\":{\"input_tokens\":3,\"output_tokens\":9}}";
    usage_counts c;
    assert_true(usage_from_json(USAGE_ANTHROPIC, body, strlen(body), &c));
    assert_counts(&c, 14, 9, 0, 0);
    assert_true(usage_from_json(USAGE_ANTHROPIC, cached, strlen(cached), &c));
    assert_counts(&c, 3, 9, 50, 20);
    assert_true(c.has_cache_read && c.has_cache_write);
    assert_true(usage_from_json(USAGE_ANTHROPIC, partial, strlen(partial), &c));
    assert_counts(&c, 3, 9, 0, 0);
    assert_true(c.has_input && c.has_output);
    assert_false(c.has_cache_read || c.has_cache_write);
}

static void test_json_not_reported(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"choices\":[]}",
        "{\"usage\":null}",
        "{\"usage\":{}}",
        "{\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}",
        "{\"usage\":{\"input_tokens\":0,\"output_tokens\":0}}",
        "{\"usage\":{\"prompt_tokens\":\"14\",\"completion_tokens\":null}}",
        "{\"usage\":{\"prompt_tokens\":14,",
        "not json",
        "",
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        usage_counts c;
        memset(&c, 0x5a, sizeof c);
        assert_false(usage_from_json(USAGE_OPENAI, bodies[i], strlen(bodies[i]), &c));
        assert_false(usage_from_json(USAGE_ANTHROPIC, bodies[i], strlen(bodies[i]), &c));
        assert_int_equal(c.input + c.output, 0);
    }
}

/* The body need not be NUL-terminated: only len bytes are read. */
static void test_json_length_bounded(void **state)
{
    (void)state;
    static const char body[] = "{\"usage\":{\"input_tokens\":4,\"output_tokens\":2}}GARBAGE";
    usage_counts c;
    assert_true(usage_from_json(USAGE_ANTHROPIC, body, strlen(body) - 7, &c));
    assert_counts(&c, 4, 2, 0, 0);
}

/* ---- OpenAI streams ------------------------------------------------------ */

static void test_openai_stream_spec(void **state)
{
    (void)state;
    outcome o;
    run(USAGE_OPENAI, openai_stream, &o);
    assert_true(o.reported);
    assert_false(o.overflowed);
    assert_counts(&o.c, 14, 5, 0, 0);
    assert_string_equal(o.text, "Greeting.Hello!");
    assert_int_equal(o.dropped, 0);
    outcome_free(&o);
}

/* OpenAI's convention: usage:null on content chunks, then a separate chunk
 * with empty choices carrying usage, then [DONE]. */
static void test_openai_stream_separate_usage_chunk(void **state)
{
    (void)state;
    static const char in[] =
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}],\"usage\":null}\n\n"
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":2,"
        "\"prompt_tokens_details\":{\"cached_tokens\":10}}}\n\n"
        "data: [DONE]\n\n";
    outcome o;
    run(USAGE_OPENAI, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 20, 2, 10, 0);
    assert_string_equal(o.text, "Hi");
    outcome_free(&o);
}

/* The last usage object wins; values are never summed. */
static void test_openai_stream_last_usage_wins(void **state)
{
    (void)state;
    static const char in[] =
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":2}}\n\n"
        "data: {\"choices\":[],\"usage\":null}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":31,\"completion_tokens\":9}}\n\n";
    outcome o;
    run(USAGE_OPENAI, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 31, 9, 0, 0);
    outcome_free(&o);
}

static void test_openai_stream_tool_calls_text(void **state)
{
    (void)state;
    static const char in[] =
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]}}]}\n\n"
        "data: [DONE]\n\n";
    outcome o;
    run(USAGE_OPENAI, in, &o);
    assert_false(o.reported);
    assert_string_equal(o.text, "{\"city\":\"Paris\"}");
    outcome_free(&o);
}

static void test_openai_stream_no_or_zero_usage(void **state)
{
    (void)state;
    static const char none[] =
        "data: {\"choices\":[{\"delta\":{\"content\":\"abc\"}}]}\n\ndata: [DONE]\n\n";
    static const char zero[] =
        "data: {\"choices\":[{\"delta\":{\"content\":\"abc\"}}],"
        "\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,\"total_tokens\":0}}\n\ndata: [DONE]\n\n";
    outcome o;
    run(USAGE_OPENAI, none, &o);
    assert_false(o.reported);
    assert_counts(&o.c, 0, 0, 0, 0);
    assert_false(o.c.has_input || o.c.has_output);
    assert_string_equal(o.text, "abc");
    outcome_free(&o);
    run(USAGE_OPENAI, zero, &o);
    assert_false(o.reported);
    assert_counts(&o.c, 0, 0, 0, 0);
    assert_string_equal(o.text, "abc");
    outcome_free(&o);
}

/* ---- Anthropic streams --------------------------------------------------- */

static void test_anthropic_stream_spec(void **state)
{
    (void)state;
    outcome o;
    run(USAGE_ANTHROPIC, anthropic_stream, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 14, 5, 0, 0);
    assert_true(o.c.has_input && o.c.has_output && o.c.has_cache_read);
    assert_false(o.c.has_cache_write);
    assert_string_equal(o.text, "Hello!");
    outcome_free(&o);
}

#define MSG_START(usage) \
    "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"glm-4.7\",\"usage\":" usage "}}\n\n"
#define MSG_DELTA(usage) \
    "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":" usage "}\n\n"
#define MSG_STOP "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"

/* Variant A: real input and cache fields at the start, output only later. */
static void test_anthropic_variant_a(void **state)
{
    (void)state;
    static const char in[] =
        MSG_START("{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":7,\"output_tokens\":1}")
        MSG_DELTA("{\"output_tokens\":30}")
        MSG_STOP;
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 20, 30, 5, 7);
    assert_true(o.c.has_cache_write);
    outcome_free(&o);
}

/* Variant B: zeros at the start, everything in message_delta. */
static void test_anthropic_variant_b(void **state)
{
    (void)state;
    static const char in[] =
        MSG_START("{\"input_tokens\":0,\"output_tokens\":0}")
        MSG_DELTA("{\"input_tokens\":20,\"output_tokens\":30,\"cache_read_input_tokens\":5,\"cache_creation_input_tokens\":7}")
        MSG_STOP;
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 20, 30, 5, 7);
    outcome_free(&o);
}

/* Variant C: real values repeated cumulatively; the last carrier wins per
 * field and nothing is summed. */
static void test_anthropic_variant_c(void **state)
{
    (void)state;
    static const char in[] =
        MSG_START("{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"output_tokens\":1}")
        MSG_DELTA("{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"output_tokens\":12}")
        MSG_DELTA("{\"input_tokens\":21,\"output_tokens\":30}")
        MSG_STOP;
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 21, 30, 5, 0);
    assert_false(o.c.has_cache_write);
    outcome_free(&o);
}

/* An interrupted stream keeps what message_start reported (§9.6). */
static void test_anthropic_interrupted(void **state)
{
    (void)state;
    static const char in[] =
        MSG_START("{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"output_tokens\":1}")
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"partial\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_del";
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 20, 1, 5, 0);
    assert_true(o.c.has_input && o.c.has_cache_read);
    assert_string_equal(o.text, "partial");
    outcome_free(&o);
}

static void test_anthropic_zero_usage(void **state)
{
    (void)state;
    static const char in[] =
        MSG_START("{\"input_tokens\":0,\"output_tokens\":0}")
        MSG_DELTA("{\"output_tokens\":0}")
        MSG_STOP;
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_false(o.reported);
    assert_counts(&o.c, 0, 0, 0, 0);
    outcome_free(&o);
}

static void test_anthropic_text_kinds(void **state)
{
    (void)state;
    static const char in[] =
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm. \"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
        "\"delta\":{\"type\":\"signature_delta\",\"signature\":\"SIG\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,"
        "\"delta\":{\"type\":\"text_delta\",\"text\":\"Calling. \"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,"
        "\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"q\\\":1}\"}}\n\n";
    outcome o;
    run(USAGE_ANTHROPIC, in, &o);
    assert_false(o.reported);
    assert_string_equal(o.text, "Hmm. Calling. {\"q\":1}");
    outcome_free(&o);
}

/* ---- robustness and SSE syntax ----------------------------------------- */

static void test_malformed_events_skipped(void **state)
{
    (void)state;
    static const char oa[] =
        "data: {\"choices\":[{\"delta\":{\"content\":\"A\"}}]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":\"X\"}}],\"usage\":{\"prompt_tokens\":99\n\n"
        "data: [1,2,3]\n\n"
        "data: \"usage\"\n\n"
        "data: {\"choices\":\"nope\",\"usage\":[1]}\n\n"
        "data: {\"choices\":[{\"delta\":{\"content\":7}},{\"delta\":{\"content\":\"B\"}}],"
        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}\n\n"
        "event: x\n\n"
        "data: [DONE]\n\n";
    static const char an[] =
        MSG_START("{\"input_tokens\":8,\"output_tokens\":1}")
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":77\n\n"
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":\"lots\"}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":\"text\"}\n\n"
        "event: content_block_delta\ndata: {\"type\":7,\"delta\":{\"text\":\"ok\"}}\n\n"
        MSG_DELTA("{\"output_tokens\":6}")
        MSG_STOP;
    outcome o;
    run(USAGE_OPENAI, oa, &o);
    assert_true(o.reported);
    assert_false(o.overflowed);
    assert_counts(&o.c, 3, 4, 0, 0);
    assert_string_equal(o.text, "AB");
    outcome_free(&o);
    /* A non-string `type` falls back to the SSE event name. */
    run(USAGE_ANTHROPIC, an, &o);
    assert_true(o.reported);
    assert_counts(&o.c, 8, 6, 0, 0);
    assert_string_equal(o.text, "ok");
    outcome_free(&o);
}

/* "data:" without a space, CRLF and lone-CR line ends give the same result. */
static void test_sse_spellings(void **state)
{
    (void)state;
    static const char *const eols[] = {"\n", "\r\n", "\r"};
    const struct { usage_format f; const char *in; } cases[] = {
        {USAGE_OPENAI, openai_stream}, {USAGE_ANTHROPIC, anthropic_stream},
    };
    for (size_t i = 0; i < 2; i++) {
        outcome ref;
        run(cases[i].f, cases[i].in, &ref);
        assert_true(ref.reported);
        for (size_t e = 0; e < 3; e++) {
            for (int nospace = 0; nospace < 2; nospace++) {
                char *in = respell(cases[i].in, eols[e], nospace);
                outcome o;
                run(cases[i].f, in, &o);
                assert_outcome_equal(&ref, &o);
                outcome_free(&o);
                free(in);
            }
        }
        outcome_free(&ref);
    }
}

static void check_all_chunkings(usage_format f, const char *in)
{
    size_t len = strlen(in);
    outcome ref, o;
    run(f, in, &ref);
    run_stepped(f, in, len, 1, &o);
    assert_outcome_equal(&ref, &o);
    outcome_free(&o);
    for (size_t cut = 0; cut <= len; cut++) {
        run_split(f, in, len, cut, &o);
        assert_outcome_equal(&ref, &o);
        outcome_free(&o);
    }
    outcome_free(&ref);
}

static void test_chunking_independent(void **state)
{
    (void)state;
    static const char variant_c[] =
        MSG_START("{\"input_tokens\":20,\"cache_read_input_tokens\":5,\"output_tokens\":1}")
        MSG_DELTA("{\"input_tokens\":20,\"output_tokens\":12}")
        MSG_DELTA("{\"output_tokens\":30}")
        MSG_STOP;
    check_all_chunkings(USAGE_OPENAI, openai_stream);
    check_all_chunkings(USAGE_ANTHROPIC, anthropic_stream);
    check_all_chunkings(USAGE_ANTHROPIC, variant_c);
    char *crlf = respell(openai_stream, "\r\n", true);
    check_all_chunkings(USAGE_OPENAI, crlf);
    free(crlf);
    crlf = respell(anthropic_stream, "\r\n", false);
    check_all_chunkings(USAGE_ANTHROPIC, crlf);
    free(crlf);
}

/* A line beyond the SSE bound stops the parser: usage is not reported even
 * if it arrives later, and the text collected before is kept. */
static void test_overflow_not_reported(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    strbuf_puts(&sb, MSG_START("{\"input_tokens\":20,\"output_tokens\":1}"));
    strbuf_puts(&sb, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                     "\"delta\":{\"type\":\"text_delta\",\"text\":\"before\"}}\n\n");
    strbuf_puts(&sb, "data: \"");
    for (size_t i = 0; i < (1u << 20) + 16; i++)
        strbuf_putc(&sb, 'x');
    strbuf_puts(&sb, "\"\n\n");
    strbuf_puts(&sb, MSG_DELTA("{\"output_tokens\":30}"));
    assert_false(strbuf_failed(&sb));

    outcome o;
    run_stepped(USAGE_ANTHROPIC, sb.data, sb.len, 4096, &o);
    assert_true(o.overflowed);
    assert_false(o.reported);
    assert_counts(&o.c, 0, 0, 0, 0);
    assert_false(o.c.has_input || o.c.has_output);
    assert_string_equal(o.text, "before");
    outcome_free(&o);
    strbuf_free(&sb);
}

/* Text beyond USAGE_TEXT_CAP is counted, not kept. */
static void test_text_cap(void **state)
{
    (void)state;
    enum { PIECE = 900000, PIECES = 10 };
    char *piece = malloc(PIECE + 1);
    assert_non_null(piece);
    usage_stream *s = usage_stream_new(USAGE_OPENAI);
    assert_non_null(s);
    for (size_t i = 0; i < PIECES; i++) {
        static const char head[] = "data: {\"choices\":[{\"delta\":{\"content\":\"";
        static const char tail[] = "\"}}]}\n\n";
        memset(piece, 'a' + (int)i, PIECE);
        usage_stream_feed(s, head, sizeof head - 1);
        usage_stream_feed(s, piece, PIECE);
        usage_stream_feed(s, tail, sizeof tail - 1);
    }
    size_t len, dropped;
    const char *t = usage_stream_text(s, &len, &dropped);
    assert_false(usage_stream_overflowed(s));
    assert_int_equal(len, USAGE_TEXT_CAP);
    assert_int_equal(dropped, (size_t)PIECE * PIECES - USAGE_TEXT_CAP);
    assert_int_equal(t[0], 'a');
    assert_int_equal(t[PIECE], 'b');
    assert_int_equal(t[USAGE_TEXT_CAP - 1], 'a' + (USAGE_TEXT_CAP - 1) / PIECE);
    assert_int_equal(t[len], '\0');
    usage_stream_free(s);
    free(piece);
}

static void test_empty_stream(void **state)
{
    (void)state;
    usage_stream *s = usage_stream_new(USAGE_ANTHROPIC);
    assert_non_null(s);
    usage_counts c;
    size_t len = 1, dropped = 1;
    assert_false(usage_stream_result(s, &c));
    assert_counts(&c, 0, 0, 0, 0);
    assert_string_equal(usage_stream_text(s, &len, &dropped), "");
    assert_int_equal(len, 0);
    assert_int_equal(dropped, 0);
    usage_stream_free(s);
    usage_stream_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_openai_spec),
        cmocka_unit_test(test_json_openai_cached),
        cmocka_unit_test(test_json_anthropic),
        cmocka_unit_test(test_json_not_reported),
        cmocka_unit_test(test_json_length_bounded),
        cmocka_unit_test(test_openai_stream_spec),
        cmocka_unit_test(test_openai_stream_separate_usage_chunk),
        cmocka_unit_test(test_openai_stream_last_usage_wins),
        cmocka_unit_test(test_openai_stream_tool_calls_text),
        cmocka_unit_test(test_openai_stream_no_or_zero_usage),
        cmocka_unit_test(test_anthropic_stream_spec),
        cmocka_unit_test(test_anthropic_variant_a),
        cmocka_unit_test(test_anthropic_variant_b),
        cmocka_unit_test(test_anthropic_variant_c),
        cmocka_unit_test(test_anthropic_interrupted),
        cmocka_unit_test(test_anthropic_zero_usage),
        cmocka_unit_test(test_anthropic_text_kinds),
        cmocka_unit_test(test_malformed_events_skipped),
        cmocka_unit_test(test_sse_spellings),
        cmocka_unit_test(test_chunking_independent),
        cmocka_unit_test(test_overflow_not_reported),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_empty_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
