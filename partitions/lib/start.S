/* Entry of a bare-machine image (DESIGN.md, "Boot protocol"): long mode, paging on,
   RSP = 0x80000 (a 64 KiB stack the loader set aside), RDI = the boot info.
   Keep what the loader handed over, run main, and report its result on the
   debug-exit port 0xF4, whose byte becomes hvsim's exit status. */
    .section .text.start, "ax"
    .globl _start
    .type _start, @function
_start:
    movq %rdi, boot_info_paddr(%rip)
    movq %rsp, boot_entry_rsp(%rip)
    /* The SysV ABI wants RSP 16-byte aligned before a call; 0x80000 is, but do not
       rely on the loader for what the compiler relies on. */
    andq $-16, %rsp
    xorl %ebp, %ebp             /* end of the frame-pointer chain for debuggers */
    call main
    movw $0xF4, %dx             /* DEBUG_EXIT_PORT: main's low byte is the exit status */
    outb %al, %dx
1:  hlt                         /* not reached on hvsim */
    jmp 1b
    .size _start, . - _start

    .section .bss
    .globl boot_info_paddr, boot_entry_rsp
    .balign 8
boot_info_paddr: .quad 0        /* RDI at entry: physical address of the boot info */
boot_entry_rsp:  .quad 0        /* RSP at entry */

    .section .note.GNU-stack, "", @progbits
