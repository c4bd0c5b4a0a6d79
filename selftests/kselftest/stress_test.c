// SPDX-License-Identifier: GPL-2.0
/*
 * Concurrent stress of /dev/resmem (resmem issue 10).
 *
 * N worker processes run seeded random sequences of every ioctl: GET_INFO,
 * ALLOC of every kind (buddy with and without MOVABLE and STRICT_NODE,
 * memarea with every policy and alignment, vcompound, CMA buffers), FREE,
 * QUERY, PIECES, KFILL, PIN/UNPIN, CMA_LIST, with valid arguments and with
 * the rejected ones the ABI documents (each checked for its errno); they
 * mmap their allocations, write a checksummed pattern (RESMEM_KFILL_WORD)
 * through the mapping or through the kernel's (KFILL), check it through
 * both at random times and before every free, map parts, touch a freed
 * mapping (SIGBUS), fork (the child checks, rewrites a buffer, allocates,
 * and without CAP_SYS_ADMIN is refused the admin ioctls), close a file
 * that still has mappings (the data stays), and exit without freeing.
 *
 * Meanwhile, in the parent: one thread takes CMA regions back with large
 * buffers (migrating the workers' movable allocations under them, which
 * must keep their data, and never a pinned one), two threads create and
 * destroy regions at once, and the main thread SIGKILLs workers at random
 * points and respawns them.
 *
 * At the end every surviving buffer (its owner was not killed) is checked
 * once more and freed, the regions the run made are destroyed, and the
 * free page figure (debugfs stats: free_pages + pcp_pages, the buddy's
 * free lists and per-CPU caches, read once every deferred vcompound unmap
 * has run) must equal the one before the run.  stress_test.sh loads and
 * unloads resmem around this program and checks kmemleak and rmmod.
 *
 * Usage: stress_test [--seed N] [--seconds S] [--ops N] [--procs N]
 * The seed comes from --seed, else RESMEM_STRESS_SEED, else the time, and
 * is printed first ("# seed: N"): each worker's and thread's sequence of
 * operations is a function of it (the interleaving and the kill times are
 * not).  --ops N runs until N ioctls were made, --seconds S for S seconds
 * (default 30 when neither is given; with both, whichever comes first).
 *
 * Run as root with resmem loaded with a CMA region named "t" and
 * test_ioctls=1, for the test-only KFILL (see stress_test.sh).  Output is
 * TAP.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uapi/resmem.h>
#include "resmem_test.h"

#define MAX_PROCS	16
#define NBUF		24	/* allocations a worker holds at most */
#define NFD		2	/* open files per worker */
#define NFREED		8	/* freed handles remembered per file */
#define MAX_REGIONS	16
#define NTHREADS	3	/* take-back, two create/destroy */
#define K		0x9e3779b97f4a7c15ULL

/* Counters and flags shared by every process of the run. */
struct slot {
	__u64 ioctls;
	__u64 ops;
	__u64 survivors;	/* buffers checked at the end */
	__u64 verified;		/* checksum checks passed */
	__u64 migrated_seen;	/* movable buffers found moved, data intact */
	__u64 forks;
	__u64 sigbus;
	__u64 spawned;
	__u64 killed;
	__u64 voluntary;	/* exited without freeing */
	__u64 events[4];	/* threads: successes of their kinds */
};

struct shared {
	volatile int stop;
	volatile int failed;
	struct slot w[MAX_PROCS + NTHREADS + 1];	/* the last: parent */
};

static struct shared *sh;
static struct resmem_info info;
static unsigned int vmax;	/* largest vcompound order */
static long psz;
static __u64 master_seed;
static __u32 t_id;		/* region "t" */
static __thread struct slot *me;
static __thread char who[48];

static __u64 mix(__u64 z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64 */
static __u64 rnd(__u64 *s)
{
	*s += K;
	return mix(*s);
}

static __u64 below(__u64 *s, __u64 n)
{
	return n ? rnd(s) % n : 0;
}

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	if (write(1, line, n) < 0)
		return;
}

/* A failure: say what, stop the run; a worker exits with 1. */
#define FAIL(...) do {							\
	say("# FAIL %s (seed %llu) line %d", who,			\
	    (unsigned long long)master_seed, __LINE__);		\
	say("# " __VA_ARGS__);						\
	sh->failed = 1;							\
	sh->stop = 1;							\
	fail_exit();							\
} while (0)

#define CHECK(cond, ...) do {						\
	if (!(cond))							\
		FAIL(__VA_ARGS__);					\
} while (0)

static int is_worker;

static void fail_exit(void)
{
	if (is_worker)
		_exit(1);
	pthread_exit(NULL);
}

