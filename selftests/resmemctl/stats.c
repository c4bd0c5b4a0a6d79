// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl stats: resmem's debugfs counters (stats: "key: value" lines),
 * its free lists (buddyinfo: the format of /proc/buddyinfo, one line per
 * node and zone, one column of free blocks per order) and memarea's
 * counters and histograms (memarea/stats: "key: value" lines, histograms
 * as space-separated counts, "#" comments), and xcf's: xcf/stats (its
 * counters and histogram, and a table of the live pools) and each pool's
 * xcf/<pool>/classes (a row per size class and a Total line).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include "resmemctl.h"

#define MAX_LINE	4096

/*
 * Open DIR/FILE of resmem's debugfs directory; when that fails, say which
 * of debugfs, the module or the file is missing.
 */
int open_debugfs(const char *cmd, const char *dir, const char *file,
		 FILE **f)
{
	char path[4096];
	struct statfs sfs;
	struct stat st;
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*f = fopen(path, "re");
	if (*f)
		return 0;
	err = errno;
	if (err == EACCES || err == EPERM) {
		fprintf(stderr,
			"resmemctl %s: %s: permission denied: resmem's debugfs files are root-only\n",
			cmd, path);
	} else if (err != ENOENT) {
		fprintf(stderr, "resmemctl %s: %s: %s\n", cmd, path,
			strerror(err));
	} else if (!strcmp(dir, DEBUGFS_DIR) &&
		   (statfs(DEBUGFS_MNT, &sfs) ||
		    sfs.f_type != DEBUGFS_MAGIC)) {
		fprintf(stderr,
			"resmemctl %s: debugfs is not mounted at %s (mount -t debugfs none %s)\n",
			cmd, DEBUGFS_MNT, DEBUGFS_MNT);
	} else if (strcmp(dir, DEBUGFS_DIR)) {
		fprintf(stderr, "resmemctl %s: %s does not exist\n", cmd, path);
	} else if (stat(dir, &st)) {
		fprintf(stderr,
			"resmemctl %s: %s does not exist: is the resmem module loaded? (without the debugfs feature it has no debugfs files)\n",
			cmd, dir);
	} else {
		fprintf(stderr,
			"resmemctl %s: %s does not exist: the loaded resmem module does not provide it (older than resmemctl?)\n",
			cmd, path);
	}
	return -1;
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * The next line of @name into buf, counted in *line; -1 at the end, -2
 * (with @err said) when the line is too long.
 */
static int read_line(FILE *f, char *buf, size_t len, const char *name,
		     unsigned long *line, char *err, size_t errlen)
{
	if (!fgets(buf, len, f))
		return -1;
	++*line;
	if (!strchr(buf, '\n') && !feof(f)) {
		snprintf(err, errlen, "%s:%lu: line too long", name, *line);
		return -2;
	}
	trim_end(buf);
	return 0;
}

void free_stats(struct stat_kv *kv, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		free(kv[i].key);
		free(kv[i].text);
	}
	free(kv);
}

/*
 * One "key: value" line (@buf, line @line of @name) onto *@kvp: an error
 * when it is not one or its key is there already.  0, or -1 with @err set.
 */
