#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load and unload under fault injection, and the in-kernel migration path
# (resmem_faulttest.ko).  TAP output; runs as root in the test VM (busybox
# sh) with resmem not loaded; SKIPs on a kernel without fault injection.
#
# fail-nth (Documentation/fault-injection/fault-injection.rst) makes the
# n-th fault-injection point of one task fail; faultload arms it around
# the finit_module() or delete_module() call alone.  A load passes the
# kernel's own loader first (reading the file, module memory, sysfs,
# parameters), whose vmalloc failures warn by design, then resmem_init().
# So the loop starts a few points before resmem's first call: the count
# a load refused at resmem's first check passes (the loader, resmem's two
# allocations before the parser, the refusal), less a margin that the
# loader's silent last steps (sysfs, parameters, do_init_module())
# absorb.  For each n, until the fault is not consumed: a load that fails
# leaves /proc/iomem, /proc/modules, /dev and debugfs as they were, and the
# next load succeeds; one that succeeds works and unloads to that state.
# Unload: every n must unload and leave that state.  kmemleak (the debug
# kernel) scans after the run.

. "$(dirname "$0")/lib.sh"
FL=/resmem/selftests/faultload
FT=/resmem/selftests/resmem_faulttest.ko
FI=/sys/kernel/debug
PARAMS="ranges=$R1 cma=ft:8M"
MARGIN=16
BIG=1000000

echo "TAP version 13"
echo "1..4"
unload

if [ ! -w /proc/self/fail-nth ] || [ ! -d $FI/failslab ] ||
   [ ! -d $FI/fail_page_alloc ]; then
	why="no fault injection in this kernel (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)"
	skip "a load fails cleanly at every fault point of resmem_init" "$why"
	skip "an unload succeeds at every fault point" "$why"
	skip "resmem_faulttest: resmem_alloc_movable under fail-nth" "$why"
	skip "resmem_faulttest: taking lent blocks back under fail-nth" "$why"
	totals
	exit $?
fi

# GFP_KERNEL allocations (resmem's) may fail; no report per injection; a
# task with make-it-fail fails every point (resmem_faulttest uses it)
KNOBS="failslab/ignore-gfp-wait=N fail_page_alloc/ignore-gfp-wait=N
fail_page_alloc/ignore-gfp-highmem=N fail_page_alloc/min-order=0
failslab/verbose=0 fail_page_alloc/verbose=0"
for a in failslab fail_page_alloc; do
	KNOBS="$KNOBS $a/task-filter=Y $a/probability=100 $a/interval=1"
	KNOBS="$KNOBS $a/times=-1 $a/space=0"
done
saved=""
for k in $KNOBS; do
	saved="$saved ${k%%=*}=$(cat "$FI/${k%%=*}")"
	echo "${k#*=}" > "$FI/${k%%=*}"
done

# What a load must leave as it found it.
state() {
	cat /proc/iomem
	grep '^resmem' /proc/modules | cut -d' ' -f1
	for f in /dev/resmem* $FI/resmem; do
		[ -e "$f" ] && echo "$f"
	done
}

# faultload's line: rc=ERRNO consumed=0|1 left=L
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

base=$(state)

# --- load -------------------------------------------------------------------
# shellcheck disable=SC2086
out=$($FL load $BIG "$KO" $PARAMS)
total=$((BIG - $(field left "$out")))
unload
# shellcheck disable=SC2086
out=$($FL load $BIG "$KO" ranges=x "${PARAMS#* }")
refused=$((BIG - $(field left "$out")))
start=$((refused - 4 - MARGIN))
[ $start -ge 1 ] || start=1
diag "a load passes $total fault points, one refused by resmem's parser $refused; from n=$start"

# faultload's sweeps run the loops below in one process each (a shell
# loop forks a dozen times per point, slower on the debug kernel than the
# loads); their rules and the state they compare are those of state().
# shellcheck disable=SC2086
out=$($FL sweep-load $start "$KO" $PARAMS)
printf '%s\n' "$out" | grep '^#'
last=$(printf '%s\n' "$out" | tail -n 1)
failed=$(field failed "$last")
diag "load: n=$start..$(field to "$last"), $failed loads failed"
if [ "$(field bad "$last")" = 0 ] && [ "${failed:-0}" -gt 0 ] &&
   [ "$(state)" = "$base" ]; then
	ok "a load fails cleanly at every fault point of resmem_init"
else
	notok "a load fails cleanly at every fault point of resmem_init"
fi

# --- unload -----------------------------------------------------------------
# shellcheck disable=SC2086
out=$($FL sweep-unload "$KO" $PARAMS)
printf '%s\n' "$out" | grep '^#'
last=$(printf '%s\n' "$out" | tail -n 1)
diag "unload: $(($(field to "$last") - 1)) fault points"
if [ "$(field bad "$last")" = 0 ] && [ "$(state)" = "$base" ]; then
	ok "an unload succeeds at every fault point"
else
	notok "an unload succeeds at every fault point"
fi

# --- the in-kernel migration path -----------------------------------------
buddy_state() {
	echo "free+pcp $(($(sed -n 's/^free_pages: //p' $FI/resmem/stats) + \
		$(sed -n 's/^pcp_pages: //p' $FI/resmem/stats)))"
	for f in used lent maxchunk bitmap; do
		echo "$f $(cat $FI/resmem/cma/ft/$f)"
	done
	sed -n 's/^buffers: /buffers /p' $FI/resmem/cma/ft/stats
}
# shellcheck disable=SC2086
if $LOAD "$KO" $PARAMS; then
	s0=$(buddy_state)
	mark=$(dmesg | wc -l)
	if $LOAD $FT region=ft region_pages=2048 count=256; then
		rmmod resmem_faulttest
		lines=$(dmesg | tail -n +$((mark + 1)) | grep 'resmem_faulttest: ')
		printf '%s\n' "$lines" | sed 's/^\[[^]]*\] /# /'
		if printf '%s\n' "$lines" | grep -q 'resmem_alloc_movable, .* failed the call'; then
			ok "resmem_faulttest: resmem_alloc_movable under fail-nth"
		else
			notok "resmem_faulttest: resmem_alloc_movable under fail-nth"
		fi
		s1=$(buddy_state)
		if [ "$s0" = "$s1" ]; then
			ok "resmem_faulttest: taking lent blocks back under fail-nth"
		else
			diag "resmem's state after the module differs:"
			printf '%s\n' "$s0" > /tmp/fl.s0
			printf '%s\n' "$s1" > /tmp/fl.s1
			diff /tmp/fl.s0 /tmp/fl.s1 | sed 's/^/#   /'
			notok "resmem_faulttest: taking lent blocks back under fail-nth"
		fi
	else
		dmesg | tail -n +$((mark + 1)) | grep 'resmem_faulttest: ' |
			sed 's/^\[[^]]*\] /# /'
		notok "resmem_faulttest: resmem_alloc_movable under fail-nth"
		notok "resmem_faulttest: taking lent blocks back under fail-nth"
	fi
	unload
else
	notok "resmem_faulttest: resmem_alloc_movable under fail-nth"
	notok "resmem_faulttest: taking lent blocks back under fail-nth"
fi

for k in $saved; do
	echo "${k#*=}" > "$FI/${k%%=*}"
done
totals
