// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: the command table, the usage texts, the option parser every
 * command uses, and the commands info and help.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "resmemctl.h"

static int cmd_info(struct ctl *ctl, const struct command *cmd, int argc,
		    char **argv);
static int cmd_help(struct ctl *ctl, const struct command *cmd, int argc,
		    char **argv);

static const struct command commands[] = {
	{ "info", cmd_info, "[--json]",
	  "ABI version, features, ranges and blocks", NULL, 0 },
	{ "alloc", cmd_alloc,
	  "[--kind buddy|vcompound] --order N | --kind memarea --count N [--align A] [--offset O] [--policy P] [--node N] [--movable] [--strict-node] [--hold] [--json]",
	  "allocate 2^N (or N) pages; prints handle, size, mmap_offset, node, phys",
	  "An allocation belongs to the open device file that made it: run\n"
	  "standalone, resmemctl frees it when it exits.  --hold keeps it until\n"
	  "stdin is closed (Ctrl-D) or SIGINT/SIGTERM arrives; in a script it\n"
	  "lives until the script ends or frees it.\n"
	  "  --kind buddy     2^N pages from the buddy allocator (the default):\n"
	  "  --order N        at most the module's max_order\n"
	  "  --kind memarea   any number of contiguous pages:\n"
	  "  --count N        pages, at most a block\n"
	  "  --align A        the first page frame is a multiple of A (a power of\n"
	  "                   two, in pages) plus --offset O (below A)\n"
	  "  --policy P       first-fit (default), best-fit or least-frag\n"
	  "  --kind vcompound 2^N pages, contiguous when a block is free, else\n"
	  "                   pieces mapped in order (pieces=N says how many);\n"
	  "                   --order up to max_order + 8, not --movable\n"
	  "  --node N         preferred NUMA node (default: any, nearest first)\n"
	  "  --strict-node    only --node N, no fallback to other nodes\n"
	  "  --movable        from movable pageblocks (may be migrated)\n"
	  "phys is shown only to callers with CAP_SYS_ADMIN.\n", 0 },
	{ "free", cmd_free, "HANDLE [--json]",
	  "free an allocation of this open device (use in scripts)",
	  "Handles belong to the open device file: standalone, resmemctl has\n"
	  "just opened it and owns nothing, so the kernel refuses.  In a script\n"
	  "HANDLE may be $N (the N-th successful alloc) or $last.\n", 0 },
	{ "query", cmd_query, "HANDLE [--json]",
	  "show an allocation of this open device (use in scripts)",
	  "See free: meaningful in a script, where HANDLE may be $N or $last.\n",
	  0 },
	{ "fragment", cmd_fragment,
	  "every-other|random|stripe [--order N] [--count N] [--seed S] [--node N] [--movable] [--hold] [--json]",
	  "build a fragmentation pattern and hold it",
	  "  every-other  allocate order-N blocks (default 0) until the memory\n"
	  "               or --count runs out, free every other one\n"
	  "  random       the same, then free a random half (xorshift64*\n"
	  "               seeded with --seed, default 1: reproducible)\n"
	  "  stripe       holes of every order from N (default 0) to max_order:\n"
	  "               fill the memory with max_order blocks, give each\n"
	  "               order a share of them (--count N: N blocks each),\n"
	  "               refill each share with blocks of its order and free\n"
	  "               every other one, lowest order first\n"
	  "  --node N     only node N (strict)\n"
	  "  --movable    allocate movable\n"
	  "Every other one is by physical address when the caller may see it\n"
	  "(CAP_SYS_ADMIN), so that no two freed blocks are buddies; otherwise\n"
	  "in allocation order.  The pattern is held by the open device file:\n"
	  "standalone it is freed when resmemctl exits unless --hold is given\n"
	  "(until stdin closes or SIGINT/SIGTERM); in a script it stays.\n", 0 },
	{ "cma", cmd_cma,
	  "list | alloc REGION --count N [--align A] [--hold] | free HANDLE | create NAME --size BYTES [--base ADDR] [--node N] | destroy REGION | lend NAME SIZE[@BASE] [--node N] [--json]",
	  "CMA regions: list them, take and release contiguous buffers",
	  "REGION is a region's name or id.\n"
	  "  list      every region: id, name, node, base (CAP_SYS_ADMIN),\n"
	  "            size in bytes, pages used by buffers, lent to movable\n"
	  "            allocations (lent to the system: pages the system\n"
	  "            holds), the longest run not handed out, whether it is\n"
	  "            lent to the system and its memmap pages\n"
	  "  alloc     a buffer of N pages (aligned to A pages, a power of two):\n"
	  "            lent pages are migrated out of the way first\n"
	  "  free      release a buffer (in a script: $N or $last)\n"
	  "  create    a region at ADDR, or placed by resmem (on node N);\n"
	  "            CAP_SYS_ADMIN\n"
	  "  destroy   a region without buffers; CAP_SYS_ADMIN\n"
	  "  lend      a region lent to the whole system: SIZE bytes (K, M, G\n"
	  "            or T suffix) at BASE, or placed by resmem (on node N),\n"
	  "            both multiples of the memory block size; hot-added with\n"
	  "            auto_online_blocks set to offline meanwhile, then every\n"
	  "            block onlined to ZONE_MOVABLE; CAP_SYS_ADMIN.  Sysfs is\n"
	  "            $RESMEM_SYSFS (default /sys)\n", 0 },
	{ "stats", cmd_stats, "[--dir DIR] [--json]",
	  "debugfs counters, free blocks per order (buddyinfo), memarea, xcf",
	  "Reads DIR/stats, DIR/buddyinfo, DIR/memarea/stats, DIR/xcf/stats\n"
	  "and DIR/xcf/POOL/classes; DIR defaults to " DEBUGFS_DIR ".\n", 0 },
	{ "fragmap", cmd_fragmap,
	  "[--input FILE] [--png FILE] [--scale PX] [--color=auto|always|never] [--json]",
	  "the fragmentation map: coloured text, JSON or PNG",
	  "Reads " DEBUGFS_DIR "/fragmap, or FILE ('-': stdin).\n"
	  "  --png FILE     write a PNG: PX x PX pixels per map char (default 4),\n"
	  "                 a legend below\n"
	  "  --color WHEN   colour the text map (default auto: when stdout is a\n"
	  "                 terminal)\n", 0 },
	{ "script", cmd_script, "[--json] [--verbose] [FILE|-]",
	  "run commands from FILE or stdin on one open device",
	  "One command per line, as on the command line without 'resmemctl';\n"
	  "'#' starts a comment, quotes group words.  All lines share one open\n"
	  "device, so allocations persist from line to line until freed or the\n"
	  "script ends.  HANDLE can be the number alloc printed, $N (the handle\n"
	  "of the N-th successful alloc of the script) or $last.  Only in\n"
	  "scripts: write HANDLE BYTE, check HANDLE BYTE, sleep SECONDS,\n"
	  "echo TEXT, help.  A failing line stops the script with exit status 1\n"
	  "and a message naming the line, unless the line starts with '-'.\n"
	  "  --json      one JSON object: every step with its line and result\n"
	  "  --verbose   print each line before running it ('+ LINE', stderr)\n",
	  CMD_NO_SCRIPT },
	{ "shell", cmd_shell, "[--json] [--verbose]",
	  "script - with a 'resmem> ' prompt on a terminal",
	  "On a terminal a failing command does not end the shell; the exit\n"
	  "status is the last command's.  Otherwise it is 'script -'.\n",
	  CMD_NO_SCRIPT },
	{ "write", cmd_write, "HANDLE BYTE [--json]",
	  "fill an allocation with BYTE through mmap", NULL, CMD_SCRIPT_ONLY },
	{ "check", cmd_check, "HANDLE BYTE [--json]",
	  "fail unless every byte of an allocation is BYTE", NULL,
	  CMD_SCRIPT_ONLY },
	{ "sleep", cmd_sleep, "SECONDS",
	  "wait (fractions allowed)", NULL, CMD_SCRIPT_ONLY },
	{ "echo", cmd_echo, "TEXT...", "print TEXT", NULL, CMD_SCRIPT_ONLY },
	{ "help", cmd_help, "", "this list", NULL, CMD_SCRIPT_ONLY },
};

