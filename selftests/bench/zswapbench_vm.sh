#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# zswapbench_vm.sh ROUNDS PAGES POOL... - the VM half of zswapbench.sh
# (busybox sh, root, resmem loaded by selftests/testvm/run, booted with
# slab_nomerge so that each zpool's slab caches are counted on their own).
# Swaps to a 256 MiB brd RAM disk, enables zswap, and for ROUNDS rounds
# runs zswapbench (PAGES pages of the seeded stream) on each POOL with one
# and with two threads, switching zswap's zpool between runs, then one
# compaction run per pool.  Prints one line per run:
#
#   result pool=P threads=T round=R objects=O pool_pages=G slab_pages=S
#          out_ns=X in_ns=Y resident=Z bad=B
#   compact pool=P objects=O before=G0 freed=G1 compacted=G2 bad=B
#
# objects: zswap's stored_pages minus same_filled_pages while the pages
# are out (what the zpool holds); pool_pages: pool_total_size / 4096;
# slab_pages: the growth of the pool's own slab caches (zsmalloc's
# zs_handle and zspage, z3fold's handle slots) over the run.  compact:
# pool pages before the free of a random half, after it, and after
# compaction: echo 2 > drop_caches (zsmalloc's shrinker calls zs_compact())
# and, for xcf, its debugfs compact file.
ROUNDS=$1
PAGES=$2
shift 2
B=/resmem/add/zswapbench
ZP=/sys/module/zswap/parameters
ZD=/sys/kernel/debug/zswap
XD=/sys/kernel/debug/resmem/xcf
HOLD=/tmp/zswapbench.hold
LOAD=/resmem/selftests/modload

zstat() { cat $ZD/"$1" 2> /dev/null || echo 0; }
# slab_pages POOL: pages in POOL's own slab caches (6.1 names them
# zs_handle and zspage, 6.12 zs_handle-NAME and zspage-NAME; z3fold's are
# z3fold_handle); zbud and xcf have none
slab_pages() {
	case $1 in
	zsmalloc) re='^(zs_handle|zspage)' ;;
	z3fold) re='^z3fold' ;;
	*) echo 0; return ;;
	esac
	awk -v re="$re" '$0 ~ re { p += $15 * $6 } END { print p + 0 }' \
		/proc/slabinfo
}
pool_pages() { echo $(($(zstat pool_total_size) / 4096)); }
objects() { echo $(($(zstat stored_pages) - $(zstat same_filled_pages))); }
wait_hold() {
	while [ ! -e $HOLD ] && kill -0 "$1" 2> /dev/null; do
		usleep 20000
	done
}
field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" /tmp/zswapbench.out; }

$LOAD /resmem/selftests/brd.ko rd_nr=1 rd_size=262144 || exit 1
mkswap /dev/ram0 > /dev/null && swapon /dev/ram0 || exit 1
for m in zsmalloc z3fold; do
	[ -e /resmem/selftests/$m.ko ] && $LOAD /resmem/selftests/$m.ko
done
echo 1 > $ZP/enabled || exit 1
echo "# zswap: compressor $(cat $ZP/compressor), max_pool_percent $(cat $ZP/max_pool_percent)"

# use POOL: make it zswap's zpool; false when the kernel has no such zpool
use() {
	echo "$1" > $ZP/zpool 2> /dev/null && [ "$(cat $ZP/zpool)" = "$1" ]
}

# z3fold goes last and its pool is never destroyed: 6.1's z3fold leaves
# handle slots in its slab cache when its pool goes ("kmem_cache_destroy
# z3fold_handle: Slab cache still has objects"), a kernel WARNING that
# would fail the run.  The others take turns round by round.
order=""
for p in "$@"; do [ "$p" = z3fold ] || order="$order $p"; done
last=""
for p in "$@"; do [ "$p" = z3fold ] && last=z3fold; done

# rounds POOL R: round R of POOL, one and two threads
rounds() {
	p=$1 r=$2
	for t in 1 2; do
		if ! use "$p"; then
			echo "result pool=$p unavailable"
			return
		fi
		rm -f $HOLD
		s0=$(slab_pages "$p")
		$B --pages "$PAGES" --threads $t --hold $HOLD \
			> /tmp/zswapbench.out &
		pid=$!
		wait_hold $pid
		o=$(objects) g=$(pool_pages) s=$(($(slab_pages "$p") - s0))
		rm -f $HOLD
		wait $pid
		echo "result pool=$p threads=$t round=$r objects=$o pool_pages=$g slab_pages=$s out_ns=$(field out_ns) in_ns=$(field in_ns) resident=$(field resident) bad=$(field bad)"
	done
}

r=1
while [ $r -le "$ROUNDS" ]; do
	for p in $order; do
		rounds "$p" $r
	done
	r=$((r + 1))
done

# compact POOL: the compaction run
compact() {
	p=$1
	use "$p" || return 0
	rm -f $HOLD
	$B --pages "$PAGES" --hold $HOLD --free-half 7 > /tmp/zswapbench.out &
	pid=$!
	wait_hold $pid
	o=$(objects) g0=$(pool_pages)
	rm -f $HOLD
	# the second hold: half the pages freed
	wait_hold $pid
	g1=$(pool_pages)
	echo 2 > /proc/sys/vm/drop_caches
	if [ "$p" = xcf ]; then
		for f in $XD/*/compact; do echo 1 > "$f"; done
	fi
	rm -f $HOLD
	# the third: one more object stored (counted: at most one page more),
	# so that pool_total_size is current
	wait_hold $pid
	g2=$(pool_pages)
	rm -f $HOLD
	wait $pid
	echo "compact pool=$p objects=$o before=$g0 freed=$g1 compacted=$g2 bad=$(field bad)"
	if [ "$p" = xcf ]; then
		grep -E '^(compactions|moved)' $XD/stats | sed 's/^/# xcf /'
	fi
}

for p in $order; do
	compact "$p"
done
if [ -n "$last" ]; then
	r=1
	while [ $r -le "$ROUNDS" ]; do
		rounds $last $r
		r=$((r + 1))
	done
	compact $last
fi