static int ioc(int fd, unsigned long cmd, void *arg)
{
	__atomic_fetch_add(&me->ioctls, 1, __ATOMIC_RELAXED);
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static int list_regions(int fd, struct resmem_cma_region_info *e,
			__u32 room)
{
	struct resmem_cma_list l = {
		.nr_regions = room, .region_size = e ? sizeof(*e) : 0,
		.regions_ptr = (uintptr_t)e,
	};
	int ret = ioc(fd, RESMEM_IOC_CMA_LIST, &l);

	if (ret)
		return ret;
	return l.nr_regions < room ? (int)l.nr_regions : (int)room;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void nap_us(__u64 us)
{
	struct timespec t = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&t, NULL);
}

/* ---------------------------------------------------------------- */
/* Workers */

struct buf {
	int used;
	int fdi;
	__u64 handle;
	__u64 size;
	__u64 off;		/* mmap offset */
	__u32 kind;
	__u32 flags;
	__u32 order;
	volatile __u64 *map;	/* the whole allocation, or NULL */
	int written;		/* 0: zeroes expected; 1: pattern of pseed */
	__u64 pseed;
	unsigned int pins;
	__u64 pin_phys;		/* where it was when pinned */
	__u64 phys;		/* where it was last seen */
};

struct worker {
	int id;
	unsigned int gen;
	__u64 rs;
	int fd[NFD];
	struct buf b[NBUF];
	__u64 freed[NFD][NFREED];
	unsigned int nfreed[NFD];
};

static int live_on(const struct worker *w, int fdi, __u64 handle)
{
	int i;

	for (i = 0; i < NBUF; i++)
		if (w->b[i].used && w->b[i].fdi == fdi &&
		    w->b[i].handle == handle)
			return 1;
	return 0;
}

/* Does @off fall inside a live allocation's mmap range on file @fdi? */
static int offset_live_on(const struct worker *w, int fdi, __u64 off)
{
	int i;

	for (i = 0; i < NBUF; i++)
		if (w->b[i].used && w->b[i].fdi == fdi &&
		    off >= w->b[i].off && off - w->b[i].off < w->b[i].size)
			return 1;
	return 0;
}

static __u64 expect_word(const struct buf *b, __u64 off)
{
	return b->written ? RESMEM_KFILL_WORD(b->pseed, off) : 0;
}

static const char *kind_name(__u32 kind)
{
	static const char * const names[] = {
		"buddy", "memarea", "vcompound", "cma"
	};

	return kind <= RESMEM_KIND_MAX ? names[kind] : "?";
}

static __u64 phys_of(struct worker *w, struct buf *b)
{
	struct resmem_query q = { .handle = b->handle };

	if (ioc(w->fd[b->fdi], RESMEM_IOC_QUERY, &q))
		return ~0ULL;
	return q.phys;
}

/*
 * Check a buffer through its mapping (every word, or one in 61 and the
 * last) and, once a pattern was written, through the kernel's (KFILL).
 */
static void verify(struct worker *w, struct buf *b, int full)
{
	__u64 nw = b->size / 8, i, step = full ? 1 : 61, got, want, phys;
	struct resmem_kfill k;
	int ret;

	if (b->map) {
		for (i = 0; i < nw; i += step) {
			got = b->map[i];
			want = expect_word(b, i * 8);
			CHECK(got == want,
			      "%s handle %llu flags %u size %llu: word at byte %llu is %#llx, want %#llx (phys %#llx)",
			      kind_name(b->kind), (unsigned long long)b->handle,
			      b->flags, (unsigned long long)b->size,
			      (unsigned long long)(i * 8),
			      (unsigned long long)got,
			      (unsigned long long)want,
			      (unsigned long long)phys_of(w, b));
		}
		got = b->map[nw - 1];
		want = expect_word(b, (nw - 1) * 8);
		CHECK(got == want, "%s handle %llu: last word %#llx, want %#llx",
		      kind_name(b->kind), (unsigned long long)b->handle,
		      (unsigned long long)got, (unsigned long long)want);
	}
	if (b->written) {
		memset(&k, 0, sizeof(k));
		k.handle = b->handle;
		k.flags = RESMEM_KFILL_CHECK;
		k.seed = b->pseed;
		k.length = b->size;
		ret = ioc(w->fd[b->fdi], RESMEM_IOC_KFILL, &k);
		CHECK(!ret && !k.mismatches && k.first_mismatch == ~0ULL,
		      "%s handle %llu flags %u: KFILL check: %d, %llu mismatches, first at %#llx",
		      kind_name(b->kind), (unsigned long long)b->handle,
		      b->flags, ret, (unsigned long long)k.mismatches,
		      (unsigned long long)k.first_mismatch);
	}
	if (b->pins) {
		phys = phys_of(w, b);
		CHECK(phys == b->pin_phys,
		      "pinned handle %llu moved from %#llx to %#llx",
		      (unsigned long long)b->handle,
		      (unsigned long long)b->pin_phys,
		      (unsigned long long)phys);
	}
	if (b->flags & RESMEM_ALLOC_MOVABLE) {
		phys = phys_of(w, b);
		if (phys != b->phys && b->written)
			me->migrated_seen++;
		b->phys = phys;
	}
	me->verified++;
}

/* Write a new pattern, through the mapping or through KFILL. */
static void write_pattern(struct worker *w, struct buf *b)
{
	struct resmem_kfill k;
	__u64 i, nw = b->size / 8;
	int ret;

	b->pseed = rnd(&w->rs);
	if (b->map && below(&w->rs, 2)) {
		b->written = 0;		/* torn while writing: not checkable */
		for (i = 0; i < nw; i++)
			b->map[i] = RESMEM_KFILL_WORD(b->pseed, i * 8);
		b->written = 1;
		return;
	}
	memset(&k, 0, sizeof(k));
	k.handle = b->handle;
	k.seed = b->pseed;
	k.length = b->size;
	ret = ioc(w->fd[b->fdi], RESMEM_IOC_KFILL, &k);
	CHECK(!ret, "KFILL write of handle %llu: %d",
	      (unsigned long long)b->handle, ret);
	b->written = 1;
}

static int map_buf(struct worker *w, struct buf *b)
{
	void *p = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       w->fd[b->fdi], b->off);

	CHECK(p != MAP_FAILED, "mmap of %s handle %llu size %llu: %s",
	      kind_name(b->kind), (unsigned long long)b->handle,
	      (unsigned long long)b->size, strerror(errno));
	b->map = p;
	return 0;
}

/* QUERY matches what was asked; @node: the strict node, or -1. */
static void check_query(struct worker *w, struct buf *b, int node)
{
	struct resmem_query q = { .handle = b->handle };
	int ret = ioc(w->fd[b->fdi], RESMEM_IOC_QUERY, &q);

	CHECK(!ret, "QUERY of live handle %llu: %d",
	      (unsigned long long)b->handle, ret);
	CHECK(q.kind == b->kind && q.alloc_flags == b->flags &&
	      q.mmap_offset == b->off && q.phys && !q.pad,
	      "QUERY of handle %llu: kind %u flags %u offset %#llx phys %#llx, want kind %u flags %u offset %#llx",
	      (unsigned long long)b->handle, q.kind, q.alloc_flags,
	      (unsigned long long)q.mmap_offset, (unsigned long long)q.phys,
	      b->kind, b->flags, (unsigned long long)b->off);
	if (b->kind == RESMEM_KIND_BUDDY || b->kind == RESMEM_KIND_VCOMPOUND)
		CHECK(q.order == b->order && q.size == b->size,
		      "QUERY of handle %llu: order %u size %llu, want %u %llu",
		      (unsigned long long)b->handle, q.order,
		      (unsigned long long)q.size, b->order,
		      (unsigned long long)b->size);
	if (node >= 0)
		CHECK(q.node == node,
		      "strict allocation %llu on node %d, asked for %d",
		      (unsigned long long)b->handle, q.node, node);
}

static int free_slot(struct worker *w)
{
	int i, n = below(&w->rs, NBUF);

	for (i = 0; i < NBUF; i++)
		if (!w->b[(n + i) % NBUF].used)
			return (n + i) % NBUF;
	return -1;
}

static struct buf *pick(struct worker *w)
{
	int i, n = below(&w->rs, NBUF);

	for (i = 0; i < NBUF; i++)
		if (w->b[(n + i) % NBUF].used)
			return &w->b[(n + i) % NBUF];
	return NULL;
}

static void pick_node(struct worker *w, struct resmem_alloc *a)
{
	switch (below(&w->rs, 4)) {
	case 0:
	case 1:
		a->node = RESMEM_NODE_ANY;
		break;
	case 2:
		a->node = below(&w->rs, 2);
		break;
	default:
		a->node = below(&w->rs, 2);
		a->flags |= RESMEM_ALLOC_STRICT_NODE;
	}
}

