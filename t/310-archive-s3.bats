#!/usr/bin/env bats
# The archive tier in S3 (s3://BUCKET/PREFIX?endpoint=...) on a private
# s3rver: every case of t/lib/archive-cases.bash that t/300-archive.bats
# runs on file:// (dmd-archive killed at random moments with the lock
# object of each killed run expired after it), then what is S3's own:
# decimal values as a file:// archive answers them, request counters of
# dmd-archive and dmd-query, one writer at a time by the lock object, a
# stale lock taken over, a live one left alone, bad URLs and missing
# credentials (exit 2, naming the variables), the secret and the session
# token never printed, the server gone before and in the middle of a
# query and of an archive run (exit 4, a message, the chunks kept).

bats_require_minimum_version 1.5.0
load lib/dmd
load lib/archive-cases

# no test may hang on a server that went away: the longest case (60
# killed runs) takes under a minute, a few under ASan
BATS_TEST_TIMEOUT=300

setup_file() {
	dmd_redis_start
	dmd_s3_start
}

teardown_file() {
	dmd_s3_stop
	dmd_redis_teardown
}

setup() {
	[ -z "${S3_SKIP:-}" ] || skip "$S3_SKIP"
	archive_reset
	rcli -n 1 flushdb >/dev/null
	T=$BATS_TEST_TMPDIR
	file_pid=$S3_PID
}

teardown() {
	local p
	for p in ${bg_pids:-}; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# an s3rver of the test's own (never the file's)
	if [ -n "${S3_PID:-}" ] && [ "$S3_PID" != "${file_pid:-}" ]; then
		dmd_s3_stop
	fi
	return 0
}

# lock BODY: the archive's lock object, as another writer would put it
put_lock() {
	printf '%s' "$1" >"$T/lock.body"
	dmd_s3_curl -o /dev/null -w '%{http_code}' -X PUT \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
		--data-binary "@$T/lock.body" "$S3_ENDPOINT/dmd/arch/lock"
}

lock_file() {
	echo "$S3_ROOT/lock._S3rver_object"
}

# a run here takes a few hundred ms: kill it anywhere in them
ARCHIVE_KILL_MS=600

# A killed dmd-archive leaves its lock object, live for hours: expire
# it, as time would, so the next run takes it over.  A PUT of the lock
# that was on its way when the writer died lands a moment later: wait
# for it first.
archive_after_kill() {
	sleep 0.2
	if [ -e "$(lock_file)" ]; then
		run put_lock "dead.1.1 1000 elsewhere"
		assert_output 200
	fi
}

# --- the cases of every backend --------------------------------------

@test "cache -> table -> archive: the same answer at every step; table chunks gone; one object per group and day; counters" {
	archive_case_steps
}

@test "a reader while flushes and archive runs go on sees every point once, the newest value of each" {
	archive_case_reader_during_runs
}

@test "dmd-archive killed at random moments 60 times: nothing lost or doubled, no leftovers after one more run" {
	archive_case_kills
}

@test "late points in an archived day: without -N after the flush, with -N at once; the day's object is rewritten with a higher SEQ" {
	archive_case_late_points
}

@test "a chunk left in the table by the cutoff does not win over newer values archived from it" {
	archive_case_cutoff_chunk
}

@test "a chunk left in the table wins over an archived block for the points it wrote later" {
	archive_case_left_chunk_wins
}

@test "archived later, that chunk still does not win over the newer values" {
	archive_case_archived_later
}

@test "a reader of query lines on stdin sees points archived after its first answer" {
	archive_case_stdin_reader
}

@test "a query of many series of one host while dmd-archive moves them into a new object misses none" {
	archive_case_many_series
}

@test "--retention deletes objects whose day ended longer ago, rollups and all" {
	archive_case_retention
}

@test "--retention per resolution keeps rollups and drops raw points; resolutions it leaves out are kept" {
	archive_case_retention_per_res
}

@test "old points archived for the first time past their raw retention keep the rollups of a longer one" {
	archive_case_old_points_rollups
}

