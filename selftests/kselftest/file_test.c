// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/resmem open files: handles per file, the per-file allocation limit,
 * the mmap offset allocator (offsets fit a 32-bit mmap2, never overlap,
 * stay reserved while any vma maps them so a freed allocation SIGBUSes
 * forever, through fork, split and mremap, and are reused only after the
 * last vma is gone), MAP_SHARED on an O_RDONLY file, the pin limit and the
 * memcg charge of the allocations' kernel memory.  Run as root with resmem
 * freshly loaded on the test VM's two ranges.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"

#define LIMIT_PARAM	"/sys/module/resmem/parameters/max_allocs_per_file"

/*
 * The promise: every mmap_offset + size is at most (2^32 - 1) pages, so a
 * 32-bit process reaches every allocation through mmap2 (mmap64, or mmap
 * with _FILE_OFFSET_BITS=64).
 */
static __u64 offset_limit(void)
{
	return ((1ULL << 32) - 1) * getpagesize();
}

static int do_alloc(int fd, __u32 kind, unsigned int order, __u64 count,
		    __u32 flags, struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->order = order;
	a->count = count;
	a->node = RESMEM_NODE_ANY;
	a->flags = flags;
	return ioctl(fd, RESMEM_IOC_ALLOC, a) ? -errno : 0;
}

static int buddy(int fd, unsigned int order, struct resmem_alloc *a)
{
	return do_alloc(fd, RESMEM_KIND_BUDDY, order, 0, 0, a);
}

static int do_pin(int fd, __u64 handle, unsigned long cmd)
{
	struct resmem_pin p = { .handle = handle };

	return ioctl(fd, cmd, &p) ? -errno : 0;
}

static int overlaps(const struct resmem_alloc *a, const struct resmem_alloc *b)
{
	return a->mmap_offset < b->mmap_offset + b->size &&
	       b->mmap_offset < a->mmap_offset + a->size;
}

static long read_param(void)
{
	FILE *f = fopen(LIMIT_PARAM, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_param(long v)
{
	FILE *f = fopen(LIMIT_PARAM, "w");
	int ret;

	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static sigjmp_buf sigbus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* 1 if writing *p raises SIGBUS, 0 if the write went through. */
static int sigbus_on_write(volatile unsigned char *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	int hit = 1;

	sigaction(SIGBUS, &sa, &old);
	if (!sigsetjmp(sigbus_jmp, 1)) {
		*p = 0x77;
		hit = 0;
	}
	sigaction(SIGBUS, &old, NULL);
	return hit;
}

FIXTURE(file) {
	int fd;
	struct resmem_info info;
	long long free0;
};

FIXTURE_SETUP(file)
{
	self->fd = open(DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	memset(&self->info, 0, sizeof(self->info));
	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_GET_INFO, &self->info));
	self->free0 = free_pages();
	ASSERT_EQ(self->info.total_pages - self->info.meta_pages, self->free0);
}

FIXTURE_TEARDOWN(file)
{
	if (self->fd < 0)
		return;
	close(self->fd);
	EXPECT_EQ(self->free0, free_pages());
}

/* Each open file numbers its own allocations, from 1. */
TEST_F(file, handles_per_file)
{
	int fd2 = open(DEV, O_RDWR), fd3 = open(DEV, O_RDWR);
	struct resmem_alloc a2, a3;
	struct resmem_query q;

	ASSERT_GE(fd2, 0);
	ASSERT_GE(fd3, 0);
	ASSERT_EQ(0, buddy(fd2, 0, &a2));
	ASSERT_EQ(0, buddy(fd3, 1, &a3));
	EXPECT_EQ(1, a2.handle);
	EXPECT_EQ(1, a3.handle);
	/* the same number names a different allocation in each file */
	ASSERT_EQ(0, do_query(fd2, 1, &q));
	EXPECT_EQ(0, q.order);
	EXPECT_EQ(a2.mmap_offset, q.mmap_offset);
	ASSERT_EQ(0, do_query(fd3, 1, &q));
	EXPECT_EQ(1, q.order);
	EXPECT_EQ(a3.mmap_offset, q.mmap_offset);
	EXPECT_FALSE(overlaps(&a2, &a3));
	/* and an offset of one file is not the other's to map */
	EXPECT_EQ(MAP_FAILED, mmap(NULL, a3.size, PROT_READ, MAP_SHARED, fd2,
				   a3.mmap_offset));
	EXPECT_EQ(EINVAL, errno);
	/* freeing one leaves the other */
	ASSERT_EQ(0, do_free(fd2, 1));
	EXPECT_EQ(-ENOENT, do_query(fd2, 1, &q));
	ASSERT_EQ(0, do_query(fd3, 1, &q));
	EXPECT_EQ(1, q.order);
	EXPECT_EQ(-ENOENT, do_query(self->fd, 1, &q));
	close(fd2);
	close(fd3);
}

/* Handles are not reused soon: a freed one stays unknown. */
TEST_F(file, handles_not_reused_soon)
{
	struct resmem_alloc a, b;
	struct resmem_query q;
	int i;

	ASSERT_EQ(0, buddy(self->fd, 0, &a));
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, buddy(self->fd, 0, &b));
		ASSERT_NE(a.handle, b.handle);
		ASSERT_EQ(0, do_free(self->fd, b.handle));
	}
	EXPECT_EQ(-ENOENT, do_query(self->fd, a.handle, &q));
}

