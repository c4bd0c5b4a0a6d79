// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/resmem vcompound allocations: contiguous when a block is free, a
 * forced fallback (debugfs vcompound/vfallback_always, the same switch as
 * the module parameter) on each node, orders above max_order, a real
 * fallback after fragmenting a node, the fewest pieces, the pattern written
 * through the kernel's mapping (RESMEM_IOC_KFILL) and read through mmap and
 * the reverse (so the user mapping shows the pages in the kernel mapping's
 * order, which resmem_vctest's selftest checks against the pieces and the
 * page tables), the pieces of mixed kinds taken again, the in-kernel API and
 * frees from hard interrupt context (resmem_vctest.ko), debugfs
 * vcompound/stats, and one test per rejected argument.  Run as root with
 * resmem freshly loaded on the test VM's two ranges, one on each node.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"

#define VCDBG	DBG "vcompound/"
#define PARAM	"/sys/module/resmem/parameters/vfallback_always"
#define VCTEST	"/resmem/selftests/resmem_vctest.ko"

static long long vstat(const char *key)
{
	return stat_in(VCDBG "stats", key);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

static int read_char(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c;
}

static int vc_alloc(int fd, unsigned int order, int node, unsigned int flags,
		    struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_VCOMPOUND;
	a->order = order;
	a->node = node;
	a->flags = flags;
	return ioctl(fd, RESMEM_IOC_ALLOC, a) ? -errno : 0;
}

/* Up to @room pieces into @p; the count (or -errno). */
static int pieces(int fd, __u64 handle, struct resmem_piece_info *p,
		  unsigned int room)
{
	struct resmem_pieces q = {
		.handle = handle, .nr_pieces = room,
		.piece_size = p ? sizeof(*p) : 0,
		.pieces_ptr = (uintptr_t)p,
	};

	return ioctl(fd, RESMEM_IOC_PIECES, &q) ? -errno : (int)q.nr_pieces;
}

static int kfill(int fd, __u64 handle, __u32 flags, __u64 seed, __u64 off,
		 __u64 len, struct resmem_kfill *k)
{
	memset(k, 0, sizeof(*k));
	k->handle = handle;
	k->flags = flags;
	k->seed = seed;
	k->offset = off;
	k->length = len;
	return ioctl(fd, RESMEM_IOC_KFILL, k) ? -errno : 0;
}

static unsigned int ilog2_ull(unsigned long long v)
{
	return 63 - __builtin_clzll(v);
}

/* Wait (up to 10 s) until no deferred unmap is pending. */
static void settle(void)
{
	int i;

	for (i = 0; i < 1000 && vstat("deferred_frees") > 0; i++)
		usleep(10000);
}

FIXTURE(vc) {
	int fd;
	struct resmem_info info;
	unsigned int vmax;
	long long free0;
};

FIXTURE_SETUP(vc)
{
	unsigned long long managed;

	self->fd = open(DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	memset(&self->info, 0, sizeof(self->info));
	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_GET_INFO, &self->info));
	ASSERT_TRUE(self->info.features & RESMEM_FEAT_VCOMPOUND);
	/* the documented rule (uapi header) */
	managed = self->info.total_pages - self->info.meta_pages;
	self->vmax = self->info.max_order + RESMEM_VC_EXTRA_ORDERS;
	if (ilog2_ull(managed) < self->vmax)
		self->vmax = ilog2_ull(managed);
	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "0"));
	settle();
	self->free0 = free_pages();
	ASSERT_EQ(managed, self->free0);
}

FIXTURE_TEARDOWN(vc)
{
	if (self->fd < 0)
		return;
	close(self->fd);
	write_str(VCDBG "vfallback_always", "0");
	settle();
	EXPECT_EQ(0, vstat("mappings"));
	EXPECT_EQ(self->free0, free_pages());
}

