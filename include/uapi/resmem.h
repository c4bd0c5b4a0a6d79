/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/**
 * DOC: The ioctl ABI
 *
 * resmem: allocators running in memory reserved at boot with memmap=.
 *
 * The ioctl ABI of /dev/resmem, shared by the module and userspace.
 *
 * Rules (Documentation/process/botching-up-ioctls.rst):
 *  - every field has a fixed size (__u32/__u64), structs are padded by hand
 *    to a multiple of 8 bytes and every padding or reserved field must be
 *    zero on input (-EINVAL otherwise);
 *  - every flags field has a valid-flags mask, unknown bits give -EINVAL;
 *  - user pointers travel as __u64;
 *  - the struct size is encoded in the command; the kernel accepts an older
 *    (smaller) struct, zero-filling what the caller does not know, and a
 *    newer (larger) one as long as the bytes it does not know are zero
 *    (-E2BIG otherwise); it copies back at most the caller's size;
 *  - unknown commands give -ENOTTY.
 *
 * Start with RESMEM_IOC_GET_INFO: it returns the ABI version and the feature
 * bits that say what the running module supports.
 *
 * The last section, "Test-only", is not part of the production ABI: the
 * module serves those commands only when loaded with test_ioctls=1.
 */
#ifndef _UAPI_RESMEM_H
#define _UAPI_RESMEM_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RESMEM_ABI_VERSION	1

/* Feature bits returned in resmem_info.features. */
/* resmem_info.blocks_ptr is filled with one resmem_block_info per block */
#define RESMEM_FEAT_BLOCK_INFO	(1ULL << 0)
/* physical addresses are shown to this caller (it has CAP_SYS_ADMIN) */
#define RESMEM_FEAT_PHYS_ADDR	(1ULL << 1)
/* the module's debugfs directory exists */
#define RESMEM_FEAT_DEBUGFS	(1ULL << 2)
/* RESMEM_IOC_ALLOC/FREE/QUERY with RESMEM_KIND_BUDDY, and mmap */
#define RESMEM_FEAT_BUDDY	(1ULL << 3)
/* RESMEM_KIND_MEMAREA */
#define RESMEM_FEAT_MEMAREA	(1ULL << 4)
/* RESMEM_KIND_VCOMPOUND and RESMEM_IOC_PIECES */
#define RESMEM_FEAT_VCOMPOUND	(1ULL << 5)
/* CMA regions: RESMEM_KIND_CMA, RESMEM_IOC_CMA_*, RESMEM_IOC_PIN/UNPIN */
#define RESMEM_FEAT_CMA		(1ULL << 6)
/* the zpool driver "xcf" is registered: zswap can store into resmem */
#define RESMEM_FEAT_XCF		(1ULL << 7)
/* loaded with test_ioctls=1: the test-only commands (last section) work */
#define RESMEM_FEAT_TEST_IOCTLS	(1ULL << 8)
/* RESMEM_CMA_SYSTEM: regions lent to the whole system (memory hot-add) */
#define RESMEM_FEAT_CMA_SYSTEM	(1ULL << 9)

/**
 * struct resmem_block_info - one contiguous block of reserved memory
 * @base:	physical address of the first byte; 0 unless the caller has
 *		CAP_SYS_ADMIN (see RESMEM_FEAT_PHYS_ADDR)
 * @size:	size in bytes, a multiple of the page size
 * @meta_pages:	pages at the start of the block that hold resmem's own
 *		metadata and are never handed out
 * @node:	NUMA node the block lies on
 * @range:	index of the range (the ranges= entry) the block belongs to;
 *		a range that spans several nodes is split into one block per
 *		node
 *
 * Userspace says how large it believes this struct is in
 * resmem_info.block_size; the kernel writes at most that many bytes per entry.
 */
struct resmem_block_info {
	__u64 base;
	__u64 size;
	__u64 meta_pages;
	__u32 node;
	__u32 range;
};

#define RESMEM_BLOCK_INFO_SIZE_V1	32

