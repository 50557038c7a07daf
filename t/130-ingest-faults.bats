#!/usr/bin/env bats
# dmd-ingest under faults: Redis stopped, killed or slow to come back,
# Redis error replies, an unwritable spill file, and dmd-ingest itself
# killed or terminated mid-input (DESIGN.md section 5, invariants 2 and 3).
#
# Every comparison is exact: the points read back by dmd-query (or found
# in a spill file) must be the input points as a multiset of NDJSON lines,
# so a lost point and a duplicated one both fail.

bats_require_minimum_version 1.5.0

load lib/dmd

# A test that stops Redis and starts it again leaves a new REDIS_PID in
# its own process only; keep the current one in a file for the tests
# after it and for teardown_file.
setup_file() {
	dmd_redis_start
	echo "$REDIS_PID" >"$BATS_FILE_TMPDIR/redis.pid"
}

teardown_file() {
	REDIS_PID=$(cat "$BATS_FILE_TMPDIR/redis.pid" 2>/dev/null || true)
	dmd_redis_teardown
}

setup() {
	REDIS_PID=$(cat "$BATS_FILE_TMPDIR/redis.pid")
	BG=()
	T=$BATS_TEST_TMPDIR
	rcli flushall >/dev/null
}

teardown() {
	kill_jobs "${BG[@]}"
	[ -n "$REDIS_PID" ] || dmd_redis_restart
	echo "$REDIS_PID" >"$BATS_FILE_TMPDIR/redis.pid"
}

# dmd-gen prints values with two decimals (40.30); dmd-ingest stores
# doubles and prints the shortest form (40.3), as the spill file does.
# Make the input canonical so that lines compare byte for byte.
gen() {
	dmd-gen "$@" | sed -E \
	    -e 's/("value":-?[0-9]+)\.([0-9]*[1-9])0+}$/\1.\2}/' \
	    -e 's/("value":-?[0-9]+)\.0+}$/\1}/'
}

query_all() {
	dmd-query -f 0 -u 2000000000 'host*.*.*'
}

# same_points WANT GOT: the two files hold the same lines, each as many
# times (sorted with LC_ALL=C); shows the first differences otherwise.
same_points() {
	sorted "$1" >"$T/want.sorted"
	sorted "$2" >"$T/got.sorted"
	if ! cmp -s "$T/want.sorted" "$T/got.sorted"; then
		echo "points differ: want $(wc -l <"$1") lines, got" \
		    "$(wc -l <"$2"); diff want got:"
		diff "$T/want.sorted" "$T/got.sorted" | head -20
		return 1
	fi
}

# query_is WANT: what dmd-query reads back is exactly the points of WANT.
query_is() {
	query_all >"$T/query.out"
	same_points "$1" "$T/query.out"
}

# lacks FILE TEXT: FILE does not contain TEXT.
lacks() {
	if grep -qF -- "$2" "$1"; then
		echo "\"$2\" unexpectedly found in $1:"
		grep -F -- "$2" "$1" | head -10
		return 1
	fi
}

# stat_value FILE COUNTER: the value of dmd.HOST.ingest.COUNTER in the
# --stats output FILE.
stat_value() {
	sed -n -E "s/^\{\"name\":\"dmd\.[^\"]*\.ingest\.$2\",\"time\":[0-9]+,\"value\":([^}]*)\}$/\1/p" "$1"
}

# feed_slowly FILE LINES PAUSE: print FILE LINES lines at a time with a
# pause after each chunk, like a collector that writes now and then.
feed_slowly() {
	local f=$1 n=$2 pause=$3 total i

	total=$(wc -l <"$f")
	for ((i = 1; i <= total; i += n)); do
		sed -n "${i},$((i + n - 1))p" "$f"
		sleep "$pause"
	done
}

# The body of the tests that stop Redis while a slow source is still
# writing: SIG is how Redis is stopped.
redis_stops_mid_stream() {
	local sig=$1

	gen -H 10 -d 6000 -s 1700000000 >"$T/in"	# 10000 points
	mkfifo "$T/fifo"
	dmd-ingest --batch 500 --max-delay 100 --retry-for 20 --stats \
	    <"$T/fifo" >"$T/stats" 2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	feed_slowly "$T/in" 500 0.1 >"$T/fifo" 3>&- &	# about 2 s
	fpid=$!
	BG+=("$fpid")

	sleep 0.6
	# the input must still be flowing when Redis goes away
	kill -0 "$fpid"
	kill -0 "$ipid"
	dmd_redis_stop "$sig"
	sleep 1
	dmd_redis_restart

	wait_for "$fpid" 30
	assert_equal "$st" 0
	wait_for "$ipid" 30
}

@test "stores everything when redis stops mid-stream and comes back" {
	redis_stops_mid_stream TERM

	assert_equal "$st" 0
	has "$T/err" "retrying"
	retries=$(stat_value "$T/stats" retries)
	[ -n "$retries" ] || { cat "$T/stats"; false; }
	(( retries > 0 ))
	assert_equal "$(stat_value "$T/stats" accepted)" 10000
	assert_equal "$(stat_value "$T/stats" spilled)" 0
	query_is "$T/in"
}

