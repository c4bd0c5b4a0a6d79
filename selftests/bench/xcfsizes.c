// SPDX-License-Identifier: GPL-2.0
/*
 * xcfsizes: which size classes should xcf have?  Compresses the pages of
 * selftests/kselftest/pagestream.h with LZO1X-1 (zswap's default
 * compressor on Debian's 6.1, "lzo"), leaves out what zswap 6.1 would not
 * give its allocator (same-filled pages, which it stores itself, and pages
 * that do not compress below PAGE_SIZE), prints the distribution of the
 * compressed sizes and the pages each class scheme needs per 100 stored
 * pages:
 *
 *	zsmalloc-6.1	mm/zsmalloc.c of 6.1: 16-byte classes from 32 bytes,
 *			get_pages_per_zspage() over 1..4 pages, equal
 *			classes merged, 8 bytes of handle added to the
 *			object and an 8-byte handle from a kmem_cache
 *			(slab and struct zspage overhead not counted)
 *	xcf-S-P		slots of S-byte steps from 32 bytes, vpages of up
 *			to P pages and 512 slots, a 4-byte header in the
 *			slot, an 8-byte handle entry and a 256-byte
 *			descriptor per vpage, pages present only where
 *			objects are (partial free)
 *	xcf (run)	src/core/xcf.c itself, as built, storing every
 *			object from one CPU: rm_xcf_total_pages()
 *
 * Every object is stored at once, with no frees: the figures are what the
 * class scheme costs, not fragmentation.
 *
 *	xcfsizes [-n PAGES] [-s SEED]	(default 20000 pages, seed 1)
 */
#include <getopt.h>
#include <stdlib.h>
#include <lzo/lzo1x.h>
#include <resmem/xcf.h>
#include "pagestream.h"

#define ZS_MAX_PAGES	4
#define ZS_HANDLE	8
#define BUCKET		256

struct scheme {
	const char *name;
	u32 step;
	u32 max_pages;
	bool zsmalloc;
};

static const struct scheme schemes[] = {
	{ "zsmalloc-6.1", 16, ZS_MAX_PAGES, true },
	{ "xcf-16-4", 16, 4, false },
	{ "xcf-16-8", 16, 8, false },
	{ "xcf-16-16", 16, 16, false },
	{ "xcf-8-16", 8, 16, false },
	{ "xcf-32-16", 32, 16, false },
};

/* get_pages_per_zspage() of mm/zsmalloc.c, 6.1 */
static u32 zs_pages(u32 size)
{
	u32 i, best = 0, order = 1;

	for (i = 1; i <= ZS_MAX_PAGES; i++) {
		u32 z = i * PAGE_SIZE, used = (z - z % size) * 100 / z;

		if (used > best) {
			best = used;
			order = i;
		}
	}
	return order;
}

struct cls {
	u32 slot;
	u32 pages;
	u32 objs;
	u64 count;
};

static struct cls cls[PAGE_SIZE / 8 + 1];

/* The classes of @s, largest first merged as zsmalloc merges. */
static u32 build(const struct scheme *s)
{
	u32 slot, pages, objs, n = 0;

	for (slot = PAGE_SIZE; slot >= 32; slot -= s->step) {
		if (s->zsmalloc) {
			pages = zs_pages(slot);
			objs = pages * PAGE_SIZE / slot;
		} else {
			rm_xcf_geometry(slot, s->max_pages, RM_XCF_MAX_OBJS,
					&pages, &objs);
		}
		if (n && cls[n - 1].pages == pages && cls[n - 1].objs == objs)
			continue;
		cls[n].slot = slot;
		cls[n].pages = pages;
		cls[n].objs = objs;
		cls[n].count = 0;
		n++;
	}
	return n;
}

/* Bytes an object of @len takes in a slot of @s. */
static u32 need(const struct scheme *s, u32 len)
{
	u32 with_hdr = len + RM_XCF_HDR_SIZE;

	if (s->zsmalloc)
		return len + ZS_HANDLE;
	return with_hdr > PAGE_SIZE ? PAGE_SIZE : with_hdr;
}

/* Pages scheme @s needs for @nr objects of sizes @len. */
static double cost(const struct scheme *s, const u16 *len, u64 nr,
		   u64 *data, u32 *nr_classes)
{
	u32 n = build(s), k;
	u64 i, pages = 0, vpages = 0, full, r, last;
	double meta;

	for (i = 0; i < nr; i++) {
		u32 want = need(s, len[i]);

		/* classes are largest first: the last that holds it */
		for (k = n; k > 1 && cls[k - 1].slot < want; k--)
			;
		cls[k - 1].count++;	/* zsmalloc: above 4096, the last */
	}
	for (k = 0; k < n; k++) {
		full = cls[k].count / cls[k].objs;
		r = cls[k].count % cls[k].objs;
		if (s->zsmalloc) {
			pages += DIV_ROUND_UP(cls[k].count, cls[k].objs) *
				 cls[k].pages;
		} else {
			last = r ? (r * cls[k].slot - 1) / PAGE_SIZE + 1 : 0;
			pages += full * cls[k].pages + last;
			vpages += full + !!r;
		}
	}
	if (s->zsmalloc)
		meta = (double)nr * ZS_HANDLE / PAGE_SIZE;
	else
		meta = (double)nr * 8 / (PAGE_SIZE - 16) +
		       (double)vpages * 256 / (PAGE_SIZE - 256);
	*data = pages;
	*nr_classes = n;
	return pages + meta;
}

