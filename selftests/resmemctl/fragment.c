// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl fragment: build a fragmentation pattern out of allocations and
 * keep them, held by the open device.
 *
 * "Every other one" goes by physical address when the kernel shows it to
 * the caller (CAP_SYS_ADMIN): two blocks of one order that are buddies are
 * neighbours in address order, so freeing every other one never frees both
 * and no freed block can merge with another.  Without physical addresses it
 * goes by allocation order, which is usually but not surely the same.
 *
 * stripe leaves free holes of every order.  Filling the memory with order k
 * blocks and freeing every other one, from the highest order down, would
 * not: the next, lower order would fill the holes just made.  So the memory
 * is first filled with max_order blocks, which are shared out among the
 * orders in address order; then, lowest order first, each share is freed,
 * filled again with blocks of its order (the holes of the lower orders are
 * too small for them) and every other one of those is freed.  The share of
 * max_order simply has every other block freed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "resmemctl.h"

/* xorshift64* (Vigna): a small PRNG that is the same everywhere. */
uint64_t xorshift64s(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

struct frag {
	uint64_t handle;
	uint64_t phys;
	uint64_t seq;		/* allocation order */
	uint32_t order;
	bool freed;
};

struct frag_set {
	struct frag *v;
	size_t n, cap;
	uint64_t seq;
};

struct order_count {
	uint64_t allocated, freed;
};

/* fragment's command line, as given */
struct frag_args {
	const char *pattern;
	bool json, movable, hold;
	bool have_order, have_count, have_node, have_seed;
	uint64_t count, seed;
	uint32_t order;
	int32_t node;
};

struct frag_run {
	struct ctl *ctl;
	const char *cmd;
	int32_t node;
	uint32_t flags;
	bool by_phys;		/* physical addresses are visible */
	struct frag_set set;
	struct order_count per_order[BUDDY_MAX_ORDERS];
	/* what was built: orders lo..hi, and whether the memory ran out */
	uint32_t lo, hi;
	bool full;
};

static int frag_push(struct frag_run *r, uint64_t handle, uint32_t order)
{
	struct frag_set *s = &r->set;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 1024;
		struct frag *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct frag){ .handle = handle, .order = order,
				      .seq = s->seq++ };
	r->per_order[order].allocated++;
	return 0;
}

/*
 * Allocate order blocks until the kernel says ENOMEM or @limit (0: none)
 * are made.  Returns the number made, or -errno for any other failure.
 */
static long frag_fill(struct frag_run *r, uint32_t order, uint64_t limit)
{
	struct resmem_alloc a;
	long made = 0;
	int ret;

	while (!limit || (uint64_t)made < limit) {
		ret = dev_alloc(r->ctl->fd, order, r->node, r->flags, &a);
		if (ret == -ENOMEM)
			break;
		if (ret) {
			char what[64];

			snprintf(what, sizeof(what),
				 "RESMEM_IOC_ALLOC of order %u", order);
			report_ioctl(r->cmd, what, -ret, NULL);
			return ret;
		}
		if (frag_push(r, a.handle, order)) {
			dev_free(r->ctl->fd, a.handle);
			fprintf(stderr, "resmemctl %s: out of memory\n", r->cmd);
			return -ENOMEM;
		}
		made++;
	}
	return made;
}

static int frag_release(struct frag_run *r, struct frag *f)
{
	int ret = dev_free(r->ctl->fd, f->handle);

	if (ret) {
		char what[64];

		snprintf(what, sizeof(what), "RESMEM_IOC_FREE of handle %" PRIu64,
			 f->handle);
		report_ioctl(r->cmd, what, -ret, NULL);
		return ret;
	}
	f->freed = true;
	r->per_order[f->order].freed++;
	return 0;
}