static int kv_line(char *buf, const char *name, unsigned long line,
		   struct stat_kv **kvp, size_t *np, size_t *capp, char *err,
		   size_t errlen)
{
	struct stat_kv *kv = *kvp;
	size_t n = *np, i;
	char *colon, *val, *key;
	uint64_t v;

	colon = strchr(buf, ':');
	for (key = buf; colon && key < colon; key++)
		if (!isalnum((unsigned char)*key) && *key != '_' &&
		    *key != '-' && *key != '.')
			break;
	if (!colon || colon == buf || key != colon ||
	    (colon[1] != ' ' && colon[1])) {
		snprintf(err, errlen,
			 "%s:%lu: expected 'key: value', got '%.60s'",
			 name, line, buf);
		return -1;
	}
	*colon = '\0';
	for (val = colon + 1; *val == ' '; val++)
		;
	if (!*val) {
		snprintf(err, errlen, "%s:%lu: '%s' has no value", name, line,
			 buf);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!strcmp(kv[i].key, buf)) {
			snprintf(err, errlen, "%s:%lu: '%s' appears twice",
				 name, line, buf);
			return -1;
		}
	}
	if (n == *capp) {
		size_t cap = *capp ? 2 * *capp : 16;
		struct stat_kv *k = realloc(kv, cap * sizeof(*k));

		if (!k)
			goto oom;
		*kvp = kv = k;
		*capp = cap;
	}
	kv[n].key = strdup(buf);
	kv[n].text = NULL;
	kv[n].value = 0;
	*np = n + 1;
	if (!kv[n].key)
		goto oom;
	if (!parse_u64(val, &v) && strncmp(val, "0x", 2)) {
		kv[n].value = v;
	} else {
		kv[n].text = strdup(val);
		if (!kv[n].text)
			goto oom;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
	return -1;
}

int parse_stats(FILE *f, const char *name, struct stat_kv **kvp, size_t *nr,
		char *err, size_t errlen)
{
	struct stat_kv *kv = NULL;
	size_t n = 0, cap = 0;
	unsigned long line = 0;
	char buf[MAX_LINE];
	int r;

	while ((r = read_line(f, buf, sizeof(buf), name, &line, err,
			      errlen)) != -1) {
		if (r == -2)
			goto fail;
		if (!buf[0] || buf[0] == '#')
			continue;
		if (kv_line(buf, name, line, &kv, &n, &cap, err, errlen))
			goto fail;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		goto fail;
	}
	*kvp = kv;
	*nr = n;
	return 0;
fail:
	free_stats(kv, n);
	return -1;
}

/* One line of buddyinfo, @buf (line @line of @name), into @zone. */
static int buddy_line(char *buf, const char *name, unsigned long line,
		      struct buddy_zone *zone, char *err, size_t errlen)
{
	char *p, *end;
	int used = 0;

	if (sscanf(buf, "Node %u, zone %31s%n", &zone->node, zone->zone,
		   &used) != 2 || !used ||
	    (buf[used] && buf[used] != ' ' && buf[used] != '\t') ||
	    !isdigit((unsigned char)buf[5])) {
		snprintf(err, errlen,
			 "%s:%lu: expected 'Node N, zone NAME COUNT...', got '%.60s'",
			 name, line, buf);
		return -1;
	}
	for (p = buf + used; *p; ) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (zone->nr_orders == BUDDY_MAX_ORDERS) {
			snprintf(err, errlen, "%s:%lu: more than %d orders",
				 name, line, BUDDY_MAX_ORDERS);
			return -1;
		}
		if (!isdigit((unsigned char)*p))
			goto bad_count;
		errno = 0;
		zone->free[zone->nr_orders++] = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\t'))
			goto bad_count;
		p = end;
	}
	if (!zone->nr_orders) {
		snprintf(err, errlen, "%s:%lu: no free counts", name, line);
		return -1;
	}
	return 0;
bad_count:
	snprintf(err, errlen,
		 "%s:%lu: free counts must be unsigned integers: '%.40s'",
		 name, line, p);
	return -1;
}

int parse_buddyinfo(FILE *f, const char *name, struct buddy_zone **zp,
		    size_t *nr, char *err, size_t errlen)
{
	struct buddy_zone *z = NULL;
	size_t n = 0, cap = 0;
	unsigned long line = 0;
	char buf[MAX_LINE];
	int r;

	while ((r = read_line(f, buf, sizeof(buf), name, &line, err,
			      errlen)) != -1) {
		struct buddy_zone zone = { 0 };

		if (r == -2)
			goto fail;
		if (!buf[0])
			continue;
		if (buddy_line(buf, name, line, &zone, err, errlen))
			goto fail;
		if (n == cap) {
			struct buddy_zone *nz;

			cap = cap ? 2 * cap : 8;
			nz = realloc(z, cap * sizeof(*nz));
			if (!nz) {
				snprintf(err, errlen, "%s: out of memory",
					 name);
				goto fail;
			}
			z = nz;
		}
		z[n++] = zone;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		goto fail;
	}
	*zp = z;
	*nr = n;
	return 0;
fail:
	free(z);
	return -1;
}