/**
 * struct resmem_info - argument of RESMEM_IOC_GET_INFO
 * @abi_version:	out: RESMEM_ABI_VERSION of the running module
 * @flags:		in: must be 0 (no flags are defined yet)
 * @features:		out: RESMEM_FEAT_* bits
 * @page_size:		out: page size in bytes
 * @nr_ranges:		out: number of ranges (ranges= entries)
 * @nr_blocks:		in: number of entries @blocks_ptr has room for (may
 *			be 0); out: number of blocks resmem manages. Entries
 *			beyond the room given are not written: call again
 *			with a larger array.
 * @block_size:		in: sizeof(struct resmem_block_info) as the caller
 *			knows it; at least RESMEM_BLOCK_INFO_SIZE_V1 when
 *			@blocks_ptr is set
 * @blocks_ptr:		in: user pointer to an array of @nr_blocks entries of
 *			@block_size bytes, or 0
 * @total_pages:	out: pages in all ranges, metadata included
 * @meta_pages:		out: pages carved from the ranges for metadata
 * @meta_bytes:		out: bytes of metadata actually used in those pages
 * @max_order:		out: largest order RESMEM_KIND_BUDDY serves
 * @pb_order:		out: order of a pageblock, the unit that carries a
 *			migratetype
 * @reserved:		in: must be 0
 */
struct resmem_info {
	__u32 abi_version;
	__u32 flags;
	__u64 features;
	__u32 page_size;
	__u32 nr_ranges;
	__u32 nr_blocks;
	__u32 block_size;
	__u64 blocks_ptr;
	__u64 total_pages;
	__u64 meta_pages;
	__u64 meta_bytes;
	__u32 max_order;
	__u32 pb_order;
	__u64 reserved[3];
};

#define RESMEM_INFO_SIZE_V1	96

/*
 * Allocations.  Userspace names an allocation by an opaque handle, unique
 * within the open file that made it (each file numbers its own, from 1);
 * it belongs to that file and is freed by RESMEM_IOC_FREE or when the last
 * reference to that file goes away (close, exit).  mmap(2) it with
 * MAP_SHARED at mmap_offset (mmap_offset plus size is at most 2^32 - 1
 * pages, so a 32-bit mmap2 reaches it): pages are zeroed before userspace
 * can see them, mapped write-back cached, and faulted in on demand.
 */

/* resmem_alloc.kind */
#define RESMEM_KIND_BUDDY	0	/* 2^order pages from the buddy allocator */
#define RESMEM_KIND_MEMAREA	1	/* count pages, any count, aligned */
#define RESMEM_KIND_VCOMPOUND	2	/* 2^order pages, maybe in pieces */
#define RESMEM_KIND_CMA		3	/* count pages from a CMA region */
#define RESMEM_KIND_MAX		RESMEM_KIND_CMA

/* resmem_alloc.flags */
#define RESMEM_ALLOC_MOVABLE	(1U << 0)	/* may be migrated (movable pageblocks) */
#define RESMEM_ALLOC_STRICT_NODE (1U << 1)	/* only @node, no fallback */
#define RESMEM_ALLOC_VALID_FLAGS (RESMEM_ALLOC_MOVABLE | RESMEM_ALLOC_STRICT_NODE)

/* resmem_alloc.node: any node, nearest first */
#define RESMEM_NODE_ANY		(-1)

/* resmem_alloc.policy, for RESMEM_KIND_MEMAREA: which fitting area */
#define RESMEM_POLICY_FIRST_FIT	0	/* lowest address: fastest */
#define RESMEM_POLICY_BEST_FIT	1	/* smallest free run that fits */
#define RESMEM_POLICY_LEAST_FRAG 2	/* least rise of the unusable index */
#define RESMEM_POLICY_MAX	RESMEM_POLICY_LEAST_FRAG

