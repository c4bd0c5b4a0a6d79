#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading resmem: every validation failure refuses to load,
# prints one clear line naming the range and the reason, and leaves
# /proc/iomem as it was; good ranges are claimed and released; 50 load and
# unload cycles in a row work.  TAP output; runs as root in the test VM
# (busybox sh), with resmem not loaded.
#
# The layout comes from the kernel command line: the first two memmap=
# reservations are R0 and R1.  When the boot also reserved 8 MiB at 1 GiB,
# right after R0 (memmap=8M$0x40000000, on the second node in the test VM),
# a range across that node boundary is checked too.
#
# Environment: RESMEM_KO (default /resmem/resmem.ko), RESMEM_HOLDER_KO
# (default /resmem/selftests/resmem_holder.ko), RESMEM_MODLOAD (default
# /resmem/selftests/modload).

HOLDER=${RESMEM_HOLDER_KO:-/resmem/selftests/resmem_holder.ko}
DBG=/sys/kernel/debug/resmem
. "$(dirname "$0")/lib.sh"

echo "TAP version 13"
echo "1..21"

if [ -z "$R0" ] || [ -z "$R1" ]; then
	echo "Bail out! need two memmap=SIZE\$BASE reservations on the command line"
	exit 1
fi
unload

# 1: good ranges load, show in /proc/iomem nested in "reserved", unload clean
if $LOAD "$KO" "ranges=$R0,$R1" && loaded &&
   [ "$(grep -c ' : resmem$' /proc/iomem)" -eq 2 ] &&
   grep -B1 ' : resmem$' /proc/iomem | grep -qi ': reserved$' &&
   rmmod resmem && ! grep -q resmem /proc/iomem; then
	ok "valid ranges load and unload"
else
	grep -i -e resmem -e reserved /proc/iomem | sed 's/^/# /'
	unload
	notok "valid ranges load and unload"
fi

refuse "missing ranges=" "" "ranges= is missing"
refuse "malformed entry" "ranges=512M$B0" "range 0 '512M$B0' is malformed"
refuse "zero size" "ranges=$R0,0@$B1" "range 1 (0@$B1): size is zero"
refuse "unaligned base" "ranges=4M@$(hex $((B0 + 2048)))" \
	"range 0 .*base is not a multiple of the page size"
refuse "unaligned size" "ranges=6K@$B0" \
	"range 0 .*size is not a multiple of the page size"
refuse "beyond physical address limit" "ranges=4K@0xfffffffffff000" \
	"range 0 .*beyond the physical address limit"
refuse "overlapping ranges" "ranges=4M@$B0,4M@$(hex $((B0 + 0x200000)))" \
	"range 1 .*overlaps range 0"
refuse "overlaps System RAM" "ranges=$R0,4M@0x1000000" \
	"range 1 (0x400000@0x1000000): overlaps System RAM"

# 10: an address far above RAM that iomem does not list as reserved
far=0x400000000
if grep -i reserved /proc/iomem | grep -q '^ *4000'; then
	skip "not inside a reserved region" "$far is reserved here"
else
	refuse "not inside a reserved region" "ranges=4K@$far" \
		"range 0 .*not entirely inside a reserved region"
fi

refuse "too small for its metadata" "ranges=4K@$B0" \
	"range 0 .*too small to hold its own metadata"
refuse "node not online" "ranges=4M@$B0:7" "range 0 .*node 7 is not online"

# 13: a region another driver holds
if insmod "$HOLDER" base=$((B1 + 0x100000)) size=0x100000; then
	refuse "held by another driver" "ranges=$R0,$R1" \
		"range 1 .*held by another driver"
	grep -q 'resmem_holder' /proc/iomem || notok "holder lost its claim"
	rmmod resmem_holder
else
	notok "held by another driver: cannot load the holder"
fi

# 14: a refusal after good ranges keeps none of them claimed
refuse "no partial claim" "ranges=$R0,$R1,4M@0x1000000" \
	"range 2 .*overlaps System RAM"

# 15: the node: firmware's by default
if $LOAD "$KO" "ranges=$R0,$R1"; then
	nodes=$(awk '/^range/ { t = 1; next } t && NF == 4 { print $4 }' \
		"$DBG/info" | tr '\n' ' ')
	rmmod resmem
	want="$(node_of "$B0") $(node_of "$B1") "
	if [ "$nodes" = "$want" ]; then
		ok "ranges on the nodes firmware reports"
	else
		notok "ranges on the nodes firmware reports: got '$nodes', want '$want'"
	fi
else
	notok "ranges on the nodes firmware reports: load failed"
fi

# 16: an explicit node wins
if $LOAD "$KO" "ranges=${R1}:0" &&
   awk '/^block/ { t = 1; next } t && NF == 8 { print $5 }' "$DBG/info" |
   grep -qx 0; then
	ok "explicit :NODE"
else
	notok "explicit :NODE"
fi
unload

# 17: a range across the node boundary becomes one block per node
if tr ' ' '\n' < /proc/cmdline | grep -q '^memmap=8M\$0x40000000$'; then
	if $LOAD "$KO" "ranges=8M@0x3fc00000" &&
	   [ "$(awk '/^block/ { t = 1; next } t && NF == 8 { printf "%s:%s ", $5, $4 }' \
		"$DBG/info")" = "0:0x0000000000400000 1:0x0000000000400000 " ]; then
		ok "range across a node boundary splits into blocks"
	else
		cat "$DBG/info" 2> /dev/null | sed 's/^/# /'
		notok "range across a node boundary splits into blocks"
	fi
	unload
else
	skip "range across a node boundary splits into blocks" \
		"boot without memmap=8M\$0x40000000"
fi

# 18: max_order beyond what the largest block holds
refuse "max_order too large" "ranges=$R0,$R1 max_order=30" \
	"max_order=30: the largest block holds order"

# 19: the largest max_order the largest block allows
if $LOAD "$KO" "ranges=$R0,$R1 max_order=17" &&
   grep -qx 'max_order: 17' "$DBG/info" &&
   [ "$(awk 'NR == 1 { print NF }' "$DBG/buddyinfo")" -eq $((4 + 18)) ]; then
	ok "max_order=17 on a 512 MiB range"
else
	notok "max_order=17 on a 512 MiB range"
fi
unload

# 20: 50 load/unload cycles
i=0
while [ $i -lt 50 ]; do
	$LOAD "$KO" "ranges=$R0,$R1" || break
	rmmod resmem || break
	i=$((i + 1))
done
if [ $i -eq 50 ] && ! grep -q resmem /proc/iomem; then
	ok "50 load/unload cycles"
else
	notok "50 load/unload cycles: stopped after $i"
fi

# 21: the module parameter is readable and what was given
if $LOAD "$KO" "ranges=$R0,$R1" &&
   [ "$(cat /sys/module/resmem/parameters/ranges)" = "$R0,$R1" ]; then
	ok "ranges parameter reads back"
else
	notok "ranges parameter reads back"
fi
unload

totals
