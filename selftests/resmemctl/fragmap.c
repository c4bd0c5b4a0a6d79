// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl fragmap: the fragmentation map of debugfs (or a saved copy),
 * parsed strictly and shown as coloured text, JSON or a PNG (png.c).
 *
 * The format (debugfs/README.md):
 *
 *   # resmem fragmap
 *   # scale: 1 char = 32 pages (128 KiB), 64 chars per line
 *   # legend: ...                              (any other '#' line)
 *   block 0 range 0 node 0 [mem 0x0000000020000000-0x000000003fffffff] 131072 pages
 *   0x0000000020000000 MMM.....................................
 *   ...
 *
 * Every data line starts at the address its position implies, holds at most
 * the chars per line, and only a block's last line may be shorter; a block
 * has exactly ceil(pages / scale) chars.  Anything else is an error that
 * names the line.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "resmemctl.h"

#define FM_MAX_LINE	(1 << 20)
#define FM_MAX_WIDTH	65536
#define FM_MAX_CHARS	(1ULL << 30)
#define FM_MAX_BLOCKS	4096

#define FREE_RGB	{ 0xd4, 0xf0, 0xd0 }
#define USED_RGB	{ 0x38, 0x38, 0x38 }

const struct fm_class fm_classes[] = {
	{ '.', "free", "FREE", FREE_RGB, 250, 10 },
	{ ',', "free-cma", "FREE IN CMA", { 0x90, 0xe0, 0xf0 }, 117, 10 },
	{ 'I', "free-isolated", "FREE ISOLATED", { 0xf4, 0xe4, 0x80 }, 228,
	  10 },
	{ 'M', "metadata", "METADATA", { 0x70, 0x30, 0xa8 }, 135, 0 },
	{ 'p', "per-cpu", "PER-CPU", { 0xff, 0x98, 0x20 }, 208, 0 },
	{ 'U', "unmovable", "UNMOVABLE", { 0xd0, 0x20, 0x20 }, 196, 0 },
	{ 'm', "movable", "MOVABLE", { 0x28, 0x64, 0xd8 }, 33, 0 },
	{ 'A', "memarea", "MEMAREA", { 0xd0, 0x38, 0xc8 }, 201, 0 },
	{ 'C', "cma", "CMA", { 0x00, 0x90, 0x88 }, 30, 0 },
	{ 'l', "lent", "LENT", { 0x60, 0xa0, 0xf8 }, 75, 0 },
	{ 'S', "system", "SYSTEM", { 0x30, 0xb0, 0x50 }, 34, 0 },
	{ 'K', "kept", "KEPT", { 0x20, 0x70, 0x40 }, 28, 0 },
	{ 'V', "vcompound", "VCOMPOUND", { 0x8c, 0x5a, 0x2c }, 130, 0 },
	{ 'X', "xcf", "XCF", { 0xff, 0x70, 0xa8 }, 211, 0 },
	{ '#', "mixed-none-free", "MIXED", USED_RGB, 240, 0 },
	{ '1', "mixed-1", NULL, USED_RGB, 131, 1 },
	{ '2', "mixed-2", NULL, USED_RGB, 131, 2 },
	{ '3', "mixed-3", NULL, USED_RGB, 131, 3 },
	{ '4', "mixed-4", NULL, USED_RGB, 179, 4 },
	{ '5', "mixed-5", NULL, USED_RGB, 179, 5 },
	{ '6', "mixed-6", NULL, USED_RGB, 179, 6 },
	{ '7', "mixed-7", NULL, USED_RGB, 150, 7 },
	{ '8', "mixed-8", NULL, USED_RGB, 150, 8 },
	{ '9', "mixed-9", NULL, USED_RGB, 150, 9 },
};

const size_t fm_nr_classes = ARRAY_SIZE(fm_classes);

const struct fm_class *fm_class_of(char c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fm_classes); i++)
		if (fm_classes[i].c == c)
			return &fm_classes[i];
	return NULL;
}

/* Mixed digits are shaded from the used colour to the free one. */
void fm_colour(char c, uint8_t rgb[3])
{
	static const uint8_t free_rgb[3] = FREE_RGB, used_rgb[3] = USED_RGB;
	const struct fm_class *k = fm_class_of(c);
	int i;

	if (!k) {
		memset(rgb, 0x80, 3);
		return;
	}
	if (c < '1' || c > '9') {
		memcpy(rgb, k->rgb, 3);
		return;
	}
	for (i = 0; i < 3; i++)
		rgb[i] = used_rgb[i] +
			 ((int)free_rgb[i] - used_rgb[i]) * (c - '0') / 10;
}