/**
 * struct resmem_alloc - argument of RESMEM_IOC_ALLOC
 * @kind:	in: RESMEM_KIND_*
 * @flags:	in: RESMEM_ALLOC_*
 * @order:	in: RESMEM_KIND_BUDDY: log2 of the page count, at most the
 *		module's max_order; RESMEM_KIND_VCOMPOUND: the same, at most
 *		the vcompound limit (see RESMEM_VC_EXTRA_ORDERS); other
 *		kinds: 0
 * @node:	in: preferred node, or RESMEM_NODE_ANY; with
 *		RESMEM_ALLOC_STRICT_NODE the only node allowed (not ANY)
 * @count:	in: RESMEM_KIND_MEMAREA: pages, 1 to the largest block;
 *		RESMEM_KIND_CMA: pages, 1 to the region's size; other kinds: 0
 * @align:	in: RESMEM_KIND_MEMAREA: the first pfn is a multiple of
 *		@align plus @offset; a power of two, in pages; 0 means 1;
 *		RESMEM_KIND_CMA: the same, without @offset
 * @offset:	in: RESMEM_KIND_MEMAREA: below @align (or 0)
 * @policy:	in: RESMEM_KIND_MEMAREA: RESMEM_POLICY_*
 * @pad:	in: must be 0
 * @handle:	out: names the allocation in later calls; never 0
 * @size:	out: bytes allocated
 * @mmap_offset: out: the offset to pass to mmap(2)
 * @region:	in: RESMEM_KIND_CMA: the region's id (RESMEM_IOC_CMA_LIST);
 *		other kinds: 0
 * @pad2:	in: must be 0
 * @reserved:	in: must be 0
 *
 * RESMEM_ALLOC_MOVABLE on RESMEM_KIND_BUDDY: the pages may be lent by a
 * CMA region and migrated at any time (the mapping is torn down, the data
 * copied, the next access faults in the new pages); RESMEM_IOC_PIN keeps
 * them in place.
 */
struct resmem_alloc {
	__u32 kind;
	__u32 flags;
	__u32 order;
	__s32 node;
	__u64 count;
	__u64 align;
	__u64 offset;
	__u32 policy;
	__u32 pad;
	__u64 handle;
	__u64 size;
	__u64 mmap_offset;
	__u32 region;
	__u32 pad2;
	__u64 reserved[1];
};

#define RESMEM_ALLOC_SIZE_V1	88

/**
 * struct resmem_free - argument of RESMEM_IOC_FREE
 * @handle:	in: from RESMEM_IOC_ALLOC, made through this open file
 * @flags:	in: must be 0
 * @pad:	in: must be 0
 *
 * Mappings of the allocation are torn down first: a later access through
 * one gets SIGBUS.
 */
struct resmem_free {
	__u64 handle;
	__u32 flags;
	__u32 pad;
};

#define RESMEM_FREE_SIZE_V1	16

/**
 * struct resmem_query - argument of RESMEM_IOC_QUERY
 * @handle:	in: from RESMEM_IOC_ALLOC, made through this open file
 * @flags:	in: must be 0
 * @kind:	out: RESMEM_KIND_*
 * @alloc_flags: out: the RESMEM_ALLOC_* flags it was made with
 * @order:	out: for RESMEM_KIND_BUDDY and RESMEM_KIND_VCOMPOUND, its
 *		order
 * @node:	out: the node it lies on
 * @pad:	out: 0
 * @size:	out: bytes (RESMEM_KIND_MEMAREA: count pages)
 * @phys:	out: physical address of the first byte; 0 unless the caller
 *		has CAP_SYS_ADMIN.  A vcompound allocation may be in pieces:
 *		RESMEM_IOC_PIECES lists them
 * @mmap_offset: out: the offset to pass to mmap(2)
 * @reserved:	in: must be 0
 */
struct resmem_query {
	__u64 handle;
	__u32 flags;
	__u32 kind;
	__u32 alloc_flags;
	__u32 order;
	__s32 node;
	__u32 pad;
	__u64 size;
	__u64 phys;
	__u64 mmap_offset;
	__u64 reserved[4];
};

#define RESMEM_QUERY_SIZE_V1	88

/*
 * vcompound (RESMEM_FEAT_VCOMPOUND): 2^order pages that are physically
 * contiguous when the buddy has such a block, and otherwise several buddy
 * blocks ("pieces", the largest free ones) that the kernel maps virtually
 * contiguous.  mmap(2) maps the pieces in order, so userspace sees one
 * contiguous buffer either way.  order may exceed max_order (then it is
 * always in pieces) up to
 *
 *	min(max_order + RESMEM_VC_EXTRA_ORDERS,
 *	    floor(log2(total_pages - meta_pages)))
 *
 * from the fields of struct resmem_info.  RESMEM_ALLOC_MOVABLE is refused:
 * the kernel's mapping pins the pages.
 */
#define RESMEM_VC_EXTRA_ORDERS	8