const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static void list_commands(FILE *f, bool script)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *c = &commands[i];

		if (!!(c->flags & CMD_SCRIPT_ONLY) != script)
			continue;
		fprintf(f, "  %-9s %s\n", c->name, c->help);
	}
}

void usage(FILE *f)
{
	fprintf(f,
		"usage: resmemctl [--device PATH] COMMAND [ARGS]\n"
		"\n"
		"commands:\n");
	list_commands(f, false);
	fprintf(f,
		"\n"
		"only inside script and shell:\n");
	list_commands(f, true);
	fprintf(f,
		"\n"
		"'resmemctl COMMAND --help' describes a command.  Every command\n"
		"takes --json and then prints one JSON object (echo and help: under\n"
		"script --json).\n"
		"\n"
		"Allocations belong to the open device: a standalone alloc or\n"
		"fragment is freed when resmemctl exits (unless --hold); a script\n"
		"keeps one device open for all its lines.\n"
		"\n"
		"options:\n"
		"  --device PATH   the resmem device (default %s, or $RESMEM_DEVICE)\n"
		"  -h, --help      this text\n"
		"\n"
		"exit status: 0 success, 1 the device, the kernel or a file refused\n"
		"(a message says which), 2 bad usage.\n",
		DEFAULT_DEVICE);
}

