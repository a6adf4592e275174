/* TLB tags and TLB_CONTROL under nested paging (AMD APM vol. 2 ch. 15 "TLB Control",
   "Nested Paging"; APM vol. 3 INVLPGA; shared/specs/svm.md "TLB tagging").

   Under nested paging a TLB entry holds the whole guest-virtual -> host-physical
   translation, tagged with the guest's ASID. When the host changes the nested tables
   nothing is flushed by itself: a VMRUN with TLB_CONTROL = 0 lets the guest go on using
   the old translation (stale, as on real hardware); the host must ask for a flush.
   Each check below makes the nested tables and the TLB disagree on purpose: the guest
   reads two pages through GPAs that the host points at frames holding "A", caches the
   translations, and the host points the GPAs at frames holding "B" without flushing. A
   guest that reads "A" afterwards used a cached translation; "B", a fresh walk.

   Two guests, ASID 1 and ASID 2, share the nested tables. Each reads a non-global page
   and a global one (G in its PTE, CR4.PGE set):
     TLB_CONTROL 0   nothing flushed: both stale
     TLB_CONTROL 3   this ASID flushed; the other ASID keeps its (stale) entries
     TLB_CONTROL 7   this ASID's non-global entries flushed; its global entry stays
     TLB_CONTROL 1   every ASID flushed: the other guest walks too
     INVLPGA va, 1   one page of ASID 1; ASID 2's entry for it stays
     guest MOV CR3   its own ASID's non-global entries only
     guest INVLPG    one page of its own ASID only; all of a large guest page, even
                     when nested 4 KiB pages split it into 4 KiB TLB entries
   Run with cmdline "untagged" under `hvsim run --tlb tagged=off`: hardware without
   ASIDs flushes everything at every VMRUN and #VMEXIT, so nothing is ever stale. */
#include "bootinfo.h"
#include "cmdline.h"
#include "kprintf.h"
#include "ktest.h"
#include "palloc.h"
#include "svm_host.h"
#include "vm.h"
#include "x86.h"

#define GPA_BASE (1ull << 39)              /* guest-physical pages beyond RAM */
#define GPA_N (GPA_BASE + 0x1000)          /* behind the non-global page */
#define GPA_G (GPA_BASE + 0x2000)          /* behind the global page */
#define VA_N TEST_VA
#define VA_G (TEST_VA + 0x1000)

#define MARK_A_N 0xA1ull
#define MARK_A_G 0xA2ull
#define MARK_B_N 0xB1ull
#define MARK_B_G 0xB2ull

SVM_GUEST(read2, "movq (%rbx), %rax\n\tmovq (%rcx), %rdx");
SVM_GUEST(invlpg_read2, "invlpg (%rbx)\n\tmovq (%rbx), %rax\n\tmovq (%rcx), %rdx");
SVM_GUEST(cr3_read2, "movq %cr3, %rax\n\tmovq %rax, %cr3\n\t"
                     "movq (%rbx), %rax\n\tmovq (%rcx), %rdx");

static struct svm_vcpu g1, g2;
static uint64_t ncr3;
static uint64_t frame_a_n, frame_a_g, frame_b_n, frame_b_g;
static int untagged;

/* The host points both GPAs at the A frames or the B frames: an edit of the nested
   tables and nothing else (no flush). */
static void npt_point(char which)
{
    *npt_leaf(ncr3, GPA_N) = (which == 'A' ? frame_a_n : frame_b_n) | NPT_RWX;
    *npt_leaf(ncr3, GPA_G) = (which == 'A' ? frame_a_g : frame_b_g) | NPT_RWX;
}

/* The guest's PDE for va (the tables above it created as needed) */
static uint64_t *guest_pde(uint64_t *pml4, uint64_t va)
{
    vm_walk(pml4, va, 1);
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[PT_INDEX(va, 4)] & PTE_ADDR_MASK);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[PT_INDEX(va, 3)] & PTE_ADDR_MASK);
    return &pd[PT_INDEX(va, 2)];
}

static void guest_init(struct svm_vcpu *v, uint32_t asid, uint64_t *gpml4)
{
    svm_vcpu_init(v, asid, svm_addr(g_read2));
    v->vmcb->control.np_enable = 1;              /* guest-physical through nCR3 */
    v->vmcb->control.ncr3 = ncr3;                /* both guests: the same nested tables */
    v->vmcb->save.cr3 = virt_to_phys(gpml4);     /* a GPA (RAM is identity-mapped) */
    v->vmcb->control.intercept_exceptions = ~0u; /* any guest fault shows as an exit */
}

/* The two addresses the guest reads, and what the checks call them */
static uint64_t read_va1 = VA_N, read_va2 = VA_G;
static const char *label1 = "non-global page", *label2 = "global page";

