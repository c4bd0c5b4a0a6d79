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

static int cma_list(int fd, struct resmem_cma_region_info *e, uint32_t room)
{
	struct resmem_cma_list l;

	memset(&l, 0, sizeof(l));
	l.nr_regions = room;
	l.region_size = sizeof(*e);
	l.regions_ptr = (uintptr_t)e;
	if (ioctl(fd, RESMEM_IOC_CMA_LIST, &l))
		return -errno;
	return l.nr_regions < room ? (int)l.nr_regions : (int)room;
}

/* The id of region @s (a name or a number), or -1 with a message. */
static int64_t region_id(int fd, const char *s)
{
	struct resmem_cma_region_info e[MAX_REGIONS];
	uint64_t v;
	int i, n = cma_list(fd, e, MAX_REGIONS);

	if (n < 0) {
		report_ioctl("cma", "RESMEM_IOC_CMA_LIST", -n, NULL);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!strncmp(e[i].name, s, sizeof(e[i].name)))
			return e[i].id;
	if (!parse_u64(s, &v) && v <= UINT32_MAX)
		return v;
	fprintf(stderr, "resmemctl cma: no region named '%s' (see cma list)\n",
		s);
	return -1;
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
			"id name            node base               size       used       lent       maxchunk\n");
	for (i = 0; i < n; i++) {
		memcpy(name, e[i].name, RESMEM_CMA_NAME_LEN);
		name[RESMEM_CMA_NAME_LEN] = 0;
		if (json) {
			fprintf(ctl->out, "%s{\"id\":%u,\"name\":", i ? "," : "",
				e[i].id);
			json_str(ctl->out, name);
			fprintf(ctl->out,
				",\"node\":%d,\"base\":%" PRIu64 ",\"size\":%" PRIu64
				",\"used\":%" PRIu64 ",\"lent\":%" PRIu64
				",\"maxchunk\":%" PRIu64 "}",
				e[i].node, (uint64_t)e[i].base,
				(uint64_t)e[i].size, (uint64_t)e[i].used,
				(uint64_t)e[i].lent, (uint64_t)e[i].maxchunk);
		} else {
			fprintf(ctl->out,
				"%-2u %-15s %-4d 0x%016" PRIx64 " %-10" PRIu64
				" %-10" PRIu64 " %-10" PRIu64 " %" PRIu64 "\n",
				e[i].id, name, e[i].node, (uint64_t)e[i].base,
				(uint64_t)e[i].size, (uint64_t)e[i].used,
				(uint64_t)e[i].lent, (uint64_t)e[i].maxchunk);
		}
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

static int do_destroy(struct ctl *ctl, const char *region, bool json)
{
	struct resmem_cma_destroy d;
	int64_t id = region_id(ctl->fd, region);

	if (id < 0)
		return EXIT_FAIL;
	memset(&d, 0, sizeof(d));
	d.id = id;
	if (ioctl(ctl->fd, RESMEM_IOC_CMA_DESTROY, &d)) {
		int err = errno;

		report_ioctl("cma destroy", "RESMEM_IOC_CMA_DESTROY", err,
			     err == EBUSY ? "the region still has buffers" :
			     NULL);
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
	bool json, hold, have_count, have_size;
	uint64_t count, align, size, base;
	int32_t node;
};

static bool known_sub(const char *sub)
{
	static const char * const subs[] = {
		"list", "alloc", "free", "create", "destroy",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(subs); i++)
		if (!strcmp(sub, subs[i]))
			return true;
	return false;
}

/* The command line into @c, checked; EXIT_USAGE after a message. */
static int cma_parse(const struct ctl *ctl, const struct command *cmd,
		     int argc, char **argv, struct cma_args *c)
{
	const struct opt opts[] = {
		{ "--count", OPT_U64, &c->count, &c->have_count },
		{ "--align", OPT_U64, &c->align, NULL },
		{ "--size", OPT_U64, &c->size, &c->have_size },
		{ "--base", OPT_U64, &c->base, NULL },
		{ "--node", OPT_NODE, &c->node, NULL },
		{ "--hold", OPT_FLAG, &c->hold, NULL },
		{ "--json", OPT_FLAG, &c->json, NULL },
	};
	char *pos[2] = { NULL, NULL };
	const char *msg = NULL;
	int ret, n = 0;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 2,
			 &n);
	if (ret)
		return ret;
	c->sub = pos[0];
	c->arg = pos[1];
	if (strcmp(c->sub, "list") && n != 2) {
		fprintf(stderr, "resmemctl cma %s: missing argument\n", c->sub);
		return EXIT_USAGE;
	}
	if (!strcmp(c->sub, "alloc") && !c->have_count)
		msg = "resmemctl cma alloc: --count N is required";
	else if (!strcmp(c->sub, "create") && !c->have_size)
		msg = "resmemctl cma create: --size BYTES is required";
	else if (c->hold && ctl->script)
		msg = "resmemctl cma alloc: --hold is for standalone use";
	if (msg) {
		fprintf(stderr, "%s\n", msg);
		return EXIT_USAGE;
	}
	if (!known_sub(c->sub)) {
		fprintf(stderr,
			"resmemctl cma: unknown subcommand '%s' (list, alloc, free, create, destroy)\n",
			c->sub);
		return EXIT_USAGE;
	}
	return 0;
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
