// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Module entry and exit
 *
 * resmem: allocators running in physical memory reserved at boot.
 *
 * Module entry and exit.  Load order: take over the ranges (src/range.c),
 * start the buddy allocator (src/pages.c), CMA regions, xcf's map buffers,
 * vcompound, then debugfs, then the device, and last the zpool driver
 * "xcf" (the first way in for other kernel code that is not resmem's own
 * API); unload in reverse, so nothing that can reach the memory outlives
 * it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <resmem/cma.h>
#include <resmem/resmem.h>
#include <resmem/vcompound.h>
#include <resmem/xcf_glue.h>

struct resmem_dev resmem;

static char *ranges;
module_param(ranges, charp, 0444);
MODULE_PARM_DESC(ranges,
		 "reserved memory to manage: SIZE@BASE[:NODE][,...], K/M/G/T suffixes, hex or decimal; each range must lie inside a memmap=SIZE$BASE reservation");

static char *cma;
module_param(cma, charp, 0444);
MODULE_PARM_DESC(cma,
		 "CMA regions: NAME:SIZE[@BASE][,...]; without BASE resmem places the region, pageblock aligned");

unsigned int resmem_max_allocs_per_file = 65536;
module_param_named(max_allocs_per_file, resmem_max_allocs_per_file, uint,
		   0644);
MODULE_PARM_DESC(max_allocs_per_file,
		 "allocations one open file of /dev/resmem may hold at once; more get -EMFILE (default 65536; changes apply to the next allocation)");

static int __init resmem_init(void)
{
	int ret;

	ret = resmem_ranges_setup(ranges);
	if (ret)
		return ret;
	ret = resmem_pages_setup();
	if (ret)
		goto err_ranges;
	ret = resmem_cma_setup(cma);
	if (ret)
		goto err_pages;
	ret = resmem_xcf_init();
	if (ret)
		goto err_cma;
	resmem_vc_init();
	resmem_debugfs_init();
	ret = resmem_dev_register();
	if (ret)
		goto err_debugfs;
	resmem_xcf_zpool_register();
	resmem_ranges_report();
	pr_info("version %s: %u range(s), %llu pages, %llu metadata pages\n",
		RESMEM_VERSION, resmem.nr_ranges,
		rm_region_total_pages(&resmem.region),
		rm_region_meta_pages(&resmem.region));
	return 0;

err_debugfs:
	resmem_xcf_exit();
	resmem_cma_teardown();
	resmem_debugfs_exit();
	resmem_vc_exit();
	goto err_pages;
err_cma:
	resmem_cma_teardown();
err_pages:
	resmem_pages_teardown();
err_ranges:
	resmem_ranges_teardown();
	return ret;
}

static void __exit resmem_exit(void)
{
	resmem_xcf_zpool_unregister();
	resmem_dev_unregister();
	resmem_cma_teardown();
	resmem_xcf_exit();
	resmem_debugfs_exit();
	resmem_vc_exit();
	resmem_pages_teardown();
	resmem_ranges_teardown();
}

module_init(resmem_init);
module_exit(resmem_exit);

MODULE_AUTHOR("resmem developers");
MODULE_DESCRIPTION("Allocators for memory reserved at boot with memmap=");
MODULE_LICENSE("GPL");
MODULE_VERSION(RESMEM_VERSION);
