#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Every kselftest, in the test VM booted without resmem loaded
# (selftests/testvm/run --no-load).  Each test prints TAP; the exit status is
# non-zero when any failed.

cd "$(dirname "$0")" || exit 1
. ./lib.sh
rc=0

# kmod_test NAME WHAT: load the test module NAME (its init runs the test),
# unload it; one TAP line
kmod_test() {
	echo "# file: $1.ko"
	if $LOAD "/resmem/selftests/$1.ko" && rmmod "$1"; then
		echo "ok 1 $1: $2"
	else
		dmesg | grep "$1" | sed 's/^/# /'
		echo "not ok 1 $1: $2"
		rc=1
	fi
}

echo "# file: load_test.sh"
./load_test.sh || rc=1

# test_ioctls=1: file_test, vcompound_test and fault_test use the test-only
# RESMEM_IOC_KFILL
if ! $LOAD "$KO" "ranges=$R0,$R1" test_ioctls=1; then
	echo "Bail out! cannot load resmem with ranges=$R0,$R1 test_ioctls=1"
	exit 1
fi
echo "# file: info_test"
RESMEM_EXPECT_NODES="$(node_of "$B0"),$(node_of "$B1")" ./info_test || rc=1
echo "# file: buddy_test"
./buddy_test || rc=1
echo "# file: memarea_test"
./memarea_test || rc=1
echo "# file: file_test"
./file_test || rc=1
echo "# file: vcompound_test"
./vcompound_test || rc=1
echo "# file: resmemctl_test.sh"
./resmemctl_test.sh || rc=1
echo "# file: fault_test"
./fault_test || rc=1
kmod_test resmem_xcftest "xcf's in-kernel API, every object size"
kmod_test resmem_xcfstress "xcf under load: a worker per CPU, objects traded across CPUs, compaction meanwhile"
rmmod resmem || rc=1

# loads resmem itself, and brd; leaves zswap on zbud
echo "# file: zswap_test.sh"
./zswap_test.sh || rc=1

echo "# file: cma_load_test.sh"
./cma_load_test.sh || rc=1
if ! $LOAD "$KO" "ranges=$R1" "cma=t:32M"; then
	echo "Bail out! cannot load resmem with ranges=$R1 cma=t:32M"
	exit 1
fi
# the production ABI: loaded without test_ioctls, KFILL is -ENOTTY
echo "# file: info_test, without test_ioctls"
RESMEM_EXPECT_NODES="$(node_of "$B1")" ./info_test || rc=1
echo "# file: cma_test"
./cma_test || rc=1
kmod_test resmem_cmatest "movable blocks and buffers in the kernel"
rmmod resmem || rc=1

# loads resmem itself (both ranges, region t, test_ioctls) and unloads it
echo "# file: stress_test.sh"
./stress_test.sh --seconds "${RESMEM_STRESS_SECONDS:-40}" || rc=1

# loads resmem itself (both ranges, no region), lends regions, unloads it
echo "# file: cma_system_test.sh"
./cma_system_test.sh || rc=1

echo "# file: fault_load_test.sh"
./fault_load_test.sh || rc=1

exit $rc
