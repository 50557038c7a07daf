#!/usr/bin/env bats
# dmd-archive: moving table chunks into archive objects (one current
# object per group and day), and dmd-query reading all three tiers.
# Every point stays readable exactly once while flushes and archive runs
# go on, when dmd-archive dies by SIGKILL, when late points land in an
# archived day; retention, stored rollups against answers from the raw
# points, damaged objects, ranges over all three tiers, one writer at a
# time, bad options.  The cases that hold for every archive backend are
# in t/lib/archive-cases.bash (t/310-archive-s3.bats runs them on S3);
# the one writer at a time by flock(2) is this backend's own.

bats_require_minimum_version 1.5.0
load lib/dmd
load lib/archive-cases

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	rcli -n 1 flushdb >/dev/null
	T=$BATS_TEST_TMPDIR
	ARCHIVE=$(dmd_archive_dir)
}

teardown() {
	local p
	for p in ${bg_pids:-}; do
		kill -CONT "$p" 2>/dev/null || true
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	return 0
}

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

@test "one dmd-archive at a time: the second exits 0, says so and touches nothing; bad options exit 2" {
	# enough work that the first one is still running when we look
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
		for i in $(seq 1 500); do
			if grep -q "FLOCK  *ADVISORY  *WRITE $pid " /proc/locks; then
				kill -STOP "$pid"
				caught=1
				break
			fi
			kill -0 "$pid" 2>/dev/null || break
		done
		[ "$caught" = 1 ] && break
		wait "$pid"
		bg_pids=
		# it finished first: put the chunks back and try again
		dmd_reset
		dmd-ingest "$T/in"
		flush_all
		dmd_chunks >"$T/chunks"
	done
	[ "$caught" = 1 ]
	(cd "$ARCHIVE" && find . -type f ! -name lock -print0 | LC_ALL=C sort -z |
		xargs -0 sha1sum) >"$T/before"
	dmd_chunks >"$T/chunks1"
	run --separate-stderr dmd-archive -S
	assert_success
	assert_stderr "dmd-archive: another dmd-archive is writing $DMD_ARCHIVE: nothing done"
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.busy)" = 1 ]
	[ "$(dmd_stat "$T/stats" archive.objects)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 0 ]
	(cd "$ARCHIVE" && find . -type f ! -name lock -print0 | LC_ALL=C sort -z |
		xargs -0 sha1sum) >"$T/after"
	cmp "$T/before" "$T/after"
	run dmd_chunks
	assert_output "$(cat "$T/chunks1")"

	kill -CONT "$pid"
	wait "$pid"
	bg_pids=
	run dmd_chunks
	assert_output ''
	check_answer 'w[0-3].*' "$T/in"
	run object_periods
	[ "${#lines[@]}" -eq 80 ]

	# bad options: exit 2, a message, nothing touched
	rm -rf "$ARCHIVE"
	for args in "-o bogus" "-o -1d" "-p 30s" "-p 1500ms" "-R 0" "-R 1h,1h" \
	    "-R 1s,2s,3s,4s,5s,6s,7s,8s,9s" "-R 1500ms" "-r bogus" "-r raw=" \
	    "-r =30d" "-Z" "extra" "-a redis://x" "-a file://" \
	    "-t bogus://x" "--rollups" "--no-such-option" "-p 20d -R 1s" \
	    "-r x=1d"; do
		run --separate-stderr dmd-archive $args
		[ "$status" -eq 2 ] || { echo "status $status for: $args"; false; }
		[ -n "$stderr" ]
		assert_output ''
		[ ! -e "$ARCHIVE" ]
	done
	run --separate-stderr dmd-archive -p 30s
	assert_stderr 'dmd-archive: period is 30s: too small'
	run --separate-stderr dmd-archive -R 1h,1h
	assert_stderr 'dmd-archive: rollup 1h given twice'
	run --separate-stderr dmd-archive -p 20d -R 1s
	assert_stderr 'dmd-archive: rollup of 1s: over 1048576 buckets a period'
	run --separate-stderr dmd-archive -r raw=40d,1h
	assert_failure 2
	assert_stderr 'dmd-archive: retention "1h": want RES=DUR'
	run --separate-stderr dmd-archive extra
	assert_failure 2
	assert_stderr --partial 'usage: dmd-archive'
	run dmd_chunks
	assert_output ''
	run dmd-archive --help
	assert_success
	assert_output --partial 'usage: dmd-archive'
	run dmd-archive --version
	assert_success
	assert_output --regexp '^dmd-archive [0-9]'
}
