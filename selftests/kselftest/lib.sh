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
