/* rng: the one source of randomness (request ids, retry jitter, temp-file
 * names). Thread-safe: each thread keeps its own generator, seeded from the
 * kernel. Tests may replace the source to pin jitter and ids. */
#ifndef ZAI_RNG_H
#define ZAI_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct rng_source {
    uint64_t (*next_u64)(void *ctx);
    void *ctx;
} rng_source;

uint64_t rng_u64(void);
/* Uniform in [0, 1). */
double rng_unit(void);
/* 32 lowercase hex characters from 128 random bits, NUL-terminated. */
void rng_hex128(char out[33]);
/* NULL restores the default generator. Tests only. */
void rng_set_source(const rng_source *src);

#endif