/* Pieces in mapping order, covering the allocation, as the API says. */
static int check_pieces(struct __test_metadata *_metadata,
			const struct resmem_piece_info *p, int n,
			const struct resmem_alloc *a, unsigned int max_piece)
{
	unsigned long long off = 0;
	int i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(off, p[i].offset);
		EXPECT_EQ((unsigned long long)getpagesize() << p[i].order,
			  p[i].size);
		EXPECT_LE(p[i].order, max_piece);
		if (i)
			EXPECT_LE(p[i].order, p[i - 1].order);
		EXPECT_NE(0, p[i].phys);	/* root: CAP_SYS_ADMIN */
		EXPECT_EQ(0, p[i].phys % p[i].size);
		EXPECT_EQ(0, p[i].offset % p[i].size);
		off += p[i].size;
	}
	EXPECT_EQ(a->size, off);
	return 0;
}

TEST_F(vc, contiguous_when_a_block_is_free)
{
	unsigned int orders[] = { 0, 4, 9, self->info.max_order }, i;
	long long contig = vstat("contiguous");
	struct resmem_piece_info p[2];
	struct resmem_query q;
	struct resmem_alloc a;
	unsigned char *m;
	size_t j;

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, vc_alloc(self->fd, orders[i], RESMEM_NODE_ANY, 0,
				      &a));
		EXPECT_EQ((__u64)getpagesize() << orders[i], a.size);
		ASSERT_EQ(1, pieces(self->fd, a.handle, p, 2));
		EXPECT_EQ(orders[i], p[0].order);
		EXPECT_EQ(a.size, p[0].size);
		check_pieces(_metadata, p, 1, &a, orders[i]);
		q = (struct resmem_query){ .handle = a.handle };
		ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_QUERY, &q));
		EXPECT_EQ(RESMEM_KIND_VCOMPOUND, q.kind);
		EXPECT_EQ(orders[i], q.order);
		EXPECT_EQ(p[0].phys, q.phys);
		m = map(self->fd, &a);
		ASSERT_NE(MAP_FAILED, m);
		for (j = 0; j < a.size; j += 512)
			ASSERT_EQ(0, m[j]);
		munmap(m, a.size);
		ASSERT_EQ(0, do_free(self->fd, a.handle));
	}
	EXPECT_EQ(contig + 4, vstat("contiguous"));
	EXPECT_EQ(0, vstat("mappings"));
}

/*
 * The kernel writes the pattern through its mapping, userspace reads it
 * through its own; then userspace writes, the kernel checks; one word
 * changed is one mismatch, at its offset.
 */
static void round_trip(struct __test_metadata *_metadata, int fd,
		       const struct resmem_alloc *a, __u64 seed)
{
	struct resmem_kfill k;
	volatile __u64 *m = map(fd, a);
	__u64 w, n = a->size / 8;

	ASSERT_NE(MAP_FAILED, (void *)m);
	ASSERT_EQ(0, kfill(fd, a->handle, 0, seed, 0, a->size, &k));
	for (w = 0; w < n; w++)
		ASSERT_EQ(RESMEM_KFILL_WORD(seed, w * 8), m[w])
			TH_LOG("word %llu", (unsigned long long)w);
	for (w = 0; w < n; w++)
		m[w] = RESMEM_KFILL_WORD(~seed, w * 8);
	ASSERT_EQ(0, kfill(fd, a->handle, RESMEM_KFILL_CHECK, ~seed, 0,
			   a->size, &k));
	EXPECT_EQ(0, k.mismatches);
	EXPECT_EQ(~0ULL, k.first_mismatch);
	m[n - 3] ^= 1;
	ASSERT_EQ(0, kfill(fd, a->handle, RESMEM_KFILL_CHECK, ~seed, 0,
			   a->size, &k));
	EXPECT_EQ(1, k.mismatches);
	EXPECT_EQ((n - 3) * 8, k.first_mismatch);
	/* a part only: from the second page, one page */
	ASSERT_EQ(0, kfill(fd, a->handle, RESMEM_KFILL_CHECK, ~seed,
			   getpagesize(), getpagesize(), &k));
	EXPECT_EQ(0, k.mismatches);
	munmap((void *)m, a->size);
}

