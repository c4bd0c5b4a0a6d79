#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmabench.sh - the CMA benchmark in the test VM, one boot per kernel:
#
#   (a) resmem takes 64 MiB back from a region full of mapped movable data
#       (cmabench), against a memcpy() of the bytes that had to move, and
#       against the kernel's alloc_contig_range() taking 64 MiB out of a
#       ZONE_MOVABLE (movablecore=256M) full of a process's anonymous pages
#       (resmem_contigbench.ko), in the same boot;
#   (b) the success rate of 1000 allocate/release cycles under a random
#       movable workload.
#
# Prints a markdown table.  Usage: cmabench.sh [KERNEL...] (default 6.1).
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$TOP/.build/bench
KERNELS=${*:-6.1}

mkdir -p "$OUT"
cc -O2 -Wall -Wextra -Werror -I"$TOP/include" -static \
	-o "$OUT/cmabench" "$TOP/selftests/bench/cmabench.c"

echo "| kernel | resmem take-back of 64 MiB | memcpy of the bytes moved | ratio | alloc_contig_range, 64 MiB of ZONE_MOVABLE | resmem / kernel | success rate (1000 cycles) |"
echo "|---|---|---|---|---|---|---|"
for k in $KERNELS; do
	make -s -C "$TOP" "bench-kmod-$k" > /dev/null
	log=$OUT/cmabench-$k.log
	"$TOP/selftests/testvm/run" --kernel "$k" --append 'movablecore=256M' \
		--params 'ranges=512M@0x20000000 cma=bench:96M' \
		--add "$OUT/cmabench" -- '
B=/resmem/add/cmabench
$B bench 64 0
$B fill 1000 & sleep 8
/resmem/selftests/modload /resmem/selftests/resmem_contigbench.ko 2> /dev/null
dmesg | grep "contig:"
kill %1; wait
$B bench 64 1000 1' > "$log" 2>&1 || true
	tb=$(grep -m1 '^take-back:' "$log" || true)
	ct=$(grep -m1 'resmem_contigbench: contig:' "$log" || true)
	sr=$(grep -m1 '^success rate:' "$log" || true)
	rm_ms=$(sed -n 's/.*data: \([0-9.]*\) ms.*/\1/p' <<< "$tb")
	cp_ms=$(sed -n 's/.*those bytes \([0-9.]*\) ms.*/\1/p' <<< "$tb")
	ratio=$(sed -n 's/.*ratio \([0-9.]*\);.*/\1/p' <<< "$tb")
	k_ms=$(sed -n 's/.*pfn 0x[0-9a-f]*: \([0-9.]*\) ms,.*/\1/p' <<< "$ct")
	rate=$(sed -n 's/^success rate: \([0-9/]*\) (\([0-9.]*%\)).*/\1 (\2)/p' <<< "$sr")
	rk=$(awk -v a="$rm_ms" -v b="$k_ms" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
	echo "| $k | ${rm_ms:-?} ms | ${cp_ms:-?} ms | ${ratio:-?} | ${k_ms:-?} ms | ${rk:-?} | ${rate:-?} |"
done
echo
echo "Logs: $OUT/cmabench-<kernel>.log"
