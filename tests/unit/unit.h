/* The shared runner for Check unit tests (unit_main.c): each test executable defines
 * unit_suite(), which returns its Suite; main() runs it and exits 0 only if every test
 * passed. CK_VERBOSITY, CK_RUN_CASE and CK_FORK work as Check documents. */
#ifndef HVSIM_TESTS_UNIT_H
#define HVSIM_TESTS_UNIT_H

#include <check.h>

Suite *unit_suite(void);

#endif