/**
 * struct resmem_piece_info - one physically contiguous piece of an
 * allocation
 * @phys:	physical address of its first byte; 0 unless the caller has
 *		CAP_SYS_ADMIN (see RESMEM_FEAT_PHYS_ADDR)
 * @offset:	where it starts within the allocation (and its mapping), in
 *		bytes
 * @size:	its size in bytes
 * @order:	log2 of its pages for buddy blocks (RESMEM_KIND_BUDDY and
 *		RESMEM_KIND_VCOMPOUND), RESMEM_PIECE_NO_ORDER otherwise
 * @node:	the NUMA node it lies on
 */
struct resmem_piece_info {
	__u64 phys;
	__u64 offset;
	__u64 size;
	__u32 order;
	__u32 node;
};

#define RESMEM_PIECE_INFO_SIZE_V1	32
#define RESMEM_PIECE_NO_ORDER	0xffffffffU

/**
 * struct resmem_pieces - argument of RESMEM_IOC_PIECES
 * @handle:	in: from RESMEM_IOC_ALLOC, made through this open file
 * @flags:	in: must be 0
 * @nr_pieces:	in: number of entries @pieces_ptr has room for (may be 0);
 *		out: number of pieces of the allocation, in mapping order.
 *		Entries beyond the room given are not written.  A vcompound
 *		allocation with more than one piece is a fallback mapping.
 * @piece_size:	in: sizeof(struct resmem_piece_info) as the caller knows
 *		it; at least RESMEM_PIECE_INFO_SIZE_V1 when @pieces_ptr is set
 * @pad:	in: must be 0
 * @pieces_ptr:	in: user pointer to an array of @nr_pieces entries of
 *		@piece_size bytes, or 0
 * @reserved:	in: must be 0
 */
struct resmem_pieces {
	__u64 handle;
	__u32 flags;
	__u32 nr_pieces;
	__u32 piece_size;
	__u32 pad;
	__u64 pieces_ptr;
	__u64 reserved[2];
};

#define RESMEM_PIECES_SIZE_V1	48

/*
 * CMA regions (RESMEM_FEAT_CMA): memory kept for large contiguous buffers
 * (RESMEM_KIND_CMA) and lent, while idle, to RESMEM_ALLOC_MOVABLE buddy
 * allocations, which are migrated out of the way when a buffer is taken.
 */

/**
 * struct resmem_pin - argument of RESMEM_IOC_PIN and RESMEM_IOC_UNPIN
 * @handle:	in: a RESMEM_ALLOC_MOVABLE buddy allocation of this file
 * @flags:	in: must be 0
 * @pad:	in: must be 0
 *
 * A pinned allocation is never migrated (e.g. while a device DMAs into
 * it); a CMA allocation tries other positions.  Pins nest, up to
 * RESMEM_PIN_MAX deep: one more PIN is -EOVERFLOW.  UNPIN of an allocation
 * that is not pinned is -EINVAL; PIN of one that is not movable is
 * -EINVAL.
 */
struct resmem_pin {
	__u64 handle;
	__u32 flags;
	__u32 pad;
};

#define RESMEM_PIN_SIZE_V1	16
#define RESMEM_PIN_MAX		65535

#define RESMEM_CMA_NAME_LEN	16

/**
 * struct resmem_cma_create - argument of RESMEM_IOC_CMA_CREATE
 * @name:	in: 1 to 15 characters of [a-z0-9_-], NUL-terminated and
 *		NUL-padded, unique
 * @base:	in: physical address of the first byte, pageblock aligned,
 *		or 0 to let resmem place the region
 * @size:	in: bytes, a multiple of a pageblock
 * @node:	in: with @base 0, the node to place it on, or RESMEM_NODE_ANY
 * @flags:	in: 0 or RESMEM_CMA_SYSTEM
 * @id:		out: the region's id
 * @pad:	in: must be 0
 * @reserved:	in: must be 0
 *
 * Needs CAP_SYS_ADMIN (-EPERM).  Every page must be free and the region
 * inside one block of one node.
 *
 * With RESMEM_CMA_SYSTEM (RESMEM_FEAT_CMA_SYSTEM) the region is lent to
 * the whole system: its memory is hot-added as driver-managed System RAM
 * ("System RAM (resmem)" in /proc/iomem), in memory blocks that are left
 * offline or onlined as the kernel's auto_online_blocks policy says;
 * userspace onlines them to ZONE_MOVABLE (resmemctl cma lend does).
 * @base and @size must then be multiples of the memory block size
 * (/sys/devices/system/memory/block_size_bytes): -EINVAL otherwise; a
 * @base of 0 picks an aligned place.  A block the policy onlined to a
 * kernel zone makes the create fail with -EINVAL, the memory removed
 * again.  Buffers are taken back from the system with
 * alloc_contig_range(); destroying the region removes the memory
 * (-EBUSY, the region still lent, when the kernel cannot offline it).
 */
