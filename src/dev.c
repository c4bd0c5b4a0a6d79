// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The misc device and its ioctl dispatcher
 *
 * /dev/resmem: the misc device and its ioctl dispatcher.
 *
 * The dispatcher follows Documentation/process/botching-up-ioctls.rst and
 * drivers/dma-buf/dma-heap.c: a table indexed by _IOC_NR (bounded with
 * array_index_nospec), -ENOTTY for any command not in it, and the argument
 * copied in at whatever size the caller's command encodes:
 *
 *  - smaller than the command's first ABI version: -EINVAL;
 *  - smaller than the kernel's struct (an older caller): zero-filled;
 *  - larger (a newer caller): accepted only if the bytes the kernel does
 *    not know are zero (copy_struct_from_user(), -E2BIG otherwise).
 *
 * The result is copied back at the caller's size, capped at the kernel's.
 * Handlers see a kernel copy of the full current struct and check their own
 * flags, padding and reserved fields.
 *
 * The device is mode 0600: only root opens it.  Physical addresses are shown
 * only to callers with CAP_SYS_ADMIN at the time of the call.
 *
 * Test-only commands (RESMEM_IOC_KFILL, marked test_only in the table) are
 * not part of the production ABI: unless the module was loaded with
 * test_ioctls=1 they get -ENOTTY before anything of the argument is read,
 * exactly as an unknown command does, and GET_INFO does not report
 * RESMEM_FEAT_TEST_IOCTLS.  The parameter is read-only after load, so
 * whether a command exists never changes while a file is open.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/uaccess.h>
#include <uapi/resmem.h>
#include <resmem/api.h>
#include <resmem/cma.h>
#include <resmem/migrate.h>
#include <resmem/resmem.h>
#include <resmem/xcf.h>
#include <resmem/xcf_glue.h>

static bool test_ioctls;
module_param(test_ioctls, bool, 0444);
MODULE_PARM_DESC(test_ioctls,
		 "serve the test-only ioctls (RESMEM_IOC_KFILL) that the kselftests use; not for production (default N: they get -ENOTTY like unknown commands)");

static bool zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

static void fill_block(struct resmem_block_info *e, const struct rm_block *b,
		       bool phys)
{
	memset(e, 0, sizeof(*e));
	e->base = phys ? PFN_PHYS(b->base_pfn) : 0;
	e->size = PFN_PHYS(b->nr_pages);
	e->meta_pages = b->meta_pages;
	e->node = b->nid;
	e->range = b->range;
}

/**
 * resmem_uarray_put - copy entry @i of an ioctl's output array out
 * @ubuf: the caller's array
 * @i: the entry's index
 * @es: the caller's entry size, as rm_uarray_check() accepted it
 * @e: our entry
 * @size: its size
 *
 * A caller's entry smaller than ours (an older ABI) gets its first @es
 * bytes; a larger one (a newer ABI) gets zeros after ours.
 *
 * Context: process context; may fault in the caller's memory.
 * Return: 0, or -EFAULT.
 */
int resmem_uarray_put(u8 __user *ubuf, u32 i, u32 es, const void *e,
		      size_t size)
{
	u8 __user *dst = ubuf + (size_t)i * es;

	if (copy_to_user(dst, e, min_t(size_t, es, size)))
		return -EFAULT;
	if (es > size && clear_user(dst + size, es - size))
		return -EFAULT;
	return 0;
}

