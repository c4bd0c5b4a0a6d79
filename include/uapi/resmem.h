/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
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
	__u64 reserved[4];
};

#define RESMEM_INFO_SIZE_V1	96

#define RESMEM_IOC_MAGIC	0xB8	/* free in ioctl-number.rst as of 6.1 */

#define RESMEM_IOC_GET_INFO	_IOWR(RESMEM_IOC_MAGIC, 0x00, struct resmem_info)

#endif /* _UAPI_RESMEM_H */
