// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/parse.c: the ranges= and cma= grammars, the lists both split
 * alike, the region name's characters and the number-only checks.
 */
#include <resmem/core.h>
#include "kselftest_harness.h"

#define G (1ULL << 30)
#define M (1ULL << 20)

static struct rm_range_spec r[RM_MAX_RANGES];
static char err[RM_ERR_LEN];

TEST(valid_forms)
{
	unsigned int nr;

	ASSERT_EQ(0, rm_parse_ranges("512M@0x20000000,64m@1536M:1,4096@4G:0,1G@0X10000000000",
				     r, RM_MAX_RANGES, &nr, err, sizeof(err)));
	ASSERT_EQ(4, nr);
	EXPECT_EQ(512 * M, r[0].size);
	EXPECT_EQ(0x20000000ULL, r[0].base);
	EXPECT_EQ(NUMA_NO_NODE, r[0].nid);
	EXPECT_EQ(64 * M, r[1].size);
	EXPECT_EQ(1536 * M, r[1].base);
	EXPECT_EQ(1, r[1].nid);
	EXPECT_EQ(4096, r[2].size);
	EXPECT_EQ(4 * G, r[2].base);
	EXPECT_EQ(0, r[2].nid);
	EXPECT_EQ(G, r[3].size);
	EXPECT_EQ(0x10000000000ULL, r[3].base);
	ASSERT_EQ(0, rm_parse_ranges("1T@0", r, RM_MAX_RANGES, &nr, err,
				     sizeof(err)));
	EXPECT_EQ(1ULL << 40, r[0].size);
}

static const struct {
	const char *text;
	int ret;
	const char *msg;
} bad[] = {
	{ NULL, -EINVAL, "ranges= is missing" },
	{ "", -EINVAL, "ranges= is missing" },
	{ "512M", -EINVAL, "expected SIZE@BASE" },
	{ "@0x1000", -EINVAL, "size is not a number" },
	{ "4K@", -EINVAL, "base is not a number" },
	{ "4K@0x", -EINVAL, "base is not a number" },
	{ "4K@0x1000:", -EINVAL, "node is not a decimal" },
	{ "4K@0x1000:x", -EINVAL, "node is not a decimal" },
	{ "4K@0x1000:99999", -EINVAL, "larger than the kernel supports" },
	{ "4K@0x1000 ", -EINVAL, "unexpected characters" },
	{ "4K@0x1000:1:2", -EINVAL, "unexpected characters" },
	{ "4Q@0x1000", -EINVAL, "expected SIZE@BASE" },
	{ "4K@0x1000,", -EINVAL, "range 1 '' is malformed: empty entry" },
	{ ",4K@0x1000", -EINVAL, "range 0 '' is malformed: empty entry" },
	{ "4K@0x1000,,4K@0x2000", -EINVAL, "range 1" },
	{ "99999999999999999999@0", -ERANGE, "size does not fit" },
	{ "16777216T@0", -ERANGE, "size does not fit" },
	{ "4K@0x10000000000000000", -ERANGE, "base does not fit" },
	{ "-4K@0", -EINVAL, "size is not a number" },
	{ "1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2,1@2",
	  -E2BIG, "more than 16 entries" },
};

TEST(malformed)
{
	unsigned int i, nr;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		nr = 77;
		EXPECT_EQ(bad[i].ret, rm_parse_ranges(bad[i].text, r,
						      RM_MAX_RANGES, &nr, err,
						      sizeof(err)))
			TH_LOG("'%s'", bad[i].text);
		EXPECT_EQ(0, nr);
		EXPECT_NE(NULL, strstr(err, bad[i].msg))
			TH_LOG("'%s' gave '%s'", bad[i].text, err);
	}
}

static int check(const char *text, char *msg)
{
	unsigned int nr;
	int ret = rm_parse_ranges(text, r, RM_MAX_RANGES, &nr, err,
				  sizeof(err));

	if (ret)
		return 1000;
	ret = rm_check_ranges(r, nr, 1ULL << 46, msg, RM_ERR_LEN);
	return ret;
}

