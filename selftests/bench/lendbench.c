// SPDX-License-Identifier: GPL-2.0
/*
 * lendbench: the userspace half of the lent-region benchmark, in the test
 * VM (root; selftests/bench/lendbench.sh, resmem_lendbench.c).
 *
 *   lendbench mem LABEL
 *	one line: MemTotal and MemFree (/proc/meminfo, kB) and node 0's
 *	Movable zone present, managed and free pages (/proc/zoneinfo)
 *   lendbench fill CAP_MIB READY_FILE
 *	the workload: pinned to CPU 0, write 1 MiB chunks of patterned
 *	anonymous memory and tmpfs files (/dev/shm, every other chunk) until
 *	node 0's Movable zone has at most its high watermark + 2 MiB free;
 *	create READY_FILE then and keep topping up every 10 ms what the
 *	take-backs give back.  At CAP_MIB MiB in all a random chunk is freed
 *	before each new one, so that what a take-back moved out of the zone
 *	goes back into it.  On SIGTERM check every byte of every chunk and
 *	print "fill: ... lost B bytes", then exit (1 when bytes were lost).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB	(1ULL << 20)
#define CHUNK	MIB
#define MAXCH	8192
#define FILES	"/dev/shm/resmem-lendbench"
#define K	0x9e3779b97f4a7c15ULL

/* One chunk: anonymous (@p) or a tmpfs file (@p NULL); its pattern seed. */
struct chunk {
	uint64_t *p;
	uint64_t seed;
	int live;
};

static struct chunk ch[MAXCH];
static unsigned int nch, nlive;
static uint64_t next_seed = 1, rng = 88172645463325252ULL;
static volatile sig_atomic_t stop;
static uint64_t buf[CHUNK / 8];

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Field @key of node 0's Movable zone in /proc/zoneinfo, or -1. */
static long long movable(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	int in = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " ");

		if (!strncmp(line, "Node ", 5)) {
			in = !strncmp(line, "Node 0, zone  Movable", 21);
			continue;
		}
		if (!in)
			continue;
		if (!strcmp(key, "free") && !strncmp(p, "pages free", 10)) {
			v = atoll(p + 10);
			break;
		}
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			v = atoll(p + kl);
			break;
		}
	}
	fclose(f);
	return v;
}

static long long meminfo(const char *key)
{
	char line[256];
	long long v = -1;
	size_t kl = strlen(key);
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atoll(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static void fill_pattern(uint64_t *w, uint64_t seed)
{
	size_t i;

	for (i = 0; i < CHUNK / 8; i++)
		w[i] = (seed + i) * K;
}

static uint64_t bad_bytes(const uint64_t *w, uint64_t seed)
{
	uint64_t bad = 0;
	size_t i;

	for (i = 0; i < CHUNK / 8; i++)
		if (w[i] != (seed + i) * K)
			bad += 8;
	return bad;
}

static void path_of(unsigned int i, char *path, size_t len)
{
	snprintf(path, len, FILES "-%u", i);
}

/* A new chunk in slot @i; 0 or -1. */
static int add(unsigned int i)
{
	struct chunk *c = &ch[i];
	char path[128];
	int fd, ok;

	c->seed = next_seed++ << 20;
	if (i % 2 == 0) {
		c->p = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c->p == MAP_FAILED)
			return -1;
		fill_pattern(c->p, c->seed);
	} else {
		c->p = NULL;
		path_of(i, path, sizeof(path));
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			return -1;
		fill_pattern(buf, c->seed);
		ok = write(fd, buf, CHUNK) == CHUNK;
		close(fd);
		if (!ok) {
			unlink(path);
			return -1;
		}
	}
	c->live = 1;
	nlive++;
	return 0;
}

static void drop(unsigned int i)
{
	char path[128];

	if (ch[i].p) {
		munmap(ch[i].p, CHUNK);
	} else {
		path_of(i, path, sizeof(path));
		unlink(path);
	}
	ch[i].live = 0;
	nlive--;
}

static uint64_t check(unsigned int i)
{
	char path[128];
	uint64_t lost;
	int fd;

	if (ch[i].p)
		return bad_bytes(ch[i].p, ch[i].seed);
	path_of(i, path, sizeof(path));
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return CHUNK;
	lost = read(fd, buf, CHUNK) == CHUNK ? bad_bytes(buf, ch[i].seed) :
					       CHUNK;
	close(fd);
	return lost;
}

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

/* A pfn range the filler keeps full: the region's blocks, the CMA area. */
struct prange {
	uint64_t first, end;
};

static struct prange ranges[64];
static unsigned int nranges;

/* The region's "System RAM (resmem)" blocks of /proc/iomem; 0 or -1. */
static int read_region(void)
{
	char line[256];
	unsigned long long a, b;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && nranges < 63)
		if (strstr(line, "System RAM (resmem)") &&
		    sscanf(line, " %llx-%llx", &a, &b) == 2) {
			ranges[nranges].first = a >> 12;
			ranges[nranges++].end = (b + 1) >> 12;
		}
	fclose(f);
	return nranges ? 0 : -1;
}