@test "a late point in the table does not hide the stored rollups of a day past its raw retention" {
	archive_case_late_point_hides_not
}

@test "archiving a late point into a day past its raw retention keeps the day's rollups" {
	archive_case_late_point_into_rollup_day
}

@test "after --period changes, the newest value of a point still wins" {
	archive_case_period_change
}

@test "stored rollups give the answers of the raw points: avg min max sum count, whole days as rollups, edge days as points" {
	archive_case_rollups_exact
}

@test "a damaged object: dmd-query exits 4 naming it and prints nothing wrong; dmd-archive exits 4 and keeps the chunks" {
	archive_case_damaged
}

@test "any one byte of an object changed: dmd-query exits 4 naming it, or answers exactly; never prints a wrong point" {
	archive_case_any_byte
}

@test "an object whose index is bigger than the reader's first fetch: read exactly, damage found" {
	archive_case_big_index
}

@test "ranges over archive, table and cache at once are exact" {
	archive_case_three_tiers
}

# --- S3's own ----------------------------------------------------------

# "name value time" lines with decimal values written in several ways,
# over three archived days, a day in the table and the cache.
decimals() {
	local now today
	now=$(date +%s)
	today=$((now / DAY * DAY))
	awk -v b="$B" -v t="$((today - 3 * DAY))" -v c="$((today - DAY))" 'BEGIN {
		split("23.20 -0.5 1e3 0.000125 -17 3.14159265358979 100.0 2.5E-7", v, " ")
		n = 0
		for (d = 0; d < 3; d++)
			for (i = 0; i < 24; i++)
				printf "dec.h%d.s%d %s %d\n", d % 2, i % 3,
				    v[(n++ % 8) + 1], b + d * 86400 + i * 3600 + d
		for (i = 0; i < 8; i++)
			printf "dec.h0.s0 %s %d\n", v[i + 1], t + i * 60
		for (i = 0; i < 8; i++)
			printf "dec.h1.s2 %s %d\n", v[8 - i], c + i * 60
	}'
}

# decimals to the table (the archive's days and one of the table),
# then the last day to the cache: ingest_decimals [CACHE TABLE]
ingest_decimals() {
	local c=${1:+-c $1} t=${2:+-t $2}
	head -n 80 "$T/in" | dmd-ingest $c
	dmd-flush $c $t -n 1 -a 100w
	tail -n 8 "$T/in" | dmd-ingest $c
}

@test "decimal values over all three tiers: the s3:// archive answers as a file:// one, and every value equals the input" {
	decimals >"$T/in"
	# table and archive on files: cache db 1
	fc="unix://$REDIS_SOCK?db=1" ft="file://$T/ftable" fa="file://$T/farchive"
	ingest_decimals "$fc" "$ft"
	run --separate-stderr dmd-archive -t "$ft" -a "$fa"
	assert_success
	# the same with the archive in s3rver
	ingest_decimals
	run --separate-stderr dmd-archive
	assert_success
	[ -z "$stderr" ]
	# one group ("dec"): an object for each of the three days
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 3 ]
	run dmd_chunks
	[ "${#lines[@]}" -eq 1 ]
	run dmd_keys 'dmd:*:[cf]:*'
	[ "${#lines[@]}" -ge 1 ]
	for args in "" "-o tsv" "-s 1h -a avg" "-s 1d -a sum" "-s 1d -a max"; do
		dmd-query -c "$fc" -t "$ft" -A "$fa" -f 0 -u 2000000000 $args \
			'dec.*.*' >"$T/want"
		dmd_query_all $args 'dec.*.*' >"$T/got"
		[ -s "$T/want" ]
		diff -u "$T/want" "$T/got"
	done
	# and each value is the input's, compared as numbers
	dmd_query_all -o tsv 'dec.*.*' | awk -F'\t' '{ print $1, $2, $3 }' |
		LC_ALL=C sort >"$T/got"
	LC_ALL=C sort "$T/in" >"$T/sorted"
	run wc -l <"$T/got"
	assert_output 88
	run awk 'NR == FNR { v[$1 " " $3] = $2; next }
	    { k = $1 " " $3
	      if (!(k in v)) { print "missing: " $0; next }
	      d = v[k] - $2; if (d < 0) d = -d
	      m = $2 < 0 ? -$2 : $2
	      if (d > 1e-12 * (m > 1 ? m : 1)) print "differs: " $0 " got " v[k]
	      delete v[k] }
	    END { for (k in v) print "extra: " k }' "$T/got" "$T/sorted"
	assert_output ''
	# the archive alone (no cache, no table) for the archived days
	run --separate-stderr dmd-query -c "unix://$REDIS_SOCK?db=2" -t '' \
		-o tsv -f "$B" -u $((B + 3 * DAY)) dec.h1.s0
	assert_success
	assert_line --index 0 "dec.h1.s0	23.2	$((B + DAY + 1))"
	[ "${#lines[@]}" -eq 8 ]
}