static void op_alloc(struct worker *w)
{
	static const __u64 aligns[] = { 0, 1, 2, 8, 64, 512 };
	struct resmem_cma_region_info e[MAX_REGIONS];
	struct resmem_alloc a;
	__u64 want;
	int s = free_slot(w), ret, n;
	struct buf *b;

	if (s < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.kind = below(&w->rs, 4);
	switch (a.kind) {
	case RESMEM_KIND_BUDDY:
		a.order = below(&w->rs, 32) ? below(&w->rs, 7) :
			  below(&w->rs, info.max_order + 1);
		pick_node(w, &a);
		if (below(&w->rs, 2))
			a.flags |= RESMEM_ALLOC_MOVABLE;
		want = (__u64)psz << a.order;
		break;
	case RESMEM_KIND_MEMAREA:
		a.count = 1 + below(&w->rs, below(&w->rs, 3) ? 16 : 700);
		a.align = aligns[below(&w->rs, 6)];
		a.offset = a.align > 1 ? below(&w->rs, a.align) : 0;
		a.policy = below(&w->rs, RESMEM_POLICY_MAX + 1);
		pick_node(w, &a);
		want = a.count * psz;
		break;
	case RESMEM_KIND_VCOMPOUND:
		a.order = below(&w->rs, 64) ? below(&w->rs, 9) :
			  below(&w->rs, (vmax < 12 ? vmax : 12) + 1);
		pick_node(w, &a);
		want = (__u64)psz << a.order;
		break;
	default:
		n = list_regions(w->fd[0], e, MAX_REGIONS);
		CHECK(n >= 1, "CMA_LIST: %d", n);
		a.region = e[below(&w->rs, n)].id;
		a.node = RESMEM_NODE_ANY;
		a.count = 1 + below(&w->rs, 64);
		a.align = aligns[below(&w->rs, 4)];
		want = a.count * psz;
	}
	b = &w->b[s];
	b->fdi = below(&w->rs, NFD);
	ret = ioc(w->fd[b->fdi], RESMEM_IOC_ALLOC, &a);
	if (ret == -ENOMEM || (a.kind == RESMEM_KIND_CMA &&
			       (ret == -EBUSY || ret == -ENOENT)))
		return;
	CHECK(!ret, "ALLOC %s order %u count %llu align %llu+%llu pol %u node %d fl %u in %u: %d",
	      kind_name(a.kind), a.order, (unsigned long long)a.count,
	      (unsigned long long)a.align, (unsigned long long)a.offset,
	      a.policy, a.node, a.flags, a.region, ret);
	CHECK(a.handle && a.size == want,
	      "ALLOC %s: handle %llu size %llu, want %llu",
	      kind_name(a.kind), (unsigned long long)a.handle,
	      (unsigned long long)a.size, (unsigned long long)want);
	b->used = 1;
	b->handle = a.handle;
	b->size = a.size;
	b->off = a.mmap_offset;
	b->kind = a.kind;
	b->flags = a.flags;
	b->order = a.order;
	b->map = NULL;
	b->written = 0;
	b->pins = 0;
	check_query(w, b, a.flags & RESMEM_ALLOC_STRICT_NODE ? a.node : -1);
	b->phys = phys_of(w, b);
	if (below(&w->rs, 4)) {
		map_buf(w, b);
		verify(w, b, b->size <= 65536);
		write_pattern(w, b);
	}
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

static void forget(struct worker *w, struct buf *b)
{
	unsigned int *n = &w->nfreed[b->fdi];

	w->freed[b->fdi][(*n)++ % NFREED] = b->handle;
	b->used = 0;
}

static void op_free(struct worker *w, struct buf *b)
{
	struct resmem_free f = { .handle = b->handle };
	struct resmem_query q = { .handle = b->handle };
	volatile __u64 *map = b->map;
	int ret, fd = w->fd[b->fdi], touch;

	verify(w, b, 1);
	while (b->pins) {
		struct resmem_pin p = { .handle = b->handle };

		ret = ioc(fd, RESMEM_IOC_UNPIN, &p);
		CHECK(!ret, "UNPIN of pinned handle %llu: %d",
		      (unsigned long long)b->handle, ret);
		b->pins--;
	}
	touch = map && !below(&w->rs, 4);
	if (map && !touch)
		munmap((void *)map, b->size);
	ret = ioc(fd, RESMEM_IOC_FREE, &f);
	CHECK(!ret, "FREE of %s handle %llu: %d", kind_name(b->kind),
	      (unsigned long long)b->handle, ret);
	if (touch) {
		/* freed: the mapping is torn down, a touch gets SIGBUS */
		struct sigaction sa = { .sa_handler = on_sigbus }, old;
		volatile int bus = 0;

		sigaction(SIGBUS, &sa, &old);
		if (!sigsetjmp(bus_jmp, 1))
			map[below(&w->rs, b->size / 8)] = 1;
		else
			bus = 1;
		sigaction(SIGBUS, &old, NULL);
		CHECK(bus, "freed %s handle %llu still mapped",
		      kind_name(b->kind), (unsigned long long)b->handle);
		me->sigbus++;
		munmap((void *)map, b->size);
	}
	ret = ioc(fd, RESMEM_IOC_FREE, &f);
	CHECK(ret == -ENOENT, "FREE of freed handle %llu: %d",
	      (unsigned long long)b->handle, ret);
	ret = ioc(fd, RESMEM_IOC_QUERY, &q);
	CHECK(ret == -ENOENT, "QUERY of freed handle %llu: %d",
	      (unsigned long long)b->handle, ret);
	forget(w, b);
}

static void op_pieces(struct worker *w, struct buf *b)
{
	struct resmem_piece_info p[16];
	struct resmem_pieces q = { .handle = b->handle };
	__u64 off = 0;
	__u32 n, i;
	int ret = ioc(w->fd[b->fdi], RESMEM_IOC_PIECES, &q);

	CHECK(!ret && q.nr_pieces >= 1, "PIECES count of handle %llu: %d, %u",
	      (unsigned long long)b->handle, ret, q.nr_pieces);
	n = q.nr_pieces;
	if (b->kind != RESMEM_KIND_VCOMPOUND)
		CHECK(n == 1, "%s handle %llu in %u pieces",
		      kind_name(b->kind), (unsigned long long)b->handle, n);
	memset(p, 0, sizeof(p));
	q = (struct resmem_pieces){
		.handle = b->handle, .nr_pieces = 16,
		.piece_size = sizeof(p[0]), .pieces_ptr = (uintptr_t)p,
	};
	ret = ioc(w->fd[b->fdi], RESMEM_IOC_PIECES, &q);
	CHECK(!ret && q.nr_pieces == n, "PIECES of handle %llu: %d, %u then %u",
	      (unsigned long long)b->handle, ret, n, q.nr_pieces);
	for (i = 0; i < n && i < 16; i++) {
		CHECK(p[i].offset == off && p[i].size && p[i].phys,
		      "piece %u of handle %llu: offset %llu size %llu, want offset %llu",
		      i, (unsigned long long)b->handle,
		      (unsigned long long)p[i].offset,
		      (unsigned long long)p[i].size,
		      (unsigned long long)off);
		if (b->kind == RESMEM_KIND_BUDDY ||
		    b->kind == RESMEM_KIND_VCOMPOUND)
			CHECK(p[i].size == (__u64)psz << p[i].order,
			      "piece %u of handle %llu: size %llu order %u",
			      i, (unsigned long long)b->handle,
			      (unsigned long long)p[i].size, p[i].order);
		off += p[i].size;
	}
	if (n <= 16)
		CHECK(off == b->size, "pieces of handle %llu cover %llu of %llu",
		      (unsigned long long)b->handle, (unsigned long long)off,
		      (unsigned long long)b->size);
}

static void op_pin(struct worker *w, struct buf *b)
{
	struct resmem_pin p = { .handle = b->handle };
	int fd = w->fd[b->fdi], ret;

	if (b->kind != RESMEM_KIND_BUDDY || !(b->flags & RESMEM_ALLOC_MOVABLE)) {
		ret = ioc(fd, RESMEM_IOC_PIN, &p);
		CHECK(ret == -EINVAL, "PIN of not movable %s: %d",
		      kind_name(b->kind), ret);
		return;
	}
	if (b->pins && below(&w->rs, 2)) {
		ret = ioc(fd, RESMEM_IOC_UNPIN, &p);
		CHECK(!ret, "UNPIN: %d", ret);
		b->pins--;
		if (!b->pins) {
			ret = ioc(fd, RESMEM_IOC_UNPIN, &p);
			CHECK(ret == -EINVAL, "UNPIN of unpinned: %d", ret);
		}
		return;
	}
	if (b->pins < 3) {
		ret = ioc(fd, RESMEM_IOC_PIN, &p);
		CHECK(!ret, "PIN: %d", ret);
		if (!b->pins++)
			b->pin_phys = phys_of(w, b);
	}
}

/* A page range of the allocation, mapped read-only, checked. */
static void op_part(struct worker *w, struct buf *b)
{
	__u64 pages = b->size / psz, first = below(&w->rs, pages), n, i;
	volatile __u64 *p;

	n = 1 + below(&w->rs, pages - first < 16 ? pages - first : 16);
	p = mmap(NULL, n * psz, PROT_READ, MAP_SHARED, w->fd[b->fdi],
		 b->off + first * psz);
	CHECK(p != MAP_FAILED, "mmap of pages %llu+%llu of handle %llu: %s",
	      (unsigned long long)first, (unsigned long long)n,
	      (unsigned long long)b->handle, strerror(errno));
	for (i = 0; i < n * psz / 8; i += 7)
		CHECK(p[i] == expect_word(b, first * psz + i * 8),
		      "partial map of handle %llu: word %llu is %#llx",
		      (unsigned long long)b->handle,
		      (unsigned long long)(first * psz / 8 + i),
		      (unsigned long long)p[i]);
	munmap((void *)p, n * psz);
}

/* Close a file that still has mappings: they keep the data. */
static void op_close(struct worker *w)
{
	int fdi = below(&w->rs, NFD), i;

	close(w->fd[fdi]);
	for (i = 0; i < NBUF; i++) {
		struct buf *b = &w->b[i];

		if (!b->used || b->fdi != fdi)
			continue;
		if (b->map) {
			__u64 j, nw = b->size / 8;

			for (j = 0; j < nw; j += 17)
				CHECK(b->map[j] == expect_word(b, j * 8),
				      "after close, %s handle %llu word %llu is %#llx",
				      kind_name(b->kind),
				      (unsigned long long)b->handle,
				      (unsigned long long)j,
				      (unsigned long long)b->map[j]);
			munmap((void *)b->map, b->size);
		}
		b->used = 0;
	}
	w->nfreed[fdi] = 0;
	w->fd[fdi] = open(DEV, O_RDWR);
	CHECK(w->fd[fdi] >= 0, "reopen: %s", strerror(errno));
}

/*
 * The child shares the files and mappings: it checks, rewrites one buffer
 * (the parent then sees the new pattern), allocates and frees, and without
 * CAP_SYS_ADMIN is refused the admin ioctls and physical addresses.
 */
static void op_fork(struct worker *w)
{
	struct buf *b = pick(w);
	__u64 nseed = rnd(&w->rs), cs = rnd(&w->rs);
	int status, i;
	pid_t pid;

	if (b && !b->map)
		b = NULL;
	me->forks++;
	pid = fork();
	CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		struct resmem_cma_create c = { .name = "nocap", .size = 2 << 20,
					       .node = RESMEM_NODE_ANY };
		struct resmem_cma_destroy d = { .id = t_id };
		struct resmem_alloc a = { .node = RESMEM_NODE_ANY };
		struct resmem_free f = { 0 };
		struct resmem_info in = { 0 };
		int ret;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(0);
		snprintf(who, sizeof(who), "worker %d gen %u child", w->id,
			 w->gen);
		for (i = 0; i < NBUF; i++)
			if (w->b[i].used && (cs >> i) & 1)
				verify(w, &w->b[i], 0);
		if (b) {
			__u64 j;

			for (j = 0; j < b->size / 8; j++)
				b->map[j] = RESMEM_KFILL_WORD(nseed, j * 8);
		}
		a.order = cs % 4;
		ret = ioc(w->fd[0], RESMEM_IOC_ALLOC, &a);
		CHECK(!ret || ret == -ENOMEM, "child ALLOC: %d", ret);
		if (!ret) {
			f.handle = a.handle;
			ret = ioc(w->fd[0], RESMEM_IOC_FREE, &f);
			CHECK(!ret, "child FREE: %d", ret);
		}
		if (cs & (1ULL << 40)) {
			CHECK(!drop_sys_admin(), "capset: %s", strerror(errno));
			ret = ioc(w->fd[0], RESMEM_IOC_CMA_CREATE, &c);
			CHECK(ret == -EPERM, "CMA_CREATE without CAP_SYS_ADMIN: %d",
			      ret);
			ret = ioc(w->fd[0], RESMEM_IOC_CMA_DESTROY, &d);
			CHECK(ret == -EPERM, "CMA_DESTROY without CAP_SYS_ADMIN: %d",
			      ret);
			ret = ioc(w->fd[0], RESMEM_IOC_GET_INFO, &in);
			CHECK(!ret && !(in.features & RESMEM_FEAT_PHYS_ADDR),
			      "GET_INFO without CAP_SYS_ADMIN: %d, features %#llx",
			      ret, (unsigned long long)in.features);
			for (i = 0; i < NBUF; i++) {
				struct resmem_query q = {
					.handle = w->b[i].handle
				};

				if (!w->b[i].used)
					continue;
				ret = ioc(w->fd[w->b[i].fdi], RESMEM_IOC_QUERY,
					  &q);
				CHECK(!ret && !q.phys,
				      "QUERY without CAP_SYS_ADMIN: %d, phys %#llx",
				      ret, (unsigned long long)q.phys);
			}
		}
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "forked child: status %#x", status);
	if (b) {
		b->pseed = nseed;
		b->written = 1;
		verify(w, b, 1);
	}
}

/* Handles of the other file, freed handles, unknown ones: -ENOENT. */
static void op_foreign(struct worker *w, struct buf *b)
{
	int other = !b->fdi, fd = w->fd[other], ret;
	struct resmem_query q = { 0 };
	struct resmem_free f = { 0 };
	struct resmem_pieces pc = { 0 };
	struct resmem_kfill k = { 0 };
	struct resmem_pin pin = { 0 };
	__u64 h = b->handle;
	void *p;

	if (below(&w->rs, 2) && w->nfreed[other]) {
		unsigned int n = w->nfreed[other];

		h = w->freed[other][below(&w->rs, n < NFREED ? n : NFREED)];
	} else if (below(&w->rs, 3) == 0) {
		h = below(&w->rs, 2) ? ~0ULL : rnd(&w->rs);
	}
	if (!h || !live_on(w, other, h)) {
		q.handle = h;
		ret = ioc(fd, RESMEM_IOC_QUERY, &q);
		CHECK(ret == -ENOENT, "QUERY of handle %llu not of this file: %d",
		      (unsigned long long)h, ret);
		f.handle = h;
		ret = ioc(fd, RESMEM_IOC_FREE, &f);
		CHECK(ret == -ENOENT, "FREE of handle %llu not of this file: %d",
		      (unsigned long long)h, ret);
		pc.handle = h;
		ret = ioc(fd, RESMEM_IOC_PIECES, &pc);
		CHECK(ret == -ENOENT, "PIECES of handle %llu not of this file: %d",
		      (unsigned long long)h, ret);
		k.handle = h;
		k.length = 8;
		ret = ioc(fd, RESMEM_IOC_KFILL, &k);
		CHECK(ret == -ENOENT, "KFILL of handle %llu not of this file: %d",
		      (unsigned long long)h, ret);
		pin.handle = h;
		ret = ioc(fd, RESMEM_IOC_PIN, &pin);
		CHECK(ret == -ENOENT, "PIN of handle %llu not of this file: %d",
		      (unsigned long long)h, ret);
	}
	if (!offset_live_on(w, other, b->off)) {
		p = mmap(NULL, psz, PROT_READ, MAP_SHARED, fd, b->off);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "mmap of another file's offset %#llx: %s",
		      (unsigned long long)b->off,
		      p == MAP_FAILED ? strerror(errno) : "mapped");
	}
}