TEST(number_checks)
{
	char msg[RM_ERR_LEN];

	EXPECT_EQ(0, check("512M@0x20000000,64M@0x60000000", msg));
	EXPECT_EQ(0, check("4K@0,4K@4K", msg));	/* touching is fine */
	EXPECT_EQ(-EINVAL, check("0@0x20000000", msg));
	EXPECT_NE(NULL, strstr(msg, "range 0 (0@0x20000000): size is zero"));
	EXPECT_EQ(-EINVAL, check("4K@0,1M@0x20000800", msg));
	EXPECT_TRUE(strstr(msg, "range 1") && strstr(msg, "base is not"));
	EXPECT_EQ(-EINVAL, check("6K@0x20000000", msg));
	EXPECT_NE(NULL, strstr(msg, "size is not a multiple of the page"));
	EXPECT_EQ(-ERANGE, check("8K@0x3FFFFFFFF000", msg));
	EXPECT_NE(NULL, strstr(msg, "physical address limit 0x400000000000"));
	EXPECT_EQ(0, check("4K@0x3FFFFFFFF000", msg));
	EXPECT_EQ(-ERANGE, check("8K@0xFFFFFFFFFFFFF000", msg));
	EXPECT_EQ(-EINVAL, check("1G@1G,4K@0x7FFFF000,4K@2G", msg));
	EXPECT_EQ(-EINVAL, check("1G@1G,1G@0x7FFFF000", msg));
	EXPECT_NE(NULL, strstr(msg, "range 1 (0x40000000@0x7ffff000): overlaps range 0"));
	EXPECT_EQ(-EINVAL, check("4K@0x1000,1G@0", msg));
	EXPECT_TRUE(strstr(msg, "range 1") && strstr(msg, "overlaps range 0"));
}

static struct rm_cma_spec cs[RM_CMA_MAX];

TEST(cma_valid_forms)
{
	unsigned int nr = 7;

	ASSERT_EQ(0, rm_parse_cma(NULL, cs, RM_CMA_MAX, &nr, err,
				  sizeof(err)));
	EXPECT_EQ(0, nr);
	ASSERT_EQ(0, rm_parse_cma("", cs, RM_CMA_MAX, &nr, err, sizeof(err)));
	EXPECT_EQ(0, nr);
	ASSERT_EQ(0, rm_parse_cma("dma:64M@0x20000000,cam_0-x:4M,abcdefghijklmno:0x200000",
				  cs, RM_CMA_MAX, &nr, err, sizeof(err)));
	ASSERT_EQ(3, nr);
	EXPECT_STREQ("dma", cs[0].name);
	EXPECT_EQ(64 * M, cs[0].size);
	EXPECT_EQ(0x20000000ULL, cs[0].base);
	EXPECT_STREQ("cam_0-x", cs[1].name);
	EXPECT_EQ(4 * M, cs[1].size);
	EXPECT_EQ(RM_CMA_AUTO, cs[1].base);
	EXPECT_STREQ("abcdefghijklmno", cs[2].name);
	EXPECT_EQ(2 * M, cs[2].size);
}

static const struct {
	const char *text;
	int ret;
	const char *msg;
} cbad[] = {
	{ "dma", -EINVAL, "expected NAME:SIZE" },
	{ ":4M", -EINVAL, "name is empty" },
	{ "Dma:4M", -EINVAL, "name may hold only" },
	{ "d ma:4M", -EINVAL, "name may hold only" },
	{ "abcdefghijklmnop:4M", -EINVAL, "longer than 15" },
	{ "dma:", -EINVAL, "size is not a number" },
	{ "dma:4M@", -EINVAL, "base is not a number" },
	{ "dma:4M@1G:0", -EINVAL, "unexpected characters" },
	{ "dma:99999999999999999999", -ERANGE, "size does not fit" },
	{ "dma:4M@0x10000000000000000", -ERANGE, "base does not fit" },
	{ "dma:4M,", -EINVAL, "cma region 1 '' is malformed: empty entry" },
	{ "a:2M,b:2M,c:2M,d:2M,e:2M,f:2M,g:2M,h:2M,i:2M,j:2M,k:2M,l:2M,m:2M,n:2M,o:2M,p:2M,q:2M",
	  -E2BIG, "more than 16 regions" },
};

