/* Tests for lib/sse: the Z.AI streams of ZAI-API.md §3.3 and §4.3 fed whole,
 * byte by byte and split at every offset (also with CRLF and CR line ends),
 * field syntax, dispatch rules, bounds and sse_at_boundary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sse.h"
#include "strbuf.h"

#include "zai_streams.h"

/* Collects dispatched events as "<event>|<data>\x1e" records. */
typedef struct collector {
    strbuf log;
    size_t stop_after; /* 0 = never stop */
    size_t seen;
} collector;

static bool collect(void *ctx, const char *event, size_t event_len, const char *data, size_t data_len)
{
    collector *c = ctx;
    assert_int_equal(strlen(event), event_len); /* both NUL-terminated */
    assert_int_equal(data[data_len], '\0');
    strbuf_append(&c->log, event, event_len);
    strbuf_putc(&c->log, '|');
    strbuf_append(&c->log, data, data_len);
    strbuf_putc(&c->log, '\x1e');
    c->seen++;
    return c->stop_after == 0 || c->seen < c->stop_after;
}

/* Feeds s in the given pieces (cuts are increasing offsets) and returns the
 * collected record string (caller frees). */
static char *run_split(const char *s, size_t len, const size_t *cuts, size_t ncuts, size_t max_line,
                       size_t max_event, sse_status *last, bool *boundary)
{
    collector c = {STRBUF_INIT, 0, 0};
    sse_parser *p = sse_new(max_line, max_event, collect, &c);
    assert_non_null(p);
    size_t from = 0;
    sse_status st = SSE_OK;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : len;
        st = sse_feed(p, s + from, to - from);
        from = to;
    }
    assert_int_equal(sse_events(p), c.seen);
    if (last)
        *last = st;
    if (boundary)
        *boundary = sse_at_boundary(p);
    sse_free(p);
    strbuf_putc(&c.log, '\0'); /* make an empty log a real allocation */
    return strbuf_detach(&c.log, NULL);
}

#define LIT(s) s, sizeof(s) - 1

static char *run_whole(const char *s)
{
    return run_split(s, strlen(s), NULL, 0, 0, 0, NULL, NULL);
}

static size_t count_records(const char *log)
{
    size_t n = 0;
    for (; *log; log++)
        n += *log == '\x1e';
    return n;
}

/* Every 2-way split and byte-at-a-time feeding give the single-feed result. */
static void check_all_splits(const char *s, const char *want)
{
    size_t len = strlen(s);
    for (size_t cut = 0; cut <= len; cut++) {
        bool boundary;
        char *got = run_split(s, len, &cut, 1, 0, 0, NULL, &boundary);
        if (strcmp(got, want) != 0)
            fail_msg("split at %zu differs", cut);
        assert_true(boundary);
        free(got);
    }
    size_t *cuts = malloc(len * sizeof *cuts);
    for (size_t i = 0; i < len; i++)
        cuts[i] = i + 1;
    char *got = run_split(s, len, cuts, len, 0, 0, NULL, NULL);
    assert_string_equal(got, want);
    free(got);
    free(cuts);
}

/* s with every "\n" replaced by eol. */
static char *convert_eol(const char *s, const char *eol)
{
    strbuf sb = STRBUF_INIT;
    for (; *s; s++) {
        if (*s == '\n')
            strbuf_puts(&sb, eol);
        else
            strbuf_putc(&sb, *s);
    }
    return strbuf_detach(&sb, NULL);
}

static void test_openai_stream(void **state)
{
    (void)state;
    char *want = run_whole(openai_stream);
    assert_int_equal(count_records(want), 5);
    assert_memory_equal(want, "|{\"id\":\"20261124100000a1b2c3\"", 29);
    assert_non_null(strstr(want, "\"cached_tokens\":0}}}\x1e|[DONE]\x1e"));
    assert_string_equal(want + strlen(want) - 8, "|[DONE]\x1e");
    check_all_splits(openai_stream, want);
    static const char *const eols[] = {"\r\n", "\r"};
    for (size_t i = 0; i < 2; i++) {
        char *conv = convert_eol(openai_stream, eols[i]);
        check_all_splits(conv, want);
        free(conv);
    }
    free(want);
}

