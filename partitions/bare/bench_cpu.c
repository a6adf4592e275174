/* bench_cpu: a CPU-bound integer benchmark. Each round hashes (CRC-32, SHA-256),
   sorts (quicksort through a comparison pointer, stable merge sort) and does
   multiply/divide arithmetic on 64 fresh pseudo-random words, then folds everything
   into a checksum. The round count comes from the command line, "iters=N"; the
   default runs about 200 million instructions natively at -O2. Prints only the
   checksum, never a time: hvsim's counters measure the run. */
#include <stdint.h>

#include "bootinfo.h"
#include "cmdline.h"
#include "crc32.h"
#include "kprintf.h"
#include "kstring.h"
#include "rng.h"
#include "sha256.h"
#include "sorts.h"

#define DEFAULT_ITERS 3300
#define WORDS 64

static uint32_t words[WORDS], sorted[WORDS], tmp[WORDS];

static uint64_t hash_phase(void)
{
    uint8_t digest[SHA256_DIGEST_BYTES];
    uint64_t h = crc32(0, words, sizeof(words));

    sha256(words, sizeof(words), digest);
    for (int i = 0; i < SHA256_DIGEST_BYTES; i += 8) {
        uint64_t w;
        memcpy(&w, digest + i, sizeof(w));
        h = h * 0x100000001b3ull ^ w;
    }
    return h;
}

static uint64_t sort_phase(void)
{
    uint64_t h = 0;

    memcpy(sorted, words, sizeof(words));
    sort_quick(sorted, WORDS, sizeof(sorted[0]), sort_cmp_u32);
    h += sorted[0] + (uint64_t)sorted[WORDS / 2] * 3 + (uint64_t)sorted[WORDS - 1] * 7;

    /* Merge sort the high halves of the words: many ties, and a different order. */
    for (int i = 0; i < WORDS; i++)
        sorted[i] = words[i] >> 26;
    sort_merge(sorted, tmp, WORDS, sizeof(sorted[0]), sort_cmp_u32);
    for (int i = 0; i < WORDS; i += 4)
        h = h * 31 + sorted[i];
    return h;
}

static uint64_t arith_phase(uint64_t seed)
{
    uint64_t acc = seed | 1;

    for (int i = 0; i < WORDS; i++) {
        uint64_t w = words[i] | 1;
        acc = acc * 6364136223846793005ull + w;
        acc ^= acc / w + acc % (w >> 3 | 1);    /* DIV with varying divisors */
        acc += (uint64_t)(((unsigned __int128)acc * w) >> 64);
        acc = (acc << 13) | (acc >> 51);
    }
    return acc;
}

int main(void)
{
    uint64_t iters = cmdline_u64(boot_cmdline(), "iters", DEFAULT_ITERS);
    struct rng r = rng_seed(2024);
    uint64_t checksum = 0;

    for (uint64_t it = 0; it < iters; it++) {
        for (int i = 0; i < WORDS; i++)
            words[i] = rng_u32(&r);
        checksum = (checksum << 1 | checksum >> 63) ^ hash_phase();
        checksum += sort_phase();
        checksum ^= arith_phase(checksum);
    }
    kprintf("bench_cpu: iters=%llu checksum=%016llx\n", (unsigned long long)iters,
            (unsigned long long)checksum);
    return 0;
}