/* One run of guest v from `entry` with this TLB_CONTROL; "A", "B" or "?" per page. */
static void run(struct svm_vcpu *v, const char *entry, uint8_t tlb_control, char *n, char *g)
{
    v->vmcb->save.rip = svm_addr(entry);         /* every run starts over */
    v->vmcb->control.tlb_control = tlb_control;  /* the flush this VMRUN performs */
    v->gprs.rbx = read_va1;
    v->gprs.rcx = read_va2;
    uint64_t code = svm_run(v);
    v->vmcb->control.tlb_control = TLB_CONTROL_NOTHING; /* the next run chooses again */
    uint64_t rn = v->vmcb->save.rax, rg = v->gprs.rdx;
    if (code != SVM_EXIT_VMMCALL) {
        kprintf("FAIL guest ASID %u: exit %s (EXITINFO1 0x%llx, EXITINFO2 0x%llx)\n",
                v->vmcb->control.guest_asid, svm_exit_name(code),
                (unsigned long long)v->vmcb->control.exitinfo1,
                (unsigned long long)v->vmcb->control.exitinfo2);
        rn = rg = 0;
    }
    *n = rn == MARK_A_N ? 'A' : rn == MARK_B_N ? 'B' : '?';
    *g = rg == MARK_A_G ? 'A' : rg == MARK_B_G ? 'B' : '?';
}

/* Checks what guest v saw. want_* is what tagged hardware shows; without tags every
   VMRUN flushes, so the guest always sees what the nested tables say now. */
static void expect(const char *what, struct svm_vcpu *v, const char *entry,
                   uint8_t tlb_control, char want_n, char want_g, char now)
{
    char n, g, name[160], got[2] = { 0 }, want[2] = { 0 };
    run(v, entry, tlb_control, &n, &g);
    if (untagged)
        want_n = want_g = now;
    ksnprintf(name, sizeof(name), "%s: ASID %u, %s", what, v->vmcb->control.guest_asid,
              label1);
    got[0] = n;
    want[0] = want_n;
    check_str(name, got, want);
    ksnprintf(name, sizeof(name), "%s: ASID %u, %s", what, v->vmcb->control.guest_asid,
              label2);
    got[0] = g;
    want[0] = want_g;
    check_str(name, got, want);
}

