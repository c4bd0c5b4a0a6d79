// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Word-at-a-time bitmaps
 *
 * Word-at-a-time bitmaps for the region layer and the allocators above it.
 *
 * The kernel has lib/bitmap.c and find_next_bit(), but they take unsigned
 * int or unsigned long sizes and do not exist in userspace, where the core
 * is tested.  These helpers take u64 bit numbers (a 16 TiB range has 2^32
 * pages) and touch each word once: a run of set or cleared bits costs one
 * store per word, a search one load and one compare per word, so a scan of
 * a mostly-full 1 GiB range reads 4 KiB of bitmap, not 262144 bits.
 *
 * Bits beyond @size in the last word are never read as part of the answer:
 * searches clamp their result to @size.
 */
#include <resmem/core.h>

#define WORD(bit)	((bit) / BITS_PER_LONG)
#define BIT_IN(bit)	((bit) % BITS_PER_LONG)

/* Mask of bits [lo, BITS_PER_LONG) of a word. */
static inline unsigned long mask_from(unsigned int lo)
{
	return ~0UL << lo;
}

/* Mask of bits [0, hi) of a word, hi in 1..BITS_PER_LONG. */
static inline unsigned long mask_to(unsigned int hi)
{
	return ~0UL >> (BITS_PER_LONG - hi);
}

/* The bits of word @w that lie in [@start, @end), @end > @start. */
static inline unsigned long range_mask(u64 w, u64 start, u64 end)
{
	unsigned long m = ~0UL;

	if (w == WORD(start))
		m &= mask_from(BIT_IN(start));
	if (w == WORD(end - 1))
		m &= mask_to(BIT_IN(end - 1) + 1);
	return m;
}

static void bitmap_op(unsigned long *map, u64 start, u64 nr, bool set)
{
	u64 end = start + nr;
	u64 w;
	unsigned long m;

	if (!nr)
		return;
	for (w = WORD(start); w <= WORD(end - 1); w++) {
		m = range_mask(w, start, end);
		if (set)
			map[w] |= m;
		else
			map[w] &= ~m;
	}
}

/**
 * rm_bitmap_set - set bits [@start, @start + @nr)
 * @map: the bitmap
 * @start: first bit
 * @nr: number of bits, may be 0
 */
void rm_bitmap_set(unsigned long *map, u64 start, u64 nr)
{
	bitmap_op(map, start, nr, true);
}

/**
 * rm_bitmap_clear - clear bits [@start, @start + @nr)
 * @map: the bitmap
 * @start: first bit
 * @nr: number of bits, may be 0
 */
void rm_bitmap_clear(unsigned long *map, u64 start, u64 nr)
{
	bitmap_op(map, start, nr, false);
}

static u64 next_bit(const unsigned long *map, u64 size, u64 start,
		    unsigned long invert)
{
	u64 w, last;
	unsigned long v;

	if (start >= size)
		return size;
	w = WORD(start);
	last = WORD(size - 1);
	v = (map[w] ^ invert) & mask_from(BIT_IN(start));
	while (!v) {
		if (++w > last)
			return size;
		v = map[w] ^ invert;
	}
	return min(w * BITS_PER_LONG + rm_ffs_word(v), size);
}

/**
 * rm_bitmap_next_set - find the first set bit at or after @start
 * @map: the bitmap
 * @size: number of valid bits in @map
 * @start: where to start looking
 *
 * Return: the bit number, or @size when there is none.
 */
u64 rm_bitmap_next_set(const unsigned long *map, u64 size, u64 start)
{
	return next_bit(map, size, start, 0);
}

/**
 * rm_bitmap_next_zero - find the first clear bit at or after @start
 * @map: the bitmap
 * @size: number of valid bits in @map
 * @start: where to start looking
 *
 * Return: the bit number, or @size when there is none.
 */
u64 rm_bitmap_next_zero(const unsigned long *map, u64 size, u64 start)
{
	return next_bit(map, size, start, ~0UL);
}

/**
 * rm_bitmap_weight - count the set bits in [@start, @start + @nr)
 * @map: the bitmap
 * @start: first bit
 * @nr: number of bits, may be 0
 *
 * Return: the number of set bits.
 */
u64 rm_bitmap_weight(const unsigned long *map, u64 start, u64 nr)
{
	u64 end = start + nr;
	u64 w, n = 0;

	if (!nr)
		return 0;
	for (w = WORD(start); w <= WORD(end - 1); w++)
		n += rm_popcount_word(map[w] & range_mask(w, start, end));
	return n;
}
