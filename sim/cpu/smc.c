#include "smc.h"

#include <stdio.h>
#include <stdlib.h>

#define LINE_SHIFT 6

static uint64_t line_mask(uint64_t pa, uint64_t len)
{
	unsigned first = (unsigned)((pa & (PAGE_SIZE - 1)) >> LINE_SHIFT);
	unsigned last = (unsigned)(((pa + len - 1) & (PAGE_SIZE - 1)) >> LINE_SHIFT);
	uint64_t upto_last = last == 63 ? ~0ull : (1ull << (last + 1)) - 1;
	return upto_last & ~((1ull << first) - 1);
}

static size_t slot_of(uint64_t pfn, size_t cap)
{
	return (size_t)((pfn * 0x9E3779B97F4A7C15ull) >> 40) & (cap - 1);
}

/* Open addressing; slots are never removed (a page whose lines are all gone keeps its
 * slot with lines = 0, ready for reuse). */
static struct code_page *lookup(struct cpu *c, uint64_t pfn, bool insert)
{
	/* data next to code writes the same page again and again: remember the last one */
	if (c->code_page_last && c->code_page_last->pfn_plus1 == pfn + 1)
		return c->code_page_last;
	if (insert && (c->code_pages_used + 1) * 4 > c->code_pages_cap * 3) {
		size_t cap = c->code_pages_cap ? c->code_pages_cap * 2 : 1024;
		struct code_page *t = calloc(cap, sizeof *t);
		if (!t) {
			fputs("hvsim: out of memory (decoded-code page table)\n", stderr);
			abort();
		}
		size_t used = 0;
		for (size_t k = 0; k < c->code_pages_cap; k++) {
			struct code_page *o = &c->code_pages[k];
			if (!o->pfn_plus1 || !o->lines)
				continue;
			size_t s = slot_of(o->pfn_plus1 - 1, cap);
			while (t[s].pfn_plus1)
				s = (s + 1) & (cap - 1);
			t[s] = *o;
			used++;
		}
		free(c->code_pages);
		c->code_pages = t;
		c->code_page_last = NULL;
		c->code_pages_cap = cap;
		c->code_pages_used = used;
	}
	if (!c->code_pages_cap)
		return NULL;
	size_t s = slot_of(pfn, c->code_pages_cap);
	while (c->code_pages[s].pfn_plus1) {
		if (c->code_pages[s].pfn_plus1 == pfn + 1)
			return c->code_page_last = &c->code_pages[s];
		s = (s + 1) & (c->code_pages_cap - 1);
	}
	if (!insert)
		return NULL;
	c->code_pages[s].pfn_plus1 = pfn + 1;
	c->code_pages[s].lines = 0;
	c->code_pages_used++;
	return c->code_page_last = &c->code_pages[s];
}

/* Write entries of the fast path for this host page: FTLB_CODE_PAGE in the tag means
 * "the page holds code: check before writing" (such entries miss the inline fast path). */
static void retag_writes(struct cpu *c, uint64_t pfn, bool code)
{
	uint8_t *page = c->pm->host + (pfn << PAGE_SHIFT);
	for (unsigned k = 0; k < FTLB_SIZE; k++) {
		struct ftlb_entry *e = &c->ftlb[MMU_WRITE][k];
		if (e->host == page && (e->tag & FTLB_EPOCH_MASK) == c->ftlb_epoch)
			e->tag = code ? (e->tag | FTLB_CODE_PAGE) : (e->tag & ~FTLB_CODE_PAGE);
	}
}

void smc_mark(struct cpu *c, uint64_t pa, unsigned len)
{
	uint64_t pfn = pa >> PAGE_SHIFT;
	struct code_page *p = lookup(c, pfn, true);
	p->lines |= line_mask(pa, len);
	if (!phys_is_code(c->pm, pfn)) {
		phys_mark_code(c->pm, pfn);
		retag_writes(c, pfn, true);
	}
}

void smc_write(void *ctx, uint64_t pa, uint64_t len)
{
	struct cpu *c = ctx;
	uint64_t pfn = pa >> PAGE_SHIFT;
	struct code_page *p = lookup(c, pfn, false);
	uint64_t touched = line_mask(pa, len);
	if (p && !(p->lines & touched))
		return;
	if (p) {
		/* drop every decoded instruction that starts in, or runs into, the lines written */
		uint64_t page = pfn << PAGE_SHIFT;
		uint64_t lo = page + ((pa - page) & ~((1ull << LINE_SHIFT) - 1));
		uint64_t hi = page + (((pa + len - 1 - page) | ((1ull << LINE_SHIFT) - 1)) + 1);
		lo = lo >= page + 14 ? lo - 14 : page;
		for (uint64_t a = lo; a < hi; a++) {
			struct insn *e = &c->icache[a & (ICACHE_SIZE - 1)];
			if (e->pa == a) {
				e->pa = ~0ull;
				c->icache_invalidations++;
			}
		}
		p->lines &= ~touched;
		if (p->lines)
			return;
	}
	phys_clear_code(c->pm, pfn);
	retag_writes(c, pfn, false);
}

void smc_free(struct cpu *c)
{
	free(c->code_pages);
	c->code_pages = NULL;
	c->code_page_last = NULL;
	c->code_pages_cap = c->code_pages_used = 0;
}
