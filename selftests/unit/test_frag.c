// SPDX-License-Identifier: GPL-2.0
/*
 * The fragmentation map's decoder (src/core/frag.c) against a table
 * written out by hand: every page kind with every pageblock migratetype,
 * movable and not, head and tail, and the group summary against a count
 * done here for random blocks of mixed states.  The page-state accessors
 * of include/resmem/core.h are checked to undo rm_ps_make() and
 * rm_ps_mark_movable().
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

TEST_HARNESS_MAIN