/*
 * Split @buf at blanks into at most @max words; the number of words, or
 * @max + 1 when there are more.
 */
static unsigned int split_blanks(char *buf, char **w, unsigned int max)
{
	unsigned int n = 0;
	char *p = buf;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == max)
			return max + 1;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* Words @w[@from..@n) as unsigned decimal integers into @v[@from..@n). */
static bool all_numbers(char **w, unsigned int from, unsigned int n,
			uint64_t *v)
{
	unsigned int i;

	for (i = from; i < n; i++)
		if (!isdigit((unsigned char)w[i][0]) || parse_u64(w[i], &v[i]) ||
		    !strncmp(w[i], "0x", 2))
			return false;
	return true;
}

static void free_table(struct xcf_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		free(t->col[i]);
	for (i = 0; t->name && i < t->nrows; i++)
		free(t->name[i]);
	free(t->name);
	free(t->row);
	memset(t, 0, sizeof(*t));
}

/* The header line's words @w[0..@n) as @t's columns. */
static int table_header(struct xcf_table *t, char **w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		t->col[i] = strdup(w[i]);
		if (!t->col[i])
			return -1;
		t->ncols = i + 1;
	}
	return 0;
}

/* A row of @t: @v[0..ncols), and its pool @name (xcf/stats) or NULL. */
static int table_row(struct xcf_table *t, const uint64_t *v, const char *name)
{
	uint64_t (*row)[XCF_MAX_COLS];
	char **names;

	row = realloc(t->row, (t->nrows + 1) * sizeof(*row));
	if (!row)
		return -1;
	t->row = row;
	memcpy(row[t->nrows], v, sizeof(*row));
	if (name) {
		names = realloc(t->name, (t->nrows + 1) * sizeof(*names));
		if (!names)
			return -1;
		t->name = names;
		names[t->nrows] = strdup(name);
		if (!names[t->nrows])
			return -1;
	}
	t->nrows++;
	return 0;
}

/* The column of @t named @col, or -1. */
static int table_col(const struct xcf_table *t, const char *col)
{
	unsigned int i;

	for (i = 0; i < t->ncols; i++)
		if (!strcmp(t->col[i], col))
			return i;
	return -1;
}

void free_xcf_stats(struct xcf_stats *xs)
{
	free_stats(xs->kv, xs->nkv);
	free_table(&xs->pools);
	memset(xs, 0, sizeof(*xs));
}

/* The pool table's header line, @w[0..@n), the first if not @seen. */
static int pool_header(struct xcf_table *t, char **w, unsigned int n,
		       bool seen, const char *name, unsigned long line,
		       char *err, size_t errlen)
{
	if (seen) {
		snprintf(err, errlen, "%s:%lu: a second pool table header",
			 name, line);
		return -1;
	}
	if (n < 2) {
		snprintf(err, errlen, "%s:%lu: a pool table without columns",
			 name, line);
		return -1;
	}
	if (table_header(t, w, n)) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	return 0;
}

/*
 * xcf/stats: "key: value" lines, "#" comments, and a table: a header line
 * whose first word is "pool", then one row per pool (its name, then one
 * number per column).  A row is a line of as many words as the header
 * whose words after the first are numbers, and whose first word does not
 * end in ':' (that is a "key: value" line); the table ends at the first
 * line that is not one.
 */