/* The kernel's default CMA area (debugfs cma/reserved); 0 or -1. */
static int read_cma(void)
{
	unsigned long long base = 0, count = 0;
	FILE *f = fopen("/sys/kernel/debug/cma/reserved/base_pfn", "r");
	int ok;

	if (!f)
		return -1;
	ok = fscanf(f, "%llu", &base) == 1;
	fclose(f);
	f = fopen("/sys/kernel/debug/cma/reserved/count", "r");
	if (!f)
		return -1;
	ok = ok && fscanf(f, "%llu", &count) == 1 && count;
	fclose(f);
	if (!ok)
		return -1;
	ranges[nranges].first = base;
	ranges[nranges++].end = base + count;
	return 0;
}

static int in_ranges(uint64_t pfn)
{
	unsigned int r;

	for (r = 0; r < nranges; r++)
		if (pfn >= ranges[r].first && pfn < ranges[r].end)
			return 1;
	return 0;
}

/*
 * Does chunk @i lie wholly outside the ranges (/proc/self/pagemap, which
 * shows pfns to root)?  A tmpfs chunk is mapped for the look, then
 * unmapped.  A page not present counts as inside.
 */
static int outside(int pm, unsigned int i)
{
	uint64_t e[CHUNK / 4096], *p = ch[i].p;
	char path[128];
	int fd, ok = 1;
	size_t j;

	if (!p) {
		path_of(i, path, sizeof(path));
		fd = open(path, O_RDONLY);
		if (fd < 0)
			return 0;
		p = mmap(NULL, CHUNK, PROT_READ, MAP_SHARED | MAP_POPULATE,
			 fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			return 0;
	}
	if (pread(pm, e, sizeof(e), (off_t)((uintptr_t)p / 4096) * 8) !=
	    (ssize_t)sizeof(e))
		ok = 0;
	for (j = 0; ok && j < CHUNK / 4096; j++)
		if (!(e[j] >> 63) || in_ranges(e[j] & ((1ULL << 55) - 1)))
			ok = 0;
	if (!ch[i].p)
		munmap(p, CHUNK);
	return ok;
}

/* Free a live chunk that lies outside the ranges; 0, or -1 if none found. */
static int drop_outside(int pm, unsigned long long *looks)
{
	unsigned int t, i;

	for (t = 0; t < 64 && nlive; t++) {
		do
			i = rnd() % nch;
		while (!ch[i].live);
		(*looks)++;
		if (outside(pm, i)) {
			drop(i);
			return 0;
		}
	}
	return -1;
}

/* What the filler reads each round, in pages (MemFree in MiB). */
struct state {
	long long mfree, mhigh;		/* node 0's Movable zone */
	long long zfree, cfree;		/* the CMA area's zone, its free CMA */
	long long memfree_mib;
};

/* Node 0's Movable zone and the zone with CMA pages, /proc/zoneinfo. */
static int read_state(struct state *st)
{
	char line[256], zone[32] = "";
	long long free = -1, high = -1, cma = 0, fcma = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return -1;
	st->mfree = -1;
	st->mhigh = -1;
	st->zfree = -1;
	st->cfree = 0;
	/* one extra round with an empty line ends the last zone */
	for (;;) {
		int eof = !fgets(line, sizeof(line), f);
		char *p = line + strspn(line, " ");

		if (eof || !strncmp(line, "Node ", 5)) {
			if (!strcmp(zone, "Movable")) {
				st->mfree = free;
				st->mhigh = high;
			}
			if (cma > 0) {
				st->zfree = free;
				st->cfree = fcma;
			}
			if (eof)
				break;
			zone[0] = 0;
			if (!strncmp(line, "Node 0, zone", 12))
				sscanf(line + 12, "%31s", zone);
			free = -1;
			high = -1;
			cma = 0;
			fcma = 0;
			continue;
		}
		if (!strncmp(p, "pages free", 10))
			free = atoll(p + 10);
		else if (!strncmp(p, "high ", 5))
			high = atoll(p + 5);
		else if (!strncmp(p, "nr_free_cma ", 12))
			fcma = atoll(p + 12);
		else if (!strncmp(p, "cma ", 4))
			cma = atoll(p + 4);
	}
	fclose(f);
	st->memfree_mib = meminfo("MemFree") / 1024;
	return st->mfree < 0 || st->zfree < 0 ? -1 : 0;
}

static int fill(unsigned long long target_mib, const char *ready)
{
	const long long slack = 2 * MIB / 4096;
	unsigned long long tops = 0, drops = 0, looks = 0, misses = 0;
	uint64_t lost = 0;
	unsigned int i, nfree = 0;
	int is_ready = 0, pm;
	struct state st;
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(0, &s);
	sched_setaffinity(0, sizeof(s), &s);
	signal(SIGTERM, on_term);
	pm = open("/proc/self/pagemap", O_RDONLY);
	if (pm < 0 || read_region() || read_cma() || read_state(&st)) {
		printf("fill: no pagemap, lent region, CMA area or zones\n");
		return 2;
	}
	printf("fill: %u ranges kept full, CMA pfns 0x%llx-0x%llx, ",
	       nranges, (unsigned long long)ranges[nranges - 1].first,
	       (unsigned long long)ranges[nranges - 1].end);
	printf("MemFree target %llu MiB\n", target_mib);
	while (!stop) {
		int need_region, need_cma, need_mem;

		if (read_state(&st)) {
			usleep(10000);
			continue;
		}
		need_region = st.mfree > st.mhigh + slack;
		need_cma = st.cfree > st.zfree - st.cfree + slack;
		need_mem = st.memfree_mib > (long long)target_mib + 2;
		if (!need_region && !need_cma && !need_mem) {
			if (!is_ready) {
				int fd = open(ready, O_WRONLY | O_CREAT, 0644);

				if (fd >= 0)
					close(fd);
				is_ready = 1;
				printf("fill: ready, %u MiB, MemFree %lld MiB, ",
				       nlive, st.memfree_mib);
				printf("Movable free %lld pages (high %lld), ",
				       st.mfree, st.mhigh);
				printf("CMA zone free %lld pages, %lld CMA\n",
				       st.zfree, st.cfree);
				fflush(stdout);
			}
			usleep(10000);
			continue;
		}
		/*
		 * At the target, make room outside the ranges first, so that
		 * the new chunk lands inside one (where the page allocator
		 * puts it: ZONE_MOVABLE first, CMA when it is the freer).
		 */
		if (st.memfree_mib <= (long long)target_mib + 1) {
			if (drop_outside(pm, &looks)) {
				misses++;
				if (st.memfree_mib < (long long)target_mib - 32) {
					usleep(10000);
					continue;
				}
			} else {
				drops++;
			}
		}
		for (i = nfree; i < nch && ch[i].live; i++)
			;
		nfree = i;
		if (i == nch) {
			if (nch == MAXCH) {
				usleep(10000);
				continue;
			}
			nch++;
		}
		if (add(i)) {
			printf("fill: a chunk failed at %u MiB\n", nlive);
			usleep(100000);
			continue;
		}
		nfree = 0;
		tops++;
	}
	for (i = 0; i < nch; i++)
		if (ch[i].live) {
			lost += check(i);
			drop(i);
		}
	printf("fill: %llu chunks of 1 MiB written, %llu outside the ranges dropped ",
	       tops, drops);
	printf("(%llu looks, %llu rounds found none), lost %llu bytes\n",
	       looks, misses, (unsigned long long)lost);
	return lost ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "mem")) {
		printf("mem %s: MemTotal=%lld kB MemFree=%lld kB ", argv[2],
		       meminfo("MemTotal"), meminfo("MemFree"));
		printf("movable_present=%lld movable_managed=%lld ",
		       movable("present"), movable("managed"));
		printf("movable_free=%lld pages ", movable("free"));
		printf("CmaTotal=%lld kB CmaFree=%lld kB\n",
		       meminfo("CmaTotal"), meminfo("CmaFree"));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "fill"))
		return fill(strtoull(argv[2], NULL, 0), argv[3]);
	fprintf(stderr, "usage: lendbench mem LABEL | fill TARGET_FREE_MIB READY_FILE\n");
	return 2;
}
