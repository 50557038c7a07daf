# t/lib/archive-cases.bash - the archive tests that hold for every
# archive backend, run by t/300-archive.bats (file://) and
# t/310-archive-s3.bats (s3:// on s3rver).  Each archive_case_* is the
# body of one test; what the tests see of the archive goes through the
# backend-neutral helpers of t/lib/dmd.bash (dmd_archive_objects,
# dmd_archive_file, dmd_archive_horizon).
#
# The .bats file that loads this one provides: setup() that empties the
# cache (db 0 and db 1), the table and the archive and sets T to the
# test's temp dir; teardown() that kills and reaps the PIDs in $bg_pids;
# and, after loading, may set archive_after_kill, run after each SIGKILL
# of dmd-archive (to clear what a crashed writer leaves behind that the
# backend clears only in time: nothing for file://, whose lock dies with
# its process), and ARCHIVE_KILL_MS.

archive_after_kill() { :; }

# dmd-archive is killed after 0 .. ARCHIVE_KILL_MS ms: about the time a
# run takes on the backend.
ARCHIVE_KILL_MS=30

# Empty the cache, the table and the archive, whichever backend.
archive_reset() {
	dmd_reset
	dmd_s3_reset
}

B=1732406400	# 2024-11-24T00:00:00Z: a day boundary, long older than 7d
DAY=86400

# Flush everything cached, whatever its age and size.
flush_all() {
	dmd-flush -n 1 -a 100w "$@"
}

# gen HOSTS NSERIES DAY0 NDAYS PERDAY STEP [OFF]
#   "name value time" lines: series HOST.sNN of each host, PERDAY points
#   STEP seconds apart from the start of each day DAY0 .. DAY0+NDAYS-1
#   after $GEN_BASE (default $B); integer values OFF*10^6 + day*10^4 +
#   series*100 + index, so an OFF rewrites with new values.
gen() {
	awk -v hosts="$1" -v ns="$2" -v d0="$3" -v nd="$4" -v pd="$5" \
	    -v step="$6" -v off="${7:-0}" -v b="${GEN_BASE:-$B}" '
	BEGIN {
		nh = split(hosts, h, " ")
		for (d = d0; d < d0 + nd; d++)
			for (k = 1; k <= nh; k++)
				for (s = 0; s < ns; s++)
					for (i = 0; i < pd; i++)
						printf "%s.s%02d %d %d\n", h[k], s,
						    off * 1000000 + d * 10000 + s * 100 + i,
						    b + d * 86400 + i * step
	}'
}

# The query answer of PATTERN over all time must be exactly the points of
# the "name value time" files given (the last value of each).
check_answer() {
	local pat=$1
	shift
	dmd_expect "$@" >"$T/expected"
	dmd_query_all "$pat" >"$T/got"
	diff -u "$T/expected" "$T/got"
}

# expect_range FROM UNTIL FILE...: dmd_expect of the points in the range.
expect_range() {
	local from=$1 until=$2
	shift 2
	dmd_expect "$@" | awk -v f="$from" -v u="$until" '{
		t = $0
		sub(/.*"time":/, "", t)
		sub(/,.*/, "", t)
		if (t + 0 >= f + 0 && t + 0 <= u + 0)
			print
	}'
}

# Group and period start of every object: "gGG START", sorted.
object_periods() {
	dmd_archive_objects | sed -E 's#^(g[0-9a-f]{2})/([0-9]{12})-[0-9]+-[0-9a-f]{16}$#\1 \2#'
}

# The cutoff dmd-archive computes at time NOW with the default 7d.
cutoff_at() {
	echo $(((($1 - 7 * DAY) / DAY) * DAY))
}

# cache -> table -> archive: the same answer at every step; table chunks gone; one object per group and day; counters
archive_case_steps() {
	gen "ta tb tc" 4 0 3 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	dmd_expect "$T/in" >"$T/expected"
	run wc -l <"$T/expected"
	assert_output 864
	dmd_query_all 't[abc].*' >"$T/cached"
	diff -u "$T/expected" "$T/cached"

	run --separate-stderr flush_all
	assert_success
	dmd_query_all 't[abc].*' >"$T/flushed"
	cmp "$T/cached" "$T/flushed"
	run dmd_chunks
	[ "${#lines[@]}" -eq 12 ]
	run dmd_archive_objects
	assert_output ''

	t0=$(date +%s)
	run --separate-stderr dmd-archive -S
	t1=$(date +%s)
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	dmd_query_all 't[abc].*' >"$T/archived"
	cmp "$T/cached" "$T/archived"
	run dmd_chunks
	assert_output ''
	run dmd_keys 'dmd:*:[cf]:*'
	assert_output ''

	# three hosts, three groups; one object for each group and day
	dmd_archive_objects >"$T/objects"
	run wc -l <"$T/objects"
	assert_output 9
	run grep -cE '^g[0-9a-f]{2}/[0-9]{12}-86400-[0-9a-f]{16}$' "$T/objects"
	assert_output 9
	run sh -c "cut -d/ -f1 '$T/objects' | uniq -c | awk '{ print \$1 }'"
	assert_output $'3\n3\n3'
	sed -E 's#^g../([0-9]{12})-.*#\1#' "$T/objects" | sort | uniq -c |
		awk '{ print $2, $1 }' >"$T/per_day"
	run cat "$T/per_day"
	assert_output - <<-EOF
	00$B 3
	00$((B + DAY)) 3
	00$((B + 2 * DAY)) 3
	EOF
	run object_periods
	[ "$(printf '%s\n' "${lines[@]}" | uniq -d)" = '' ]
	run dmd_archive_tmp_files
	assert_output ''

	# the horizon: the cutoff of the run
	h=$(dmd_archive_horizon)
	[ "$h" = "$(cutoff_at "$t0")" ] || [ "$h" = "$(cutoff_at "$t1")" ]

	bytes=$(while read -r k; do dmd_archive_file "$k"; done <"$T/objects" |
		xargs stat -c %s | awk '{ s += $1 } END { print s }')
	[ "$(dmd_stat "$T/stats" archive.series)" = 12 ]
	[ "$(dmd_stat "$T/stats" archive.points)" = 864 ]
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 12 ]
	[ "$(dmd_stat "$T/stats" archive.objects)" = 9 ]
	[ "$(dmd_stat "$T/stats" archive.bytes)" = "$bytes" ]
	[ "$(dmd_stat "$T/stats" archive.deleted)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.busy)" = 0 ]

	# a second run finds nothing to do and changes nothing
	run --separate-stderr dmd-archive -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats2"
	for c in series points chunks objects bytes deleted busy; do
		[ "$(dmd_stat "$T/stats2" "archive.$c")" = 0 ]
	done
	run dmd_archive_objects
	assert_output "$(cat "$T/objects")"
	dmd_query_all 't[abc].*' >"$T/again"
	cmp "$T/cached" "$T/again"

	# one series over part of one day, from the archive alone
	run dmd-query -f $((B + DAY + 3600)) -u $((B + DAY + 3 * 3600)) -o tsv tb.s02
	assert_success
	assert_output - <<-EOF
	tb.s02	10201	$((B + DAY + 3600))
	tb.s02	10202	$((B + DAY + 7200))
	tb.s02	10203	$((B + DAY + 10800))
	EOF
	# and with no archive, nothing
	run dmd_query_all -A '' 't[abc].*'
	assert_success
	assert_output ''
}

