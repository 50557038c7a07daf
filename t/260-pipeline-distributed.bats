#!/usr/bin/env bats
# The whole pipeline on the distributed engines at once: a Redis Cluster
# cache (six local nodes), a DynamoDB table (dynalite) and an S3 archive
# (s3rver).  Points go in through dmd-ingest, down through dmd-flush and
# dmd-archive, and dmd-query reads all three tiers in one answer that
# equals the input; dmd-e2e probes the same store.

bats_require_minimum_version 1.5.0
load lib/dmd

BATS_TEST_TIMEOUT=300

setup_file() {
	dmd_cluster_start
	dmd_dynamo_start
	dmd_s3_start
	# dynalite takes any key; s3rver only its own
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	export DMD_TABLE DMD_ARCHIVE
}

teardown_file() {
	dmd_s3_stop
	dmd_dynamo_teardown
	dmd_cluster_teardown
}

setup() {
	[ -z "${S3_SKIP:-}" ] || skip "$S3_SKIP"
	[ -z "${DYNAMO_SKIP:-}" ] || skip "$DYNAMO_SKIP"
	T=$BATS_TEST_TMPDIR
}

# "name value time" lines of NSERIES series PREFIX.sNNN, COUNT points a
# minute apart ending an hour ago: young enough to stay in the cache.
recent_points() {
	awk -v p="$1" -v ns="$2" -v cnt="$3" -v now="$(date +%s)" '
	BEGIN {
		t0 = now - now % 60 - 3600 - 60 * cnt
		for (i = 0; i < cnt; i++)
			for (s = 0; s < ns; s++)
				printf "%s.s%03d %d %d\n", p, s, s * 10000 + i,
				    t0 + 60 * i
	}'
}

@test "cluster + dynamodb + s3: ingest, flush, archive; one query over all three tiers equals the input" {
	# two days of 40 series, archived; then 20 series flushed to the
	# table only; then 10 series of the last hours left in the cache
	dmd_points old 40 0 2880 > "$T/old"
	dmd_points mid 20 2880 720 > "$T/mid"
	recent_points new 10 120 > "$T/new"

	run -0 timeout 60 dmd-ingest "$T/old"
	run -0 timeout 120 dmd-flush --create-table --stats
	assert_output --regexp '"name":"dmd\.[^.]+\.flush\.points","time":[0-9]+,"value":115200\}'
	run -0 timeout 120 dmd-archive --older-than 1d --stats
	assert_output --regexp '"name":"dmd\.[^.]+\.archive\.points","time":[0-9]+,"value":115200\}'
	assert_output --regexp 'archive\.archive_put_requests","time":[0-9]+,"value":[1-9]'

	run -0 timeout 60 dmd-ingest "$T/mid"
	run -0 timeout 120 dmd-flush --stats
	assert_output --regexp '"name":"dmd\.[^.]+\.flush\.points","time":[0-9]+,"value":14400\}'
	run -0 timeout 60 dmd-ingest "$T/new"

	# every tier holds a part
	[ "$(dmd_archive_objects | wc -l)" -gt 0 ]
	[ "$(dmd_dynamo_items dmd | grep -c 'mid\.s')" -gt 0 ]

	dmd_expect "$T/old" "$T/mid" "$T/new" > "$T/want"
	run -0 timeout 120 dmd-query -f 0 -u now --stats 'old.*' 'mid.*' 'new.*'
	grep -v '"name":"dmd\.' <<<"$output" > "$T/got"
	diff "$T/want" "$T/got"
	# the answer came from all three tiers
	assert_output --regexp 'query\.cache_get_requests","time":[0-9]+,"value":[1-9]'
	assert_output --regexp 'query\.table_get_requests","time":[0-9]+,"value":[1-9]'
	assert_output --regexp 'query\.archive_get_requests","time":[0-9]+,"value":[1-9]'

	# downsampled across the tiers: one point an hour, from rollups or
	# raw points alike
	run -0 timeout 60 dmd-query -f 0 -u now -s 1h -a count 'old.s000'
	[ "$(wc -l <<<"$output")" -eq 48 ]
	assert_line --index 0 --regexp '"value":60\}$'
}

@test "cluster + dynamodb + s3: dmd-e2e sees its probe through the same store, and its result is stored" {
	run -0 timeout 60 dmd-e2e --count 3 --interval 50ms
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^.]+\.success","time":[0-9]+,"value":1\}$'
	printf '%s\n' "$output" > "$T/e2e"
	run -0 timeout 60 dmd-ingest "$T/e2e"
	run -0 timeout 60 dmd-query -f -1h 'dmd.e2e.*.success'
	assert_output --regexp '"value":1\}$'
}