@test "stores everything when redis is killed mid-stream, comes back and the input is replayed" {
	redis_stops_mid_stream KILL

	assert_equal "$st" 0
	has "$T/err" "retrying"
	retries=$(stat_value "$T/stats" retries)
	[ -n "$retries" ] || { cat "$T/stats"; false; }
	(( retries > 0 ))
	# Redis itself may lose what it had not written to its AOF; a replay
	# of the same input is harmless and must give exactly the input.
	run dmd-ingest "$T/in"
	assert_success
	query_is "$T/in"
}

@test "spills every unstored point when redis never comes back" {
	gen -H 10 -d 1200 -s 1700000000 >"$T/in"	# 2000 points
	dmd_redis_stop TERM

	run --separate-stderr dmd-ingest --batch 500 --retry-for 1 \
	    --spill "$T/spill" "$T/in"
	assert_equal "$status" 3
	echo "$stderr" >"$T/err"
	has "$T/err" "$T/spill"
	assert_file_exists "$T/spill"
	same_points "$T/in" "$T/spill"

	dmd_redis_restart
	run dmd-ingest <"$T/spill"
	assert_success
	query_is "$T/in"
}

@test "two ingests spilling into one file at once: every line whole, each point once" {
	gen -H 200 -d 60000 -s 1700000000 >"$T/a"	# 200000 points each
	gen -H 200 -d 60000 -s 1800000000 >"$T/b"
	dmd_redis_stop TERM
	# batches of 20000 points, about 1.3 MB of spill each: far more
	# than a stdio buffer, so the two writers' appends would interleave
	# inside lines if a batch were not written in one go
	dmd-ingest --batch 20000 --retry-for 0 --spill "$T/spill" "$T/a" \
	    2>"$T/err.a" 3>&- &
	pa=$!
	dmd-ingest --batch 20000 --retry-for 0 --spill "$T/spill" "$T/b" \
	    2>"$T/err.b" 3>&- &
	pb=$!
	sa=0 sb=0
	wait "$pa" || sa=$?
	wait "$pb" || sb=$?
	assert_equal "$sa $sb" "3 3"
	cat "$T/a" "$T/b" >"$T/in"
	same_points "$T/in" "$T/spill"

	dmd_redis_restart
	run dmd-ingest <"$T/spill"
	assert_success
	query_is "$T/in"
}

@test "spills to TMPDIR/dmd-ingest.PID.spill when neither --spill nor DMD_SPILL is given" {
	gen -H 3 -d 120 -s 1700000000 >"$T/in"	# 60 points
	mkdir "$T/tmp"
	dmd_redis_stop TERM

	(
		unset DMD_SPILL
		export TMPDIR="$T/tmp"
		exec dmd-ingest --retry-for 1 "$T/in" >"$T/out" 2>"$T/err" 3>&-
	) &
	ipid=$!
	BG+=("$ipid")
	wait_for "$ipid" 20
	assert_equal "$st" 3

	spill="$T/tmp/dmd-ingest.$ipid.spill"
	assert_file_exists "$spill"
	has "$T/err" "$spill"
	assert_equal "$(ls "$T/tmp")" "dmd-ingest.$ipid.spill"
	same_points "$T/in" "$spill"
}

@test "exits 3, not 1, when lines are rejected and the rest is spilled, and keeps rejected lines out of the spill file" {
	gen -H 2 -d 120 -s 1700000000 >"$T/good"	# 40 points
	{
		head -n 10 "$T/good"
		echo '{"name":"host0000 bad name","time":1700000000,"value":1}'
		sed -n 11,30p "$T/good"
		echo '{"name":"host0000.bad.time","time":"soon","value":1}'
		echo '{"name":"host0000.bad.value","time":1700000000,"value":"x"}'
		sed -n '31,$p' "$T/good"
	} >"$T/in"
	dmd_redis_stop TERM

	run --separate-stderr dmd-ingest --retry-for 1 --spill "$T/spill" \
	    --rejects "$T/rejects" <"$T/in"
	assert_equal "$status" 3
	echo "$stderr" >"$T/err"
	has "$T/err" "stdin:11: "
	has "$T/err" "stdin:32: "
	has "$T/err" "stdin:33: "
	has "$T/err" "$T/spill"
	same_points "$T/good" "$T/spill"
	lacks "$T/spill" "bad"
	assert_equal "$(grep -c bad "$T/rejects")" 3
}

@test "exits 5 with a message when redis is down and the spill file cannot be written" {
	gen -H 2 -d 120 -s 1700000000 >"$T/in"
	dmd_redis_stop TERM

	run --separate-stderr dmd-ingest --retry-for 1 \
	    --spill /nonexistent/dir/spill "$T/in"
	assert_equal "$status" 5
	echo "$stderr" >"$T/err"
	has "$T/err" "dmd-ingest: "
	has "$T/err" "/nonexistent/dir/spill"
	has "$T/err" "No such file or directory"
	# it must not claim that the points were saved
	lacks "$T/err" "points spilled to"
	assert_file_not_exists /nonexistent/dir/spill
}

