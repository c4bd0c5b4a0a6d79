// SPDX-License-Identifier: GPL-2.0
/*
 * resmem_holder: a stand-in for "another driver" in the kselftests.  It
 * claims [base, base + size) of iomem with request_mem_region(), as any
 * driver would, so the tests can check that resmem refuses memory that
 * somebody else holds and leaves it alone.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ioport.h>
#include <linux/module.h>

static unsigned long long base;
module_param(base, ullong, 0444);
MODULE_PARM_DESC(base, "physical address of the first byte to claim");

static unsigned long long size;
module_param(size, ullong, 0444);
MODULE_PARM_DESC(size, "bytes to claim");

static int __init holder_init(void)
{
	if (!size || !request_mem_region(base, size, KBUILD_MODNAME)) {
		pr_err("cannot claim 0x%llx@0x%llx\n", size, base);
		return -EBUSY;
	}
	return 0;
}

static void __exit holder_exit(void)
{
	release_mem_region(base, size);
}

module_init(holder_init);
module_exit(holder_exit);

MODULE_DESCRIPTION("resmem selftest: holds an iomem range like another driver");
MODULE_LICENSE("GPL");