/* One rejected argument, picked at random; the ABI's errno. */
static void op_invalid(struct worker *w, struct buf *b)
{
	struct resmem_alloc a = { .node = RESMEM_NODE_ANY };
	struct resmem_free f = { .handle = b ? b->handle : 0 };
	struct resmem_query q = { .handle = f.handle };
	struct resmem_pieces pc = { .handle = f.handle };
	struct resmem_kfill k = { .handle = f.handle };
	struct resmem_pin pin = { .handle = f.handle };
	struct resmem_cma_create c = { .name = "bad", .size = 2 << 20,
				       .node = RESMEM_NODE_ANY };
	struct resmem_cma_destroy d = { .id = t_id };
	struct resmem_cma_list l = { 0 };
	struct resmem_info in = { 0 };
	struct resmem_piece_info pi[2];
	int fd = b ? w->fd[b->fdi] : w->fd[0], ret, exp = EINVAL, kase;
	unsigned long cmd = RESMEM_IOC_ALLOC;
	void *arg = &a;
	__u64 big[16] = { 0 };
	void *p;

	kase = below(&w->rs, b ? 44 : 26);
	switch (kase) {
	case 0:
		a.kind = RESMEM_KIND_MAX + 1 + below(&w->rs, 100);
		break;
	case 1:
		a.flags = 1U << (2 + below(&w->rs, 30));
		break;
	case 2:
		a.order = info.max_order + 1 + below(&w->rs, 4);
		break;
	case 3:
		a.node = below(&w->rs, 2) ? 7 : 1 << 20;
		break;
	case 4:
		a.node = -2 - (int)below(&w->rs, 100);
		break;
	case 5:
		a.flags = RESMEM_ALLOC_STRICT_NODE;
		break;
	case 6:
		if (below(&w->rs, 3) == 0)
			a.pad = 1;
		else if (below(&w->rs, 2))
			a.pad2 = 1;
		else
			a.reserved[0] = 1;
		a.kind = below(&w->rs, 3);
		a.count = a.kind == RESMEM_KIND_MEMAREA;
		break;
	case 7:
		if (below(&w->rs, 2))
			a.count = 1;
		else if (below(&w->rs, 2))
			a.align = 1;
		else if (below(&w->rs, 2))
			a.offset = 1;
		else
			a.policy = 1;
		break;
	case 8:
		if (below(&w->rs, 2))
			a.size = psz;
		else
			a.mmap_offset = 1;
		break;
	case 9:
		a.region = 1 + below(&w->rs, 5);
		break;
	case 10:
		a.kind = RESMEM_KIND_MEMAREA;
		a.count = 0;
		break;
	case 11:
		a.kind = RESMEM_KIND_MEMAREA;
		a.count = 1;
		a.align = 3 + 2 * below(&w->rs, 100);
		break;
	case 12:
		a.kind = RESMEM_KIND_MEMAREA;
		a.count = 1;
		a.align = 1ULL << below(&w->rs, 10);
		a.offset = a.align + below(&w->rs, 8);
		break;
	case 13:
		a.kind = RESMEM_KIND_MEMAREA;
		a.count = 1;
		a.policy = RESMEM_POLICY_MAX + 1 + below(&w->rs, 9);
		break;
	case 14:
		a.kind = RESMEM_KIND_MEMAREA;
		a.count = 1;
		a.order = 1 + below(&w->rs, 4);
		break;
	case 15:
		a.kind = RESMEM_KIND_VCOMPOUND;
		a.flags = RESMEM_ALLOC_MOVABLE;
		break;
	case 16:
		a.kind = RESMEM_KIND_VCOMPOUND;
		a.order = vmax + 1 + below(&w->rs, 3);
		break;
	case 17:
		a.kind = RESMEM_KIND_CMA;
		a.region = t_id;
		a.count = 0;
		break;
	case 18:
		a.kind = RESMEM_KIND_CMA;
		a.region = t_id;
		a.count = 1;
		a.align = 3;
		break;
	case 19:
		a.kind = RESMEM_KIND_CMA;
		a.region = 0xfffffff0U;
		a.count = 1;
		exp = ENOENT;
		break;
	case 20:
		a.kind = RESMEM_KIND_CMA;
		a.region = t_id;
		a.count = 1;
		if (below(&w->rs, 2))
			a.flags = RESMEM_ALLOC_MOVABLE;
		else
			a.order = 1;
		break;
	case 21:
		cmd = RESMEM_IOC_CMA_CREATE;
		arg = &c;
		switch (below(&w->rs, 5)) {
		case 0:
			c.flags = 1;
			break;
		case 1:
			c.name[0] = 'B';
			break;
		case 2:
			c.size = 3 << 20;
			break;
		case 3:
			/* not NUL-padded */
			memcpy(c.name, "t\0d", 3);
			break;
		default:
			memset(c.name, 0, sizeof(c.name));
			c.name[0] = 't';
			exp = EEXIST;
		}
		break;
	case 22:
		cmd = RESMEM_IOC_CMA_DESTROY;
		arg = &d;
		if (below(&w->rs, 2)) {
			d.flags = 1;
		} else {
			d.id = 0xfffffff0U;
			exp = ENOENT;
		}
		break;
	case 23:
		cmd = RESMEM_IOC_CMA_LIST;
		arg = &l;
		if (below(&w->rs, 2))
			l.nr_regions = 1;
		else
			l.pad = 1;
		break;
	case 24:
		cmd = RESMEM_IOC_GET_INFO;
		arg = &in;
		if (below(&w->rs, 2))
			in.flags = 1;
		else
			in.reserved[below(&w->rs, 3)] = 1;
		break;
	case 25:
		/* unknown number, wrong magic, too small, larger and not 0 */
		arg = big;
		switch (below(&w->rs, 4)) {
		case 0:
			/* far from the numbers in use, and new ones */
			cmd = _IOWR(RESMEM_IOC_MAGIC, 0xc0 + below(&w->rs, 0x40),
				    struct resmem_info);
			exp = ENOTTY;
			break;
		case 1:
			cmd = _IOWR(RESMEM_IOC_MAGIC + 1, 0x01,
				    struct resmem_alloc);
			exp = ENOTTY;
			break;
		case 2:
			cmd = _IOC(_IOC_READ | _IOC_WRITE, RESMEM_IOC_MAGIC,
				   0x01, 8);
			break;
		default:
			big[12] = 1;	/* byte 96, past the v1 struct */
			cmd = _IOC(_IOC_READ | _IOC_WRITE, RESMEM_IOC_MAGIC,
				   0x01, sizeof(big));
			exp = E2BIG;
		}
		break;
	/* the cases below need an allocation of this file */
	case 26:
		cmd = RESMEM_IOC_FREE;
		arg = &f;
		if (below(&w->rs, 2))
			f.flags = 1;
		else
			f.pad = 1;
		break;
	case 27:
		cmd = RESMEM_IOC_QUERY;
		arg = &q;
		switch (below(&w->rs, 3)) {
		case 0:
			q.flags = 1;
			break;
		case 1:
			q.reserved[below(&w->rs, 4)] = 1;
			break;
		default:
			q.size = 1;
		}
		break;
	case 28:
		cmd = RESMEM_IOC_PIECES;
		arg = &pc;
		switch (below(&w->rs, 4)) {
		case 0:
			pc.flags = 1;
			break;
		case 1:
			pc.pad = 1;
			break;
		case 2:
			pc.reserved[below(&w->rs, 2)] = 1;
			break;
		default:
			pc.nr_pieces = 1;
		}
		break;
	case 29:
		cmd = RESMEM_IOC_PIECES;
		arg = &pc;
		pc.nr_pieces = 1;
		pc.pieces_ptr = (uintptr_t)pi;
		pc.piece_size = below(&w->rs, 2) ?
				RESMEM_PIECE_INFO_SIZE_V1 - 8 : 4096;
		break;
	case 30:
		cmd = RESMEM_IOC_PIECES;
		arg = &pc;
		pc.nr_pieces = 1;
		pc.piece_size = sizeof(pi[0]);
		pc.pieces_ptr = 8;
		exp = EFAULT;
		break;
	case 31:
		cmd = RESMEM_IOC_KFILL;
		arg = &k;
		k.length = 8;
		switch (below(&w->rs, 5)) {
		case 0:
			k.flags = 2;
			break;
		case 1:
			k.pad = 1;
			break;
		case 2:
			k.reserved[below(&w->rs, 2)] = 1;
			break;
		case 3:
			k.mismatches = 1;
			break;
		default:
			k.first_mismatch = 1;
		}
		break;
	case 32:
		cmd = RESMEM_IOC_KFILL;
		arg = &k;
		k.flags = RESMEM_KFILL_CHECK;
		if (below(&w->rs, 2))
			k.offset = 1 + below(&w->rs, 7);
		else
			k.length = 1 + below(&w->rs, 7);
		break;
	case 33:
		cmd = RESMEM_IOC_KFILL;
		arg = &k;
		k.flags = RESMEM_KFILL_CHECK;
		k.offset = b->size - 8 * below(&w->rs, 4);
		k.length = 8 * (1 + below(&w->rs, 4)) +
			   (b->size - k.offset);
		break;
	case 34:
		cmd = RESMEM_IOC_PIN;
		arg = &pin;
		if (below(&w->rs, 2))
			pin.flags = 1;
		else
			pin.pad = 1;
		break;
	case 35:
		if (b->pins)
			return;
		cmd = RESMEM_IOC_UNPIN;
		arg = &pin;
		break;
	case 36:
	case 37:
		p = mmap(NULL, b->size, PROT_READ, MAP_PRIVATE, fd, b->off);
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "MAP_PRIVATE of %s: %s", kind_name(b->kind),
		      p == MAP_FAILED ? strerror(errno) : "mapped");
		return;
	case 38:
	case 39:
		p = mmap(NULL, b->size + psz, PROT_READ, MAP_SHARED, fd,
			 b->off);
		if (offset_live_on(w, b->fdi, b->off + b->size)) {
			if (p != MAP_FAILED)
				munmap(p, b->size + psz);
			return;
		}
		CHECK(p == MAP_FAILED && errno == EINVAL,
		      "mmap past the end of %s: %s", kind_name(b->kind),
		      p == MAP_FAILED ? strerror(errno) : "mapped");
		return;
	default:
		op_foreign(w, b);
		return;
	}
	ret = ioc(fd, cmd, arg);
	CHECK(ret == -exp, "rejection case %d: %d, want %d (kind %u flags %#x order %u node %d)",
	      kase, ret, -exp, a.kind, a.flags, a.order, a.node);
}

