#!/usr/bin/env bats
# dmd-query over both tiers: points partly flushed to the table, partly
# (and rewritten) in the cache.  Downsampling, every output format,
# query lines on stdin, threads, patterns that only the table can
# resolve, and reading the cache alone.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
}

B=1732406400	# a multiple of 600: buckets of 5 and 10 minutes start here

flush_all() {
	run --separate-stderr dmd-flush -n 1 -a 100w
	assert_success
	[ -z "$stderr" ]
	run dmd_keys 'dmd:*:c:*'
	assert_output ''
}

# Two series over both tiers; the cache rewrites points of the table.
#   q.a  B:1 +60:2 +120:3 +180:4 +240:5→50 +300:6→60 +360:7 +420:8 +480:9 +540:10
#   q.b  B:0.1 +60:9→0.2 +120:0.3 +180:0.6
setup_q() {
	dmd-ingest <<-EOF
	q.a 1 $B
	q.a 2 $((B + 60))
	q.a 3 $((B + 120))
	q.a 4 $((B + 180))
	q.a 5 $((B + 240))
	q.a 6 $((B + 300))
	q.b 0.1 $B
	q.b 9 $((B + 60))
	EOF
	flush_all
	dmd-ingest <<-EOF
	q.a 50 $((B + 240))
	q.a 60 $((B + 300))
	q.a 7 $((B + 360))
	q.a 8 $((B + 420))
	q.a 9 $((B + 480))
	q.a 10 $((B + 540))
	q.b 0.2 $((B + 60))
	q.b 0.3 $((B + 120))
	q.b 0.6 $((B + 180))
	EOF
}

# The 5-minute buckets by hand, as TSV: q.a [B, B+300) holds 1 2 3 4 50,
# [B+300, B+600) holds 60 7 8 9 10; q.b [B, B+300) holds 0.1 0.2 0.3 0.6.
expected_5m() {
	local a b c
	case $1 in
	avg) a=12 b=18.8 c=0.3 ;;
	min) a=1 b=7 c=0.1 ;;
	max) a=50 b=60 c=0.6 ;;
	sum) a=60 b=94 c=1.2 ;;		# 1.2000000000000002 if not compensated
	count) a=5 b=5 c=4 ;;
	first) a=1 b=60 c=0.1 ;;
	last) a=50 b=10 c=0.6 ;;
	esac
	printf 'q.a\t%s\t%d\nq.a\t%s\t%d\nq.b\t%s\t%d\n' "$a" "$B" "$b" \
		$((B + 300)) "$c" "$B"
}

check_agg() {
	expected_5m "$1" >"$T/expected"
	dmd_query_all -o tsv -s 5m -a "$1" 'q.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
}

@test "the points of the downsampling tests, over both tiers" {
	setup_q
	run dmd_query_all -o tsv 'q.*'
	assert_output - <<-EOF
	q.a	1	$B
	q.a	2	$((B + 60))
	q.a	3	$((B + 120))
	q.a	4	$((B + 180))
	q.a	50	$((B + 240))
	q.a	60	$((B + 300))
	q.a	7	$((B + 360))
	q.a	8	$((B + 420))
	q.a	9	$((B + 480))
	q.a	10	$((B + 540))
	q.b	0.1	$B
	q.b	0.2	$((B + 60))
	q.b	0.3	$((B + 120))
	q.b	0.6	$((B + 180))
	EOF
}

@test "downsamples across tiers: --agg avg" {
	setup_q
	check_agg avg
}

@test "downsamples across tiers: --agg min" {
	setup_q
	check_agg min
}

@test "downsamples across tiers: --agg max" {
	setup_q
	check_agg max
}

@test "downsamples across tiers: --agg sum" {
	setup_q
	check_agg sum
}

@test "downsamples across tiers: --agg count" {
	setup_q
	check_agg count
}

@test "downsamples across tiers: --agg first" {
	setup_q
	check_agg first
}

