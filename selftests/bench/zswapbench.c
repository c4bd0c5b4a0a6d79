// SPDX-License-Identifier: GPL-2.0
/*
 * zswapbench - one run of the zswap benchmark (zswapbench.sh), in the test
 * VM, as root, with swap on and zswap enabled on the zpool under test:
 *
 *   zswapbench --pages N [--seed S] [--threads T] [--hold FILE]
 *              [--free-half SEED2]
 *
 * 1. Writes pages 0..N-1 of the seeded page stream (pagestream.h, the
 *    stream zswap_test.sh and xcfsizes.c use) into anonymous memory, THP
 *    off, not timed.
 * 2. Swap-out: T threads each MADV_PAGEOUT an equal share of the buffer at
 *    once; the time from the first call to the last return is "out_ns".
 *    Every page leaves through zswap's store path into the zpool (mincore()
 *    then counts those still resident: "resident").
 * 3. With --hold FILE: creates FILE and waits until it is removed, so that
 *    the script reads zswap's and the pool's counters while the pages are
 *    out.
 * 4. With --free-half SEED2: MADV_DONTNEED on a seeded random half of the
 *    pages (exactly N / 2), which frees their zswap entries and so their
 *    zpool objects; then holds again (FILE, for the script to read the
 *    pool's pages and compact it), pages out one more page, of text
 *    outside the stream, and holds a third time: zswap updates its
 *    pool_total_size only when it stores or frees an entry, not when the
 *    pool compacts, so the script reads the pages after compaction then.
 *    Afterwards the freed pages must read as zeros and the others as the
 *    stream.
 * 5. Swap-in: T threads each read one byte of every page of its share,
 *    each read of a page that is out a fault that loads it from zswap;
 *    the time of all of them is "in_ns".
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
#include <time.h>
#include <unistd.h>
#include "../kselftest/pagestream.h"

#define MAX_THREADS	16

struct share {
	unsigned char *mem;
	unsigned long first, count;
	int advice;		/* MADV_PAGEOUT, or 0 to read every page */
	int err;
	unsigned long sum;	/* of the bytes read: the reads stay */
};

static pthread_barrier_t start;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void *work(void *arg)
{
	struct share *s = arg;
	volatile unsigned char *p;
	unsigned long i;

	pthread_barrier_wait(&start);
	if (s->advice) {
		if (madvise(s->mem + s->first * PS_PAGE_SIZE,
			    s->count * PS_PAGE_SIZE, s->advice))
			s->err = errno;
		return NULL;
	}
	p = s->mem + s->first * PS_PAGE_SIZE;
	for (i = 0; i < s->count; i++)
		s->sum += p[i * PS_PAGE_SIZE];
	return NULL;
}

