#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# resmemctl against the loaded module: the table, the JSON, and the
# messages and exit codes when the device is not there or not permitted.
# TAP output; runs as root in the test VM with resmem loaded.

. "$(dirname "$0")/lib.sh"

echo "TAP version 13"
echo "1..6"

out=$(resmemctl info)
if [ $? -eq 0 ] && echo "$out" | grep -q '^resmem ABI 1, page size 4096$' &&
   echo "$out" | grep -q '^ranges: 2, blocks: 2$'; then
	ok "info table"
else
	echo "$out" | sed 's/^/# /'
	notok "info table"
fi

json=$(resmemctl info --json)
if [ $? -eq 0 ] && echo "$json" | grep -q '^{"abi_version":1,' &&
   echo "$json" | grep -q '"nr_ranges":2,' &&
   echo "$json" | grep -q "\"base\":$(($B1))," &&
   [ "$(echo "$json" | tr -cd '{' | wc -c)" -eq 3 ] &&
   [ "$(echo "$json" | tr -cd '}' | wc -c)" -eq 3 ]; then
	ok "info --json"
else
	echo "$json" | sed 's/^/# /'
	notok "info --json"
fi

resmemctl frobnicate > /dev/null 2>&1
rc=$?
if [ $rc -eq 2 ]; then ok "unknown command exits 2"; else
	notok "unknown command exits 2 (got $rc)"; fi

# the initramfs has no users: add nobody for su
mkdir -p /etc
grep -q '^nobody:' /etc/passwd 2> /dev/null ||
	echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> /etc/passwd
err=$(su -s /bin/sh -c 'resmemctl info' nobody 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'permission denied.*run as root'; then
	ok "unprivileged user told it is root-only"
else
	echo "$err" | sed 's/^/# /'
	notok "unprivileged user told it is root-only (exit $rc)"
fi

err=$(resmemctl --device /dev/nonexistent info 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'is the resmem module loaded'; then
	ok "missing device explained"
else
	echo "$err" | sed 's/^/# /'
	notok "missing device explained (exit $rc)"
fi

err=$(RESMEM_DEVICE=/dev/null resmemctl info 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'GET_INFO'; then
	ok "a device that is not resmem is refused"
else
	echo "$err" | sed 's/^/# /'
	notok "a device that is not resmem is refused (exit $rc)"
fi

totals