# a reader while flushes and archive runs go on sees every point once, the newest value of each
archive_case_reader_during_runs() {
	# hosts of distinct groups, one queried series (HOST.s00) each; the
	# writer also moves HOST.s01 of the same groups, not queried
	hosts="a b c k0 k1 k2 q r v x y z"
	: >"$T/all"
	total=0
	for r in $(seq 0 7); do
		gen "$hosts" 1 "$r" 1 12 7200 >"$T/slice"
		# new values for the day before, archived by now
		[ "$r" -gt 0 ] && gen "a c k1 q v y" 1 $((r - 1)) 1 12 7200 "$r" >>"$T/slice"
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		dmd_expect "$T/all" >"$T/expected"
		(
			set -e
			for k in 1 2; do
				gen "$hosts" 2 $((20 + 2 * r + k)) 1 6 3600 |
					grep '\.s01 ' | dmd-ingest
				# a flush and an archive run at once
				flush_all &
				f=$!
				dmd-archive
				wait "$f"
			done
			flush_all
			dmd-archive
		) 3>&- &
		pid=$!
		bg_pids=$pid
		reads=0
		while :; do
			dmd_query_all '*.s00' >"$T/got"
			diff -u "$T/expected" "$T/got"
			reads=$((reads + 1))
			kill -0 "$pid" 2>/dev/null || break
			[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		done
		wait "$pid"
		bg_pids=
		total=$((total + reads))
		dmd_query_all '*.s00' >"$T/got"
		diff -u "$T/expected" "$T/got"
	done
	echo "# $total reads during 24 flush and archive runs" >&3
	[ "$total" -ge 16 ]
	run wc -l <"$T/expected"
	assert_output 1152
	run dmd_chunks
	assert_output ''
	# 12 groups; 8 days of s00 and 16 of s01 each
	run object_periods
	[ "${#lines[@]}" -eq 288 ]
	[ "$(printf '%s\n' "${lines[@]}" | uniq -d)" = '' ]
	run dmd_archive_tmp_files
	assert_output ''
}

# dmd-archive killed at random moments 60 times: nothing lost or doubled, no leftovers after one more run
archive_case_kills() {
	hosts="k0 k1 k2 a b c"	# six groups
	: >"$T/all"
	kills=0
	killed=0
	twice=0
	left=0
	start=$SECONDS
	for r in $(seq 0 59); do
		# 12 points in hour r/10 of three days, new values each
		# round: from the second round on, most land in days already
		# archived (new times, and rewrites of points archived)
		h=$((r / 10))
		for d in $((r % 10)) $(((r + 3) % 10)) $(((r + 6) % 10)); do
			GEN_BASE=$((B + h * 3600)) gen "$hosts" 2 "$d" 1 12 300 "$r"
		done >"$T/slice"
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		run --separate-stderr flush_all
		assert_success

		# no leak check in runs that are killed (see t/200-flush.bats)
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    dmd-archive 3>&- 2>"$T/archive.err" &
		pid=$!
		bg_pids=$pid
		ms=$((RANDOM % (${ARCHIVE_KILL_MS:-30} + 1)))
		sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
		kill -KILL "$pid" 2>/dev/null || true
		st=0
		wait "$pid" 2>/dev/null || st=$?
		bg_pids=
		kills=$((kills + 1))
		if [ "$st" -eq 137 ]; then
			killed=$((killed + 1))
			archive_after_kill
		else
			[ "$st" -eq 0 ] || { cat "$T/archive.err"; false; }
		fi
		# right after the kill: still every point, once
		check_answer '*.s0[01]' "$T/all"
		# superseded objects left behind, chunks left in the table
		[ -z "$(object_periods | uniq -d)" ] || twice=$((twice + 1))
		[ -z "$(dmd_chunks)" ] || left=$((left + 1))
	done
	echo "# $kills kills, $killed of them mid-run; $twice left two objects of a period, $left left chunks; $((SECONDS - start)) s" >&3
	[ "$kills" -ge 50 ]
	[ "$killed" -ge 20 ]

	run --separate-stderr dmd-archive
	assert_success
	assert_stderr ''
	check_answer '*.s0[01]' "$T/all"
	run wc -l <"$T/expected"
	assert_output 8640
	run dmd_chunks
	assert_output ''
	# one object per group and day, nothing superseded left over
	run object_periods
	[ "${#lines[@]}" -eq 60 ]
	[ "$(printf '%s\n' "${lines[@]}" | uniq -d)" = '' ]
	run sh -c "cut -d' ' -f1 | sort -u | wc -l" <<<"$output"
	assert_output 6
	run dmd_archive_tmp_files
	assert_output ''
}

# late points in an archived day: without -N after the flush, with -N at once; the day's object is rewritten with a higher SEQ
archive_case_late_points() {
	gen late 2 0 3 6 3600 >"$T/in1"
	dmd-ingest "$T/in1"
	flush_all
	run --separate-stderr dmd-archive
	assert_success
	dmd_archive_objects >"$T/objects1"
	run wc -l <"$T/objects1"
	assert_output 3
	check_answer 'late.*' "$T/in1"

	# day 1: new values for two points of each series and two new times
	D1=$((B + DAY))
	printf 'late.s00 -1 %d\nlate.s00 -2 %d\nlate.s01 -3 %d\nlate.s00 -4 %d\nlate.s01 -5 %d\n' \
		$((D1 + 3600)) $((D1 + 5 * 3600)) $((D1 + 3600)) \
		$((D1 + 60)) $((D1 + 86399)) >"$T/in2"
	dmd-ingest "$T/in2"

	# over all time the cache is read: the late points at once
	check_answer 'late.*' "$T/in1" "$T/in2"
	# below the horizon the cache is skipped without -N ...
	expect_range "$D1" $((D1 + DAY - 1)) "$T/in1" >"$T/old"
	expect_range "$D1" $((D1 + DAY - 1)) "$T/in1" "$T/in2" >"$T/new"
	run wc -l <"$T/new"
	assert_output 14
	run --separate-stderr dmd-query -e -f "$D1" -u $((D1 + DAY - 1)) 'late.*'
	assert_success
	assert_output "$(cat "$T/old")"
	assert_stderr_line 'cache: not read: the range is older than the archive'"'"'s horizon'
	# ... and read with -N
	run --separate-stderr dmd-query -N -e -f "$D1" -u $((D1 + DAY - 1)) 'late.*'
	assert_success
	assert_output "$(cat "$T/new")"
	assert_stderr_line --regexp '^cache: 2 series in one round trip, '

	# flushed: the table holds them, every query sees them
	run --separate-stderr flush_all
	assert_success
	run dmd-query -f "$D1" -u $((D1 + DAY - 1)) 'late.*'
	assert_output "$(cat "$T/new")"
	check_answer 'late.*' "$T/in1" "$T/in2"
	run dmd_archive_objects
	assert_output "$(cat "$T/objects1")"

	# archived: day 1's object replaced by one of a higher SEQ, the
	# others untouched
	run --separate-stderr dmd-archive -S
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.objects)" = 1 ]
	[ "$(dmd_stat "$T/stats" archive.deleted)" = 1 ]
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 2 ]
	[ "$(dmd_stat "$T/stats" archive.points)" = 14 ]
	dmd_archive_objects >"$T/objects2"
	run wc -l <"$T/objects2"
	assert_output 3
	run comm -23 "$T/objects1" "$T/objects2"
	assert_output --regexp "^g[0-9a-f]{2}/00$D1-86400-[0-9a-f]{16}\$"
	old=${output##*-}
	run comm -13 "$T/objects1" "$T/objects2"
	assert_output --regexp "^g[0-9a-f]{2}/00$D1-86400-[0-9a-f]{16}\$"
	new=${output##*-}
	[[ "$new" > "$old" ]]
	run dmd_chunks
	assert_output ''
	check_answer 'late.*' "$T/in1" "$T/in2"
	run dmd-query -f "$D1" -u $((D1 + DAY - 1)) 'late.*'
	assert_output "$(cat "$T/new")"
	run dmd-query -f $((D1 + 3600)) -u $((D1 + 3600)) -o tsv 'late.*'
	assert_output - <<-EOF
	late.s00	-1	$((D1 + 3600))
	late.s01	-3	$((D1 + 3600))
	EOF
}

# strad.a: 1 at B and B+60 and 5 at a recent time (2 days ago, newer than
# the 7d cutoff) in one chunk; then 2 at B in a newer chunk; then
# dmd-archive: the newer chunk moves, the older one reaches past the
# cutoff and stays.
straddle() {
	now=$(date +%s)
	recent=$(((now / DAY - 2) * DAY + 60))
	printf 'strad.a 1 %d\nstrad.a 1 %d\nstrad.a 5 %d\n' "$B" $((B + 60)) "$recent" |
		dmd-ingest
	flush_all
	printf 'strad.a 2 %d\n' "$B" | dmd-ingest
	flush_all
	run dmd_chunks
	[ "${#lines[@]}" -eq 2 ]
	want=$'strad.a\t2\t'"$B"$'\nstrad.a\t1\t'$((B + 60))$'\nstrad.a\t5\t'"$recent"
	run dmd_query_all -o tsv strad.a
	assert_output "$want"
	run --separate-stderr dmd-archive
	assert_success
	run dmd_chunks
	[ "${#lines[@]}" -eq 1 ]
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 1 ]
}

