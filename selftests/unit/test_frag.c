// SPDX-License-Identifier: GPL-2.0
/*
 * The fragmentation map's decoder (src/core/frag.c) against a table
 * written out by hand: every page kind with every pageblock migratetype,
 * movable and not, head and tail, and the group summary against a count
 * done here for random blocks of mixed states.  The page-state accessors
 * of include/resmem/core.h are checked to undo rm_ps_make() and
 * rm_ps_mark_movable().  The sums, index text and map scale the debugfs
 * files use are checked against brute force, printf and the scale's
 * defining property.
 */
#include <stdlib.h>
#include <resmem/core.h>
#include "kselftest_harness.h"

#define PAGES	(4 * RM_PAGEBLOCK_NR)

static u16 state[PAGES];
static u8 pb_mt[PAGES / RM_PAGEBLOCK_NR];

/* A block not aligned to a pageblock, so rm_block_pb()'s offset counts. */
static struct rm_block blk = {
	.base_pfn = 3 * RM_PAGEBLOCK_NR + 17,
	.nr_pages = PAGES - RM_PAGEBLOCK_NR,
	.state = state,
	.pb_mt = pb_mt,
};

/* What the legend says each state means, spelled out once more. */
static char expect(unsigned int kind, bool movable, unsigned int mt)
{
	static const char letter[RM_PK_NR] = {
		[RM_PK_META] = 'M', [RM_PK_PCP] = 'p', [RM_PK_MEMAREA] = 'A',
		[RM_PK_CMA] = 'C', [RM_PK_VCOMPOUND] = 'V', [RM_PK_XCF] = 'X',
		[RM_PK_SYSTEM] = 'S', [RM_PK_KEPT] = 'K',
	};

	if (kind == RM_PK_FREE)
		return mt == RM_MT_ISOLATE ? 'I' : mt == RM_MT_CMA ? ',' : '.';
	if (kind == RM_PK_BUDDY)
		return !movable ? 'U' : mt == RM_MT_CMA ? 'l' : 'm';
	return letter[kind];
}

/* Every decoder of one page-state word built by the two encoders. */
static void check_state(struct __test_metadata *_metadata, unsigned int kind,
			unsigned int order, unsigned int mt, bool head,
			bool mov)
{
	u16 s = rm_ps_mark_movable(rm_ps_make(kind, order, mt, head), mov);
	u16 plain = rm_ps_make(kind, order, 0, head);

	ASSERT_EQ(kind, rm_ps_kind(s));
	ASSERT_EQ(mt, rm_ps_mt(s));
	ASSERT_EQ(head, rm_ps_is_head(s));
	ASSERT_EQ(head ? order : 0, rm_ps_order(s));
	ASSERT_EQ(head && kind == RM_PK_FREE, rm_ps_is_free_head(s));
	ASSERT_EQ(mov, rm_ps_is_movable(s));
	ASSERT_TRUE(rm_ps_is_movable(rm_ps_mark_movable(s, true)));
	ASSERT_EQ(s, rm_ps_mark_movable(s, false));
	ASSERT_EQ(rm_ps_mark_movable(plain, mov), rm_ps_without_mt(s));
}

TEST(page_state_accessors_undo_make)
{
	unsigned int kind, order, mt, head, mov;

	for (kind = 0; kind < RM_PK_NR; kind++)
		for (order = 0; order <= RM_PS_ORDER; order++)
			for (mt = 0; mt < RM_MT_TYPES; mt++)
				for (head = 0; head < 2; head++)
					for (mov = 0; mov < 2; mov++)
						check_state(_metadata, kind,
							    order, mt, head,
							    mov);
}

TEST(page_class_every_kind_and_type)
{
	unsigned int kind, mt, mov, head;
	u64 idx = 2 * RM_PAGEBLOCK_NR;	/* in blk's third pageblock */
	u64 pb = rm_block_pb(&blk, blk.base_pfn + idx);

	ASSERT_EQ(2, pb);
	for (kind = 0; kind < RM_PK_NR; kind++)
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			for (mov = 0; mov < 2; mov++)
				for (head = 0; head < 2; head++) {
					u16 s = rm_ps_make(kind, 3, 0, head);

					memset(pb_mt, RM_MT_UNMOVABLE,
					       sizeof(pb_mt));
					pb_mt[pb] = mt;
					state[idx] = rm_ps_mark_movable(s, mov);
					ASSERT_EQ(expect(kind, mov, mt),
						  rm_page_class(&blk, idx));
				}
	state[idx] = rm_ps_make(RM_PK_NR, 0, 0, false);
	ASSERT_EQ('?', rm_page_class(&blk, idx));
}