TEST_F(vc, forced_fallback_debugfs_switch_and_parameter)
{
	long long fb = vstat("fallback"), forced = vstat("fallback_forced");
	struct resmem_piece_info p[64];
	struct resmem_alloc a;
	int n;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	EXPECT_EQ('Y', read_char(PARAM));
	EXPECT_EQ(1, vstat("vfallback_always"));
	ASSERT_EQ(0, vc_alloc(self->fd, 6, RESMEM_NODE_ANY, 0, &a));
	n = pieces(self->fd, a.handle, p, 64);
	ASSERT_GE(n, 2);
	check_pieces(_metadata, p, n, &a, 5);
	EXPECT_EQ(fb + 1, vstat("fallback"));
	EXPECT_EQ(forced + 1, vstat("fallback_forced"));
	EXPECT_EQ(1, vstat("mappings"));
	EXPECT_EQ(64, vstat("mapped_pages"));
	round_trip(_metadata, self->fd, &a, 0x1234567890abcdefULL);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	/* freed through the device: unmapped at once */
	EXPECT_EQ(0, vstat("mappings"));
	EXPECT_EQ(self->free0, free_pages());

	/* the module parameter is the same switch */
	ASSERT_EQ(0, write_str(PARAM, "N"));
	EXPECT_EQ('N', read_char(VCDBG "vfallback_always"));
	ASSERT_EQ(0, vc_alloc(self->fd, 6, RESMEM_NODE_ANY, 0, &a));
	EXPECT_EQ(1, pieces(self->fd, a.handle, NULL, 0));
	ASSERT_EQ(0, write_str(PARAM, "Y"));
	EXPECT_EQ('Y', read_char(VCDBG "vfallback_always"));
	ASSERT_EQ(0, vc_alloc(self->fd, 6, RESMEM_NODE_ANY, 0, &a));
	EXPECT_LE(2, pieces(self->fd, a.handle, NULL, 0));
}

/*
 * On each node: node 0's range has no struct pages (vmap_pfn()), node 1's
 * shares a memory section with RAM and has them (vmap()); both paths map
 * the pieces in order.
 */
TEST_F(vc, forced_fallback_on_each_node)
{
	struct resmem_piece_info p[16];
	struct resmem_alloc a;
	int node, n, i;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	for (node = 0; node < 2; node++) {
		ASSERT_EQ(0, vc_alloc(self->fd, 4, node,
				      RESMEM_ALLOC_STRICT_NODE, &a));
		n = pieces(self->fd, a.handle, p, 16);
		ASSERT_GE(n, 2);
		check_pieces(_metadata, p, n, &a, 3);
		for (i = 0; i < n; i++)
			EXPECT_EQ(node, p[i].node);
		round_trip(_metadata, self->fd, &a, 0xfeed0000ULL + node);
		ASSERT_EQ(0, do_free(self->fd, a.handle));
	}
}

TEST_F(vc, above_max_order_is_a_fallback)
{
	long long above = vstat("fallback_above_max_order");
	unsigned int o = self->info.max_order + 1;
	struct resmem_piece_info p[8];
	struct resmem_alloc a;
	int n;

	ASSERT_EQ(0, vc_alloc(self->fd, o, RESMEM_NODE_ANY, 0, &a));
	n = pieces(self->fd, a.handle, p, 8);
	/* a whole pool: two blocks of max_order */
	ASSERT_EQ(2, n);
	check_pieces(_metadata, p, n, &a, self->info.max_order);
	EXPECT_EQ(above + 1, vstat("fallback_above_max_order"));
	round_trip(_metadata, self->fd, &a, 42);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
}

/*
 * The largest order one range can hold: 256 MiB from node 0.  (The limit
 * itself, 512 MiB, needs both ranges, and one mapping cannot mix node 0's
 * pages, which have no struct page, with node 1's, which have: -ENOMEM in
 * this VM.)
 */
TEST_F(vc, largest_order_one_range_holds)
{
	unsigned int o = self->vmax - 1;
	struct resmem_kfill k;
	struct resmem_alloc a;
	int n;

	ASSERT_EQ(0, vc_alloc(self->fd, o, 0, RESMEM_ALLOC_STRICT_NODE, &a));
	EXPECT_EQ((__u64)getpagesize() << o, a.size);
	n = pieces(self->fd, a.handle, NULL, 0);
	EXPECT_GE(n, 1 << (o - self->info.max_order));
	EXPECT_EQ(1LL << o, vstat("mapped_pages"));
	/* zeroed, all of it: the kernel checks through its mapping */
	ASSERT_EQ(0, kfill(self->fd, a.handle, RESMEM_KFILL_CHECK, 0, 0,
			   a.size, &k));
	EXPECT_EQ(a.size / 8 - 1, k.mismatches);	/* only word 0 is 0 */
	EXPECT_EQ(8, k.first_mismatch);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	EXPECT_EQ(self->free0, free_pages());
}

