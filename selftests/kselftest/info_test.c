// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/resmem: RESMEM_IOC_GET_INFO and the ioctl rules every command keeps.
 *
 * Run as root with resmem loaded.  The expected ranges are read back from
 * /sys/module/resmem/parameters/ranges and parsed here independently of the
 * module's parser; RESMEM_EXPECT_NODES="0,1" (one node per range, optional)
 * gives the node each range must land on.  One test per rejected argument.
 *
 * The test-only RESMEM_IOC_KFILL exists only when resmem was loaded with
 * test_ioctls=1 (/sys/module/resmem/parameters/test_ioctls): GET_INFO's
 * RESMEM_FEAT_TEST_IOCTLS must say so, and the tests of each side SKIP on
 * the other.  run_all.sh runs this program under a load with the knob and
 * under one without it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <uapi/resmem.h>
#include "kselftest_harness.h"
#include "resmem_test.h"

#define PARAM	"/sys/module/resmem/parameters/ranges"
#define TPARAM	"/sys/module/resmem/parameters/test_ioctls"
#define MAXR	16

struct expect {
	unsigned int nr;
	uint64_t base[MAXR], size[MAXR];
	int node[MAXR];
};

static uint64_t num(const char **p)
{
	char *end;
	uint64_t v = strtoull(*p, &end, 0);

	const char *sfx = strchr("KMGT", *end & ~0x20);

	if (*end && sfx) {
		v <<= 10 * (sfx - "KMGT" + 1);
		end++;
	}
	*p = end;
	return v;
}

static int read_expect(struct expect *e)
{
	char buf[1024], *nodes = getenv("RESMEM_EXPECT_NODES");
	const char *p = buf;
	FILE *f = fopen(PARAM, "r");

	memset(e, 0, sizeof(*e));
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	while (*p && *p != '\n' && e->nr < MAXR) {
		e->size[e->nr] = num(&p);
		if (*p++ != '@')
			return -1;
		e->base[e->nr] = num(&p);
		e->node[e->nr] = -1;
		if (*p == ':') {
			p++;
			e->node[e->nr] = (int)num(&p);
		}
		e->nr++;
		if (*p == ',')
			p++;
	}
	for (unsigned int i = 0; nodes && *nodes && i < e->nr; i++) {
		e->node[i] = (int)strtol(nodes, &nodes, 10);
		if (*nodes == ',')
			nodes++;
	}
	return 0;
}

static long info_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

FIXTURE(dev) {
	int fd;
	struct expect e;
};

