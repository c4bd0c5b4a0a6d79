// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: alloc, free, query, and the script-only write and check that
 * touch an allocation through mmap.  Allocations belong to the open device
 * file: a standalone command frees them at exit, unless --hold keeps the
 * process (and so the file) alive.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "resmemctl.h"

/* HANDLE: a number (decimal or 0x hex), or in scripts $N or $last. */
int resolve_handle(struct ctl *ctl, const char *cmd, const char *s,
		   uint64_t *handle)
{
	uint64_t n;

	if (s[0] != '$') {
		if (!parse_u64(s, handle))
			return 0;
		fprintf(stderr,
			"resmemctl %s: '%s' is not a handle (a number as alloc prints it%s)\n",
			cmd, s, ctl->script ? ", $N or $last" : "");
		return EXIT_USAGE;
	}
	if (!ctl->script) {
		fprintf(stderr,
			"resmemctl %s: '%s': handle references ($N, $last) work only inside a script\n",
			cmd, s);
		return EXIT_USAGE;
	}
	if (!strcmp(s, "$last")) {
		n = ctl->nr_handles;
	} else if (parse_u64(s + 1, &n) || !n || s[1] == '0') {
		fprintf(stderr,
			"resmemctl %s: '%s' is not a handle reference ($1, $2, ... or $last)\n",
			cmd, s);
		return EXIT_USAGE;
	}
	if (!n || n > ctl->nr_handles) {
		fprintf(stderr,
			"resmemctl %s: %s: the script has made %zu successful allocation%s so far\n",
			cmd, s, ctl->nr_handles,
			ctl->nr_handles == 1 ? "" : "s");
		return EXIT_FAIL;
	}
	*handle = ctl->handles[n - 1];
	return 0;
}

int remember_handle(struct ctl *ctl, uint64_t handle)
{
	if (ctl->nr_handles == ctl->cap_handles) {
		size_t cap = ctl->cap_handles ? 2 * ctl->cap_handles : 16;
		uint64_t *h = realloc(ctl->handles, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		ctl->handles = h;
		ctl->cap_handles = cap;
	}
	ctl->handles[ctl->nr_handles++] = handle;
	return 0;
}

/*
 * Keep the process, and with it the open device and its allocations, until
 * stdin is closed or SIGINT/SIGTERM arrives.  The signals are blocked and
 * read from a signalfd, so one that arrives early is not lost.
 */
int hold(const char *what)
{
	struct pollfd pfd[2] = {
		{ .fd = STDIN_FILENO, .events = POLLIN },
		{ .fd = -1, .events = POLLIN },
	};
	struct signalfd_siginfo si;
	const char *why = NULL;
	sigset_t mask, orig;
	char buf[4096];
	int ret = EXIT_OK;

	fflush(stdout);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &orig);
	pfd[1].fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (pfd[1].fd < 0) {
		perror("resmemctl: signalfd");
		sigprocmask(SIG_SETMASK, &orig, NULL);
		return EXIT_FAIL;
	}
	fprintf(stderr,
		"resmemctl: holding %s; close stdin (Ctrl-D) or send SIGINT/SIGTERM to free\n",
		what);
	while (!why) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("resmemctl: poll");
			ret = EXIT_FAIL;
			break;
		}
		if (pfd[1].revents & POLLIN &&
		    read(pfd[1].fd, &si, sizeof(si)) == sizeof(si)) {
			why = si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
			break;
		}
		if (pfd[0].revents & POLLNVAL) {
			why = "stdin is closed";
			break;
		}
		if (!pfd[0].revents)
			continue;
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			why = "end of stdin";
	}
	if (why)
		fprintf(stderr, "resmemctl: %s: freeing %s\n", why, what);
	close(pfd[1].fd);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}

