/* The per-CPU block and the GS bases (AMD APM vol. 2 §4.5.3: in 64-bit mode the GS
   base is the MSR, not the descriptor). */
#include "cpulocal.h"
#include "x86.h"

static struct cpu_local boot_cpu;

void cpulocal_init(void)
{
    boot_cpu.self = &boot_cpu;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&boot_cpu);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}