# a chunk left in the table by the cutoff does not win over newer values archived from it
archive_case_cutoff_chunk() {
	straddle
	run dmd_query_all -o tsv strad.a
	assert_output "$want"
	run dmd-query -f "$B" -u "$B" -o tsv strad.a
	assert_output "strad.a	2	$B"
	run dmd-query -f "$B" -u $((B + DAY - 1)) -s 1h -a sum -o tsv strad.a
	assert_output "strad.a	3	$B"
}

# a chunk left in the table wins over an archived block for the points it wrote later
archive_case_left_chunk_wins() {
	now=$(date +%s)
	recent=$(((now / DAY - 2) * DAY + 60))
	echo "sq.a 10 $((B + 60))" | dmd-ingest		# chunk 1: archived
	flush_all
	printf 'sq.a 20 %d\nsq.a 5 %d\n' $((B + 60)) "$recent" | dmd-ingest
	flush_all					# chunk 2: stays
	echo "sq.a 30 $B" | dmd-ingest			# chunk 3: archived
	flush_all
	want=$'sq.a\t30\t'"$B"$'\nsq.a\t20\t'$((B + 60))$'\nsq.a\t5\t'"$recent"
	run dmd_query_all -o tsv sq.a
	assert_output "$want"
	run --separate-stderr dmd-archive
	assert_success
	run dmd_chunks
	[ "${#lines[@]}" -eq 1 ]
	run dmd_query_all -o tsv sq.a
	assert_output "$want"
}

