#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The concurrent stress test (stress_test.c) with resmem loaded for it: both
# ranges of the test VM and a 32 MiB CMA region "t" at the top of the
# second, so that movable allocations on node 1 are lent region memory and
# the take-back thread migrates them, and test_ioctls=1 for the test-only
# RESMEM_IOC_KFILL that the workers check their buffers with.  Afterwards
# rmmod must succeed and, on a kernel with kmemleak, no leak may be
# reported.  Arguments go to stress_test (--seconds S, --ops N, --procs N,
# --seed N); the seed can also come from RESMEM_STRESS_SEED.  TAP output;
# runs as root in the test VM (busybox sh) with resmem not loaded.

cd "$(dirname "$0")" || exit 1
. ./lib.sh
KML=/sys/kernel/debug/kmemleak

echo "TAP version 13"
echo "1..4"
unload
# forget what was reported before: only the run's leaks count
[ -w $KML ] && echo clear > $KML
DUP='debugfs: .* already present'
dup0=$(dmesg | grep -c "$DUP")
top=$(hex $((B1 + 0x2000000)))
params="ranges=$R0,$R1 cma=t:32M@$top test_ioctls=1"
# shellcheck disable=SC2086
if $LOAD "$KO" $params; then
	ok "resmem loaded with $params"
else
	notok "resmem loaded with $params"
	totals
	exit 1
fi

echo "# file: stress_test"
./stress_test "$@"
rc=$?

echo "# file: stress_test.sh"
# resmem must never make a debugfs entry twice (regions made and destroyed)
dup=$(($(dmesg | grep -c "$DUP") - dup0))
if [ "$dup" -eq 0 ]; then
	ok "no debugfs entry made twice"
else
	dmesg | grep "$DUP" | sed 's/^\[[^]]*\] //' | sort | uniq -c |
		sed 's/^/# /' | head -n 20
	notok "no debugfs entry made twice: $dup times 'already present'"
fi
if rmmod resmem; then
	ok "rmmod resmem after the run"
else
	notok "rmmod resmem after the run"
fi
if [ -w $KML ]; then
	# kmemleak reports objects unreferenced for 5 s or more
	sleep 6
	echo scan > $KML
	leaks=$(cat $KML)
	if [ -z "$leaks" ]; then
		ok "kmemleak: no leak reported"
	else
		printf '%s\n' "$leaks" | head -n 60 | sed 's/^/# /'
		notok "kmemleak: $(printf '%s\n' "$leaks" | grep -c '^unreferenced object') leaks reported"
	fi
else
	skip "kmemleak: no leak reported" "kernel without CONFIG_DEBUG_KMEMLEAK"
fi
totals && [ $rc -eq 0 ]
