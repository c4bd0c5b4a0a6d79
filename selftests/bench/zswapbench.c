// SPDX-License-Identifier: GPL-2.0
/*
 * zswapbench - one run of the zswap benchmark (zswapbench.sh), in the test
 * VM, as root, with swap on and zswap enabled on the zpool under test:
 *
 *   zswapbench --pages N [--seed S] [--threads T] [--hold FILE]
 *              [--free-half SEED2]
 *
 * T "threads" are T processes, each with its own share of the N pages in
 * its own anonymous memory: threads of one process would send each other
 * a TLB shootdown per page paged out, which under TCG costs more than
 * zswap itself.  They start each phase at a process-shared barrier.
 *
 * 1. Each writes its pages (of 0..N-1 of the seeded page stream,
 *    pagestream.h, the stream zswap_test.sh and xcfsizes.c use) into
 *    anonymous memory, THP off, not timed.
 * 2. Swap-out: each MADV_PAGEOUTs its share at once; the time from the
 *    first call to the last return is "out_ns".  Every page leaves
 *    through zswap's store path into the zpool (mincore() then counts
 *    those still resident: "resident").
 * 3. With --hold FILE: creates FILE and waits until it is removed, so that
 *    the script reads zswap's and the pool's counters while the pages are
 *    out.
 * 4. With --free-half SEED2 (one process only): MADV_DONTNEED on a seeded
 *    random half of the
 *    pages (exactly N / 2), which frees their zswap entries and so their
 *    zpool objects; then holds again (FILE, for the script to read the
 *    pool's pages and compact it), pages out one more page, of text
 *    outside the stream, and holds a third time: zswap updates its
 *    pool_total_size only when it stores or frees an entry, not when the
 *    pool compacts, so the script reads the pages after compaction then.
 *    Afterwards the freed pages must read as zeros and the others as the
 *    stream.
 * 5. Swap-in: each reads one byte of every page of its share, each read
 *    of a page that is out a fault that loads it from zswap; the time
 *    from the first read to the last is "in_ns".
 * 6. Compares every page with the stream (not timed).
 *
 * Prints one line "zswapbench: pages N threads T out_ns X resident R
 * in_ns Y bad B" and "# ..." notes.  Exits 0 when every page read back
 * intact, 1 otherwise, 2 on a usage or setup error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../kselftest/pagestream.h"

#define MAX_THREADS	16

/* Shared by the processes: the barrier and what each measured. */
struct shared {
	pthread_barrier_t phase;
	uint64_t t0[2][MAX_THREADS], t1[2][MAX_THREADS];
	unsigned long resident[MAX_THREADS], bad[MAX_THREADS];
	int err[MAX_THREADS];
};

struct run {
	unsigned long n, first, count;
	uint64_t seed, fseed;
	const char *hold;
	unsigned int k;
	struct shared *sh;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void hold_on(const char *hold)
{
	int fd;

