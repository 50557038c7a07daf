#!/usr/bin/env bats
# dmd-flush: moving cached points into the table tier.  Every point stays
# readable exactly once, whatever the tiers hold, however often flushes
# run, race each other or die with SIGKILL; --min-points, --max-age,
# --keep and --limit pick what moves; counters, errors and exit codes.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
	TABLE=$(dmd_table_dir)
}

teardown() {
	local p
	for p in ${bg_pids:-}; do
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ -d "${TABLE:-}" ] && chmod -R u+rwx "$TABLE" 2>/dev/null
	return 0
}

# Flush everything cached, whatever its age and size.
flush_all() {
	dmd-flush -n 1 -a 100w "$@"
}

# The query answer of series PREFIX.* must be exactly the expected set
# of the "name value time" files given.
check_answer() {
	local prefix=$1
	shift
	dmd_expect "$@" >"$T/expected"
	dmd_query_all "$prefix.*" >"$T/got"
	diff -u "$T/expected" "$T/got"
}

@test "moves every point to the table: same answer before and after, nothing left cached, exact counters" {
	dmd_points m 50 0 30 >"$T/in"
	awk 'BEGIN { for (i = 0; i < 3000; i++)
		printf "m.big %d %d\n", i % 7, 1732406400 + 60 * i }' >>"$T/in"
	dmd-ingest "$T/in"
	dmd_expect "$T/in" >"$T/expected"
	run wc -l <"$T/expected"
	assert_output 4500
	dmd_query_all 'm.*' >"$T/before"
	diff -u "$T/expected" "$T/before"

	run --separate-stderr flush_all -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"

	dmd_query_all 'm.*' >"$T/after"
	cmp "$T/before" "$T/after"
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	run dmd_keys 'dmd:*:f:*'
	assert_output ''
	run dmd_keys 'dmd:*:fz'
	assert_output ''
	# nothing is due any more, no counts are left
	run dmd_keys 'dmd:*:due'
	assert_output ''
	run dmd_keys 'dmd:*:cnt'
	assert_output ''

	# 50 small series make a chunk each; 3000 points make 1440 + 1440 + 120
	dmd_chunks >"$T/chunks"
	run wc -l <"$T/chunks"
	assert_output 53
	run grep -c '\(^\|/\)m\.s0[0-4][0-9]/[0-9]*_[0-9]*_[0-9a-f]\{16\}$' "$T/chunks"
	assert_output 50
	run sed -n 's|^\(.*/\)\{0,1\}m\.big/\([0-9]*_[0-9]*\)_[0-9a-f]\{16\}$|\2|p' "$T/chunks"
	assert_output - <<-EOF
	1732406400_$((1732406400 + 60 * 1439))
	$((1732406400 + 60 * 1440))_$((1732406400 + 60 * 2879))
	$((1732406400 + 60 * 2880))_$((1732406400 + 60 * 2999))
	EOF
	run dmd_tmp_files
	assert_output ''

	bytes=$(cd "$TABLE" && xargs stat -c %s <"$T/chunks" | awk '{ s += $1 } END { print s }')
	[ "$(dmd_stat "$T/stats" flush.series)" = 51 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 4500 ]
	[ "$(dmd_stat "$T/stats" flush.chunks)" = 53 ]
	[ "$(dmd_stat "$T/stats" flush.bytes)" = "$bytes" ]
	[ "$(dmd_stat "$T/stats" flush.resumed)" = 0 ]
	[ "$(dmd_stat "$T/stats" flush.kept)" = 0 ]
	[ "$(dmd_stat "$T/stats" flush.shards_busy)" = 0 ]

	# a second run finds nothing to do
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats2"
	[ "$(dmd_stat "$T/stats2" flush.series)" = 0 ]
	[ "$(dmd_stat "$T/stats2" flush.points)" = 0 ]
	[ "$(dmd_stat "$T/stats2" flush.chunks)" = 0 ]
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
	dmd_query_all 'm.*' >"$T/again"
	cmp "$T/before" "$T/again"
}

