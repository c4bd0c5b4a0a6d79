// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: script and shell.  Every line is a command as on the command
 * line, all run on one open device so that allocations persist from line to
 * line.  Words are split at blanks; '...' quotes literally, "..." quotes
 * with \" and \\ escapes, a backslash outside quotes escapes the next
 * character, and '#' at the start of a word starts a comment.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "resmemctl.h"

void free_words(char **argv, int argc)
{
	int i;

	if (!argv)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/*
 * The word at *@pp into @w (room for the rest of the line), its quotes
 * and escapes undone; *@pp moves past it.  NULL, or what is wrong.
 */
static const char *read_word(const char **pp, char *w)
{
	const char *p = *pp;
	size_t wl = 0;

	while (*p && !isspace((unsigned char)*p)) {
		if (*p == '\'') {
			for (p++; *p && *p != '\''; )
				w[wl++] = *p++;
			if (!*p)
				return "unterminated '...' quote";
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; ) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				w[wl++] = *p++;
			}
			if (!*p)
				return "unterminated \"...\" quote";
			p++;
		} else if (*p == '\\' && p[1]) {
			p++;
			w[wl++] = *p++;
		} else {
			w[wl++] = *p++;
		}
	}
	w[wl] = '\0';
	*pp = p;
	return NULL;
}

char **split_words(const char *line, int *argc, const char **err)
{
	size_t len = strlen(line);
	char **argv = NULL, *w;
	int n = 0, cap = 0;
	const char *p = line;

	*err = NULL;
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		w = malloc(len + 1);
		if (!w) {
			*err = "out of memory";
			goto fail;
		}
		*err = read_word(&p, w);
		if (*err)
			goto fail_word;
		if (n + 1 >= cap) {
			char **a;

			cap = cap ? 2 * cap : 8;
			a = realloc(argv, cap * sizeof(*a));
			if (!a) {
				*err = "out of memory";
				goto fail_word;
			}
			argv = a;
		}
		argv[n++] = w;
		argv[n] = NULL;
	}
	if (!argv) {
		argv = calloc(1, sizeof(*argv));
		if (!argv) {
			*err = "out of memory";
			return NULL;
		}
	}
	*argc = n;
	return argv;
fail_word:
	free(w);
fail:
	free_words(argv, n);
	return NULL;
}