static int cmp_frag(const void *a, const void *b)
{
	const struct frag *x = a, *y = b;

	if (x->phys != y->phys)
		return x->phys < y->phys ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Order v[0..n) by physical address, when that is known. */
static int frag_sort(struct frag_run *r, struct frag *v, size_t n)
{
	struct resmem_query q;
	size_t i;
	int ret;

	if (!r->by_phys)
		return 0;
	for (i = 0; i < n; i++) {
		ret = dev_query(r->ctl->fd, v[i].handle, &q);
		if (ret) {
			report_ioctl(r->cmd, "RESMEM_IOC_QUERY", -ret, NULL);
			return ret;
		}
		if (!q.phys) {	/* CAP_SYS_ADMIN went away: keep going */
			r->by_phys = false;
			return 0;
		}
		v[i].phys = q.phys;
	}
	qsort(v, n, sizeof(*v), cmp_frag);
	return 0;
}

/* Free v[1], v[3], ...: every other one. */
static int free_alternate(struct frag_run *r, struct frag *v, size_t n)
{
	size_t i;

	for (i = 1; i < n; i += 2)
		if (frag_release(r, &v[i]))
			return -1;
	return 0;
}

/* Free a random half of v[0..n), floor(n / 2) of them, in address order. */
static int free_random(struct frag_run *r, struct frag *v, size_t n,
		       uint64_t seed)
{
	uint64_t state = seed ^ 0x9E3779B97F4A7C15ULL;
	size_t i, k = n / 2, *idx;
	bool *pick;
	int ret = 0;

	if (!state)
		state = 1;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	pick = calloc(n ? n : 1, sizeof(*pick));
	if (!idx || !pick) {
		fprintf(stderr, "resmemctl %s: out of memory\n", r->cmd);
		free(idx);
		free(pick);
		return -1;
	}
	for (i = 0; i < n; i++)
		idx[i] = i;
	/* the first k steps of a Fisher-Yates shuffle choose k of n */
	for (i = 0; i < k; i++) {
		size_t j = i + xorshift64s(&state) % (n - i), t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
		pick[idx[i]] = true;
	}
	for (i = 0; i < n && !ret; i++)
		if (pick[i] && frag_release(r, &v[i]))
			ret = -1;
	free(idx);
	free(pick);
	return ret;
}

/*
 * stripe: see the comment at the top.  @lo is the lowest order, @limit the
 * max_order blocks per order (0: share all of them out).
 */
static int build_stripe(struct frag_run *r, uint32_t lo, uint32_t max,
			uint64_t limit)
{
	size_t n, groups = max - lo + 1, start[BUDDY_MAX_ORDERS + 1], i;
	struct frag *res;
	uint32_t k;
	long made;

	made = frag_fill(r, max, 0);
	if (made < 0)
		return -1;
	n = made;
	if (!n)
		return 0;
	if (frag_sort(r, r->set.v, n))
		return -1;
	/* shares in address order, lowest order first */
	start[lo] = 0;
	for (k = lo; k <= max; k++) {
		size_t share, left = n - start[k];

		if (limit)
			share = limit < left ? limit : left;
		else	/* the remainder goes to the highest orders */
			share = n / groups +
				(k - lo >= groups - n % groups);
		start[k + 1] = start[k] + share;
	}
	/*
	 * r->set.v may move as the set grows: keep the reservoir of max_order
	 * blocks in a copy of its own.
	 */
	res = malloc(n * sizeof(*res));
	if (!res) {
		fprintf(stderr, "resmemctl %s: out of memory\n", r->cmd);
		return -1;
	}
	memcpy(res, r->set.v, n * sizeof(*res));
	for (k = lo; k < max; k++) {
		size_t first = r->set.n;

		if (start[k] == start[k + 1])
			continue;
		for (i = start[k]; i < start[k + 1]; i++)
			if (frag_release(r, &res[i]))
				goto fail;
		made = frag_fill(r, k, 0);
		if (made < 0 ||
		    frag_sort(r, r->set.v + first, made) ||
		    free_alternate(r, r->set.v + first, made))
			goto fail;
	}
	if (free_alternate(r, res + start[max], start[max + 1] - start[max]))
		goto fail;
	for (i = start[max + 1]; i < n; i++)	/* not shared out */
		if (frag_release(r, &res[i]))
			goto fail;
	/* the reservoir copies carry the freed marks */
	for (i = 0; i < n; i++)
		r->set.v[i].freed = res[i].freed;
	free(res);
	return 0;
fail:
	for (i = 0; i < n; i++)
		r->set.v[i].freed = res[i].freed;
	free(res);
	return -1;
}

static void frag_undo(struct frag_run *r)
{
	size_t i;

	for (i = 0; i < r->set.n; i++)
		if (!r->set.v[i].freed)
			dev_free(r->ctl->fd, r->set.v[i].handle);
}

/* Blocks allocated and freed, and pages kept, over orders lo..hi. */
static void frag_totals(const struct frag_run *r, uint64_t *alloc,
			uint64_t *freed, uint64_t *pages)
{
	uint32_t k;

	for (k = r->lo; k <= r->hi; k++) {
		*alloc += r->per_order[k].allocated;
		*freed += r->per_order[k].freed;
		*pages += (r->per_order[k].allocated -
			   r->per_order[k].freed) << k;
	}
}

static void report_json(const struct frag_run *r, FILE *f,
			const struct frag_args *q, bool held,
			uint32_t page_size)
{
	const char *pattern = q->pattern;
	uint64_t alloc = 0, freed = 0, pages = 0;
	uint32_t k, lo = r->lo, hi = r->hi;

	frag_totals(r, &alloc, &freed, &pages);
	fprintf(f, "{\"pattern\":\"%s\",\"order\":%u,", pattern, lo);
	if (!strcmp(pattern, "stripe"))
		fprintf(f, "\"max_order\":%u,", hi);
	fprintf(f, "\"node\":");
	if (r->node == RESMEM_NODE_ANY)
		fprintf(f, "null");
	else
		fprintf(f, "%d", r->node);
	fprintf(f, ",\"movable\":%s,",
		r->flags & RESMEM_ALLOC_MOVABLE ? "true" : "false");
	if (!strcmp(pattern, "random"))
		fprintf(f, "\"seed\":%" PRIu64 ",", q->seed);
	fprintf(f, "\"allocated\":%" PRIu64 ",\"freed\":%" PRIu64
		",\"kept\":%" PRIu64 ",\"pages_held\":%" PRIu64
		",\"bytes_held\":%" PRIu64 ",\"filled\":%s,"
		"\"by\":\"%s\",\"held\":%s",
		alloc, freed, alloc - freed, pages, pages * page_size,
		r->full ? "true" : "false",
		r->by_phys ? "phys" : "allocation",
		held ? "true" : "false");
	if (!strcmp(pattern, "stripe")) {
		fprintf(f, ",\"orders\":[");
		for (k = lo; k <= hi; k++) {
			const struct order_count *c = &r->per_order[k];

			fprintf(f, "%s{\"order\":%u,\"allocated\":%"
				PRIu64 ",\"freed\":%" PRIu64
				",\"kept\":%" PRIu64 "}",
				k > lo ? "," : "", k, c->allocated,
				c->freed, c->allocated - c->freed);
		}
		fputc(']', f);
	}
	fprintf(f, "}\n");
}

static void report_text(const struct frag_run *r, FILE *f,
			const struct frag_args *q, uint32_t page_size)
{
	const char *pattern = q->pattern;
	uint64_t alloc = 0, freed = 0, pages = 0;
	uint32_t k, lo = r->lo, hi = r->hi;

	frag_totals(r, &alloc, &freed, &pages);
	fprintf(f, "fragment %s: ", pattern);
	if (!strcmp(pattern, "stripe"))
		fprintf(f, "orders %u-%u", lo, hi);
	else
		fprintf(f, "order %u", lo);
	if (r->node != RESMEM_NODE_ANY)
		fprintf(f, ", node %d", r->node);
	if (r->flags & RESMEM_ALLOC_MOVABLE)
		fprintf(f, ", movable");
	if (!strcmp(pattern, "random"))
		fprintf(f, ", seed %" PRIu64, q->seed);
	if (r->full)
		fprintf(f, ", until the memory ran out\n");
	else if (!strcmp(pattern, "stripe"))
		fprintf(f, ", --count max_order blocks per order\n");
	else
		fprintf(f, ", until --count\n");
	if (!strcmp(pattern, "stripe")) {
		fprintf(f, "order  allocated      freed       kept\n");
		for (k = lo; k <= hi; k++) {
			const struct order_count *c = &r->per_order[k];

			fprintf(f, "%-5u %10" PRIu64 " %10" PRIu64 " %10" PRIu64
				"\n", k, c->allocated, c->freed,
				c->allocated - c->freed);
		}
	}
	fprintf(f, "allocated %" PRIu64 ", freed %" PRIu64 ", kept %" PRIu64
		" (%" PRIu64 " pages, ", alloc, freed, alloc - freed, pages);
	print_size(f, pages * page_size);
	fprintf(f, " held); every other/random choice by %s\n",
		r->by_phys ? "physical address" : "allocation order");
}

/* The command line's rules; EXIT_USAGE after a message. */
static int frag_check(const struct ctl *ctl, const struct frag_args *q)
{
	const char *msg = NULL;

	if (strcmp(q->pattern, "every-other") && strcmp(q->pattern, "random") &&
	    strcmp(q->pattern, "stripe")) {
		fprintf(stderr,
			"resmemctl fragment: unknown pattern '%s' (every-other, random, stripe)\n",
			q->pattern);
		return EXIT_USAGE;
	}
	if (q->have_count && !q->count)
		msg = "--count must be at least 1";
	else if (q->have_seed && strcmp(q->pattern, "random"))
		msg = "--seed is for the random pattern";
	else if (q->hold && ctl->script)
		msg = "--hold is for standalone use: a script keeps the pattern until it ends";
	if (msg) {
		fprintf(stderr, "resmemctl fragment: %s\n", msg);
		return EXIT_USAGE;
	}
	if (q->order >= BUDDY_MAX_ORDERS) {
		fprintf(stderr, "resmemctl fragment: --order %u is too large\n",
			q->order);
		return EXIT_USAGE;
	}
	return 0;
}

static int frag_parse(const struct ctl *ctl, const struct command *cmd,
		      int argc, char **argv, struct frag_args *q)
{
	const struct opt opts[] = {
		{ "--order", OPT_U32, &q->order, &q->have_order },
		{ "--count", OPT_U64, &q->count, &q->have_count },
		{ "--seed", OPT_U64, &q->seed, &q->have_seed },
		{ "--node", OPT_NODE, &q->node, &q->have_node },
		{ "--movable", OPT_FLAG, &q->movable, NULL },
		{ "--hold", OPT_FLAG, &q->hold, NULL },
		{ "--json", OPT_FLAG, &q->json, NULL },
	};
	char *pos[1];
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1,
			 NULL);
	if (ret)
		return ret;
	q->pattern = pos[0];
	return frag_check(ctl, q);
}

