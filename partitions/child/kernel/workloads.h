/* The workloads' processes: which ring-3 program (user/) each workload runs, and the
   arguments each process gets (wlabi.h). */
#ifndef WORKLOADS_H
#define WORKLOADS_H

#include "args.h"

/* Creates the processes of a->workload, runnable. 0, or -1 after printing why. */
int workload_start(const struct kargs *a);

#endif
