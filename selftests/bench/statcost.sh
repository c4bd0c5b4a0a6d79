#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# statcost.sh [N1 N2]: what the statistics (include/resmem/stats.h) cost on
# the core's fast paths.  Builds statbench with statistics on and off
# (make -C selftests/bench statbench), runs each path of each under
# callgrind with N1 and N2 pairs (default 10000 and 110000) and prints
#
#	path on_ir_per_pair off_ir_per_pair difference
#
# where ir_per_pair = (Ir(N2) - Ir(N1)) / (N2 - N1), Ir being callgrind's
# total: setup and exit cancel out.  The callgrind files stay in
# .build/bench/callgrind.stat.*.  Exit status 1 when a run fails.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$TOP/.build/bench
N1=${1:-10000} N2=${2:-110000}
make -s -C "$TOP/selftests/bench" statbench TOP="$TOP" OUT="$OUT"
ir() {	# ir BIN PATH PAIRS: callgrind's total instruction count
	local f=$OUT/callgrind.stat.${1##*/}.$2.$3
	valgrind --tool=callgrind --callgrind-out-file="$f" \
		"$1" "$2" "$3" >"$f.log" 2>&1 ||
		{ echo "statcost.sh: $1 $2 $3 failed (see $f.log)" >&2; return 1; }
	sed -n 's/^totals: *//p' "$f"
}
printf '%-8s %10s %10s %10s\n' path on off difference
for p in buddy memarea xcf; do
	on=$(( $(ir "$OUT/statbench" $p "$N2") - $(ir "$OUT/statbench" $p "$N1") ))
	off=$(( $(ir "$OUT/statbench-nostats" $p "$N2") -
		$(ir "$OUT/statbench-nostats" $p "$N1") ))
	awk -v p=$p -v on=$on -v off=$off -v n=$((N2 - N1)) 'BEGIN {
		printf "%-8s %10.2f %10.2f %10.2f\n", p, on / n, off / n, (on - off) / n }'
done
