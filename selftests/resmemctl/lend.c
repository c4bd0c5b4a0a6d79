// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl cma lend: a CMA region lent to the whole system.
 *
 *   cma lend NAME SIZE[@BASE] [--node N]
 *
 * The memory hotplug side in sysfs ($RESMEM_SYSFS, default /sys): the
 * memory block size, the kernel's auto_online_blocks policy (set to
 * "offline" around RESMEM_IOC_CMA_CREATE with RESMEM_CMA_SYSTEM, then
 * restored, also on failure: a block onlined to a kernel zone would make
 * the create fail), and each block of the region onlined to ZONE_MOVABLE
 * through memoryN/state.  A block that refuses destroys the region again.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "resmemctl.h"

#define MEMORY_DIR	"/devices/system/memory"

/* $RESMEM_SYSFS, or /sys */
const char *sysfs_root(void)
{
	const char *env = getenv("RESMEM_SYSFS");

	return env && *env ? env : "/sys";
}

/* @path: ROOT/devices/system/memory/@file */
static void memory_path(char *path, size_t len, const char *file)
{
	snprintf(path, len, "%s" MEMORY_DIR "/%s", sysfs_root(), file);
}

/*
 * Read sysfs file @path into @buf (at most @len - 1 bytes, the trailing
 * newline dropped).  Returns 0 or -errno.
 */
int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = 0;
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	return 0;
}

/* Write @s to the existing sysfs file @path.  Returns 0 or -errno. */
int sysfs_write(const char *path, const char *s)
{
	size_t len = strlen(s);
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	if (n < 0 || (size_t)n != len) {
		n = n < 0 ? -errno : -EIO;
		close(fd);
		return n;
	}
	return close(fd) ? -errno : 0;
}

/*
 * The memory block size (block_size_bytes, hex) into @bs.  Returns 0, or
 * EXIT_FAIL after a message naming the file.
 */
int memory_block_size(const char *cmd, uint64_t *bs)
{
	char path[4096], buf[64], *end;
	int err;

	memory_path(path, sizeof(path), "block_size_bytes");
	err = -sysfs_read(path, buf, sizeof(buf));
	if (err) {
		fprintf(stderr, "resmemctl %s: %s: %s (%s): no memory hotplug?\n",
			cmd, path, strerror(err), errname(err));
		return EXIT_FAIL;
	}
	errno = 0;
	*bs = strtoull(buf, &end, 16);
	if (errno || end == buf || *end || !*bs || (*bs & (*bs - 1))) {
		fprintf(stderr, "resmemctl %s: %s: '%s' is no power of two (hex)\n",
			cmd, path, buf);
		return EXIT_FAIL;
	}
	return 0;
}

/*
 * @size and @base (0: placed by resmem) as memory blocks of @bs bytes.
 * Returns 0, or EXIT_USAGE after one line naming the block size in MiB.
 */
int lend_check(const char *cmd, uint64_t size, uint64_t base, uint64_t bs)
{
	const char *what = NULL;
	uint64_t v = 0;

	if (!size) {
		fprintf(stderr, "resmemctl %s: SIZE is 0\n", cmd);
		return EXIT_USAGE;
	}
	if (size % bs) {
		what = "SIZE";
		v = size;
	} else if (base % bs) {
		what = "BASE";
		v = base;
	} else if (base + size < base) {
		fprintf(stderr, "resmemctl %s: BASE + SIZE wraps around\n", cmd);
		return EXIT_USAGE;
	}
	if (!what)
		return 0;
	fprintf(stderr,
		"resmemctl %s: %s 0x%" PRIx64
		" is not a multiple of the memory block size (%g MiB)\n",
		cmd, what, v, (double)bs / (1 << 20));
	return EXIT_USAGE;
}

/*
 * Save the kernel's auto_online_blocks policy in @saved (@len bytes) and
 * set it to "offline", unless it is that already (@saved then "").
 * Returns 0, or EXIT_FAIL after a message (the policy unchanged).
 */
