/* hv's own counters, per partition, and the summary the `stats` option prints when the
 * root ends the run (its write to port 0xF4), when a child is deleted, or when hv stops
 * on a fatal error. They count hv's decisions (exits by reason as hv handled them,
 * hypercalls by code, flushes by kind); cycles, instructions and TLB behaviour are the
 * simulator's to count (hvsim --stats, --log): they are not repeated here. */
#include "hv.h"
#include "kprintf.h"

static const char *const exit_names[EK_COUNT] = {
	"INTR", "CPUID", "MSR", "HLT", "IOIO", "NPF", "VMMCALL", "CR3 write", "INVLPG",
	"exception", "SVM insn", "SHUTDOWN", "INVALID", "other",
};

void stats_exit(struct partition *p, uint64_t code)
{
	enum exit_kind k;
	switch (code) {
	case VMEXIT_INTR: k = EK_INTR; break;
	case VMEXIT_CPUID: k = EK_CPUID; break;
	case VMEXIT_MSR: k = EK_MSR; break;
	case VMEXIT_HLT: k = EK_HLT; break;
	case VMEXIT_IOIO: k = EK_IOIO; break;
	case VMEXIT_NPF: k = EK_NPF; break;
	case VMEXIT_VMMCALL: k = EK_VMMCALL; break;
	case VMEXIT_CR3_WRITE: k = EK_CR3; break;
	case VMEXIT_INVLPG: k = EK_INVLPG; break;
	case VMEXIT_SHUTDOWN: k = EK_SHUTDOWN; break;
	case VMEXIT_INVALID: k = EK_INVALID; break;
	case VMEXIT_VMRUN: case VMEXIT_VMLOAD: case VMEXIT_VMSAVE: case VMEXIT_STGI:
	case VMEXIT_CLGI: case VMEXIT_INVLPGA: k = EK_SVM; break;
	default:
		k = code >= VMEXIT_EXCP_BASE && code < VMEXIT_EXCP_BASE + 32 ? EK_EXCEPTION : EK_OTHER;
		break;
	}
	p->stats.exits[k]++;
}

static unsigned long long u(uint64_t v) { return (unsigned long long)v; }

void stats_print_partition(const struct partition *p)
{
	const struct partition_stats *s = &p->stats;
	kprintf("hv: stats: partition %llu (ASID %u%s): %llu VMRUNs\n", u(p->id), p->asid,
		p->is_root ? ", root" : "", u(s->vmruns));
	kprintf("hv: stats:   exits:");
	for (unsigned k = 0; k < EK_COUNT; k++)
		if (s->exits[k])
			kprintf(" %s %llu", exit_names[k], u(s->exits[k]));
	kprintf("\n");
	unsigned n;
	const struct hvcall_desc *t = hvcall_table(&n);
	bool any = false;
	for (unsigned i = 0; i < n; i++) {
		if (!s->hypercalls[i])
			continue;
		if (!any)
			kprintf("hv: stats:   hypercalls:");
		kprintf(" %s %llu", t[i].name, u(s->hypercalls[i]));
		any = true;
	}
	if (any)
		kprintf(" (failed %llu, continued %llu)\n", u(s->hypercall_errors),
			u(s->continuations));
	kprintf("hv: stats:   flushes: TLB_CONTROL=1 %llu, =3 %llu, =7 %llu, INVLPGA %llu pages, "
		"AddressSpace as whole ASID %llu\n", u(s->tlb_control[1]), u(s->tlb_control[3]),
		u(s->tlb_control[7]), u(s->invlpga), u(s->address_space_as_asid));
	kprintf("hv: stats:   messages: sent %llu, delivered to it %llu; pages deposited %llu\n",
		u(s->messages_sent), u(s->messages_delivered), u(p->deposited_pages));
}

void stats_print_all(void)
{
	for (unsigned i = 0; i < HV_MAX_PARTITIONS; i++)
		if (partitions[i].state != PART_FREE)
			stats_print_partition(&partitions[i]);
}