FIXTURE_SETUP(dev)
{
	self->fd = open(DEV, O_RDWR);
	if (self->fd < 0)
		SKIP(return, DEV " missing: resmem not loaded");
	ASSERT_EQ(0, read_expect(&self->e));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* GET_INFO with room for 64 blocks; returns the ioctl's result. */
static long full_info(int fd, struct resmem_info *info,
		      struct resmem_block_info *b)
{
	memset(info, 0, sizeof(*info));
	info->nr_blocks = 64;
	info->block_size = sizeof(*b);
	info->blocks_ptr = (uintptr_t)b;
	return info_ioctl(fd, RESMEM_IOC_GET_INFO, info);
}

TEST_F(dev, contents_match_params)
{
	struct resmem_block_info b[64];
	struct resmem_info info;
	uint64_t sum[MAXR] = { 0 }, pages = 0, meta = 0;
	unsigned int i, r;

	ASSERT_EQ(0, full_info(self->fd, &info, b));
	EXPECT_EQ(RESMEM_ABI_VERSION, info.abi_version);
	EXPECT_EQ(getpagesize(), info.page_size);
	EXPECT_TRUE(info.features & RESMEM_FEAT_BLOCK_INFO);
	EXPECT_TRUE(info.features & RESMEM_FEAT_PHYS_ADDR);
	EXPECT_TRUE(info.features & RESMEM_FEAT_DEBUGFS);
	ASSERT_EQ(self->e.nr, info.nr_ranges);
	ASSERT_GE(info.nr_blocks, info.nr_ranges);
	ASSERT_LE(info.nr_blocks, 64);

	for (i = 0; i < info.nr_blocks; i++) {
		r = b[i].range;
		ASSERT_LT(r, info.nr_ranges);
		/* blocks tile their range in address order */
		EXPECT_EQ(self->e.base[r] + sum[r], b[i].base);
		sum[r] += b[i].size;
		if (self->e.node[r] >= 0 && info.nr_blocks == info.nr_ranges)
			EXPECT_EQ(self->e.node[r], b[i].node)
				TH_LOG("range %u", r);
		EXPECT_GT(b[i].meta_pages, 0);
		EXPECT_LT(b[i].meta_pages, b[i].size / info.page_size);
		pages += b[i].size / info.page_size;
		meta += b[i].meta_pages;
	}
	for (r = 0; r < info.nr_ranges; r++)
		EXPECT_EQ(self->e.size[r], sum[r]);
	EXPECT_EQ(pages, info.total_pages);
	EXPECT_EQ(meta, info.meta_pages);
	EXPECT_LE(info.meta_bytes, info.meta_pages * info.page_size);
	EXPECT_GT(info.meta_bytes, (info.meta_pages - info.nr_blocks) *
		  info.page_size);
	/* the budget: at most 0.2% of managed memory */
	EXPECT_LE(info.meta_pages * 1000, info.total_pages * 2);
}

TEST_F(dev, count_only_then_partial_room)
{
	struct resmem_block_info b[2];
	struct resmem_info info = { 0 };
	uint32_t n;

	ASSERT_EQ(0, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	n = info.nr_blocks;
	ASSERT_GE(n, 1);
	memset(b, 0xa5, sizeof(b));
	memset(&info, 0, sizeof(info));
	info.nr_blocks = 1;
	info.block_size = sizeof(b[0]);
	info.blocks_ptr = (uintptr_t)b;
	ASSERT_EQ(0, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	EXPECT_EQ(n, info.nr_blocks);
	EXPECT_NE(0, b[0].size);
	/* no room was given for a second entry: it is untouched */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, b[1].size);
}

TEST_F(dev, larger_block_size_zero_filled)
{
	unsigned char buf[2][48];
	struct resmem_block_info b, all[64];
	struct resmem_info info;
	unsigned int i;

	ASSERT_EQ(0, full_info(self->fd, &info, all));
	memset(&info, 0, sizeof(info));
	memset(buf, 0xff, sizeof(buf));
	info.nr_blocks = 1;
	info.block_size = 48;
	info.blocks_ptr = (uintptr_t)buf;
	ASSERT_EQ(0, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	memcpy(&b, buf[0], sizeof(b));
	EXPECT_EQ(0, memcmp(&all[0], &b, sizeof(b)));
	for (i = sizeof(b); i < 48; i++)
		EXPECT_EQ(0, buf[0][i]);
	EXPECT_EQ(0xff, buf[1][0]);
}

/* The same command number with the struct size an older caller had. */
struct resmem_info_v0 {
	__u64 words[RESMEM_INFO_SIZE_V1 / 8];
};

TEST_F(dev, v1_size_and_newer_size)
{
	struct {
		struct resmem_info info;
		__u64 future[4];
	} big;

	memset(&big, 0, sizeof(big));
	EXPECT_EQ(0, info_ioctl(self->fd,
				_IOWR(RESMEM_IOC_MAGIC, 0, struct resmem_info_v0),
				&big.info));
	EXPECT_EQ(RESMEM_ABI_VERSION, big.info.abi_version);

	memset(&big, 0, sizeof(big));
	EXPECT_EQ(0, info_ioctl(self->fd,
				_IOWR(RESMEM_IOC_MAGIC, 0, big), &big));
	EXPECT_EQ(RESMEM_ABI_VERSION, big.info.abi_version);
	/* bytes the kernel does not know are not written */
	EXPECT_EQ(0, big.future[0]);
}

TEST_F(dev, newer_size_nonzero_tail_e2big)
{
	struct {
		struct resmem_info info;
		__u64 future;
	} big;

	memset(&big, 0, sizeof(big));
	big.future = 1;
	EXPECT_EQ(-E2BIG, info_ioctl(self->fd,
				     _IOWR(RESMEM_IOC_MAGIC, 0, big), &big));
	EXPECT_EQ(0, big.info.abi_version);
}

TEST_F(dev, size_below_v1_einval)
{
	struct resmem_info info = { 0 };

	EXPECT_EQ(-EINVAL, info_ioctl(self->fd,
				      _IOC(_IOC_READ | _IOC_WRITE,
					   RESMEM_IOC_MAGIC, 0, 64), &info));
	EXPECT_EQ(0, info.abi_version);
}

TEST_F(dev, unknown_nr_enotty)
{
	struct resmem_info info = { 0 };

	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOWR(RESMEM_IOC_MAGIC, 0x7f,
					    struct resmem_info), &info));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOWR(RESMEM_IOC_MAGIC, 0xff,
					    struct resmem_info), &info));
}

