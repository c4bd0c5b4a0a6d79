// SPDX-License-Identifier: GPL-2.0
/*
 * cmabench: CMA regions under load, in the test VM (userspace, root).
 *
 *   cmabench [REGION [MIB [CYCLES [SEED [MAXPAGES]]]]]
 *   cmabench fill MIB
 *
 * Needs resmem loaded with one range and a region REGION (default
 * "bench") larger than MIB (default 64).
 *
 * (a) take-back: movable allocations (order 4, mapped, one pattern word
 *     per page) fill the memory; those outside the region are freed, so
 *     the region is full of mapped movable data and the rest is room to
 *     move it to.  One RESMEM_KIND_CMA allocation of MIB MiB is timed;
 *     the bytes that had to move (debugfs migrated blocks x 64 KiB) are
 *     then copied once with memcpy() between two prefaulted anonymous
 *     buffers.  Prints both times and their ratio.
 *
 * fill: hold MIB MiB of anonymous pages until killed, so that
 *     resmem_contigbench.ko measures alloc_contig_range() on a full
 *     ZONE_MOVABLE (selftests/bench/resmem_contigbench.c).
 *
 * (b) success rate: CYCLES cycles of a random movable workload (16
 *     random allocations of order 0-4 or frees per cycle, up to 2/3 of
 *     the memory in use, so that the region is lent), each followed by a
 *     contiguous allocation of a random 1 to MAXPAGES pages (default: the
 *     whole region) at a random power-of-two alignment up to 512 pages,
 *     released again.  Prints successes / CYCLES, and checks every pattern
 *     word of the movable allocations at the end (lost = words that
 *     changed).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <uapi/resmem.h>

#define MAX_LIVE	65536

struct live {
	uint64_t handle;
	uint64_t size;
	uint64_t phys;
	volatile uint64_t *p;
};

static struct live live[MAX_LIVE];
static unsigned int nlive;
static uint64_t live_bytes;
static int fd;
static uint64_t rng = 88172645463325252ULL;
static long psz;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t pattern(uint64_t handle, uint64_t page)
{
	return (handle << 32) ^ (page * 0x9e3779b97f4a7c15ULL);
}

static uint64_t phys_of(uint64_t handle)
{
	struct resmem_query q;

	memset(&q, 0, sizeof(q));
	q.handle = handle;
	return ioctl(fd, RESMEM_IOC_QUERY, &q) ? ~0ULL : q.phys;
}

static int alloc_movable(unsigned int order)
{
	struct resmem_alloc a;
	struct live *l;
	uint64_t i;

	if (nlive == MAX_LIVE)
		return -1;
	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_BUDDY;
	a.flags = RESMEM_ALLOC_MOVABLE;
	a.order = order;
	a.node = RESMEM_NODE_ANY;
	if (ioctl(fd, RESMEM_IOC_ALLOC, &a))
		return -1;
	l = &live[nlive++];
	live_bytes += a.size;
	l->handle = a.handle;
	l->size = a.size;
	l->p = mmap(NULL, a.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    a.mmap_offset);
	if (l->p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	for (i = 0; i < a.size / psz; i++)
		l->p[i * psz / 8] = pattern(a.handle, i);
	return 0;
}

static void free_live(unsigned int i)
{
	struct resmem_free f;

	memset(&f, 0, sizeof(f));
	f.handle = live[i].handle;
	munmap((void *)live[i].p, live[i].size);
	live_bytes -= live[i].size;
	if (ioctl(fd, RESMEM_IOC_FREE, &f))
		perror("free");
	live[i] = live[--nlive];
}

static uint64_t lost_words(void)
{
	uint64_t lost = 0, i;
	unsigned int j;

	for (j = 0; j < nlive; j++)
		for (i = 0; i < live[j].size / psz; i++)
			lost += live[j].p[i * psz / 8] !=
				pattern(live[j].handle, i);
	return lost;
}

static int cma_alloc(uint32_t region, uint64_t count, uint64_t align,
		     uint64_t *handle)
{
	struct resmem_alloc a;

	memset(&a, 0, sizeof(a));
	a.kind = RESMEM_KIND_CMA;
	a.node = RESMEM_NODE_ANY;
	a.region = region;
	a.count = count;
	a.align = align;
	if (ioctl(fd, RESMEM_IOC_ALLOC, &a))
		return -errno;
	*handle = a.handle;
	return 0;
}

static void cma_free(uint64_t handle)
{
	struct resmem_free f;

	memset(&f, 0, sizeof(f));
	f.handle = handle;
	if (ioctl(fd, RESMEM_IOC_FREE, &f))
		perror("free");
}

static long long stat_of(const char *name, const char *key)
{
	char path[128], line[256];
	size_t len = strlen(key);
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/resmem/cma/%s/stats",
		 name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, len) && line[len] == ':')
			v = atoll(line + len + 1);
	fclose(f);
	return v;
}

/* cmabench fill MIB: hold MIB MiB of anonymous pages until killed. */
static int fill(uint64_t mib)
{
	char *p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0x5a, mib << 20);
	printf("fill: holding %llu MiB of anonymous pages\n",
	       (unsigned long long)mib);
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "bench";
	uint64_t mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 64;
	unsigned int cycles = argc > 3 ? strtoul(argv[3], NULL, 0) : 1000;
	struct resmem_cma_region_info e[16];
	struct resmem_cma_list l;
	uint64_t handle, bytes, i, lost;
	unsigned int c, k, ok = 0, busy = 0, nomem = 0, other = 0;
	long long moved0, moved;
	uint64_t cap, lent = 0, maxc;
	double t0, t_alloc, t_copy;
	char *src, *dst;
	int r = -1, n;

	if (argc > 2 && !strcmp(argv[1], "fill"))
		return fill(strtoull(argv[2], NULL, 0));
	if (argc > 4)
		rng = strtoull(argv[4], NULL, 0) | 1;
	psz = sysconf(_SC_PAGESIZE);
	fd = open("/dev/resmem", O_RDWR);
	if (fd < 0) {
		perror("/dev/resmem");
		return 1;
	}
	memset(&l, 0, sizeof(l));
	l.nr_regions = 16;
	l.region_size = sizeof(e[0]);
	l.regions_ptr = (uintptr_t)e;
	if (ioctl(fd, RESMEM_IOC_CMA_LIST, &l)) {
		perror("RESMEM_IOC_CMA_LIST");
		return 1;
	}
	for (n = 0; n < (int)l.nr_regions && n < 16; n++)
		if (!strncmp(e[n].name, name, sizeof(e[n].name)))
			r = n;
	if (r < 0 || e[r].size < mib << 20) {
		fprintf(stderr, "cmabench: no region '%s' of more than %llu MiB\n",
			name, (unsigned long long)mib);
		return 1;
	}

	maxc = argc > 5 ? strtoull(argv[5], NULL, 0) : e[r].size / psz;
	/* (a) take-back */
	while (!alloc_movable(4))
		;
	while (!alloc_movable(0))
		;
	cap = live_bytes * 2 / 3;
	for (k = 0; k < nlive; k++) {
		uint64_t p = phys_of(live[k].handle);

		if (p < e[r].base || p >= e[r].base + e[r].size)
			free_live(k--);
	}
	moved0 = stat_of(name, "migrated");
	t0 = now();
	if (cma_alloc(e[r].id, (mib << 20) / psz, 0, &handle)) {
		perror("cmabench: take-back allocation");
		return 1;
	}
	t_alloc = now() - t0;
	moved = stat_of(name, "migrated") - moved0;
	bytes = moved * 16 * psz;	/* order-4 blocks */
	cma_free(handle);
	src = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	dst = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(src, 0x5a, bytes);
	memset(dst, 0xa5, bytes);
	t0 = now();
	memcpy(dst, src, bytes);
	t_copy = now() - t0;
	munmap(src, bytes);
	munmap(dst, bytes);
	lost = lost_words();
	printf("take-back: %llu MiB from a region full of mapped movable data: "
	       "%.1f ms, %lld blocks (%.1f MiB) migrated; memcpy of those bytes "
	       "%.1f ms; ratio %.2f; lost words %llu\n",
	       (unsigned long long)mib, t_alloc * 1e3, moved, bytes / 1048576.0,
	       t_copy * 1e3, t_alloc / t_copy, (unsigned long long)lost);

	if (!cycles)
		return !!lost;
	/* (b) success rate under a random movable workload, 2/3 full */
	while (live_bytes < cap && !alloc_movable(rnd() % 5))
		;
	for (c = 0; c < cycles; c++) {
		for (k = 0; k < 16; k++) {
			if (nlive && (rnd() & 1 || live_bytes > cap ||
				      alloc_movable(rnd() % 5)))
				free_live(rnd() % nlive);
		}
		if (!ioctl(fd, RESMEM_IOC_CMA_LIST, &l))
			lent += e[r].lent;
		i = 1 + rnd() % maxc;
		n = cma_alloc(e[r].id, i, 1ULL << (rnd() % 10), &handle);
		if (!n) {
			ok++;
			cma_free(handle);
		} else if (n == -EBUSY) {
			busy++;
		} else if (n == -ENOMEM) {
			nomem++;
		} else {
			other++;
		}
	}
	lost = lost_words();
	moved = stat_of(name, "migrated") - moved0 - moved;
	printf("success rate: %u/%u (%.1f%%) allocations of 1-%llu pages "
	       "under a random movable workload (%u live allocations at the "
	       "end, %llu region pages lent on average before an allocation, "
	       "%lld blocks migrated); -EBUSY %u, -ENOMEM %u, other %u; "
	       "lost words %llu\n",
	       ok, cycles, 100.0 * ok / cycles, (unsigned long long)maxc, nlive,
	       (unsigned long long)(lent / cycles), moved, busy, nomem, other,
	       (unsigned long long)lost);
	return lost || ok != cycles;
}