/*
 * Fill node 1 page by page, free two pages of every four: no block larger
 * than two pages is left there.  A vcompound of order 5 on node 1 then
 * cannot be contiguous and uses 16 order-1 pieces, the fewest possible.
 */
TEST_F(vc, real_fallback_after_fragmenting)
{
	static __u64 handles[1 << 15], phys[1 << 15];
	long long fb = vstat("fallback"), forced = vstat("fallback_forced");
	struct resmem_piece_info p[32];
	struct resmem_alloc a;
	struct resmem_query q;
	unsigned int nh = 0, i;
	int n;

	for (;;) {
		a = (struct resmem_alloc){ .kind = RESMEM_KIND_BUDDY,
					   .node = 1,
					   .flags = RESMEM_ALLOC_STRICT_NODE };
		if (ioctl(self->fd, RESMEM_IOC_ALLOC, &a))
			break;
		ASSERT_LT(nh, 1 << 15);
		memset(&q, 0, sizeof(q));
		q.handle = a.handle;
		ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_QUERY, &q));
		handles[nh] = a.handle;
		phys[nh++] = q.phys;
	}
	ASSERT_GT(nh, 1000);
	for (i = 0; i < nh; i++)
		if ((phys[i] / getpagesize()) % 4 < 2)
			ASSERT_EQ(0, do_free(self->fd, handles[i]));
	ASSERT_EQ(0, vc_alloc(self->fd, 5, 1, RESMEM_ALLOC_STRICT_NODE, &a));
	n = pieces(self->fd, a.handle, p, 32);
	ASSERT_EQ(16, n);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(1, p[i].order);
	check_pieces(_metadata, p, n, &a, 1);
	EXPECT_EQ(fb + 1, vstat("fallback"));
	EXPECT_EQ(forced, vstat("fallback_forced"));
	round_trip(_metadata, self->fd, &a, 0xa5a5a5a55a5a5a5aULL);
	/* close frees it all, fragments included */
}

/*
 * A fallback that would mix pages with and without struct pages (node 1
 * preferred, too large for node 1) is taken again of one kind: all from
 * node 0.
 */
TEST_F(vc, mixed_pieces_taken_again_of_one_kind)
{
	long long mixed = vstat("mixed_retries");
	unsigned int o = self->info.max_order + 5;	/* 128 MiB */
	static struct resmem_piece_info p[64];
	struct resmem_alloc a;
	int n, i;

	ASSERT_EQ(0, vc_alloc(self->fd, o, 1, 0, &a));
	n = pieces(self->fd, a.handle, p, 64);
	ASSERT_GE(n, 1 << 5);
	ASSERT_LE(n, 64);
	check_pieces(_metadata, p, n, &a, self->info.max_order);
	EXPECT_EQ(mixed + 1, vstat("mixed_retries"));
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, p[i].node);
	ASSERT_EQ(0, kfill(self->fd, a.handle, 0, 7, 0, a.size,
			   &(struct resmem_kfill){ 0 }));
	ASSERT_EQ(0, do_free(self->fd, a.handle));
}

TEST_F(vc, pieces_room_smaller_than_count)
{
	struct resmem_piece_info p[4];
	struct resmem_alloc a;
	int n;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	ASSERT_EQ(0, vc_alloc(self->fd, 3, RESMEM_NODE_ANY, 0, &a));
	n = pieces(self->fd, a.handle, NULL, 0);
	ASSERT_GE(n, 2);
	memset(p, 0xee, sizeof(p));
	EXPECT_EQ(n, pieces(self->fd, a.handle, p, 1));
	EXPECT_NE(0xeeeeeeeeeeeeeeeeULL, p[0].phys);
	EXPECT_EQ(0xeeeeeeeeeeeeeeeeULL, p[1].phys);	/* untouched */
}

