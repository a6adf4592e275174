/* x2APIC timer driver. In x2APIC mode every register is an MSR and RDMSR/WRMSR is the
   only access (SDM vol. 3 §11.12.1.2). */
#include "apic.h"
#include "x86.h"

#define CPUID1_ECX_X2APIC (1u << 21)
#define APIC_BASE_EXTD (1ull << 10)  /* x2APIC mode */
#define APIC_BASE_EN (1ull << 11)    /* APIC global enable */
#define SVR_ENABLE (1u << 8)         /* APIC software enable (SDM §11.9) */
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_PERIODIC (1u << 17)

int apic_init(uint8_t spurious_vector)
{
    uint32_t r[4];

    cpuid(1, 0, r);
    if (!(r[2] & CPUID1_ECX_X2APIC))
        return -1;
    /* From the disabled state EN and EXTD are set together: EXTD alone is an invalid
       combination (SDM vol. 3 §11.12.5, figure 11-27). */
    wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EN | APIC_BASE_EXTD);
    wrmsr(X2APIC_TPR, 0); /* accept every priority class */
    wrmsr(X2APIC_SVR, SVR_ENABLE | spurious_vector);
    return 0;
}

/* Divide configuration register encoding (SDM vol. 3 figure 11-10): bits 3 and 1:0
   hold log2(divide) - 1, with divide-by-1 encoded as 0b1011. */
static uint32_t divide_config(unsigned divide)
{
    unsigned log2 = 0;

    while ((1u << log2) < divide && log2 < 7)
        log2++;
    if (log2 == 0)
        return 0xB;
    unsigned v = log2 - 1;
    return (v & 3) | (v & 4) << 1;
}

static void timer_start(uint32_t mode, uint8_t vector, uint32_t count, unsigned divide)
{
    wrmsr(X2APIC_TIMER_DIVIDE, divide_config(divide));
    wrmsr(X2APIC_LVT_TIMER, mode | vector);
    /* Writing the initial count starts the countdown (SDM §11.5.4). */
    wrmsr(X2APIC_TIMER_INITIAL, count);
}

void apic_timer_periodic(uint8_t vector, uint32_t count, unsigned divide)
{
    timer_start(LVT_TIMER_PERIODIC, vector, count, divide);
}

void apic_timer_oneshot(uint8_t vector, uint32_t count, unsigned divide)
{
    timer_start(LVT_TIMER_ONESHOT, vector, count, divide);
}

void apic_timer_stop(void)
{
    wrmsr(X2APIC_TIMER_INITIAL, 0);
    wrmsr(X2APIC_LVT_TIMER, LVT_MASKED);
}

uint32_t apic_timer_current(void)
{
    return (uint32_t)rdmsr(X2APIC_TIMER_CURRENT);
}

void apic_eoi(void)
{
    wrmsr(X2APIC_EOI, 0); /* x2APIC: a nonzero write is #GP (SDM §11.12.1.2) */
}
