// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: Parsing the ranges= and cma= parameters
 *
 * Parsing and static checks of the ranges= and cma= module parameters,
 * and the rules of an ioctl's output array (rm_uarray_check(), at the end).
 *
 *   ranges=SIZE@BASE[:NODE][,SIZE@BASE[:NODE]...]
 *
 * SIZE and BASE are decimal or 0x-prefixed hexadecimal numbers with an
 * optional K, M, G or T suffix (powers of 1024, either case), as memmap=
 * takes them.  NODE is a decimal node number.
 *
 * Everything that can be decided from the numbers alone is decided here, so
 * it is tested in userspace: syntax, zero size, page alignment, wrap-around,
 * the physical address limit, and overlap between ranges.  What needs the
 * running kernel (System RAM, reserved iomem, other drivers, online nodes)
 * is checked by the glue in src/range.c.
 *
 * Every failure writes one message into @err that names the entry, so the
 * glue can print it as the single dmesg line the user sees.
 */
#include <resmem/core.h>

static __printf(3, 4) void set_err(char *err, size_t errlen,
				     const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * rm_parse_size - parse one number with an optional K/M/G/T suffix
 * @s: the text; parsing stops at the first character that does not belong
 * @endp: set to the first character not consumed
 * @val: the value
 *
 * Return: 0, -EINVAL when @s does not start with a number, -ERANGE when the
 * value does not fit in 64 bits.
 */
int rm_parse_size(const char *s, const char **endp, u64 *val)
{
	unsigned int base = 10, shift = 0;
	const char *p = s;
	u64 v = 0;
	int d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (hexval(*p) < 0 || hexval(*p) >= (int)base)
		return -EINVAL;
	for (; (d = hexval(*p)) >= 0 && d < (int)base; p++) {
		if (v > (U64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	switch (*p) {
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	}
	if (shift) {
		if (v > (U64_MAX >> shift))
			return -ERANGE;
		v <<= shift;
		p++;
	}
	*endp = p;
	*val = v;
	return 0;
}

/*
 * The entry's SIZE (@base false) or BASE at *@p, with rm_parse_size();
 * *@p moves past it.  On failure *@why says which and why.
 */
static int parse_field(const char **p, u64 *val, bool base,
		       const char **why)
{
	int ret = rm_parse_size(*p, p, val);

	if (ret == -ERANGE)
		*why = base ? "base does not fit in 64 bits" :
			      "size does not fit in 64 bits";
	else if (ret)
		*why = base ? "base is not a number" : "size is not a number";
	return ret;
}

/*
 * A comma-separated parameter: @param ("ranges=") holds at most @max
 * entries, each parsed by @one into @out (entries @size bytes apart).
 * Messages call an entry @entry and more than @max of them "more than
 * @max @entries".  An empty entry is malformed.
 */
struct list_kind {
	const char *param;
	const char *entry;
	const char *entries;
	size_t size;
	int (*one)(const char *s, size_t len, void *out, const char **why);
};

static int parse_list(const struct list_kind *k, const char *s, void *out,
		      unsigned int max, unsigned int *nr, char *err,
		      size_t errlen)
{
	unsigned int n = 0;
	const char *why;
	size_t len;
	int ret;

	for (;;) {
		len = strcspn(s, ",");
		if (n == max) {
			set_err(err, errlen, "%s: more than %u %s", k->param,
				max, k->entries);
			return -E2BIG;
		}
		why = "empty entry";
		ret = len ? k->one(s, len, (char *)out + n * k->size, &why) :
			    -EINVAL;
		if (ret) {
			set_err(err, errlen, "%s %u '%.*s' is malformed: %s",
				k->entry, n, (int)min_t(size_t, len, 48), s,
				why);
			return ret;
		}
		n++;
		if (!s[len])
			break;
		s += len + 1;
	}
	*nr = n;
	return 0;
}

static int parse_one(const char *s, size_t len, void *out, const char **why)
{
	const char *p = s, *end = s + len;
	struct rm_range_spec *r = out;
	u64 node;
	int ret;

	ret = parse_field(&p, &r->size, false, why);
	if (ret)
		return ret;
	if (p >= end || *p != '@') {
		*why = "expected SIZE@BASE[:NODE]";
		return -EINVAL;
	}
	p++;
	ret = parse_field(&p, &r->base, true, why);
	if (ret)
		return ret;
	r->nid = NUMA_NO_NODE;
	if (p < end && *p == ':') {
		p++;
		if (p >= end || *p < '0' || *p > '9') {
			*why = "node is not a decimal number";
			return -EINVAL;
		}
		for (node = 0; p < end && *p >= '0' && *p <= '9'; p++) {
			node = node * 10 + (*p - '0');
			if (node >= MAX_NUMNODES) {
				*why = "node number is larger than the kernel supports";
				return -EINVAL;
			}
		}
		r->nid = (int)node;
	}
	if (p != end) {
		*why = "unexpected characters after the entry";
		return -EINVAL;
	}
	return 0;
}

/**
 * rm_parse_ranges - parse the ranges= parameter
 * @s: the parameter text; NULL or empty is an error
 * @out: array receiving the entries
 * @max: room in @out
 * @nr: set to the number of entries parsed
 * @err: buffer for a message naming what is wrong, or NULL
 * @errlen: size of @err
 *
 * Return: 0 on success, -EINVAL on malformed text, -ERANGE on a number too
 * large, -E2BIG on more than @max entries.  @err says which entry and why.
 */
int rm_parse_ranges(const char *s, struct rm_range_spec *out,
		    unsigned int max, unsigned int *nr,
		    char *err, size_t errlen)
{
	static const struct list_kind ranges = {
		"ranges=", "range", "entries", sizeof(*out), parse_one,
	};

	*nr = 0;
	if (!s || !*s) {
		set_err(err, errlen,
			"ranges= is missing: give SIZE@BASE[:NODE][,...]");
		return -EINVAL;
	}
	return parse_list(&ranges, s, out, max, nr, err, errlen);
}

/**
 * rm_check_ranges - checks that need nothing but the numbers
 * @r: the parsed entries
 * @nr: number of entries
 * @phys_limit: first physical address the machine cannot address
 * @err: buffer for a message naming the range and the reason, or NULL
 * @errlen: size of @err
 *
 * Checks, for each range in order: non-zero size, page-aligned base and
 * size, no wrap-around, below @phys_limit, no overlap with another range.
 *
 * Return: 0 when all pass, else -EINVAL (-ERANGE for the address limit)
 * with @err naming the first range that failed.
 */
int rm_check_ranges(const struct rm_range_spec *r, unsigned int nr,
		    u64 phys_limit, char *err, size_t errlen)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		u64 base = r[i].base, size = r[i].size;

		if (!size) {
			set_err(err, errlen, "range %u (0@0x%llx): size is zero",
				i, (unsigned long long)base);
			return -EINVAL;
		}
		if (!IS_ALIGNED(base, PAGE_SIZE) ||
		    !IS_ALIGNED(size, PAGE_SIZE)) {
			set_err(err, errlen,
				"range %u (0x%llx@0x%llx): %s is not a multiple of the page size (%lu)",
				i, (unsigned long long)size,
				(unsigned long long)base,
				IS_ALIGNED(base, PAGE_SIZE) ? "size" : "base",
				(unsigned long)PAGE_SIZE);
			return -EINVAL;
		}
		if (base + size < base || base + size > phys_limit) {
			set_err(err, errlen,
				"range %u (0x%llx@0x%llx): ends beyond the physical address limit 0x%llx",
				i, (unsigned long long)size,
				(unsigned long long)base,
				(unsigned long long)phys_limit);
			return -ERANGE;
		}
		for (j = 0; j < i; j++) {
			if (base < r[j].base + r[j].size &&
			    r[j].base < base + size) {
				set_err(err, errlen,
					"range %u (0x%llx@0x%llx): overlaps range %u",
					i, (unsigned long long)size,
					(unsigned long long)base, j);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/*
 * The cma= module parameter:
 *
 *   cma=NAME:SIZE[@BASE][:system][,NAME:SIZE[@BASE][:system]...]
 *
 * NAME is 1 to RM_CMA_NAME_LEN - 1 characters of [a-z0-9_-]; SIZE and BASE
 * are numbers as in ranges=.  Without BASE the glue places the region.
 * The suffix :system lends the region to the whole system (src/lend.c).
 */

/**
 * rm_cma_name_char - may a region's name hold @c?
 * @c: a character
 *
 * For cma= and RESMEM_IOC_CMA_CREATE alike.
 *
 * Context: any.
 * Return: true for a-z, 0-9, '_' and '-'.
 */
bool rm_cma_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static int parse_cma_one(const char *s, size_t len, void *out,
			 const char **why)
{
	const char *p = s, *end = s + len;
	struct rm_cma_spec *c = out;
	size_t n;
	int ret;

	for (n = 0; p < end && *p != ':'; p++, n++) {
		if (!rm_cma_name_char(*p)) {
			*why = "name may hold only a-z, 0-9, '_' and '-'";
			return -EINVAL;
		}
	}
	if (!n || n >= RM_CMA_NAME_LEN) {
		*why = n ? "name is longer than 15 characters" : "name is empty";
		return -EINVAL;
	}
	memcpy(c->name, s, n);
	c->name[n] = 0;
	if (p >= end) {
		*why = "expected NAME:SIZE[@BASE][:system]";
		return -EINVAL;
	}
	p++;
	ret = parse_field(&p, &c->size, false, why);
	if (ret)
		return ret;
	c->base = RM_CMA_AUTO;
	if (p < end && *p == '@') {
		p++;
		ret = parse_field(&p, &c->base, true, why);
		if (ret)
			return ret;
	}
	c->system = false;
	if (end - p == 7 && !memcmp(p, ":system", 7)) {
		c->system = true;
		p = end;
	}
	if (p != end) {
		*why = "unexpected characters after the entry (the only suffix is :system)";
		return -EINVAL;
	}
	return 0;
}

/**
 * rm_parse_cma - parse the cma= parameter
 * @s: the parameter text; NULL or empty means no region
 * @out: array receiving the entries
 * @max: room in @out
 * @nr: set to the number of entries parsed
 * @err: buffer for a message naming what is wrong, or NULL
 * @errlen: size of @err
 *
 * Return: 0 on success, -EINVAL on malformed text, -ERANGE on a number too
 * large, -E2BIG on more than @max entries.  @err says which entry and why.
 */
int rm_parse_cma(const char *s, struct rm_cma_spec *out, unsigned int max,
		 unsigned int *nr, char *err, size_t errlen)
{
	static const struct list_kind cma = {
		"cma=", "cma region", "regions", sizeof(*out), parse_cma_one,
	};

	*nr = 0;
	if (!s || !*s)
		return 0;
	return parse_list(&cma, s, out, max, nr, err, errlen);
}

/**
 * rm_check_cma - checks of cma= entries that need nothing but the numbers
 * @c: the parsed entries
 * @nr: number of entries
 * @r: the ranges= entries
 * @nr_ranges: number of ranges
 * @err: buffer for a message naming the region and the reason, or NULL
 * @errlen: size of @err
 *
 * Checks, for each region in order: a name no earlier region has, a
 * non-zero size that is a multiple of a pageblock, and, when a base is
 * given, a pageblock-aligned base, the whole region inside one range, no
 * overlap with an earlier placed region.  That the region lies inside one
 * block of one node is for the glue to check.
 *
 * Return: 0 when all pass, else -EINVAL with @err naming the first region
 * that failed.
 */
int rm_check_cma(const struct rm_cma_spec *c, unsigned int nr,
		 const struct rm_range_spec *r, unsigned int nr_ranges,
		 char *err, size_t errlen)
{
	const u64 pb = RM_PAGEBLOCK_NR * PAGE_SIZE;
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		u64 base = c[i].base, size = c[i].size;

		for (j = 0; j < i; j++) {
			if (!strcmp(c[i].name, c[j].name)) {
				set_err(err, errlen,
					"cma region '%s': name given twice",
					c[i].name);
				return -EINVAL;
			}
		}
		if (!size || size % pb) {
			set_err(err, errlen,
				"cma region '%s': size 0x%llx is not a non-zero multiple of a pageblock (0x%llx)",
				c[i].name, (unsigned long long)size,
				(unsigned long long)pb);
			return -EINVAL;
		}
		if (base == RM_CMA_AUTO)
			continue;
		if (base % pb) {
			set_err(err, errlen,
				"cma region '%s': base 0x%llx is not pageblock aligned (0x%llx)",
				c[i].name, (unsigned long long)base,
				(unsigned long long)pb);
			return -EINVAL;
		}
		for (j = 0; j < nr_ranges; j++)
			if (base >= r[j].base && base + size >= base &&
			    base + size <= r[j].base + r[j].size)
				break;
		if (j == nr_ranges) {
			set_err(err, errlen,
				"cma region '%s' (0x%llx@0x%llx): not inside one range",
				c[i].name, (unsigned long long)size,
				(unsigned long long)base);
			return -EINVAL;
		}
		for (j = 0; j < i; j++) {
			if (c[j].base != RM_CMA_AUTO &&
			    base < c[j].base + c[j].size &&
			    c[j].base < base + size) {
				set_err(err, errlen,
					"cma region '%s' (0x%llx@0x%llx): overlaps region '%s'",
					c[i].name, (unsigned long long)size,
					(unsigned long long)base, c[j].name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/**
 * rm_uarray_check - the rules of an ioctl's output array
 * @has_ptr: the caller gave a pointer to the array
 * @room: entries the array has room for
 * @es: the size of one of the caller's entries
 * @v1_size: the size of an entry in the first ABI version
 *
 * Without a pointer the caller asks for the count alone: room and entry
 * size must be 0.  With one, the entry size must be at least @v1_size
 * and at most RM_UARRAY_ENTRY_MAX (room for many ABI revisions); room 0
 * is allowed.
 *
 * Context: any.
 * Return: 0 when the arguments keep the rules, else -EINVAL.
 */
int rm_uarray_check(bool has_ptr, u32 room, u32 es, u32 v1_size)
{
	if (!has_ptr)
		return room || es ? -EINVAL : 0;
	return es < v1_size || es > RM_UARRAY_ENTRY_MAX ? -EINVAL : 0;
}
