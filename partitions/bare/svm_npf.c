/* Nested page faults (AMD APM vol. 2 ch. 15 "Nested Paging", "Nested Page Fault Exit";
   shared/specs/svm.md "Exit codes", "Nested walk"). With NP_ENABLE the guest's CR3 and
   page-table entries hold guest-physical addresses, each translated through the nested
   tables at nCR3. A translation the nested tables refuse exits with EXITCODE 0x400:
   EXITINFO2 the guest-physical address, EXITINFO1 #PF-style bits (P, W, U — every
   nested access is a user access — and I for fetches) with bit 32 when the final
   address faulted and bit 33 when an access to a guest page table did. The guest's RIP
   stays at the faulting instruction: the host fixes the nested tables and VMRUNs again,
   and the instruction completes.

   Layout: the nested tables map all RAM to itself with 2 MiB pages (so the guest's
   code, stack and kernel-half tables work as in the host); the pages under test live at
   guest-physical addresses beyond RAM (from GPA_BASE), mapped one 4 KiB page at a time.
   The guest has its own address space (the kernel half shared, test pages in the user
   half at TEST_VA). */
#include "kprintf.h"
#include "ktest.h"
#include "palloc.h"
#include "svm_host.h"
#include "vm.h"
#include "x86.h"

#define GPA_BASE (1ull << 39)   /* 512 GiB: beyond RAM, below MAXPHYADDR (40 bits) */
#define PTE_NX_BIT (1ull << 63)

SVM_GUEST(rd, "movq (%rbx), %rax");
SVM_GUEST(wr, "movq %rcx, (%rbx)");
SVM_GUEST(call, "call *%rbx");
SVM_GUEST(nop, "nop");
SVM_GUEST(ud, "ud2");
SVM_GUEST(rd_wr, "movq (%rbx), %rax\n" "rd_wr_write:\n\tmovq %rcx, (%rbx)");
extern const char rd_wr_write[];

static struct svm_vcpu vcpu;
static uint64_t ncr3;
static uint64_t *gpml4;

/* The guest's 4 KiB PTE for va, and the PDE above it (tables created as needed) */
static uint64_t *guest_pte(uint64_t va)
{
    return vm_walk(gpml4, va, 1);
}

static uint64_t *guest_pde(uint64_t va)
{
    guest_pte(va);
    uint64_t *pdpt = (uint64_t *)(uintptr_t)(gpml4[PT_INDEX(va, 4)] & PTE_ADDR_MASK);
    uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[PT_INDEX(va, 3)] & PTE_ADDR_MASK);
    return &pd[PT_INDEX(va, 2)];
}

static void guest_map(uint64_t va, uint64_t gpa, uint64_t flags)
{
    *guest_pte(va) = gpa | flags | PTE_P;
}

static struct svm_vcpu *guest_at(const char *g)
{
    svm_vcpu_init(&vcpu, 1, svm_addr(g));
    vcpu.vmcb->control.np_enable = 1;              /* guest-physical through nCR3 */
    vcpu.vmcb->control.ncr3 = ncr3;                /* identity RAM + the test GPAs */
    vcpu.vmcb->save.cr3 = virt_to_phys(gpml4);     /* a GPA: RAM is identity-mapped */
    vcpu.vmcb->control.intercept_exceptions = ~0u; /* a guest fault shows as an exit */
    return &vcpu;
}

/* Runs the guest at g with RBX = va and checks the NPF; then lets fix() repair the
   nested tables, runs again from the same RIP and checks that the guest reaches its
   final VMMCALL at next. */
static void npf(const char *what, const char *g, const char *next, uint64_t va,
                uint64_t info1, uint64_t gpa, uint64_t rip, void (*fix)(void))
{
    char name[128];
    struct svm_vcpu *v = guest_at(g);
    v->gprs.rbx = va;
    v->gprs.rcx = 0x77;
    svm_run(v);
    svm_check_exit(what, v, SVM_EXIT_NPF, info1, gpa, rip, SVM_ANY);
    ksnprintf(name, sizeof(name), "%s: EXITINTINFO", what);
    check_u64(name, v->vmcb->control.exitintinfo, 0);
    fix();
    svm_run(v);
    ksnprintf(name, sizeof(name), "%s: after the host maps it, the same instruction completes",
              what);
    check_true(name, v->vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                         v->vmcb->save.rip == svm_addr(next));
    if (v->vmcb->control.exitcode != SVM_EXIT_VMMCALL)
        kprintf("     (exit %s, EXITINFO1 0x%llx, EXITINFO2 0x%llx)\n",
                svm_exit_name(v->vmcb->control.exitcode),
                (unsigned long long)v->vmcb->control.exitinfo1,
                (unsigned long long)v->vmcb->control.exitinfo2);
}

