// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection through every /dev/resmem path: failslab and
 * fail_page_alloc aimed at this task's own calls with fail-nth
 * (Documentation/fault-injection/fault-injection.rst): writing N to
 * /proc/thread-self/fail-nth makes the N-th fault-injection point the task
 * reaches fail; it reads back 0 once that happened.
 *
 * For each operation, for n = 1, 2, ... until the fault is no longer
 * consumed:
 *
 *	warm up: the operation once without a fault, undone (so the per-CPU
 *	caches hold what the operation takes and gives back);
 *	s0 = snapshot; prepare (unarmed); s1 = snapshot;
 *	arm n; the operation; disarm;
 *	failed:    it returned an error, the state is s1, and the same call
 *		   without a fault succeeds (then it is undone);
 *	succeeded: its result is checked, it is undone, the state is s0.
 *
 * The snapshot is every free list and every count of what exists:
 * debugfs buddyinfo, pagetypeinfo and fragmap (every page's state), the
 * free and per-CPU page counts, memarea's pages, vcompound's mappings,
 * every CMA region's used, lent, maxchunk, bitmap and buffers, memarea's
 * and vcompound's net allocations (successes minus frees), GET_INFO and
 * CMA_LIST.  Event counters (requests, failures, latency histograms) count
 * failed calls too and are left out.  A CMA allocation that takes memory
 * back and then fails leaves the blocks it already moved where they are,
 * as the kernel's alloc_contig_range() does: for it the totals, the net
 * counts and every moved allocation's data are compared instead.
 * kmemleak (the debug kernel) scans after the run.
 *
 * The test pins itself to CPU 0 and locks its memory, so that no page
 * fault of its own and no other CPU's cache takes part.  It SKIPs where the
 * kernel has no fault injection (Debian's kernels).  Run as root with
 * resmem loaded on the default ranges (run_all.sh).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"
#include "faultinject.h"

#define VFALLBACK	DBG "vcompound/vfallback_always"
#define MAX_N		2000
#define SNAP_LEN	(256 << 10)
#define REGION_PAGES	1024	/* two pageblocks */
#define MAX_LENT	64

/* --- the state --- */

static void add_file(char *buf, size_t *off, const char *file)
{
	int n;

	*off += snprintf(buf + *off, SNAP_LEN - *off, "== %s\n", file);
	n = fi_read(file, buf + *off, SNAP_LEN - *off);
	if (n > 0)
		*off += n;
}

static void add_line(char *buf, size_t *off, const char *fmt, long long v)
{
	*off += snprintf(buf + *off, SNAP_LEN - *off, fmt, v);
}

static int ioc(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int cma_list(int fd, struct resmem_cma_region_info *e, __u32 room)
{
	struct resmem_cma_list l = {
		.nr_regions = room, .region_size = e ? sizeof(*e) : 0,
		.regions_ptr = (uintptr_t)e,
	};
	int ret = ioc(fd, RESMEM_IOC_CMA_LIST, &l);

	return ret ? ret : (int)l.nr_regions;
}

/*
 * The snapshot: exact (every list and page) or, with @totals, only what
 * a take-back that failed half-way must still match.  With @any_pcp, what
 * is free may sit in the per-CPU caches or the free lists (the free lists,
 * the map and the two counts are left out; their sum stays).
 */
static void snap(int fd, char *buf, bool totals, bool any_pcp)
{
	static const char * const cma_files[] = {
		"used", "lent", "maxchunk", "bitmap",
	};
	struct resmem_cma_region_info e[16];
	struct resmem_info info = { 0 };
	char path[512];
	size_t off = 0;
	struct dirent *d;
	unsigned int i;
	DIR *dir;
	int nr;

	if (!totals && !any_pcp) {
		add_file(buf, &off, DBG "buddyinfo");
		add_file(buf, &off, DBG "pagetypeinfo");
		add_file(buf, &off, DBG "fragmap");
		add_line(buf, &off, "free_pages %lld\n",
			 stat_in(DBG "stats", "free_pages"));
		add_line(buf, &off, "pcp_pages %lld\n",
			 stat_in(DBG "stats", "pcp_pages"));
	}
	add_line(buf, &off, "free+pcp %lld\n", free_pages());
	add_line(buf, &off, "memarea pages %lld\n",
		 stat_in(DBG "memarea/stats", "pages"));
	add_line(buf, &off, "memarea net %lld\n",
		 stat_in(DBG "memarea/stats", "successes") -
		 stat_in(DBG "memarea/stats", "frees"));
	add_line(buf, &off, "vc mappings %lld\n",
		 stat_in(DBG "vcompound/stats", "mappings"));
	add_line(buf, &off, "vc mapped_pages %lld\n",
		 stat_in(DBG "vcompound/stats", "mapped_pages"));
	add_line(buf, &off, "vc deferred %lld\n",
		 stat_in(DBG "vcompound/stats", "deferred_frees"));
	add_line(buf, &off, "vc net %lld\n",
		 stat_in(DBG "vcompound/stats", "contiguous") +
		 stat_in(DBG "vcompound/stats", "fallback") -
		 stat_in(DBG "vcompound/stats", "frees_contiguous") -
		 stat_in(DBG "vcompound/stats", "frees_fallback"));
	dir = opendir(DBG "cma");
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		for (i = 0; i < ARRAY_SIZE(cma_files); i++) {
			if (totals && i)
				break;
			snprintf(path, sizeof(path), DBG "cma/%s/%s",
				 d->d_name, cma_files[i]);
			add_file(buf, &off, path);
		}
		snprintf(path, sizeof(path), DBG "cma/%s/stats", d->d_name);
		add_line(buf, &off, "buffers %lld\n", stat_in(path, "buffers"));
	}
	if (dir)
		closedir(dir);
	ioc(fd, RESMEM_IOC_GET_INFO, &info);
	add_line(buf, &off, "info blocks %lld\n", info.nr_blocks);
	add_line(buf, &off, "info total %lld\n", info.total_pages);
	add_line(buf, &off, "info meta %lld\n", info.meta_pages);
	nr = cma_list(fd, e, 16);
	add_line(buf, &off, "regions %lld\n", nr);
	for (i = 0; nr > 0 && i < (unsigned int)nr && i < 16; i++) {
		off += snprintf(buf + off, SNAP_LEN - off, "%s %u %llu %llu\n",
				e[i].name, e[i].id,
				(unsigned long long)e[i].size,
				(unsigned long long)e[i].used);
		if (!totals)
			add_line(buf, &off, " lent %lld\n", e[i].lent);
	}
}

/* Print the first lines where @a and @b differ. */
static void show_diff(const char *a, const char *b)
{
	unsigned int shown = 0;

	while (*a && *b && shown < 6) {
		size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");

		if (la != lb || memcmp(a, b, la)) {
			printf("#   before: %.*s\n#   after:  %.*s\n",
			       (int)(la > 200 ? 200 : la), a,
			       (int)(lb > 200 ? 200 : lb), b);
			shown++;
		}
		a += la + !!a[la];
		b += lb + !!b[lb];
	}
}

/* --- operations --- */

struct op;

struct ctx {
	const struct op *op;	/* the operation being driven */
	int fd;			/* the test's open device */
	int fd2;		/* open, close */
	__u32 region;		/* a CMA region the test made */
	struct resmem_cma_region_info r;
	struct resmem_alloc a;	/* the allocation an operation made */
	struct resmem_alloc held; /* one an operation works on */
	void *map;
	pid_t child;
	unsigned int nlent;
	__u64 lent[MAX_LENT];
};

/*
 * One operation: prepare (optional, unarmed), run (armed; 0 or -errno),
 * check its success (optional, unarmed; 0 when right), undo its success
 * (optional), clean up what prepare did (optional).
 */
struct op {
	const char *name;
	bool totals;	/* compare the totals only (a take-back) */
	bool any_pcp;	/* its frees may flush the per-CPU caches */
	bool fallible;	/* it allocates: some n must fail it */
	bool nth_only;	/* touches memory: failing every point would loop */
	struct resmem_alloc args;	/* for run_alloc() */
	void (*prep)(struct ctx *c);
	int (*run)(struct ctx *c);
	int (*check)(struct ctx *c);
	void (*undo)(struct ctx *c);
	void (*unprep)(struct ctx *c);
};

static int alloc(int fd, struct resmem_alloc *a, __u32 kind, __u32 flags,
		 __u32 order, __u64 count, __u64 align, __u64 offset)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->flags = flags;
	a->order = order;
	a->node = RESMEM_NODE_ANY;
	a->count = count;
	a->align = align;
	a->offset = offset;
	return ioc(fd, RESMEM_IOC_ALLOC, a);
}

static int kfill(int fd, __u64 handle, __u64 len, __u32 flags)
{
	struct resmem_kfill k = {
		.handle = handle, .flags = flags, .seed = handle * 77,
		.length = len,
	};
	int ret = ioc(fd, RESMEM_IOC_KFILL, &k);

	if (!ret && (flags & RESMEM_KFILL_CHECK) && k.mismatches)
		return -EILSEQ;
	return ret;
}

/* The pattern of kfill() as seen through a mapping. */
static int check_map(const struct resmem_alloc *a, const void *map)
{
	const volatile __u64 *p = map;
	__u64 w;

	for (w = 0; w < a->size / 8; w++)
		if (p[w] != RESMEM_KFILL_WORD(a->handle * 77, w * 8))
			return -EILSEQ;
	return 0;
}

static void undo_free(struct ctx *c)
{
	do_free(c->fd, c->a.handle);
}

static void unprep_held(struct ctx *c)
{
	do_free(c->fd, c->held.handle);
}

/* RESMEM_IOC_ALLOC with the operation's arguments */
static int run_alloc(struct ctx *c)
{
	c->a = c->op->args;
	return ioc(c->fd, RESMEM_IOC_ALLOC, &c->a);
}

/* What an allocation of each kind must be when it succeeded. */
static int check_alloc(struct ctx *c)
{
	struct resmem_query q;
	int ret = do_query(c->fd, c->a.handle, &q);

	if (ret)
		return ret;
	if (q.size != c->a.size || q.kind != c->a.kind)
		return -EINVAL;
	ret = kfill(c->fd, c->a.handle, c->a.size, 0);
	return ret ? ret : kfill(c->fd, c->a.handle, c->a.size,
				 RESMEM_KFILL_CHECK);
}

static void prep_vfallback(struct ctx *c)
{
	fi_write(VFALLBACK, "Y");
}

static void unprep_vfallback(struct ctx *c)
{
	fi_write(VFALLBACK, "N");
}

/* open and close */

static int run_open(struct ctx *c)
{
	c->fd2 = open(DEV, O_RDWR);
	return c->fd2 < 0 ? -errno : 0;
}

static void undo_close(struct ctx *c)
{
	close(c->fd2);
}

/* A second open file with one allocation of each kind, closed armed. */
static void prep_close(struct ctx *c)
{
	struct resmem_alloc a;

	c->fd2 = open(DEV, O_RDWR);
	alloc(c->fd2, &a, RESMEM_KIND_BUDDY, RESMEM_ALLOC_MOVABLE, 2, 0, 0, 0);
	alloc(c->fd2, &a, RESMEM_KIND_MEMAREA, 0, 0, 9, 0, 0);
	alloc(c->fd2, &a, RESMEM_KIND_VCOMPOUND, 0, 3, 0, 0, 0);
	fi_write(VFALLBACK, "Y");
	alloc(c->fd2, &a, RESMEM_KIND_VCOMPOUND, 0, 3, 0, 0, 0);
	fi_write(VFALLBACK, "N");
	if (c->region != ~0U) {
		memset(&a, 0, sizeof(a));
		a.kind = RESMEM_KIND_CMA;
		a.node = RESMEM_NODE_ANY;
		a.region = c->region;
		a.count = 16;
		ioc(c->fd2, RESMEM_IOC_ALLOC, &a);
	}
}

static int run_close(struct ctx *c)
{
	return close(c->fd2) ? -errno : 0;
}

/* FREE, QUERY, PIN, UNPIN, PIECES, KFILL on a held allocation */

static void prep_buddy(struct ctx *c)
{
	alloc(c->fd, &c->held, RESMEM_KIND_BUDDY, 0, 1, 0, 0, 0);
}

static void prep_movable(struct ctx *c)
{
	alloc(c->fd, &c->held, RESMEM_KIND_BUDDY, RESMEM_ALLOC_MOVABLE, 1, 0,
	      0, 0);
}

static void prep_pinned(struct ctx *c)
{
	struct resmem_pin p;

	prep_movable(c);
	p = (struct resmem_pin){ .handle = c->held.handle };
	ioc(c->fd, RESMEM_IOC_PIN, &p);
}

static void prep_fallback(struct ctx *c)
{
	fi_write(VFALLBACK, "Y");
	alloc(c->fd, &c->held, RESMEM_KIND_VCOMPOUND, 0, 5, 0, 0, 0);
	fi_write(VFALLBACK, "N");
}

static int run_free(struct ctx *c)
{
	return do_free(c->fd, c->held.handle);
}

static int run_query(struct ctx *c)
{
	struct resmem_query q;
	int ret = do_query(c->fd, c->held.handle, &q);

	if (!ret && (q.size != c->held.size || q.order != 1))
		return -EINVAL;
	return ret;
}

static int pin_ioc(struct ctx *c, unsigned long cmd)
{
	struct resmem_pin p = { .handle = c->held.handle };

	return ioc(c->fd, cmd, &p);
}

static int run_pin(struct ctx *c)
{
	return pin_ioc(c, RESMEM_IOC_PIN);
}

static void undo_pin(struct ctx *c)
{
	pin_ioc(c, RESMEM_IOC_UNPIN);
}

static int run_unpin(struct ctx *c)
{
	return pin_ioc(c, RESMEM_IOC_UNPIN);
}

static void undo_unpin(struct ctx *c)
{
	pin_ioc(c, RESMEM_IOC_PIN);
}

/* unpinned: UNPIN again is -EINVAL, so the undo above pinned it again */
static void unprep_pinned(struct ctx *c)
{
	pin_ioc(c, RESMEM_IOC_UNPIN);
	unprep_held(c);
}

static struct resmem_piece_info pieces[64];

static int run_pieces(struct ctx *c)
{
	struct resmem_pieces p = {
		.handle = c->held.handle, .nr_pieces = 64,
		.piece_size = sizeof(pieces[0]),
		.pieces_ptr = (uintptr_t)pieces,
	};
	int ret = ioc(c->fd, RESMEM_IOC_PIECES, &p);
	__u64 size = 0;
	__u32 i;

	if (ret)
		return ret;
	for (i = 0; i < p.nr_pieces && i < 64; i++)
		size += pieces[i].size;
	return p.nr_pieces < 1 || size != c->held.size ? -EINVAL : 0;
}

static int run_kfill(struct ctx *c)
{
	int ret = kfill(c->fd, c->held.handle, c->held.size, 0);

	return ret ? ret : kfill(c->fd, c->held.handle, c->held.size,
				 RESMEM_KFILL_CHECK);
}

/* GET_INFO with blocks, CMA_LIST */

static int run_info(struct ctx *c)
{
	struct resmem_block_info b[8];
	struct resmem_info info = {
		.nr_blocks = 8, .block_size = sizeof(b[0]),
		.blocks_ptr = (uintptr_t)b,
	};
	int ret = ioc(c->fd, RESMEM_IOC_GET_INFO, &info);

	if (!ret && (info.nr_blocks < 1 || !b[0].size))
		return -EINVAL;
	return ret;
}

static int run_list(struct ctx *c)
{
	struct resmem_cma_region_info e[16];
	int n = cma_list(c->fd, e, 16);

	return n < 0 ? n : 0;
}

/* CMA_CREATE, CMA_DESTROY, and buffers from the test's region */

static int create(int fd, const char *name, __u32 *id)
{
	struct resmem_cma_create cc = {
		.size = 2 << 20, .node = RESMEM_NODE_ANY,
	};
	int ret;

	strncpy(cc.name, name, sizeof(cc.name) - 1);
	ret = ioc(fd, RESMEM_IOC_CMA_CREATE, &cc);
	if (!ret)
		*id = cc.id;
	return ret;
}

static int destroy(int fd, __u32 id)
{
	struct resmem_cma_destroy d = { .id = id };

	return ioc(fd, RESMEM_IOC_CMA_DESTROY, &d);
}

static int run_create(struct ctx *c)
{
	return create(c->fd, "fc", &c->held.region);
}

static void undo_destroy(struct ctx *c)
{
	destroy(c->fd, c->held.region);
}

static void prep_created(struct ctx *c)
{
	create(c->fd, "fc", &c->held.region);
}

static int run_destroy(struct ctx *c)
{
	return destroy(c->fd, c->held.region);
}

static int run_cma_buf(struct ctx *c)
{
	memset(&c->a, 0, sizeof(c->a));
	c->a.kind = RESMEM_KIND_CMA;
	c->a.node = RESMEM_NODE_ANY;
	c->a.region = c->region;
	c->a.count = 256;
	c->a.align = 16;
	return ioc(c->fd, RESMEM_IOC_ALLOC, &c->a);
}

/*
 * Take-back: the region's memory lent to movable allocations, ordinary
 * memory free to move them to, then a buffer of the whole region.
 */
static void free_lent(struct ctx *c)
{
	while (c->nlent)
		do_free(c->fd, c->lent[--c->nlent]);
}

static void prep_lent(struct ctx *c)
{
	static __u64 all[512];
	__u64 base = c->r.base, end = base + c->r.size;
	struct resmem_alloc a;
	struct resmem_query q;
	unsigned int n = 0, i;

	free_lent(c);
	/* fill the region's node with pageblocks: the region's come last */
	while (n < 512) {
		memset(&a, 0, sizeof(a));
		a.kind = RESMEM_KIND_BUDDY;
		a.flags = RESMEM_ALLOC_MOVABLE | RESMEM_ALLOC_STRICT_NODE;
		a.order = 9;
		a.node = c->r.node;
		if (ioc(c->fd, RESMEM_IOC_ALLOC, &a))
			break;
		all[n++] = a.handle;
	}
	for (i = 0; i < n; i++) {
		if (!do_query(c->fd, all[i], &q) && q.phys >= base &&
		    q.phys < end && c->nlent < MAX_LENT) {
			c->lent[c->nlent++] = all[i];
			kfill(c->fd, all[i], q.size, 0);
		} else {
			do_free(c->fd, all[i]);
		}
	}
}

static int run_takeback(struct ctx *c)
{
	memset(&c->a, 0, sizeof(c->a));
	c->a.kind = RESMEM_KIND_CMA;
	c->a.node = RESMEM_NODE_ANY;
	c->a.region = c->region;
	c->a.count = c->r.size / getpagesize();
	return ioc(c->fd, RESMEM_IOC_ALLOC, &c->a);
}

/* Every lent allocation still holds its data, wherever it is now. */
static int check_lent_data(struct ctx *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i < c->nlent; i++) {
		ret = kfill(c->fd, c->lent[i], 2 << 20, RESMEM_KFILL_CHECK);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_lent(struct ctx *c)
{
	int ret = check_lent_data(c);

	return ret ? ret : check_alloc(c);
}

/* mmap, the first fault, fork while mapped */

static void prep_filled(struct ctx *c)
{
	alloc(c->fd, &c->held, RESMEM_KIND_BUDDY, 0, 2, 0, 0, 0);
	kfill(c->fd, c->held.handle, c->held.size, 0);
}

static int run_mmap(struct ctx *c)
{
	c->map = map(c->fd, &c->held);
	return c->map == MAP_FAILED ? -errno : 0;
}

static int check_mapped(struct ctx *c)
{
	return check_map(&c->held, c->map);
}

static void undo_munmap(struct ctx *c)
{
	munmap(c->map, c->held.size);
}

static void prep_mapped(struct ctx *c)
{
	prep_filled(c);
	c->map = map(c->fd, &c->held);
}

static void unprep_mapped(struct ctx *c)
{
	if (c->map != MAP_FAILED)
		munmap(c->map, c->held.size);
	unprep_held(c);
}

static int run_touch(struct ctx *c)
{
	if (c->map == MAP_FAILED)
		return -EFAULT;
	return *(volatile __u64 *)c->map ==
	       RESMEM_KFILL_WORD(c->held.handle * 77, 0) ? 0 : -EILSEQ;
}

static void prep_touched(struct ctx *c)
{
	prep_mapped(c);
	if (c->map != MAP_FAILED)
		run_touch(c);
}

static int run_fork(struct ctx *c)
{
	c->child = fork();
	if (c->child < 0)
		return -errno;
	if (!c->child) {
		/* the child: the same pages; one word changed for the parent */
		int bad = check_map(&c->held, c->map);

		((volatile __u64 *)c->map)[1] = 0x5eed;
		_exit(bad ? 1 : 0);
	}
	return 0;
}

static int check_fork(struct ctx *c)
{
	int status;

	if (waitpid(c->child, &status, 0) != c->child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -ECHILD;
	if (((volatile __u64 *)c->map)[1] != 0x5eed)
		return -EILSEQ;
	/* the pattern again, for the next round */
	return kfill(c->fd, c->held.handle, c->held.size, 0);
}

/* --- the loop --- */

static char s0[SNAP_LEN], s1[SNAP_LEN], s2[SNAP_LEN];

static void finish(struct ctx *c, const struct op *op)
{
	if (op->undo)
		op->undo(c);
	if (op->unprep)
		op->unprep(c);
}

/*
 * Drive @op with the n-th fault point failing, for every n it has; with
 * @on, every point from the n-th on.
 */
static void drive_mode(struct __test_metadata *_metadata, struct ctx *c,
		       const struct op *op, bool on)
{
	unsigned int n, failed = 0, bad = 0;
	const char *mode = on ? "from the n-th on" : "the n-th";
	bool consumed;
	int ret, ret2;

	c->op = op;
	for (n = 1; n <= MAX_N; n++) {
		/* warm up: the caches hold what the operation uses */
		if (op->prep)
			op->prep(c);
		ret = op->run(c);
		ASSERT_EQ(0, ret) TH_LOG("%s: fails without a fault", op->name);
		if (op->check)
			ASSERT_EQ(0, op->check(c)) TH_LOG("%s: wrong without a fault",
							  op->name);
		finish(c, op);

		snap(c->fd, s0, op->totals, op->any_pcp);
		if (op->prep)
			op->prep(c);
		snap(c->fd, s1, op->totals, op->any_pcp);
		fi_arm(n, on);
		ret = op->run(c);
		consumed = fi_disarm();

		if (ret) {
			failed++;
			snap(c->fd, s2, op->totals, op->any_pcp);
			if (strcmp(s1, s2)) {
				bad++;
				TH_LOG("%s: n=%u failed (%d) and changed the state:",
				       op->name, n, ret);
				show_diff(s1, s2);
			}
			EXPECT_TRUE(consumed) TH_LOG("%s: n=%u: %d without a fault",
						     op->name, n, ret);
			if (op->totals)
				EXPECT_EQ(0, check_lent_data(c))
					TH_LOG("%s: n=%u: data lost", op->name, n);
			ret2 = op->run(c);
			EXPECT_EQ(0, ret2) TH_LOG("%s: n=%u: the next call fails: %d",
						  op->name, n, ret2);
			if (!ret2 && op->check)
				EXPECT_EQ(0, op->check(c))
					TH_LOG("%s: n=%u: the next call is wrong",
					       op->name, n);
			if (!ret2 && op->undo)
				op->undo(c);
			if (op->unprep)
				op->unprep(c);
		} else {
			if (op->check)
				EXPECT_EQ(0, op->check(c))
					TH_LOG("%s: n=%u: succeeded, but wrong",
					       op->name, n);
			finish(c, op);
			snap(c->fd, s2, op->totals, op->any_pcp);
			if (strcmp(op->totals ? s1 : s0, s2)) {
				bad++;
				TH_LOG("%s: n=%u succeeded, undone, and the state changed:",
				       op->name, n);
				show_diff(op->totals ? s1 : s0, s2);
			}
		}
		if (!consumed)
			break;
	}
	EXPECT_EQ(0, bad);
	if (op->fallible)
		EXPECT_LT(0, failed)
			TH_LOG("%s: no fault failed it (is GFP_KERNEL ignored?)",
			       op->name);
	EXPECT_GE(MAX_N, n) TH_LOG("%s: still failing at n=%u", op->name, n);
	ksft_print_msg("%s, %s failing: %u fault points, %u of them failed the call\n",
		       op->name, mode, n - 1, failed);
}

static void drive(struct __test_metadata *_metadata, struct ctx *c,
		  const struct op *op)
{
	drive_mode(_metadata, c, op, false);
	if (!op->nth_only)
		drive_mode(_metadata, c, op, true);
}

static const char *why_not;

/* Grow the stack now, so that no call made armed faults a page in. */
static void __attribute__((noinline)) grow_stack(void)
{
	volatile char buf[256 << 10];

	memset((char *)buf, 0, sizeof(buf));
}

FIXTURE(fault) {
	struct ctx c;
	bool skipped;
};

/* The 6.1 harness runs a test whose setup SKIPped: each test returns. */

FIXTURE_SETUP(fault)
{
	cpu_set_t cpus;

	memset(&self->c, 0, sizeof(self->c));
	self->c.region = ~0U;
	self->c.fd = open(DEV, O_RDWR);
	self->skipped = true;
	if (self->c.fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	why_not = fi_setup();
	if (why_not)
		SKIP(return, "%s", why_not);
	self->skipped = false;
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
	grow_stack();
	ASSERT_EQ(0, mlockall(MCL_CURRENT | MCL_FUTURE));
}

FIXTURE_TEARDOWN(fault)
{
	if (self->c.region != ~0U)
		EXPECT_EQ(0, destroy(self->c.fd, self->c.region));
	fi_teardown();
	if (self->c.fd >= 0)
		close(self->c.fd);
}

/* The operations, in the order of the tests below. */
#define ALLOC(name, ...)						\
	{ name, .fallible = true, .run = run_alloc,			\
	  .check = check_alloc, .undo = undo_free,			\
	  .args = { .node = RESMEM_NODE_ANY, __VA_ARGS__ } }

static const struct op op_open = {
	"open", .fallible = true, .run = run_open, .undo = undo_close,
};

/*
 * Close frees an allocation of every kind at once: more than a per-CPU
 * cache keeps, so the cache flushes a batch to the free lists (as the
 * kernel's free_pcppages_bulk() does), and which pages stay cached depends
 * on what earlier tests left there.  Every free page must be back, cached
 * or not.
 */
static const struct op op_close = {
	"close", .prep = prep_close, .run = run_close, .any_pcp = true,
};

static const struct op op_alloc[] = {
	ALLOC("alloc buddy order 0", .kind = RESMEM_KIND_BUDDY),
	ALLOC("alloc buddy order 3 movable", .kind = RESMEM_KIND_BUDDY,
	      .flags = RESMEM_ALLOC_MOVABLE, .order = 3),
	ALLOC("alloc memarea align 0", .kind = RESMEM_KIND_MEMAREA,
	      .count = 5),
	ALLOC("alloc memarea align 1", .kind = RESMEM_KIND_MEMAREA,
	      .count = 7, .align = 1),
	ALLOC("alloc memarea align 512 offset 1",
	      .kind = RESMEM_KIND_MEMAREA, .count = 3, .align = 512,
	      .offset = 1),
	ALLOC("alloc vcompound contiguous", .kind = RESMEM_KIND_VCOMPOUND,
	      .order = 2),
};

/*
 * vfallback_always: prep sets it, unprep clears it.  The n-th point only:
 * with every point from the n-th on failing, the kernel's own vmalloc
 * (6.1 mm/vmalloc.c, adjust_va_to_fit_type() in __alloc_vmap_area())
 * WARNs when the GFP_NOWAIT split of a free area fails after its preload
 * failed too, a warning of the kernel's about itself, not of resmem.
 */
static const struct op op_fallback[] = {
	{ "alloc vcompound fallback order 4", .fallible = true,
	  .nth_only = true,
	  .prep = prep_vfallback, .run = run_alloc, .check = check_alloc,
	  .undo = undo_free, .unprep = unprep_vfallback,
	  .args = { .kind = RESMEM_KIND_VCOMPOUND, .order = 4,
		    .node = RESMEM_NODE_ANY } },
	{ "alloc vcompound fallback order 10", .fallible = true,
	  .nth_only = true, .prep = prep_vfallback, .run = run_alloc,
	  .check = check_alloc,
	  .undo = undo_free, .unprep = unprep_vfallback,
	  .args = { .kind = RESMEM_KIND_VCOMPOUND, .order = 10,
		    .node = RESMEM_NODE_ANY } },
};

static const struct op op_cma = {
	"alloc cma", .fallible = true, .run = run_cma_buf,
	.check = check_alloc, .undo = undo_free,
};

static const struct op op_takeback = {
	"alloc cma taking back lent memory", .fallible = true, .totals = true,
	.prep = prep_lent, .run = run_takeback, .check = check_lent,
	.undo = undo_free,
};

static const struct op op_handle[] = {
	{ "free", .prep = prep_buddy, .run = run_free },
	{ "query", .prep = prep_buddy, .run = run_query,
	  .unprep = unprep_held },
	{ "pin", .prep = prep_movable, .run = run_pin, .undo = undo_pin,
	  .unprep = unprep_held },
	{ "unpin", .prep = prep_pinned, .run = run_unpin, .undo = undo_unpin,
	  .unprep = unprep_pinned },
	{ "pieces of a fallback", .fallible = true, .prep = prep_fallback,
	  .run = run_pieces, .unprep = unprep_held },
	{ "kfill", .prep = prep_fallback, .run = run_kfill,
	  .unprep = unprep_held },
	{ "get_info with blocks", .run = run_info },
};

static const struct op op_list = {
	"cma_list", .fallible = true, .run = run_list,
};

static const struct op op_create = {
	"cma_create", .fallible = true, .run = run_create,
	.undo = undo_destroy,
};

static const struct op op_destroy = {
	"cma_destroy", .prep = prep_created, .run = run_destroy,
	.unprep = undo_destroy,
};

static const struct op op_map[] = {
	{ "mmap", .fallible = true, .prep = prep_filled, .run = run_mmap,
	  .check = check_mapped, .undo = undo_munmap, .unprep = unprep_held },
	{ "first fault", .nth_only = true, .prep = prep_mapped,
	  .run = run_touch, .check = check_mapped, .unprep = unprep_mapped },
	{ "fork while mapped", .fallible = true, .nth_only = true,
	  .prep = prep_touched, .run = run_fork, .check = check_fork,
	  .unprep = unprep_mapped },
};

static void drive_all(struct __test_metadata *_metadata, struct ctx *c,
		      const struct op *ops, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		drive(_metadata, c, &ops[i]);
}

TEST_F_TIMEOUT(fault, open, 1200)
{
	if (self->skipped)
		return;
	drive(_metadata, &self->c, &op_open);
}

TEST_F_TIMEOUT(fault, close_frees_everything, 1200)
{
	if (self->skipped)
		return;
	ASSERT_EQ(0, create(self->c.fd, "ft", &self->c.region));
	drive(_metadata, &self->c, &op_close);
}

TEST_F_TIMEOUT(fault, alloc_buddy_memarea_vcompound, 1200)
{
	if (self->skipped)
		return;
	drive_all(_metadata, &self->c, op_alloc, ARRAY_SIZE(op_alloc));
}

TEST_F_TIMEOUT(fault, alloc_vcompound_fallback, 1200)
{
	if (self->skipped)
		return;
	drive_all(_metadata, &self->c, op_fallback, ARRAY_SIZE(op_fallback));
}

TEST_F_TIMEOUT(fault, alloc_cma, 1200)
{
	if (self->skipped)
		return;
	ASSERT_EQ(0, create(self->c.fd, "ft", &self->c.region));
	drive(_metadata, &self->c, &op_cma);
}

TEST_F_TIMEOUT(fault, alloc_cma_takes_back, 1200)
{
	struct resmem_cma_create cc = {
		.name = "ft", .size = REGION_PAGES * (__u64)getpagesize(),
		.node = 1,
	};
	struct resmem_cma_region_info e[16];
	int i, nr;

	if (self->skipped)
		return;
	if (ioc(self->c.fd, RESMEM_IOC_CMA_CREATE, &cc)) {
		cc.node = 0;
		ASSERT_EQ(0, ioc(self->c.fd, RESMEM_IOC_CMA_CREATE, &cc));
	}
	self->c.region = cc.id;
	nr = cma_list(self->c.fd, e, 16);
	for (i = 0; i < nr && i < 16; i++)
		if (e[i].id == cc.id)
			self->c.r = e[i];
	ASSERT_EQ(cc.id, self->c.r.id);
	prep_lent(&self->c);
	ASSERT_LT(0, self->c.nlent) TH_LOG("nothing lent in the region");
	drive(_metadata, &self->c, &op_takeback);
	free_lent(&self->c);
}

TEST_F_TIMEOUT(fault, handle_ioctls, 1200)
{
	if (self->skipped)
		return;
	drive_all(_metadata, &self->c, op_handle, ARRAY_SIZE(op_handle));
	ASSERT_EQ(0, create(self->c.fd, "ft", &self->c.region));
	drive(_metadata, &self->c, &op_list);
}

TEST_F_TIMEOUT(fault, cma_create, 1200)
{
	if (self->skipped)
		return;
	drive(_metadata, &self->c, &op_create);
}

TEST_F_TIMEOUT(fault, cma_destroy, 1200)
{
	if (self->skipped)
		return;
	drive(_metadata, &self->c, &op_destroy);
}

TEST_F_TIMEOUT(fault, mmap_fault_fork, 1200)
{
	if (self->skipped)
		return;
	drive_all(_metadata, &self->c, op_map, ARRAY_SIZE(op_map));
}

TEST_HARNESS_MAIN