/*
 * max_allocs_per_file: the next allocation of a full file is -EMFILE with
 * nothing changed; another open file still allocates; a free makes room.
 */
TEST_F(file, per_file_limit_emfile)
{
	long old = read_param(), allocs, fails, freep;
	struct resmem_alloc a, keep[16];
	int fd2 = open(DEV, O_RDWR), i;

	ASSERT_GE(fd2, 0);
	ASSERT_EQ(65536, old) TH_LOG("default max_allocs_per_file");
	ASSERT_EQ(0, write_param(16));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, buddy(self->fd, 0, &keep[i]));
	allocs = stat_in(DBG "stats", "allocations");
	fails = stat_in(DBG "stats", "failures");
	freep = free_pages();
	EXPECT_EQ(-EMFILE, buddy(self->fd, 0, &a));
	EXPECT_EQ(0, a.handle);
	EXPECT_EQ(-EMFILE, do_alloc(self->fd, RESMEM_KIND_MEMAREA, 0, 3, 0,
				    &a));
	EXPECT_EQ(allocs, stat_in(DBG "stats", "allocations"));
	EXPECT_EQ(fails, stat_in(DBG "stats", "failures"));
	EXPECT_EQ(freep, free_pages());
	/* another open file is not affected */
	EXPECT_EQ(0, buddy(fd2, 0, &a));
	/* a free makes room for exactly one */
	ASSERT_EQ(0, do_free(self->fd, keep[3].handle));
	EXPECT_EQ(0, buddy(self->fd, 0, &a));
	EXPECT_EQ(-EMFILE, buddy(self->fd, 0, &a));
	/* raised at run time, it takes effect at once */
	ASSERT_EQ(0, write_param(17));
	EXPECT_EQ(0, buddy(self->fd, 0, &a));
	EXPECT_EQ(0, write_param(old));
	EXPECT_EQ(old, read_param());
	EXPECT_EQ(0, buddy(self->fd, 0, &a));
	close(fd2);
}

/* The first offset, and those after many allocations, fit the promise. */
TEST_F(file, offsets_fit_32bit_mmap2)
{
	static struct resmem_alloc held[4096];
	struct resmem_alloc a;
	__u64 top = 0;
	int i;

	ASSERT_EQ(0, buddy(self->fd, 0, &a));
	EXPECT_NE(0, a.mmap_offset);
	EXPECT_EQ(0, a.mmap_offset % getpagesize());
	EXPECT_LE(a.mmap_offset + a.size, offset_limit());
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	for (i = 0; i < 4096; i++) {
		ASSERT_EQ(0, buddy(self->fd, i % 3, &held[i]));
		ASSERT_LE(held[i].mmap_offset + held[i].size, offset_limit());
		if (held[i].mmap_offset + held[i].size > top)
			top = held[i].mmap_offset + held[i].size;
	}
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0, do_free(self->fd, held[i].handle));
	for (i = 0; i < 4096; i++) {
		ASSERT_EQ(0, buddy(self->fd, i % 5, &a));
		ASSERT_LE(a.mmap_offset + a.size, offset_limit());
		ASSERT_EQ(0, do_free(self->fd, a.handle));
	}
	TH_LOG("highest offset end with 4096 allocations held: %#llx",
	       (unsigned long long)top);
}

