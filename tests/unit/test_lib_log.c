/* Tests for lib/log: exact text and JSON lines on a pipe, escaping, level
 * filtering, 4 KiB truncation with "…", and whole lines under concurrency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define TS "2026-11-24T10:00:00.123Z"
#define ELLIPSIS "\xe2\x80\xa6"

static int64_t fixed_wall(void *ctx)
{
    (void)ctx;
    return 1795514400LL * NS_PER_SEC + 123 * NS_PER_MS;
}

static int64_t fixed_mono(void *ctx)
{
    (void)ctx;
    return 0;
}

typedef struct pipe_fixture {
    int rd, wr;
    char out[65536];
} pipe_fixture;

static int setup(void **state)
{
    static const clock_source src = {fixed_mono, fixed_wall, NULL};
    pipe_fixture *f = calloc(1, sizeof *f);
    int fds[2];
    if (!f || pipe(fds) != 0)
        return -1;
    f->rd = fds[0];
    f->wr = fds[1];
    fcntl(f->rd, F_SETFL, O_NONBLOCK);
    clock_set_source(&src);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_INFO, 2);
    clock_set_source(NULL);
    close(f->rd);
    close(f->wr);
    free(f);
    return 0;
}

/* Everything written to the pipe since the last call. */
static const char *drain(pipe_fixture *f)
{
    size_t n = 0;
    ssize_t r;
    while (n < sizeof f->out - 1 && (r = read(f->rd, f->out + n, sizeof f->out - 1 - n)) > 0)
        n += (size_t)r;
    f->out[n] = '\0';
    return f->out;
}

static void test_text_line(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_DEBUG, f->wr);
    log_rec *r = log_begin(LOG_INFO, "request");
    assert_non_null(r);
    log_str(r, "method", "POST");
    log_str(r, "path", "/v1/messages");
    log_int(r, "status", 200);
    log_ms(r, "duration_ms", 812.44);
    log_ms(r, "queue_ms", 0);
    log_num(r, "ratio", 0.37);
    log_num(r, "big", 1e6);
    log_bool(r, "stream", true);
    log_str(r, "note", "has space");
    log_end(r);
    assert_string_equal(drain(f), TS " INFO  request method=POST path=/v1/messages status=200 "
                                     "duration_ms=812.4 queue_ms=0.0 ratio=0.37 big=1e+06 "
                                     "stream=true note=\"has space\"\n");
}

static void test_text_levels(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_DEBUG, f->wr);
    log_end(log_begin(LOG_DEBUG, "d"));
    log_end(log_begin(LOG_INFO, "i"));
    log_end(log_begin(LOG_WARN, "w"));
    log_end(log_begin(LOG_ERROR, "e"));
    assert_string_equal(drain(f), TS " DEBUG d\n" TS " INFO  i\n" TS " WARN  w\n" TS " ERROR e\n");
}

static void test_text_escaping(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_INFO, f->wr);
    log_rec *r = log_begin(LOG_WARN, "two\nlines \"q\"");
    log_str(r, "q", "say \"hi\"");
    log_str(r, "eq", "a=b");
    log_str(r, "nl", "x\ny");
    log_str(r, "tab", "x\ty");
    log_str(r, "ctl", "x\x01y");
    log_str(r, "bs", "C:\\dir");
    log_str(r, "bsq", "C:\\my dir");
    log_str(r, "empty", "");
    log_str(r, "null", NULL);
    log_strn(r, "cut", "abcdef", 3);
    log_str(r, "utf8", "caf\xc3\xa9");
    log_end(r);
    assert_string_equal(drain(f), TS " WARN  two\\nlines \"q\" q=\"say \\\"hi\\\"\" eq=\"a=b\" "
                                     "nl=\"x\\ny\" tab=\"x\\ty\" ctl=\"x\\u0001y\" bs=C:\\dir "
                                     "bsq=\"C:\\\\my dir\" empty=\"\" null=\"\" cut=abc "
                                     "utf8=caf\xc3\xa9\n");
}

