/* Partition privileges (CPUID 0x40000003 EAX:EBX as one 64-bit mask, TLFS
 * HV_PARTITION_PRIVILEGE_MASK) that hvsim uses: specs/hypercall-abi.md "Discovery". */
#ifndef HV_ABI_HVPRIVS_H
#define HV_ABI_HVPRIVS_H

/* EAX bits (low half) */
#define HV_PRIV_ACCESS_SYNIC_REGS (1ull << 2)
#define HV_PRIV_ACCESS_HYPERCALL_MSRS (1ull << 5)
#define HV_PRIV_ACCESS_VP_INDEX (1ull << 6)
/* EBX bits (high half) */
#define HV_PRIV_CREATE_PARTITIONS (1ull << 32)
#define HV_PRIV_ACCESS_PARTITION_ID (1ull << 33)
#define HV_PRIV_POST_MESSAGES (1ull << 36)
#define HV_PRIV_SIGNAL_EVENTS (1ull << 37)
#define HV_PRIV_CPU_MANAGEMENT (1ull << 44)

/* What every partition has, and what only the root adds */
#define HV_PRIVS_EVERY_PARTITION \
	(HV_PRIV_ACCESS_SYNIC_REGS | HV_PRIV_ACCESS_HYPERCALL_MSRS | HV_PRIV_ACCESS_VP_INDEX | \
	 HV_PRIV_ACCESS_PARTITION_ID | HV_PRIV_POST_MESSAGES | HV_PRIV_SIGNAL_EVENTS)
#define HV_PRIVS_ROOT_ONLY (HV_PRIV_CREATE_PARTITIONS | HV_PRIV_CPU_MANAGEMENT)

#endif