TEST(cma_malformed)
{
	unsigned int i, nr;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cbad); i++) {
		err[0] = 0;
		nr = 77;
		ret = rm_parse_cma(cbad[i].text, cs, RM_CMA_MAX, &nr, err,
				   sizeof(err));
		EXPECT_EQ(cbad[i].ret, ret)
			TH_LOG("'%s'", cbad[i].text);
		EXPECT_EQ(0, nr);
		EXPECT_NE(NULL, strstr(err, cbad[i].msg))
			TH_LOG("'%s' gave '%s'", cbad[i].text, err);
	}
}

static int cma_check(const char *text, char *msg)
{
	unsigned int nr, nr_cma;

	if (rm_parse_ranges("512M@0x20000000,64M@0x60000000", r,
			    RM_MAX_RANGES, &nr, err, sizeof(err)) ||
	    rm_parse_cma(text, cs, RM_CMA_MAX, &nr_cma, err, sizeof(err)))
		return 1000;
	return rm_check_cma(cs, nr_cma, r, nr, msg, RM_ERR_LEN);
}

TEST(cma_number_checks)
{
	char msg[RM_ERR_LEN];

	EXPECT_EQ(0, cma_check("a:64M@0x20000000,b:64M,c:64M@0x60000000",
			       msg));
	EXPECT_EQ(0, cma_check("a:2M@0x20000000,b:2M@0x20200000", msg));
	EXPECT_EQ(-EINVAL, cma_check("a:2M,a:4M", msg));
	EXPECT_NE(NULL, strstr(msg, "'a': name given twice"));
	EXPECT_EQ(-EINVAL, cma_check("a:0", msg));
	EXPECT_NE(NULL, strstr(msg, "not a non-zero multiple of a pageblock"));
	EXPECT_EQ(-EINVAL, cma_check("a:3M", msg));
	EXPECT_NE(NULL, strstr(msg, "'a': size 0x300000 is not"));
	EXPECT_EQ(-EINVAL, cma_check("a:2M@0x20100000", msg));
	EXPECT_NE(NULL, strstr(msg, "base 0x20100000 is not pageblock aligned"));
	EXPECT_EQ(-EINVAL, cma_check("a:2M@0x10000000", msg));
	EXPECT_NE(NULL, strstr(msg, "not inside one range"));
	EXPECT_EQ(-EINVAL, cma_check("a:4M@0x3fe00000", msg));
	EXPECT_NE(NULL, strstr(msg, "not inside one range"));
	EXPECT_EQ(-EINVAL, cma_check("a:2M@0xffffffffffe00000", msg));
	EXPECT_NE(NULL, strstr(msg, "not inside one range"));
	EXPECT_EQ(-EINVAL, cma_check("a:4M@0x20000000,b:2M@0x20200000", msg));
	EXPECT_NE(NULL, strstr(msg, "'b' (0x200000@0x20200000): overlaps region 'a'"));
}

TEST(cma_name_chars)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";
	unsigned int c, nr;
	char text[8];

	for (c = 1; c < 256; c++) {
		bool want = strchr(ok, c);

		EXPECT_EQ(want, rm_cma_name_char(c)) TH_LOG("char %u", c);
		if (c == ':' || c == ',')
			continue;
		/* the parser refuses exactly the characters it refuses */
		snprintf(text, sizeof(text), "%c:2M", c);
		EXPECT_EQ(want ? 0 : -EINVAL,
			  rm_parse_cma(text, cs, RM_CMA_MAX, &nr, err,
				       sizeof(err))) TH_LOG("char %u", c);
	}
	EXPECT_FALSE(rm_cma_name_char(0));
}

/* One list's result: @want, and the message that names why. */
static void list_result(struct __test_metadata *_metadata, int want, int got,
			unsigned int nr, unsigned int n, const char *entry,
			unsigned int empty, const char *param,
			unsigned int max, const char *entries)
{
	char msg[64];

	ASSERT_EQ(want, got) TH_LOG("%s", err);
	ASSERT_EQ(want ? 0 : n, nr);
	if (want == -EINVAL)
		snprintf(msg, sizeof(msg), "%s %u '' is malformed: empty entry",
			 entry, empty);
	else if (want)
		snprintf(msg, sizeof(msg), "%s: more than %u %s", param, max,
			 entries);
	if (want)
		ASSERT_NE(NULL, strstr(err, msg)) TH_LOG("%s", err);
}

