/* Hypervisor discovery and the hypercall page (TLFS §2.4 "Hypervisor Discovery",
   §3.13 "Hypercall page"). Every line printed is a CPUID or MSR value, so a run's
   output is the same every time. */
#include "hvcall.h"
#include "hvsetup.h"
#include "kprintf.h"
#include "x86.h"

struct bit_name {
    uint64_t bit;
    const char *name;
};

/* The privilege bits hvsim uses (hv/abi/hvprivs.h), by their TLFS names */
static const struct bit_name privilege_names[] = {
    { HV_PRIV_ACCESS_SYNIC_REGS, "AccessSynicRegs" },
    { HV_PRIV_ACCESS_HYPERCALL_MSRS, "AccessHypercallMsrs" },
    { HV_PRIV_ACCESS_VP_INDEX, "AccessVpIndex" },
    { HV_PRIV_CREATE_PARTITIONS, "CreatePartitions" },
    { HV_PRIV_ACCESS_PARTITION_ID, "AccessPartitionId" },
    { HV_PRIV_POST_MESSAGES, "PostMessages" },
    { HV_PRIV_SIGNAL_EVENTS, "SignalEvents" },
    { HV_PRIV_CPU_MANAGEMENT, "CpuManagement" },
};

/* 0x40000004 EAX (hv/abi/hvcpuid.h) */
static const struct bit_name recommendation_names[] = {
    { HV_RECOMMEND_HYPERCALL_FOR_AS_SWITCH, "UseHypercallForAddressSpaceSwitch" },
    { HV_RECOMMEND_HYPERCALL_FOR_LOCAL_FLUSH, "UseHypercallForLocalFlush" },
    { HV_RECOMMEND_HYPERCALL_FOR_REMOTE_FLUSH, "UseHypercallForRemoteFlush" },
    { HV_RECOMMEND_EX_PROCESSOR_MASKS, "UseExProcessorMasks" },
};

/* " (Name Name ...)" for the set bits of v that table names, "" if none. */
static void print_bits(uint64_t v, const struct bit_name *t, unsigned n)
{
    int any = 0;

    for (unsigned i = 0; i < n; i++) {
        if (!(v & t[i].bit))
            continue;
        kprintf("%s%s", any ? " " : " (", t[i].name);
        any = 1;
    }
    if (any)
        kprintf(")");
}

/* The four bytes of a CPUID register as text, '.' for what is not printable */
static void reg_text(uint32_t v, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)(v >> (8 * i));
        out[i] = c >= 0x20 && c < 0x7f ? c : '.';
    }
    out[4] = 0;
}

void hv_setup(struct hv_setup *s)
{
    struct hv_discovery *d = &s->d;

    s->tlfs = hv_discover(d);
    s->hypercalls = 0;
    s->vp_index = 0;
    if (!d->present) {
        kprintf("kernel: cpuid 1: ecx bit 31 clear: no hypervisor (bare machine)\n");
        return;
    }
    kprintf("kernel: cpuid 1: ecx bit 31 set: a hypervisor is present\n");
    kprintf("kernel: cpuid 0x40000000: max leaf 0x%08x, vendor \"%s\"\n", d->max_leaf,
            d->vendor);
    char sig[5];
    reg_text(d->interface, sig);
    kprintf("kernel: cpuid 0x40000001: interface 0x%08x \"%s\"%s\n", d->interface, sig,
            s->tlfs ? "" : ": not Hv#1, no hypercalls");
    if (!s->tlfs)
        return;
    kprintf("kernel: cpuid 0x40000003: privileges 0x%016llx",
            (unsigned long long)d->privileges);
    print_bits(d->privileges, privilege_names,
               sizeof(privilege_names) / sizeof(privilege_names[0]));
    kprintf(", features edx 0x%08x\n", d->features_edx);
    kprintf("kernel: cpuid 0x40000004: recommendations 0x%08x", d->recommendations);
    print_bits(d->recommendations, recommendation_names,
               sizeof(recommendation_names) / sizeof(recommendation_names[0]));
    kprintf(", spin retries 0x%08x\n", d->spin_retries);

    if (!hv_has_privilege(d, HV_PRIV_ACCESS_HYPERCALL_MSRS)) {
        kprintf("kernel: hypercalls: no AccessHypercallMsrs privilege, not enabled\n");
        return;
    }
    /* GUEST_OS_ID first: with it 0 the hypercall page cannot be enabled (spec
       "Enabling hypercalls"); hvcall_enable writes both and reads the enable bit back. */
    int ok = hvcall_enable(HVSIM_GUEST_OS_ID) == 0;
    kprintf("kernel: GUEST_OS_ID 0x%016llx, hypercall page at GPA 0x%llx: %s\n",
            (unsigned long long)rdmsr(HV_X64_MSR_GUEST_OS_ID),
            (unsigned long long)hvcall_page_gpa(), ok ? "enabled" : "NOT enabled");
    if (!ok)
        return;
    s->hypercalls = 1;
    if (hv_has_privilege(d, HV_PRIV_ACCESS_VP_INDEX)) {
        s->vp_index = (uint32_t)rdmsr(HV_X64_MSR_VP_INDEX);
        kprintf("kernel: VP index %u\n", s->vp_index);
    }
}