# archived later, that chunk still does not win over the newer values
archive_case_archived_later() {
	straddle
	run --separate-stderr dmd-archive -o 0
	assert_success
	run dmd_chunks
	assert_output ''
	run dmd_query_all -o tsv strad.a
	assert_output "$want"
}

# a reader of query lines on stdin sees points archived after its first answer
archive_case_stdin_reader() {
	gen long 1 0 1 3 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	mkfifo "$T/q"
	dmd-query -o tsv - <"$T/q" >"$T/answers" 3>&- &
	bg_pids=$!
	exec 4>"$T/q"
	echo "long.s00 $B $((B + DAY))" >&4
	for i in $(seq 1 100); do
		[ "$(wc -l <"$T/answers")" -ge 3 ] && break
		sleep 0.02
	done
	run --separate-stderr dmd-archive
	assert_success
	run dmd_chunks
	assert_output ''
	echo "long.s00 $B $((B + DAY))" >&4
	exec 4>&-
	wait "$bg_pids"
	bg_pids=
	run cat "$T/answers"
	assert_output - <<-EOF
	long.s00	0	$B
	long.s00	1	$((B + 3600))
	long.s00	2	$((B + 7200))
	long.s00	0	$B
	long.s00	1	$((B + 3600))
	long.s00	2	$((B + 7200))
	EOF
}

# a query of many series of one host while dmd-archive moves them into a new object misses none
archive_case_many_series() {
	: >"$T/all"
	misses=0
	reads=0
	for r in $(seq 0 19); do
		gen race 100 "$r" 1 4 3600 >"$T/slice"
		dmd-ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		dmd_expect "$T/all" >"$T/expected"
		flush_all
		dmd-archive 3>&- &
		pid=$!
		bg_pids=$pid
		while :; do
			dmd_query_all 'race.*' >"$T/got"
			reads=$((reads + 1))
			if ! cmp -s "$T/expected" "$T/got"; then
				[ "$misses" -gt 0 ] || diff "$T/expected" "$T/got" >"$T/first-miss" || true
				misses=$((misses + 1))
			fi
			kill -0 "$pid" 2>/dev/null || break
			[ "$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
		done
		wait "$pid"
		bg_pids=
	done
	echo "# $misses of $reads reads missed points" >&3
	[ "$misses" -eq 0 ] || { head -n 4 "$T/first-miss"; false; }
}

# 48 points a day (every 30 min) of ret.s00 on days 10, 50, 100 and 500
# before today, flushed: the value of point i of the day AGE ago is
# AGE*10^6 + i.
retention_data() {
	now=$(date +%s)
	today=$((now / DAY * DAY))
	for age in 10 50 100 500; do
		GEN_BASE=$((today - age * DAY)) gen ret 1 0 1 48 1800 "$age"
	done >"$T/in"
	GEN_BASE=$((today - 10 * DAY)) gen ret 1 0 1 48 1800 10 >"$T/kept"
	dmd-ingest "$T/in"
	flush_all
}

# --retention deletes objects whose day ended longer ago, rollups and all
archive_case_retention() {
	retention_data
	run --separate-stderr dmd-archive -R 1h
	assert_success
	run object_periods
	[ "${#lines[@]}" -eq 4 ]
	check_answer 'ret.*' "$T/in"

	# a bare duration applies to the points and every rollup
	run --separate-stderr dmd-archive -S --retention 30d
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.objects)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.deleted)" = 3 ]
	run dmd_archive_objects
	assert_output --regexp "^g[0-9a-f]{2}/00$((today - 10 * DAY))-86400-[0-9a-f]{16}\$"
	check_answer 'ret.*' "$T/kept"
	for age in 50 100 500; do
		p=$((today - age * DAY))
		run dmd-query -f "$p" -u $((p + DAY - 1)) -s 1h -a avg ret.s00
		assert_success
		assert_output ''
	done
	# the next run has nothing to do
	run --separate-stderr dmd-archive -S --retention 30d
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.objects)" = 0 ]
	[ "$(dmd_stat "$T/stats" archive.deleted)" = 0 ]

	# chunks of days already past retention are dropped, not archived
	archive_reset
	retention_data
	run --separate-stderr dmd-archive -S --retention 30d
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 1 ]
	[ "$(dmd_stat "$T/stats" archive.objects)" = 1 ]
	run dmd_chunks
	assert_output ''
	run object_periods
	assert_output --regexp "^g[0-9a-f]{2} 00$((today - 10 * DAY))\$"
	check_answer 'ret.*' "$T/kept"
}