TEST_F(vc, pieces_larger_entry_is_zero_filled)
{
	unsigned char buf[2 * 48];
	struct resmem_pieces q;
	struct resmem_alloc a;
	int i;

	ASSERT_EQ(0, vc_alloc(self->fd, 2, RESMEM_NODE_ANY, 0, &a));
	memset(buf, 0xee, sizeof(buf));
	q = (struct resmem_pieces){ .handle = a.handle, .nr_pieces = 2,
				    .piece_size = 48,
				    .pieces_ptr = (uintptr_t)buf };
	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_PIECES, &q));
	ASSERT_EQ(1, q.nr_pieces);
	for (i = RESMEM_PIECE_INFO_SIZE_V1; i < 48; i++)
		EXPECT_EQ(0, buf[i]);
	EXPECT_EQ(0xee, buf[48]);	/* second entry not written */
}

TEST_F(vc, pieces_of_buddy_and_memarea)
{
	struct resmem_piece_info p;
	struct resmem_alloc a = { .kind = RESMEM_KIND_BUDDY, .order = 3,
				  .node = -1 };

	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_ALLOC, &a));
	ASSERT_EQ(1, pieces(self->fd, a.handle, &p, 1));
	EXPECT_EQ(3, p.order);
	EXPECT_EQ(a.size, p.size);
	a = (struct resmem_alloc){ .kind = RESMEM_KIND_MEMAREA, .count = 5,
				   .node = -1 };
	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_ALLOC, &a));
	ASSERT_EQ(1, pieces(self->fd, a.handle, &p, 1));
	EXPECT_EQ(RESMEM_PIECE_NO_ORDER, p.order);
	EXPECT_EQ(5ULL * getpagesize(), p.size);
}

TEST_F(vc, no_phys_without_cap_sys_admin)
{
	struct resmem_alloc a;
	pid_t pid;
	int status;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	ASSERT_EQ(0, vc_alloc(self->fd, 3, RESMEM_NODE_ANY, 0, &a));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct resmem_piece_info p[8];
		int n, i;

		if (drop_sys_admin())
			_exit(2);
		n = pieces(self->fd, a.handle, p, 8);
		if (n < 2)
			_exit(3);
		for (i = 0; i < n; i++)
			if (p[i].phys || !p[i].size)
				_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(vc, exit_frees_fallbacks)
{
	pid_t pid;
	int status;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct resmem_alloc a;
		int fd = open(DEV, O_RDWR), o;

		for (o = 1; o <= 8; o++)
			if (fd < 0 || vc_alloc(fd, o, RESMEM_NODE_ANY, 0, &a))
				_exit(1);
		_exit(0);	/* no close, no free */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, vstat("mappings"));
	EXPECT_EQ(self->free0, free_pages());
}

TEST_F(vc, stats_file)
{
	long long req = vstat("requests");
	char line[512], want[64];
	struct resmem_alloc a;
	int found = 0;
	FILE *f;

	ASSERT_EQ(0, vc_alloc(self->fd, 2, RESMEM_NODE_ANY, 0, &a));
	EXPECT_EQ(req + 1, vstat("requests"));
	EXPECT_EQ(self->vmax, vstat("max_order"));
	EXPECT_LE(0, vstat("failures"));
	EXPECT_LE(0, vstat("pieces"));
	f = fopen(VCDBG "stats", "r");
	ASSERT_NE(NULL, f);
	snprintf(want, sizeof(want), "requests_by_order:");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			found |= 1;
		if (!strncmp(line, "pieces_hist:", 12))
			found |= 2;
		if (!strncmp(line, "contiguous_latency_ns_hist:", 27))
			found |= 4;
		if (!strncmp(line, "fallback_latency_ns_hist:", 25))
			found |= 8;
	}
	fclose(f);
	EXPECT_EQ(15, found);
}

/* --- the in-kernel API, through resmem_vctest.ko --- */

/*
 * Load resmem_vctest.ko with @params (one finit_module(): it returns
 * -EAGAIN when its work succeeded) and return its error; the kernel log
 * lines it printed meanwhile go to @log.
 */
