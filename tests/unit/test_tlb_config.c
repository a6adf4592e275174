/* The --tlb option: defaults, good and bad strings, the resolved key=value list. */
#include "test_tlb.h"

#include <string.h>

#include "sim/tlb/tlb.h"

static const char defaults_str[] =
	"l1i.entries=64,l1i.ways=64,l1i.large_entries=0,l1i.large_ways=0,"
	"l1d.entries=64,l1d.ways=64,l1d.large_entries=0,l1d.large_ways=0,"
	"l2.entries=2048,l2.ways=8,replacement=lru,seed=1,tagged=on,max_asids=16";

START_TEST(defaults_format)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	char buf[512];
	size_t n = tlb_config_format(&c, buf, sizeof buf);
	ck_assert_str_eq(buf, defaults_str);
	ck_assert_uint_eq(n, strlen(defaults_str));
	/* A short buffer: truncated, terminated, and the needed length reported */
	char small[10];
	ck_assert_uint_eq(tlb_config_format(&c, small, sizeof small), strlen(defaults_str));
	ck_assert_str_eq(small, "l1i.entri");
	ck_assert_uint_eq(tlb_config_format(&c, NULL, 0), strlen(defaults_str));
}
END_TEST

START_TEST(parse_good)
{
	struct tlb_config c;
	char err[512] = "";
	tlb_config_defaults(&c);
	ck_assert_msg(tlb_config_parse(&c, "l1i.entries=32,l1i.ways=4,l1d.entries=0x40,"
				       "l1d.ways=full,l1d.large_entries=32,l1d.large_ways=4,"
				       "l1i.large_entries=8,l1i.large_ways=full,"
				       "l2.entries=1024,l2.ways=16,replacement=random,"
				       "seed=0xdeadbeefcafe,tagged=off,max_asids=64",
				       err, sizeof err), "%s", err);
	ck_assert_uint_eq(c.l1i.entries, 32);
	ck_assert_uint_eq(c.l1i.ways, 4);
	ck_assert_uint_eq(c.l1d.entries, 64);
	ck_assert_uint_eq(c.l1d.ways, 0);
	ck_assert_uint_eq(c.l1d_large.entries, 32);
	ck_assert_uint_eq(c.l1d_large.ways, 4);
	ck_assert_uint_eq(c.l1i_large.entries, 8);
	ck_assert_uint_eq(c.l2.entries, 1024);
	ck_assert_uint_eq(c.l2.ways, 16);
	ck_assert_int_eq(c.replacement, TLB_REPLACE_RANDOM);
	ck_assert_uint_eq(c.seed, 0xdeadbeefcafeull);
	ck_assert(!c.tagged);
	ck_assert_uint_eq(c.max_asids, 64);

	char buf[512];
	tlb_config_format(&c, buf, sizeof buf);
	ck_assert_str_eq(buf, "l1i.entries=32,l1i.ways=4,l1i.large_entries=8,l1i.large_ways=8,"
			      "l1d.entries=64,l1d.ways=64,l1d.large_entries=32,l1d.large_ways=4,"
			      "l2.entries=1024,l2.ways=16,replacement=random,"
			      "seed=244837814094590,tagged=off,max_asids=64");
	/* The resolved string parses back to the same configuration */
	struct tlb_config d;
	tlb_config_defaults(&d);
	ck_assert(tlb_config_parse(&d, buf, err, sizeof err));
	char buf2[512];
	tlb_config_format(&d, buf2, sizeof buf2);
	ck_assert_str_eq(buf, buf2);

	/* Empty: nothing changes. Later keys win. No L2 is allowed. */
	tlb_config_defaults(&c);
	ck_assert(tlb_config_parse(&c, "", err, sizeof err));
	tlb_config_format(&c, buf, sizeof buf);
	ck_assert_str_eq(buf, defaults_str);
	ck_assert(tlb_config_parse(&c, "seed=5,seed=6,l2.entries=0,tagged=on", err, sizeof err));
	ck_assert_uint_eq(c.seed, 6);
	ck_assert_uint_eq(c.l2.entries, 0);
	/* Cross-key checks run after every key: order does not matter */
	tlb_config_defaults(&c);
	ck_assert(tlb_config_parse(&c, "l1d.ways=8,l1d.entries=128", err, sizeof err));
	ck_assert(tlb_config_parse(&c, "l2.ways=1,l2.entries=1", err, sizeof err));
}
END_TEST

struct bad {
	const char *opt, *err;
};

