// SPDX-License-Identifier: GPL-2.0
/*
 * src/core/fwmap.c: the firmware-map RAM check, asked through a copy of the
 * kernel's _e820__mapped_any() over made-up tables, against a brute-force
 * oracle that looks at every byte.
 */
#include <stdlib.h>
#include <resmem/core.h>
#include "kselftest_harness.h"

struct entry {
	u64 addr, size;
	u32 type;
};

struct table {
	struct entry e[64];
	int nr;
	u64 asked;
};

/* arch/x86/kernel/e820.c: _e820__mapped_any(), as the module calls it */
static bool mapped_any(u64 start, u64 end, u32 type, void *arg)
{
	struct table *t = arg;
	int i;

	t->asked++;
	for (i = 0; i < t->nr; i++) {
		const struct entry *e = &t->e[i];

		if (type && e->type != type)
			continue;
		if (e->addr >= end || e->addr + e->size <= start)
			continue;
		return true;
	}
	return false;
}

static void add(struct table *t, u64 addr, u64 size, u32 type)
{
	t->e[t->nr++] = (struct entry){ addr, size, type };
}

/* Brute force: a byte is RAM when a RAM entry holds it and nothing else. */
static bool byte_ram(const struct table *t, u64 x)
{
	bool ram = false;
	int i;

	for (i = 0; i < t->nr; i++) {
		const struct entry *e = &t->e[i];

		if (x < e->addr || x >= e->addr + e->size)
			continue;
		if (e->type != RM_FW_RAM)
			return false;
		ram = true;
	}
	return ram;
}

static u64 oracle(const struct table *t, u64 base, u64 size)
{
	u64 x;

	for (x = base; x < base + size; x++)
		if (!byte_ram(t, x))
			return x;
	return base + size;
}

#define P PAGE_SIZE

/* The VM's firmware map (QEMU q35, SeaBIOS, 4 GiB) */
static void q35(struct table *t)
{
	t->nr = 0;
	add(t, 0, 0x9fc00, RM_FW_RAM);
	add(t, 0x9fc00, 0x400, RM_FW_RESERVED);
	add(t, 0xf0000, 0x10000, RM_FW_RESERVED);
	add(t, 0x100000, 0x7fee0000, RM_FW_RAM);
	add(t, 0x7ffe0000, 0x20000, RM_FW_RESERVED);
	add(t, 0xb0000000, 0x10000000, RM_FW_RESERVED);
	add(t, 0x100000000, 0x80000000, RM_FW_RAM);
	add(t, 0xfd00000000, 0x300000000, RM_FW_RESERVED);
}

TEST(vm_shapes)
{
	struct table t;

	q35(&t);
	/* all RAM, at either end of a RAM entry */
	EXPECT_EQ(0x30000000, rm_fw_first_not_ram(0x20000000, 0x10000000,
						  mapped_any, &t));
	EXPECT_EQ(0x180000000, rm_fw_first_not_ram(0x100000000, 0x80000000,
						   mapped_any, &t));
	EXPECT_EQ(0x7ffe0000, rm_fw_first_not_ram(0x7ffd0000, 0x10000,
						  mapped_any, &t));
	/* firmware-reserved */
	EXPECT_EQ(0x7ffe0000, rm_fw_first_not_ram(0x7ffe0000, 0x20000,
						  mapped_any, &t));
	EXPECT_EQ(RM_FW_RESERVED, rm_fw_type_of(0x7ffe0000, mapped_any, &t));
	/* RAM then reserved then the PCI hole */
	EXPECT_EQ(0x7ffe0000, rm_fw_first_not_ram(0x7f000000, 0x2000000,
						  mapped_any, &t));
	/* the PCI window */
	EXPECT_EQ(0x84000000, rm_fw_first_not_ram(0x84000000, 0x4000000,
						  mapped_any, &t));
	EXPECT_EQ(RM_FW_HOLE, rm_fw_type_of(0x84000000, mapped_any, &t));
	/* half RAM, half hole */
	EXPECT_EQ(0x180000000, rm_fw_first_not_ram(0x178000000, 0x10000000,
						   mapped_any, &t));
	EXPECT_EQ(RM_FW_HOLE, rm_fw_type_of(0x180000000, mapped_any, &t));
	/* beyond the end of RAM */
	EXPECT_EQ(0x200000000, rm_fw_first_not_ram(0x200000000, 0x10000000,
						   mapped_any, &t));
	/* the page that is RAM up to 0x9fc00 */
	EXPECT_EQ(0x9fc00, rm_fw_first_not_ram(0x9f000, P, mapped_any, &t));
	EXPECT_EQ(0x9fc00, rm_fw_first_not_ram(0x90000, 0x20000, mapped_any,
					       &t));
	EXPECT_EQ(RM_FW_RAM, rm_fw_type_of(0x9fbff, mapped_any, &t));
}

