#!/usr/bin/env bats
# valgrind (memcheck) on a subset (issue 9): the pipeline on a small
# dataset (dmd-ingest, dmd-flush, dmd-archive, dmd-query in its output
# formats and on query lines), some error paths (a cache that is down,
# rejects), dmd-e2e, dmd-board and dmd-stream put/get.  Every run must be
# free of memory errors and of definite leaks (--error-exitcode=99
# --errors-for-leak-kinds=definite), and give the answer it gives
# without valgrind.
#
# Skipped when valgrind is missing, and in an ASan build (the programs
# link libasan, which valgrind cannot run): CI runs this in the normal
# build.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }

setup() {
	command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"
	if ldd "$DMD_BUILDDIR/dmd-ingest" | grep -q libasan; then
		skip "an ASan build: valgrind cannot run its programs"
	fi
	dmd_reset
	T=$BATS_TEST_TMPDIR
	mkdir "$T/vg"
}

B=1732406400

# vg STATUS CMD...: run CMD under memcheck; it must exit STATUS (99:
# a memory error or a definite leak) and valgrind must have said nothing.
vg() {
	local want=$1 st=0
	shift
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --track-origins=yes \
	    --log-file="$T/vg/%p.log" "$@" || st=$?
	if [ "$st" -ne "$want" ] || [ -n "$(cat "$T"/vg/*.log)" ]; then
		echo "valgrind $*: exit $st, want $want; valgrind says:"
		cat "$T"/vg/*.log
		return 1
	fi
	rm -f "$T"/vg/*.log
}

# points FIRST COUNT: "name value time" lines of three series on two
# hosts, a minute apart.
points() {
	awk -v first="$1" -v cnt="$2" -v b="$B" 'BEGIN {
		for (i = first; i < first + cnt; i++)
			for (s = 0; s < 3; s++)
				printf "h%d.s%d %d.5 %d\n", s % 2, s, s * 1000 + i,
				    b + 60 * i
	}'
}

@test "ingest, flush, archive and query: no memory error, no leak, the same answers" {
	points 0 60 >"$T/p1"
	points 60 60 >"$T/p2"
	points 120 60 >"$T/p3"
	dmd_expect "$T/p1" "$T/p2" "$T/p3" >"$T/want"
	{ cat "$T/p1"; echo 'a bad line'; } >"$T/in1"

	vg 1 dmd-ingest -S -R "$T/rej" "$T/in1" >"$T/stats" 2>"$T/err"
	[ "$(cat "$T/rej")" = 'a bad line' ]
	grep -q 'ingest.accepted","time":[0-9]*,"value":180}' "$T/stats"
	vg 0 dmd-flush -S -n 1 -a 100w >/dev/null
	vg 0 dmd-archive -S -R 5m,1h >/dev/null
	tr ' ' '\t' <"$T/p2" >"$T/p2.tsv"
	vg 0 dmd-ingest -F tsv "$T/p2.tsv"
	vg 0 dmd-flush -n 1 -a 100w
	vg 0 dmd-ingest "$T/p3"

	# the three tiers at once
	vg 0 dmd-query -f 0 -u 2000000000 'h*.*' >"$T/got"
	diff -u "$T/want" "$T/got"
	# downsampled, as CSV and TSV, and query lines on stdin
	dmd_query_all -s 5m -a max -o csv 'h*.*' >"$T/csv"
	vg 0 dmd-query -f 0 -u 2000000000 -s 5m -a max -o csv 'h*.*' >"$T/got"
	diff -u "$T/csv" "$T/got"
	dmd_query_all -s 1h -a avg -o tsv 'h0.*' 'h1.{s1,s9}' >"$T/tsv"
	vg 0 dmd-query -f 0 -u 2000000000 -s 1h -a avg -o tsv 'h0.*' 'h1.{s1,s9}' >"$T/got"
	diff -u "$T/tsv" "$T/got"
	printf '%s\n' 'h0.s0' 'h1.*' 'h[01].s2' | dmd_query_all - >"$T/lines"
	printf '%s\n' 'h0.s0' 'h1.*' 'h[01].s2' |
		vg 0 dmd-query -f 0 -u 2000000000 - >"$T/got"
	diff -u "$T/lines" "$T/got"
	vg 0 dmd-query -H >/dev/null
}

@test "error paths: a cache that is down (spill), an unreachable tier, bad options" {
	points 0 20 >"$T/p"
	vg 3 dmd-ingest -r 0 -c "unix://$T/no.sock" -s "$T/spill" "$T/p" \
	    2>"$T/err"
	[ "$(wc -l <"$T/spill")" -eq 60 ]
	vg 0 dmd-ingest "$T/spill"
	vg 4 dmd-flush -n 1 -a 100w -c "unix://$T/no.sock" 2>/dev/null
	vg 4 dmd-query -f 0 -u 2000000000 -c "unix://$T/no.sock" 'h*.*' 2>/dev/null >/dev/null
	vg 2 dmd-query --bogus 2>/dev/null
	vg 2 dmd-archive -p 30s 2>/dev/null
}

@test "dmd-e2e and dmd-board: no memory error, no leak" {
	points 0 30 >"$T/p"
	dmd-ingest "$T/p"
	vg 0 dmd-e2e -N 2 -i 10ms >"$T/e2e"
	grep -q '\.success","time":[0-9]*,"value":1}$' "$T/e2e"
	printf 'title vg\npanel all\nquery h*.*\nfrom %s\nuntil %s\n' \
	    "$B" $((B + 1800)) >"$T/b.board"
	vg 0 dmd-board -o "$T/page.html" "$T/b.board"
	grep -q 'h0.s0' "$T/page.html"
	vg 0 dmd-board >/dev/null
}

@test "dmd-stream put and get on a file log: no memory error, no leak" {
	points 0 30 >"$T/p"
	vg 0 dmd-stream put -l "file://$T/log" "$T/p"
	vg 0 dmd-stream get -l "file://$T/log" >"$T/got"
	[ "$(wc -l <"$T/got")" -eq 90 ]
	vg 0 dmd-stream get -l "file://$T/log" -c "$T/cp" -m >/dev/null
	vg 0 dmd-stream info -l "file://$T/log" >/dev/null
}
