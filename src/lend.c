// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: CMA regions lent to the whole system
 *
 * A CMA region lent to the system (cma=NAME:SIZE[@BASE]:system, or
 * RESMEM_IOC_CMA_CREATE with RESMEM_CMA_SYSTEM) is memory the kernel uses
 * for movable pages while no device needs it, as seed 03 wanted, on
 * kernels without CONFIG_CMA:
 *
 *  - Lend: rm_cma_lend() takes every page of the region out of resmem's
 *    buddy (RM_PK_SYSTEM), resmem_range_unclaim() takes the part out of
 *    resmem's busy iomem entry, and add_memory_driver_managed() hot-adds
 *    it one memory block at a time as "System RAM (resmem)", asking for
 *    the block's struct pages inside it (MHP_MEMMAP_ON_MEMORY; the kernel
 *    does it only with memory_hotplug.memmap_on_memory=1).  Onlining is
 *    not exported to modules: the blocks come up as the kernel's
 *    auto_online_blocks policy says, and userspace onlines them to
 *    ZONE_MOVABLE (resmemctl cma lend sets the policy to offline around
 *    the ioctl and writes online_movable to each block).  A block the
 *    policy onlined to a kernel zone, where unmovable allocations could
 *    pin it for good, makes the lend fail and the memory is removed again.
 *    The pages holding the struct pages are reserved in the region
 *    (rm_cma_reserve()), so no buffer covers them.  A module reference is
 *    held while any region is lent: rmmod is refused.
 *
 *  - Take back: rm_cma_take() walks the positions as for any region and
 *    calls take() for each, which calls alloc_contig_range(): the kernel
 *    isolates the pageblocks and migrates its pages out.  A position that
 *    fails (a pinned page, or a block that is not online) sends the walk on
 *    past the last page still in use there.  A walk that found every
 *    position busy is tried again after a pause, LEND_TAKE_WALKS walks in
 *    all (see there).  Release is free_contig_range(), called by
 *    rm_cma_give() once it found the pages to be exactly a buffer.
 *
 *  - Keeping (lend_keep_ms, 0 by default: off): a released buffer is not
 *    given back at once but kept, still resmem's (rm_cma_keep(), 'K' in
 *    the map), and the next take is served from kept pages when an
 *    aligned run of them is large enough (rm_cma_take_kept(): no
 *    migration).  A take that wants more, or other, first gives every
 *    kept page back and then walks.  Kept pages go back to the system
 *    lend_keep_ms after the last release (keep_work), at once when the
 *    kernel needs memory (the region's shrinker, seeks 0: each scan
 *    takes half of them), and before an un-lend.  Why: the page
 *    allocator fills ZONE_MOVABLE, which the region is, before any other
 *    zone, so a region under load is full again right after a release
 *    and every take migrates about all of its range; the kernel's own
 *    CMA keeps half of a zone's free memory in its area (the ALLOC_CMA
 *    rule in __rmqueue()), which resmem cannot ask of the page allocator
 *    for a zone.  Keeping trades what the system gains for a fast next
 *    take, for lend_keep_ms at most and never under memory pressure.
 *    Every give-back runs under the region's mutex, taken with
 *    mutex_trylock() by the shrinker and the work (which never wait for
 *    a take-back, and are never waited for holding it but by
 *    cancel_delayed_work_sync() and the shrinker's freeing, which a
 *    trylock cannot block): nothing else gives kept pages back while an
 *    un-lend runs.  A work that finds the mutex held runs again
 *    LEND_KEEP_RETRY_MS later (an un-lend's cancel_delayed_work_sync()
 *    stops that), so that the pages go back however short lend_keep_ms
 *    is, with nothing left to the holder: only a release sets the work,
 *    and only the work's own give-back of every kept page ends it.
 *
 *  - Un-lend (destroy; never at unload, which the reference prevents):
 *    offline_and_remove_memory(), for the whole region at once, or one
 *    block at a time when the blocks hold their struct pages (6.1 removes
 *    such memory only block by block); when the kernel cannot offline a
 *    block (pinned pages), the region stays lent, whole, and the destroy
 *    is -EBUSY (see remove()).
 *    Then the claim is taken again and rm_cma_unlend() gives the pages back
 *    to resmem's buddy.
 *
 * Locking (the module's lock order: include/resmem/resmem.h): lend and
 * un-lend run under the CMA table lock and the region's mutex, and take
 * the kernel's memory hotplug locks inside them; take-back runs under the
 * region's mutex only.  The kernel's memory hotplug and
 * alloc_contig_range() call in here only through the region's shrinker,
 * from their direct reclaim, and it takes the region's mutex with
 * mutex_trylock(): those paths never wait for resmem's locks.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/memory.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <asm/set_memory.h>
#include <resmem/cma.h>
#include <resmem/kcompat.h>
#include <resmem/resmem.h>

#define LEND_RES_NAME	"System RAM (resmem)"

/*
 * A take-back whose walk found every position busy walks again after
 * LEND_TAKE_PAUSE_MS, up to LEND_TAKE_WALKS walks in all.  Some ranges
 * refuse only for a moment: while the system swaps, alloc_contig_range()
 * fails now and then with -EBUSY (on Debian's 6.12, up to 3 takes of
 * 120 MiB in 10, with about 100 MiB in swap), and a second walk 100 ms
 * later succeeded every time (README, lending's Tests).  Most likely the
 * pages are ones that reclaim holds off the LRU while they are written to
 * swap; that was not traced.  A walk costs little once the pages that
 * could move have moved, so a page that stays pinned (vmsplice, an
 * O_DIRECT read in flight) costs a failing take-back two more walks and
 * 200 ms, not a wait for the pin.
 */
#define LEND_TAKE_WALKS		3
#define LEND_TAKE_PAUSE_MS	100

/*
 * The idle work that found the region's mutex held tries again after
 * LEND_KEEP_RETRY_MS: a take-back holds it for the time a migration takes
 * (milliseconds to seconds), a shrinker scan for one give-back, and a
 * retry costs a trylock; 10 ms keeps the kept pages' stay past
 * lend_keep_ms short next to any take-back that held them.
 */
#define LEND_KEEP_RETRY_MS	10

static unsigned int lend_keep_ms;
module_param(lend_keep_ms, uint, 0644);
MODULE_PARM_DESC(lend_keep_ms,
		 "how long a region lent to the system keeps a released buffer for the next take before it gives it back (ms; 0: at once, the default)");

/**
 * resmem_lend_keep_ms - the lend_keep_ms parameter now
 *
 * Context: any.
 * Return: milliseconds; 0 when released buffers are not kept.
 */
unsigned int resmem_lend_keep_ms(void)
{
	return READ_ONCE(lend_keep_ms);
}

/**
 * resmem_lend_supported - can this kernel lend regions to the system?
 *
 * Context: any.
 * Return: true with memory hot-remove and alloc_contig_range().
 */
bool resmem_lend_supported(void)
{
	return IS_ENABLED(CONFIG_MEMORY_HOTREMOVE) &&
	       IS_ENABLED(CONFIG_CONTIG_ALLOC);
}

#if IS_ENABLED(CONFIG_MEMORY_HOTREMOVE) && IS_ENABLED(CONFIG_CONTIG_ALLOC)

static u64 block_pages(void)
{
	return PHYS_PFN(memory_block_size_bytes());
}

/*
 * Is the page at @pfn in use by the system?  Offline pages count as in
 * use: nothing can be taken there.  A free page has no reference, a page
 * of an allocated folio has its folio's.
 */
static bool in_use(u64 pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	return !page || page_count(page);
}

/*
 * The pages of [pfn, pfn + count) in use; *@last is set to the last of
 * them, or U64_MAX.
 */
static u64 count_in_use(u64 pfn, u64 count, u64 *last)
{
	u64 p, n = 0;

	*last = U64_MAX;
	for (p = pfn; p < pfn + count; p++) {
		if (in_use(p)) {
			n++;
			*last = p;
		}
		if (!(p % 4096))
			cond_resched();
	}
	return n;
}

/* rm_cma_take()'s callback: take [pfn, pfn + count) back from the system. */
static int take(void *arg, u64 pfn, u64 count, u64 *stop)
{
	struct resmem_cma *r = arg;
	u64 held, last;
	int ret;

	if (fatal_signal_pending(current))
		return -EINTR;
	held = count_in_use(pfn, count, &last);
	rm_stat_inc(r->lst.attempts);
	ret = alloc_contig_range(pfn, pfn + count, MIGRATE_MOVABLE,
				 GFP_KERNEL | __GFP_NOWARN);
	if (!ret) {
		rm_stat_inc(r->lst.taken);
		rm_stat_add(r->lst.migrated, held);
		return 0;
	}
	rm_stat_inc(r->lst.busy);
	/* the positions up to the last page that stayed hold it too */
	count_in_use(pfn, count, &last);
	if (last != U64_MAX)
		*stop = last + 1;
	return ret == -EINTR ? -EINTR : -EBUSY;
}

/* rm_cma_give()'s callback: the pages are checked to be one buffer. */
static void give_pages(void *arg, u64 pfn, u64 count)
{
	free_contig_range(pfn, count);
}

/*
 * Give up to @max kept pages of @r back to the system, the region's mutex
 * held, a memory block at most at a time (a kept run may be the whole
 * region; the kernel frees page by page); the pages given.
 */
static u64 give_back(struct resmem_cma *r, u64 max)
{
	u64 pfn, n, done = 0;

	lockdep_assert_held(&r->lock);
	while (done < max &&
	       (n = rm_cma_unkeep(&r->c, min(max - done, block_pages()),
				  &pfn))) {
		free_contig_range(pfn, n);
		rm_cma_unkept(&r->c, pfn, n);
		done += n;
		cond_resched();
	}
	return done;
}

/* lend_keep_ms after the last release: every kept page goes back. */
static void keep_expired(struct work_struct *work)
{
	struct resmem_cma *r = container_of(to_delayed_work(work),
					    struct resmem_cma, keep_work);
	u64 n;

	/* a take-back, a shrinker scan or an un-lend holds it */
	if (!mutex_trylock(&r->lock)) {
		queue_delayed_work(system_wq, &r->keep_work,
				   msecs_to_jiffies(LEND_KEEP_RETRY_MS));
		return;
	}
	n = give_back(r, U64_MAX);
	rm_stat_add(r->lst.gave_back_idle, n);
	mutex_unlock(&r->lock);
}

static unsigned long keep_count(struct shrinker *s, struct shrink_control *sc)
{
	struct resmem_cma *r = resmem_shrinker_data(s);
	u64 n = READ_ONCE(r->c.nr_kept);

	return n ? n : SHRINK_EMPTY;
}

static unsigned long keep_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct resmem_cma *r = resmem_shrinker_data(s);
	u64 n;

	/* never wait for a take-back: it may be what is reclaiming */
	if (!mutex_trylock(&r->lock))
		return SHRINK_STOP;
	n = give_back(r, sc->nr_to_scan);
	rm_stat_add(r->lst.gave_back_shrinker, n);
	mutex_unlock(&r->lock);
	return n;
}

