#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lendbench.sh - a resmem region lent to the system against the kernel's
# CMA, cma_alloc() itself, on the debug kernel (the only test kernel with
# CONFIG_DMA_CMA), one boot per argument:
#
#   - the VM: one NUMA node, --mem 2560M, cma=256M (the kernel's default
#     CMA area, which x86 places at the top of memory, in ZONE_DMA32 here),
#     resmem on the default ranges; a 256 MiB region lent to the system
#     with resmemctl cma lend, the only memory of ZONE_MOVABLE;
#   - memory: MemTotal, MemFree, CmaTotal, CmaFree and the Movable zone's
#     pages with the reservation idle (before the lend), lent, and lent
#     under the fill, and the pages of the region the system holds then
#     (cma list);
#   - "lendbench fill" keeps memory full, MemFree at the largest request
#     of the boot + 64 MiB, the region and the CMA area as full as the
#     page allocator fills them; resmem_lendbench.ko times
#     resmem_cma_alloc() on the region against dma_alloc_coherent(),
#     that is cma_alloc(), on the CMA area, cycle by cycle.
#
# Prints a markdown table.  Usage: lendbench.sh [BOOT ...], each BOOT a
# comma-separated list of SIZE_MIB:CYCLES (default: "4:1000,64:24"
# "248:6"; on the debug kernel under TCG the first took 17 minutes with
# the host busy, and a cycle of 248 MiB takes about a minute);
# RESMEM_LENDBENCH_KERNEL (default debug; the kernel needs CONFIG_DMA_CMA);
# RESMEM_LENDBENCH_KEEP_MS (default 0): resmem's lend_keep_ms in the boot,
# set before the lend (README.md, "Keep freed buffers").
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$TOP/.build/bench
K=${RESMEM_LENDBENCH_KERNEL:-debug}
KEEP_MS=${RESMEM_LENDBENCH_KEEP_MS:-0}
[[ $KEEP_MS =~ ^[0-9]+$ ]] || { echo "RESMEM_LENDBENCH_KEEP_MS: a number of ms" >&2; exit 2; }
if [[ $# == 0 ]]; then set -- 4:1000,64:24 248:6; fi

mkdir -p "$OUT"
cc -O2 -Wall -Wextra -Werror -static -o "$OUT/lendbench" \
	"$TOP/selftests/bench/lendbench.c"
make -s -C "$TOP" "bench-kmod-$K" > /dev/null

# field KEY LINE: the value of KEY=value in LINE
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }

rows="" mems=""
boot=0
for b in "$@"; do
	boot=$((boot + 1))
	mibs="" cycles="" timeout=400 most=0
	for sc in ${b//,/ }; do
		mibs+=${mibs:+,}${sc%:*}
		cycles+=${cycles:+,}${sc#*:}
		most=$((${sc%:*} > most ? ${sc%:*} : most))
		# a cycle of 248 MiB takes up to about 200 s on the debug
		# kernel under TCG, with both refills
		timeout=$((timeout + ${sc#*:} * (${sc%:*} + 2)))
	done
	log=$OUT/lendbench-$K-$boot.log
	# the filler keeps MemFree at the largest request + 64 MiB: room
	# for the pages a take migrates out
	"$TOP/selftests/testvm/run" --kernel "$K" --numa 1 --mem 2560M \
		--append 'cma=256M' --timeout "$timeout" \
		--add "$OUT/lendbench" -- "
B=/resmem/add/lendbench
C=/sys/kernel/debug/cma/reserved
dmesg | grep -m1 'cma: Reserved'
echo cma_area base_pfn=\$(cat \$C/base_pfn) count=\$(cat \$C/count)
\$B mem idle
echo $KEEP_MS > /sys/module/resmem/parameters/lend_keep_ms
echo lend_keep_ms=\$(cat /sys/module/resmem/parameters/lend_keep_ms)
resmemctl cma lend bench 256M
grep 'System RAM (resmem)' /proc/iomem
\$B mem lent
\$B fill $((most + 64)) /tmp/ready > /tmp/fill.log 2>&1 &
while [ ! -e /tmp/ready ]; do sleep 1; if [ ! -e /proc/\$! ]; then break; fi; done
\$B mem lent+fill
resmemctl cma list
/resmem/selftests/modload /resmem/selftests/resmem_lendbench.ko mib=$mibs cycles=$cycles cma_pfn=\$(cat \$C/base_pfn) cma_pages=\$(cat \$C/count) 2> /dev/null
dmesg | grep 'resmem_lendbench:'
cat /sys/kernel/debug/resmem/cma/bench/system
kill %1; wait
cat /tmp/fill.log" > "$log" 2>&1 || true
	lost=$(tr -d '\r' < "$log" | sed -n 's/.*lost \([0-9]*\) bytes.*/\1/p' | tail -n 1)
	for sc in ${b//,/ }; do
		mib=${sc%:*} n=${sc#*:}
		resmem_l=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib side=resmem" || true)
		kernel_l=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib side=kernel" || true)
		r=$(tr -d '\r' < "$log" | grep -m1 "mib=$mib ratio_median" || true)
		rows+="| $mib MiB | $n | $(field median_us "$resmem_l") / $(field median_us "$kernel_l") | $(field ratio_median "$r") | $(field p99_us "$resmem_l") / $(field p99_us "$kernel_l") | $(field ratio_p99 "$r") | $(field ok "$resmem_l")/$n | $(field ok "$kernel_l")/$n ($(field fallback "$kernel_l") from the buddy) | $(field inuse_pct "$resmem_l") / $(field inuse_pct "$kernel_l") % | $(field area_pct "$resmem_l") / $(field area_pct "$kernel_l") % | $(field ns_per_inuse_page "$resmem_l") / $(field ns_per_inuse_page "$kernel_l") | $(field zero_median_us "$kernel_l") | $(field not_full "$resmem_l") / $(field not_full "$kernel_l") | ${lost:-?} |
"
	done
	mems+="Memory, boot $boot ($b, $log):
$(tr -d '\r' < "$log" | grep -E '^lend_keep_ms=|^mem |^fill: |\] cma: Reserved|^cma_area|^0  bench|resmem_lendbench: start' | awk '!seen[$0]++' || true)
"
done

echo "| request | cycles | median µs, resmem / kernel | ratio | p99 µs, resmem / kernel | ratio | resmem ok | kernel ok (in the CMA area) | last take's range in use before, resmem / kernel | whole range in use before, resmem / kernel | ns per page in use, resmem / kernel | zeroing a buffer, median µs | waits for the fill that ran out, resmem / kernel | bytes lost (the boot's fill) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s' "$rows"
echo
printf '%s\n' "$mems"
echo "Logs: $OUT/lendbench-$K-<boot>.log"
