#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016 # script lines with $N are single-quoted on purpose
#
# resmemctl against the loaded module: the table, the JSON, the messages
# and exit codes when the device is not there or not permitted; then
# allocations (alloc, --hold, scripts with $N and $last, write and check
# through mmap, failing and ignored lines), fragment, stats and fragmap
# (text, JSON, PNG), each checked against what the kernel reports; stats'
# xcf section with resmem_xcftest mode=hold's pool.
# TAP output; runs as root in the test VM with resmem loaded.

. "$(dirname "$0")/lib.sh"

echo "TAP version 13"
echo "1..28"

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

tmp=$(mktemp -d)
N1=$(node_of "$B1")
case ${R1%@*} in	# the size of range 1 in bytes
*G) S1=$((${R1%G@*} << 30)) ;;
*M) S1=$((${R1%M@*} << 20)) ;;
*) S1=$((${R1%@*})) ;;
esac
# num FIELD: the first number after "FIELD": in stdin
num() { grep -o "\"$1\":[0-9]*" | head -n 1 | cut -d: -f2; }
# step N: the JSON of step N of one line of script --json output
step() { grep -o "{\"line\":$1,.*" | sed 's/,{"line":[0-9]*,.*//'; }
# free1: free pages of range 1's zone, from stats --json (buddyinfo)
free1() {
	grep -o "{\"node\":$N1,\"zone\":\"range1\",\"free\":\[[0-9,]*\],\"free_pages\":[0-9]*}" |
		num free_pages
}
# allfree: free pages everywhere, per-CPU caches included, from stats --json
allfree() { s=$(cat); echo $(($(echo "$s" | num free_pages) + $(echo "$s" | num pcp_pages))); }

# alloc: every field, and where the kernel put it (node, range 1, aligned)
out=$(resmemctl alloc --order 2 --node "$N1" --strict-node --json)
rc=$?
h=$(echo "$out" | num handle)
phys=$(echo "$out" | num phys)
if [ $rc -eq 0 ] && [ -n "$h" ] && [ "$h" -ne 0 ] && [ -n "$phys" ] &&
   echo "$out" | grep -q "^{\"handle\":[0-9]*,\"kind\":\"buddy\",\"order\":2,\"flags\":\[\"strict-node\"\],\"size\":16384,\"mmap_offset\":[0-9]*,\"node\":$N1,\"phys\":[0-9]*}$" &&
   [ "$phys" -ge $(($B1)) ] && [ "$phys" -lt $(($B1 + S1)) ] &&
   [ $((phys % 16384)) -eq 0 ]; then
	ok "alloc --json: handle, size, mmap_offset, node, phys"
else
	echo "$out" | sed 's/^/# /'
	notok "alloc --json: handle, size, mmap_offset, node, phys"
fi

# memarea: any page count, at an alignment plus an offset
out=$(resmemctl alloc --kind memarea --count 5 --align 8 --offset 3 \
	--policy best-fit --node "$N1" --strict-node --json)
rc=$?
phys=$(echo "$out" | num phys)
if [ $rc -eq 0 ] && [ -n "$phys" ] &&
   echo "$out" | grep -q "^{\"handle\":[0-9]*,\"kind\":\"memarea\",.*\"size\":20480,.*\"node\":$N1,\"phys\":[0-9]*}$" &&
   [ "$phys" -ge $(($B1)) ] && [ "$phys" -lt $(($B1 + S1)) ] &&
   [ $((phys / 4096 % 8)) -eq 3 ]; then
	ok "alloc --kind memarea: 5 pages at 8n + 3"
else
	echo "$out" | sed 's/^/# /'
	notok "alloc --kind memarea: 5 pages at 8n + 3 (exit $rc)"
fi

err=$(resmemctl free 12345 2>&1)
rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q 'RESMEM_IOC_FREE of handle 12345: .*(E[A-Z]*): resmemctl has just opened the device'; then
	ok "standalone free: the kernel's errno, and why"
else
	echo "$err" | sed 's/^/# /'
	notok "standalone free: the kernel's errno, and why (exit $rc)"
fi