/* The module's GET_INFO, when it can build @q's pattern. */
static int frag_info(struct ctl *ctl, const struct frag_args *q,
		     struct resmem_info *info)
{
	int ret;

	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = get_info(ctl->fd, info, NULL);
	if (ret) {
		report_ioctl("fragment", "RESMEM_IOC_GET_INFO", -ret, NULL);
		return EXIT_FAIL;
	}
	if (!(info->features & RESMEM_FEAT_BUDDY)) {
		fprintf(stderr,
			"resmemctl fragment: this resmem module has no allocator (no 'buddy' feature in 'resmemctl info')\n");
		return EXIT_FAIL;
	}
	if (q->order > info->max_order || info->max_order >= BUDDY_MAX_ORDERS) {
		fprintf(stderr,
			"resmemctl fragment: --order %u is above max_order %u\n",
			q->order, info->max_order);
		return EXIT_FAIL;
	}
	return 0;
}

/* Allocate and free @q's pattern; -1 after a message. */
static int frag_build(struct frag_run *r, const struct frag_args *q,
		      uint32_t max_order)
{
	long made;

	r->lo = q->order;
	r->hi = q->order;
	if (!strcmp(q->pattern, "stripe")) {
		r->hi = max_order;
		r->full = !q->have_count;
		return build_stripe(r, r->lo, r->hi, q->count);
	}
	made = frag_fill(r, q->order, q->count);
	if (made < 0 || frag_sort(r, r->set.v, made))
		return -1;
	r->full = !q->have_count || (uint64_t)made < q->count;
	if (!strcmp(q->pattern, "every-other"))
		return free_alternate(r, r->set.v, made);
	return free_random(r, r->set.v, made, q->seed);
}

