/* The board: owns RAM, the CPU and the devices, and routes the CPU's I/O-port and
 * MSR accesses to them (DESIGN.md: sim/machine routes I/O and MSR accesses to devices/). */
#include "machine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the I/O-port bus ---- */

static uint8_t io_read_byte(struct machine *m, uint16_t port)
{
	unsigned idx = m->io_port_map[port];
	if (!idx) {
		m->io_unclaimed_reads++;
		return 0xFF; /* nothing drives the bus: all-ones (DESIGN.md: legacy ports) */
	}
	const struct io_dev *d = &m->io[idx - 1];
	return d->in(d->ctx, (uint16_t)(port - d->base));
}

static void io_write_byte(struct machine *m, uint16_t port, uint8_t v)
{
	unsigned idx = m->io_port_map[port];
	if (!idx) {
		m->io_unclaimed_writes++;
		return;
	}
	const struct io_dev *d = &m->io[idx - 1];
	d->out(d->ctx, (uint16_t)(port - d->base), v);
}

/* A wide access is split into byte accesses to port, port+1, ... (machine.h). */
static uint64_t bus_io_in(void *ctx, uint16_t port, unsigned size)
{
	struct machine *m = ctx;
	uint64_t v = 0;
	m->io_reads++;
	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)io_read_byte(m, (uint16_t)(port + i)) << (8 * i);
	return v;
}

static void bus_io_out(void *ctx, uint16_t port, unsigned size, uint64_t v)
{
	struct machine *m = ctx;
	m->io_writes++;
	for (unsigned i = 0; i < size; i++)
		io_write_byte(m, (uint16_t)(port + i), (uint8_t)(v >> (8 * i)));
}

void machine_attach_io(struct machine *m, const struct io_dev *d)
{
	if (m->nr_io == MACHINE_MAX_IO_DEVS || d->nr_ports == 0 ||
	    (unsigned)d->base + d->nr_ports > 65536) {
		fprintf(stderr, "hvsim: internal error: cannot attach I/O device %s\n", d->name);
		abort();
	}
	for (unsigned p = d->base; p < (unsigned)d->base + d->nr_ports; p++) {
		if (m->io_port_map[p]) {
			fprintf(stderr, "hvsim: internal error: port 0x%x claimed by %s and %s\n",
				p, m->io[m->io_port_map[p] - 1].name, d->name);
			abort();
		}
		m->io_port_map[p] = (uint8_t)(m->nr_io + 1);
	}
	m->io[m->nr_io++] = *d;
}

/* ---- the MSR bus: a miss makes the access #GP (cpu.h struct cpu_bus) ---- */

static const struct msr_dev *msr_find(const struct machine *m, uint32_t msr)
{
	for (unsigned i = 0; i < m->nr_msr; i++)
		if (msr >= m->msr[i].first && msr <= m->msr[i].last)
			return &m->msr[i];
	return NULL;
}

static bool bus_msr_read(void *ctx, uint32_t msr, uint64_t *v)
{
	struct machine *m = ctx;
	const struct msr_dev *d = msr_find(m, msr);
	if (!d) {
		m->msr_unclaimed_reads++;
		return false;
	}
	return d->read(d->ctx, msr, v);
}

static bool bus_msr_write(void *ctx, uint32_t msr, uint64_t v)
{
	struct machine *m = ctx;
	const struct msr_dev *d = msr_find(m, msr);
	if (!d) {
		m->msr_unclaimed_writes++;
		return false;
	}
	return d->write(d->ctx, msr, v);
}

void machine_attach_msr(struct machine *m, const struct msr_dev *d)
{
	if (m->nr_msr == MACHINE_MAX_MSR_DEVS || d->first > d->last) {
		fprintf(stderr, "hvsim: internal error: cannot attach MSR device %s\n", d->name);
		abort();
	}
	for (unsigned i = 0; i < m->nr_msr; i++) {
		if (d->first <= m->msr[i].last && m->msr[i].first <= d->last) {
			fprintf(stderr, "hvsim: internal error: MSRs of %s and %s overlap\n",
				m->msr[i].name, d->name);
			abort();
		}
	}
	m->msr[m->nr_msr++] = *d;
}

/* ---- building the board ---- */

