// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/region.c: registration, node splitting, the metadata budget and
 * enable, checked against brute force where there is something to compare.
 */
#include <stdlib.h>
#include <resmem/core.h>
#include "kselftest_harness.h"

static struct rm_region rg;

/* A fake NUMA map: node boundaries at arbitrary pfns. */
struct nodemap {
	u64 bound[8];	/* node i covers [bound[i - 1], bound[i]) */
	int nr;
};

static int map_nid(u64 pfn, void *arg)
{
	struct nodemap *m = arg;
	int i;

	for (i = 0; i < m->nr; i++)
		if (pfn < m->bound[i])
			return i;
	return m->nr;
}

TEST(add_sorted_and_find)
{
	rm_region_init(&rg);
	ASSERT_EQ(0, rm_region_add(&rg, 5000, 1000, 1, 2));
	ASSERT_EQ(0, rm_region_add(&rg, 1000, 1000, 0, 0));
	ASSERT_EQ(0, rm_region_add(&rg, 3000, 1000, 0, 1));
	ASSERT_EQ(3, rg.nr_blocks);
	EXPECT_EQ(1000, rg.block[0].base_pfn);
	EXPECT_EQ(3000, rg.block[1].base_pfn);
	EXPECT_EQ(5000, rg.block[2].base_pfn);
	EXPECT_EQ(NULL, rm_region_find(&rg, 999));
	EXPECT_EQ(&rg.block[0], rm_region_find(&rg, 1000));
	EXPECT_EQ(&rg.block[0], rm_region_find(&rg, 1999));
	EXPECT_EQ(NULL, rm_region_find(&rg, 2000));
	EXPECT_EQ(&rg.block[2], rm_region_find(&rg, 5999));
	EXPECT_EQ(NULL, rm_region_find(&rg, 6000));
	/* overlaps, at either end and inside */
	EXPECT_EQ(-EEXIST, rm_region_add(&rg, 1999, 2, 0, 3));
	EXPECT_EQ(-EEXIST, rm_region_add(&rg, 2500, 600, 0, 3));
	EXPECT_EQ(-EEXIST, rm_region_add(&rg, 0, 10000, 0, 3));
	EXPECT_EQ(-EINVAL, rm_region_add(&rg, 7000, 0, 0, 3));
	EXPECT_EQ(-EINVAL, rm_region_add(&rg, U64_MAX - 1, 4, 0, 3));
	EXPECT_EQ(3, rg.nr_blocks);
	EXPECT_EQ(3000, rm_region_total_pages(&rg));
}

TEST(too_small_for_metadata)
{
	u64 n;

	rm_region_init(&rg);
	/* the smallest block that keeps one page after its metadata */
	for (n = 1; n <= rm_meta_pages(n); n++)
		;
	EXPECT_EQ(2, n);
	EXPECT_EQ(-ENOSPC, rm_region_add(&rg, 0, 1, 0, 0));
	EXPECT_EQ(0, rm_region_add(&rg, 0, 2, 0, 0));
}

TEST(full_table)
{
	unsigned int i;

	rm_region_init(&rg);
	for (i = 0; i < RM_MAX_BLOCKS; i++)
		ASSERT_EQ(0, rm_region_add(&rg, i * 100, 100, 0, i));
	EXPECT_EQ(-ENOSPC, rm_region_add(&rg, 1000000, 100, 0, 0));
}

TEST(metadata_budget)
{
	u64 mib;

	/* at or below 0.2% of the block, from 1 MiB to 16 TiB */
	for (mib = 1; mib <= (16ULL << 20); mib *= 2) {
		u64 n = mib << (20 - PAGE_SHIFT);

		EXPECT_LE(rm_meta_pages(n) * 1000, n * 2 + 1000)
			TH_LOG("%llu MiB", (unsigned long long)mib);
		EXPECT_LE(rm_meta_bytes(n) * 1000, n * PAGE_SIZE * 2);
	}
	/* 512 MiB: 16 KiB bitmap + 256 KiB state + 257 pageblock bytes */
	EXPECT_EQ(69, rm_meta_pages(131072));
}

/* Blocks from add_range must tile the range, one node each, maximal. */
static void check_split(struct __test_metadata *_metadata, u64 base, u64 nr,
			struct nodemap *m)
{
	u64 pfn = base;
	unsigned int i;

	ASSERT_EQ(0, rm_region_add_range(&rg, base, nr, 7, map_nid, m));
	for (i = 0; i < rg.nr_blocks; i++) {
		struct rm_block *b = &rg.block[i];
		u64 p;

		ASSERT_EQ(pfn, b->base_pfn);
		ASSERT_EQ(7, b->range);
		for (p = b->base_pfn; p < b->base_pfn + b->nr_pages; p++)
			ASSERT_EQ(b->nid, map_nid(p, m));
		if (i)
			ASSERT_NE(rg.block[i - 1].nid, b->nid);
		pfn += b->nr_pages;
	}
	ASSERT_EQ(base + nr, pfn);
}

