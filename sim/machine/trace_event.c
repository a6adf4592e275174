/* Event records, both ways (trace_event.h; docs/trace-format.md "Event records").
 * Every record starts: type byte, varint insn delta, varint cycle delta, varint ASID.
 * Deltas are against the previous event record of the same chunk. */
#include "trace_event.h"

#include <stdio.h>
#include <string.h>

#include "../tlb/tlb.h"

static const char *const kind_names[TK_NR_KINDS] = {
	[TK_REF] = "ref", [TK_FILL] = "fill", [TK_FLUSH] = "flush",
	[TK_EXIT] = "exit", [TK_VMRUN] = "vmrun", [TK_HYPERCALL] = "hypercall",
};

static const uint8_t record_of[TK_NR_KINDS] = {
	[TK_REF] = TF_REC_REF, [TK_FILL] = TF_REC_FILL, [TK_FLUSH] = TF_REC_FLUSH,
	[TK_EXIT] = TF_REC_EXIT, [TK_VMRUN] = TF_REC_VMRUN, [TK_HYPERCALL] = TF_REC_HYPERCALL,
};

const char *trace_kind_name(unsigned k)
{
	return k < TK_NR_KINDS ? kind_names[k] : "unknown";
}

bool trace_kinds_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
	unsigned m = 0;
	const char *p = list;
	if (!*p) {
		snprintf(err, errlen, "empty list of event classes");
		return false;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		unsigned bits = 0;
		for (unsigned k = 0; k < TK_NR_KINDS; k++)
			if (strlen(kind_names[k]) == n && strncmp(kind_names[k], p, n) == 0)
				bits = TK_BIT(k);
		if (n == 3 && strncmp(p, "tlb", 3) == 0)
			bits = TK_BIT(TK_REF) | TK_BIT(TK_FILL);
		else if (n == 3 && strncmp(p, "all", 3) == 0)
			bits = TK_ALL;
		else if (n == 7 && strncmp(p, "default", 7) == 0)
			bits = TK_DEFAULT;
		if (!bits) {
			snprintf(err, errlen, "unknown event class '%.*s' (classes: ref, fill, "
				 "flush, exit, vmrun, hypercall; tlb = ref,fill; default; all)",
				 (int)n, p);
			return false;
		}
		m |= bits;
		p += n;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return true;
}

void trace_kinds_format(unsigned mask, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = 0;
	for (unsigned k = 0; k < TK_NR_KINDS; k++) {
		if (!(mask & TK_BIT(k)))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? "," : "", kind_names[k]);
		if (n < 0 || (size_t)n >= len - used)
			return;
		used += (size_t)n;
	}
	if (!used)
		snprintf(buf, len, "none");
}

bool trace_is_event_record(uint8_t rec_type)
{
	return rec_type >= TF_REC_REF && rec_type <= TF_REC_HYPERCALL;
}

/* ---- writing: each record is built in a local buffer, then appended whole ---- */

#define PUT(v) (n += tf_encode_varint(b + n, (v)))
#define PUTS(v) (n += tf_encode_svarint(b + n, (v)))

/* Page size (bits 6:5) and flags (bits 4:0: W U NX D G) share a byte; bit 7 says that
 * the span (a larger page the entry is part of, tlb.h) follows in a byte of its own. */
static size_t put_size_flags(uint8_t *b, uint8_t size, uint8_t span, uint8_t flags)
{
	bool spans = span != size;
	b[0] = (uint8_t)(spans << 7 | (size & 3) << 5 | (flags & TLB_PERM_FLAGS));
	if (spans)
		b[1] = span;
	return spans ? 2 : 1;
}

void trace_event_write(struct tf_writer *w, struct trace_codec *st, const struct trace_event *ev)
{
	if (w->nrec == 0 || w->type != TF_CHUNK_DATA)
		memset(st, 0, sizeof *st);
	uint8_t b[160];
	size_t n = 0;
	PUT(ev->insn - st->insn);
	PUT(ev->cycles - st->cycles);
	PUT(ev->asid);
	st->insn = ev->insn;
	st->cycles = ev->cycles;
	switch (ev->kind) {
	case TK_REF: {
		const typeof(ev->ref) *r = &ev->ref;
		b[n++] = (uint8_t)((r->access & 3) | r->user << 2 | r->wp << 3 | (r->level & 3) << 4 |
				   r->walked << 6 | r->fault << 7);
		PUT(r->repeat);
		PUT(r->pcid);
		PUTS((int64_t)(r->va - st->va));
		st->va = r->va;
		if (!r->fault) {
			uint64_t base = r->va & ~(tlb_page_bytes(r->size & 3) - 1);
			PUTS((int64_t)(r->pa - base));
			n += put_size_flags(b + n, r->size, r->span, r->flags);
		}
		break;
	}
	case TK_FILL: {
		const typeof(ev->fill) *f = &ev->fill;
		PUT(f->pcid);
		PUTS((int64_t)(f->va - st->va));
		st->va = f->va;
		PUTS((int64_t)(f->pa - f->va));
		n += put_size_flags(b + n, f->size, f->span, f->flags);
		b[n++] = f->tlb_kind;
		break;
	}
	case TK_FLUSH: {
		const typeof(ev->flush) *f = &ev->flush;
		b[n++] = f->kind;
		b[n++] = f->performed;
		PUT(f->target_asid);
		PUT(f->pcid);
		PUT(f->va);
		PUT(f->requester);
		PUT(f->removed);
		PUT(f->collateral);
		size_t len = strnlen(f->cause, sizeof f->cause - 1);
		PUT(len);
		memcpy(b + n, f->cause, len);
		n += len;
		break;
	}
	case TK_EXIT:
		PUT(ev->exit.code);
		PUT(ev->exit.info1);
		PUT(ev->exit.info2);
		PUT(ev->exit.rip);
		PUT(ev->exit.rcx);
		break;
	case TK_VMRUN:
		PUT(ev->vmrun.rip);
		PUT(ev->vmrun.rax);
		break;
	case TK_HYPERCALL:
		PUT(ev->hypercall.input);
		PUT(ev->hypercall.result);
		break;
	default:
		return;
	}
	tf_begin_record(w, TF_CHUNK_DATA, record_of[ev->kind], ev->insn);
	tf_put_raw(w, b, n);
	tf_end_record(w);
}

