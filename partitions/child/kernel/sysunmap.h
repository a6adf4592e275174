/* The child kernel's SYS_unmap: flushes only the pages it unmapped, as runs. */
#ifndef SYSUNMAP_H
#define SYSUNMAP_H

/* Installs it over partitions/lib's handler. Call after proc_init. */
void sysunmap_init(void);

#endif
