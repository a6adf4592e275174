/* Hypercalls through the hypercall page (shared/specs/hypercall-abi.md "Enabling
   hypercalls", "Calling convention"; TLFS §3.13 "Hypercall page"). */
#include "hvcall.h"
#include "kprintf.h"
#include "kstring.h"
#include "x86.h"

/* The page the hypervisor fills with its hypercall sequence (VMMCALL; RET) once the
   hypercall MSR names it. The guest only reserves it: a write to it faults. */
static uint8_t hypercall_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
/* Where the wrappers put input and find output blocks: page-aligned, so a block of up
   to 4 KiB never crosses a page (spec "Rules"). */
static uint8_t input_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static uint8_t output_page[HV_PAGE_SIZE] __attribute__((aligned(HV_PAGE_SIZE)));
static int enabled;

uint64_t hvcall_page_gpa(void) { return hv_gpa(hypercall_page); }
void *hvcall_input_page(void) { return input_page; }
void *hvcall_output_page(void) { return output_page; }
int hvcall_enabled(void) { return enabled; }

int hvcall_enable(uint64_t os_id)
{
    wrmsr(HV_X64_MSR_GUEST_OS_ID, os_id);
    wrmsr(HV_X64_MSR_HYPERCALL, hvcall_page_gpa() | HV_HYPERCALL_ENABLE);
    /* With GUEST_OS_ID = 0 the enable bit stays clear (spec "Enabling hypercalls"). */
    enabled = (rdmsr(HV_X64_MSR_HYPERCALL) & HV_HYPERCALL_ENABLE) != 0;
    return enabled ? 0 : -1;
}

void hvcall_disable(void)
{
    wrmsr(HV_X64_MSR_HYPERCALL, rdmsr(HV_X64_MSR_HYPERCALL) & ~HV_HYPERCALL_ENABLE);
    enabled = 0;
}

/* ---- raw calls ---- */

uint64_t hv_hypercall_rcx(uint64_t control, uint64_t input_gpa, uint64_t output_gpa,
                          uint64_t *rcx_after)
{
    uint64_t rax;
    register uint64_t r8 __asm__("r8") = output_gpa;

    /* Only RAX and RCX change (spec "Calling convention"); RDX and R8 are declared
       in-out anyway, so that a hypervisor that breaks the rule cannot break the
       caller. The hypercall page's RET pops what this CALL pushed. */
    __asm__ volatile("call *%[page]"
                     : "=a"(rax), "+c"(control), "+d"(input_gpa), "+r"(r8)
                     : [page] "r"(hypercall_page)
                     : "memory", "cc");
    if (rcx_after)
        *rcx_after = control;
    return rax;
}

uint64_t hv_hypercall(uint64_t control, uint64_t input_gpa, uint64_t output_gpa)
{
    return hv_hypercall_rcx(control, input_gpa, output_gpa, 0);
}

uint64_t hv_hypercall_fast(uint64_t control, uint64_t rdx, uint64_t r8)
{
    return hv_hypercall_rcx(control | HV_INPUT_FAST, rdx, r8, 0);
}

/* ---- simple and rep calls through the parameter pages ---- */

static hv_status_t call_simple(uint16_t code, unsigned varhead_qwords, const void *in,
                               size_t in_bytes, void *out, size_t out_bytes)
{
    if (in_bytes)
        memcpy(input_page, in, in_bytes);
    uint64_t r = hv_hypercall(hv_input_value(code, 0, 0, varhead_qwords, 0),
                              hv_gpa(input_page), hv_gpa(output_page));
    hv_status_t st = HV_RESULT_STATUS(r);
    if (out_bytes && st == HV_STATUS_SUCCESS)
        memcpy(out, output_page, out_bytes);
    return st;
}

hv_status_t hv_call_simple(uint16_t code, const void *in, size_t in_bytes, void *out,
                           size_t out_bytes)
{
    return call_simple(code, 0, in, in_bytes, out, out_bytes);
}

