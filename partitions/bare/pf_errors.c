/* #PF error codes and CR2 (Intel SDM vol. 3 §4.7, figure 4-12; AMD APM vol. 2 §8.4.2):
   P (bit 0) 0 for a not-present page, 1 for a protection violation; W/R (bit 1) a
   write; U/S (bit 2) a CPL 3 access; RSVD (bit 3) a reserved bit set in an entry;
   I/D (bit 4) an instruction fetch (reported with EFER.NXE = 1). CR2 holds the exact
   linear address, and the saved RIP is the faulting instruction's. */
#include "gdt.h"
#include "kprintf.h"
#include "ktest.h"
#include "vm.h"
#include "x86.h"

#define PF_P 0x1
#define PF_W 0x2
#define PF_U 0x4
#define PF_RSVD 0x8
#define PF_I 0x10

#define DATA_VA (TEST_VA + 0x123)       /* not page-aligned: CR2 must be exact */
#define CODE_VA (TEST_VA + 0x10000)     /* ring-3 snippets */
#define STACK_TOP (TEST_VA + 0x30000)
#define PAGE2_VA (TEST_VA + 0x40000)    /* a second data page */
#define RET_INSN 0xC3

USER_SNIPPET(uread, "movq (%rdi), %rax\n\tud2");
USER_SNIPPET(uwrite, "movq %rsi, (%rdi)\n\tud2");
USER_SNIPPET(ucall, "call *%rdi\n\tud2");

static uint64_t ucode_read, ucode_write, ucode_call, ustack;

/* The outcome of one access: a #PF with this error code and CR2, at this RIP. */
static void expect_pf(const char *what, int faulted, const struct fault *f, uint64_t error,
                      uint64_t cr2, uint64_t rip)
{
    char name[96];

    ksnprintf(name, sizeof(name), "%s: #PF", what);
    check_true(name, faulted && f->vector == T_PF);
    ksnprintf(name, sizeof(name), "%s: error code", what);
    check_u64(name, f->error, error);
    ksnprintf(name, sizeof(name), "%s: CR2", what);
    check_u64(name, f->cr2, cr2);
    ksnprintf(name, sizeof(name), "%s: saved RIP", what);
    check_u64(name, f->tf.rip, rip);
}

static void user_access(uint64_t code, uint64_t va, uint64_t value, struct fault *f)
{
    struct trap_frame regs = { .rdi = va, .rsi = value };
    run_user(code, ustack, &regs, f);
}

