// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of resmemctl's parsers and PNG writer, built with ASan and
 * UBSan (make -C selftests/resmemctl test): the fragmap parser on the
 * sample in testdata/ and on malformed and randomly damaged copies of it,
 * the stats, buddyinfo and xcf parsers, script word splitting, JSON strings, the
 * PRNG of fragment random, PNGs read back with libpng, and cma lend's
 * sizes and memory hotplug steps on a fake sysfs ($RESMEM_SYSFS).
 */
#define _GNU_SOURCE
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "resmemctl.h"
#include "kselftest_harness.h"

#ifndef TESTDATA
#define TESTDATA "testdata"
#endif

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 4096 > cap) {
			cap = cap ? 2 * cap : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf)
				break;
		}
		r = fread(buf + n, 1, 4096, f);
		n += r;
	} while (r);
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parse @len bytes of @text; the error, if any, into @err. */
static int parse_mem(const char *text, size_t len, struct fragmap *fm,
		     char *err, size_t errlen)
{
	FILE *f = fmemopen((void *)text, len ? len : 1, "r");
	int ret;

	if (!f)
		return -2;
	if (!len)	/* fmemopen wants a size; read nothing */
		fgetc(f);
	ret = fragmap_parse(f, "t", fm, err, errlen);
	fclose(f);
	return ret;
}

static int parse_str(const char *text, struct fragmap *fm, char *err,
		     size_t errlen)
{
	return parse_mem(text, strlen(text), fm, err, errlen);
}

#define HDR "# resmem fragmap\n" \
	"# scale: 1 char = 4 pages (16 KiB), 8 chars per line\n" \
	"# legend: anything\n"
/* 40 pages: 10 chars, a full line and a short one */
#define BLK0 "block 0 range 0 node 0 [mem 0x0000000000100000-0x0000000000127fff] 40 pages\n"
#define GOOD HDR BLK0 \
	"0x0000000000100000 M..,#5I.\n" \
	"0x0000000000120000 ..\n"