printf '%s\n' '# allocate, write through mmap, read back, free' \
	'alloc --order 3' 'write $1 0xa5' 'check $1 0xa5' '-check $1 0x5a' \
	'free $1' '-query $1' 'echo done' > "$tmp/rw.rms"
out=$(resmemctl script "$tmp/rw.rms" 2> "$tmp/err")
rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q '^wrote handle=[0-9]* byte=0xa5 bytes=32768$' &&
   echo "$out" | grep -q '^checked handle=[0-9]* byte=0xa5 bytes=32768: all match$' &&
   grep -q 'check: handle [0-9]*: 32768 of 32768 bytes are not 0x5a' "$tmp/err" &&
   grep -q 'rw.rms:5: failed (exit 1), ignored' "$tmp/err" &&
   echo "$out" | grep -q '^freed handle=' &&
   grep -q 'query: RESMEM_IOC_QUERY of handle [0-9]*: ' "$tmp/err" &&
   grep -q 'rw.rms:7: failed (exit 1), ignored' "$tmp/err" &&
   [ "$(echo "$out" | tail -n 1)" = "done" ]; then
	ok "script: alloc, write, check, free"
else
	sed 's/^/# /' "$tmp/err"
	echo "$out" | sed 's/^/# /'
	notok "script: alloc, write, check, free (exit $rc)"
fi

printf '%s\n' 'alloc --order 0' "alloc --order 1 --node $N1 --strict-node" \
	'query $1' 'query $last' 'query $2' 'free $last' 'free $1' > "$tmp/refs.rms"
out=$(resmemctl script --json "$tmp/refs.rms")
rc=$?
h1=$(echo "$out" | step 1 | num handle)
h2=$(echo "$out" | step 2 | num handle)
if [ $rc -eq 0 ] && [ -n "$h1" ] && [ -n "$h2" ] && [ "$h1" != "$h2" ] &&
   echo "$out" | step 1 | grep -q '"result":{"ref":"\$1",' &&
   echo "$out" | step 2 | grep -q '"result":{"ref":"\$2",' &&
   echo "$out" | step 3 | grep -q "\"status\":0,.*\"result\":{\"handle\":$h1,\"kind\":\"buddy\",\"order\":0," &&
   echo "$out" | step 4 | grep -q "\"status\":0,.*\"result\":{\"handle\":$h2,\"kind\":\"buddy\",\"order\":1,.*\"node\":$N1," &&
   echo "$out" | step 5 | grep -q "\"status\":0,.*\"result\":{\"handle\":$h2," &&
   echo "$out" | step 6 | grep -q "\"status\":0,.*\"result\":{\"handle\":$h2,\"freed\":true}" &&
   echo "$out" | step 7 | grep -q "\"status\":0,.*\"result\":{\"handle\":$h1,\"freed\":true}" &&
   echo "$out" | grep -q '"lines":7,"status":0,"failed_line":null,"allocations":2}$'; then
	ok "script: \$1, \$2 and \$last name the handles of the allocs"
else
	echo "$out" | sed 's/^/# /'
	notok "script: \$1, \$2 and \$last name the handles of the allocs (exit $rc)"
fi

printf 'echo one\n\nalloc --order 99\necho not reached\n' > "$tmp/fail.rms"
out=$(resmemctl script "$tmp/fail.rms" 2> "$tmp/err")
rc=$?
if [ $rc -eq 1 ] && [ "$out" = one ] &&
   grep -q 'RESMEM_IOC_ALLOC: .*(EINVAL): order 99 is above max_order' "$tmp/err" &&
   grep -q "fail.rms:3: 'alloc --order 99' failed (exit 1); stopping" "$tmp/err"; then
	ok "script: a failing line stops it with exit 1 and its number"
else
	echo "$out" | cat - "$tmp/err" | sed 's/^/# /'
	notok "script: a failing line stops it with exit 1 and its number (exit $rc)"
fi

