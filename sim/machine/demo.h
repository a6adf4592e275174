/* `hvsim demo`, the flush experiment (demo.c, docs/experiments.md) */
#ifndef HVSIM_MACHINE_DEMO_H
#define HVSIM_MACHINE_DEMO_H

int cmd_demo(int argc, char **argv);

#endif
