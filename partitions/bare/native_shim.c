/* The guest platform for a native (Linux) build of a bare program: the same program
   source runs as an ordinary process, so its output can be compared with a run on
   hvsim. Only the primitives live here; formatting and parsing are the guest
   library's own code (kprintf.c, cmdline.c), compiled natively. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bootinfo.h"
#include "console.h"
#include "machine.h"
#include "smallpages.h"

static const char *native_cmdline = "";

/* glibc calls each .init_array function with (argc, argv, envp) before main, which
   lets the program keep its guest signature, int main(void). argv[1], if given, is
   the command line that `hvsim run --cmdline STR` would pass. */
static void take_cmdline(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc > 1)
        native_cmdline = argv[1];
}

__attribute__((section(".init_array"), used))
static void (*const take_cmdline_entry)(int, char **, char **) = take_cmdline;

void console_write(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDOUT_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(125); /* stdout is gone; nothing left to report to */
        s += w;
        n -= (size_t)w;
    }
}

void console_putc(char c)
{
    console_write(&c, 1);
}

void console_puts(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    console_write(s, n);
}

_Noreturn void machine_exit(int status)
{
    exit(status & 0xFF);
}

const struct boot_info *boot_info(void)
{
    return 0; /* a process has no loader boot info */
}

const char *boot_cmdline(void)
{
    return native_cmdline;
}

const struct boot_module *boot_module(uint32_t i)
{
    (void)i;
    return 0;
}

const struct boot_module *boot_module_find(const char *name)
{
    (void)name;
    return 0;
}

/* Linux maps a process's memory in 4 KiB pages already (or in huge pages it chooses);
   nothing to do. */
unsigned use_small_pages(void *start, size_t bytes)
{
    (void)start;
    (void)bytes;
    return 0;
}