int parse_xcf_stats(FILE *f, const char *name, struct xcf_stats *xs,
		    char *err, size_t errlen)
{
	char buf[MAX_LINE], copy[MAX_LINE], *w[XCF_MAX_COLS + 1];
	struct xcf_table *t = &xs->pools;
	bool header = false, rows = false;
	unsigned long line = 0;
	size_t cap = 0;
	int r;

	memset(xs, 0, sizeof(*xs));
	while ((r = read_line(f, buf, sizeof(buf), name, &line, err,
			      errlen)) != -1) {
		uint64_t v[XCF_MAX_COLS] = { 0 };
		unsigned int n;

		if (r == -2)
			goto fail;
		if (!buf[0] || buf[0] == '#')
			continue;
		memcpy(copy, buf, sizeof(buf));
		n = split_blanks(copy, w, XCF_MAX_COLS);
		if (rows && n == t->ncols && w[0][strlen(w[0]) - 1] != ':' &&
		    all_numbers(w, 1, n, v)) {
			if (table_row(t, v, w[0]))
				goto oom;
			continue;
		}
		rows = false;
		if (n >= 1 && n <= XCF_MAX_COLS && !strcmp(w[0], "pool") &&
		    !strchr(buf, ':')) {
			if (pool_header(t, w, n, header, name, line, err,
					errlen))
				goto fail;
			header = true;
			rows = true;
			continue;
		}
		if (n > XCF_MAX_COLS && !strcmp(w[0], "pool")) {
			snprintf(err, errlen,
				 "%s:%lu: more than %d columns in the pool table",
				 name, line, XCF_MAX_COLS);
			goto fail;
		}
		if (kv_line(buf, name, line, &xs->kv, &xs->nkv, &cap, err,
			    errlen))
			goto fail;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		goto fail;
	}
	if (!header) {
		snprintf(err, errlen, "%s: no pool table (a 'pool ...' header)",
			 name);
		goto fail;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	free_xcf_stats(xs);
	return -1;
}

void free_xcf_classes(struct xcf_classes *xc)
{
	free_table(&xc->classes);
	memset(xc, 0, sizeof(*xc));
}

/* The columns of classes that Total leaves blank: they are not sums. */
static bool xcf_summed(const char *col)
{
	return strcmp(col, "class") && strcmp(col, "size") &&
	       strcmp(col, "pages_per_vpage");
}

/* The Total line, @w[0..@n): a number per summed column, into total[]. */
static int classes_total(struct xcf_classes *xc, char **w, unsigned int n,
			 const char *name, unsigned long line, char *err,
			 size_t errlen)
{
	uint64_t s[XCF_MAX_COLS + 1] = { 0 };
	unsigned int i, k;

	for (i = 0, k = 0; i < xc->classes.ncols; i++)
		k += xc->summed[i];
	if (n != k + 1 || !all_numbers(w, 1, n, s)) {
		snprintf(err, errlen, "%s:%lu: expected 'Total' and %u numbers",
			 name, line, k);
		return -1;
	}
	for (i = 0, k = 1; i < xc->classes.ncols; i++)
		if (xc->summed[i])
			xc->total[i] = s[k++];
	return 0;
}

/*
 * xcf/<pool>/classes: a header line whose first word is "class", one row
 * of numbers per class, a blank line, then "Total" and the sums of the
 * columns that are counts (every one but class, size and pages_per_vpage),
 * the last line.
 */
int parse_xcf_classes(FILE *f, const char *name, struct xcf_classes *xc,
		      char *err, size_t errlen)
{
	struct xcf_table *t = &xc->classes;
	char buf[MAX_LINE], *w[XCF_MAX_COLS + 1];
	unsigned long line = 0;
	bool total = false;
	int r;

	memset(xc, 0, sizeof(*xc));
	while ((r = read_line(f, buf, sizeof(buf), name, &line, err,
			      errlen)) != -1) {
		uint64_t v[XCF_MAX_COLS] = { 0 };
		unsigned int n, i;

		if (r == -2)
			goto fail;
		n = split_blanks(buf, w, XCF_MAX_COLS);
		if (!n)
			continue;
		if (total) {
			snprintf(err, errlen, "%s:%lu: a line after Total",
				 name, line);
			goto fail;
		}
		if (!t->ncols) {
			if (n > XCF_MAX_COLS || strcmp(w[0], "class")) {
				snprintf(err, errlen,
					 "%s:%lu: expected the header 'class size ...' (at most %d columns)",
					 name, line, XCF_MAX_COLS);
				goto fail;
			}
			if (table_header(t, w, n))
				goto oom;
			for (i = 0; i < n; i++)
				xc->summed[i] = xcf_summed(t->col[i]);
			continue;
		}
		if (n <= XCF_MAX_COLS && !strcmp(w[0], "Total")) {
			if (classes_total(xc, w, n, name, line, err, errlen))
				goto fail;
			total = true;
			continue;
		}
		if (n != t->ncols || !all_numbers(w, 0, n, v)) {
			snprintf(err, errlen,
				 "%s:%lu: expected a class row of %u numbers",
				 name, line, t->ncols);
			goto fail;
		}
		if (table_row(t, v, NULL))
			goto oom;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		goto fail;
	}
	if (!total) {
		snprintf(err, errlen, "%s: no Total line (cut short?)", name);
		goto fail;
	}
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	free_xcf_classes(xc);
	return -1;
}

static uint64_t zone_free_pages(const struct buddy_zone *z)
{
	uint64_t pages = 0;
	unsigned int k;

	for (k = 0; k < z->nr_orders; k++)
		pages += z->free[k] << k;
	return pages;
}

/* A value of space-separated counts (a histogram) as a JSON array. */
static bool json_counts(FILE *f, const char *t)
{
	const char *p;

	for (p = t; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != ' ')
			return false;
	fputc('[', f);
	for (p = t; *p;) {
		char *end;
		uint64_t v = strtoull(p, &end, 10);

		fprintf(f, "%s%" PRIu64, p == t ? "" : ",", v);
		for (p = end; *p == ' '; p++)
			;
	}
	fputc(']', f);
	return true;
}

/*
 * What stats shows of xcf/: xcf/stats, and each pool's classes file
 * (@have false when it could not be opened: the pool went away between
 * the reads, or its debugfs directory was never made).
 */
struct xcf_view {
	struct xcf_stats xs;
	struct xcf_classes *cls;
	bool *have;
};

static void xcf_view_free(struct xcf_view *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; x->cls && i < x->xs.pools.nrows; i++)
		free_xcf_classes(&x->cls[i]);
	free(x->cls);
	free(x->have);
	free_xcf_stats(&x->xs);
	free(x);
}

