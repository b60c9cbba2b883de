/* zai-tokcount: the C tokenizer on files, for bench/tokenizer and for ad-hoc
 * comparisons with tiktoken. Prints one JSON object: the load time, resident
 * memory before and after loading the rank file, the peak, and per file the
 * token count and throughput (best of --repeat runs). With --ids it prints
 * the token ids of each file instead, one line per file. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tokenizer.h"

typedef struct opts {
    tokenizer_enc enc;
    const char *ranks;
    int repeat;
    bool ids;
    bool verify;
} opts;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A "Vm...:" field of /proc/self/status in kB, or -1. */
static long status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t k; buf && (k = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += k;
        if (n == cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger)
                free(buf);
            buf = bigger;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf;
}

static int print_ids(const tokenizer *t, const char *text, size_t len)
{
    uint32_t *ids = malloc((len + 1) * sizeof *ids);
    size_t n = ids ? tokenizer_encode(t, text, len, ids, len + 1) : SIZE_MAX;
    if (n == SIZE_MAX) {
        free(ids);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        printf(i ? " %u" : "%u", ids[i]);
    printf("\n");
    free(ids);
    return 0;
}

static void print_timing(const tokenizer *t, const char *path, const char *text, size_t len,
                         int repeat, bool first)
{
    double best = 1e30;
    size_t tokens = 0;
    for (int i = 0; i < repeat; i++) {
        double t0 = now();
        tokens = tokenizer_count(t, text, len);
        double dt = now() - t0;
        if (dt < best)
            best = dt;
    }
    printf("%s\n    {\"file\": \"%s\", \"bytes\": %zu, \"tokens\": %zu, \"seconds\": %.6f, "
           "\"mb_per_s\": %.2f}", first ? "" : ",", path, len, tokens, best,
           best > 0 ? (double)len / 1e6 / best : 0.0);
}

static int usage(void)
{
    fprintf(stderr, "usage: zai-tokcount [-e cl100k_base|o200k_base] [-r RANKS_FILE] "
                    "[-n REPEAT] [--ids] [--no-verify] FILE...\n");
    return 2;
}

static int parse_opts(int argc, char **argv, opts *o)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "-e") == 0 && has_val) {
            if (!tokenizer_enc_parse(argv[++i], &o->enc))
                return -1;
        } else if (strcmp(a, "-r") == 0 && has_val) {
            o->ranks = argv[++i];
        } else if (strcmp(a, "-n") == 0 && has_val) {
            o->repeat = atoi(argv[++i]);
        } else if (strcmp(a, "--ids") == 0) {
            o->ids = true;
        } else if (strcmp(a, "--no-verify") == 0) {
            o->verify = false;
        } else {
            return -1;
        }
    }
    return o->repeat > 0 && i < argc ? i : -1;
}

int main(int argc, char **argv)
{
    opts o = {TOKENIZER_ENC_CL100K, NULL, 3, false, true};
    int first = parse_opts(argc, argv, &o);
    if (first < 0)
        return usage();
    char pathbuf[4096], err[512];
    const char *ranks = o.ranks ? o.ranks
                                : tokenizer_default_path(o.enc, pathbuf, sizeof pathbuf);
    long rss_before = status_kb("VmRSS");
    double t0 = now();
    tokenizer *t = ranks ? tokenizer_load(o.enc, ranks, o.verify, err, sizeof err) : NULL;
    if (!t) {
        fprintf(stderr, "zai-tokcount: %s\n", ranks ? err : "no rank-file path");
        return 1;
    }
    double load = now() - t0;
    long rss_loaded = status_kb("VmRSS"), hwm_loaded = status_kb("VmHWM");
    int rc = 0;
    if (!o.ids)
        printf("{\"encoding\": \"%s\", \"load_ms\": %.1f, \"rss_before_kb\": %ld, "
               "\"rss_loaded_kb\": %ld, \"hwm_loaded_kb\": %ld, \"files\": [",
               tokenizer_enc_name(o.enc), load * 1e3, rss_before, rss_loaded, hwm_loaded);
    for (int i = first; i < argc && rc == 0; i++) {
        size_t len;
        char *text = slurp(argv[i], &len);
        if (!text) {
            fprintf(stderr, "zai-tokcount: cannot read %s\n", argv[i]);
            rc = 1;
        } else if (o.ids) {
            rc = print_ids(t, text, len) ? 1 : 0;
        } else {
            print_timing(t, argv[i], text, len, o.repeat, i == first);
        }
        free(text);
    }
    if (!o.ids)
        printf("\n  ], \"hwm_end_kb\": %ld}\n", status_kb("VmHWM"));
    tokenizer_free(t);
    return rc;
}