void fragmap_free(struct fragmap *fm)
{
	size_t i;

	for (i = 0; i < fm->nr_blocks; i++)
		free(fm->blocks[i].map);
	free(fm->blocks);
	memset(fm, 0, sizeof(*fm));
}

/* A tiny cursor parser: each step returns false on a mismatch. */
static bool lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n))
		return false;
	*p += n;
	return true;
}

static bool num(const char **p, uint64_t *v, bool hex)
{
	const char *s = *p;
	char *end;

	if (hex && !lit(&s, "0x"))
		return false;
	if (!(hex ? isxdigit((unsigned char)*s) : isdigit((unsigned char)*s)))
		return false;
	errno = 0;
	*v = strtoull(s, &end, hex ? 16 : 10);
	if (errno)
		return false;
	*p = end;
	return true;
}

static bool num32(const char **p, uint32_t *v)
{
	uint64_t x;

	if (!num(p, &x, false) || x > UINT32_MAX)
		return false;
	*v = x;
	return true;
}

/* "# scale: 1 char = 32 pages (128 KiB), 64 chars per line" */
static bool parse_scale(const char *p, struct fragmap *fm)
{
	static const struct {
		const char *name;
		unsigned int shift;
	} units[] = { { " B)", 0 }, { " KiB)", 10 }, { " MiB)", 20 },
		      { " GiB)", 30 } };
	uint64_t pages, amount, width, bytes = 0;
	size_t i;

	if (!lit(&p, "# scale: 1 char = ") || !num(&p, &pages, false) ||
	    !(lit(&p, " pages (") || lit(&p, " page (")) ||
	    !num(&p, &amount, false))
		return false;
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		if (lit(&p, units[i].name)) {
			bytes = amount << units[i].shift;
			if (bytes >> units[i].shift != amount)
				return false;
			break;
		}
	}
	if (i == ARRAY_SIZE(units) || !lit(&p, ", ") ||
	    !num(&p, &width, false) || !lit(&p, " chars per line") || *p)
		return false;
	if (!pages || pages > UINT32_MAX || !width || width > FM_MAX_WIDTH ||
	    !bytes || bytes % pages)
		return false;
	fm->scale_pages = pages;
	fm->width = width;
	fm->page_size = bytes / pages;
	return true;
}

/* "block 0 range 0 node 0 [mem 0x...-0x...] 131072 pages" */
static bool parse_block(const char *p, struct fm_block *b)
{
	memset(b, 0, sizeof(*b));
	return lit(&p, "block ") && num32(&p, &b->block) &&
	       lit(&p, " range ") && num32(&p, &b->range) &&
	       lit(&p, " node ") && num32(&p, &b->node) &&
	       lit(&p, " [mem ") && num(&p, &b->base, true) &&
	       lit(&p, "-") && num(&p, &b->end, true) &&
	       lit(&p, "] ") && num(&p, &b->pages, false) &&
	       (lit(&p, " pages") || lit(&p, " page")) && !*p;
}

static uint64_t block_chars(const struct fragmap *fm, const struct fm_block *b)
{
	return b->pages / fm->scale_pages + !!(b->pages % fm->scale_pages);
}

struct parser {
	struct fragmap *fm;
	struct fm_block *cur;	/* the block being read */
	size_t cap;		/* room in fm->blocks */
	bool magic, scale;	/* the first line and the scale line seen */
	const char *name;
	unsigned long ln;
	char *err;
	size_t errlen;
};

