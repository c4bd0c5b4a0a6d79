// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: the command-line tool for /dev/resmem.
 *
 *   resmemctl [--device PATH] info [--json]
 *
 * Every subcommand prints a table for people or, with --json, one JSON
 * object for scripts.  Exit status: 0 success, 1 the device or the kernel
 * refused, 2 bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <uapi/resmem.h>

#define DEFAULT_DEVICE	"/dev/resmem"
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static const char *device = DEFAULT_DEVICE;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: resmemctl [--device PATH] COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  info [--json]   ABI version, features, ranges and blocks\n"
		"\n"
		"options:\n"
		"  --device PATH   the resmem device (default %s, or $RESMEM_DEVICE)\n"
		"  -h, --help      this text\n",
		DEFAULT_DEVICE);
}

/* Open the device, or say plainly why not. */
static int open_device(void)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr,
			"resmemctl: %s: no such device: is the resmem module loaded? (insmod resmem.ko ranges=SIZE@BASE)\n",
			device);
		break;
	case EACCES:
	case EPERM:
		fprintf(stderr,
			"resmemctl: %s: permission denied: the device is root-only (mode 0600); run as root\n",
			device);
		break;
	default:
		fprintf(stderr, "resmemctl: %s: %s\n", device, strerror(errno));
	}
	return -1;
}

static void print_size(uint64_t bytes)
{
	static const char * const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < ARRAY_SIZE(unit)) {
		v /= 1024;
		u++;
	}
	printf("%.1f %s", v, unit[u]);
}

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ RESMEM_FEAT_BLOCK_INFO, "block-info" },
	{ RESMEM_FEAT_PHYS_ADDR, "phys-addr" },
	{ RESMEM_FEAT_DEBUGFS, "debugfs" },
};

static void print_features(uint64_t f, bool json)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(features); i++) {
		if (!(f & features[i].bit))
			continue;
		printf(json ? "%s\"%s\"" : "%s%s", sep, features[i].name);
		sep = json ? "," : " ";
		f &= ~features[i].bit;
	}
	if (f)
		printf(json ? "%s\"0x%" PRIx64 "\"" : "%s0x%" PRIx64, sep, f);
}

/* GET_INFO twice: once for the counts, once with room for every block. */
static int get_info(int fd, struct resmem_info *info,
		    struct resmem_block_info **blocks)
{
	uint32_t n;

	memset(info, 0, sizeof(*info));
	if (ioctl(fd, RESMEM_IOC_GET_INFO, info))
		return -errno;
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

static int cmd_info(int argc, char **argv)
{
	struct resmem_block_info *b = NULL;
	struct resmem_info info;
	bool json = false, phys;
	uint32_t i;
	int fd, ret;

	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else {
			fprintf(stderr, "resmemctl info: unknown argument '%s'\n",
				argv[i]);
			return 2;
		}
	}
	fd = open_device();
	if (fd < 0)
		return 1;
	ret = get_info(fd, &info, &b);
	close(fd);
	if (ret) {
		fprintf(stderr, "resmemctl: RESMEM_IOC_GET_INFO: %s\n",
			strerror(-ret));
		free(b);
		return 1;
	}
	phys = info.features & RESMEM_FEAT_PHYS_ADDR;

	if (json) {
		printf("{\"abi_version\":%u,\"features\":[", info.abi_version);
		print_features(info.features, true);
		printf("],\"page_size\":%u,\"nr_ranges\":%u,\"nr_blocks\":%u,"
		       "\"total_pages\":%" PRIu64 ",\"meta_pages\":%" PRIu64
		       ",\"meta_bytes\":%" PRIu64 ",\"blocks\":[",
		       info.page_size, info.nr_ranges, info.nr_blocks,
		       (uint64_t)info.total_pages, (uint64_t)info.meta_pages,
		       (uint64_t)info.meta_bytes);
		for (i = 0; i < info.nr_blocks; i++) {
			printf("%s{\"block\":%u,\"range\":%u,\"node\":%u,",
			       i ? "," : "", i, b[i].range, b[i].node);
			if (phys)
				printf("\"base\":%" PRIu64 ",",
				       (uint64_t)b[i].base);
			else
				printf("\"base\":null,");
			printf("\"size\":%" PRIu64 ",\"meta_pages\":%" PRIu64
			       "}", (uint64_t)b[i].size,
			       (uint64_t)b[i].meta_pages);
		}
		printf("]}\n");
		free(b);
		return 0;
	}

	printf("resmem ABI %u, page size %u\n", info.abi_version,
	       info.page_size);
	printf("features: ");
	print_features(info.features, false);
	printf("\nranges: %u, blocks: %u\n", info.nr_ranges, info.nr_blocks);
	printf("total: %" PRIu64 " pages (", (uint64_t)info.total_pages);
	print_size(info.total_pages * info.page_size);
	printf("), metadata: %" PRIu64 " pages (%.4f%%), %" PRIu64
	       " bytes used\n", (uint64_t)info.meta_pages,
	       info.total_pages ?
	       100.0 * info.meta_pages / info.total_pages : 0.0,
	       (uint64_t)info.meta_bytes);
	printf("\nblock range node base               size        meta_pages\n");
	for (i = 0; i < info.nr_blocks; i++) {
		printf("%-5u %-5u %-4u ", i, b[i].range, b[i].node);
		if (phys)
			printf("0x%016" PRIx64 " ", (uint64_t)b[i].base);
		else
			printf("%-18s ", "-");
		print_size(b[i].size);
		printf("%*s%" PRIu64 "\n", 4, "", (uint64_t)b[i].meta_pages);
	}
	if (!phys)
		printf("(physical addresses are shown to CAP_SYS_ADMIN only)\n");
	free(b);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{ "info", cmd_info },
};

int main(int argc, char **argv)
{
	const char *env = getenv("RESMEM_DEVICE");
	unsigned int i;
	int a = 1;

	if (env && *env)
		device = env;
	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[a], "--device") && a + 1 < argc) {
			device = argv[a + 1];
			a += 2;
			continue;
		}
		fprintf(stderr, "resmemctl: unknown option '%s'\n", argv[a]);
		usage(stderr);
		return 2;
	}
	if (a == argc) {
		usage(stderr);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[a], commands[i].name))
			return commands[i].fn(argc - a, argv + a);
	fprintf(stderr, "resmemctl: unknown command '%s'\n", argv[a]);
	usage(stderr);
	return 2;
}
