/* A VM worker: everything the root does for one child partition (Hyper-V's VM worker
   process). It creates the partition through hypercalls, gives it RAM, loads its image
   and boot state, starts its VP, and then serves its intercepts: the console (a 16550
   at 0x3F8) and the exit port (0xF4). The root has one CPU and no threads: a worker
   is this state and the functions below, which the service (main.c) calls with each
   message the hypervisor sends about the worker's child. */
#ifndef WORKER_H
#define WORKER_H

#include <stdint.h>

#include "bootinfo.h"
#include "childboot.h"
#include "childlist.h"
#include "synic.h"
#include "vuart.h"

#define WORKER_LINE_MAX 1024        /* console bytes held until the child's newline */
#define WORKER_RAM_MAX (1ull << 30)  /* a child's RAM: at most 1 GiB */
#define WORKER_DIR_MAX (WORKER_RAM_MAX / (512 * 4096)) /* pages of page numbers */
#define WORKER_DEPOSIT_LOG_PAGES 16   /* up to 8192 deposited pages (32 MiB) a child */

enum worker_state {
    WORKER_IDLE,        /* not started: waits for its turn, or for RAM */
    WORKER_RUNNING,     /* its VP runs or waits for the worker */
    WORKER_EXITED,      /* wrote to port 0xF4: exit_status holds the byte */
    WORKER_STOPPED,     /* ended by the worker: a fault, a wild access, a bad image */
};

struct worker {
    char name[CHILD_NAME_MAX + 1];
    const struct child_spec *spec;    /* its line of the children file */
    const struct boot_module *image;  /* the boot module holding its ELF image */
    enum worker_state state;
    int exit_status;
    uint64_t partition_id;            /* 0 until HvCallCreatePartition */

    /* Its RAM: guest page n is the root's page frame_dir[n / 512][n % 512] (a page
       number). The root reaches it through its identity map to load the image. */
    uint64_t ram_bytes;
    uint64_t *frame_dir[WORKER_DIR_MAX];
    /* Pages handed to the hypervisor for this child (HvCallDepositMemory), by page
       number, 512 a log page: they come back when the partition is deleted. */
    uint64_t *deposit_log[WORKER_DEPOSIT_LOG_PAGES];
    uint64_t deposited_pages;

    struct vuart uart;
    char line[WORKER_LINE_MAX];
    unsigned line_len;
    uint64_t intercepts;              /* intercept messages served */
    int told_waiting;                 /* "waits for RAM" was printed */
};

/* Whether the root has the RAM to start the child now: ram_bytes and the pages the
   root keeps for itself. If not, says so once ("[root] NAME: waits for ..."). */
int worker_fits(struct worker *w, uint64_t ram_bytes);

/* Creates, loads and starts the child. On failure the worker has already reported why
   ("[root] NAME: cannot start: ..."), undone what it did, and is WORKER_STOPPED. */
void worker_start(struct worker *w, uint64_t ram_bytes);

/* One message from the hypervisor about this worker's child (header.sender). */
void worker_handle_message(struct worker *w, const struct hv_message *m);

#endif