static const char *alloc_hint(struct ctl *ctl, const struct resmem_alloc *a,
			      int err, char *buf, size_t len)
{
	struct resmem_info info;
	char where[32] = "";

	if (a->node != RESMEM_NODE_ANY)
		snprintf(where, sizeof(where), " on node %d", a->node);
	switch (err) {
	case ENOMEM:
		if (a->kind == RESMEM_KIND_MEMAREA)
			snprintf(buf, len,
				 "no free area of %llu pages with that alignment%s",
				 (unsigned long long)a->count, where);
		else if (a->kind == RESMEM_KIND_VCOMPOUND)
			snprintf(buf, len,
				 "neither a block nor enough pieces for order %u%s",
				 a->order, where);
		else
			snprintf(buf, len, "no free block of order %u%s",
				 a->order, where);
		return buf;
	case ENOTTY:
		return "this resmem module has no allocator "
		       "(see the features in 'resmemctl info')";
	case EINVAL:
		if (get_info(ctl->fd, &info, NULL))
			return NULL;
		if (a->kind == RESMEM_KIND_MEMAREA &&
		    !(info.features & RESMEM_FEAT_MEMAREA))
			return "this resmem module has no memarea allocator";
		if (a->kind == RESMEM_KIND_VCOMPOUND &&
		    !(info.features & RESMEM_FEAT_VCOMPOUND))
			return "this resmem module has no vcompound allocator";
		if (a->kind == RESMEM_KIND_VCOMPOUND)
			return "the order is above the vcompound limit "
			       "(max_order + RESMEM_VC_EXTRA_ORDERS, at most the memory)";
		if (a->kind == RESMEM_KIND_BUDDY && a->order > info.max_order) {
			snprintf(buf, len, "order %u is above max_order %u",
				 a->order, info.max_order);
			return buf;
		}
		if (a->kind == RESMEM_KIND_MEMAREA)
			return "--align must be a power of two, --offset "
			       "below it, --count at most a block";
		if (a->node != RESMEM_NODE_ANY)
			return "is the node online and does it hold resmem memory?";
		return NULL;
	}
	return NULL;
}

static const char *handle_hint(struct ctl *ctl, int err)
{
	if (err != EINVAL && err != ENOENT)
		return NULL;
	if (!ctl->script)
		return "resmemctl has just opened the device and owns no "
		       "allocation; handles live only as long as the open "
		       "device: use 'resmemctl script'";
	return "no allocation with this handle on this open device (freed already?)";
}

static void print_flags(FILE *f, uint32_t flags, bool json)
{
	const char *sep = "";

	if (json)
		fputc('[', f);
	if (flags & RESMEM_ALLOC_MOVABLE) {
		fprintf(f, json ? "\"movable\"" : "movable");
		sep = ",";
	}
	if (flags & RESMEM_ALLOC_STRICT_NODE) {
		fprintf(f, json ? "%s\"strict-node\"" : "%sstrict-node", sep);
		sep = ",";
	}
	flags &= ~RESMEM_ALLOC_VALID_FLAGS;
	if (flags)
		fprintf(f, json ? "%s\"0x%x\"" : "%s0x%x", sep, flags);
	else if (!*sep && !json)
		fputc('-', f);
	if (json)
		fputc(']', f);
}

static const char * const kinds[] = {
	[RESMEM_KIND_BUDDY] = "buddy",
	[RESMEM_KIND_MEMAREA] = "memarea",
	[RESMEM_KIND_VCOMPOUND] = "vcompound",
};

static const char * const policies[] = {
	[RESMEM_POLICY_FIRST_FIT] = "first-fit",
	[RESMEM_POLICY_BEST_FIT] = "best-fit",
	[RESMEM_POLICY_LEAST_FRAG] = "least-frag",
};

static int lookup(const char * const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return i;
	return -1;
}

/* Pieces of an allocation (RESMEM_IOC_PIECES), 0 when unknown. */
static uint32_t nr_pieces(int fd, uint64_t handle)
{
	struct resmem_pieces p;

	memset(&p, 0, sizeof(p));
	p.handle = handle;
	return ioctl(fd, RESMEM_IOC_PIECES, &p) ? 0 : p.nr_pieces;
}

