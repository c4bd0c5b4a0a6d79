# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# TAP counters and results for resmemctl's host test scripts, sourced by
# test_cli.sh and test_install.sh.  A script defines tap_diag(), which
# prints what a failure should show (its first 20 lines become # lines).
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
notok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n $1"
	tap_diag 2> /dev/null | head -n 20 | sed 's/^/# /'
}
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
# The totals line; returns non-zero when a test failed (a script ends on it).
tap_totals() {
	echo "# Totals: pass:$((n - fails)) fail:$fails"
	[ "$fails" -eq 0 ]
}
