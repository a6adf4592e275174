/* The debug-exit port (DESIGN.md "Exit"): a byte v written to I/O port 0xF4 ends the
 * run and hvsim exits with status v. The device knows nothing of the CPU: it calls
 * the machine back, which asks the run loop to stop. */
#ifndef HVSIM_DEVICES_DEBUG_EXIT_H
#define HVSIM_DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#include "../sim/base/counters.h"

#define DEBUG_EXIT_PORT 0xF4

typedef void (*debug_exit_fn)(void *ctx, int status);

struct debug_exit {
	debug_exit_fn request_exit;
	void *ctx;
	uint64_t writes; /* counter */
};

void debug_exit_init(struct debug_exit *d, debug_exit_fn request_exit, void *ctx);
void debug_exit_register_counters(struct debug_exit *d, struct counter_registry *reg);

/* Byte accesses at offset 0 from the port; ctx is the device. */
uint8_t debug_exit_in(void *ctx, uint16_t offset);
void debug_exit_out(void *ctx, uint16_t offset, uint8_t v);

#endif