static void test_json_line(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_JSON, LOG_INFO, f->wr);
    log_rec *r = log_begin(LOG_WARN, "upstream \"error\"");
    log_str(r, "request_id", "4f00");
    log_str(r, "esc", "a\\b\n\x02");
    log_int(r, "code", -1302);
    log_ms(r, "ms", 12.25);
    log_num(r, "nan", NAN);
    log_num(r, "x", 2.5);
    log_bool(r, "ok", false);
    log_end(r);
    assert_string_equal(drain(f), "{\"ts\":\"" TS "\",\"level\":\"warn\",\"msg\":\"upstream \\\"error\\\"\","
                                  "\"request_id\":\"4f00\",\"esc\":\"a\\\\b\\n\\u0002\",\"code\":-1302,"
                                  "\"ms\":12.2,\"nan\":null,\"x\":2.5,\"ok\":false}\n");
    log_end(log_begin(LOG_ERROR, "e"));
    assert_string_equal(drain(f), "{\"ts\":\"" TS "\",\"level\":\"error\",\"msg\":\"e\"}\n");
}

static void test_filtering(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_WARN, f->wr);
    assert_false(log_enabled(LOG_INFO));
    assert_true(log_enabled(LOG_WARN));
    log_rec *r = log_begin(LOG_INFO, "dropped");
    assert_null(r);
    /* field calls on a filtered record are no-ops */
    log_str(r, "k", "v");
    log_int(r, "n", 1);
    log_num(r, "x", 1);
    log_ms(r, "m", 1);
    log_bool(r, "b", true);
    log_end(r);
    log_msgf(LOG_DEBUG, "dropped %d", 1);
    log_msgf(LOG_ERROR, "kept %d of %s", 2, "three");
    assert_string_equal(drain(f), TS " ERROR kept 2 of three\n");
}

static void test_nested_record_dropped(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_INFO, f->wr);
    log_rec *outer = log_begin(LOG_INFO, "outer");
    log_int(outer, "a", 1);
    assert_null(log_begin(LOG_ERROR, "inner"));
    log_msgf(LOG_ERROR, "inner %d", 2);
    log_int(outer, "b", 2);
    log_end(outer);
    log_end(log_begin(LOG_INFO, "next"));
    assert_string_equal(drain(f), TS " INFO  outer a=1 b=2\n" TS " INFO  next\n");
}

static void test_msgf(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_JSON, LOG_INFO, f->wr);
    log_msgf(LOG_INFO, "listening on %s (%d threads)", "0.0.0.0:8080", 2);
    assert_string_equal(drain(f), "{\"ts\":\"" TS "\",\"level\":\"info\",\"msg\":\"listening on "
                                  "0.0.0.0:8080 (2 threads)\"}\n");
}

static void assert_line_shape(const char *s, size_t max)
{
    size_t n = strlen(s);
    assert_true(n <= max);
    assert_int_equal(s[n - 1], '\n');
    assert_null(memchr(s, '\n', n - 1)); /* one line */
}

static void test_text_truncation(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_TEXT, LOG_INFO, f->wr);
    char *big = malloc(6001);
    memset(big, 'a', 6000);
    big[6000] = '\0';

    log_rec *r = log_begin(LOG_INFO, "big");
    log_str(r, "v", big);
    log_int(r, "after", 1);
    log_end(r);
    const char *out = drain(f);
    assert_line_shape(out, 4096);
    assert_int_equal(strlen(out), 4096 - 1); /* 4091 bytes, "…", "\n" */
    assert_memory_equal(out, TS " INFO  big v=aaaa", 41);
    assert_string_equal(out + strlen(out) - 5, "a" ELLIPSIS "\n");
    assert_null(strstr(out, "after="));

    big[10] = ' '; /* quoted value: the cut closes the quote */
    r = log_begin(LOG_INFO, "big");
    log_str(r, "v", big);
    log_end(r);
    out = drain(f);
    assert_int_equal(strlen(out), 4096);
    assert_string_equal(out + strlen(out) - 6, "a" ELLIPSIS "\"\n");

    /* a two-byte character is never split by the cut */
    for (int i = 0; i + 1 < 6000; i += 2)
        memcpy(big + i, "\xc3\xa9", 2);
    r = log_begin(LOG_INFO, "utf8");
    log_str(r, "v", big);
    log_end(r);
    out = drain(f);
    assert_line_shape(out, 4096);
    size_t n = strlen(out);
    assert_memory_equal(out + n - 6, "\xc3\xa9" ELLIPSIS "\n", 6);
    free(big);
}