/* The line without its end of line, for messages. */
static void chomp(char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/*
 * The output of one step, as the value of "result": a command run under
 * --json prints one object; anything else is kept as a string.
 */
static void json_result(FILE *f, char *buf, size_t len)
{
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	if (!len)
		fputs("null", f);
	else if (buf[0] == '{' && buf[len - 1] == '}' && !memchr(buf, '\n', len))
		fwrite(buf, 1, len, f);
	else
		json_strn(f, buf, len);
}

struct script_opts {
	const char *name;	/* for messages: the file, or "stdin" */
	bool json, verbose, interactive;
};

/* One run of a script: where it is, and what --json has printed. */
struct script_run {
	const struct script_opts *o;
	unsigned long lineno;
	unsigned long failed;	/* the line that stopped it, or 0 */
	bool first;		/* no step printed yet */
};

/* What script_line() returns besides a command's exit status. */
#define STEP_BLANK	(-1)	/* nothing to run on this line */
#define STEP_ABORT	(-2)	/* the script cannot go on */

/*
 * The words of @line, without a leading '-' (then *@ignore: the line may
 * fail).  NULL after a message when the line cannot be split or is a '-'
 * alone.
 */
static char **script_words(const struct script_run *st, const char *line,
			   int *argc, bool *ignore)
{
	const char *err;
	char **argv;

	argv = split_words(line, argc, &err);
	if (!argv) {
		fprintf(stderr, "resmemctl: %s:%lu: %s\n", st->o->name,
			st->lineno, err);
		return NULL;
	}
	if (!*argc || argv[0][0] != '-')
		return argv;
	*ignore = true;
	if (argv[0][1]) {
		memmove(argv[0], argv[0] + 1, strlen(argv[0]));
		return argv;
	}
	free(argv[0]);
	memmove(argv, argv + 1, *argc * sizeof(*argv));
	if (--*argc)
		return argv;
	fprintf(stderr, "resmemctl: %s:%lu: '-' without a command\n",
		st->o->name, st->lineno);
	free_words(argv, *argc);
	return NULL;
}

/* --json: the step's object, its output @buf as its "result" */
static void step_json(struct script_run *st, const char *cmd, int rc,
		      bool ignore, char *buf, size_t blen)
{
	printf("%s{\"line\":%lu,\"command\":", st->first ? "" : ",",
	       st->lineno);
	json_str(stdout, cmd);
	printf(",\"status\":%d,\"ignored\":%s,\"result\":", rc,
	       rc && ignore ? "true" : "false");
	json_result(stdout, buf, blen);
	putchar('}');
	st->first = false;
}

/* Run one command; under --json its output is caught for step_json(). */
static int script_step(struct ctl *ctl, struct script_run *st, int argc,
		       char **argv, bool ignore)
{
	char *buf = NULL;
	size_t blen = 0;
	int rc;

	if (st->o->json) {
		ctl->out = open_memstream(&buf, &blen);
		if (!ctl->out) {
			perror("resmemctl: open_memstream");
			ctl->out = stdout;
			return STEP_ABORT;
		}
	}
	rc = run_command(ctl, argc, argv);
	if (st->o->json) {
		fclose(ctl->out);
		ctl->out = stdout;
		step_json(st, argv[0], rc, ignore, buf, blen);
		free(buf);
	}
	fflush(stdout);
	return rc;
}

/* A line: its exit status, STEP_BLANK or STEP_ABORT. */
static int script_line(struct ctl *ctl, struct script_run *st,
		       const char *line, bool *ignore)
{
	char **argv;
	int argc, rc;

	argv = script_words(st, line, &argc, ignore);
	if (!argv)
		return EXIT_USAGE;
	if (!argc) {
		free_words(argv, argc);
		return STEP_BLANK;
	}
	if (st->o->verbose)
		fprintf(stderr, "+ %s\n", line);
	rc = script_step(ctl, st, argc, argv, *ignore);
	free_words(argv, argc);
	return rc;
}

/* Line @line failed with @rc: whether the script stops, said on stderr. */
static bool script_stops(struct script_run *st, const char *line, int rc,
			 bool ignore)
{
	if (ignore) {
		fprintf(stderr,
			"resmemctl: %s:%lu: failed (exit %d), ignored ('-')\n",
			st->o->name, st->lineno, rc);
		return false;
	}
	if (st->o->interactive)
		return false;
	fprintf(stderr, "resmemctl: %s:%lu: '%s' failed (exit %d); stopping\n",
		st->o->name, st->lineno, line, rc);
	st->failed = st->lineno;
	return true;
}

static void script_begin(struct ctl *ctl, const struct script_opts *o)
{
	ctl->script = true;
	ctl->force_json = o->json;
	if (o->json) {
		printf("{\"script\":");
		json_str(stdout, o->name);
		printf(",\"steps\":[");
	}
}

/* The script's status, from @status so far and the @last command's. */
static int script_end(struct ctl *ctl, const struct script_run *st,
		      FILE *in, int status, int last)
{
	const struct script_opts *o = st->o;

	if (ferror(in)) {
		fprintf(stderr, "resmemctl: %s: read error after line %lu: %s\n",
			o->name, st->lineno, strerror(errno));
		status = EXIT_FAIL;
	}
	if (o->interactive) {
		fputc('\n', stderr);
		if (status == EXIT_OK)
			status = last;
	}
	if (o->json) {
		printf("],\"lines\":%lu,\"status\":%d,\"failed_line\":",
		       st->lineno, status);
		if (st->failed)
			printf("%lu", st->failed);
		else
			printf("null");
		printf(",\"allocations\":%zu}\n", ctl->nr_handles);
	}
	ctl->script = false;
	ctl->force_json = false;
	return status;
}

static int run_script(struct ctl *ctl, FILE *in, const struct script_opts *o)
{
	struct script_run st = { .o = o, .first = true };
	int status = EXIT_OK, last = EXIT_OK;
	char *line = NULL;
	size_t cap = 0;

	script_begin(ctl, o);
	for (;;) {
		bool ignore = false;
		int rc;

		if (o->interactive) {
			fputs("resmem> ", stderr);
			fflush(stderr);
		}
		if (getline(&line, &cap, in) < 0)
			break;
		st.lineno++;
		chomp(line);
		rc = script_line(ctl, &st, line, &ignore);
		if (rc == STEP_BLANK)
			continue;
		if (rc == STEP_ABORT) {
			status = EXIT_FAIL;
			break;
		}
		last = rc && ignore ? EXIT_OK : rc;
		if (rc && script_stops(&st, line, rc, ignore)) {
			status = EXIT_FAIL;
			break;
		}
	}
	status = script_end(ctl, &st, in, status, last);
	free(line);
	return status;
}

int cmd_script(struct ctl *ctl, const struct command *cmd, int argc,
	       char **argv)
{
	struct script_opts o = { .name = "stdin" };
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &o.json, NULL },
		{ "--verbose", OPT_FLAG, &o.verbose, NULL },
	};
	char *pos[1];
	FILE *in = stdin;
	int ret, n;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 1,
			 &n);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (n && strcmp(pos[0], "-")) {
		in = fopen(pos[0], "re");
		if (!in) {
			fprintf(stderr, "resmemctl script: %s: %s\n", pos[0],
				strerror(errno));
			return EXIT_FAIL;
		}
		o.name = pos[0];
	}
	ret = run_script(ctl, in, &o);
	if (in != stdin)
		fclose(in);
	return ret;
}