static const struct bad bad[] = {
	{ "l3.entries=4", "unknown key 'l3.entries' (keys: l1i.entries, l1i.ways, "
			  "l1i.large_entries, l1i.large_ways, l1d.entries, l1d.ways, "
			  "l1d.large_entries, l1d.large_ways, l2.entries, l2.ways, replacement, "
			  "seed, tagged, max_asids)" },
	{ "l2.entries", "'l2.entries' is not key=value" },
	{ "l2.entries=", "l2.entries: no value" },
	{ "l2.entries=123456789012345678901234567890123", "l2.entries: too long a value" },
	{ "l2.entries=abc", "l2.entries=abc: not a number of entries (decimal or 0x hex)" },
	{ "l2.entries=-8", "l2.entries=-8: not a number of entries (decimal or 0x hex)" },
	{ "l2.entries= 8", "l2.entries= 8: not a number of entries (decimal or 0x hex)" },
	{ "l2.entries=8k", "l2.entries=8k: not a number of entries (decimal or 0x hex)" },
	{ "l2.entries=0x", "l2.entries=0x: not a number of entries (decimal or 0x hex)" },
	{ "l2.entries=4294967296", "l2.entries=4294967296: not a number of entries (decimal "
				   "or 0x hex)" },
	{ "l1d.ways=most", "l1d.ways=most: not a number of ways (a number, or 'full' for fully "
			   "associative)" },
	{ "replacement=fifo", "replacement=fifo: must be lru or random" },
	{ "tagged=yes", "tagged=yes: must be on or off" },
	{ "seed=0x1g", "seed=0x1g: not a 64-bit number (decimal or 0x hex)" },
	{ "max_asids=many", "max_asids=many: not a number (0 to 1024)" },
	{ "max_asids=2000", "max_asids=2000: more than 1024" },
	{ "l2.ways=3", "l2.ways=3 does not divide l2.entries=2048" },
	{ "l2.ways=4096", "l2.ways=4096: more ways than l2.entries=2048" },
	{ "l2.entries=1536", "l2.entries=1536 with l2.ways=8 gives 192 sets; the number of sets "
			     "(entries / ways) must be a power of two" },
	{ "l2.entries=131072", "l2.entries=131072: more than the 65536 entries an array may "
			       "have" },
	{ "l1d.entries=0", "l1d.entries=0: an L1 TLB needs at least 1 entry" },
	{ "l1i.entries=0", "l1i.entries=0: an L1 TLB needs at least 1 entry" },
	{ "l1d.large_entries=6,l1d.large_ways=4",
	  "l1d.large_ways=4 does not divide l1d.large_entries=6" },
	{ "l1i.large_entries=12,l1i.large_ways=4",
	  "l1i.large_entries=12 with l1i.large_ways=4 gives 3 sets; the number of sets "
	  "(entries / ways) must be a power of two" },
	{ "seed=1,,tagged=on", "'seed=1,,tagged=on': empty item; separate key=value pairs with "
			       "single commas" },
	{ ",seed=1", "',seed=1': empty item; separate key=value pairs with single commas" },
	{ "seed=1,", "'seed=1,': trailing comma" },
	{ "=4", "unknown key '' (keys: l1i.entries, l1i.ways, l1i.large_entries, "
		"l1i.large_ways, l1d.entries, l1d.ways, l1d.large_entries, l1d.large_ways, "
		"l2.entries, l2.ways, replacement, seed, tagged, max_asids)" },
};

START_TEST(parse_bad)
{
	const struct bad *b = &bad[_i];
	struct tlb_config c, before;
	tlb_config_defaults(&c);
	before = c;
	char err[512] = "";
	ck_assert_msg(!tlb_config_parse(&c, b->opt, err, sizeof err), "accepted '%s'", b->opt);
	ck_assert_str_eq(err, b->err);
	ck_assert_msg(strchr(err, '\n') == NULL, "error is one line");
	ck_assert_msg(memcmp(&c, &before, sizeof c) == 0, "'%s' changed the config", b->opt);
}
END_TEST

START_TEST(parse_bad_short_error_buffer)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	char err[16];
	ck_assert(!tlb_config_parse(&c, "nonsense=1", err, sizeof err));
	ck_assert_str_eq(err, "unknown key 'no");
}
END_TEST

static void collect(void *ctx, const char *key, const char *value)
{
	unsigned *n = ctx;
	ck_assert(key[0] && value[0]);
	(*n)++;
}

START_TEST(each_lists_every_key)
{
	struct tlb_config c;
	tlb_config_defaults(&c);
	unsigned n = 0;
	tlb_config_each(&c, collect, &n);
	ck_assert_uint_eq(n, 14);
}
END_TEST

TCase *tlb_config_tcase(void)
{
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, defaults_format);
	tcase_add_test(tc, parse_good);
	tcase_add_loop_test(tc, parse_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, parse_bad_short_error_buffer);
	tcase_add_test(tc, each_lists_every_key);
	return tc;
}
