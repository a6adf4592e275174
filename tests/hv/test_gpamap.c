/* Check unit tests of hv's GPA map (hv/gpamap.c), built for the host. Its tables live
 * in a simulated physical memory (sim/mmu's physmem), and every map is checked against
 * the simulator's own nested walk (mmu_walk with nested-access rules: user, NX), so what
 * hv builds is what the hardware model reads. */
#include "unit.h"

#include <stdint.h>
#include <stdlib.h>

#include "gpamap.h"
#include "sim/mmu/phys.h"
#include "sim/mmu/walk.h"

#define ARENA (64ull << 20)     /* "host RAM" of the test */
#define TABLES_BASE (1ull << 20) /* tables are allocated from here up */

static struct physmem pm;
static uint64_t next_table, table_limit;
static unsigned allocs, frees;

static uint64_t arena_alloc(void *ctx)
{
	if (next_table >= table_limit)
		return 0;
	uint64_t pa = next_table;
	next_table += 4096;
	memset(pm.host + pa, 0, 4096);
	allocs++;
	return pa;
}

static void arena_free(void *ctx, uint64_t hpa)
{
	ck_assert(hpa >= TABLES_BASE && hpa < next_table && !(hpa & 4095));
	frees++;
}

static struct gpamap_ops ops = { 0, 0, arena_alloc, arena_free };

static void setup(void)
{
	ck_assert(physmem_init(&pm, ARENA));
	ops.host_base = (uintptr_t)pm.host;
	next_table = TABLES_BASE;
	table_limit = 16ull << 20;
	allocs = frees = 0;
}

static void teardown(void)
{
	physmem_free(&pm);
}

/* The simulator's answer for gpa: walked as the nested dimension is (specs/svm.md:
 * user accesses, the host's WP and NXE) */
static bool sim_walk(const struct gpamap *m, uint64_t gpa, enum mmu_access acc, uint64_t *hpa)
{
	struct walk_req req = { .cr3 = m->top_hpa, .user = true, .wp = true, .nxe = true,
				.no_ad = true, .access = acc };
	struct walk_result r;
	bool ok = mmu_walk(&pm, &req, gpa, &r);
	if (ok)
		*hpa = r.pa;
	return ok;
}

/* gpamap_translate and the simulator agree on gpa, for every access kind */
static void agree(const struct gpamap *m, uint64_t gpa)
{
	uint64_t hpa = 0, entry, sim_hpa = 0;
	bool mapped = gpamap_translate(m, gpa, &hpa, &entry) == GPAMAP_OK;
	unsigned rights = gpamap_rights(entry);
	ck_assert_msg(sim_walk(m, gpa, MMU_READ, &sim_hpa) == mapped, "read of 0x%lx", gpa);
	if (mapped)
		ck_assert_uint_eq(sim_hpa, hpa);
	ck_assert_msg(sim_walk(m, gpa, MMU_WRITE, &sim_hpa) == (mapped && (rights & GPAMAP_WRITE)),
		      "write of 0x%lx", gpa);
	ck_assert_msg(sim_walk(m, gpa, MMU_EXEC, &sim_hpa) == (mapped && (rights & GPAMAP_EXEC)),
		      "fetch of 0x%lx", gpa);
}

