#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# zswap stores into xcf: loads resmem (both ranges of the test VM), swaps to
# a brd RAM disk, points zswap at the zpool "xcf" and runs zswap_stream in
# a memory cgroup whose memory.max is half the pages it writes (a seeded
# stream of mixed compressibility, pagestream.h), so that most of them are
# swapped out through zswap into xcf.  While they are out, zswap's own
# debugfs counters must agree with xcf's: every page zswap stored that is
# not same-filled is one live xcf handle, pool_total_size is the pool's
# pages times the page size (zswap asks xcf for it), and the pages the
# pool gained are the pages resmem's buddy handed out meanwhile (its own
# free and per-CPU counts, which xcf does not keep).  Then every page must read back
# intact, rmmod resmem must be refused while zswap holds the pool, and
# after swapoff and switching zswap to zbud the pool must go and rmmod
# succeed.  TAP output; skips on a kernel without zswap.  Runs as root in
# the test VM (busybox sh) with resmem not loaded; leaves zswap on zbud.

cd "$(dirname "$0")" || exit 1
. ./lib.sh

ZD=/sys/kernel/debug/zswap
XS=/sys/kernel/debug/resmem/xcf/stats
CG=/sys/fs/cgroup
GRP=$CG/resmem-zswap
HOLD=/tmp/zswap_stream.hold
PAGES=${ZSWAP_TEST_PAGES:-16384}	# 64 MiB of 4 KiB pages
LIMIT=$((PAGES * 4096 / 2))
SEED=${ZSWAP_TEST_SEED:-1}
PAGE=4096

echo "TAP version 13"
if [ ! -w $ZP/zpool ] || [ ! -w $ZP/enabled ]; then
	echo "1..0 # SKIP kernel without zswap"
	exit 0
fi
echo "1..13"

# xstat KEY: a "key: value" line of xcf/stats
xstat() { sed -n "s/^$1: //p" $XS; }
# xpool COLUMN: that column of the first pool's row of xcf/stats (2 pages,
# 5 handles), empty when there is no pool
xpool() { awk -v c="$1" 'seen { if (!/:/) print $c; exit } /^pool / { seen = 1 }' $XS; }
zstat() { cat $ZD/"$1" 2> /dev/null; }
# bstat KEY: a "key: value" line of resmem's buddy stats
bstat() { sed -n "s/^$1: //p" /sys/kernel/debug/resmem/stats; }
# buddy_free: pages free in resmem's buddy, in its lists and per-CPU caches
buddy_free() { echo $(($(bstat free_pages) + $(bstat pcp_pages))); }
cleanup() {
	rm -f $HOLD
	swapoff /dev/ram0 2> /dev/null
	echo zbud > $ZP/zpool 2> /dev/null
	rmdir $GRP 2> /dev/null
	brd_swap_off
}
bail() {
	notok "$1"
	cleanup
	totals
	exit 1
}

unload
params="ranges=$R0,$R1"
# shellcheck disable=SC2086
$LOAD "$KO" $params || bail "resmem loaded with $params"
if [ "$(xstat zpool_registered)" = 1 ] && [ "$(xstat pools)" = 0 ]; then
	ok "resmem loaded, zpool driver xcf registered, no pool yet"
else
	bail "resmem loaded, zpool driver xcf registered, no pool yet"
fi

if brd_swap 262144; then
	ok "swap on a 256 MiB brd RAM disk"
else
	bail "swap on a 256 MiB brd RAM disk"
fi

if zswap_on xcf && [ "$(xstat pools)" = 1 ]; then
	ok "zswap enabled on zpool xcf: one xcf pool ($(xpool 1))"
else
	diag "zpool $(cat $ZP/zpool) enabled $(cat $ZP/enabled) pools $(xstat pools)"
	bail "zswap enabled on zpool xcf"
fi

if rmmod resmem 2> /dev/null; then
	bail "rmmod resmem refused while zswap holds an xcf pool"
elif loaded && [ "$(xstat pools)" = 1 ]; then
	ok "rmmod resmem refused while zswap holds an xcf pool"
else
	bail "rmmod resmem refused while zswap holds an xcf pool"
fi

grep -q ' cgroup2 ' /proc/mounts || mount -t cgroup2 none $CG
if ! grep -qw memory $CG/cgroup.controllers; then
	skip "stream through zswap" "no memory controller"
	skip "zswap and xcf agree on objects" "no memory controller"
	skip "pool_total_size is xcf's pages" "no memory controller"
	skip "resmem's buddy handed out the pages the pool gained" "no memory controller"
	skip "every page read back intact" "no memory controller"