printf -- '-alloc --order 99\n- free 424242\necho reached\n' > "$tmp/ign.rms"
out=$(resmemctl script "$tmp/ign.rms" 2> "$tmp/err")
rc=$?
if [ $rc -eq 0 ] && [ "$out" = reached ] &&
   grep -q 'ign.rms:1: failed (exit 1), ignored' "$tmp/err" &&
   grep -q 'ign.rms:2: failed (exit 1), ignored' "$tmp/err"; then
	ok "script: '-' ignores a failing line"
else
	echo "$out" | cat - "$tmp/err" | sed 's/^/# /'
	notok "script: '-' ignores a failing line (exit $rc)"
fi

# fragment: the counts, and the zone's free pages drop by what is kept
# (order 4 is above the per-CPU caches: all of it shows in buddyinfo)
printf '%s\n' stats "fragment every-other --order 4 --count 101 --node $N1" \
	stats > "$tmp/frag.rms"
out=$(resmemctl script --json "$tmp/frag.rms")
rc=$?
before=$(echo "$out" | step 1 | free1)
after=$(echo "$out" | step 3 | free1)
total=$(echo "$out" | step 1 | allfree)
if [ $rc -eq 0 ] && [ -n "$before" ] && [ -n "$after" ] &&
   echo "$out" | step 2 | grep -q "\"result\":{\"pattern\":\"every-other\",\"order\":4,\"node\":$N1,\"movable\":false,\"allocated\":101,\"freed\":50,\"kept\":51,\"pages_held\":816,\"bytes_held\":3342336,\"filled\":false,\"by\":\"phys\",\"held\":true}" &&
   [ $((before - after)) -eq 816 ]; then
	ok "fragment every-other: 101 made, 50 freed, 51 held (816 pages)"
else
	echo "$out" | cut -c 1-600 | sed 's/^/# /'
	notok "fragment every-other: 101 made, 50 freed, 51 held (free pages $before -> $after)"
fi

out=$(resmemctl fragment every-other --order 6 --node "$N1" --json 2> "$tmp/err")
rc=$?
made=$(echo "$out" | num allocated)
kept=$(echo "$out" | num kept)
if [ $rc -eq 0 ] && [ -n "$made" ] && [ "$made" -gt $((S1 * 3 / 4 / 4096 / 64)) ] &&
   [ "$made" -le $((S1 / 4096 / 64)) ] && [ "$kept" -eq $(((made + 1) / 2)) ] &&
   echo "$out" | grep -q '"filled":true,"by":"phys","held":false' &&
   grep -q 'the pattern is freed now that resmemctl exits' "$tmp/err"; then
	ok "fragment every-other fills a node, keeps every other block"
else
	echo "$out" | cat - "$tmp/err" | sed 's/^/# /'
	notok "fragment every-other fills a node, keeps every other block (exit $rc)"
fi

# random: the same seed frees the same blocks, another seed others
for run in a b c; do
	seed=5
	[ $run = b ] && seed=6
	printf '%s\n' "fragment random --order 4 --node $N1 --seed $seed" \
		'fragmap --json' > "$tmp/random.rms"
	resmemctl script --json "$tmp/random.rms" |
		grep -o "\"node\":$N1,[^}]*\"map\":\"[^\"]*\"" > "$tmp/map.$run"
done
if [ -s "$tmp/map.a" ] && [ -s "$tmp/map.b" ] &&
   grep -q '"map":"[^"]*[1-9]' "$tmp/map.a" &&
   cmp -s "$tmp/map.a" "$tmp/map.c" && ! cmp -s "$tmp/map.a" "$tmp/map.b"; then
	ok "fragment random: a seed gives the same map every time"
else
	head -c 300 "$tmp/map.a" "$tmp/map.b" "$tmp/map.c" | sed 's/^/# /'
	notok "fragment random: a seed gives the same map every time"
fi

# stripe from order 4 (above the per-CPU caches): the zone ends up with
# exactly the holes the pattern freed at each order below max_order, as
# none of them can merge
printf '%s\n' "fragment stripe --order 4 --node $N1" stats > "$tmp/stripe.rms"
out=$(resmemctl script --json "$tmp/stripe.rms")
rc=$?
max=$(resmemctl info --json | num max_order)
free=$(echo "$out" | step 2 |
	grep -o "{\"node\":$N1,\"zone\":\"range1\",\"free\":\[[0-9,]*\]" |
	grep -o '[0-9,]*\]$' | tr -d ']' | tr ',' ' ')