# --retention per resolution keeps rollups and drops raw points; resolutions it leaves out are kept
archive_case_retention_per_res() {
	retention_data
	run --separate-stderr dmd-archive --rollups 1h
	assert_success
	run --separate-stderr dmd-archive -S --rollups 1h --retention raw=40d,1h=400d
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	# days 50 and 100 rewritten without their points, day 500 deleted
	[ "$(dmd_stat "$T/stats" archive.objects)" = 2 ]
	[ "$(dmd_stat "$T/stats" archive.deleted)" = 3 ]
	run object_periods
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 --regexp " 00$((today - 100 * DAY))\$"
	assert_line --index 1 --regexp " 00$((today - 50 * DAY))\$"
	assert_line --index 2 --regexp " 00$((today - 10 * DAY))\$"
	# full resolution: only the recent day
	check_answer 'ret.*' "$T/kept"
	for age in 50 100 500; do
		p=$((today - age * DAY))
		run dmd-query -f "$p" -u $((p + DAY - 1)) ret.s00
		assert_success
		assert_output ''
	done
	# hourly averages of days 50 and 100 ago, from the rollups: hour k
	# holds 2k and 2k+1 (plus age*10^6)
	for age in 50 100; do
		p=$((today - age * DAY))
		awk -v p="$p" -v age="$age" 'BEGIN {
			for (k = 0; k < 24; k++)
				printf "ret.s00\t%d.5\t%d\n", age * 1000000 + 2 * k, p + 3600 * k
		}' >"$T/hourly"
		run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1h -a avg ret.s00
		assert_success
		assert_output "$(cat "$T/hourly")"
		run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1d -a sum ret.s00
		assert_output "ret.s00	$((age * 1000000 * 48 + 1128))	$p"
		run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 2h -a count ret.s00
		[ "${#lines[@]}" -eq 12 ]
		[ "$(printf '%s\n' "${lines[@]}" | cut -f2 | sort -u)" = 4 ]
		# a range not covering the whole day: nothing of it
		run dmd-query -f $((p + 1)) -u $((p + DAY - 1)) -s 1h -a avg ret.s00
		assert_success
		assert_output ''
	done
	# and day 500 not even as rollups
	p=$((today - 500 * DAY))
	run dmd-query -f "$p" -u $((p + DAY - 1)) -s 1h -a avg ret.s00
	assert_success
	assert_output ''

	# raw points only, no -R: the 1h rollups, which no retention is
	# given for, stay
	archive_reset
	retention_data
	run --separate-stderr dmd-archive --rollups 1h
	assert_success
	run --separate-stderr dmd-archive --retention raw=40d
	assert_success
	run object_periods
	[ "${#lines[@]}" -eq 4 ]
	check_answer 'ret.*' "$T/kept"
	p=$((today - 500 * DAY))
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1d -a count ret.s00
	assert_output "ret.s00	48	$p"
	# the points named by their own resolution (1m: none of the
	# object's rollups), without -R
	archive_reset
	retention_data
	run --separate-stderr dmd-archive --rollups 1h
	assert_success
	run --separate-stderr dmd-archive --retention 1m=40d,1h=400d
	assert_success
	[ -z "$stderr" ]
	run object_periods
	[ "${#lines[@]}" -eq 3 ]
	check_answer 'ret.*' "$T/kept"
	p=$((today - 100 * DAY))
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1d -a count ret.s00
	assert_output "ret.s00	48	$p"
}

# old points archived for the first time past their raw retention keep the rollups of a longer one
archive_case_old_points_rollups() {
	retention_data
	run --separate-stderr dmd-archive --rollups 1h --retention raw=40d,1h=400d
	assert_success
	run dmd_chunks
	assert_output ''
	check_answer 'ret.*' "$T/kept"
	run object_periods
	[ "${#lines[@]}" -eq 3 ]
	p=$((today - 100 * DAY))
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1d -a count ret.s00
	assert_output "ret.s00	48	$p"
}

# A day 100 days old, archived with 1h rollups and then expired: its
# points dropped, its rollups kept; 1+2 in its first hour, 3+4 in its
# second.
rollup_only_day() {
	now=$(date +%s)
	p=$(((now / DAY - 100) * DAY))
	printf 'rlate.a %d %d\n' 1 "$p" 2 $((p + 1800)) 3 $((p + 3600)) 4 $((p + 5400)) |
		dmd-ingest
	flush_all
	run dmd-archive --rollups 1h
	assert_success
	run dmd-archive --rollups 1h --retention raw=40d,1h=400d
	assert_success
	rollups=$'rlate.a\t3\t'"$p"$'\nrlate.a\t7\t'$((p + 3600))
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1h -a sum rlate.a
	assert_output "$rollups"
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv rlate.a
	assert_output ''
}

# a late point in the table does not hide the stored rollups of a day past its raw retention
archive_case_late_point_hides_not() {
	rollup_only_day
	echo "rlate.a 10 $((p + 7200))" | dmd-ingest
	flush_all
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1h -a sum rlate.a
	assert_output "$rollups"$'\nrlate.a\t10\t'$((p + 7200))
}

# archiving a late point into a day past its raw retention keeps the day's rollups
archive_case_late_point_into_rollup_day() {
	rollup_only_day
	echo "rlate.a 10 $((p + 7200))" | dmd-ingest
	flush_all
	run --separate-stderr dmd-archive -S --rollups 1h --retention raw=40d,1h=400d
	assert_success
	[ -z "$stderr" ]
	run dmd_chunks
	assert_output ''
	# the late point's chunk goes: its day's points are past their
	# retention; its bucket joins the day's rollups, the others stay
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv -s 1h -a sum rlate.a
	assert_output "$(printf '%s\nrlate.a\t10\t%d' "$rollups" $((p + 7200)))"
	run dmd-query -f "$p" -u $((p + DAY - 1)) -o tsv rlate.a
	assert_output ''
}

