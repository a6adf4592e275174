/* A triple fault (Intel SDM vol. 3 §6.15, "Interrupt 8", "Exit conditions": an
   exception while delivering #DF shuts the processor down). Both the #PF gate and the
   #DF gate use an IST stack that is not mapped: a #PF cannot be delivered (-> #DF),
   and neither can the #DF (-> shutdown). On hvsim a shutdown ends the run with exit
   status 3 and a "triple fault" line on stderr; tests/kernel expects exactly that. If
   this program gets control back, something is wrong and it says so. */
#include "gdt.h"
#include "idt.h"
#include "kprintf.h"
#include "ktest.h"
#include "vm.h"

#define BAD_STACK_TOP (TEST_VA + 0x100000)
#define IST_BAD 2

int main(void)
{
    struct fault f;

    ktest_init();
    tss_set_ist(IST_BAD, BAD_STACK_TOP);
    tss_set_ist(IST_DOUBLE_FAULT, BAD_STACK_TOP);
    idt_set_ist(T_PF, IST_BAD);
    kprintf("triple_fault: a #PF whose delivery faults, then a #DF whose delivery "
            "faults: expect a shutdown (hvsim exit status 3)\n");
    try_read(TEST_VA, 0, &f);
    kprintf("FAIL triple_fault: still running; the fault was delivered as %s\n",
            trap_name((unsigned)f.vector));
    return 1;
}
