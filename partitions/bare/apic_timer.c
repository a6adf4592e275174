/* The x2APIC timer (Intel SDM vol. 3 §11.5.4): it counts down from the initial count
   once every divide × (bus clock) ticks; periodic mode reloads at zero, one-shot stops.
   On hvsim a tick is apic.timer_ratio cycles and RDTSC is the cycle count, so over an
   interval of T cycles a periodic timer with count C and divide D fires
   T / (C × D × ratio) times, give or take one. The ratio is not visible to the guest:
   pass it as ratio=N on the command line when running with --param apic.timer_ratio=N. */
#include "apic.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "kprintf.h"
#include "ktest.h"
#include "x86.h"

#define TIMER_VECTOR 0x20
#define IPI_VECTOR 0x21

static volatile uint64_t timer_count, ipi_count;

static void on_timer(struct trap_frame *tf)
{
    timer_count++;
    apic_eoi();
}

static void on_ipi(struct trap_frame *tf)
{
    ipi_count++;
    apic_eoi();
}

/* Runs with interrupts on until `cycles` have passed (busy) or `ticks` interrupts
   came (sleeping in HLT); returns the cycles measured. */
static uint64_t run_for(uint64_t cycles)
{
    uint64_t t0 = rdtsc(), t1;
    sti();
    do {
        t1 = rdtsc();
    } while (t1 - t0 < cycles);
    cli();
    return t1 - t0;
}

static uint64_t sleep_for_ticks(uint64_t ticks)
{
    uint64_t t0 = rdtsc();
    while (timer_count < ticks)
        sti_hlt();
    cli();
    return rdtsc() - t0;
}

static void within_one(const char *what, uint64_t got, uint64_t want)
{
    char name[120];
    ksnprintf(name, sizeof(name), "%s: %llu interrupts, expected %llu +- 1", what,
              (unsigned long long)got, (unsigned long long)want);
    check_true(name, got + 1 >= want && got <= want + 1);
}

int main(void)
{
    uint64_t ratio = cmdline_u64(boot_cmdline(), "ratio", 1);
    static const struct { uint32_t count; unsigned divide; } setups[] = {
        { 10000, 1 }, { 2500, 4 }, { 1000, 16 }, { 300, 128 }, { 5000, 2 },
    };
    char what[96];

    ktest_init();
    trap_register(TIMER_VECTOR, on_timer);
    trap_register(IPI_VECTOR, on_ipi);
    check_true("x2APIC present and enabled", apic_init(0xFF) == 0);
    check_u64("IA32_APIC_BASE: EN and EXTD", rdmsr(MSR_APIC_BASE) & (3u << 10), 3u << 10);
    kprintf("apic.timer_ratio taken as %llu (ratio=N)\n", (unsigned long long)ratio);

    for (unsigned i = 0; i < sizeof(setups) / sizeof(setups[0]); i++) {
        uint64_t period = (uint64_t)setups[i].count * setups[i].divide * ratio;
        timer_count = 0;
        uint64_t t0 = rdtsc();
        apic_timer_periodic(TIMER_VECTOR, setups[i].count, setups[i].divide);
        run_for(25 * period);
        uint64_t elapsed = rdtsc() - t0;
        apic_timer_stop();
        ksnprintf(what, sizeof(what), "periodic count %u divide %u, busy",
                  setups[i].count, setups[i].divide);
        within_one(what, timer_count, elapsed / period);

        timer_count = 0;
        t0 = rdtsc();
        apic_timer_periodic(TIMER_VECTOR, setups[i].count, setups[i].divide);
        sleep_for_ticks(20);
        elapsed = rdtsc() - t0;
        apic_timer_stop();
        ksnprintf(what, sizeof(what), "periodic count %u divide %u, HLT",
                  setups[i].count, setups[i].divide);
        within_one(what, timer_count, elapsed / period);
    }

    /* One-shot: one interrupt, then the count stays at zero. */
    timer_count = 0;
    apic_timer_oneshot(TIMER_VECTOR, 4000, 2);
    uint32_t c1 = apic_timer_current();
    uint32_t c2 = apic_timer_current();
    check_true("current count counts down from the initial count",
               c1 <= 4000 && c2 < c1);
    run_for(10 * 4000 * 2 * ratio);
    check_u64("one-shot: exactly one interrupt", timer_count, 1);
    check_u64("one-shot: current count 0 after expiry", apic_timer_current(), 0);

    /* Masked: the timer counts but raises nothing. */
    timer_count = 0;
    apic_timer_periodic(TIMER_VECTOR, 1000, 1);
    wrmsr(X2APIC_LVT_TIMER, (1u << 16) | (1u << 17) | TIMER_VECTOR);
    run_for(20 * 1000 * ratio);
    check_u64("masked LVT timer: no interrupts", timer_count, 0);
    apic_timer_stop();

    /* TPR: a vector whose priority class (vector >> 4) is not above TPR's waits
       (SDM §11.8.3). */
    timer_count = 0;
    wrmsr(X2APIC_TPR, TIMER_VECTOR & 0xF0);
    apic_timer_oneshot(TIMER_VECTOR, 100, 1);
    run_for(1000 * ratio);
    check_u64("TPR at the vector's class: held back", timer_count, 0);
    wrmsr(X2APIC_TPR, 0);
    run_for(10);
    check_u64("TPR lowered: delivered", timer_count, 1);

    /* Self-IPI (SDM §11.12.11) */
    wrmsr(X2APIC_SELF_IPI, IPI_VECTOR);
    run_for(10);
    check_u64("self-IPI delivered once", ipi_count, 1);
    return check_failures();
}
