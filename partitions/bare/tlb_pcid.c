/* PCIDs and INVPCID (Intel SDM vol. 3 §4.10.1, §4.10.4.1; vol. 2A "INVPCID", vol. 2B
   "MOV CR"). With CR4.PCIDE = 1 the TLB tags each translation with the PCID in
   CR3[11:0]; MOV CR3 with bit 63 set keeps the new PCID's cached translations, without
   it drops them (never another PCID's, never global ones). Global translations are
   used whatever the current PCID.

   Method (see tlb_global.c): two address spaces X and Y share the kernel half; the same
   VA is mapped in each, and a read through a stale cached translation returns the old
   frame's marker. */
#include "ktest.h"
#include "kstring.h"
#include "vm.h"
#include "x86.h"

#define CPUID1_ECX_PCID (1u << 17)
#define CPUID7_EBX_INVPCID (1u << 10)

#define PCID_X 1
#define PCID_Y 2
#define VA1 (TEST_VA + 0x1000)
#define VA2 (TEST_VA + 0x2000)
#define VAG (TEST_VA + 0x3000)  /* a global page, mapped alike in X and Y */

enum { MARK_A = 0xA, MARK_B = 0xB, MARK_C = 0xC, MARK_D = 0xD };
static uint64_t frame[16];
static uint64_t *x, *y;

static void map(uint64_t *pml4, uint64_t va, int mark, uint64_t flags)
{
    uint64_t *pte = vm_walk(pml4, va, 1);
    *pte = frame[mark] | flags | PTE_P;
}

static void to_x(int keep) { write_cr3(virt_to_phys(x) | PCID_X | (keep ? CR3_NOFLUSH : 0)); }
static void to_y(int keep) { write_cr3(virt_to_phys(y) | PCID_Y | (keep ? CR3_NOFLUSH : 0)); }

static uint64_t rd(uint64_t va)
{
    struct fault f;
    uint64_t v;
    return try_read(va, &v, &f) ? ~0ull : v;
}

static const char *mark_name(uint64_t v)
{
    static const char *const names[] = { [MARK_A] = "A", [MARK_B] = "B", [MARK_C] = "C",
                                         [MARK_D] = "D" };
    return v < 16 && names[v] ? names[v] : "?";
}

static void expect(const char *what, uint64_t va, int mark)
{
    check_str(what, mark_name(rd(va)), mark_name((uint64_t)mark));
}

struct invpcid_args {
    uint64_t type;
    const void *desc;
};

static void do_invpcid(void *p)
{
    const struct invpcid_args *a = p;
    __asm__ volatile("invpcid (%1), %0" : : "r"(a->type), "r"(a->desc) : "memory");
}

static int guarded_invpcid(uint64_t type, const void *desc, struct fault *f)
{
    struct invpcid_args a = { type, desc };
    return guarded(do_invpcid, &a, f);
}

/* X: VA1 -> A, VA2 -> A; Y: VA1 -> C; VAG -> A global in both. Flushes everything,
   then caches X's VA1, VA2, VAG and Y's VA1, and leaves CR3 at X. */
static void fresh(void)
{
    map(x, VA1, MARK_A, PTE_W);
    map(x, VA2, MARK_A, PTE_W);
    map(y, VA1, MARK_C, PTE_W);
    map(x, VAG, MARK_A, PTE_W | PTE_G);
    map(y, VAG, MARK_A, PTE_W | PTE_G);
    invpcid(INVPCID_ALL_GLOBAL, 0, 0);
    to_y(0);
    rd(VA1);
    to_x(0);
    rd(VA1);
    rd(VA2);
    rd(VAG);
}

/* Points every PTE at new frames (X: B, Y: D, global: B) without invalidating. */
static void rewrite(void)
{
    map(x, VA1, MARK_B, PTE_W);
    map(x, VA2, MARK_B, PTE_W);
    map(y, VA1, MARK_D, PTE_W);
    map(x, VAG, MARK_B, PTE_W | PTE_G);
    map(y, VAG, MARK_B, PTE_W | PTE_G);
}

