/* The guest side of the hypercall interface (shared/specs/hypercall-abi.md; TLFS §3):
   the hypercall page, raw calls, and one typed wrapper per call of hv/abi/hvcalls.def.
   Discovery through CPUID is in hvdiscover.h, the SynIC in synic.h.

   Every wrapper copies its input into this CPU's hypercall input page and reads its
   output from the output page (both page-aligned, so no block crosses a page), and
   returns the HV_STATUS_* of the call. The pages are shared: a wrapper must not run
   while another one is in progress on the same CPU (call them with interrupts off, or
   never from an interrupt handler). */
#ifndef HVCALL_LIB_H
#define HVCALL_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "hv/abi/hvcall.h"
#include "hv/abi/hvmsr.h"
#include "hv/abi/hvregs.h"

typedef uint16_t hv_status_t;

/* The GUEST_OS_ID hvsim's guests write (TLFS "Reporting the Guest OS Identity"): bit 63
   marks an open-source OS, bits 62:56 its type, bits 47:16 its version. */
#define HVSIM_GUEST_OS_ID ((1ull << 63) | (0x48ull << 56) | (1ull << 16))

/* ---- enabling ---- */

/* Writes GUEST_OS_ID = os_id, then the hypercall MSR with this image's hypercall page
   and the enable bit. Returns 0 when the enable bit reads back set, -1 when it does not
   (os_id 0 or no hypervisor privilege). Needs a hypervisor (hv_discover). */
int hvcall_enable(uint64_t os_id);

/* Clears the hypercall MSR's enable bit. The page then no longer holds the
   hypervisor's code: do not call through it. */
void hvcall_disable(void);

/* Nonzero after a successful hvcall_enable (and until hvcall_disable). */
int hvcall_enabled(void);

/* Where the hypercall page lies (its GPA: guests run identity-mapped) and the two
   parameter pages the wrappers use. */
uint64_t hvcall_page_gpa(void);
void *hvcall_input_page(void);
void *hvcall_output_page(void);

static inline uint64_t hv_gpa(const void *p) { return (uint64_t)(uintptr_t)p; }

/* ---- raw calls: CALL the hypercall page's first byte (TLFS calling convention) ---- */

/* RCX = control, RDX = input GPA, R8 = output GPA; returns RAX, the result value. A rep
   call the hypervisor interrupts is re-executed at the VMMCALL with RCX's rep start
   updated (spec: "Rules"), so this returns only once the call is complete or failed. */
uint64_t hv_hypercall(uint64_t control, uint64_t input_gpa, uint64_t output_gpa);

/* The same, also handing back RCX as the hypervisor left it (tests of the ABI). */
uint64_t hv_hypercall_rcx(uint64_t control, uint64_t input_gpa, uint64_t output_gpa,
                          uint64_t *rcx_after);

/* A fast (register) call: RDX and R8 are the input itself. */
uint64_t hv_hypercall_fast(uint64_t control, uint64_t rdx, uint64_t r8);

/* ---- the building blocks of the wrappers ---- */

/* A simple call: in_bytes of input (copied to the input page), out_bytes of output
   (copied from the output page to out). in or out may be 0. */
hv_status_t hv_call_simple(uint16_t code, const void *in, size_t in_bytes, void *out,
                           size_t out_bytes);

/* A rep call, all in one input page: header of hdr_bytes (of which varhead_qwords * 8
   are the variable header), then count elements of elem_bytes; the output page gets
   count elements of out_elem_bytes (0: no output). Calls again from where the
   hypervisor stopped while it returns SUCCESS with fewer reps done than asked (as Linux's
   hv_do_rep_hypercall does); a call that makes no progress ends the loop. *done is the
   number of elements completed. */
hv_status_t hv_call_rep(uint16_t code, const void *hdr, size_t hdr_bytes,
                        unsigned varhead_qwords, const void *elems, size_t elem_bytes,
                        unsigned count, void *out, size_t out_elem_bytes, unsigned *done);

/* The most elements of elem_bytes that fit in one input page after a header. */
static inline unsigned hv_reps_per_page(size_t hdr_bytes, size_t elem_bytes)
{
    unsigned n = (unsigned)((HV_PAGE_SIZE - hdr_bytes) / elem_bytes);
    return n > HV_MAX_REPS ? HV_MAX_REPS : n;
}

