/* Tests for lib/tokenizer and lib/bpe: the reference counts of PROXY.md §9.7,
 * the fallback rule, loading errors (missing file, digest mismatch,
 * malformed lines), the merge rules on small hand-made rank files (lowest
 * rank first, leftmost on a tie, whole-piece lookup, the long-piece heap),
 * U+FFFD replacement, threads, and parity with the npm tiktoken package:
 * node runs tests/tokenizer/make-golden.mjs, which writes the ids tiktoken
 * gives for a corpus of edge cases in both encodings, and every id must
 * match. Paths: ZAI_TOKENIZER_DIR (rank files) and ZAI_TOKENIZER_GOLDEN (a
 * golden file to use instead of running node), else the build-tree defaults
 * compiled in by CMakeLists.txt. A missing rank file, node package or golden
 * file fails the test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpe.h"
#include "tokenizer.h"

extern char **environ;

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static tokenizer *load(tokenizer_enc enc)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s.tiktoken",
             env_or("ZAI_TOKENIZER_DIR", ZAI_TOKENIZER_DIR_DEFAULT), tokenizer_enc_name(enc));
    tokenizer *t = tokenizer_load(enc, path, true, err, sizeof err);
    if (!t)
        fail_msg("cannot load %s (build the tokenizer-data target): %s", path, err);
    return t;
}

static size_t encode(const tokenizer *t, const char *s, size_t n, uint32_t *ids, size_t cap)
{
    size_t total = tokenizer_encode(t, s, n, ids, cap);
    assert_int_not_equal(total, SIZE_MAX);
    assert_int_equal(tokenizer_count(t, s, n), total);
    return total;
}

static size_t count(const tokenizer *t, const char *s)
{
    return tokenizer_count(t, s, strlen(s));
}

/* ---- reference counts, fallback, names ----------------------------------- */

static void test_reference_counts(void **state)
{
    (void)state;
    tokenizer *t = load(TOKENIZER_ENC_CL100K);
    assert_int_equal(count(t, "Hello, world!"), 4);
    assert_int_equal(count(t, "Hello"), 1);
    assert_int_equal(count(t, ""), 0);
    assert_int_equal(count(t, "The quick brown fox jumps over the lazy dog."), 10);
    uint32_t ids[8];
    assert_int_equal(encode(t, "Hello, world!", 13, ids, 8), 4);
    const uint32_t want[] = {9906, 11, 1917, 0};
    assert_memory_equal(ids, want, sizeof want);
    size_t len;
    const unsigned char *b = tokenizer_token_bytes(t, 1917, &len);
    assert_non_null(b);
    assert_int_equal(len, 6);
    assert_memory_equal(b, " world", 6);
    assert_null(tokenizer_token_bytes(t, 100256, &len));
    assert_int_equal(tokenizer_encoding(t), TOKENIZER_ENC_CL100K);
    tokenizer_free(t);
}

static void test_o200k_loads(void **state)
{
    (void)state;
    tokenizer *t = load(TOKENIZER_ENC_O200K);
    assert_int_equal(count(t, "Hello, world!"), 4);
    assert_int_equal(count(t, ""), 0);
    size_t len;
    assert_non_null(tokenizer_token_bytes(t, 199997, &len));
    assert_null(tokenizer_token_bytes(t, 199998, &len));
    tokenizer_free(t);
}

static void test_fallback_count(void **state)
{
    (void)state;
    assert_int_equal(tokenizer_fallback_count(0), 0);
    assert_int_equal(tokenizer_fallback_count(1), 1);
    assert_int_equal(tokenizer_fallback_count(3), 1);
    assert_int_equal(tokenizer_fallback_count(4), 1);
    assert_int_equal(tokenizer_fallback_count(7), 1);
    assert_int_equal(tokenizer_fallback_count(8), 2);
    assert_int_equal(tokenizer_fallback_count(4001), 1000);
}

