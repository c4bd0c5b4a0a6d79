// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Fragmentation metrics
 *
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
 *
 * rm_free_by_order() sums a zone's counts over migratetypes for them,
 * rm_index_text() prints an index as vmstat does.
 *
 * The fragmentation map (debugfs fragmap, resmemctl fragment) draws one
 * character per page or group of pages (rm_fragmap_scale() of them, so
 * that the map fits its length): rm_page_class() decodes a page's
 * state word and its pageblock's migratetype into the letter of the map's
 * legend, rm_group_class() summarises a group.  Both read the state with
 * READ_ONCE() and no lock: a map is a snapshot that may tear, as
 * /proc/pagetypeinfo may.
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

/**
 * rm_free_by_order - a zone's free blocks per order, migratetypes summed
 * @c: the zone's counts (rm_zone_snapshot())
 * @by_order: RM_MAX_ORDER_LIMIT + 1 entries, filled in
 *
 * The input of the indexes above, and buddyinfo's columns.
 *
 * Context: any.
 */
void rm_free_by_order(const struct rm_zone_counts *c, u64 *by_order)
{
	unsigned int o, mt;

	for (o = 0; o <= RM_MAX_ORDER_LIMIT; o++) {
		by_order[o] = 0;
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			by_order[o] += c->nr_free[o][mt];
	}
}

/**
 * rm_index_text - an index in thousandths as vmstat prints it
 * @buf: receives the text, "-1.000", "0.917", "-0.001"
 * @len: size of @buf
 * @v: the index, from rm_extfrag_index() or rm_unusable_index()
 *
 * Context: any.
 */
void rm_index_text(char *buf, size_t len, int v)
{
	snprintf(buf, len, "%s%d.%03d", v < 0 && v > -1000 ? "-" : "",
		 v / 1000, abs(v % 1000));
}

/**
 * rm_fragmap_scale - pages per character of a fragmentation map
 * @pages: pages the map covers
 * @chars: characters the map may take at most, at least 1
 *
 * Context: any.
 * Return: the least power of two s for which DIV_ROUND_UP(@pages, s)
 * fits in @chars.
 */
u64 rm_fragmap_scale(u64 pages, u64 chars)
{
	u64 scale = 1;

	while (DIV_ROUND_UP(pages, scale) > chars)
		scale <<= 1;
	return scale;
}

/**
 * rm_page_class - the fragmentation map's letter for one page
 * @b: the block
 * @idx: the page's index in @b
 *
 * '.' free, ',' free in a CMA pageblock, 'I' free in an isolated one,
 * 'M' metadata, 'p' per-CPU cached, 'U' unmovable, 'm' movable, 'l' lent
 * (movable in a CMA pageblock), 'A' memarea, 'C' CMA buffer,
 * 'V' vcompound, 'X' xcf, 'S' lent to the system (a CMA region's pages
 * the kernel holds), 'K' taken back from the system and kept for the next
 * take, '?' a state no allocator writes.
 *
 * Context: any; reads without a lock.
 * Return: the letter.
 */
char rm_page_class(const struct rm_block *b, u64 idx)
{
	u16 s = READ_ONCE(b->state[idx]);
	unsigned int mt = b->pb_mt[rm_block_pb(b, b->base_pfn + idx)];

	switch (rm_ps_kind(s)) {
	case RM_PK_FREE:
		return mt == RM_MT_ISOLATE ? 'I' : mt == RM_MT_CMA ? ',' : '.';
	case RM_PK_META:
		return 'M';
	case RM_PK_PCP:
		return 'p';
	case RM_PK_BUDDY:
		if (!rm_ps_is_movable(s))
			return 'U';
		return mt == RM_MT_CMA ? 'l' : 'm';
	case RM_PK_MEMAREA:
		return 'A';
	case RM_PK_CMA:
		return 'C';
	case RM_PK_VCOMPOUND:
		return 'V';
	case RM_PK_XCF:
		return 'X';
	case RM_PK_SYSTEM:
		return 'S';
	case RM_PK_KEPT:
		return 'K';
	}
	return '?';
}

/**
 * rm_class_is_free - whether a map letter stands for a free page
 * @c: a letter of rm_page_class()
 *
 * Context: any.
 * Return: true for '.', ',' and 'I'.
 */
bool rm_class_is_free(char c)
{
	return c == '.' || c == ',' || c == 'I';
}

/**
 * rm_group_class - the fragmentation map's character for a group of pages
 * @b: the block
 * @idx: index in @b of the group's first page
 * @n: pages in the group, at least 1, all inside @b
 *
 * Context: any; reads without a lock.
 * Return: the pages' common letter when they all have one, else '#' when
 * none is free, else '1' to '9': the tenths of the group that are free,
 * rounded down but at least 1 and at most 9.
 */
char rm_group_class(const struct rm_block *b, u64 idx, u64 n)
{
	char first = rm_page_class(b, idx), c;
	u64 i, free = 0;
	bool mixed = false;

	for (i = 0; i < n; i++) {
		c = i ? rm_page_class(b, idx + i) : first;
		mixed |= c != first;
		free += rm_class_is_free(c);
	}
	if (!mixed)
		return first;
	if (!free)
		return '#';
	return '0' + clamp_t(u64, rm_div64(free * 10, n), 1, 9);
}
