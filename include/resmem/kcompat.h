/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: Differences between kernel versions
 *
 * Differences between the kernels resmem builds against (6.1 to 6.12), in
 * one place, so the glue reads as if there were one kernel.
 */
#ifndef _RESMEM_KCOMPAT_H
#define _RESMEM_KCOMPAT_H

#include <linux/mm.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/version.h>
#ifdef CONFIG_X86
#include <asm/cacheflush.h>
#include <asm/e820/api.h>
#include <asm/processor.h>
#endif

/**
 * resmem_phys_limit - first physical address the CPU cannot reach
 *
 * Return: 1 << MAXPHYADDR on x86, else the limit of the memory model.
 */
static inline u64 resmem_phys_limit(void)
{
#ifdef CONFIG_X86
	return 1ULL << boot_cpu_data.x86_phys_bits;
#else
	return 1ULL << MAX_PHYSMEM_BITS;
#endif
}

/**
 * resmem_phys_nid - node a physical address lies on, as firmware says
 * @phys: the address
 *
 * Reserved memory has no struct page, so pfn_to_nid() cannot be used; the
 * firmware NUMA tables (SRAT on x86) are kept after boot for memory hotplug
 * (CONFIG_NUMA_KEEP_MEMINFO) and still describe it.
 *
 * Return: the node, or NUMA_NO_NODE when the tables do not cover @phys.
 */
static inline int resmem_phys_nid(u64 phys)
{
#if defined(CONFIG_NUMA) && defined(CONFIG_NUMA_KEEP_MEMINFO)
	return phys_to_target_node(phys);
#elif defined(CONFIG_NUMA)
	return NUMA_NO_NODE;
#else
	return 0;
#endif
}

/**
 * resmem_fw_map_known - whether resmem_fw_mapped_any() can answer
 *
 * Description: Only x86 keeps the firmware's memory map as it was before
 * memmap= (e820_table_firmware); other architectures reserve memory by
 * other means (device tree reserved-memory, mem=) and have no such map to
 * ask, so there resmem trusts the current map and the metadata probe alone.
 *
 * Return: true on x86.
 */
static inline bool resmem_fw_map_known(void)
{
	return IS_ENABLED(CONFIG_X86);
}

/**
 * resmem_fw_mapped_any - does a firmware map entry of @type meet a range
 * @start: first byte
 * @end: one past the last byte
 * @type: an e820 type, or 0 for any
 *
 * Return: e820__mapped_raw_any() on x86, else false.
 */
static inline bool resmem_fw_mapped_any(u64 start, u64 end, u32 type)
{
#ifdef CONFIG_X86
	return e820__mapped_raw_any(start, end, (enum e820_type)type);
#else
	return false;
#endif
}

/**
 * resmem_flush_cache - write back and drop cached lines of a mapping
 * @addr: start, in a memremap(MEMREMAP_WB) mapping
 * @len: bytes
 *
 * So that reading back what was just written asks the memory, not the
 * cache (which would hold the writes even where nothing is behind them).
 * x86 has clflush_cache_range(); other architectures export no such call
 * to modules, and there the probe reads back through the cache.
 */
static inline void resmem_flush_cache(void *addr, size_t len)
{
#ifdef CONFIG_X86
	clflush_cache_range(addr, len);
#endif
}

/**
 * resmem_vm_flags_set - set flags of a VMA being set up in ->mmap
 * @vma: the VMA
 * @flags: VM_* flags to add
 *
 * vm_flags became read-only in 6.3, written through vm_flags_set().
 */
