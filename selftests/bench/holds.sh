#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# holds.sh LOCKBENCH DIR SIZE OP [PATTERN]: run lockbench under callgrind,
# one dump per lock hold (see lockbench.c), and print
#
#	SIZE OP PATTERN holds=N max_ir=M total_ir=T
#
# where max_ir is the most instructions of one hold and total_ir their sum.
# The dumps are removed.  Exit status: lockbench's.
set -euo pipefail
bin=$1 dir=$2
shift 2
d=$(mktemp -d "$dir/holds.XXXXXX")
trap 'rm -rf "$d"' EXIT
valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$d/cg" \
	"$bin" "$@" >"$d/log" 2>&1 || { cat "$d/log" >&2; exit 1; }
holds=$(sed -n 's/.* holds=\([0-9]*\).*/\1/p' "$d/log")
# cg is the final dump, after the last hold: nothing in it
find "$d" -name 'cg.*' -print0 | xargs -0 -r cat |
	awk -v h="$holds" -v what="$1 $2 ${3:--}" '
	/^totals:/ { n++; t += $2; if ($2 > m) m = $2 }
	END { if (n != h) { print "holds.sh: " n " dumps for " h " holds" > "/dev/stderr"; exit 1 }
	      printf "%s holds=%d max_ir=%d total_ir=%d\n", what, n, m, t }'