/* The debug-exit device's way to end the run (it knows nothing of the CPU). */
static void request_exit(void *ctx, int status)
{
	struct machine *m = ctx;
	cpu_request_stop(&m->cpu, STOP_EXIT, status);
}

/* ---- the local APIC: its MSRs and the CPU's interrupt and event callbacks ----
 * The APIC is a function of the cycle clock, so its MSR accesses are handed the CPU's
 * cycle count. Any access may change what is pending or when the timer fires next (a
 * read, too, processes an overdue expiry): the CPU is kicked to look again. */

static bool apic_msr_read(void *ctx, uint32_t msr, uint64_t *v)
{
	struct machine *m = ctx;
	bool ok = x2apic_msr_read(&m->apic, msr, m->cpu.cycles, v);
	cpu_kick(&m->cpu);
	return ok;
}

static bool apic_msr_write(void *ctx, uint32_t msr, uint64_t v)
{
	struct machine *m = ctx;
	bool ok = x2apic_msr_write(&m->apic, msr, v, m->cpu.cycles);
	cpu_kick(&m->cpu);
	return ok;
}

static int bus_intr_pending(void *ctx)
{
	struct machine *m = ctx;
	return x2apic_intr_pending(&m->apic);
}

static void bus_intr_ack(void *ctx, int vector)
{
	struct machine *m = ctx;
	x2apic_intr_ack(&m->apic, vector);
}

static uint64_t bus_next_event(void *ctx)
{
	struct machine *m = ctx;
	return x2apic_next_event(&m->apic);
}

static void bus_run_events(void *ctx, uint64_t now_cycles)
{
	struct machine *m = ctx;
	x2apic_run_events(&m->apic, now_cycles);
}

static void register_machine_counters(struct machine *m)
{
	struct counter_registry *r = &m->counters;
	counter_register(r, "machine.io_reads", "I/O port reads (IN, INS; any size)",
			 &m->io_reads);
	counter_register(r, "machine.io_writes", "I/O port writes (OUT, OUTS; any size)",
			 &m->io_writes);
	counter_register(r, "machine.io_unclaimed_reads",
			 "byte reads of I/O ports no device claims (read all-ones)",
			 &m->io_unclaimed_reads);
	counter_register(r, "machine.io_unclaimed_writes",
			 "byte writes to I/O ports no device claims (ignored)",
			 &m->io_unclaimed_writes);
	counter_register(r, "machine.msr_unclaimed_reads",
			 "RDMSR of MSRs neither the CPU nor a device implements (#GP)",
			 &m->msr_unclaimed_reads);
	counter_register(r, "machine.msr_unclaimed_writes",
			 "WRMSR of MSRs neither the CPU nor a device implements (#GP)",
			 &m->msr_unclaimed_writes);
}