@test "reads the same points from the cache only, the table only, and both" {
	# cache only
	dmd_points r 20 0 10 >"$T/in1"
	dmd-ingest "$T/in1"
	check_answer r "$T/in1"
	run dmd_chunks
	assert_output ''

	# table only
	run flush_all
	assert_success
	check_answer r "$T/in1"
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	run dmd_chunks
	[ "${#lines[@]}" -eq 20 ]

	# both: new times 10..14 and new values for 5..9, already in the table
	dmd_points r 20 5 10 1 >"$T/in2"
	dmd-ingest "$T/in2"
	check_answer r "$T/in1" "$T/in2"
	# spot check: a rewritten point shows its new value
	run dmd-query -f 1732406700 -u 1732406700 -o tsv r.s003
	assert_output $'r.s003\t10030005\t1732406700'
	# the cache alone holds exactly the second slice
	dmd_expect "$T/in2" >"$T/expected"
	dmd_query_all -t '' 'r.*' >"$T/got"
	diff -u "$T/expected" "$T/got"

	# table only again: two chunks per series, the newer one wins
	run flush_all
	assert_success
	check_answer r "$T/in1" "$T/in2"
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	run dmd_chunks
	[ "${#lines[@]}" -eq 40 ]

	# and a third value for 7..11 in the cache over two chunks
	dmd_points r 20 7 5 2 >"$T/in3"
	dmd-ingest "$T/in3"
	check_answer r "$T/in1" "$T/in2" "$T/in3"
	run flush_all
	assert_success
	check_answer r "$T/in1" "$T/in2" "$T/in3"
}

@test "the newest value wins over chunks written before the cache was wiped" {
	dmd_points w 5 0 10 >"$T/in1"
	dmd-ingest "$T/in1"
	run flush_all
	assert_success
	rcli flushall >/dev/null
	check_answer w "$T/in1"

	dmd_points w 5 0 10 1 >"$T/in2"
	dmd-ingest "$T/in2"
	check_answer w "$T/in2"
	run flush_all
	assert_success
	check_answer w "$T/in2"
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	run dmd_chunks
	[ "${#lines[@]}" -eq 10 ]
}

@test "answers exactly through 20 flush cycles with points and rewrites arriving in between" {
	: >"$T/all"
	for i in $(seq 0 19); do
		dmd_points c 30 $((i * 5)) 5 >"$T/slice"
		if [ "$i" -gt 0 ]; then
			# new values for the previous slice, now in the table
			dmd_points c 10 $(((i - 1) * 5)) 5 "$i" >>"$T/slice"
		fi
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		check_answer c "$T/all"
		run --separate-stderr flush_all
		assert_success
		[ -z "$stderr" ]
		check_answer c "$T/all"
		run dmd_keys 'dmd:*:c:*'
		assert_output ''
	done
	run wc -l <"$T/expected"
	assert_output 3000
}

@test "answers exactly when points arrive while flushes run" {
	# 100 series x 300 points, fed slowly to a background ingest
	for k in $(seq 0 29); do
		dmd_points bg 100 $((k * 10)) 10
		[ "$k" -gt 0 ] && dmd_points bg 20 $(((k - 1) * 10)) 10 "$k"
	done >"$T/all"
	(
		for k in $(seq 0 29); do
			dmd_points bg 100 $((k * 10)) 10
			[ "$k" -gt 0 ] && dmd_points bg 20 $(((k - 1) * 10)) 10 "$k"
			sleep 0.03
		done | dmd-ingest -b 500 -d 10
	) 3>&- &
	ingest_pid=$!
	bg_pids=$ingest_pid
	flushes=0
	while kill -0 "$ingest_pid" 2>/dev/null; do
		run --separate-stderr flush_all
		assert_success
		[ -z "$stderr" ]
		flushes=$((flushes + 1))
	done
	wait "$ingest_pid"
	bg_pids=
	[ "$flushes" -ge 3 ]
	check_answer bg "$T/all"
	run flush_all
	assert_success
	check_answer bg "$T/all"
	run dmd_keys 'dmd:*:[cf]:*'
	assert_output ''
	run wc -l <"$T/expected"
	assert_output 30000
}