int policy_offline(const char *cmd, char *saved, size_t len)
{
	char path[4096];
	int err;

	memory_path(path, sizeof(path), "auto_online_blocks");
	err = -sysfs_read(path, saved, len);
	if (!err && !strcmp(saved, "offline")) {
		*saved = 0;
		return 0;
	}
	if (!err)
		err = -sysfs_write(path, "offline");
	if (err) {
		fprintf(stderr, "resmemctl %s: %s: %s (%s)\n", cmd, path,
			strerror(err), errname(err));
		return EXIT_FAIL;
	}
	return 0;
}

/* Put back the policy policy_offline() saved.  Returns 0 or EXIT_FAIL. */
int policy_restore(const char *cmd, const char *saved)
{
	char path[4096];
	int err;

	if (!*saved)
		return 0;
	memory_path(path, sizeof(path), "auto_online_blocks");
	err = -sysfs_write(path, saved);
	if (!err)
		return 0;
	fprintf(stderr,
		"resmemctl %s: %s: %s (%s): could not restore '%s'; it stays 'offline'\n",
		cmd, path, strerror(err), errname(err), saved);
	return EXIT_FAIL;
}

/*
 * Write "online_movable" to memoryN/state for the blocks @first to @last;
 * with @offline_only, only to those that exist and read "offline" (after
 * a failed un-lend, which adds removed blocks back offline).  Returns 0,
 * or EXIT_FAIL after a message naming the block that refused and its
 * errno (the blocks before it stay online).
 */
int online_movable(const char *cmd, uint64_t first, uint64_t last,
		   bool offline_only)
{
	char path[4096], file[64], state[64];
	uint64_t b;
	int err;

	for (b = first; b <= last; b++) {
		snprintf(file, sizeof(file), "memory%" PRIu64 "/state", b);
		memory_path(path, sizeof(path), file);
		if (offline_only &&
		    (sysfs_read(path, state, sizeof(state)) ||
		     strcmp(state, "offline")))
			continue;
		err = -sysfs_write(path, "online_movable");
		if (err) {
			fprintf(stderr,
				"resmemctl %s: memory block %" PRIu64
				" (%s) refused online_movable: %s (%s)\n",
				cmd, b, path, strerror(err), errname(err));
			return EXIT_FAIL;
		}
	}
	return 0;
}

/* why CMA_CREATE with RESMEM_CMA_SYSTEM failed with @err, or NULL */
static const char *lend_hint(int fd, int err)
{
	struct resmem_info info;

	switch (err) {
	case EBUSY:
		return "a page there is in use or in another region";
	case EEXIST:
		return "a region has that name";
	case EPERM:
		return "needs CAP_SYS_ADMIN";
	case EINVAL:
		if (!get_info(fd, &info, NULL) &&
		    !(info.features & RESMEM_FEAT_CMA_SYSTEM))
			return "this resmem module cannot lend to the system "
			       "(no RESMEM_FEAT_CMA_SYSTEM)";
		return "not block aligned, no such node, or a block came "
		       "online in a kernel zone";
	}
	return NULL;
}

/*
 * RESMEM_IOC_CMA_CREATE with RESMEM_CMA_SYSTEM of @c, the policy
 * "offline" around it.  Returns 0 or EXIT_FAIL after a message.
 */
static int lend_create(int fd, struct resmem_cma_create *c)
{
	char saved[64];
	int ret, err = 0;

	ret = policy_offline("cma lend", saved, sizeof(saved));
	if (ret)
		return ret;
	c->flags = RESMEM_CMA_SYSTEM;
	if (ioctl(fd, RESMEM_IOC_CMA_CREATE, c))
		err = errno;
	ret = policy_restore("cma lend", saved);
	if (err) {
		report_ioctl("cma lend", "RESMEM_IOC_CMA_CREATE", err,
			     lend_hint(fd, err));
		return EXIT_FAIL;
	}
	if (ret)
		cma_destroy_id(fd, "cma lend", c->id);
	return ret;
}