hv_status_t hv_call_rep(uint16_t code, const void *hdr, size_t hdr_bytes,
                        unsigned varhead_qwords, const void *elems, size_t elem_bytes,
                        unsigned count, void *out, size_t out_elem_bytes, unsigned *done)
{
    unsigned fit = count;

    /* One page of input and one of output: the caller passes the rest in later calls. */
    if (elem_bytes && fit > (HV_PAGE_SIZE - hdr_bytes) / elem_bytes)
        fit = (unsigned)((HV_PAGE_SIZE - hdr_bytes) / elem_bytes);
    if (out_elem_bytes && fit > HV_PAGE_SIZE / out_elem_bytes)
        fit = (unsigned)(HV_PAGE_SIZE / out_elem_bytes);
    if (fit > HV_MAX_REPS)
        fit = HV_MAX_REPS;

    memcpy(input_page, hdr, hdr_bytes);
    if (elem_bytes)
        memcpy(input_page + hdr_bytes, elems, fit * elem_bytes);

    /* The hypervisor may stop a rep call early. hvsim's re-executes the VMMCALL itself
       (RIP not advanced, RCX's rep start updated), so the CALL returns complete; a
       hypervisor that instead returns SUCCESS with fewer reps done is called again from
       there, as the TLFS allows (§3.7 "Rep hypercall restart"). */
    uint64_t control = hv_input_value(code, fit, 0, varhead_qwords, 0);
    unsigned start = 0, reps = 0;
    hv_status_t st;
    for (;;) {
        uint64_t r = hv_hypercall(control, hv_gpa(input_page), hv_gpa(output_page));
        st = HV_RESULT_STATUS(r);
        reps = HV_RESULT_REPS_DONE(r);
        if (reps > fit)
            reps = fit;
        if (st != HV_STATUS_SUCCESS || reps >= fit || reps <= start)
            break;
        start = reps;
        control = (control & ~HV_INPUT_REP_START_MASK) |
                  (uint64_t)start << HV_INPUT_REP_START_SHIFT;
    }
    if (out_elem_bytes && reps)
        memcpy(out, output_page, reps * out_elem_bytes);
    if (done)
        *done = reps;
    return st;
}

/* ---- TLB flushes ---- */

hv_status_t hv_flush_virtual_address_space(uint64_t address_space, uint64_t flags,
                                           uint64_t processor_mask)
{
    struct hv_flush_va_space in = { address_space, flags, processor_mask };
    return hv_call_simple(HvCallFlushVirtualAddressSpace, &in, sizeof(in), 0, 0);
}

hv_status_t hv_flush_virtual_address_space_fast(uint64_t address_space, uint64_t flags)
{
    uint64_t r = hv_hypercall_fast(hv_input_value(HvCallFlushVirtualAddressSpace, 0, 0, 0, 0),
                                   address_space, flags);
    return HV_RESULT_STATUS(r);
}

/* Calls a rep call page by page; the header is the same for every page. */
static hv_status_t rep_in_pages(uint16_t code, const void *hdr, size_t hdr_bytes,
                                unsigned varhead_qwords, const void *elems,
                                size_t elem_bytes, unsigned count, unsigned *done)
{
    const uint8_t *e = elems;
    unsigned total = 0;
    hv_status_t st = HV_STATUS_SUCCESS;

    while (total < count) {
        unsigned n;
        st = hv_call_rep(code, hdr, hdr_bytes, varhead_qwords, e + total * elem_bytes,
                         elem_bytes, count - total, 0, 0, &n);
        total += n;
        if (st != HV_STATUS_SUCCESS || n == 0)
            break;
    }
    if (done)
        *done = total;
    return st;
}

hv_status_t hv_flush_virtual_address_list(uint64_t address_space, uint64_t flags,
                                          uint64_t processor_mask, const uint64_t *gva_ranges,
                                          unsigned count, unsigned *done)
{
    struct hv_flush_va_space hdr = { address_space, flags, processor_mask };
    return rep_in_pages(HvCallFlushVirtualAddressList, &hdr, sizeof(hdr), 0, gva_ranges,
                        sizeof(uint64_t), count, done);
}

/* The Ex forms' header: the fixed 32 bytes, then one u64 per bank (the variable
   header, whose size in qwords the control value carries). */
struct ex_header {
    struct hv_flush_va_space_ex fixed;
    uint64_t banks[64];
};

static unsigned ex_header_build(struct ex_header *h, uint64_t address_space, uint64_t flags,
                                const struct hv_vp_set *vps)
{
    unsigned nbanks = 0;

    h->fixed = (struct hv_flush_va_space_ex){ address_space, flags, vps->format,
                                              vps->valid_banks };
    if (vps->format == HV_VP_SET_SPARSE_4K)
        for (unsigned b = 0; b < 64; b++)
            if (vps->valid_banks & (1ull << b)) {
                h->banks[nbanks] = vps->banks[nbanks];
                nbanks++;
            }
    return nbanks;
}

hv_status_t hv_flush_virtual_address_space_ex(uint64_t address_space, uint64_t flags,
                                              const struct hv_vp_set *vps)
{
    struct ex_header h;
    unsigned nbanks = ex_header_build(&h, address_space, flags, vps);
    return call_simple(HvCallFlushVirtualAddressSpaceEx, nbanks, &h,
                       sizeof(h.fixed) + nbanks * 8, 0, 0);
}