int cmd_shell(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	struct script_opts o = { .name = "stdin" };
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &o.json, NULL },
		{ "--verbose", OPT_FLAG, &o.verbose, NULL },
	};
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), NULL, 0, 0,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	o.interactive = isatty(STDIN_FILENO);
	return run_script(ctl, stdin, &o);
}

int cmd_sleep(struct ctl *ctl, const struct command *cmd, int argc,
	      char **argv)
{
	bool json = ctl->force_json;
	const struct opt opts[] = {
		{ "--json", OPT_FLAG, &json, NULL },
	};
	struct timespec ts;
	char *pos[1], *end;
	double s;
	int ret;

	ret = parse_args(cmd, argc, argv, opts, ARRAY_SIZE(opts), pos, 1, 1,
			 NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	errno = 0;
	s = strtod(pos[0], &end);
	if (errno || end == pos[0] || *end || !isfinite(s) || s < 0 ||
	    s > 86400) {
		fprintf(stderr,
			"resmemctl sleep: '%s' is not a number of seconds (0 to 86400)\n",
			pos[0]);
		return EXIT_USAGE;
	}
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	if (json)
		fprintf(ctl->out, "{\"slept\":%g}\n", s);
	return EXIT_OK;
}

int cmd_echo(struct ctl *ctl, const struct command *cmd, int argc,
	     char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	int i;

	(void)cmd;
	m = open_memstream(&text, &len);
	if (!m) {
		perror("resmemctl echo");
		return EXIT_FAIL;
	}
	for (i = 1; i < argc; i++)
		fprintf(m, "%s%s", i > 1 ? " " : "", argv[i]);
	fclose(m);
	if (ctl->force_json) {
		fprintf(ctl->out, "{\"echo\":");
		json_strn(ctl->out, text, len);
		fprintf(ctl->out, "}\n");
	} else {
		fprintf(ctl->out, "%s\n", text);
	}
	free(text);
	return EXIT_OK;
}
