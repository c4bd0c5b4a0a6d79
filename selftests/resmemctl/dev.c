// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: the device.  Opening it (with a plain reason when that fails),
 * the ioctls, and the kernel's errors printed with their names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "resmemctl.h"

/* Open the device once per run, or say plainly why not. */
int ctl_open(struct ctl *ctl)
{
	if (ctl->fd >= 0)
		return 0;
	ctl->fd = open(ctl->device, O_RDWR | O_CLOEXEC);
	if (ctl->fd >= 0)
		return 0;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr,
			"resmemctl: %s: no such device: is the resmem module loaded? (insmod resmem.ko ranges=SIZE@BASE)\n",
			ctl->device);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"resmemctl: %s: permission denied: the device is root-only (mode 0600); run as root\n",
			ctl->device);
		break;
	default:
		fprintf(stderr, "resmemctl: %s: %s\n", ctl->device,
			strerror(errno));
	}
	return -1;
}

/* Closing the device frees every allocation made through it. */
void ctl_close(struct ctl *ctl)
{
	if (ctl->fd >= 0)
		close(ctl->fd);
	ctl->fd = -1;
}

/* "ENOENT" for ENOENT: the name the kernel sources use. */
const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "unknown errno";
}

void report_ioctl(const char *cmd, const char *what, int err,
		  const char *hint)
{
	fprintf(stderr, "resmemctl %s: %s: %s (%s)%s%s\n", cmd, what,
		strerror(err), errname(err), hint ? ": " : "",
		hint ? hint : "");
}

/* GET_INFO twice: once for the counts, once with room for every block. */
int get_info(int fd, struct resmem_info *info,
	     struct resmem_block_info **blocks)
{
	uint32_t n;

	if (blocks)
		*blocks = NULL;
	memset(info, 0, sizeof(*info));
	if (ioctl(fd, RESMEM_IOC_GET_INFO, info))
		return -errno;
	if (!blocks)
		return 0;
	n = info->nr_blocks;
	*blocks = calloc(n ? n : 1, sizeof(**blocks));
	if (!*blocks)
		return -ENOMEM;
	memset(info, 0, sizeof(*info));
	info->nr_blocks = n;
	info->block_size = sizeof(**blocks);
	info->blocks_ptr = (uintptr_t)*blocks;
	if (ioctl(fd, RESMEM_IOC_GET_INFO, info))
		return -errno;
	if (info->nr_blocks > n)	/* cannot change while loaded */
		return -EAGAIN;
	return 0;
}

int dev_alloc_raw(int fd, struct resmem_alloc *a)
{
	return ioctl(fd, RESMEM_IOC_ALLOC, a) ? -errno : 0;
}

int dev_alloc(int fd, uint32_t order, int32_t node, uint32_t flags,
	      struct resmem_alloc *a)
{
	memset(a, 0, sizeof(*a));
	a->kind = RESMEM_KIND_BUDDY;
	a->flags = flags;
	a->order = order;
	a->node = node;
	return dev_alloc_raw(fd, a);
}

int dev_free(int fd, uint64_t handle)
{
	struct resmem_free f = { .handle = handle };

	return ioctl(fd, RESMEM_IOC_FREE, &f) ? -errno : 0;
}

int dev_query(int fd, uint64_t handle, struct resmem_query *q)
{
	memset(q, 0, sizeof(*q));
	q->handle = handle;
	return ioctl(fd, RESMEM_IOC_QUERY, q) ? -errno : 0;
}

void print_size(FILE *f, uint64_t bytes)
{
	static const char * const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	fprintf(f, "%.1f %s", v, unit[u]);
}