static void op_info(struct worker *w)
{
	struct resmem_info in = { 0 };
	int ret = ioc(w->fd[below(&w->rs, NFD)], RESMEM_IOC_GET_INFO, &in);

	CHECK(!ret && in.abi_version == info.abi_version &&
	      in.features == info.features &&
	      in.total_pages == info.total_pages &&
	      in.meta_pages == info.meta_pages &&
	      in.max_order == info.max_order,
	      "GET_INFO: %d, abi %u features %#llx total %llu meta %llu",
	      ret, in.abi_version, (unsigned long long)in.features,
	      (unsigned long long)in.total_pages,
	      (unsigned long long)in.meta_pages);
}

static void op_list(struct worker *w)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	int n = list_regions(w->fd[0], e, MAX_REGIONS), i;

	CHECK(n >= 1, "CMA_LIST: %d", n);
	for (i = 0; i < n; i++)
		CHECK(e[i].size && !(e[i].size % (psz << info.pb_order)) &&
		      e[i].used * psz <= e[i].size &&
		      e[i].lent * psz <= e[i].size &&
		      e[i].maxchunk * psz <= e[i].size && e[i].base,
		      "region %s: size %llu used %llu lent %llu maxchunk %llu",
		      e[i].name, (unsigned long long)e[i].size,
		      (unsigned long long)e[i].used,
		      (unsigned long long)e[i].lent,
		      (unsigned long long)e[i].maxchunk);
}