/* src/core/xcf.c storing every object: its pages in all. */
static u64 run_xcf(const u16 *len, u64 nr, u64 *data)
{
	u64 nr_pages = nr + 2048, i;
	struct rm_xcf_pool_stats ps;
	struct rm_xcf_pool *pool;
	struct rm_region rg;
	struct rm_buddy b;
	unsigned long h;
	void *mem;

	mem = aligned_alloc(PAGE_SIZE, nr_pages * PAGE_SIZE);
	rm_region_init(&rg);
	if (!mem || rm_region_add(&rg, 0x100000, nr_pages, 0, 0))
		exit(1);
	rg.block[0].vaddr = mem;
	if (rm_region_enable(&rg) || rm_buddy_init(&b, &rg, 10))
		exit(1);
	pool = rm_xcf_create(&b, 0);
	if (!pool)
		exit(1);
	for (i = 0; i < nr; i++) {
		if (rm_xcf_malloc(pool, len[i], 0, 0, &h)) {
			fprintf(stderr, "rm_xcf_malloc failed at %llu\n",
				(unsigned long long)i);
			exit(1);
		}
	}
	rm_xcf_stats(pool, &ps, NULL);
	*data = ps.data_pages;
	rm_xcf_destroy(pool);
	rm_buddy_destroy(&b);
	free(mem);
	return ps.pages;
}

int main(int argc, char **argv)
{
	u64 n = 20000, seed = 1, i, same = 0, big = 0, nr = 0, data, sum = 0;
	u64 hist[PAGE_SIZE / BUCKET] = { 0 }, kinds[PS_KINDS] = { 0 };
	static unsigned char page[PS_PAGE_SIZE], out[2 * PS_PAGE_SIZE];
	static unsigned char wrk[LZO1X_1_MEM_COMPRESS];
	u32 k, nr_classes;
	lzo_uint clen;
	double pages;
	u16 *len;
	int c;

	while ((c = getopt(argc, argv, "n:s:")) != -1) {
		if (c == 'n')
			n = strtoull(optarg, NULL, 0);
		else if (c == 's')
			seed = strtoull(optarg, NULL, 0);
		else
			return 2;
	}
	if (lzo_init() != LZO_E_OK)
		return 1;
	len = calloc(n, sizeof(*len));
	if (!len)
		return 1;
	for (i = 0; i < n; i++) {
		kinds[ps_page(seed, i, page)]++;
		if (ps_same_filled(page)) {
			same++;
			continue;
		}
		if (lzo1x_1_compress(page, PS_PAGE_SIZE, out, &clen, wrk) !=
		    LZO_E_OK)
			return 1;
		if (clen >= PAGE_SIZE) {
			big++;
			continue;
		}
		len[nr++] = clen;
		sum += clen;
		hist[clen / BUCKET]++;
	}
	printf("stream: pagestream.h, seed %llu, %llu pages:",
	       (unsigned long long)seed, (unsigned long long)n);
	for (k = 0; k < PS_KINDS; k++)
		printf(" %s %llu", ps_kind_name[k],
		       (unsigned long long)kinds[k]);
	printf("\ncompressor: LZO1X-1 (liblzo2 %s)\n", lzo_version_string());
	printf("left out: %llu same-filled, %llu not below %lu bytes\n",
	       (unsigned long long)same, (unsigned long long)big, PAGE_SIZE);
	printf("stored: %llu pages, mean %llu bytes\n",
	       (unsigned long long)nr, (unsigned long long)(nr ? sum / nr : 0));
	printf("\ncompressed size\tpages\tpercent\n");
	for (k = 0; k < PAGE_SIZE / BUCKET; k++)
		printf("%4u-%4u\t%llu\t%.1f\n", k * BUCKET,
		       (k + 1) * BUCKET - 1, (unsigned long long)hist[k],
		       nr ? 100.0 * hist[k] / nr : 0);
	printf("\nscheme\tclasses\tdata pages\tpages per 100 stored\n");
	printf("(ideal)\t-\t-\t%.2f\n", 100.0 * sum / PAGE_SIZE / nr);
	for (k = 0; k < ARRAY_SIZE(schemes); k++) {
		pages = cost(&schemes[k], len, nr, &data, &nr_classes);
		printf("%s\t%u\t%llu\t%.2f\n", schemes[k].name, nr_classes,
		       (unsigned long long)data, 100.0 * pages / nr);
	}
	pages = run_xcf(len, nr, &data);
	printf("xcf (run, step %u, %u pages)\t-\t%llu\t%.2f\n",
	       RM_XCF_CLASS_STEP, RM_XCF_VPAGE_MAX, (unsigned long long)data,
	       100.0 * pages / nr);
	free(len);
	return 0;
}