/*
 * Offsets of allocations held at once never overlap, the largest the VM
 * can make (nearly all of the 512 MiB block) included, and each maps its
 * own memory.
 */
TEST_F(file, offsets_never_overlap)
{
	struct resmem_block_info blk[8];
	struct resmem_info info = { .nr_blocks = 8,
				    .block_size = sizeof(blk[0]),
				    .blocks_ptr = (uintptr_t)blk };
	struct resmem_alloc a[32];
	__u64 big, *p;
	int n = 0, i, j;

	ASSERT_EQ(0, ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	big = blk[0].size / getpagesize() - blk[0].meta_pages - 4096;
	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_MEMAREA, 0, 1, 0, &a[n++]));
	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_MEMAREA, 0, big, 0,
			      &a[n++]));
	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_MEMAREA, 0, 3, 0, &a[n++]));
	for (i = 0; i <= 8; i++)
		ASSERT_EQ(0, buddy(self->fd, i, &a[n++]));
	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_VCOMPOUND, 4, 0, 0,
			      &a[n++]));
	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_MEMAREA, 0, 777, 0,
			      &a[n++]));
	for (i = 0; i < n; i++) {
		EXPECT_LE(a[i].mmap_offset + a[i].size, offset_limit());
		for (j = 0; j < i; j++)
			EXPECT_FALSE(overlaps(&a[i], &a[j]))
				TH_LOG("allocations %d and %d overlap", i, j);
	}
	/* each mapping is its own memory: mark the last word of each */
	for (i = 0; i < n; i++) {
		p = map(self->fd, &a[i]);
		ASSERT_NE(MAP_FAILED, p);
		p[a[i].size / 8 - 1] = 0xf11e0000ULL + i;
		munmap(p, a[i].size);
	}
	for (i = 0; i < n; i++) {
		p = map(self->fd, &a[i]);
		ASSERT_NE(MAP_FAILED, p);
		EXPECT_EQ(0xf11e0000ULL + i, p[a[i].size / 8 - 1]);
		munmap(p, a[i].size);
	}
}

