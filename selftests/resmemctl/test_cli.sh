#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016 # $N of scripts is single-quoted on purpose
#
# resmemctl's command line on the host, without a resmem device: usage and
# exit statuses, fragmap and stats on the samples in testdata/ (a module
# with xcf; copies without xcf/, without pools, damaged), scripts
# (line numbers, '-', quoting), the kernel's errors as a non-resmem
# device (/dev/null) gives them, and cma lend's checks and its
# auto_online_blocks save and restore on a fake sysfs (RESMEM_SYSFS).  TAP.  RESMEMCTL names the binary
# (default: the one "make resmemctl" builds).

dir=$(cd "$(dirname "$0")" && pwd)
ctl=${RESMEMCTL:-$dir/../../resmemctl}
data=$dir/testdata
tmp=$(mktemp -d "${TMPDIR:-/tmp}/resmemctl-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC1091 # tap.sh, beside this script
. "$dir/tap.sh"
tap_diag() { cat "$tmp/out" "$tmp/err"; }
# t NAME WANT_STATUS COMMAND...: run, keep stdout/stderr in $tmp/out, err
run() { "$@" > "$tmp/out" 2> "$tmp/err"; echo $? > "$tmp/rc"; }
rc() { cat "$tmp/rc"; }
has() { grep -q -- "$2" "$tmp/$1"; }

echo "TAP version 13"
echo "1..35"

run "$ctl" --help
if [ "$(rc)" -eq 0 ] && has out '^usage: resmemctl' && has out 'fragmap'; then
	ok "--help"; else notok "--help"; fi

run "$ctl" frobnicate
if [ "$(rc)" -eq 2 ] && has err "unknown command 'frobnicate'"; then
	ok "unknown command exits 2"; else notok "unknown command exits 2"; fi

run "$ctl" alloc
if [ "$(rc)" -eq 2 ] && has err 'order N is required'; then
	ok "alloc without --order exits 2"; else notok "alloc without --order exits 2"; fi

run "$ctl" alloc --order 1 --kind slab
if [ "$(rc)" -eq 2 ] && has err "unknown --kind 'slab'"; then
	ok "alloc --kind checked"; else notok "alloc --kind checked"; fi

run "$ctl" alloc --order x
if [ "$(rc)" -eq 2 ] && has err "'x' is not a number"; then
	ok "bad number exits 2"; else notok "bad number exits 2"; fi

run "$ctl" --device /dev/null alloc --order 0
if [ "$(rc)" -eq 1 ] && has err 'RESMEM_IOC_ALLOC: .*(ENOTTY)'; then
	ok "kernel errno named (ENOTTY)"; else notok "kernel errno named (ENOTTY)"; fi

run "$ctl" --device /dev/nonexistent free 1
if [ "$(rc)" -eq 1 ] && has err 'is the resmem module loaded'; then
	ok "missing device explained"; else notok "missing device explained"; fi

run "$ctl" free '$1'
if [ "$(rc)" -eq 2 ] && has err 'work only inside a script'; then
	ok "\$N outside a script exits 2"; else notok "\$N outside a script exits 2"; fi

run "$ctl" write 1 0
if [ "$(rc)" -eq 2 ] && has err "works only inside a script"; then
	ok "write outside a script exits 2"; else notok "write outside a script exits 2"; fi

run "$ctl" fragmap --input "$data/fragmap.txt" --color=never
if [ "$(rc)" -eq 0 ] && has out '^block 0 range 0 node 0 \[mem 0x0000000020000000-0x000000003fffffff\] 131072 pages$' &&
   has out '^0x0000000020000000 MM3\.\.\.' &&
   has out '^block 0: 131072 pages, free 91446 (69.8%), used 39626, largest free run 800 chars (100.0 MiB)$' &&
   has out '^block 1: 16368 pages, free 12995 ' && ! has out "$(printf '\033')"; then
	ok "fragmap text"; else notok "fragmap text"; fi

run "$ctl" fragmap --input "$data/fragmap.txt" --color=always
if [ "$(rc)" -eq 0 ] && has out "$(printf '\033')\[38;5;135mM"; then
	ok "fragmap --color=always"; else notok "fragmap --color=always"; fi

run "$ctl" fragmap --input "$data/fragmap.txt" --json
if [ "$(rc)" -eq 0 ] && [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
   has out '^{"scale_pages":32,"chars_per_line":64,"page_size":4096,"blocks":\[{"block":0,"range":0,"node":0,"base":536870912,"pages":131072,' &&
   has out '"map":"MM3\.\.\.' && has out '{"block":1,"range":1,"node":1,"base":1610612736,"pages":16368,'; then
	ok "fragmap --json"; else notok "fragmap --json"; fi

run "$ctl" fragmap --input "$data/fragmap.txt" --png "$tmp/map.png" --scale 3
sig=$(head -c 8 "$tmp/map.png" 2> /dev/null | od -An -tx1 | tr -d ' \n')
if [ "$(rc)" -eq 0 ] && [ "$sig" = 89504e470d0a1a0a ] &&
   has out "^wrote $tmp/map.png: 256x[0-9]* pixels$"; then
	ok "fragmap --png"; else notok "fragmap --png (signature $sig)"; fi

sed '7s/^0x0000000020000000 MM3/0x0000000020000000 MMz/' "$data/fragmap.txt" > "$tmp/bad.txt"
run "$ctl" fragmap --input "$tmp/bad.txt"
if [ "$(rc)" -eq 1 ] && has err "bad.txt:7: column 22: unknown map char 'z'"; then
	ok "malformed fragmap names line and column"; else notok "malformed fragmap names line and column"; fi

run "$ctl" fragmap --input "$tmp/none.txt"
if [ "$(rc)" -eq 1 ] && has err 'none.txt: No such file'; then
	ok "missing --input"; else notok "missing --input"; fi

run "$ctl" fragmap --png "$tmp/x.png" --scale 0 --input "$data/fragmap.txt"
if [ "$(rc)" -eq 2 ] && [ ! -e "$tmp/x.png" ]; then
	ok "--scale 0 exits 2"; else notok "--scale 0 exits 2"; fi

run "$ctl" stats --dir "$data" --json
if [ "$(rc)" -eq 0 ] &&
   has out '^{"stats":{"allocations":12,"frees":5,"failed_allocations":0,"splits":30,"merges":17},"buddyinfo":\[{"node":0,"zone":"range0","free":\[5,3,0,1,2,0,0,1,0,2,124\],"free_pages":128179},{"node":1,"zone":"range1","free":\[1,0,0,0,0,0,0,0,0,1,15\],"free_pages":15873}\],"xcf":{' &&
   { ! command -v python3 > /dev/null ||
     python3 -c 'import json, sys; json.load(sys.stdin)' < "$tmp/out"; }; then
	ok "stats --json"; else notok "stats --json"; fi

# xcf/: the counters, a pool's row and its classes, in JSON and as text
z2='{"pool":"zswap2","pages":4020,"data_pages":3945,"meta_pages":75,"handles":9723,"vpages":780,"compactions":0,"moved":0,"returns":0,"classes":\[{"class":0,"size":32,"obj_allocated":0,"obj_used":0,"pages_used":0,"pages_per_vpage":1,"freeable":0},{"class":1,'
if has out '"xcf":{"stats":{"pools":2,"zpool_registered":1,"mallocs":9736,"malloc_failures":0,"maps":9747,"map_copies":3088,"compact_calls":1,"compact_freed":0,"malloc_latency_ns_hist":\[48,0,0,0,0,0,0,0,0,0,0,0,1331,4218,3090,626,351,34,17,12,1,2,3,1\]},"pools":\[' &&
   has out "$z2" &&
   has out '{"class":5,"size":4096,"obj_allocated":64,"obj_used":60,"pages_used":64,"pages_per_vpage":16,"freeable":4}\],"total":{"obj_allocated":960,"obj_used":890,"pages_used":81,"freeable":4}},{"pool":"xcftest",' &&
   has out '"total":{"obj_allocated":32,"obj_used":2,"pages_used":1,"freeable":0}}\]}}$'; then
	ok "stats --json: xcf's counters, pools and classes"
else
	notok "stats --json: xcf's counters, pools and classes"
fi

run "$ctl" stats --dir "$data"
if [ "$(rc)" -eq 0 ] && has out "^$data/xcf/stats:$" &&
   has out '^  map_copies  *3088$' &&
   has out '^  pool  *pages data_pages meta_pages handles vpages compactions moved returns$' &&
   has out '^  zswap2   4020       3945         75    9723    780 ' &&
   has out "^$data/xcf/zswap2/classes: 4 of 6 classes hold vpages$" &&
   has out '^  Total: obj_allocated 960, obj_used 890, pages_used 81, freeable 4$' &&
   has out "^$data/xcf/xcftest/classes: 1 of 6 classes hold vpages$"; then
	ok "stats: the xcf section"; else notok "stats: the xcf section"; fi

# a module older than xcf: no xcf/
mkdir "$tmp/old"
cp "$data/stats" "$data/buddyinfo" "$tmp/old/"
run "$ctl" stats --dir "$tmp/old"
if [ "$(rc)" -eq 0 ] && [ ! -s "$tmp/err" ] &&
   has out "^$tmp/old/xcf/stats: none: the loaded module has no xcf" &&
   run "$ctl" stats --dir "$tmp/old" --json && [ "$(rc)" -eq 0 ] &&
   has out '"free_pages":15873}\]}$' && ! has out '"xcf"'; then
	ok "stats without xcf/ says so, JSON without xcf"
else
	notok "stats without xcf/ says so, JSON without xcf"
fi

# no pool; and a pool whose classes cannot be read
mkdir -p "$tmp/np/xcf"
cp "$data/stats" "$data/buddyinfo" "$tmp/np/"
sed -e 's/^pools: 2/pools: 0/' -e '/^zswap2 /d' -e '/^xcftest /d' \
	"$data/xcf/stats" > "$tmp/np/xcf/stats"
run "$ctl" stats --dir "$tmp/np"
if [ "$(rc)" -eq 0 ] && has out '^  no pools: ' &&
   run "$ctl" stats --dir "$tmp/np" --json && [ "$(rc)" -eq 0 ] &&
   has out '"pools":\[\]}}$'; then
	ok "stats: xcf without pools"; else notok "stats: xcf without pools"; fi
sed '/^xcftest /d' "$data/xcf/stats" > "$tmp/np/xcf/stats"
run "$ctl" stats --dir "$tmp/np" --json
if [ "$(rc)" -eq 0 ] &&
   has out '"returns":0,"classes":null,"total":null}\]}}$' &&
   run "$ctl" stats --dir "$tmp/np" && [ "$(rc)" -eq 0 ] &&
   has out "^$tmp/np/xcf/zswap2/classes: cannot be read"; then
	ok "stats: a pool without its classes file"
else
	notok "stats: a pool without its classes file"
fi

# damaged files: the file and line, exit 1
mkdir -p "$tmp/bad/xcf/zswap2" "$tmp/bad/xcf/xcftest"
cp "$data/stats" "$data/buddyinfo" "$tmp/bad/"
cp "$data/xcf/xcftest/classes" "$tmp/bad/xcf/xcftest/"
sed 's/^\(zswap2  *\)4020/\1x/' "$data/xcf/stats" > "$tmp/bad/xcf/stats"
cp "$data/xcf/zswap2/classes" "$tmp/bad/xcf/zswap2/"
run "$ctl" stats --dir "$tmp/bad"
bad1=$(rc)
has err "$tmp/bad/xcf/stats:4: expected 'key: value', got 'zswap2" || bad1=x
cp "$data/xcf/stats" "$tmp/bad/xcf/stats"
head -n 5 "$data/xcf/zswap2/classes" > "$tmp/bad/xcf/zswap2/classes"
run "$ctl" stats --dir "$tmp/bad" --json
bad2=$(rc)
has err "$tmp/bad/xcf/zswap2/classes: no Total line (cut short?)" || bad2=x
sed '3s/ 48 / 4.8 /' "$data/xcf/zswap2/classes" > "$tmp/bad/xcf/zswap2/classes"
run "$ctl" stats --dir "$tmp/bad"
bad3=$(rc)
has err "$tmp/bad/xcf/zswap2/classes:3: expected a class row of 7 numbers" || bad3=x
if [ "$bad1$bad2$bad3" = 111 ] && [ ! -s "$tmp/out" ]; then
	ok "stats: damaged xcf files name file and line, exit 1"
else
	notok "stats: damaged xcf files name file and line, exit 1 ($bad1$bad2$bad3)"
fi

run "$ctl" stats --dir "$tmp"
if [ "$(rc)" -eq 1 ] && has err "$tmp/stats does not exist"; then
	ok "stats without the files"; else notok "stats without the files"; fi

cat > "$tmp/s1" << EOF
# comment, then a blank line

echo 'one  two' three   # comment
sleep 0.01
fragmap --input $data/fragmap.txt --json
-free 7
echo after
free 8
echo not reached
EOF
run "$ctl" --device /dev/null script "$tmp/s1"
if [ "$(rc)" -eq 1 ] && has out '^one  two three$' && has out '^after$' &&
   ! has out 'not reached' &&
   has err "s1:6: failed (exit 1), ignored ('-')" &&
   has err "s1:8: 'free 8' failed (exit 1); stopping" &&
   has err 'RESMEM_IOC_FREE of handle 8: .*(ENOTTY)'; then
	ok "script: line numbers, '-' ignores"; else notok "script: line numbers, '-' ignores"; fi

run "$ctl" --device /dev/null script --json "$tmp/s1"
if [ "$(rc)" -eq 1 ] && [ "$(wc -l < "$tmp/out")" -eq 1 ] &&
   has out '^{"script":".*s1","steps":\[{"line":3,"command":"echo","status":0,"ignored":false,"result":{"echo":"one  two three"}},{"line":4,"command":"sleep","status":0,"ignored":false,"result":{"slept":0.01}},{"line":5,"command":"fragmap","status":0,"ignored":false,"result":{"scale_pages":32,' &&
   has out '{"line":6,"command":"free","status":1,"ignored":true,"result":null}' &&
   has out '{"line":8,"command":"free","status":1,"ignored":false,"result":null}\],"lines":8,"status":1,"failed_line":8,"allocations":0}$'; then
	ok "script --json"; else notok "script --json"; fi

printf 'echo a\nfree $2\n' | "$ctl" script - > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
if [ "$(rc)" -eq 1 ] && has err 'free: \$2: the script has made 0 successful allocations so far' &&
   has err 'stdin:2:'; then
	ok "script: unknown \$N"; else notok "script: unknown \$N"; fi

printf 'echo "open\n' | "$ctl" script > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
if [ "$(rc)" -eq 1 ] && has err 'stdin:1: unterminated "..." quote'; then
	ok "script: quoting error"; else notok "script: quoting error"; fi

printf 'script x\n' | "$ctl" script > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
if [ "$(rc)" -eq 1 ] && has err "'script' cannot run inside a script"; then
	ok "script: no nesting"; else notok "script: no nesting"; fi

printf 'echo hi\nhelp\n' | "$ctl" shell > "$tmp/out" 2> "$tmp/err"
echo $? > "$tmp/rc"
if [ "$(rc)" -eq 0 ] && has out '^hi$' && has out '^  write ' &&
   ! has err 'resmem> '; then
	ok "shell without a terminal: no prompt"; else notok "shell without a terminal: no prompt"; fi

# cma lend on a fake sysfs: 128 MiB blocks, the policy "online"
mem=$tmp/sys/devices/system/memory
mkdir -p "$mem/memory4"
echo 8000000 > "$mem/block_size_bytes"
echo online > "$mem/auto_online_blocks"
echo offline > "$mem/memory4/state"
touch -d 2000-01-01 "$mem/auto_online_blocks"
lend() { RESMEM_SYSFS=$tmp/sys run "$ctl" "$@"; }
stamp() { stat -c %Y "$mem/auto_online_blocks"; }	# written: not 2000

lend --device /dev/null cma lend x 100M
r1=$(rc)
has err '^resmemctl cma lend: SIZE 0x6400000 is not a multiple of the memory block size (128 MiB)$' || r1=x
[ "$(wc -l < "$tmp/err")" -eq 1 ] || r1=y
lend --device /dev/null cma lend x 128M@0x1000
r2=$(rc)
has err '^resmemctl cma lend: BASE 0x1000 is not a multiple of the memory block size (128 MiB)$' || r2=x
if [ "$r1$r2" = 22 ] && [ "$(date -d @"$(stamp)" +%Y)" = 2000 ]; then
	ok "cma lend: SIZE or BASE off the block size exits 2, one line in MiB"
else
	notok "cma lend: SIZE or BASE off the block size exits 2, one line in MiB ($r1$r2)"
fi

lend cma lend x
r1=$(rc)
has err 'missing SIZE\[@BASE\]' || r1=x
lend cma lend x 128Q
r2=$(rc)
has err 'sizes like 128M' || r2=x
lend cma lend x 128M --size 1
r3=$(rc)
has err 'not --size or --base' || r3=x
lend cma lend x 0
r4=$(rc)
has err 'SIZE is 0' || r4=x
if [ "$r1$r2$r3$r4" = 2222 ]; then
	ok "cma lend: missing, malformed, 0 and --size exit 2"
else
	notok "cma lend: missing, malformed, 0 and --size exit 2 ($r1$r2$r3$r4)"
fi

# the ioctl fails (ENOTTY): the policy was written and is back
lend --device /dev/null cma lend x 256M@512M
if [ "$(rc)" -eq 1 ] &&
   has err '^resmemctl cma lend: RESMEM_IOC_CMA_CREATE: .*(ENOTTY)' &&
   [ "$(cat "$mem/auto_online_blocks")" = online ] &&
   [ "$(date -d @"$(stamp)" +%Y)" != 2000 ] &&
   [ "$(cat "$mem/memory4/state")" = offline ] && [ ! -s "$tmp/out" ]; then
	ok "cma lend: a failed create restores auto_online_blocks"
else
	notok "cma lend: a failed create restores auto_online_blocks"
fi

# the device does not open: the policy is not touched
touch -d 2000-01-01 "$mem/auto_online_blocks"
lend --device "$tmp/nodev" cma lend x 128M
if [ "$(rc)" -eq 1 ] && has err 'is the resmem module loaded' &&
   [ "$(date -d @"$(stamp)" +%Y)" = 2000 ]; then
	ok "cma lend: no device, the policy untouched"
else
	notok "cma lend: no device, the policy untouched"
fi

rm "$mem/block_size_bytes"
lend --device /dev/null cma lend x 128M
r1=$(rc)
has err "$mem/block_size_bytes: No such file.*no memory hotplug" || r1=x
echo 8000000 > "$mem/block_size_bytes"
rm "$mem/auto_online_blocks"
lend --device /dev/null cma lend x 128M
r2=$(rc)
has err "$mem/auto_online_blocks: No such file" || r2=x
if [ "$r1$r2" = 11 ] && [ ! -e "$mem/auto_online_blocks" ]; then
	ok "cma lend: no block_size_bytes or auto_online_blocks exits 1, names the file"
else
	notok "cma lend: no block_size_bytes or auto_online_blocks exits 1, names the file ($r1$r2)"
fi

tap_totals
