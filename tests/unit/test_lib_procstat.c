/* Tests for lib/procstat: the process_* families are declared once each with
 * plausible values for this very process, and open_fds follows real fds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "procstat.h"

/* The value of the unlabelled sample `name`, asserting it appears once. */
static double sample(const char *text, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *p = strstr(text, key);
    if (!p)
        fail_msg("no sample %s in:\n%s", name, text);
    assert_null(strstr(p + 1, key));
    return strtod(p + strlen(key), NULL);
}

static void assert_family(const char *text, const char *name, const char *type)
{
    char help[128], typeline[128];
    snprintf(help, sizeof help, "# HELP %s ", name);
    snprintf(typeline, sizeof typeline, "# TYPE %s %s\n", name, type);
    const char *h = strstr(text, help);
    assert_non_null(h);
    assert_null(strstr(h + 1, help));
    assert_non_null(strstr(text, typeline));
}

static char *scrape(void)
{
    strbuf sb = STRBUF_INIT;
    procstat_write(&sb);
    assert_false(strbuf_failed(&sb));
    return strbuf_detach(&sb, NULL);
}

static void test_families(void **state)
{
    (void)state;
    char *t = scrape();
    assert_family(t, "process_cpu_seconds_total", "counter");
    assert_family(t, "process_resident_memory_bytes", "gauge");
    assert_family(t, "process_virtual_memory_bytes", "gauge");
    assert_family(t, "process_open_fds", "gauge");
    assert_family(t, "process_max_fds", "gauge");
    assert_family(t, "process_start_time_seconds", "gauge");
    assert_int_equal(t[strlen(t) - 1], '\n');

    double cpu = sample(t, "process_cpu_seconds_total");
    double rss = sample(t, "process_resident_memory_bytes");
    double vsz = sample(t, "process_virtual_memory_bytes");
    double start = sample(t, "process_start_time_seconds");
    double maxfds = sample(t, "process_max_fds");
    assert_true(cpu >= 0 && cpu < 3600);
    assert_true(rss > 100 * 1024);
    assert_true(vsz >= rss);
    /* this process started moments ago (boot time is whole seconds) */
    double now = (double)time(NULL);
    assert_true(start > now - 600 && start <= now + 2);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    assert_true(maxfds == (double)rl.rlim_cur);
    free(t);
}

static void test_open_fds_follow(void **state)
{
    (void)state;
    char *t = scrape();
    double before = sample(t, "process_open_fds");
    free(t);
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = dup(2);
    t = scrape();
    double during = sample(t, "process_open_fds");
    free(t);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    assert_true(during == before + 3);
    assert_true(before >= 0);
}

static void test_rss_bytes(void **state)
{
    (void)state;
    long long a = procstat_rss_bytes();
    assert_true(a > 100 * 1024);
    /* touching 32 MiB grows the resident set by about that much */
    size_t n = 32u << 20;
    char *p = malloc(n);
    assert_non_null(p);
    volatile char *touch = p; /* volatile: the stores must really happen */
    for (size_t i = 0; i < n; i += 4096)
        touch[i] = 1;
    long long b = procstat_rss_bytes();
    assert_true(b - a > (long long)(n / 2));
    char *t = scrape();
    double rss = sample(t, "process_resident_memory_bytes");
    assert_true(rss > (double)b * 0.9 && rss < (double)b * 1.1);
    free(t);
    free(p);
}

static void test_promtool_accepts(void **state)
{
    (void)state;
    if (system("command -v promtool >/dev/null 2>&1") != 0)
        skip();
    char *t = scrape();
    FILE *f = popen("promtool check metrics >/dev/null 2>&1", "w");
    assert_non_null(f);
    fputs(t, f);
    assert_int_equal(pclose(f), 0);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_open_fds_follow),
        cmocka_unit_test(test_rss_bytes),
        cmocka_unit_test(test_promtool_accepts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
