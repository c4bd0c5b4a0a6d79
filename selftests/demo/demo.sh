#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What "make run" shows: resmem loaded on the reserved ranges, as resmemctl
# and debugfs see it, then a fragmenting workload (demo.rms) with the
# buddy's view, the fragmentation map (in the terminal, and as a PNG that
# make run copies out of the VM) and memarea at work; then a CMA region
# lent out and taken back (cma_demo.rms); then a region lent to the whole
# system, filled by a process, a buffer taken back from it and the
# process's data checked; then zswap storing compressed pages into xcf,
# with zswap's and xcf's counters, the pool's classes file and the X pages
# in the fragmentation map.  Runs in the test VM with the module loaded, as
# /resmem/demo/demo.sh beside its scripts; the programs and modules it runs
# are the kselftests' (/resmem/selftests/).  Exits 1, after a line saying
# what went wrong, when the lent region's part fails.

step() { printf '\n$ %s\n' "$*"; sh -c "$*"; }
fail() { printf '\nmake run: FAILED: %s\n' "$*"; exit 1; }
# step, and the demo stops with "FAILED: $2" (default: the command) when
# the command fails
must() { step "$1" || fail "${2:-$1}"; }
# The fragmentation map's header, its lines over [$1, $1 + $2) and the
# summaries (the lines of a map are "ADDRESS MAP", in colour)
regionmap() {
	printf '\n$ resmemctl fragmap --color=always   # the lines over %#x-%#x\n' \
		$(($1)) $(($1 + $2 - 1))
	resmemctl fragmap --color=always | while IFS= read -r l; do
		case $l in
		0x*)	a=${l%% *}
			[ $((a)) -ge $(($1)) ] && [ $((a)) -lt $(($1 + $2)) ] &&
				printf '%s\n' "$l" ;;
		*)	printf '%s\n' "$l" ;;
		esac
	done
}
# node 0's Movable zone in /proc/zoneinfo: its size, free pages and the
# anonymous pages in it
MOVABLE="awk '/^Node/ { p = /^Node 0, zone +Movable/ } p && /Node|pages free|present|managed|_anon /' /proc/zoneinfo"

step "cat /proc/cmdline"
step "grep -i -e reserved -e resmem /proc/iomem"
step "dmesg | grep 'resmem: '"
step "resmemctl info"
step "ls /sys/kernel/debug/resmem/"
step "cat /sys/kernel/debug/resmem/info"
step "resmemctl script --verbose /resmem/demo/demo.rms"
step "cat /sys/kernel/debug/resmem/buddyinfo"
step "cat /sys/kernel/debug/resmem/memarea/stats"
# vcompound: both paths from the kernel (resmem_vctest's self-test)
step "/resmem/selftests/modload /resmem/selftests/resmem_vctest.ko mode=selftest 2>/dev/null; dmesg | grep resmem_vctest"
step "echo 1 > /sys/kernel/debug/resmem/vcompound/vfallback_always; resmemctl alloc --kind vcompound --order 11; echo 0 > /sys/kernel/debug/resmem/vcompound/vfallback_always"
step "cat /sys/kernel/debug/resmem/vcompound/stats"
step "resmemctl stats"
# CMA: reload on the 64 MiB range with a region in it
step "rmmod resmem && /resmem/selftests/modload /resmem/resmem.ko ranges=64M@0x60000000 cma=demo:32M"
step "resmemctl script --verbose /resmem/demo/cma_demo.rms"
step "cat /sys/kernel/debug/resmem/cma/demo/stats"
# Lent to the whole system: resmem on both ranges again, and a region of
# one memory block (128 MiB here) lent with resmemctl cma lend: hot-added
# as System RAM (resmem) and onlined to ZONE_MOVABLE.  A process on CPU 0
# (node 0) writes 144 MiB of a seeded page stream (zswap_stream); the
# kernel puts movable pages in node 0's Movable zone first, so they fill
# the region (S in the map).  A 120 MiB buffer taken back (C) migrates them
# out while the process waits, then the process reads every page back.
step "rmmod resmem && /resmem/selftests/modload /resmem/resmem.ko ranges=512M@0x20000000,64M@0x60000000"
step "grep . /sys/devices/system/memory/block_size_bytes /sys/devices/system/memory/auto_online_blocks"
must "resmemctl cma lend sys 128M"
step "grep -e resmem /proc/iomem"
step "resmemctl cma list"
step "$MOVABLE"
# its exit status goes to /tmp/lend.rc, unless its shell dies too
rm -f /tmp/lend.hold /tmp/lend.rc /tmp/lend.pid /tmp/lend.take /tmp/lend.buf
must "(taskset 1 /resmem/selftests/zswap_stream --pages 36864 --seed 12 --hold /tmp/lend.hold; echo \$? > /tmp/lend.rc) & echo \$! > /tmp/lend.pid; while [ ! -e /tmp/lend.hold ] && kill -0 \$! 2> /dev/null; do usleep 100000; done; [ -e /tmp/lend.hold ]" \
	"the process could not fill memory"
