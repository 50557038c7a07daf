#!/usr/bin/env bats
# dmd-stream on a kinesis:// log, on kinesalite (t/servers): the
# behaviours of the file log where they apply (t/170) - the round trip
# put | get | dmd-ingest, a series in one partition (a shard), checkpoints
# per partition and a reader killed mid-output, --from latest and a time,
# --follow stopped by SIGTERM - and those of Kinesis: -n creates the
# stream, -r trims nothing, faults of a proxy (t/helpers/faultproxy) and
# PutRecords answers that fail some of their records, kinesalite stopped
# in the middle of a get, a missing stream, bad URLs, the secret kept out
# of every output.
#
# Comparisons of get's output are exact (a multiset of NDJSON lines)
# where the log promises no duplicates; where retries may duplicate
# records (at least once), the output must cover the input and dmd-ingest
# of it must store exactly the input.  Every command is bounded by
# timeout(1), every background process is stopped by its PID.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() {
	dmd_redis_start
	dmd_kinesis_start
}

teardown_file() {
	dmd_kinesis_teardown
	dmd_redis_teardown
}

setup() {
	[ -z "${KINESIS_SKIP:-}" ] || skip "$KINESIS_SKIP"
	rcli flushall >/dev/null
	T=$BATS_TEST_TMPDIR
	# a stream of its own for each test
	STREAM=dmd-t$BATS_TEST_NUMBER
	DMD_LOG=$(dmd_kinesis_url "$STREAM")
	export DMD_LOG
	BG=()
}

teardown() {
	kill_jobs "${BG[@]}"
	# a test that stopped kinesalite and failed before it restarted it
	if [ -n "${kinesis_stopped:-}" ]; then
		dmd_kinesis_restart
	fi
	return 0
}

# dmd-stream, bounded in time.
stream() {
	timeout 60 dmd-stream "$@"
}

# The NDJSON lines dmd-stream get prints for "name value time" lines
# with integer values (dmd_points), in the same order.
ndjson() {
	awk '{ printf "{\"name\":\"%s\",\"time\":%s,\"value\":%s}\n",
	    $1, $3, $2 }' "$@"
}

# same_lines WANT GOT: the two files hold the same lines, each as many
# times; shows the first differences otherwise.
same_lines() {
	sorted "$1" >"$T/want.sorted"
	sorted "$2" >"$T/got.sorted"
	if ! cmp -s "$T/want.sorted" "$T/got.sorted"; then
		echo "lines differ: want $(wc -l <"$1"), got $(wc -l <"$2");" \
		    "diff want got:"
		diff "$T/want.sorted" "$T/got.sorted" | head -20
		return 1
	fi
}

# covers GOT WANT: every line of WANT is in GOT at least once.
covers() {
	local missing
	missing=$(LC_ALL=C comm -13 <(sorted -u "$1") <(sorted -u "$2") | wc -l)
	if [ "$missing" -ne 0 ]; then
		echo "$missing lines of $2 are not in $1:"
		LC_ALL=C comm -13 <(sorted -u "$1") <(sorted -u "$2") | head -10
		return 1
	fi
}

# query_is PATTERN FILE...: dmd-query over all time of PATTERN prints
# exactly the last value of each (name, time) of the "name value time"
# FILEs.
query_is() {
	local pattern=$1
	shift
	dmd_expect "$@" >"$T/expected"
	timeout 60 dmd-query -f 0 -u 2000000000 "$pattern" >"$T/query.out"
	diff -u "$T/expected" "$T/query.out" | head -20
	cmp -s "$T/expected" "$T/query.out"
}

