#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Ranges that are reserved now but are not RAM in the firmware memory map
# must refuse to load, each with one line naming the range and the first
# byte that is not RAM, and leave /proc/iomem as it was.  TAP output; runs
# as root in the test VM (busybox sh), with resmem not loaded.
#
# The boot (selftests/check, step "non-RAM ranges") gives the VM 4 GiB, so
# RAM is [1M, 2G) and [4G, 6G), and reserves with memmap=SIZE$BASE after the
# usual R0 and R1:
#
#   256M$0x200000000   beyond the end of RAM (a hole in the firmware map)
#   64M$0x84000000     inside the 32-bit PCI window (a hole)
#   256M$0x178000000   half RAM, half the hole after the end of RAM
#
# and uses 0x7ffe0000-0x7fffffff, which the firmware (SeaBIOS) reserves.
# What the module must name is worked out here from the firmware map as
# the kernel got it (fw_entries), independently of the module.

. "$(dirname "$0")/lib.sh"
MAP=/sys/firmware/memmap

echo "TAP version 13"
echo "1..5"
unload

# fw_entries: the firmware map as the kernel got it, one "START END TYPE"
# line per entry (END inclusive).  From /sys/firmware/memmap where the
# kernel has CONFIG_FIRMWARE_MEMMAP (Debian's), else from the
# "BIOS-e820:" lines the kernel logs at boot (the debug kernel), with
# e820's names turned into the firmware map's.
fw_entries() {
	if [ -d "$MAP" ]; then
		for d in "$MAP"/*; do
			echo "$(cat "$d/start") $(cat "$d/end") $(cat "$d/type")"
		done
		return
	fi
	dmesg | sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] \(.*\)$/\1 \2 \3/p' |
		sed -e 's/ usable$/ System RAM/' -e 's/ reserved$/ Reserved/' \
		    -e 's/ ACPI data$/ ACPI Tables/' \
		    -e 's/ ACPI NVS$/ ACPI Non-volatile Storage/'
}

# fw_type ADDR: the type of the firmware entry holding ADDR, or "hole"
fw_type() {
	while read -r s e t; do
		if [ $((s)) -le $(($1)) ] && [ $(($1)) -le $((e)) ]; then
			echo "$t"
			return
		fi
	done < /tmp/nonram.map
	echo hole
}

# first_not_ram SIZE@BASE: the first byte of the range that no "System RAM"
# entry of the firmware map holds, or nothing when it is all RAM
first_not_ram() {
	base=$((${1#*@})) size=${1%@*}
	case $size in
	*G) size=$((${size%G} << 30)) ;;
	*M) size=$((${size%M} << 20)) ;;
	*K) size=$((${size%K} << 10)) ;;
	esac
	grep ' System RAM$' /tmp/nonram.map > /tmp/nonram.ram
	pos=$base end=$((base + size))
	while [ $pos -lt $end ]; do
		next=$pos
		while read -r s e t; do
			if [ $((s)) -le $pos ] && [ $pos -le $((e)) ]; then
				next=$((e + 1))
			fi
		done < /tmp/nonram.ram
		if [ $next -eq $pos ]; then
			hex $pos
			return
		fi
		pos=$next
	done
}

# Read once, before any load adds to the kernel log.
fw_entries > /tmp/nonram.map
diag "firmware map: $(wc -l < /tmp/nonram.map) entries, $(grep -c ' System RAM$' /tmp/nonram.map) of them RAM"
sed 's/^/#   /' /tmp/nonram.map

# words TYPE: how the module names a firmware type
words() {
	case $1 in
	hole) echo "a hole" ;;
	Reserved) echo "reserved" ;;
	*) echo "$1" ;;
	esac
}

# shape NAME SIZE@BASE [PARAMS]: a range the current map reserves but the
# firmware does not call RAM.  Should the module load anyway, a memarea and
# a buddy allocation show what that memory does.
shape() {
	name=$1 r=$2 more=${3:-}
	if ! grep -qi "^ *$(printf '%x' $((${r#*@})))-.* : reserved$" /proc/iomem; then
		skip "$name" "$r is not reserved in this boot"
		return
	fi
	bad=$(first_not_ram "$r")
	if [ -z "$bad" ]; then
		notok "$name: $r is all RAM in the firmware map; wrong boot?"
		return
	fi
	what=$(words "$(fw_type "$bad")")
	diag "$name: $r, first byte not RAM $bad ($what)"
	# shellcheck disable=SC2086
	if $LOAD "$KO" "ranges=$r" $more 2> /dev/null; then
		diag "loaded; allocating from it"
		resmemctl alloc --kind memarea --count 1 2>&1 | sed 's/^/# /'
		resmemctl alloc --order 0 2>&1 | sed 's/^/# /'
		unload
		notok "$name: loaded with 'ranges=$r'"
		return
	fi
	refuse "$name" "ranges=$r $more" \
		"range 0 (.*): not RAM in the firmware memory map ($bad is $what)"
}

# 128 KiB holds order 5 at most
shape "firmware-reserved area" 128K@0x7ffe0000 max_order=5
shape "PCI window" 64M@0x84000000
shape "half RAM, half hole" 256M@0x178000000
shape "beyond the end of RAM" 256M@0x200000000

# 5: the RAM part of the half-and-half reservation alone loads
if $LOAD "$KO" "ranges=128M@0x178000000" && loaded; then
	ok "the RAM half alone loads"
else
	dmesg | grep 'resmem: ' | tail -n 3 | sed 's/^/# /'
	notok "the RAM half alone loads"
fi
unload

totals