static int resmem_ioc_get_info(struct file *file, void *arg)
{
	struct resmem_info *info = arg;
	const struct rm_region *rg = &resmem.region;
	u8 __user *ubuf = u64_to_user_ptr(info->blocks_ptr);
	u32 room = info->nr_blocks, bs = info->block_size, i, n;
	bool phys = capable(CAP_SYS_ADMIN);
	struct resmem_block_info e;

	if (info->flags || !zeroed(info->reserved, sizeof(info->reserved)))
		return -EINVAL;
	if (rm_uarray_check(!!ubuf, room, bs,
			    RESMEM_BLOCK_INFO_SIZE_V1))
		return -EINVAL;

	n = min(room, rg->nr_blocks);
	for (i = 0; i < n; i++) {
		fill_block(&e, &rg->block[i], phys);
		if (resmem_uarray_put(ubuf, i, bs, &e, sizeof(e)))
			return -EFAULT;
	}

	info->abi_version = RESMEM_ABI_VERSION;
	info->features = RESMEM_FEAT_BLOCK_INFO | RESMEM_FEAT_BUDDY |
			 RESMEM_FEAT_MEMAREA | RESMEM_FEAT_VCOMPOUND |
			 RESMEM_FEAT_CMA;
	if (phys)
		info->features |= RESMEM_FEAT_PHYS_ADDR;
	if (resmem.debugfs)
		info->features |= RESMEM_FEAT_DEBUGFS;
	if (resmem_xcf_zpool_registered())
		info->features |= RESMEM_FEAT_XCF;
	if (resmem_lend_supported())
		info->features |= RESMEM_FEAT_CMA_SYSTEM;
	if (test_ioctls)
		info->features |= RESMEM_FEAT_TEST_IOCTLS;
	info->page_size = PAGE_SIZE;
	info->nr_ranges = resmem.nr_ranges;
	info->nr_blocks = rg->nr_blocks;
	info->total_pages = rm_region_total_pages(rg);
	info->meta_pages = rm_region_meta_pages(rg);
	info->meta_bytes = rm_region_meta_bytes(rg);
	info->max_order = resmem.buddy.max_order;
	info->pb_order = RM_PAGEBLOCK_ORDER;
	return 0;
}

/**
 * struct resmem_ioctl - one entry of the dispatch table
 * @cmd:	the command as the current uapi header defines it
 * @min_size:	size of the command's struct in its first ABI version
 * @fn:		handler, given a kernel copy of the argument
 * @test_only:	served only with test_ioctls=1, else -ENOTTY
 */
struct resmem_ioctl {
	unsigned int cmd;
	unsigned int min_size;
	int (*fn)(struct file *file, void *arg);
	bool test_only;
};

static const struct resmem_ioctl resmem_ioctls[] = {
	[_IOC_NR(RESMEM_IOC_GET_INFO)] = {
		RESMEM_IOC_GET_INFO, RESMEM_INFO_SIZE_V1, resmem_ioc_get_info,
	},
	[_IOC_NR(RESMEM_IOC_ALLOC)] = {
		RESMEM_IOC_ALLOC, RESMEM_ALLOC_SIZE_V1, resmem_ioc_alloc,
	},
	[_IOC_NR(RESMEM_IOC_FREE)] = {
		RESMEM_IOC_FREE, RESMEM_FREE_SIZE_V1, resmem_ioc_free,
	},
	[_IOC_NR(RESMEM_IOC_QUERY)] = {
		RESMEM_IOC_QUERY, RESMEM_QUERY_SIZE_V1, resmem_ioc_query,
	},
	[_IOC_NR(RESMEM_IOC_PIECES)] = {
		RESMEM_IOC_PIECES, RESMEM_PIECES_SIZE_V1, resmem_ioc_pieces,
	},
	[_IOC_NR(RESMEM_IOC_KFILL)] = {
		RESMEM_IOC_KFILL, RESMEM_KFILL_SIZE_V1, resmem_ioc_kfill,
		.test_only = true,
	},
	[_IOC_NR(RESMEM_IOC_PIN)] = {
		RESMEM_IOC_PIN, RESMEM_PIN_SIZE_V1, resmem_ioc_pin,
	},
	[_IOC_NR(RESMEM_IOC_UNPIN)] = {
		RESMEM_IOC_UNPIN, RESMEM_PIN_SIZE_V1, resmem_ioc_unpin,
	},
	[_IOC_NR(RESMEM_IOC_CMA_CREATE)] = {
		RESMEM_IOC_CMA_CREATE, RESMEM_CMA_CREATE_SIZE_V1,
		resmem_ioc_cma_create,
	},
	[_IOC_NR(RESMEM_IOC_CMA_DESTROY)] = {
		RESMEM_IOC_CMA_DESTROY, RESMEM_CMA_DESTROY_SIZE_V1,
		resmem_ioc_cma_destroy,
	},
	[_IOC_NR(RESMEM_IOC_CMA_LIST)] = {
		RESMEM_IOC_CMA_LIST, RESMEM_CMA_LIST_SIZE_V1,
		resmem_ioc_cma_list,
	},
};