TEST(sample_file)
{
	struct fragmap fm;
	char err[512] = "";
	FILE *f = fopen(TESTDATA "/fragmap.txt", "re");

	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fragmap_parse(f, "fragmap.txt", &fm, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	EXPECT_EQ(32, fm.scale_pages);
	EXPECT_EQ(64, fm.width);
	EXPECT_EQ(4096, fm.page_size);
	ASSERT_EQ(2, fm.nr_blocks);
	EXPECT_EQ(0x20000000, fm.blocks[0].base);
	EXPECT_EQ(131072, fm.blocks[0].pages);
	EXPECT_EQ(4096, fm.blocks[0].len);
	EXPECT_EQ(0, strncmp(fm.blocks[0].map, "MM3", 3));
	EXPECT_EQ(1, fm.blocks[1].block);
	EXPECT_EQ(1, fm.blocks[1].range);
	EXPECT_EQ(1, fm.blocks[1].node);
	EXPECT_EQ(0x60000000, fm.blocks[1].base);
	/* 16368 pages: 511.5 chars, so 512 */
	EXPECT_EQ(512, fm.blocks[1].len);
	fragmap_free(&fm);
}

TEST(small_map_numbers)
{
	struct fragmap fm;
	char err[512] = "";

	ASSERT_EQ(0, parse_str(GOOD, &fm, err, sizeof(err))) TH_LOG("%s", err);
	ASSERT_EQ(1, fm.nr_blocks);
	EXPECT_STREQ("M..,#5I...", fm.blocks[0].map);
	EXPECT_EQ(4096, fm.page_size);
	/* . . , I . . . : 7 free chars of 4 pages, '5' half of 4 pages */
	EXPECT_EQ(7 * 4 + 2, fm_free_pages(&fm, &fm.blocks[0]));
	EXPECT_EQ(4, fm_largest_free_run(&fm.blocks[0]));
	fragmap_free(&fm);
}

TEST(partial_last_char)
{
	/* 9 pages at 4 per char: 3 chars, the last one covers 1 page */
	static const char text[] = HDR
		"block 3 range 1 node 2 [mem 0x1000-0x9fff] 9 pages\n"
		"0x0000000000001000 #..\n";
	struct fragmap fm;
	char err[512] = "";

	ASSERT_EQ(0, parse_str(text, &fm, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(3, fm.blocks[0].block);
	EXPECT_EQ(2, fm.blocks[0].node);
	EXPECT_EQ(5, fm_free_pages(&fm, &fm.blocks[0]));
	fragmap_free(&fm);
}

static const struct {
	const char *text;
	const char *err;	/* expected in the message */
} bad[] = {
	{ "", "t:0: empty" },
	{ "\n\n", "empty" },
	{ "# other file\n", "t:1: not a resmem fragmap" },
	{ "# resmem fragmap\n" BLK0, "t:2: block line before the '# scale:'" },
	{ "# resmem fragmap\n# scale: 1 char = 4 pages (16 KiB)\n",
	  "t:2: expected '# scale:" },
	{ "# resmem fragmap\n# scale: 1 char = 0 pages (16 KiB), 8 chars per line\n",
	  "t:2: expected '# scale:" },
	{ "# resmem fragmap\n# scale: 1 char = 3 pages (16 KiB), 8 chars per line\n",
	  "t:2: expected '# scale:" },
	{ "# resmem fragmap\n# scale: 1 char = 4 pages (16 KiB), 0 chars per line\n",
	  "t:2: expected '# scale:" },
	{ "# resmem fragmap\n# scale: 1 char = 4 pages (16 KiB), 8 chars per line\n"
	  "# scale: 1 char = 4 pages (16 KiB), 8 chars per line\n",
	  "t:3: a second '# scale:'" },
	{ HDR "0x0000000000100000 M..\n", "t:4: map line before the first block" },
	{ HDR "block 0 range 0 node 0 [mem 0x100000-0x127fff]\n",
	  "t:4: expected 'block B range" },
	{ HDR "block x range 0 node 0 [mem 0x100000-0x127fff] 40 pages\n",
	  "t:4: expected 'block B range" },
	{ HDR "block 0 range 0 node 0 [mem 0x100000-0x127fff] 40 pages extra\n",
	  "t:4: expected 'block B range" },
	{ HDR "block 0 range 0 node 0 [mem 0x100000-0x127fff] 41 pages\n",
	  "t:4: block 0: [mem 0x100000-0x127fff] does not hold 41 pages" },
	{ HDR "block 0 range 0 node 0 [mem 0x127fff-0x100000] 40 pages\n",
	  "does not hold" },
	{ HDR "block 0 range 0 node 0 [mem 0x100000-0x127fff] 0 pages\n",
	  "does not hold" },
	{ HDR "block 0 range 0 node 0 [mem 0x0-0xffffffffffffffff] 1152921504606846976 pages\n",
	  "does not hold" },
	{ HDR "block 99999999999 range 0 node 0 [mem 0x100000-0x127fff] 40 pages\n",
	  "expected 'block B range" },
	{ HDR BLK0 "0x0000000000100000 M..,#5I.\n0x0000000000120000 ...\n",
	  "t:6: block 0 has more map chars than its 40 pages need" },
	{ HDR BLK0 "0x0000000000100000 M..,#5I.\n",
	  "t:5: block 0 has 8 map chars, expected 10" },
	{ HDR BLK0 "0x0000000000100000 M..,#5I.\n"
	  "block 1 range 0 node 0 [mem 0x200000-0x227fff] 40 pages\n",
	  "t:6: block 0 has 8 map chars, expected 10" },
	{ HDR BLK0 "0x0000000000100000 M..,\n0x0000000000120000 ..\n",
	  "t:6: block 0: only its last line may be shorter" },
	{ HDR BLK0 "0x0000000000100000 M..,#5I..\n",
	  "t:5: 9 map chars, more than 8 per line" },
	{ HDR BLK0 "0x0000000000100001 M..,#5I.\n",
	  "t:5: line of block 0 starts at 0x100001, expected 0x100000" },
	{ HDR BLK0 "0x0000000000100000 M..,#5I.\n0x0000000000110000 ..\n",
	  "t:6: line of block 0 starts at 0x110000, expected 0x120000" },
	{ HDR BLK0 "0x0000000000100000 M..z#5I.\n",
	  "t:5: column 23: unknown map char 'z'" },
	{ HDR BLK0 "0x0000000000100000 M..\x01#5I.\n",
	  "t:5: column 23: unknown map char 0x01" },
	{ HDR BLK0 "0x0000000000100000\n", "t:5: expected '0xADDRESS MAP'" },
	{ HDR BLK0 "0x0000000000100000  M..,#5I\n",
	  "t:5: column 20: unknown map char ' '" },
	{ HDR BLK0 "0x10000000000000000000 M..,#5I.\n",
	  "t:5: expected '0xADDRESS MAP'" },
	{ HDR BLK0 "0xg M\n", "t:5: expected '0xADDRESS MAP'" },
	{ HDR BLK0 "M..,#5I.\n", "t:5: unexpected line 'M..,#5I.'" },
	{ GOOD "block 0 range 0 node 0 [mem 0x200000-0x227fff] 40 pages\n",
	  "t:7: block 0 after block 0" },
	{ GOOD "# scale: 1 char = 4 pages (16 KiB), 8 chars per line\n",
	  "t:7: a second '# scale:'" },
};

TEST(malformed)
{
	char err[512];
	struct fragmap fm;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		EXPECT_EQ(-1, parse_str(bad[i].text, &fm, err, sizeof(err)))
			TH_LOG("case %zu parsed", i);
		EXPECT_NE(NULL, strstr(err, bad[i].err))
			TH_LOG("case %zu: '%s', want '%s'", i, err, bad[i].err);
		/* a failed parse leaves nothing behind */
		EXPECT_EQ(0, fm.nr_blocks);
		EXPECT_EQ(NULL, fm.blocks);
	}
}

TEST(nul_byte)
{
	static const char text[] = HDR BLK0 "0x0000000000100000 M.\0.,#5I.\n";
	struct fragmap fm;
	char err[512] = "";

	EXPECT_EQ(-1, parse_mem(text, sizeof(text) - 1, &fm, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "t:5: NUL byte")) TH_LOG("%s", err);
}

TEST(crlf_and_trailing_blanks)
{
	static const char text[] = "# resmem fragmap\r\n"
		"# scale: 1 char = 4 pages (16 KiB), 8 chars per line  \r\n"
		BLK0 "0x0000000000100000 M..,#5I.\r\n0x0000000000120000 ..";
	struct fragmap fm;
	char err[512] = "";

	ASSERT_EQ(0, parse_str(text, &fm, err, sizeof(err))) TH_LOG("%s", err);
	EXPECT_STREQ("M..,#5I...", fm.blocks[0].map);
	fragmap_free(&fm);
}

/* Damaged copies of the sample must parse or fail cleanly (ASan watches). */
TEST(damaged_sample)
{
	size_t len, i, n, at, block1;
	uint64_t state = 42;
	char err[512], *orig, *buf;
	struct fragmap fm;
	int ok = 0, failed = 0;

	orig = slurp(TESTDATA "/fragmap.txt", &len);
	ASSERT_NE(NULL, orig);
	ASSERT_NE(NULL, strstr(orig, "\nblock 1 "));
	block1 = strstr(orig, "\nblock 1 ") - orig;
	buf = malloc(len + 1);
	ASSERT_NE(NULL, buf);
	for (i = 0; i < 3000; i++) {
		memcpy(buf, orig, len + 1);
		n = len;
		switch (i % 3) {
		case 0:	/* truncate */
			n = xorshift64s(&state) % (len + 1);
			break;
		case 1:	/* a few random bytes */
			for (at = 0; at < 1 + i % 5; at++)
				buf[xorshift64s(&state) % len] =
					xorshift64s(&state);
			break;
		default: /* a likely byte in the header or a block line */
			at = xorshift64s(&state) % 120;
			if (i % 2)
				at += block1;
			buf[at % len] = " 0x9#\n-[].:"[xorshift64s(&state) % 12];
		}
		err[0] = '\0';
		if (parse_mem(buf, n, &fm, err, sizeof(err))) {
			failed++;
			EXPECT_NE('\0', err[0]);
			EXPECT_EQ(0, fm.nr_blocks);
		} else {
			ok++;
			EXPECT_LE(1, fm.nr_blocks);
			fragmap_free(&fm);
		}
	}
	EXPECT_LT(0, failed);
	EXPECT_LT(0, ok);
	free(buf);
	free(orig);
}

static void check_pixel(struct __test_metadata *_metadata,
			const uint8_t *img, unsigned int w, unsigned int x,
			unsigned int y, const uint8_t want[3])
{
	const uint8_t *p = img + ((size_t)y * w + x) * 3;

	EXPECT_EQ(0, memcmp(p, want, 3))
		TH_LOG("pixel %u,%u is %02x%02x%02x, want %02x%02x%02x", x, y,
		       p[0], p[1], p[2], want[0], want[1], want[2]);
}

TEST(png_read_back)
{
	static const uint8_t black[3] = { 0, 0, 0 }, white[3] = { 255, 255, 255 };
	char path[] = "/tmp/resmemctl-test-XXXXXX.png";
	unsigned int w = 0, h = 0, px = 4;
	struct fragmap fm;
	png_image img;
	char err[512] = "";
	uint8_t rgb[3], *buf;
	FILE *f;
	int fd;

	f = fopen(TESTDATA "/fragmap.txt", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, fragmap_parse(f, "fragmap.txt", &fm, err, sizeof(err)));
	fclose(f);
	fd = mkstemps(path, 4);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, fragmap_png(&fm, path, px, &w, &h, err, sizeof(err)))
		TH_LOG("%s", err);
	EXPECT_EQ(256, w);
	/* 64 + 8 lines of cells, the gap, then the legend */
	EXPECT_LT(72 * px + 1, h);

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	ASSERT_NE(0, png_image_begin_read_from_file(&img, path))
		TH_LOG("%s", img.message);
	EXPECT_EQ(w, img.width);
	EXPECT_EQ(h, img.height);
	img.format = PNG_FORMAT_RGB;
	buf = malloc(PNG_IMAGE_SIZE(img));
	ASSERT_NE(NULL, buf);
	ASSERT_NE(0, png_image_finish_read(&img, NULL, buf, 0, NULL))
		TH_LOG("%s", img.message);
	/* "MM3..." : metadata, metadata, mixed three tenths, free */
	fm_colour('M', rgb);
	check_pixel(_metadata, buf, w, 0, 0, rgb);
	check_pixel(_metadata, buf, w, 7, 3, rgb);
	fm_colour('3', rgb);
	check_pixel(_metadata, buf, w, 8, 0, rgb);
	check_pixel(_metadata, buf, w, 11, 3, rgb);
	fm_colour('.', rgb);
	check_pixel(_metadata, buf, w, 12, 0, rgb);
	/* the gap between the blocks, then block 1 starting with '6' */
	check_pixel(_metadata, buf, w, 0, 64 * px, black);
	check_pixel(_metadata, buf, w, w - 1, 64 * px, black);
	fm_colour('6', rgb);
	check_pixel(_metadata, buf, w, 0, 64 * px + 1, rgb);
	/* the legend below the map is on white */
	check_pixel(_metadata, buf, w, w - 1, 72 * px + 2, white);
	png_image_free(&img);
	free(buf);
	unlink(path);
	fragmap_free(&fm);
}

TEST(png_shades_and_classes)
{
	uint8_t prev[3], cur[3], f[3];
	size_t i, j;
	int d;

	/* digits go from the used colour ('#') towards the free one ('.') */
	fm_colour('.', f);
	fm_colour('#', prev);
	for (d = 1; d <= 9; d++) {
		fm_colour('0' + d, cur);
		for (i = 0; i < 3; i++)
			EXPECT_LT(abs(cur[i] - f[i]), abs(prev[i] - f[i]))
				TH_LOG("digit %d channel %zu", d, i);
		memcpy(prev, cur, 3);
	}
	/* every non-digit class has a colour of its own */
	for (i = 0; i < fm_nr_classes; i++)
		for (j = i + 1; j < fm_nr_classes; j++) {
			if (fm_classes[i].c >= '1' && fm_classes[i].c <= '9')
				continue;
			if (fm_classes[j].c >= '1' && fm_classes[j].c <= '9')
				continue;
			EXPECT_NE(0, memcmp(fm_classes[i].rgb, fm_classes[j].rgb, 3))
				TH_LOG("'%c' and '%c'", fm_classes[i].c,
				       fm_classes[j].c);
		}
}

TEST(png_unwritable)
{
	unsigned int w = 0, h = 0;
	struct fragmap fm;
	char err[512] = "";

	ASSERT_EQ(0, parse_str(GOOD, &fm, err, sizeof(err)));
	EXPECT_EQ(-1, fragmap_png(&fm, "/nonexistent/dir/x.png", 4, &w, &h,
				  err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "/nonexistent/dir/x.png: No such file"))
		TH_LOG("%s", err);
	fragmap_free(&fm);
}

static int stats_str(const char *text, struct stat_kv **kv, size_t *n,
		     char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret = parse_stats(f, "s", kv, n, err, 512);

	fclose(f);
	return ret;
}

TEST(stats_parser)
{
	struct stat_kv *kv;
	char err[512] = "", *text;
	size_t n, len;
	FILE *f;

	f = fopen(TESTDATA "/stats", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, parse_stats(f, "stats", &kv, &n, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	ASSERT_EQ(5, n);
	EXPECT_STREQ("allocations", kv[0].key);
	EXPECT_EQ(12, kv[0].value);
	EXPECT_EQ(NULL, kv[0].text);
	free_stats(kv, n);

	ASSERT_EQ(0, stats_str("a: 1\n\nb_c: 18446744073709551615\nd: 0.25\n",
			       &kv, &n, err)) TH_LOG("%s", err);
	ASSERT_EQ(3, n);
	EXPECT_EQ(UINT64_MAX, kv[1].value);
	EXPECT_STREQ("0.25", kv[2].text);
	free_stats(kv, n);

	EXPECT_EQ(-1, stats_str("a: 1\nnocolon\n", &kv, &n, err));
	EXPECT_NE(NULL, strstr(err, "s:2: expected 'key: value'")) TH_LOG("%s", err);
	EXPECT_EQ(-1, stats_str("a b: 1\n", &kv, &n, err));
	EXPECT_NE(NULL, strstr(err, "s:1: expected")) TH_LOG("%s", err);
	EXPECT_EQ(-1, stats_str(": 1\n", &kv, &n, err));
	EXPECT_EQ(-1, stats_str("a:1\n", &kv, &n, err));
	EXPECT_EQ(-1, stats_str("a:\n", &kv, &n, err));
	EXPECT_NE(NULL, strstr(err, "s:1: 'a' has no value")) TH_LOG("%s", err);
	EXPECT_EQ(-1, stats_str("a: 1\na: 2\n", &kv, &n, err));
	EXPECT_NE(NULL, strstr(err, "s:2: 'a' appears twice")) TH_LOG("%s", err);

	len = 10000;
	text = malloc(len + 1);
	ASSERT_NE(NULL, text);
	memset(text, 'a', len);
	text[len] = '\0';
	EXPECT_EQ(-1, stats_str(text, &kv, &n, err));
	EXPECT_NE(NULL, strstr(err, "s:1: line too long")) TH_LOG("%s", err);
	free(text);
}

static int buddy_str(const char *text, struct buddy_zone **z, size_t *n,
		     char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret = parse_buddyinfo(f, "b", z, n, err, 512);

	fclose(f);
	return ret;
}

static FILE *str_file(const char *text)
{
	return fmemopen((void *)text, strlen(text), "r");
}

TEST(xcf_parsers)
{
	struct xcf_classes xc;
	struct xcf_stats xs;
	char err[512] = "";
	FILE *f;

	f = fopen(TESTDATA "/xcf/stats", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, parse_xcf_stats(f, "xs", &xs, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	EXPECT_EQ(9, xs.nkv);
	EXPECT_STREQ("pools", xs.kv[0].key);
	EXPECT_EQ(2, xs.kv[0].value);
	ASSERT_EQ(9, xs.pools.ncols);
	EXPECT_STREQ("returns", xs.pools.col[8]);
	ASSERT_EQ(2, xs.pools.nrows);
	EXPECT_STREQ("zswap2", xs.pools.name[0]);
	EXPECT_EQ(9723, xs.pools.row[0][4]);
	EXPECT_STREQ("xcftest", xs.pools.name[1]);
	free_xcf_stats(&xs);

	f = fopen(TESTDATA "/xcf/zswap2/classes", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, parse_xcf_classes(f, "xc", &xc, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	ASSERT_EQ(7, xc.classes.ncols);
	ASSERT_EQ(6, xc.classes.nrows);
	EXPECT_EQ(4096, xc.classes.row[5][1]);
	EXPECT_FALSE(xc.summed[1]);
	EXPECT_TRUE(xc.summed[2]);
	EXPECT_EQ(960, xc.total[2]);
	EXPECT_EQ(4, xc.total[6]);
	free_xcf_classes(&xc);

	/* "key: N" ends the table even where it could be a row */
	f = str_file("pool pages\nz 1\nmallocs: 3\n");
	ASSERT_EQ(0, parse_xcf_stats(f, "s", &xs, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	EXPECT_EQ(1, xs.pools.nrows);
	EXPECT_EQ(1, xs.nkv);
	free_xcf_stats(&xs);
	f = str_file("pool pages\nz: 4\npool pages\n");
	EXPECT_EQ(-1, parse_xcf_stats(f, "s", &xs, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "s:3: a second pool table header"))
		TH_LOG("%s", err);
	f = str_file("pools: 0\n");
	EXPECT_EQ(-1, parse_xcf_stats(f, "s", &xs, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "no pool table")) TH_LOG("%s", err);
	f = str_file("pool pages\nz 1 2\n");
	EXPECT_EQ(-1, parse_xcf_stats(f, "s", &xs, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "s:2: expected 'key: value'"))
		TH_LOG("%s", err);

	f = str_file(" class size n\n 0 8 1\n 1 16 2\n\n Total 3\n");
	ASSERT_EQ(0, parse_xcf_classes(f, "c", &xc, err, sizeof(err)))
		TH_LOG("%s", err);
	fclose(f);
	EXPECT_EQ(3, xc.total[2]);
	free_xcf_classes(&xc);
	f = str_file(" class size n\n 0 8 1\n\n Total 1 2\n");
	EXPECT_EQ(-1, parse_xcf_classes(f, "c", &xc, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "c:4: expected 'Total' and 1 numbers"))
		TH_LOG("%s", err);
	f = str_file(" class size n\n\n Total 1\n 2 3 4\n");
	EXPECT_EQ(-1, parse_xcf_classes(f, "c", &xc, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "c:4: a line after Total"))
		TH_LOG("%s", err);
	f = str_file(" size class\n");
	EXPECT_EQ(-1, parse_xcf_classes(f, "c", &xc, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "c:1: expected the header"))
		TH_LOG("%s", err);
	f = str_file(" class size n\n 0 0x8 1\n");
	EXPECT_EQ(-1, parse_xcf_classes(f, "c", &xc, err, sizeof(err)));
	fclose(f);
	EXPECT_NE(NULL, strstr(err, "c:2: expected a class row of 3 numbers"))
		TH_LOG("%s", err);
}

TEST(buddyinfo_parser)
{
	struct buddy_zone *z;
	char err[512] = "";
	size_t n;
	FILE *f;

	f = fopen(TESTDATA "/buddyinfo", "re");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, parse_buddyinfo(f, "buddyinfo", &z, &n, err,
				     sizeof(err))) TH_LOG("%s", err);
	fclose(f);
	ASSERT_EQ(2, n);
	EXPECT_EQ(0, z[0].node);
	EXPECT_STREQ("range0", z[0].zone);
	EXPECT_EQ(11, z[0].nr_orders);
	EXPECT_EQ(5, z[0].free[0]);
	EXPECT_EQ(124, z[0].free[10]);
	EXPECT_EQ(1, z[1].node);
	EXPECT_STREQ("range1", z[1].zone);
	EXPECT_EQ(15, z[1].free[10]);
	free(z);

	EXPECT_EQ(-1, buddy_str("Node 0, zone r0 1 2\nNode 1 zone r1 1\n",
				&z, &n, err));
	EXPECT_NE(NULL, strstr(err, "b:2: expected 'Node N, zone NAME")) TH_LOG("%s", err);
	EXPECT_EQ(-1, buddy_str("Node -1, zone r0 1\n", &z, &n, err));
	EXPECT_EQ(-1, buddy_str("Node 0, zone r0\n", &z, &n, err));
	EXPECT_NE(NULL, strstr(err, "b:1: no free counts")) TH_LOG("%s", err);
	EXPECT_EQ(-1, buddy_str("Node 0, zone r0 1 x2\n", &z, &n, err));
	EXPECT_NE(NULL, strstr(err, "b:1: free counts must be unsigned")) TH_LOG("%s", err);
	EXPECT_EQ(-1, buddy_str("Node 0, zone r0 1 -2\n", &z, &n, err));
	EXPECT_EQ(-1, buddy_str("Node 0, zone r0 99999999999999999999\n", &z,
				&n, err));
	EXPECT_EQ(-1, buddy_str("Node 0, zone aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1\n",
				&z, &n, err));
	EXPECT_EQ(-1, buddy_str("Node 0, zone r0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
				"0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
				"0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
				"0 0 0 0 0\n", &z, &n, err));
	EXPECT_NE(NULL, strstr(err, "more than 64 orders")) TH_LOG("%s", err);
}

TEST(script_words)
{
	const char *err;
	char **w;
	int n;

	w = split_words("  alloc --order 3 # comment", &n, &err);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(3, n);
	EXPECT_STREQ("alloc", w[0]);
	EXPECT_STREQ("3", w[2]);
	EXPECT_EQ(NULL, w[3]);
	free_words(w, n);

	w = split_words("echo 'a  b' \"c \\\"d\\\" \\\\\" e\\ f g#h", &n, &err);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(5, n);
	EXPECT_STREQ("a  b", w[1]);
	EXPECT_STREQ("c \"d\" \\", w[2]);
	EXPECT_STREQ("e f", w[3]);
	EXPECT_STREQ("g#h", w[4]);
	free_words(w, n);

	w = split_words("   # only a comment", &n, &err);
	ASSERT_NE(NULL, w);
	EXPECT_EQ(0, n);
	free_words(w, n);

	w = split_words("free $1 ''", &n, &err);
	ASSERT_NE(NULL, w);
	ASSERT_EQ(3, n);
	EXPECT_STREQ("$1", w[1]);
	EXPECT_STREQ("", w[2]);
	free_words(w, n);

	EXPECT_EQ(NULL, split_words("echo 'open", &n, &err));
	EXPECT_STREQ("unterminated '...' quote", err);
	EXPECT_EQ(NULL, split_words("echo \"open", &n, &err));
	EXPECT_STREQ("unterminated \"...\" quote", err);
}

TEST(json_strings)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_NE(NULL, f);
	json_str(f, "a\"b\\c\nd\te\x01");
	fputc(' ', f);
	json_str(f, NULL);
	fclose(f);
	EXPECT_STREQ("\"a\\\"b\\\\c\\nd\\te\\u0001\" null", buf);
	free(buf);
}

TEST(numbers)
{
	uint64_t v;

	EXPECT_EQ(0, parse_u64("42", &v));
	EXPECT_EQ(42, v);
	EXPECT_EQ(0, parse_u64("0x2a", &v));
	EXPECT_EQ(42, v);
	EXPECT_EQ(0, parse_u64("010", &v));
	EXPECT_EQ(10, v);
	EXPECT_EQ(0, parse_u64("18446744073709551615", &v));
	EXPECT_EQ(UINT64_MAX, v);
	EXPECT_NE(0, parse_u64("18446744073709551616", &v));
	EXPECT_NE(0, parse_u64("", &v));
	EXPECT_NE(0, parse_u64("0x", &v));
	EXPECT_NE(0, parse_u64("-1", &v));
	EXPECT_NE(0, parse_u64(" 1", &v));
	EXPECT_NE(0, parse_u64("1 ", &v));
	EXPECT_NE(0, parse_u64("1k", &v));
}

TEST(sizes)
{
	uint64_t v, b;

	EXPECT_EQ(0, parse_size("128M", &v));
	EXPECT_EQ(128ULL << 20, v);
	EXPECT_EQ(0, parse_size("0x8000000", &v));
	EXPECT_EQ(128ULL << 20, v);
	EXPECT_EQ(0, parse_size("1g", &v));
	EXPECT_EQ(1ULL << 30, v);
	EXPECT_EQ(0, parse_size("4T", &v));
	EXPECT_EQ(4ULL << 40, v);
	EXPECT_EQ(0, parse_size("7", &v));
	EXPECT_EQ(7, v);
	EXPECT_NE(0, parse_size("", &v));
	EXPECT_NE(0, parse_size("M", &v));
	EXPECT_NE(0, parse_size("12X", &v));
	EXPECT_NE(0, parse_size("1 M", &v));
	EXPECT_NE(0, parse_size("16777216T", &v));	/* 2^64 */
	EXPECT_EQ(0, parse_size_at("256M@0x20000000", &v, &b));
	EXPECT_EQ(256ULL << 20, v);
	EXPECT_EQ(0x20000000, b);
	EXPECT_EQ(0, parse_size_at("1G", &v, &b));
	EXPECT_EQ(0, b);
	EXPECT_NE(0, parse_size_at("1G@", &v, &b));
	EXPECT_NE(0, parse_size_at("@1G", &v, &b));
	EXPECT_NE(0, parse_size_at("1G@1G@1G", &v, &b));
	EXPECT_EQ(0, lend_check("t", 256ULL << 20, 512ULL << 20, 128ULL << 20));
	EXPECT_EQ(EXIT_USAGE, lend_check("t", 100ULL << 20, 0, 128ULL << 20));
	EXPECT_EQ(EXIT_USAGE, lend_check("t", 128ULL << 20, 4096, 128ULL << 20));
	EXPECT_EQ(EXIT_USAGE, lend_check("t", 0, 0, 128ULL << 20));
	EXPECT_EQ(EXIT_USAGE, lend_check("t", 128ULL << 20,
					 -(128ULL << 20), 128ULL << 20));
}

/* a fake ROOT/devices/system/memory with blocks 4 and 5 */
static void fake_sysfs(char *root, size_t len, char *mem, size_t mlen)
{
	char cmd[4096];

	snprintf(root, len, "%s/resmemctl-sysfs.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root))
		abort();
	snprintf(mem, mlen, "%s/devices/system/memory", root);
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/memory4 %s/memory5 && echo 8000000 > %s/block_size_bytes && echo online > %s/auto_online_blocks && echo offline > %s/memory4/state && echo offline > %s/memory5/state",
		 mem, mem, mem, mem, mem, mem);
	if (system(cmd))
		abort();
	setenv("RESMEM_SYSFS", root, 1);
}

static void rm_tree(const char *root)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd))
		abort();
	unsetenv("RESMEM_SYSFS");
}

TEST(memory_hotplug_sysfs)
{
	char root[256], mem[320], path[400], buf[64], saved[64];
	uint64_t bs = 0;

	fake_sysfs(root, sizeof(root), mem, sizeof(mem));
	EXPECT_STREQ(root, sysfs_root());
	EXPECT_EQ(0, memory_block_size("t", &bs));
	EXPECT_EQ(128ULL << 20, bs);
	/* the policy: saved, offline, restored */
	snprintf(path, sizeof(path), "%s/auto_online_blocks", mem);
	EXPECT_EQ(0, policy_offline("t", saved, sizeof(saved)));
	EXPECT_STREQ("online", saved);
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("offline", buf);
	EXPECT_EQ(0, policy_restore("t", saved));
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("online", buf);
	/* already offline: nothing to restore */
	EXPECT_EQ(0, sysfs_write(path, "offline"));
	EXPECT_EQ(0, policy_offline("t", saved, sizeof(saved)));
	EXPECT_STREQ("", saved);
	EXPECT_EQ(0, policy_restore("t", saved));
	/* blocks 4 and 5 online_movable; block 6 does not exist */
	EXPECT_EQ(0, online_movable("t", 4, 5, false));
	snprintf(path, sizeof(path), "%s/memory5/state", mem);
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("online_movable", buf);
	EXPECT_EQ(EXIT_FAIL, online_movable("t", 5, 6, false));
	/* only the offline ones: 4 offline, 5 online, 6 missing */
	snprintf(path, sizeof(path), "%s/memory4/state", mem);
	EXPECT_EQ(0, sysfs_write(path, "offline"));
	snprintf(path, sizeof(path), "%s/memory5/state", mem);
	EXPECT_EQ(0, sysfs_write(path, "online"));
	EXPECT_EQ(0, online_movable("t", 4, 6, true));
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("online", buf);
	snprintf(path, sizeof(path), "%s/memory4/state", mem);
	EXPECT_EQ(0, sysfs_read(path, buf, sizeof(buf)));
	EXPECT_STREQ("online_movable", buf);
	/* no block size: no memory hotplug */
	snprintf(path, sizeof(path), "%s/block_size_bytes", mem);
	EXPECT_EQ(0, sysfs_write(path, "3000000"));
	EXPECT_EQ(EXIT_FAIL, memory_block_size("t", &bs));
	unlink(path);
	EXPECT_EQ(EXIT_FAIL, memory_block_size("t", &bs));
	snprintf(path, sizeof(path), "%s/auto_online_blocks", mem);
	unlink(path);
	EXPECT_EQ(EXIT_FAIL, policy_offline("t", saved, sizeof(saved)));
	EXPECT_NE(0, sysfs_write(path, "offline"));	/* never created */
	rm_tree(root);
}

TEST(prng_reproducible)
{
	uint64_t s = 1;

	/* reference values computed independently (Python) */
	EXPECT_EQ(0x47e4ce4b896cdd1dULL, xorshift64s(&s));
	EXPECT_EQ(0xabcfa6a8e079651dULL, xorshift64s(&s));
	EXPECT_EQ(0xb9d10d8feb731f57ULL, xorshift64s(&s));
}

TEST_HARNESS_MAIN
