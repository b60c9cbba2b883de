/* ceilstate: the pinned persistence cases of PROXY.md §6.8 in a private
 * temporary directory: exact keys and bytes, exact round trip, no temporary
 * file left behind, mode 0644, every rejection reason, ts/mtime ages, and
 * unwritable paths that fail cleanly without stopping the limiter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include "ceilstate.h"
#include "clock.h"
#include "ratelimit.h"
#include "rng.h"

#define HOUR (3600 * NS_PER_SEC)
/* 2026-09-02T03:00:00.123456789Z */
#define TS ((int64_t)1788318000 * NS_PER_SEC + 123456789)

static char dir[64];
static char path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test_ceilstate.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path, sizeof path, "%s/ceiling.json", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    return rmdir(dir);
}

static int count_tmp_files(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        n += strstr(e->d_name, ".tmp-") != NULL;
    closedir(d);
    return n;
}

static void write_raw(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_raw(const char *p)
{
    static char buf[1024];
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void set_mtime(const char *p, int64_t wall_ns)
{
    struct timespec ts[2] = {{wall_ns / NS_PER_SEC, wall_ns % NS_PER_SEC},
                             {wall_ns / NS_PER_SEC, wall_ns % NS_PER_SEC}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static ceilstate_result load(int64_t now, int64_t max_age, ceilstate *out, char *reason)
{
    reason[0] = '\0';
    return ceilstate_load(path, now, max_age, out, reason);
}

/* ---- save ---- */

static void test_save_exact_bytes_and_round_trip(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX];
    ceilstate s = {30.4, 29.79, TS};
    assert_int_equal(ceilstate_save(path, &s, err), 0);
    assert_string_equal(read_raw(path), "{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00.123456789Z\"}");
    assert_int_equal(count_tmp_files(), 0);
    cJSON *root = cJSON_Parse(read_raw(path));
    assert_non_null(root);
    assert_int_equal(cJSON_GetArraySize(root), 3);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "ceiling"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "hold"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(root, "ts"));
    cJSON_Delete(root);
    ceilstate got;
    char reason[CEILSTATE_MSG_MAX];
    assert_int_equal(load(TS + HOUR, 6 * HOUR, &got, reason), CEILSTATE_OK);
    assert_memory_equal(&got.ceiling, &s.ceiling, sizeof s.ceiling);
    assert_memory_equal(&got.hold, &s.hold, sizeof s.hold);
    assert_int_equal(got.ts_wall_ns, TS);

    /* awkward doubles survive bit for bit; the file is replaced in place */
    static const double vals[] = {0.1 + 0.2, 1.0 / 3, 1e-05, 123456.789, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        s = (ceilstate){vals[i], vals[(i + 1) % 6], TS};
        assert_int_equal(ceilstate_save(path, &s, err), 0);
        assert_int_equal(load(TS, 6 * HOUR, &got, reason), CEILSTATE_OK);
        assert_memory_equal(&got.ceiling, &s.ceiling, sizeof s.ceiling);
        assert_memory_equal(&got.hold, &s.hold, sizeof s.hold);
    }
    assert_int_equal(count_tmp_files(), 0);
}

static void test_save_mode_0644(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX];
    ceilstate s = {10, 9.8, TS};
    mode_t old = umask(077);
    int rc = ceilstate_save(path, &s, err);
    umask(old);
    assert_int_equal(rc, 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_ts_format(void **state)
{
    (void)state;
    strbuf sb = STRBUF_INIT;
    ceilstate s = {9.4, 9.212, (int64_t)1795514400 * NS_PER_SEC};
    ceilstate_format(&s, &sb);
    assert_string_equal(sb.data, "{\"ceiling\":9.4,\"hold\":9.212,\"ts\":\"2026-11-24T10:00:00.000000000Z\"}");
    strbuf_free(&sb);
}

static void test_save_unwritable_paths(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX], p[256];
    ceilstate s = {10, 9.8, TS};
    /* a missing directory is not created */
    snprintf(p, sizeof p, "%s/missing/ceiling.json", dir);
    err[0] = '\0';
    assert_int_equal(ceilstate_save(p, &s, err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
    snprintf(p, sizeof p, "%s/missing", dir);
    assert_int_equal(access(p, F_OK), -1);
    /* a parent that is a file fails even for root */
    write_raw(path, "x");
    snprintf(p, sizeof p, "%s/sub.json", path);
    assert_int_equal(ceilstate_save(p, &s, err), -1);
    assert_int_equal(count_tmp_files(), 0);
}

/* rename onto a non-empty directory fails after the temporary file was
 * written: it must be removed. */
static void test_save_rename_failure_removes_tmp(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX], p[256];
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(p, sizeof p, "%s/keep", path);
    write_raw(p, "x");
    ceilstate s = {10, 9.8, TS};
    assert_int_equal(ceilstate_save(path, &s, err), -1);
    assert_non_null(strstr(err, "rename"));
    assert_int_equal(count_tmp_files(), 0);
    unlink(p);
}

static uint64_t fixed_u64(void *ctx)
{
    (void)ctx;
    return 0x0123456789abcdefull;
}

/* The temporary name is <name>.tmp-<random> next to the target; a file that
 * happens to have that name is neither used nor deleted. */
static void test_tmp_name_collision(void **state)
{
    (void)state;
    rng_source src = {fixed_u64, NULL};
    rng_set_source(&src);
    char tmp[256], err[CEILSTATE_MSG_MAX];
    snprintf(tmp, sizeof tmp, "%s.tmp-0123456789abcdef", path);
    write_raw(tmp, "someone else's");
    ceilstate s = {10, 9.8, TS};
    int rc = ceilstate_save(path, &s, err);
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err, "File exists"));
    assert_string_equal(read_raw(tmp), "someone else's");
    unlink(tmp);
    assert_int_equal(ceilstate_save(path, &s, err), 0);
    rng_set_source(NULL);
    assert_int_equal(count_tmp_files(), 0);
}

/* ---- load ---- */

static void test_load_missing(void **state)
{
    (void)state;
    ceilstate got;
    char reason[CEILSTATE_MSG_MAX];
    assert_int_equal(load(TS, HOUR, &got, reason), CEILSTATE_MISSING);
}

static void test_load_age(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX], reason[CEILSTATE_MSG_MAX];
    ceilstate s = {30.4, 29.79, TS}, got;
    assert_int_equal(ceilstate_save(path, &s, err), 0);
    assert_int_equal(load(TS + 7 * HOUR, 6 * HOUR, &got, reason), CEILSTATE_REJECTED);
    assert_non_null(strstr(reason, "older than"));
    assert_int_equal(load(TS + 6 * HOUR, 6 * HOUR, &got, reason), CEILSTATE_OK);
    assert_int_equal(load(TS + 5 * HOUR, 6 * HOUR, &got, reason), CEILSTATE_OK);
    assert_int_equal(load(TS - HOUR, 6 * HOUR, &got, reason), CEILSTATE_OK); /* clock skew */
}

