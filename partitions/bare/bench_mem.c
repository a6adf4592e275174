/* bench_mem: a memory-heavy benchmark whose working set is larger than the TLB. Each
   round visits every 4 KiB page of a 32 MiB array (8192 pages, four times the default
   L2 TLB) in a scrambled order and updates one word in each, so nearly every access
   needs a translation the TLB no longer holds. "rounds=N" sets the round count; the
   default runs about 200 million instructions natively at -O2. Prints a checksum. */
#include <stdint.h>

#include "bootinfo.h"
#include "cmdline.h"
#include "kprintf.h"
#include "smallpages.h"

#define DEFAULT_ROUNDS 2400
#define PAGES 8192
#define WORDS_PER_PAGE (4096 / 8)

static uint64_t arena[PAGES * WORDS_PER_PAGE];

int main(void)
{
	uint64_t rounds = cmdline_u64(boot_cmdline(), "rounds", DEFAULT_ROUNDS);
	uint64_t sum = 0;
	use_small_pages(arena, sizeof arena); /* the working set in 4 KiB TLB entries */
	for (uint64_t r = 0; r < rounds; r++) {
		/* an odd multiplier visits every page once per round, in a scattered order */
		uint64_t page = r * 7;
		for (uint64_t k = 0; k < PAGES; k++) {
			page = (page * 1103515245u + 12345u) & (PAGES - 1);
			uint64_t *w = &arena[page * WORDS_PER_PAGE + ((r + k) & (WORDS_PER_PAGE - 1))];
			*w = *w * 6364136223846793005ull + page;
			sum = sum * 31 + (*w >> 7);
		}
	}
	kprintf("bench_mem: rounds=%llu pages=%u checksum=%016llx\n", (unsigned long long)rounds,
		PAGES, (unsigned long long)sum);
	return 0;
}