/* @pieces: shown for vcompound allocations; 0 hides it. */
static void print_query(FILE *f, const struct resmem_query *q, bool json,
			uint32_t pieces)
{
	const char *kind = q->kind < ARRAY_SIZE(kinds) ? kinds[q->kind] : NULL;

	if (json) {
		fprintf(f, "\"handle\":%" PRIu64 ",\"kind\":", (uint64_t)q->handle);
		if (kind)
			fprintf(f, "\"%s\"", kind);
		else
			fprintf(f, "%u", q->kind);
		fprintf(f, ",\"order\":%u,\"flags\":", q->order);
		print_flags(f, q->alloc_flags, true);
		fprintf(f, ",\"size\":%" PRIu64 ",\"mmap_offset\":%" PRIu64
			",\"node\":%d,\"phys\":", (uint64_t)q->size,
			(uint64_t)q->mmap_offset, q->node);
		if (q->phys)
			fprintf(f, "%" PRIu64, (uint64_t)q->phys);
		else
			fprintf(f, "null");
		if (pieces && q->kind == RESMEM_KIND_VCOMPOUND)
			fprintf(f, ",\"pieces\":%u", pieces);
		return;
	}
	fprintf(f, "handle=%" PRIu64 " kind=", (uint64_t)q->handle);
	if (kind)
		fprintf(f, "%s", kind);
	else
		fprintf(f, "%u", q->kind);
	fprintf(f, " order=%u flags=", q->order);
	print_flags(f, q->alloc_flags, false);
	fprintf(f, " size=%" PRIu64 " node=%d mmap_offset=0x%" PRIx64,
		(uint64_t)q->size, q->node, (uint64_t)q->mmap_offset);
	if (q->phys)
		fprintf(f, " phys=0x%" PRIx64, (uint64_t)q->phys);
	if (pieces && q->kind == RESMEM_KIND_VCOMPOUND)
		fprintf(f, " pieces=%u", pieces);
}

/*
 * An allocation shown as alloc and query print it: one line of key=value
 * words, or one JSON object; @ref (an alloc in a script) prefixes $N.
 */
static void print_alloc(struct ctl *ctl, const struct resmem_query *q,
			bool json, size_t ref)
{
	uint32_t pieces = nr_pieces(ctl->fd, q->handle);

	if (json) {
		fputc('{', ctl->out);
		if (ref)
			fprintf(ctl->out, "\"ref\":\"$%zu\",", ref);
		print_query(ctl->out, q, true, pieces);
		fprintf(ctl->out, "}\n");
	} else {
		if (ref)
			fprintf(ctl->out, "alloc $%zu: ", ref);
		print_query(ctl->out, q, false, pieces);
		fputc('\n', ctl->out);
	}
}

/* alloc's command line, as given */
struct alloc_args {
	const char *kind, *policy;
	bool json, movable, strict, hold;
	bool have_order, have_node, have_count, have_area;
	uint64_t count, align, offset;
	uint32_t order;
	int32_t node;
};

static int alloc_parse(const struct command *cmd, int argc, char **argv,
		       struct alloc_args *r)
{
	const struct opt opts[] = {
		{ "--kind", OPT_STR, &r->kind, NULL },
		{ "--order", OPT_U32, &r->order, &r->have_order },
		{ "--count", OPT_U64, &r->count, &r->have_count },
		{ "--align", OPT_U64, &r->align, &r->have_area },
		{ "--offset", OPT_U64, &r->offset, &r->have_area },
		{ "--policy", OPT_STR, &r->policy, &r->have_area },
		{ "--node", OPT_NODE, &r->node, &r->have_node },
		{ "--movable", OPT_FLAG, &r->movable, NULL },
		{ "--strict-node", OPT_FLAG, &r->strict, NULL },
		{ "--hold", OPT_FLAG, &r->hold, NULL },
		{ "--json", OPT_FLAG, &r->json, NULL },
	};

	return parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), NULL, 0, 0,
			  NULL);
}

/* Whether @r's kind takes the options given, as a message. */
static const char *alloc_kind_misfit(const struct alloc_args *r, int k)
{
	if (k != RESMEM_KIND_MEMAREA && (r->have_count || r->have_area))
		return "--count, --align, --offset and --policy are for --kind memarea";
	if (k == RESMEM_KIND_VCOMPOUND && r->movable)
		return "--kind vcompound cannot be --movable (the kernel's mapping pins it)";
	if (k != RESMEM_KIND_MEMAREA && !r->have_order)
		return "--order N is required";
	if (k == RESMEM_KIND_MEMAREA && (r->have_order || !r->have_count))
		return "--kind memarea takes --count PAGES, not --order";
	return NULL;
}

/* The request @r asks for, into @a; EXIT_USAGE after a message. */
static int alloc_check(const struct ctl *ctl, const struct alloc_args *r,
		       struct resmem_alloc *a)
{
	int k, p = RESMEM_POLICY_FIRST_FIT;
	const char *misfit;

