/* fnv: FNV-1a 32-bit, the source-bucket hash of PROXY.md §6.6. */
#ifndef ZAI_FNV_H
#define ZAI_FNV_H

#include <stddef.h>
#include <stdint.h>

static inline uint32_t fnv1a32(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint32_t h = 0x811c9dc5u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x01000193u;
    }
    return h;
}

#endif
