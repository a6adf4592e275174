/* The deterministic generator behind random replacement: xorshift64* (S. Vigna, "An
 * experimental exploration of Marsaglia's xorshift generators, scrambled", ACM TOMS
 * 2016: shifts 12, 25, 27, multiplier 2685821657736338717). Seeded from the config
 * (DESIGN.md: randomness comes only from a seeded generator). */
#ifndef HVSIM_TLB_PRNG_H
#define HVSIM_TLB_PRNG_H

#include <stdint.h>

/* The state must never be zero: the seed goes through the SplitMix64 finalizer (Steele
 * et al., OOPSLA 2014), and a zero result is replaced by a fixed odd constant. */
static inline uint64_t tlb_prng_seed(uint64_t seed)
{
	uint64_t z = seed + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	z ^= z >> 31;
	return z ? z : 0x2545F4914F6CDD1Dull;
}

static inline uint64_t tlb_prng_next(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ull;
}

/* A number in [0, n): the high bits, which are the generator's best. */
static inline uint32_t tlb_prng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)((tlb_prng_next(state) >> 32) % n);
}

#endif