/* ---- the cases: guest virtual page -> GPA_BASE + page -> host frame ---- */

#define VA(n) (TEST_VA + (uint64_t)(n) * 0x200000) /* one guest page table each */
#define GPA(n) (GPA_BASE + (uint64_t)(n) * 0x1000)

static uint64_t frame_read, frame_write, frame_code, frame_ro, frame_pt, frame_nx;

static void fix_read(void) { npt_map_4k(ncr3, GPA(1), frame_read, NPT_RWX); }
static void fix_write(void) { npt_map_4k(ncr3, GPA(2), frame_write, NPT_RWX); }
static void fix_fetch(void) { npt_map_4k(ncr3, GPA(3), frame_code, NPT_RWX); }
static void fix_table(void) { npt_map_4k(ncr3, GPA(9), frame_pt, NPT_RWX); }
static void fix_ro_table(void) { *npt_leaf(ncr3, GPA(11)) |= PTE_W; }
static void fix_ro(void) { *npt_leaf(ncr3, GPA(5)) |= PTE_W; }
static void fix_user(void) { *npt_leaf(ncr3, GPA(6)) |= PTE_U; }
static void fix_nx(void) { *npt_leaf(ncr3, GPA(7)) &= ~PTE_NX_BIT; }
static void fix_rsvd(void) { *npt_leaf(ncr3, GPA(15)) &= ~(1ull << 45); }

