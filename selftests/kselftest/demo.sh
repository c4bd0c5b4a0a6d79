#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What "make run" shows: resmem loaded on the reserved ranges, as resmemctl
# and debugfs see it, then a fragmenting workload (demo.rms) with the
# buddy's view, the fragmentation map (in the terminal, and as a PNG that
# make run copies out of the VM) and memarea at work; then a CMA region
# lent out and taken back (cma_demo.rms).  Runs in the test VM
# with the module loaded.

step() { printf '\n$ %s\n' "$*"; sh -c "$*"; }

step "cat /proc/cmdline"
step "grep -i -e reserved -e resmem /proc/iomem"
step "dmesg | grep 'resmem: '"
step "resmemctl info"
step "ls /sys/kernel/debug/resmem/"
step "cat /sys/kernel/debug/resmem/info"
step "resmemctl script --verbose /resmem/selftests/demo.rms"
step "cat /sys/kernel/debug/resmem/buddyinfo"
step "cat /sys/kernel/debug/resmem/memarea/stats"
# vcompound: both paths from the kernel (resmem_vcbench's self-test)
step "/resmem/selftests/modload /resmem/selftests/resmem_vcbench.ko mode=selftest 2>/dev/null; dmesg | grep resmem_vcbench"
step "echo 1 > /sys/kernel/debug/resmem/vcompound/vfallback_always; resmemctl alloc --kind vcompound --order 11; echo 0 > /sys/kernel/debug/resmem/vcompound/vfallback_always"
step "cat /sys/kernel/debug/resmem/vcompound/stats"
step "resmemctl stats"
# CMA: reload on the 64 MiB range with a region in it
step "rmmod resmem && /resmem/selftests/modload /resmem/resmem.ko ranges=64M@0x60000000 cma=demo:32M"
step "resmemctl script --verbose /resmem/selftests/cma_demo.rms"
step "cat /sys/kernel/debug/resmem/cma/demo/stats"