/**
 * resmem_lend_take - a buffer from a region lent to the system
 * @r: the region, its mutex held
 * @count: pages
 * @align: the first pfn is a multiple of it; 0 for 1
 * @err: set to the reason when it fails
 *
 * From kept pages when an aligned run of them is large enough; else every
 * kept page goes back first, and a walk that found every position busy is
 * begun again after a pause, up to LEND_TAKE_WALKS walks in all.
 *
 * Context: process context; may sleep (migration, the pauses).
 * Return: the first pfn, or RM_NO_PFN with *@err as the last walk's
 * rm_cma_take() set it (-EINTR for a fatal signal, also in a pause).
 */
u64 resmem_lend_take(struct resmem_cma *r, u64 count, u64 align, int *err)
{
	u64 t0 = rm_stat_time(ktime_get_ns()), pfn, n;
	unsigned int walk;

	lockdep_assert_held(&r->lock);
	/* bad arguments fail in the walk, with nothing given back */
	if (READ_ONCE(r->c.nr_kept) && rm_cma_args_ok(&r->c, count, align)) {
		pfn = rm_cma_take_kept(&r->c, count, align);
		if (pfn != RM_NO_PFN) {
			rm_stat_inc(r->lst.kept_takes);
			goto out;
		}
		n = give_back(r, U64_MAX);
		rm_stat_add(r->lst.gave_back_walk, n);
	}
	for (walk = 1; ; walk++) {
		pfn = rm_cma_take(&r->c, count, align, take, r, err);
		if (pfn != RM_NO_PFN || *err != -EBUSY ||
		    walk == LEND_TAKE_WALKS)
			break;
		schedule_timeout_killable(msecs_to_jiffies(LEND_TAKE_PAUSE_MS));
		if (fatal_signal_pending(current)) {
			*err = -EINTR;
			break;
		}
		rm_stat_inc(r->lst.rewalks);
	}
	if (pfn != RM_NO_PFN && walk > 1)
		rm_stat_inc(r->lst.rewalk_successes);
out:
	rm_hist_add(r->lst.latency_hist, rm_stat_time(ktime_get_ns()) - t0);
	return pfn;
}