int main(void)
{
    uint32_t r[4];
    struct fault f;

    ktest_init();
    cpuid(1, 0, r);
    int has_pcid = (r[2] & CPUID1_ECX_PCID) != 0;
    cpuid(7, 0, r);
    int has_invpcid = (r[1] & CPUID7_EBX_INVPCID) != 0;
    check_true("CPUID reports PCID", has_pcid);
    check_true("CPUID reports INVPCID", has_invpcid);
    if (!has_pcid || !has_invpcid)
        return check_failures();
    for (int m = MARK_A; m <= MARK_D; m++)
        frame[m] = ktest_frame((uint64_t)m);
    x = vm_create();
    y = vm_create();
    write_cr4(read_cr4() | CR4_PCIDE);  /* CR3[11:0] is 0 here, as MOV CR4 requires */
    check_true("CR4.PCIDE is on", (read_cr4() & CR4_PCIDE) != 0);

    /* MOV CR3 with and without bit 63, same PCID */
    fresh();
    expect("X: VA1 -> A", VA1, MARK_A);
    rewrite();
    expect("X after the PTE changed: A still cached", VA1, MARK_A);
    to_x(1);
    expect("X after MOV CR3 with bit 63 (no flush): A still cached", VA1, MARK_A);
    check_u64("CR3 reads back without bit 63", read_cr3() >> 63, 0);
    to_x(0);
    expect("X after MOV CR3 without bit 63: B (PCID 1 flushed)", VA1, MARK_B);

    /* Entries of one PCID survive while another runs */
    fresh();
    rewrite();
    to_y(1);
    expect("Y, no flush: its own cached VA1 -> C", VA1, MARK_C);
    expect("Y: the global page cached under X's PCID is used", VAG, MARK_A);
    to_x(1);
    expect("back to X, no flush: X's VA1 -> A survived Y", VA1, MARK_A);
    to_y(0);
    expect("Y with a flush: VA1 -> D", VA1, MARK_D);
    expect("Y with a flush: the global page stays cached", VAG, MARK_A);
    to_x(1);
    expect("back to X, no flush: Y's flush left X's A alone", VA1, MARK_A);

    /* INVPCID type 0: one address in one PCID */
    fresh();
    rewrite();
    to_y(1);
    invpcid(INVPCID_ADDRESS, PCID_X, VA1);
    to_x(1);
    expect("INVPCID 0 (X, VA1) from Y: X's VA1 walked again", VA1, MARK_B);
    expect("INVPCID 0 (X, VA1): X's VA2 still cached", VA2, MARK_A);
    expect("INVPCID 0 (X, VA1): the global page still cached", VAG, MARK_A);
    to_y(1);
    expect("INVPCID 0 (X, VA1): Y's VA1 still cached", VA1, MARK_C);

    /* INVPCID type 1: one PCID, all addresses, not global */
    fresh();
    rewrite();
    invpcid(INVPCID_CONTEXT, PCID_X, 0);
    expect("INVPCID 1 (X): X's VA1 walked again", VA1, MARK_B);
    expect("INVPCID 1 (X): X's VA2 walked again", VA2, MARK_B);
    expect("INVPCID 1 (X): the global page still cached", VAG, MARK_A);
    to_y(1);
    expect("INVPCID 1 (X): Y's VA1 still cached", VA1, MARK_C);

    /* INVPCID type 2: everything, globals included */
    fresh();
    rewrite();
    invpcid(INVPCID_ALL_GLOBAL, 0, 0);
    expect("INVPCID 2: X's VA1 walked again", VA1, MARK_B);
    expect("INVPCID 2: the global page walked again", VAG, MARK_B);
    to_y(1);
    expect("INVPCID 2: Y's VA1 walked again", VA1, MARK_D);

    /* INVPCID type 3: everything but globals */
    fresh();
    rewrite();
    invpcid(INVPCID_ALL, 0, 0);
    expect("INVPCID 3: X's VA1 walked again", VA1, MARK_B);
    expect("INVPCID 3: the global page still cached", VAG, MARK_A);
    to_y(1);
    expect("INVPCID 3: Y's VA1 walked again", VA1, MARK_D);

    /* INVLPG acts on the current PCID, and on global translations of the page */
    fresh();
    rewrite();
    invlpg(VAG);
    invlpg(VA1);
    expect("INVLPG in X: X's VA1 walked again", VA1, MARK_B);
    expect("INVLPG in X: the global page walked again", VAG, MARK_B);

    /* INVPCID's own checks (SDM vol. 2A "INVPCID", exceptions) */
    to_x(0);
    struct { uint64_t d0, d1; } bad = { 1ull << 12, 0 };   /* bits 63:12 must be 0 */
    uint64_t type = INVPCID_CONTEXT;
    check_true("INVPCID with descriptor bits 63:12 set: #GP(0)",
               guarded_invpcid(type, &bad, &f) && f.vector == T_GP && f.error == 0);
    bad.d0 = 0;
    check_true("INVPCID type 4: #GP(0)",
               guarded_invpcid(4, &bad, &f) && f.vector == T_GP && f.error == 0);
    bad.d1 = 0x0000800000000000ull;    /* non-canonical */
    check_true("INVPCID type 0, non-canonical address: #GP(0)",
               guarded_invpcid(INVPCID_ADDRESS, &bad, &f) && f.vector == T_GP);

    write_cr3(virt_to_phys(vm_kernel_pml4()));
    write_cr4(read_cr4() & ~CR4_PCIDE);
    return check_failures();
}