/* Big enough for the argument of any command in resmem_ioctls. */
union resmem_ioctl_arg {
	struct resmem_info info;
	struct resmem_alloc alloc;
	struct resmem_free free;
	struct resmem_query query;
	struct resmem_pieces pieces;
	struct resmem_kfill kfill;
	struct resmem_pin pin;
	struct resmem_cma_create cma_create;
	struct resmem_cma_destroy cma_destroy;
	struct resmem_cma_list cma_list;
};

static long resmem_ioctl(struct file *file, unsigned int ucmd,
			 unsigned long uarg)
{
	void __user *argp = (void __user *)uarg;
	const struct resmem_ioctl *d;
	union resmem_ioctl_arg karg;
	unsigned int nr = _IOC_NR(ucmd), usize, ksize;
	int ret;

	if (_IOC_TYPE(ucmd) != RESMEM_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(resmem_ioctls))
		return -ENOTTY;
	nr = array_index_nospec(nr, ARRAY_SIZE(resmem_ioctls));
	d = &resmem_ioctls[nr];
	if (!d->fn || _IOC_DIR(ucmd) != _IOC_DIR(d->cmd) ||
	    (d->test_only && !test_ioctls))
		return -ENOTTY;

	usize = _IOC_SIZE(ucmd);
	ksize = _IOC_SIZE(d->cmd);
	if (usize < d->min_size)
		return -EINVAL;
	BUILD_BUG_ON(sizeof(karg) > 256);
	if (WARN_ON_ONCE(ksize > sizeof(karg)))
		return -EINVAL;

	memset(&karg, 0, sizeof(karg));
	if (_IOC_DIR(ucmd) & _IOC_WRITE) {
		ret = copy_struct_from_user(&karg, ksize, argp, usize);
		if (ret)
			return ret;
	}
	ret = d->fn(file, &karg);
	if (ret)
		return ret;
	if ((_IOC_DIR(ucmd) & _IOC_READ) &&
	    copy_to_user(argp, &karg, min(usize, ksize)))
		return -EFAULT;
	return 0;
}

static int resmem_open(struct inode *inode, struct file *file)
{
	int ret = nonseekable_open(inode, file);

	return ret ? ret : resmem_file_open(file);
}

static int resmem_release(struct inode *inode, struct file *file)
{
	resmem_file_release(file);
	return 0;
}

static const struct file_operations resmem_fops = {
	.owner		= THIS_MODULE,
	.open		= resmem_open,
	.release	= resmem_release,
	.unlocked_ioctl	= resmem_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= resmem_file_mmap,
};

static struct miscdevice resmem_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "resmem",
	.fops	= &resmem_fops,
	.mode	= 0600,
};

/*
 * The one place where constants that must agree are tied, at build time:
 * each ioctl struct has the size of its first ABI version (a later version
 * grows it and adds a _V2 size; the V1 size stays the minimum the table
 * above accepts), and the three families of flags, policies and limits,
 * uapi (RESMEM_ALLOC_*, RESMEM_POLICY_*, RESMEM_VC_EXTRA_ORDERS,
 * RESMEM_PIN_MAX, RESMEM_CMA_NAME_LEN), in-kernel API (RESMEM_GFP_*,
 * RESMEM_AREA_*, RESMEM_VC_*, RESMEM_XCF_MAP_*) and core (RM_ALLOC_*,
 * RM_POLICY_*, RM_VC_EXTRA_ORDERS, RM_PIN_MAX, RM_CMA_NAME_LEN,
 * RM_XCF_MAP_*), have the same values, so the glue passes them through
 * unchanged (pages.c, file.c, vcompound.c, cma.c and xcf.c do).
 * vcompound's own flags (RESMEM_VC_ATOMIC, RESMEM_VC_FALLBACK) share
 * no bit with the core's, since src/file.c hands RM_ALLOC_* flags to
 * resmem_vc_alloc_unchecked(), which reads both.  Called once, so that
 * the compiler evaluates them (an uncalled function is dropped, and its
 * BUILD_BUG_ON()s with it).
 */
