/* tokenizer: loads a .tiktoken rank file (digest-checked), compiles the
 * encoding's pre-split pattern, and turns text into tiktoken's token ids
 * (PROXY.md §9.7, STACK.md §6.3-6.4).
 *
 * The patterns are tiktoken's, verbatim. PCRE2 needs three options to read
 * them the way tiktoken's Rust regex does: UTF, UCP (\s, \p{L} and case
 * folding by Unicode properties, not ASCII) and DOLLAR_ENDONLY (`$` in
 * `\s++$` means the end of the text, not also "before a final newline").
 * Matching uses the JIT when it is available and a match-data block made per
 * call, so nothing is shared between threads except read-only tables.
 *
 * Text is validated once; invalid UTF-8 is replaced by U+FFFD (one per
 * maximal invalid subpart, the WHATWG / Rust from_utf8_lossy rule, so node's
 * TextDecoder produces the same string for the parity tests) in a copy, so
 * the matcher, which does no UTF check of its own, only sees valid text.
 *
 * Known differences from tiktoken, both found by comparing every code point
 * and neither in the parity corpus: PCRE2 counts U+180E MONGOLIAN VOWEL
 * SEPARATOR as \s (its horizontal-space list predates Unicode 6.3) and
 * PCRE2 10.42 has Unicode 14 tables, so the Unicode 15 Kaktovik numerals
 * U+1D2C0-U+1D2D3 are not \p{N}. Either can change cl100k_base ids when
 * the character follows a space. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "tokenizer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bpe.h"

/* Larger rank files than this are refused (o200k_base is 3.6 MB). */
#define TOKENIZER_MAX_FILE (64u << 20)

struct tokenizer {
    tokenizer_enc enc;
    bpe_ranks *ranks;
    pcre2_code *re;
    bool jit;
};

static const struct {
    const char *name;
    const char *sha256;
    const char *pattern;
} encodings[] = {
    [TOKENIZER_ENC_CL100K] = {
        "cl100k_base",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+"
        "| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s",
    },
    [TOKENIZER_ENC_O200K] = {
        "o200k_base",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        "|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
        "(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
        "|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
    },
};

#define ENC_COUNT (sizeof encodings / sizeof *encodings)

const char *tokenizer_enc_name(tokenizer_enc enc)
{
    return (size_t)enc < ENC_COUNT ? encodings[enc].name : "unknown";
}

bool tokenizer_enc_parse(const char *name, tokenizer_enc *enc)
{
    for (size_t i = 0; i < ENC_COUNT; i++) {
        if (strcasecmp(name, encodings[i].name) == 0) {
            *enc = (tokenizer_enc)i;
            return true;
        }
    }
    return false;
}

const char *tokenizer_enc_sha256(tokenizer_enc enc)
{
    return (size_t)enc < ENC_COUNT ? encodings[enc].sha256 : "";
}

size_t tokenizer_fallback_count(size_t utf8_bytes)
{
    if (utf8_bytes == 0)
        return 0;
    return utf8_bytes / 4 > 0 ? utf8_bytes / 4 : 1;
}

/* ---- loading ------------------------------------------------------------- */

/* Reads a whole file; NULL with err written on failure. */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *buf = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TOKENIZER_MAX_FILE) {
        snprintf(err, errlen, "%s: not a regular file of at most %u bytes", path,
                 TOKENIZER_MAX_FILE);
    } else if (!(buf = malloc((size_t)st.st_size + 1))) {
        snprintf(err, errlen, "%s: out of memory", path);
    } else {
        size_t got = 0, want = (size_t)st.st_size;
        while (got < want) {
            ssize_t k = read(fd, buf + got, want - got);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                break;
            got += (size_t)k;
        }
        if (got != want) {
            snprintf(err, errlen, "%s: short read", path);
            free(buf);
            buf = NULL;
        }
        *len = got;
    }
    close(fd);
    return buf;
}