hv_status_t hv_flush_virtual_address_list_ex(uint64_t address_space, uint64_t flags,
                                             const struct hv_vp_set *vps,
                                             const uint64_t *gva_ranges, unsigned count,
                                             unsigned *done)
{
    struct ex_header h;
    unsigned nbanks = ex_header_build(&h, address_space, flags, vps);
    return rep_in_pages(HvCallFlushVirtualAddressListEx, &h, sizeof(h.fixed) + nbanks * 8,
                        nbanks, gva_ranges, sizeof(uint64_t), count, done);
}

/* ---- partition management ---- */

hv_status_t hv_create_partition(uint64_t flags, uint64_t compatibility_version,
                                uint64_t *partition_id)
{
    struct hv_create_partition_in in = { flags, compatibility_version };
    struct hv_create_partition_out out = { 0 };
    hv_status_t st = hv_call_simple(HvCallCreatePartition, &in, sizeof(in), &out, sizeof(out));
    *partition_id = out.partition_id;
    return st;
}

hv_status_t hv_initialize_partition(uint64_t partition_id)
{
    struct hv_partition_id_in in = { partition_id };
    return hv_call_simple(HvCallInitializePartition, &in, sizeof(in), 0, 0);
}

hv_status_t hv_delete_partition(uint64_t partition_id)
{
    struct hv_partition_id_in in = { partition_id };
    return hv_call_simple(HvCallDeletePartition, &in, sizeof(in), 0, 0);
}

hv_status_t hv_get_partition_id(uint64_t *partition_id)
{
    struct hv_get_partition_id_out out = { 0 };
    hv_status_t st = hv_call_simple(HvCallGetPartitionId, 0, 0, &out, sizeof(out));
    *partition_id = out.partition_id;
    return st;
}

hv_status_t hv_deposit_memory(uint64_t partition_id, const uint64_t *pages, unsigned count,
                              unsigned *done)
{
    struct hv_deposit_memory_in hdr = { partition_id };
    return rep_in_pages(HvCallDepositMemory, &hdr, sizeof(hdr), 0, pages, sizeof(uint64_t),
                        count, done);
}

hv_status_t hv_map_gpa_pages(uint64_t target_partition_id, uint64_t target_gpa_page,
                             uint32_t map_flags, const uint64_t *source_pages,
                             unsigned count, unsigned *done)
{
    unsigned total = 0;
    hv_status_t st = HV_STATUS_SUCCESS;

    /* Each page of input maps the next run of target pages. */
    while (total < count) {
        struct hv_map_gpa_pages_in hdr = { target_partition_id, target_gpa_page + total,
                                           map_flags, 0 };
        unsigned n;
        st = hv_call_rep(HvCallMapGpaPages, &hdr, sizeof(hdr), 0, source_pages + total,
                         sizeof(uint64_t), count - total, 0, 0, &n);
        total += n;
        if (st != HV_STATUS_SUCCESS || n == 0)
            break;
    }
    if (done)
        *done = total;
    return st;
}

hv_status_t hv_unmap_gpa_pages(uint64_t target_partition_id, uint64_t target_gpa_page,
                               unsigned count, unsigned *done)
{
    unsigned total = 0;
    hv_status_t st = HV_STATUS_SUCCESS;

    /* No elements: the rep count alone says how many pages. */
    while (total < count) {
        struct hv_unmap_gpa_pages_in hdr = { target_partition_id, target_gpa_page + total,
                                             0, 0 };
        unsigned n;
        st = hv_call_rep(HvCallUnmapGpaPages, &hdr, sizeof(hdr), 0, 0, 0, count - total, 0,
                         0, &n);
        total += n;
        if (st != HV_STATUS_SUCCESS || n == 0)
            break;
    }
    if (done)
        *done = total;
    return st;
}

hv_status_t hv_install_intercept(uint64_t partition_id, uint32_t access_type_mask,
                                 uint32_t intercept_type, uint64_t parameter)
{
    struct hv_install_intercept_in in = { partition_id, access_type_mask, intercept_type,
                                          parameter };
    return hv_call_simple(HvCallInstallIntercept, &in, sizeof(in), 0, 0);
}

hv_status_t hv_create_vp(uint64_t partition_id, uint32_t vp_index, uint64_t flags)
{
    struct hv_create_vp_in in = { partition_id, vp_index, 0, flags };
    return hv_call_simple(HvCallCreateVp, &in, sizeof(in), 0, 0);
}