static inline void resmem_vm_flags_set(struct vm_area_struct *vma,
				       unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * Shrinkers: until 6.7 the caller embedded a struct shrinker and called
 * register_shrinker() and unregister_shrinker(); since, the kernel
 * allocates it (shrinker_alloc(), shrinker_register(), shrinker_free()),
 * with a private_data field.  struct resmem_shrinker carries that field
 * on the old kernels.  Both free functions wait for scans in flight.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
struct resmem_shrinker {
	struct shrinker s;
	void *private_data;
};
#else
struct resmem_shrinker;
#endif

/**
 * resmem_shrinker_new - make and register a shrinker
 * @name: its name (debugfs shrinker/, on kernels with it)
 * @count: its count_objects
 * @scan: its scan_objects
 * @seeks: its seeks (0: objects cost nothing to make again, so the
 *	   kernel scans half of them whenever it scans)
 * @data: what resmem_shrinker_data() gives back
 *
 * Context: process context; may sleep.
 * Return: the shrinker, or NULL when there is no memory for it.
 */
static inline struct resmem_shrinker *
resmem_shrinker_new(const char *name,
		    unsigned long (*count)(struct shrinker *,
					   struct shrink_control *),
		    unsigned long (*scan)(struct shrinker *,
					  struct shrink_control *),
		    int seeks, void *data)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	struct resmem_shrinker *rs = kzalloc(sizeof(*rs), GFP_KERNEL);

	if (!rs)
		return NULL;
	rs->s.count_objects = count;
	rs->s.scan_objects = scan;
	rs->s.seeks = seeks;
	rs->private_data = data;
	if (register_shrinker(&rs->s, "%s", name)) {
		kfree(rs);
		return NULL;
	}
	return rs;
#else
	struct shrinker *s = shrinker_alloc(0, "%s", name);

	if (!s)
		return NULL;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = seeks;
	s->private_data = data;
	shrinker_register(s);
	return (struct resmem_shrinker *)s;
#endif
}

/**
 * resmem_shrinker_data - the @data a shrinker was made with
 * @s: the shrinker, as the kernel passes it to count and scan
 *
 * Context: any.
 * Return: the pointer.
 */
static inline void *resmem_shrinker_data(struct shrinker *s)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	return container_of(s, struct resmem_shrinker, s)->private_data;
#else
	return s->private_data;
#endif
}

/**
 * resmem_shrinker_free - unregister and free a shrinker
 * @rs: the shrinker, or NULL
 *
 * Returns once no scan of it runs any more.
 *
 * Context: process context; may sleep.
 */
static inline void resmem_shrinker_free(struct resmem_shrinker *rs)
{
	if (!rs)
		return;
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 7, 0)
	unregister_shrinker(&rs->s);
	kfree(rs);
#else
	shrinker_free((struct shrinker *)rs);
#endif
}

#if IS_ENABLED(CONFIG_ZPOOL)
#include <linux/zpool.h>
#include <resmem/api.h>

/*
 * The zpool driver interface (include/linux/zpool.h).  Until 6.5 create()
 * also took the zpool_ops of an evicting user and the struct zpool, and
 * the driver could have a shrink(); 6.5 dropped both (zswap writes back
 * through its own LRU since).  Until 6.11 the driver reported its size in
 * bytes (total_size()), since in pages (total_pages()).  Built and tested
 * against 6.1 and 6.12 only.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
/**
 * resmem_zpool_create - zpool_driver.create of xcf
 * @name: the pool's name
 * @gfp: ignored: creating a pool may sleep (zswap creates pools in
 *	 process context), as zsmalloc's create does
 * @zops: ignored: xcf evicts nothing
 * @zpool: ignored
 *
 * Return: resmem_xcf_create(@name).
 */
static inline void *resmem_zpool_create(const char *name, gfp_t gfp,
					const struct zpool_ops *zops,
					struct zpool *zpool)
{
	return resmem_xcf_create(name);
}
#else
/**
 * resmem_zpool_create - zpool_driver.create of xcf
 * @name: the pool's name
 * @gfp: ignored: creating a pool may sleep (zswap creates pools in
 *	 process context), as zsmalloc's create does
 *
 * Return: resmem_xcf_create(@name).
 */
static inline void *resmem_zpool_create(const char *name, gfp_t gfp)
{
	return resmem_xcf_create(name);
}
#endif

/**
 * resmem_zpool_set_size - set the size callback this kernel has
 * @drv: the driver, before zpool_register_driver()
 * @pages: returns the pool's size in pages
 * @bytes: returns it in bytes
 */
static inline void resmem_zpool_set_size(struct zpool_driver *drv,
					 u64 (*pages)(void *pool),
					 u64 (*bytes)(void *pool))
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 11, 0)
	drv->total_size = bytes;
#else
	drv->total_pages = pages;
#endif
}
#endif /* CONFIG_ZPOOL */

#endif /* _RESMEM_KCOMPAT_H */