static void test_load_age_from_mtime(void **state)
{
    (void)state;
    char reason[CEILSTATE_MSG_MAX];
    ceilstate got;
    static const char *const no_ts[] = {
        "{\"ceiling\":30.4,\"hold\":29.79}",
        "{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"0001-01-01T00:00:00Z\"}",
        "{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"\"}",
        "{\"ceiling\":30.4,\"hold\":29.79,\"ts\":null}",
    };
    for (size_t i = 0; i < sizeof no_ts / sizeof *no_ts; i++) {
        write_raw(path, no_ts[i]);
        set_mtime(path, TS - 7 * HOUR);
        assert_int_equal(load(TS, 6 * HOUR, &got, reason), CEILSTATE_REJECTED);
        set_mtime(path, TS - HOUR);
        assert_int_equal(load(TS, 6 * HOUR, &got, reason), CEILSTATE_OK);
        assert_int_equal(got.ts_wall_ns, TS - HOUR);
    }
    /* a present ts wins over the mtime */
    write_raw(path, "{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"2026-09-02T11:00:00.5+08:00\"}");
    set_mtime(path, TS - 10 * HOUR);
    assert_int_equal(load(TS, 6 * HOUR, &got, reason), CEILSTATE_OK);
    assert_int_equal(got.ts_wall_ns, (int64_t)1788318000 * NS_PER_SEC + 500 * NS_PER_MS);
}

