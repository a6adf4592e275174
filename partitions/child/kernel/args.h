/* The child kernel's boot arguments (its command line: `hvsim run --cmdline STR`, or
   `args=STR` of `hvsim boot --child`). README.md in this folder lists them. */
#ifndef ARGS_H
#define ARGS_H

#include <stdint.h>

enum workload { WL_SWITCH, WL_UNMAP, WL_BYSTANDER };
enum enlightened { ENL_OFF, ENL_ON, ENL_AUTO };

struct kargs {
    enum workload workload;
    enum enlightened enlightened;
    uint64_t procs;         /* processes */
    uint64_t pages;         /* switch, bystander: working-set pages of each */
    uint64_t units;         /* work units to do in all (0: no limit) */
    uint64_t slices;        /* timer slices after which to stop (0: no limit) */
    uint64_t timer;         /* APIC timer initial count (divide 1) */
    uint64_t ceiling;       /* INVLPG up to this many pages, else MOV CR3 */
    uint64_t hv_ceiling;    /* a GVA list up to this many pages, else a space flush */
    uint64_t seed;          /* unmap: range-size sequence */
    uint64_t maxrange;      /* unmap: largest range */
    int pcid;               /* one PCID per process */
    int all_spaces;         /* switch flush: all address spaces, not the CR3 left */
};

/* Parses and checks cl. On an error prints one line saying what is wrong and
   returns -1. */
int kargs_parse(const char *cl, struct kargs *a);

/* One line with every argument's resolved value. */
void kargs_print(const struct kargs *a);

const char *workload_name(enum workload w);
const char *enlightened_name(enum enlightened e);

#endif
