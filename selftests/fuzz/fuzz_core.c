// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over src/core (resmem issue 10).
 *
 * Each input is a program: its first byte picks the buddy's max_order,
 * every following op byte one of the operations below, with its arguments
 * in the bytes after it (missing bytes read as 0).  The region has the
 * oracle's shape (selftests/unit/oracle.h: three blocks on two nodes, one
 * of them unaligned and odd-sized; smaller here, see ORACLE_LAYOUT) and is
 * set up afresh for every input, so an input replays the same way every
 * time.
 *
 *	buddy alloc	order 0..max_order+1, unmovable/movable, strict,
 *			zero, node -1/0/1/2, kind buddy or xcf (or a kind
 *			the buddy must refuse)
 *	memarea alloc	count, align 0/1/2^k/not a power of two, offset,
 *			policy, flags, node; rm_memarea_check() must refuse
 *			exactly what the documentation says it refuses
 *	vcompound take	order up to rm_vc_max_order()+1, largest piece,
 *			node, strict, zero, an accept callback that refuses
 *			some pieces
 *	free		any live allocation (a vcompound one whole)
 *	bad free	rm_buddy_free(), rm_memarea_free(), rm_cma_release()
 *			of what was not handed out: each must warn exactly
 *			once and change nothing (metadata, zones and per-CPU
 *			caches compared byte for byte)
 *	cma create	a region at a pageblock of block 0 or 1 (or
 *			misaligned, outside, a bad name): the result must be
 *			the one the documentation predicts
 *	cma alloc	count, align 0/1/large/not a power of two, through a
 *			migrate callback that copies the tagged words of a
 *			movable block and refuses pinned ones
 *	cma release, cma destroy, pin/unpin a movable block, drain the
 *	per-CPU caches, switch the current CPU and node, read the statistics
 *	xcf		create and destroy a pool (two at most), malloc of
 *			0 to 4199 bytes (every class, the largest, too large)
 *			with zero or unknown flags from any CPU heap (or one
 *			that does not exist), free, map (every mode, a bad
 *			one, a second map, kept mapped across other ops),
 *			unmap, compact, drain a CPU's heaps, and a free of
 *			a stale, forged or mapped handle, which must warn
 *			exactly once and change nothing
 *
 * Checks.  After every op a cheap check (no warning was raised; every
 * zone's free lists, per-CPU caches, live allocations and metadata add up
 * to its pages; the bitmap's clear bits number the lists' pages), plus the op's
 * own: placement, alignment, node, migratetypes, zeroing, failures only
 * when nothing fits (the oracle's listed(); for memarea a scan of the
 * bitmap's free runs), rejected requests exactly the documented ones.  The
 * oracle's full check() (every page accounted once, lists, bitmap,
 * summaries, special pageblocks) runs every RM_FUZZ_FULL_EVERY ops and at
 * the end of each input; it walks every page, so running it after each op
 * would cost ~15x the executions.  Then every allocation's tag words are
 * compared, everything is freed, the regions are destroyed, and the free
 * lists must have merged back into the blocks the zones started with.
 * For xcf: every object's bytes (a pattern of its tag, written through
 * rm_xcf_map()'s pieces) after each compaction and drain and before each
 * free, the pieces' pages, each pool's live handles against the objects
 * the fuzzer holds, and the pools' pages against the RM_PK_XCF pages that
 * no buddy allocation explains (oracle_xcf).
 *
 * A broken invariant calls abort(), so libFuzzer saves the input as a
 * crash artifact.  Warnings the op expects are counted and their text sent
 * to /dev/null; any other warning fails.
 *
 * Build with -DRM_FUZZ_INJECT_BUG=1 to compile a deliberate bug into the
 * core (see inject.h); "make fuzz-selftest" expects the fuzzer to find it.
 */
/* the harness's ASSERT machinery (oracle.h's check() uses it), not its main */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#include "kselftest_harness.h"
#pragma clang diagnostic pop
/*
 * The oracle's shapes at a quarter of the unit tests' size: 2048 aligned
 * pages (4 pageblocks) on node 0, 1501 unaligned ones (2 whole pageblocks,
 * no order-10 block) on node 1, 300 on node 0.  Its check() walks every
 * page; 3849 pages instead of 13893 make it cost a quarter.
 */
#include <resmem/core.h>
#define ORACLE_LAYOUT
static const struct {
	u64 pfn, nr;
	int nid;
} layout[3] = {
	{ 0x10000, 2048, 0 },
	{ 0x20123, 1501, 1 },
	{ 0x30000, 300, 0 },
};

#include "oracle.h"
#include <resmem/xcf.h>

#include <setjmp.h>

#ifndef RM_FUZZ_FULL_EVERY
#define RM_FUZZ_FULL_EVERY	64
#endif

/* live[].flags: RM_ALLOC_* in bits 0-2, pinned in bit 15, tag in 16-31. */
#define FZ_PINNED	BIT(15)
#define FZ_TAG_SHIFT	16

#define NCMA		3	/* regions at once */
#define NBUF		32	/* buffers of the region that has them */
#define NVC		64	/* vcompound allocations */

struct vcl {
	struct rm_vc_piece *p;
	u32 nr;
	unsigned int id;
};

struct buf {
	u64 pfn, count;
};

static struct __test_metadata fz_md = { .name = "fuzz" };
static unsigned int fz_op;		/* op number, for messages */
static const char *fz_what = "";	/* op name, for messages */

static u32 *hidx[NBLK];		/* live index + 1 at each live head */
static u64 used[NBLK];		/* pages in live allocations and buffers */
static struct rm_cma cmas[NCMA];
static bool cma_on[NCMA];
static int buf_cma = -1;	/* the region whose buffers bufs[] holds */
static struct buf bufs[NBUF];
static unsigned int nbufs;
static struct vcl vcs[NVC];
static unsigned int nvcs, vc_ids;
static unsigned int next_tag;
/* free blocks per zone and order after setup, all types together */
static u64 start_free[NBLK][RM_MAX_ORDER_LIMIT + 1];
static FILE *devnull;

#define NXP		2	/* xcf pools at once */
#define NXO		256	/* xcf objects */
#define NXSTALE		8	/* freed xcf handles kept for bad frees */

struct xobj {
	unsigned long h;
	u32 size;
	u32 tag;
	unsigned int pool;
};

static struct rm_xcf_pool *xpools[NXP];
static struct xobj xobjs[NXO];
static unsigned int nxobjs;
static unsigned long xstale[NXSTALE];
static unsigned int nxstale;
static int xmapped = -1;		/* the object mapped now, or -1 */
static struct rm_xcf_loc xmap_loc;	/* its pieces */

/*
 * Pools an xcf op worked on since the last cheap check: only these can
 * have changed, so only their counts are compared then (rm_xcf_stats()
 * visits every class's heaps; all pools' counts after every op cost a
 * third of an execution).  full_check() compares every pool's.
 */
static unsigned int xtouched;

/* Pool @p, for a call that may change it. */
static struct rm_xcf_pool *xpool(unsigned int p)
{
	xtouched |= BIT(p);
	return xpools[p];
}

/* migrate callback results of the current rm_cma_alloc() call */
static unsigned int mig_refused, mig_nomem;

#define FZ_ASSERT(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: op %u (%s): %s: " fmt "\n",	\
			fz_op, fz_what, #cond, ##__VA_ARGS__);		\
		abort();						\
	}								\
} while (0)

/* --- input --- */

struct in {
	const u8 *p;
	size_t n;
};

static unsigned int get8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static unsigned int get16(struct in *in)
{
	unsigned int v = get8(in);

	return v | get8(in) << 8;
}

/* --- the oracle, and cheap checks --- */

static u64 xpages(void);
static void xcheck_counts(unsigned int pools);

static void full_check(const char *when)
{
	fz_md.passed = 1;
	fz_md.trigger = 0;
	if (setjmp(fz_md.env)) {
		fprintf(stderr, "fuzz: op %u (%s): oracle check() failed %s\n",
			fz_op, fz_what, when);
		abort();
	}
	check(&fz_md);
	xcheck_counts(~0U);
	FZ_ASSERT(oracle_xcf_pages == xpages(),
		  "%llu xcf pages in the blocks, the pools hold %llu %s",
		  (unsigned long long)oracle_xcf_pages,
		  (unsigned long long)xpages(), when);
}

static unsigned int zone_of(u64 pfn)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);

	FZ_ASSERT(blk, "pfn %llx", (unsigned long long)pfn);
	return blk - rg.block;
}