static int vctest(const char *params, char *log, size_t len)
{
	int kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK), fd, err = 0;
	size_t used = 0;
	char rec[1024];
	ssize_t r;

	log[0] = 0;
	fd = open(VCTEST, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || kmsg < 0)
		return -ENOENT;
	lseek(kmsg, 0, SEEK_END);
	if (syscall(SYS_finit_module, fd, params, 0))
		err = errno;
	close(fd);
	while ((r = read(kmsg, rec, sizeof(rec) - 1)) > 0) {
		char *msg;

		rec[r] = 0;
		msg = strchr(rec, ';');
		if (!msg || !strstr(msg, "resmem_vctest:"))
			continue;
		used += snprintf(log + used, len - used, "%s", msg + 1);
		if (used >= len)
			break;
	}
	close(kmsg);
	return err;
}

TEST_F(vc, kernel_api_selftest)
{
	static char log[16384];
	int err;

	/* a test module: make vm-artifacts builds it with the kselftests */
	ASSERT_EQ(0, access(VCTEST, R_OK)) TH_LOG(VCTEST " missing");
	err = vctest("mode=selftest", log, sizeof(log));
	TH_LOG("%s", log);
	EXPECT_EQ(EAGAIN, err);
	EXPECT_NE(NULL, strstr(log, "selftest ok"));
	settle();
	EXPECT_EQ(0, vstat("mappings"));
}

TEST_F(vc, frees_from_hard_irq_under_load)
{
	long long frees = vstat("frees_fallback");
	static char log[16384];
	int err;

	/* a test module: make vm-artifacts builds it with the kselftests */
	ASSERT_EQ(0, access(VCTEST, R_OK)) TH_LOG(VCTEST " missing");
	err = vctest("mode=atomic seconds=3", log, sizeof(log));
	TH_LOG("%s", log);
	EXPECT_EQ(EAGAIN, err);
	EXPECT_NE(NULL, strstr(log, "atomic ok"));
	settle();
	EXPECT_LT(frees, vstat("frees_fallback"));
	EXPECT_EQ(0, vstat("mappings"));
	EXPECT_EQ(0, vstat("deferred_frees"));
}

/* --- one test per rejected argument; counters must not move --- */

static void expect_alloc_einval(struct __test_metadata *_metadata, int fd,
				struct resmem_alloc *a)
{
	long long req = vstat("requests"), fails = vstat("failures");