static bool sha256_hex(const char *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return false;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return true;
}

static bool check_digest(tokenizer_enc enc, const char *path, const char *data, size_t len,
                         char *err, size_t errlen)
{
    char hex[65];
    if (!sha256_hex(data, len, hex)) {
        snprintf(err, errlen, "%s: sha256 failed", path);
        return false;
    }
    if (strcmp(hex, encodings[enc].sha256) != 0) {
        snprintf(err, errlen, "%s: sha256 %s, expected %s for %s", path, hex,
                 encodings[enc].sha256, encodings[enc].name);
        return false;
    }
    return true;
}

static bool parse_ranks(tokenizer *t, const char *path, const char *data, size_t len,
                        char *err, size_t errlen)
{
    char why[192];
    t->ranks = bpe_ranks_parse(data, len, why, sizeof why);
    if (!t->ranks)
        snprintf(err, errlen, "%s: %s", path, why);
    return t->ranks != NULL;
}

static bool compile_pattern(tokenizer *t, char *err, size_t errlen)
{
    int code;
    PCRE2_SIZE at;
    t->re = pcre2_compile((PCRE2_SPTR)encodings[t->enc].pattern, PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &code, &at, NULL);
    if (!t->re) {
        PCRE2_UCHAR msg[160];
        pcre2_get_error_message(code, msg, sizeof msg);
        snprintf(err, errlen, "%s pattern: %s at offset %zu", encodings[t->enc].name,
                 (const char *)msg, (size_t)at);
        return false;
    }
    t->jit = pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE) == 0;
    return true;
}

tokenizer *tokenizer_load(tokenizer_enc enc, const char *ranks_path, bool verify_digest,
                          char *err, size_t errlen)
{
    if ((size_t)enc >= ENC_COUNT) {
        snprintf(err, errlen, "unknown encoding %d", (int)enc);
        return NULL;
    }
    size_t len = 0;
    char *data = read_file(ranks_path, &len, err, errlen);
    if (!data)
        return NULL;
    tokenizer *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        free(data);
        return NULL;
    }
    t->enc = enc;
    bool ok = (!verify_digest || check_digest(enc, ranks_path, data, len, err, errlen))
              && parse_ranks(t, ranks_path, data, len, err, errlen)
              && compile_pattern(t, err, errlen);
    free(data);
    if (!ok) {
        tokenizer_free(t);
        return NULL;
    }
    return t;
}

void tokenizer_free(tokenizer *t)
{
    if (!t)
        return;
    bpe_ranks_free(t->ranks);
    pcre2_code_free(t->re);
    free(t);
}

tokenizer_enc tokenizer_encoding(const tokenizer *t)
{
    return t->enc;
}

const unsigned char *tokenizer_token_bytes(const tokenizer *t, uint32_t id, size_t *len)
{
    return bpe_token_bytes(t->ranks, id, len);
}

/* ---- UTF-8 --------------------------------------------------------------- */

