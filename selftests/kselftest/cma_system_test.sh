#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# CMA regions lent to the system (cma_system_test.c) with resmem loaded for
# it on both ranges of the test VM and no region; afterwards rmmod must
# succeed and /proc/iomem be as before the load.  For the test that fills
# more than the RAM outside the region, swap on a 1 GiB brd RAM disk with
# zswap in front on zsmalloc (lib.sh's brd_swap; the pages it writes
# compress well, so brd takes next to no RAM); for the O_DIRECT test,
# null_blk where the kernel has it (Debian's and the debug kernel): one
# memory-backed device whose requests complete after
# RESMEM_LEND_DIO_NSEC (default 3 s; under 5 s, null_blk's request
# timeout, after which the read fails), so a read stays in flight.
# zswap's settings are restored and both devices removed afterwards.
# Arguments go to cma_system_test (--cycles N, default 100;
# RESMEM_LEND_CYCLES=N sets it too, for make stress;
# RESMEM_LEND_OVERFILL_CYCLES=M sets --overfill-cycles, fill_beyond_ram's
# cycles, N / 100 by default, 0 for its fill and checks alone).  TAP
# output; runs as root in the test VM (busybox sh) with resmem not loaded.

cd "$(dirname "$0")" || exit 1
. ./lib.sh

echo "TAP version 13"
echo "1..7"
unload
iomem=$(md5sum < /proc/iomem)
params="ranges=$R0,$R1"
# shellcheck disable=SC2086
if $LOAD "$KO" $params; then
	ok "resmem loaded with $params"
else
	notok "resmem loaded with $params"
	totals
	exit 1
fi

# zsmalloc packs a well-compressed page into a few dozen bytes, zbud
# (6.1's and debug's default) into half a page at best
zpool0=$(cat $ZP/zpool 2> /dev/null)
zon0=$(cat $ZP/enabled 2> /dev/null)
swap=0
if [ ! -w $ZP/zpool ]; then
	skip "swap on brd with zswap" "kernel without zswap"
else
	[ -e zsmalloc.ko ] && ! grep -q '^zsmalloc ' /proc/modules &&
		$LOAD ./zsmalloc.ko
	if brd_swap 1048576 && zswap_on zsmalloc; then
		swap=1
		ok "swap on a 1 GiB brd RAM disk, zswap on zsmalloc"
	else
		notok "swap on a 1 GiB brd RAM disk, zswap on zsmalloc"
		brd_swap_off
	fi
fi

nullb=0
if [ ! -e null_blk.ko ]; then
	skip "null_blk device with delayed completion" "kernel without null_blk"
else
	[ -e configfs.ko ] && ! grep -q '^configfs ' /proc/modules &&
		$LOAD ./configfs.ko
	if $LOAD ./null_blk.ko nr_devices=1 gb=1 bs=4096 memory_backed=1 \
		irqmode=2 completion_nsec="${RESMEM_LEND_DIO_NSEC:-3000000000}" &&
		[ -b /dev/nullb0 ]; then
		nullb=1
		ok "null_blk /dev/nullb0, completions after $((${RESMEM_LEND_DIO_NSEC:-3000000000} / 1000000)) ms"
	else
		notok "null_blk /dev/nullb0 with delayed completion"
	fi
fi

echo "# file: cma_system_test"
# shellcheck disable=SC2086
./cma_system_test --cycles "${RESMEM_LEND_CYCLES:-100}" \
	${RESMEM_LEND_OVERFILL_CYCLES:+--overfill-cycles $RESMEM_LEND_OVERFILL_CYCLES} "$@"
rc=$?

echo "# file: cma_system_test.sh"

# A destroy merges resmem's iomem entries around the region again: the one
# after it is released and the one before grows over its space.  Another
# driver claims that space in the moment between (resmem_holder
# when_released=1, a kretprobe on __release_region()).  The destroy must
# succeed with the region gone and no System RAM left, resmem's entry
# ending where the region did and the other driver's after it; once that
# driver is gone, a region lends and is destroyed there again.
HOLDER=${RESMEM_HOLDER_KO:-/resmem/selftests/resmem_holder.ko}
CTL=${RESMEMCTL:-resmemctl}
bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
rsize=${R0%@*}
case $rsize in
*G) rsize=$((${rsize%G} << 30)) ;;
*M) rsize=$((${rsize%M} << 20)) ;;
esac
rb=$((B0 + bs)) cb=$((B0 + 2 * bs)) cs=$((rsize - 2 * bs))
race="destroy while another driver claims resmem's entry after the region"
iomem_line() { grep -q "^ *$(printf '%08x-%08x' "$1" "$2") : $3\$" /proc/iomem; }
if [ $cs -le 0 ] || [ $((B0 % bs)) -ne 0 ]; then
	skip "$race" "the first range is not 3 aligned memory blocks"
	skip "lend and destroy there again after the other driver left" \
		"the first range is not 3 aligned memory blocks"
elif ! $LOAD "$HOLDER" base="$(hex $cb)" size="$(hex $cs)" \
	when_released=1 2> /dev/null; then
	skip "$race" "kernel without kretprobes"
	skip "lend and destroy there again after the other driver left" \
		"kernel without kretprobes"
else
	out=$($CTL cma lend race "$(hex $bs)@$(hex $rb)" 2>&1 &&
	      $CTL cma destroy race 2>&1)
	st=$?
	if [ $st -eq 0 ] &&
	   [ "$(cat /sys/module/resmem_holder/parameters/claimed)" = 1 ] &&
	   [ ! -e /sys/kernel/debug/resmem/cma/race ] &&
	   ! grep -q 'System RAM (resmem)' /proc/iomem &&
	   iomem_line $B0 $((cb - 1)) resmem &&
	   iomem_line $cb $((B0 + rsize - 1)) resmem_holder; then
		ok "$race"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		grep -i 'resmem\|System RAM' /proc/iomem | sed 's/^/# /'
		diag "claimed: $(cat /sys/module/resmem_holder/parameters/claimed)"
		dmesg | grep 'resmem: ' | tail -n 4 | sed 's/^/# /'
		notok "$race"
	fi
	rmmod resmem_holder
	out=$($CTL cma lend race "$(hex $bs)@$(hex $rb)" 2>&1 &&
	      $CTL cma destroy race 2>&1)
	st=$?
	if [ $st -eq 0 ] && ! grep -q 'System RAM (resmem)' /proc/iomem &&
	   iomem_line $B0 $((cb - 1)) resmem; then
		ok "lend and destroy there again after the other driver left"
	else
		printf '%s\n' "$out" | sed 's/^/# /'
		grep -i 'resmem\|System RAM' /proc/iomem | sed 's/^/# /'
		notok "lend and destroy there again after the other driver left"
	fi
fi

[ $nullb = 1 ] && rmmod null_blk
if [ $swap = 1 ]; then
	brd_swap_off
	echo 0 > $ZP/enabled
	echo "$zpool0" > $ZP/zpool
	[ "$zon0" = Y ] && echo 1 > $ZP/enabled
fi
if rmmod resmem; then
	ok "rmmod resmem after the run"
else
	notok "rmmod resmem after the run"
fi
if [ "$iomem" = "$(md5sum < /proc/iomem)" ]; then
	ok "/proc/iomem as before the load"
else
	notok "/proc/iomem as before the load"
fi
totals && [ $rc -eq 0 ]