bad=""
k=4
while [ $rc -eq 0 ] && [ -n "$free" ] && [ "$k" -lt "$max" ]; do
	# shellcheck disable=SC2086 # one argument per order
	have=$(set -- $free; shift "$k"; echo "$1")
	want=$(echo "$out" | step 1 | grep -o "{\"order\":$k,[^}]*}" | num freed)
	[ -n "$want" ] && [ "$want" -gt 0 ] && [ "$have" -eq "$want" ] ||
		bad="$bad order $k: $have free, $want freed;"
	k=$((k + 1))
done
if [ $rc -eq 0 ] && [ -n "$free" ] && [ -z "$bad" ]; then
	ok "fragment stripe: a hole of every order, none merged"
else
	echo "$out" | cut -c 1-800 | sed 's/^/# /'
	notok "fragment stripe: a hole of every order, none merged (exit $rc, free $free:$bad)"
fi

again=$(resmemctl script --json "$tmp/frag.rms" | step 1 | allfree)
if [ -n "$total" ] && [ "$again" -eq "$total" ]; then
	ok "allocations are freed when the script's device closes"
else
	notok "allocations are freed when the script's device closes ($total, then $again free pages)"
fi

printf '%s\n' stats 'alloc --order 5' stats > "$tmp/stats.rms"
out=$(resmemctl script --json "$tmp/stats.rms")
rc=$?
a1=$(echo "$out" | step 1 | num allocations)
a2=$(echo "$out" | step 3 | num allocations)
orders=$(($(resmemctl info --json | num max_order) + 1))
cols=$(resmemctl stats --json | grep -o '"zone":"range0","free":\[[0-9,]*\]' |
	grep -o '[0-9,]*\]' | tr ',' '\n' | wc -l)
if [ $rc -eq 0 ] && [ -n "$a1" ] && [ -n "$a2" ] && [ "$a2" -eq $((a1 + 1)) ] &&
   echo "$out" | step 1 | grep -q '"result":{"stats":{"allocations":[0-9]*,.*"free_pages":[0-9]*.*},"buddyinfo":\[{"node":[0-9]*,"zone":"range0","free":\[' &&
   [ "$cols" -eq "$orders" ]; then
	ok "stats --json: counters, and buddyinfo with a column per order"
else
	echo "$out" | cut -c 1-600 | sed 's/^/# /'
	notok "stats --json: counters, and buddyinfo with a column per order ($a1 -> $a2, $cols columns)"
fi

out=$(resmemctl stats)
if [ $? -eq 0 ] && echo "$out" | grep -q '^  allocations  *[0-9][0-9]*$' &&
   echo "$out" | grep -q "^$N1 *range1 .* [0-9][0-9]*$"; then
	ok "stats table"
else
	echo "$out" | sed 's/^/# /'
	notok "stats table"
fi

out=$(resmemctl fragmap --color=never)
if [ $? -eq 0 ] &&
   echo "$out" | grep -q "^block 0 range 0 node $(node_of "$B0") \[mem $(printf '0x%016x' $(($B0)))-" &&
   echo "$out" | grep -q '^block 0: [0-9]* pages, free [0-9]* (.*%), used [0-9]*, largest free run [0-9]* chars' &&
   echo "$out" | grep -q '^block 1: [0-9]* pages, free ' &&
   ! echo "$out" | grep -q "$(printf '\033')"; then
	ok "fragmap: the map parsed, a summary per block"
else
	echo "$out" | head -n 20 | sed 's/^/# /'
	notok "fragmap: the map parsed, a summary per block"
fi

# An order 10 block is a run of 1024 pages of 'U' (unmovable) that an
# idle map does not have.
printf '%s\n' "alloc --order 10 --node $N1 --strict-node" 'fragmap --json' > "$tmp/map.rms"
out=$(resmemctl script --json "$tmp/map.rms")
scale=$(echo "$out" | num scale_pages)
us=$(printf "%$((1024 / ${scale:-1}))s" | tr ' ' U)
if [ -n "$scale" ] && echo "$out" | grep -q "\"node\":$N1,[^}]*\"map\":\"[^\"]*$us" &&
   ! resmemctl fragmap --json | grep -q "$us"; then
	ok "fragmap shows an allocation, and not after the script"
