/* hv's own pages: the reservation [0, HV_RESERVED_BYTES) past hv's image and the boot
 * modules. They hold hv's page tables, the root's nested tables, VMCB and VP state, the
 * shared permission maps and the host save area. Never-used pages are handed out in
 * address order from a bump pointer (deterministic, nothing touched up front); freed
 * pages go on a list threaded through their first word. A child's structures never come
 * from here: they come from the pages its root deposited (partition.c). */
#include "hv.h"
#include "kstring.h"

static uint64_t next_unused, pool_end;
static uint64_t free_list, nr_listed;

void pool_init(uint64_t start, uint64_t end)
{
	next_unused = start;
	pool_end = end;
}

uint64_t pool_alloc(void)
{
	uint64_t pa;
	if (free_list) {
		pa = free_list;
		free_list = *(uint64_t *)hv_ptr(pa);
		nr_listed--;
	} else if (next_unused + HV_PAGE <= pool_end) {
		pa = next_unused;
		next_unused += HV_PAGE;
	} else {
		return 0;
	}
	memset(hv_ptr(pa), 0, HV_PAGE);
	return pa;
}

uint64_t pool_alloc_contig(unsigned n)
{
	if (next_unused + n * HV_PAGE > pool_end)
		return 0;
	uint64_t pa = next_unused;
	next_unused += n * HV_PAGE;
	memset(hv_ptr(pa), 0, n * HV_PAGE);
	return pa;
}

void pool_free(uint64_t pa)
{
	*(uint64_t *)hv_ptr(pa) = free_list;
	free_list = pa;
	nr_listed++;
}

uint64_t pool_free_pages(void)
{
	return (pool_end - next_unused) / HV_PAGE + nr_listed;
}

/* The root's nested tables come from the pool (gpamap.h ops), reached through hv's
 * identity map */
static uint64_t pool_table_alloc(void *ctx) { return pool_alloc(); }
static void pool_table_free(void *ctx, uint64_t hpa) { pool_free(hpa); }

const struct gpamap_ops pool_gpamap_ops = {
	.ctx = 0, .host_base = 0, .alloc = pool_table_alloc, .free = pool_table_free,
};