static inline void resmem_constants_agree(void)
{
	BUILD_BUG_ON(sizeof(struct resmem_block_info) !=
		     RESMEM_BLOCK_INFO_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_info) != RESMEM_INFO_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_alloc) != RESMEM_ALLOC_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_free) != RESMEM_FREE_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_query) != RESMEM_QUERY_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_piece_info) !=
		     RESMEM_PIECE_INFO_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_pieces) != RESMEM_PIECES_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_kfill) != RESMEM_KFILL_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_pin) != RESMEM_PIN_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_cma_create) !=
		     RESMEM_CMA_CREATE_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_cma_destroy) !=
		     RESMEM_CMA_DESTROY_SIZE_V1);
	BUILD_BUG_ON(sizeof(struct resmem_cma_region_info) !=
		     RESMEM_CMA_REGION_INFO_SIZE_V2);
	BUILD_BUG_ON(sizeof(struct resmem_cma_list) !=
		     RESMEM_CMA_LIST_SIZE_V1);

	BUILD_BUG_ON(RESMEM_ALLOC_MOVABLE != RM_ALLOC_MOVABLE);
	BUILD_BUG_ON(RESMEM_ALLOC_STRICT_NODE != RM_ALLOC_STRICT_NODE);
	BUILD_BUG_ON(RESMEM_GFP_MOVABLE != RM_ALLOC_MOVABLE);
	BUILD_BUG_ON(RESMEM_GFP_STRICT_NODE != RM_ALLOC_STRICT_NODE);
	BUILD_BUG_ON(RESMEM_GFP_ZERO != RM_ALLOC_ZERO);
	BUILD_BUG_ON(RESMEM_ALLOC_VALID_FLAGS &
		     ~(RESMEM_ALLOC_MOVABLE | RESMEM_ALLOC_STRICT_NODE));
	BUILD_BUG_ON(RESMEM_GFP_VALID & RM_ALLOC_MAY_SLEEP);
	BUILD_BUG_ON(RESMEM_VC_VALID & (RM_ALLOC_MOVABLE | RM_ALLOC_MAY_SLEEP));
	BUILD_BUG_ON((RESMEM_VC_ATOMIC | RESMEM_VC_FALLBACK) &
		     (RM_ALLOC_MOVABLE | RM_ALLOC_STRICT_NODE | RM_ALLOC_ZERO |
		      RM_ALLOC_MAY_SLEEP));

	BUILD_BUG_ON(RESMEM_POLICY_FIRST_FIT != RM_POLICY_FIRST_FIT);
	BUILD_BUG_ON(RESMEM_POLICY_BEST_FIT != RM_POLICY_BEST_FIT);
	BUILD_BUG_ON(RESMEM_POLICY_LEAST_FRAG != RM_POLICY_LEAST_FRAG);
	BUILD_BUG_ON(RESMEM_AREA_FIRST_FIT != RM_POLICY_FIRST_FIT);
	BUILD_BUG_ON(RESMEM_AREA_BEST_FIT != RM_POLICY_BEST_FIT);
	BUILD_BUG_ON(RESMEM_AREA_LEAST_FRAG != RM_POLICY_LEAST_FRAG);
	/* the core refuses a policy above its last one */
	BUILD_BUG_ON(RESMEM_POLICY_MAX != RM_POLICY_LEAST_FRAG);

	BUILD_BUG_ON(RESMEM_VC_EXTRA_ORDERS != RM_VC_EXTRA_ORDERS);
	BUILD_BUG_ON(RESMEM_PIN_MAX != RM_PIN_MAX);
	BUILD_BUG_ON(RESMEM_CMA_NAME_LEN != RM_CMA_NAME_LEN);
	BUILD_BUG_ON(RESMEM_XCF_MAP_RO != RM_XCF_MAP_RO);
	BUILD_BUG_ON(RESMEM_XCF_MAP_WO != RM_XCF_MAP_WO);
	BUILD_BUG_ON(RESMEM_XCF_MAP_VALID != RM_XCF_MAP_VALID);
}

/**
 * resmem_dev_register - create /dev/resmem
 *
 * Context: process context, module init.
 * Return: 0 or the error from misc_register().
 */
int resmem_dev_register(void)
{
	int ret;

	resmem_constants_agree();	/* build-time checks only */
	ret = misc_register(&resmem_misc);

	if (ret)
		pr_err("cannot register /dev/resmem: %d\n", ret);
	else if (test_ioctls)
		pr_notice("test_ioctls=1: /dev/resmem serves test-only ioctls (RESMEM_IOC_KFILL); not for production\n");
	return ret;
}

/**
 * resmem_dev_unregister - remove /dev/resmem
 *
 * Open files keep the module pinned (fops.owner), so none exists here.
 */
void resmem_dev_unregister(void)
{
	misc_deregister(&resmem_misc);
}
