// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_holder: a stand-in for "another driver" in the kselftests.  It
 * claims [base, base + size) of iomem with request_mem_region(), as any
 * driver would, so the tests can check that resmem refuses memory that
 * somebody else holds and leaves it alone.
 *
 * With when_released=1 it claims nothing at load.  It waits instead for
 * resmem to release exactly [base, base + size) (a kretprobe on
 * __release_region()) and claims the range the moment that call returns,
 * once: another driver winning the moment in which resmem's own memory is
 * unclaimed, deterministically.  Without kretprobes (CONFIG_KPROBES off)
 * that load fails with -EOPNOTSUPP, which the tests read as a SKIP.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ioport.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/ptrace.h>

static unsigned long long base;
module_param(base, ullong, 0444);
MODULE_PARM_DESC(base, "physical address of the first byte to claim");

static unsigned long long size;
module_param(size, ullong, 0444);
MODULE_PARM_DESC(size, "bytes to claim");

static bool when_released;
module_param(when_released, bool, 0444);
MODULE_PARM_DESC(when_released,
		 "claim the range when somebody releases exactly it, once");

/* 1 once the kretprobe claimed the range; read in the module's sysfs */
static int claimed;
module_param(claimed, int, 0444);
MODULE_PARM_DESC(claimed, "1 once the range was claimed (when_released)");

/* when_released: claimed by hand, no allocation in the probe's context */
static struct resource held = {
	.name = KBUILD_MODNAME,
	.flags = IORESOURCE_MEM | IORESOURCE_BUSY,
};

static atomic_t armed = ATOMIC_INIT(1);

struct release_args {
	unsigned long long start;
	unsigned long long n;
};

/* __release_region(parent, start, n): keep start and n for the return */
static int release_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct release_args *a = (struct release_args *)ri->data;

	a->start = regs_get_kernel_argument(regs, 1);
	a->n = regs_get_kernel_argument(regs, 2);
	return 0;
}

/* The range was just released: take it before its owner does again. */
static int release_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct release_args *a = (struct release_args *)ri->data;

	if (a->start != base || a->n != size ||
	    atomic_cmpxchg(&armed, 1, 0) != 1)
		return 0;
	/*
	 * insert_resource() goes down into the entry that holds the range
	 * ("Reserved" for memmap=), as request_mem_region() would; it takes
	 * write_lock(&resource_lock) only: no sleep, no allocation.  Only
	 * the one that disarmed inserts the static resource; a failed
	 * insert re-arms for the next release.
	 */
	if (insert_resource(&iomem_resource, &held))
		atomic_set(&armed, 1);
	else
		WRITE_ONCE(claimed, 1);
	return 0;
}

static struct kretprobe release_probe = {
	.kp.symbol_name = "__release_region",
	.entry_handler = release_entry,
	.handler = release_return,
	.data_size = sizeof(struct release_args),
	.maxactive = 8,
};

static int __init holder_init(void)
{
	int ret;

	if (!size) {
		pr_err("size=0\n");
		return -EINVAL;
	}
	if (!when_released) {
		if (!request_mem_region(base, size, KBUILD_MODNAME)) {
			pr_err("cannot claim 0x%llx@0x%llx\n", size, base);
			return -EBUSY;
		}
		return 0;
	}
	held.start = base;
	held.end = base + size - 1;
	ret = register_kretprobe(&release_probe);
	if (ret)
		pr_err("cannot probe __release_region() (%d)\n", ret);
	return ret;
}

static void __exit holder_exit(void)
{
	if (!when_released) {
		release_mem_region(base, size);
		return;
	}
	unregister_kretprobe(&release_probe);
	if (READ_ONCE(claimed))
		release_resource(&held);
}

module_init(holder_init);
module_exit(holder_exit);

MODULE_DESCRIPTION("resmem selftest: holds an iomem range like another driver");
MODULE_LICENSE("GPL");
