#!/bin/sh
# /init of the resmem test VM (busybox sh).  Installed by selftests/vm/run,
# which also writes /resmem/env (settings) and /resmem/cmd (the COMMAND).
# Protocol with the harness (keep in sync with selftests/vm/run):
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
[ "$RESMEM_OUT_SEND" = 1 ] && send_out
finish "RESMEM_VM_EXIT=$rc"