@test "a reader while flushes run sees every point once, the newest value of each" {
	: >"$T/all"
	total=0
	for i in $(seq 0 9); do
		dmd_points rd 300 $((i * 4)) 4 >"$T/slice"
		if [ "$i" -gt 0 ]; then
			dmd_points rd 100 $(((i - 1) * 4)) 4 "$i" >>"$T/slice"
		fi
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		dmd_expect "$T/all" >"$T/expected"
		flush_all 3>&- &
		pid=$!
		bg_pids=$pid
		reads=0
		while :; do
			dmd_query_all 'rd.*' >"$T/got"
			diff -u "$T/expected" "$T/got"
			reads=$((reads + 1))
			kill -0 "$pid" 2>/dev/null || break
			[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		done
		wait "$pid"
		bg_pids=
		total=$((total + reads))
		run dmd_keys 'dmd:*:[cf]:*'
		assert_output ''
	done
	echo "# $total reads during 10 flushes" >&3
	dmd_query_all 'rd.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
}

@test "a late point older than a chunk, or inside it, wins over the chunk; a point in both tiers prints once" {
	for t in $(seq 100 10 200); do
		echo "late.a $((t / 10)) $t"
	done >"$T/in1"
	dmd-ingest "$T/in1"
	run flush_all
	assert_success
	echo 'late.a 99 150' >"$T/in2"
	dmd-ingest "$T/in2"
	check_answer late "$T/in1" "$T/in2"
	run dmd-query -f 140 -u 160 -o tsv late.a
	assert_output - <<-'EOF'
	late.a	14	140
	late.a	99	150
	late.a	16	160
	EOF

	run flush_all
	assert_success
	run dmd_chunks
	[ "${#lines[@]}" -eq 2 ]
	check_answer late "$T/in1" "$T/in2"

	# older than every chunk, and inside both
	printf 'late.a 5 50\nlate.a -7 155\nlate.a 98 150\n' >"$T/in3"
	dmd-ingest "$T/in3"
	check_answer late "$T/in1" "$T/in2" "$T/in3"
	run flush_all
	assert_success
	check_answer late "$T/in1" "$T/in2" "$T/in3"

	# the whole series again, same values: in the cache and the table
	dmd_expect "$T/in1" "$T/in2" "$T/in3" |
		sed 's/^{"name":"\([^"]*\)","time":\([0-9]*\),"value":\(.*\)}$/\1 \3 \2/' >"$T/replay"
	run wc -l <"$T/replay"
	assert_output 13
	dmd-ingest "$T/replay"
	run dmd_keys 'dmd:*:c:late.a'
	assert_output --regexp '^dmd:\{s[0-9]{4}\}:c:late\.a$'
	check_answer late "$T/in1" "$T/in2" "$T/in3"
	run dmd-query -f 0 -u 1000 -o tsv late.a
	assert_output - <<-'EOF'
	late.a	5	50
	late.a	10	100
	late.a	11	110
	late.a	12	120
	late.a	13	130
	late.a	14	140
	late.a	98	150
	late.a	-7	155
	late.a	16	160
	late.a	17	170
	late.a	18	180
	late.a	19	190
	late.a	20	200
	EOF
}

@test "--min-points leaves young series with fewer points cached" {
	now=$(date +%s)
	for i in 1 2 3 4 5; do echo "young.few $i $((now - 600 + 60 * i))"; done >"$T/in"
	for i in $(seq 1 10); do echo "young.many $i $((now - 700 + 60 * i))"; done >>"$T/in"
	dmd-ingest "$T/in"

	run --separate-stderr dmd-flush -S -n 10 -a 1h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 1 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 10 ]
	run dmd_keys 'dmd:*:c:*'
	assert_output --regexp '^dmd:\{s[0-9]{4}\}:c:young\.few$'
	run dmd_chunks
	assert_output --regexp '(^|/)young\.many/[0-9]+_[0-9]+_[0-9a-f]{16}$'
	check_answer young "$T/in"

	run --separate-stderr dmd-flush -S -n 6 -a 1h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 0 ]

	run --separate-stderr dmd-flush -S -n 5 -a 1h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 1 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 5 ]
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	check_answer young "$T/in"
}

@test "--max-age flushes series whose oldest cached point is older, however few" {
	now=$(date +%s)
	printf 'age.old 1 %d\nage.young 2 %d\nage.mixed 3 %d\nage.mixed 4 %d\n' \
		$((now - 7200)) $((now - 60)) $((now - 60)) $((now - 4000)) >"$T/in"
	dmd-ingest "$T/in"

	run --separate-stderr dmd-flush -S -n 1000 -a 1h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 2 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 3 ]
	run dmd_keys 'dmd:*:c:*'
	assert_output --regexp '^dmd:\{s[0-9]{4}\}:c:age\.young$'
	check_answer age "$T/in"

	run --separate-stderr dmd-flush -S -n 1000 -a 30s
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 1 ]
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	check_answer age "$T/in"
}

