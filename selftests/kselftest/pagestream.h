/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A seeded stream of 4 KiB pages of mixed compressibility, the same for
 * every program that includes this: selftests/bench/xcfsizes.c measures
 * the sizes LZO1X-1 compresses them to, and a kselftest can write the same
 * pages into memory for zswap to store.  Page i of stream s depends on s
 * and i only, so any page can be made again without the ones before it.
 *
 * Kinds, chosen per page from a hash of (seed, index), in percent:
 *
 *	PS_ZERO		10	all zero (zswap stores it as same-filled)
 *	PS_TEXT		35	words of a small vocabulary, spaces, newlines
 *	PS_PATTERN	20	a 1..64-byte pattern repeated, 1 byte in 64
 *			on average replaced by a random one
 *	PS_HALF		25	random bytes for a random 5..95% of the page,
 *			zero after
 *	PS_RANDOM	10	random bytes throughout
 */
#ifndef _RESMEM_PAGESTREAM_H
#define _RESMEM_PAGESTREAM_H

#include <stdint.h>
#include <string.h>

#define PS_PAGE_SIZE	4096

enum ps_kind {
	PS_ZERO,
	PS_TEXT,
	PS_PATTERN,
	PS_HALF,
	PS_RANDOM,
	PS_KINDS
};

static const unsigned int ps_weight[PS_KINDS] = { 10, 35, 20, 25, 10 };
static const char *const ps_kind_name[PS_KINDS] = {
	"zero", "text", "pattern", "half", "random"
};

/* splitmix64: a good 64-bit mix, and a generator when iterated */
static inline uint64_t ps_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint64_t ps_next(uint64_t *state)
{
	*state += 0x9e3779b97f4a7c15ULL;
	return ps_mix(*state);
}

static inline enum ps_kind ps_kind_of(uint64_t seed, uint64_t index)
{
	unsigned int r = ps_mix(seed ^ ps_mix(index)) % 100, k;

	for (k = 0; k < PS_KINDS - 1; k++) {
		if (r < ps_weight[k])
			break;
		r -= ps_weight[k];
	}
	return (enum ps_kind)k;
}

static const char *const ps_words[] = {
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "as",
	"was", "with", "be", "by", "on", "not", "he", "this", "are", "or",
	"memory", "page", "kernel", "swap", "allocator", "compressed",
	"object", "handle", "class", "buddy", "reserved", "fragmentation",
	"struct", "return", "int", "unsigned", "long", "static", "void",
	"if", "else", "while", "0", "1", "42", "4096", "0xffff", "NULL",
};

/* Fill @page (PS_PAGE_SIZE bytes) with page @index of stream @seed. */
static inline enum ps_kind ps_page(uint64_t seed, uint64_t index, void *page)
{
	enum ps_kind kind = ps_kind_of(seed, index);
	uint64_t st = ps_mix(seed + ps_mix(index + 1)), v;
	unsigned char *p = page, pat[64];
	unsigned int i, n, len, cut;
	const char *w;

	switch (kind) {
	case PS_ZERO:
		memset(p, 0, PS_PAGE_SIZE);
		break;
	case PS_TEXT:
		for (i = 0; i < PS_PAGE_SIZE; ) {
			v = ps_next(&st);
			w = ps_words[v % (sizeof(ps_words) / sizeof(*ps_words))];
			len = strlen(w);
			for (n = 0; n < len && i < PS_PAGE_SIZE; n++)
				p[i++] = w[n];
			if (i < PS_PAGE_SIZE)
				p[i++] = (v >> 32) % 12 ? ' ' : '\n';
		}
		break;
	case PS_PATTERN:
		len = 1 + ps_next(&st) % 64;
		for (n = 0; n < len; n++)
			pat[n] = ps_next(&st);
		for (i = 0; i < PS_PAGE_SIZE; i++) {
			v = ps_next(&st);
			p[i] = v % 64 ? pat[i % len] : (unsigned char)(v >> 8);
		}
		break;
	case PS_HALF:
		cut = PS_PAGE_SIZE * (5 + ps_next(&st) % 91) / 100;
		for (i = 0; i < cut; i++)
			p[i] = ps_next(&st);
		memset(p + cut, 0, PS_PAGE_SIZE - cut);
		break;
	default:
		for (i = 0; i < PS_PAGE_SIZE; i += 8) {
			v = ps_next(&st);
			memcpy(p + i, &v, 8);
		}
		break;
	}
	return kind;
}

/* zswap_is_page_same_filled() of Linux 6.1: every word equals the first. */
static inline int ps_same_filled(const void *page)
{
	const unsigned long *w = page;
	unsigned int i;

	for (i = 1; i < PS_PAGE_SIZE / sizeof(*w); i++)
		if (w[i] != w[0])
			return 0;
	return 1;
}

#endif /* _RESMEM_PAGESTREAM_H */