TEST(pins_start_middle_end)
{
	struct table t = { .nr = 0 };
	u64 base = 0x100000, n = 64 * P;

	add(&t, base, n, RM_FW_RAM);
	EXPECT_EQ(base + n, rm_fw_first_not_ram(base, n, mapped_any, &t));
	/* a reserved page at the start, in the middle, at the end */
	add(&t, base, P, RM_FW_RESERVED);
	EXPECT_EQ(base, rm_fw_first_not_ram(base, n, mapped_any, &t));
	t.e[1].addr = base + 31 * P;
	EXPECT_EQ(base + 31 * P, rm_fw_first_not_ram(base, n, mapped_any, &t));
	t.e[1].addr = base + n - P;
	EXPECT_EQ(base + n - P, rm_fw_first_not_ram(base, n, mapped_any, &t));
	/* ACPI tables win over the reserved page further on */
	add(&t, base + 7 * P + 100, 8, RM_FW_ACPI);
	EXPECT_EQ(base + 7 * P + 100,
		  rm_fw_first_not_ram(base, n, mapped_any, &t));
	EXPECT_EQ(RM_FW_ACPI, rm_fw_type_of(base + 7 * P + 100, mapped_any,
					    &t));
	EXPECT_STREQ("ACPI tables", rm_fw_type_name(RM_FW_ACPI));
	EXPECT_STREQ("a hole", rm_fw_type_name(RM_FW_HOLE));
	/* an unknown type is an entry, not a hole */
	t.nr = 1;
	add(&t, base + n, P, 20);
	EXPECT_EQ(base + n, rm_fw_first_not_ram(base, n + P, mapped_any, &t));
	EXPECT_EQ(RM_FW_OTHER, rm_fw_type_of(base + n, mapped_any, &t));
	EXPECT_STREQ("of a type not RAM", rm_fw_type_name(RM_FW_OTHER));
	/* two RAM entries that touch are RAM; a one-byte gap is not */
	t.nr = 0;
	add(&t, base, 5 * P, RM_FW_RAM);
	add(&t, base + 5 * P, 5 * P, RM_FW_RAM);
	EXPECT_EQ(base + 10 * P, rm_fw_first_not_ram(base, 10 * P, mapped_any,
						     &t));
	t.e[1].addr++;
	EXPECT_EQ(base + 5 * P, rm_fw_first_not_ram(base, 10 * P, mapped_any,
						    &t));
	/* a gap at the last byte of a page, and RAM ending mid-page */
	t.e[0].size--;
	t.e[1].addr = base + 5 * P;
	EXPECT_EQ(base + 5 * P - 1, rm_fw_first_not_ram(base, 10 * P,
							mapped_any, &t));
	t.nr = 1;
	t.e[0].size = 5 * P + 123;
	EXPECT_EQ(base + 5 * P + 123, rm_fw_first_not_ram(base, 10 * P,
							  mapped_any, &t));
	EXPECT_EQ(RM_FW_HOLE, rm_fw_type_of(base + 5 * P + 123, mapped_any,
					    &t));
	/* no entry at all */
	t.nr = 0;
	EXPECT_EQ(base, rm_fw_first_not_ram(base, P, mapped_any, &t));
}

/*
 * Random tables, unsorted and overlapping as firmware may hand them over,
 * with boundaries at any byte: the answer is exactly the oracle's, except
 * where the top of fwmap.c says it cannot see (a piece of hole or unknown
 * type inside one page with RAM at both of its ends; with overlapping
 * entries, an unknown type over RAM too), and then it is never earlier
 * than the oracle's.
 */
static bool blind_spot(struct table *t, u64 base, u64 bad)
{
	u64 page = base + (bad - base) / P * P;
	u32 type = rm_fw_type_of(bad, mapped_any, t);

	/* an unknown type over a RAM entry: only overlapping tables */
	if (type == RM_FW_RAM)
		return true;
	return mapped_any(page, page + 1, RM_FW_RAM, t) &&
	       mapped_any(page + P - 1, page + P, RM_FW_RAM, t) &&
	       (type == RM_FW_HOLE || type == RM_FW_OTHER);
}

TEST(random_against_oracle)
{
	static const u32 types[] = { RM_FW_RAM, RM_FW_RAM, RM_FW_RAM,
				     RM_FW_RESERVED, RM_FW_NVS, 20 };
	struct table t;
	unsigned int round, exact = 0, blind = 0, allram = 0;
	u64 base, size, want, got, span = 24 * P;
	int i;

	srand(9);
	for (round = 0; round < 3000; round++) {
		t.nr = 1 + rand() % 6;
		for (i = 0; i < t.nr; i++) {
			u64 a = rand() % span, s = 1 + rand() % (span / 2);

			if (rand() % 2) {	/* most on page boundaries */
				a = a / P * P;
				s = (s + P - 1) / P * P;
			}
			t.e[i] = (struct entry){ a, s,
						 types[rand() % ARRAY_SIZE(types)] };
		}
		base = rand() % 16 * P;
		size = (1 + rand() % 8) * P;
		t.asked = 0;
		want = oracle(&t, base, size);
		got = rm_fw_first_not_ram(base, size, mapped_any, &t);
		ASSERT_LE(t.asked, 2 * size / P + P + 7 * 64);
		if (got == want) {
			exact++;
			allram += want == base + size;
			continue;
		}
		ASSERT_GT(got, want);
		ASSERT_TRUE(blind_spot(&t, base, want));
		blind++;
	}
	EXPECT_GT(exact, 2500);
	EXPECT_GT(allram, 100);
	TH_LOG("%u exact (%u all RAM), %u in the blind spot", exact, allram,
	       blind);
}

TEST_HARNESS_MAIN
