#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What "make run" shows: resmem loaded on the reserved ranges, as resmemctl
# and debugfs see it, then a fragmenting workload (demo.rms) with the
# buddy's view, the fragmentation map (in the terminal, and as a PNG that
# make run copies out of the VM) and memarea at work; then a CMA region
# lent out and taken back (cma_demo.rms); then zswap storing compressed
# pages into xcf, with zswap's and xcf's counters, the pool's classes file
# and the X pages in the fragmentation map.  Runs in the test VM with the
# module loaded, as /resmem/demo/demo.sh beside its scripts; the programs
# and modules it runs are the kselftests' (/resmem/selftests/).

step() { printf '\n$ %s\n' "$*"; sh -c "$*"; }

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
