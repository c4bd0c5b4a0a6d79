// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl cma: list the CMA regions, take and release contiguous buffers
 * from them, create and destroy regions at run time.
 *
 *   cma list
 *   cma alloc REGION --count N [--align A] [--hold]
 *   cma free HANDLE
 *   cma create NAME --size BYTES [--base ADDR] [--node N]
 *   cma destroy REGION
 *   cma lend NAME SIZE[@BASE] [--node N]	(lend.c)
 *
 * REGION is a name or an id.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include "resmemctl.h"

#define MAX_REGIONS	64

_Static_assert(sizeof(struct resmem_cma_region_info) ==
	       RESMEM_CMA_REGION_INFO_SIZE_V2, "CMA_LIST entries are V2");

/* V2 entries: a module before them zero-fills flags and memmap */
static int cma_list(int fd, struct resmem_cma_region_info *e, uint32_t room)
{
	struct resmem_cma_list l;

	memset(&l, 0, sizeof(l));
	l.nr_regions = room;
	l.region_size = RESMEM_CMA_REGION_INFO_SIZE_V2;
	l.regions_ptr = (uintptr_t)e;
	if (ioctl(fd, RESMEM_IOC_CMA_LIST, &l))
		return -errno;
	return l.nr_regions < room ? (int)l.nr_regions : (int)room;
}

/*
 * Region @s (a name or a number) into @out: its entry, or only its id
 * when @s is a number no region has (yet).  Returns 0, or -1 with a
 * message.
 */
static int region_find(int fd, const char *s,
		       struct resmem_cma_region_info *out)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	uint64_t v;
	int i, n = cma_list(fd, e, MAX_REGIONS);
	bool num = !parse_u64(s, &v) && v <= UINT32_MAX;

	if (n < 0) {
		report_ioctl("cma", "RESMEM_IOC_CMA_LIST", -n, NULL);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++)
		if (!strncmp(e[i].name, s, sizeof(e[i].name))) {
			*out = e[i];
			return 0;
		}
	for (i = 0; num && i < n; i++)
		if (e[i].id == v) {
			*out = e[i];
			return 0;
		}
	if (num) {
		out->id = v;
		return 0;
	}
	fprintf(stderr, "resmemctl cma: no region named '%s' (see cma list)\n",
		s);
	return -1;
}

/* The id of region @s (a name or a number), or -1 with a message. */
static int64_t region_id(int fd, const char *s)
{
	struct resmem_cma_region_info e;

	if (region_find(fd, s, &e))
		return -1;
	return e.id;
}

/*
 * The base of region @id into @base (CMA_LIST; CAP_SYS_ADMIN shows it).
 * Returns 0, or -1 after a message.
 */
int cma_region_base(int fd, uint32_t id, uint64_t *base)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	int i, n = cma_list(fd, e, MAX_REGIONS);

	if (n < 0) {
		report_ioctl("cma lend", "RESMEM_IOC_CMA_LIST", -n, NULL);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (e[i].id == id && e[i].base) {
			*base = e[i].base;
			return 0;
		}
	fprintf(stderr, "resmemctl cma lend: region id=%u: no base in RESMEM_IOC_CMA_LIST\n",
		id);
	return -1;
}

/*
 * Undo a region @id that @cmd made: RESMEM_IOC_CMA_DESTROY, and a line on
 * stderr saying whether it is gone.
 */
void cma_destroy_id(int fd, const char *cmd, uint32_t id)
{
	struct resmem_cma_destroy d = { .id = id };

	if (ioctl(fd, RESMEM_IOC_CMA_DESTROY, &d))
		report_ioctl(cmd, "RESMEM_IOC_CMA_DESTROY", errno,
			     "the region stays; see cma list");
	else
		fprintf(stderr, "resmemctl %s: destroyed region id=%u again\n",
			cmd, id);
}

