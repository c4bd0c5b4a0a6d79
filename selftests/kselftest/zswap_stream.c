// SPDX-License-Identifier: GPL-2.0
/*
 * zswap_stream --pages N [--seed S] [--hold FILE]: write pages 0..N-1 of
 * the seeded page stream (pagestream.h) into anonymous memory, then read
 * every page back and compare it with the stream.  Run in a memory cgroup
 * whose memory.max is below N pages, the kernel swaps most of them out
 * while they are written, and with zswap enabled stores them compressed
 * in its zpool (transparent huge pages are turned off for the buffer:
 * zswap in 6.1 and 6.12 stores only order-0 pages): reading them back
 * decompresses them, and any byte the pool lost or changed shows as a
 * mismatch.
 *
 * With --hold FILE it creates FILE after writing and waits until FILE is
 * removed before reading back, so that zswap_test.sh can read the
 * counters while the pages are out.  make run's demo (selftests/demo/
 * demo.sh) also runs it without a cgroup to fill a CMA region lent to the
 * system, and reads them back while a buffer taken back from it is held.
 * Prints "# ..." lines, the last one the pages and MiB read back and how
 * many were bad; exits 0 when every page came back intact, 1 otherwise, 2
 * on a usage or setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "pagestream.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pages", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n = 0, i, bad = 0, first_bad = 0, kinds[PS_KINDS] = { 0 };
	unsigned char want[PS_PAGE_SIZE];
	uint64_t seed = 1;
	const char *hold = NULL;
	unsigned char *mem;
	int c, fd;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'h':
			hold = optarg;
			break;
		default:
			return 2;
		}
	}
	if (!n) {
		fprintf(stderr, "usage: zswap_stream --pages N [--seed S] [--hold FILE]\n");
		return 2;
	}
	mem = mmap(NULL, n * PS_PAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* zswap stores single pages: a THP would go to the swap device whole */
	if (madvise(mem, n * PS_PAGE_SIZE, MADV_NOHUGEPAGE))
		perror("madvise(MADV_NOHUGEPAGE)");
	for (i = 0; i < n; i++)
		kinds[ps_page(seed, i, mem + i * PS_PAGE_SIZE)]++;
	printf("# wrote %lu pages, seed %llu:", n, (unsigned long long)seed);
	for (c = 0; c < PS_KINDS; c++)
		printf(" %s %lu", ps_kind_name[c], kinds[c]);
	printf("\n");
	fflush(stdout);
	if (hold) {
		fd = open(hold, O_CREAT | O_WRONLY, 0644);
		if (fd < 0) {
			perror(hold);
			return 2;
		}
		close(fd);
		while (access(hold, F_OK) == 0)
			usleep(20000);
	}
	for (i = 0; i < n; i++) {
		ps_page(seed, i, want);
		if (memcmp(want, mem + i * PS_PAGE_SIZE, PS_PAGE_SIZE)) {
			if (!bad++)
				first_bad = i;
		}
	}
	if (bad)
		printf("# %lu of %lu pages (%lu MiB) differ, the first is page %lu (%s)\n",
		       bad, n, n * PS_PAGE_SIZE >> 20, first_bad,
		       ps_kind_name[ps_kind_of(seed, first_bad)]);
	else
		printf("# all %lu pages (%lu MiB) read back intact: 0 bad pages\n",
		       n, n * PS_PAGE_SIZE >> 20);
	return bad ? 1 : 0;
}
