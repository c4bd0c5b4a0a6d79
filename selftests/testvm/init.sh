#!/bin/sh
# /init of the resmem test VM (busybox sh).  Installed by selftests/testvm/run,
# which also writes /resmem/env (settings) and /resmem/cmd (the COMMAND).
# Protocol with the harness (keep in sync with selftests/testvm/run):
#   - the last line "RESMEM_VM_EXIT=<n>" on the console (ttyS0) is COMMAND's status;
#   - "RESMEM_VM_INSMOD_FAILED" means insmod of the module failed;
#   - the whole kernel log is written to ttyS1 at the end, for scanning;
#   - with RESMEM_OUT_SEND=1 (run --out), before the exit marker, every
#     regular file under /resmem/out as "RESMEM_VM_FILE_BEGIN <path>",
#     its base64 lines, "RESMEM_VM_FILE_END <sha256>".

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname resmem-vm

# shellcheck source=/dev/null
. /resmem/env

# Boot quietly, then show everything the kernel says from here on (unless the
# user asked for a console loglevel with --append loglevel=N).
case " $(cat /proc/cmdline) " in
*" loglevel="*) ;;
*) echo 7 >/proc/sys/kernel/printk ;;
esac

# Send the files COMMAND left in $RESMEM_OUT over the console.  The console
# loglevel is lowered meanwhile so that kernel messages cannot split a line
# (they still reach the dmesg dump on ttyS1).
send_out() {
	files=$(cd /resmem/out && find . -type f | sort)
	[ -n "$files" ] || return 0
	level=$(cut -f1 /proc/sys/kernel/printk)
	echo 1 >/proc/sys/kernel/printk
	printf '\n'
	echo "$files" | while IFS= read -r f; do
		f=${f#./}
		echo "RESMEM_VM_FILE_BEGIN $f"
		base64 "/resmem/out/$f"
		echo "RESMEM_VM_FILE_END $(sha256sum <"/resmem/out/$f" | cut -d' ' -f1)"
	done
	echo "$level" >/proc/sys/kernel/printk
}

finish() {
	# Full kernel log (including what quiet boot kept off the console).
	dmesg >/dev/ttyS1 2>/dev/null
	printf '\n%s\n' "$1"
	poweroff -f
	sleep 60 # not reached
}

echo "resmem-vm: kernel $(uname -r) (series $RESMEM_KSERIES), $(nproc) CPUs, NUMA nodes $(cat /sys/devices/system/node/online 2>/dev/null)"

# kmemleak (the debug kernel): forget what boot left, so the scan after
# COMMAND reports only what was allocated since.  Before the check below:
# the first scan takes seconds on the debug kernel under TCG (about 7 s from
# init's start to COMMAND here), and what the kernel reports meanwhile
# comes before any module too.
KMEMLEAK=/sys/kernel/debug/kmemleak
if [ -w $KMEMLEAK ]; then
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
fi

# A problem the kernel reported while booting, or during that first scan,
# before any module was loaded, is not resmem's (under TCG: an emulator
# fault, such as a stray int3 from text patching).  Say so and stop: the
# harness retries once.
boot_bad=$(dmesg | grep -E "$RESMEM_BAD_RE" | grep -vE "$RESMEM_IGNORE_RE")
if [ -n "$boot_bad" ]; then
	echo "resmem-vm: the kernel reported a problem while booting, before any module was loaded:"
	echo "$boot_bad" | head -n 10 | sed 's/^/resmem-vm:   /'
	finish RESMEM_VM_BOOT_PROBLEM
fi

if [ "$RESMEM_LOAD" = 1 ]; then
	echo "resmem-vm: insmod /resmem/resmem.ko $RESMEM_PARAMS"
	# Split (and unquote) the params like a shell command line would.
	if ! eval "insmod /resmem/resmem.ko $RESMEM_PARAMS"; then
		echo "resmem-vm: insmod failed; last kernel messages:"
		dmesg | tail -n 30
		finish RESMEM_VM_INSMOD_FAILED
	fi
fi

mkdir -p /resmem/out
export RESMEM_OUT=/resmem/out
echo "resmem-vm: running: $(cat /resmem/cmd)"
cd /resmem || exit 1
sh -c "$(cat /resmem/cmd)" </dev/null
rc=$?

# kmemleak: objects older than its minimum age (5 s) that nothing points
# to.  Reports whose backtrace is in a resmem module ("[resmem...]", or an
# address that no longer resolves because the module was unloaded: the VM
# loads no other modules) go to the kernel log, where the harness fails
# the run on them; the kernel's own boot-time false positives do not.
if [ -w $KMEMLEAK ]; then
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	awk -v re='\\[resmem|\\] 0xffffffff' '
	     /^unreferenced object/ { if (rec ~ re) print rec; rec = "" }
	     { rec = rec $0 "\n" }
	     END { if (rec ~ re) print rec }' $KMEMLEAK >/tmp/leaks
	if [ -s /tmp/leaks ]; then
		n=$(grep -c '^unreferenced object' /tmp/leaks)
		echo "resmem-vm: kmemleak: $n suspected leak(s) in resmem" >/dev/kmsg
		while IFS= read -r l; do
			[ -n "$l" ] && echo "resmem-vm: kmemleak:   $l" >/dev/kmsg
		done </tmp/leaks
	fi
fi
[ "$RESMEM_OUT_SEND" = 1 ] && send_out
finish "RESMEM_VM_EXIT=$rc"
