#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every kselftest, in the test VM booted without resmem loaded
# (selftests/testvm/run --no-load).  Each test prints TAP; the exit status is
# non-zero when any failed.

cd "$(dirname "$0")" || exit 1
. ./lib.sh
rc=0

# tap_file NAME: the TAP file header of what runs next, after the time the one
# before took ("# time: NAME N s", which make check's log keeps)
t_name="" t_start=0
tap_file() {
	now=$(date +%s)
	[ -n "$t_name" ] && echo "# time: $t_name $((now - t_start)) s"
	t_name=$1 t_start=$now
	[ -n "$1" ] && echo "# file: $1"
}

# kmod_test NAME WHAT: load the test module NAME (its init runs the test),
# unload it; one TAP line
kmod_test() {
	tap_file "$1.ko"
	if $LOAD "/resmem/selftests/$1.ko" && rmmod "$1"; then
		echo "ok 1 $1: $2"
	else
		dmesg | grep "$1" | sed 's/^/# /'
		echo "not ok 1 $1: $2"
		rc=1
	fi
}

tap_file "load_test.sh"
./load_test.sh || rc=1

# test_ioctls=1: file_test, vcompound_test and fault_test use the test-only
# RESMEM_IOC_KFILL
if ! $LOAD "$KO" "ranges=$R0,$R1" test_ioctls=1; then
	echo "Bail out! cannot load resmem with ranges=$R0,$R1 test_ioctls=1"
	exit 1
fi
tap_file "info_test"
RESMEM_EXPECT_NODES="$(node_of "$B0"),$(node_of "$B1")" ./info_test || rc=1
tap_file "buddy_test"
./buddy_test || rc=1
tap_file "memarea_test"
./memarea_test || rc=1
tap_file "file_test"
./file_test || rc=1
tap_file "vcompound_test"
./vcompound_test || rc=1
tap_file "resmemctl_test.sh"
./resmemctl_test.sh || rc=1
tap_file "fault_test"
./fault_test || rc=1
kmod_test resmem_xcftest "xcf's in-kernel API, every object size"
kmod_test resmem_xcfstress "xcf under load: a worker per CPU, objects traded across CPUs, compaction meanwhile"
rmmod resmem || rc=1

# loads resmem itself, and brd; leaves zswap on zbud
tap_file "zswap_test.sh"
./zswap_test.sh || rc=1

tap_file "cma_load_test.sh"
./cma_load_test.sh || rc=1
if ! $LOAD "$KO" "ranges=$R1" "cma=t:32M"; then
	echo "Bail out! cannot load resmem with ranges=$R1 cma=t:32M"
	exit 1
fi
# the production ABI: loaded without test_ioctls, KFILL is -ENOTTY
tap_file "info_test, without test_ioctls"
RESMEM_EXPECT_NODES="$(node_of "$B1")" ./info_test || rc=1
tap_file "cma_test"
./cma_test || rc=1
kmod_test resmem_cmatest "movable blocks and buffers in the kernel"
rmmod resmem || rc=1

# loads resmem itself (both ranges, region t, test_ioctls) and unloads it
tap_file "stress_test.sh"
./stress_test.sh --seconds "${RESMEM_STRESS_SECONDS:-40}" || rc=1

# loads resmem itself (both ranges, no region), lends regions, unloads it
tap_file "cma_system_test.sh"
./cma_system_test.sh || rc=1

tap_file "fault_load_test.sh"
./fault_load_test.sh || rc=1

tap_file ""
exit $rc
