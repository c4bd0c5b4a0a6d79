#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lendbench.sh - a resmem region lent to the system against the kernel's
# own contiguous allocation, on the debug kernel (the only test kernel with
# CONFIG_CMA), one boot per argument:
#
#   - the VM: one NUMA node, --mem 2560M, movablecore=768M (the kernel's
#     ZONE_MOVABLE at the top of RAM, where KASAN's shadow takes about
#     300 MiB of it), resmem on the default ranges; a
#     256 MiB region lent to the system with resmemctl cma lend, which
#     joins the same ZONE_MOVABLE;
#   - memory: MemTotal, MemFree and the Movable zone's pages with the
#     reservation idle (before the lend), lent, and lent under the fill,
#     and the pages of the region the system holds then (cma list);
#   - "lendbench fill" keeps the zone full; resmem_lendbench.ko times
#     resmem_cma_alloc() on the region against cma_alloc()'s loop on
#     256 MiB of the kernel's ZONE_MOVABLE, cycle by cycle.
#
# Prints a markdown table.  Usage: lendbench.sh [BOOT ...], each BOOT a
# comma-separated list of SIZE_MIB:CYCLES (default: "4:1000" "64:10"
# "248:3"; the first took 7 minutes on the debug kernel under TCG, the
# others were not run with these counts: refilling 64 or 248 MiB after
# each release is most of a cycle); RESMEM_LENDBENCH_KERNEL (default
# debug).
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$TOP/.build/bench
K=${RESMEM_LENDBENCH_KERNEL:-debug}
if [[ $# == 0 ]]; then set -- 4:1000 64:10 248:3; fi

mkdir -p "$OUT"
cc -O2 -Wall -Wextra -Werror -static -o "$OUT/lendbench" \
	"$TOP/selftests/bench/lendbench.c"
make -s -C "$TOP" "bench-kmod-$K" > /dev/null

# field KEY LINE: the value of KEY=value in LINE
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }

rows=""
boot=0
for b in "$@"; do
	boot=$((boot + 1))
	mibs="" cycles="" timeout=400
	for sc in ${b//,/ }; do
		mibs+=${mibs:+,}${sc%:*}
		cycles+=${cycles:+,}${sc#*:}
		# a cycle of 248 MiB takes up to about 200 s on the debug
		# kernel under TCG, with both refills
		timeout=$((timeout + ${sc#*:} * (${sc%:*} + 2)))
	done
	log=$OUT/lendbench-$K-$boot.log
	"$TOP/selftests/testvm/run" --kernel "$K" --numa 1 --mem 2560M \
		--append 'movablecore=768M' --timeout "$timeout" \
		--add "$OUT/lendbench" -- "
B=/resmem/add/lendbench
\$B mem idle
resmemctl cma lend bench 256M
\$B mem lent
\$B fill 1024 /tmp/ready > /tmp/fill.log 2>&1 &
while [ ! -e /tmp/ready ]; do sleep 1; done
\$B mem lent+fill
resmemctl cma list
/resmem/selftests/modload /resmem/selftests/resmem_lendbench.ko mib=$mibs cycles=$cycles 2> /dev/null
dmesg | grep 'resmem_lendbench:'
cat /sys/kernel/debug/resmem/cma/bench/system
kill %1; wait
cat /tmp/fill.log
resmemctl cma destroy bench" > "$log" 2>&1 || true
	lost=$(tr -d '\r' < "$log" | sed -n 's/.*lost \([0-9]*\) bytes.*/\1/p' | tail -n 1)
	for sc in ${b//,/ }; do
		mib=${sc%:*} n=${sc#*:}
		resmem_l=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib side=resmem" || true)
		kernel_l=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib side=kernel" || true)
		r=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib ratio_median" || true)
		rows+="| $mib MiB | $n | $(field median_us "$resmem_l") / $(field median_us "$kernel_l") | $(field ratio_median "$r") | $(field p99_us "$resmem_l") / $(field p99_us "$kernel_l") | $(field ratio_p99 "$r") | $(field ok "$resmem_l")/$n | $(field ok "$kernel_l")/$n | $(field inuse_pct "$resmem_l") / $(field inuse_pct "$kernel_l") % | $(field ns_per_inuse_page "$resmem_l") / $(field ns_per_inuse_page "$kernel_l") | $(field zero_median_us "$kernel_l") | ${lost:-?} |
"
	done
	mem=$log
done

echo "| request | cycles | median µs, resmem / kernel | ratio | p99 µs, resmem / kernel | ratio | resmem ok | kernel ok | range in use before, resmem / kernel | ns per page in use, resmem / kernel | kernel's zeroing, median µs | bytes lost (the boot's fill) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$rows"
echo
echo "Memory (the last boot, $mem):"
tr -d '\r' < "$mem" | grep -E '^mem |^fill: ready' || true
echo
echo "Logs: $OUT/lendbench-$K-<boot>.log"
