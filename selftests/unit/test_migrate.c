// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/migrate.c against the oracle: the move of one movable block,
 * with each fallible step (the reverse map's reservation, the client's
 * callback) failed in turn, fail-nth style.  After every failure the
 * client still points at its old block, which is allocated and intact,
 * the reverse map names it alone, and the free pages are what they were;
 * no block the client points to is ever freed.  After a success the
 * client, the map and the oracle all agree on the new block.  A strict-node
 * block never crosses nodes; pin counts never wrap.
 */
#include "kselftest_harness.h"
#include "oracle.h"
#include <resmem/migrate.h>

/* The reverse map: one slot per pfn; 1 = reserved, 2 = the block's. */
static u8 map[0x40000];
static unsigned int calls, fail_at, client;	/* client: its live[] */
static bool client_switched;

static bool fail_now(void)
{
	return ++calls == fail_at;
}

static int t_reserve(void *arg, u64 to)
{
	if (fail_now())
		return -ENOMEM;
	map[to] = 1;
	return 0;
}

static void t_cancel(void *arg, u64 to)
{
	map[to] = 0;
}

static int t_migrate(void *arg, u64 from, u64 to)
{
	u8 *o = rm_block_pfn_to_virt(rm_region_find(&rg, from), from);
	u8 *n = rm_block_pfn_to_virt(rm_region_find(&rg, to), to);

	if (fail_now())
		return -EBUSY;
	/* the data is there before the client switches */
	if (memcmp(o, n, PAGE_SIZE << live[client].order))
		return -EIO;
	live[client].pfn = to;
	client_switched = true;
	return 0;
}

static void t_commit(void *arg, u64 from, u64 to)
{
	map[to] = 2;
	map[from] = 0;
}

static const struct rm_mv_ops t_ops = {
	.reserve = t_reserve,
	.cancel = t_cancel,
	.migrate = t_migrate,
	.commit = t_commit,
};

static u64 free_pages(void)
{
	struct rm_buddy_stats st;

	rm_buddy_drain(&b);
	rm_buddy_stats(&b, &st);
	return st.free_pages;
}

static unsigned int map_entries(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < ARRAY_SIZE(map); i++)
		n += !!map[i];
	return n;
}

static u8 *data_of(unsigned int i)
{
	return rm_block_pfn_to_virt(rm_region_find(&rg, live[i].pfn),
				    live[i].pfn);
}

static void fill_tag(unsigned int i, u8 tag)
{
	memset(data_of(i), tag, PAGE_SIZE << live[i].order);
}

static bool tagged(unsigned int i, u8 tag)
{
	u8 *p = data_of(i);
	u64 n;

	for (n = 0; n < PAGE_SIZE << live[i].order; n++)
		if (p[n] != tag)
			return false;
	return true;
}

/* A movable block of @order on @nid (strictly), in live[] and the map. */
static unsigned int add_block(unsigned int order, int nid, unsigned int fl)
{
	u64 pfn = rm_buddy_alloc(&b, order, nid, RM_ALLOC_MOVABLE | fl,
				 RM_PK_BUDDY);

	if (pfn == RM_NO_PFN)
		return ~0U;
	live[nlive] = (struct alloc){ pfn, order, nid,
				      RM_ALLOC_MOVABLE | fl, 0 };
	map[pfn] = 2;
	return nlive++;
}

/*
 * Move live[@i] with the @fail_at'th fallible step failing (0: none).
 * Return the move's error, 0 when it moved.
 */
static int move_one(struct __test_metadata *_metadata, unsigned int i,
		    unsigned int nth, int nid, unsigned int flags)
{
	u64 from = live[i].pfn, before = free_pages(), to;
	unsigned int entries = map_entries();
	struct rm_block *blk;
	int err = 0;

	client = i;
	calls = 0;
	fail_at = nth;
	client_switched = false;
	to = rm_mv_move(&b, from, live[i].order, nid, flags, &t_ops, NULL,
			&err);
	blk = rm_region_find(&rg, live[i].pfn);
	EXPECT_EQ(RM_PK_BUDDY,
		  rm_ps_kind(blk->state[live[i].pfn - blk->base_pfn]))
		TH_LOG("the block the client points to (%llx) is freed",
		       (unsigned long long)live[i].pfn);
	check(_metadata);
	EXPECT_EQ(before, free_pages());
	EXPECT_EQ(entries, map_entries());
	EXPECT_TRUE(tagged(i, 0xc3));
	if (to == RM_NO_PFN) {
		EXPECT_NE(0, err);
		/* the client was not left on a block that is gone */
		EXPECT_EQ(from, live[i].pfn);
		EXPECT_EQ(2, map[from]);
		return err;
	}
	EXPECT_TRUE(client_switched);
	EXPECT_EQ(to, live[i].pfn);
	EXPECT_EQ(2, map[to]);
	EXPECT_EQ(0, map[from]);
	return 0;
}