void command_usage(const struct command *cmd, FILE *f)
{
	fprintf(f, "usage: resmemctl %s%s%s\n%s\n", cmd->name,
		*cmd->args ? " " : "", cmd->args, cmd->help);
	if (cmd->details)
		fprintf(f, "\n%s", cmd->details);
}

/* Decimal, or hexadecimal with 0x; nothing else (no sign, no blanks). */
int parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (base == 16 ? !isxdigit((unsigned char)*s) :
			 !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

static int bad_usage(const struct command *cmd)
{
	fprintf(stderr, "usage: resmemctl %s%s%s\n", cmd->name,
		*cmd->args ? " " : "", cmd->args);
	return EXIT_USAGE;
}

static int set_opt(const struct command *cmd, const struct opt *o,
		   const char *val)
{
	uint64_t v = 0;

	if (o->type == OPT_STR) {
		*(const char **)o->val = val;
		return 0;
	}
	if (parse_u64(val, &v) ||
	    (o->type == OPT_U32 && v > UINT32_MAX) ||
	    (o->type == OPT_NODE && v > INT32_MAX)) {
		fprintf(stderr, "resmemctl %s: %s: '%s' is not a number%s\n",
			cmd->name, o->name, val,
			o->type == OPT_U64 ? "" : " in range");
		return EXIT_USAGE;
	}
	if (o->type == OPT_U32)
		*(uint32_t *)o->val = v;
	else if (o->type == OPT_NODE)
		*(int32_t *)o->val = v;
	else
		*(uint64_t *)o->val = v;
	return 0;
}

/*
 * Option @o at argv[*@i]: a flag, or its value after '=' (@eq) or in the
 * next word (then *@i moves on).  EXIT_USAGE after a message.
 */
static int take_opt(const struct command *cmd, const struct opt *o,
		    const char *eq, int argc, char **argv, int *i)
{
	if (o->type == OPT_FLAG) {
		if (eq) {
			fprintf(stderr, "resmemctl %s: %s takes no value\n",
				cmd->name, o->name);
			return EXIT_USAGE;
		}
		*(bool *)o->val = true;
		return 0;
	}
	if (eq)
		return set_opt(cmd, o, eq + 1);
	if (*i + 1 < argc)
		return set_opt(cmd, o, argv[++*i]);
	fprintf(stderr, "resmemctl %s: %s needs a value\n", cmd->name,
		o->name);
	return EXIT_USAGE;
}

/* Where "COMMAND --help" goes: the output of the command being run. */
static FILE *help_out;

int parse_args(const struct command *cmd, int argc, char **argv,
	       const struct opt *opts, size_t nr_opts,
	       char **pos, int min_pos, int max_pos, int *nr_pos)
{
	bool dashdash = false;
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct opt *o = NULL;
		size_t len, j;

		if (dashdash || a[0] != '-' || !a[1]) {
			if (n >= max_pos) {
				fprintf(stderr,
					"resmemctl %s: unexpected argument '%s'\n",
					cmd->name, a);
				return bad_usage(cmd);
			}
			pos[n++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			command_usage(cmd, help_out ? help_out : stdout);
			return -1;
		}
		eq = strchr(a, '=');
		len = eq ? (size_t)(eq - a) : strlen(a);
		for (j = 0; j < nr_opts; j++) {
			if (strlen(opts[j].name) == len &&
			    !strncmp(opts[j].name, a, len)) {
				o = &opts[j];
				break;
			}
		}
		if (!o) {
			fprintf(stderr, "resmemctl %s: unknown option '%.*s'\n",
				cmd->name, (int)len, a);
			return bad_usage(cmd);
		}
		if (take_opt(cmd, o, eq, argc, argv, &i))
			return bad_usage(cmd);
		if (o->given)
			*o->given = true;
	}
	if (n < min_pos) {
		fprintf(stderr, "resmemctl %s: missing argument\n", cmd->name);
		return bad_usage(cmd);
	}
	if (nr_pos)
		*nr_pos = n;
	return 0;
}

/* Run one command line (argv[0] is the command) with the shared state. */
int run_command(struct ctl *ctl, int argc, char **argv)
{
	const struct command *cmd = find_command(argv[0]);

	if (!cmd) {
		fprintf(stderr, "resmemctl: unknown command '%s'%s\n", argv[0],
			ctl->script ? " (try 'help')" : "");
		if (!ctl->script)
			usage(stderr);
		return EXIT_USAGE;
	}
	if ((cmd->flags & CMD_SCRIPT_ONLY) && !ctl->script) {
		fprintf(stderr,
			"resmemctl: '%s' works only inside a script (resmemctl script FILE, or resmemctl shell)\n",
			cmd->name);
		return EXIT_USAGE;
	}
	if ((cmd->flags & CMD_NO_SCRIPT) && ctl->script) {
		fprintf(stderr, "resmemctl: '%s' cannot run inside a script\n",
			cmd->name);
		return EXIT_USAGE;
	}
	help_out = ctl->out;
	return cmd->fn(ctl, cmd, argc, argv);
}

static const struct {
	uint64_t bit;
	const char *name;
} features[] = {
	{ RESMEM_FEAT_BLOCK_INFO, "block-info" },
	{ RESMEM_FEAT_PHYS_ADDR, "phys-addr" },
	{ RESMEM_FEAT_DEBUGFS, "debugfs" },
	{ RESMEM_FEAT_BUDDY, "buddy" },
	{ RESMEM_FEAT_MEMAREA, "memarea" },
};

static void print_features(FILE *f, uint64_t feat, bool json)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(features); i++) {
		if (!(feat & features[i].bit))
			continue;
		fprintf(f, json ? "%s\"%s\"" : "%s%s", sep, features[i].name);
		sep = json ? "," : " ";
		feat &= ~features[i].bit;
	}
	if (feat)
		fprintf(f, json ? "%s\"0x%" PRIx64 "\"" : "%s0x%" PRIx64, sep,
			feat);
}