@test "downsamples across tiers: --agg last" {
	setup_q
	check_agg last
}

@test "downsamples to the same answers from the cache alone and the table alone" {
	setup_q
	dmd_query_all -o tsv 'q.*' >"$T/points"
	# all in the table
	flush_all
	for a in avg min max sum count first last; do
		check_agg "$a"
	done
	# all in the cache: the merged points written again, table dropped
	rm -rf "${DMD_TABLE#file://}"
	rcli flushall >/dev/null
	run --separate-stderr dmd-ingest "$T/points"
	assert_success
	run dmd_chunks
	assert_output ''
	for a in avg min max sum count first last; do
		check_agg "$a"
	done
}

@test "downsamples with epoch-aligned buckets whatever --from, and other steps" {
	setup_q
	# from inside the first bucket: it starts at B all the same
	run dmd-query -f $((B + 100)) -u 2000000000 -o tsv -s 5m -a sum q.a
	assert_output - <<-EOF
	q.a	57	$B
	q.a	94	$((B + 300))
	EOF
	run dmd_query_all -o tsv -s 10m -a sum q.a
	assert_output $'q.a\t154\t'"$B"
	run dmd_query_all -o tsv -s 600 -a count 'q.*'
	assert_output $'q.a\t10\t'"$B"$'\nq.b\t4\t'"$B"
	# step 1: count is 1 per point, the other aggregates give the points
	dmd_query_all -o tsv 'q.*' >"$T/points"
	awk -F'\t' -v OFS='\t' '{ $2 = 1; print }' "$T/points" >"$T/expected"
	dmd_query_all -o tsv -s 1 -a count 'q.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	dmd_query_all -o tsv -s 1 -a avg 'q.*' >"$T/got"
	diff -u "$T/points" "$T/got"
	# 2 minutes: q.a [B+240, B+360) holds 50 60
	run dmd-query -f $((B + 240)) -u $((B + 359)) -o tsv -s 2m -a avg q.a
	assert_output $'q.a\t55\t'$((B + 240))
}

# f.a  B:1 (table) B+60:2.5 (cache); f.b  B:-3 (table) B+60:7→0.25 (cache)
setup_f() {
	printf 'f.a 1 %d\nf.b -3 %d\nf.b 7 %d\n' $B $B $((B + 60)) | dmd-ingest
	flush_all
	printf 'f.a 2.5 %d\nf.b 0.25 %d\n' $((B + 60)) $((B + 60)) | dmd-ingest
}

# Compare the output of dmd-query ARGS to printf FORMAT..., byte for byte.
check_bytes() {
	local n=$1
	shift
	dmd_query_all "${@:1:n}" >"$T/got"
	shift "$n"
	# shellcheck disable=SC2059
	printf "$@" >"$T/expected"
	cmp "$T/expected" "$T/got" || {
		diff -u "$T/expected" "$T/got"
		false
	}
}

@test "prints NDJSON across tiers byte for byte" {
	setup_f
	fmt='{"name":"f.a","time":%d,"value":1}\n{"name":"f.a","time":%d,"value":2.5}\n{"name":"f.b","time":%d,"value":-3}\n{"name":"f.b","time":%d,"value":0.25}\n'
	check_bytes 1 'f.*' "$fmt" $B $((B + 60)) $B $((B + 60))
	check_bytes 3 -o ndjson 'f.*' "$fmt" $B $((B + 60)) $B $((B + 60))
	check_bytes 3 -o json 'f.*' "$fmt" $B $((B + 60)) $B $((B + 60))
}

@test "prints TSV across tiers byte for byte" {
	setup_f
	check_bytes 3 -o tsv 'f.*' 'f.a\t1\t%d\nf.a\t2.5\t%d\nf.b\t-3\t%d\nf.b\t0.25\t%d\n' \
		$B $((B + 60)) $B $((B + 60))
}