/* ---- reading ---- */

static void unpack_size_flags(struct tf_cursor *c, uint8_t *size, uint8_t *span,
			      uint8_t *flags)
{
	uint8_t v = tf_get_u8(c);
	*size = (uint8_t)(v >> 5 & 3);
	*flags = v & TLB_PERM_FLAGS;
	*span = (v & 0x80) ? tf_get_u8(c) : *size;
	if (*size >= TLB_NR_SIZES || *span >= TLB_NR_SIZES || *span < *size)
		tf_cursor_fail(c, "page size out of range");
}

void trace_event_read(struct tf_cursor *c, uint8_t rec_type, struct trace_codec *st,
		      struct trace_event *ev)
{
	memset(ev, 0, sizeof *ev);
	st->insn += tf_get_varint(c);
	st->cycles += tf_get_varint(c);
	ev->insn = st->insn;
	ev->cycles = st->cycles;
	uint64_t asid = tf_get_varint(c);
	if (asid > UINT32_MAX)
		tf_cursor_fail(c, "ASID out of range");
	ev->asid = (uint32_t)asid;
	switch (rec_type) {
	case TF_REC_REF: {
		typeof(ev->ref) *r = &ev->ref;
		ev->kind = TK_REF;
		uint8_t bits = tf_get_u8(c);
		r->access = bits & 3;
		r->user = bits >> 2 & 1;
		r->wp = bits >> 3 & 1;
		r->level = bits >> 4 & 3;
		r->walked = bits >> 6 & 1;
		r->fault = bits >> 7 & 1;
		if (r->access > 2 || r->level > TRACE_MISS)
			tf_cursor_fail(c, "reference access or level out of range");
		r->repeat = tf_get_varint(c);
		uint64_t pcid = tf_get_varint(c);
		if (pcid > TLB_PCID_MASK)
			tf_cursor_fail(c, "PCID out of range");
		r->pcid = (uint16_t)pcid;
		st->va += (uint64_t)tf_get_svarint(c);
		r->va = st->va;
		if (!r->fault) {
			int64_t d = tf_get_svarint(c);
			unpack_size_flags(c, &r->size, &r->span, &r->flags);
			r->pa = (r->va & ~(tlb_page_bytes(r->size) - 1)) + (uint64_t)d;
		}
		break;
	}
	case TF_REC_FILL: {
		typeof(ev->fill) *f = &ev->fill;
		ev->kind = TK_FILL;
		uint64_t pcid = tf_get_varint(c);
		if (pcid > TLB_PCID_MASK)
			tf_cursor_fail(c, "PCID out of range");
		f->pcid = (uint16_t)pcid;
		st->va += (uint64_t)tf_get_svarint(c);
		f->va = st->va;
		f->pa = f->va + (uint64_t)tf_get_svarint(c);
		unpack_size_flags(c, &f->size, &f->span, &f->flags);
		f->tlb_kind = tf_get_u8(c);
		if (f->tlb_kind > 1)
			tf_cursor_fail(c, "fill kind out of range");
		break;
	}
	case TF_REC_FLUSH: {
		typeof(ev->flush) *f = &ev->flush;
		ev->kind = TK_FLUSH;
		f->kind = tf_get_u8(c);
		uint8_t performed = tf_get_u8(c);
		f->performed = performed;
		uint64_t target = tf_get_varint(c), pcid = tf_get_varint(c);
		f->va = tf_get_varint(c);
		uint64_t req = tf_get_varint(c), removed = tf_get_varint(c);
		uint64_t coll = tf_get_varint(c);
		if (f->kind >= TLB_NR_FLUSH_KINDS || performed > 1 || target > UINT32_MAX ||
		    pcid > TLB_PCID_MASK || req > UINT32_MAX || removed > UINT32_MAX ||
		    coll > UINT32_MAX)
			tf_cursor_fail(c, "flush field out of range");
		f->target_asid = (uint32_t)target;
		f->pcid = (uint16_t)pcid;
		f->requester = (uint32_t)req;
		f->removed = (uint32_t)removed;
		f->collateral = (uint32_t)coll;
		tf_get_str(c, f->cause, sizeof f->cause);
		break;
	}
	case TF_REC_EXIT:
		ev->kind = TK_EXIT;
		ev->exit.code = tf_get_varint(c);
		ev->exit.info1 = tf_get_varint(c);
		ev->exit.info2 = tf_get_varint(c);
		ev->exit.rip = tf_get_varint(c);
		ev->exit.rcx = tf_get_varint(c);
		break;
	case TF_REC_VMRUN:
		ev->kind = TK_VMRUN;
		ev->vmrun.rip = tf_get_varint(c);
		ev->vmrun.rax = tf_get_varint(c);
		break;
	case TF_REC_HYPERCALL:
		ev->kind = TK_HYPERCALL;
		ev->hypercall.input = tf_get_varint(c);
		ev->hypercall.result = tf_get_varint(c);
		break;
	default:
		tf_cursor_fail(c, "not an event record");
	}
}
