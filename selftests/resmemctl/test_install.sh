#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# resmemctl's man page and "make install", on the host.  TAP.
#
# The man page (resmemctl.8) against the tool's own usage text: every
# command "resmemctl --help" lists has a section (.SS) under COMMANDS or
# SCRIPT COMMANDS and every such section is a command; every option and
# keyword of a command's synopsis ("help COMMAND" in a script) is named in
# its section, and every item the section lists (.TP) is in the synopsis;
# the global options, the exit statuses, the files and the version
# (dkms.conf's) match.  The check must fail on a page that lost a
# command, lists an option or a command the tool does not have, or has
# another version.
# Then "make install" into a DESTDIR (default PREFIX, and PREFIX=/usr):
# exactly the tool and the page, where they belong, with their modes;
# "make uninstall" removes them; the page renders without a warning with
# groff and man -l (SKIP when they are not installed).  RESMEMCTL names
# the binary the usage text comes from (default: the one "make resmemctl"
# builds).

dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/../.." && pwd)
ctl=${RESMEMCTL:-$top/resmemctl}
page=$dir/resmemctl.8
tmp=$(mktemp -d "${TMPDIR:-/tmp}/resmemctl-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC1091 # tap.sh, beside this script
. "$dir/tap.sh"
tap_diag() { cat "$tmp/msg"; }

# the lines of section .SS $2 (under a .SH ending in COMMANDS) of page $1,
# with roff's \- as -
section() {
	awk -v want="$2" '
		/^\.SH/ { cmds = ($0 ~ /COMMANDS"?$/); in_ss = 0; next }
		/^\.SS/ { in_ss = cmds && $2 == want; next }
		in_ss' "$1" | sed 's/\\-/-/g'
}
# the .SH section $2 of page $1
shsection() {
	awk -v want="$2" '/^\.SH/ { s = substr($0, 5); gsub(/"/, "", s);
		in_sh = (s == want); next } in_sh' "$1" | sed 's/\\-/-/g'
}
# the items of .TP lists in stdin: the first word of each tag line
tp_items() {
	awk 'tag { print $2; tag = 0 } /^\.TP/ { tag = 1 }'
}
usage_of() {	# the synopsis of command $1, without "usage: resmemctl CMD"
	printf 'help %s\n' "$1" | "$ctl" script 2> /dev/null |
		sed -n "1s/^usage: resmemctl $1 *//p"
}

# check_page PAGE: every mismatch with the tool, one line each, on stdout
check_page() {
	p=$1
	"$ctl" --help > "$tmp/usage"
	cmds=$(sed -n '/^commands:/,/^options:/s/^  \([a-z][a-z]*\)  .*/\1/p' \
		"$tmp/usage")
	[ -n "$cmds" ] || echo "no commands in resmemctl --help"
	mancmds=$(awk '/^\.SH/ { c = ($0 ~ /COMMANDS"?$/); next }
		c && /^\.SS/ { print $2 }' "$p")
	for c in $mancmds; do
		echo "$cmds" | grep -qx "$c" ||
			echo "man page: section '$c' is no command of resmemctl"
	done
	for c in $cmds; do
		if ! echo "$mancmds" | grep -qx "$c"; then
			echo "man page: no section for command '$c'"
			continue
		fi
		syn=$(usage_of "$c")
		[ -n "$syn" ] || [ "$c" = help ] ||
			echo "resmemctl: no synopsis for '$c'"
		section "$p" "$c" > "$tmp/sec"
		words=$(echo "$syn" | tr '[]|=' '    ' | tr ' ' '\n' |
			grep -E '^(--)?[a-z][a-z-]*$' | sort -u)
		for w in $words; do
			grep -qF -- "$w" "$tmp/sec" ||
				echo "man page: '$c' does not name '$w' of its synopsis"
		done
		for w in $(tp_items < "$tmp/sec"); do
			case $w in --*|[a-z]*) ;; *) continue ;; esac
			echo "$words" | grep -qx -- "$w" ||
				echo "man page: '$c' lists '$w', which its synopsis has not"
		done
	done
	# the options before COMMAND, and the exit statuses
	gopts=$(sed -n '/^options:/,/^$/p' "$tmp/usage" |
		grep -o -- '-[a-z-]*' | sort -u)
	shsection "$p" OPTIONS > "$tmp/opts"
	for o in $gopts; do
		grep -qF -- "$o" "$tmp/opts" ||
			echo "man page: OPTIONS does not name '$o'"
	done
	for o in $(tp_items < "$tmp/opts"); do
		echo "$gopts" | grep -qx -- "$o" ||
			echo "man page: OPTIONS lists '$o', which resmemctl --help has not"
	done
	want=$(sed -n '/^exit status:/,$p' "$tmp/usage" |
		grep -oE '(^|[ :]) ?[0-9] [a-z]' | grep -o '[0-9]' | tr '\n' ' ')
	got=$(shsection "$p" 'EXIT STATUS' | tp_items | tr '\n' ' ')
	[ "$want" = "$got" ] ||
		echo "man page: EXIT STATUS lists '$got', resmemctl --help '$want'"
	dev=$(sed -n 's/.*(default \([^ ,]*\).*/\1/p' "$tmp/usage")
	dbg=$(printf 'stats --help\n' | "$ctl" script 2> /dev/null |
		sed -n 's/.*DIR defaults to \(.*\)\.$/\1/p')
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf" \
		2> /dev/null)
	[ -z "$ver" ] || grep -q "^\.TH RESMEMCTL 8 .* \"resmem $ver\" " "$p" ||
		echo "man page: .TH does not say resmem $ver (dkms.conf)"
	shsection "$p" FILES > "$tmp/files"
	for f in "$dev" "$dbg"; do
		grep -qF -- "$f" "$tmp/files" ||
			echo "man page: FILES does not name '$f'"
	done
}

echo "TAP version 13"
echo "1..9"

check_page "$page" > "$tmp/msg"
if [ ! -s "$tmp/msg" ]; then
	ok "man page: every command, option and exit status of the usage text"
else
	notok "man page: every command, option and exit status of the usage text"
fi

# the check can fail: a page without sleep's section, with an option and
# a command the tool does not have, and another version
sed -e '/^\.SS sleep$/d' -e 's/^\.SS echo$/.SS echo\n.SS frobnicate/' \
	-e 's/"resmem [0-9.]*"/"resmem 0.0.9"/' \
	-e 's/^\.B \\-\\-strict\\-node$/.B \\-\\-strict\\-nodes/' \
	"$page" > "$tmp/bad.8"
check_page "$tmp/bad.8" > "$tmp/msg"
if grep -q "no section for command 'sleep'" "$tmp/msg" &&
   grep -q "section 'frobnicate' is no command" "$tmp/msg" &&
   grep -q "'alloc' lists '--strict-nodes'" "$tmp/msg" &&
   grep -q "does not say resmem" "$tmp/msg"; then
	ok "man page check fails on a page that drifted"
else
	notok "man page check fails on a page that drifted"
fi

# make install as a user runs it; MAKEFLAGS of an outer make stay outside
inst() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$top" "$@"; }
files() { (cd "$1" && find . ! -type d | sort | tr '\n' ' '); }
mode() { stat -c %a "$1"; }

d=$tmp/root
inst install DESTDIR="$d" > "$tmp/msg" 2>&1
bin=$d/usr/local/bin/resmemctl
man8=$d/usr/local/share/man/man8/resmemctl.8
if [ "$(files "$d")" = "./usr/local/bin/resmemctl ./usr/local/share/man/man8/resmemctl.8 " ] &&
   [ "$(mode "$bin")" = 755 ] && [ "$(mode "$man8")" = 644 ] &&
   cmp -s "$page" "$man8" && cmp -s "$top/resmemctl" "$bin"; then
	ok "make install DESTDIR: \$(PREFIX)/bin and \$(PREFIX)/share/man/man8, PREFIX=/usr/local"
else
	files "$d" >> "$tmp/msg"
	notok "make install DESTDIR: \$(PREFIX)/bin and \$(PREFIX)/share/man/man8, PREFIX=/usr/local"
fi

if "$bin" --help > "$tmp/msg" 2>&1 &&
   grep -q '^usage: resmemctl' "$tmp/msg"; then
	ok "the installed resmemctl runs"
else
	notok "the installed resmemctl runs"
fi

d2=$tmp/root2
inst install DESTDIR="$d2" PREFIX=/usr > "$tmp/msg" 2>&1
if [ "$(files "$d2")" = "./usr/bin/resmemctl ./usr/share/man/man8/resmemctl.8 " ]; then
	ok "make install PREFIX=/usr"
else
	files "$d2" >> "$tmp/msg"
	notok "make install PREFIX=/usr"
fi

rc=0
inst uninstall DESTDIR="$d" > "$tmp/msg" 2>&1 || rc=1
inst uninstall DESTDIR="$d2" PREFIX=/usr >> "$tmp/msg" 2>&1 || rc=1
if [ $rc -eq 0 ] && [ -z "$(files "$d")" ] &&
   [ -z "$(files "$d2")" ] &&
   inst uninstall DESTDIR="$d" >> "$tmp/msg" 2>&1; then
	ok "make uninstall removes both, and again finds nothing to do"
else
	files "$d" >> "$tmp/msg"
	notok "make uninstall removes both, and again finds nothing to do"
fi

inst install DESTDIR="$d" > /dev/null 2>&1
if ! command -v groff > /dev/null; then
	skip "groff -man renders the page without warnings" "no groff"
else
	if groff -man -Tutf8 -ww -z "$man8" > "$tmp/msg" 2>&1 &&
	   [ ! -s "$tmp/msg" ] &&
	   groff -man -Tutf8 "$man8" 2> /dev/null |
	   grep -q '^RESMEMCTL(8) .* RESMEMCTL(8)$'; then
		ok "groff -man renders the page without warnings"
	else
		notok "groff -man renders the page without warnings"
	fi
fi

if ! command -v man > /dev/null || ! command -v groff > /dev/null; then
	skip "man -l renders the page without warnings, 60 to 120 columns" \
		"no man or no groff"
else
	: > "$tmp/msg"
	for w in 60 80 120; do
		MANWIDTH=$w man --warnings -l "$man8" 2>> "$tmp/msg" |
			grep -q '^RESMEMCTL(8)' || echo "width $w: no page" >> "$tmp/msg"
	done
	if [ ! -s "$tmp/msg" ]; then
		ok "man -l renders the page without warnings, 60 to 120 columns"
	else
		notok "man -l renders the page without warnings, 60 to 120 columns"
	fi
fi

if MANPATH=$d/usr/local/share/man man -w resmemctl 2> /dev/null |
   grep -qx "$man8"; then
	ok "man finds the installed page under \$(PREFIX)/share/man"
elif ! command -v man > /dev/null; then
	skip "man finds the installed page under \$(PREFIX)/share/man" "no man"
else
	MANPATH=$d/usr/local/share/man man -w resmemctl > "$tmp/msg" 2>&1
	notok "man finds the installed page under \$(PREFIX)/share/man"
fi

tap_totals