static u64 pcp_pages(unsigned int zi)
{
	unsigned int cpu;
	u64 n = 0;

	rm_for_each_cpu(cpu)
		n += rm_per_cpu_ptr(b.zone[zi].pcp, cpu)->count;
	return n;
}

/* Counters add up: every page of each zone is somewhere. */
static void cheap_check(void)
{
	unsigned int zi, o, mt;
	u64 rest = 0;

	FZ_ASSERT(rm_user_warnings == 0, "unexpected warning");
	for (zi = 0; zi < NBLK; zi++) {
		struct rm_zone *z = &b.zone[zi];
		struct rm_block *blk = &rg.block[zi];
		u64 free = 0, cma = 0;

		for (o = 0; o <= z->max_order; o++) {
			for (mt = 0; mt < RM_MT_TYPES; mt++)
				free += z->area[o].nr_free[mt] << o;
			cma += z->area[o].nr_free[RM_MT_CMA] << o;
		}
		FZ_ASSERT(free == z->free_pages, "zone %u", zi);
		FZ_ASSERT(cma == z->free_cma, "zone %u", zi);
		/* the bitmap is clear exactly for the free lists' pages */
		FZ_ASSERT(rm_bitmap_weight(blk->bitmap, 0, blk->nr_pages) ==
			  blk->nr_pages - z->free_pages, "zone %u", zi);
		FZ_ASSERT(blk->meta_pages + z->free_pages + pcp_pages(zi) +
			  used[zi] <= blk->nr_pages, "zone %u", zi);
		rest += blk->nr_pages - blk->meta_pages - z->free_pages -
			pcp_pages(zi) - used[zi];
	}
	/* what no allocation of the fuzzer's explains is the xcf pools' */
	FZ_ASSERT(rest == xpages(), "%llu pages unexplained, pools hold %llu",
		  (unsigned long long)rest, (unsigned long long)xpages());
	xcheck_counts(xtouched);
	xtouched = 0;
}

/* Byte copies of everything a refused call must leave alone. */
struct snap {
	u8 *meta[NBLK];
	struct rm_zone zone[NBLK];
	struct rm_pcp pcp[NBLK][RM_USER_NR_CPUS];
	struct rm_memarea_stats ma;
	struct rm_cma_stats cs[NCMA];
	u64 failures;
};

static struct snap snap_a, snap_b;

static void take_snap(struct snap *s)
{
	unsigned int zi, i;

	for (zi = 0; zi < NBLK; zi++) {
		if (!s->meta[zi])
			s->meta[zi] = malloc(rg.block[zi].meta_pages *
					     PAGE_SIZE);
		memcpy(s->meta[zi], mem[zi],
		       rg.block[zi].meta_pages * PAGE_SIZE);
		s->zone[zi] = b.zone[zi];
		memcpy(s->pcp[zi], b.zone[zi].pcp, sizeof(s->pcp[zi]));
	}
	s->ma = ma.st;
	for (i = 0; i < NCMA; i++)
		s->cs[i] = cmas[i].st;
	s->failures = b.failures;
}

static void same_snap(const struct snap *x, const struct snap *y)
{
	unsigned int zi;

	for (zi = 0; zi < NBLK; zi++) {
		FZ_ASSERT(!memcmp(x->meta[zi], y->meta[zi],
				  rg.block[zi].meta_pages * PAGE_SIZE),
			  "metadata of block %u changed", zi);
		FZ_ASSERT(!memcmp(&x->zone[zi], &y->zone[zi],
				  sizeof(x->zone[zi])), "zone %u changed", zi);
		FZ_ASSERT(!memcmp(x->pcp[zi], y->pcp[zi], sizeof(x->pcp[zi])),
			  "per-CPU caches of zone %u changed", zi);
	}
	FZ_ASSERT(!memcmp(&x->ma, &y->ma, sizeof(x->ma)), "memarea stats");
	FZ_ASSERT(!memcmp(x->cs, y->cs, sizeof(x->cs)), "cma stats");
	FZ_ASSERT(x->failures == y->failures, "buddy failures");
}

/* Run a call that must warn exactly once and change nothing. */
#define EXPECT_REFUSED(call) do {					\
	FILE *__err = stderr;						\
									\
	take_snap(&snap_a);						\
	stderr = devnull;						\
	call;								\
	stderr = __err;							\
	FZ_ASSERT(rm_user_warnings == 1, "%lu warnings, expected 1",	\
		  rm_user_warnings);					\
	rm_user_warnings = 0;						\
	take_snap(&snap_b);						\
	same_snap(&snap_a, &snap_b);					\
} while (0)

static bool special_pb(struct rm_block *blk, u64 pfn)
{
	return blk->pb_mt[rm_block_pb(blk, pfn)] >= RM_MT_CMA;
}

static bool isolated_in(struct rm_block *blk, u64 pfn, u64 nr)
{
	u64 q;

	for (q = pfn & ~(u64)(RM_PAGEBLOCK_NR - 1); q < pfn + nr;
	     q += RM_PAGEBLOCK_NR)
		if (blk->pb_mt[rm_block_pb(blk, q)] == RM_MT_ISOLATE)
			return true;
	return false;
}

static bool special_in(struct rm_block *blk, u64 pfn, u64 nr)
{
	u64 q;

	for (q = pfn & ~(u64)(RM_PAGEBLOCK_NR - 1); q < pfn + nr;
	     q += RM_PAGEBLOCK_NR)
		if (special_pb(blk, q))
			return true;
	return false;
}

/* --- the live table --- */

static u64 nr_of(const struct alloc *a)
{
	return a->count ? a->count : 1ULL << a->order;
}

static u32 *hslot(u64 pfn)
{
	unsigned int zi = zone_of(pfn);

	return &hidx[zi][pfn - rg.block[zi].base_pfn];
}

/* The live entry headed at @pfn, or -1. */
static int live_at(u64 pfn)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);

	if (!blk)
		return -1;
	return (int)hidx[blk - rg.block][pfn - blk->base_pfn] - 1;
}

/* The state word of a page some block holds. */
static u16 state_of(u64 pfn)
{
	struct rm_block *blk = rm_region_find(&rg, pfn);

	FZ_ASSERT(blk, "pfn %llx", (unsigned long long)pfn);
	return blk->state[pfn - blk->base_pfn];
}

static void *virt(u64 pfn)
{
	return rm_block_pfn_to_virt(rm_region_find(&rg, pfn), pfn);
}

/* Tag words: at byte 64 of the first page and in the last 8 bytes. */
static u64 *tag_lo(u64 pfn)
{
	return (u64 *)((u8 *)virt(pfn) + 64);
}

static u64 *tag_hi(u64 pfn, u64 nr)
{
	return (u64 *)((u8 *)virt(pfn) + (nr << PAGE_SHIFT) - 8);
}

static u64 tag_word(const struct alloc *a, int hi)
{
	return (u64)(a->flags >> FZ_TAG_SHIFT) << 32 | nr_of(a) << 1 | hi;
}

static void write_tags(const struct alloc *a)
{
	*tag_lo(a->pfn) = tag_word(a, 0);
	*tag_hi(a->pfn, nr_of(a)) = tag_word(a, 1);
}

static bool tags_intact(const struct alloc *a)
{
	return *tag_lo(a->pfn) == tag_word(a, 0) &&
	       *tag_hi(a->pfn, nr_of(a)) == tag_word(a, 1);
}

static void add_live(struct alloc a, unsigned int tag)
{
	FZ_ASSERT(live_at(a.pfn) < 0, "pfn %llx handed out twice",
		  (unsigned long long)a.pfn);
	a.flags = (a.flags & 0x7fff) | tag << FZ_TAG_SHIFT;
	live[nlive] = a;
	*hslot(a.pfn) = ++nlive;
	used[zone_of(a.pfn)] += nr_of(&a);
	write_tags(&live[nlive - 1]);
}

/* Free live[i] (not a vcompound piece) through the oracle's free_at(). */
static void free_live(unsigned int i)
{
	FZ_ASSERT(tags_intact(&live[i]), "live %u at %llx overwritten", i,
		  (unsigned long long)live[i].pfn);
	used[zone_of(live[i].pfn)] -= nr_of(&live[i]);
	*hslot(live[i].pfn) = 0;
	free_at(i);
	if (i < nlive)
		*hslot(live[i].pfn) = i + 1;
}

/* Drop live[i] from the table without freeing it. */
static void forget_live(unsigned int i)
{
	used[zone_of(live[i].pfn)] -= nr_of(&live[i]);
	*hslot(live[i].pfn) = 0;
	live[i] = live[--nlive];
	if (i < nlive)
		*hslot(live[i].pfn) = i + 1;
}