static void worker_end(struct worker *w)
{
	int i;

	for (i = 0; i < NBUF; i++) {
		if (!w->b[i].used)
			continue;
		me->survivors++;
		op_free(w, &w->b[i]);	/* checks every word first */
	}
	for (i = 0; i < NFD; i++)
		close(w->fd[i]);
	_exit(0);
}

static void worker(int id, unsigned int gen)
{
	struct worker *w = calloc(1, sizeof(*w));
	struct buf *b;
	int i;

	is_worker = 1;
	me = &sh->w[id];
	snprintf(who, sizeof(who), "worker %d gen %u", id, gen);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (!w)
		FAIL("calloc");
	w->id = id;
	w->gen = gen;
	w->rs = mix(master_seed ^ mix(((__u64)id << 32) | gen));
	for (i = 0; i < NFD; i++) {
		w->fd[i] = open(DEV, O_RDWR);
		CHECK(w->fd[i] >= 0, "open: %s", strerror(errno));
	}
	while (!sh->stop) {
		unsigned int r = below(&w->rs, 1000);

		me->ops++;
		b = pick(w);
		if (r < 200 || !b) {
			op_alloc(w);
		} else if (r < 330) {
			op_free(w, b);
		} else if (r < 400) {
			verify(w, b, below(&w->rs, 4) == 0);
		} else if (r < 450) {
			if (!b->map)
				map_buf(w, b);
			write_pattern(w, b);
			verify(w, b, 0);
		} else if (r < 550) {
			check_query(w, b, -1);
		} else if (r < 600) {
			op_pieces(w, b);
		} else if (r < 650) {
			op_pin(w, b);
		} else if (r < 680) {
			if (!b->map)
				map_buf(w, b);
			op_part(w, b);
		} else if (r < 900) {
			op_invalid(w, below(&w->rs, 8) ? b : NULL);
		} else if (r < 940) {
			op_info(w);
		} else if (r < 980) {
			op_list(w);
		} else if (r < 990) {
			op_fork(w);
		} else if (r < 998) {
			op_close(w);
		} else if (!below(&w->rs, 8)) {
			me->voluntary++;
			_exit(3);	/* no free, no close: exit frees */
		}
	}
	worker_end(w);
}

/* ---------------------------------------------------------------- */
/* The parent's threads */

struct thr {
	int id;
	pthread_t th;
	__u64 rs;
	int fd;
};

static void thread_init(struct thr *t, const char *name)
{
	me = &sh->w[MAX_PROCS + t->id];
	snprintf(who, sizeof(who), "%s thread", name);
	t->rs = mix(master_seed ^ mix(0xabcdef00ULL + t->id));
	t->fd = open(DEV, O_RDWR);
	CHECK(t->fd >= 0, "open: %s", strerror(errno));
}

/* The size of region @id now, or 0. */
static __u64 region_size(int fd, __u32 id)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	int n = list_regions(fd, e, MAX_REGIONS), i;

	for (i = 0; i < n; i++)
		if (e[i].id == id)
			return e[i].size;
	return 0;
}

/* Large buffers from the regions: migrates what the workers lent. */
static void *takeback(void *arg)
{
	struct thr *t = arg;
	struct resmem_cma_region_info e[MAX_REGIONS];
	struct resmem_alloc a;
	struct resmem_free f = { 0 };
	volatile __u64 *p;
	__u64 i, pages, seed;
	int n, ret;

	thread_init(t, "take-back");
	while (!sh->stop) {
		n = list_regions(t->fd, e, MAX_REGIONS);
		CHECK(n >= 1, "CMA_LIST: %d", n);
		/* region t half of the time, else any */
		i = below(&t->rs, n);
		if (below(&t->rs, 2))
			for (i = 0; i < (__u64)n - 1 && e[i].id != t_id; i++)
				;
		pages = e[i].size / psz;
		memset(&a, 0, sizeof(a));
		a.kind = RESMEM_KIND_CMA;
		a.node = RESMEM_NODE_ANY;
		a.region = e[i].id;
		a.count = pages / 4 + below(&t->rs, pages * 5 / 8);
		a.align = below(&t->rs, 2) ? 0 : 512;
		ret = ioc(t->fd, RESMEM_IOC_ALLOC, &a);
		/* a creator thread made a smaller region with this id */
		if (ret == -EINVAL && e[i].id != t_id &&
		    region_size(t->fd, e[i].id) < a.count * psz)
			ret = -ENOENT;
		if (ret == -EBUSY || ret == -ENOMEM || ret == -ENOENT) {
			nap_us(below(&t->rs, 5000));
			continue;
		}
		CHECK(!ret, "CMA ALLOC of %llu pages in %s: %d",
		      (unsigned long long)a.count, e[i].name, ret);
		me->events[0]++;
		p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 t->fd, a.mmap_offset);
		CHECK(p != MAP_FAILED, "mmap of a CMA buffer: %s",
		      strerror(errno));
		seed = rnd(&t->rs);
		for (i = 0; i < a.size / 8; i += psz / 8) {
			CHECK(!p[i], "CMA buffer not zeroed at %llu",
			      (unsigned long long)i * 8);
			p[i] = RESMEM_KFILL_WORD(seed, i * 8);
		}
		nap_us(below(&t->rs, 20000));
		for (i = 0; i < a.size / 8; i += psz / 8)
			CHECK(p[i] == RESMEM_KFILL_WORD(seed, i * 8),
			      "CMA buffer word %llu changed",
			      (unsigned long long)i);
		munmap((void *)p, a.size);
		f.handle = a.handle;
		ret = ioc(t->fd, RESMEM_IOC_FREE, &f);
		CHECK(!ret, "FREE of a CMA buffer: %d", ret);
		nap_us(below(&t->rs, 10000));
	}
	close(t->fd);
	return NULL;
}

