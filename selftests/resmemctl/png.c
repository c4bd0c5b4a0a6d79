// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl fragmap --png: the map as a PNG, written with libpng.
 *
 * One cell of PX x PX pixels per map char, the chars of a line side by
 * side, the blocks one below the other with a 1-pixel gap, then a legend
 * strip: the scale, and a coloured square and a name per class (mixed
 * chars as a ramp from none to nine tenths free).  Text is drawn with a
 * built-in 3x5 pixel font, doubled.
 */
#include <ctype.h>
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "resmemctl.h"

#define MAX_PIXELS	(64u << 20)	/* 192 MiB of RGB */
#define MIN_WIDTH	256
#define FONT_SCALE	2
#define GLYPH_W		(3 * FONT_SCALE)
#define GLYPH_H		(5 * FONT_SCALE)
#define ADVANCE		(4 * FONT_SCALE)
#define PAD		4
#define SQUARE		10
#define ROW_H		(GLYPH_H + 4)

static const uint8_t gap_rgb[3] = { 0x00, 0x00, 0x00 };
static const uint8_t legend_bg[3] = { 0xff, 0xff, 0xff };
static const uint8_t text_rgb[3] = { 0x00, 0x00, 0x00 };

/* 3x5 glyphs, one octal digit per row, the high bit the left pixel. */
static const char font_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-():.,=/%";
static const uint16_t font[] = {
	025755, 065656, 034443, 065556, 074647, 074644, 034553, 055755,
	072227, 011152, 055655, 044447, 057755, 065555, 025552, 065644,
	025563, 065655, 034216, 072222, 055557, 055552, 055775, 055255,
	055222, 071247, 075557, 026227, 061247, 061216, 055711, 074616,
	034757, 071222, 075757, 075716, 000700, 012221, 042224, 002020,
	000002, 000024, 007070, 011244, 051245,
};

struct image {
	unsigned int w, h;
	uint8_t *px;		/* RGB, w * h * 3 */
};

static void fill(struct image *im, unsigned int x, unsigned int y,
		 unsigned int w, unsigned int h, const uint8_t rgb[3])
{
	unsigned int i, j;

	for (j = y; j < y + h && j < im->h; j++) {
		uint8_t *row = im->px + (size_t)j * im->w * 3;

		for (i = x; i < x + w && i < im->w; i++)
			memcpy(row + (size_t)i * 3, rgb, 3);
	}
}

/* Text at (x, y); returns its width.  Draws only when @im is set. */
static unsigned int text(struct image *im, unsigned int x, unsigned int y,
			 const char *s)
{
	unsigned int n = 0, r, c;

	for (; *s; s++, n++) {
		const char *k = strchr(font_chars, toupper((unsigned char)*s));
		uint16_t g;

		if (!im || !k || !*s)
			continue;
		g = font[k - font_chars];
		for (r = 0; r < 5; r++)
			for (c = 0; c < 3; c++)
				if (g >> ((4 - r) * 3 + (2 - c)) & 1)
					fill(im, x + n * ADVANCE + c * FONT_SCALE,
					     y + r * FONT_SCALE, FONT_SCALE,
					     FONT_SCALE, text_rgb);
	}
	return n ? n * ADVANCE - (ADVANCE - GLYPH_W) : 0;
}

/*
 * Lay out (and with @im, draw) the legend at @y0 in an image @w wide;
 * returns its height.
 */
static unsigned int legend(struct image *im, unsigned int w, unsigned int y0,
			   const struct fragmap *fm)
{
	unsigned int x = PAD, y = y0 + PAD, iw, k;
	uint8_t rgb[3];
	char title[96];
	size_t i;

	snprintf(title, sizeof(title), "1 CELL = %u PAGES (%llu KIB)",
		 fm->scale_pages,
		 (unsigned long long)(fm->scale_pages * fm->page_size >> 10));
	text(im, x, y + 2, title);
	y += ROW_H;
	for (i = 0; i <= fm_nr_classes; i++) {
		const struct fm_class *c = i < fm_nr_classes ? &fm_classes[i] :
							       NULL;
		const char *label = c ? c->label : "MIXED: 0-9 TENTHS FREE";
		bool ramp = !c;

		if (c && (!c->label || c->c == '#'))
			continue;	/* mixed chars: the ramp at the end */
		iw = (ramp ? 10 * SQUARE / 2 : SQUARE) + 4 + text(NULL, 0, 0, label);
		if (x > PAD && x + iw > w - PAD) {
			x = PAD;
			y += ROW_H;
		}
		if (im && ramp) {
			for (k = 0; k < 10; k++) {
				fm_colour(k ? '0' + k : '#', rgb);
				fill(im, x + k * SQUARE / 2, y, SQUARE / 2,
				     SQUARE, rgb);
			}
		} else if (im) {
			fill(im, x, y, SQUARE, SQUARE, text_rgb);
			fill(im, x + 1, y + 1, SQUARE - 2, SQUARE - 2, c->rgb);
		}
		text(im, x + iw - text(NULL, 0, 0, label), y, label);
		x += iw + 12;
	}
	return y + ROW_H + PAD - y0;
}