static void test_json_truncation(void **state)
{
    pipe_fixture *f = *state;
    log_setup(LOG_FORMAT_JSON, LOG_INFO, f->wr);
    char *big = malloc(6001);
    memset(big, 'b', 6000);
    big[6000] = '\0';
    big[3] = '"';

    log_rec *r = log_begin(LOG_INFO, "big");
    log_int(r, "before", 7);
    log_str(r, "v", big);
    log_int(r, "after", 1);
    log_end(r);
    const char *out = drain(f);
    assert_line_shape(out, 4096);
    assert_string_equal(out + strlen(out) - 7, "b" ELLIPSIS "\"}\n");
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "msg")->valuestring, "big");
    assert_int_equal(cJSON_GetObjectItem(j, "before")->valueint, 7);
    const char *v = cJSON_GetObjectItem(j, "v")->valuestring;
    assert_memory_equal(v, "bbb\"bbb", 7);
    assert_null(cJSON_GetObjectItem(j, "after"));
    cJSON_Delete(j);

    /* a cut between fields drops the partial field and stays valid JSON */
    r = log_begin(LOG_INFO, "many");
    int i;
    char key[16];
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        log_int(r, key, 123456789);
    }
    log_end(r);
    out = drain(f);
    assert_line_shape(out, 4096);
    j = cJSON_Parse(out);
    assert_non_null(j);
    int fields = cJSON_GetArraySize(j);
    assert_true(fields > 100 && fields < 1000);
    snprintf(key, sizeof key, "k%d", fields - 4); /* ts, level, msg precede k0 */
    assert_int_equal(cJSON_GetObjectItem(j, key)->valueint, 123456789);
    cJSON_Delete(j);
    free(big);
}

static void test_parse_helpers(void **state)
{
    (void)state;
    log_level l;
    log_format fm;
    assert_true(log_parse_level("DEBUG", &l));
    assert_int_equal(l, LOG_DEBUG);
    assert_true(log_parse_level("Warn", &l));
    assert_int_equal(l, LOG_WARN);
    assert_true(log_parse_level("error", &l));
    assert_int_equal(l, LOG_ERROR);
    assert_false(log_parse_level("verbose", &l));
    assert_false(log_parse_level("", &l));
    assert_true(log_parse_format("JSON", &fm));
    assert_int_equal(fm, LOG_FORMAT_JSON);
    assert_true(log_parse_format("text", &fm));
    assert_int_equal(fm, LOG_FORMAT_TEXT);
    assert_false(log_parse_format("logfmt", &fm));
}

#define THREADS 4
#define LINES 500

static void *log_thread(void *arg)
{
    int id = (int)(intptr_t)arg;
    char pad[300];
    memset(pad, 'a' + id, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < LINES; i++) {
        log_rec *r = log_begin(LOG_INFO, "t");
        log_int(r, "id", id);
        log_int(r, "i", i);
        log_str(r, "pad", pad);
        log_end(r);
    }
    return NULL;
}

/* Lines from concurrent threads arrive whole: one write(2) each. */
static void test_concurrent_lines(void **state)
{
    (void)state;
    char path[] = "/tmp/test_lib_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fcntl(fd, F_SETFL, O_APPEND);
    log_setup(LOG_FORMAT_TEXT, LOG_INFO, fd);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, log_thread, (void *)(intptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);

    FILE *in = fdopen(fd, "r");
    rewind(in);
    char line[1024];
    int next[THREADS] = {0};
    int total = 0;
    while (fgets(line, sizeof line, in)) {
        int id, i;
        char pad[400];
        assert_int_equal(sscanf(line, TS " INFO  t id=%d i=%d pad=%399s", &id, &i, pad), 3);
        assert_true(id >= 0 && id < THREADS);
        assert_int_equal(i, next[id]++); /* per-thread order kept */
        assert_int_equal(strlen(pad), 299);
        assert_int_equal(strspn(pad, (char[]){(char)('a' + id), 0}), 299);
        total++;
    }
    assert_int_equal(total, THREADS * LINES);
    fclose(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_text_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_escaping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filtering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_record_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_msgf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_truncation, setup, teardown),
        cmocka_unit_test(test_parse_helpers),
        cmocka_unit_test_setup_teardown(test_concurrent_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