hv_status_t hv_get_vp_registers(uint64_t partition_id, uint32_t vp_index,
                                const uint32_t *names, union hv_register_value *values,
                                unsigned count, unsigned *done)
{
    struct hv_vp_registers_in hdr = { partition_id, vp_index, 0, { 0 } };
    unsigned total = 0;
    hv_status_t st = HV_STATUS_SUCCESS;

    while (total < count) {
        unsigned n;
        st = hv_call_rep(HvCallGetVpRegisters, &hdr, sizeof(hdr), 0, names + total,
                         sizeof(uint32_t), count - total, values + total,
                         sizeof(union hv_register_value), &n);
        total += n;
        if (st != HV_STATUS_SUCCESS || n == 0)
            break;
    }
    if (done)
        *done = total;
    return st;
}

hv_status_t hv_set_vp_registers(uint64_t partition_id, uint32_t vp_index,
                                const struct hv_register_assoc *regs, unsigned count,
                                unsigned *done)
{
    struct hv_vp_registers_in hdr = { partition_id, vp_index, 0, { 0 } };
    return rep_in_pages(HvCallSetVpRegisters, &hdr, sizeof(hdr), 0, regs, sizeof(*regs),
                        count, done);
}

hv_status_t hv_start_virtual_processor(uint64_t partition_id, uint32_t vp_index,
                                       const struct hv_initial_vp_context *context)
{
    struct hv_start_vp_in in = { partition_id, vp_index, 0, { 0 }, *context };
    return hv_call_simple(HvCallStartVirtualProcessor, &in, sizeof(in), 0, 0);
}

/* ---- SynIC ---- */

hv_status_t hv_post_message(uint32_t connection_id, uint32_t message_type,
                            const void *payload, uint32_t payload_size)
{
    struct hv_post_message_in in = { connection_id, 0, message_type, payload_size, { 0 } };
    /* A size over 240 is passed on as given (the hypervisor refuses it); only what fits
       is copied. */
    memcpy(in.payload, payload,
           payload_size < HV_MESSAGE_PAYLOAD_BYTES ? payload_size : HV_MESSAGE_PAYLOAD_BYTES);
    return hv_call_simple(HvCallPostMessage, &in, sizeof(in), 0, 0);
}

hv_status_t hv_signal_event(uint32_t connection_id, uint16_t flag_number)
{
    uint64_t r = hv_hypercall_fast(hv_input_value(HvCallSignalEvent, 0, 0, 0, 0),
                                   connection_id | (uint64_t)flag_number << 32, 0);
    return HV_RESULT_STATUS(r);
}

/* ---- names ---- */

static const struct hv_call_info call_table[] = {
#define X(code, name, kind, priv) { code, #name, kind, priv },
#include "hv/abi/hvcalls.def"
#undef X
};

const struct hv_call_info *hv_call_table(unsigned *count)
{
    *count = sizeof(call_table) / sizeof(call_table[0]);
    return call_table;
}

const struct hv_call_info *hv_call_find(uint16_t code)
{
    for (unsigned i = 0; i < sizeof(call_table) / sizeof(call_table[0]); i++)
        if (call_table[i].code == code)
            return &call_table[i];
    return 0;
}

const char *hv_call_name(uint16_t code)
{
    const struct hv_call_info *c = hv_call_find(code);
    return c ? c->name : 0;
}

const char *hv_status_name(hv_status_t status)
{
    static char other[24];

    switch (status) {
    case HV_STATUS_SUCCESS: return "SUCCESS";
    case HV_STATUS_INVALID_HYPERCALL_CODE: return "INVALID_HYPERCALL_CODE";
    case HV_STATUS_INVALID_HYPERCALL_INPUT: return "INVALID_HYPERCALL_INPUT";
    case HV_STATUS_INVALID_ALIGNMENT: return "INVALID_ALIGNMENT";
    case HV_STATUS_INVALID_PARAMETER: return "INVALID_PARAMETER";
    case HV_STATUS_ACCESS_DENIED: return "ACCESS_DENIED";
    case HV_STATUS_INVALID_PARTITION_STATE: return "INVALID_PARTITION_STATE";
    case HV_STATUS_INSUFFICIENT_MEMORY: return "INSUFFICIENT_MEMORY";
    case HV_STATUS_INVALID_PARTITION_ID: return "INVALID_PARTITION_ID";
    case HV_STATUS_INVALID_VP_INDEX: return "INVALID_VP_INDEX";
    case HV_STATUS_INVALID_PORT_ID: return "INVALID_PORT_ID";
    case HV_STATUS_INVALID_CONNECTION_ID: return "INVALID_CONNECTION_ID";
    case HV_STATUS_INSUFFICIENT_BUFFERS: return "INSUFFICIENT_BUFFERS";
    case HV_STATUS_INVALID_SYNIC_STATE: return "INVALID_SYNIC_STATE";
    default:
        ksnprintf(other, sizeof(other), "status 0x%04x", status);
        return other;
    }
}