@test "--stats counts the S3 requests: puts, lists and gets of dmd-archive, gets of dmd-query; --explain names the objects read" {
	gen "sa sb" 2 0 2 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	run --separate-stderr dmd-archive -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	objects=$(dmd_stat "$T/stats" archive.objects)
	[ "$objects" = 4 ]
	# each object and the horizon; the lock has its own counter
	[ "$(dmd_stat "$T/stats" archive_put_requests)" -ge $((objects + 1)) ]
	[ "$(dmd_stat "$T/stats" archive_list_requests)" -ge 1 ]
	[ "$(dmd_stat "$T/stats" archive_get_requests)" -ge 1 ]
	[ "$(dmd_stat "$T/stats" archive_lock_requests)" -ge 2 ]
	[ "$(dmd_stat "$T/stats" archive_errors)" = 0 ]
	total=0
	for op in put get list del lock; do
		n=$(dmd_stat "$T/stats" "archive_${op}_requests")
		total=$((total + ${n:-0}))
	done
	[ "$(dmd_stat "$T/stats" archive_requests)" = "$total" ]

	run --separate-stderr dmd-query -S -e -f "$B" -u $((B + 2 * DAY - 1)) -o tsv sa.s01
	assert_success
	echo "$output" | grep '"name":"dmd\.' >"$T/qstats"
	run grep -c '^sa\.s01	' <<<"$output"
	assert_output 48
	[ "$(dmd_stat "$T/qstats" archive_get_requests)" -ge 2 ]
	[ "$(dmd_stat "$T/qstats" archive_list_requests)" -ge 1 ]
	[ "$(dmd_stat "$T/qstats" archive_errors)" = 0 ]
	run grep -cE '^archive: g[0-9a-f]{2}/00[0-9]+-86400-[0-9a-f]{16}: index, ' <<<"$stderr"
	assert_output 2
	run grep -cE '^archive: list g[0-9a-f]{2}/: [24] objects, ' <<<"$stderr"
	assert_output 1
	# days the archive has nothing of: a list, the horizon, no object
	run --separate-stderr dmd-query -S -e -f $((B - 10 * DAY)) -u $((B - 9 * DAY)) sa.s01
	assert_success
	echo "$output" >"$T/qstats"
	[ "$(dmd_stat "$T/qstats" archive_get_requests)" -le 1 ]
	[ "$(dmd_stat "$T/qstats" archive_list_requests)" = 1 ]
	run grep -c ': index, ' <<<"$stderr"
	assert_output 0
}