static void lend_print(FILE *out, const char *name,
		       const struct resmem_cma_create *c, uint64_t bs, bool json)
{
	uint64_t first = c->base / bs, last = (c->base + c->size) / bs - 1;

	if (json) {
		fprintf(out, "{\"id\":%u,\"name\":", c->id);
		json_str(out, name);
		fprintf(out,
			",\"base\":%" PRIu64 ",\"size\":%" PRIu64
			",\"block_size\":%" PRIu64 ",\"first_block\":%" PRIu64
			",\"last_block\":%" PRIu64 ",\"zone\":\"ZONE_MOVABLE\"}\n",
			(uint64_t)c->base, (uint64_t)c->size, bs, first, last);
		return;
	}
	fprintf(out, "created region %s id=%u\n", name, c->id);
	fprintf(out,
		"lent to the system: base=0x%" PRIx64 " size=%" PRIu64
		" memory blocks %" PRIu64 "-%" PRIu64 " ZONE_MOVABLE\n",
		(uint64_t)c->base, (uint64_t)c->size, first, last);
}

int cma_lend(struct ctl *ctl, const char *name, uint64_t size, uint64_t base,
	     int32_t node, bool json)
{
	struct resmem_cma_create c;
	uint64_t bs;
	int ret;

	memset(&c, 0, sizeof(c));
	if (strlen(name) >= sizeof(c.name)) {
		fprintf(stderr, "resmemctl cma lend: name longer than %zu characters\n",
			sizeof(c.name) - 1);
		return EXIT_USAGE;
	}
	ret = memory_block_size("cma lend", &bs);
	if (!ret)
		ret = lend_check("cma lend", size, base, bs);
	if (!ret)
		ret = ctl_open(ctl) ? EXIT_FAIL : 0;
	if (ret)
		return ret;
	strncpy(c.name, name, sizeof(c.name) - 1);
	c.size = size;
	c.base = base;
	c.node = node;
	ret = lend_create(ctl->fd, &c);
	if (ret)
		return ret;
	if (!c.base) {		/* placed by resmem */
		if (cma_region_base(ctl->fd, c.id, &base)) {
			cma_destroy_id(ctl->fd, "cma lend", c.id);
			return EXIT_FAIL;
		}
		c.base = base;
	}
	ret = online_movable("cma lend", c.base / bs,
			     (c.base + c.size) / bs - 1, false);
	if (ret) {
		cma_destroy_id(ctl->fd, "cma lend", c.id);
		return ret;
	}
	lend_print(ctl->out, name, &c, bs, json);
	return EXIT_OK;
}

/*
 * A size as the kernel's memparse() reads it: a number (0x for hex) and
 * an optional K, M, G or T (binary).  Returns 0 or -EINVAL.
 */
int parse_size(const char *s, uint64_t *v)
{
	static const char units[] = "KMGT";
	char num[32];
	size_t len = strlen(s);
	const char *u;
	int shift = 0;

	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	u = memchr(units, s[len - 1] & ~0x20, sizeof(units) - 1);
	if (u) {
		shift = 10 * (int)(u - units + 1);
		num[len - 1] = 0;
	}
	if (parse_u64(num, v))
		return -EINVAL;
	if (shift && *v > (UINT64_MAX >> shift))
		return -EINVAL;
	*v <<= shift;
	return 0;
}

/* SIZE[@BASE] into @size and @base (0 without @).  Returns 0 or -EINVAL. */
int parse_size_at(const char *s, uint64_t *size, uint64_t *base)
{
	char buf[64];
	char *at;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*base = 0;
	at = strchr(buf, '@');
	if (at) {
		*at = 0;
		if (parse_size(at + 1, base))
			return -EINVAL;
	}
	return parse_size(buf, size);
}
