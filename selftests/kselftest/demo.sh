#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# What "make run" shows: resmem loaded on the reserved ranges, as resmemctl
# and debugfs see it.  Runs in the test VM with the module loaded.

step() { printf '\n$ %s\n' "$*"; sh -c "$*"; }

step "cat /proc/cmdline"
step "grep -i -e reserved -e resmem /proc/iomem"
step "dmesg | grep 'resmem: '"
step "resmemctl info"
step "resmemctl info --json"
step "ls /sys/kernel/debug/resmem/"
step "cat /sys/kernel/debug/resmem/info"
step "cat /sys/module/resmem/parameters/ranges"