	EXPECT_EQ(-1, ioctl(fd, RESMEM_IOC_ALLOC, a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, a->handle);
	EXPECT_EQ(req, vstat("requests"));
	EXPECT_EQ(fails, vstat("failures"));
}

TEST_F(vc, alloc_order_above_vcompound_max)
{
	struct resmem_alloc a = { .kind = RESMEM_KIND_VCOMPOUND,
				  .order = self->vmax + 1, .node = -1 };

	expect_alloc_einval(_metadata, self->fd, &a);
	a.order = 0xffffffff;
	expect_alloc_einval(_metadata, self->fd, &a);
}

TEST_F(vc, alloc_unknown_flags)
{
	struct resmem_alloc a = { .kind = RESMEM_KIND_VCOMPOUND,
				  .flags = 1U << 7, .node = -1 };

	expect_alloc_einval(_metadata, self->fd, &a);
}

TEST_F(vc, alloc_movable_refused)
{
	struct resmem_alloc a = { .kind = RESMEM_KIND_VCOMPOUND,
				  .flags = RESMEM_ALLOC_MOVABLE, .node = -1 };

	expect_alloc_einval(_metadata, self->fd, &a);
}

TEST_F(vc, alloc_memarea_fields)
{
	struct resmem_alloc a = { .kind = RESMEM_KIND_VCOMPOUND, .node = -1,
				  .count = 1 };

	expect_alloc_einval(_metadata, self->fd, &a);
	a = (struct resmem_alloc){ .kind = RESMEM_KIND_VCOMPOUND, .node = -1,
				   .align = 1 };
	expect_alloc_einval(_metadata, self->fd, &a);
	a = (struct resmem_alloc){ .kind = RESMEM_KIND_VCOMPOUND, .node = -1,
				   .offset = 1 };
	expect_alloc_einval(_metadata, self->fd, &a);
	a = (struct resmem_alloc){ .kind = RESMEM_KIND_VCOMPOUND, .node = -1,
				   .policy = 1 };
	expect_alloc_einval(_metadata, self->fd, &a);
}

TEST_F(vc, alloc_strict_without_node)
{
	struct resmem_alloc a = { .kind = RESMEM_KIND_VCOMPOUND, .node = -1,
				  .flags = RESMEM_ALLOC_STRICT_NODE };

	expect_alloc_einval(_metadata, self->fd, &a);
}

TEST_F(vc, free_twice_enoent)
{
	struct resmem_alloc a;

	ASSERT_EQ(0, write_str(VCDBG "vfallback_always", "1"));
	ASSERT_EQ(0, vc_alloc(self->fd, 2, RESMEM_NODE_ANY, 0, &a));
	EXPECT_EQ(0, do_free(self->fd, a.handle));
	EXPECT_EQ(-ENOENT, do_free(self->fd, a.handle));
	EXPECT_EQ(0, vstat("mappings"));
}

TEST_F(vc, free_never_handed_out_enoent)
{
	EXPECT_EQ(-ENOENT, do_free(self->fd, 777777));
	EXPECT_EQ(-ENOENT, do_free(self->fd, 0));
}

static void expect_pieces_err(struct __test_metadata *_metadata, int fd,
			      struct resmem_pieces *q, int err)
{
	EXPECT_EQ(-1, ioctl(fd, RESMEM_IOC_PIECES, q));
	EXPECT_EQ(err, errno);
}

TEST_F(vc, pieces_flags_einval)
{
	struct resmem_alloc a;
	struct resmem_pieces q;

	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle, .flags = 1 };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
}

TEST_F(vc, pieces_pad_and_reserved_einval)
{
	struct resmem_alloc a;
	struct resmem_pieces q;

	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle, .pad = 1 };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
	q = (struct resmem_pieces){ .handle = a.handle, .reserved[1] = 1 };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
}

TEST_F(vc, pieces_room_without_pointer_einval)
{
	struct resmem_alloc a;
	struct resmem_pieces q;

	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle, .nr_pieces = 1 };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
	q = (struct resmem_pieces){ .handle = a.handle, .piece_size = 32 };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
}

TEST_F(vc, pieces_entry_size_einval)
{
	struct resmem_piece_info p[2];
	struct resmem_alloc a;
	struct resmem_pieces q;

	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle, .nr_pieces = 1,
				    .piece_size = RESMEM_PIECE_INFO_SIZE_V1 - 8,
				    .pieces_ptr = (uintptr_t)p };
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
	q.piece_size = 4096;
	expect_pieces_err(_metadata, self->fd, &q, EINVAL);
}

TEST_F(vc, pieces_bad_pointer_efault)
{
	struct resmem_alloc a;
	struct resmem_pieces q;

	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle, .nr_pieces = 1,
				    .piece_size = 32, .pieces_ptr = 8 };
	expect_pieces_err(_metadata, self->fd, &q, EFAULT);
}

TEST_F(vc, pieces_unknown_handle_enoent)
{
	struct resmem_pieces q = { .handle = 99999 };

	expect_pieces_err(_metadata, self->fd, &q, ENOENT);
}

TEST_F(vc, pieces_other_files_handle_enoent)
{
	struct resmem_alloc a;
	struct resmem_pieces q;
	int fd2 = open(DEV, O_RDWR);

	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, vc_alloc(self->fd, 0, RESMEM_NODE_ANY, 0, &a));
	q = (struct resmem_pieces){ .handle = a.handle };
	expect_pieces_err(_metadata, fd2, &q, ENOENT);
	close(fd2);
}

TEST_F(vc, pieces_struct_too_small_einval)
{
	struct resmem_pieces q = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(RESMEM_IOC_MAGIC, 0x04,
					    struct { __u64 x[5]; }), &q));
	EXPECT_EQ(EINVAL, errno);
}

