#!/usr/bin/env bats
# The crash and outage campaign, short: bench/chaos runs the whole
# pipeline (dmd-stream put, get -m -c | dmd-ingest -C, or dmd-ingest
# alone; dmd-flush; dmd-archive) on generated data, with one fault per
# case (SIGKILL of one program; SIGKILL or SIGTERM of Redis, with AOF and
# without persistence; a full table or archive file system on a small
# tmpfs, when mount works; an I/O error injected by
# t/helpers/faultinject.so, when it is built), reruns what was
# interrupted and compares dmd-query with the expected answer byte for
# byte; no temp files, spill files, frozen keys or claims may be left.
# About 100 cases in the normal build, 30 under AddressSanitizer (each
# program runs several times slower there).  A failure names its case
# and the command that runs it again.  The long campaign is run by hand:
# bench/chaos --cases 1000 --seed S (see bench/RESULTS.md).

bats_require_minimum_version 1.5.0
load lib/dmd

BATS_TEST_TIMEOUT=900

SEED=7001

# ASan build: its Makefile carries the sanitizer flags (configure
# --enable-sanitizers or --enable-asan).
asan() {
	grep -q -- '-fsanitize=address' "$DMD_BUILDDIR/Makefile" 2>/dev/null
}

# chaos ARGS: bench/chaos against this build, its output in $output; the
# totals and any failing case shown in the TAP output.
chaos() {
	run --separate-stderr timeout 840 "$DMD_SRCDIR/bench/chaos" "$@"
	# the totals, the failing cases and their commands
	printf '%s\n' "$output" |
		grep -vE '^case .*: ok \([0-9]+ points, [0-9]+ ms\)$' |
		sed 's/^/# /' >&3
	[ -z "$stderr" ] || printf '# stderr: %s\n' "$stderr" >&3
}

@test "bench/chaos --seed $SEED: one fault per case, nothing lost, nothing duplicated, nothing left over" {
	local n=100
	if asan; then
		n=30
	fi
	chaos --cases "$n" --seed "$SEED"
	assert_success
	assert_line --regexp "^# $n cases, $n passed, 0 failed; seed $SEED"
	assert_line --regexp '^# points checked [0-9]+: lost 0, duplicates 0, wrong values 0, extra 0; leftovers 0$'
	# how many faults hit a running program (the others came after it
	# ended): shown, not checked, as it depends on timing
	hits=$(printf '%s\n' "$output" |
		awk '/^# [a-z-]+ +[0-9]+ cases, +[0-9]+ hit$/ { h += $(NF - 1) }
		END { print h + 0 }')
	echo "# $hits of $n faults hit a running program" >&3
}

# A program that loses points, or leaves a temp file behind, must fail
# the campaign, naming the case and how to run it again.
@test "bench/chaos fails, naming the case and its command, when a point is lost or a temp file is left" {
	local b=$BATS_TEST_TMPDIR/bin p
	mkdir "$b"
	for p in dmd-ingest dmd-query dmd-stream dmd-archive; do
		ln -s "$DMD_BUILDDIR/$p" "$b/$p"
	done
	# dmd-flush that, in the cases, drops the newest chunk of h0.s00
	# after a run and leaves a temp file (not in the calibration case)
	cat >"$b/dmd-flush" <<-EOF
	#!/bin/sh
	"$DMD_BUILDDIR/dmd-flush" "\$@"
	rc=\$?
	d=\${DMD_TABLE#file://}
	case \$d in
	*/case-*)
		f=\$(find "\$d" -path '*/h0.s00/*' -type f 2>/dev/null | sort | tail -n 1)
		[ -z "\$f" ] || rm -f "\$f"
		mkdir -p "\$d/tmp" && : >"\$d/tmp/left.over"
		;;
	esac
	exit \$rc
	EOF
	chmod +x "$b/dmd-flush"
	DMD_BUILDDIR=$b chaos --cases 2 --seed "$SEED" --kinds kill-ingest
	assert_failure 1
	assert_line --regexp '^case 1 seed [0-9]+ .*the answer differs: [1-9][0-9]* lost'
	assert_line --regexp '^case 2 seed [0-9]+ .*temp files left'
	assert_line --regexp "^  reproduce: .*bench/chaos --seed $SEED --first 2 --cases 1 --kinds kill-ingest --keep$"
	assert_line --regexp '^# 2 cases, 0 passed, 2 failed'
}
