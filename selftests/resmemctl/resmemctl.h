/* SPDX-License-Identifier: GPL-2.0 */
/*
 * resmemctl: shared declarations of the command-line tool for /dev/resmem.
 *
 *   main.c      main: global options, one command
 *   commands.c  the command table, usage, the option parser, info, help
 *   dev.c       the device: open, the ioctls, error messages
 *   alloc.c     alloc, free, query, write, check, --hold
 *   script.c    script, shell: many commands on one open device
 *   fragment.c  fragmentation patterns
 *   stats.c     debugfs stats, buddyinfo, memarea/ and xcf/
 *   fragmap.c   the fragmentation map: parser, text, JSON
 *   png.c       the fragmentation map as a PNG
 *   json.c      JSON output helpers
 *   cma.c       cma: list, alloc, free, create, destroy
 *   lend.c      cma lend: a region lent to the system, memory hotplug sysfs
 */
#ifndef RESMEMCTL_H
#define RESMEMCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uapi/resmem.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit statuses of every command. */
#define EXIT_OK		0
#define EXIT_FAIL	1	/* the device, the kernel or a file refused */
#define EXIT_USAGE	2	/* bad command line */

#define DEFAULT_DEVICE	"/dev/resmem"
#define DEBUGFS_MNT	"/sys/kernel/debug"
#define DEBUGFS_DIR	DEBUGFS_MNT "/resmem"

/* State shared by the commands of one run (one command, or a script). */
struct ctl {
	const char *device;
	int fd;			/* the open device, or -1 until needed */
	bool script;		/* inside script/shell: the fd outlives commands */
	bool force_json;	/* script --json: every command prints JSON */
	FILE *out;		/* where results go (stdout, or a step buffer) */
	/* handles of the successful allocs of a script, for $N and $last */
	uint64_t *handles;
	size_t nr_handles, cap_handles;
};

struct command;
typedef int (*command_fn)(struct ctl *ctl, const struct command *cmd,
			  int argc, char **argv);

#define CMD_SCRIPT_ONLY	(1U << 0)	/* only inside script/shell */
#define CMD_NO_SCRIPT	(1U << 1)	/* not inside script/shell */

struct command {
	const char *name;
	command_fn fn;
	const char *args;	/* synopsis after the name */
	const char *help;	/* one line for the command list */
	const char *details;	/* more lines for "COMMAND --help", or NULL */
	unsigned int flags;
};

/* commands.c: the command table and the shared option parser */
const struct command *find_command(const char *name);
int run_command(struct ctl *ctl, int argc, char **argv);
void usage(FILE *f);
void command_usage(const struct command *cmd, FILE *f);

enum opt_type {
	OPT_FLAG,	/* bool */
	OPT_U32,	/* uint32_t */
	OPT_U64,	/* uint64_t */
	OPT_NODE,	/* int32_t, 0..INT32_MAX */
	OPT_STR,	/* const char * */
};

struct opt {
	const char *name;	/* "--order" */
	enum opt_type type;
	void *val;
	bool *given;		/* optional: set when the option is present */
};

/*
 * Parse argv[1..argc-1] of a command: options of @opts (as "--name VALUE"
 * or "--name=VALUE"), -h/--help, and between @min_pos and @max_pos
 * positional arguments stored in @pos.  Returns 0, EXIT_USAGE after a
 * message, or -1 when the command's help was printed.
 */
int parse_args(const struct command *cmd, int argc, char **argv,
	       const struct opt *opts, size_t nr_opts,
	       char **pos, int min_pos, int max_pos, int *nr_pos);
int parse_u64(const char *s, uint64_t *v);

/* dev.c */
int ctl_open(struct ctl *ctl);
void ctl_close(struct ctl *ctl);
const char *errname(int err);
void report_ioctl(const char *cmd, const char *what, int err,
		  const char *hint);
int get_info(int fd, struct resmem_info *info,
	     struct resmem_block_info **blocks);
int dev_alloc_raw(int fd, struct resmem_alloc *a);
int dev_alloc(int fd, uint32_t order, int32_t node, uint32_t flags,
	      struct resmem_alloc *a);
int dev_free(int fd, uint64_t handle);
int dev_query(int fd, uint64_t handle, struct resmem_query *q);
void print_size(FILE *f, uint64_t bytes);

/* alloc.c */
int resolve_handle(struct ctl *ctl, const char *cmd, const char *s,
		   uint64_t *handle);
int hold(const char *what);
int remember_handle(struct ctl *ctl, uint64_t handle);
int cmd_alloc(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);
int cmd_free(struct ctl *ctl, const struct command *cmd, int argc,
	     char **argv);
int cmd_query(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);
int cmd_write(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);
int cmd_check(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);

/* cma.c */
int cmd_cma(struct ctl *ctl, const struct command *cmd, int argc,
	    char **argv);
int cma_region_base(int fd, uint32_t id, uint64_t *base);
void cma_destroy_id(int fd, const char *cmd, uint32_t id);

