/* SynIC: message and event-flag pages, SINTs, end of message (TLFS §11). */
#include "kstring.h"
#include "synic.h"
#include "x86.h"

static struct hv_message message_page[HV_SINT_COUNT] __attribute__((aligned(4096)));
static uint8_t event_flags_page[4096] __attribute__((aligned(4096)));

_Static_assert(sizeof(message_page) == 4096, "16 slots of 256 bytes (TLFS HV_MESSAGE_PAGE)");
_Static_assert(sizeof(struct hv_message) == 256, "one slot");

void synic_enable(void)
{
    wrmsr(HV_X64_MSR_SIMP, (uint64_t)(uintptr_t)message_page | HV_SYNIC_ENABLE);
    wrmsr(HV_X64_MSR_SIEFP, (uint64_t)(uintptr_t)event_flags_page | HV_SYNIC_ENABLE);
    wrmsr(HV_X64_MSR_SCONTROL, HV_SYNIC_ENABLE);
}

void synic_disable(void)
{
    wrmsr(HV_X64_MSR_SCONTROL, 0);
    wrmsr(HV_X64_MSR_SIMP, 0);
    wrmsr(HV_X64_MSR_SIEFP, 0);
}

void synic_sint_set(unsigned sint, uint8_t vector, uint64_t flags)
{
    wrmsr(HV_X64_MSR_SINT0 + sint, HV_SINT_VECTOR(vector) | flags);
}

volatile struct hv_message *synic_message_slot(unsigned sint)
{
    return &message_page[sint % HV_SINT_COUNT];
}

volatile uint8_t *synic_event_flags(unsigned sint)
{
    return event_flags_page + (sint % HV_SINT_COUNT) * (HV_EVENT_FLAGS_PER_SINT / 8);
}

int synic_take_message(unsigned sint, struct hv_message *out)
{
    volatile struct hv_message *slot = synic_message_slot(sint);

    if (slot->header.message_type == HVMSG_NONE)
        return 0;
    /* The hypervisor wrote the slot before raising the SINT; the type was read first,
       and x86 does not reorder loads with loads (SDM vol. 3 §9.2.2). */
    memcpy(out, (const void *)slot, sizeof(*out));
    /* Free the slot before EOM: the hypervisor delivers the next message only into a
       free slot, and EOM makes it look (TLFS §11.10.3). Writing EOM when no message
       is pending is allowed and costs one MSR access. */
    slot->header.message_type = HVMSG_NONE;
    __asm__ volatile("" : : : "memory");
    wrmsr(HV_X64_MSR_EOM, 0);
    return 1;
}

int synic_test_and_clear_event(unsigned sint, unsigned flag)
{
    volatile uint8_t *flags = synic_event_flags(sint);
    uint8_t bit = (uint8_t)(1u << (flag % 8));

    flag %= HV_EVENT_FLAGS_PER_SINT;
    /* LOCK AND: the hypervisor may set other bits of the byte meanwhile. */
    uint8_t old = __atomic_fetch_and(&flags[flag / 8], (uint8_t)~bit, __ATOMIC_SEQ_CST);
    return (old & bit) != 0;
}