static void expect_kfill_einval(struct __test_metadata *_metadata, int fd,
				struct resmem_kfill *k)
{
	EXPECT_EQ(-1, ioctl(fd, RESMEM_IOC_KFILL, k));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(vc, kfill_unknown_flags_einval)
{
	struct resmem_alloc a;
	struct resmem_kfill k;

	ASSERT_EQ(0, vc_alloc(self->fd, 1, RESMEM_NODE_ANY, 0, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .flags = 2,
				   .length = 8 };
	expect_kfill_einval(_metadata, self->fd, &k);
}

TEST_F(vc, kfill_pad_and_reserved_einval)
{
	struct resmem_alloc a;
	struct resmem_kfill k;

	ASSERT_EQ(0, vc_alloc(self->fd, 1, RESMEM_NODE_ANY, 0, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .pad = 1 };
	expect_kfill_einval(_metadata, self->fd, &k);
	k = (struct resmem_kfill){ .handle = a.handle, .reserved[0] = 1 };
	expect_kfill_einval(_metadata, self->fd, &k);
}

TEST_F(vc, kfill_output_fields_einval)
{
	struct resmem_alloc a;
	struct resmem_kfill k;

	ASSERT_EQ(0, vc_alloc(self->fd, 1, RESMEM_NODE_ANY, 0, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .mismatches = 1 };
	expect_kfill_einval(_metadata, self->fd, &k);
	k = (struct resmem_kfill){ .handle = a.handle, .first_mismatch = 1 };
	expect_kfill_einval(_metadata, self->fd, &k);
}

TEST_F(vc, kfill_misaligned_einval)
{
	struct resmem_alloc a;
	struct resmem_kfill k;

	ASSERT_EQ(0, vc_alloc(self->fd, 1, RESMEM_NODE_ANY, 0, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .offset = 4,
				   .length = 8 };
	expect_kfill_einval(_metadata, self->fd, &k);
	k = (struct resmem_kfill){ .handle = a.handle, .length = 12 };
	expect_kfill_einval(_metadata, self->fd, &k);
}

TEST_F(vc, kfill_past_end_einval)
{
	struct resmem_alloc a;
	struct resmem_kfill k;

	ASSERT_EQ(0, vc_alloc(self->fd, 1, RESMEM_NODE_ANY, 0, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .length = a.size + 8 };
	expect_kfill_einval(_metadata, self->fd, &k);
	k = (struct resmem_kfill){ .handle = a.handle, .offset = a.size + 8 };
	expect_kfill_einval(_metadata, self->fd, &k);
	k = (struct resmem_kfill){ .handle = a.handle, .offset = 8,
				   .length = ~7ULL };
	expect_kfill_einval(_metadata, self->fd, &k);
}

TEST_F(vc, kfill_unknown_handle_enoent)
{
	struct resmem_kfill k = { .handle = 31337, .length = 8 };

	EXPECT_EQ(-1, ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	EXPECT_EQ(ENOENT, errno);
}

TEST(uapi_sizes)
{
	EXPECT_EQ(RESMEM_PIECES_SIZE_V1, sizeof(struct resmem_pieces));
	EXPECT_EQ(RESMEM_PIECE_INFO_SIZE_V1,
		  sizeof(struct resmem_piece_info));
	EXPECT_EQ(RESMEM_KFILL_SIZE_V1, sizeof(struct resmem_kfill));
	EXPECT_EQ(0, sizeof(struct resmem_pieces) % 8);
	EXPECT_EQ(0, sizeof(struct resmem_kfill) % 8);
}

TEST_F(vc, unknown_command_enotty)
{
	__u64 buf[16] = { 0 };

	EXPECT_EQ(-1, ioctl(self->fd, _IOWR(RESMEM_IOC_MAGIC, 0x3f,
					    struct resmem_pieces), buf));
	EXPECT_EQ(ENOTTY, errno);
	/* wrong direction */
	EXPECT_EQ(-1, ioctl(self->fd, _IOW(RESMEM_IOC_MAGIC, 0x04,
					   struct resmem_pieces), buf));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(RESMEM_IOC_MAGIC, 0x05,
					   struct resmem_kfill), buf));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_HARNESS_MAIN
