/* `hvsim compare A.json B.json` (compare.c) */
#ifndef HVSIM_MACHINE_COMPARE_H
#define HVSIM_MACHINE_COMPARE_H

int cmd_compare(int argc, char **argv);

#endif