/* ---- typed wrappers, one per row of hvcalls.def ----
   Rep wrappers take any count: they split the list into calls of one input page each.
   done (may be 0) receives the number of elements completed. */

/* TLB flushes (spec "TLB hypercalls") */
hv_status_t hv_flush_virtual_address_space(uint64_t address_space, uint64_t flags,
                                           uint64_t processor_mask);
/* The fast form: only with HV_FLUSH_ALL_PROCESSORS in flags (no mask is read). */
hv_status_t hv_flush_virtual_address_space_fast(uint64_t address_space, uint64_t flags);
hv_status_t hv_flush_virtual_address_list(uint64_t address_space, uint64_t flags,
                                          uint64_t processor_mask, const uint64_t *gva_ranges,
                                          unsigned count, unsigned *done);

/* An HV_VP_SET: format HV_VP_SET_SPARSE_4K with valid_banks and one 64-VP bank per set
   bit (ascending), or HV_VP_SET_ALL (no banks). */
struct hv_vp_set {
    uint64_t format;
    uint64_t valid_banks;
    const uint64_t *banks;
};
hv_status_t hv_flush_virtual_address_space_ex(uint64_t address_space, uint64_t flags,
                                              const struct hv_vp_set *vps);
hv_status_t hv_flush_virtual_address_list_ex(uint64_t address_space, uint64_t flags,
                                             const struct hv_vp_set *vps,
                                             const uint64_t *gva_ranges, unsigned count,
                                             unsigned *done);

/* Partition management (root only) */
hv_status_t hv_create_partition(uint64_t flags, uint64_t compatibility_version,
                                uint64_t *partition_id);
hv_status_t hv_initialize_partition(uint64_t partition_id);
hv_status_t hv_delete_partition(uint64_t partition_id);
hv_status_t hv_get_partition_id(uint64_t *partition_id);
/* pages: root page numbers (GPA >> 12) handed to the hypervisor */
hv_status_t hv_deposit_memory(uint64_t partition_id, const uint64_t *pages, unsigned count,
                              unsigned *done);
/* Maps count pages of the caller (source_pages, page numbers) at target_gpa_page,
   target_gpa_page + 1, ... of the target partition. */
hv_status_t hv_map_gpa_pages(uint64_t target_partition_id, uint64_t target_gpa_page,
                             uint32_t map_flags, const uint64_t *source_pages,
                             unsigned count, unsigned *done);
hv_status_t hv_unmap_gpa_pages(uint64_t target_partition_id, uint64_t target_gpa_page,
                               unsigned count, unsigned *done);
hv_status_t hv_install_intercept(uint64_t partition_id, uint32_t access_type_mask,
                                 uint32_t intercept_type, uint64_t parameter);
hv_status_t hv_create_vp(uint64_t partition_id, uint32_t vp_index, uint64_t flags);
hv_status_t hv_get_vp_registers(uint64_t partition_id, uint32_t vp_index,
                                const uint32_t *names, union hv_register_value *values,
                                unsigned count, unsigned *done);
hv_status_t hv_set_vp_registers(uint64_t partition_id, uint32_t vp_index,
                                const struct hv_register_assoc *regs, unsigned count,
                                unsigned *done);
hv_status_t hv_start_virtual_processor(uint64_t partition_id, uint32_t vp_index,
                                       const struct hv_initial_vp_context *context);

/* SynIC messages and events */
hv_status_t hv_post_message(uint32_t connection_id, uint32_t message_type,
                            const void *payload, uint32_t payload_size);
hv_status_t hv_signal_event(uint32_t connection_id, uint16_t flag_number);

/* ---- names, for messages ---- */

/* "INVALID_ALIGNMENT", or "status 0x1234" for a code the spec does not list (the text
   lives in a static buffer for those). */
const char *hv_status_name(hv_status_t status);
/* "HvCallMapGpaPages", or 0 for a code hvcalls.def does not have. */
const char *hv_call_name(uint16_t code);
/* The row of hvcalls.def for code, or 0. */
const struct hv_call_info *hv_call_find(uint16_t code);
/* Every row of hvcalls.def, in its order; *count gets their number. */
const struct hv_call_info *hv_call_table(unsigned *count);

#endif