else
	echo "$out" | cut -c 1-400 | sed 's/^/# /'
	notok "fragmap shows an allocation, and not after the script (scale $scale)"
fi

cat /sys/kernel/debug/resmem/fragmap > "$tmp/saved.txt"
sed '3s/^/x/' "$tmp/saved.txt" > "$tmp/bad.txt"
if [ "$(resmemctl fragmap --input "$tmp/saved.txt" --json)" = \
     "$(resmemctl fragmap --input - --json < "$tmp/saved.txt")" ] &&
   resmemctl fragmap --input "$tmp/saved.txt" --json |
	grep -q '^{"scale_pages":[0-9]*,"chars_per_line":64,"page_size":4096,"blocks":\[{"block":0,' &&
   ! resmemctl fragmap --input "$tmp/bad.txt" 2> "$tmp/err" &&
   grep -q "bad.txt:3: unexpected line 'x# legend" "$tmp/err"; then
	ok "fragmap --input: a saved map parses, a damaged one names its line"
else
	sed 's/^/# /' "$tmp/err"
	notok "fragmap --input: a saved map parses, a damaged one names its line"
fi

out=$(resmemctl fragmap --png "$tmp/map.png" --scale 3)
rc=$?
sig=$(head -c 8 "$tmp/map.png" | od -An -tx1 | tr -d ' \n')
# IHDR: width and height, big-endian, at bytes 16 and 20
# shellcheck disable=SC2046 # one argument per byte
set -- $(od -An -tu1 -j 16 -N 8 "$tmp/map.png") 0 0 0 0 0 0 0 0
w=$((($1 << 24) | ($2 << 16) | ($3 << 8) | $4))
h=$((($5 << 24) | ($6 << 16) | ($7 << 8) | $8))
lines=$(resmemctl fragmap --color=never | grep -c '^0x')
if [ $rc -eq 0 ] && [ "$sig" = 89504e470d0a1a0a ] &&
   echo "$out" | grep -q "^wrote $tmp/map.png: ${w}x${h} pixels$" &&
   [ "$w" -ge $((64 * 3)) ] && [ "$h" -gt $((lines * 3)) ]; then
	ok "fragmap --png: a PNG as large as the map"
else
	echo "$out" | sed 's/^/# /'
	notok "fragmap --png: a PNG as large as the map (signature $sig, ${w}x$h)"
fi

# alloc --hold: held until SIGTERM, or until stdin is closed
mkfifo "$tmp/fifo"
held=""
for how in SIGTERM stdin; do
	resmemctl alloc --order 10 --node "$N1" --strict-node --hold \
		< "$tmp/fifo" > "$tmp/hold.out" 2>&1 &
	pid=$!
	exec 3> "$tmp/fifo"
	i=0
	while ! grep -q holding "$tmp/hold.out" && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	during=$(resmemctl stats --json | free1)
	if [ $how = SIGTERM ]; then kill -TERM $pid; fi
	exec 3>&-
	wait $pid
	rc=$?
	after=$(resmemctl stats --json | free1)
	if [ $rc -ne 0 ] || [ -z "$during" ] || [ $((after - during)) -ne 1024 ] ||
	   ! grep -q "$how.*: freeing the allocation" "$tmp/hold.out"; then
		sed 's/^/# /' "$tmp/hold.out"
		held="$held $how (exit $rc, free pages $during -> $after)"
	fi
done
if [ -z "$held" ]; then
	ok "alloc --hold keeps it until SIGTERM or the end of stdin"
else
	notok "alloc --hold keeps it until SIGTERM or the end of stdin:$held"
fi

# memarea: its counters in stats, moved by a memarea allocation
printf '%s\n' stats 'alloc --kind memarea --count 3' stats > "$tmp/ma.rms"
before=$(resmemctl stats --json | grep -o '"memarea":{"requests":[0-9]*' |
	 sed 's/.*://')