# after --period changes, the newest value of a point still wins
archive_case_period_change() {
	echo "pc.a 1 $B" | dmd-ingest
	flush_all
	run dmd-archive
	assert_success
	echo "pc.a 2 $B" | dmd-ingest
	flush_all
	run dmd-query -f "$B" -u "$B" -o tsv pc.a
	assert_output "pc.a	2	$B"
	run dmd-archive -p 1h
	assert_success
	run dmd_chunks
	assert_output ''
	run object_periods
	[ "${#lines[@]}" -eq 2 ]
	run dmd-query -f "$B" -u "$B" -o tsv pc.a
	assert_output "pc.a	2	$B"
	# and back: a third value in a daily object again
	echo "pc.a 3 $B" | dmd-ingest
	flush_all
	run dmd-archive
	assert_success
	run dmd-query -f "$B" -u "$B" -o tsv pc.a
	assert_output "pc.a	3	$B"
}

# stored rollups give the answers of the raw points: avg min max sum count, whole days as rollups, edge days as points
archive_case_rollups_exact() {
	# 4 days of a point every 10 minutes, integer values in -50..50
	awk -v b="$B" 'BEGIN {
		for (s = 0; s < 2; s++)
			for (i = 0; i < 4 * 144; i++)
				printf "ru.s%02d %d %d\n", s,
				    (i * 37 + s * 11 + int(i / 7) * 13) % 101 - 50,
				    b + 600 * i
	}' >"$T/in"
	dmd-ingest "$T/in"
	# the same points kept only in the cache of db 1
	dmd-ingest -c "unix://$REDIS_SOCK?db=1" "$T/in"
	flush_all
	run --separate-stderr dmd-archive --rollups 5m,1h,1d
	assert_success
	[ -z "$stderr" ]
	run dmd_chunks
	assert_output ''
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 4 ]
	raw() { dmd-query -c "unix://$REDIS_SOCK?db=1" -t '' -A '' "$@"; }

	# from noon of day 0 to noon of day 3: days 1 and 2 whole
	from=$((B + DAY / 2)) until=$((B + 3 * DAY + DAY / 2))
	for step in 1h 2h 5h 1d 2d 10m; do
		for agg in avg min max sum count first last; do
			raw -f "$from" -u "$until" -o tsv -s "$step" -a "$agg" 'ru.*' >"$T/want"
			[ -s "$T/want" ]
			dmd-query -f "$from" -u "$until" -o tsv -s "$step" -a "$agg" 'ru.*' >"$T/got"
			diff -u "$T/want" "$T/got"
		done
	done
	# worked out by hand too: day sums, mins, maxes and counts of ru.s01
	awk -v b="$B" -v f="$from" -v u="$until" '$1 == "ru.s01" && $3 >= f && $3 <= u {
		d = b + int(($3 - b) / 86400) * 86400
		if (!(d in n)) { mn[d] = $2; mx[d] = $2 }
		n[d]++; s[d] += $2
		if ($2 < mn[d]) mn[d] = $2
		if ($2 > mx[d]) mx[d] = $2
	} END { for (d in n) print d, s[d], mn[d], mx[d], n[d] }' "$T/in" |
		sort -n >"$T/hand"
	[ "$(wc -l <"$T/hand")" -eq 4 ]
	k=2
	for agg in sum min max count; do
		awk -v k="$k" '{ printf "ru.s01\t%s\t%s\n", $k, $1 }' "$T/hand" >"$T/want"
		dmd-query -f "$from" -u "$until" -o tsv -s 1d -a "$agg" ru.s01 >"$T/got"
		diff -u "$T/want" "$T/got"
		k=$((k + 1))
	done
	run awk '{ print $5 }' "$T/hand"
	assert_output $'72\n144\n144\n73'

	# --explain: rollups for days 1 and 2, points for days 0 and 3
	run --separate-stderr dmd-query -e -f "$from" -u "$until" -s 1h -a avg ru.s00
	assert_success
	run sed -nE 's#^archive: g[0-9a-f]{2}/00([0-9]+)-86400-[0-9a-f]{16}: ru\.s00 (rollup|points), .*#\1 \2#p' <<<"$stderr"
	assert_output - <<-EOF
	$B points
	$((B + DAY)) rollup
	$((B + 2 * DAY)) rollup
	$((B + 3 * DAY)) points
	EOF
	# a step no rollup divides, and first/last: points only
	for args in "-s 7m -a avg" "-s 1h -a first" "-s 1d -a last" ""; do
		run --separate-stderr dmd-query -e -f "$from" -u "$until" $args ru.s00
		assert_success
		run sed -nE 's#^archive: g[0-9a-f]{2}/00([0-9]+)-86400-[0-9a-f]{16}: ru\.s00 (rollup|points), .*#\1 \2#p' <<<"$stderr"
		assert_output - <<-EOF
		$B points
		$((B + DAY)) points
		$((B + 2 * DAY)) points
		$((B + 3 * DAY)) points
		EOF
	done
	# a day touched by a newer point is read as points, and exact
	echo "ru.s00 1000 $((B + DAY + 1200))" | tee -a "$T/in" | dmd-ingest
	echo "ru.s00 1000 $((B + DAY + 1200))" | dmd-ingest -c "unix://$REDIS_SOCK?db=1"
	flush_all
	run --separate-stderr dmd-query -e -f "$from" -u "$until" -o tsv -s 1h -a max ru.s00
	assert_success
	echo "$output" >"$T/got"
	run sed -nE 's#^archive: g[0-9a-f]{2}/00([0-9]+)-86400-[0-9a-f]{16}: ru\.s00 (rollup|points), .*#\1 \2#p' <<<"$stderr"
	assert_output - <<-EOF
	$B points
	$((B + DAY)) points
	$((B + 2 * DAY)) rollup
	$((B + 3 * DAY)) points
	EOF
	raw -f "$from" -u "$until" -o tsv -s 1h -a max ru.s00 >"$T/want"
	diff -u "$T/want" "$T/got"
	grep -qF "ru.s00	1000	$((B + DAY))" "$T/got"
}

