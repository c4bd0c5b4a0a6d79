// SPDX-License-Identifier: GPL-2.0
/*
 * resmemctl: the command-line tool for /dev/resmem.
 *
 *   resmemctl [--device PATH] COMMAND [ARGS]
 *
 * Every command prints a table for people or, with --json, one JSON object
 * for scripts.  Exit status: 0 success, 1 the device, the kernel or a file
 * refused, 2 bad usage.  The commands are listed in commands.c.
 */
#include <stdlib.h>
#include <string.h>
#include "resmemctl.h"

int main(int argc, char **argv)
{
	const char *env = getenv("RESMEM_DEVICE");
	struct ctl ctl = {
		.device = DEFAULT_DEVICE,
		.fd = -1,
		.out = stdout,
	};
	int a = 1, ret;

	if (env && *env)
		ctl.device = env;
	while (a < argc && argv[a][0] == '-') {
		if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[a], "--device")) {
			if (a + 1 == argc) {
				fprintf(stderr, "resmemctl: --device needs a path\n");
				return EXIT_USAGE;
			}
			ctl.device = argv[a + 1];
			a += 2;
			continue;
		}
		if (!strncmp(argv[a], "--device=", 9)) {
			ctl.device = argv[a] + 9;
			a++;
			continue;
		}
		fprintf(stderr, "resmemctl: unknown option '%s'\n", argv[a]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (a == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	ret = run_command(&ctl, argc - a, argv + a);
	if (fflush(stdout) && ret == EXIT_OK) {
		perror("resmemctl: stdout");
		ret = EXIT_FAIL;
	}
	ctl_close(&ctl);
	free(ctl.handles);
	return ret;
}