int main(void)
{
    struct fault f;
    uint64_t v, read_rip = (uint64_t)(uintptr_t)probe_read_insn;
    uint64_t write_rip = (uint64_t)(uintptr_t)probe_write_insn;
    uint32_t r[4];

    ktest_init();
    ucode_read = ktest_user_code(CODE_VA, snip_uread, snip_uread_end);
    ucode_write = ktest_user_code(CODE_VA + 0x1000, snip_uwrite, snip_uwrite_end);
    ucode_call = ktest_user_code(CODE_VA + 0x2000, snip_ucall, snip_ucall_end);
    ustack = ktest_user_stack(STACK_TOP);
    ktest_map(DATA_VA, ktest_frame(0x1111), PTE_W);

    /* Supervisor accesses */
    check_true("supervisor read of a present page works",
               !try_read(TEST_VA, &v, &f) && v == 0x1111);
    uint64_t frame = *ktest_pte(DATA_VA) & PTE_ADDR_MASK;
    *ktest_pte(DATA_VA) = 0;
    invlpg(DATA_VA);
    expect_pf("supervisor read, not present", try_read(DATA_VA, 0, &f), &f, 0, DATA_VA,
              read_rip);
    expect_pf("supervisor write, not present", try_write(DATA_VA, 1, &f), &f, PF_W,
              DATA_VA, write_rip);
    ktest_map(DATA_VA, frame, 0);
    expect_pf("supervisor write to read-only, CR0.WP=1", try_write(DATA_VA, 2, &f), &f,
              PF_P | PF_W, DATA_VA, write_rip);
    /* With WP clear, supervisor writes ignore R/W (SDM vol. 3 §4.6.1). */
    write_cr0(read_cr0() & ~CR0_WP);
    check_true("supervisor write to read-only, CR0.WP=0: no fault",
               !try_write(DATA_VA, 0x2222, &f) && !try_read(DATA_VA, &v, &f) &&
               v == 0x2222);
    write_cr0(read_cr0() | CR0_WP);

    /* User accesses */
    ktest_map(DATA_VA, frame, PTE_W);   /* supervisor page */
    user_access(ucode_read, DATA_VA, 0, &f);
    expect_pf("user read of a supervisor page", 1, &f, PF_P | PF_U, DATA_VA, ucode_read);
    check_u64("user read of a supervisor page: saved CS", f.tf.cs, USER_CS);
    user_access(ucode_write, DATA_VA, 0, &f);
    expect_pf("user write to a supervisor page", 1, &f, PF_P | PF_W | PF_U, DATA_VA,
              ucode_write);
    ktest_map(DATA_VA, frame, PTE_U);   /* user, read-only */
    user_access(ucode_read, DATA_VA, 0, &f);
    check_true("user read of a user read-only page: no #PF (ends at UD2)",
               f.vector == T_UD && f.tf.rax == 0x2222);
    user_access(ucode_write, DATA_VA, 0, &f);
    expect_pf("user write to read-only", 1, &f, PF_P | PF_W | PF_U, DATA_VA, ucode_write);
    *ktest_pte(DATA_VA) = 0;
    invlpg(DATA_VA);
    user_access(ucode_read, DATA_VA, 0, &f);
    expect_pf("user read, not present", 1, &f, PF_U, DATA_VA, ucode_read);
    /* U/S is the AND of all levels: a leaf with U under a supervisor PDPTE. */
    ktest_map(DATA_VA, frame, PTE_U | PTE_W);
    uint64_t *pml4 = phys_to_virt(read_cr3() & PTE_ADDR_MASK);
    uint64_t *pdpt = phys_to_virt(pml4[PT_INDEX(DATA_VA, 4)] & PTE_ADDR_MASK);
    uint64_t *pdpte = &pdpt[PT_INDEX(DATA_VA, 3)];
    *pdpte &= ~PTE_U;
    invlpg(DATA_VA);
    user_access(ucode_read, DATA_VA, 0, &f);
    expect_pf("user read, U/S clear in the PDPTE only", 1, &f, PF_P | PF_U, DATA_VA,
              ucode_read);
    *pdpte |= PTE_U;
    invlpg(DATA_VA);

    /* Reserved bits: bits MAXPHYADDR..51 of an address field (SDM vol. 3 §4.5, tables
       4-14 to 4-20). MAXPHYADDR is CPUID 0x80000008 EAX[7:0]. */
    cpuid(0x80000008u, 0, r);
    unsigned maxphy = r[0] & 0xFF;
    if (maxphy < 52) {
        uint64_t rsvd = 1ull << maxphy;
        ktest_map(DATA_VA, frame | rsvd, PTE_U | PTE_W);
        expect_pf("supervisor read, reserved bit in the PTE", try_read(DATA_VA, 0, &f), &f,
                  PF_P | PF_RSVD, DATA_VA, read_rip);
        user_access(ucode_write, DATA_VA, 0, &f);
        expect_pf("user write, reserved bit in the PTE", 1, &f,
                  PF_P | PF_W | PF_U | PF_RSVD, DATA_VA, ucode_write);
        ktest_map(DATA_VA, frame, PTE_U | PTE_W);
        uint64_t *pd = phys_to_virt(*pdpte & PTE_ADDR_MASK);
        uint64_t *pde = &pd[PT_INDEX(DATA_VA, 2)];
        *pde |= rsvd;
        invlpg(DATA_VA);
        expect_pf("supervisor read, reserved bit in the PDE", try_read(DATA_VA, 0, &f), &f,
                  PF_P | PF_RSVD, DATA_VA, read_rip);
        *pde &= ~rsvd;
        invlpg(DATA_VA);
    } else {
        kprintf("skip reserved-bit checks: MAXPHYADDR is 52\n");
    }

    /* Instruction fetches (I/D is reported because EFER.NXE = 1, set by the loader) */
    check_true("EFER.NXE is set", (rdmsr(MSR_EFER) & EFER_NXE) != 0);
    uint64_t code_frame = ktest_frame(RET_INSN);
    ktest_map(PAGE2_VA, code_frame, PTE_W);
    check_true("supervisor fetch from an executable page works", !try_exec(PAGE2_VA, &f));
    ktest_map(PAGE2_VA, code_frame, PTE_W | PTE_NX);
    expect_pf("supervisor fetch from an NX page", try_exec(PAGE2_VA, &f), &f, PF_P | PF_I,
              PAGE2_VA, PAGE2_VA);
    *ktest_pte(PAGE2_VA) = 0;
    invlpg(PAGE2_VA);
    expect_pf("supervisor fetch, not present", try_exec(PAGE2_VA, &f), &f, PF_I, PAGE2_VA,
              PAGE2_VA);
    ktest_map(PAGE2_VA, code_frame, PTE_W);     /* supervisor, executable */
    user_access(ucode_call, PAGE2_VA, 0, &f);
    expect_pf("user fetch from a supervisor page", 1, &f, PF_P | PF_U | PF_I, PAGE2_VA,
              PAGE2_VA);
    ktest_map(PAGE2_VA, code_frame, PTE_U | PTE_NX);
    user_access(ucode_call, PAGE2_VA, 0, &f);
    expect_pf("user fetch from an NX page", 1, &f, PF_P | PF_U | PF_I, PAGE2_VA, PAGE2_VA);
    ktest_map(PAGE2_VA, code_frame, PTE_U);
    user_access(ucode_call, PAGE2_VA, 0, &f);
    check_true("user fetch from a user executable page: no #PF (RET, then UD2)",
               f.vector == T_UD);
    return check_failures();
}