static void test_encoding_names(void **state)
{
    (void)state;
    tokenizer_enc e = TOKENIZER_ENC_CL100K;
    assert_true(tokenizer_enc_parse("o200k_base", &e));
    assert_int_equal(e, TOKENIZER_ENC_O200K);
    assert_true(tokenizer_enc_parse("CL100K_BASE", &e));
    assert_int_equal(e, TOKENIZER_ENC_CL100K);
    assert_false(tokenizer_enc_parse("p50k_base", &e));
    assert_string_equal(tokenizer_enc_name(TOKENIZER_ENC_O200K), "o200k_base");
    assert_string_equal(tokenizer_enc_sha256(TOKENIZER_ENC_CL100K),
                        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7");
}

static void test_default_path(void **state)
{
    (void)state;
    char buf[4096];
    const char *p = tokenizer_default_path(TOKENIZER_ENC_O200K, buf, sizeof buf);
    assert_non_null(p);
    const char *tail = "/share/zai-proxy/tokenizer/o200k_base.tiktoken";
    assert_true(strlen(p) > strlen(tail));
    assert_string_equal(p + strlen(p) - strlen(tail), tail);
    /* The test binary lives in build/bin, next to build/share. */
    assert_int_equal(access(p, R_OK), 0);
    assert_null(tokenizer_default_path(TOKENIZER_ENC_CL100K, buf, 10));
}

/* ---- hand-made rank files ------------------------------------------------- */

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = al[v >> 18 & 63];
        out[o++] = al[v >> 12 & 63];
        out[o++] = i + 1 < n ? al[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? al[v & 63] : '=';
    }
    out[o] = '\0';
}

/* Writes a rank file: the 256 single bytes (rank = byte value, unless
 * skip_byte >= 0 leaves that one out) and then `extra` lines verbatim. */
static void write_ranks(char *path, int skip_byte, const char *extra)
{
    strcpy(path, "/tmp/zai-tok-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (int b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        char enc[8];
        b64(&c, 1, enc);
        if (b != skip_byte)
            fprintf(f, "%s %d\n", enc, b);
    }
    fputs(extra, f);
    assert_int_equal(fclose(f), 0);
}

/* A merge line "<bytes> <rank>\n" for the extra part of write_ranks. */
static void merge_line(char *out, size_t n, const char *bytes, unsigned rank)
{
    char enc[48];
    assert_true(strlen(bytes) <= 30);
    b64((const unsigned char *)bytes, strlen(bytes), enc);
    snprintf(out, n, "%s %u\n", enc, rank);
}

static tokenizer *load_custom(const char *extra)
{
    char path[64], err[256];
    write_ranks(path, -1, extra);
    tokenizer *t = tokenizer_load(TOKENIZER_ENC_CL100K, path, false, err, sizeof err);
    unlink(path);
    if (!t)
        fail_msg("custom ranks: %s", err);
    return t;
}

static void expect_ids(const tokenizer *t, const char *text, const uint32_t *want, size_t n)
{
    uint32_t got[512];
    assert_true(n <= 512);
    assert_int_equal(encode(t, text, strlen(text), got, 512), n);
    assert_memory_equal(got, want, n * sizeof *want);
}

static char *repeat(const char *unit, size_t times)
{
    size_t u = strlen(unit);
    char *s = malloc(u * times + 1);
    assert_non_null(s);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * u, unit, u);
    s[u * times] = '\0';
    return s;
}

/* "aa" then "aaaa": pairs merge leftmost first, in the short scan (under
 * 100 bytes) and in the heap merge alike. */
static void test_merge_leftmost(void **state)
{
    (void)state;
    char extra[256], l2[128];
    merge_line(extra, sizeof extra, "aa", 256);
    merge_line(l2, sizeof l2, "aaaa", 257);
    strcat(extra, l2);
    tokenizer *t = load_custom(extra);
    expect_ids(t, "aaa", (const uint32_t[]){256, 'a'}, 2);
    const struct { size_t n, quads; bool pair, single; } cases[] = {
        {99, 24, true, true}, {100, 25, false, false}, {101, 25, false, true},
        {201, 50, false, true}, {998, 249, true, false},
    };
    uint32_t want[300];
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t k = 0;
        for (size_t i = 0; i < cases[c].quads; i++)
            want[k++] = 257;
        if (cases[c].pair)
            want[k++] = 256;
        if (cases[c].single)
            want[k++] = 'a';
        char *s = repeat("a", cases[c].n);
        expect_ids(t, s, want, k);
        free(s);
    }
    tokenizer_free(t);
}

/* A piece longer than BPE_CHUNK is merged chunk by chunk, which bounds the
 * memory of the heap merge: "b" + "ab" x m is "b" and m "ab" tokens whole,
 * but the cut at BPE_CHUNK (an even offset, so a "b") splits one "ab". */