/**
 * resmem_lend_release - give a taken-back buffer to the system again
 * @r: the region
 * @pfn: the buffer's first pfn
 * @count: its pages
 *
 * With lend_keep_ms set the buffer is kept instead, and the work that
 * gives it back is set for lend_keep_ms from now.
 *
 * Context: any context that may take a spinlock.
 * Return: 0, or -EINVAL (with a warning) when the pages are not exactly a
 * buffer of @r.
 */
int resmem_lend_release(struct resmem_cma *r, u64 pfn, u64 count)
{
	unsigned int ms = READ_ONCE(lend_keep_ms);
	int ret;

	if (ms) {
		ret = rm_cma_keep(&r->c, pfn, count);
		/* lend_keep_ms after the last release */
		if (!ret)
			mod_delayed_work(system_wq, &r->keep_work,
					 msecs_to_jiffies(ms));
		return ret;
	}
	return rm_cma_give(&r->c, pfn, count, give_pages, NULL);
}

/* Is every online block of @r in ZONE_MOVABLE? */
static bool zones_movable(struct resmem_cma *r, u64 *bad)
{
	u64 p, end = r->c.base_pfn + r->c.count;
	struct page *page;

	for (p = r->c.base_pfn; p < end; p += block_pages()) {
		page = pfn_to_online_page(p);
		if (page && page_zonenum(page) != ZONE_MOVABLE) {
			*bad = p;
			return false;
		}
	}
	return true;
}