@test "--keep keeps the newest points in the cache and moves the older ones" {
	now=$(date +%s)
	printf 'keep.a %d %d\n' 1 $((now - 7200)) 2 $((now - 3600)) \
		3 $((now - 1200)) 4 $((now - 60)) 5 $((now - 30)) >"$T/in"
	echo "keep.b 6 $((now - 120))" >>"$T/in"
	dmd-ingest "$T/in"

	# keep.a moves its 3 older points and puts 2 back; keep.b has
	# nothing older than 10m, so it is not due at all
	run --separate-stderr flush_all -S -k 10m
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 1 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 3 ]
	[ "$(dmd_stat "$T/stats" flush.kept)" = 2 ]
	[ "$(dmd_stat "$T/stats" flush.chunks)" = 1 ]
	check_answer keep "$T/in"
	# the cache alone: the kept points
	run dmd-query -t '' -f 0 -u 2000000000 -o tsv 'keep.*'
	assert_output - <<-EOF
	keep.a	4	$((now - 60))
	keep.a	5	$((now - 30))
	keep.b	6	$((now - 120))
	EOF
	# the table alone (an empty cache db): the older ones
	run dmd-query -c "unix://$REDIS_SOCK?db=1" -f 0 -u 2000000000 -o tsv 'keep.*'
	assert_output - <<-EOF
	keep.a	1	$((now - 7200))
	keep.a	2	$((now - 3600))
	keep.a	3	$((now - 1200))
	EOF

	# a new value for a kept point wins over the kept one
	echo "keep.a 40 $((now - 60))" >>"$T/in"
	dmd-ingest <<<"keep.a 40 $((now - 60))"
	check_answer keep "$T/in"
	# nothing cached is older than 10m now: nothing moves
	run --separate-stderr flush_all -S -k 10m
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 0 ]
	check_answer keep "$T/in"
	run dmd-query -t '' -f 0 -u 2000000000 -o tsv keep.a
	assert_output - <<-EOF
	keep.a	40	$((now - 60))
	keep.a	5	$((now - 30))
	EOF

	# without --keep everything goes
	run flush_all
	assert_success
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
	check_answer keep "$T/in"
}

@test "--keep moves points in batches: no trickle of one point per run" {
	now=$(date +%s)
	# 8h10m of one point a minute, oldest first
	for i in $(seq 490 -1 1); do
		echo "trickle.a $i $((now - 60 * i))"
	done >"$T/in"
	dmd-ingest "$T/in"

	# keep 7h, max-age 1h: the oldest point is older than 8h, so the
	# 70 minutes older than 7h go
	run --separate-stderr dmd-flush -S -n 100000 -a 1h -k 7h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 1 ]
	moved=$(dmd_stat "$T/stats" flush.points)
	[ "$moved" -ge 69 ] && [ "$moved" -le 71 ]
	# right after, the oldest cached point is only 7h old: not due by
	# age, and the kept points do not count again towards -n
	run --separate-stderr dmd-flush -S -n 400 -a 1h -k 7h
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 0 ]
	check_answer trickle "$T/in"
}

@test "--limit N moves at most N series per run" {
	dmd_points lim 10 0 3 >"$T/in"
	dmd-ingest "$T/in"
	for left in 7 4 1 0; do
		run --separate-stderr flush_all -S -l 3
		assert_success
		echo "$output" >"$T/stats"
		[ "$(dmd_stat "$T/stats" flush.series)" = $((left == 0 ? 1 : 3)) ]
		run dmd_keys 'dmd:*:c:*'
		[ "${#lines[@]}" -eq "$left" ]
		check_answer lim "$T/in"
	done
	run dmd_chunks
	[ "${#lines[@]}" -eq 10 ]
}