static void test_merge_chunked(void **state)
{
    (void)state;
    char extra[64];
    merge_line(extra, sizeof extra, "ab", 256);
    tokenizer *t = load_custom(extra);
    size_t m = BPE_CHUNK / 2 + 4464, n = 1 + 2 * m;
    char *s = malloc(n + 1);
    assert_non_null(s);
    s[0] = 'b';
    for (size_t i = 0; i < m; i++)
        memcpy(s + 1 + 2 * i, "ab", 2);
    s[n] = '\0';
    uint32_t *ids = malloc(n * sizeof *ids);
    assert_non_null(ids);
    assert_int_equal(encode(t, s, n, ids, n), m + 2);
    size_t cut = BPE_CHUNK / 2; /* ids: b, (BPE_CHUNK/2 - 1) x ab, a, b, ab... */
    assert_int_equal(ids[0], 'b');
    assert_int_equal(ids[cut - 1], 256);
    assert_int_equal(ids[cut], 'a');
    assert_int_equal(ids[cut + 1], 'b');
    assert_int_equal(ids[m + 1], 256);
    free(ids);
    free(s);
    tokenizer_free(t);
}

/* The lower rank wins wherever it is: "bc" (256) before "ab" (257). */
static void test_merge_lowest_rank(void **state)
{
    (void)state;
    char extra[256], l2[128];
    merge_line(extra, sizeof extra, "bc", 256);
    merge_line(l2, sizeof l2, "ab", 257);
    strcat(extra, l2);
    tokenizer *t = load_custom(extra);
    uint32_t want[80];
    for (size_t i = 0; i < 40; i++) {
        want[2 * i] = 'a';
        want[2 * i + 1] = 256;
    }
    expect_ids(t, "abc", want, 2);
    char *s = repeat("abc", 40); /* 120 bytes: the heap merge */
    expect_ids(t, s, want, 80);
    free(s);
    tokenizer_free(t);
}

/* A piece that is a token is one token even when no merge path leads to it;
 * the same bytes inside a longer piece fall apart. */
static void test_whole_piece_lookup(void **state)
{
    (void)state;
    char extra[128];
    merge_line(extra, sizeof extra, "xyz", 300);
    tokenizer *t = load_custom(extra);
    expect_ids(t, "xyz", (const uint32_t[]){300}, 1);
    expect_ids(t, "xyzxyz", (const uint32_t[]){'x', 'y', 'z', 'x', 'y', 'z'}, 6);
    expect_ids(t, "xyz xyz", (const uint32_t[]){300, ' ', 'x', 'y', 'z'}, 5);
    tokenizer_free(t);
}

static void expect_load_error(const char *extra, int skip_byte, const char *want)
{
    char path[64], err[256] = "";
    write_ranks(path, skip_byte, extra);
    tokenizer *t = tokenizer_load(TOKENIZER_ENC_CL100K, path, false, err, sizeof err);
    unlink(path);
    assert_null(t);
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    assert_non_null(strstr(err, path));
}

static void test_load_errors(void **state)
{
    (void)state;
    char err[512] = "";
    assert_null(tokenizer_load(TOKENIZER_ENC_CL100K, "/nonexistent/cl100k_base.tiktoken", false,
                               err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/cl100k_base.tiktoken: No such file"));
    assert_null(tokenizer_load(TOKENIZER_ENC_CL100K, "/tmp", false, err, sizeof err));
    assert_non_null(strstr(err, "not a regular file"));
    expect_load_error("!!!! 300\n", -1, "line 257: bad base64");
    expect_load_error("YWI= 3x0\n", -1, "line 257: expected");
    expect_load_error("YWI=\n", -1, "line 257: expected");
    expect_load_error("YWI= 16777216\n", -1, "line 257: expected");
    expect_load_error("YQ== 300\n", -1, "ranks 97 and 300 are the same token");
    expect_load_error("YWI= 5\n", -1, "rank 5 appears twice");
    expect_load_error("", 0x41, "no token for the single byte 0x41");
}

static void test_digest_checked(void **state)
{
    (void)state;
    char path[64], err[512] = "";
    write_ranks(path, -1, "");
    tokenizer *t = tokenizer_load(TOKENIZER_ENC_O200K, path, true, err, sizeof err);
    assert_null(t);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "expected 446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"));
    t = tokenizer_load(TOKENIZER_ENC_O200K, path, false, err, sizeof err);
    unlink(path);
    assert_non_null(t);
    assert_int_equal(count(t, "abc"), 3);
    tokenizer_free(t);
}

