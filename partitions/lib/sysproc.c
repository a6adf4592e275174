/* The process system calls (uabi.h). Arguments are the caller's registers; pointers
   are user addresses, checked against the caller's page tables before the kernel
   touches them (no SMAP here: a supervisor access to a user page would simply work). */
#include "console.h"
#include "palloc.h"
#include "proc.h"
#include "syscall.h"
#include "vm.h"

#define WRITE_MAX 4096
#define MAP_MAX_PAGES 65536

/* Is every page of [va, va + len) mapped user-accessible (and writable if asked) in
   pml4? Walks the tables as the CPU would, taking the AND of U and W over the levels
   (SDM vol. 3 §4.6). */
static int user_range_ok(const uint64_t *pml4, uint64_t va, uint64_t len, int write)
{
    if (va < KERNEL_HALF_END || va > USER_END || len > USER_END - va)
        return 0;
    for (uint64_t page = PAGE_ROUND_DOWN(va); page < va + len; page += PAGE_SIZE) {
        const uint64_t *t = pml4;
        for (int level = 4; level >= 1; level--) {
            uint64_t e = t[PT_INDEX(page, level)];
            if (!(e & PTE_P) || !(e & PTE_U) || (write && !(e & PTE_W)))
                return 0;
            if (level == 1 || (e & PTE_PS))
                break;
            t = phys_to_virt(e & PTE_ADDR_MASK);
        }
    }
    return 1;
}

/* A page-aligned range of n pages inside the region SYS_map serves. */
static int map_range_ok(uint64_t va, uint64_t n)
{
    return (va & (PAGE_SIZE - 1)) == 0 && va >= USER_MAP_BASE && va < USER_STACK_TOP -
           USER_STACK_PAGES * PAGE_SIZE && n <= MAP_MAX_PAGES &&
           n <= (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE - va) / PAGE_SIZE;
}

static int64_t sys_write(struct trap_frame *tf)
{
    const char *buf = (const char *)(uintptr_t)tf->rdi;
    uint64_t len = tf->rsi;

    if (len > WRITE_MAX)
        len = WRITE_MAX;
    if (!user_range_ok(proc_current()->as.pml4, tf->rdi, len, 0))
        return UABI_EFAULT;
    console_write(buf, len);
    return (int64_t)len;
}

static int64_t sys_yield(struct trap_frame *tf)
{
    sched_yield();
    return 0;
}

static int64_t sys_exit(struct trap_frame *tf)
{
    proc_exit((int)tf->rdi);
}

static int64_t sys_getpid(struct trap_frame *tf)
{
    return proc_current()->pid;
}

static int64_t sys_map(struct trap_frame *tf)
{
    struct proc *p = proc_current();
    uint64_t va = tf->rdi, n = tf->rsi;

    if (!map_range_ok(va, n))
        return UABI_EINVAL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *pte = vm_walk(p->as.pml4, va + i * PAGE_SIZE, 0);
        if (pte && (*pte & PTE_P))
            return UABI_EINVAL;
    }
    for (uint64_t i = 0; i < n; i++)
        vm_map(p->as.pml4, va + i * PAGE_SIZE, page_alloc(),
               PTE_U | PTE_W | PTE_NX | PTE_OWNED);
    return 0;
}

/* Unmap in three steps, so that no CPU can reach a frame after it is freed: clear the
   present bits, flush (the policy is tlbflush.c's), then free the frames. */
static int64_t sys_unmap(struct trap_frame *tf)
{
    struct proc *p = proc_current();
    uint64_t va = tf->rdi, n = tf->rsi, unmapped = 0;

    if (!map_range_ok(va, n))
        return UABI_EINVAL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *pte = vm_walk(p->as.pml4, va + i * PAGE_SIZE, 0);
        if (pte && (*pte & PTE_P)) {
            *pte &= ~PTE_P;     /* the address stays for the last step */
            unmapped++;
        }
    }
    flush_tlb_range(&p->as, va, n);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *pte = vm_walk(p->as.pml4, va + i * PAGE_SIZE, 0);
        if (pte && *pte && !(*pte & PTE_P)) {
            if (*pte & PTE_OWNED)
                page_free(*pte & PTE_ADDR_MASK);
            *pte = 0;
        }
    }
    return (int64_t)unmapped;
}

void sysproc_init(void)
{
    syscall_register(SYS_write, sys_write);
    syscall_register(SYS_yield, sys_yield);
    syscall_register(SYS_exit, sys_exit);
    syscall_register(SYS_getpid, sys_getpid);
    syscall_register(SYS_map, sys_map);
    syscall_register(SYS_unmap, sys_unmap);
}
