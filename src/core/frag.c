// SPDX-License-Identifier: GPL-2.0
/*
 * Fragmentation metrics, with the formulas of mm/vmstat.c so the numbers
 * read like the kernel's /sys/kernel/debug/extfrag files.
 *
 * For a pool with nr_free[k] free blocks of order k and a requested order o:
 *
 *	free_pages	= sum nr_free[k] * 2^k
 *	blocks_total	= sum nr_free[k]
 *	blocks_suitable	= sum over k >= o of nr_free[k] * 2^(k - o)
 *
 * Both indexes are in thousandths, printed as index/1000 "." index%1000.
 */
#include <resmem/core.h>

struct frag_info {
	u64 free_pages;
	u64 blocks_total;
	u64 blocks_suitable;
};

static void frag_info(const u64 *nr_free, unsigned int nr_orders,
		      unsigned int order, struct frag_info *fi)
{
	unsigned int k;

	memset(fi, 0, sizeof(*fi));
	for (k = 0; k < nr_orders; k++) {
		fi->blocks_total += nr_free[k];
		fi->free_pages += nr_free[k] << k;
		if (k >= order)
			fi->blocks_suitable += nr_free[k] << (k - order);
	}
}

/**
 * rm_extfrag_index - external fragmentation index for an order
 * @nr_free: free blocks per order
 * @nr_orders: entries in @nr_free
 * @order: the requested order
 *
 * Return: 0 when nothing is free; -1000 when a block of @order is free (the
 * request would succeed); else 1000 - (1000 + free_pages * 1000 / 2^order)
 * / blocks_total: near 0 a failure is for lack of memory, near 1000 for
 * fragmentation.
 */
int rm_extfrag_index(const u64 *nr_free, unsigned int nr_orders,
		     unsigned int order)
{
	struct frag_info fi;

	frag_info(nr_free, nr_orders, order, &fi);
	if (!fi.blocks_total)
		return 0;
	if (fi.blocks_suitable)
		return -1000;
	return 1000 - (int)rm_div64(1000 + rm_div64(fi.free_pages * 1000,
						    1ULL << order),
				    fi.blocks_total);
}

/**
 * rm_unusable_index - unusable free space index for an order
 * @nr_free: free blocks per order
 * @nr_orders: entries in @nr_free
 * @order: the requested order
 *
 * Return: 1000 when nothing is free, else the thousandths of free memory
 * that cannot serve a request of @order.
 */
int rm_unusable_index(const u64 *nr_free, unsigned int nr_orders,
		      unsigned int order)
{
	struct frag_info fi;

	frag_info(nr_free, nr_orders, order, &fi);
	if (!fi.free_pages)
		return 1000;
	return (int)rm_div64((fi.free_pages - (fi.blocks_suitable << order)) *
			     1000, fi.free_pages);
}
