/* Creating the workloads' processes. units= is split over the processes as quotas
   (the first units % procs get one more), so a run ends after exactly that many work
   units whatever the order the processes finish in; slices= instead has the timer
   handler ask every process to stop (main.c). */
#include "kprintf.h"
#include "proc.h"
#include "wlabi.h"
#include "workloads.h"

/* The ring-3 programs, carried in the image (embed.py) */
extern const unsigned char ckernel_switch_elf[], ckernel_unmap_elf[], ckernel_bystander_elf[];
extern const unsigned long ckernel_switch_elf_size, ckernel_unmap_elf_size,
    ckernel_bystander_elf_size;

static const struct {
    const unsigned char *elf;
    const unsigned long *size;
} programs[] = {
    [WL_SWITCH] = { ckernel_switch_elf, &ckernel_switch_elf_size },
    [WL_UNMAP] = { ckernel_unmap_elf, &ckernel_unmap_elf_size },
    [WL_BYSTANDER] = { ckernel_bystander_elf, &ckernel_bystander_elf_size },
};

int workload_start(const struct kargs *a)
{
    for (uint64_t i = 0; i < a->procs; i++) {
        uint64_t args[4] = { 0 };
        const char *why;

        args[WL_ARG_PAGES] = a->pages;
        args[WL_ARG_QUOTA] = a->units ? a->units / a->procs + (i < a->units % a->procs) : 0;
        args[WL_ARG_SEED] = a->seed + i;        /* unmap: each its own sequence */
        args[WL_ARG_MAXRANGE] = a->maxrange;
        if (!proc_create(workload_name(a->workload), programs[a->workload].elf,
                         *programs[a->workload].size, args, 4, &why)) {
            kprintf("kernel: cannot create process %llu: %s\n", (unsigned long long)i + 1,
                    why);
            return -1;
        }
    }
    return 0;
}