static void list_json(FILE *out, const struct resmem_cma_region_info *e,
		      const char *name, bool first)
{
	bool sys = e->flags & RESMEM_CMA_SYSTEM;

	fprintf(out, "%s{\"id\":%u,\"name\":", first ? "" : ",", e->id);
	json_str(out, name);
	fprintf(out,
		",\"node\":%d,\"base\":%" PRIu64 ",\"size\":%" PRIu64
		",\"used\":%" PRIu64 ",\"lent\":%" PRIu64
		",\"maxchunk\":%" PRIu64 ",\"lent_to_system\":%s"
		",\"memmap_pages\":%" PRIu64 "}",
		e->node, (uint64_t)e->base, (uint64_t)e->size,
		(uint64_t)e->used, (uint64_t)e->lent, (uint64_t)e->maxchunk,
		sys ? "true" : "false", (uint64_t)e->memmap);
}

/* memmap is "-" for a region not lent to the system */
static void list_text(FILE *out, const struct resmem_cma_region_info *e,
		      const char *name)
{
	bool sys = e->flags & RESMEM_CMA_SYSTEM;

	fprintf(out,
		"%-2u %-15s %-4d 0x%016" PRIx64 " %-10" PRIu64
		" %-10" PRIu64 " %-10" PRIu64 " %-10" PRIu64 " %-6s ",
		e->id, name, e->node, (uint64_t)e->base,
		(uint64_t)e->size, (uint64_t)e->used,
		(uint64_t)e->lent, (uint64_t)e->maxchunk, sys ? "yes" : "no");
	if (sys)
		fprintf(out, "%" PRIu64 "\n", (uint64_t)e->memmap);
	else
		fprintf(out, "-\n");
}

static int do_list(struct ctl *ctl, bool json)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	int i, n = cma_list(ctl->fd, e, MAX_REGIONS);
	char name[RESMEM_CMA_NAME_LEN + 1];

	if (n < 0) {
		report_ioctl("cma list", "RESMEM_IOC_CMA_LIST", -n, NULL);
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out, "{\"regions\":[");
	else
		fprintf(ctl->out,
			"id name            node base               size       used       lent       maxchunk   system memmap\n");
	for (i = 0; i < n; i++) {
		memcpy(name, e[i].name, RESMEM_CMA_NAME_LEN);
		name[RESMEM_CMA_NAME_LEN] = 0;
		if (json)
			list_json(ctl->out, &e[i], name, !i);
		else
			list_text(ctl->out, &e[i], name);
	}
	if (json)
		fprintf(ctl->out, "]}\n");
	return EXIT_OK;
}

static int do_alloc(struct ctl *ctl, const char *region, uint64_t count,
		    uint64_t align, bool hold_it, bool json)
{
	int64_t id = region_id(ctl->fd, region);
	struct resmem_alloc a;
	int err;

	if (id < 0)
		return EXIT_FAIL;
	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_CMA;
	a.node = RESMEM_NODE_ANY;
	a.region = id;
	a.count = count;
	a.align = align;
	err = -dev_alloc_raw(ctl->fd, &a);
	if (err) {
		const char *hint = NULL;

		if (err == EBUSY)
			hint = "pages in the way are pinned";
		else if (err == ENOMEM)
			hint = "other buffers in the way, or no room to move lent pages to";
		else if (err == EINVAL)
			hint = "count is 0 or above the region's size, or align is no power of two";
		report_ioctl("cma alloc", "RESMEM_IOC_ALLOC", err, hint);
		return EXIT_FAIL;
	}
	if (ctl->script && remember_handle(ctl, a.handle)) {
		fprintf(stderr, "resmemctl cma alloc: out of memory\n");
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out,
			"{\"handle\":%" PRIu64 ",\"region\":%u,\"size\":%" PRIu64
			",\"mmap_offset\":%" PRIu64 "}\n", (uint64_t)a.handle,
			a.region, (uint64_t)a.size, (uint64_t)a.mmap_offset);
	else
		fprintf(ctl->out,
			"handle=%" PRIu64 " region=%u size=%" PRIu64
			" mmap_offset=0x%" PRIx64 "\n", (uint64_t)a.handle,
			a.region, (uint64_t)a.size, (uint64_t)a.mmap_offset);
	return hold_it ? hold("the buffer") : EXIT_OK;
}