/* An offset whose allocation is gone and not mapped maps nothing. */
TEST_F(file, mmap_freed_offset_einval)
{
	struct resmem_alloc a;

	ASSERT_EQ(0, buddy(self->fd, 1, &a));
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	EXPECT_EQ(MAP_FAILED, map(self->fd, &a));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * Allocate and free many times while @victim's old range is still mapped:
 * no new allocation may get any of it.
 */
static void churn_avoiding(struct __test_metadata *_metadata, int fd,
			   const struct resmem_alloc *victim, int rounds)
{
	static struct resmem_alloc held[256];
	struct resmem_alloc a;
	int i;

	for (i = 0; i < 256; i++) {
		ASSERT_EQ(0, buddy(fd, i % 4, &held[i]));
		ASSERT_FALSE(overlaps(&held[i], victim));
	}
	for (i = 0; i < 256; i++)
		ASSERT_EQ(0, do_free(fd, held[i].handle));
	for (i = 0; i < rounds; i++) {
		ASSERT_EQ(0, buddy(fd, i % 3, &a));
		ASSERT_FALSE(overlaps(&a, victim));
		ASSERT_EQ(0, do_free(fd, a.handle));
	}
}

/*
 * The offset of a freed allocation stays reserved while it is mapped, and
 * the old mapping SIGBUSes after many new allocations; once unmapped the
 * lowest free offsets are handed out again, so it is the mapping that kept
 * it.
 */
TEST_F(file, freed_mapped_offset_not_reused)
{
	struct resmem_alloc a, b;
	volatile unsigned char *p;

	ASSERT_EQ(0, buddy(self->fd, 2, &a));
	p = map(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	churn_avoiding(_metadata, self->fd, &a, 2000);
	EXPECT_TRUE(sigbus_on_write(p));
	EXPECT_TRUE(sigbus_on_write(p + a.size - 1));
	munmap((void *)p, a.size);
	ASSERT_EQ(0, buddy(self->fd, 2, &b));
	EXPECT_EQ(a.mmap_offset, b.mmap_offset) TH_LOG("not reused when free");
}

/* A split vma (munmap of a middle page) keeps the offset for both halves. */
TEST_F(file, split_vma_keeps_offset)
{
	size_t ps = getpagesize();
	struct resmem_alloc a, b;
	unsigned char *p;

	ASSERT_EQ(0, buddy(self->fd, 2, &a));
	p = map(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + ps, ps));
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	ASSERT_EQ(0, munmap(p, ps));
	churn_avoiding(_metadata, self->fd, &a, 200);
	EXPECT_TRUE(sigbus_on_write(p + 2 * ps));
	EXPECT_TRUE(sigbus_on_write(p + 3 * ps));
	munmap(p + 2 * ps, 2 * ps);
	ASSERT_EQ(0, buddy(self->fd, 2, &b));
	EXPECT_EQ(a.mmap_offset, b.mmap_offset);
}

/* mremap moves the vma: the moved one keeps the offset reserved. */
TEST_F(file, mremap_keeps_offset)
{
	struct resmem_alloc a, b;
	unsigned char *p, *q;

	ASSERT_EQ(0, buddy(self->fd, 1, &a));
	p = map(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0x42;
	/* a free spot to move to */
	q = mmap(NULL, a.size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, q);
	ASSERT_EQ(q, mremap(p, a.size, a.size, MREMAP_MAYMOVE | MREMAP_FIXED,
			    q));
	EXPECT_EQ(0x42, q[0]);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	churn_avoiding(_metadata, self->fd, &a, 200);
	EXPECT_TRUE(sigbus_on_write(q));
	munmap(q, a.size);
	ASSERT_EQ(0, buddy(self->fd, 1, &b));
	EXPECT_EQ(a.mmap_offset, b.mmap_offset);
}

/* A forked child's copy of the vma keeps the offset after the parent's. */
TEST_F(file, fork_child_vma_keeps_offset)
{
	struct resmem_alloc a, b;
	volatile unsigned char *p;
	int go[2], status;
	char c;
	pid_t pid;

	ASSERT_EQ(0, buddy(self->fd, 0, &a));
	p = map(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0x33;
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(sigbus_on_write(p) ? 0 : 1);
	}
	close(go[0]);
	munmap((void *)p, a.size);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	churn_avoiding(_metadata, self->fd, &a, 200);
	ASSERT_EQ(1, write(go[1], "x", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child's write did not SIGBUS");
	/* the child's exit unmapped it: free for reuse */
	ASSERT_EQ(0, buddy(self->fd, 0, &b));
	EXPECT_EQ(a.mmap_offset, b.mmap_offset);
}

/*
 * MAP_SHARED on an O_RDONLY file maps read-only (the kernel clears
 * VM_SHARED, not VM_MAYSHARE); PROT_WRITE is the kernel's EACCES and
 * MAP_PRIVATE stays refused.
 */
TEST_F(file, mmap_shared_readonly_file)
{
	int fd = open(DEV, O_RDONLY);
	struct resmem_kfill k;
	struct resmem_alloc a;
	__u64 *p;

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, buddy(fd, 1, &a));
	k = (struct resmem_kfill){ .handle = a.handle, .seed = 9,
				   .length = a.size };
	ASSERT_EQ(0, ioctl(fd, RESMEM_IOC_KFILL, &k));
	p = mmap(NULL, a.size, PROT_READ, MAP_SHARED, fd, a.mmap_offset);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("errno %d", errno);
	EXPECT_EQ(RESMEM_KFILL_WORD(9ULL, 0ULL), p[0]);
	EXPECT_EQ(RESMEM_KFILL_WORD(9ULL, a.size - 8), p[a.size / 8 - 1]);
	munmap(p, a.size);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, a.size, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, a.mmap_offset));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, a.size, PROT_READ, MAP_PRIVATE, fd,
				   a.mmap_offset));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/* Pins nest up to RESMEM_PIN_MAX; one more is -EOVERFLOW, not a wrap. */
