/* Guest physical memory: RAM as one host mapping reserved lazily (MAP_NORESERVE), so
 * host memory grows with what the guest touches, not with the configured size.
 * Physical addresses beyond RAM read as all-ones and ignore writes, counted. */
#ifndef HVSIM_MMU_PHYS_H
#define HVSIM_MMU_PHYS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE 4096ull
#define PAGE_MASK (~(PAGE_SIZE - 1))

struct physmem {
	uint8_t *host;
	uint64_t size_bytes;
	/* one bit per 4 KiB page: the page holds decoded instructions. A write to such a
	 * page calls code_write_hook with the bytes written (set by the CPU's
	 * decoded-instruction cache, which keeps finer-grained bookkeeping). */
	uint64_t *code_bitmap;
	void (*code_write_hook)(void *ctx, uint64_t pa, uint64_t len);
	void *code_write_ctx;
	uint64_t oob_reads, oob_writes; /* counters: accesses beyond RAM */
};

/* Returns false (and sets *err) when the host cannot reserve the memory. */
bool physmem_init(struct physmem *pm, uint64_t size_bytes);
void physmem_free(struct physmem *pm);

static inline bool phys_in_ram(const struct physmem *pm, uint64_t pa, uint64_t len)
{
	return pa < pm->size_bytes && len <= pm->size_bytes - pa;
}

static inline bool phys_is_code(const struct physmem *pm, uint64_t pfn)
{
	return (pm->code_bitmap[pfn >> 6] >> (pfn & 63)) & 1;
}

void phys_mark_code(struct physmem *pm, uint64_t pfn);
void phys_clear_code(struct physmem *pm, uint64_t pfn);

/* Host pointer for a RAM page, or NULL beyond RAM. */
static inline uint8_t *phys_page_ptr(const struct physmem *pm, uint64_t pa)
{
	return pa < pm->size_bytes ? pm->host + (pa & PAGE_MASK) : 0;
}

/* Byte-granular accesses of 1..8 bytes that may cross pages and leave RAM. */
uint64_t phys_read(struct physmem *pm, uint64_t pa, unsigned size);
void phys_write(struct physmem *pm, uint64_t pa, unsigned size, uint64_t v);
/* Bulk copies for loaders and the hypervisor model; the caller checks phys_in_ram. */
void phys_write_bytes(struct physmem *pm, uint64_t pa, const void *src, uint64_t len);
void phys_read_bytes(struct physmem *pm, uint64_t pa, void *dst, uint64_t len);

#endif
