/* CPUID: tells the truth (DESIGN.md): every feature hvsim implements and none it does
 * not. Bit positions: AMD CPUID Specification (pub. 25481) and AMD APM vol. 3 app. E. */
#include "cpuid.h"

#include "svm.h"

#include <string.h>

#define MAX_BASIC_LEAF 0x7u
#define MAX_EXT_LEAF 0x8000000Au

/* "AuthenticAMD": the virtualization extension hvsim models is SVM */
static const char vendor[12] = { 'A', 'u', 't', 'h', 'e', 'n', 't', 'i', 'c', 'A', 'M', 'D' };

void cpuid_query(const struct cpu *c, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
	memset(out, 0, 4 * sizeof out[0]);
	switch (leaf) {
	case 0:
		out[0] = MAX_BASIC_LEAF;
		memcpy(&out[1], vendor, 4);     /* EBX */
		memcpy(&out[3], vendor + 4, 4); /* EDX */
		memcpy(&out[2], vendor + 8, 4); /* ECX */
		break;
	case 1:
		/* family 0x17 (ext. family 8 + base 0xF), model 1, stepping 0 */
		out[0] = (0x8u << 20) | (0xFu << 8) | (0x1u << 4);
		out[1] = 0;             /* APIC ID 0, one logical processor */
		out[2] = (1u << 17)     /* ECX: PCID */
		       | (1u << 21)     /* x2APIC */
		       | (1u << 23);    /* POPCNT */
		out[3] = (1u << 3)      /* PSE */
		       | (1u << 4)      /* TSC */
		       | (1u << 5)      /* MSR */
		       | (1u << 6)      /* PAE */
		       | (1u << 9)      /* APIC (x2APIC mode only) */
		       | (1u << 13)     /* PGE */
		       | (1u << 15);    /* CMOV */
		break;
	case 7:
		if (subleaf == 0)
			out[1] = 1u << 10; /* EBX: INVPCID; no BMI1, yet F3 0F BC is TZCNT (insn.def) */
		break;
	case 0x80000000:
		out[0] = MAX_EXT_LEAF;
		memcpy(&out[1], vendor, 4);
		memcpy(&out[3], vendor + 4, 4);
		memcpy(&out[2], vendor + 8, 4);
		break;
	case 0x80000001:
		out[0] = 0x00800F10u;   /* same signature as leaf 1 */
		out[2] = (1u << 0)      /* LAHF/SAHF in 64-bit mode */
		       | (1u << 2)      /* SVM */
		       | (1u << 5);     /* ABM: LZCNT (POPCNT is in leaf 1) */
		out[3] = (1u << 11)     /* SYSCALL/SYSRET */
		       | (1u << 20)     /* NX */
		       | (1u << 26)     /* 1 GiB pages */
		       | (1u << 27)     /* RDTSCP */
		       | (1u << 29);    /* long mode */
		break;
	case 0x80000008:
		out[0] = MMU_PHYS_ADDR_BITS | (48u << 8); /* physical and linear address bits */
		break;
	case 0x8000000A:
		out[0] = 1;             /* SVM revision */
		out[1] = SVM_NR_ASIDS;  /* number of ASIDs */
		out[3] = (1u << 0)      /* nested paging */
		       | (1u << 3)      /* NRIP save */
		       | (1u << 5)      /* VMCB clean bits (hvsim reloads everything: legal) */
		       | (1u << 6)      /* flush by ASID (TLB_CONTROL 3 and 7) */
		       | (1u << 7);     /* decode assists */
		break;
	default:
		break; /* AMD returns zeros for leaves beyond the maximum */
	}
	(void)c;
}