@test "two flushers at once split the work: each series moved once, nothing left behind" {
	dmd_points two 2000 0 10 >"$T/in"
	dmd-ingest "$T/in"
	flush_all -S >"$T/s1" 2>"$T/e1" 3>&- &
	p1=$!
	flush_all -S >"$T/s2" 2>"$T/e2" 3>&- &
	p2=$!
	bg_pids="$p1 $p2"
	rc1=0 rc2=0
	wait "$p1" || rc1=$?
	wait "$p2" || rc2=$?
	bg_pids=
	[ "$rc1" -eq 0 ]
	[ "$rc2" -eq 0 ]
	run cat "$T/e1" "$T/e2"
	assert_output ''
	[ $(($(dmd_stat "$T/s1" flush.series) + $(dmd_stat "$T/s2" flush.series))) -eq 2000 ]
	[ $(($(dmd_stat "$T/s1" flush.points) + $(dmd_stat "$T/s2" flush.points))) -eq 20000 ]
	echo "# series moved: $(dmd_stat "$T/s1" flush.series) + $(dmd_stat "$T/s2" flush.series)," \
		"shards busy: $(dmd_stat "$T/s1" flush.shards_busy) + $(dmd_stat "$T/s2" flush.shards_busy)" >&3
	check_answer two "$T/in"
	run dmd_keys 'dmd:*:[cf]:*'
	assert_output ''
	run dmd_tmp_files
	assert_output ''
	run dmd_chunks
	[ "${#lines[@]}" -eq 2000 ]
}

@test "exits 0 and prints nothing for an empty cache" {
	run --separate-stderr flush_all
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	run --separate-stderr dmd-flush
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	run dmd_chunks
	assert_output ''
}

@test "exits 2 with a message for bad options" {
	run --separate-stderr dmd-flush -a 5x
	assert_failure 2
	assert_stderr 'dmd-flush: max age is 5x: invalid'
	run --separate-stderr dmd-flush --keep bogus
	assert_failure 2
	assert_stderr 'dmd-flush: keep is bogus: invalid'
	run --separate-stderr dmd-flush -n 0
	assert_failure 2
	assert_stderr 'dmd-flush: min points is 0: too small'
	run --separate-stderr dmd-flush --limit -1
	assert_failure 2
	assert_stderr 'dmd-flush: limit is -1: too small'
	run --separate-stderr dmd-flush -t s3x://bucket
	assert_failure 2
	assert_stderr --partial 'dmd-flush: table "s3x://bucket": unknown table scheme "s3x"'
	run --separate-stderr dmd-flush -t /no/scheme
	assert_failure 2
	assert_stderr --partial 'dmd-flush: table "/no/scheme": '
	run --separate-stderr dmd-flush -c http://127.0.0.1:1
	assert_failure 2
	assert_stderr --partial 'dmd-flush: cache "http://127.0.0.1:1": unknown cache scheme "http"'
	run --separate-stderr env DMD_CACHE=ftp://x dmd-flush
	assert_failure 2
	assert_stderr --partial 'dmd-flush: cache "ftp://x": unknown cache scheme "ftp"'
	run --separate-stderr dmd-flush --bogus
	assert_failure 2
	assert_stderr_line "dmd-flush: unrecognized option '--bogus'"
	assert_stderr_line --partial 'usage: dmd-flush'
	run --separate-stderr dmd-flush extra
	assert_failure 2
	assert_stderr_line --partial 'usage: dmd-flush'
	run --separate-stderr dmd-flush -a
	assert_failure 2
	assert_stderr_line --partial 'usage: dmd-flush'
	# nothing moved by any of them
	run dmd_chunks
	assert_output ''
}

@test "exits 4 with a message when the cache is unreachable" {
	run --separate-stderr dmd-flush -n 1 -a 100w -c "unix://$T/no/such.sock"
	assert_failure 4
	assert_output ''
	assert_stderr 'dmd-flush: cache: cannot connect to redis: No such file or directory'
	run --separate-stderr env DMD_CACHE="unix://$T/no/such.sock" dmd-flush
	assert_failure 4
	assert_stderr --partial 'dmd-flush: cache: '
}