static int do_create(struct ctl *ctl, const char *name, uint64_t size,
		     uint64_t base, int32_t node, bool json)
{
	struct resmem_cma_create c;

	memset(&c, 0, sizeof(c));
	if (strlen(name) >= sizeof(c.name)) {
		fprintf(stderr, "resmemctl cma create: name longer than %zu characters\n",
			sizeof(c.name) - 1);
		return EXIT_USAGE;
	}
	strncpy(c.name, name, sizeof(c.name) - 1);
	c.size = size;
	c.base = base;
	c.node = node;
	if (ioctl(ctl->fd, RESMEM_IOC_CMA_CREATE, &c)) {
		int err = errno;

		report_ioctl("cma create", "RESMEM_IOC_CMA_CREATE", err,
			     err == EBUSY ? "a page there is in use or in another region" :
			     err == EEXIST ? "a region has that name" :
			     err == EPERM ? "needs CAP_SYS_ADMIN" : NULL);
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out, "{\"id\":%u}\n", c.id);
	else
		fprintf(ctl->out, "created region %s id=%u\n", name, c.id);
	return EXIT_OK;
}

/* why CMA_DESTROY of region @e failed with @err */
static void destroy_failed(const struct resmem_cma_region_info *e, int err)
{
	char name[RESMEM_CMA_NAME_LEN + 1];

	memcpy(name, e->name, RESMEM_CMA_NAME_LEN);
	name[RESMEM_CMA_NAME_LEN] = 0;
	if (err == EBUSY && (e->flags & RESMEM_CMA_SYSTEM) && !e->used) {
		fprintf(stderr,
			"resmemctl cma destroy: region %s is still lent to the system: the kernel could not offline its memory (pinned pages?)\n",
			name);
		return;
	}
	report_ioctl("cma destroy", "RESMEM_IOC_CMA_DESTROY", err,
		     err == EBUSY ? "the region still has buffers" : NULL);
}

/*
 * CMA_DESTROY of a region lent to the system, the policy "offline" around
 * it: when the un-lend fails, blocks it had removed come back offline, and
 * are onlined to ZONE_MOVABLE again here.  0 or the ioctl's errno.
 */
static int destroy_lent(int fd, const struct resmem_cma_region_info *e,
			struct resmem_cma_destroy *d)
{
	char saved[64] = "";
	uint64_t bs;
	int err = 0;

	/* without the policy (a message said why) the blocks come as it says */
	if (policy_offline("cma destroy", saved, sizeof(saved)))
		saved[0] = 0;
	if (ioctl(fd, RESMEM_IOC_CMA_DESTROY, d))
		err = errno;
	policy_restore("cma destroy", saved);
	if (err == EBUSY && !memory_block_size("cma destroy", &bs))
		online_movable("cma destroy", e->base / bs,
			       (e->base + e->size) / bs - 1, true);
	return err;
}

static int do_destroy(struct ctl *ctl, const char *region, bool json)
{
	struct resmem_cma_region_info e;
	struct resmem_cma_destroy d;
	int err = 0;

	if (region_find(ctl->fd, region, &e))
		return EXIT_FAIL;
	memset(&d, 0, sizeof(d));
	d.id = e.id;
	if (e.flags & RESMEM_CMA_SYSTEM)
		err = destroy_lent(ctl->fd, &e, &d);
	else if (ioctl(ctl->fd, RESMEM_IOC_CMA_DESTROY, &d))
		err = errno;
	if (err) {
		destroy_failed(&e, err);
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out, "{\"id\":%u,\"destroyed\":true}\n", d.id);
	else
		fprintf(ctl->out, "destroyed region id=%u\n", d.id);
	return EXIT_OK;
}

/* cma's command line, as given */
struct cma_args {
	const char *sub;
	char *arg;		/* REGION, HANDLE or NAME */
	char *extent;		/* lend: SIZE[@BASE] */
	bool json, hold, have_count, have_size, have_base;
	uint64_t count, align, size, base;
	int32_t node;
};

static bool known_sub(const char *sub)
{
	static const char * const subs[] = {
		"list", "alloc", "free", "create", "destroy", "lend",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(sub, subs[i]))
			return true;
	return false;
}