static void info_json(FILE *f, const struct resmem_info *info,
		      const struct resmem_block_info *b)
{
	bool phys = info->features & RESMEM_FEAT_PHYS_ADDR;
	uint32_t i;

	fprintf(f, "{\"abi_version\":%u,\"features\":[", info->abi_version);
	print_features(f, info->features, true);
	fprintf(f, "],\"page_size\":%u,\"nr_ranges\":%u,\"nr_blocks\":%u,"
		"\"total_pages\":%" PRIu64 ",\"meta_pages\":%" PRIu64
		",\"meta_bytes\":%" PRIu64 ",\"max_order\":%u,\"pb_order\":%u,"
		"\"blocks\":[",
		info->page_size, info->nr_ranges, info->nr_blocks,
		(uint64_t)info->total_pages, (uint64_t)info->meta_pages,
		(uint64_t)info->meta_bytes, info->max_order, info->pb_order);
	for (i = 0; i < info->nr_blocks; i++) {
		fprintf(f, "%s{\"block\":%u,\"range\":%u,\"node\":%u,",
			i ? "," : "", i, b[i].range, b[i].node);
		if (phys)
			fprintf(f, "\"base\":%" PRIu64 ",", (uint64_t)b[i].base);
		else
			fprintf(f, "\"base\":null,");
		fprintf(f, "\"size\":%" PRIu64 ",\"meta_pages\":%" PRIu64 "}",
			(uint64_t)b[i].size, (uint64_t)b[i].meta_pages);
	}
	fprintf(f, "]}\n");
}

