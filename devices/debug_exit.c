#include "debug_exit.h"

void debug_exit_init(struct debug_exit *d, debug_exit_fn request_exit, void *ctx)
{
	*d = (struct debug_exit){ .request_exit = request_exit, .ctx = ctx };
}

void debug_exit_register_counters(struct debug_exit *d, struct counter_registry *reg)
{
	counter_register(reg, "debug_exit.writes", "writes to the debug-exit port 0xF4",
			 &d->writes);
}

uint8_t debug_exit_in(void *ctx, uint16_t offset)
{
	return 0xFF; /* write-only: reads like an unclaimed port */
}

void debug_exit_out(void *ctx, uint16_t offset, uint8_t v)
{
	struct debug_exit *d = ctx;
	d->writes++;
	d->request_exit(d->ctx, v);
}
