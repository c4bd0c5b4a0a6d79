// SPDX-License-Identifier: GPL-2.0
/* Definitions behind resmem_user.h. */
#include "resmem_user.h"

unsigned long rm_user_warnings;
__thread int rm_user_cpu;
int rm_user_node;
void (*rm_user_free_hook)(u64 pfn, unsigned int order);
__thread int rm_user_hold_depth;
void (*rm_user_hold_hook)(bool begin);
unsigned long rm_user_resched;
