// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl stats: resmem's debugfs counters (stats: "key: value" lines),
 * its free lists (buddyinfo: the format of /proc/buddyinfo, one line per
 * node and zone, one column of free blocks per order) and memarea's
 * counters and histograms (memarea/stats: "key: value" lines, histograms
 * as space-separated counts, "#" comments).
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

/* One line into buf; -1 at the end, -2 when the line is too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
	if (!fgets(buf, len, f))
		return -1;
	if (!strchr(buf, '\n') && !feof(f))
		return -2;
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

int parse_stats(FILE *f, const char *name, struct stat_kv **kvp, size_t *nr,
		char *err, size_t errlen)
{
	struct stat_kv *kv = NULL;
	size_t n = 0, cap = 0, i;
	unsigned long line = 0;
	char buf[MAX_LINE];
	int r;

	while ((r = read_line(f, buf, sizeof(buf))) != -1) {
		char *colon, *val, *key;
		uint64_t v;

		line++;
		if (r == -2) {
			snprintf(err, errlen, "%s:%lu: line too long", name,
				 line);
			goto fail;
		}
		if (!buf[0] || buf[0] == '#')
			continue;
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
			goto fail;
		}
		*colon = '\0';
		for (val = colon + 1; *val == ' '; val++)
			;
		if (!*val) {
			snprintf(err, errlen, "%s:%lu: '%s' has no value", name,
				 line, buf);
			goto fail;
		}
		for (i = 0; i < n; i++) {
			if (!strcmp(kv[i].key, buf)) {
				snprintf(err, errlen,
					 "%s:%lu: '%s' appears twice", name,
					 line, buf);
				goto fail;
			}
		}
		if (n == cap) {
			struct stat_kv *k;

			cap = cap ? 2 * cap : 16;
			k = realloc(kv, cap * sizeof(*k));
			if (!k)
				goto oom;
			kv = k;
		}
		kv[n].key = strdup(buf);
		kv[n].text = NULL;
		kv[n].value = 0;
		n++;
		if (!kv[n - 1].key)
			goto oom;
		if (!parse_u64(val, &v) && strncmp(val, "0x", 2)) {
			kv[n - 1].value = v;
		} else {
			kv[n - 1].text = strdup(val);
			if (!kv[n - 1].text)
				goto oom;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", name,
			 strerror(errno));
		goto fail;
	}
	*kvp = kv;
	*nr = n;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory", name);
fail:
	free_stats(kv, n);
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

	while ((r = read_line(f, buf, sizeof(buf))) != -1) {
		struct buddy_zone zone = { 0 };
		char *p, *end;
		int used = 0;

		line++;
		if (r == -2) {
			snprintf(err, errlen, "%s:%lu: line too long", name,
				 line);
			goto fail;
		}
		if (!buf[0])
			continue;
		if (sscanf(buf, "Node %u, zone %31s%n", &zone.node, zone.zone,
			   &used) != 2 || !used ||
		    (buf[used] && buf[used] != ' ' && buf[used] != '\t') ||
		    !isdigit((unsigned char)buf[5])) {
			snprintf(err, errlen,
				 "%s:%lu: expected 'Node N, zone NAME COUNT...', got '%.60s'",
				 name, line, buf);
			goto fail;
		}
		for (p = buf + used; *p; ) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			if (zone.nr_orders == BUDDY_MAX_ORDERS) {
				snprintf(err, errlen,
					 "%s:%lu: more than %d orders", name,
					 line, BUDDY_MAX_ORDERS);
				goto fail;
			}
			if (!isdigit((unsigned char)*p))
				goto bad_count;
			errno = 0;
			zone.free[zone.nr_orders++] = strtoull(p, &end, 10);
			if (errno || (*end && *end != ' ' && *end != '\t'))
				goto bad_count;
			p = end;
		}
		if (!zone.nr_orders) {
			snprintf(err, errlen, "%s:%lu: no free counts", name,
				 line);
			goto fail;
		}
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
		continue;
bad_count:
		snprintf(err, errlen,
			 "%s:%lu: free counts must be unsigned integers: '%.40s'",
			 name, line, p);
		goto fail;
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

static void stats_json(FILE *f, const struct stat_kv *kv, size_t nkv,
		       const struct buddy_zone *z, size_t nz,
		       const struct stat_kv *ma, size_t nma)
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
	fprintf(f, "]}\n");
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

static void stats_text(FILE *f, const char *dir, const struct stat_kv *kv,
		       size_t nkv, const struct buddy_zone *z, size_t nz,
		       const struct stat_kv *ma, size_t nma)
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
	size_t nkv = 0, nz = 0, nma = 0;
	char err[256], name[4096];
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
	if (json)
		stats_json(ctl->out, kv, nkv, z, nz, ma, nma);
	else
		stats_text(ctl->out, dir, kv, nkv, z, nz, ma, nma);
	free_stats(kv, nkv);
	free_stats(ma, nma);
	free(z);
	return EXIT_OK;
bad:
	fprintf(stderr, "resmemctl stats: %s\n", err);
	free_stats(kv, nkv);
	free_stats(ma, nma);
	free(z);
	return EXIT_FAIL;
}
