/* SPDX-License-Identifier: GPL-2.0 */
/**
 * DOC: The in-kernel API
 *
 * resmem's in-kernel API, for other modules (EXPORT_SYMBOL_GPL).
 *
 * Pages come from the reserved ranges, never from the kernel's own memory.
 * They have no struct page: use the kernel addresses returned here, or the
 * pfn helpers, never page_address()/virt_to_page().  The memory is mapped
 * write-back.
 *
 * Context, per function (each one's kernel-doc says the same, and
 * selftests/check-docs checks both lists against those Context: lines and
 * the might_sleep() calls):
 *
 *  - any context that may take a spinlock (process, softirq, hardirq,
 *    with or without interrupts off), never sleeping:
 *    resmem_alloc_pages(), resmem_free_pages(), resmem_alloc_area(),
 *    resmem_free_area(), resmem_virt_to_pfn(), resmem_pfn_to_virt(),
 *    resmem_max_order(), resmem_drain_pcp(), resmem_vcompound_alloc() and
 *    resmem_vcompound_alloc_node() with RESMEM_VC_ATOMIC,
 *    resmem_vcompound_free(), resmem_vcompound_is_virtual(),
 *    resmem_vcompound_to_pfn(),
 *    resmem_vcompound_pieces(), resmem_vcompound_max_order(),
 *    resmem_movable_addr(), resmem_cma_release(), resmem_xcf_malloc(),
 *    resmem_xcf_free(), resmem_xcf_map(), resmem_xcf_unmap(),
 *    resmem_xcf_compact(), resmem_xcf_total_pages();
 *  - process context, may sleep (they take mutexes, migrate, vmap or
 *    zero large buffers; those of src/migrate.c, src/cma.c and src/xcf.c
 *    check it with might_sleep(), vcompound's allocation with
 *    might_sleep_if()):
 *    resmem_vcompound_alloc() and resmem_vcompound_alloc_node() without
 *    RESMEM_VC_ATOMIC, resmem_vcompound_flush(), resmem_alloc_movable(),
 *    resmem_free_movable(), resmem_pin(), resmem_unpin(),
 *    resmem_cma_alloc(), resmem_xcf_create(), resmem_xcf_destroy().
 */
#ifndef _RESMEM_API_H
#define _RESMEM_API_H

#include <linux/bits.h>
#include <linux/types.h>

struct module;

/* Flags of resmem_alloc_pages(). */
/*
 * RESMEM_GFP_MOVABLE is what resmem_alloc_movable() uses inside; the
 * other allocation functions refuse it, since nothing could move their
 * blocks when a CMA region takes its memory back.
 */
#define RESMEM_GFP_MOVABLE	BIT(0)
#define RESMEM_GFP_STRICT_NODE	BIT(1)	/* only the given node */
#define RESMEM_GFP_ZERO		BIT(2)	/* zero the pages */
#define RESMEM_GFP_VALID	(RESMEM_GFP_MOVABLE | RESMEM_GFP_STRICT_NODE | \
				 RESMEM_GFP_ZERO)

/* Placement policies of resmem_alloc_area(). */
#define RESMEM_AREA_FIRST_FIT	0	/* lowest address */
#define RESMEM_AREA_BEST_FIT	1	/* smallest free run that fits */
#define RESMEM_AREA_LEAST_FRAG	2	/* keeps large free blocks whole */

void *resmem_alloc_pages(unsigned int order, int nid, unsigned int flags);
void *resmem_alloc_area(unsigned long count, unsigned long align,
			unsigned long offset, int nid, unsigned int flags,
			unsigned int policy);
void resmem_free_area(void *addr, unsigned long count);
void resmem_free_pages(void *addr, unsigned int order);
unsigned long resmem_virt_to_pfn(const void *addr);
void *resmem_pfn_to_virt(unsigned long pfn);
unsigned int resmem_max_order(void);
void resmem_drain_pcp(void);

/*
 * vcompound: 2^order pages, physically contiguous when the buddy has such a
 * block, else mapped virtually contiguous from the largest free blocks
 * (src/vcompound.c).  Flags of resmem_vcompound_alloc(), besides
 * RESMEM_GFP_STRICT_NODE and RESMEM_GFP_ZERO:
 */
#define RESMEM_VC_ATOMIC	BIT(8)	/* do not sleep: contiguous or NULL */
#define RESMEM_VC_FALLBACK	BIT(9)	/* map pieces even if a block is free */
#define RESMEM_VC_VALID		(RESMEM_GFP_STRICT_NODE | RESMEM_GFP_ZERO | \
				 RESMEM_VC_ATOMIC | RESMEM_VC_FALLBACK)