TEST_F(file, pin_count_overflow)
{
	struct resmem_alloc a;
	unsigned int i;

	ASSERT_EQ(0, do_alloc(self->fd, RESMEM_KIND_BUDDY, 0, 0,
			      RESMEM_ALLOC_MOVABLE, &a));
	for (i = 0; i < RESMEM_PIN_MAX; i++)
		ASSERT_EQ(0, do_pin(self->fd, a.handle, RESMEM_IOC_PIN));
	EXPECT_EQ(-EOVERFLOW, do_pin(self->fd, a.handle, RESMEM_IOC_PIN));
	EXPECT_EQ(-EOVERFLOW, do_pin(self->fd, a.handle, RESMEM_IOC_PIN));
	ASSERT_EQ(0, do_pin(self->fd, a.handle, RESMEM_IOC_UNPIN));
	EXPECT_EQ(0, do_pin(self->fd, a.handle, RESMEM_IOC_PIN));
	for (i = 0; i < RESMEM_PIN_MAX; i++)
		ASSERT_EQ(0, do_pin(self->fd, a.handle, RESMEM_IOC_UNPIN));
	EXPECT_EQ(-EINVAL, do_pin(self->fd, a.handle, RESMEM_IOC_UNPIN));
}

/* QUERY after FREE from another thread of the file: -ENOENT, no stale data */
TEST_F(file, query_after_free_enoent)
{
	struct resmem_alloc a;
	struct resmem_query q;

	ASSERT_EQ(0, buddy(self->fd, 3, &a));
	ASSERT_EQ(0, do_query(self->fd, a.handle, &q));
	EXPECT_EQ(a.size, q.size);
	ASSERT_EQ(0, do_free(self->fd, a.handle));
	EXPECT_EQ(-ENOENT, do_query(self->fd, a.handle, &q));
}

/*
 * The kernel memory behind allocations is charged to the caller's memory
 * cgroup: in a cgroup v2 group, 4096 allocations raise memory.current by
 * at least 128 bytes each (the child itself touches a few pages only).
 */
static long long read_ll(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(s, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

#define CG	"/sys/fs/cgroup"
#define GRP	CG "/resmem_file_test"

TEST_F(file, memcg_charged)
{
	long long before, after;
	struct resmem_alloc a;
	int i, status, p[2];
	char c, pidbuf[32];
	pid_t pid;

	mkdir(CG, 0755);
	if (access(CG "/cgroup.controllers", F_OK))
		mount("none", CG, "cgroup2", 0, NULL);
	if (access(CG "/cgroup.controllers", F_OK) ||
	    write_str(CG "/cgroup.subtree_control", "+memory\n"))
		SKIP(return, "no cgroup v2 memory controller");
	rmdir(GRP);
	ASSERT_EQ(0, mkdir(GRP, 0755));
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd;

		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		/* in the group now: open and allocate there */
		fd = open(DEV, O_RDWR);
		for (i = 0; fd >= 0 && i < 4096; i++)
			if (buddy(fd, 0, &a))
				_exit(3);
		if (read(p[0], &c, 1) != 0)	/* until the parent closes */
			_exit(4);
		_exit(fd < 0 ? 5 : 0);
	}
	close(p[0]);
	snprintf(pidbuf, sizeof(pidbuf), "%d\n", pid);
	ASSERT_EQ(0, write_str(GRP "/cgroup.procs", pidbuf));
	before = read_ll(GRP "/memory.current");
	ASSERT_EQ(1, write(p[1], "x", 1));
	/* wait until the child has made its allocations */
	for (i = 0; i < 600 && free_pages() > self->free0 - 4096; i++)
		usleep(100000);
	EXPECT_LE(free_pages(), self->free0 - 4096);
	after = read_ll(GRP "/memory.current");
	close(p[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	TH_LOG("memory.current: %lld before, %lld with 4096 allocations",
	       before, after);
	EXPECT_GE(after - before, 4096LL * 128);
	rmdir(GRP);
}

TEST_HARNESS_MAIN