@test "one dmd-archive at a time: the second sees the lock object, exits 0, says so and touches nothing; the first goes on" {
	gen "w0 w1 w2 w3" 5 0 20 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	dmd_chunks >"$T/chunks"
	[ "$(wc -l <"$T/chunks")" -eq 20 ]
	caught=0
	for try in 1 2 3 4 5; do
		dmd-archive 3>&- &
		pid=$!
		bg_pids=$pid
		# stop it while it holds the lock
		for i in $(seq 1 2000); do
			if [ -e "$(lock_file)" ]; then
				kill -STOP "$pid"
				caught=1
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.005
		done
		[ "$caught" = 1 ] && break
		wait "$pid"
		bg_pids=
		archive_reset
		dmd-ingest "$T/in"
		flush_all
		dmd_chunks >"$T/chunks"
	done
	[ "$caught" = 1 ]
	[ -e "$(lock_file)" ]
	# whose it is: the first one's, with a lease in the future
	read -r owner expiry host <"$(lock_file)"
	[ -n "$owner" ] && [ -n "$host" ]
	[ "$expiry" -gt "$(date +%s)" ]
	(cd "$S3_ROOT" && find . -type f -name '*._S3rver_object' ! -name 'lock.*' \
		-print0 | LC_ALL=C sort -z | xargs -0 -r sha1sum) >"$T/before"
	dmd_chunks >"$T/chunks1"
	run --separate-stderr timeout 60 dmd-archive -S
	assert_success
	assert_stderr "dmd-archive: another dmd-archive is writing $DMD_ARCHIVE: nothing done"
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.busy)" = 1 ]
	[ "$(dmd_stat "$T/stats" archive.objects)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 0 ]
	n=$(dmd_stat "$T/stats" archive_put_requests)
	[ "${n:-0}" -eq 0 ]
	[ "$(dmd_stat "$T/stats" archive_lock_requests)" -ge 1 ]
	(cd "$S3_ROOT" && find . -type f -name '*._S3rver_object' ! -name 'lock.*' \
		-print0 | LC_ALL=C sort -z | xargs -0 -r sha1sum) >"$T/after"
	cmp "$T/before" "$T/after"
	run dmd_chunks
	assert_output "$(cat "$T/chunks1")"
	# the lock is still the first one's
	read -r owner2 expiry2 host2 <"$(lock_file)"
	[ "$owner2 $expiry2 $host2" = "$owner $expiry $host" ]

	kill -CONT "$pid"
	wait "$pid"
	bg_pids=
	run dmd_chunks
	assert_output ''
	check_answer 'w[0-3].*' "$T/in"
	run object_periods
	[ "${#lines[@]}" -eq 80 ]
	# closed: the lock object is gone
	[ ! -e "$(lock_file)" ]
}

@test "a lock object whose lease ran out is taken over and removed after the run; a live one of another writer is left alone" {
	gen stale 2 0 2 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	# a writer that died an hour ago
	run put_lock "gone.4242.1 $(($(date +%s) - 3600)) elsewhere"
	assert_output 200
	run --separate-stderr timeout 60 dmd-archive -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.busy)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.objects)" = 2 ]
	run dmd_chunks
	assert_output ''
	check_answer 'stale.*' "$T/in"
	[ ! -e "$(lock_file)" ]

	# a writer alive elsewhere, its lease an hour ahead
	gen stale 2 5 1 24 3600 >"$T/in2"
	dmd-ingest "$T/in2"
	flush_all
	dmd_chunks >"$T/chunks"
	[ -s "$T/chunks" ]
	body="alive.77.1 $(($(date +%s) + 3600)) elsewhere"
	run put_lock "$body"
	assert_output 200
	dmd_archive_objects >"$T/objects"
	run --separate-stderr timeout 60 dmd-archive -S
	assert_success
	assert_stderr "dmd-archive: another dmd-archive is writing $DMD_ARCHIVE: nothing done"
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.busy)" = 1 ]
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
	run dmd_archive_objects
	assert_output "$(cat "$T/objects")"
	[ "$(cat "$(lock_file)")" = "$body" ]
	# that writer done: the next run moves the chunks
	run dmd_s3_curl -o /dev/null -w '%{http_code}' -X DELETE \
		-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$S3_ENDPOINT/dmd/arch/lock"
	assert_output 204
	run --separate-stderr timeout 60 dmd-archive
	assert_success
	[ -z "$stderr" ]
	run dmd_chunks
	assert_output ''
	check_answer 'stale.*' "$T/in" "$T/in2"
	[ ! -e "$(lock_file)" ]
}

