#!/usr/bin/env bats
# Batches: thousands of points round-trip whatever the batch size, the
# value written last wins within and across batches, replays add
# nothing, a slow source is readable within --max-delay, --stats.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() { rcli flushall >/dev/null; }

teardown() {
	# a trickle test that failed half-way
	exec 4>&- || true
	if [ -n "${ingest_pid:-}" ]; then
		kill "$ingest_pid" 2>/dev/null || true
		wait "$ingest_pid" 2>/dev/null || true
	fi
}

query_all() {
	dmd-query -f 0 -u 2000000000 "$@"
}

# NDJSON points on stdin as "name<TAB>value<TAB>time", the value
# normalised by awk (dmd-gen writes 3.40 where dmd-query prints 3.4).
canon() {
	awk -F'"' '{
		t = $7; gsub(/[:,]/, "", t)
		v = $9; gsub(/[:}]/, "", v)
		printf "%s\t%.15g\t%s\n", $4, v + 0, t
	}'
}

# Sorted by name, then numerically by time.
by_name_time() {
	LC_ALL=C sort -t"$(printf '\t')" -k1,1 -k3,3n "$@"
}

@test "stores 30000 points of 500 series and reads back exactly those, by name then time" {
	dmd-gen -H 50 -d 3600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	run wc -l <"$BATS_TEST_TMPDIR/in"
	assert_output 30000
	run dmd-ingest "$BATS_TEST_TMPDIR/in"
	assert_success
	query_all 'host*.*.*' >"$BATS_TEST_TMPDIR/out"
	canon <"$BATS_TEST_TMPDIR/in" | by_name_time >"$BATS_TEST_TMPDIR/expected"
	canon <"$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "prints a query sorted by name then time, one line per (name, time)" {
	dmd-gen -H 50 -d 3600 -s 1700000000 | dmd-ingest
	query_all -o tsv 'host*.*.*' >"$BATS_TEST_TMPDIR/out"
	run wc -l <"$BATS_TEST_TMPDIR/out"
	assert_output 30000
	# -u: strictly increasing, so no (name, time) twice
	LC_ALL=C sort -c -u -s -t"$(printf '\t')" -k1,1 -k3,3n "$BATS_TEST_TMPDIR/out"
}

@test "prints values exactly as dmd-gen wrote them, up to trailing zeros" {
	dmd-gen -H 2 -d 600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	dmd-ingest "$BATS_TEST_TMPDIR/in"
	# dmd-gen's 3.40 is printed 3.4: strip such zeros, then compare text
	sed -E 's/("value":-?[0-9]+\.[0-9]*[1-9])0+}/\1}/; s/("value":-?[0-9]+)\.0+}/\1}/' \
		"$BATS_TEST_TMPDIR/in" | sorted >"$BATS_TEST_TMPDIR/expected"
	query_all 'host*.*.*' | sorted >"$BATS_TEST_TMPDIR/got"
	diff -u "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/got"
}

@test "gives the same result with --batch 1, 7 and 1000 as with the default" {
	dmd-gen -H 5 -d 3600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	dmd-ingest "$BATS_TEST_TMPDIR/in"
	query_all 'host*.*.*' >"$BATS_TEST_TMPDIR/default"
	run wc -l <"$BATS_TEST_TMPDIR/default"
	assert_output 3000
	for b in 1 7 1000; do
		rcli flushall >/dev/null
		run dmd-ingest --batch "$b" "$BATS_TEST_TMPDIR/in"
		assert_success
		query_all 'host*.*.*' >"$BATS_TEST_TMPDIR/batch$b"
		cmp "$BATS_TEST_TMPDIR/default" "$BATS_TEST_TMPDIR/batch$b"
	done
}

@test "sends ceil(points / --batch) batches" {
	dmd-gen -H 5 -d 3600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	host=$(uname -n | cut -d. -f1 | sed 's/[^A-Za-z0-9_-]/_/g')
	for b in 7:429 1000:3 3000:1 250000:1; do
		run dmd-ingest --stats --max-delay 3600000 --batch "${b%:*}" "$BATS_TEST_TMPDIR/in"
		assert_success
		assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.batches\",\"time\":[0-9]+,\"value\":${b#*:}\}$"
		assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.accepted\",\"time\":[0-9]+,\"value\":3000\}$"
	done
}