# a damaged object: dmd-query exits 4 naming it and prints nothing wrong; dmd-archive exits 4 and keeps the chunks
archive_case_damaged() {
	gen bad 2 0 2 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	run --separate-stderr dmd-archive
	assert_success
	dmd_archive_objects >"$T/objects"
	[ "$(wc -l <"$T/objects")" -eq 2 ]
	key=$(head -n 1 "$T/objects")	# day 0
	obj=$(dmd_archive_file "$key")
	cp "$obj" "$T/saved"
	size=$(stat -c %s "$obj")
	check_answer 'bad.*' "$T/in"
	grep '^bad.s01 ' "$T/in" >"$T/in01"

	# poke: OFFSET BYTE-VALUE (octal) into the object
	poke() {
		printf "\\$2" | dd of="$obj" bs=1 seek="$1" conv=notrunc status=none
	}
	restore() {
		cp "$T/saved" "$obj"
		check_answer 'bad.*' "$T/in"
	}
	damaged() {
		run --separate-stderr dmd_query_all "$@"
		assert_failure 4
		assert_output ''
		assert_stderr --regexp "^dmd-query: archive: .*$key"
	}

	# a byte of bad.s00's block (the first): that series fails ...
	b=$(od -An -tu1 -j 3 -N 1 "$obj" | tr -d ' ')
	poke 3 "$(printf %o $(((b + 1) % 256)))"
	damaged 'bad.*'
	assert_stderr "dmd-query: archive: archive object $key: block of \"bad.s00\" fails its checksum"
	damaged bad.s00
	# ... the other series of the object still reads, exactly
	run --separate-stderr dmd_query_all bad.s01
	assert_success
	assert_output "$(dmd_expect "$T/in01")"
	restore

	# a byte of the index
	b=$(od -An -tu1 -j $((size - 40)) -N 1 "$obj" | tr -d ' ')
	poke $((size - 40)) "$(printf %o $((b ^ 1)))"
	damaged bad.s01
	assert_stderr "dmd-query: archive: archive object $key: index checksum mismatch"
	restore

	# garbage in the footer
	printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
		dd of="$obj" bs=1 seek=$((size - 28)) conv=notrunc status=none
	damaged 'bad.*'
	assert_stderr "dmd-query: archive: archive object $key: not an archive object (bad footer)"
	restore

	# truncated, by one byte, to the blocks alone, to nothing
	for len in $((size - 1)) 100 0; do
		truncate -s "$len" "$obj"
		damaged 'bad.*'
		restore
	done

	# dmd-archive on a damaged current object: late points for day 0
	truncate -s $((size - 1)) "$obj"
	echo "bad.s00 -1 $((B + 60))" >"$T/late"
	dmd-ingest "$T/late"
	flush_all
	dmd_chunks >"$T/chunks"
	[ "$(wc -l <"$T/chunks")" -eq 1 ]
	h=$(dmd_archive_horizon)
	run --separate-stderr dmd-archive
	assert_failure 4
	assert_output ''
	assert_stderr --regexp "^dmd-archive: archive: object $key: "
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
	run dmd_archive_objects
	assert_output "$(cat "$T/objects")"
	[ "$(stat -c %s "$obj")" -eq $((size - 1)) ]
	run dmd_archive_tmp_files
	assert_output ''
	# mended, the next run moves the late point
	cp "$T/saved" "$obj"
	run --separate-stderr dmd-archive
	assert_success
	run dmd_chunks
	assert_output ''
	check_answer 'bad.*' "$T/in" "$T/late"
	[ "$(dmd_archive_horizon)" -ge "$h" ]
}

# any one byte of an object changed: dmd-query exits 4 naming it, or answers exactly; never prints a wrong point
archive_case_any_byte() {
	gen one 2 0 1 12 7200 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	run --separate-stderr dmd-archive -R 1h
	assert_success
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 1 ]
	key=$output
	obj=$(dmd_archive_file "$key")
	size=$(stat -c %s "$obj")
	dmd_expect "$T/in" >"$T/points"
	dmd_query_all -o tsv -s 1d -a sum 'one.*' >"$T/sums"
	[ "$(wc -l <"$T/sums")" -eq 2 ]
	# every third byte, and every byte of the footer
	n=0 bad=0
	for off in $(seq 0 3 $((size - 29))) $(seq $((size - 28)) $((size - 1))); do
		perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, $ARGV[1], 0);
		    read(F, $c, 1); seek(F, $ARGV[1], 0); print F chr(ord($c) ^ 0x20);
		    close(F) or die' "$obj" "$off"
		for q in points sums; do
			st=0
			if [ $q = points ]; then
				dmd_query_all 'one.*' >"$T/got" 2>"$T/err" || st=$?
			else
				dmd_query_all -o tsv -s 1d -a sum 'one.*' >"$T/got" 2>"$T/err" || st=$?
			fi
			if [ "$st" -eq 0 ] && cmp -s "$T/$q" "$T/got" && [ ! -s "$T/err" ]; then
				:
			elif [ "$st" -eq 4 ] && grep -qF "$key" "$T/err" &&
			    ! grep -vxFf "$T/$q" "$T/got"; then
				# failed, naming the object; what it printed
				# before (other series) is right
				:
			else
				echo "byte $off, $q: status $st"
				cat "$T/err"
				bad=$((bad + 1))
			fi
		done
		perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, $ARGV[1], 0);
		    read(F, $c, 1); seek(F, $ARGV[1], 0); print F chr(ord($c) ^ 0x20);
		    close(F) or die' "$obj" "$off"
		n=$((n + 1))
	done
	echo "# $n bytes of $size changed, one at a time" >&3
	[ "$bad" -eq 0 ]
	check_answer 'one.*' "$T/in"
}