/* The arguments subcommand @c->sub needs, given @n positionals. */
static int cma_check(const struct ctl *ctl, int n, struct cma_args *c)
{
	const char *msg = NULL;
	bool lend = !strcmp(c->sub, "lend");

	if (strcmp(c->sub, "list") && n < 2) {
		fprintf(stderr, "resmemctl cma %s: missing argument\n", c->sub);
		return EXIT_USAGE;
	}
	if (n != (lend ? 3 : strcmp(c->sub, "list") ? 2 : 1))
		msg = lend ? "resmemctl cma lend: missing SIZE[@BASE]" :
		      "resmemctl cma: too many arguments";
	else if (!strcmp(c->sub, "alloc") && !c->have_count)
		msg = "resmemctl cma alloc: --count N is required";
	else if (!strcmp(c->sub, "create") && !c->have_size)
		msg = "resmemctl cma create: --size BYTES is required";
	else if (lend && (c->have_size || c->have_base))
		msg = "resmemctl cma lend: SIZE[@BASE], not --size or --base";
	else if (lend && parse_size_at(c->extent, &c->size, &c->base))
		msg = "resmemctl cma lend: SIZE[@BASE]: sizes like 128M, 0x8000000 or 1G@4G";
	else if (c->hold && ctl->script)
		msg = "resmemctl cma alloc: --hold is for standalone use";
	if (msg) {
		fprintf(stderr, "%s\n", msg);
		return EXIT_USAGE;
	}
	return 0;
}

/* The command line into @c, checked; EXIT_USAGE after a message. */
static int cma_parse(const struct ctl *ctl, const struct command *cmd,
		     int argc, char **argv, struct cma_args *c)
{
	const struct opt opts[] = {
		{ "--count", OPT_U64, &c->count, &c->have_count },
		{ "--align", OPT_U64, &c->align, NULL },
		{ "--size", OPT_U64, &c->size, &c->have_size },
		{ "--base", OPT_U64, &c->base, &c->have_base },
		{ "--node", OPT_NODE, &c->node, NULL },
		{ "--hold", OPT_FLAG, &c->hold, NULL },
		{ "--json", OPT_FLAG, &c->json, NULL },
	};
	char *pos[3] = { NULL, NULL, NULL };
	int ret, n = 0;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 3,
			 &n);
	if (ret)
		return ret;
	c->sub = pos[0];
	c->arg = pos[1];
	c->extent = pos[2];
	if (!known_sub(c->sub)) {
		fprintf(stderr,
			"resmemctl cma: unknown subcommand '%s' (list, alloc, free, create, destroy, lend)\n",
			c->sub);
		return EXIT_USAGE;
	}
	return cma_check(ctl, n, c);
}

static int do_free(struct ctl *ctl, uint64_t handle, bool json)
{
	int ret = dev_free(ctl->fd, handle);

	if (ret) {
		report_ioctl("cma free", "RESMEM_IOC_FREE", -ret, NULL);
		return EXIT_FAIL;
	}
	if (json)
		fprintf(ctl->out, "{\"handle\":%" PRIu64 ",\"freed\":true}\n",
			handle);
	else
		fprintf(ctl->out, "freed handle=%" PRIu64 "\n", handle);
	return EXIT_OK;
}

int cmd_cma(struct ctl *ctl, const struct command *cmd, int argc,
	    char **argv)
{
	struct cma_args c = {
		.json = ctl->force_json,
		.node = RESMEM_NODE_ANY,
	};
	uint64_t handle = 0;
	int ret;

	ret = cma_parse(ctl, cmd, argc, argv, &c);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!strcmp(c.sub, "free")) {
		ret = resolve_handle(ctl, "cma free", c.arg, &handle);
		if (ret)
			return ret;
	}
	if (!strcmp(c.sub, "lend"))	/* sysfs checks first */
		return cma_lend(ctl, c.arg, c.size, c.base, c.node, c.json);
	if (ctl_open(ctl))
		return EXIT_FAIL;
	if (!strcmp(c.sub, "list"))
		return do_list(ctl, c.json);
	if (!strcmp(c.sub, "alloc"))
		return do_alloc(ctl, c.arg, c.count, c.align, c.hold, c.json);
	if (!strcmp(c.sub, "create"))
		return do_create(ctl, c.arg, c.size, c.base, c.node, c.json);
	if (!strcmp(c.sub, "destroy"))
		return do_destroy(ctl, c.arg, c.json);
	return do_free(ctl, handle, c.json);
}