/* Brute force: does every same-node run of the range fit its metadata? */
static bool pieces_fit(u64 base, u64 nr, struct nodemap *m)
{
	u64 start = base, p;

	for (p = base + 1; p <= base + nr; p++) {
		if (p < base + nr && map_nid(p, m) == map_nid(start, m))
			continue;
		if (p - start <= rm_meta_pages(p - start))
			return false;
		start = p;
	}
	return true;
}

TEST(split_by_node)
{
	struct nodemap m = { .bound = { 1000, 1003, 5000, 5512, 9999 },
			     .nr = 5 };
	unsigned int trial;

	rm_region_init(&rg);
	check_split(_metadata, 0, 20000, &m);
	EXPECT_EQ(-EEXIST, rm_region_add_range(&rg, 10, 5, 0, map_nid, &m));

	/* random boundaries, including ones closer than the probe step */
	srandom(2);
	for (trial = 0; trial < 200; trial++) {
		u64 base = random() % 3000, nr = 1 + random() % 20000;
		int i;

		m.nr = 1 + random() % 6;
		m.bound[0] = base + random() % nr;
		for (i = 1; i < m.nr; i++)
			m.bound[i] = m.bound[i - 1] + 1 + random() % 3000;
		rm_region_init(&rg);
		if (!pieces_fit(base, nr, &m)) {
			EXPECT_EQ(-ENOSPC, rm_region_add_range(&rg, base, nr,
							       7, map_nid, &m));
			EXPECT_EQ(0, rg.nr_blocks);
			continue;
		}
		check_split(_metadata, base, nr, &m);
	}
}

TEST(split_is_all_or_nothing)
{
	/* node 1 gets a single page at the end: too small for metadata */
	struct nodemap m = { .bound = { 9999 }, .nr = 1 };

	rm_region_init(&rg);
	EXPECT_EQ(-ENOSPC, rm_region_add_range(&rg, 0, 10000, 0, map_nid, &m));
	EXPECT_EQ(0, rg.nr_blocks);
}

TEST(enable_carves_metadata)
{
	u64 n1 = 40000, n2 = 333;
	char *mem1 = aligned_alloc(PAGE_SIZE, n1 * PAGE_SIZE);
	char *mem2 = aligned_alloc(PAGE_SIZE, n2 * PAGE_SIZE);
	struct rm_block *b;
	u64 i;

	ASSERT_NE(NULL, mem1);
	ASSERT_NE(NULL, mem2);
	memset(mem1, 0xaa, n1 * PAGE_SIZE);
	memset(mem2, 0xaa, n2 * PAGE_SIZE);
	rm_region_init(&rg);
	ASSERT_EQ(0, rm_region_add(&rg, 100000, n1, 0, 0));
	ASSERT_EQ(0, rm_region_add(&rg, 10, n2, 1, 1));
	EXPECT_EQ(-EINVAL, rm_region_enable(&rg));	/* no vaddr yet */
	rg.block[0].vaddr = mem2;
	rg.block[1].vaddr = mem1;
	ASSERT_EQ(0, rm_region_enable(&rg));
	EXPECT_EQ(-EINVAL, rm_region_enable(&rg));
	EXPECT_EQ(-EINVAL, rm_region_add(&rg, 0, 5, 0, 2));

	for (b = rg.block; b < rg.block + rg.nr_blocks; b++) {
		EXPECT_EQ(rm_meta_pages(b->nr_pages), b->meta_pages);
		EXPECT_EQ(b->nr_pages - b->meta_pages, b->free_pages);
		EXPECT_EQ(b->meta_pages,
			  rm_bitmap_weight(b->bitmap, 0, b->nr_pages));
		for (i = 0; i < b->nr_pages; i++) {
			ASSERT_EQ(i < b->meta_pages,
				  rm_bitmap_test(b->bitmap, i));
			ASSERT_EQ(i < b->meta_pages ? RM_PK_META : RM_PK_FREE,
				  rm_ps_kind(b->state[i]));
		}
		/* the metadata lies inside the pages it claims */
		EXPECT_LE((char *)(b->pb_mt + rm_block_pb(b, b->base_pfn +
							 b->nr_pages - 1) + 1) -
			  (char *)b->vaddr, (long)(b->meta_pages * PAGE_SIZE));
	}
	/* pages past the metadata are untouched */
	EXPECT_EQ((char)0xaa, mem1[rg.block[1].meta_pages * PAGE_SIZE]);
	EXPECT_EQ(rm_meta_bytes(n1) + rm_meta_bytes(n2),
		  rm_region_meta_bytes(&rg));
	EXPECT_EQ(rm_meta_pages(n1) + rm_meta_pages(n2),
		  rm_region_meta_pages(&rg));
	free(mem1);
	free(mem2);
}

/*
 * The metadata probe: memory that keeps what is written passes; memory that
 * reads back all ones or all zeroes (QEMU's answer where nothing is mapped)
 * fails at its first word; one word that does not hold, in the last metadata
 * page, is named exactly.  Enable still zeroes the metadata afterwards.
 */
