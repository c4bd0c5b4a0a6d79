#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# CMA regions lent to the system (cma_system_test.c) with resmem loaded for
# it on both ranges of the test VM and no region; afterwards rmmod must
# succeed and /proc/iomem be as before the load.  Arguments go to
# cma_system_test (--cycles N, default 100; RESMEM_LEND_CYCLES=N sets it
# too, for make stress).  TAP output; runs as root in the test VM (busybox
# sh) with resmem not loaded.

cd "$(dirname "$0")" || exit 1
. ./lib.sh

echo "TAP version 13"
echo "1..3"
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

echo "# file: cma_system_test"
./cma_system_test --cycles "${RESMEM_LEND_CYCLES:-100}" "$@"
rc=$?

echo "# file: cma_system_test.sh"
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
