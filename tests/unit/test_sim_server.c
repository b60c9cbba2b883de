/* Tests for the running simulator (sim_start / sim_stop) over real loopback
 * sockets in instant mode: byte-identical answers to identical requests,
 * content types, credentials, the control API, a client that disconnects
 * while the simulator is quiet (counted as cancelled), and a stop with a
 * request still pending. HTTP/1.0 keeps bodies unchunked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sim_int.h"

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_request(int fd, const char *method, const char *path, const char *headers, const char *body)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s %s HTTP/1.0\r\nHost: sim\r\n%sContent-Length: %zu\r\n\r\n%s", method,
                     path, headers, strlen(body), body);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    assert_int_equal(write(fd, buf, (size_t)n), n);
}

/* One request, the whole response (the server closes after HTTP/1.0). */
static void exchange(int port, const char *method, const char *path, const char *headers, const char *body,
                     strbuf *out)
{
    int fd = connect_to(port);
    char buf[8192];
    ssize_t n;
    send_request(fd, method, path, headers, body);
    while ((n = read(fd, buf, sizeof buf)) > 0)
        strbuf_append(out, buf, (size_t)n);
    close(fd);
    assert_non_null(out->data);
}

static const char *body_of(const strbuf *resp)
{
    const char *p = strstr(resp->data, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static sim *start(void)
{
    sim_config c;
    char err[256];
    sim_config_defaults(&c);
    c.listen_port = 0;
    c.ttfb_ns = 0;
    c.tokens_per_sec = 0;
    sim *s = sim_start(&c, err, sizeof err);
    if (!s)
        fail_msg("sim_start: %s", err);
    assert_true(sim_port(s) > 0);
    return s;
}

static cJSON *stats(int port)
{
    strbuf r = STRBUF_INIT;
    exchange(port, "GET", "/sim/stats", "", "", &r);
    cJSON *o = cJSON_Parse(body_of(&r));
    assert_non_null(o);
    strbuf_free(&r);
    return o;
}

static long long stat_num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    assert_true(cJSON_IsNumber(v));
    return (long long)v->valuedouble;
}

static const char chat[] = "{\"model\":\"glm-4.7\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
static const char chat_stream[] =
    "{\"model\":\"glm-4.7\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
static const char bearer[] = "Authorization: Bearer sim-key\r\n";

static void test_identical_requests_identical_bytes(void **state)
{
    (void)state;
    sim *s = start();
    int port = sim_port(s);
    strbuf a = STRBUF_INIT, b = STRBUF_INIT;
    exchange(port, "POST", "/api/paas/v4/chat/completions", bearer, chat, &a);
    exchange(port, "POST", "/api/paas/v4/chat/completions", bearer, chat, &b);
    assert_non_null(strstr(a.data, " 200 "));
    assert_non_null(strstr(a.data, "Content-Type: application/json\r\n"));
    assert_string_equal(body_of(&a), body_of(&b));
    cJSON *o = cJSON_Parse(body_of(&a));
    assert_non_null(o);
    cJSON_Delete(o);

    strbuf_reset(&a);
    strbuf_reset(&b);
    exchange(port, "POST", "/api/coding/paas/v4/chat/completions", bearer, chat_stream, &a);
    exchange(port, "POST", "/api/coding/paas/v4/chat/completions", bearer, chat_stream, &b);
    assert_non_null(strstr(a.data, "Content-Type: text/event-stream;charset=UTF-8\r\n"));
    assert_string_equal(body_of(&a), body_of(&b));
    const char *end = a.data + a.len - strlen("data: [DONE]\n\n");
    assert_string_equal(end, "data: [DONE]\n\n");
    strbuf_free(&a);
    strbuf_free(&b);
    sim_stop(s);
}

static void test_credentials_and_stats(void **state)
{
    (void)state;
    sim *s = start();
    int port = sim_port(s);
    strbuf r = STRBUF_INIT;
    exchange(port, "POST", "/api/paas/v4/chat/completions", "Authorization: Bearer wrong\r\n", chat, &r);
    assert_non_null(strstr(r.data, " 401 "));
    assert_non_null(strstr(body_of(&r), "\"code\":\"1002\""));
    strbuf_reset(&r);
    exchange(port, "POST", "/api/anthropic/v1/messages", "x-api-key: sim-key\r\n", chat, &r);
    assert_non_null(strstr(r.data, " 200 "));
    strbuf_reset(&r);
    exchange(port, "GET", "/api/monitor/usage/quota/limit", "Authorization: nope\r\n", "", &r);
    assert_non_null(strstr(r.data, " 200 "));
    assert_non_null(strstr(body_of(&r), "\"code\":401"));
    strbuf_free(&r);

    cJSON *o = stats(port);
    const cJSON *auth = cJSON_GetObjectItem(o, "auth");
    assert_int_equal(stat_num(auth, "matched"), 1);
    assert_int_equal(stat_num(auth, "mismatched"), 2);
    assert_int_equal(stat_num(o, "served"), 3);
    assert_int_equal(stat_num(o, "in_flight"), 0);
    const cJSON *lr = cJSON_GetObjectItem(o, "last_request");
    assert_string_equal(cJSON_GetObjectItem(lr, "path")->valuestring, "/api/monitor/usage/quota/limit");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(lr, "headers"), "Authorization")->valuestring,
                        "<mismatched>");
    assert_int_equal(stat_num(cJSON_GetObjectItem(o, "errors"), "1002"), 1);
    cJSON_Delete(o);
    sim_stop(s);
}