/*
 * Read DIR/xcf/: 0 with *@xp NULL when the module has no xcf/ (older than
 * xcf), 0 with *@xp set, or -1 with @err set.
 */
static int xcf_view_read(const char *dir, struct xcf_view **xp, char *err,
			 size_t errlen)
{
	struct xcf_view *x;
	char name[4096];
	size_t i;
	FILE *f;
	int ret;

	*xp = NULL;
	snprintf(name, sizeof(name), "%s/xcf/stats", dir);
	f = fopen(name, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", name);
		return -1;
	}
	ret = parse_xcf_stats(f, name, &x->xs, err, errlen);
	fclose(f);
	if (ret) {
		free(x);
		return -1;
	}
	x->cls = calloc(x->xs.pools.nrows + 1, sizeof(*x->cls));
	x->have = calloc(x->xs.pools.nrows + 1, sizeof(*x->have));
	if (!x->cls || !x->have) {
		snprintf(err, errlen, "%s: out of memory", name);
		goto fail;
	}
	for (i = 0; i < x->xs.pools.nrows; i++) {
		snprintf(name, sizeof(name), "%s/xcf/%s/classes", dir,
			 x->xs.pools.name[i]);
		f = fopen(name, "re");
		if (!f)
			continue;
		ret = parse_xcf_classes(f, name, &x->cls[i], err, errlen);
		fclose(f);
		if (ret)
			goto fail;
		x->have[i] = true;
	}
	*xp = x;
	return 0;
fail:
	xcf_view_free(x);
	return -1;
}

