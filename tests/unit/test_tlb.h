/* The TLB model's unit tests (test_tlb, one executable): test_tlb.c holds the
 * scenario tests and unit_suite(); the other files add their test cases. */
#ifndef HVSIM_TESTS_TEST_TLB_H
#define HVSIM_TESTS_TEST_TLB_H

#include "unit.h"

TCase *tlb_config_tcase(void);
TCase *tlb_property_tcase(void);
TCase *tlb_isolation_tcase(void);

#endif
