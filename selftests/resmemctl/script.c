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

char **split_words(const char *line, int *argc, const char **err)
{
	size_t len = strlen(line);
	char **argv = NULL, *w;
	int n = 0, cap = 0;
	const char *p = line;

	*err = NULL;
	for (;;) {
		size_t wl = 0;

		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		w = malloc(len + 1);
		if (!w) {
			*err = "out of memory";
			goto fail;
		}
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '\'') {
				for (p++; *p && *p != '\''; )
					w[wl++] = *p++;
				if (!*p) {
					*err = "unterminated '...' quote";
					goto fail_word;
				}
				p++;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; ) {
					if (*p == '\\' &&
					    (p[1] == '"' || p[1] == '\\'))
						p++;
					w[wl++] = *p++;
				}
				if (!*p) {
					*err = "unterminated \"...\" quote";
					goto fail_word;
				}
				p++;
			} else if (*p == '\\' && p[1]) {
				p++;
				w[wl++] = *p++;
			} else {
				w[wl++] = *p++;
			}
		}
		w[wl] = '\0';
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

static int run_script(struct ctl *ctl, FILE *in, const struct script_opts *o)
{
	unsigned long lineno = 0, failed = 0;
	int status = EXIT_OK, last = EXIT_OK;
	bool first = true;
	size_t cap = 0;
	char *line = NULL;

	ctl->script = true;
	ctl->force_json = o->json;
	if (o->json) {
		printf("{\"script\":");
		json_str(stdout, o->name);
		printf(",\"steps\":[");
	}
	for (;;) {
		char **argv, *buf = NULL;
		const char *err;
		bool ignore = false;
		size_t blen = 0;
		int argc, rc;

		if (o->interactive) {
			fputs("resmem> ", stderr);
			fflush(stderr);
		}
		if (getline(&line, &cap, in) < 0)
			break;
		lineno++;
		chomp(line);
		argv = split_words(line, &argc, &err);
		if (!argv) {
			fprintf(stderr, "resmemctl: %s:%lu: %s\n", o->name,
				lineno, err);
			rc = EXIT_USAGE;
			goto failed;
		}
		if (argc && argv[0][0] == '-') {
			ignore = true;
			if (argv[0][1]) {
				memmove(argv[0], argv[0] + 1, strlen(argv[0]));
			} else {
				free(argv[0]);
				memmove(argv, argv + 1, argc * sizeof(*argv));
				argc--;
				if (!argc) {
					fprintf(stderr,
						"resmemctl: %s:%lu: '-' without a command\n",
						o->name, lineno);
					free_words(argv, argc);
					rc = EXIT_USAGE;
					goto failed;
				}
			}
		}
		if (!argc) {
			free_words(argv, argc);
			continue;
		}
		if (o->verbose)
			fprintf(stderr, "+ %s\n", line);
		if (o->json) {
			ctl->out = open_memstream(&buf, &blen);
			if (!ctl->out) {
				perror("resmemctl: open_memstream");
				ctl->out = stdout;
				free_words(argv, argc);
				status = EXIT_FAIL;
				break;
			}
		}
		rc = run_command(ctl, argc, argv);
		if (o->json) {
			fclose(ctl->out);
			ctl->out = stdout;
			printf("%s{\"line\":%lu,\"command\":", first ? "" : ",",
			       lineno);
			json_str(stdout, argv[0]);
			printf(",\"status\":%d,\"ignored\":%s,\"result\":", rc,
			       rc && ignore ? "true" : "false");
			json_result(stdout, buf, blen);
			putchar('}');
			free(buf);
			first = false;
		}
		fflush(stdout);
		free_words(argv, argc);
failed:
		last = rc;
		if (!rc)
			continue;
		if (ignore) {
			fprintf(stderr,
				"resmemctl: %s:%lu: failed (exit %d), ignored ('-')\n",
				o->name, lineno, rc);
			last = EXIT_OK;
			continue;
		}
		if (o->interactive)
			continue;
		fprintf(stderr, "resmemctl: %s:%lu: '%s' failed (exit %d); stopping\n",
			o->name, lineno, line, rc);
		failed = lineno;
		status = EXIT_FAIL;
		break;
	}
	if (ferror(in)) {
		fprintf(stderr, "resmemctl: %s: read error after line %lu: %s\n",
			o->name, lineno, strerror(errno));
		status = EXIT_FAIL;
	}
	if (o->interactive) {
		fputc('\n', stderr);
		if (status == EXIT_OK)
			status = last;
	}
	if (o->json) {
		printf("],\"lines\":%lu,\"status\":%d,\"failed_line\":", lineno,
		       status);
		if (failed)
			printf("%lu", failed);
		else
			printf("null");
		printf(",\"allocations\":%zu}\n", ctl->nr_handles);
	}
	free(line);
	ctl->script = false;
	ctl->force_json = false;
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