bool machine_init(struct machine *m, const struct machine_config *cfg, char *err,
		  size_t errlen)
{
	memset(m, 0, sizeof *m);
	m->cfg = *cfg;
	counters_init(&m->counters);

	uint64_t timer_ratio = cfg->params.v[PARAM_APIC_TIMER_RATIO];
	if (timer_ratio == 0) {
		snprintf(err, errlen, "apic.timer_ratio is 0: the x2APIC timer needs at least 1 "
			 "cycle per tick; give --param apic.timer_ratio=N with N >= 1");
		return false;
	}

	char size[32];
	if (!physmem_init(&m->pm, cfg->mem_bytes)) {
		snprintf(err, errlen,
			 "cannot reserve %s of host address space for guest RAM (%s); lower --mem",
			 machine_size_str(cfg->mem_bytes, size, sizeof size), strerror(errno));
		return false;
	}
	m->pm_ready = true;

	struct cpu_bus bus = {
		.ctx = m,
		.io_in = bus_io_in,
		.io_out = bus_io_out,
		.msr_read = bus_msr_read,
		.msr_write = bus_msr_write,
		.intr_pending = bus_intr_pending,
		.intr_ack = bus_intr_ack,
		.next_event = bus_next_event,
		.run_events = bus_run_events,
	};
	if (!cpu_init(&m->cpu, &m->pm, &bus, &m->cfg.params)) {
		snprintf(err, errlen, "out of host memory creating the CPU");
		return false;
	}
	m->cpu_ready = true;
	char tlb_err[256];
	if (!cpu_configure_tlb(&m->cpu, &cfg->tlb, tlb_err, sizeof tlb_err)) {
		snprintf(err, errlen, "--tlb: %s", tlb_err);
		return false;
	}
	m->cpu.check_tlb = cfg->check_tlb;
	m->cpu.log_mask = cfg->log_mask;
	m->cpu.log_out = cfg->trace_out;
	m->cpu.max_insns = cfg->max_insns;
	m->cpu.max_cycles = cfg->max_cycles;
	m->cpu.trace_insns = cfg->trace_insns;
	m->cpu.trace_out = cfg->trace_out;

	/* Counters in a fixed order, so every dump lists them the same way. */
	cpu_register_counters(&m->cpu, &m->counters);
	hvcalls_attach(&m->hvcalls, &m->cpu, &m->counters);
	register_machine_counters(m);

	uart16550_init(&m->uart, cfg->console);
	uart16550_register_counters(&m->uart, &m->counters);
	machine_attach_io(m, &(struct io_dev){ "uart16550", UART_COM1_BASE, UART_NR_PORTS,
					       &m->uart, uart16550_in, uart16550_out });

	debug_exit_init(&m->debug_exit, request_exit, m);
	debug_exit_register_counters(&m->debug_exit, &m->counters);
	machine_attach_io(m, &(struct io_dev){ "debug-exit", DEBUG_EXIT_PORT, 1,
					       &m->debug_exit, debug_exit_in, debug_exit_out });

	x2apic_init(&m->apic, timer_ratio);
	x2apic_register_counters(&m->apic, &m->counters);
	machine_attach_msr(m, &(struct msr_dev){ "IA32_APIC_BASE", MSR_IA32_APIC_BASE,
						 MSR_IA32_APIC_BASE, m, apic_msr_read,
						 apic_msr_write });
	machine_attach_msr(m, &(struct msr_dev){ "x2apic", X2APIC_MSR_FIRST, X2APIC_MSR_LAST,
						 m, apic_msr_read, apic_msr_write });
	return true;
}

void machine_free(struct machine *m)
{
	if (m->cpu_ready)
		cpu_free(&m->cpu);
	if (m->pm_ready)
		physmem_free(&m->pm);
	counters_free(&m->counters);
	m->cpu_ready = m->pm_ready = false;
}

/* ---- running ---- */

static double host_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum cpu_stop machine_run(struct machine *m)
{
	/* Host time is measured for the stats only; it never reaches simulated state. */
	double t0 = host_now();
	m->stop = cpu_run(&m->cpu);
	m->host_seconds = host_now() - t0;
	/* a masked APIC timer's expiries are counted lazily: bring them up to the end */
	x2apic_run_events(&m->apic, m->cpu.cycles);
	return m->stop;
}

int machine_exit_status(const struct machine *m)
{
	switch (m->stop) {
	case STOP_EXIT:
		return m->cpu.exit_status & 0xFF;
	case STOP_INSN_LIMIT:
	case STOP_CYCLE_LIMIT:
		return 4;
	default:
		return 3; /* triple fault, halted for good, a failed --check-tlb */
	}
}

const char *machine_stop_name(enum cpu_stop stop)
{
	switch (stop) {
	case STOP_EXIT:
		return "guest-exit";
	case STOP_TRIPLE_FAULT:
		return "triple-fault";
	case STOP_HALTED:
		return "halted";
	case STOP_INSN_LIMIT:
		return "insn-limit";
	case STOP_CYCLE_LIMIT:
		return "cycle-limit";
	case STOP_CHECK_FAILED:
		return "check-failed";
	case STOP_WATCH:
		return "replay-diverged";
	default:
		return "none";
	}
}

const char *machine_size_str(uint64_t bytes, char *buf, size_t len)
{
	if (bytes && bytes % TiB == 0)
		snprintf(buf, len, "%" PRIu64 " TiB", bytes / TiB);
	else if (bytes && bytes % GiB == 0)
		snprintf(buf, len, "%" PRIu64 " GiB", bytes / GiB);
	else if (bytes && bytes % MiB == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", bytes / MiB);
	else if (bytes && bytes % KiB == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", bytes / KiB);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", bytes);
	return buf;
}