@test "keeps the value written last when a (name, time) repeats within a batch" {
	run dmd-ingest <<-'EOF'
	d.a 1 100
	d.b 1 100
	d.a 2 100
	d.a 3 101
	d.a 4 99
	d.a 5 100
	EOF
	assert_success
	run query_all 'd.*'
	assert_output - <<-'EOF'
	{"name":"d.a","time":99,"value":4}
	{"name":"d.a","time":100,"value":5}
	{"name":"d.a","time":101,"value":3}
	{"name":"d.b","time":100,"value":1}
	EOF
}

@test "keeps the value written last when a (name, time) repeats across batches" {
	for b in 1 2 3; do
		rcli flushall >/dev/null
		run dmd-ingest --batch "$b" <<-'EOF'
		d.a 1 100
		d.b 1 100
		d.a 2 100
		d.a 3 101
		d.a 4 99
		d.a 5 100
		d.b 6 100
		EOF
		assert_success
		run query_all 'd.*'
		assert_output - <<-'EOF'
		{"name":"d.a","time":99,"value":4}
		{"name":"d.a","time":100,"value":5}
		{"name":"d.a","time":101,"value":3}
		{"name":"d.b","time":100,"value":6}
		EOF
	done
}

@test "keeps the value written last when a (name, time) repeats across runs" {
	dmd-ingest <<<'d.a 1 100'
	dmd-ingest <<<'{"name":"d.a","time":100,"value":2}'
	dmd-ingest < <(printf 'd.a\t3\t100\n')
	run query_all d.a
	assert_output '{"name":"d.a","time":100,"value":3}'
}

@test "keeps the value written last when a JSON array repeats a (name, time)" {
	dmd-ingest <<<'[{"name":"d.a","time":100,"value":1},{"name":"d.a","time":100,"value":2}]'
	run query_all d.a
	assert_output '{"name":"d.a","time":100,"value":2}'
}

@test "gives no duplicates when the same input is replayed" {
	dmd-gen -H 5 -d 3600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	dmd-ingest "$BATS_TEST_TMPDIR/in"
	query_all 'host*.*.*' >"$BATS_TEST_TMPDIR/once"
	dmd-ingest "$BATS_TEST_TMPDIR/in"
	dmd-ingest --batch 7 "$BATS_TEST_TMPDIR/in"
	query_all 'host*.*.*' >"$BATS_TEST_TMPDIR/thrice"
	run wc -l <"$BATS_TEST_TMPDIR/thrice"
	assert_output 3000
	cmp "$BATS_TEST_TMPDIR/once" "$BATS_TEST_TMPDIR/thrice"
}

@test "gives no duplicates when input is replayed from a later point on" {
	dmd-gen -H 5 -d 3600 -s 1700000000 >"$BATS_TEST_TMPDIR/in"
	head -n 2000 "$BATS_TEST_TMPDIR/in" | dmd-ingest
	tail -n +1500 "$BATS_TEST_TMPDIR/in" | dmd-ingest --batch 100
	run query_all 'host*.*.*'
	[ "${#lines[@]}" -eq 3000 ]
}

@test "makes a trickled point readable within --max-delay while dmd-ingest still runs" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# fd 3 closed: bats would wait for whoever holds it
	dmd-ingest --max-delay 200 <"$BATS_TEST_TMPDIR/fifo" 3>&- &
	ingest_pid=$!
	exec 4>"$BATS_TEST_TMPDIR/fifo"
	printf 't.a 1 100\n' >&4
	seen=
	for i in $(seq 1 30); do
		out=$(dmd-query -f 0 -u 1000 t.a)
		if [ -n "$out" ]; then
			seen=$out
			break
		fi
		sleep 0.1
	done
	[ "$seen" = '{"name":"t.a","time":100,"value":1}' ]
	# still running: the point came from the timer, not from EOF
	kill -0 "$ingest_pid"
	printf 't.a 2 101\n' >&4
	exec 4>&-
	st=0
	wait "$ingest_pid" || st=$?
	ingest_pid=
	[ "$st" -eq 0 ]
	run dmd-query -f 0 -u 1000 t.a
	assert_output - <<-'EOF'
	{"name":"t.a","time":100,"value":1}
	{"name":"t.a","time":101,"value":2}
	EOF
}

