/* bpe: rank table and byte-pair merge (STACK.md §6.3).
 *
 * Storage is compact on purpose (cl100k_base takes about 3.5 MB): token
 * bytes live back to back in rank order in one arena, rank r spanning
 * bytes[off[r] .. off[r + 1]). An open-addressing table (linear probing, at
 * most 80% full) finds a rank by its bytes; each 16-byte slot carries the
 * token's first eight bytes, its length and its rank, so most lookups
 * (tokens are short) touch one cache line and never the arena. Most lookups
 * during a merge miss, so a one-bit-per-hash filter (16 bits per slot,
 * small enough to stay in L2) answers those without touching the slots.
 * The hash mixes the eight bytes multiplicatively and folds in FNV-1a of
 * any longer tail; the slot index and the filter bit come from separate top
 * bits of it. The ranks of all two-byte tokens are also kept in a direct
 * 64K table, since every merge starts with a lookup of each adjacent byte
 * pair.
 *
 * The merge follows tiktoken's _byte_pair_merge exactly, including the
 * leftmost-on-tie rule. Short pieces use its simple scan; long ones use a
 * linked list of parts and an indexed min-heap keyed by (pair rank, start),
 * so a single 50 KB "word" costs O(n log n) instead of O(n^2). The heap
 * needs 20 bytes per byte of the piece; to keep that bounded, pieces over
 * BPE_CHUNK bytes are merged in chunks (see bpe.h). */
#include "bpe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"

typedef struct bpe_slot {
    uint64_t head; /* the token's first 8 bytes, zero-padded */
    uint32_t rank;
    uint32_t len; /* 0 marks an empty slot */
} bpe_slot;

struct bpe_ranks {
    unsigned char *bytes; /* token bytes, back to back, in rank order */
    uint32_t *off;        /* nrank + 1 offsets; an unused rank spans nothing */
    bpe_slot *slots;
    uint64_t *filter;     /* bit set for the hash of every token */
    unsigned slot_bits;   /* log2 of the slot count */
    unsigned filter_bits; /* log2 of the filter's bit count */
    uint32_t n;           /* tokens */
    uint32_t nrank;       /* highest rank + 1 */
    uint32_t max_len;     /* longest token, to skip hopeless lookups */
    uint32_t byte_rank[256];
    uint32_t *pair_rank;  /* 65536: rank of each two-byte token (b0 << 8 | b1) */
};

/* Tokens as parsed, in file order, before they are laid out by rank. */
typedef struct bpe_parsed {
    unsigned char *bytes;
    uint32_t *off; /* n + 1 */
    uint32_t *rank;
    uint32_t n;
} bpe_parsed;

/* ---- hashing ------------------------------------------------------------- */

static uint64_t key_head(const unsigned char *p, size_t n)
{
    uint64_t h = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        h |= (uint64_t)p[i] << (8 * i);
    return h;
}

static uint64_t key_hash(uint64_t head, const unsigned char *p, size_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (head + n) * k;
    if (n > 8)
        h = (h ^ fnv1a32(p + 8, n - 8)) * k;
    return h;
}

static size_t slot_of(const bpe_ranks *r, uint64_t h)
{
    return (size_t)(h >> (64 - r->slot_bits));
}

static uint64_t filter_bit(const bpe_ranks *r, uint64_t h)
{
    return h >> (64 - r->slot_bits - r->filter_bits) & ((1ull << r->filter_bits) - 1);
}

/* Finds the slot holding these bytes, or the empty slot where they belong. */
static const bpe_slot *find_slot(const bpe_ranks *r, const unsigned char *p, size_t n,
                                 uint64_t head, uint64_t h)
{
    size_t mask = ((size_t)1 << r->slot_bits) - 1;
    for (size_t i = slot_of(r, h);; i = (i + 1) & mask) {
        const bpe_slot *s = &r->slots[i];
        if (s->len == 0)
            return s;
        if (s->len == n && s->head == head
            && (n <= 8 || memcmp(r->bytes + r->off[s->rank] + 8, p + 8, n - 8) == 0))
            return s;
    }
}

/* ---- parsing ------------------------------------------------------------- */