else
	echo +memory > $CG/cgroup.subtree_control
	mkdir -p $GRP
	echo $LIMIT > $GRP/memory.max
	echo max > $GRP/memory.swap.max
	rm -f $HOLD
	pages0=$(xpool 2)
	free0=$(buddy_free)
	sh -c "echo \$\$ > $GRP/cgroup.procs &&
		exec ./zswap_stream --pages $PAGES --seed $SEED --hold $HOLD" &
	pid=$!
	waited=0
	while [ ! -e $HOLD ] && kill -0 $pid 2> /dev/null &&
		[ $waited -lt 3000 ]; do
		usleep 100000
		waited=$((waited + 1))
	done
	stored=$(zstat stored_pages)
	same=$(zstat same_filled_pages)
	total=$(zstat pool_total_size)
	pages=$(xpool 2)
	handles=$(xpool 5)
	free1=$(buddy_free)
	diag "zswap: stored_pages $stored same_filled_pages ${same:-(none)} pool_total_size $total reject_compress_poor $(zstat reject_compress_poor) reject_alloc_fail $(zstat reject_alloc_fail) reject_reclaim_fail $(zstat reject_reclaim_fail)"
	diag "cgroup: memory.current $(cat $GRP/memory.current) memory.swap.current $(cat $GRP/memory.swap.current 2> /dev/null) $(grep -E '^(zswap|zswapped|swap|anon) ' $GRP/memory.stat | tr '\n' ' ')"
	diag "vmstat: $(grep -E '^(pswpout|zswpout|zswpin|pswpin) ' /proc/vmstat | tr '\n' ' ') pool_limit_hit $(zstat pool_limit_hit)"
	diag "xcf: pool pages $pages handles $handles mallocs $(xstat mallocs) malloc_failures $(xstat malloc_failures) maps $(xstat maps) map_copies $(xstat map_copies)"
	sed 's/^/# /' $XS
	if [ -e $HOLD ] && [ "${handles:-0}" -ge $((PAGES / 4)) ]; then
		ok "stream through zswap: $handles of $PAGES pages in xcf"
		diag "xcf pool pages per 100 stored objects: $(printf '%d.%02d' $((pages * 100 / handles)) $((pages * 10000 / handles % 100)))"
	else
		notok "stream through zswap: ${handles:-no} objects in xcf for $PAGES pages"
	fi
	if [ -n "$stored" ] && [ "$handles" = $((stored - ${same:-0})) ]; then
		ok "zswap and xcf agree on objects: stored_pages - same_filled_pages = handles = $handles"
	else
		notok "zswap and xcf agree on objects: stored $stored same ${same:-0} handles $handles"
	fi
	if [ -n "$total" ] && [ "$total" = $((pages * PAGE)) ]; then
		ok "pool_total_size is xcf's pages: $pages pages = $total bytes"
	else
		notok "pool_total_size is xcf's pages: $total bytes, xcf $pages pages"
	fi
	if [ -n "$pages0" ] && [ $((free0 - free1)) = $((pages - pages0)) ]; then
		ok "resmem's buddy handed out the pages the pool gained: $((pages - pages0))"
	else
		notok "resmem's buddy handed out $((free0 - free1)) pages, the pool gained $((${pages:-0} - ${pages0:-0}))"
	fi
	rm -f $HOLD
	if wait $pid; then
		ok "every page read back intact"
	else
		notok "every page read back intact"
	fi
fi

# the classes file of the pool: its Total line has the pool's data pages
name=$(xpool 1)
if [ -r "/sys/kernel/debug/resmem/xcf/$name/classes" ] &&
	grep -q '^ *Total' "/sys/kernel/debug/resmem/xcf/$name/classes" &&
	echo 1 > "/sys/kernel/debug/resmem/xcf/$name/compact"; then
	ok "xcf/$name/classes has a Total line, compact accepts a write"
	grep '^ *class\|^ *Total' "/sys/kernel/debug/resmem/xcf/$name/classes" |
		sed 's/^/# /'
else
	notok "xcf/$name/classes has a Total line, compact accepts a write"
fi

if swapoff /dev/ram0 && [ "$(zstat stored_pages)" = 0 ] &&
	[ "$(xpool 5)" = 0 ]; then
	ok "swapoff: zswap stores nothing, no live xcf handle"
else
	notok "swapoff: zswap stored $(zstat stored_pages), xcf handles $(xpool 5)"
fi

# zswap frees a pool it switched away from once its last entry is gone,
# from a work item: wait for it
echo zbud > $ZP/zpool
waited=0
while [ "$(xstat pools)" != 0 ] && [ $waited -lt 100 ]; do
	usleep 100000
	waited=$((waited + 1))
done
if [ "$(cat $ZP/zpool)" = zbud ] && [ "$(xstat pools)" = 0 ]; then
	ok "zswap switched to zbud: the xcf pool is gone"
else
	notok "zswap switched to zbud: $(xstat pools) xcf pools left"
fi
if rmmod resmem; then
	ok "rmmod resmem once zswap let go"
else
	notok "rmmod resmem once zswap let go"
fi
cleanup
totals