TEST_F(dev, wrong_magic_enotty)
{
	struct resmem_info info = { 0 };

	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOWR(RESMEM_IOC_MAGIC + 1, 0,
					    struct resmem_info), &info));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, 0, &info));
}

TEST_F(dev, wrong_direction_enotty)
{
	struct resmem_info info = { 0 };

	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOR(RESMEM_IOC_MAGIC, 0,
					   struct resmem_info), &info));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOW(RESMEM_IOC_MAGIC, 0,
					   struct resmem_info), &info));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, _IO(RESMEM_IOC_MAGIC, 0),
				      NULL));
}

TEST_F(dev, flags_einval)
{
	struct resmem_info info = { .flags = 1 };

	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	info.flags = 0x80000000;
	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	EXPECT_EQ(0, info.abi_version);
}

TEST_F(dev, reserved_einval)
{
	struct resmem_info info;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		memset(&info, 0, sizeof(info));
		info.reserved[i] = 1ULL << (i * 16);
		EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO,
					      &info)) TH_LOG("reserved[%u]", i);
	}
}

TEST_F(dev, room_without_pointer_einval)
{
	struct resmem_info info = { .nr_blocks = 1 };

	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	memset(&info, 0, sizeof(info));
	info.block_size = sizeof(struct resmem_block_info);
	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
}

TEST_F(dev, block_size_too_small_einval)
{
	struct resmem_block_info b;
	struct resmem_info info = {
		.nr_blocks = 1, .block_size = RESMEM_BLOCK_INFO_SIZE_V1 - 8,
		.blocks_ptr = (uintptr_t)&b,
	};

	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
}

TEST_F(dev, block_size_too_large_einval)
{
	static unsigned char buf[4096];
	struct resmem_info info = {
		.nr_blocks = 1, .block_size = 257,
		.blocks_ptr = (uintptr_t)buf,
	};

	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
}

TEST_F(dev, bad_pointers_efault)
{
	struct resmem_info info = {
		.nr_blocks = 1, .block_size = RESMEM_BLOCK_INFO_SIZE_V1,
		.blocks_ptr = 8,
	};

	EXPECT_EQ(-EFAULT, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	EXPECT_EQ(-EFAULT, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, NULL));
}