@test "prints CSV across tiers byte for byte, a header even with no points" {
	setup_f
	check_bytes 3 -o csv 'f.*' 'name,time,value\nf.a,%d,1\nf.a,%d,2.5\nf.b,%d,-3\nf.b,%d,0.25\n' \
		$B $((B + 60)) $B $((B + 60))
	check_bytes 3 -o csv 'none.*' 'name,time,value\n'
}

@test "prints Graphite render JSON across tiers byte for byte, [] with no points" {
	setup_f
	check_bytes 3 -o graphite 'f.*' '[{"target":"f.a","datapoints":[[1,%d],[2.5,%d]]},{"target":"f.b","datapoints":[[-3,%d],[0.25,%d]]}]\n' \
		$B $((B + 60)) $B $((B + 60))
	check_bytes 3 -o graphite 'f.b' '[{"target":"f.b","datapoints":[[-3,%d],[0.25,%d]]}]\n' \
		$B $((B + 60))
	check_bytes 3 -o graphite 'none.*' '[]\n'
	# downsampled, one bucket per series
	check_bytes 7 -o graphite -s 5m -a sum 'f.*' '[{"target":"f.a","datapoints":[[3.5,%d]]},{"target":"f.b","datapoints":[[-2.75,%d]]}]\n' \
		$B $B
}

@test "answers query lines on stdin across tiers, in order" {
	setup_f
	setup_q
	run --separate-stderr dmd_query_all -o tsv - <<-EOF
	f.a
	f.* $B $B
	f.b $((B + 60))
	q.a $((B + 240)) $((B + 300))
	q.{a,b} $((B + 120)) $((B + 180))
	EOF
	assert_success
	[ -z "$stderr" ]
	assert_output - <<-EOF
	f.a	1	$B
	f.a	2.5	$((B + 60))
	f.a	1	$B
	f.b	-3	$B
	f.b	0.25	$((B + 60))
	q.a	50	$((B + 240))
	q.a	60	$((B + 300))
	q.a	3	$((B + 120))
	q.a	4	$((B + 180))
	q.b	0.3	$((B + 120))
	q.b	0.6	$((B + 180))
	EOF
}

@test "gives the same answer with -j 1, -j 3 and -j 8 over 600 series in both tiers" {
	dmd_points j 600 0 5 >"$T/in1"
	dmd-ingest "$T/in1"
	flush_all
	dmd_points j 600 5 5 >"$T/in2"
	dmd_points j 300 3 3 1 >>"$T/in2"
	dmd-ingest "$T/in2"
	dmd_expect "$T/in1" "$T/in2" >"$T/expected"
	run wc -l <"$T/expected"
	assert_output 6000
	for j in 1 3 8; do
		dmd_query_all -j "$j" 'j.*' >"$T/got.$j"
		diff -u "$T/expected" "$T/got.$j"
		dmd_query_all -j "$j" -o graphite -s 5m -a max 'j.*' >"$T/graphite.$j"
	done
	cmp "$T/graphite.1" "$T/graphite.3"
	cmp "$T/graphite.1" "$T/graphite.8"
	run cut -c1-60 "$T/graphite.1"
	assert_output --partial '[{"target":"j.s000","datapoints":[[10000004,1732406400],'
}

