/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmem core: the allocator logic that builds both in the kernel and in
 * userspace.  Nothing here knows about iomem, memremap or files; the kernel
 * glue in src/ feeds it plain numbers and kernel addresses.
 */
#ifndef _RESMEM_CORE_H
#define _RESMEM_CORE_H

#include "compat.h"

/* --- bitmap.c: word-at-a-time bitmaps indexed by u64 --- */

void rm_bitmap_set(unsigned long *map, u64 start, u64 nr);
void rm_bitmap_clear(unsigned long *map, u64 start, u64 nr);
u64 rm_bitmap_next_set(const unsigned long *map, u64 size, u64 start);
u64 rm_bitmap_next_zero(const unsigned long *map, u64 size, u64 start);
u64 rm_bitmap_weight(const unsigned long *map, u64 start, u64 nr);

static inline bool rm_bitmap_test(const unsigned long *map, u64 bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}

/* --- parse.c: the ranges= module parameter --- */

/* At most this many ranges= entries; each is claimed and mapped on its own. */
#define RM_MAX_RANGES	16
/* Room for one error message naming a range and what is wrong with it. */
#define RM_ERR_LEN	160

/**
 * struct rm_range_spec - one ranges= entry, SIZE@BASE[:NODE]
 * @base:	physical address of the first byte
 * @size:	length in bytes
 * @nid:	node given after ':', or NUMA_NO_NODE to ask the kernel
 */
struct rm_range_spec {
	u64 base;
	u64 size;
	int nid;
};

int rm_parse_size(const char *s, const char **endp, u64 *val);
int rm_parse_ranges(const char *s, struct rm_range_spec *out,
		    unsigned int max, unsigned int *nr,
		    char *err, size_t errlen);
int rm_check_ranges(const struct rm_range_spec *r, unsigned int nr,
		    u64 phys_limit, char *err, size_t errlen);

/* --- region.c: blocks of reserved memory (bootmem2) --- */

/*
 * A range split at node boundaries gives one block per node piece, so 16
 * ranges each crossing a few node boundaries still fit.
 */
#define RM_MAX_BLOCKS	64

/*
 * Step, in pages, at which rm_region_add_range() samples a range's node
 * before it bisects to the exact boundary: 2 MiB, the x86 huge page and the
 * finest granularity firmware describes NUMA memory in practice.
 */
#define RM_NODE_PROBE_PAGES	512

/* Per-page state bytes (struct rm_block.state). */
enum rm_page_state {
	RM_PS_FREE = 0,		/* available to the allocators */
	RM_PS_META = 1,		/* holds the block's own metadata */
};

/**
 * struct rm_block - a physically contiguous piece of one range on one node
 * @base_pfn:	first page frame
 * @nr_pages:	pages in the block, metadata included
 * @nid:	node all of the block lies on
 * @range:	index of the ranges= entry it came from
 * @vaddr:	kernel address of @base_pfn (set by the glue before enable)
 * @bitmap:	one bit per page, set = not free; lives at @vaddr
 * @state:	one enum rm_page_state byte per page; follows @bitmap
 * @meta_pages:	pages at the start of the block holding @bitmap and @state
 * @free_pages:	pages whose bit is clear
 */
struct rm_block {
	u64 base_pfn;
	u64 nr_pages;
	int nid;
	unsigned int range;
	void *vaddr;
	unsigned long *bitmap;
	u8 *state;
	u64 meta_pages;
	u64 free_pages;
};

/**
 * struct rm_region - every block resmem manages, sorted by pfn
 * @block:	the blocks; no two overlap, so a pfn names one page only
 * @nr_blocks:	blocks in use
 * @enabled:	metadata carved; no more blocks may be added
 */
struct rm_region {
	struct rm_block block[RM_MAX_BLOCKS];
	unsigned int nr_blocks;
	bool enabled;
};

typedef int (*rm_pfn_nid_fn)(u64 pfn, void *arg);

void rm_region_init(struct rm_region *rg);
u64 rm_meta_bytes(u64 nr_pages);
u64 rm_meta_pages(u64 nr_pages);
int rm_region_add(struct rm_region *rg, u64 base_pfn, u64 nr_pages, int nid,
		  unsigned int range);
int rm_region_add_range(struct rm_region *rg, u64 base_pfn, u64 nr_pages,
			unsigned int range, rm_pfn_nid_fn pfn_nid, void *arg);
int rm_region_enable(struct rm_region *rg);
struct rm_block *rm_region_find(struct rm_region *rg, u64 pfn);
u64 rm_region_total_pages(const struct rm_region *rg);
u64 rm_region_meta_pages(const struct rm_region *rg);
u64 rm_region_meta_bytes(const struct rm_region *rg);

#endif /* _RESMEM_CORE_H */