	k = lookup(kinds, ARRAY_SIZE(kinds), r->kind);
	if (k < 0) {
		fprintf(stderr,
			"resmemctl alloc: unknown --kind '%s' (known: buddy, memarea, vcompound)\n",
			r->kind);
		return EXIT_USAGE;
	}
	misfit = alloc_kind_misfit(r, k);
	if (misfit) {
		fprintf(stderr, "resmemctl alloc: %s\n", misfit);
		return EXIT_USAGE;
	}
	if (k == RESMEM_KIND_MEMAREA) {
		p = lookup(policies, ARRAY_SIZE(policies), r->policy);
		if (p < 0) {
			fprintf(stderr,
				"resmemctl alloc: unknown --policy '%s' (first-fit, best-fit, least-frag)\n",
				r->policy);
			return EXIT_USAGE;
		}
	}
	if (r->strict && !r->have_node) {
		fprintf(stderr, "resmemctl alloc: --strict-node needs --node N\n");
		return EXIT_USAGE;
	}
	if (r->hold && ctl->script) {
		fprintf(stderr,
			"resmemctl alloc: --hold is for standalone use: a script keeps its allocations until it ends (sleep holds them longer)\n");
		return EXIT_USAGE;
	}
	memset(a, 0, sizeof(*a));
	a->kind = k;
	a->flags = (r->movable ? RESMEM_ALLOC_MOVABLE : 0) |
		   (r->strict ? RESMEM_ALLOC_STRICT_NODE : 0);
	a->order = r->order;
	a->node = r->node;
	a->count = r->count;
	a->align = r->align;
	a->offset = r->offset;
	a->policy = p;
	return 0;
}

/*
 * RESMEM_IOC_ALLOC of @a, kept for $N in a script, then RESMEM_IOC_QUERY
 * of it into @q.  Returns -1 when there is nothing to show, EXIT_OK, or
 * EXIT_FAIL when the query failed (then @q holds what ALLOC returned).
 */
static int alloc_make(struct ctl *ctl, struct resmem_alloc *a,
		      struct resmem_query *q)
{
	char hint[128];
	int ret;

	ret = dev_alloc_raw(ctl->fd, a);
	if (ret) {
		report_ioctl("alloc", "RESMEM_IOC_ALLOC", -ret,
			     alloc_hint(ctl, a, -ret, hint, sizeof(hint)));
		return -1;
	}
	if (ctl->script && remember_handle(ctl, a->handle)) {
		fprintf(stderr, "resmemctl alloc: out of memory\n");
		return -1;
	}
	ret = dev_query(ctl->fd, a->handle, q);
	if (!ret)
		return EXIT_OK;
	report_ioctl("alloc", "RESMEM_IOC_QUERY of the new allocation", -ret,
		     NULL);
	memset(q, 0, sizeof(*q));
	q->handle = a->handle;
	q->kind = a->kind;
	q->order = a->order;
	q->alloc_flags = a->flags;
	q->node = -1;
	q->size = a->size;
	q->mmap_offset = a->mmap_offset;
	return EXIT_FAIL;
}

int cmd_alloc(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	struct alloc_args r = {
		.kind = "buddy",
		.policy = "first-fit",
		.json = ctl->force_json,
		.node = RESMEM_NODE_ANY,
	};
	struct resmem_query q;
	struct resmem_alloc a;
	int ret;

	ret = alloc_parse(cmd, argc, argv, &r);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = alloc_check(ctl, &r, &a);
	if (ret)
		return ret;
	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = alloc_make(ctl, &a, &q);
	if (ret < 0)
		return EXIT_FAIL;
	print_alloc(ctl, &q, r.json, ctl->script ? ctl->nr_handles : 0);
	if (ret)
		return ret;
	return r.hold ? hold("the allocation") : EXIT_OK;
}

int cmd_free(struct ctl *ctl, const struct command *cmd, int argc,
	     char **argv)
{
	bool json = ctl->force_json;
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &json, NULL },
	};
	uint64_t handle;
	char *pos[1];
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = resolve_handle(ctl, "free", pos[0], &handle);
	if (ret)
		return ret;
	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = dev_free(ctl->fd, handle);
	if (ret) {
		char what[64];

		snprintf(what, sizeof(what), "RESMEM_IOC_FREE of handle %" PRIu64,
			 handle);
		report_ioctl("free", what, -ret, handle_hint(ctl, -ret));
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out, "{\"handle\":%" PRIu64 ",\"freed\":true}\n",
			handle);
	else
		fprintf(ctl->out, "freed handle=%" PRIu64 "\n", handle);
	return EXIT_OK;
}