# Points of a failed flush: readable from the cache, moved by the next
# run after the table is fixed.  $1 is the command that fixes the table.
flush_fails_then_resumes() {
	dmd_points uw 5 0 4 >"$T/in"
	dmd-ingest "$T/in"
	run --separate-stderr flush_all
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-flush: table: cannot (create|write) '
	check_answer uw "$T/in"
	run dmd_chunks
	assert_output ''
	# the series it froze before it failed wait for the next run
	frozen=$(dmd_keys 'dmd:*:f:*' | wc -l)
	[ "$frozen" -ge 1 ]

	eval "$1"
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 5 ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 20 ]
	check_answer uw "$T/in"
	run dmd_keys 'dmd:*:[cf]:*'
	assert_output ''
	run dmd_keys 'dmd:*:fz'
	assert_output ''
	run dmd_chunks
	[ "${#lines[@]}" -eq 5 ]
}

@test "exits 4 for a table directory it cannot write, and keeps the points readable" {
	if [ "$(id -u)" = 0 ]; then
		skip "root ignores directory permissions"
	fi
	mkdir "$TABLE"
	chmod 500 "$TABLE"
	flush_fails_then_resumes 'chmod 700 "$TABLE"'
}

@test "exits 4 when the table cannot hold temp files, keeps the points readable, resumes later" {
	# a file where the temp directory belongs: fails for root as well
	mkdir "$TABLE"
	: >"$TABLE/tmp"
	flush_fails_then_resumes 'rm "$TABLE/tmp"'
	[ "$(dmd_stat "$T/stats" flush.resumed)" = "$frozen" ]
}

@test "SIGKILL at varying moments: no point lost or doubled, the next run finishes" {
	local i d rc kills=0 finished=0 frozen=0 tmpleft=0 checks=0 live=0
	local start=$SECONDS
	: >"$T/all"
	: >"$T/flush.err"
	for ((i = 0; i < 60 && SECONDS - start < 45; i++)); do
		# a fresh slice for 200 series, and new values for the
		# previous slice of 20 of them (in the table or frozen now)
		dmd_points k 200 $((i * 5)) 5 >"$T/slice"
		if [ "$i" -gt 0 ]; then
			dmd_points k 20 $(((i - 1) * 5)) 5 $((i % 90 + 1)) >>"$T/slice"
		fi
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"

		# a run killed while LeakSanitizer checks it at exit makes
		# its tracer complain on stderr: no leak check for these
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    dmd-flush -n 1 -a 100w 2>>"$T/flush.err" 3>&- &
		pid=$!
		bg_pids=$pid
		if ((i % 6 == 3)); then
			# a reader while the flusher runs
			check_answer k "$T/all"
			live=$((live + 1))
		else
			d=$(((i * 7) % 31))
			if ((d > 0)); then
				sleep "$(printf '0.%03d' "$d")"
			fi
		fi
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		{ wait "$pid"; } 2>/dev/null || rc=$?
		bg_pids=
		case $rc in
		0) finished=$((finished + 1)) ;;
		137) kills=$((kills + 1)) ;;
		*) echo "dmd-flush exited $rc in round $i" >&2; false ;;
		esac
		[ -n "$(dmd_keys 'dmd:*:f:*')" ] && frozen=$((frozen + 1))
		[ -n "$(dmd_tmp_files)" ] && tmpleft=$((tmpleft + 1))
		if ((i % 5 == 4)); then
			check_answer k "$T/all"
			checks=$((checks + 1))
		fi
	done
	echo "# $i rounds in $((SECONDS - start)) s: $kills killed ($frozen left frozen" \
		"series, $tmpleft left temp files), $finished finished first;" \
		"$checks checks after a kill, $live during a flush" >&3
	rounds=$i
	[ "$rounds" -ge 50 ]
	run cat "$T/flush.err"
	assert_output ''

	run --separate-stderr flush_all -S
	assert_success
	[ -z "$stderr" ]
	echo "# final run: resumed $(dmd_stat <(echo "$output") flush.resumed) series" >&3
	check_answer k "$T/all"
	run dmd_keys 'dmd:*:f:*'
	assert_output ''
	for h in $(dmd_keys 'dmd:*:fz'); do
		[ "$(rcli hlen "$h")" = 0 ]
	done
	run dmd_tmp_files
	assert_output ''

	# what was live beside a frozen copy goes with the next run
	run flush_all
	assert_success
	run dmd_keys 'dmd:*:[cf]:*'
	assert_output ''
	check_answer k "$T/all"
	run wc -l <"$T/expected"
	assert_output $((200 * 5 * rounds))
}
