#!/usr/bin/env bats
# The seed's durable pipeline: producers | dmd-stream put, and
# dmd-stream get --follow --marks -c cp | dmd-ingest --checkpoint cp,
# then dmd-flush and dmd-query.  The ingest side is SIGKILLed mid-way
# and restarted (and the reader too); the checkpoint is written by
# dmd-ingest only once the points before a mark are stored, so nothing
# is lost, and what is read twice is stored twice harmlessly.

bats_require_minimum_version 1.5.0
load lib/dmd

BATS_TEST_TIMEOUT=300

setup() {
	dmd_redis_start
	T=$BATS_TEST_TMPDIR
	export DMD_LOG="file://$T/log"
	pids=
}

teardown() {
	local p
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	dmd_redis_teardown
}

# Start the consumer pipeline in the background, through a fifo so each
# side has a PID of its own: GET and ING.
consumer() {
	[ -p "$T/fifo" ] || mkfifo "$T/fifo"
	dmd-stream get --follow --marks -c "$T/cp" > "$T/fifo" \
		2>>"$T/get.err" &
	GET=$!
	dmd-ingest --checkpoint "$T/cp" -d 50ms < "$T/fifo" 2>>"$T/ing.err" &
	ING=$!
	pids="$pids $GET $ING"
}

@test "#mark lines: dmd-ingest --checkpoint records them once the points are stored; without it they are rejected" {
	dmd_points m 3 0 10 > "$T/in"
	run -0 dmd-stream put "$T/in"
	run -0 dmd-stream get --marks
	assert_line --regexp '^#mark [0-9]+ [0-9]+$'
	printf '%s\n' "$output" > "$T/out"
	run -1 dmd-ingest "$T/out"
	assert_output --regexp "out:[0-9]+: "
	run -0 dmd-ingest --checkpoint "$T/cp" "$T/out"
	run -0 cat "$T/cp"
	assert_line --regexp '^[0-9]+ [0-9]+$'
	# read from that checkpoint: nothing new
	run -0 dmd-stream get --marks -c "$T/cp"
	assert_output ''
	dmd_expect "$T/in" > "$T/want"
	run -0 dmd_query_all 'm.*'
	diff "$T/want" <(echo "$output")
}

@test "a #mark line that is not exactly PARTITION POSITION is rejected, never recorded: no partition number wraps" {
	printf '%s\n' 'mk.a 1 1700000000' '#mark 4294967296 77' '#mark 1 12' \
	    '#mark 2 +3 x' '#mark -1 5' '#mark 01024 5' '#mark 1024 5' \
	    "#mark 3 $(printf '%0128d' 0)" '#mark 5  ok' '#mark 6 ok' > "$T/in"
	run --separate-stderr dmd-ingest --checkpoint "$T/cp" "$T/in"
	assert_failure 1
	assert_equal "$(grep -c '^dmd-ingest: ' <<<"$stderr")" 7
	run -0 grep -v '^#' "$T/cp"
	assert_output "$(printf '1 12\n6 ok')"
	# and a checkpoint file is read as strictly
	run -1 dmd-stream put "$T/in"	# the #mark lines rejected
	printf '4294967296 77\n' > "$T/cp2"
	run --separate-stderr dmd-stream get -c "$T/cp2"
	assert_failure 2
	assert_equal "$stderr" "dmd-stream: $T/cp2:1: want PARTITION POSITION"
}

@test "put -> get --follow --marks | ingest --checkpoint, the ingest side SIGKILLed three times mid-way: the query equals the input" {
	: > "$T/all"
	for k in 0 1 2 3 4 5; do
		dmd_points p 40 $((k * 500)) 500 > "$T/in.$k"
		cat "$T/in.$k" >> "$T/all"
		run -0 timeout 60 dmd-stream put "$T/in.$k"
		# the reader starts once the log exists (get makes none)
		[ "$k" -gt 0 ] || consumer
		if [ "$k" -lt 3 ]; then
			# let it read some, then kill the storing side
			sleep 0.$((RANDOM % 5 + 1))
			kill -KILL "$ING" 2>/dev/null || true
			wait "$ING" 2>/dev/null || true
			# the reader dies of the broken pipe (or is killed)
			kill -KILL "$GET" 2>/dev/null || true
			wait "$GET" 2>/dev/null || true
			consumer
		fi
	done
	# wait until everything is stored, then stop the reader: the
	# ingest side sees the end of its input and exits
	dmd_expect "$T/all" > "$T/want"
	for i in $(seq 1 100); do
		n=$(dmd_query_all 'p.*' | wc -l)
		[ "$n" -eq "$(wc -l < "$T/want")" ] && break
		sleep 0.2
	done
	kill -TERM "$GET"
	wait "$GET" || true
	wait "$ING"
	run -0 dmd_query_all 'p.*'
	diff "$T/want" <(echo "$output")
	# and through the table too
	run -0 timeout 60 dmd-flush -a 0 -k 0
	run -0 dmd_query_all 'p.*'
	diff "$T/want" <(echo "$output")
	# the checkpoint is at the end: a new reader has nothing to read
	run -0 timeout 30 dmd-stream get --marks -c "$T/cp"
	assert_output ''
}

@test "after an incident: get --from TIME | dmd-ingest replays into a wiped cache" {
	dmd_points r 20 0 300 > "$T/a"
	run -0 dmd-stream put "$T/a"
	sleep 1.1
	t=$(date +%s)
	dmd_points r 20 300 300 > "$T/b"
	run -0 dmd-stream put "$T/b"
	run -0 dmd-stream get | dmd-ingest
	rcli flushall > /dev/null
	# the later batch only: the replay of a time
	run -0 bash -c "dmd-stream get --from $t | dmd-ingest"
	dmd_expect "$T/b" > "$T/want"
	run -0 dmd_query_all 'r.*'
	diff "$T/want" <(echo "$output")
	# and everything from the oldest
	run -0 bash -c "dmd-stream get --from oldest | dmd-ingest"
	dmd_expect "$T/a" "$T/b" > "$T/want"
	run -0 dmd_query_all 'r.*'
	diff "$T/want" <(echo "$output")
}
