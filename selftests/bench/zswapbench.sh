#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# zswapbench.sh - xcf against the kernel's zpools through zswap, in the
# test VM: one boot per kernel and init_on_alloc mode, switching zswap's
# zpool between runs (zswapbench_vm.sh), the same seeded page stream
# (selftests/kselftest/pagestream.h, seed 1) each time.  Prints three
# markdown tables:
#
#   memory:     pool pages per 100 objects stored, and with the pool's
#               slab metadata in kernel RAM added (the median over rounds);
#   speed:      swap-out (MADV_PAGEOUT) plus swap-in (a read of each page)
#               of the stream, 1 and 2 threads, median over rounds, as a
#               ratio to zsmalloc in the same boot;
#   compaction: pool pages before and after the free of a random half of
#               the pages and after compaction (xcf: its compact file;
#               zsmalloc: zs_compact() through its shrinker).
#
# Usage: zswapbench.sh [--kernels 'LIST'] [--modes 'LIST'] [--rounds N]
#        [--pages N] [--out DIR] [--tables-only]
# --tables-only boots nothing: it prints the tables of the logs in DIR.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$TOP/.build/bench
KERNELS=6.1
MODES="0 1"
ROUNDS=3
PAGES=16384
POOLS="xcf zsmalloc zbud z3fold"
BOOT=1

while [[ $# -gt 0 ]]; do
	if [[ $1 == --tables-only ]]; then
		BOOT=0
		shift
		continue
	fi
	[[ $# -ge 2 ]] || { echo "zswapbench: $1 needs a value" >&2; exit 2; }
	case "$1" in
	--kernels) KERNELS=$2 ;;
	--modes) MODES=$2 ;;
	--rounds) ROUNDS=$2 ;;
	--pages) PAGES=$2 ;;
	--out) OUT=$2 ;;
	*) echo "zswapbench: unknown argument $1" >&2; exit 2 ;;
	esac
	shift 2
done

mkdir -p "$OUT"
[[ $BOOT == 0 ]] || cc -O2 -Wall -Wextra -Werror -static -pthread -o "$OUT/zswapbench" \
	"$TOP/selftests/bench/zswapbench.c"

# med: the median of the numbers on stdin
med() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# get LOG POOL THREADS KEY: KEY's values of POOL's result lines
get() {
	grep "^result pool=$2 threads=$3 " "$1" | tr ' ' '\n' |
		sed -n "s/^$4=//p"
}
sum_times() {
	grep "^result pool=$2 threads=$3 " "$1" |
		sed 's/.* out_ns=\([0-9]*\) in_ns=\([0-9]*\).*/\1 \2/' |
		awk '{ printf "%.0f\n", $1 + $2 }'
}
# range LOG POOL THREADS: the fastest and slowest total, in ms
range() {
	sum_times "$@" | sort -n |
		awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%d-%d", a / 1e6, b / 1e6 }'
}

MEM="| kernel | init_on_alloc | zpool | objects | pool pages per 100 objects | with slab metadata | ratio to zsmalloc |"$'\n|---|---|---|---|---|---|---|\n'
SPEED="| kernel | init_on_alloc | zpool | threads | swap-out ms | swap-in ms | total ms | range of totals, ms | ratio to zsmalloc |"$'\n|---|---|---|---|---|---|---|---|---|\n'
COMPACT="| kernel | init_on_alloc | zpool | objects | pages | after freeing half | after compaction | reclaimed by compaction |"$'\n|---|---|---|---|---|---|---|---|\n'
failed=0
for k in $KERNELS; do
	for m in $MODES; do
		log=$OUT/zswapbench-$k-init_on_alloc=$m.log
		[[ $BOOT == 1 ]] && echo "zswapbench: VM $k, init_on_alloc=$m (log $log)" >&2
		[[ $BOOT == 0 ]] || "$TOP/selftests/testvm/run" --kernel "$k" --timeout 3000 \
			--append "slab_nomerge init_on_alloc=$m" \
			--add "$OUT/zswapbench" \
			--add "$TOP/selftests/bench/zswapbench_vm.sh" -- \
			sh /resmem/add/zswapbench_vm.sh "$ROUNDS" "$PAGES" \
			$POOLS > "$log" 2>&1 || failed=1
		if grep -q '^result .* bad=[1-9]\|^compact .* bad=[1-9]' "$log"; then
			echo "zswapbench: pages read back wrong (see $log)" >&2
			failed=1
		fi
		zs_mem="" zs_t1="" zs_t2=""
		for p in $POOLS; do
			grep -q "^result pool=$p threads=1 " "$log" || continue
			o=$(get "$log" "$p" 1 objects | med)
			g=$(get "$log" "$p" 1 pool_pages | med)
			s=$(get "$log" "$p" 1 slab_pages | med)
			per=$(awk -v g="$g" -v o="$o" 'BEGIN { printf "%.2f", 100 * g / o }')
			all=$(awk -v g="$g" -v s="$s" -v o="$o" 'BEGIN { printf "%.2f", 100 * (g + s) / o }')
			[[ $p == zsmalloc ]] && zs_mem=$all
			MEM+="| $k | $m | $p | $o | $per | $all | @$p@ |"$'\n'
			eval "all_$p=$all"
			for t in 1 2; do
				out=$(get "$log" "$p" $t out_ns | med)
				in=$(get "$log" "$p" $t in_ns | med)
				tot=$(sum_times "$log" "$p" $t | med)
				[[ $p == zsmalloc ]] && eval "zs_t$t=$tot"
				SPEED+="| $k | $m | $p | $t | $((out / 1000000)) | $((in / 1000000)) | $((tot / 1000000)) | $(range "$log" "$p" $t) | @$p.$t@ |"$'\n'
				eval "tot_${p}_$t=$tot"
			done
			c=$(grep "^compact pool=$p " "$log" || true)
			if [[ -n $c ]]; then
				read -r co c0 c1 c2 < <(sed 's/.* objects=\([0-9]*\) before=\([0-9]*\) freed=\([0-9]*\) compacted=\([0-9]*\).*/\1 \2 \3 \4/' <<<"$c")
				COMPACT+="| $k | $m | $p | $co | $c0 | $c1 | $c2 | $((c1 - c2)) |"$'\n'
			fi
		done
		# the ratios, now that zsmalloc's figures are known
		for p in $POOLS; do
			v=all_$p
			[[ -n ${!v:-} ]] || continue
			r=$(awk -v a="${!v}" -v b="$zs_mem" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }')
			MEM=${MEM/@$p@/$r}
			for t in 1 2; do
				v=tot_${p}_$t z=zs_t$t
				r=$(awk -v a="${!v}" -v b="${!z}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "?" }')
				SPEED=${SPEED/@$p.$t@/$r}
			done
		done
		unset "${!all_@}" "${!tot_@}"
	done
done

echo "### Memory: pool pages per 100 objects (median of $ROUNDS rounds, $PAGES pages, one thread)"
echo
printf '%s\n' "$MEM"
echo "### Speed: swap-out plus swap-in of $PAGES pages (median of $ROUNDS rounds)"
echo
printf '%s\n' "$SPEED"
echo "### Compaction: a random half of the $PAGES pages freed"
echo
printf '%s\n' "$COMPACT"
echo "Logs: $OUT/zswapbench-<kernel>-init_on_alloc=<mode>.log"
exit $failed