struct resmem_cma_create {
	char name[RESMEM_CMA_NAME_LEN];
	__u64 base;
	__u64 size;
	__s32 node;
	__u32 flags;
	__u32 id;
	__u32 pad;
	__u64 reserved[2];
};

#define RESMEM_CMA_CREATE_SIZE_V1	64

/* resmem_cma_create.flags, resmem_cma_region_info.flags: lent to the system */
#define RESMEM_CMA_SYSTEM	(1U << 0)
#define RESMEM_CMA_VALID_FLAGS	RESMEM_CMA_SYSTEM

/**
 * struct resmem_cma_destroy - argument of RESMEM_IOC_CMA_DESTROY
 * @id:		in: the region's id
 * @flags:	in: must be 0
 *
 * Needs CAP_SYS_ADMIN.  -EBUSY while the region has buffers; pages it
 * lends stay with their owners.  A region lent to the system
 * (RESMEM_CMA_SYSTEM) is taken back from it first: -EBUSY, the region
 * still lent, when the kernel cannot migrate or offline its memory
 * (pinned pages).
 */
struct resmem_cma_destroy {
	__u32 id;
	__u32 flags;
};

#define RESMEM_CMA_DESTROY_SIZE_V1	8

/**
 * struct resmem_cma_region_info - one region, in RESMEM_IOC_CMA_LIST
 * @name:	its name
 * @base:	physical address, only for CAP_SYS_ADMIN (else 0)
 * @size:	bytes
 * @used:	pages handed out as buffers
 * @lent:	pages held by movable allocations
 * @maxchunk:	longest run of pages not handed out
 * @id:		its id
 * @node:	its node
 * @flags:	RESMEM_CMA_SYSTEM when the region is lent to the system
 *		(entries of at least RESMEM_CMA_REGION_INFO_SIZE_V2 only)
 * @pad:	0
 * @memmap:	pages of the region that hold the system's struct pages for
 *		it (memory_hotplug.memmap_on_memory), not available for
 *		buffers (V2)
 *
 * For a region lent to the system, @lent is the pages the system holds
 * now (online, not free in the kernel's buddy), and @used counts the
 * buffers taken back.
 */
struct resmem_cma_region_info {
	char name[RESMEM_CMA_NAME_LEN];
	__u64 base;
	__u64 size;
	__u64 used;
	__u64 lent;
	__u64 maxchunk;
	__u32 id;
	__s32 node;
	__u32 flags;
	__u32 pad;
	__u64 memmap;
};

#define RESMEM_CMA_REGION_INFO_SIZE_V1	64
#define RESMEM_CMA_REGION_INFO_SIZE_V2	80

/**
 * struct resmem_cma_list - argument of RESMEM_IOC_CMA_LIST
 * @flags:	in: must be 0
 * @nr_regions:	in: room in @regions_ptr; out: regions that exist
 * @region_size: in: sizeof(struct resmem_cma_region_info) as the caller
 *		knows it, at least RESMEM_CMA_REGION_INFO_SIZE_V1 when
 *		@regions_ptr is set
 * @pad:	in: must be 0
 * @regions_ptr: in: user pointer to @nr_regions entries, or 0
 * @reserved:	in: must be 0
 */
struct resmem_cma_list {
	__u32 flags;
	__u32 nr_regions;
	__u32 region_size;
	__u32 pad;
	__u64 regions_ptr;
	__u64 reserved[2];
};

#define RESMEM_CMA_LIST_SIZE_V1	40

#define RESMEM_IOC_MAGIC	0xB8	/* free in ioctl-number.rst as of 6.1 */

