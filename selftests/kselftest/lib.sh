# SPDX-License-Identifier: GPL-2.0
# Shared by the shell selftests (busybox sh, in the test VM): TAP helpers
# and the reserved layout read from the kernel command line.

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
diag() { echo "# $*"; }
totals() {
	echo "# Totals: pass:$((n - fails)) fail:$fails"
	[ $fails -eq 0 ]
}

KO=${RESMEM_KO:-/resmem/resmem.ko}
# one finit_module() per load: busybox insmod retries with init_module()
LOAD=${RESMEM_MODLOAD:-/resmem/selftests/modload}
loaded() { grep -q '^resmem ' /proc/modules; }
unload() { if loaded; then rmmod resmem; fi; }

# memmap=SIZE$BASE -> "SIZE@BASE", in the order of the command line
memmaps() {
	tr ' ' '\n' < /proc/cmdline |
		sed -n 's/^memmap=\([^$]*\)\$\(.*\)$/\1@\2/p'
}
R0=$(memmaps | sed -n 1p)
R1=$(memmaps | sed -n 2p)
B0=${R0#*@}
B1=${R1#*@}

hex() { printf '0x%x' "$1"; }

# node_of ADDR: the node whose memory blocks start closest below ADDR
node_of() {
	bs=$((0x$(cat /sys/devices/system/memory/block_size_bytes)))
	best=0 beststart=-1
	for d in /sys/devices/system/node/node[0-9]*; do
		nid=${d##*node}
		for m in "$d"/memory[0-9]*; do
			[ -e "$m" ] || continue
			start=$((${m##*memory} * bs))
			if [ $start -le $(($1)) ] && [ $start -gt $beststart ]; then
				best=$nid beststart=$start
			fi
		done
	done
	echo "$best"
}

resmem_lines() { dmesg | grep 'resmem: ' | grep -v 'taint'; }

# refuse NAME PARAMS PATTERN: loading resmem with PARAMS must fail with
# exactly one resmem line, matching PATTERN, and /proc/iomem unchanged.
refuse() {
	name=$1 params=$2 pattern=$3
	before=$(md5sum < /proc/iomem)
	dmesg -c > /dev/null
	# shellcheck disable=SC2086
	if $LOAD "$KO" $params 2> /dev/null; then
		unload
		notok "$name: loaded with '$params'"
		return
	fi
	lines=$(resmem_lines)
	count=$(printf '%s\n' "$lines" | grep -c 'resmem: ')
	if [ "$before" != "$(md5sum < /proc/iomem)" ]; then
		notok "$name: /proc/iomem changed"
	elif [ "$count" -ne 1 ]; then
		printf '%s\n' "$lines" | sed 's/^/# /'
		notok "$name: $count resmem lines, want exactly 1"
	elif ! printf '%s\n' "$lines" | grep -q -- "$pattern"; then
		printf '%s\n' "$lines" | sed 's/^/# /'
		notok "$name: line does not say '$pattern'"
	else
		diag "$(printf '%s\n' "$lines" | sed 's/^\[[^]]*\] //')"
		ok "$name"
	fi
}

# Swap on a brd RAM disk, with zswap in front of it (zswap_test.sh,
# cma_system_test.sh).  brd takes RAM only for the sectors written to it:
# pages zswap stores compressed never reach it.
ZP=/sys/module/zswap/parameters
# brd_swap KIB: swap on /dev/ram0 of KIB KiB
brd_swap() {
	$LOAD /resmem/selftests/brd.ko rd_nr=1 rd_size="$1" &&
		mkswap /dev/ram0 > /dev/null && swapon /dev/ram0
}
# brd_swap_off: undo brd_swap
brd_swap_off() {
	swapoff /dev/ram0 2> /dev/null
	rmmod brd 2> /dev/null
}
# zswap_on ZPOOL: zswap enabled, storing into ZPOOL (off while it changes)
zswap_on() {
	echo 0 > $ZP/enabled
	echo "$1" > $ZP/zpool && echo 1 > $ZP/enabled &&
		[ "$(cat $ZP/zpool)" = "$1" ] && [ "$(cat $ZP/enabled)" = Y ]
}