static void vc_free(unsigned int k)
{
	struct vcl v = vcs[k];
	unsigned int i;

	for (i = 0; i < nlive; i++) {
		if (live[i].kind != RM_PK_VCOMPOUND ||
		    live[i].flags >> FZ_TAG_SHIFT != v.id)
			continue;
		FZ_ASSERT(tags_intact(&live[i]), "piece at %llx overwritten",
			  (unsigned long long)live[i].pfn);
		forget_live(i--);
	}
	rm_vc_put(&b, v.p, v.nr);
	vcs[k] = vcs[--nvcs];
}

/* --- setup --- */

static void reset(unsigned int max_order)
{
	unsigned int i;

	rm_region_init(&rg);
	for (i = 0; i < NBLK; i++) {
		if (rm_region_add(&rg, layout[i].pfn, layout[i].nr,
				  layout[i].nid, i))
			abort();
		rg.block[i].vaddr = mem[i];
	}
	if (rm_region_enable(&rg))
		abort();
	max_order = min(max_order, rm_buddy_order_limit(&rg));
	if (rm_buddy_init(&b, &rg, max_order))
		abort();
	rm_memarea_init(&ma, &b);
	for (i = 0; i < NBLK; i++) {
		memset(hidx[i], 0, layout[i].nr * sizeof(*hidx[i]));
		used[i] = 0;
	}
	memset(cmas, 0, sizeof(cmas));
	memset(cma_on, 0, sizeof(cma_on));
	oracle_cma = NULL;
	buf_cma = -1;
	nlive = 0;
	nbufs = 0;
	nvcs = 0;
	nxobjs = 0;
	nxstale = 0;
	xmapped = -1;
	oracle_xcf = true;
	vc_ids = 0;
	next_tag = 0;
	rm_user_cpu = 0;
	rm_user_node = 0;
	rm_user_warnings = 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned int i;

	setup(RM_DEFAULT_MAX_ORDER);	/* the oracle's memory, once */
	rm_buddy_destroy(&b);
	for (i = 0; i < NBLK; i++)
		hidx[i] = calloc(layout[i].nr, sizeof(*hidx[i]));
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

/* --- the ops --- */

static int node_of(unsigned int v)	/* 0..3: -1, 0, 1, 2 (no such node) */
{
	return (int)(v & 3) - 1;
}

static void op_buddy_alloc(struct in *in)
{
	unsigned int a = get8(in), c = get8(in);
	unsigned int order = a % (b.max_order + 2);
	unsigned int flags = c & 7, kind;
	int nid = node_of(c >> 3), want;
	bool strict = flags & RM_ALLOC_STRICT_NODE, local;
	struct alloc al = { 0 };
	struct rm_block *blk;
	u64 pfn;

	/* xcf blocks are unmovable until xcf migrates its own */
	kind = c & 0x20 ? RM_PK_XCF : RM_PK_BUDDY;
	if (kind == RM_PK_XCF)
		flags &= ~RM_ALLOC_MOVABLE;
	if ((c & 0xc0) == 0xc0)
		kind = (c & 0x20) ? RM_PK_NR : RM_PK_PCP;	/* refused */
	/* zeroing 4 MiB checks nothing 64 KiB does not: large ones rarely */
	if (order > 4 && !(a & 0x80))
		flags &= ~RM_ALLOC_ZERO;
	want = nid == NUMA_NO_NODE ? rm_user_node : nid;
	local = order <= b.max_order && listed_on(want, order);
	pfn = rm_buddy_alloc(&b, order, nid, flags, kind);
	if (order > b.max_order || kind <= RM_PK_PCP || kind >= RM_PK_NR) {
		FZ_ASSERT(pfn == RM_NO_PFN, "order %u kind %u", order, kind);
		return;
	}
	if (pfn == RM_NO_PFN) {
		/* nothing of that order anywhere it may look, after a drain */
		FZ_ASSERT(!listed(want, strict, order), "order %u nid %d", order,
			  nid);
		return;
	}
	blk = rm_region_find(&rg, pfn);
	FZ_ASSERT(blk && !(pfn & ((1ULL << order) - 1)) &&
		  pfn + (1ULL << order) <= blk->base_pfn + blk->nr_pages,
		  "pfn %llx order %u", (unsigned long long)pfn, order);
	if (strict || local)
		FZ_ASSERT(blk->nid == want, "nid %d want %d", blk->nid, want);
	FZ_ASSERT(!isolated_in(blk, pfn, 1ULL << order), "isolated");
	if (!(flags & RM_ALLOC_MOVABLE))
		FZ_ASSERT(!special_in(blk, pfn, 1ULL << order),
			  "unmovable block in a CMA pageblock");
	if (flags & RM_ALLOC_ZERO)
		FZ_ASSERT(!*tag_lo(pfn) && !*tag_hi(pfn, 1ULL << order),
			  "not zeroed");
	al.pfn = pfn;
	al.order = order;
	al.nid = want;
	al.flags = flags;
	al.kind = kind;
	add_live(al, ++next_tag);
}

/* Index in @blk of the first page of the pageblock after index @i's. */
static u64 pb_next(const struct rm_block *blk, u64 i)
{
	u64 pfn = blk->base_pfn + i;

	return (pfn | (RM_PAGEBLOCK_NR - 1)) + 1 - blk->base_pfn;
}

/* Does an area fit anywhere @r may look, by a scan of the free runs? */
static bool area_fits(const struct rm_memarea_req *r, int nid)
{
	bool strict = r->flags & RM_ALLOC_STRICT_NODE;
	unsigned int zi;

	for (zi = 0; zi < NBLK; zi++) {
		struct rm_block *blk = &rg.block[zi];
		u64 a = 0, e, p, t, n = blk->nr_pages;

		if (strict && blk->nid != nid)
			continue;
		while ((a = rm_bitmap_next_zero(blk->bitmap, n, a)) < n) {
			e = rm_bitmap_next_set(blk->bitmap, n, a);
			/* the run's pieces between special pageblocks */
			for (p = a; p < e; p = t) {
				u64 s = p;

				if (special_pb(blk, blk->base_pfn + p)) {
					t = min(pb_next(blk, p), e);
					continue;
				}
				t = p;
				while (t < e && !special_pb(blk, blk->base_pfn + t))
					t = pb_next(blk, t);
				t = min(t, e);
				/* first position in [s, t) with pfn % align */
				s += (r->offset - (blk->base_pfn + s)) &
				     (r->align - 1);
				if (s + r->count <= t)
					return true;
			}
			a = e;
		}
	}
	return false;
}

static void op_memarea_alloc(struct in *in)
{
	unsigned int c16 = get16(in), a = get8(in), f = get8(in);
	unsigned int o16 = get16(in), k = a & 15, zi;
	struct rm_memarea_req r = { 0 };
	u64 most = 0, pfn, i;
	struct rm_block *blk;
	bool bad;
	int want;

	r.count = (a & 0xc0) == 0xc0 ? c16 : 1 + c16 % 300;
	if ((a & 0xc0) == 0x80)
		r.count = 1 + c16 % 2048;
	r.align = k == 0 ? 0 : k == 15 ? 3ULL << (o16 & 7) : 1ULL << (k - 1);
	r.offset = r.align > 1 ? o16 & (r.align - 1) : 0;
	if ((a & 0x30) == 0x30)
		r.offset = r.align ? r.align : 1;	/* not below align */
	r.policy = f & 3;
	r.flags = (f >> 2) & 7;
	if (r.count > 16 && !(o16 & 0x2000))
		r.flags &= ~RM_ALLOC_ZERO;	/* large ones rarely */
	if (c16 & 0x8000 && (a & 0xc0) != 0xc0)
		/* BIT(3) is RM_ALLOC_MAY_SLEEP (valid), the rest unknown */
		r.flags |= BIT(3 + (o16 >> 14));
	r.nid = node_of(f >> 6);
	want = r.nid == NUMA_NO_NODE ? rm_user_node : r.nid;
	for (zi = 0; zi < NBLK; zi++)
		most = max(most, rg.block[zi].nr_pages -
				 rg.block[zi].meta_pages);
	{
		u64 al = r.align ? r.align : 1;

		bad = !r.count || r.count > most || al & (al - 1) ||
		      r.offset >= al || r.policy > RM_POLICY_LEAST_FRAG ||
		      r.flags & ~(RM_ALLOC_MOVABLE | RM_ALLOC_STRICT_NODE |
				  RM_ALLOC_ZERO | RM_ALLOC_MAY_SLEEP);
	}
	if (rm_memarea_check(&b, &r)) {
		FZ_ASSERT(bad, "count %llu align %llu offset %llu policy %u "
			  "flags %x refused", (unsigned long long)r.count,
			  (unsigned long long)r.align,
			  (unsigned long long)r.offset, r.policy, r.flags);
		return;
	}
	FZ_ASSERT(!bad, "count %llu align %llu offset %llu policy %u flags %x "
		  "accepted", (unsigned long long)r.count,
		  (unsigned long long)r.align, (unsigned long long)r.offset,
		  r.policy, r.flags);
	FZ_ASSERT(r.align, "align 0 not taken as 1");
	pfn = rm_memarea_alloc(&ma, &r);
	if (pfn == RM_NO_PFN) {
		FZ_ASSERT(!area_fits(&r, want), "count %llu align %llu offset "
			  "%llu policy %u: an area fits",
			  (unsigned long long)r.count,
			  (unsigned long long)r.align,
			  (unsigned long long)r.offset, r.policy);
		return;
	}
	blk = rm_region_find(&rg, pfn);
	FZ_ASSERT(blk && pfn + r.count <= blk->base_pfn + blk->nr_pages &&
		  pfn % r.align == r.offset, "pfn %llx count %llu align %llu",
		  (unsigned long long)pfn, (unsigned long long)r.count,
		  (unsigned long long)r.align);
	if (r.flags & RM_ALLOC_STRICT_NODE)
		FZ_ASSERT(blk->nid == want, "node %d", blk->nid);
	FZ_ASSERT(!special_in(blk, pfn, r.count), "area in a CMA pageblock");
	if (r.flags & RM_ALLOC_ZERO)
		for (i = 0; i < r.count; i += 1 + r.count / 8)
			FZ_ASSERT(!*(u64 *)virt(pfn + i), "not zeroed");
	add_live((struct alloc){ .pfn = pfn, .nid = want, .count = r.count },
		 ++next_tag);
}

static bool vc_accept(u64 pfn, unsigned int order, void *arg)
{
	unsigned int d = *(unsigned int *)arg;

	return ((pfn >> order) ^ d) & 3;
}

static void op_vc_take(struct in *in)
{
	unsigned int a = get8(in), c = get8(in), d = get8(in);
	unsigned int top = rm_vc_max_order(&b), id, zi, o;
	struct rm_vc_req r = { 0 };
	struct rm_vc_piece *p = NULL;
	struct alloc al = { 0 };
	u64 need, avail = 0, covered = 0, idx;
	bool strict;
	u32 nr = 0, i;
	int ret, want;

	if (nvcs == NVC)
		return;
	r.order = a % (top + 2);
	r.max_piece = c & 15;
	/* mostly at most 64 pieces: thousands cost more than they find */
	if ((d & 0x60) != 0x60 && r.max_piece + 6 < r.order)
		r.max_piece = r.order - 6;
	r.flags = (c >> 4) & RM_ALLOC_STRICT_NODE;
	if (c & d & 0x20 && (r.order <= 4 || d & 0x10))
		r.flags |= RM_ALLOC_ZERO;
	r.nid = node_of(c >> 6);
	if (d & 0x80) {
		r.accept = vc_accept;
		r.arg = &d;
	}
	strict = r.flags & RM_ALLOC_STRICT_NODE;
	want = r.nid == NUMA_NO_NODE ? rm_user_node : r.nid;
	need = 1ULL << min(r.order, 62U);
	for (zi = 0; zi < NBLK; zi++)
		if (!strict || rg.block[zi].nid == want)
			avail += b.zone[zi].free_pages - b.zone[zi].free_cma +
				 pcp_pages(zi);
	take_snap(&snap_a);
	ret = rm_vc_take(&b, &r, &p, &nr);
	if (r.order > top) {
		FZ_ASSERT(ret == -EINVAL, "order %u: %d", r.order, ret);
		take_snap(&snap_b);
		same_snap(&snap_a, &snap_b);
		return;
	}
	if (avail < need) {
		/* cannot fit: nothing taken, every counter as it was */
		FZ_ASSERT(ret == -ENOMEM, "%llu pages free, order %u: %d",
			  (unsigned long long)avail, r.order, ret);
		take_snap(&snap_b);
		same_snap(&snap_a, &snap_b);
		return;
	}
	if (ret) {
		FZ_ASSERT(ret == -ENOMEM, "%d", ret);
		if (r.accept)
			return;
		/* the caches were drained; what came back are the pieces */
		for (avail = 0, zi = 0; zi < NBLK; zi++)
			if (!strict || rg.block[zi].nid == want)
				avail += b.zone[zi].free_pages -
					 b.zone[zi].free_cma + pcp_pages(zi);
		FZ_ASSERT(avail < need, "failed with %llu pages free, order %u",
			  (unsigned long long)avail, r.order);
		return;
	}
	top = min(r.max_piece, min(r.order, b.max_order));
	id = ++vc_ids;
	for (i = 0; i < nr; i++) {
		struct rm_block *blk = rm_region_find(&rg, p[i].pfn);

		FZ_ASSERT(blk, "piece %u", i);
		FZ_ASSERT(p[i].order <= top && (!i || p[i].order <=
						p[i - 1].order),
			  "piece %u order %u", i, p[i].order);
		FZ_ASSERT(!(p[i].pfn & ((1ULL << p[i].order) - 1)) &&
			  p[i].first == covered, "piece %u", i);
		FZ_ASSERT(rm_vc_owns(&b, p[i].pfn, p[i].order), "piece %u", i);
		FZ_ASSERT(!rm_vc_owns(&b, p[i].pfn, p[i].order + 1),
			  "piece %u", i);
		if (strict)
			FZ_ASSERT(blk->nid == want, "piece %u node", i);
		if (r.accept)
			FZ_ASSERT(vc_accept(p[i].pfn, p[i].order, &d),
				  "refused piece %u used", i);
		FZ_ASSERT(!special_in(blk, p[i].pfn, 1ULL << p[i].order),
			  "piece in a CMA pageblock");
		if (r.flags & RM_ALLOC_ZERO)
			FZ_ASSERT(!*tag_lo(p[i].pfn), "not zeroed");
		covered += 1ULL << p[i].order;
		al.pfn = p[i].pfn;
		al.order = p[i].order;
		al.nid = blk->nid;
		al.kind = RM_PK_VCOMPOUND;
		add_live(al, id);
	}
	FZ_ASSERT(covered == need, "covered %llu of %llu",
		  (unsigned long long)covered, (unsigned long long)need);
	for (o = 0; o < 3; o++) {
		idx = o == 0 ? 0 : o == 1 ? need - 1 : (d * 2654435761U) % need;
		i = rm_vc_piece_of(p, nr, idx);
		FZ_ASSERT(i < nr && p[i].first <= idx &&
			  idx < p[i].first + (1ULL << p[i].order), "idx %llu",
			  (unsigned long long)idx);
		FZ_ASSERT(rm_vc_pfn_of(p, nr, idx) == p[i].pfn + idx -
			  p[i].first, "idx %llu", (unsigned long long)idx);
	}
	vcs[nvcs++] = (struct vcl){ .p = p, .nr = nr, .id = id };
}

static void op_free(struct in *in)
{
	unsigned int i = get16(in), k;

	if (!nlive)
		return;
	i %= nlive;
	if (live[i].kind == RM_PK_VCOMPOUND) {
		for (k = 0; k < nvcs; k++)
			if (vcs[k].id == live[i].flags >> FZ_TAG_SHIFT)
				break;
		FZ_ASSERT(k < nvcs, "piece without its allocation");
		vc_free(k);
		return;
	}
	free_live(i);
}

/* Is (@pfn, @order) a block rm_buddy_free() takes? */
static bool buddy_valid(u64 pfn, unsigned int order)
{
	int i = live_at(pfn);

	return i >= 0 && !live[i].count && live[i].order == order;
}

static bool area_valid(u64 pfn, u64 count)
{
	int i = live_at(pfn);

	return i >= 0 && live[i].count == count;
}

/* A pfn near something interesting, picked by @v. */
static u64 some_pfn(unsigned int v, unsigned int w)
{
	unsigned int zi = v % NBLK;
	struct rm_block *blk = &rg.block[zi];

	switch ((v >> 2) & 7) {
	case 0:		/* a live allocation, or near one */
		if (nlive)
			return live[w % nlive].pfn + ((v >> 5) & 1 ? 0 :
				(u64)(s64)((int)(v >> 6) - 2));
		break;
	case 1:		/* outside every block */
		return (v >> 5) & 1 ? 0 : blk->base_pfn + blk->nr_pages +
					  (w & 0xff);
	case 2:		/* metadata */
		return blk->base_pfn + w % blk->meta_pages;
	case 3:		/* the last pages of a block */
		return blk->base_pfn + blk->nr_pages - 1 - (w & 15);
	}
	return blk->base_pfn + w % blk->nr_pages;
}

static void op_bad_free(struct in *in)
{
	unsigned int v = get8(in), w = get16(in), x = get8(in);
	u64 pfn = some_pfn(v, w), count;
	unsigned int order;
	int i, ret;

	switch (x & 3) {
	case 0:		/* a buddy block of the wrong order, or none */
	case 1:
		order = (x >> 2) % (b.max_order + 3);
		if (buddy_valid(pfn, order))
			return;
		i = live_at(pfn);
		if (i >= 0 && live[i].kind == RM_PK_VCOMPOUND &&
		    live[i].order == order)
			return;
		/* an xcf pool's page: the buddy cannot tell it from ours */
		if (i < 0 && !order && rm_region_find(&rg, pfn) &&
		    state_of(pfn) == rm_ps_make(RM_PK_XCF, 0, 0, true))
			return;
		EXPECT_REFUSED(rm_buddy_free(&b, pfn, order));
		break;
	case 2:		/* an area of the wrong size, or none */
		i = live_at(pfn);
		count = (x >> 2) & 7;
		if (i >= 0)
			count = nr_of(&live[i]) + (x & 0x20 ? count : -count);
		count &= 0xffff;
		if (area_valid(pfn, count))
			return;
		EXPECT_REFUSED(rm_memarea_free(&ma, pfn, count));
		break;
	case 3:		/* rm_cma_release() of pages not all handed out */
		if (buf_cma < 0 && !cma_on[(x >> 2) % NCMA])
			return;
		i = buf_cma >= 0 ? buf_cma : (int)((x >> 2) % NCMA);
		{
			struct rm_cma *c = &cmas[i];

			count = (w >> 8) % (c->count + 2);
			pfn = c->base_pfn + (w & 0xff) * 8 - 64;
			if (nbufs && (x & 0x20)) {	/* around a buffer */
				struct buf *bf = &bufs[w % nbufs];

				pfn = bf->pfn - (x & 0x40 ? 1 : 0);
				count = bf->count + 1;
			}
			/*
			 * Only exactly one buffer may be released: part of
			 * one, or two adjacent ones, are refused.
			 */
			if (buf_cma == i) {
				unsigned int k;

				for (k = 0; k < nbufs; k++)
					if (bufs[k].pfn == pfn &&
					    bufs[k].count == count)
						return;
			}
			if (nbufs && (x & 0x80)) {	/* part of a buffer */
				pfn = bufs[w % nbufs].pfn + (x & 0x40 ? 1 : 0);
				count = bufs[w % nbufs].count - 1;
				if (!count)
					return;
			}
			EXPECT_REFUSED(ret = rm_cma_release(c, pfn, count));
			FZ_ASSERT(ret == -EINVAL, "release: %d", ret);
		}
		break;
	}
	/* rm_vc_owns() knows the vcompound pieces, and nothing else */
	i = live_at(pfn);
	FZ_ASSERT(rm_vc_owns(&b, pfn, x & 15) ==
		  (i >= 0 && live[i].kind == RM_PK_VCOMPOUND &&
		   live[i].order == (x & 15)), "rm_vc_owns(%llx, %u)",
		  (unsigned long long)pfn, x & 15);
}

static const char *const cma_names[] = { "f0", "f1", "f2" };

static void op_cma_init(struct in *in)
{
	unsigned int v = get8(in), w = get8(in), slot = v % NCMA;
	unsigned int zi = (v >> 2) & 1;
	struct rm_block *blk = &rg.block[zi];
	const char *name = cma_names[slot];
	u64 base, count, p, idx;
	int want = 0, ret;

	if (cma_on[slot])
		return;
	base = ((blk->base_pfn >> RM_PAGEBLOCK_ORDER) + (w & 3)) <<
	       RM_PAGEBLOCK_ORDER;
	count = (1 + ((w >> 2) & 3)) * RM_PAGEBLOCK_NR;
	switch (v >> 5) {
	case 0:
		base += 1 + (w & 0x1ff);	/* misaligned */
		break;
	case 1:
		count -= 1 + (w & 0x7f);	/* not whole pageblocks */
		break;
	case 2:
		name = (v & 8) ? "" : "sixteen_chars_xx";
		break;
	}
	if (base & (RM_PAGEBLOCK_NR - 1) || count & (RM_PAGEBLOCK_NR - 1) ||
	    !name[0] || strlen(name) >= RM_CMA_NAME_LEN ||
	    base < blk->base_pfn || base + count > blk->base_pfn + blk->nr_pages)
		want = -EINVAL;
	for (p = base; !want && p < base + count; p++) {
		u16 s;

		idx = p - blk->base_pfn;
		s = blk->state[idx];
		if ((rm_bitmap_test(blk->bitmap, idx) &&
		     rm_ps_kind(s) != RM_PK_PCP) ||
		    (!(p & (RM_PAGEBLOCK_NR - 1)) && special_pb(blk, p)))
			want = -EBUSY;
	}
	ret = rm_cma_init(&cmas[slot], &b, name, base, count);
	FZ_ASSERT(ret == want, "region %llx+%llu: %d, want %d",
		  (unsigned long long)base, (unsigned long long)count, ret,
		  want);
	if (ret)
		return;
	cma_on[slot] = true;
	if (buf_cma < 0)
		oracle_cma = &cmas[slot];
	for (p = base; p < base + count; p += RM_PAGEBLOCK_NR)
		FZ_ASSERT(blk->pb_mt[rm_block_pb(blk, p)] == RM_MT_CMA,
			  "pageblock %llx", (unsigned long long)p);
}

static void op_cma_destroy(struct in *in)
{
	unsigned int slot = get8(in) % NCMA, i;
	int ret;

	if (!cma_on[slot])
		return;
	ret = rm_cma_destroy(&cmas[slot]);
	if (buf_cma == (int)slot) {
		FZ_ASSERT(ret == -EBUSY, "destroyed with buffers: %d", ret);
		return;
	}
	FZ_ASSERT(ret == 0, "%d", ret);
	cma_on[slot] = false;
	if (oracle_cma == &cmas[slot]) {
		oracle_cma = NULL;
		for (i = 0; i < NCMA; i++)
			if (cma_on[i])
				oracle_cma = &cmas[i];
	}
}

/* The owner's side of migration: copy the tags, free the old block. */
static int migrate(void *arg, u64 pfn, unsigned int order)
{
	struct rm_cma *c = arg;
	struct rm_block *blk;
	int i = live_at(pfn);
	struct alloc a;
	u64 to;

	FZ_ASSERT(i >= 0 && !live[i].count && live[i].order == order &&
		  live[i].kind == RM_PK_BUDDY &&
		  (live[i].flags & RM_ALLOC_MOVABLE),
		  "asked to migrate %llx order %u, not a movable block",
		  (unsigned long long)pfn, order);
	FZ_ASSERT(pfn + (1ULL << order) > c->base_pfn &&
		  pfn < c->base_pfn + c->count, "migrating from outside");
	FZ_ASSERT(tags_intact(&live[i]), "block at %llx overwritten",
		  (unsigned long long)pfn);
	if (live[i].flags & FZ_PINNED) {
		mig_refused++;
		return -EBUSY;
	}
	to = rm_buddy_alloc(&b, order, NUMA_NO_NODE, RM_ALLOC_MOVABLE,
			    RM_PK_BUDDY);
	if (to == RM_NO_PFN) {
		mig_nomem++;
		return -ENOMEM;
	}
	blk = rm_region_find(&rg, to);
	FZ_ASSERT(!isolated_in(blk, to, 1ULL << order),
		  "isolated pages handed out");
	a = live[i];
	free_live(i);
	a.pfn = to;
	add_live(a, a.flags >> FZ_TAG_SHIFT);
	return 0;
}

static void op_cma_alloc(struct in *in)
{
	unsigned int v = get8(in), w = get16(in), x = get8(in);
	unsigned int slot = v % NCMA;
	static const u64 aligns[8] = { 0, 1, 2, 8, 64, 512, 1024, 3 };
	struct rm_cma *c = &cmas[slot];
	struct rm_block *blk;
	u64 count, align, pfn, s, m, p;
	bool bad, fits = false;
	int err = 0;

	if (!cma_on[slot] || (buf_cma >= 0 && buf_cma != (int)slot) ||
	    nbufs == NBUF)
		return;
	blk = c->z->blk;
	count = 1 + w % (x & 0x80 ? c->count : 256);
	if ((x & 0x70) == 0x70)
		count = (x & 8) ? 0 : c->count + 1;
	align = aligns[x & 7];
	bad = !count || count > c->count || (align & (align - 1));
	/* is there an aligned position free of buffers? */
	m = (align ? align : 1) - 1;
	for (s = 0; !bad && !fits; s++) {
		s += (-(c->base_pfn + s)) & m;
		if (s + count > c->count)
			break;
		fits = rm_bitmap_next_set(c->bitmap, s + count, s) == s + count;
	}
	mig_refused = 0;
	mig_nomem = 0;
	oracle_cma = c;
	pfn = rm_cma_alloc(c, count, align, migrate, c, &err);
	for (p = c->base_pfn; p < c->base_pfn + c->count; p += RM_PAGEBLOCK_NR)
		FZ_ASSERT(blk->pb_mt[rm_block_pb(blk, p)] == RM_MT_CMA,
			  "pageblock %llx left as %u", (unsigned long long)p,
			  blk->pb_mt[rm_block_pb(blk, p)]);
	if (bad) {
		FZ_ASSERT(pfn == RM_NO_PFN && err == -EINVAL,
			  "count %llu align %llu: %d",
			  (unsigned long long)count, (unsigned long long)align,
			  err);
		return;
	}
	if (pfn == RM_NO_PFN) {
		FZ_ASSERT(err == -ENOMEM || err == -EBUSY, "err %d", err);
		/* -ENOMEM: no position (or no room to migrate to) */
		if (err == -ENOMEM && !mig_nomem)
			FZ_ASSERT(!fits, "count %llu align %llu: a position "
				  "was free", (unsigned long long)count,
				  (unsigned long long)align);
		/* -EBUSY: some block would not move */
		if (err == -EBUSY)
			FZ_ASSERT(mig_refused || mig_nomem,
				  "count %llu align %llu: busy, but every "
				  "block moved", (unsigned long long)count,
				  (unsigned long long)align);
		return;
	}
	FZ_ASSERT(fits, "no position was free");
	FZ_ASSERT(pfn >= c->base_pfn && pfn + count <= c->base_pfn + c->count &&
		  !(pfn & m), "pfn %llx count %llu align %llu",
		  (unsigned long long)pfn, (unsigned long long)count,
		  (unsigned long long)align);
	for (p = pfn; p < pfn + count; p++)
		FZ_ASSERT(rm_ps_kind(blk->state[p - blk->base_pfn]) ==
			  RM_PK_CMA && rm_bitmap_test(c->bitmap,
						      p - c->base_pfn),
			  "page %llx", (unsigned long long)p);
	buf_cma = slot;
	bufs[nbufs++] = (struct buf){ pfn, count };
	used[blk - rg.block] += count;
}

static void op_cma_release(struct in *in)
{
	unsigned int i = get8(in);
	struct rm_cma *c;

	if (!nbufs)
		return;
	i %= nbufs;
	c = &cmas[buf_cma];
	FZ_ASSERT(rm_cma_release(c, bufs[i].pfn, bufs[i].count) == 0,
		  "release %llx+%llu", (unsigned long long)bufs[i].pfn,
		  (unsigned long long)bufs[i].count);
	used[c->z->blk - rg.block] -= bufs[i].count;
	bufs[i] = bufs[--nbufs];
	if (!nbufs)
		buf_cma = -1;
}

static void op_pin(struct in *in)
{
	unsigned int i = get16(in);

	if (!nlive)
		return;
	i %= nlive;
	if (!live[i].count && (live[i].flags & RM_ALLOC_MOVABLE))
		live[i].flags ^= FZ_PINNED;
}

static void op_cpu(struct in *in)
{
	unsigned int v = get8(in);

	rm_user_cpu = v % RM_USER_NR_CPUS;
	rm_user_node = (v >> 2) & 1;
}

static void op_stats(struct in *in)
{
	struct rm_buddy_stats st;
	struct rm_memarea_stats ms;
	struct rm_cma_usage u;
	u64 free = 0, cached = 0, pages = 0, areas = 0, run = 0, most = 0, q;
	unsigned int zi, i;

	rm_buddy_stats(&b, &st);
	for (zi = 0; zi < NBLK; zi++) {
		free += b.zone[zi].free_pages;
		cached += pcp_pages(zi);
	}
	FZ_ASSERT(st.free_pages == free && st.pcp_pages == cached,
		  "buddy stats");
	rm_memarea_stats(&ma, &ms);
	for (i = 0; i < nlive; i++)
		if (live[i].count) {
			pages += live[i].count;
			areas++;
		}
	FZ_ASSERT(ms.pages == pages &&
		  (!rm_stats_enabled() ||
		   (ms.successes - ms.frees == areas &&
		    ms.requests == ms.successes + ms.failures)),
		  "memarea stats");
	for (i = 0; i < NCMA; i++) {
		struct rm_cma *c = &cmas[i];

		if (!cma_on[i])
			continue;
		rm_cma_usage(c, &u);
		for (pages = 0, q = 0; (int)i == buf_cma && q < nbufs; q++)
			pages += bufs[q].count;
		for (run = most = 0, q = 0; q < c->count; q++) {
			run = rm_bitmap_test(c->bitmap, q) ? 0 : run + 1;
			most = max(most, run);
		}
		FZ_ASSERT(u.used == pages && c->st.used == pages &&
			  u.used + u.lent + u.free == c->count &&
			  u.maxchunk == most, "cma usage of %s", c->name);
		FZ_ASSERT(c->st.attempts == c->st.successes + c->st.failures,
			  "cma stats of %s", c->name);
	}
}

/* --- xcf --- */

static u8 xbyte(const struct xobj *o, u32 i)
{
	return (u8)(o->tag * 131 + i * 7 + (i >> 8));
}

/* Byte @i of the object at @l: through the one or two pieces. */
static u8 *xat(const struct rm_xcf_loc *l, u32 i)
{
	if (i < l->seg[0].len)
		return (u8 *)l->seg[0].addr + i;
	FZ_ASSERT(l->nr == 2 && i - l->seg[0].len < l->seg[1].len,
		  "byte %u outside the pieces", i);
	return (u8 *)l->seg[1].addr + (i - l->seg[0].len);
}

static void xcheck_loc(const struct xobj *o, const struct rm_xcf_loc *l)
{
	u32 i;

	FZ_ASSERT(l->nr == 1 || l->nr == 2, "%u pieces", l->nr);
	FZ_ASSERT(l->len >= o->size && l->len <= RM_XCF_MAX_SIZE,
		  "len %u for %u bytes", l->len, o->size);
	FZ_ASSERT(l->seg[0].len + (l->nr == 2 ? l->seg[1].len : 0) == l->len,
		  "pieces of %u bytes", l->len);
	FZ_ASSERT(l->seg[0].off + l->seg[0].len <= PAGE_SIZE &&
		  (l->nr == 1 || (l->seg[0].off + l->seg[0].len == PAGE_SIZE &&
				  l->seg[1].off == 0)), "pieces cross a page");
	FZ_ASSERT(l->seg[0].addr == (u8 *)virt(l->seg[0].pfn) + l->seg[0].off,
		  "address of the first piece");
	FZ_ASSERT(l->nr == 1 || l->seg[1].addr == virt(l->seg[1].pfn),
		  "address of the second piece");
	FZ_ASSERT(l->nr == 1 || l->contig ==
		  (l->seg[1].pfn == l->seg[0].pfn + 1 &&
		   zone_of(l->seg[0].pfn) == zone_of(l->seg[1].pfn)),
		  "contig");
	for (i = 0; i < l->nr; i++)
		FZ_ASSERT(rm_ps_kind(state_of(l->seg[i].pfn)) == RM_PK_XCF,
			  "piece %u in a page that is not xcf's", i);
}

/* Map @o, check where and what it is, unmap. */
static void xverify(const struct xobj *o)
{
	struct rm_xcf_loc l, u;
	u32 i;

	if (xmapped >= 0 && o == &xobjs[xmapped]) {
		l = xmap_loc;
	} else {
		FZ_ASSERT(!rm_xcf_map(xpool(o->pool), o->h, RM_XCF_MAP_RO, &l),
			  "map %lx", o->h);
	}
	xcheck_loc(o, &l);
	for (i = 0; i < o->size; i++)
		FZ_ASSERT(*xat(&l, i) == xbyte(o, i),
			  "object %lx byte %u of %u", o->h, i, o->size);
	if (xmapped >= 0 && o == &xobjs[xmapped])
		return;
	FZ_ASSERT(!rm_xcf_unmap(xpool(o->pool), o->h, &u), "unmap");
	FZ_ASSERT(u.mode == RM_XCF_MAP_RO && u.seg[0].addr == l.seg[0].addr,
		  "unmap gave another mapping back");
}

static void xverify_pool(unsigned int p)
{
	unsigned int i;

	for (i = 0; i < nxobjs; i++)
		if (xobjs[i].pool == p)
			xverify(&xobjs[i]);
}

/* Each pool's live handles are the objects held: the pools in @pools. */
static void xcheck_counts(unsigned int pools)
{
	struct rm_xcf_pool_stats ps;
	unsigned int p, i, n;

	for (p = 0; p < NXP; p++) {
		if (!xpools[p] || !(pools & BIT(p)))
			continue;
		for (i = n = 0; i < nxobjs; i++)
			n += xobjs[i].pool == p;
		rm_xcf_stats(xpools[p], &ps, NULL);
		FZ_ASSERT(ps.handles == n, "pool %u: %llu handles, %u objects",
			  p, (unsigned long long)ps.handles, n);
		FZ_ASSERT(ps.pages == rm_xcf_total_pages(xpools[p]) &&
			  ps.pages == ps.data_pages + ps.meta_pages,
			  "pool %u pages", p);
	}
}

/* Pages the pools hold from the buddy. */
static u64 xpages(void)
{
	u64 n = 0;
	unsigned int p;

	for (p = 0; p < NXP; p++)
		if (xpools[p])
			n += rm_xcf_total_pages(xpools[p]);
	return n;
}

static void xunmap_kept(void)
{
	struct rm_xcf_loc u;

	if (xmapped < 0)
		return;
	xverify(&xobjs[xmapped]);
	FZ_ASSERT(!rm_xcf_unmap(xpool(xobjs[xmapped].pool),
				xobjs[xmapped].h, &u), "unmap kept");
	xmapped = -1;
}

static void xforget(unsigned int i)
{
	if (nxstale < NXSTALE)
		xstale[nxstale++] = xobjs[i].h;
	else
		xstale[xobjs[i].tag % NXSTALE] = xobjs[i].h;
	if (xmapped == (int)nxobjs - 1)
		xmapped = i;
	xobjs[i] = xobjs[--nxobjs];
}

static void op_xcf_create(struct in *in)
{
	unsigned int p = get8(in) % NXP;
	int nid = (int)(get8(in) % 3) - 1;

	if (xpools[p])
		return;
	xpools[p] = rm_xcf_create(&b, nid);
	xtouched |= BIT(p);
	FZ_ASSERT(xpools[p], "create");
	FZ_ASSERT(rm_xcf_total_pages(xpools[p]) == 0, "a new pool holds pages");
}

static void xdestroy(unsigned int p)
{
	unsigned int i;

	if (xmapped >= 0 && xobjs[xmapped].pool == p)
		xunmap_kept();
	xverify_pool(p);
	for (i = 0; i < nxobjs; i++)
		if (xobjs[i].pool == p)
			xforget(i--);
	rm_xcf_destroy(xpool(p));
	xpools[p] = NULL;
	nxstale = 0;	/* a new pool may hand the same handles out */
}

static void op_xcf_destroy(struct in *in)
{
	unsigned int p = get8(in) % NXP;

	if (xpools[p])
		xdestroy(p);
}

static void op_xcf_malloc(struct in *in)
{
	/*
	 * Half the sizes from a few classes (the largest, one crossing
	 * pages, a small one), so that vpages of one class fill, split
	 * across CPU heaps and compact; the rest anywhere in 0..4199.
	 */
	static const u32 hot[] = { 1, 100, 1500, 2100, 3000, 4096 };
	unsigned int p = get8(in) % NXP, v = get8(in);
	u32 size = get16(in);
	unsigned int flags = v & 1 ? RM_XCF_ZERO : 0;
	unsigned int cpu = (v >> 1) % (RM_USER_NR_CPUS + 1);
	struct rm_xcf_loc l, u;
	struct xobj *o;
	unsigned long h = 0;
	u64 before;
	u32 i;
	int ret;

	if (!xpools[p] || nxobjs == NXO)
		return;
	size = size & 0x8000 ? hot[size % ARRAY_SIZE(hot)] : size % 4200;
	if ((v >> 4) == 15)
		flags |= 1U << (v & 7);		/* maybe an unknown flag */
	before = rm_xcf_total_pages(xpools[p]);
	ret = rm_xcf_malloc(xpool(p), size, flags, cpu, &h);
	if (!size || flags & ~RM_XCF_MALLOC_VALID ||
	    cpu >= RM_USER_NR_CPUS) {
		/* both errors apply to an oversized bad call: either will do */
		FZ_ASSERT(ret == -EINVAL ||
			  (size > RM_XCF_MAX_SIZE && ret == -E2BIG),
			  "%u bytes, flags %x, cpu %u: %d", size, flags, cpu,
			  ret);
		return;
	}
	if (size > RM_XCF_MAX_SIZE) {
		FZ_ASSERT(ret == -E2BIG, "%u bytes: %d", size, ret);
		return;
	}
	if (ret) {
		FZ_ASSERT(ret == -ENOMEM, "%u bytes: %d", size, ret);
		FZ_ASSERT(rm_xcf_total_pages(xpools[p]) == before,
			  "a failed malloc kept pages");
		return;
	}
	FZ_ASSERT(h, "handle 0");
	for (i = 0; i < nxobjs; i++)
		FZ_ASSERT(xobjs[i].h != h || xobjs[i].pool != p,
			  "handle %lx handed out twice", h);
	o = &xobjs[nxobjs++];
	*o = (struct xobj){ h, size, next_tag++, p };
	FZ_ASSERT(!rm_xcf_map(xpool(p), h, RM_XCF_MAP_WO, &l), "map new");
	xcheck_loc(o, &l);
	if (flags & RM_XCF_ZERO)
		for (i = 0; i < size; i++)
			FZ_ASSERT(!*xat(&l, i), "zeroed object byte %u", i);
	for (i = 0; i < size; i++)
		*xat(&l, i) = xbyte(o, i);
	FZ_ASSERT(!rm_xcf_unmap(xpool(p), h, &u) && u.mode == RM_XCF_MAP_WO,
		  "unmap new");
}

static void op_xcf_free(struct in *in)
{
	unsigned int i = get16(in);

	if (!nxobjs)
		return;
	i %= nxobjs;
	if ((int)i == xmapped)
		xunmap_kept();
	xverify(&xobjs[i]);
	rm_xcf_free(xpool(xobjs[i].pool), xobjs[i].h);
	xforget(i);
}

static void op_xcf_map(struct in *in)
{
	static const unsigned int modes[] = {
		RM_XCF_MAP_RO, RM_XCF_MAP_WO, RM_XCF_MAP_RW, 0, 4,
	};
	unsigned int i = get16(in), v = get8(in);
	unsigned int mode = modes[v % ARRAY_SIZE(modes)];
	struct rm_xcf_pool *pool;
	struct rm_xcf_loc l;
	struct xobj *o;
	int ret;

	if (xmapped >= 0) {
		o = &xobjs[xmapped];
		ret = rm_xcf_map(xpool(o->pool), o->h, RM_XCF_MAP_RO, &l);
		FZ_ASSERT(ret == -EBUSY, "a second map: %d", ret);
		xunmap_kept();
		return;
	}
	if (!nxobjs)
		return;
	o = &xobjs[i % nxobjs];
	pool = xpool(o->pool);
	ret = rm_xcf_map(pool, o->h, mode, &l);
	if (mode & ~RM_XCF_MAP_VALID || !mode) {
		FZ_ASSERT(ret == -EINVAL, "mode %x: %d", mode, ret);
		return;
	}
	FZ_ASSERT(!ret, "map mode %x: %d", mode, ret);
	FZ_ASSERT(l.mode == mode, "mode %x, loc says %x", mode, l.mode);
	xmapped = o - xobjs;
	xmap_loc = l;
	xverify(o);
	if (v & 0x80)
		xunmap_kept();	/* else it stays mapped across later ops */
}

static void op_xcf_compact(struct in *in)
{
	unsigned int p = get8(in) % NXP;
	struct rm_xcf_loc kept = xmap_loc;
	struct rm_xcf_pool_stats a, z;
	u64 freed;

	if (!xpools[p])
		return;
	rm_xcf_stats(xpools[p], &a, NULL);
	freed = rm_xcf_compact(xpool(p));
	rm_xcf_stats(xpools[p], &z, NULL);
	/* it counts vpage pages; a table page it empties goes back too */
	FZ_ASSERT(z.data_pages + freed == a.data_pages &&
		  z.meta_pages <= a.meta_pages,
		  "compaction freed %llu: data %llu -> %llu, tables %llu -> %llu",
		  (unsigned long long)freed,
		  (unsigned long long)a.data_pages,
		  (unsigned long long)z.data_pages,
		  (unsigned long long)a.meta_pages,
		  (unsigned long long)z.meta_pages);
	if (xmapped >= 0) {
		struct rm_xcf_loc l;
		struct xobj *o = &xobjs[xmapped];

		/* it stayed: unmapped and mapped again, it is still there */
		xunmap_kept();
		FZ_ASSERT(!rm_xcf_map(xpool(o->pool), o->h, RM_XCF_MAP_RO, &l),
			  "map after compaction");
		FZ_ASSERT(l.seg[0].addr == kept.seg[0].addr,
			  "a mapped object moved");
		xmapped = o - xobjs;
		xmap_loc = l;
	}
	xverify_pool(p);
}

static void op_xcf_drain(struct in *in)
{
	unsigned int p = get8(in) % NXP, cpu = get8(in) % RM_USER_NR_CPUS;

	if (!xpools[p])
		return;
	rm_xcf_drain(xpool(p), cpu);
	xverify_pool(p);
}

static void op_xcf_bad_free(struct in *in)
{
	unsigned int p = get8(in) % NXP, v = get8(in), i;
	struct rm_xcf_pool_stats a, z;
	unsigned long h;

	if (!xpools[p])
		return;
	switch (v % 4) {
	case 0:		/* a handle freed before */
		if (!nxstale)
			return;
		h = xstale[v / 4 % nxstale];
		for (i = 0; i < nxobjs; i++)
			if (xobjs[i].pool == p && xobjs[i].h == h)
				return;	/* handed out again */
		break;
	case 1:		/* a live one with another generation */
		if (!nxobjs || xobjs[v / 4 % nxobjs].pool != p)
			return;
		h = xobjs[v / 4 % nxobjs].h ^ (1UL << (v / 4 % 16));
		for (i = 0; i < nxobjs; i++)
			if (xobjs[i].pool == p && xobjs[i].h == h)
				return;
		break;
	case 2:		/* the one mapped now */
		if (xmapped < 0 || xobjs[xmapped].pool != p)
			return;
		h = xobjs[xmapped].h;
		break;
	default:	/* anything */
		h = (unsigned long)get16(in) << 16 | get16(in);
		for (i = 0; i < nxobjs; i++)
			if (xobjs[i].pool == p && xobjs[i].h == h)
				return;
		break;
	}
	rm_xcf_stats(xpools[p], &a, NULL);
	EXPECT_REFUSED(rm_xcf_free(xpool(p), h));
	rm_xcf_stats(xpools[p], &z, NULL);
	FZ_ASSERT(!memcmp(&a, &z, sizeof(a)), "a bad free changed the pool");
}

enum {
	OP_BUDDY_ALLOC, OP_BUDDY_ALLOC2, OP_MEMAREA_ALLOC, OP_VC_TAKE,
	OP_FREE, OP_FREE2, OP_BAD_FREE, OP_CMA_INIT, OP_CMA_DESTROY,
	OP_CMA_ALLOC, OP_CMA_RELEASE, OP_PIN, OP_DRAIN, OP_CPU, OP_STATS,
	OP_XCF_CREATE, OP_XCF_DESTROY, OP_XCF_MALLOC, OP_XCF_MALLOC2,
	OP_XCF_FREE, OP_XCF_MAP, OP_XCF_COMPACT, OP_XCF_DRAIN,
	OP_XCF_BAD_FREE,
	OP_NR
};

static const char *const op_names[OP_NR] = {
	"buddy alloc", "buddy alloc", "memarea alloc", "vcompound take",
	"free", "free", "bad free", "cma create", "cma destroy", "cma alloc",
	"cma release", "pin", "drain", "cpu", "stats",
	"xcf create", "xcf destroy", "xcf malloc", "xcf malloc", "xcf free",
	"xcf map", "xcf compact", "xcf drain", "xcf bad free",
};

static void count_free(u64 (*c)[RM_MAX_ORDER_LIMIT + 1])
{
	unsigned int zi, o, mt;

	memset(c, 0, sizeof(start_free));
	for (zi = 0; zi < NBLK; zi++)
		for (o = 0; o <= b.zone[zi].max_order; o++)
			for (mt = 0; mt < RM_MT_TYPES; mt++)
				c[zi][o] += b.zone[zi].area[o].nr_free[mt];
}

static void tear_down(void)
{
	u64 now[NBLK][RM_MAX_ORDER_LIMIT + 1];
	unsigned int i;

	full_check("at the end of the input");
	fz_what = "tear down";
	for (i = 0; i < NXP; i++)
		if (xpools[i])
			xdestroy(i);
	FZ_ASSERT(!nxobjs, "xcf objects left");
	for (i = 0; i < nlive; i++)
		FZ_ASSERT(tags_intact(&live[i]), "live %u at %llx overwritten",
			  i, (unsigned long long)live[i].pfn);
	while (nvcs)
		vc_free(nvcs - 1);
	while (nbufs) {
		nbufs--;
		FZ_ASSERT(!rm_cma_release(&cmas[buf_cma], bufs[nbufs].pfn,
					  bufs[nbufs].count), "release");
		used[cmas[buf_cma].z->blk - rg.block] -= bufs[nbufs].count;
	}
	buf_cma = -1;
	while (nlive)
		free_live(nlive - 1);
	for (i = 0; i < NCMA; i++)
		if (cma_on[i])
			FZ_ASSERT(!rm_cma_destroy(&cmas[i]), "destroy %u", i);
	memset(cma_on, 0, sizeof(cma_on));
	oracle_cma = NULL;
	rm_buddy_drain(&b);
	cheap_check();
	/* everything merged back into the blocks the zones started with */
	count_free(now);
	FZ_ASSERT(!memcmp(start_free, now, sizeof(now)),
		  "free blocks did not merge back");
	rm_buddy_destroy(&b);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct in in = { data, size };
	unsigned int op;

	op = get8(&in);
	/* mostly the default max_order, sometimes any the region allows */
	reset(op < 128 ? RM_DEFAULT_MAX_ORDER : op % 12);
	count_free(start_free);
	fz_op = 0;
	fz_what = "setup";
	while (in.n) {
		op = get8(&in) % OP_NR;
		fz_op++;
		fz_what = op_names[op];
		switch (op) {
		case OP_BUDDY_ALLOC:
		case OP_BUDDY_ALLOC2:
			op_buddy_alloc(&in);
			break;
		case OP_MEMAREA_ALLOC:
			op_memarea_alloc(&in);
			break;
		case OP_VC_TAKE:
			op_vc_take(&in);
			break;
		case OP_FREE:
		case OP_FREE2:
			op_free(&in);
			break;
		case OP_BAD_FREE:
			op_bad_free(&in);
			break;
		case OP_CMA_INIT:
			op_cma_init(&in);
			break;
		case OP_CMA_DESTROY:
			op_cma_destroy(&in);
			break;
		case OP_CMA_ALLOC:
			op_cma_alloc(&in);
			break;
		case OP_CMA_RELEASE:
			op_cma_release(&in);
			break;
		case OP_PIN:
			op_pin(&in);
			break;
		case OP_DRAIN:
			rm_buddy_drain(&b);
			break;
		case OP_CPU:
			op_cpu(&in);
			break;
		case OP_STATS:
			op_stats(&in);
			break;
		case OP_XCF_CREATE:
			op_xcf_create(&in);
			break;
		case OP_XCF_DESTROY:
			op_xcf_destroy(&in);
			break;
		case OP_XCF_MALLOC:
		case OP_XCF_MALLOC2:
			op_xcf_malloc(&in);
			break;
		case OP_XCF_FREE:
			op_xcf_free(&in);
			break;
		case OP_XCF_MAP:
			op_xcf_map(&in);
			break;
		case OP_XCF_COMPACT:
			op_xcf_compact(&in);
			break;
		case OP_XCF_DRAIN:
			op_xcf_drain(&in);
			break;
		case OP_XCF_BAD_FREE:
			op_xcf_bad_free(&in);
			break;
		}
		cheap_check();
		if (fz_op % RM_FUZZ_FULL_EVERY == 0)
			full_check("");
	}
	tear_down();
	return 0;
}