#define RESMEM_IOC_GET_INFO	_IOWR(RESMEM_IOC_MAGIC, 0x00, struct resmem_info)
#define RESMEM_IOC_ALLOC	_IOWR(RESMEM_IOC_MAGIC, 0x01, struct resmem_alloc)
#define RESMEM_IOC_FREE		_IOW(RESMEM_IOC_MAGIC, 0x02, struct resmem_free)
#define RESMEM_IOC_QUERY	_IOWR(RESMEM_IOC_MAGIC, 0x03, struct resmem_query)
#define RESMEM_IOC_PIECES	_IOWR(RESMEM_IOC_MAGIC, 0x04, struct resmem_pieces)
/*	0x05: RESMEM_IOC_KFILL, test-only, below; never reused */
#define RESMEM_IOC_PIN		_IOW(RESMEM_IOC_MAGIC, 0x06, struct resmem_pin)
#define RESMEM_IOC_UNPIN	_IOW(RESMEM_IOC_MAGIC, 0x07, struct resmem_pin)
#define RESMEM_IOC_CMA_CREATE	_IOWR(RESMEM_IOC_MAGIC, 0x08, struct resmem_cma_create)
#define RESMEM_IOC_CMA_DESTROY	_IOW(RESMEM_IOC_MAGIC, 0x09, struct resmem_cma_destroy)
#define RESMEM_IOC_CMA_LIST	_IOWR(RESMEM_IOC_MAGIC, 0x0a, struct resmem_cma_list)

/*
 * Test-only (RESMEM_FEAT_TEST_IOCTLS).  Not part of the production ABI:
 * the module serves these commands only when it was loaded with
 * test_ioctls=1, a parameter that is off by default and read-only once
 * loaded.  Without it they get -ENOTTY, as an unknown command does,
 * before the argument is read, and GET_INFO does not report
 * RESMEM_FEAT_TEST_IOCTLS.  They are oracles for the kselftests (the
 * kernel reading and writing through its own mapping, to compare with the
 * user's), not interfaces for programs.  They follow the same rules as
 * every other command, and their numbers are never given to another one.
 */

/* resmem_kfill.flags */
#define RESMEM_KFILL_CHECK	(1U << 0)	/* compare instead of write */
#define RESMEM_KFILL_VALID_FLAGS RESMEM_KFILL_CHECK

/*
 * The pattern of RESMEM_IOC_KFILL: the 64-bit word at byte @off of an
 * allocation (a multiple of 8) holds RESMEM_KFILL_WORD(seed, off).
 */
#define RESMEM_KFILL_WORD(seed, off) \
	((seed) ^ ((__u64)(off) * 0x9e3779b97f4a7c15ULL))

/**
 * struct resmem_kfill - argument of RESMEM_IOC_KFILL (test-only)
 * @handle:	in: from RESMEM_IOC_ALLOC, made through this open file
 * @flags:	in: 0 to write the pattern, RESMEM_KFILL_CHECK to compare
 * @pad:	in: must be 0
 * @seed:	in: the pattern's seed (RESMEM_KFILL_WORD)
 * @offset:	in: first byte, a multiple of 8
 * @length:	in: bytes, a multiple of 8; @offset + @length at most the
 *		allocation's size
 * @mismatches:	out (RESMEM_KFILL_CHECK): words that differ from the
 *		pattern; in: must be 0
 * @first_mismatch: out (RESMEM_KFILL_CHECK): byte offset of the first such
 *		word, or ~0 when none does; in: must be 0
 * @reserved:	in: must be 0
 *
 * The kernel writes or reads the words through its own mapping of the
 * allocation: for a vcompound fallback, the virtually contiguous one.  With
 * mmap(2) on the other side, this tests that both mappings show the same
 * pages in the same order.
 */
struct resmem_kfill {
	__u64 handle;
	__u32 flags;
	__u32 pad;
	__u64 seed;
	__u64 offset;
	__u64 length;
	__u64 mismatches;
	__u64 first_mismatch;
	__u64 reserved[2];
};

#define RESMEM_KFILL_SIZE_V1	72

#define RESMEM_IOC_KFILL	_IOWR(RESMEM_IOC_MAGIC, 0x05, struct resmem_kfill)

#endif /* _UAPI_RESMEM_H */