/* Two of these at once: make regions, use them, destroy them. */
static void *creator(void *arg)
{
	struct thr *t = arg;
	struct resmem_cma_region_info e[MAX_REGIONS];
	struct resmem_cma_create c;
	struct resmem_cma_destroy d = { 0 };
	struct resmem_alloc a;
	struct resmem_free f = { 0 };
	int ret, n, i;

	thread_init(t, t->id == 1 ? "create/destroy 1" : "create/destroy 2");
	while (!sh->stop) {
		memset(&c, 0, sizeof(c));
		snprintf(c.name, sizeof(c.name), "s%d", (int)below(&t->rs, 4));
		c.size = (1 + below(&t->rs, 4)) * (psz << info.pb_order);
		c.node = below(&t->rs, 3) ? RESMEM_NODE_ANY :
			 (int)below(&t->rs, 2);
		ret = ioc(t->fd, RESMEM_IOC_CMA_CREATE, &c);
		CHECK(!ret || ret == -EEXIST || ret == -ENOMEM ||
		      ret == -EBUSY || ret == -ENOSPC,
		      "CMA_CREATE %s size %llu node %d: %d", c.name,
		      (unsigned long long)c.size, c.node, ret);
		if (!ret) {
			me->events[0]++;
			memset(&a, 0, sizeof(a));
			a.kind = RESMEM_KIND_CMA;
			a.node = RESMEM_NODE_ANY;
			a.region = c.id;
			/*
			 * at most the smallest region: the other thread may
			 * have destroyed this one and made a smaller one with
			 * the same id (ids are reused)
			 */
			a.count = 1 + below(&t->rs, 1ULL << info.pb_order);
			ret = ioc(t->fd, RESMEM_IOC_ALLOC, &a);
			CHECK(!ret || ret == -ENOENT || ret == -EBUSY ||
			      ret == -ENOMEM, "ALLOC in new region: %d", ret);
			if (!ret) {
				f.handle = a.handle;
				ret = ioc(t->fd, RESMEM_IOC_FREE, &f);
				CHECK(!ret, "FREE: %d", ret);
			}
		}
		nap_us(below(&t->rs, 20000));
		/* destroy one region made by the run, maybe the other's */
		n = list_regions(t->fd, e, MAX_REGIONS);
		CHECK(n >= 1, "CMA_LIST: %d", n);
		i = below(&t->rs, n);
		if (e[i].id == t_id)
			continue;
		d.id = e[i].id;
		ret = ioc(t->fd, RESMEM_IOC_CMA_DESTROY, &d);
		CHECK(!ret || ret == -EBUSY || ret == -ENOENT,
		      "CMA_DESTROY %s: %d", e[i].name, ret);
		if (!ret)
			me->events[1]++;
	}
	close(t->fd);
	return NULL;
}

/* ---------------------------------------------------------------- */
/* The parent */

static int nproc = 4;
static pid_t pids[MAX_PROCS];
static unsigned int gens[MAX_PROCS];

static void spawn(int id)
{
	pid_t pid = fork();

	if (pid < 0) {
		say("# fork: %s", strerror(errno));
		sh->failed = 1;
		sh->stop = 1;
		return;
	}
	if (!pid)
		worker(id, gens[id]);
	pids[id] = pid;
	sh->w[id].spawned++;
}