out=$(resmemctl script "$tmp/ma.rms" 2>&1)
after=$(resmemctl stats --json | grep -o '"memarea":{"requests":[0-9]*' |
	sed 's/.*://')
if [ -n "$before" ] && [ "$after" = $((before + 1)) ] &&
   resmemctl stats | grep -q '^/sys/kernel/debug/resmem/memarea/stats:$' &&
   resmemctl stats --json | grep -q '"latency_ns_hist":\[[0-9,]*\]'; then
	ok "stats shows memarea's counters and histograms"
else
	echo "$out" | sed 's/^/# /'
	notok "stats shows memarea's counters and histograms ($before -> $after)"
fi

# vcompound: a fallback forced by the switch shows its pieces
sw=/sys/kernel/debug/resmem/vcompound/vfallback_always
echo 1 > "$sw"
out=$(resmemctl alloc --kind vcompound --order 11 --json 2>&1)
echo 0 > "$sw"
if echo "$out" | grep -q '"kind":"vcompound","order":11,' &&
   echo "$out" | grep -Eq '"pieces":([2-9]|[1-9][0-9]+)}'; then
	ok "alloc --kind vcompound shows the pieces of a fallback"
else
	echo "$out" | sed 's/^/# /'
	notok "alloc --kind vcompound shows the pieces of a fallback"
fi

# xcf: the section, with resmem_xcftest's pool of 3 objects, then without
xt=/resmem/selftests/resmem_xcftest.ko
if $LOAD $xt mode=hold > "$tmp/err" 2>&1; then
	out=$(resmemctl stats)
	rc=$?
	json=$(resmemctl stats --json)
	rmmod resmem_xcftest
	after=$(resmemctl stats)
else
	rc=load
fi
if [ "$rc" = 0 ] &&
   echo "$out" | grep -q '^/sys/kernel/debug/resmem/xcf/stats:$' &&
   echo "$out" | grep -q '^  zpool_registered  *[01]$' &&
   echo "$out" | grep -Eq '^  mallocs  *[1-9][0-9]*$' &&
   echo "$out" | grep -q '^  pool  *pages data_pages meta_pages handles ' &&
   echo "$out" | grep -Eq '^  xcftest  *[1-9][0-9]* +[0-9]+ +[0-9]+ +3 ' &&
   echo "$out" | grep -q '^/sys/kernel/debug/resmem/xcf/xcftest/classes: 3 of [0-9]* classes hold vpages$' &&
   echo "$out" | grep -Eq '^  Total: obj_allocated [1-9][0-9]*, obj_used 3, pages_used [1-9][0-9]*, freeable [0-9]+$' &&
   echo "$json" | grep -q '"xcf":{"stats":{"pools":1,' &&
   echo "$json" | grep -Eq '"pools":\[\{"pool":"xcftest","pages":[0-9]+,"data_pages":[0-9]+,"meta_pages":[0-9]+,"handles":3,' &&
   echo "$json" | grep -q '"classes":\[{"class":0,"size":[0-9]*,' &&
   echo "$json" | grep -Eq '"total":\{"obj_allocated":[0-9]+,"obj_used":3,"pages_used":[0-9]+,"freeable":[0-9]+\}\}\]\}\}$' &&
   [ "$(echo "$json" | tr -cd '{' | wc -c)" -eq "$(echo "$json" | tr -cd '}' | wc -c)" ] &&
   [ "$(echo "$json" | tr -cd '[' | wc -c)" -eq "$(echo "$json" | tr -cd ']' | wc -c)" ] &&
   echo "$after" | grep -q '^  no pools: ' &&
   ! echo "$after" | grep -q xcftest; then
	ok "stats shows xcf: counters, the pool and its classes' Total"
else
	sed 's/^/# /' "$tmp/err"
	echo "$out" | tail -n 20 | sed 's/^/# /'
	echo "$json" | cut -c 1-300 | sed 's/^/# /'
	notok "stats shows xcf: counters, the pool and its classes' Total (exit $rc)"
fi

rm -rf "$tmp"
totals