int main(void)
{
    ktest_init();       /* vm_init turns CR4.PGE on: the guests share the host's CR4 */
    if (svm_host_init() != 0)
        return 1;
    untagged = cmdline_has(boot_cmdline(), "untagged");
    kprintf("TLB tags: %s (cmdline \"untagged\" for --tlb tagged=off)\n",
            untagged ? "expected off: every VMRUN and #VMEXIT flushes" : "expected on");
    check_true("CPUID 0x8000000A: nested paging, flush by ASID, 2+ guest ASIDs",
               svm_features.nested_paging && svm_features.flush_by_asid &&
                   svm_features.nr_asids >= 3);
    check_true("CR4.PGE is on (guest PTEs with G make global entries)",
               (read_cr4() & CR4_PGE) != 0);

    frame_a_n = ktest_frame(MARK_A_N);
    frame_a_g = ktest_frame(MARK_A_G);
    frame_b_n = ktest_frame(MARK_B_N);
    frame_b_g = ktest_frame(MARK_B_G);
    ncr3 = npt_create();
    npt_identity_ram(ncr3);
    npt_map_4k(ncr3, GPA_N, frame_a_n, NPT_RWX);
    npt_map_4k(ncr3, GPA_G, frame_a_g, NPT_RWX);

    /* Each guest its own address space; the same GVA -> GPA mappings */
    uint64_t *pml4_1 = vm_create(), *pml4_2 = vm_create();
    vm_map(pml4_1, VA_N, GPA_N, PTE_W);
    vm_map(pml4_1, VA_G, GPA_G, PTE_W | PTE_G);
    vm_map(pml4_2, VA_N, GPA_N, PTE_W);
    vm_map(pml4_2, VA_G, GPA_G, PTE_W | PTE_G);
    guest_init(&g1, 1, pml4_1);
    guest_init(&g2, 2, pml4_2);

    /* 1. The nested tables change, the TLB does not follow on its own */
    npt_point('A');
    expect("first run, TLB_CONTROL=1", &g1, g_read2, TLB_CONTROL_FLUSH_ALL, 'A', 'A', 'A');
    npt_point('B');
    expect("NPT remapped, TLB_CONTROL=0: stale", &g1, g_read2, TLB_CONTROL_NOTHING,
           'A', 'A', 'B');
    expect("then TLB_CONTROL=3: flushed", &g1, g_read2, TLB_CONTROL_FLUSH_ASID, 'B', 'B', 'B');

    /* 2. INVLPGA: one page of one ASID */
    npt_point('A');
    expect("remapped to A, TLB_CONTROL=3", &g1, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    expect("remapped to A, TLB_CONTROL=3", &g2, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    npt_point('B');
    svm_invlpga(VA_N, 1);   /* the non-global page, ASID 1 only */
    expect("INVLPGA non-global page, ASID 1", &g1, g_read2, TLB_CONTROL_NOTHING, 'B', 'A', 'B');
    expect("INVLPGA non-global page, ASID 1: other ASID", &g2, g_read2, TLB_CONTROL_NOTHING,
           'A', 'A', 'B');
    svm_invlpga(VA_G, 2);   /* INVLPGA removes a global entry too */
    expect("INVLPGA global page, ASID 2", &g2, g_read2, TLB_CONTROL_NOTHING, 'A', 'B', 'B');

    /* 3. TLB_CONTROL=3 flushes only the guest's own ASID; =1 every ASID */
    npt_point('A');
    expect("remapped to A, TLB_CONTROL=3", &g1, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    expect("remapped to A, TLB_CONTROL=3", &g2, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    npt_point('B');
    expect("remapped to B, TLB_CONTROL=3", &g2, g_read2, TLB_CONTROL_FLUSH_ASID, 'B', 'B', 'B');
    expect("after ASID 2's ASID flush: ASID 1 still stale", &g1, g_read2, TLB_CONTROL_NOTHING,
           'A', 'A', 'B');
    npt_point('A');     /* ASID 2 holds B, ASID 1 holds A */
    expect("remapped to A, TLB_CONTROL=1", &g1, g_read2, TLB_CONTROL_FLUSH_ALL, 'A', 'A', 'A');
    expect("after ASID 1's full flush: ASID 2 walks too", &g2, g_read2, TLB_CONTROL_NOTHING,
           'A', 'A', 'A');

    /* 4. TLB_CONTROL=7 keeps the guest's global entries */
    npt_point('B');
    expect("remapped to B, TLB_CONTROL=7", &g1, g_read2, TLB_CONTROL_FLUSH_ASID_LOCAL,
           'B', 'A', 'B');
    expect("then TLB_CONTROL=3", &g1, g_read2, TLB_CONTROL_FLUSH_ASID, 'B', 'B', 'B');

    /* 5. INVLPG in a guest flushes its own ASID only */
    expect("ASID 2 caches B", &g2, g_read2, TLB_CONTROL_FLUSH_ASID, 'B', 'B', 'B');
    npt_point('A');
    expect("remapped to A, guest INVLPG of the non-global page", &g1, g_invlpg_read2,
           TLB_CONTROL_NOTHING, 'A', 'B', 'A');
    expect("after ASID 1's INVLPG: ASID 2 still stale", &g2, g_read2, TLB_CONTROL_NOTHING,
           'B', 'B', 'A');
    expect("ASID 1 caches A", &g1, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    expect("ASID 2 caches A", &g2, g_read2, TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    npt_point('B');
    expect("remapped to B, guest MOV CR3", &g1, g_cr3_read2, TLB_CONTROL_NOTHING,
           'B', 'A', 'B');
    expect("after ASID 1's MOV CR3: ASID 2 still stale", &g2, g_read2, TLB_CONTROL_NOTHING,
           'A', 'A', 'B');

    /* 6. A guest 2 MiB page over nested 4 KiB pages is cached as 4 KiB pieces; INVLPG
       of any address in the guest's large page invalidates the whole page (APM vol. 3
       INVLPG: "all TLB entries for that page"), whatever the TLB made of it. */
    const uint64_t va_l = TEST_VA + 0x40000000ull;       /* 2 MiB aligned */
    const uint64_t gpa_l1 = GPA_BASE + 0x200000, gpa_l2 = GPA_BASE + 0x400000;
    npt_map_4k(ncr3, gpa_l1, frame_a_n, NPT_RWX);
    npt_map_4k(ncr3, gpa_l1 + 0x1000, frame_a_g, NPT_RWX);
    npt_map_4k(ncr3, gpa_l2, frame_b_n, NPT_RWX);
    npt_map_4k(ncr3, gpa_l2 + 0x1000, frame_b_g, NPT_RWX);
    uint64_t *pde = guest_pde(pml4_1, va_l);
    *pde = gpa_l1 | PTE_P | PTE_W | PTE_PS;               /* a 2 MiB guest page */
    read_va1 = va_l;
    read_va2 = va_l + 0x1000;
    label1 = "4 KiB piece at +0";
    label2 = "4 KiB piece at +0x1000";
    expect("guest 2 MiB page over nested 4 KiB pages, first 2 pieces", &g1, g_read2,
           TLB_CONTROL_FLUSH_ASID, 'A', 'A', 'A');
    *pde = gpa_l2 | PTE_P | PTE_W | PTE_PS;               /* the guest remaps its page */
    expect("guest INVLPG of its 2 MiB page: both 4 KiB pieces", &g1, g_invlpg_read2,
           TLB_CONTROL_NOTHING, 'B', 'B', 'B');
    return check_failures();
}
