/* fuzz_tokenizer: libFuzzer target for lib/tokenizer and lib/bpe (STACK.md
 * §10). For any bytes, in both encodings: counting must not crash; count,
 * encode and a capped encode agree; and the token bytes put back together
 * give the input with invalid UTF-8 replaced by U+FFFD per maximal subpart.
 * That expected text comes from an oracle built independently of the
 * tokenizer's decoder: every prefix of every well-formed UTF-8 sequence is
 * enumerated once from the code points themselves.
 *
 * Rank files: $ZAI_TOKENIZER_DIR, else the build tree's share directory.
 * Build: cmake -DZAI_FUZZ=ON -DCMAKE_C_COMPILER=clang; run: ctest -L fuzz. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

static tokenizer *encodings[2];

/* prefix1/2/3: byte strings that begin some well-formed sequence;
 * seq_len: the sequence length a valid lead byte announces. */
static bool prefix1[256];
static bool prefix2[1 << 16];
static uint8_t prefix3[1 << 21]; /* bit set of 24-bit prefixes */
static uint8_t seq_len[256];

static size_t encode_cp(uint32_t cp, unsigned char *b)
{
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6);
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    b[0] = (unsigned char)(0xF0 | cp >> 18);
    b[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    b[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    b[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static void oracle_init(void)
{
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            continue;
        unsigned char b[4];
        size_t n = encode_cp(cp, b);
        prefix1[b[0]] = true;
        seq_len[b[0]] = (uint8_t)n;
        if (n >= 2)
            prefix2[b[0] << 8 | b[1]] = true;
        if (n >= 3) {
            uint32_t k = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
            prefix3[k >> 3] |= (uint8_t)(1u << (k & 7));
        }
    }
}

/* Length of the longest prefix of s that begins a well-formed sequence. */
static size_t valid_prefix(const unsigned char *s, size_t n)
{
    if (n < 1 || !prefix1[s[0]])
        return 0;
    if (n < 2 || !prefix2[s[0] << 8 | s[1]])
        return 1;
    if (n < 3)
        return 2;
    uint32_t k = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
    if (!(prefix3[k >> 3] >> (k & 7) & 1))
        return 2;
    /* Any continuation byte completes a valid three-byte prefix. */
    return n >= 4 && (s[3] & 0xC0) == 0x80 ? 4 : 3;
}

/* The input with each maximal invalid subpart replaced by U+FFFD. */
static unsigned char *oracle_repair(const unsigned char *s, size_t n, size_t *out_len)
{
    unsigned char *out = malloc(3 * n + 1);
    if (!out)
        abort();
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = valid_prefix(s + i, n - i);
        if (k > 0 && k >= seq_len[s[i]]) {
            memcpy(out + o, s + i, seq_len[s[i]]);
            o += seq_len[s[i]];
            i += seq_len[s[i]];
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += k ? k : 1;
        }
    }
    *out_len = o;
    return out;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("ZAI_TOKENIZER_DIR");
    if (!dir || !*dir)
        dir = ZAI_TOKENIZER_DIR_DEFAULT;
    for (int e = 0; e < 2; e++) {
        char path[4096], err[512];
        snprintf(path, sizeof path, "%s/%s.tiktoken", dir, tokenizer_enc_name((tokenizer_enc)e));
        encodings[e] = tokenizer_load((tokenizer_enc)e, path, true, err, sizeof err);
        if (!encodings[e]) {
            fprintf(stderr, "fuzz_tokenizer: %s\n", err);
            abort();
        }
    }
    oracle_init();
    return 0;
}

static void check(const tokenizer *t, const char *text, size_t len, const unsigned char *want,
                  size_t want_len)
{
    size_t cap = want_len + 1;
    uint32_t *ids = malloc(cap * sizeof *ids);
    if (!ids)
        abort();
    size_t total = tokenizer_encode(t, text, len, ids, cap);
    if (total == SIZE_MAX || total > want_len || tokenizer_count(t, text, len) != total)
        abort();
    size_t at = 0;
    for (size_t i = 0; i < total; i++) {
        size_t k;
        const unsigned char *b = tokenizer_token_bytes(t, ids[i], &k);
        if (!b || at + k > want_len || memcmp(want + at, b, k) != 0)
            abort();
        at += k;
    }
    if (at != want_len)
        abort();
    uint32_t few[4];
    size_t capped = tokenizer_encode(t, text, len, few, 4);
    if (capped != total || memcmp(few, ids, (total < 4 ? total : 4) * sizeof *ids) != 0)
        abort();
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t want_len;
    unsigned char *want = oracle_repair(data, size, &want_len);
    for (int e = 0; e < 2; e++)
        check(encodings[e], (const char *)data, size, want, want_len);
    free(want);
    return 0;
}