int cmd_query(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	bool json = ctl->force_json;
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &json, NULL },
	};
	struct resmem_query q;
	uint64_t handle;
	char *pos[1];
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = resolve_handle(ctl, "query", pos[0], &handle);
	if (ret)
		return ret;
	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = dev_query(ctl->fd, handle, &q);
	if (ret) {
		char what[64];

		snprintf(what, sizeof(what),
			 "RESMEM_IOC_QUERY of handle %" PRIu64, handle);
		report_ioctl("query", what, -ret, handle_hint(ctl, -ret));
		return EXIT_FAIL;
	}
	print_alloc(ctl, &q, json, 0);
	return EXIT_OK;
}

/* write/check: HANDLE BYTE, the allocation mapped MAP_SHARED. */
static int map_handle(struct ctl *ctl, const struct command *cmd, int argc,
		      char **argv, bool *json, uint64_t *handle,
		      unsigned char *byte, struct resmem_query *q,
		      unsigned char **p, bool writable)
{
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, json, NULL },
	};
	uint64_t v;
	char *pos[2];
	void *m;
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 2, 2,
			 NULL);
	if (ret)
		return ret;
	ret = resolve_handle(ctl, cmd->name, pos[0], handle);
	if (ret)
		return ret;
	if (parse_u64(pos[1], &v) || v > 255) {
		fprintf(stderr,
			"resmemctl %s: BYTE '%s' is not 0..255 (decimal or 0x hex)\n",
			cmd->name, pos[1]);
		return EXIT_USAGE;
	}
	*byte = v;
	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = dev_query(ctl->fd, *handle, q);
	if (ret) {
		char what[64];

		snprintf(what, sizeof(what),
			 "RESMEM_IOC_QUERY of handle %" PRIu64, *handle);
		report_ioctl(cmd->name, what, -ret, handle_hint(ctl, -ret));
		return EXIT_FAIL;
	}
	m = mmap(NULL, q->size, PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, ctl->fd, q->mmap_offset);
	if (m == MAP_FAILED) {
		fprintf(stderr,
			"resmemctl %s: mmap of handle %" PRIu64 " (%" PRIu64
			" bytes at offset 0x%" PRIx64 "): %s (%s)\n",
			cmd->name, *handle, (uint64_t)q->size,
			(uint64_t)q->mmap_offset, strerror(errno),
			errname(errno));
		return EXIT_FAIL;
	}
	*p = m;
	return 0;
}

int cmd_write(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	bool json = ctl->force_json;
	struct resmem_query q;
	unsigned char byte, *p;
	uint64_t handle;
	int ret;

	ret = map_handle(ctl, cmd, argc, argv, &json, &handle, &byte, &q, &p,
			 true);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	memset(p, byte, q.size);
	munmap(p, q.size);
	if (json)
		fprintf(ctl->out,
			"{\"handle\":%" PRIu64 ",\"byte\":%u,\"bytes\":%" PRIu64
			"}\n", handle, byte, (uint64_t)q.size);
	else
		fprintf(ctl->out, "wrote handle=%" PRIu64 " byte=0x%02x bytes=%"
			PRIu64 "\n", handle, byte, (uint64_t)q.size);
	return EXIT_OK;
}

int cmd_check(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	uint64_t handle, i, bad = 0, first = 0;
	bool json = ctl->force_json;
	struct resmem_query q;
	unsigned char byte, *p, got = 0;
	int ret;

	ret = map_handle(ctl, cmd, argc, argv, &json, &handle, &byte, &q, &p,
			 false);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	for (i = 0; i < q.size; i++) {
		if (p[i] == byte)
			continue;
		if (!bad++) {
			first = i;
			got = p[i];
		}
	}
	munmap(p, q.size);
	if (json)
		fprintf(ctl->out,
			"{\"handle\":%" PRIu64 ",\"byte\":%u,\"bytes\":%" PRIu64
			",\"mismatches\":%" PRIu64 "}\n", handle, byte,
			(uint64_t)q.size, bad);
	else if (!bad)
		fprintf(ctl->out, "checked handle=%" PRIu64 " byte=0x%02x bytes=%"
			PRIu64 ": all match\n", handle, byte, (uint64_t)q.size);
	if (!bad)
		return EXIT_OK;
	fprintf(stderr,
		"resmemctl check: handle %" PRIu64 ": %" PRIu64 " of %" PRIu64
		" bytes are not 0x%02x; the first at offset 0x%" PRIx64
		" is 0x%02x\n", handle, bad, (uint64_t)q.size, byte, first, got);
	return EXIT_FAIL;
}