int main(void)
{
    struct svm_vcpu *v;

    ktest_init();
    if (svm_host_init() != 0)
        return 1;
    check_true("CPUID 0x8000000A: nested paging", svm_features.nested_paging);
    ncr3 = npt_create();
    npt_identity_ram(ncr3);
    gpml4 = vm_create();

    frame_read = ktest_frame(0);
    ((uint64_t *)(uintptr_t)frame_read)[1] = 0x5252;   /* at offset 0x8 */
    ((uint64_t *)(uintptr_t)frame_read)[2] = 0x5151;   /* at offset 0x10 */
    frame_write = ktest_frame(0);
    frame_code = ktest_frame(0xC3);    /* RET */
    frame_ro = ktest_frame(0x7070);
    frame_nx = ktest_frame(0xC3);

    /* A sanity run: nested paging on, nothing faults */
    v = guest_at(g_rd);
    v->gprs.rbx = svm_pa(&vcpu);
    svm_run(v);
    check_true("nested paging, identity RAM: the guest reads its memory",
               v->vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                   v->vmcb->save.rax == *(uint64_t *)&vcpu);

    /* Final address not mapped: read, write, fetch */
    guest_map(VA(1), GPA(1), PTE_W);
    npf("read, GPA not mapped", g_rd, g_rd_next, VA(1) + 0x10, SVM_NPF_U | SVM_NPF_FINAL,
        GPA(1) + 0x10, svm_addr(g_rd), fix_read);
    check_u64("read, GPA not mapped: after the fix the guest read the host frame",
              vcpu.vmcb->save.rax, 0x5151);

    guest_map(VA(2), GPA(2), PTE_W);
    npf("write, GPA not mapped", g_wr, g_wr_next, VA(2) + 0x28,
        SVM_NPF_W | SVM_NPF_U | SVM_NPF_FINAL, GPA(2) + 0x28, svm_addr(g_wr), fix_write);
    check_u64("write, GPA not mapped: after the fix the write reached the host frame",
              *(uint64_t *)(uintptr_t)(frame_write + 0x28), 0x77);

    guest_map(VA(3), GPA(3), 0);
    npf("fetch, GPA not mapped", g_call, g_call_next, VA(3),
        SVM_NPF_I | SVM_NPF_U | SVM_NPF_FINAL, GPA(3), VA(3), fix_fetch);

    /* A guest page table at a GPA the nested tables do not map: the guest PDE for VA(4)
       points at GPA(9); the table's real frame is mapped there by the fix */
    uint64_t *pde = guest_pde(VA(4));
    frame_pt = *pde & PTE_ADDR_MASK;                 /* the table vm_walk made */
    ((uint64_t *)(uintptr_t)frame_pt)[PT_INDEX(VA(4), 1)] = GPA(1) | PTE_W | PTE_P;
    *pde = GPA(9) | (*pde & ~PTE_ADDR_MASK);
    npf("guest page table at an unmapped GPA", g_rd, g_rd_next, VA(4) + 8,
        SVM_NPF_U | SVM_NPF_GUEST_TABLE, GPA(9) + 8 * PT_INDEX(VA(4), 1), svm_addr(g_rd),
        fix_table);
    check_u64("guest page table at an unmapped GPA: after the fix the walk completes",
              vcpu.vmcb->save.rax, 0x5252);

    /* A guest page table in a read-only nested page: reading it is fine, but the walk
       must set the PTE's accessed bit, a write (specs/svm.md "Nested walk") */
    uint64_t pt11 = page_alloc();
    pde = guest_pde(VA(10));
    ((uint64_t *)(uintptr_t)pt11)[PT_INDEX(VA(10), 1)] = GPA(1) | PTE_W | PTE_P; /* A clear */
    npt_map_4k(ncr3, GPA(11), pt11, NPT_RX);
    *pde = GPA(11) | (*pde & ~PTE_ADDR_MASK);
    npf("guest PTE's accessed bit in a read-only nested page", g_rd, g_rd_next, VA(10),
        SVM_NPF_P | SVM_NPF_W | SVM_NPF_U | SVM_NPF_GUEST_TABLE,
        GPA(11) + 8 * PT_INDEX(VA(10), 1), svm_addr(g_rd), fix_ro_table);
    check_u64("... after the fix the walk set the accessed bit",
              ((uint64_t *)(uintptr_t)pt11)[PT_INDEX(VA(10), 1)] & PTE_A, PTE_A);

    /* Permissions in the nested leaf */
    guest_map(VA(5), GPA(5), PTE_W);
    npt_map_4k(ncr3, GPA(5), frame_ro, NPT_RX);      /* read-only */
    v = guest_at(g_rd);
    v->gprs.rbx = VA(5);
    svm_run(v);
    check_true("read of a read-only nested page: no exit",
               v->vmcb->control.exitcode == SVM_EXIT_VMMCALL && v->vmcb->save.rax == 0x7070);
    npf("write to a read-only nested page", g_wr, g_wr_next, VA(5) + 0x30,
        SVM_NPF_P | SVM_NPF_W | SVM_NPF_U | SVM_NPF_FINAL, GPA(5) + 0x30, svm_addr(g_wr),
        fix_ro);
    check_u64("write to a read-only nested page: after W is set, the write went through",
              *(uint64_t *)(uintptr_t)(frame_ro + 0x30), 0x77);

    /* The guest's CR0.WP governs the guest's tables only: nested write protection holds
       for supervisor writes with CR0.WP = 0 too (nested accesses are user accesses). The
       guest PTE and the nested PTE both have D set (as after an earlier write, before
       the host write-protected the page), and the guest reads the page first, so the
       write finds a cached translation. */
    uint64_t frame_wp = ktest_frame(0x3030);
    guest_map(VA(14), GPA(14), PTE_W | PTE_A | PTE_D);
    npt_map_4k(ncr3, GPA(14), frame_wp, NPT_RX | PTE_A | PTE_D);
    v = guest_at(g_rd_wr);
    v->vmcb->save.cr0 &= ~CR0_WP;                  /* the guest turned WP off */
    v->gprs.rbx = VA(14);
    v->gprs.rcx = 0x77;
    svm_run(v);
    svm_check_exit("guest CR0.WP=0, write to a read-only nested page", v, SVM_EXIT_NPF,
                   SVM_NPF_P | SVM_NPF_W | SVM_NPF_U | SVM_NPF_FINAL, GPA(14),
                   svm_addr(rd_wr_write), SVM_ANY);
    check_u64("guest CR0.WP=0, write to a read-only nested page: the frame is unchanged",
              *(uint64_t *)(uintptr_t)frame_wp, 0x3030);

    guest_map(VA(6), GPA(6), PTE_W);
    npt_map_4k(ncr3, GPA(6), frame_read, NPT_RWX);
    *npt_leaf(ncr3, GPA(6)) &= ~PTE_U;               /* a supervisor nested page */
    npf("read of a nested page without U (nested accesses are user accesses)", g_rd,
        g_rd_next, VA(6), SVM_NPF_P | SVM_NPF_U | SVM_NPF_FINAL, GPA(6), svm_addr(g_rd),
        fix_user);

    guest_map(VA(7), GPA(7), 0);
    npt_map_4k(ncr3, GPA(7), frame_nx, NPT_RWX | PTE_NX_BIT);
    npf("fetch from a no-execute nested page", g_call, g_call_next, VA(7),
        SVM_NPF_P | SVM_NPF_I | SVM_NPF_U | SVM_NPF_FINAL, GPA(7), VA(7), fix_nx);

    /* A reserved bit (above MAXPHYADDR, 40) in a nested leaf: P and RSVD */
    guest_map(VA(15), GPA(15), PTE_W);
    npt_map_4k(ncr3, GPA(15), frame_read, NPT_RWX);
    *npt_leaf(ncr3, GPA(15)) |= 1ull << 45;
    npf("read through a nested leaf with a reserved bit", g_rd, g_rd_next, VA(15) + 0x10,
        SVM_NPF_P | SVM_NPF_RSVD | SVM_NPF_U | SVM_NPF_FINAL, GPA(15) + 0x10, svm_addr(g_rd),
        fix_rsvd);

    /* An NPF while the CPU delivers an event (here: pushing the frame on a stack whose
       GPA is not mapped) reports the event in EXITINTINFO, in EVENTINJ's format; the
       host fixes the fault and injects the event again (APM vol. 2 "Intercepts During
       IDT Interrupt Delivery"). */
    const uint64_t gp42 = T_GP | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_EV | EVENTINJ_VALID |
                          EVENTINJ_ERROR(0x42);
    uint64_t stack12 = page_alloc();
    guest_map(VA(12), GPA(12), PTE_W);
    v = guest_at(g_nop);
    v->vmcb->control.intercept_exceptions = 0;      /* events go to the guest's IDT */
    v->vmcb->save.rsp = VA(12) + 0x1000; /* a stack at an unmapped GPA */
    v->vmcb->control.eventinj = gp42;               /* deliver #GP(0x42) at VMRUN */
    svm_run(v);
    svm_check_exit("NPF pushing an injected #GP's frame", v, SVM_EXIT_NPF,
                   SVM_NPF_W | SVM_NPF_U | SVM_NPF_FINAL, SVM_ANY, svm_addr(g_nop), SVM_ANY);
    check_u64("NPF pushing an injected #GP's frame: EXITINFO2's page",
              v->vmcb->control.exitinfo2 & ~0xFFFull, GPA(12));
    check_u64("NPF pushing an injected #GP's frame: EXITINTINFO is the event",
              v->vmcb->control.exitintinfo, gp42);
    npt_map_4k(ncr3, GPA(12), stack12, NPT_RWX);
    v->vmcb->control.eventinj = v->vmcb->control.exitintinfo;   /* re-inject it */
    svm_run(v);
    const uint64_t *frame = (const uint64_t *)(uintptr_t)(stack12 + (v->vmcb->save.rsp & 0xFFF));
    check_true("... re-injected after the fix: the guest's #GP handler gets error 0x42",
               v->vmcb->control.exitcode == SVM_EXIT_VMMCALL &&
                   v->vmcb->save.rax == SVM_GUEST_TRAP && frame[0] == T_GP &&
                   frame[1] == 0x42 && frame[2] == svm_addr(g_nop));

    guest_map(VA(13), GPA(13), PTE_W);
    v = guest_at(g_ud);
    v->vmcb->control.intercept_exceptions = 0; /* events go to the guest's IDT */
    v->vmcb->save.rsp = VA(13) + 0x1000; /* a stack at an unmapped GPA */
    svm_run(v);
    svm_check_exit("NPF delivering the guest's own #UD", v, SVM_EXIT_NPF,
                   SVM_NPF_W | SVM_NPF_U | SVM_NPF_FINAL, SVM_ANY, svm_addr(g_ud), SVM_ANY);
    check_u64("NPF delivering the guest's own #UD: EXITINTINFO (vector 6, type 3, valid)",
              v->vmcb->control.exitintinfo, T_UD | EVENTINJ_TYPE_EXCEPTION | EVENTINJ_VALID);

    /* The guest's own tables refusing is a #PF in the guest, not an NPF */
    *guest_pte(VA(8)) = 0;
    v = guest_at(g_rd);
    v->gprs.rbx = VA(8);
    svm_run(v);
    svm_check_exit("guest PTE not present: a #PF (intercepted), not an NPF", v,
                   SVM_EXIT_EXCP(T_PF), 0, VA(8), svm_addr(g_rd), SVM_ANY);
    return check_failures();
}