@test "SIGKILL of dmd-ingest mid-input and a rerun of the same input give exactly the input" {
	gen -H 100 -d 12000 -s 1700000000 >"$T/in"	# 200000 points
	# --batch 1000 makes a full run take about 0.5 s here, so each kill
	# lands mid-input (checked: the run must die of the SIGKILL).
	for delay in 0.05 0.1 0.2; do
		rcli flushall >/dev/null
		dmd-ingest --batch 1000 "$T/in" >/dev/null 2>"$T/err" 3>&- &
		ipid=$!
		BG+=("$ipid")
		sleep "$delay"
		kill -KILL "$ipid"
		st=0
		wait "$ipid" || st=$?
		assert_equal "$st" 137
		# the kill hit a run that had not stored everything yet
		query_all >"$T/partial"
		(( $(wc -l <"$T/partial") < 200000 ))

		run dmd-ingest --batch 1000 "$T/in"
		assert_success
		query_is "$T/in"
	done
}

@test "SIGTERM of dmd-ingest on a never-ending pipe stores the points it read and dies of the signal" {
	gen -H 5 -d 600 -s 1700000000 >"$T/in"	# 500 points
	mkfifo "$T/fifo"
	# a batch that would wait an hour: only the signal makes it go out
	dmd-ingest --max-delay 3600000 <"$T/fifo" >"$T/out" 2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	exec {wfd}>"$T/fifo"	# held open: the input never ends
	cat "$T/in" >&"$wfd"
	sleep 0.5
	kill -0 "$ipid"
	query_all >"$T/before"
	assert_equal "$(wc -l <"$T/before")" 0

	kill -TERM "$ipid"
	wait_for "$ipid" 10
	exec {wfd}>&-
	assert_equal "$st" 143
	query_is "$T/in"
}

@test "waits for a redis that starts late and then stores everything" {
	gen -H 10 -d 600 -s 1700000000 >"$T/in"	# 1000 points
	dmd_redis_stop TERM

	dmd-ingest --retry-for 10 --spill "$T/spill" "$T/in" >"$T/out" \
	    2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	sleep 1
	kill -0 "$ipid"		# still retrying, not given up
	dmd_redis_restart
	wait_for "$ipid" 20

	assert_equal "$st" 0
	has "$T/err" "retrying"
	assert_file_not_exists "$T/spill"
	query_is "$T/in"
}

@test "spills a point that redis answers with an error reply, and names the error" {
	point='{"name":"host0000.wrong.type","time":1700000000,"value":1}'
	echo "$point" >"$T/in"
	run dmd-ingest "$T/in"
	assert_success
	run rcli --scan --pattern 'dmd:*:c:*'
	assert_success
	assert_equal "${#lines[@]}" 1
	key=${lines[0]}
	assert_equal "${key##*:c:}" host0000.wrong.type
	rcli del "$key" >/dev/null
	run rcli set "$key" x
	assert_output OK

	run --separate-stderr dmd-ingest --retry-for 1 --spill "$T/spill" \
	    "$T/in"
	assert_equal "$status" 3
	echo "$stderr" >"$T/err"
	has "$T/err" "WRONGTYPE"
	has "$T/err" "$T/spill"
	same_points "$T/in" "$T/spill"
}

@test "exits 5 with a message when the spill file cannot be written because the disk is full" {
	[ -c /dev/full ] || skip "no /dev/full"
	gen -H 2 -d 120 -s 1700000000 >"$T/in"
	dmd_redis_stop TERM

	run --separate-stderr dmd-ingest --retry-for 1 --spill /dev/full \
	    "$T/in"
	assert_equal "$status" 5
	echo "$stderr" >"$T/err"
	has "$T/err" "/dev/full"
	has "$T/err" "No space left on device"
	lacks "$T/err" "points spilled to"
}

@test "SIGTERM while redis is down stops the retries at once, spills what was read and dies of the signal" {
	gen -H 3 -d 120 -s 1700000000 >"$T/in"	# 60 points
	dmd_redis_stop TERM

	dmd-ingest --retry-for 30 --spill "$T/spill" "$T/in" >"$T/out" \
	    2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	# backoff sleeps are 100, 200, 400, 800, 1600 ms: at 1.8 s the
	# retry loop is in its longest sleep so far
	sleep 1.8
	kill -0 "$ipid"
	t0=$EPOCHREALTIME
	kill -TERM "$ipid"
	wait_for "$ipid" 10
	t1=$EPOCHREALTIME

	assert_equal "$st" 143
	has "$T/err" "$T/spill"
	same_points "$T/in" "$T/spill"
	# a signal ends the retries: no waiting out the current backoff
	ms=$(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 ))
	echo "exited ${ms} ms after SIGTERM"
	(( ms < 1000 ))
}