static void info_text(FILE *f, const struct resmem_info *info,
		      const struct resmem_block_info *b)
{
	bool phys = info->features & RESMEM_FEAT_PHYS_ADDR;
	uint32_t i;

	fprintf(f, "resmem ABI %u, page size %u\n", info->abi_version,
		info->page_size);
	fprintf(f, "features: ");
	print_features(f, info->features, false);
	fprintf(f, "\nranges: %u, blocks: %u\n", info->nr_ranges,
		info->nr_blocks);
	fprintf(f, "total: %" PRIu64 " pages (", (uint64_t)info->total_pages);
	print_size(f, info->total_pages * info->page_size);
	fprintf(f, "), metadata: %" PRIu64 " pages (%.4f%%), %" PRIu64
		" bytes used\n", (uint64_t)info->meta_pages,
		info->total_pages ?
		100.0 * info->meta_pages / info->total_pages : 0.0,
		(uint64_t)info->meta_bytes);
	if (info->features & RESMEM_FEAT_BUDDY) {
		fprintf(f, "buddy: max order %u (", info->max_order);
		print_size(f, (uint64_t)info->page_size << info->max_order);
		fprintf(f, "), pageblock order %u\n", info->pb_order);
	}
	fprintf(f, "\nblock range node base               size        meta_pages\n");
	for (i = 0; i < info->nr_blocks; i++) {
		fprintf(f, "%-5u %-5u %-4u ", i, b[i].range, b[i].node);
		if (phys)
			fprintf(f, "0x%016" PRIx64 " ", (uint64_t)b[i].base);
		else
			fprintf(f, "%-18s ", "-");
		print_size(f, b[i].size);
		fprintf(f, "%*s%" PRIu64 "\n", 4, "",
			(uint64_t)b[i].meta_pages);
	}
	if (!phys)
		fprintf(f, "(physical addresses are shown to CAP_SYS_ADMIN only)\n");
}

static int cmd_info(struct ctl *ctl, const struct command *cmd, int argc,
		    char **argv)
{
	struct resmem_block_info *b = NULL;
	struct resmem_info info;
	bool json = ctl->force_json;
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &json, NULL },
	};
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), NULL, 0, 0,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (ctl_open(ctl))
		return EXIT_FAIL;
	ret = get_info(ctl->fd, &info, &b);
	if (ret) {
		fprintf(stderr, "resmemctl: RESMEM_IOC_GET_INFO: %s\n",
			strerror(-ret));
		free(b);
		return EXIT_FAIL;
	}
	if (json)
		info_json(ctl->out, &info, b);
	else
		info_text(ctl->out, &info, b);
	free(b);
	return EXIT_OK;
}

static int cmd_help(struct ctl *ctl, const struct command *cmd, int argc,
		    char **argv)
{
	char *pos[1];
	int ret, n;

	ret = parse_args(cmd, argc, argv, NULL, 0, pos, 0, 1, &n);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (n) {
		const struct command *c = find_command(pos[0]);

		if (!c) {
			fprintf(stderr, "resmemctl help: no command '%s'\n",
				pos[0]);
			return EXIT_USAGE;
		}
		command_usage(c, ctl->out);
		return EXIT_OK;
	}
	if (ctl->force_json) {
		size_t i;

		fprintf(ctl->out, "{\"commands\":[");
		for (i = 0; i < ARRAY_SIZE(commands); i++) {
			fprintf(ctl->out, "%s{\"name\":", i ? "," : "");
			json_str(ctl->out, commands[i].name);
			fprintf(ctl->out, ",\"args\":");
			json_str(ctl->out, commands[i].args);
			fprintf(ctl->out, ",\"help\":");
			json_str(ctl->out, commands[i].help);
			fputc('}', ctl->out);
		}
		fprintf(ctl->out, "]}\n");
		return EXIT_OK;
	}
	fprintf(ctl->out, "commands:\n");
	list_commands(ctl->out, false);
	fprintf(ctl->out, "only in scripts:\n");
	list_commands(ctl->out, true);
	return EXIT_OK;
}
