/* bpe: a tiktoken rank table and the byte-pair merge over it (STACK.md §6.3).
 * The table maps token bytes to ranks (the token ids); it is built once from
 * the text of a .tiktoken file and is read-only afterwards, so any number of
 * threads may share it. The merge is tiktoken's: repeatedly join the adjacent
 * pair whose concatenation has the lowest rank, the leftmost one on a tie. */
#ifndef ZAI_BPE_H
#define ZAI_BPE_H

#include <stddef.h>
#include <stdint.h>

#define BPE_NO_RANK UINT32_MAX
/* Pieces this long or longer are merged with a heap (O(n log n)) instead of
 * the quadratic lowest-pair scan. */
#define BPE_LONG_PIECE 100
/* Pieces longer than this are merged in chunks of at most this many bytes,
 * cut before a UTF-8 lead byte, so the long-piece merge never holds more
 * than about 2.6 MB. Exact up to here; beyond, a count can differ from
 * tiktoken's by about a token per cut (tiktoken itself would need many
 * seconds for such a piece: its merge is quadratic). */
#define BPE_CHUNK (128u << 10)
/* Ranks at or above this are refused when loading (bounds the rank index). */
#define BPE_MAX_RANK (1u << 24)

typedef struct bpe_ranks bpe_ranks;

/* Builds a table from .tiktoken text: lines "<base64 token bytes> <rank>",
 * empty lines ignored. Every single byte must have a rank and neither token
 * bytes nor ranks may repeat (as tiktoken requires). Returns NULL and writes
 * a message (with the line number of a malformed line) to err on failure. */
bpe_ranks *bpe_ranks_parse(const char *text, size_t len, char *err, size_t errlen);
void bpe_ranks_free(bpe_ranks *r);

/* Rank of the token with exactly these bytes, or BPE_NO_RANK. */
uint32_t bpe_rank(const bpe_ranks *r, const unsigned char *p, size_t n);
/* Bytes of the token with this rank (length in *len), or NULL. */
const unsigned char *bpe_token_bytes(const bpe_ranks *r, uint32_t rank, size_t *len);

/* Encodes one pre-split piece (n >= 1; chunked beyond BPE_CHUNK). Writes
 * the first min(cap, total) ranks to ids (which may be NULL when cap is 0)
 * and returns the total number of tokens, or -1 when memory for a long
 * piece cannot be had. */
ptrdiff_t bpe_encode(const bpe_ranks *r, const unsigned char *p, size_t n,
                     uint32_t *ids, size_t cap);

#endif