TEST(group_class_against_a_count)
{
	unsigned int round, i;

	srand(7);
	for (round = 0; round < 2000; round++) {
		u64 n = 1 + rand() % 64;
		u64 idx = rand() % (blk.nr_pages - n + 1);
		u64 free = 0;
		bool same = true;
		char c0, want;

		for (i = 0; i < ARRAY_SIZE(pb_mt); i++)
			pb_mt[i] = rand() % RM_MT_TYPES;
		/* often one state for all, so the uniform case is common */
		for (i = 0; i < n; i++) {
			u64 p = idx + i;

			if (i && rand() % 4) {
				state[p] = state[p - 1];
			} else {
				u16 s = rm_ps_make(rand() % RM_PK_NR, 0, 0,
						   false);

				state[p] = rm_ps_mark_movable(s, rand() % 2);
			}
		}
		c0 = rm_page_class(&blk, idx);
		for (i = 0; i < n; i++) {
			char c = rm_page_class(&blk, idx + i);

			same &= c == c0;
			free += c == '.' || c == ',' || c == 'I';
			ASSERT_EQ(c == '.' || c == ',' || c == 'I',
				  rm_class_is_free(c));
		}
		if (same)
			want = c0;
		else if (!free)
			want = '#';
		else
			want = '0' + (free * 10 / n < 1 ? 1 :
				      free * 10 / n > 9 ? 9 : free * 10 / n);
		ASSERT_EQ(want, rm_group_class(&blk, idx, n))
			TH_LOG("round %u: idx %llu n %llu free %llu", round,
			       (unsigned long long)idx, (unsigned long long)n,
			       (unsigned long long)free);
	}
}

/* buddyinfo's sums, against a walk that sums by migratetype first. */
TEST(free_by_order_against_brute_force)
{
	static struct rm_zone_counts c;
	u64 by[RM_MAX_ORDER_LIMIT + 1], want[RM_MAX_ORDER_LIMIT + 1];
	unsigned int round, o, mt;

	srand(23);
	for (round = 0; round < 1000; round++) {
		memset(want, 0, sizeof(want));
		memset(by, 0xff, sizeof(by));
		for (mt = 0; mt < RM_MT_TYPES; mt++)
			for (o = 0; o <= RM_MAX_ORDER_LIMIT; o++) {
				c.nr_free[o][mt] = rand() % 4 ? 0 :
						   (u64)rand() << (rand() % 20);
				want[o] += c.nr_free[o][mt];
			}
		rm_free_by_order(&c, by);
		for (o = 0; o <= RM_MAX_ORDER_LIMIT; o++)
			ASSERT_EQ(want[o], by[o]);
	}
}

/* The index text against printf's own %.3f of index / 1000. */
TEST(index_text_every_value)
{
	char got[16], want[16];
	int v;

	for (v = -1000; v <= 1000; v++) {
		rm_index_text(got, sizeof(got), v);
		snprintf(want, sizeof(want), "%.3f", v / 1000.0);
		ASSERT_STREQ(want, got);
	}
	rm_index_text(got, sizeof(got), -1000);
	EXPECT_STREQ("-1.000", got);
	rm_index_text(got, sizeof(got), 917);
	EXPECT_STREQ("0.917", got);
}

/*
 * The map's scale: a power of two that fits the map in its characters,
 * and the least one (half of it would not fit).
 */
TEST(fragmap_scale_least_that_fits)
{
	u64 pages, chars, s;
	unsigned int round;

	srand(29);
	for (round = 0; round < 100000; round++) {
		pages = (u64)rand() << (rand() % 24);
		chars = 1 + rand() % 10000;
		s = rm_fragmap_scale(pages, chars);
		ASSERT_EQ(0, s & (s - 1));
		ASSERT_LE(DIV_ROUND_UP(pages, s), chars);
		if (s > 1)
			ASSERT_GT(DIV_ROUND_UP(pages, s / 2), chars);
	}
	EXPECT_EQ(1, rm_fragmap_scale(0, 1));
	EXPECT_EQ(1, rm_fragmap_scale(8192, 8192));
	EXPECT_EQ(2, rm_fragmap_scale(8193, 8192));
	EXPECT_EQ(512, rm_fragmap_scale(4ULL << 20, 8192));
}

TEST_HARNESS_MAIN