@test "a pattern finds series that only the table holds, after the cache is wiped" {
	dmd_points g 12 0 4 >"$T/in"
	dmd_points h 2 0 4 >"$T/h"
	dmd-ingest "$T/in" "$T/h"
	flush_all
	# FLUSHALL drops the cache's name sets too: only the table knows them
	rcli flushall >/dev/null
	run dmd_keys '*'
	assert_output ''
	dmd_expect "$T/in" >"$T/expected"
	dmd_query_all 'g.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	run dmd_query_all -o tsv -f $((B + 180)) 'g.s00[2-4]' '*.s011'
	assert_output - <<-EOF
	g.s002	20003	$((B + 180))
	g.s003	30003	$((B + 180))
	g.s004	40003	$((B + 180))
	g.s011	110003	$((B + 180))
	EOF
	# alternatives and wildcards in the first component
	for pat in '{g,h}.s001' '*.s001' '[gh].s001' '?.s001' '{h,g,h}.s00{1,1}'; do
		run dmd_query_all -o tsv -f $((B + 180)) "$pat"
		assert_output - <<-EOF
		g.s001	10003	$((B + 180))
		h.s001	10003	$((B + 180))
		EOF
	done
	dmd_expect "$T/h" >"$T/expected"
	dmd_query_all 'h.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	dmd_expect "$T/in" "$T/h" >"$T/expected"
	dmd_query_all '*.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	dmd_query_all 'h.*' 'g.*' '{g,h}.*' >"$T/got"
	diff -u "$T/expected" "$T/got"

	# a name both tiers know is listed once; one only the cache knows too
	printf 'g.s001 7 %d\ng.s001 8 %d\ng.new 9 %d\n' $((B + 60)) $((B + 600)) $B |
		tee -a "$T/in" | dmd-ingest
	dmd_expect "$T/in" >"$T/expected"
	dmd_query_all 'g.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	run dmd_query_all -o tsv 'g.{s001,new}'
	assert_output - <<-EOF
	g.new	9	$B
	g.s001	10000	$B
	g.s001	7	$((B + 60))
	g.s001	10002	$((B + 120))
	g.s001	10003	$((B + 180))
	g.s001	8	$((B + 600))
	EOF
	# and the table alone, from an empty cache database
	run dmd-query -c "unix://$REDIS_SOCK?db=1" -f 0 -u 2000000000 -o tsv 'g.{s001,new}'
	assert_output - <<-EOF
	g.s001	10000	$B
	g.s001	10001	$((B + 60))
	g.s001	10002	$((B + 120))
	g.s001	10003	$((B + 180))
	EOF
}

@test "-t '' reads only the cache, whatever DMD_TABLE says" {
	setup_f
	[ -n "$DMD_TABLE" ]
	run dmd_query_all -o tsv -t '' 'f.*' f.b
	assert_success
	assert_output - <<-EOF
	f.a	2.5	$((B + 60))
	f.b	0.25	$((B + 60))
	EOF
	# not even a look at a table
	run dmd_query_all -S -t '' f.a
	assert_line --regexp '^\{"name":"dmd\..*\.query\.table_requests","time":[0-9]+,"value":0\}$'
	# the same answer from an empty DMD_TABLE and -t ''
	run env DMD_TABLE= dmd-query -f 0 -u 2000000000 -o tsv -t '' 'f.*'
	assert_output - <<-EOF
	f.a	2.5	$((B + 60))
	f.b	0.25	$((B + 60))
	EOF
}

@test "DMD_TABLE= (empty) reads only the cache" {
	# dmd-query.c: set but empty means no table.  (dmd-query(1) and
	# dmd(7) say an empty variable counts as unset: they disagree.)
	setup_f
	run env DMD_TABLE= dmd-query -f 0 -u 2000000000 -o tsv 'f.*' f.b
	assert_success
	assert_output - <<-EOF
	f.a	2.5	$((B + 60))
	f.b	0.25	$((B + 60))
	EOF
	# not even a look at a table
	run env DMD_TABLE= dmd-query -f 0 -u 2000000000 -S f.a
	assert_line --regexp '^\{"name":"dmd\..*\.query\.table_requests","time":[0-9]+,"value":0\}$'
	# and -t beats it
	run env DMD_TABLE= dmd-query -f 0 -u 2000000000 -o tsv -t "file://$REDIS_DIR/table" f.b
	assert_output - <<-EOF
	f.b	-3	$B
	f.b	0.25	$((B + 60))
	EOF
}