/* ---- text handling ------------------------------------------------------- */

/* Each invalid input encodes like its U+FFFD-repaired form: one U+FFFD per
 * maximal invalid subpart (Unicode §3.9, WHATWG, Rust from_utf8_lossy). */
static void test_invalid_utf8_replaced(void **state)
{
    (void)state;
    static const struct { const char *bad, *good; } cases[] = {
        {"a\xff" "b", "a\xEF\xBF\xBD" "b"},
        {"\xc3(", "\xEF\xBF\xBD("},
        {"x\xe2\x82y", "x\xEF\xBF\xBDy"},
        {"a\xed\xa0\x80" "b", "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b"},
        {"\xf4\x90\x80\x80 a", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD a"},
        {"\xc0\xaf", "\xEF\xBF\xBD\xEF\xBF\xBD"},
        {"\xf0\x9f\x98 smile", "\xEF\xBF\xBD smile"},
        {"abc\xe4\xbd", "abc\xEF\xBF\xBD"},
        {"ok\x80\x80ok", "ok\xEF\xBF\xBD\xEF\xBF\xBDok"},
    };
    tokenizer *t = load(TOKENIZER_ENC_CL100K);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint32_t a[64], b[64];
        size_t na = encode(t, cases[i].bad, strlen(cases[i].bad), a, 64);
        size_t nb = encode(t, cases[i].good, strlen(cases[i].good), b, 64);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na * sizeof *a);
    }
    tokenizer_free(t);
}

/* Embedded NUL bytes are text, and lengths are explicit. */
static void test_nul_bytes(void **state)
{
    (void)state;
    tokenizer *t = load(TOKENIZER_ENC_CL100K);
    uint32_t ids[8];
    assert_int_equal(encode(t, "a\0b", 3, ids, 8), 3);
    assert_int_equal(ids[1], 188); /* the byte 0x00 */
    assert_int_equal(encode(t, "Hello", 2, ids, 8), 1);
    tokenizer_free(t);
}

static void test_encode_cap(void **state)
{
    (void)state;
    tokenizer *t = load(TOKENIZER_ENC_CL100K);
    const char *s = "The quick brown fox jumps over the lazy dog.";
    uint32_t all[16], few[4] = {7, 7, 7, 7};
    assert_int_equal(encode(t, s, strlen(s), all, 16), 10);
    assert_int_equal(tokenizer_encode(t, s, strlen(s), few, 3), 10);
    assert_memory_equal(few, all, 3 * sizeof *few);
    assert_int_equal(few[3], 7);
    assert_int_equal(tokenizer_encode(t, s, strlen(s), NULL, 0), 10);
    tokenizer_free(t);
}

typedef struct worker {
    const tokenizer *t;
    const char *text;
    size_t len, want, bad;
} worker;

static void *count_loop(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 200; i++) {
        if (tokenizer_count(w->t, w->text, w->len) != w->want)
            w->bad++;
    }
    return NULL;
}

static void test_threads_share(void **state)
{
    (void)state;
    tokenizer *t = load(TOKENIZER_ENC_O200K);
    const char *texts[] = {"Threads share one read-only tokenizer. 東京 🚀 don't\r\n",
                           "int main(void) { return strlen(\"\xff\"); }   \n\n"};
    worker w[2];
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        w[i] = (worker){t, texts[i], strlen(texts[i]), count(t, texts[i]), 0};
        assert_int_equal(pthread_create(&th[i], NULL, count_loop, &w[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].bad, 0);
    }
    tokenizer_free(t);
}

/* ---- parity with npm tiktoken -------------------------------------------- */

