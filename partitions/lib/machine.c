/* machine_exit: the debug-exit port. */
#include "machine.h"
#include "portio.h"

_Noreturn void machine_exit(int status)
{
    outb(DEBUG_EXIT_PORT, (uint8_t)status);
    /* Not reached on hvsim. On a machine without the debug-exit device, stop here
       rather than run off into whatever follows. */
    for (;;)
        __asm__ volatile("cli; hlt");
}