START_TEST(empty_map)
{
	struct gpamap m;
	ck_assert_int_eq(gpamap_init(&m, &ops), GPAMAP_OK);
	ck_assert_uint_eq(m.table_pages, 1);
	uint64_t hpa, e;
	ck_assert_int_eq(gpamap_translate(&m, 0, &hpa, &e), GPAMAP_ABSENT);
	ck_assert_int_eq(gpamap_translate(&m, GPAMAP_GPA_LIMIT, &hpa, &e), GPAMAP_RANGE);
	agree(&m, 0x123456);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

START_TEST(entries_encode_rights)
{
	uint64_t e = gpamap_make_entry(0x5000, GPAMAP_READ);
	ck_assert(e & NPT_P);
	ck_assert(e & NPT_U);
	ck_assert(!(e & NPT_RW));
	ck_assert(e & NPT_NX);
	ck_assert_uint_eq(e & NPT_ADDR_MASK, 0x5000);
	ck_assert_uint_eq(gpamap_rights(e), GPAMAP_READ);
	e = gpamap_make_entry(0x5000, GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC);
	ck_assert_uint_eq(gpamap_rights(e), GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC);
	ck_assert_uint_eq(gpamap_rights(gpamap_make_entry(0x5000, 0)), 0); /* not present */
	e = gpamap_with_count(e, 2047);
	ck_assert_uint_eq(gpamap_count(e), 2047);
	ck_assert_uint_eq(e & NPT_ADDR_MASK, 0x5000);
	ck_assert_uint_eq(gpamap_rights(e), GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC);
}
END_TEST

START_TEST(pages_4k)
{
	struct gpamap m;
	gpamap_init(&m, &ops);
	ck_assert_int_eq(gpamap_map_4k(&m, 0x1000, 0x2000000, GPAMAP_READ | GPAMAP_WRITE), GPAMAP_OK);
	ck_assert_int_eq(gpamap_map_4k(&m, 0x2000, 0x2005000, GPAMAP_READ | GPAMAP_EXEC), GPAMAP_OK);
	ck_assert_int_eq(gpamap_map_4k(&m, 0x1000, 0x2009000, GPAMAP_READ), GPAMAP_EXISTS);
	ck_assert_int_eq(gpamap_map_4k(&m, 0x1800, 0x2009000, GPAMAP_READ), GPAMAP_RANGE);
	ck_assert_int_eq(gpamap_map_4k(&m, GPAMAP_GPA_LIMIT, 0x2009000, GPAMAP_READ), GPAMAP_RANGE);
	ck_assert_uint_eq(m.pages_4k, 2);
	ck_assert_uint_eq(m.table_pages, 4);
	for (uint64_t g = 0; g < 0x4000; g += 0x800)
		agree(&m, g);
	uint64_t old;
	ck_assert_int_eq(gpamap_unmap_4k(&m, 0x1000, &old), GPAMAP_OK);
	ck_assert_uint_eq(old & NPT_ADDR_MASK, 0x2000000);
	ck_assert_int_eq(gpamap_unmap_4k(&m, 0x1000, &old), GPAMAP_ABSENT);
	ck_assert_int_eq(gpamap_unmap_4k(&m, 0x7000000000ull, &old), GPAMAP_ABSENT);
	ck_assert_uint_eq(m.pages_4k, 1);
	agree(&m, 0x1000);
	agree(&m, 0x2000);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

START_TEST(large_pages_split)
{
	struct gpamap m;
	gpamap_init(&m, &ops);
	ck_assert_int_eq(gpamap_map_2m(&m, 0x200000, 0x1000000, GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC),
			 GPAMAP_OK);
	ck_assert_int_eq(gpamap_map_2m(&m, 0x201000, 0x1000000, GPAMAP_READ), GPAMAP_RANGE);
	ck_assert_int_eq(gpamap_map_2m(&m, 0x200000, 0x1200000, GPAMAP_READ), GPAMAP_EXISTS);
	ck_assert_uint_eq(m.pages_2m, 1);
	agree(&m, 0x2ABCDE);
	int err;
	/* no split asked: the 4 KiB entry is not there */
	ck_assert_ptr_null(gpamap_entry(&m, 0x203000, 0, 0, &err));
	ck_assert_int_eq(err, GPAMAP_ABSENT);
	uint64_t tables = m.table_pages;
	uint64_t *e = gpamap_entry(&m, 0x203000, 0, 1, &err);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(m.table_pages, tables + 1);
	ck_assert_uint_eq(m.pages_2m, 0);
	ck_assert_uint_eq(m.pages_4k, 512);
	ck_assert_uint_eq(*e & NPT_ADDR_MASK, 0x1003000);
	/* the split changes no translation */
	for (uint64_t g = 0x200000; g < 0x400000; g += 0x1F000)
		agree(&m, g);
	/* one page read-only, as hv does for the hypercall page */
	gpamap_store(&m, e, (*e & ~NPT_RW) | GPAMAP_SW_OVERLAY);
	agree(&m, 0x203000);
	uint64_t hpa, entry;
	ck_assert_int_eq(gpamap_translate(&m, 0x203010, &hpa, &entry), GPAMAP_OK);
	ck_assert_uint_eq(gpamap_rights(entry), GPAMAP_READ | GPAMAP_EXEC);
	ck_assert(entry & GPAMAP_SW_OVERLAY);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

/* A deposited page: not present, its address kept, seen by destroy's visitor */
struct visited { unsigned present, kept; uint64_t kept_hpa; };
static void visit(void *arg, uint64_t gpa, uint64_t entry)
{
	struct visited *v = arg;
	if (entry & NPT_P)
		v->present++;
	else {
		v->kept++;
		v->kept_hpa = entry & NPT_ADDR_MASK;
		ck_assert(entry & GPAMAP_SW_DEPOSITED);
	}
}

START_TEST(deposited_entries)
{
	struct gpamap m;
	gpamap_init(&m, &ops);
	gpamap_map_2m(&m, 0, 0x1000000, GPAMAP_READ | GPAMAP_WRITE | GPAMAP_EXEC);
	int err;
	uint64_t *e = gpamap_entry(&m, 0x5000, 0, 1, &err);
	uint64_t hpa = *e & NPT_ADDR_MASK;
	gpamap_store(&m, e, hpa | GPAMAP_SW_DEPOSITED);
	ck_assert_uint_eq(m.pages_4k, 511);
	agree(&m, 0x5000);
	uint64_t h, entry;
	ck_assert_int_eq(gpamap_translate(&m, 0x5000, &h, &entry), GPAMAP_ABSENT);
	ck_assert(entry & GPAMAP_SW_DEPOSITED);
	struct visited v = { 0 };
	gpamap_destroy(&m, visit, &v);
	ck_assert_uint_eq(v.present, 511);
	ck_assert_uint_eq(v.kept, 1);
	ck_assert_uint_eq(v.kept_hpa, 0x1005000);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

START_TEST(out_of_table_pages)
{
	struct gpamap m;
	table_limit = TABLES_BASE + 3 * 4096; /* the top table and two more */
	gpamap_init(&m, &ops);
	ck_assert_int_eq(gpamap_map_4k(&m, 0x1000, 0x2000000, GPAMAP_READ), GPAMAP_ENOMEM);
	ck_assert_uint_eq(m.pages_4k, 0);
	uint64_t hpa, e;
	ck_assert_int_eq(gpamap_translate(&m, 0x1000, &hpa, &e), GPAMAP_ABSENT);
	agree(&m, 0x1000);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);

	/* a split that finds no page fails and leaves the 2 MiB page as it was */
	table_limit = next_table + 3 * 4096;
	gpamap_init(&m, &ops);
	ck_assert_int_eq(gpamap_map_2m(&m, 0, 0x1000000, GPAMAP_READ), GPAMAP_OK);
	uint64_t old;
	ck_assert_int_eq(gpamap_unmap_4k(&m, 0x3000, &old), GPAMAP_ENOMEM);
	ck_assert_uint_eq(m.pages_2m, 1);
	agree(&m, 0x3000);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

/* Many random maps and unmaps, mirrored in a plain array; the map, the mirror and the
 * simulator's walk must always agree. */
START_TEST(random_against_mirror)
{
	enum { PAGES = 4096 };          /* GPAs [0, 16 MiB) and a far window */
	static uint64_t mirror[2 * PAGES];
	memset(mirror, 0, sizeof mirror);
	struct gpamap m;
	gpamap_init(&m, &ops);
	uint64_t x = 12345;
	for (unsigned i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		unsigned slot = (unsigned)(x % (2 * PAGES));
		uint64_t gpa = slot < PAGES ? (uint64_t)slot * 4096
					    : 0x7F00000000ull + (uint64_t)(slot - PAGES) * 4096;
		uint64_t hpa = 0x2000000 + ((x >> 20) % 4096) * 4096;
		unsigned rights = GPAMAP_READ | (unsigned)((x >> 40) & 6);
		if ((x >> 50) & 1) {
			int r = gpamap_map_4k(&m, gpa, hpa, rights);
			ck_assert_int_eq(r, mirror[slot] ? GPAMAP_EXISTS : GPAMAP_OK);
			if (r == GPAMAP_OK)
				mirror[slot] = gpamap_make_entry(hpa, rights);
		} else {
			uint64_t old;
			int r = gpamap_unmap_4k(&m, gpa, &old);
			ck_assert_int_eq(r, mirror[slot] ? GPAMAP_OK : GPAMAP_ABSENT);
			if (r == GPAMAP_OK)
				ck_assert_uint_eq(old, mirror[slot]);
			mirror[slot] = 0;
		}
		if (i % 64 == 0)
			agree(&m, gpa + (x & 4095));
	}
	uint64_t present = 0;
	for (unsigned s = 0; s < 2 * PAGES; s++)
		present += mirror[s] != 0;
	ck_assert_uint_eq(m.pages_4k, present);
	gpamap_destroy(&m, 0, 0);
	ck_assert_uint_eq(allocs, frees);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("gpamap");
	TCase *tc = tcase_create("gpamap");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_map);
	tcase_add_test(tc, entries_encode_rights);
	tcase_add_test(tc, pages_4k);
	tcase_add_test(tc, large_pages_split);
	tcase_add_test(tc, deposited_entries);
	tcase_add_test(tc, out_of_table_pages);
	tcase_add_test(tc, random_against_mirror);
	suite_add_tcase(s, tc);
	return s;
}