static void kv_json(FILE *f, const struct stat_kv *kv, size_t nkv)
{
	size_t i;

	fputc('{', f);
	for (i = 0; i < nkv; i++) {
		fprintf(f, "%s", i ? "," : "");
		json_str(f, kv[i].key);
		fputc(':', f);
		if (!kv[i].text)
			fprintf(f, "%" PRIu64, kv[i].value);
		else if (!json_counts(f, kv[i].text))
			json_str(f, kv[i].text);
	}
	fputc('}', f);
}

/*
 * "COL":N,... of row @r of @t from column @from, the columns in @use (all
 * when NULL), each but the first after a comma unless @comma.
 */
static void row_json(FILE *f, const struct xcf_table *t, const uint64_t *r,
		     unsigned int from, const bool *use, bool comma)
{
	unsigned int c;

	for (c = from; c < t->ncols; c++) {
		if (use && !use[c])
			continue;
		fprintf(f, "%s", comma ? "," : "");
		json_str(f, t->col[c]);
		fprintf(f, ":%" PRIu64, r[c]);
		comma = true;
	}
}

/*
 * "xcf":{"stats":{...},"pools":[{"pool":NAME,"pages":N,...,
 * "classes":[{"class":0,...},...],"total":{"obj_allocated":N,...}}]}
 */
static void xcf_json(FILE *f, const struct xcf_view *x)
{
	const struct xcf_table *p = &x->xs.pools;
	size_t i, k;

	fprintf(f, ",\"xcf\":{\"stats\":");
	kv_json(f, x->xs.kv, x->xs.nkv);
	fprintf(f, ",\"pools\":[");
	for (i = 0; i < p->nrows; i++) {
		const struct xcf_classes *c = &x->cls[i];

		fprintf(f, "%s{", i ? "," : "");
		json_str(f, p->col[0]);
		fputc(':', f);
		json_str(f, p->name[i]);
		row_json(f, p, p->row[i], 1, NULL, true);
		if (!x->have[i]) {
			fprintf(f, ",\"classes\":null,\"total\":null}");
			continue;
		}
		fprintf(f, ",\"classes\":[");
		for (k = 0; k < c->classes.nrows; k++) {
			fprintf(f, "%s{", k ? "," : "");
			row_json(f, &c->classes, c->classes.row[k], 0, NULL,
				 false);
			fputc('}', f);
		}
		fprintf(f, "],\"total\":{");
		row_json(f, &c->classes, c->total, 0, c->summed, false);
		fprintf(f, "}}");
	}
	fprintf(f, "]}");
}

static void stats_json(FILE *f, const struct stat_kv *kv, size_t nkv,
		       const struct buddy_zone *z, size_t nz,
		       const struct stat_kv *ma, size_t nma,
		       const struct xcf_view *x)
{
	size_t i;
	unsigned int k;

	fprintf(f, "{\"stats\":");
	kv_json(f, kv, nkv);
	if (ma) {
		fprintf(f, ",\"memarea\":");
		kv_json(f, ma, nma);
	}
	fprintf(f, ",\"buddyinfo\":[");
	for (i = 0; i < nz; i++) {
		fprintf(f, "%s{\"node\":%u,\"zone\":", i ? "," : "",
			z[i].node);
		json_str(f, z[i].zone);
		fprintf(f, ",\"free\":[");
		for (k = 0; k < z[i].nr_orders; k++)
			fprintf(f, "%s%" PRIu64, k ? "," : "", z[i].free[k]);
		fprintf(f, "],\"free_pages\":%" PRIu64 "}",
			zone_free_pages(&z[i]));
	}
	fputc(']', f);
	if (x)
		xcf_json(f, x);
	fprintf(f, "}\n");
}