@test "bad s3:// URLs exit 2 with a message and send nothing" {
	e=$S3_ENDPOINT
	: >"$T/all.err"
	for url in "s3://Bad_Bucket/arch?endpoint=$e" "s3://ab/arch?endpoint=$e" \
	    "s3:///arch?endpoint=$e" "s3://dmd/arch?endpoint=$e&style=sideways" \
	    "s3://dmd/arch?endpoint=ftp://127.0.0.1:$S3_PORT" \
	    "s3://dmd/arch?endpoint=127.0.0.1:$S3_PORT" \
	    "s3://dmd/arch?endpoint=file:///etc"; do
		for prog in dmd-archive dmd-query; do
			if [ "$prog" = dmd-archive ]; then
				run --separate-stderr timeout 30 dmd-archive -a "$url"
			else
				run --separate-stderr timeout 30 dmd-query -A "$url" \
					-f "$B" -u $((B + DAY)) 'x.*'
			fi
			[ "$status" -eq 2 ] || { echo "$prog $url: status $status: $stderr"; false; }
			assert_output ''
			[ -n "$stderr" ]
			[ "${#stderr_lines[@]}" -eq 1 ]
			echo "$stderr" >>"$T/all.err"
		done
	done
	run grep -c 'bad bucket name' "$T/all.err"
	assert_output 6
	grep -qF 'style is "sideways" (want path or virtual)' "$T/all.err"
	run grep -c 'want http:// or https://' "$T/all.err"
	assert_output 6
	grep -qF "endpoint \"ftp://127.0.0.1:$S3_PORT\": want http:// or https://" "$T/all.err"
	# nothing reached the server
	[ ! -e "$S3_ROOT" ]
}

@test "missing credentials: exit 2, a message naming the variables, nothing sent" {
	gen cred 1 0 1 4 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	dmd_chunks >"$T/chunks"
	for unset in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY both empty; do
		case $unset in
		both) env="-u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY" ;;
		empty) env="AWS_ACCESS_KEY_ID= AWS_SECRET_ACCESS_KEY=S3RVER" ;;
		*) env="-u $unset" ;;
		esac
		run --separate-stderr env $env timeout 30 dmd-archive
		[ "$status" -eq 2 ] || { echo "$unset: status $status"; false; }
		assert_output ''
		assert_stderr --partial 'AWS_ACCESS_KEY_ID'
		assert_stderr --partial 'AWS_SECRET_ACCESS_KEY'
		assert_stderr --regexp '^dmd-archive: '
		run --separate-stderr env $env timeout 30 dmd-query -f "$B" -u $((B + DAY)) 'cred.*'
		[ "$status" -eq 2 ] || { echo "$unset: dmd-query status $status"; false; }
		assert_output ''
		assert_stderr --partial 'AWS_ACCESS_KEY_ID'
		assert_stderr --partial 'AWS_SECRET_ACCESS_KEY'
	done
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
	[ ! -e "$S3_ROOT" ]
}