static void test_anthropic_stream(void **state)
{
    (void)state;
    char *want = run_whole(anthropic_stream);
    assert_int_equal(count_records(want), 8);
    assert_memory_equal(want, "message_start|{\"type\":\"message_start\"", 37);
    assert_non_null(strstr(want, "\x1eping|{\"type\":\"ping\"}\x1e"));
    const char *tail = "\x1emessage_stop|{\"type\":\"message_stop\"}\x1e";
    assert_string_equal(want + strlen(want) - strlen(tail), tail);
    check_all_splits(anthropic_stream, want);
    static const char *const eols[] = {"\r\n", "\r"};
    for (size_t i = 0; i < 2; i++) {
        char *conv = convert_eol(anthropic_stream, eols[i]);
        check_all_splits(conv, want);
        free(conv);
    }
    free(want);
}

static void test_field_syntax(void **state)
{
    (void)state;
    char *got = run_whole("data:x\n\n"
                          "data: y\n\n"
                          "data:  two spaces\n\n"
                          "data\n\n"
                          "data:\n\n"
                          ": a comment\n"
                          "data: a\n"
                          ":another\n"
                          "data: b\n"
                          "data\n"
                          "id: 7\n"
                          "retry: 100\n"
                          "unknown: z\n\n"
                          "event: only_event\n\n"
                          "event:tight\n"
                          "data: v:w\n\n"
                          "data: after\n\n");
    assert_string_equal(got, "|x\x1e"
                             "|y\x1e"
                             "| two spaces\x1e"
                             "|\x1e"
                             "|\x1e"
                             "|a\nb\n\x1e"
                             "only_event|\x1e"
                             "tight|v:w\x1e"
                             "|after\x1e");
    free(got);
}

static void test_no_empty_dispatch(void **state)
{
    (void)state;
    char *got = run_whole("\n\n\n: keepalive\n\nid: 1\n\nretry: 5\n\n\r\n\r\r");
    assert_string_equal(got, "");
    free(got);
    /* the last event: field of a block wins; the name resets after dispatch */
    got = run_whole("event: a\nevent: b\ndata: 1\n\ndata: 2\n\n");
    assert_string_equal(got, "b|1\x1e|2\x1e");
    free(got);
}

static void test_cr_lf_across_feeds(void **state)
{
    (void)state;
    /* CR ends one feed, LF starts the next: one line end, not two */
    const char s[] = "data: a\r\ndata: b\r\n\r\n";
    for (size_t cut = 0; cut <= sizeof s - 1; cut++) {
        char *got = run_split(s, sizeof s - 1, &cut, 1, 0, 0, NULL, NULL);
        assert_string_equal(got, "|a\nb\x1e");
        free(got);
    }
    size_t cuts[] = {8, 9};
    char *got = run_split(LIT("data: a\r\n\n"), cuts, 2, 0, 0, NULL, NULL);
    assert_string_equal(got, "|a\x1e");
    free(got);
    /* lone CRs, including one ending a feed followed by a non-LF */
    size_t cut = 8;
    got = run_split(LIT("data: a\rdata: b\r\r"), &cut, 1, 0, 0, NULL, NULL);
    assert_string_equal(got, "|a\nb\x1e");
    free(got);
    /* an empty feed between CR and LF does not lose the pairing */
    collector c = {STRBUF_INIT, 0, 0};
    sse_parser *p = sse_new(0, 0, collect, &c);
    sse_feed(p, "data: a\r", 8);
    sse_feed(p, "", 0);
    sse_feed(p, "\n", 1);
    assert_int_equal(sse_events(p), 0);
    sse_feed(p, "\n", 1);
    assert_int_equal(sse_events(p), 1);
    sse_free(p);
    strbuf_free(&c.log);
}

static void test_boundary(void **state)
{
    (void)state;
    collector c = {STRBUF_INIT, 0, 0};
    sse_parser *p = sse_new(0, 0, collect, &c);
    assert_true(sse_at_boundary(p));
    sse_feed(p, "data: x", 7);
    assert_false(sse_at_boundary(p)); /* partial line */
    sse_feed(p, "\n", 1);
    assert_false(sse_at_boundary(p)); /* undispatched field */
    sse_feed(p, "\n", 1);
    assert_true(sse_at_boundary(p));
    sse_feed(p, ": comment\n", 10);
    assert_true(sse_at_boundary(p)); /* comments are not fields */
    sse_feed(p, "id: 1\n", 6);
    assert_false(sse_at_boundary(p));
    sse_feed(p, "\r", 1);
    assert_true(sse_at_boundary(p));
    sse_feed(p, "\n", 1); /* completes the CRLF, no new line */
    assert_true(sse_at_boundary(p));
    sse_feed(p, "event: e\r", 9);
    assert_false(sse_at_boundary(p));
    assert_int_equal(sse_events(p), 1);
    sse_free(p);
    strbuf_free(&c.log);
}

