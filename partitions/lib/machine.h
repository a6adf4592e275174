/* Leaving the machine: a byte written to I/O port 0xF4 ends the run and becomes
   hvsim's exit status (DESIGN.md, "Boot protocol"). */
#ifndef MACHINE_H
#define MACHINE_H

#define DEBUG_EXIT_PORT 0xF4

/* Only the low 8 bits of status survive, as with exit(2) on Linux. */
_Noreturn void machine_exit(int status);

#endif