static void test_script_then_reset(void **state)
{
    (void)state;
    sim *s = start();
    int port = sim_port(s);
    strbuf r = STRBUF_INIT;
    exchange(port, "POST", "/sim/script", "",
             "{\"match\":{\"path_prefix\":\"/api/paas\"},\"responses\":[{\"status\":503,\"body\":\"busy\","
             "\"headers\":{\"Retry-After\":\"3\"}}]}",
             &r);
    assert_non_null(strstr(r.data, " 200 "));
    strbuf_reset(&r);
    exchange(port, "POST", "/api/paas/v4/chat/completions", bearer, chat, &r);
    assert_non_null(strstr(r.data, " 503 "));
    assert_non_null(strstr(r.data, "Retry-After: 3\r\n"));
    assert_string_equal(body_of(&r), "busy");
    strbuf_reset(&r);
    exchange(port, "PUT", "/sim/config", "", "{\"fault\":\"bare-429\"}", &r);
    strbuf_reset(&r);
    exchange(port, "POST", "/api/paas/v4/chat/completions", bearer, chat, &r);
    assert_non_null(strstr(r.data, " 429 "));
    assert_string_equal(body_of(&r), "");
    strbuf_reset(&r);
    exchange(port, "POST", "/sim/reset", "", "", &r);
    strbuf_reset(&r);
    exchange(port, "POST", "/api/paas/v4/chat/completions", bearer, chat, &r);
    assert_non_null(strstr(r.data, " 200 "));
    strbuf_free(&r);
    cJSON *o = stats(port);
    assert_int_equal(stat_num(o, "served"), 1);
    cJSON_Delete(o);
    sim_stop(s);
}

/* Polls until cancelled reaches `want` (bounded), without a fixed sleep. */
static void wait_cancelled(int port, long long want)
{
    struct timespec pause = {0, 5 * 1000000L};
    for (int i = 0; i < 1000; i++) {
        cJSON *o = stats(port);
        long long c = stat_num(o, "cancelled"), f = stat_num(o, "in_flight");
        cJSON_Delete(o);
        if (c == want && f == 0)
            return;
        nanosleep(&pause, NULL);
    }
    fail_msg("cancelled never reached %lld", want);
}

static void test_disconnect_while_quiet_is_cancelled(void **state)
{
    (void)state;
    sim *s = start();
    int port = sim_port(s);
    /* Waiting for the first byte. */
    int fd = connect_to(port);
    send_request(fd, "POST", "/api/paas/v4/chat/completions", "Authorization: Bearer sim-key\r\nX-Sim-TTFB: 60s\r\n",
                 chat);
    close(fd);
    wait_cancelled(port, 1);
    /* Stalled after three chunks. */
    fd = connect_to(port);
    send_request(fd, "POST", "/api/anthropic/v1/messages",
                 "x-api-key: sim-key\r\nX-Sim-Scenario: stall-mid-stream\r\n", chat_stream);
    char buf[256];
    assert_true(read(fd, buf, sizeof buf) > 0);
    close(fd);
    wait_cancelled(port, 2);
    sim_stop(s);
}

static void test_stop_with_pending_request(void **state)
{
    (void)state;
    sim *s = start();
    int fd = connect_to(sim_port(s));
    send_request(fd, "POST", "/api/paas/v4/chat/completions", "Authorization: Bearer sim-key\r\nX-Sim-TTFB: 60s\r\n",
                 chat);
    /* Make sure the request is being answered before stopping. */
    struct timespec pause = {0, 5 * 1000000L};
    long long f = 0;
    for (int i = 0; i < 1000 && f != 1; i++) {
        cJSON *o = stats(sim_port(s));
        f = stat_num(o, "in_flight");
        cJSON_Delete(o);
        if (f != 1)
            nanosleep(&pause, NULL);
    }
    assert_int_equal(f, 1);
    sim_stop(s);
    char buf[64];
    assert_true(read(fd, buf, sizeof buf) <= 0);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_requests_identical_bytes),
        cmocka_unit_test(test_credentials_and_stats),
        cmocka_unit_test(test_script_then_reset),
        cmocka_unit_test(test_disconnect_while_quiet_is_cancelled),
        cmocka_unit_test(test_stop_with_pending_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