static const signed char b64_value[256] = {
    ['A'] = 1,  ['B'] = 2,  ['C'] = 3,  ['D'] = 4,  ['E'] = 5,  ['F'] = 6,  ['G'] = 7,
    ['H'] = 8,  ['I'] = 9,  ['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14,
    ['O'] = 15, ['P'] = 16, ['Q'] = 17, ['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21,
    ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27, ['b'] = 28,
    ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33, ['h'] = 34, ['i'] = 35,
    ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
    ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
    ['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56,
    ['4'] = 57, ['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63,
    ['/'] = 64,
};

/* Decodes standard padded base64 into out; returns the byte count or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
    if (n == 0 || n % 4 != 0)
        return -1;
    size_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            size_t at = i + k;
            int d = at >= n - pad ? 1 : b64_value[(unsigned char)s[at]];
            if (d == 0)
                return -1;
            v = v << 6 | (uint32_t)(d - 1);
        }
        out[o++] = (unsigned char)(v >> 16);
        if (i + 4 < n || pad < 2)
            out[o++] = (unsigned char)(v >> 8);
        if (i + 4 < n || pad < 1)
            out[o++] = (unsigned char)v;
    }
    return o;
}

/* Parses a decimal rank below BPE_MAX_RANK; false on anything else. */
static bool parse_rank(const char *s, size_t n, uint32_t *out)
{
    if (n == 0 || n > 9)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v >= BPE_MAX_RANK)
        return false;
    *out = v;
    return true;
}

static size_t count_lines(const char *text, size_t len)
{
    size_t lines = 0;
    for (const char *p = text, *end = text + len; p < end; lines++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    return lines;
}

/* Adds one "<base64> <rank>" line; false with err written on a bad line. */
static bool parse_line(bpe_parsed *t, const char *line, size_t n, size_t lineno,
                       char *err, size_t errlen)
{
    const char *sp = memchr(line, ' ', n);
    uint32_t rank;
    if (!sp || !parse_rank(sp + 1, (size_t)(line + n - sp - 1), &rank)) {
        snprintf(err, errlen, "line %zu: expected \"<base64> <rank below %u>\"", lineno,
                 BPE_MAX_RANK);
        return false;
    }
    long tlen = b64_decode(line, (size_t)(sp - line), t->bytes + t->off[t->n]);
    if (tlen <= 0) {
        snprintf(err, errlen, "line %zu: bad base64 token", lineno);
        return false;
    }
    t->rank[t->n] = rank;
    t->off[t->n + 1] = t->off[t->n] + (uint32_t)tlen;
    t->n++;
    return true;
}

static bool parse_lines(bpe_parsed *t, const char *text, size_t len, char *err,
                        size_t errlen)
{
    size_t lines = count_lines(text, len);
    if (lines >= BPE_MAX_RANK || len > UINT32_MAX) {
        snprintf(err, errlen, "too large");
        return false;
    }
    t->off = malloc((lines + 1) * sizeof *t->off);
    t->rank = malloc((lines ? lines : 1) * sizeof *t->rank);
    t->bytes = malloc(len / 4 * 3 + 4);
    if (!t->off || !t->rank || !t->bytes) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    t->off[0] = 0;
    size_t lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        lineno++;
        if (n > 0 && !parse_line(t, p, n, lineno, err, errlen))
            return false;
        p = nl ? nl + 1 : end;
    }
    return true;
}

/* ---- building the table --------------------------------------------------- */

/* Lays the parsed tokens out by rank; refuses a rank used twice. */
static bool lay_out(bpe_ranks *r, const bpe_parsed *t, char *err, size_t errlen)
{
    for (uint32_t e = 0; e < t->n; e++) {
        if (t->rank[e] >= r->nrank)
            r->nrank = t->rank[e] + 1;
    }
    uint32_t *of_rank = calloc(r->nrank ? r->nrank : 1, sizeof *of_rank);
    r->off = malloc(((size_t)r->nrank + 1) * sizeof *r->off);
    r->bytes = malloc(t->off[t->n] ? t->off[t->n] : 1);
    bool ok = of_rank && r->off && r->bytes;
    if (!ok)
        snprintf(err, errlen, "out of memory");
    for (uint32_t e = 0; ok && e < t->n; e++) {
        ok = of_rank[t->rank[e]] == 0;
        if (!ok)
            snprintf(err, errlen, "rank %u appears twice", t->rank[e]);
        else
            of_rank[t->rank[e]] = e + 1;
    }
    uint32_t at = 0;
    for (uint32_t rank = 0; ok && rank < r->nrank; rank++) {
        r->off[rank] = at;
        uint32_t e = of_rank[rank];
        if (e != 0) {
            memcpy(r->bytes + at, t->bytes + t->off[e - 1], t->off[e] - t->off[e - 1]);
            at += t->off[e] - t->off[e - 1];
        }
    }
    if (ok)
        r->off[r->nrank] = at;
    r->n = t->n;
    free(of_rank);
    return ok;
}

/* Hashes every token; refuses two ranks with the same bytes. */
static bool index_tokens(bpe_ranks *r, char *err, size_t errlen)
{
    r->slot_bits = 9;
    while (((size_t)1 << r->slot_bits) < (size_t)r->n + r->n / 4)
        r->slot_bits++;
    r->filter_bits = r->slot_bits + 4;
    r->slots = calloc((size_t)1 << r->slot_bits, sizeof *r->slots);
    r->filter = calloc((size_t)1 << (r->filter_bits - 6), sizeof *r->filter);
    if (!r->slots || !r->filter) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (uint32_t rank = 0; rank < r->nrank; rank++) {
        const unsigned char *p = r->bytes + r->off[rank];
        uint32_t len = r->off[rank + 1] - r->off[rank];
        if (len == 0)
            continue;
        uint64_t head = key_head(p, len), h = key_hash(head, p, len);
        bpe_slot *s = (bpe_slot *)find_slot(r, p, len, head, h);
        if (s->len != 0) {
            snprintf(err, errlen, "ranks %u and %u are the same token", s->rank, rank);
            return false;
        }
        *s = (bpe_slot){head, rank, len};
        uint64_t bit = filter_bit(r, h);
        r->filter[bit >> 6] |= 1ull << (bit & 63);
        if (len > r->max_len)
            r->max_len = len;
    }
    return true;
}

/* Fills the single-byte and two-byte tables; every byte must be a token
 * (the merge starts from single bytes). */
static bool index_short(bpe_ranks *r, char *err, size_t errlen)
{
    r->pair_rank = malloc(65536 * sizeof *r->pair_rank);
    if (!r->pair_rank) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    for (unsigned pair = 0; pair < 65536; pair++) {
        unsigned char b[2] = {(unsigned char)(pair >> 8), (unsigned char)pair};
        r->pair_rank[pair] = bpe_rank(r, b, 2);
    }
    for (unsigned b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        r->byte_rank[b] = bpe_rank(r, &c, 1);
        if (r->byte_rank[b] == BPE_NO_RANK) {
            snprintf(err, errlen, "no token for the single byte 0x%02x", b);
            return false;
        }
    }
    return true;
}

bpe_ranks *bpe_ranks_parse(const char *text, size_t len, char *err, size_t errlen)
{
    bpe_ranks *r = calloc(1, sizeof *r);
    bpe_parsed t = {0};
    bool ok = r && parse_lines(&t, text, len, err, errlen) && lay_out(r, &t, err, errlen)
              && index_tokens(r, err, errlen) && index_short(r, err, errlen);
    if (!r)
        snprintf(err, errlen, "out of memory");
    free(t.bytes);
    free(t.off);
    free(t.rank);
    if (!ok) {
        bpe_ranks_free(r);
        return NULL;
    }
    return r;
}

void bpe_ranks_free(bpe_ranks *r)
{
    if (!r)
        return;
    free(r->bytes);
    free(r->off);
    free(r->slots);
    free(r->filter);
    free(r->pair_rank);
    free(r);
}

/* bpe_rank, inlined into the merge loops. */
static inline uint32_t lookup(const bpe_ranks *r, const unsigned char *p, size_t n)
{
    if (n > r->max_len)
        return BPE_NO_RANK;
    uint64_t head = key_head(p, n), h = key_hash(head, p, n), bit = filter_bit(r, h);
    if (!(r->filter[bit >> 6] >> (bit & 63) & 1))
        return BPE_NO_RANK;
    const bpe_slot *s = find_slot(r, p, n, head, h);
    return s->len ? s->rank : BPE_NO_RANK;
}

uint32_t bpe_rank(const bpe_ranks *r, const unsigned char *p, size_t n)
{
    return lookup(r, p, n);
}

const unsigned char *bpe_token_bytes(const bpe_ranks *r, uint32_t rank, size_t *len)
{
    if (rank >= r->nrank || r->off[rank + 1] == r->off[rank])
        return NULL;
    *len = r->off[rank + 1] - r->off[rank];
    return r->bytes + r->off[rank];
}

/* ---- short pieces: tiktoken's scan --------------------------------------- */

/* The parts in order, one 32-bit key each: the rank of the part joined with
 * its successor (SMALL_NO_PAIR when that is no token) above the part's
 * start offset. The smallest key is then the lowest rank and, among equal
 * ranks, the leftmost pair: exactly tiktoken's choice. A sentinel part
 * starting at n ends the list, so part k always ends where k + 1 starts. */
#define SMALL_POS_BITS 7
#define SMALL_POS_MASK ((1u << SMALL_POS_BITS) - 1)
#define SMALL_NO_PAIR ((1u << (32 - SMALL_POS_BITS)) - 1)

_Static_assert(BPE_LONG_PIECE < 1 << SMALL_POS_BITS, "a short piece's offsets fit a key");
_Static_assert(BPE_MAX_RANK < SMALL_NO_PAIR, "every rank fits a key");

static uint32_t small_key(uint32_t rank, uint32_t start)
{
    return (rank == BPE_NO_RANK ? SMALL_NO_PAIR : rank) << SMALL_POS_BITS | start;
}

/* Re-keys part k from the bytes it and its successor span. */
static void small_rekey(const bpe_ranks *r, const unsigned char *p, uint32_t *key,
                        size_t parts, size_t k)
{
    uint32_t start = key[k] & SMALL_POS_MASK;
    uint32_t rank = BPE_NO_RANK;
    if (k + 2 <= parts - 1)
        rank = lookup(r, p + start, (key[k + 2] & SMALL_POS_MASK) - start);
    key[k] = small_key(rank, start);
}

static size_t merge_small(const bpe_ranks *r, const unsigned char *p, size_t n,
                          uint32_t *ids, size_t cap)
{
    uint32_t key[BPE_LONG_PIECE + 1];
    for (uint32_t i = 0; i < n; i++)
        key[i] = small_key(i + 1 < n ? r->pair_rank[p[i] << 8 | p[i + 1]] : BPE_NO_RANK, i);
    key[n] = small_key(BPE_NO_RANK, (uint32_t)n);
    size_t parts = n + 1; /* including the sentinel */
    for (;;) {
        size_t at = 0;
        for (size_t k = 1; k + 1 < parts; k++)
            at = key[k] < key[at] ? k : at;
        if (key[at] >> SMALL_POS_BITS == SMALL_NO_PAIR)
            break;
        memmove(&key[at + 1], &key[at + 2], (parts - at - 2) * sizeof *key);
        parts--;
        small_rekey(r, p, key, parts, at);
        if (at > 0)
            small_rekey(r, p, key, parts, at - 1);
    }
    for (size_t k = 0; k + 1 < parts && k < cap; k++) {
        uint32_t start = key[k] & SMALL_POS_MASK, len = (key[k + 1] & SMALL_POS_MASK) - start;
        ids[k] = len == 1 ? r->byte_rank[p[start]] : lookup(r, p + start, len);
    }
    return parts - 1;
}

/* ---- long pieces: linked parts and an indexed heap ------------------------ */

#define NONE UINT32_MAX

/* Part i starts at byte i while alive; next/prev link the live parts (next
 * is n after the last one). pr[i] is the rank of part i joined with its
 * successor. heap holds the parts with a ranked pair, ordered by
 * (pr, start) so the leftmost of equal ranks comes first, and hpos[i] is
 * part i's heap position or NONE. */
typedef struct bpe_long {
    const bpe_ranks *r;
    const unsigned char *p;
    uint32_t n;
    uint32_t *next, *prev, *pr, *hpos, *heap;
    uint32_t hlen;
} bpe_long;

static bool heap_less(const bpe_long *m, uint32_t a, uint32_t b)
{
    return m->pr[a] < m->pr[b] || (m->pr[a] == m->pr[b] && a < b);
}

static void heap_put(bpe_long *m, uint32_t pos, uint32_t part)
{
    m->heap[pos] = part;
    m->hpos[part] = pos;
}

static void heap_up(bpe_long *m, uint32_t pos)
{
    uint32_t part = m->heap[pos];
    while (pos > 0) {
        uint32_t up = (pos - 1) / 2;
        if (!heap_less(m, part, m->heap[up]))
            break;
        heap_put(m, pos, m->heap[up]);
        pos = up;
    }
    heap_put(m, pos, part);
}

static void heap_down(bpe_long *m, uint32_t pos)
{
    uint32_t part = m->heap[pos];
    for (;;) {
        uint32_t c = 2 * pos + 1;
        if (c >= m->hlen)
            break;
        if (c + 1 < m->hlen && heap_less(m, m->heap[c + 1], m->heap[c]))
            c++;
        if (!heap_less(m, m->heap[c], part))
            break;
        heap_put(m, pos, m->heap[c]);
        pos = c;
    }
    heap_put(m, pos, part);
}

static void heap_remove(bpe_long *m, uint32_t part)
{
    uint32_t pos = m->hpos[part];
    if (pos == NONE)
        return;
    m->hpos[part] = NONE;
    uint32_t last = m->heap[--m->hlen];
    if (pos == m->hlen)
        return;
    heap_put(m, pos, last);
    heap_up(m, pos);
    heap_down(m, m->hpos[last]);
}

/* Recomputes the pair rank of part i and moves it in (or out of) the heap. */
static void long_repair(bpe_long *m, uint32_t i)
{
    uint32_t j = m->next[i];
    uint32_t end = j < m->n ? m->next[j] : m->n;
    m->pr[i] = j < m->n ? lookup(m->r, m->p + i, end - i) : BPE_NO_RANK;
    if (m->pr[i] == BPE_NO_RANK) {
        heap_remove(m, i);
    } else if (m->hpos[i] == NONE) {
        heap_put(m, m->hlen++, i);
        heap_up(m, m->hlen - 1);
    } else {
        heap_up(m, m->hpos[i]);
        heap_down(m, m->hpos[i]);
    }
}

/* Joins part i with its successor, the lowest-ranked pair. */
static void long_join(bpe_long *m, uint32_t i)
{
    uint32_t j = m->next[i];
    heap_remove(m, j);
    m->next[i] = m->next[j];
    if (m->next[i] < m->n)
        m->prev[m->next[i]] = i;
    long_repair(m, i);
    if (m->prev[i] != NONE)
        long_repair(m, m->prev[i]);
}

static ptrdiff_t merge_long(const bpe_ranks *r, const unsigned char *p, size_t n,
                            uint32_t *ids, size_t cap)
{
    if (n >= UINT32_MAX)
        return -1;
    uint32_t *mem = malloc(5 * n * sizeof *mem);
    if (!mem)
        return -1;
    bpe_long m = {.r = r, .p = p, .n = (uint32_t)n, .next = mem, .prev = mem + n,
                  .pr = mem + 2 * n, .hpos = mem + 3 * n, .heap = mem + 4 * n};
    for (uint32_t i = 0; i < m.n; i++) {
        m.next[i] = i + 1;
        m.prev[i] = i ? i - 1 : NONE;
        m.pr[i] = i + 1 < m.n ? r->pair_rank[p[i] << 8 | p[i + 1]] : BPE_NO_RANK;
        m.hpos[i] = NONE;
        if (m.pr[i] != BPE_NO_RANK)
            heap_put(&m, m.hlen++, i);
    }
    for (uint32_t pos = m.hlen / 2; pos-- > 0;)
        heap_down(&m, pos);
    while (m.hlen > 0)
        long_join(&m, m.heap[0]);
    size_t count = 0;
    for (uint32_t i = 0; i < m.n; i = m.next[i], count++) {
        if (count < cap)
            ids[count] = lookup(r, p + i, m.next[i] - i);
    }
    free(mem);
    return (ptrdiff_t)count;
}

static ptrdiff_t encode_piece(const bpe_ranks *r, const unsigned char *p, size_t n,
                              uint32_t *ids, size_t cap)
{
    uint32_t whole = lookup(r, p, n);
    if (whole != BPE_NO_RANK) {
        if (cap > 0)
            ids[0] = whole;
        return 1;
    }
    if (n < BPE_LONG_PIECE)
        return (ptrdiff_t)merge_small(r, p, n, ids, cap);
    return merge_long(r, p, n, ids, cap);
}

ptrdiff_t bpe_encode(const bpe_ranks *r, const unsigned char *p, size_t n,
                     uint32_t *ids, size_t cap)
{
    size_t total = 0;
    while (n > 0) {
        size_t k = n > BPE_CHUNK ? BPE_CHUNK : n;
        while (k < n && k > 1 && (p[k] & 0xC0) == 0x80)
            k--;
        size_t room = total < cap ? cap - total : 0;
        ptrdiff_t got = encode_piece(r, p, k, room ? ids + total : NULL, room);
        if (got < 0)
            return -1;
        total += (size_t)got;
        p += k;
        n -= k;
    }
    return (ptrdiff_t)total;
}
