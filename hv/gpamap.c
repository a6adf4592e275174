/* Nested page tables (gpamap.h). Upper-level entries are permissive (P, RW, U, no NX):
 * the leaf alone decides what a page allows, since the walker takes the most
 * restrictive rights of all levels (APM vol. 2 §5.6). */
#include "gpamap.h"

#define LEVELS 4
#define ENTRIES 512
#define UPPER_FLAGS (NPT_P | NPT_RW | NPT_U)

static uint64_t *table_at(const struct gpamap *m, uint64_t hpa)
{
	return (uint64_t *)(m->ops->host_base + (hpa & NPT_ADDR_MASK));
}

/* The index of gpa in the table at level (4: PML4 ... 1: PT) */
static unsigned index_of(uint64_t gpa, int level)
{
	return (unsigned)(gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t new_table(struct gpamap *m)
{
	uint64_t hpa = m->ops->alloc(m->ops->ctx);
	if (hpa)
		m->table_pages++;
	return hpa;
}

int gpamap_init(struct gpamap *m, const struct gpamap_ops *ops)
{
	*m = (struct gpamap){ .ops = ops };
	m->top_hpa = new_table(m);
	return m->top_hpa ? GPAMAP_OK : GPAMAP_ENOMEM;
}

uint64_t gpamap_make_entry(uint64_t hpa, unsigned rights)
{
	uint64_t e = (hpa & NPT_ADDR_MASK) | NPT_U;
	if (rights & GPAMAP_READ)
		e |= NPT_P;
	if (rights & GPAMAP_WRITE)
		e |= NPT_RW;
	if (!(rights & GPAMAP_EXEC))
		e |= NPT_NX;
	return e;
}

unsigned gpamap_rights(uint64_t entry)
{
	if (!(entry & NPT_P))
		return 0;
	return GPAMAP_READ | ((entry & NPT_RW) ? GPAMAP_WRITE : 0) |
	       ((entry & NPT_NX) ? 0 : GPAMAP_EXEC);
}

/* The entry at `level` on the way to gpa (level 4 is the PML4 entry), creating the
 * tables above it when create is set. 0 with *err when it cannot be reached. Stops
 * early at a 2 MiB leaf covering gpa when level < 2: *large is then set. */
static uint64_t *walk_to(struct gpamap *m, uint64_t gpa, int level, int create, int *err,
			 int *large)
{
	uint64_t *table = table_at(m, m->top_hpa);
	*large = 0;
	for (int l = LEVELS; l > level; l--) {
		uint64_t *e = &table[index_of(gpa, l)];
		if (l == 2 && (*e & NPT_PS)) {
			*large = 1;
			return e;
		}
		if (!(*e & NPT_P)) {
			if (!create) {
				*err = GPAMAP_ABSENT;
				return 0;
			}
			uint64_t t = new_table(m);
			if (!t) {
				*err = GPAMAP_ENOMEM;
				return 0;
			}
			*e = t | UPPER_FLAGS;
		}
		table = table_at(m, *e);
	}
	return &table[index_of(gpa, level)];
}

/* Replaces the 2 MiB leaf *pde with a table of 512 4 KiB leaves saying the same. */
static int split_2m(struct gpamap *m, uint64_t *pde)
{
	uint64_t t = new_table(m);
	if (!t)
		return GPAMAP_ENOMEM;
	uint64_t *pt = table_at(m, t);
	uint64_t base = *pde & NPT_ADDR_MASK & ~(GPAMAP_LARGE_PAGE_SIZE - 1);
	/* the same bits but PS (which in a PTE would be PAT) and the address */
	uint64_t flags = *pde & ~(NPT_ADDR_MASK | NPT_PS);
	for (unsigned i = 0; i < ENTRIES; i++)
		pt[i] = (base + i * GPAMAP_PAGE_SIZE) | flags;
	*pde = t | UPPER_FLAGS;
	m->pages_2m--;
	m->pages_4k += ENTRIES;
	return GPAMAP_OK;
}

int gpamap_map_2m(struct gpamap *m, uint64_t gpa, uint64_t hpa, unsigned rights)
{
	int err = GPAMAP_OK, large;
	if ((gpa | hpa) & (GPAMAP_LARGE_PAGE_SIZE - 1) || gpa >= GPAMAP_GPA_LIMIT)
		return GPAMAP_RANGE;
	uint64_t *e = walk_to(m, gpa, 2, 1, &err, &large);
	if (!e)
		return err;
	/* a present PDE is a leaf or points at a table of 4 KiB pages: either way, taken */
	if (*e & NPT_P)
		return GPAMAP_EXISTS;
	*e = gpamap_make_entry(hpa, rights) | NPT_PS;
	m->pages_2m++;
	return GPAMAP_OK;
}

uint64_t *gpamap_entry(struct gpamap *m, uint64_t gpa, int create, int split, int *err)
{
	int large;
	*err = GPAMAP_OK;
	if (gpa >= GPAMAP_GPA_LIMIT) {
		*err = GPAMAP_RANGE;
		return 0;
	}
	uint64_t region = gpa & ~(GPAMAP_LARGE_PAGE_SIZE - 1);
	if (m->last_pt && m->last_pt_gpa == region)
		return &m->last_pt[index_of(gpa, 1)];
	uint64_t *e = walk_to(m, gpa, 1, create, err, &large);
	if (e && !large) {
		m->last_pt = e - index_of(gpa, 1);
		m->last_pt_gpa = region;
	}
	if (!e || !large)
		return e;
	if (!split) {
		*err = GPAMAP_ABSENT;
		return 0;
	}
	int r = split_2m(m, e);
	if (r != GPAMAP_OK) {
		*err = r;
		return 0;
	}
	return &table_at(m, *e)[index_of(gpa, 1)];
}

void gpamap_store(struct gpamap *m, uint64_t *slot, uint64_t value)
{
	if ((*slot & NPT_P) && !(value & NPT_P))
		m->pages_4k--;
	else if (!(*slot & NPT_P) && (value & NPT_P))
		m->pages_4k++;
	*slot = value;
}

int gpamap_map_4k(struct gpamap *m, uint64_t gpa, uint64_t hpa, unsigned rights)
{
	int err;
	if (gpa & (GPAMAP_PAGE_SIZE - 1))
		return GPAMAP_RANGE;
	uint64_t *e = gpamap_entry(m, gpa, 1, 0, &err);
	if (!e)
		return err == GPAMAP_ABSENT ? GPAMAP_EXISTS : err; /* ABSENT here: a 2 MiB leaf */
	if (*e & NPT_P)
		return GPAMAP_EXISTS;
	gpamap_store(m, e, gpamap_make_entry(hpa, rights));
	return GPAMAP_OK;
}

int gpamap_unmap_4k(struct gpamap *m, uint64_t gpa, uint64_t *old)
{
	int err;
	uint64_t *e = gpamap_entry(m, gpa, 0, 1, &err);
	*old = e ? *e : 0;
	if (!e)
		return err == GPAMAP_ENOMEM ? err : GPAMAP_ABSENT;
	if (!(*e & NPT_P))
		return GPAMAP_ABSENT;
	gpamap_store(m, e, 0);
	return GPAMAP_OK;
}

int gpamap_translate(const struct gpamap *m, uint64_t gpa, uint64_t *hpa, uint64_t *entry)
{
	*entry = 0;
	if (gpa >= GPAMAP_GPA_LIMIT)
		return GPAMAP_RANGE;
	const uint64_t *table = table_at(m, m->top_hpa);
	for (int l = LEVELS; l >= 1; l--) {
		uint64_t e = table[index_of(gpa, l)];
		if (l == 2 && (e & NPT_PS)) {
			*entry = e;
			if (!(e & NPT_P))
				return GPAMAP_ABSENT;
			*hpa = (e & NPT_ADDR_MASK & ~(GPAMAP_LARGE_PAGE_SIZE - 1)) |
			       (gpa & (GPAMAP_LARGE_PAGE_SIZE - 1));
			return GPAMAP_OK;
		}
		if (l == 1) {
			*entry = e;
			if (!(e & NPT_P))
				return GPAMAP_ABSENT;
			*hpa = (e & NPT_ADDR_MASK) | (gpa & (GPAMAP_PAGE_SIZE - 1));
			return GPAMAP_OK;
		}
		if (!(e & NPT_P))
			return GPAMAP_ABSENT;
		table = table_at(m, e);
	}
	return GPAMAP_ABSENT;
}

/* Frees the table at level (hpa) and everything below it, leaves visited first. */
static void destroy_table(struct gpamap *m, uint64_t hpa, int level, uint64_t gpa_base,
			  void (*visit)(void *, uint64_t, uint64_t), void *arg)
{
	uint64_t *t = table_at(m, hpa);
	uint64_t span = 1ull << (12 + 9 * (level - 1));
	for (unsigned i = 0; i < ENTRIES; i++) {
		uint64_t e = t[i], gpa = gpa_base + i * span;
		int leaf = level == 1 || (level == 2 && (e & NPT_PS));
		if (leaf) {
			if (visit && ((e & NPT_P) || (e & NPT_ADDR_MASK)))
				visit(arg, gpa, e);
		} else if (e & NPT_P) {
			destroy_table(m, e & NPT_ADDR_MASK, level - 1, gpa, visit, arg);
		}
	}
	m->ops->free(m->ops->ctx, hpa);
	m->table_pages--;
}

void gpamap_destroy(struct gpamap *m, void (*visit)(void *arg, uint64_t gpa, uint64_t entry),
		    void *arg)
{
	if (m->top_hpa)
		destroy_table(m, m->top_hpa, LEVELS, 0, visit, arg);
	m->top_hpa = 0;
	m->last_pt = 0;
	m->pages_4k = m->pages_2m = 0;
}
