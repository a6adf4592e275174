/* hvtrace: the command (hvtrace.h lists the subcommands). */
#include <stdio.h>
#include <string.h>

#include "hvtrace.h"

static void print_usage(FILE *f)
{
	fputs("usage: hvtrace info FILE          header, records per kind, sizes, chunks\n"
	      "       hvtrace dump FILE [--kind K,...] [--asid N] [--limit N]\n"
	      "                                  the events as text, one a line\n"
	      "       hvtrace stats FILE         summary counters computed from the trace\n"
	      "       hvtrace tlb-replay FILE [--tlb KEY=VAL,...] [--policy lru|random] [--json]\n"
	      "                  [--verify]      feed the references and flushes through the TLB\n"
	      "                                  model (sim/tlb) and print its counters; --verify:\n"
	      "                                  stop at the first reference whose outcome differs\n"
	      "                                  from the recorded one (exit status 1)\n"
	      "\n"
	      "FILE is an event trace (hvsim run --trace FILE) or, for info and dump, a recording\n"
	      "(hvsim run --record FILE). Kinds: ref, fill, flush, exit, vmrun, hypercall.\n"
	      "Exit status: 0; 1 tlb-replay --verify found a difference; 2 bad usage or a\n"
	      "corrupt, truncated or unsupported file.\n",
	      f);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return ht_usage("missing command; try 'hvtrace --help'");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		print_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	if (strcmp(cmd, "dump") == 0)
		return cmd_dump(argc - 1, argv + 1);
	if (strcmp(cmd, "stats") == 0)
		return cmd_stats(argc - 1, argv + 1);
	if (strcmp(cmd, "tlb-replay") == 0)
		return cmd_tlb_replay(argc - 1, argv + 1);
	return ht_usage("unknown command '%s'; try 'hvtrace --help'", cmd);
}