/* "NAME:LINE: message" into the error buffer; returns -1. */
static int __attribute__((format(printf, 2, 3)))
fail(struct parser *ps, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	snprintf(ps->err, ps->errlen, "%s:%lu: ", ps->name, ps->ln);
	n = strlen(ps->err);
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Close the current block: it must have all its chars. */
static int finish_block(struct parser *ps)
{
	const struct fm_block *b = ps->cur;

	if (!b || b->len == block_chars(ps->fm, b))
		return 0;
	return fail(ps, "block %u has %zu map chars, expected %" PRIu64
		    " (%" PRIu64 " pages at %u pages per char)", b->block,
		    b->len, block_chars(ps->fm, b), b->pages,
		    ps->fm->scale_pages);
}

static int block_line(struct parser *ps, const char *line)
{
	struct fragmap *fm = ps->fm;
	struct fm_block b;

	if (!ps->scale)
		return fail(ps, "block line before the '# scale:' line");
	if (finish_block(ps))
		return -1;
	if (!parse_block(line, &b))
		return fail(ps, "expected 'block B range R node N "
			    "[mem 0xSTART-0xEND] P pages'");
	if (ps->cur && b.block <= ps->cur->block)
		return fail(ps, "block %u after block %u", b.block,
			    ps->cur->block);
	if (!b.pages || b.end < b.base ||
	    b.pages > UINT64_MAX / fm->page_size ||
	    b.end - b.base != b.pages * fm->page_size - 1)
		return fail(ps, "block %u: [mem 0x%" PRIx64 "-0x%" PRIx64
			    "] does not hold %" PRIu64 " pages of %" PRIu64
			    " bytes", b.block, b.base, b.end, b.pages,
			    fm->page_size);
	if (block_chars(fm, &b) > FM_MAX_CHARS)
		return fail(ps, "block %u is too large", b.block);
	if (fm->nr_blocks == FM_MAX_BLOCKS)
		return fail(ps, "more than %d blocks", FM_MAX_BLOCKS);
	if (fm->nr_blocks == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 8;
		struct fm_block *v = realloc(fm->blocks, cap * sizeof(*v));

		if (!v)
			return fail(ps, "out of memory");
		fm->blocks = v;
		ps->cap = cap;
	}
	fm->blocks[fm->nr_blocks++] = b;
	ps->cur = &fm->blocks[fm->nr_blocks - 1];
	return 0;
}

static int data_line(struct parser *ps, const char *line)
{
	const struct fragmap *fm = ps->fm;
	uint64_t addr, want, step = (uint64_t)fm->scale_pages * fm->page_size;
	struct fm_block *b = ps->cur;
	const char *p = line, *chars;
	size_t n, i;

	if (!b)
		return fail(ps, "map line before the first block line");
	if (!num(&p, &addr, true) || *p != ' ' || !p[1])
		return fail(ps, "expected '0xADDRESS MAP', got '%.40s'", line);
	chars = p + 1;
	n = strlen(chars);
	if (b->len % fm->width)
		return fail(ps, "block %u: only its last line may be shorter than %u chars",
			    b->block, fm->width);
	want = b->base + b->len * step;
	if (addr != want)
		return fail(ps, "line of block %u starts at 0x%" PRIx64
			    ", expected 0x%" PRIx64, b->block, addr, want);
	if (n > fm->width)
		return fail(ps, "%zu map chars, more than %u per line", n,
			    fm->width);
	if (b->len + n > block_chars(fm, b))
		return fail(ps, "block %u has more map chars than its %" PRIu64
			    " pages need (%" PRIu64 ")", b->block, b->pages,
			    block_chars(fm, b));
	for (i = 0; i < n; i++) {
		size_t col = (size_t)(chars - line) + i + 1;

		if (fm_class_of(chars[i]))
			continue;
		if (isprint((unsigned char)chars[i]))
			return fail(ps, "column %zu: unknown map char '%c'",
				    col, chars[i]);
		return fail(ps, "column %zu: unknown map char 0x%02x", col,
			    (unsigned char)chars[i]);
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *m;

		while (cap < b->len + n + 1)
			cap *= 2;
		m = realloc(b->map, cap);
		if (!m)
			return fail(ps, "out of memory");
		b->map = m;
		b->cap = cap;
	}
	memcpy(b->map + b->len, chars, n);
	b->len += n;
	b->map[b->len] = '\0';
	return 0;
}

static int parse_line(struct parser *ps, char *line, size_t len)
{
	if (len > FM_MAX_LINE)
		return fail(ps, "line longer than %d bytes", FM_MAX_LINE);
	if (len != strlen(line))
		return fail(ps, "NUL byte in the line");
	while (len && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	if (!len)
		return 0;
	if (!ps->magic) {
		if (strcmp(line, "# resmem fragmap"))
			return fail(ps, "not a resmem fragmap: the first "
				    "line must be '# resmem fragmap'");
		ps->magic = true;
		return 0;
	}
	if (line[0] == '#') {
		if (strncmp(line, "# scale:", 8))
			return 0;
		if (ps->scale)
			return fail(ps, "a second '# scale:' line");
		if (ps->fm->nr_blocks)
			return fail(ps, "'# scale:' after the first block");
		if (!parse_scale(line, ps->fm))
			return fail(ps, "expected '# scale: 1 char = N pages "
				    "(X KiB), W chars per line'");
		ps->scale = true;
		return 0;
	}
	if (!strncmp(line, "block ", 6))
		return block_line(ps, line);
	if (!strncmp(line, "0x", 2))
		return data_line(ps, line);
	return fail(ps, "unexpected line '%.40s'", line);
}

int fragmap_parse(FILE *f, const char *name, struct fragmap *fm,
		  char *err, size_t errlen)
{
	struct parser ps = { .fm = fm, .name = name, .err = err,
			     .errlen = errlen };
	size_t lcap = 0;
	char *line = NULL;
	ssize_t len;
	int ret = 0;

	memset(fm, 0, sizeof(*fm));
	while (!ret && (len = getline(&line, &lcap, f)) >= 0) {
		ps.ln++;
		ret = parse_line(&ps, line, len);
	}
	free(line);
	if (!ret && ferror(f))
		ret = fail(&ps, "read error: %s", strerror(errno));
	if (!ret && !ps.magic)
		ret = fail(&ps, "empty: not a resmem fragmap");
	if (!ret)
		ret = finish_block(&ps);
	if (!ret && !fm->nr_blocks)
		ret = fail(&ps, "no blocks");
	if (ret)
		fragmap_free(fm);
	return ret;
}

static uint64_t char_pages(const struct fragmap *fm, const struct fm_block *b,
			   size_t i)
{
	if (i + 1 < b->len || !(b->pages % fm->scale_pages))
		return fm->scale_pages;
	return b->pages % fm->scale_pages;
}

/* Free pages: exact for free chars, to a tenth of a char for mixed ones. */
uint64_t fm_free_pages(const struct fragmap *fm, const struct fm_block *b)
{
	uint64_t tenths = 0;
	size_t i;

	for (i = 0; i < b->len; i++)
		tenths += fm_class_of(b->map[i])->tenths_free *
			  char_pages(fm, b, i);
	return tenths / 10;
}

/* The longest run of chars that are entirely free. */
size_t fm_largest_free_run(const struct fm_block *b)
{
	size_t i, run = 0, best = 0;

	for (i = 0; i < b->len; i++) {
		if (fm_class_of(b->map[i])->tenths_free == 10) {
			if (++run > best)
				best = run;
		} else {
			run = 0;
		}
	}
	return best;
}

static void print_summary(FILE *f, const struct fragmap *fm,
			  const struct fm_block *b)
{
	uint64_t fp = fm_free_pages(fm, b);
	size_t run = fm_largest_free_run(b);

	fprintf(f, "block %u: %" PRIu64 " pages, free %" PRIu64 " (%.1f%%), used %"
		PRIu64 ", largest free run %zu chars (", b->block, b->pages,
		fp, 100.0 * fp / b->pages, b->pages - fp, run);
	print_size(f, run * fm->scale_pages * fm->page_size);
	fprintf(f, ")\n");
}

static void colour_on(FILE *f, char c)
{
	const struct fm_class *k = fm_class_of(c);

	fprintf(f, "\033[38;5;%um", k ? k->ansi : 255);
}

static void print_text(FILE *f, const struct fragmap *fm, bool colour,
		       bool map)
{
	const char *reset = colour ? "\033[0m" : "";
	size_t i, j;

	fprintf(f, "# resmem fragmap: 1 char = %u pages (", fm->scale_pages);
	print_size(f, (uint64_t)fm->scale_pages * fm->page_size);
	fprintf(f, "), %u chars per line\n# legend:", fm->width);
	for (i = 0; i < fm_nr_classes; i++) {
		const struct fm_class *k = &fm_classes[i];

		if (k->c >= '1' && k->c <= '9')
			continue;
		fputc(' ', f);
		if (colour)
			colour_on(f, k->c);
		fprintf(f, "%c%s %s", k->c, reset, k->name);
	}
	fprintf(f, " 1-9 mixed, that many tenths free\n");
	for (i = 0; i < fm->nr_blocks; i++) {
		const struct fm_block *b = &fm->blocks[i];
		uint64_t step = (uint64_t)fm->scale_pages * fm->page_size;

		if (map) {
			fprintf(f, "block %u range %u node %u [mem 0x%016" PRIx64
				"-0x%016" PRIx64 "] %" PRIu64 " pages\n",
				b->block, b->range, b->node, b->base, b->end,
				b->pages);
			for (j = 0; j < b->len; j++) {
				bool sol = !(j % fm->width);

				if (sol)
					fprintf(f, "0x%016" PRIx64 " ",
						b->base + j * step);
				if (colour && (sol || b->map[j] != b->map[j - 1]))
					colour_on(f, b->map[j]);
				fputc(b->map[j], f);
				if ((j + 1) % fm->width == 0 || j + 1 == b->len)
					fprintf(f, "%s\n", reset);
			}
		}
		print_summary(f, fm, b);
	}
}

static void print_json(FILE *f, const struct fragmap *fm, const char *png,
		       unsigned int w, unsigned int h)
{
	size_t i;

	fprintf(f, "{\"scale_pages\":%u,\"chars_per_line\":%u,\"page_size\":%"
		PRIu64 ",\"blocks\":[", fm->scale_pages, fm->width,
		fm->page_size);
	for (i = 0; i < fm->nr_blocks; i++) {
		const struct fm_block *b = &fm->blocks[i];
		uint64_t fp = fm_free_pages(fm, b);

		fprintf(f, "%s{\"block\":%u,\"range\":%u,\"node\":%u,\"base\":%"
			PRIu64 ",\"pages\":%" PRIu64 ",\"free_pages\":%" PRIu64
			",\"used_pages\":%" PRIu64 ",\"largest_free_run\":%zu,"
			"\"map\":", i ? "," : "", b->block, b->range, b->node,
			b->base, b->pages, fp, b->pages - fp,
			fm_largest_free_run(b));
		json_strn(f, b->map, b->len);
		fputc('}', f);
	}
	fputc(']', f);
	if (png) {
		fprintf(f, ",\"png\":{\"file\":");
		json_str(f, png);
		fprintf(f, ",\"width\":%u,\"height\":%u}", w, h);
	}
	fprintf(f, "}\n");
}

/* fragmap's command line, checked; EXIT_USAGE after a message. */
static int fragmap_args(const struct command *cmd, int argc, char **argv,
			const char **input, const char **png, uint32_t *scale,
			const char **colour, bool *json)
{
	const struct opt opts[] = {
		{ "--input", OPT_STR, input, NULL },
		{ "--png", OPT_STR, png, NULL },
		{ "--scale", OPT_U32, scale, NULL },
		{ "--color", OPT_STR, colour, NULL },
		{ "--colour", OPT_STR, colour, NULL },
		{ "--json", OPT_FLAG, json, NULL },
	};
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), NULL, 0, 0,
			 NULL);
	if (ret)
		return ret;
	if (strcmp(*colour, "auto") && strcmp(*colour, "always") &&
	    strcmp(*colour, "never")) {
		fprintf(stderr,
			"resmemctl fragmap: --color must be auto, always or never\n");
		return EXIT_USAGE;
	}
	if (!*scale || *scale > 64) {
		fprintf(stderr, "resmemctl fragmap: --scale must be 1 to 64\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Read and check the map from @input (NULL: debugfs, "-": stdin). */
static int fragmap_read(const char *input, struct fragmap *fm)
{
	const char *name;
	char err[512];
	FILE *f;
	int ret;

	if (!input) {
		if (open_debugfs("fragmap", DEBUGFS_DIR, "fragmap", &f))
			return EXIT_FAIL;
		name = DEBUGFS_DIR "/fragmap";
	} else if (!strcmp(input, "-")) {
		f = stdin;
		name = "stdin";
	} else {
		f = fopen(input, "re");
		if (!f) {
			fprintf(stderr, "resmemctl fragmap: %s: %s\n", input,
				strerror(errno));
			return EXIT_FAIL;
		}
		name = input;
	}
	ret = fragmap_parse(f, name, fm, err, sizeof(err));
	if (f != stdin)
		fclose(f);
	if (ret) {
		fprintf(stderr, "resmemctl fragmap: %s\n", err);
		return EXIT_FAIL;
	}
	return 0;
}

int cmd_fragmap(struct ctl *ctl, const struct command *cmd, int argc,
		char **argv)
{
	const char *input = NULL, *png = NULL, *colour = "auto";
	bool json = ctl->force_json, use_colour;
	unsigned int w = 0, h = 0;
	uint32_t scale = 4;
	struct fragmap fm;
	char err[512];
	int ret;

	ret = fragmap_args(cmd, argc, argv, &input, &png, &scale, &colour,
			   &json);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = fragmap_read(input, &fm);
	if (ret)
		return ret;
	if (png && fragmap_png(&fm, png, scale, &w, &h, err, sizeof(err))) {
		fprintf(stderr, "resmemctl fragmap: %s\n", err);
		fragmap_free(&fm);
		return EXIT_FAIL;
	}
	use_colour = !strcmp(colour, "always") ||
		     (!strcmp(colour, "auto") && ctl->out == stdout &&
		      isatty(STDOUT_FILENO));
	if (json) {
		print_json(ctl->out, &fm, png, w, h);
	} else {
		print_text(ctl->out, &fm, use_colour, !png);
		if (png)
			fprintf(ctl->out, "wrote %s: %ux%u pixels\n", png, w,
				h);
	}
	fragmap_free(&fm);
	return EXIT_OK;
}
