#include "phys.h"

#include <stdlib.h>
#include <sys/mman.h>

bool physmem_init(struct physmem *pm, uint64_t size_bytes)
{
	memset(pm, 0, sizeof *pm);
	void *p = mmap(NULL, size_bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return false;
	uint64_t pages = (size_bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
	pm->code_bitmap = calloc((pages + 63) / 64, sizeof(uint64_t));
	if (!pm->code_bitmap) {
		munmap(p, size_bytes);
		return false;
	}
	pm->host = p;
	pm->size_bytes = size_bytes;
	return true;
}

void physmem_free(struct physmem *pm)
{
	if (pm->host)
		munmap(pm->host, pm->size_bytes);
	free(pm->code_bitmap);
	memset(pm, 0, sizeof *pm);
}

void phys_mark_code(struct physmem *pm, uint64_t pfn)
{
	pm->code_bitmap[pfn >> 6] |= 1ull << (pfn & 63);
}

void phys_clear_code(struct physmem *pm, uint64_t pfn)
{
	pm->code_bitmap[pfn >> 6] &= ~(1ull << (pfn & 63));
}

/* Tells the code-write hook about the RAM bytes [pa, pa+len) about to be written. */
static void note_write(struct physmem *pm, uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len < pm->size_bytes ? pa + len : pm->size_bytes;
	while (pa < end) {
		uint64_t chunk_end = (pa & PAGE_MASK) + PAGE_SIZE;
		if (chunk_end > end)
			chunk_end = end;
		if (phys_is_code(pm, pa >> PAGE_SHIFT) && pm->code_write_hook)
			pm->code_write_hook(pm->code_write_ctx, pa, chunk_end - pa);
		pa = chunk_end;
	}
}

uint64_t phys_read(struct physmem *pm, uint64_t pa, unsigned size)
{
	if (phys_in_ram(pm, pa, size)) {
		uint64_t v = 0;
		memcpy(&v, pm->host + pa, size);
		return v;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint64_t b = 0xff;
		if (pa + i < pm->size_bytes)
			b = pm->host[pa + i];
		else
			pm->oob_reads++;
		v |= b << (8 * i);
	}
	return v;
}

void phys_write(struct physmem *pm, uint64_t pa, unsigned size, uint64_t v)
{
	if (pa < pm->size_bytes)
		note_write(pm, pa, size);
	for (unsigned i = 0; i < size; i++) {
		uint64_t a = pa + i;
		if (a >= pm->size_bytes) {
			pm->oob_writes++;
			continue;
		}
		pm->host[a] = (uint8_t)(v >> (8 * i));
	}
}

void phys_write_bytes(struct physmem *pm, uint64_t pa, const void *src, uint64_t len)
{
	note_write(pm, pa, len);
	memcpy(pm->host + pa, src, len);
}

void phys_read_bytes(struct physmem *pm, uint64_t pa, void *dst, uint64_t len)
{
	memcpy(dst, pm->host + pa, len);
}