step "resmemctl cma list"
step "$MOVABLE"
step "cat /sys/kernel/debug/resmem/cma/sys/system"
base=$(resmemctl cma list | awk '$2 == "sys" { print $4 }')
regionmap "$base" 0x8000000
# the buffer is held (--hold) until /tmp/lend.take goes
must "touch /tmp/lend.take; (while [ -e /tmp/lend.take ]; do usleep 100000; done) | resmemctl cma alloc sys --count 30720 --hold > /tmp/lend.buf 2> /tmp/lend.err & while [ ! -s /tmp/lend.buf ] && kill -0 \$! 2> /dev/null; do usleep 100000; done; cat /tmp/lend.buf; [ -s /tmp/lend.buf ] || ! cat /tmp/lend.err" \
	"no buffer taken back from the region lent to the system"
step "resmemctl cma list"
step "$MOVABLE"
regionmap "$base" 0x8000000
must "rm /tmp/lend.hold; while [ ! -e /tmp/lend.rc ] && kill -0 \$(cat /tmp/lend.pid) 2> /dev/null; do usleep 100000; done; [ \"\$(cat /tmp/lend.rc 2> /dev/null)\" = 0 ]" \
	"the process's data was not intact after the take-back (or the process died)"
step "rm /tmp/lend.take; while pidof resmemctl > /dev/null; do usleep 100000; done; resmemctl cma list"
step "grep -e take_back -e migrated /sys/kernel/debug/resmem/cma/sys/system"
must "resmemctl cma destroy sys"
step "grep -e resmem /proc/iomem; $MOVABLE"
# xcf: zswap stores compressed pages in resmem (the zpool "xcf").  A 64 MiB
# seeded stream (zswap_stream) in a cgroup limited to 32 MiB swaps to a brd
# RAM disk through zswap; the counters are read while its pages are out.
step "rmmod resmem && /resmem/selftests/modload /resmem/resmem.ko ranges=512M@0x20000000,64M@0x60000000"
step "/resmem/selftests/modload /resmem/selftests/brd.ko rd_nr=1 rd_size=262144 && mkswap /dev/ram0 > /dev/null && swapon /dev/ram0"
step "echo xcf > /sys/module/zswap/parameters/zpool && echo 1 > /sys/module/zswap/parameters/enabled && grep . /sys/module/zswap/parameters/zpool /sys/module/zswap/parameters/enabled"
step "grep -q ' cgroup2 ' /proc/mounts || mount -t cgroup2 none /sys/fs/cgroup; echo +memory > /sys/fs/cgroup/cgroup.subtree_control; mkdir -p /sys/fs/cgroup/demo; echo 32M > /sys/fs/cgroup/demo/memory.max"
step "sh -c 'echo \$\$ > /sys/fs/cgroup/demo/cgroup.procs && exec /resmem/selftests/zswap_stream --pages 16384 --hold /tmp/demo.hold' & while [ ! -e /tmp/demo.hold ] && ! pidof zswap_stream > /dev/null; do usleep 100000; done; while [ ! -e /tmp/demo.hold ] && pidof zswap_stream > /dev/null; do usleep 100000; done"
step "grep . /sys/kernel/debug/zswap/stored_pages /sys/kernel/debug/zswap/same_filled_pages /sys/kernel/debug/zswap/pool_total_size"
step "cat /sys/kernel/debug/resmem/xcf/stats"
# the classes file: its header, the classes holding objects, the Total line
step "awk 'NR == 1 || \$3 > 0 || /Total/' /sys/kernel/debug/resmem/xcf/*/classes"
step "resmemctl fragmap | grep -e X -e xcf | head -n 12"
step "rm /tmp/demo.hold; while pidof zswap_stream > /dev/null; do usleep 100000; done"
step "swapoff /dev/ram0 && echo zbud > /sys/module/zswap/parameters/zpool && cat /sys/kernel/debug/zswap/stored_pages"
