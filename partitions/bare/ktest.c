/* The privileged-test harness (ktest.h). */
#include "cpulocal.h"
#include "gdt.h"
#include "idt.h"
#include "kprintf.h"
#include "kstring.h"
#include "ktest.h"
#include "palloc.h"
#include "panic.h"
#include "vm.h"
#include "x86.h"

struct guard {
    uint64_t active, rsp, rbx, rbp, r12, r13, r14, r15;
    struct fault *out;
};

int guarded_call(void (*fn)(void *), void *arg, struct guard *g);
extern const char guarded_landing[];
uint64_t probe_read(uint64_t va);
void probe_write(uint64_t va, uint64_t v);

static struct guard guard;
static uint8_t kstack[16384] __attribute__((aligned(16)));
uint64_t ktest_kstack_top;

/* Every exception (and INT3) lands here while a guarded call runs: record it, then
   rewrite the frame so that IRETQ returns 1 from guarded_call, at CPL 0 on the stack
   guarded_call was called on, whatever privilege level or stack the fault came from. */
static void catch_trap(struct trap_frame *tf)
{
    if (!guard.active) {
        kprintf("FAIL unexpected exception outside a guarded call: ");
        trap_print(tf);
        panic("ktest: unexpected %s", trap_name((unsigned)tf->vector));
    }
    guard.active = 0;
    guard.out->vector = tf->vector;
    guard.out->error = tf->error;
    guard.out->cr2 = read_cr2();
    guard.out->frame_at = (uint64_t)(uintptr_t)tf;
    guard.out->tf = *tf;
    tf->rip = (uint64_t)(uintptr_t)guarded_landing;
    tf->cs = SEL_KCODE;
    tf->ss = SEL_KDATA;
    tf->rsp = guard.rsp;
    tf->rflags = RFLAGS_FIXED;      /* interrupts stay off in the kernel */
    tf->rbx = guard.rbx;
    tf->rbp = guard.rbp;
    tf->r12 = guard.r12;
    tf->r13 = guard.r13;
    tf->r14 = guard.r14;
    tf->r15 = guard.r15;
    tf->rax = 1;
}

void ktest_init(void)
{
    gdt_init();
    idt_init();
    cpulocal_init();
    palloc_init();
    vm_init();
    ktest_kstack_top = (uint64_t)(uintptr_t)(kstack + sizeof(kstack));
    tss_set_rsp0(ktest_kstack_top);
    this_cpu()->kernel_rsp = ktest_kstack_top;
    for (unsigned v = 0; v < 32; v++)
        trap_register(v, catch_trap);
}

int guarded(void (*fn)(void *), void *arg, struct fault *f)
{
    memset(f, 0, sizeof(*f));
    f->vector = ~0ull;
    guard.out = f;
    return guarded_call(fn, arg, &guard);
}

struct access {
    uint64_t va, value;
};

static void do_read(void *p)
{
    struct access *a = p;
    a->value = probe_read(a->va);
}

static void do_write(void *p)
{
    struct access *a = p;
    probe_write(a->va, a->value);
}

static void do_exec(void *p)
{
    ((void (*)(void))(uintptr_t)((struct access *)p)->va)();
}

int try_read(uint64_t va, uint64_t *value, struct fault *f)
{
    struct access a = { va, 0 };
    int faulted = guarded(do_read, &a, f);
    if (value)
        *value = faulted ? 0 : a.value;
    return faulted;
}

int try_write(uint64_t va, uint64_t value, struct fault *f)
{
    struct access a = { va, value };
    return guarded(do_write, &a, f);
}

int try_exec(uint64_t va, struct fault *f)
{
    struct access a = { va, 0 };
    return guarded(do_exec, &a, f);
}

uint64_t *ktest_pte(uint64_t va)
{
    return vm_walk(vm_kernel_pml4(), va, 1);
}

uint64_t *ktest_map(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pte = ktest_pte(va);
    *pte = (pa & PTE_ADDR_MASK) | flags | PTE_P;
    invlpg(va);
    return pte;
}

uint64_t ktest_frame(uint64_t marker)
{
    uint64_t pa = page_alloc();
    *(uint64_t *)phys_to_virt(pa) = marker;
    return pa;
}

uint64_t ktest_user_code(uint64_t va, const char *start, const char *end)
{
    uint64_t pa = page_alloc();
    memcpy(phys_to_virt(pa), start, (size_t)(end - start));
    ktest_map(va, pa, PTE_U);
    return va;
}

uint64_t ktest_user_stack(uint64_t top)
{
    ktest_map(top - PAGE_SIZE, page_alloc(), PTE_U | PTE_W | PTE_NX);
    return top;
}

static void enter_user(void *p)
{
    trap_return_to(p);
}

void run_user(uint64_t rip, uint64_t rsp, const struct trap_frame *regs, struct fault *f)
{
    struct trap_frame tf;

    if (regs)
        tf = *regs;
    else
        memset(&tf, 0, sizeof(tf));
    tf.rip = rip;
    tf.cs = USER_CS;
    tf.rsp = rsp;
    tf.ss = USER_SS;
    tf.rflags |= RFLAGS_FIXED;
    if (!guarded(enter_user, &tf, f))
        panic("ktest: user code returned to the kernel without a trap");
}
