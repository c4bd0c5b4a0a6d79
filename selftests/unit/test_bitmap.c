// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/bitmap.c against a brute-force oracle: one bool per bit, every
 * answer recomputed by walking the bools.
 */
#include <stdlib.h>
#include <resmem/core.h>
#include "kselftest_harness.h"

#define MAXBITS 1100

static unsigned long map[BITS_TO_LONGS(MAXBITS) + 1];
static bool oracle[MAXBITS];

static u64 oracle_next(u64 size, u64 start, bool val)
{
	for (; start < size; start++)
		if (oracle[start] == val)
			return start;
	return size;
}

static void check_all(struct __test_metadata *_metadata, u64 size)
{
	u64 s, n, w;

	for (s = 0; s <= size; s++) {
		ASSERT_EQ(oracle_next(size, s, true),
			  rm_bitmap_next_set(map, size, s));
		ASSERT_EQ(oracle_next(size, s, false),
			  rm_bitmap_next_zero(map, size, s));
		if (s < size)
			ASSERT_EQ(oracle[s], rm_bitmap_test(map, s));
	}
	for (s = 0; s < size; s += 7) {
		for (n = 0; s + n <= size; n += 13) {
			u64 i;

			w = 0;
			for (i = s; i < s + n; i++)
				w += oracle[i];
			ASSERT_EQ(w, rm_bitmap_weight(map, s, n));
		}
	}
}

TEST(random_against_oracle)
{
	static const u64 sizes[] = { 1, 63, 64, 65, 127, 128, 129, 1000,
				     MAXBITS };
	unsigned int si, step;

	srandom(1);
	for (si = 0; si < ARRAY_SIZE(sizes); si++) {
		u64 size = sizes[si];

		memset(map, 0, sizeof(map));
		memset(oracle, 0, sizeof(oracle));
		/* bits beyond size are garbage: searches must ignore them */
		map[BITS_TO_LONGS(size) - 1] |= size % BITS_PER_LONG ?
			~0UL << (size % BITS_PER_LONG) : 0;
		check_all(_metadata, size);
		for (step = 0; step < 60; step++) {
			u64 start = random() % size;
			u64 nr = random() % (size - start + 1);
			bool set = random() & 1;
			u64 i;

			if (set)
				rm_bitmap_set(map, start, nr);
			else
				rm_bitmap_clear(map, start, nr);
			for (i = start; i < start + nr; i++)
				oracle[i] = set;
			check_all(_metadata, size);
		}
	}
}

TEST(word_edges)
{
	memset(map, 0, sizeof(map));
	rm_bitmap_set(map, 63, 2);
	ASSERT_EQ(1UL << 63, map[0]);
	ASSERT_EQ(1UL, map[1]);
	ASSERT_EQ(63, rm_bitmap_next_set(map, 128, 0));
	ASSERT_EQ(65, rm_bitmap_next_zero(map, 128, 63));
	rm_bitmap_set(map, 0, 128);
	ASSERT_EQ(128, rm_bitmap_next_zero(map, 128, 0));
	ASSERT_EQ(128, rm_bitmap_weight(map, 0, 128));
	rm_bitmap_clear(map, 64, 64);
	ASSERT_EQ(~0UL, map[0]);
	ASSERT_EQ(0UL, map[1]);
	ASSERT_EQ(128, rm_bitmap_next_set(map, 128, 64));
}

TEST_HARNESS_MAIN