@test "--stats prints its counters as points" {
	host=$(uname -n | cut -d. -f1 | sed 's/[^A-Za-z0-9_-]/_/g')
	run --separate-stderr dmd-ingest --stats <<-'EOF'
	s.a 1 100
	bad/x 1 100
	s.a 2 101
	[{"name":"s.b","time":100,"value":1},{"name":"bad/y","time":1,"value":1}]
	EOF
	assert_failure 1
	for c in accepted:3 rejected:2 spilled:0 batches:1 retries:0; do
		assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.${c%:*}\",\"time\":[0-9]+,\"value\":${c#*:}\}$"
	done
	assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.seconds\",\"time\":[0-9]+,\"value\":[0-9.e+-]+\}$"
	# the counters, and nothing else, are on stdout
	refute_line --regexp '^\{"name":"s\.'
	[ "${#stderr_lines[@]}" -eq 2 ]
}

@test "--stats prints points that a second dmd-ingest stores" {
	host=$(uname -n | cut -d. -f1 | sed 's/[^A-Za-z0-9_-]/_/g')
	printf 's.a 1 100\ns.a 2 101\n' | dmd-ingest --stats >"$BATS_TEST_TMPDIR/stats"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/stats"
	assert_success
	[ -z "$stderr" ]
	run dmd-query -f 0 -u 253402300799 "dmd.$host.ingest.*"
	assert_success
	assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.accepted\",\"time\":[0-9]+,\"value\":2\}$"
	assert_line --regexp "^\{\"name\":\"dmd\.$host\.ingest\.rejected\",\"time\":[0-9]+,\"value\":0\}$"
	n=$(wc -l <"$BATS_TEST_TMPDIR/stats")
	[ "$n" -ge 6 ]
	[ "${#lines[@]}" -eq "$n" ]
}

@test "--stats stamps its counters with the current time" {
	before=$(date +%s)
	run dmd-ingest --stats </dev/null
	after=$(date +%s)
	assert_success
	t=$(printf '%s\n' "$output" | sed -n 's/.*\.ingest\.accepted","time":\([0-9]*\),.*/\1/p')
	[ -n "$t" ]
	[ "$t" -ge "$before" ]
	[ "$t" -le "$after" ]
	assert_line --partial '.ingest.accepted","time":'"$t"',"value":0}'
}

@test "includes both ends of a -f/-u range and excludes the points just outside" {
	dmd-ingest <<-'EOF'
	r.a 1 99
	r.a 2 100
	r.a 3 150
	r.a 4 200
	r.a 5 201
	EOF
	run dmd-query -f 100 -u 200 r.a
	assert_output - <<-'EOF'
	{"name":"r.a","time":100,"value":2}
	{"name":"r.a","time":150,"value":3}
	{"name":"r.a","time":200,"value":4}
	EOF
	run dmd-query -f 100 -u 100 r.a
	assert_output '{"name":"r.a","time":100,"value":2}'
	run dmd-query -f 101 -u 149 r.a
	assert_success
	assert_output ''
}

@test "includes both ends of a range across many series and batches" {
	dmd-gen -H 5 -d 3600 -s 1700000000 | dmd-ingest --batch 100
	# 1700000600 .. 1700001200 holds 11 minutes of 50 series
	run dmd-query -f 1700000600 -u 1700001200 -o tsv 'host*.*.*'
	[ "${#lines[@]}" -eq 550 ]
	run dmd-query -f 1700000601 -u 1700001199 -o tsv 'host*.*.*'
	[ "${#lines[@]}" -eq 450 ]
}