static void test_line_overflow(void **state)
{
    (void)state;
    sse_status st;
    bool boundary;
    /* exactly max_line bytes is fine */
    char *got = run_split(LIT("data: 0123456789\n\n"), NULL, 0, 16, 0, &st, NULL);
    assert_int_equal(st, SSE_OK);
    assert_string_equal(got, "|0123456789\x1e");
    free(got);
    /* one more byte overflows, even before the line ends */
    got = run_split(LIT("data: 1\n\ndata: 01234567890"), NULL, 0, 16, 0, &st, &boundary);
    assert_int_equal(st, SSE_OVERFLOW);
    assert_false(boundary);
    assert_string_equal(got, "|1\x1e");
    free(got);
    /* a line straddling feeds is bounded as a whole */
    size_t cuts[] = {5, 10, 15};
    got = run_split(LIT("data: 0123456789AB\n\n"), cuts, 3, 16, 0, &st, NULL);
    assert_int_equal(st, SSE_OVERFLOW);
    assert_string_equal(got, "");
    free(got);

    collector c = {STRBUF_INIT, 0, 0};
    sse_parser *p = sse_new(8, 0, collect, &c);
    assert_int_equal(sse_feed(p, "data: 123456789\n\n", 17), SSE_OVERFLOW);
    assert_true(sse_stopped(p));
    assert_int_equal(sse_feed(p, "data: ok\n\n", 10), SSE_OVERFLOW); /* ignored for good */
    assert_int_equal(sse_events(p), 0);
    sse_free(p);
    strbuf_free(&c.log);
}

static void test_event_overflow(void **state)
{
    (void)state;
    sse_status st;
    /* joined data "1234\n12345" is exactly 10 bytes */
    char *got = run_split(LIT("data: 1234\ndata: 12345\n\n"), NULL, 0, 0, 10, &st, NULL);
    assert_int_equal(st, SSE_OK);
    assert_string_equal(got, "|1234\n12345\x1e");
    free(got);
    got = run_split(LIT("data: a\n\ndata: 12345\ndata: 12345\n\ndata: b\n\n"), NULL, 0, 0, 10, &st,
                    NULL);
    assert_int_equal(st, SSE_OVERFLOW);
    assert_string_equal(got, "|a\x1e");
    free(got);
}

static void test_callback_stop(void **state)
{
    (void)state;
    collector c = {STRBUF_INIT, 2, 0};
    sse_parser *p = sse_new(0, 0, collect, &c);
    assert_int_equal(sse_feed(p, anthropic_stream, sizeof anthropic_stream - 1), SSE_OK);
    assert_true(sse_stopped(p));
    assert_int_equal(sse_events(p), 2);
    assert_int_equal(sse_feed(p, "data: x\n\n", 9), SSE_OK);
    assert_int_equal(c.seen, 2);
    sse_free(p);
    strbuf_free(&c.log);
}

static void test_large_event(void **state)
{
    (void)state;
    /* 300 KB of data over 3000 lines: buffers grow past their first size */
    strbuf in = STRBUF_INIT, want = STRBUF_INIT;
    strbuf_puts(&want, "big|");
    strbuf_puts(&in, "event: big\n");
    for (int i = 0; i < 3000; i++) {
        char line[128];
        memset(line, 'a' + i % 26, 99);
        line[99] = '\0';
        strbuf_printf(&in, "data: %s\n", line);
        strbuf_printf(&want, "%s%s", i ? "\n" : "", line);
    }
    strbuf_puts(&in, "\n");
    strbuf_putc(&want, '\x1e');
    char *got = run_whole(in.data);
    assert_string_equal(got, want.data);
    free(got);
    strbuf_free(&in);
    strbuf_free(&want);
}

static void test_nul_and_utf8_bytes(void **state)
{
    (void)state;
    char *got = run_whole("data: caf\xc3\xa9 \xe2\x80\xa6\n\n");
    assert_string_equal(got, "|caf\xc3\xa9 \xe2\x80\xa6\x1e");
    free(got);
    got = run_split(LIT("data: a\0b\n\n"), NULL, 0, 0, 0, NULL, NULL);
    assert_memory_equal(got, "|a\0b\x1e", 5);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openai_stream),
        cmocka_unit_test(test_anthropic_stream),
        cmocka_unit_test(test_field_syntax),
        cmocka_unit_test(test_no_empty_dispatch),
        cmocka_unit_test(test_cr_lf_across_feeds),
        cmocka_unit_test(test_boundary),
        cmocka_unit_test(test_line_overflow),
        cmocka_unit_test(test_event_overflow),
        cmocka_unit_test(test_callback_stop),
        cmocka_unit_test(test_large_event),
        cmocka_unit_test(test_nul_and_utf8_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