	if (!hold)
		return;
	fd = open(hold, O_CREAT | O_WRONLY, 0644);
	if (fd < 0) {
		perror(hold);
		exit(2);
	}
	close(fd);
	while (access(hold, F_OK) == 0)
		usleep(20000);
}

static void phase(struct shared *sh)
{
	pthread_barrier_wait(&sh->phase);
}

/*
 * Free a seeded random half of the pages (exactly n / 2: the first half
 * of a shuffle), hold, page out the one page after them, hold; mark the
 * freed pages in @gone.
 */
static void free_half(struct run *r, unsigned char *mem, unsigned char *gone)
{
	unsigned long *order = malloc(r->count * sizeof(*order)), i, j, x;
	uint64_t st = r->fseed;

	if (!order)
		exit(2);
	for (i = 0; i < r->count; i++)
		order[i] = i;
	for (i = r->count - 1; i > 0; i--) {
		j = ps_next(&st) % (i + 1);
		x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	for (i = 0; i < r->count / 2; i++) {
		gone[order[i]] = 1;
		if (madvise(mem + order[i] * PS_PAGE_SIZE, PS_PAGE_SIZE,
			    MADV_DONTNEED)) {
			perror("zswapbench: MADV_DONTNEED");
			exit(2);
		}
	}
	free(order);
	printf("# freed %lu of %lu pages (seed %llu)\n", r->count / 2,
	       r->count, (unsigned long long)r->fseed);
	fflush(stdout);
	hold_on(r->hold);
	if (madvise(mem + r->count * PS_PAGE_SIZE, PS_PAGE_SIZE, MADV_PAGEOUT))
		perror("zswapbench: MADV_PAGEOUT");
	hold_on(r->hold);
}

/* One process: pages r->first .. r->first + r->count - 1 of the stream. */
static void share(struct run *r)
{
	static const char more[] = "zswapbench: one more page ";
	size_t len = (r->count + 1) * PS_PAGE_SIZE;
	struct shared *sh = r->sh;
	unsigned char want[PS_PAGE_SIZE], *mem, *vec, *gone;
	volatile unsigned char *p;
	unsigned long i, sum = 0;

	/* page r->count: the one page paged out after compaction (step 4) */
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vec = malloc(r->count);
	gone = calloc(r->count, 1);
	if (mem == MAP_FAILED || !vec || !gone) {
		perror("zswapbench: mmap");
		exit(2);
	}
	if (madvise(mem, len, MADV_NOHUGEPAGE))
		perror("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < r->count; i++)
		ps_page(r->seed, r->first + i, mem + i * PS_PAGE_SIZE);
	for (i = 0; i < PS_PAGE_SIZE; i++)
		mem[r->count * PS_PAGE_SIZE + i] = more[i % (sizeof(more) - 1)];

	phase(sh);				/* 1: written */
	sh->t0[0][r->k] = now_ns();
	if (madvise(mem, r->count * PS_PAGE_SIZE, MADV_PAGEOUT))
		sh->err[r->k] = errno;
	sh->t1[0][r->k] = now_ns();
	if (mincore(mem, r->count * PS_PAGE_SIZE, vec) == 0)
		for (i = 0; i < r->count; i++)
			sh->resident[r->k] += vec[i] & 1;
	phase(sh);				/* 2: paged out */
	phase(sh);				/* 3: the parent held */
	if (r->fseed)
		free_half(r, mem, gone);
	phase(sh);				/* 4: read back */
	p = mem;
	sh->t0[1][r->k] = now_ns();
	for (i = 0; i < r->count; i++)
		sum += p[i * PS_PAGE_SIZE];
	sh->t1[1][r->k] = now_ns();
	for (i = 0; i < r->count; i++) {
		if (gone[i])
			memset(want, 0, sizeof(want));
		else
			ps_page(r->seed, r->first + i, want);
		if (memcmp(want, mem + i * PS_PAGE_SIZE, PS_PAGE_SIZE))
			sh->bad[r->k]++;
	}
	exit(sum == ~0UL);	/* sum: so that the reads stay */
}

/* The time from the first start to the last end of phase @ph. */
static uint64_t span(struct shared *sh, unsigned int t, int ph)
{
	uint64_t a = UINT64_MAX, b = 0;
	unsigned int k;

	for (k = 0; k < t; k++) {
		if (sh->t0[ph][k] < a)
			a = sh->t0[ph][k];
		if (sh->t1[ph][k] > b)
			b = sh->t1[ph][k];
	}
	return b - a;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'h' },
		{ "free-half", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n = 0, bad = 0, resident = 0;
	struct run r = { .seed = 1 };
	pthread_barrierattr_t attr;
	unsigned int threads = 1, k;
	struct shared *sh;
	int c, status, err = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			r.seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			threads = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			r.hold = optarg;
			break;
		case 'f':
			r.fseed = strtoull(optarg, NULL, 0) | 1;
			break;
		default:
			return 2;
		}
	}
	if (!n || !threads || threads > MAX_THREADS || n < threads ||
	    (r.fseed && threads > 1)) {
		fprintf(stderr,
			"usage: zswapbench --pages N [--seed S] [--threads 1..%d] [--hold FILE] [--free-half SEED2 (one thread)]\n",
			MAX_THREADS);
		return 2;
	}
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		perror("zswapbench: mmap");
		return 2;
	}
	pthread_barrierattr_init(&attr);
	pthread_barrierattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&sh->phase, &attr, threads + 1);
	r.sh = sh;
	r.n = n;
	for (k = 0; k < threads; k++) {
		r.k = k;
		r.first = n * k / threads;
		r.count = n * (k + 1) / threads - r.first;
		switch (fork()) {
		case -1:
			perror("zswapbench: fork");
			return 2;
		case 0:
			share(&r);
		}
	}
	phase(sh);		/* 1: every share written, go */
	phase(sh);		/* 2: paged out */
	hold_on(r.hold);
	phase(sh);		/* 3: on; with --free-half the child holds */
	phase(sh);		/* 4: read back */
	for (k = 0; k < threads; k++) {
		if (wait(&status) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			err = 1;
	}
	for (k = 0; k < threads; k++) {
		bad += sh->bad[k];
		resident += sh->resident[k];
		if (sh->err[k]) {
			fprintf(stderr, "zswapbench: MADV_PAGEOUT: %s\n",
				strerror(sh->err[k]));
			err = 1;
		}
	}
	printf("zswapbench: pages %lu threads %u out_ns %llu resident %lu in_ns %llu bad %lu\n",
	       n, threads, (unsigned long long)span(sh, threads, 0), resident,
	       (unsigned long long)span(sh, threads, 1), bad);
	return bad ? 1 : err ? 2 : 0;
}