static int worker_of(pid_t pid)
{
	int i;

	for (i = 0; i < nproc; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

static int bad_exits;

/* A worker ended: respawn it unless the run is over. */
static void ended(pid_t pid, int status, int killed)
{
	int id = worker_of(pid);

	if (id < 0)
		return;		/* an orphaned grandchild */
	pids[id] = 0;
	if (killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		sh->w[id].killed++;
	} else if (WIFEXITED(status) &&
		   (WEXITSTATUS(status) == 3 ||
		    (sh->stop && !WEXITSTATUS(status)))) {
		/* left on its own, or ended cleanly at the stop */
	} else {
		say("# worker %d gen %u: %s %d", id, gens[id],
		    WIFSIGNALED(status) ? "killed by signal" : "exit status",
		    WIFSIGNALED(status) ? WTERMSIG(status) :
		    WEXITSTATUS(status));
		bad_exits++;
		sh->failed = 1;
		sh->stop = 1;
	}
	if (!sh->stop) {
		gens[id]++;
		spawn(id);
	}
}

static __u64 total(size_t field)
{
	__u64 sum = 0;
	int i;

	for (i = 0; i < MAX_PROCS + NTHREADS + 1; i++)
		sum += *(__u64 *)((char *)&sh->w[i] + field);
	return sum;
}

#define TOTAL(f)	total(offsetof(struct slot, f))

/* The buddy's free figure, both numbers from one read of stats. */
static long long free_figure(void)
{
	return free_pages();
}

static void settle(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (stat_in(DBG "vcompound/stats", "deferred_frees") <= 0)
			return;
		usleep(10000);
	}
}

/* debugfs cma/ holds one directory per region in @e, no other. */
static int debugfs_dirs_match(const struct resmem_cma_region_info *e, int n)
{
	DIR *dir = opendir(DBG "cma");
	struct dirent *d;
	int found = 0, ok = 1, i;

	if (!dir) {
		say("# " DBG "cma: %s", strerror(errno));
		return 0;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		for (i = 0; i < n && strcmp(e[i].name, d->d_name); i++)
			;
		if (i == n) {
			say("# debugfs cma/%s: no such region", d->d_name);
			ok = 0;
		} else {
			found++;
		}
	}
	closedir(dir);
	if (found != n) {
		say("# debugfs cma/ has %d of the %d regions", found, n);
		ok = 0;
	}
	return ok;
}

static int tapn;

static void tap(int ok, const char *fmt, ...)
{
	char line[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say("%sok %d %s", ok ? "" : "not ", ++tapn, line);
}

static void usage(void)
{
	fprintf(stderr, "usage: stress_test [--seed N] [--seconds S] [--ops N] [--procs N]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct resmem_cma_region_info e[MAX_REGIONS], e0[MAX_REGIONS];
	struct thr thr[NTHREADS];
	double seconds = 0, t0, next_kill, last_say, el;
	__u64 ops = 0, ks, managed, ioctls;
	long long free0, free1, mig0, mig1;
	int fd, n0, n, i, j, status, regions_ok, seed_set = 0, left;
	struct resmem_cma_destroy d = { 0 };
	char *env = getenv("RESMEM_STRESS_SEED");
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--seed")) {
			master_seed = strtoull(argv[++i], NULL, 0);
			seed_set = 1;
		} else if (!strcmp(argv[i], "--seconds")) {
			seconds = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--ops")) {
			ops = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--procs")) {
			nproc = atoi(argv[++i]);
			if (nproc < 1 || nproc > MAX_PROCS)
				usage();
		} else {
			usage();
		}
	}
	if (!seed_set && env && *env)
		master_seed = strtoull(env, NULL, 0);
	else if (!seed_set)
		master_seed = (__u64)time(NULL) ^ ((__u64)getpid() << 32);
	if (!seconds && !ops)
		seconds = 30;
	say("# seed: %llu", (unsigned long long)master_seed);
	say("# replay: RESMEM_STRESS_SEED=%llu %s --seconds %g --ops %llu --procs %d",
	    (unsigned long long)master_seed, argv[0], seconds,
	    (unsigned long long)ops, nproc);
	say("TAP version 13");
	say("1..7");
	setvbuf(stdout, NULL, _IONBF, 0);
	psz = getpagesize();
	snprintf(who, sizeof(who), "parent");

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	fd = open(DEV, O_RDWR);
	if (sh == MAP_FAILED || fd < 0) {
		say("Bail out! " DEV ": %s", strerror(errno));
		return 1;
	}
	me = &sh->w[MAX_PROCS + NTHREADS];
	if (ioctl(fd, RESMEM_IOC_GET_INFO, &info) ||
	    (info.features & (RESMEM_FEAT_CMA | RESMEM_FEAT_VCOMPOUND |
			      RESMEM_FEAT_MEMAREA)) !=
	    (RESMEM_FEAT_CMA | RESMEM_FEAT_VCOMPOUND | RESMEM_FEAT_MEMAREA)) {
		say("Bail out! GET_INFO: %s, or a feature is missing",
		    strerror(errno));
		return 1;
	}
	if (!(info.features & RESMEM_FEAT_TEST_IOCTLS)) {
		say("Bail out! KFILL is off: load resmem with test_ioctls=1");
		return 1;
	}
	managed = info.total_pages - info.meta_pages;
	vmax = info.max_order + RESMEM_VC_EXTRA_ORDERS;
	while (vmax && (1ULL << vmax) > managed)
		vmax--;
	n0 = list_regions(fd, e0, MAX_REGIONS);
	for (i = 0; i < n0 && strcmp(e0[i].name, "t"); i++)
		;
	if (n0 < 1 || i == n0) {
		say("Bail out! no CMA region \"t\": load resmem with cma=t:SIZE");
		return 1;
	}
	t_id = e0[i].id;
	settle();
	free0 = free_figure();
	mig0 = stat_in(DBG "cma/t/stats", "migrated");
	say("# %d workers, free pages before: %lld, regions: %d, %s",
	    nproc, free0, n0, ops ? "until an ioctl count" : "for a time");
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	t0 = now();
	for (i = 0; i < nproc; i++)
		spawn(i);
	for (i = 0; i < NTHREADS; i++) {
		thr[i].id = i;
		pthread_create(&thr[i].th, NULL, i ? creator : takeback,
			       &thr[i]);
	}
	ks = mix(master_seed ^ 0x5eed);
	next_kill = t0 + 0.05 + below(&ks, 500) / 1000.0;
	last_say = t0;
	while (!sh->stop) {
		nap_us(10000);
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			ended(pid, status, 0);
		el = now() - t0;
		ioctls = TOTAL(ioctls);
		if ((seconds && el >= seconds) || (ops && ioctls >= ops))
			sh->stop = 1;
		if (now() - last_say >= 10) {
			last_say = now();
			say("# %.0f s: %llu ioctls, %llu killed", el,
			    (unsigned long long)ioctls,
			    (unsigned long long)TOTAL(killed));
		}
		if (!sh->stop && now() >= next_kill) {
			i = below(&ks, nproc);
			if (pids[i] && !kill(pids[i], SIGKILL)) {
				pid = waitpid(pids[i], &status, 0);
				if (pid > 0)
					ended(pid, status, 1);
			}
			next_kill = now() + 0.05 + below(&ks, 1000) / 1000.0;
		}
	}
	for (i = 0; i < NTHREADS; i++)
		pthread_join(thr[i].th, NULL);
	/* the workers check and free what they hold, then exit */
	for (left = 0, i = 0; i < nproc; i++)
		left += !!pids[i];
	while (left && (pid = waitpid(-1, &status, 0)) > 0) {
		if (worker_of(pid) >= 0)
			left--;
		ended(pid, status, 0);
	}
	while (waitpid(-1, &status, 0) > 0)
		;
	el = now() - t0;
	ioctls = TOTAL(ioctls);

	tap(!sh->failed && !bad_exits,
	    "%d workers, %llu ioctls in %.1f s (%.0f/s): errnos, checksums as documented",
	    nproc, (unsigned long long)ioctls, el, ioctls / el);
	say("# operations %llu, checksum checks %llu, forks %llu, SIGBUS after free %llu",
	    (unsigned long long)TOTAL(ops), (unsigned long long)TOTAL(verified),
	    (unsigned long long)TOTAL(forks), (unsigned long long)TOTAL(sigbus));
	say("# movable buffers found moved with their data intact: %llu",
	    (unsigned long long)TOTAL(migrated_seen));
	say("# workers spawned %llu, SIGKILLed %llu, exited without freeing %llu",
	    (unsigned long long)TOTAL(spawned), (unsigned long long)TOTAL(killed),
	    (unsigned long long)TOTAL(voluntary));
	tap(!sh->failed && TOTAL(survivors) > 0,
	    "every surviving buffer's checksum holds (%llu buffers)",
	    (unsigned long long)TOTAL(survivors));
	mig1 = stat_in(DBG "cma/t/stats", "migrated");
	tap(!sh->failed && sh->w[MAX_PROCS].events[0] > 0 &&
	    sh->w[MAX_PROCS + 1].events[0] + sh->w[MAX_PROCS + 2].events[0] > 0,
	    "take-back: %llu buffers, %lld blocks migrated; regions created %llu, destroyed %llu",
	    (unsigned long long)sh->w[MAX_PROCS].events[0], mig1 - mig0,
	    (unsigned long long)(sh->w[MAX_PROCS + 1].events[0] +
				 sh->w[MAX_PROCS + 2].events[0]),
	    (unsigned long long)(sh->w[MAX_PROCS + 1].events[1] +
				 sh->w[MAX_PROCS + 2].events[1]));

	/* destroy what the run made; the first regions are as before */
	regions_ok = 1;
	n = list_regions(fd, e, MAX_REGIONS);
	for (i = 0; i < n; i++) {
		for (j = 0; j < n0 && e0[j].id != e[i].id; j++)
			;
		if (j < n0)
			continue;
		d.id = e[i].id;
		if (ioctl(fd, RESMEM_IOC_CMA_DESTROY, &d)) {
			say("# destroying region %s at the end: %s", e[i].name,
			    strerror(errno));
			regions_ok = 0;
		}
	}
	n = list_regions(fd, e, MAX_REGIONS);
	regions_ok &= n == n0;
	for (i = 0; i < n && regions_ok; i++) {
		if (e[i].id != e0[i].id || e[i].used || e[i].lent ||
		    e[i].maxchunk != e0[i].maxchunk) {
			say("# region %s: used %llu lent %llu maxchunk %llu",
			    e[i].name, (unsigned long long)e[i].used,
			    (unsigned long long)e[i].lent,
			    (unsigned long long)e[i].maxchunk);
			regions_ok = 0;
		}
	}
	tap(regions_ok, "the regions are as before the run, empty");
	tap(n >= 0 && debugfs_dirs_match(e, n),
	    "debugfs cma/: one directory per region, no other");
	close(fd);
	settle();
	free1 = free_figure();
	tap(free1 == free0, "free pages back to the figure before the run: %lld, before %lld",
	    free1, free0);
	tap(stat_in(DBG "vcompound/stats", "mappings") == 0,
	    "no vcompound mapping left");
	say("# seed: %llu", (unsigned long long)master_seed);
	return sh->failed || bad_exits || !regions_ok || free1 != free0;
}