/*
 * Does the block at @p hold its own struct pages (memmap_on_memory)?  They
 * are at its start, up to the page holding the last struct page; *@last is
 * set to that page.  @p must be valid (pfn_valid()).
 */
static bool memmap_on_block(u64 p, u64 *last)
{
	u64 first;

	if (!IS_ENABLED(CONFIG_X86))
		return false;	/* slow_virt_to_phys() is x86's */
	first = PHYS_PFN(slow_virt_to_phys(pfn_to_page(p)));
	/* the last byte of the last struct page, which is mapped */
	*last = PHYS_PFN(slow_virt_to_phys((u8 *)pfn_to_page(p +
				block_pages() - 1) + sizeof(struct page) - 1));
	return first >= p && *last < p + block_pages();
}

/* Reserve the pages of each block that hold its struct pages. */
static int reserve_memmap(struct resmem_cma *r)
{
	u64 p, end = r->c.base_pfn + r->c.count, last;
	int ret;

	for (p = r->c.base_pfn; p < end; p += block_pages()) {
		if (!memmap_on_block(p, &last))
			continue;
		ret = rm_cma_reserve(&r->c, p, last + 1 - p);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Hot-add one memory block, its struct pages inside it when the kernel
 * allows: 6.12 falls back by itself, 6.1 refuses MHP_MEMMAP_ON_MEMORY
 * with -EINVAL when memory_hotplug.memmap_on_memory is off.
 */
static int add_block(struct resmem_cma *r, u64 start, u64 size)
{
	int ret;

	ret = add_memory_driver_managed(r->nid, start, size, LEND_RES_NAME,
					MHP_MERGE_RESOURCE |
					MHP_MEMMAP_ON_MEMORY);
	if (ret == -EINVAL)
		ret = add_memory_driver_managed(r->nid, start, size,
						LEND_RES_NAME,
						MHP_MERGE_RESOURCE);
	return ret;
}

static u64 region_base(struct resmem_cma *r)
{
	return PFN_PHYS(r->c.base_pfn);
}

static u64 region_size(struct resmem_cma *r)
{
	return PFN_PHYS(r->c.count);
}

/*
 * Remove the first @n bytes of @r's memory (a lend that failed, or an
 * un-lend); 0 or the kernel's error.
 *
 * Memory hot-added with its struct pages on it goes in the granularity it
 * came in, one block at a time: 6.1's try_remove_memory() refuses anything
 * else ("wrong granularity").  A block already gone (see below) is
 * skipped.  If block k fails (a fatal signal while the kernel waits for a
 * page, or an allocation), the blocks before it are hot-added again,
 * offline or as auto_online_blocks says (resmemctl onlines them to
 * ZONE_MOVABLE), so the region stays lent, whole.  A block that cannot
 * be added again is gone from the system as before the lend; the region
 * stays lent without it (take-back finds it offline, the next un-lend
 * skips it).
 *
 * Other memory goes in one call, which the kernel undoes as a whole: it
 * onlines every block again, each to the zone it was in.
 */
static int remove(struct resmem_cma *r, u64 n)
{
	u64 bs = memory_block_size_bytes(), base = region_base(r), a, last;
	bool per_block = false;
	int ret = 0, err;

	for (a = 0; a < n; a += bs)
		if (pfn_valid(PHYS_PFN(base + a))) {
			per_block = memmap_on_block(PHYS_PFN(base + a), &last);
			break;
		}
	if (a >= n)
		return 0;		/* nothing of it is present */
	if (!per_block)
		return offline_and_remove_memory(base, n);
	for (a = 0; a < n && !ret; a += bs)
		if (pfn_valid(PHYS_PFN(base + a)))
			ret = offline_and_remove_memory(base + a, bs);
	if (!ret)
		return 0;
	for (a -= bs; a; ) {
		a -= bs;
		err = add_block(r, base + a, bs);
		if (err)
			pr_err("cma region '%s': cannot hot-add [mem %#llx-%#llx] again (%d); it stays out of the system\n",
			       r->c.name, base + a, base + a + bs - 1, err);
	}
	return ret;
}

/**
 * resmem_lend - lend a new, empty region to the system
 * @r: the region, made but not yet in the table
 *
 * Context: process context, the CMA table lock held; may sleep.
 * Return: 0; -EOPNOTSUPP without memory hot-remove; -ENOMEM (no memory
 * for its shrinker, or for rm_cma_lend()); -EINVAL for a region
 * whose base or size is not a multiple of the memory block size, or one
 * whose blocks the kernel onlined to a kernel zone; -EBUSY when a page of
 * it is in use in resmem, or part of it cannot be unclaimed; the error of
 * add_memory_driver_managed() (-EEXIST when the memory is already
 * present, e.g. a block shared with boot RAM).  A failure that cannot be
 * undone (the memory cannot be removed or claimed again) returns 0 with
 * the region lent, as far as it got, and a warning; destroy it then.
 */
int resmem_lend(struct resmem_cma *r)
{
	u64 bs = memory_block_size_bytes(), a, added = 0, bad;
	char name[RM_CMA_NAME_LEN + 8];
	int ret, err;

	if (region_base(r) % bs || region_size(r) % bs)
		return -EINVAL;
	INIT_DELAYED_WORK(&r->keep_work, keep_expired);
	snprintf(name, sizeof(name), "resmem-%s", r->c.name);
	r->shrinker = resmem_shrinker_new(name, keep_count, keep_scan, 0, r);
	if (!r->shrinker)
		return -ENOMEM;
	ret = rm_cma_lend(&r->c);
	if (ret)
		goto shrinker;
	ret = resmem_range_unclaim(region_base(r), region_size(r));
	if (ret)
		goto unlend;
	for (a = 0; a < region_size(r); a += bs) {
		ret = add_block(r, region_base(r) + a, bs);
		if (ret) {
			pr_warn("cma region '%s': hot-adding [mem %#llx-%#llx] failed (%d)\n",
				r->c.name, region_base(r) + a,
				region_base(r) + a + bs - 1, ret);
			goto remove;
		}
		added += bs;
	}
	if (!zones_movable(r, &bad)) {
		pr_warn("cma region '%s': memory block at %#llx was onlined to a kernel zone; set /sys/devices/system/memory/auto_online_blocks to offline or online_movable first\n",
			r->c.name, PFN_PHYS(bad));
		ret = -EINVAL;
		goto remove;
	}
	ret = reserve_memmap(r);
	if (ret)
		goto remove;
	__module_get(THIS_MODULE);
	return 0;

remove:
	err = remove(r, added);
	if (!err)
		err = resmem_range_reclaim(region_base(r), region_size(r));
	if (err) {
		/*
		 * The system holds it now, or resmem cannot claim it again:
		 * keep it lent (resmem_unlend() tries again), destroy it later
		 */
		pr_warn("cma region '%s': cannot take the memory back (%d); it stays lent\n",
			r->c.name, err);
		__module_get(THIS_MODULE);
		return 0;
	}
unlend:
	WARN_ON(rm_cma_unlend(&r->c));
shrinker:
	resmem_shrinker_free(r->shrinker);
	r->shrinker = NULL;
	return ret;
}

/*
 * Can the system give the whole region back?  offline_pages() retries a
 * pinned page until a signal comes, so first take every online block
 * with alloc_contig_range(), which gives up on one, minus the struct pages
 * a block holds itself; then give it all back for the offline.  A page
 * pinned in the moment between is still waited for (until a signal).
 */
static int unlend_trial(struct resmem_cma *r)
{
	u64 bp = block_pages(), p, end = r->c.base_pfn + r->c.count;
	u64 mm = r->c.memmap / (r->c.count / bp), q;
	int ret = 0;

	for (p = r->c.base_pfn; p < end; p += bp) {
		if (!pfn_to_online_page(p))
			continue;
		ret = alloc_contig_range(p + mm, p + bp, MIGRATE_MOVABLE,
					 GFP_KERNEL | __GFP_NOWARN);
		if (ret)
			break;
	}
	for (q = r->c.base_pfn; q < p; q += bp)
		if (pfn_to_online_page(q))
			free_contig_range(q + mm, bp - mm);
	return ret;
}

/**
 * resmem_unlend - take a lent region's memory back from the system
 * @r: the region, lent, with no buffer; the table lock and its mutex held
 *
 * Kept pages go back to the system first (the work that would give them
 * back is cancelled; the shrinker stays until the end).  The system's
 * pages are migrated out first with alloc_contig_range(),
 * which fails at once on a pinned page, and only then offlined: a pinned
 * page makes the destroy fail instead of waiting for the pin to go.
 *
 * Context: process context; may sleep (the kernel migrates the pages).
 * Return: 0; -EBUSY when the kernel could not offline it (it stays lent;
 * a fatal signal during the offline is one way), or when its memory left
 * the system but could not be claimed again (it stays, with nothing
 * present; the next call tries the claim again).
 */
int resmem_unlend(struct resmem_cma *r)
{
	int ret;

	lockdep_assert_held(&r->lock);
	/* the work's trylock cannot wait for us: no deadlock */
	cancel_delayed_work_sync(&r->keep_work);
	give_back(r, U64_MAX);
	ret = unlend_trial(r);
	if (!ret)
		ret = remove(r, region_size(r));
	if (ret) {
		rm_stat_inc(r->lst.unlend_failures);
		pr_info("cma region '%s' stays lent to the system: the kernel could not offline its memory (%d)\n",
			r->c.name, ret);
		return -EBUSY;
	}
	/*
	 * Not claimed again (another driver took it meanwhile, or no memory
	 * for the entry): keep it out of resmem's buddy and keep the region,
	 * lent with nothing present; a later destroy only claims it again.
	 */
	ret = resmem_range_reclaim(region_base(r), region_size(r));
	if (ret) {
		pr_warn("cma region '%s' is out of the system but resmem cannot claim its memory again (%d); destroy it again later\n",
			r->c.name, ret);
		return -EBUSY;
	}
	/*
	 * Cannot fail: no buffer (the caller checked), nothing kept.  If it
	 * did, the region would still be lent in the core: it stays, and so
	 * does the module's reference.
	 */
	if (WARN_ON(rm_cma_unlend(&r->c)))
		return -EBUSY;
	/* waits for its scans, whose trylock cannot wait for us */
	resmem_shrinker_free(r->shrinker);
	r->shrinker = NULL;
	module_put(THIS_MODULE);
	return 0;
}

/**
 * resmem_lend_usage - what the system does with a lent region now
 * @r: the region, lent
 * @u: filled in
 *
 * A walk over the region's struct pages, without locks: a moving
 * picture.
 *
 * Context: process context; may sleep.
 */
void resmem_lend_usage(struct resmem_cma *r, struct resmem_lend_usage *u)
{
	u64 p, end = r->c.base_pfn + r->c.count, n = 0;
	struct page *page;

	memset(u, 0, sizeof(*u));
	for (p = r->c.base_pfn; p < end; p++) {
		page = pfn_to_online_page(p);
		if (!page)
			u->offline++;
		else if (page_zonenum(page) == ZONE_MOVABLE)
			u->movable++;
		else
			u->kernel++;
		if (page && page_count(page))
			n++;
		if (!(p % 4096))
			cond_resched();
	}
	/* taken-back buffers and kept pages are resmem's: each holds one */
	u->held = n - min(n, READ_ONCE(r->c.st.used) +
			  READ_ONCE(r->c.nr_kept) + READ_ONCE(r->c.nr_giving));
}

#else /* no memory hot-remove or alloc_contig_range() */

int resmem_lend(struct resmem_cma *r)
{
	return -EOPNOTSUPP;
}

int resmem_unlend(struct resmem_cma *r)
{
	WARN_ON_ONCE(1);	/* nothing is ever lent here */
	return -EBUSY;
}

u64 resmem_lend_take(struct resmem_cma *r, u64 count, u64 align, int *err)
{
	*err = -EOPNOTSUPP;
	return RM_NO_PFN;
}

int resmem_lend_release(struct resmem_cma *r, u64 pfn, u64 count)
{
	WARN_ON_ONCE(1);	/* nothing is ever lent here */
	return -EINVAL;
}

void resmem_lend_usage(struct resmem_cma *r, struct resmem_lend_usage *u)
{
	memset(u, 0, sizeof(*u));
}

#endif
