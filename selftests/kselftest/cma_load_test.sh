#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# cma= at load: good regions load (placed where asked, or by resmem), and
# every bad one refuses to load with exactly one line naming the region
# and the reason, leaving /proc/iomem as it was.  TAP output; runs as root
# in the test VM (busybox sh), with resmem not loaded.

. "$(dirname "$0")/lib.sh"
CMA=/sys/kernel/debug/resmem/cma

echo "TAP version 13"
echo "1..12"
unload
top=$(hex $((B1 + 0x2000000)))

if $LOAD "$KO" "ranges=$R0,$R1" "cma=a:32M@$top,b:16M" &&
   [ "$(cat $CMA/a/base_pfn)" -eq $((top / 4096)) ] &&
   [ "$(cat $CMA/a/count)" -eq 8192 ] && [ "$(cat $CMA/b/count)" -eq 4096 ]; then
	ok "regions at a base and placed by resmem load"
else
	notok "regions at a base and placed by resmem load"
fi

# resmemctl cma: list, a buffer taken and released, a region made and gone
CTL=${RESMEMCTL:-resmemctl}
out=$(printf '%s\n' 'cma list' 'cma alloc a --count 512 --align 512' \
	'cma list --json' 'cma free $last' 'cma create c --size 0x200000' \
	'cma destroy c' | $CTL script 2>&1)
if printf '%s\n' "$out" | grep -q '^0  *a  ' &&
   printf '%s\n' "$out" | grep -q 'handle=.* region=0 size=2097152' &&
   printf '%s\n' "$out" | grep -q '"name":"a",.*"used":512' &&
   printf '%s\n' "$out" | grep -q 'created region c id=2' &&
   printf '%s\n' "$out" | grep -q 'destroyed region id=2' &&
   [ "$(cat $CMA/a/used)" -eq 0 ] && [ ! -e $CMA/c ]; then
	ok "resmemctl cma list, alloc, free, create, destroy"
else
	printf '%s\n' "$out" | sed 's/^/# /'
	notok "resmemctl cma list, alloc, free, create, destroy"
fi
unload

refuse "malformed region" "ranges=$R1 cma=a" "cma region 0 'a' is malformed"
refuse "bad name" "ranges=$R1 cma=A:2M" "name may hold only"
refuse "size not pageblocks" "ranges=$R1 cma=a:3M" "'a': size 0x300000 is not"
refuse "misaligned base" "ranges=$R1 cma=a:2M@$(hex $((B1 + 0x100000)))" \
	"not pageblock aligned"
refuse "outside the ranges" "ranges=$R1 cma=a:2M@0x1000000" \
	"not inside one range"
refuse "overlapping regions" "ranges=$R1 cma=a:4M@$top,b:2M@$(hex $((top + 0x200000)))" \
	"overlaps region 'a'"
refuse "duplicate name" "ranges=$R1 cma=a:2M,a:2M" "name given twice"
refuse "over the metadata" "ranges=$R1 cma=a:2M@$B1" \
	"overlaps memory in use"
refuse "no room" "ranges=$R1 cma=a:64M" "no free place"
# a region across a node boundary (two blocks): the 8 MiB at 1 GiB is node 1
if tr ' ' '\n' < /proc/cmdline | grep -q '^memmap=8M\$0x40000000$'; then
	refuse "across two blocks" "ranges=8M@0x3fc00000 cma=a:4M@0x3fe00000" \
		"not inside one block of one node"
else
	skip "across two blocks" "boot without memmap=8M\$0x40000000"
fi

totals