# Milliseconds since $1 (an $EPOCHREALTIME).
ms_since() {
	local now=$EPOCHREALTIME
	echo $(((${now//[.,]/} - ${1//[.,]/}) / 1000))
}

# The sequence numbers a checkpoint file holds are Kinesis's: digits.
# checkpoint_of FILE K: the position of partition K in FILE.
checkpoint_of() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

# Start a proxy: node ARGS... in the background, its first line of
# standard output "... listening on 127.0.0.1:PORT"; the port in
# PROXY_PORT, its standard error in $T/NAME.log.
proxy_launch() {
	local name=$1 i pid
	shift
	node "$@" >"$T/$name.out" 2>"$T/$name.log" 3>&- &
	pid=$!
	BG+=("$pid")
	PROXY_PORT=
	for i in $(seq 1 100); do
		PROXY_PORT=$(sed -n 's/^[a-z]* listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
			"$T/$name.out")
		[ -n "$PROXY_PORT" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	return 1
}

# t/helpers/faultproxy NAME ARGS... in front of kinesalite.
faultproxy_start() {
	local name=$1
	shift
	proxy_launch "$name" "$DMD_SRCDIR/t/helpers/faultproxy" "$@" \
		"$KINESIS_ENDPOINT"
}

# A proxy in front of kinesalite whose PutRecords answers fail some of
# their records (HTTP 200, FailedRecordCount > 0, the record's ErrorCode
# ProvisionedThroughputExceededException), as Kinesis does under load:
# the failed records are not forwarded, the others are, and the answer
# carries their sequence numbers in the order of the request.  Other
# calls pass through.  kinesalite itself never fails part of a call.
#
#   node -e "$partial_js" TARGET RATE SEED MODE
#
# MODE random: each record fails with probability RATE (a seeded
# generator), at most twice; MODE first: the first record of each call
# fails, once.  A line per call on the standard error.
partial_js='
const http = require("http");
const [target, rate, seed, mode] = process.argv.slice(1);
const turl = new URL(target);
let state = Number(seed) >>> 0;
function rand() {
	state = (state + 0x6d2b79f5) >>> 0;
	let t = state;
	t = Math.imul(t ^ (t >>> 15), t | 1);
	t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
	return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const failed = new Map();
let ncalls = 0;
function up(req, body, cb) {
	const headers = Object.assign({}, req.headers);
	headers["content-length"] = body.length;
	const u = http.request({ hostname: turl.hostname, port: turl.port,
	    method: req.method, path: req.url, headers }, ures => {
		const parts = [];
		ures.on("data", c => parts.push(c));
		ures.on("end", () => cb(ures, Buffer.concat(parts)));
	});
	u.on("error", e => cb(null, Buffer.from(e.message)));
	u.end(body);
}
function pass(res, ures, b) {
	if (ures === null) {
		res.writeHead(502, { "Content-Length": b.length });
		return res.end(b);
	}
	res.writeHead(ures.statusCode, { "Content-Type":
	    ures.headers["content-type"] || "application/x-amz-json-1.1",
	    "Content-Length": b.length });
	res.end(b);
}
http.createServer((req, res) => {
	const parts = [];
	req.on("data", c => parts.push(c));
	req.on("end", () => {
		const body = Buffer.concat(parts);
		const op = String(req.headers["x-amz-target"] || "").replace(/.*\./, "");
		if (op !== "PutRecords")
			return up(req, body, (u, b) => pass(res, u, b));
		const r = JSON.parse(body.toString("utf8"));
		const fail = r.Records.map((x, j) => {
			const n = failed.get(x.Data) || 0;
			const f = mode === "first" ? j === 0 && n === 0 :
			    n < 2 && rand() < Number(rate);
			if (f)
				failed.set(x.Data, n + 1);
			return f;
		});
		const keep = r.Records.filter((x, j) => !fail[j]);
		process.stderr.write("partial: call " + ++ncalls + " " +
		    r.Records.length + " records, " +
		    (r.Records.length - keep.length) + " failed\n");
		const answer = seqs => {
			let i = 0;
			const b = Buffer.from(JSON.stringify({
			    FailedRecordCount: r.Records.length - keep.length,
			    Records: r.Records.map((x, j) => fail[j] ? {
				ErrorCode: "ProvisionedThroughputExceededException",
				ErrorMessage: "Rate exceeded for shard in stream " +
				    r.StreamName } : seqs[i++]) }));
			res.writeHead(200, { "Content-Type":
			    "application/x-amz-json-1.1", "Content-Length": b.length });
			res.end(b);
		};
		if (keep.length === 0)
			return answer([]);
		up(req, Buffer.from(JSON.stringify(Object.assign({}, r,
		    { Records: keep }))), (u, b) => {
			if (u === null || u.statusCode !== 200)
				return pass(res, u, b);
			answer(JSON.parse(b.toString("utf8")).Records);
		});
	});
}).listen(0, "127.0.0.1", function () {
	console.log("partialproxy listening on 127.0.0.1:" + this.address().port);
});
for (const sig of ["SIGTERM", "SIGINT"])
	process.on(sig, () => process.exit(0));
'

partialproxy_start() {
	local name=$1
	shift
	proxy_launch "$name" -e "$partial_js" "$KINESIS_ENDPOINT" "$@"
}

# --- put and get --------------------------------------------------------

@test "put -n 4 creates an ACTIVE stream of 4 shards; get prints every point once; get | dmd-ingest stores exactly the input" {
	dmd_points rt 40 0 500 >"$T/in"	# 20000 points
	run --separate-stderr stream put -n 4 -S "$T/in"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	assert_equal "$(dmd_stat "$T/stats" stream.put_points)" 20000
	assert_equal "$(dmd_stat "$T/stats" stream.put_rejected)" 0
	assert_equal "$(dmd_stat "$T/stats" stream.segments_removed)" 0
	records=$(dmd_stat "$T/stats" stream.put_records)
	[ "$records" -ge 4 ]

	run dmd_kinesis_call DescribeStreamSummary "{\"StreamName\":\"$STREAM\"}"
	assert_success
	assert_output --partial '"StreamStatus":"ACTIVE"'
	assert_output --partial '"OpenShardCount":4'

	run --separate-stderr stream get -S
	assert_success
	[ -z "$stderr" ]
	grep -v '^{"name":"dmd\.' <<<"$output" >"$T/out"
	grep '^{"name":"dmd\.' <<<"$output" >"$T/gstats"
	ndjson "$T/in" >"$T/want"
	same_lines "$T/want" "$T/out"
	assert_equal "$(dmd_stat "$T/gstats" stream.get_records)" "$records"
	assert_equal "$(dmd_stat "$T/gstats" stream.log_errors)" 0

	stream get | timeout 60 dmd-ingest
	query_is 'rt.*' "$T/in"
}

@test "a record another producer wrote is not read as points: get skips it with a warning naming it, prints the rest, exits 4" {
	dmd_points fr 8 0 10 >"$T/a"
	stream put -n 1 "$T/a"
	# "hello" and a point as NDJSON, as a producer of its own might
	for data in aGVsbG8= eyJuYW1lIjoieC55IiwidGltZSI6MSwidmFsdWUiOjF9; do
		run dmd_kinesis_call PutRecord "{\"StreamName\":\"$STREAM\",\"Data\":\"$data\",\"PartitionKey\":\"x\"}"
		assert_success
		assert_output --partial SequenceNumber
	done
	dmd_points fr 8 10 10 >"$T/b"
	stream put "$T/b"

	run --separate-stderr stream get -c "$T/cp" -S
	assert_failure 4
	grep -v '^{"name":"dmd\.' <<<"$output" >"$T/out"
	grep '^{"name":"dmd\.' <<<"$output" >"$T/stats"
	ndjson "$T/a" "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out"
	assert_equal "$(dmd_stat "$T/stats" stream.get_bad_records)" 2
	assert_equal "$(dmd_stat "$T/stats" stream.get_points)" 160
	assert_equal "$(grep -c '^dmd-stream: log: partition 0, the record at [0-9]*: not a record of points; skipped$' <<<"$stderr")" 2
	# the checkpoint is past them: they are reported once
	run --separate-stderr stream get -c "$T/cp"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "-n on an existing stream keeps its shards; a partition it does not have is a usage error" {
	echo 'np.a 1 1' >"$T/in"
	run stream put -n 3 "$T/in"
	assert_success
	run stream put -n 5 "$T/in"
	assert_success
	run dmd_kinesis_call DescribeStreamSummary "{\"StreamName\":\"$STREAM\"}"
	assert_output --partial '"OpenShardCount":3'
	run stream get -p 2
	assert_success
	run --separate-stderr stream get -p 3
	assert_failure 2
	assert_equal "$stderr" 'dmd-stream: partition 3: the log has 3'
	# a stream being created: put -n waits until it is ACTIVE
	other=dmd-creating$BATS_TEST_NUMBER
	run dmd_kinesis_call CreateStream "{\"StreamName\":\"$other\",\"ShardCount\":2}"
	assert_success
	run --separate-stderr stream put -n 2 -l "$(dmd_kinesis_url "$other")" "$T/in"
	assert_success
	[ -z "$stderr" ]
	run stream get -l "$(dmd_kinesis_url "$other")"
	assert_output '{"name":"np.a","time":1,"value":1}'
}

@test "every point of a series is in one partition: get -p K outputs are disjoint by name and together the input" {
	dmd_points part 50 0 40 >"$T/in"
	stream put -n 4 "$T/in"
	: >"$T/all"
	: >"$T/names"
	for k in 0 1 2 3; do
		stream get -p "$k" >"$T/p$k"
		cat "$T/p$k" >>"$T/all"
		sed 's/^{"name":"\([^"]*\)".*/\1/' "$T/p$k" | sort -u >>"$T/names"
	done
	ndjson "$T/in" >"$T/want"
	same_lines "$T/want" "$T/all"
	run sh -c "sort '$T/names' | uniq -d"
	assert_output ''
	assert_equal "$(wc -l <"$T/names")" 50

	# and a later put sends each series to the same shard again
	dmd_points part 50 40 10 >"$T/in2"
	stream put "$T/in2"
	for k in 0 1 2 3; do
		stream get -p "$k" | sed 's/^{"name":"\([^"]*\)".*/\1/' |
			sort -u >"$T/names2"
		sed 's/^{"name":"\([^"]*\)".*/\1/' "$T/p$k" | sort -u >"$T/names1"
		cmp "$T/names1" "$T/names2"
	done
}

@test "partition K is shard K: with -n 4 each of the 4 shards gets the series of one partition" {
	# partition K (a hash of the name) is sent with partition key
	# dmd.pNNN; Kinesis places a key by the MD5 of it, so unless the
	# record says where (ExplicitHashKey), the four keys land where
	# their hashes fall
	dmd_points sk 40 0 10 >"$T/in"
	stream put -n 4 "$T/in"
	for k in 0 1 2 3; do
		per[k]=$(stream get -p "$k" | wc -l)
	done
	echo "# points per shard: ${per[*]} (of 400)" >&3
	for k in 0 1 2 3; do
		[ "${per[k]}" -gt 0 ]
		[ "${per[k]}" -lt 400 ]
	done
}

@test "-r trims nothing: the stream keeps its records for its own retention" {
	dmd_points rr 10 0 10 >"$T/a"
	stream put -n 2 "$T/a"
	sleep 1.1
	dmd_points rr 10 10 10 >"$T/b"
	run --separate-stderr stream put -r 1s -S "$T/b"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	assert_equal "$(dmd_stat "$T/stats" stream.segments_removed)" 0
	stream get >"$T/out"
	ndjson "$T/a" "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out"
}

# --- where get starts ------------------------------------------------------

@test "--from latest prints nothing, whatever the stream holds" {
	dmd_points lat 10 0 10 >"$T/old"
	stream put -n 4 "$T/old"
	run --separate-stderr stream get --from latest
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	run --separate-stderr stream get -s latest -p 0
	assert_success
	assert_output ''
}

@test "a follower started at --from latest prints what is put after it started" {
	dmd_points lat 10 0 10 >"$T/old"
	stream put -n 4 "$T/old"
	dmd-stream get --follow --from latest >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	# it has taken its positions when it polled once: give it a second
	sleep 1
	: >"$T/new"
	for i in $(seq 1 10); do
		dmd_points lat 10 $((10 + i)) 1 | tee -a "$T/new" | stream put
		sleep 0.2
	done
	wait_lines "$T/out" 100 10 || true
	kill -TERM "$pid"
	wait_for "$pid" 10
	assert_equal "$st" 0
	[ ! -s "$T/err" ]
	echo "# the follower printed $(wc -l <"$T/out") of 100 points put after it started" >&3
	ndjson "$T/new" >"$T/want"
	same_lines "$T/want" "$T/out"
}

@test "--from TIME starts at the first record appended at or after TIME, in Unix seconds or ISO 8601; 0 is everything" {
	dmd_points tm 20 0 10 >"$T/a"
	stream put -n 4 "$T/a"
	# a whole second after the first put, and the second put after it
	t=$(($(date +%s) + 1))
	wait_until "$t"
	dmd_points tm 20 10 10 >"$T/b"
	stream put "$T/b"
	ndjson "$T/b" >"$T/want-b"
	ndjson "$T/a" "$T/b" >"$T/want-all"

	run --separate-stderr stream get --from "$t"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/out"
	same_lines "$T/want-b" "$T/out"
	stream get -s "$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)" >"$T/out"
	same_lines "$T/want-b" "$T/out"
	# and for one shard that has records: its points of the second put
	for k in 0 1 2 3; do
		stream get -p "$k" | grep -F -x -f "$T/want-b" >"$T/want-p" || true
		[ -s "$T/want-p" ] && break
	done
	[ -s "$T/want-p" ]
	stream get -p "$k" -s "$t" >"$T/out"
	same_lines "$T/want-p" "$T/out"
	stream get -s 0 >"$T/out"
	same_lines "$T/want-all" "$T/out"
}

@test "--from a time after every record prints nothing and exits 0 within 25 s (4 shards)" {
	dmd_points ta 20 0 10 >"$T/a"
	stream put -n 4 "$T/a"
	# a second after the put, and not in the future
	t=$(($(date +%s) + 1))
	wait_until $((t + 1))
	t0=$EPOCHREALTIME
	run --separate-stderr timeout 60 dmd-stream get -s "$t"
	ms=$(ms_since "$t0")
	echo "# get --from a time after every record took $ms ms" >&3
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	((ms < 25000))
}

@test "--from a time in the future prints nothing and exits 0, as on a file log" {
	dmd_points tf 20 0 10 >"$T/a"
	stream put -n 4 "$T/a"
	run --separate-stderr timeout 60 dmd-stream get -p 0 -s $(($(date +%s) + 3600))
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

# --- checkpoints ------------------------------------------------------------

@test "checkpoints per partition: readers of each shard write a shared file of sequence numbers; a second get prints nothing, a later one only what was put since" {
	dmd_points cp 30 0 20 >"$T/a"
	stream put -n 4 "$T/a"
	: >"$T/out1"
	for k in 2 0 3 1; do
		stream get -p "$k" -c "$T/cp" >>"$T/out1"
	done
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/out1"
	assert_file_exists "$T/cp"
	# a "PARTITION SEQUENCE" line per shard read that had records
	run grep -v '^#' "$T/cp"
	refute_output ''
	run grep -Ev '^[0-3] [0-9]{20,}$' <(grep -v '^#' "$T/cp")
	assert_output ''

	# the whole log from that checkpoint: nothing new
	run --separate-stderr stream get -c "$T/cp"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	for k in 0 1 2 3; do
		run --separate-stderr stream get -p "$k" -c "$T/cp"
		assert_success
		assert_output ''
	done

	dmd_points cp 30 20 5 >"$T/b"
	stream put "$T/b"
	: >"$T/out2"
	for k in 0 1 2 3; do
		cp "$T/cp" "$T/cp.before"
		stream get -p "$k" --checkpoint "$T/cp" >>"$T/out2"
		# the other shards' lines are kept
		for j in 0 1 2 3; do
			[ "$j" = "$k" ] && continue
			assert_equal "$(checkpoint_of "$T/cp" "$j")" \
			    "$(checkpoint_of "$T/cp.before" "$j")"
		done
	done
	ndjson "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out2"
	# --from overrides the checkpoint
	stream get -p 0 -c "$T/cp" -s oldest >"$T/out3"
	stream get -p 0 -s oldest >"$T/want"
	same_lines "$T/want" "$T/out3"
}

@test "a checkpoint of the whole log taken while a shard is empty is read back: a second get -c prints nothing" {
	# with 4 shards and 3 series one shard at least has no record
	printf 'em.a 1 1\nem.b 2 1\nem.c 3 1\n' >"$T/a"
	stream put -n 4 "$T/a"
	stream get -c "$T/cp" >"$T/out1"
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/out1"
	run --separate-stderr stream get -c "$T/cp"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	run --separate-stderr stream info -c "$T/cp"
	assert_success
	[ -z "$stderr" ]
}

@test "info: records and bytes per shard, and the lag of a checkpoint before and after it reads" {
	dmd_points in 20 0 100 >"$T/a"
	run --separate-stderr stream put -n 4 -S "$T/a"
	assert_success
	echo "$output" >"$T/pstats"
	run --separate-stderr stream info
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/info"
	assert_equal "$(grep -c '\.stream\.p00[0-3]\.records"' "$T/info")" 4
	total=$(dmd_stat "$T/info" 'stream\.p00[0-3]\.records' | awk '{ s += $1 } END { print s }')
	assert_equal "$total" "$(dmd_stat "$T/pstats" stream.put_records)"
	bytes=$(dmd_stat "$T/info" 'stream\.p00[0-3]\.bytes' | awk '{ s += $1 } END { print s }')
	assert_equal "$bytes" "$(dmd_stat "$T/pstats" stream.put_bytes)"
	# without a checkpoint all of it lags
	lag=$(dmd_stat "$T/info" 'stream\.p00[0-3]\.lag_records' | awk '{ s += $1 } END { print s }')
	assert_equal "$lag" "$total"

	for k in 0 1 2 3; do
		stream get -p "$k" -c "$T/cp" >/dev/null
	done
	run --separate-stderr stream info -c "$T/cp"
	assert_success
	echo "$output" >"$T/info2"
	lag=$(dmd_stat "$T/info2" 'stream\.p00[0-3]\.lag_records' | awk '{ s += $1 } END { print s }')
	assert_equal "$lag" 0
	lag=$(dmd_stat "$T/info2" 'stream\.p00[0-3]\.lag_seconds' | awk '{ s += $1 } END { print s }')
	assert_equal "$lag" 0
}

@test "a reader killed with SIGKILL mid-output, run again with its checkpoint: both outputs hold the input, and dmd-ingest of both stores exactly the input" {
	dmd_points kr 100 0 20 >"$T/a"
	stream put -n 4 "$T/a"
	for k in 0 1 2 3; do
		stream get -p "$k" -c "$T/cp"
	done | timeout 60 dmd-ingest
	dmd_points kr 100 20 2000 >"$T/b"	# 200000 points, 12 MB
	stream put "$T/b"
	cp "$T/cp" "$T/cp.before"

	# a consumer that takes about 6 MB/s: the kill lands mid-output
	# (both bounded by wait_for, which kills what still runs)
	mkfifo "$T/fifo"
	perl -e '$| = 1; while (read(STDIN, $b, 65536)) { print $b;
	    select(undef, undef, undef, 0.01) }' <"$T/fifo" >"$T/out1" 3>&- &
	cpid=$!
	BG+=("$cpid")
	dmd-stream get -c "$T/cp" >"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	sleep 0.$((3 + RANDOM % 4))
	kill -KILL "$pid"
	wait_for "$pid" 10
	assert_equal "$st" 137
	wait_for "$cpid" 20
	assert_equal "$st" 0
	n1=$(wc -l <"$T/out1")
	echo "# killed after $n1 of 200000 lines" >&3
	((n1 > 0 && n1 < 200000))
	# the checkpoint is written only after the output: not by this run
	cmp "$T/cp.before" "$T/cp"

	stream get -c "$T/cp" >"$T/out2"
	sed '$ { /}$/!d; }' "$T/out1" >"$T/out1.whole"
	cat "$T/out1.whole" "$T/out2" >"$T/both"
	ndjson "$T/b" >"$T/want"
	covers "$T/both" "$T/want"
	# nothing from before the checkpoint again
	ndjson "$T/a" >"$T/want-a"
	run env LC_ALL=C comm -12 <(sorted -u "$T/want-a") <(sorted -u "$T/both")
	assert_output ''

	run timeout 60 dmd-ingest "$T/out1.whole" "$T/out2"
	assert_success
	query_is 'kr.*' "$T/a" "$T/b"
}

# --- follow ------------------------------------------------------------------

@test "get --follow prints what two producers put while it runs and on SIGTERM exits 0 within 2 s, leaving its checkpoint" {
	dmd_points fo 20 0 10 >"$T/a"
	stream put -n 4 "$T/a"
	dmd-stream get -f -c "$T/cp" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	wait_lines "$T/out" 200 10
	# two producers at once, disjoint series, three puts each
	for w in 1 2; do
		(
			for i in 1 2 3; do
				dmd_points "fo$w" 20 $((i * 10)) 10 >"$T/more$w.$i"
				timeout 60 dmd-stream put "$T/more$w.$i" || exit 1
				sleep 0.$((RANDOM % 5))
			done
		) 3>&- &
		ppid[w]=$!
		BG+=("${ppid[w]}")
	done
	for w in 1 2; do
		wait_for "${ppid[w]}" 60
		assert_equal "$st" 0
	done
	wait_lines "$T/out" 1400 20
	sleep 0.5
	kill -0 "$pid"
	t0=$EPOCHREALTIME
	kill -TERM "$pid"
	wait_for "$pid" 10
	ms=$(ms_since "$t0")
	assert_equal "$st" 0
	echo "# exited ${ms} ms after SIGTERM" >&3
	((ms < 2000))

	ndjson "$T/a" "$T"/more[12].[123] >"$T/want"
	same_lines "$T/want" "$T/out"
	# the checkpoint holds a sequence number for each shard with records
	for k in 0 1 2 3; do
		if [ -n "$(stream get -p "$k" | head -c 1)" ]; then
			[[ $(checkpoint_of "$T/cp" "$k") =~ ^[0-9]{20,}$ ]]
		fi
	done
	# and it said nothing (it warns if it cannot read back the
	# checkpoint it wrote)
	run cat "$T/err"
	assert_output ''
}

# --- faults -----------------------------------------------------------------

@test "put through a proxy that fails 30% of the requests: exit 0, every point there, dmd-ingest of get stores exactly the input; get through it too" {
	# 500, 503, throttling, provisioned throughput, dropped connections;
	# at most 5 in a row, fewer than the 8 tries of a request
	faultproxy_start proxy -r 0.3 -s 42 -m 5 -f 500,503,throttle,provisioned,drop
	direct=$DMD_LOG
	DMD_LOG=$(dmd_kinesis_url "$STREAM" "http://127.0.0.1:$PROXY_PORT")
	export DMD_LOG
	: >"$T/all"
	requests=0 errors=0 start=$SECONDS
	for k in 0 1 2; do
		dmd_points fp 100 $((k * 300)) 300 >"$T/slice"	# 30000 points
		cat "$T/slice" >>"$T/all"
		run --separate-stderr stream put -n 4 -S "$T/slice"
		assert_success
		[ -z "$stderr" ]
		echo "$output" >"$T/stats"
		assert_equal "$(dmd_stat "$T/stats" stream.put_points)" 30000
		requests=$((requests + $(dmd_stat "$T/stats" stream.log_requests)))
		errors=$((errors + $(dmd_stat "$T/stats" stream.log_errors)))
	done
	faults=$(grep -c '^faultproxy: fault ' "$T/proxy.log")
	puts=$(grep -c '^faultproxy: fault .* PutRecords$' "$T/proxy.log" || true)
	kinds=$(sed -n 's/^faultproxy: fault [0-9]* \([a-z0-9]*\) .*/\1/p' "$T/proxy.log" |
		LC_ALL=C sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
	echo "# $faults faults ($kinds), $puts on PutRecords, in $((SECONDS - start)) s;" \
		"puts: $requests requests, $errors failed" >&3
	[ "$faults" -ge 5 ]
	[ "$errors" -ge 5 ]

	# every point there, maybe more than once (a PutRecords answered
	# with a fault after kinesalite stored it is sent again)
	stream get -l "$direct" >"$T/out"
	ndjson "$T/all" >"$T/want"
	covers "$T/out" "$T/want"
	run sh -c "sort -u '$T/out' | wc -l"
	assert_output 90000
	timeout 60 dmd-ingest "$T/out"
	query_is 'fp.*' "$T/all"

	# get through the proxy: GetShardIterator and GetRecords retried
	run --separate-stderr stream get
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/out2"
	same_lines "$T/out" "$T/out2"
}

@test "--from TIME through a proxy that fails 30% of the requests: exit 0, the points put after TIME" {
	dmd_points ft 20 0 10 >"$T/a"
	stream put -n 4 "$T/a"
	t=$(($(date +%s) + 1))
	wait_until "$t"
	dmd_points ft 20 10 10 >"$T/b"
	stream put "$T/b"
	ndjson "$T/b" >"$T/want"
	# three seeds: a fault on GetShardIterator AT_TIMESTAMP is all but
	# certain; every one must be retried as any other request is
	for seed in 1 2 3; do
		faultproxy_start "proxy$seed" -r 0.3 -s "$seed" -m 5 \
			-f 500,503,throttle,provisioned,drop
		run --separate-stderr stream get -s "$t" \
			-l "$(dmd_kinesis_url "$STREAM" "http://127.0.0.1:$PROXY_PORT")"
		echo "# seed $seed: exit $status, $(grep -c 'GetShardIterator$' \
		    "$T/proxy$seed.log") faults on GetShardIterator; $stderr" >&3
		assert_success
		echo "$output" >"$T/out"
		covers "$T/out" "$T/want"
	done
}

@test "PutRecords answers that fail 30% of their records: the failed ones are sent again, exit 0, every point there" {
	partialproxy_start partial 0.3 5 random
	direct=$DMD_LOG
	DMD_LOG=$(dmd_kinesis_url "$STREAM" "http://127.0.0.1:$PROXY_PORT")
	export DMD_LOG
	# 100000 points in batches of 2000: 200 calls of a record or two
	dmd_points pr 100 0 1000 >"$T/in"
	run --separate-stderr stream put -n 4 -b 2000 -S "$T/in"
	assert_success
	[ -z "$stderr" ]
	failed=$(awk '{ s += $6 } END { print s + 0 }' "$T/partial.log")
	echo "# $(wc -l <"$T/partial.log") PutRecords calls, $failed records failed in them" >&3
	[ "$failed" -ge 3 ]
	# from the first failed record of a call on, all are sent again,
	# in order: some points twice (at least once), none missing
	stream get -l "$direct" >"$T/out"
	ndjson "$T/in" >"$T/want"
	covers "$T/out" "$T/want"
	timeout 60 dmd-ingest "$T/out"
	query_is 'pr.*' "$T/in"
}

@test "a partial PutRecords failure keeps a partition's records in order: a point rewritten in the same put keeps its last value" {
	# each call's first record fails once: sent again after the others
	# of the call, it would come after them in the shard
	partialproxy_start partial 0 1 first
	direct=$DMD_LOG
	DMD_LOG=$(dmd_kinesis_url "$STREAM" "http://127.0.0.1:$PROXY_PORT")
	export DMD_LOG
	# 10000 points, then the same (name, time)s with new values, in
	# batches of 2500: the old values first, in calls of their own
	{
		dmd_points ro 100 0 100 0
		dmd_points ro 100 0 100 1
	} >"$T/in"
	run --separate-stderr stream put -n 4 -b 2500 "$T/in"
	assert_success
	[ -z "$stderr" ]
	run grep -c ', 1 failed$' "$T/partial.log"
	[ "$output" -ge 1 ]
	stream get -l "$direct" >"$T/out"
	ndjson "$T/in" >"$T/want"
	covers "$T/out" "$T/want"
	# the new values were put last and stay last: the query answers
	# them, not the old ones
	timeout 60 dmd-ingest "$T/out"
	query_is 'ro.*' "$T/in"
}

@test "kinesalite stopped in the middle of a get: exit 4 with a message, the points before it printed; after a restart a get prints everything" {
	dmd_points ks 100 0 2000 >"$T/in"	# 200000 points
	stream put -n 4 "$T/in"
	# (both bounded by wait_for, which kills what still runs)
	mkfifo "$T/fifo"
	perl -e '$| = 1; while (read(STDIN, $b, 65536)) { print $b;
	    select(undef, undef, undef, 0.01) }' <"$T/fifo" >"$T/out" 3>&- &
	cpid=$!
	BG+=("$cpid")
	dmd-stream get >"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	wait_lines "$T/out" 1 10
	dmd_kinesis_stop TERM
	kinesis_stopped=1
	wait_for "$pid" 30
	assert_equal "$st" 4
	wait_for "$cpid" 20
	n=$(wc -l <"$T/out")
	echo "# stopped after $n of 200000 lines" >&3
	((n > 0 && n < 200000))
	run cat "$T/err"
	assert_output --regexp '^dmd-stream: log: kinesis (GetShardIterator|GetRecords): POST http://127\.0\.0\.1:[0-9]+/: .+$'
	ndjson "$T/in" >"$T/want"
	covers "$T/want" "$T/out"

	dmd_kinesis_restart
	kinesis_stopped=
	stream get >"$T/out2"
	same_lines "$T/want" "$T/out2"
}

@test "an endpoint that refuses connections: get, info and put exit 4 (the log failed), not 2" {
	url=$(dmd_kinesis_url "$STREAM" http://127.0.0.1:1)
	echo 'rf.a 1 1' >"$T/in"
	for cmd in get info put 'put -n 4'; do
		# $cmd: a command and its options, split on purpose
		# shellcheck disable=SC2086
		if [ "${cmd%% *}" = put ]; then
			run --separate-stderr timeout 60 dmd-stream $cmd -l "$url" "$T/in"
		else
			run --separate-stderr timeout 60 dmd-stream $cmd -l "$url"
		fi
		echo "# $cmd: exit $status: $stderr" >&3
		assert_output ''
		assert_stderr --partial "Couldn't connect to server"
		assert_failure 4
	done
}

# --- configuration -------------------------------------------------------------

@test "a missing stream without -n: exit 2 naming ResourceNotFoundException, nothing created" {
	echo 'ms.a 1 1' >"$T/in"
	for cmd in get info put; do
		if [ "$cmd" = put ]; then
			run --separate-stderr stream put "$T/in"
		else
			run --separate-stderr stream "$cmd"
		fi
		assert_failure 2
		assert_output ''
		assert_equal "$stderr" "dmd-stream: log \"$DMD_LOG\": kinesis ListShards: HTTP status 400 ResourceNotFoundException"
	done
	run dmd_kinesis_call DescribeStreamSummary "{\"StreamName\":\"$STREAM\"}"
	assert_output --partial 'ResourceNotFoundException'
}

@test "bad kinesis:// URLs and missing credentials exit 2 with a message, in every command" {
	e=$KINESIS_ENDPOINT
	stream put -n 1 -l "$(dmd_kinesis_url dmd-bad)" </dev/null
	for url in 'kinesis://' "kinesis://?endpoint=$e" \
	    "kinesis://dmd-bad:4567?endpoint=$e" "kinesis://dmd-bad/sub?endpoint=$e" \
	    "kinesis://a%20b?endpoint=$e" "kinesis://a,b?endpoint=$e"; do
		for cmd in get info put; do
			run --separate-stderr stream "$cmd" -l "$url" </dev/null
			assert_failure 2
			assert_output ''
			assert_stderr --partial "dmd-stream: log \"$url\": bad stream name"
		done
	done
	for cmd in get info put; do
		url="kinesis://dmd-bad?endpoint=$e&foo=1"
		run --separate-stderr stream "$cmd" -l "$url" </dev/null
		assert_failure 2
		assert_stderr "dmd-stream: log \"$url\": unknown parameter \"foo\" (want region, endpoint)"
		url="kinesis://dmd-bad?endpoint=ftp://127.0.0.1:1"
		run --separate-stderr stream "$cmd" -l "$url" </dev/null
		assert_failure 2
		assert_stderr --partial 'endpoint "ftp://127.0.0.1:1": want http:// or https://'
		for unset in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
			run --separate-stderr env -u "$unset" timeout 60 dmd-stream "$cmd" \
				-l "$(dmd_kinesis_url dmd-bad)" </dev/null
			assert_failure 2
			assert_stderr --partial 'no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'
		done
	done
	# the good URL still works
	run stream get -l "$(dmd_kinesis_url dmd-bad)"
	assert_success
}

@test "the secret key and session token appear in no output, on success or failure" {
	secret=dmdSECRETe5b1c0ffee9a
	token=dmdTOKEN77aa0d9e
	export AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
	dmd_points sc 10 0 10 >"$T/in"
	faultproxy_start proxy -r 0.5 -s 3 -m 3
	{
		stream put -n 2 -S "$T/in"
		stream get -S
		stream info
		stream get -c "$T/cp" -S -l "$(dmd_kinesis_url "$STREAM" "http://127.0.0.1:$PROXY_PORT")"
		stream get -l "$(dmd_kinesis_url dmd-none)"
		stream put -S -l "$(dmd_kinesis_url dmd-none)" "$T/in"
		stream put -S -l "$(dmd_kinesis_url "$STREAM" http://127.0.0.1:1)" "$T/in"
		stream get -l "kinesis://$STREAM?endpoint=$KINESIS_ENDPOINT&x=1"
		env -u AWS_ACCESS_KEY_ID timeout 60 dmd-stream get
		stream get -s $(($(date +%s) + 3600))
	} >"$T/out" 2>&1 || true
	# it printed points, counters and errors: something to look at
	grep -q '"name":"sc\.s000"' "$T/out"
	grep -q 'stream\.log_requests' "$T/out"
	grep -q 'ResourceNotFoundException' "$T/out"
	grep -q 'no credentials' "$T/out"
	run grep -c -e "$secret" -e "$token" "$T/out"
	assert_output 0
}
