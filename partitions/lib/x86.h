/* The x86-64 system instructions a kernel needs, as C functions: control registers,
   MSRs, the TSC, TLB invalidation, interrupts on/off. Each is one instruction that C
   cannot name (Intel SDM vol. 2; AMD APM vol. 3). */
#ifndef X86_H
#define X86_H

#include <stdint.h>

/* CR0 (SDM vol. 3 §2.5) */
#define CR0_WP (1ull << 16)     /* supervisor writes honour read-only pages */
/* CR4 (SDM vol. 3 §2.5) */
#define CR4_PGE (1ull << 7)     /* global pages */
#define CR4_PCIDE (1ull << 17)  /* process-context identifiers in CR3[11:0] */
/* CR3 with CR4.PCIDE = 1 (SDM vol. 3 §4.10.4.1) */
#define CR3_PCID_MASK 0xFFFull
#define CR3_NOFLUSH (1ull << 63) /* keep the new PCID's cached translations */

/* RFLAGS (SDM vol. 1 §3.4.3) */
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_FIXED (1ull << 1) /* always 1 */
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_IOPL3 (3ull << 12)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)

/* MSRs (SDM vol. 4; AMD APM vol. 2 appendix A) */
#define MSR_APIC_BASE 0x1Bu
#define MSR_EFER 0xC0000080u
#define MSR_STAR 0xC0000081u
#define MSR_LSTAR 0xC0000082u
#define MSR_SFMASK 0xC0000084u
#define MSR_FS_BASE 0xC0000100u
#define MSR_GS_BASE 0xC0000101u
#define MSR_KERNEL_GS_BASE 0xC0000102u
#define EFER_SCE (1ull << 0)    /* SYSCALL/SYSRET enable */
#define EFER_NXE (1ull << 11)   /* execute-disable bit in page tables */

#define X86_CR_ACCESSORS(n)                                                   \
    static inline uint64_t read_cr##n(void)                                   \
    {                                                                         \
        uint64_t v;                                                           \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                     \
        return v;                                                             \
    }                                                                         \
    static inline void write_cr##n(uint64_t v)                                \
    {                                                                         \
        /* "memory": page tables written before this must not be reordered   \
           after it, nor accesses that depend on the new value before it. */ \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");            \
    }
X86_CR_ACCESSORS(0)
X86_CR_ACCESSORS(2)
X86_CR_ACCESSORS(3)
X86_CR_ACCESSORS(4)
#undef X86_CR_ACCESSORS

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
}

/* On hvsim the TSC is the simulated cycle count (DESIGN.md, "Boot protocol"). */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(subleaf));
}

/* INVLPG (SDM vol. 2A): drop the translations of the page holding va, for the current
   PCID, and any global translation of it. */
static inline void invlpg(uint64_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* INVPCID types (SDM vol. 2A "INVPCID") */
enum {
    INVPCID_ADDRESS = 0,     /* one linear address in one PCID (not global entries) */
    INVPCID_CONTEXT = 1,     /* everything of one PCID except global entries */
    INVPCID_ALL_GLOBAL = 2,  /* everything, global entries included */
    INVPCID_ALL = 3,         /* everything except global entries */
};

static inline void invpcid(uint64_t type, uint16_t pcid, uint64_t va)
{
    struct { uint64_t pcid, va; } desc = { pcid, va };
    __asm__ volatile("invpcid %1, %0" : : "r"(type), "m"(desc) : "memory");
}

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline void cli(void) { __asm__ volatile("cli" : : : "memory"); }
static inline void sti(void) { __asm__ volatile("sti" : : : "memory"); }

/* STI; HLT: the STI shadow (SDM vol. 2B "STI") keeps an interrupt from arriving
   between the two, so the CPU cannot sleep through the wake-up it waits for. */
static inline void sti_hlt(void) { __asm__ volatile("sti; hlt" : : : "memory"); }

#endif