TEST(each_fallible_step_fails_in_turn)
{
	unsigned int order, nth, i;
	int err;

	for (order = 0; order <= 4; order += 2) {
		setup(10);
		memset(map, 0, sizeof(map));
		i = add_block(order, NUMA_NO_NODE, 0);
		ASSERT_NE(~0U, i);
		fill_tag(i, 0xc3);
		check(_metadata);
		for (nth = 1; nth < 10; nth++) {
			err = move_one(_metadata, i, nth, NUMA_NO_NODE, 0);
			if (!err)
				break;
			EXPECT_EQ(nth == 1 ? -ENOMEM : -EBUSY, err)
				TH_LOG("order %u, step %u", order, nth);
		}
		/* two fallible steps, then a move with none failing */
		EXPECT_EQ(3, nth) TH_LOG("order %u", order);
		EXPECT_EQ(0, move_one(_metadata, i, 0, NUMA_NO_NODE, 0));
		rm_buddy_free(&b, live[i].pfn, order);
		nlive = 0;
		check(_metadata);
	}
}

TEST(client_refusing_keeps_the_block)
{
	unsigned int i, n;

	setup(10);
	memset(map, 0, sizeof(map));
	i = add_block(3, 0, 0);
	ASSERT_NE(~0U, i);
	fill_tag(i, 0xc3);
	for (n = 0; n < 50; n++)
		EXPECT_EQ(-EBUSY, move_one(_metadata, i, 2, NUMA_NO_NODE, 0));
	EXPECT_EQ(0, move_one(_metadata, i, 0, NUMA_NO_NODE, 0));
}

/* Node 1 full: a strict block fails rather than cross; a loose one moves. */
TEST(strict_node_never_crosses)
{
	unsigned int i, j, order = 2;
	int nid;

	setup(10);
	memset(map, 0, sizeof(map));
	i = add_block(order, 1, RM_ALLOC_STRICT_NODE);
	ASSERT_NE(~0U, i);
	fill_tag(i, 0xc3);
	/* with room on node 1 it stays on node 1 */
	EXPECT_EQ(0, move_one(_metadata, i, 0, 1, RM_ALLOC_STRICT_NODE));
	EXPECT_EQ(1, rm_region_find(&rg, live[i].pfn)->nid);
	while (add_block(order, 1, RM_ALLOC_STRICT_NODE) != ~0U)
		;
	check(_metadata);
	EXPECT_EQ(-ENOMEM, move_one(_metadata, i, 0, 1,
				    RM_ALLOC_STRICT_NODE));
	EXPECT_EQ(1, rm_region_find(&rg, live[i].pfn)->nid);
	/* the same block without the rule moves to node 0 */
	EXPECT_EQ(0, move_one(_metadata, i, 0, 1, 0));
	nid = rm_region_find(&rg, live[i].pfn)->nid;
	EXPECT_EQ(0, nid);
	for (j = nlive; j-- > 0;)
		free_at(j);
	check(_metadata);
}

TEST(pin_count_never_wraps)
{
	unsigned int pinned = RM_PIN_MAX - 1;

	EXPECT_EQ(0, rm_pin_add(&pinned));
	EXPECT_EQ(RM_PIN_MAX, pinned);
	EXPECT_EQ(-EOVERFLOW, rm_pin_add(&pinned));
	EXPECT_EQ(RM_PIN_MAX, pinned);
	EXPECT_EQ(0, rm_pin_sub(&pinned));
	EXPECT_EQ(RM_PIN_MAX - 1, pinned);
	pinned = 0;
	EXPECT_EQ(-EINVAL, rm_pin_sub(&pinned));
	EXPECT_EQ(0, pinned);
	EXPECT_EQ(0, rm_pin_add(&pinned));
	EXPECT_EQ(1, pinned);
}

TEST_HARNESS_MAIN