/* Runs node make-golden.mjs OUT; fails the test if it does not succeed. */
static void make_golden(const char *out)
{
    char script[1024];
    snprintf(script, sizeof script, "%s/make-golden.mjs", ZAI_TOKENIZER_NODE_DIR);
    char *argv[] = {(char *)ZAI_TOKENIZER_NODE, script, (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, ZAI_TOKENIZER_NODE, NULL, NULL, argv, environ);
    if (rc != 0)
        fail_msg("cannot run %s: %s (run scripts/bootstrap)", ZAI_TOKENIZER_NODE, strerror(rc));
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("node %s failed (exit %d): see its message above", script,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("golden file %s: %s", path, strerror(errno));
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static unsigned char *unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *out = malloc(n + 1);
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
    *len = n;
    return out;
}

/* The concatenated token bytes reproduce the text (after U+FFFD repair). */
static bool round_trips(const tokenizer *t, const uint32_t *ids, size_t n,
                        const unsigned char *text, size_t len)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        const unsigned char *b = tokenizer_token_bytes(t, ids[i], &k);
        if (!b || at + k > len || memcmp(text + at, b, k) != 0)
            return false;
        at += k;
    }
    return at == len;
}

/* Compares one item in one encoding; prints the first difference. */
static bool same_ids(const tokenizer *t, const char *name, const cJSON *want_json,
                     const unsigned char *text, size_t len, const unsigned char *fixed,
                     size_t fixed_len)
{
    size_t nwant = (size_t)cJSON_GetArraySize(want_json);
    uint32_t *got = malloc((3 * len + 1) * sizeof *got);
    assert_non_null(got);
    size_t ngot = encode(t, (const char *)text, len, got, 3 * len + 1);
    size_t i = 0;
    for (const cJSON *v = want_json->child; v && i < ngot; v = v->next, i++) {
        if ((uint32_t)v->valuedouble != got[i])
            break;
    }
    bool ok = i == nwant && i == ngot;
    if (!ok)
        print_error("%s %s: %zu ids, tiktoken %zu; first difference at id %zu\n", name,
                    tokenizer_enc_name(tokenizer_encoding(t)), ngot, nwant, i);
    if (ok && !round_trips(t, got, ngot, fixed, fixed_len)) {
        print_error("%s: token bytes do not reproduce the text\n", name);
        ok = false;
    }
    free(got);
    return ok;
}

static void test_parity_with_tiktoken(void **state)
{
    (void)state;
    const char *golden = getenv("ZAI_TOKENIZER_GOLDEN");
    if (!golden || !*golden) {
        golden = ZAI_TOKENIZER_GOLDEN_DEFAULT;
        make_golden(golden);
    }
    size_t len;
    char *raw = read_all(golden, &len);
    cJSON *doc = cJSON_ParseWithLength(raw, len);
    free(raw);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    if (!cJSON_IsArray(items) || cJSON_GetArraySize(items) < 100)
        fail_msg("golden file %s has no item list", golden);
    tokenizer *enc[2] = {load(TOKENIZER_ENC_CL100K), load(TOKENIZER_ENC_O200K)};
    size_t checked = 0, failed = 0;
    for (const cJSON *it = items->child; it; it = it->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        const char *hex = cJSON_GetStringValue(cJSON_GetObjectItem(it, "hex"));
        assert_non_null(name);
        assert_non_null(hex);
        /* fixed_hex: the bytes after TextDecoder's repair, when they differ. */
        const char *fixed_hex = cJSON_GetStringValue(cJSON_GetObjectItem(it, "fixed_hex"));
        size_t n, nfixed;
        unsigned char *text = unhex(hex, &n);
        unsigned char *fixed = unhex(fixed_hex ? fixed_hex : hex, &nfixed);
        for (int e = 0; e < 2; e++) {
            const cJSON *want = cJSON_GetObjectItem(it, tokenizer_enc_name((tokenizer_enc)e));
            assert_true(cJSON_IsArray(want));
            failed += !same_ids(enc[e], name, want, text, n, fixed, nfixed);
            checked++;
        }
        free(text);
        free(fixed);
    }
    print_message("parity: %zu item encodings checked against %s, %zu differ\n", checked,
                  cJSON_GetStringValue(cJSON_GetObjectItem(doc, "reference")), failed);
    tokenizer_free(enc[0]);
    tokenizer_free(enc[1]);
    cJSON_Delete(doc);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_counts),
        cmocka_unit_test(test_o200k_loads),
        cmocka_unit_test(test_fallback_count),
        cmocka_unit_test(test_encoding_names),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_merge_leftmost),
        cmocka_unit_test(test_merge_chunked),
        cmocka_unit_test(test_merge_lowest_rank),
        cmocka_unit_test(test_whole_piece_lookup),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_digest_checked),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_encode_cap),
        cmocka_unit_test(test_threads_share),
        cmocka_unit_test(test_parity_with_tiktoken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