TEST(meta_probe)
{
	u64 nr = 70000, len, off, wrote, read, mp;
	struct rm_block *b;
	u8 *mem;

	rm_region_init(&rg);
	ASSERT_EQ(0, rm_region_add(&rg, 0x12345, nr, 0, 0));
	b = &rg.block[0];
	mp = rm_meta_pages(nr);
	ASSERT_GT(mp, 1);
	len = mp * PAGE_SIZE;
	mem = aligned_alloc(PAGE_SIZE, nr * PAGE_SIZE);
	ASSERT_NE(NULL, mem);
	b->vaddr = mem;

	rm_block_meta_probe_fill(b);
	EXPECT_EQ(U64_MAX, rm_block_meta_probe_check(b, &wrote, &read));
	/* the whole metadata reads back as all ones, then as zeroes */
	memset(mem, 0xff, len);
	EXPECT_EQ(0, rm_block_meta_probe_check(b, &wrote, &read));
	EXPECT_EQ(~0ULL, read);
	EXPECT_EQ((0x12345ULL << PAGE_SHIFT) ^ 0xa5a5a5a5a5a5a5a5ULL, wrote);
	rm_block_meta_probe_fill(b);
	memset(mem, 0, len);
	EXPECT_EQ(0, rm_block_meta_probe_check(b, &wrote, &read));
	EXPECT_EQ(0, read);
	/* one bit of one word, in the last byte of the metadata */
	rm_block_meta_probe_fill(b);
	off = len - sizeof(u64);
	mem[len - 1] ^= 0x80;
	EXPECT_EQ(off, rm_block_meta_probe_check(b, &wrote, &read));
	EXPECT_EQ(wrote ^ (0x80ULL << 56), read);
	/* an address that aliases another: the later write wins */
	rm_block_meta_probe_fill(b);
	memcpy(mem + PAGE_SIZE, mem + 2 * PAGE_SIZE, 8);
	EXPECT_EQ(PAGE_SIZE, rm_block_meta_probe_check(b, &wrote, &read));
	/* pages past the metadata are left alone */
	mem[len] = 0x77;
	rm_block_meta_probe_fill(b);
	EXPECT_EQ(0x77, mem[len]);
	ASSERT_EQ(0, rm_region_enable(&rg));
	EXPECT_EQ(mp, b->meta_pages);
	EXPECT_EQ(0, b->pb_mt[0]);
	free(mem);
}

/*
 * The sums over blocks and rm_region_virt_to_pfn() (which the glue's
 * resmem_virt_to_pfn() is) against brute force: random blocks, mapped at
 * random places of one buffer in random order, every address of the buffer
 * looked up (a page's first, a middle and its last byte).
 */
TEST(sums_and_virt_to_pfn_against_brute_force)
{
	enum { SLOTS = 24, MAXPG = 40 };
	static char buf[SLOTS * MAXPG * PAGE_SIZE];
	unsigned int round, i, j, n, tmp, order[SLOTS];
	u64 total, meta, bytes, want, off;
	const char *a;

	srand(19);
	for (round = 0; round < 300; round++) {
		rm_region_init(&rg);
		n = 1 + rand() % 8;
		for (i = 0; i < SLOTS; i++)
			order[i] = i;
		for (i = 0; i < SLOTS; i++) {
			j = i + rand() % (SLOTS - i);
			tmp = order[i];
			order[i] = order[j];
			order[j] = tmp;
		}
		for (i = 0; i < n; i++)
			ASSERT_EQ(0, rm_region_add(&rg, 100000 * (i + 1) +
						   rand() % 1000,
						   20 + rand() % (MAXPG - 19),
						   rand() % 2, i));
		total = 0;
		meta = 0;
		bytes = 0;
		for (i = 0; i < n; i++) {
			struct rm_block *b = &rg.block[i];

			/* one block in three is not mapped */
			b->vaddr = rand() % 3 ? buf + (u64)order[i] * MAXPG *
						     PAGE_SIZE : NULL;
			total += b->nr_pages;
			meta += rm_meta_pages(b->nr_pages);
			bytes += rm_meta_bytes(b->nr_pages);
		}
		ASSERT_EQ(total, rm_region_total_pages(&rg));
		ASSERT_EQ(meta, rm_region_meta_pages(&rg));
		ASSERT_EQ(bytes, rm_region_meta_bytes(&rg));
		for (off = 0; off < sizeof(buf); off += PAGE_SIZE / 2 - 1) {
			a = buf + off;
			want = RM_NO_PFN;
			for (i = 0; i < n; i++) {
				const struct rm_block *b = &rg.block[i];
				const char *v = b->vaddr;

				if (v && a >= v && a < v + b->nr_pages *
							   PAGE_SIZE)
					want = b->base_pfn +
					       (a - v) / PAGE_SIZE;
			}
			ASSERT_EQ(want, rm_region_virt_to_pfn(&rg, a))
				TH_LOG("round %u offset %llu", round,
				       (unsigned long long)off);
		}
		EXPECT_EQ(RM_NO_PFN, rm_region_virt_to_pfn(&rg,
							   buf + sizeof(buf)));
	}
}

TEST_HARNESS_MAIN