/*
 * ranges= and cma= split their lists alike: random lists, some with empty
 * entries and some longer than the room, against a brute-force split (the
 * first empty entry within the room is named, else more than the room is
 * -E2BIG, else every entry is parsed).
 */
TEST(lists_split_against_brute_force)
{
	static char rtext[4096], ctext[4096];
	unsigned int round, i, n, max, nr, empty;
	size_t rl, cl;
	char want[64];
	int ret, got;

	srand(17);
	for (round = 0; round < 20000; round++) {
		n = 1 + rand() % 20;
		max = 1 + rand() % RM_CMA_MAX;
		empty = ~0U;
		rl = 0;
		cl = 0;
		for (i = 0; i < n; i++) {
			/* an empty text is no list (tested above) */
			bool e = n > 1 && !(rand() % 8);

			if (e && empty == ~0U)
				empty = i;
			rl += snprintf(rtext + rl, sizeof(rtext) - rl, "%s",
				       i ? "," : "");
			cl += snprintf(ctext + cl, sizeof(ctext) - cl, "%s",
				       i ? "," : "");
			if (e)
				continue;
			rl += snprintf(rtext + rl, sizeof(rtext) - rl,
				       "4K@0x%x000", 16 + i);
			cl += snprintf(ctext + cl, sizeof(ctext) - cl,
				       "n%u:2M", i);
		}
		/* an entry within the room that is empty, else too many */
		ret = empty < max ? -EINVAL : n > max ? -E2BIG : 0;

		nr = 77;
		err[0] = 0;
		got = rm_parse_ranges(rtext, r, max, &nr, err, sizeof(err));
		list_result(_metadata, ret, got, nr, n, "range", empty,
			    "ranges=", max, "entries");
		for (i = 0; !ret && i < n; i++)
			ASSERT_EQ((16ULL + i) << 12, r[i].base);

		nr = 77;
		err[0] = 0;
		got = rm_parse_cma(ctext, cs, max, &nr, err, sizeof(err));
		list_result(_metadata, ret, got, nr, n, "cma region", empty,
			    "cma=", max, "regions");
		for (i = 0; !ret && i < n; i++) {
			snprintf(want, sizeof(want), "n%u", i);
			ASSERT_STREQ(want, cs[i].name);
		}
	}
}

/*
 * The output-array rules of GET_INFO, PIECES and CMA_LIST, for every
 * entry size up to past the limit, against the rules as the uapi header
 * states them: no pointer means a count-only call (room and size 0); a
 * pointer needs a size from the V1 size to RM_UARRAY_ENTRY_MAX.
 */
TEST(uarray_rules)
{
	/* 256: the limit info_test.c and cma_test.c hold the kernel to */
	static const u32 v1s[] = { 1, 16, 40, 64, RM_UARRAY_ENTRY_MAX };
	static const u32 rooms[] = { 0, 1, 7, 0xffffffffu };
	unsigned int p, v, r;
	u32 es;

	for (p = 0; p < 2; p++)
		for (v = 0; v < ARRAY_SIZE(v1s); v++)
			for (r = 0; r < ARRAY_SIZE(rooms); r++)
				for (es = 0; es <= RM_UARRAY_ENTRY_MAX + 2; es++) {
					bool ok = p ? es >= v1s[v] &&
						      es <= 256 :
						      !rooms[r] && !es;

					ASSERT_EQ(ok ? 0 : -EINVAL,
						  rm_uarray_check(p, rooms[r],
								  es, v1s[v]))
						TH_LOG("ptr %u room %u size %u v1 %u",
						       p, rooms[r], es, v1s[v]);
				}
	ASSERT_EQ(-EINVAL, rm_uarray_check(true, 1, 0xffffffffu, 16));
}

TEST_HARNESS_MAIN