/* lend.c: $RESMEM_SYSFS (default /sys) and its devices/system/memory/ */
const char *sysfs_root(void);
int sysfs_read(const char *path, char *buf, size_t len);
int sysfs_write(const char *path, const char *s);
int memory_block_size(const char *cmd, uint64_t *bs);
int lend_check(const char *cmd, uint64_t size, uint64_t base, uint64_t bs);
int policy_offline(const char *cmd, char *saved, size_t len);
int policy_restore(const char *cmd, const char *saved);
int online_movable(const char *cmd, uint64_t first, uint64_t last,
		   bool offline_only);
int parse_size(const char *s, uint64_t *v);
int parse_size_at(const char *s, uint64_t *size, uint64_t *base);
int cma_lend(struct ctl *ctl, const char *name, uint64_t size, uint64_t base,
	     int32_t node, bool json);

/* script.c */
int cmd_script(struct ctl *ctl, const struct command *cmd, int argc,
	       char **argv);
int cmd_shell(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);
int cmd_sleep(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);
int cmd_echo(struct ctl *ctl, const struct command *cmd, int argc,
	     char **argv);
/* Split a script line into words; returns NULL with @err set on error. */
char **split_words(const char *line, int *argc, const char **err);
void free_words(char **argv, int argc);

/* fragment.c */
int cmd_fragment(struct ctl *ctl, const struct command *cmd, int argc,
		 char **argv);
uint64_t xorshift64s(uint64_t *state);

/* stats.c */
struct stat_kv {
	char *key;
	uint64_t value;
	char *text;		/* the value, when not an unsigned integer */
};

#define BUDDY_MAX_ORDERS	64

struct buddy_zone {
	uint32_t node;
	char zone[32];
	unsigned int nr_orders;
	uint64_t free[BUDDY_MAX_ORDERS];
};

int parse_stats(FILE *f, const char *name, struct stat_kv **kv, size_t *nr,
		char *err, size_t errlen);
void free_stats(struct stat_kv *kv, size_t nr);

/*
 * A table of debugfs xcf/: a header line of column names, then rows of
 * numbers (in xcf/stats the first column is the pool's name).
 */
#define XCF_MAX_COLS	16

struct xcf_table {
	unsigned int ncols;
	char *col[XCF_MAX_COLS];
	size_t nrows;
	uint64_t (*row)[XCF_MAX_COLS];
	char **name;		/* xcf/stats: each row's pool */
};

/* xcf/stats: its "key: value" lines and its pool table */
struct xcf_stats {
	struct stat_kv *kv;
	size_t nkv;
	struct xcf_table pools;
};

/* xcf/<pool>/classes: one row per class, and the Total line */
struct xcf_classes {
	struct xcf_table classes;
	bool summed[XCF_MAX_COLS];	/* the columns Total has */
	uint64_t total[XCF_MAX_COLS];
};

int parse_xcf_stats(FILE *f, const char *name, struct xcf_stats *xs,
		    char *err, size_t errlen);
void free_xcf_stats(struct xcf_stats *xs);
int parse_xcf_classes(FILE *f, const char *name, struct xcf_classes *xc,
		      char *err, size_t errlen);
void free_xcf_classes(struct xcf_classes *xc);
int parse_buddyinfo(FILE *f, const char *name, struct buddy_zone **z,
		    size_t *nr, char *err, size_t errlen);
int open_debugfs(const char *cmd, const char *dir, const char *file,
		 FILE **f);
int cmd_stats(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv);

/* fragmap.c */
struct fm_block {
	uint32_t block, range, node;
	uint64_t base, end;	/* [base, end] as the header line gives it */
	uint64_t pages;
	char *map;		/* one char per scale_pages pages, NUL-ended */
	size_t len, cap;
};

struct fragmap {
	uint32_t scale_pages;	/* pages per char */
	uint32_t width;		/* chars per line */
	uint64_t page_size;	/* from "N pages (X KiB)" */
	struct fm_block *blocks;
	size_t nr_blocks;
};

struct fm_class {
	char c;
	const char *name;	/* for JSON and the text legend */
	const char *label;	/* PNG legend, upper case */
	uint8_t rgb[3];
	uint8_t ansi;		/* 256-colour terminal code */
	uint8_t tenths_free;	/* 10 free, 0 used; digits: their value */
};

int fragmap_parse(FILE *f, const char *name, struct fragmap *fm,
		  char *err, size_t errlen);
void fragmap_free(struct fragmap *fm);
const struct fm_class *fm_class_of(char c);
extern const struct fm_class fm_classes[];
extern const size_t fm_nr_classes;
void fm_colour(char c, uint8_t rgb[3]);
uint64_t fm_free_pages(const struct fragmap *fm, const struct fm_block *b);
size_t fm_largest_free_run(const struct fm_block *b);
int cmd_fragmap(struct ctl *ctl, const struct command *cmd, int argc,
		char **argv);

/* png.c */
int fragmap_png(const struct fragmap *fm, const char *path, unsigned int px,
		unsigned int *width, unsigned int *height,
		char *err, size_t errlen);

/* json.c */
void json_str(FILE *f, const char *s);
void json_strn(FILE *f, const char *s, size_t n);

#endif /* RESMEMCTL_H */