@test "the secret key and the session token never appear in what any run prints" {
	# s3rver checks the key id only: any secret will do
	secret="sEcReT-$RANDOM$RANDOM-wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
	token="ToKeN-$RANDOM$RANDOM-FwoGZXIvYXdzEBQaDK"
	export AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
	gen sec 2 0 2 12 7200 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	: >"$T/all"
	runs() {
		"$@" >>"$T/all" 2>&1 || echo "status $? of: $*" >>"$T/all"
	}
	runs dmd-archive -S
	runs dmd_query_all -S -e 'sec.*'
	runs dmd-query -S -e -f "$B" -u "$B" -s 1h -a avg 'sec.*'
	runs dmd-archive -S -R 1h
	# failures: a bad URL, a missing key id, a server that is not there
	runs dmd-archive -a "s3://dmd/arch?endpoint=$S3_ENDPOINT&style=bogus"
	runs env -u AWS_ACCESS_KEY_ID dmd-archive -S
	port=$((S3_PORT == 65535 ? 1 : S3_PORT + 1))
	while curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/"; do
		port=$((port + 1))
	done
	runs timeout 60 dmd-query -A "s3://dmd/arch?endpoint=http://127.0.0.1:$port" -S -e \
		-f "$B" -u "$B" 'sec.*'
	runs timeout 60 dmd-archive -S -a "s3://dmd/arch?endpoint=http://127.0.0.1:$port"
	# a server that answers 403 to everything: a wrong key id
	runs env AWS_ACCESS_KEY_ID=NOTS3RVER timeout 60 dmd-archive -S
	# the runs did happen and some failed
	grep -q '"name":"dmd\.[^"]*\.archive\.objects","time":[0-9]*,"value":2}' "$T/all"
	[ "$(grep -c '^status ' "$T/all")" -ge 4 ]
	grep -q 'archive: ' "$T/all"
	run grep -cF -e "$secret" -e "$token" -e "${secret#sEcReT-}" "$T/all"
	assert_output 0
	# nor in what was stored (the lock object names host and PID only)
	run grep -rlF -e "$secret" -e "$token" "$S3_ROOT"
	assert_output ''
	check_answer 'sec.*' "$T/in"
}

@test "s3rver stopped before and during a query: exit 4 with a message, no crash; dmd-archive keeps its chunks" {
	# a server of this test's own, stopped in the middle
	dmd_s3_start
	gen mid 2 0 2 12 7200 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	run --separate-stderr dmd-archive
	assert_success
	run dmd_chunks
	assert_output ''
	check_answer 'mid.*' "$T/in"

	# a reader of query lines: answered, the server goes, asked again
	mkfifo "$T/q"
	dmd-query -o tsv - <"$T/q" >"$T/answers" 2>"$T/err" 3>&- &
	qpid=$!
	bg_pids=$qpid
	exec 4>"$T/q"
	echo "mid.s00 $B $((B + DAY - 1))" >&4
	for i in $(seq 1 200); do
		[ "$(wc -l <"$T/answers")" -ge 12 ] && break
		sleep 0.02
	done
	run wc -l <"$T/answers"
	assert_output 12
	dmd_s3_stop
	echo "mid.s01 $B $((B + DAY - 1))" >&4
	exec 4>&-
	st=0
	wait "$qpid" || st=$?
	bg_pids=
	[ "$st" -eq 4 ] || { echo "status $st"; cat "$T/err"; false; }
	run cat "$T/err"
	assert_output --regexp "^dmd-query: archive: .*127\.0\.0\.1:$S3_PORT"
	[ "${#lines[@]}" -eq 1 ]
	# what it printed is the first answer, whole; nothing of the second
	run wc -l <"$T/answers"
	assert_output 12
	run grep -c '^mid\.s00	' "$T/answers"
	assert_output 12

	# stopped before: a query exits 4 in seconds, a message naming the
	# archive; without the archive (-A '') the cache still answers
	t0=$SECONDS
	run --separate-stderr timeout 60 dmd-query -f 0 -u 2000000000 'mid.*'
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-query: archive: .*127\.0\.0\.1'
	[ $((SECONDS - t0)) -le 20 ]
	echo "mid.s00 7 $(($(date +%s) - 60))" | dmd-ingest
	run --separate-stderr timeout 60 dmd-query -A '' -f -1h -o tsv mid.s00
	assert_success
	[ "${#lines[@]}" -eq 1 ]

	# dmd-archive: exit 4, a message, the chunks left in the table
	gen mid 2 3 1 12 7200 >"$T/in2"
	dmd-ingest "$T/in2"
	flush_all
	dmd_chunks >"$T/chunks"
	[ -s "$T/chunks" ]
	run --separate-stderr timeout 60 dmd-archive
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-archive: '
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
}
