/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmem kernel glue: what the files under src/ and debugfs/ share.
 *
 * There is one resmem instance per module load (struct resmem_dev resmem),
 * built by resmem_ranges_setup() at init and torn down at exit.  Its range
 * table and region are written only while the module loads and unloads, when
 * no file is open and no debugfs file exists, so readers take no lock.
 */
#ifndef _RESMEM_RESMEM_H
#define _RESMEM_RESMEM_H

#include <linux/miscdevice.h>
#include <linux/types.h>
#include <resmem/core.h>

#define RESMEM_VERSION	"0.1.0"

/**
 * struct resmem_range - one ranges= entry as claimed from the kernel
 * @spec:	base, size and requested node as parsed
 * @res:	our "resmem" entry in /proc/iomem, or NULL before the claim
 * @vaddr:	write-back kernel mapping of the whole range, or NULL
 */
struct resmem_range {
	struct rm_range_spec spec;
	struct resource *res;
	void *vaddr;
};

/**
 * struct resmem_dev - the module's state
 * @region:	the blocks and their metadata (src/core/region.c)
 * @buddy:	the page allocator over @region (src/core/buddy.c)
 * @memarea:	contiguous areas of any size from @buddy's free memory
 * @range:	the ranges= entries
 * @nr_ranges:	entries in @range
 * @debugfs:	/sys/kernel/debug/resmem, or NULL when debugfs is unavailable
 */
struct resmem_dev {
	struct rm_region region;
	struct rm_buddy buddy;
	struct rm_memarea memarea;
	struct resmem_range range[RM_MAX_RANGES];
	unsigned int nr_ranges;
	struct dentry *debugfs;
};

extern struct resmem_dev resmem;

int resmem_ranges_setup(const char *param);
void resmem_ranges_report(void);
void resmem_ranges_teardown(void);
int resmem_pages_setup(void);
void resmem_pages_teardown(void);
int resmem_dev_register(void);
void resmem_dev_unregister(void);
void resmem_debugfs_init(void);
void resmem_debugfs_exit(void);
struct dentry;
void resmem_debugfs_buddy_init(struct dentry *dir);
void resmem_debugfs_memarea_init(struct dentry *dir);

/* src/file.c: allocations made through /dev/resmem */
struct file;
struct vm_area_struct;
int resmem_file_open(struct file *file);
void resmem_file_release(struct file *file);
int resmem_file_mmap(struct file *file, struct vm_area_struct *vma);
int resmem_ioc_alloc(struct file *file, void *arg);
int resmem_ioc_free(struct file *file, void *arg);
int resmem_ioc_query(struct file *file, void *arg);

#endif /* _RESMEM_RESMEM_H */
