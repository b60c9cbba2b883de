/* rng: per-thread xoshiro256** generators seeded from getrandom(2), so
 * request ids and jitter never contend on a lock. Not cryptographic: ids need
 * to be unique, not secret. A test may install a process-wide source. */
#include "rng.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/random.h>
#include <time.h>

typedef struct xoshiro {
    uint64_t s[4];
    bool seeded;
} xoshiro;

static _Thread_local xoshiro tl_gen;

static rng_source override;
static atomic_bool override_on;

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The kernel pool is the seed; if getrandom is unavailable the clock and the
 * state's own address (distinct per thread) still give distinct streams. */
static void seed(xoshiro *g)
{
    uint64_t seedv[4];
    if (getrandom(seedv, sizeof seedv, 0) == (ssize_t)sizeof seedv) {
        for (int i = 0; i < 4; i++)
            g->s[i] = seedv[i];
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        x ^= (uint64_t)(uintptr_t)g;
        for (int i = 0; i < 4; i++)
            g->s[i] = splitmix64(&x);
    }
    if ((g->s[0] | g->s[1] | g->s[2] | g->s[3]) == 0)
        g->s[0] = 1; /* the all-zero state is a fixed point */
    g->seeded = true;
}

static uint64_t xoshiro_next(xoshiro *g)
{
    uint64_t *s = g->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_u64(void)
{
    if (atomic_load_explicit(&override_on, memory_order_acquire))
        return override.next_u64(override.ctx);
    if (!tl_gen.seeded)
        seed(&tl_gen);
    return xoshiro_next(&tl_gen);
}

double rng_unit(void)
{
    return (double)(rng_u64() >> 11) * 0x1.0p-53;
}

void rng_hex128(char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int half = 0; half < 2; half++) {
        uint64_t v = rng_u64();
        for (int i = 0; i < 16; i++)
            out[half * 16 + i] = hex[(v >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

void rng_set_source(const rng_source *src)
{
    atomic_store_explicit(&override_on, false, memory_order_release);
    if (src) {
        override = *src;
        atomic_store_explicit(&override_on, true, memory_order_release);
    }
}