/* Standalone, the pattern lives until resmemctl exits: --hold, or say so. */
static int frag_done(struct ctl *ctl, const struct frag_args *q)
{
	if (ctl->script)
		return EXIT_OK;
	if (q->hold)
		return hold("the pattern");
	fflush(ctl->out);
	fprintf(stderr,
		"resmemctl fragment: note: the pattern is freed now that resmemctl exits; --hold keeps it, or build it in a script\n");
	return EXIT_OK;
}

int cmd_fragment(struct ctl *ctl, const struct command *cmd, int argc,
		 char **argv)
{
	struct frag_args q = {
		.json = ctl->force_json,
		.seed = 1,
		.node = RESMEM_NODE_ANY,
	};
	struct frag_run r = { .ctl = ctl, .cmd = "fragment" };
	struct resmem_info info;
	bool held;
	int ret;

	ret = frag_parse(ctl, cmd, argc, argv, &q);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	r.node = q.node;
	r.flags = (q.movable ? RESMEM_ALLOC_MOVABLE : 0) |
		  (q.have_node ? RESMEM_ALLOC_STRICT_NODE : 0);
	ret = frag_info(ctl, &q, &info);
	if (ret)
		return ret;
	r.by_phys = info.features & RESMEM_FEAT_PHYS_ADDR;
	if (frag_build(&r, &q, info.max_order)) {
		frag_undo(&r);
		free(r.set.v);
		fprintf(stderr, "resmemctl fragment: failed; its allocations are freed\n");
		return EXIT_FAIL;
	}
	if (!r.set.n) {
		fprintf(stderr,
			"resmemctl fragment: no memory: not one block of order %u could be allocated%s\n",
			r.hi, q.have_node ? " on this node" : "");
		free(r.set.v);
		return EXIT_FAIL;
	}
	held = ctl->script || q.hold;
	if (q.json)
		report_json(&r, ctl->out, &q, held, info.page_size);
	else
		report_text(&r, ctl->out, &q, info.page_size);
	free(r.set.v);
	return frag_done(ctl, &q);
}
