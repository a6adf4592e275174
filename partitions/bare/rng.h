/* A deterministic pseudo-random sequence for test data: a 64-bit LCG with Knuth's
   MMIX constants (TAOCP Vol. 2 §3.3.4), returning the high half, whose bits are the
   well-mixed ones. Same seed, same numbers, on every machine and at every -O level. */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

struct rng {
    uint64_t state;
};

static inline struct rng rng_seed(uint64_t seed)
{
    struct rng r = { seed };
    return r;
}

static inline uint32_t rng_u32(struct rng *r)
{
    r->state = r->state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(r->state >> 32);
}

static inline uint64_t rng_u64(struct rng *r)
{
    uint64_t hi = rng_u32(r);
    return hi << 32 | rng_u32(r);
}

/* In [0, n), n > 0; the tiny modulo bias does not matter for test data. */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return rng_u32(r) % n;
}

#endif