/**
 * struct resmem_vcompound_piece - one physically contiguous piece
 * @pfn:	its first page frame
 * @order:	it is 2^order pages, naturally aligned
 */
struct resmem_vcompound_piece {
	unsigned long pfn;
	unsigned int order;
};

void *resmem_vcompound_alloc(unsigned int order, unsigned int flags);
void *resmem_vcompound_alloc_node(unsigned int order, int nid,
				  unsigned int flags);
void resmem_vcompound_free(const void *addr, unsigned int order);
bool resmem_vcompound_is_virtual(const void *addr);
unsigned long resmem_vcompound_to_pfn(const void *addr);
int resmem_vcompound_pieces(const void *addr, unsigned int order,
			    struct resmem_vcompound_piece *pieces,
			    unsigned int room);
unsigned int resmem_vcompound_max_order(void);
void resmem_vcompound_flush(void);

/*
 * Movable blocks (src/migrate.c): pages resmem may move elsewhere, e.g.
 * when a CMA region takes its memory back.  resmem_alloc_movable() hands
 * out an opaque handle that stays valid across moves, until
 * resmem_free_movable().  To move a block resmem copies the data, then
 * calls @migrate, under which the client switches its pointers from
 * @old_addr to @new_addr; a non-zero return (-EBUSY) keeps the block where
 * it is.  @owner is the client's module (THIS_MODULE): resmem holds a
 * reference on it while @migrate runs, and a module being unloaded has
 * its blocks left where they are; it must free them before its exit
 * function returns.
 *
 * resmem_movable_addr() is the block's address now: stable only while it
 * is pinned, or under the client's own serialisation against @migrate.
 * resmem_pin() waits for a move in progress, then keeps the block in place
 * and returns its current address (an ERR_PTR: -EINVAL, or -EOVERFLOW
 * when pinned 65535 times already).  All but resmem_movable_addr()
 * may sleep.
 */
struct resmem_movable;

struct resmem_movable_ops {
	struct module *owner;
	int (*migrate)(void *priv, void *old_addr, void *new_addr);
};

struct resmem_movable *resmem_alloc_movable(unsigned int order, int nid,
					    const struct resmem_movable_ops *ops,
					    void *priv);
void *resmem_movable_addr(struct resmem_movable *m);
void resmem_free_movable(struct resmem_movable *m);
void *resmem_pin(struct resmem_movable *m);
int resmem_unpin(struct resmem_movable *m);

/*
 * CMA regions (src/cma.c): contiguous buffers from a named region.
 * resmem_cma_alloc() may sleep (it migrates and zeroes);
 * resmem_cma_release() may be called from any context that may take a
 * spinlock.
 */
void *resmem_cma_alloc(const char *region, unsigned long count,
		       unsigned long align);
void resmem_cma_release(void *addr, unsigned long count);

/*
 * xcf (src/xcf.c): objects of 1 to PAGE_SIZE bytes (compressed pages) in
 * vpages of order-0 pages, named by handles, reached through map/unmap.
 * resmem_xcf_map() returns with preemption disabled until
 * resmem_xcf_unmap(), as zs_map_object() does: do not sleep in between,
 * and map one object per CPU at a time.  Map modes:
 */
#define RESMEM_XCF_MAP_RO	BIT(0)	/* read it */
#define RESMEM_XCF_MAP_WO	BIT(1)	/* write all of it, read nothing */
#define RESMEM_XCF_MAP_RW	(RESMEM_XCF_MAP_RO | RESMEM_XCF_MAP_WO)
#define RESMEM_XCF_MAP_VALID	RESMEM_XCF_MAP_RW

struct resmem_xcf_pool;

struct resmem_xcf_pool *resmem_xcf_create(const char *name);
void resmem_xcf_destroy(struct resmem_xcf_pool *pool);
int resmem_xcf_malloc(struct resmem_xcf_pool *pool, size_t size, gfp_t gfp,
		      unsigned long *handle);
void resmem_xcf_free(struct resmem_xcf_pool *pool, unsigned long handle);
void *resmem_xcf_map(struct resmem_xcf_pool *pool, unsigned long handle,
		     unsigned int mode);
void resmem_xcf_unmap(struct resmem_xcf_pool *pool, unsigned long handle);
u64 resmem_xcf_compact(struct resmem_xcf_pool *pool);
u64 resmem_xcf_total_pages(struct resmem_xcf_pool *pool);

#endif /* _RESMEM_API_H */
