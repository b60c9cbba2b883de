/* tokenizer: tiktoken-exact token counts for cl100k_base and o200k_base
 * (PROXY.md §9.7, STACK.md §6.3): the encoding's pre-split pattern run by
 * PCRE2 (UTF + UCP, JIT), then byte-pair merging of each piece against a
 * .tiktoken rank file. Special-token text is ordinary text ("encode
 * ordinary"). Ids equal tiktoken's, except that a single pre-split piece
 * (a run of letters, punctuation or whitespace) over 128 KiB is merged in
 * chunks to bound memory (BPE_CHUNK in bpe.h), and two exotic characters
 * noted in tokenizer.c. A loaded tokenizer is read-only: one may be shared
 * by any number of threads. */
#ifndef ZAI_TOKENIZER_H
#define ZAI_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { TOKENIZER_ENC_CL100K = 0, TOKENIZER_ENC_O200K = 1 } tokenizer_enc;

typedef struct tokenizer tokenizer;

/* "cl100k_base" or "o200k_base". */
const char *tokenizer_enc_name(tokenizer_enc enc);
/* Parses an encoding name as above; false if it is neither. */
bool tokenizer_enc_parse(const char *name, tokenizer_enc *enc);
/* The published SHA-256 (lowercase hex) of the encoding's rank file. */
const char *tokenizer_enc_sha256(tokenizer_enc enc);

/* Loads the rank file at ranks_path for the encoding's split pattern. With
 * verify_digest the file's SHA-256 must equal tokenizer_enc_sha256(enc).
 * Returns NULL and writes a one-line reason to err (the path, the line of a
 * malformed file, or both digests on a mismatch) on failure. */
tokenizer *tokenizer_load(tokenizer_enc enc, const char *ranks_path, bool verify_digest,
                          char *err, size_t errlen);
void tokenizer_free(tokenizer *t);

tokenizer_enc tokenizer_encoding(const tokenizer *t);

/* Token count of UTF-8 text; invalid sequences are first replaced by U+FFFD
 * (one per maximal invalid subpart, as a WHATWG or Rust lossy decoder does).
 * Never fails: should memory for a very long piece or the pattern matcher
 * fail, the text not yet counted is counted with tokenizer_fallback_count. */
size_t tokenizer_count(const tokenizer *t, const char *text, size_t len);

/* The token ids of the same text: writes the first min(cap, total) ids and
 * returns the total, or SIZE_MAX when memory or the matcher fail. */
size_t tokenizer_encode(const tokenizer *t, const char *text, size_t len,
                        uint32_t *ids, size_t cap);

/* Bytes of one token id (length in *len), or NULL for an unknown id. */
const unsigned char *tokenizer_token_bytes(const tokenizer *t, uint32_t id, size_t *len);

/* The estimate used without a rank file: max(1, floor(bytes / 4)) for
 * non-empty text, 0 for empty text. */
size_t tokenizer_fallback_count(size_t utf8_bytes);

/* Writes the default rank-file path of the encoding to buf: the first of
 * <exe dir>/../share/zai-proxy/tokenizer/<encoding>.tiktoken and
 * /usr/share/zai-proxy/tokenizer/<encoding>.tiktoken that exists, else the
 * latter. Returns buf, or NULL when n is too small. */
const char *tokenizer_default_path(tokenizer_enc enc, char *buf, size_t n);

#endif