static void test_load_rejections(void **state)
{
    (void)state;
    static const struct { const char *text; const char *reason; } t[] = {
        {"{\"ceiling\":30.4,", "not a JSON object"},
        {"garbage", "not a JSON object"},
        {"", "not a JSON object"},
        {"[30.4,29.79]", "not a JSON object"},
        {"{\"ceiling\":0,\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00Z\"}", "ceiling"},
        {"{\"ceiling\":-1,\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00Z\"}", "ceiling"},
        {"{\"ceiling\":\"30\",\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00Z\"}", "ceiling"},
        {"{\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00Z\"}", "ceiling"},
        {"{\"ceiling\":1e999,\"hold\":29.79,\"ts\":\"2026-09-02T03:00:00Z\"}", "ceiling"},
        {"{\"ceiling\":30.4,\"hold\":0,\"ts\":\"2026-09-02T03:00:00Z\"}", "hold"},
        {"{\"ceiling\":30.4,\"hold\":-0.5,\"ts\":\"2026-09-02T03:00:00Z\"}", "hold"},
        {"{\"ceiling\":30.4,\"ts\":\"2026-09-02T03:00:00Z\"}", "hold"},
        {"{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"yesterday\"}", "ts"},
        {"{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"2026-09-02 03:00:00\"}", "ts"},
        {"{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"2026-02-30T03:00:00Z\"}", "ts"},
        {"{\"ceiling\":30.4,\"hold\":29.79,\"ts\":1788318000}", "ts"},
        {"{\"ceiling\":30.4,\"hold\":29.79,\"ts\":\"9999-01-01T00:00:00Z\"}", "ts"},
    };
    char reason[CEILSTATE_MSG_MAX];
    ceilstate got = {0};
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        write_raw(path, t[i].text);
        if (load(TS, 6 * HOUR, &got, reason) != CEILSTATE_REJECTED || !strstr(reason, t[i].reason))
            fail_msg("%s: reason \"%s\", expected one naming %s", t[i].text, reason, t[i].reason);
    }
}

static void test_load_unreadable(void **state)
{
    (void)state;
    char reason[CEILSTATE_MSG_MAX];
    ceilstate got;
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(load(TS, HOUR, &got, reason), CEILSTATE_REJECTED);
    assert_non_null(strstr(reason, "unreadable"));
    rmdir(path);
    /* larger than any real state file */
    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, ' ', 69999);
    big[0] = '{';
    big[69998] = '}';
    big[69999] = '\0';
    write_raw(path, big);
    free(big);
    assert_int_equal(load(TS, HOUR, &got, reason), CEILSTATE_REJECTED);
    assert_non_null(strstr(reason, "unreadable"));
}

static void test_remove(void **state)
{
    (void)state;
    char err[CEILSTATE_MSG_MAX];
    ceilstate s = {10, 9.8, TS};
    assert_int_equal(ceilstate_save(path, &s, err), 0);
    assert_int_equal(ceilstate_remove(path, err), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(ceilstate_remove(path, err), 0); /* missing is fine */
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(ceilstate_remove(path, err), -1);
    assert_non_null(strstr(err, "remove"));
    rmdir(path);
}

/* ---- with the limiter ---- */

/* A failing save does not stop adjustments: the limiter is pure and keeps
 * going; the next snapshot can be written once the path works. */
static void test_unwritable_path_does_not_stop_adjustments(void **state)
{
    (void)state;
    rl_params p = {10, 1, 50, 0.3, 0.02, 10, 30 * NS_PER_SEC};
    int64_t now = 0;
    ratelimit *rl = ratelimit_new(&p, now);
    assert_non_null(rl);
    char bad[256], err[CEILSTATE_MSG_MAX];
    snprintf(bad, sizeof bad, "%s/missing/ceiling.json", dir);
    rl_events ev;
    double rates[3];
    for (int w = 0; w < 3; w++) {
        for (int i = 0; i < 20; i++)
            ratelimit_record_429(rl, now + NS_PER_SEC, TS, &ev);
        for (int i = 0; i < 80; i++)
            ratelimit_record_success(rl, now + NS_PER_SEC, TS, &ev);
        now += 30 * NS_PER_SEC;
        ratelimit_try_adjust(rl, now, TS, &ev);
        assert_true(ev.persist);
        assert_int_equal(ceilstate_save(bad, &ev.snapshot, err), -1);
        rates[w] = ev.rate;
    }
    assert_true(rates[0] < 10 && rates[1] < rates[0] && rates[2] < rates[1]);
    assert_int_equal(ceilstate_save(path, &ev.snapshot, err), 0);
    /* what was written restores the same limiter state */
    ceilstate got;
    char reason[CEILSTATE_MSG_MAX];
    assert_int_equal(load(TS, HOUR, &got, reason), CEILSTATE_OK);
    ratelimit *again = ratelimit_new(&p, now);
    ratelimit_restore(again, &got, now, &ev);
    rl_view a, b;
    ratelimit_view(rl, &a);
    ratelimit_view(again, &b);
    assert_memory_equal(&a.ceiling, &b.ceiling, sizeof a.ceiling);
    assert_memory_equal(&a.rate, &b.rate, sizeof a.rate);
    ratelimit_free(again);
    ratelimit_free(rl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_save_exact_bytes_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_mode_0644, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_unwritable_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_save_rename_failure_removes_tmp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tmp_name_collision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_age_from_mtime, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_path_does_not_stop_adjustments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