TEST_F(dev, no_phys_without_cap_sys_admin)
{
	struct resmem_block_info b[64];
	struct resmem_info info;
	pid_t pid = fork();
	int status;

	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned int i;

		if (drop_sys_admin() || full_info(self->fd, &info, b))
			_exit(2);
		if (info.features & RESMEM_FEAT_PHYS_ADDR)
			_exit(3);
		for (i = 0; i < info.nr_blocks; i++)
			if (b[i].base || !b[i].size)
				_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* test_ioctls as resmem was loaded: 1 (Y), 0 (N), -1 unreadable. */
static int test_ioctls(void)
{
	FILE *f = fopen(TPARAM, "r");
	int c = f ? fgetc(f) : EOF;

	if (f)
		fclose(f);
	return c == 'Y' ? 1 : c == 'N' ? 0 : -1;
}

/* A mapped order-0 buddy allocation, for the KFILL tests. */
static void *mapped_page(int fd, struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_BUDDY;
	a->node = RESMEM_NODE_ANY;
	if (info_ioctl(fd, RESMEM_IOC_ALLOC, a))
		return MAP_FAILED;
	return mmap(NULL, a->size, PROT_READ, MAP_SHARED, fd, a->mmap_offset);
}

/* The feature bit is the parameter, and the parameter is read-only. */
TEST_F(dev, test_ioctls_feature_matches_param)
{
	struct resmem_info info = { 0 };
	int on = test_ioctls(), wfd;
	struct stat st;

	ASSERT_LE(0, on) TH_LOG("cannot read " TPARAM);
	ASSERT_EQ(0, info_ioctl(self->fd, RESMEM_IOC_GET_INFO, &info));
	EXPECT_EQ(on, !!(info.features & RESMEM_FEAT_TEST_IOCTLS));
	ASSERT_EQ(0, stat(TPARAM, &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	wfd = open(TPARAM, O_WRONLY);
	EXPECT_EQ(-1, wfd);
	if (wfd >= 0)
		close(wfd);
	else
		EXPECT_EQ(EACCES, errno);
}

/*
 * Without test_ioctls=1 the production ABI has no KFILL: a valid call is
 * -ENOTTY, as an unknown command, and writes nothing.
 */
TEST_F(dev, kfill_disabled_enotty)
{
	struct resmem_kfill k;
	struct resmem_alloc a;
	__u64 *p;

	if (test_ioctls())
		SKIP(return, "resmem loaded with test_ioctls=1");
	p = mapped_page(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("errno %d", errno);
	k = (struct resmem_kfill){ .handle = a.handle, .seed = 9,
				   .length = a.size };
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	EXPECT_EQ(0, p[0]);
	EXPECT_EQ(0, p[a.size / 8 - 1]);
	k.flags = RESMEM_KFILL_CHECK;
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	EXPECT_EQ(0, k.mismatches);
	EXPECT_EQ(0, k.first_mismatch);
	munmap(p, a.size);
	EXPECT_EQ(0, do_free(self->fd, a.handle));
}

/*
 * Disabled, KFILL is refused before its argument is looked at: bad flags,
 * padding, a size below its first version and no argument at all are
 * -ENOTTY too, not the -EINVAL or -EFAULT of an enabled KFILL.
 */
TEST_F(dev, kfill_disabled_bad_args_enotty)
{
	struct resmem_kfill k = { .length = 8 };

	if (test_ioctls())
		SKIP(return, "resmem loaded with test_ioctls=1");
	k.flags = ~0U;
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	k.flags = 0;
	k.pad = 1;
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd,
				      _IOC(_IOC_READ | _IOC_WRITE,
					   RESMEM_IOC_MAGIC,
					   _IOC_NR(RESMEM_IOC_KFILL), 8), &k));
	EXPECT_EQ(-ENOTTY, info_ioctl(self->fd, RESMEM_IOC_KFILL, NULL));
}

/*
 * With test_ioctls=1, KFILL works and keeps the rules of every command:
 * bad flags and padding -EINVAL, a size below its first version -EINVAL,
 * no argument -EFAULT, a handle of nobody -ENOENT.
 */
TEST_F(dev, kfill_enabled_checks_args)
{
	struct resmem_kfill k;
	struct resmem_alloc a;
	__u64 *p;

	if (test_ioctls() != 1)
		SKIP(return, "resmem loaded without test_ioctls=1");
	p = mapped_page(self->fd, &a);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("errno %d", errno);
	k = (struct resmem_kfill){ .handle = a.handle, .seed = 9,
				   .length = a.size };
	EXPECT_EQ(0, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	EXPECT_EQ(RESMEM_KFILL_WORD(9ULL, 0ULL), p[0]);
	k.flags = 2;
	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	k.flags = 0;
	k.pad = 1;
	EXPECT_EQ(-EINVAL, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	k.pad = 0;
	EXPECT_EQ(-EINVAL, info_ioctl(self->fd,
				      _IOC(_IOC_READ | _IOC_WRITE,
					   RESMEM_IOC_MAGIC,
					   _IOC_NR(RESMEM_IOC_KFILL), 8), &k));
	EXPECT_EQ(-EFAULT, info_ioctl(self->fd, RESMEM_IOC_KFILL, NULL));
	k.handle = 31337;
	EXPECT_EQ(-ENOENT, info_ioctl(self->fd, RESMEM_IOC_KFILL, &k));
	munmap(p, a.size);
	EXPECT_EQ(0, do_free(self->fd, a.handle));
}

TEST(unprivileged_open_refused)
{
	pid_t pid;
	int status;

	if (access(DEV, F_OK))
		SKIP(return, DEV " missing: resmem not loaded");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(2);
		if (open(DEV, O_RDWR) >= 0 || errno != EACCES)
			_exit(3);
		if (open(DEV, O_RDONLY) >= 0 || errno != EACCES)
			_exit(4);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