# an object whose index is bigger than the reader's first fetch: read exactly, damage found
archive_case_big_index() {
	gen big 400 0 1 24 3600 >"$T/in"
	dmd-ingest "$T/in"
	flush_all
	run --separate-stderr dmd-archive -R 1h
	assert_success
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 1 ]
	key=$output
	obj=$(dmd_archive_file "$key")
	[ "$(stat -c %s "$obj")" -gt 40000 ]
	check_answer 'big.*' "$T/in"
	# the tail, then the rest of the index, then the block
	run --separate-stderr dmd-query -e -f "$B" -u $((B + DAY - 1)) -o tsv big.s00
	assert_success
	[ "${#lines[@]}" -eq 24 ]
	run grep -c "^archive: $key: index, " <<<"$stderr"
	assert_output 2
	run grep -c "^archive: $key: big.s00 points, [0-9]* bytes at 0, ranged read, " <<<"$stderr"
	assert_output 1
	run dmd-query -f "$B" -u $((B + DAY - 1)) -o tsv -s 1d -a sum big.s399
	assert_output "big.s399	$((24 * 39900 + 276))	$B"
	# a changed byte of the first block
	b=$(od -An -tu1 -j 2 -N 1 "$obj" | tr -d ' ')
	printf "\\$(printf %o $((b ^ 4)))" |
		dd of="$obj" bs=1 seek=2 conv=notrunc status=none
	run --separate-stderr dmd-query -f "$B" -u $((B + DAY - 1)) big.s00
	assert_failure 4
	assert_output ''
	assert_stderr "dmd-query: archive: archive object $key: block of \"big.s00\" fails its checksum"
	run --separate-stderr dmd-query -f "$B" -u $((B + DAY - 1)) -o tsv big.s01
	assert_success
	[ "${#lines[@]}" -eq 24 ]
}

# ranges over archive, table and cache at once are exact
archive_case_three_tiers() {
	now=$(date +%s)
	today=$((now / DAY * DAY))
	A=$((today - 12 * DAY))		# days A .. A+2: archived
	TB=$((today - 5 * DAY))		# days TB .. TB+1: table
	C=$((today - DAY))		# day C: cache
	GEN_BASE=$A gen "st sx" 2 0 3 24 3600 >"$T/arch"
	dmd-ingest "$T/arch"
	flush_all
	run --separate-stderr dmd-archive
	assert_success
	run dmd_archive_objects
	[ "${#lines[@]}" -eq 6 ]
	run dmd_chunks
	assert_output ''

	GEN_BASE=$TB gen "st sx" 2 0 2 24 3600 1 >"$T/table"
	# new values for archived points, now in the table
	GEN_BASE=$A gen "st" 2 1 1 6 3600 2 >>"$T/table"
	dmd-ingest "$T/table"
	flush_all
	# no dmd-archive from here on: these stay in the table
	GEN_BASE=$C gen "st sx" 2 0 1 48 1800 3 >"$T/cache"
	# new values for table points and archived points, in the cache
	GEN_BASE=$TB gen "st" 1 1 1 4 3600 4 >>"$T/cache"
	GEN_BASE=$A gen "sx" 1 2 1 4 3600 5 >>"$T/cache"
	dmd-ingest "$T/cache"

	files=("$T/arch" "$T/table" "$T/cache")
	check_answer 's[tx].*' "${files[@]}"
	run wc -l <"$T/expected"
	assert_output $((4 * (72 + 48 + 48)))
	# every range from one tier's edge to another's: until >= horizon,
	# so all three tiers answer
	for from in $((A - 1)) $A $((A + 3599)) $((A + DAY + 1)) $((A + 3 * DAY - 1)) \
	    $((TB - 1)) $((TB + 3600)) $((TB + 2 * DAY - 3600)) $C; do
		for until in $((C + 1)) $((C + DAY / 2)) $((C + DAY)) "$now"; do
			expect_range "$from" "$until" "${files[@]}" >"$T/want"
			dmd-query -f "$from" -u "$until" 's[tx].*' >"$T/got"
			diff -u "$T/want" "$T/got"
		done
	done
	# ranges below the horizon read the cache with -N only
	for range in "$A $((A + 3 * DAY - 1))" "$((A + DAY + 1)) $((TB + 2 * DAY))"; do
		set -- $range
		expect_range "$1" "$2" "${files[@]}" >"$T/want"
		dmd-query -N -f "$1" -u "$2" 's[tx].*' >"$T/got"
		diff -u "$T/want" "$T/got"
		if [ "$2" -lt "$(dmd_archive_horizon)" ]; then
			expect_range "$1" "$2" "$T/arch" "$T/table" >"$T/want"
			dmd-query -f "$1" -u "$2" 's[tx].*' >"$T/got"
			diff -u "$T/want" "$T/got"
		fi
	done
	# downsampled across the three tiers: as the same points in one
	# cache
	cat "${files[@]}" | dmd-ingest -c "unix://$REDIS_SOCK?db=1"
	for agg in avg sum count last; do
		dmd-query -c "unix://$REDIS_SOCK?db=1" -t '' -A '' -f "$A" -u "$now" \
			-s 1d -a "$agg" 's[tx].*' >"$T/want"
		dmd-query -f "$A" -u "$now" -s 1d -a "$agg" 's[tx].*' >"$T/got"
		diff -u "$T/want" "$T/got"
	done
}
