// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: The firmware-map RAM check
 *
 * Is a range RAM in the firmware memory map?  The proof, from one question.
 *
 * On x86 the map the firmware gave the kernel, before memmap= and other
 * edits, is e820_table_firmware.  A module cannot read that table (it is
 * not exported); it can only ask e820__mapped_raw_any(start, end, type):
 * does any entry of @type (0: of any type) meet [start, end)?  This file
 * builds the check from that question alone, so it is rm_fw_any_fn here and
 * the unit test answers it from tables it makes up.
 *
 * [base, base + size) is RAM when every byte is in a RAM entry and in no
 * entry of another type.  The check, in order:
 *
 *  1. Entries of every non-RAM type the kernel knows (reserved, ACPI, NVS,
 *     unusable, PMEM, PRAM, soft reserved): one question per type for the
 *     whole range, and where one meets it, a bisection of the prefix
 *     [base, x) finds its first byte (the answer grows with x).
 *  2. Holes, and entries of types nobody knows: every page's first and last
 *     byte must be in a RAM entry; in the first page that fails, each byte
 *     is asked about in turn, so the first byte that is not RAM is named
 *     exactly.
 *
 * The first byte not RAM is the lower of the two.  What a yes/no question
 * about intervals cannot see cheaply: a hole (or an entry of an unknown
 * type) that starts and ends inside one page with RAM at both ends of that
 * page; only asking about each byte would, and firmware maps are not drawn
 * that finely.  Nor, in a table whose entries overlap, an unknown type over
 * a RAM entry; the kernel sorts out overlaps at boot (e820__update_table()).
 * Cost: 2 questions a page, each a walk of the table.
 */
#include <resmem/core.h>

static const u32 not_ram[] = {
	RM_FW_RESERVED, RM_FW_ACPI, RM_FW_NVS, RM_FW_UNUSABLE, RM_FW_PMEM,
	RM_FW_PRAM, RM_FW_SOFT_RESERVED,
};

/* The first byte of [lo, hi) in an entry of @type, which meets [lo, hi). */
static u64 first_of_type(u64 lo, u64 hi, u32 type, rm_fw_any_fn any,
			 void *arg)
{
	u64 a = lo, b = hi, m;

	/* [lo, a) meets no such entry, [lo, b) does; a == lo is not asked */
	while (b - a > 1) {
		m = a + (b - a) / 2;
		if (any(lo, m, type, arg))
			b = m;
		else
			a = m;
	}
	return b - 1;
}

static bool is_ram(u64 addr, rm_fw_any_fn any, void *arg)
{
	return any(addr, addr + 1, RM_FW_RAM, arg);
}

/* The first byte of [lo, hi) outside every RAM entry, or @hi. */
static u64 first_hole(u64 lo, u64 hi, rm_fw_any_fn any, void *arg)
{
	u64 p, last, x;

	for (p = lo; p < hi; p += PAGE_SIZE) {
		if (!is_ram(p, any, arg))
			return p;
		last = min(p + PAGE_SIZE, hi) - 1;
		if (is_ram(last, any, arg))
			continue;
		for (x = p + 1; x < last; x++)
			if (!is_ram(x, any, arg))
				return x;
		return last;
	}
	return hi;
}

/**
 * rm_fw_type_of - what the firmware map says one byte is
 * @addr: the byte
 * @any: the question
 * @arg: passed to @any
 *
 * Return: RM_FW_RAM or one of the other RM_FW_* types the kernel knows, else
 * RM_FW_HOLE when no entry holds @addr, else RM_FW_OTHER.
 */
u32 rm_fw_type_of(u64 addr, rm_fw_any_fn any, void *arg)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(not_ram); i++)
		if (any(addr, addr + 1, not_ram[i], arg))
			return not_ram[i];
	if (is_ram(addr, any, arg))
		return RM_FW_RAM;
	return any(addr, addr + 1, 0, arg) ? RM_FW_OTHER : RM_FW_HOLE;
}

/**
 * rm_fw_first_not_ram - the first byte of a range the firmware map does not
 * call RAM
 * @base: first byte of the range
 * @size: its length in bytes, not 0; @base + @size does not wrap
 * @any: the question (see the top of this file)
 * @arg: passed to @any
 *
 * Return: that byte, or @base + @size when every byte is RAM.
 */
u64 rm_fw_first_not_ram(u64 base, u64 size, rm_fw_any_fn any, void *arg)
{
	u64 end = base + size, first = end;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(not_ram); i++)
		if (first > base && any(base, first, not_ram[i], arg))
			first = first_of_type(base, first, not_ram[i], any,
					      arg);
	return first_hole(base, first, any, arg);
}

/**
 * rm_fw_type_name - a firmware type in words, for a refusal
 * @type: RM_FW_*
 *
 * Return: a constant string.
 */
const char *rm_fw_type_name(u32 type)
{
	switch (type) {
	case RM_FW_RAM:
		return "RAM";
	case RM_FW_HOLE:
		return "a hole";
	case RM_FW_RESERVED:
		return "reserved";
	case RM_FW_ACPI:
		return "ACPI tables";
	case RM_FW_NVS:
		return "ACPI NVS";
	case RM_FW_UNUSABLE:
		return "unusable";
	case RM_FW_PMEM:
		return "persistent memory";
	case RM_FW_PRAM:
		return "legacy persistent memory";
	case RM_FW_SOFT_RESERVED:
		return "soft reserved";
	default:
		return "of a type not RAM";
	}
}
