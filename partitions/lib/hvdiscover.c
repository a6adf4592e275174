/* CPUID discovery of the hypervisor (TLFS §2.4). */
#include "hvdiscover.h"
#include "kstring.h"
#include "x86.h"

int hv_discover(struct hv_discovery *d)
{
    uint32_t r[4];

    memset(d, 0, sizeof(*d));
    cpuid(1, 0, r);
    d->present = (r[2] & HV_CPUID_FEATURES_ECX_HYPERVISOR) != 0;
    if (!d->present)
        return 0;
    /* Leaves 0x40000000 and up exist only when the hypervisor bit is set (TLFS §2.4.1). */
    cpuid(HV_CPUID_VENDOR_AND_MAX, 0, r);
    d->max_leaf = r[0];
    memcpy(d->vendor, &r[1], 4);
    memcpy(d->vendor + 4, &r[2], 4);
    memcpy(d->vendor + 8, &r[3], 4);
    if (d->max_leaf < HV_CPUID_INTERFACE || d->max_leaf > HV_CPUID_VENDOR_AND_MAX + 0xff)
        return 0;

    cpuid(HV_CPUID_INTERFACE, 0, r);
    d->interface = r[0];
    if (d->max_leaf >= HV_CPUID_VERSION) {
        cpuid(HV_CPUID_VERSION, 0, r);
        memcpy(d->version, r, sizeof(d->version));
    }
    if (d->max_leaf >= HV_CPUID_FEATURES) {
        cpuid(HV_CPUID_FEATURES, 0, r);
        d->privileges = r[0] | (uint64_t)r[1] << 32;
        d->features_edx = r[3];
    }
    if (d->max_leaf >= HV_CPUID_ENLIGHTENMENTS) {
        cpuid(HV_CPUID_ENLIGHTENMENTS, 0, r);
        d->recommendations = r[0];
        d->spin_retries = r[1];
    }
    if (d->max_leaf >= HV_CPUID_IMPLEMENTATION_LIMITS) {
        cpuid(HV_CPUID_IMPLEMENTATION_LIMITS, 0, r);
        d->max_vps = r[0];
        d->max_lps = r[1];
    }
    if (d->max_leaf >= HV_CPUID_HARDWARE_FEATURES) {
        cpuid(HV_CPUID_HARDWARE_FEATURES, 0, r);
        d->hw_features = r[0];
    }
    return d->interface == HV_CPUID_SIGNATURE_HV1;
}
