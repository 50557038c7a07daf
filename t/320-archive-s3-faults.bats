#!/usr/bin/env bats
# The s3:// archive where S3 misbehaves or is addressed another way: a
# third of its requests failed by t/helpers/faultproxy (500, 503
# SlowDown, dropped connections, half of them after S3 did the work) and
# nothing is lost or stored twice; virtual-host-style addressing
# (BUCKET.s3.localhost, which curl resolves to the loopback) on an
# s3rver that serves it.

bats_require_minimum_version 1.5.0
load lib/dmd

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
	dmd_reset
	dmd_s3_reset
	T=$BATS_TEST_TMPDIR
	bg_pids=
}

teardown() {
	local p
	for p in $bg_pids; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

# Start a background server of command ARGS... that says "... listening
# on 127.0.0.1:PORT" on its standard output; the port in PORT, its
# standard error in $T/NAME.log.
serve() {
	local name=$1 i pid
	shift
	"$@" >"$T/$name.out" 2>"$T/$name.log" 3>&- &
	pid=$!
	bg_pids="$bg_pids $pid"
	PORT=
	for i in $(seq 1 200); do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
			"$T/$name.out" | head -n 1)
		[ -n "$PORT" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	return 1
}

# Two days of 30 series ingested and flushed into the table; the input in
# $T/in, the answer dmd-query should give in $T/want.
load_points() {
	dmd_points s3f 30 0 2880 > "$T/in"
	dmd_expect "$T/in" > "$T/want"
	run -0 timeout 60 dmd-ingest "$T/in"
	run -0 timeout 60 dmd-flush
}

@test "a third of S3's requests failing (500, SlowDown, dropped, before and after the work): archive and query exit 0 and lose nothing" {
	serve proxy node "$DMD_SRCDIR/t/helpers/faultproxy" -r 0.33 -s 7 \
		-f 500,503,drop -m 4 "$S3_ENDPOINT"
	export DMD_ARCHIVE="s3://dmd/arch?endpoint=http://127.0.0.1:$PORT&region=us-east-1"
	load_points
	run -0 timeout 240 dmd-archive --older-than 1d --stats
	[ "$(dmd_stat <(echo "$output") archive.points)" = 86400 ]
	errors=$(dmd_stat <(echo "$output") archive.archive_errors)
	run -0 timeout 240 dmd-query -f 0 -u now 's3f.*'
	diff "$T/want" <(echo "$output")
	faults=$(grep -c '^faultproxy: fault ' "$T/proxy.log")
	echo "# $faults faults; dmd-archive counted $errors failed tries" >&3
	[ "$faults" -ge 20 ]
	[ "$errors" -ge 1 ]
	# and the archive holds what a run without faults writes: read
	# past the proxy, every object is whole
	export DMD_ARCHIVE=$DMD_S3_ARCHIVE
	run -0 timeout 60 dmd-query -f 0 -u now 's3f.*'
	diff "$T/want" <(echo "$output")
	run -0 timeout 60 dmd-archive --older-than 1d --stats
	[ "$(dmd_stat <(echo "$output") archive.points)" = 0 ]
}

@test "virtual-host-style addressing: BUCKET.s3.localhost, on an s3rver that serves it" {
	serve vhost node --openssl-legacy-provider \
		"$DMD_SRCDIR/t/servers/s3rver.js" -a 127.0.0.1 -p 0 \
		-d "$T/vhost" --configure-bucket vbucket \
		--service-endpoint localhost --silent
	export DMD_ARCHIVE="s3://vbucket/pre/fix?endpoint=http://s3.localhost:$PORT&style=virtual&region=us-east-1"
	load_points
	run -0 timeout 120 dmd-archive --older-than 1d
	# the objects went to the bucket the host name named
	[ -n "$(find "$T/vhost/vbucket/pre/fix" -name '*._S3rver_object' | head -1)" ]
	run -0 timeout 60 dmd-query -f 0 -u now 's3f.*'
	diff "$T/want" <(echo "$output")
}