static int digits(uint64_t v)
{
	int n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

static void kv_text(FILE *f, const char *dir, const char *file,
		    const struct stat_kv *kv, size_t nkv)
{
	int kw = 0;
	size_t i;

	for (i = 0; i < nkv; i++)
		if ((int)strlen(kv[i].key) > kw)
			kw = strlen(kv[i].key);
	fprintf(f, "%s/%s:\n", dir, file);
	for (i = 0; i < nkv; i++) {
		if (kv[i].text)
			fprintf(f, "  %-*s %s\n", kw, kv[i].key, kv[i].text);
		else
			fprintf(f, "  %-*s %" PRIu64 "\n", kw, kv[i].key,
				kv[i].value);
	}
}

/* xcf/stats' pool table, its columns aligned again */
static void pools_text(FILE *f, const struct xcf_table *p)
{
	int w[XCF_MAX_COLS] = { 0 };
	unsigned int c;
	size_t i;

	for (c = 0; c < p->ncols; c++) {
		w[c] = strlen(p->col[c]);
		for (i = 0; i < p->nrows; i++) {
			int d = c ? digits(p->row[i][c]) :
				    (int)strlen(p->name[i]);

			if (d > w[c])
				w[c] = d;
		}
	}
	fprintf(f, "  %-*s", w[0], p->col[0]);
	for (c = 1; c < p->ncols; c++)
		fprintf(f, " %*s", w[c], p->col[c]);
	fputc('\n', f);
	for (i = 0; i < p->nrows; i++) {
		fprintf(f, "  %-*s", w[0], p->name[i]);
		for (c = 1; c < p->ncols; c++)
			fprintf(f, " %*" PRIu64, w[c], p->row[i][c]);
		fputc('\n', f);
	}
}

/* Pool @i's classes: how many hold vpages, and the Total line. */
static void classes_text(FILE *f, const char *dir, const struct xcf_view *x,
			 size_t i)
{
	const struct xcf_classes *xc = &x->cls[i];
	int used = table_col(&xc->classes, "obj_allocated");
	bool comma = false;
	size_t busy = 0, k;
	unsigned int c;

	fprintf(f, "%s/xcf/%s/classes: ", dir, x->xs.pools.name[i]);
	if (!x->have[i]) {
		fprintf(f, "cannot be read (the pool is gone?)\n");
		return;
	}
	for (k = 0; used >= 0 && k < xc->classes.nrows; k++)
		busy += xc->classes.row[k][used] != 0;
	if (used >= 0)
		fprintf(f, "%zu of %zu classes hold vpages", busy,
			xc->classes.nrows);
	else
		fprintf(f, "%zu classes", xc->classes.nrows);
	fprintf(f, "\n  Total:");
	for (c = 0; c < xc->classes.ncols; c++) {
		if (!xc->summed[c])
			continue;
		fprintf(f, "%s %s %" PRIu64, comma ? "," : "",
			xc->classes.col[c], xc->total[c]);
		comma = true;
	}
	fputc('\n', f);
}

/* xcf/stats, its pool table, and each pool's classes */
static void xcf_text(FILE *f, const char *dir, const struct xcf_view *x)
{
	size_t i;

	fputc('\n', f);
	if (!x) {
		fprintf(f, "%s/xcf/stats: none: the loaded module has no xcf",
			dir);
		fprintf(f, " (older than resmemctl?)\n");
		return;
	}
	kv_text(f, dir, "xcf/stats", x->xs.kv, x->xs.nkv);
	fprintf(f, "  (histograms: counts of 0, then of "
		"[2^(i-1), 2^i) for i = 1, 2, ...)\n");
	if (!x->xs.pools.nrows) {
		fprintf(f, "  no pools: zswap is not on zpool xcf, and no module made one\n");
		return;
	}
	pools_text(f, &x->xs.pools);
	for (i = 0; i < x->xs.pools.nrows; i++)
		classes_text(f, dir, x, i);
}

static void stats_text(FILE *f, const char *dir, const struct stat_kv *kv,
		       size_t nkv, const struct buddy_zone *z, size_t nz,
		       const struct stat_kv *ma, size_t nma,
		       const struct xcf_view *x)
{
	unsigned int k, orders = 0;
	int w[BUDDY_MAX_ORDERS], zw = 4;
	size_t i;

	kv_text(f, dir, "stats", kv, nkv);
	for (i = 0; i < nz; i++) {
		if (z[i].nr_orders > orders)
			orders = z[i].nr_orders;
		if ((int)strlen(z[i].zone) > zw)
			zw = strlen(z[i].zone);
	}
	for (k = 0; k < orders; k++) {
		w[k] = digits(k);
		for (i = 0; i < nz; i++)
			if (k < z[i].nr_orders && digits(z[i].free[k]) > w[k])
				w[k] = digits(z[i].free[k]);
	}
	fprintf(f, "\n%s/buddyinfo: free blocks per order\nnode %-*s", dir, zw,
		"zone");
	for (k = 0; k < orders; k++)
		fprintf(f, " %*u", w[k], k);
	fprintf(f, "   free pages\n");
	for (i = 0; i < nz; i++) {
		fprintf(f, "%-4u %-*s", z[i].node, zw, z[i].zone);
		for (k = 0; k < orders; k++) {
			if (k < z[i].nr_orders)
				fprintf(f, " %*" PRIu64, w[k], z[i].free[k]);
			else
				fprintf(f, " %*s", w[k], "-");
		}
		fprintf(f, "   %" PRIu64 "\n", zone_free_pages(&z[i]));
	}
	if (ma) {
		fputc('\n', f);
		kv_text(f, dir, "memarea/stats", ma, nma);
		fprintf(f, "  (histograms: counts of 0, then of "
			"[2^(i-1), 2^i) for i = 1, 2, ...)\n");
	}
	xcf_text(f, dir, x);
}

int cmd_stats(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	const char *dir = DEBUGFS_DIR;
	bool json = ctl->force_json;
	const struct opt opts[] = {
		{ "--dir", OPT_STR, &dir, NULL },
		{ "--json", OPT_FLAG, &json, NULL },
	};
	struct stat_kv *kv = NULL, *ma = NULL;
	struct buddy_zone *z = NULL;
	struct xcf_view *x = NULL;
	size_t nkv = 0, nz = 0, nma = 0;
	char err[8192], name[4096];
	FILE *f;
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), NULL, 0, 0,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;

	if (open_debugfs("stats", dir, "stats", &f))
		return EXIT_FAIL;
	snprintf(name, sizeof(name), "%s/stats", dir);
	ret = parse_stats(f, name, &kv, &nkv, err, sizeof(err));
	fclose(f);
	if (ret)
		goto bad;
	if (open_debugfs("stats", dir, "buddyinfo", &f)) {
		free_stats(kv, nkv);
		return EXIT_FAIL;
	}
	snprintf(name, sizeof(name), "%s/buddyinfo", dir);
	ret = parse_buddyinfo(f, name, &z, &nz, err, sizeof(err));
	fclose(f);
	if (ret)
		goto bad;
	/* memarea/stats: modules without memarea have none */
	snprintf(name, sizeof(name), "%s/memarea/stats", dir);
	f = fopen(name, "re");
	if (f) {
		ret = parse_stats(f, name, &ma, &nma, err, sizeof(err));
		fclose(f);
		if (ret)
			goto bad;
	}
	/* xcf/: none in modules older than xcf */
	if (xcf_view_read(dir, &x, err, sizeof(err)))
		goto bad;
	if (json)
		stats_json(ctl->out, kv, nkv, z, nz, ma, nma, x);
	else
		stats_text(ctl->out, dir, kv, nkv, z, nz, ma, nma, x);
	free_stats(kv, nkv);
	free_stats(ma, nma);
	free(z);
	xcf_view_free(x);
	return EXIT_OK;
bad:
	fprintf(stderr, "resmemctl stats: %s\n", err);
	free_stats(kv, nkv);
	free_stats(ma, nma);
	free(z);
	return EXIT_FAIL;
}