/* Length of the well-formed sequence at s (Unicode table 3-7), or 0 with
 * *bad set to the length of the maximal invalid subpart there. */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= n || s[i] < lo || s[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

/* Offset of the first invalid sequence, or n when all of s is valid. */
static size_t utf8_valid_prefix(const unsigned char *s, size_t n)
{
    size_t i = 0, bad;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        size_t k = utf8_seq(s + i, n - i, &bad);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

/* A copy of s with every maximal invalid subpart replaced by U+FFFD. */
static unsigned char *utf8_repair(const unsigned char *s, size_t n, size_t *outlen)
{
    unsigned char *out = n <= SIZE_MAX / 3 ? malloc(3 * n) : NULL;
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    while (i < n) {
        size_t good = utf8_valid_prefix(s + i, n - i);
        memcpy(out + o, s + i, good);
        o += good;
        i += good;
        if (i < n) {
            size_t bad = 1;
            utf8_seq(s + i, n - i, &bad);
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i += bad;
        }
    }
    *outlen = o;
    return out;
}

/* ---- splitting and merging ------------------------------------------------ */

/* What a run over valid UTF-8 produced: the token total and, on failure,
 * the offset where it stopped. */
typedef struct tok_run {
    size_t total;
    size_t stopped_at;
    bool failed;
} tok_run;

static int next_match(const tokenizer *t, const unsigned char *s, size_t len, size_t at,
                      pcre2_match_data *md)
{
    if (t->jit)
        return pcre2_jit_match(t->re, s, len, at, 0, md, NULL);
    return pcre2_match(t->re, s, len, at, PCRE2_NO_UTF_CHECK, md, NULL);
}

/* Bytes in the UTF-8 character starting with lead byte c (valid text). */
static size_t utf8_char_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Splits valid UTF-8 with the pattern and merges each piece; text between
 * matches is skipped, as tiktoken's find_iter does (the patterns leave
 * none, and never match empty, but a custom build must not loop). */
static tok_run run(const tokenizer *t, const unsigned char *s, size_t len, uint32_t *ids,
                   size_t cap)
{
    tok_run r = {0, 0, false};
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    size_t at = 0;
    r.failed = md == NULL;
    while (!r.failed && at < len) {
        int rc = next_match(t, s, len, at, md);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        r.failed = rc < 0;
        if (r.failed)
            break;
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] == ov[0]) {
            at = ov[1] < len ? ov[1] + utf8_char_len(s[ov[1]]) : len;
            continue;
        }
        size_t room = r.total < cap ? cap - r.total : 0;
        ptrdiff_t k = bpe_encode(t->ranks, s + ov[0], ov[1] - ov[0],
                                 room ? ids + r.total : NULL, room);
        r.failed = k < 0;
        if (r.failed)
            break;
        r.total += (size_t)k;
        at = ov[1];
    }
    r.stopped_at = at;
    pcre2_match_data_free(md);
    return r;
}

/* Runs over text after repairing invalid UTF-8 when there is any. */
static tok_run run_text(const tokenizer *t, const char *text, size_t len, uint32_t *ids,
                        size_t cap, size_t *ran_len)
{
    const unsigned char *s = (const unsigned char *)text;
    *ran_len = len;
    if (utf8_valid_prefix(s, len) == len)
        return run(t, s, len, ids, cap);
    unsigned char *fixed = utf8_repair(s, len, ran_len);
    if (!fixed)
        return (tok_run){0, 0, true};
    tok_run r = run(t, fixed, *ran_len, ids, cap);
    free(fixed);
    return r;
}

size_t tokenizer_count(const tokenizer *t, const char *text, size_t len)
{
    size_t ran_len;
    tok_run r = run_text(t, text, len, NULL, 0, &ran_len);
    if (r.failed)
        r.total += tokenizer_fallback_count(ran_len - r.stopped_at);
    return r.total;
}

size_t tokenizer_encode(const tokenizer *t, const char *text, size_t len,
                        uint32_t *ids, size_t cap)
{
    size_t ran_len;
    tok_run r = run_text(t, text, len, ids, cap, &ran_len);
    return r.failed ? SIZE_MAX : r.total;
}

/* ---- default rank-file location ------------------------------------------ */

const char *tokenizer_default_path(tokenizer_enc enc, char *buf, size_t n)
{
    const char *name = tokenizer_enc_name(enc);
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = k > 0 ? memrchr(exe, '/', (size_t)k) : NULL;
    if (slash) {
        *slash = '\0';
        int w = snprintf(buf, n, "%s/../share/zai-proxy/tokenizer/%s.tiktoken", exe, name);
        if (w >= 0 && (size_t)w < n && access(buf, F_OK) == 0)
            return buf;
    }
    int w = snprintf(buf, n, "/usr/share/zai-proxy/tokenizer/%s.tiktoken", name);
    return w >= 0 && (size_t)w < n ? buf : NULL;
}