struct png_err {
	char *err;
	size_t errlen;
	const char *path;
};

static void on_png_error(png_structp png, png_const_charp msg)
{
	struct png_err *e = png_get_error_ptr(png);

	snprintf(e->err, e->errlen, "%s: libpng: %s", e->path, msg);
	png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int write_png(const struct image *im, const char *path, char *err,
		     size_t errlen)
{
	struct png_err e = { err, errlen, path };
	png_structp png;
	png_infop info = NULL;
	png_text meta[2];
	unsigned int y;
	FILE *f;

	f = fopen(path, "wbe");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &e, on_png_error,
				      on_png_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		snprintf(err, errlen, "%s: libpng: out of memory", path);
		goto fail;
	}
	if (setjmp(png_jmpbuf(png)))
		goto fail;
	png_init_io(png, f);
	png_set_IHDR(png, info, im->w, im->h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	memset(meta, 0, sizeof(meta));
	meta[0].compression = PNG_TEXT_COMPRESSION_NONE;
	meta[0].key = "Title";
	meta[0].text = "resmem fragmentation map";
	meta[1].compression = PNG_TEXT_COMPRESSION_NONE;
	meta[1].key = "Software";
	meta[1].text = "resmemctl";
	png_set_text(png, info, meta, 2);
	png_write_info(png, info);
	for (y = 0; y < im->h; y++)
		png_write_row(png, im->px + (size_t)y * im->w * 3);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	if (fclose(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
fail:
	png_destroy_write_struct(&png, &info);
	fclose(f);
	unlink(path);
	return -1;
}

int fragmap_png(const struct fragmap *fm, const char *path, unsigned int px,
		unsigned int *width, unsigned int *height,
		char *err, size_t errlen)
{
	uint64_t map_h = 0, w, h;
	struct image im;
	unsigned int y = 0, lh;
	uint8_t rgb[3];
	size_t i, j;
	int ret;

	for (i = 0; i < fm->nr_blocks; i++)
		map_h += (fm->blocks[i].len + fm->width - 1) / fm->width * px +
			 (i ? 1 : 0);
	w = (uint64_t)fm->width * px;
	if (w < MIN_WIDTH)
		w = MIN_WIDTH;
	if (map_h > MAX_PIXELS || w > MAX_PIXELS) {
		snprintf(err, errlen,
			 "%s: the image would be too large; use a smaller --scale",
			 path);
		return -1;
	}
	lh = legend(NULL, w, 0, fm);
	h = map_h + 1 + lh;
	if (w * h > MAX_PIXELS) {
		snprintf(err, errlen,
			 "%s: the image would be %llux%llu pixels, too large; use a smaller --scale",
			 path, (unsigned long long)w, (unsigned long long)h);
		return -1;
	}
	im.w = w;
	im.h = h;
	im.px = malloc((size_t)w * h * 3);
	if (!im.px) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	fill(&im, 0, 0, im.w, map_h + 1, gap_rgb);
	for (i = 0; i < fm->nr_blocks; i++) {
		const struct fm_block *b = &fm->blocks[i];

		if (i)
			y++;	/* the gap between blocks */
		for (j = 0; j < b->len; j++) {
			fm_colour(b->map[j], rgb);
			fill(&im, j % fm->width * px, y + j / fm->width * px,
			     px, px, rgb);
		}
		y += (b->len + fm->width - 1) / fm->width * px;
	}
	fill(&im, 0, map_h + 1, im.w, lh, legend_bg);
	legend(&im, im.w, map_h + 1, fm);
	ret = write_png(&im, path, err, errlen);
	free(im.px);
	if (!ret) {
		*width = im.w;
		*height = im.h;
	}
	return ret;
}