/* Run @advice (or reads) over the buffer in @t shares; Return: ns taken. */
static uint64_t in_threads(unsigned char *mem, unsigned long n,
			   unsigned int t, int advice, int *err)
{
	struct share s[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	uint64_t t0, t1;
	unsigned int k;

	pthread_barrier_init(&start, NULL, t + 1);
	for (k = 0; k < t; k++) {
		s[k] = (struct share){ .mem = mem, .advice = advice,
				       .first = n * k / t,
				       .count = n * (k + 1) / t - n * k / t };
		if (pthread_create(&tid[k], NULL, work, &s[k])) {
			fprintf(stderr, "zswapbench: pthread_create failed\n");
			exit(2);
		}
	}
	t0 = now_ns();
	pthread_barrier_wait(&start);
	for (k = 0; k < t; k++)
		pthread_join(tid[k], NULL);
	t1 = now_ns();
	pthread_barrier_destroy(&start);
	*err = 0;
	for (k = 0; k < t; k++)
		if (s[k].err)
			*err = s[k].err;
	return t1 - t0;
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

int main(int argc, char **argv)
{
	static const char more[] = "zswapbench: one more page ";
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "hold", required_argument, NULL, 'h' },
		{ "free-half", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n = 0, i, j, bad = 0, resident = 0, freed = 0;
	uint64_t seed = 1, fseed = 0, out_ns, in_ns, st;
	unsigned char want[PS_PAGE_SIZE], *mem, *vec, *gone = NULL;
	unsigned long *order = NULL;
	const char *hold = NULL;
	unsigned int threads = 1;
	int c, err;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 't':
			threads = strtoul(optarg, NULL, 0);
			break;
		case 'h':
			hold = optarg;
			break;
		case 'f':
			fseed = strtoull(optarg, NULL, 0) | 1;
			break;
		default:
			return 2;
		}
	}
	if (!n || !threads || threads > MAX_THREADS || n < threads) {
		fprintf(stderr,
			"usage: zswapbench --pages N [--seed S] [--threads 1..%d] [--hold FILE] [--free-half SEED2]\n",
			MAX_THREADS);
		return 2;
	}
	/* page n: the one page paged out after compaction (step 4) */
	mem = mmap(NULL, (n + 1) * PS_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	vec = malloc(n);
	if (mem == MAP_FAILED || !vec) {
		perror("zswapbench: mmap");
		return 2;
	}
	if (madvise(mem, (n + 1) * PS_PAGE_SIZE, MADV_NOHUGEPAGE))
		perror("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < n; i++)
		ps_page(seed, i, mem + i * PS_PAGE_SIZE);
	for (i = 0; i < PS_PAGE_SIZE; i++)
		mem[n * PS_PAGE_SIZE + i] = more[i % (sizeof(more) - 1)];

	out_ns = in_threads(mem, n, threads, MADV_PAGEOUT, &err);
	if (err) {
		fprintf(stderr, "zswapbench: MADV_PAGEOUT: %s\n",
			strerror(err));
		return 2;
	}
	if (mincore(mem, n * PS_PAGE_SIZE, vec) == 0)
		for (i = 0; i < n; i++)
			resident += vec[i] & 1;
	hold_on(hold);

	if (fseed) {
		/* exactly n / 2 pages: the first half of a seeded shuffle */
		order = malloc(n * sizeof(*order));
		gone = calloc(n, 1);
		if (!order || !gone)
			return 2;
		for (i = 0; i < n; i++)
			order[i] = i;
		st = fseed;
		for (i = n - 1; i > 0; i--) {
			j = ps_next(&st) % (i + 1);
			freed = order[i];
			order[i] = order[j];
			order[j] = freed;
		}
		for (i = 0; i < n / 2; i++) {
			gone[order[i]] = 1;
			if (madvise(mem + order[i] * PS_PAGE_SIZE, PS_PAGE_SIZE,
				    MADV_DONTNEED)) {
				perror("zswapbench: MADV_DONTNEED");
				return 2;
			}
		}
		freed = n / 2;
		printf("# freed %lu of %lu pages (seed %llu)\n", freed, n,
		       (unsigned long long)fseed);
		fflush(stdout);
		hold_on(hold);
		if (madvise(mem + n * PS_PAGE_SIZE, PS_PAGE_SIZE,
			    MADV_PAGEOUT))
			perror("zswapbench: MADV_PAGEOUT");
		hold_on(hold);
	}

	in_ns = in_threads(mem, n, threads, 0, &err);
	for (i = 0; i < n; i++) {
		if (gone && gone[i])
			memset(want, 0, sizeof(want));
		else
			ps_page(seed, i, want);
		if (memcmp(want, mem + i * PS_PAGE_SIZE, PS_PAGE_SIZE))
			bad++;
	}
	printf("zswapbench: pages %lu threads %u out_ns %llu resident %lu in_ns %llu bad %lu\n",
	       n, threads, (unsigned long long)out_ns, resident,
	       (unsigned long long)in_ns, bad);
	return bad ? 1 : 0;
}
