#!/usr/bin/env bats
# The dynamodb:// table tier, on dynalite (t/servers): dmd-flush writes
# chunks as DynamoDB items, dmd-query and dmd-archive read them back;
# --create-table, the item layout, ?ttl=, billed units in --stats, bad
# URLs and credentials, the secret kept out of every output, and faults:
# a proxy that fails requests (t/helpers/faultproxy), a missing table,
# and dynalite stopped in the middle of a flush.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() {
	dmd_redis_start
	dmd_dynamo_start
}

teardown_file() {
	dmd_dynamo_teardown
	dmd_redis_teardown
}

setup() {
	[ -z "${DYNAMO_SKIP:-}" ] || skip "$DYNAMO_SKIP"
	dmd_reset
	T=$BATS_TEST_TMPDIR
	# a table of its own for each test
	TABLE=dmd-t$BATS_TEST_NUMBER
	DMD_TABLE=$(dmd_dynamo_url "$TABLE")
	export DMD_TABLE
}

teardown() {
	local p
	for p in ${bg_pids:-}; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# a test that stopped dynalite and failed before it restarted it
	if [ -n "${dynamo_stopped:-}" ]; then
		dmd_dynamo_restart
	fi
	return 0
}

B=1732406400

# Every command is bounded: a hung request fails the test, not the run.
ingest() { timeout 60 dmd-ingest "$@"; }
flush_all() { timeout 60 dmd-flush -n 1 -a 100w "$@"; }
query_all() { timeout 60 dmd-query -f 0 -u 2000000000 "$@"; }

# dmd-gen's NDJSON, HOSTS hosts x 10 metrics for SECONDS from START.
gen() {
	timeout 60 dmd-gen -H "$1" -d "$2" -s "$3"
}

# NDJSON points, sorted, values as dmd-query prints them: dmd-gen writes
# 3.40 where dmd-query prints 3.4.
canon() {
	sed -E 's/("value":-?[0-9]+\.[0-9]*[1-9])0+}/\1}/; s/("value":-?[0-9]+)\.0+}/\1}/' "$@" |
		LC_ALL=C sort
}

# The query answer for host*.*.* (query ARGS first) must be exactly the
# points of the dmd-gen files given.
check_answer() {
	local -a args=()
	while [ "$#" -gt 0 ] && [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	canon "$@" >"$T/expected"
	query_all "${args[@]}" 'host*.*.*' >"$T/answer"
	LC_ALL=C sort "$T/answer" >"$T/got"
	diff -u "$T/expected" "$T/got"
}

# The number of cached keys matching PATTERN, in one round trip.
count_keys() {
	rcli eval "return #redis.call('keys', ARGV[1])" 0 "$1"
}

# The number of interrupted flushes the cache records (entries of the
# fz hashes).
fz_entries() {
	rcli eval "local n = 0
		for _, k in ipairs(redis.call('keys', 'dmd:*:fz')) do
			n = n + redis.call('hlen', k)
		end
		return n" 0
}

# Start t/helpers/faultproxy NAME ARGS...: its port in PROXY_PORT, its
# log (a line per fault) in $T/NAME.log, stopped by teardown.
proxy_start() {
	local name=$1 i pid
	shift
	node "$DMD_SRCDIR/t/helpers/faultproxy" "$@" >"$T/$name.out" \
		2>"$T/$name.log" 3>&- &
	pid=$!
	bg_pids="${bg_pids:-} $pid"
	PROXY_PORT=
	for i in $(seq 1 100); do
		PROXY_PORT=$(sed -n 's/^faultproxy listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
			"$T/$name.out")
		[ -n "$PROXY_PORT" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	cat "$T/$name.log" >&2
	return 1
}

@test "the fault proxy passes keep-alive and chunked answers through, and fails requests as told" {
	# a target that answers in chunks of its own timing
	timeout 60 node -e '
	require("http").createServer((q, s) => {
		s.write("a".repeat(5000));
		setTimeout(() => s.end(q.method + " " + q.url + " " +
		    (q.headers["x-test"] || "") + "\n"), 20);
	}).listen(0, "127.0.0.1", function () {
		console.log(this.address().port);
	});' >"$T/target.out" 3>&- &
	bg_pids=$!
	for i in $(seq 1 100); do
		[ -s "$T/target.out" ] && break
		sleep 0.05
	done
	target="http://127.0.0.1:$(cat "$T/target.out")"

	proxy_start clean -r 0 "$target"
	run --separate-stderr timeout 10 curl -sS -v -H 'X-Test: kept' \
		"http://127.0.0.1:$PROXY_PORT/x" "http://127.0.0.1:$PROXY_PORT/y?q=1"
	assert_success
	assert_output "$(printf '%5000s' '' | tr ' ' a)GET /x kept
$(printf '%5000s' '' | tr ' ' a)GET /y?q=1 kept"
	assert_stderr_line --partial 'Transfer-Encoding: chunked'
	assert_stderr_line --partial 'Re-using existing connection'
	run cat "$T/clean.log"
	assert_output ''

	proxy_start throttle -r 1 -f throttle "$target"
	run timeout 10 curl -sS -w ' %{http_code}\n' -H 'X-Amz-Target: DynamoDB_20120810.Query' \
		"http://127.0.0.1:$PROXY_PORT/"
	assert_output --regexp '^\{"__type":"com\.amazonaws\.dynamodb\.v20120810#ThrottlingException","message":".*"\} 400$'
	proxy_start slow -r 1 -f 503 "$target"
	run timeout 10 curl -sS -w ' %{http_code}\n' "http://127.0.0.1:$PROXY_PORT/b/k"
	assert_output --partial '<Code>SlowDown</Code>'
	assert_output --partial ' 503'
	proxy_start drop -r 1 -f drop "$target"
	run timeout 10 curl -sS "http://127.0.0.1:$PROXY_PORT/"
	assert_failure 52	# empty reply from server
	run grep -c '^faultproxy: fault 1 drop \(before\|after\) GET /$' "$T/drop.log"
	assert_output 1
	# the same seed fails the same requests
	proxy_start s1 -r 0.5 -s 9 -f 500 "$target"
	for i in $(seq 1 20); do
		timeout 10 curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/$i"
	done
	proxy_start s2 -r 0.5 -s 9 -f 500 "$target"
	for i in $(seq 1 20); do
		timeout 10 curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/$i"
	done
	cmp "$T/s1.log" "$T/s2.log"
	n=$(wc -l <"$T/s1.log")
	[ "$n" -ge 4 ] && [ "$n" -le 16 ]
}

@test "flushes 100 series in four flushes: cache and table answer the input at every step; the items; a second flush moves nothing" {
	run flush_all -C
	assert_success
	: >"$T/all"
	for k in 0 1 2 3; do
		gen 10 21600 $((B + k * 21600)) >"$T/slice"
		ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		check_answer -- "$T/all"
		run --separate-stderr flush_all -S
		assert_success
		[ -z "$stderr" ]
		echo "$output" >"$T/stats"
		[ "$(dmd_stat "$T/stats" flush.series)" = 100 ]
		[ "$(dmd_stat "$T/stats" flush.points)" = 36000 ]
		[ "$(dmd_stat "$T/stats" flush.chunks)" = 100 ]
		[ "$(dmd_stat "$T/stats" flush.table_errors)" = 0 ]
		check_answer -- "$T/all"
		[ "$(count_keys 'dmd:*:[cf]:*')" = 0 ]
	done
	# the table alone, from an empty cache database
	check_answer -c "unix://$REDIS_SOCK?db=1" -- "$T/all"

	# 400 chunk items of 360 points: n the name, k LAST.SEQ.FIRST with
	# f and l, d the chunk, no x without ?ttl=
	dmd_dynamo_items "$TABLE" >"$T/items"
	grep -v '^#' "$T/items" >"$T/chunks"
	run wc -l <"$T/chunks"
	assert_output 400
	run grep -Ev $'^host000[0-9]\\.[a-z_.0-9]+\t[0-9]{12}\\.[0-9a-f]{16}\\.[0-9]{12}\t[0-9]+\t[0-9]+\t-\t[1-9][0-9]*$' "$T/chunks"
	assert_output ''
	run awk -F'\t' 'substr($2, 1, 12) + 0 != $4 || substr($2, 31, 12) + 0 != $3 ||
		$4 - $3 != 359 * 60 || ($3 - '"$B"') % 21600 != 0' "$T/chunks"
	assert_output ''
	# four flushes, four sequence numbers per series, growing with time
	run awk -F'\t' '{ seq = substr($2, 14, 16) }
		$1 == prev && seq <= pseq { print } { prev = $1; pseq = seq }' "$T/chunks"
	assert_output ''
	# the names: listed once each, under "#n:GG", one GG for a host
	grep '^#' "$T/items" >"$T/names"
	run grep -Ev $'^#n:[0-9a-f]{2}\thost000[0-9]\\.[a-z_.0-9]+\t-\t-\t-\t-$' "$T/names"
	assert_output ''
	cut -f2 "$T/names" | LC_ALL=C sort >"$T/listed"
	sed 's/^{"name":"\([^"]*\)".*/\1/' "$T/all" | LC_ALL=C sort -u >"$T/series"
	cmp "$T/series" "$T/listed"
	cut -f1,2 "$T/names" | sed 's/\..*//' | LC_ALL=C sort -u >"$T/groups"
	run wc -l <"$T/groups"
	assert_output 10

	# nothing is due: nothing moves, nothing is written
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 0 ]
	[ "$(dmd_stat "$T/stats" flush.chunks)" = 0 ]
	[ "$(dmd_stat "$T/stats" flush.table_requests)" = 0 ]
	dmd_dynamo_items "$TABLE" | cmp - "$T/items"
	check_answer -- "$T/all"
}

@test "--create-table creates a PAY_PER_REQUEST table keyed n, k and waits until it is ACTIVE; an existing table is fine" {
	run --separate-stderr timeout 60 dmd-flush -C
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	run dmd_dynamo_call DescribeTable "{\"TableName\":\"$TABLE\"}"
	assert_success
	assert_output --partial '"TableStatus":"ACTIVE"'
	assert_output --partial '"KeySchema":[{"AttributeName":"n","KeyType":"HASH"},{"AttributeName":"k","KeyType":"RANGE"}]'
	assert_output --partial '"AttributeDefinitions":[{"AttributeName":"n","AttributeType":"S"},{"AttributeName":"k","AttributeType":"S"}]'
	assert_output --partial '"BillingMode":"PAY_PER_REQUEST"'

	# again, with points to move
	gen 2 3600 $B >"$T/in"
	ingest "$T/in"
	run --separate-stderr flush_all -C --create-table -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.points)" = 1200 ]
	check_answer -- "$T/in"

	# a table created a moment ago is still CREATING: -C waits for it
	other=dmd-creating$BATS_TEST_NUMBER
	run dmd_dynamo_call CreateTable "{\"TableName\":\"$other\",\"BillingMode\":\"PAY_PER_REQUEST\",
		\"AttributeDefinitions\":[{\"AttributeName\":\"n\",\"AttributeType\":\"S\"},{\"AttributeName\":\"k\",\"AttributeType\":\"S\"}],
		\"KeySchema\":[{\"AttributeName\":\"n\",\"KeyType\":\"HASH\"},{\"AttributeName\":\"k\",\"KeyType\":\"RANGE\"}]}"
	assert_output --partial '"TableStatus":"CREATING"'
	ingest "$T/in"
	run --separate-stderr flush_all -C -S -t "$(dmd_dynamo_url "$other")"
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.points)" = 1200 ]
	check_answer -t "$(dmd_dynamo_url "$other")" -- "$T/in"
}

@test "without --create-table a missing table fails with exit 4 naming ResourceNotFoundException; nothing is lost; a -C run moves the points" {
	gen 3 3600 $B >"$T/in"
	ingest "$T/in"
	run --separate-stderr flush_all
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-flush: table: dynamodb [A-Za-z]+: HTTP status 400 ResourceNotFoundException$'
	# the series it froze wait in the cache, readable
	frozen=$(count_keys 'dmd:*:f:*')
	[ "$frozen" -ge 1 ]
	check_answer -t '' -- "$T/in"
	# a query of a table that does not exist fails too (a file:// table
	# reads as empty: a DynamoDB table is there or misconfigured)
	run --separate-stderr query_all 'host*.*.*'
	assert_failure 4
	assert_stderr --partial 'ResourceNotFoundException'

	run --separate-stderr flush_all -C -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" flush.series)" = 30 ]
	[ "$(dmd_stat "$T/stats" flush.resumed)" = "$frozen" ]
	[ "$(dmd_stat "$T/stats" flush.points)" = 1800 ]
	check_answer -- "$T/in"
	[ "$(count_keys 'dmd:*:[cf]:*')" = 0 ]
	[ "$(fz_entries)" = 0 ]
}

@test "a pattern finds series that only the DynamoDB table holds, after the cache is wiped" {
	dmd_points g 12 0 4 >"$T/in"
	dmd_points h 2 0 4 >"$T/h"
	ingest "$T/in" "$T/h"
	run flush_all -C
	assert_success
	# FLUSHALL drops the cache's name sets too: only the table knows them
	rcli flushall >/dev/null
	run dmd_keys '*'
	assert_output ''
	dmd_expect "$T/in" >"$T/expected"
	query_all 'g.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	run query_all -o tsv -f $((B + 180)) 'g.s00[2-4]' '*.s011'
	assert_output - <<-EOF
	g.s002	20003	$((B + 180))
	g.s003	30003	$((B + 180))
	g.s004	40003	$((B + 180))
	g.s011	110003	$((B + 180))
	EOF
	for pat in '{g,h}.s001' '*.s001' '[gh].s001' '?.s001' '{h,g,h}.s00{1,1}'; do
		run query_all -o tsv -f $((B + 180)) "$pat"
		assert_output - <<-EOF
		g.s001	10003	$((B + 180))
		h.s001	10003	$((B + 180))
		EOF
	done
	dmd_expect "$T/in" "$T/h" >"$T/expected"
	query_all '*.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	query_all 'h.*' 'g.*' '{g,h}.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
	# a name the cache knows as well is listed once
	printf 'g.s001 7 %d\ng.new 9 %d\n' $((B + 60)) $B | tee -a "$T/in" | ingest
	dmd_expect "$T/in" >"$T/expected"
	query_all 'g.*' >"$T/got"
	diff -u "$T/expected" "$T/got"
}

@test "dmd-archive moves the chunks of the DynamoDB table into a file:// archive; the query still answers the input" {
	gen 5 86400 $B >"$T/in"
	ingest "$T/in"
	run flush_all -C
	assert_success
	# a day in the table, a day in the cache
	gen 5 86400 $((B + 86400)) >"$T/in2"
	ingest "$T/in2"
	check_answer -- "$T/in" "$T/in2"

	run --separate-stderr timeout 60 dmd-archive -S -o 1d
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	[ "$(dmd_stat "$T/stats" archive.points)" = 72000 ]
	[ "$(dmd_stat "$T/stats" archive.chunks)" = 50 ]
	[ "$(dmd_stat "$T/stats" archive.table_errors)" = 0 ]
	# a unit per chunk deleted
	[ "$(dmd_stat "$T/stats" archive.table_write_units)" = 50 ]
	# the table keeps no chunk, only the names; the archive has objects
	dmd_dynamo_items "$TABLE" >"$T/items"
	run grep -vc '^#' "$T/items"
	assert_output 0
	run grep -c '^#' "$T/items"
	assert_output 50
	run dmd_objects
	[ "${#lines[@]}" -ge 1 ]
	# the names' groups #n:GG are the archive's gGG: the same hash
	sed -n 's/^#n:\([0-9a-f]*\)\t.*/\1/p' "$T/items" | LC_ALL=C sort -u >"$T/gg.table"
	dmd_objects | sed -n 's|^g\([0-9a-f]*\)/.*|\1|p' | LC_ALL=C sort -u >"$T/gg.archive"
	run wc -l <"$T/gg.table"
	[ "$output" -ge 2 ]
	cmp "$T/gg.table" "$T/gg.archive"

	check_answer -- "$T/in" "$T/in2"
	# and once the second day went the same way, from the archive alone
	run flush_all
	assert_success
	rcli flushall >/dev/null
	check_answer -- "$T/in" "$T/in2"
	# without the table, the archive answers for the first day (a
	# pattern needs the names the table lists: see dmd-query(1))
	grep '"host0001\.cpu\.user"' "$T/in" | canon >"$T/expected"
	query_all -t '' host0001.cpu.user >"$T/got"
	diff -u "$T/expected" "$T/got"
}

@test "--stats counts billed units: at most 2000 write units per million points once the names are listed" {
	gen 5 86400 $B >"$T/day1"
	ingest "$T/day1"
	run --separate-stderr flush_all -C -S
	assert_success
	echo "$output" >"$T/stats1"
	gen 5 86400 $((B + 86400)) >"$T/day2"
	ingest "$T/day2"
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats2"
	for s in 1 2; do
		[ "$(dmd_stat "$T/stats$s" flush.points)" = 72000 ]
		[ "$(dmd_stat "$T/stats$s" flush.chunks)" = 50 ]
		w[s]=$(dmd_stat "$T/stats$s" flush.table_write_units)
		r[s]=$(dmd_stat "$T/stats$s" flush.table_read_units)
		[ -n "${w[s]}" ] && [ -n "${r[s]}" ]
	done
	# the first flush lists 50 names too: a unit each
	[ "${w[1]}" -ge $((50 + 50)) ]
	# then the names are found listed (read units), and only chunks
	# are written: a unit per started KB of an item, 1440 points a chunk
	[ "${w[2]}" -ge 50 ] && [ "${w[2]}" -lt "${w[1]}" ]
	[ "$(awk -v r="${r[2]}" 'BEGIN { print (r > 0) }')" = 1 ]
	per_million=$(( w[2] * 1000000 / 72000 ))
	echo "# write units: first flush ${w[1]}, then ${w[2]}" \
		"($per_million per million points); read units ${r[1]}, ${r[2]}" >&3
	[ "$per_million" -le 2000 ]
	check_answer -- "$T/day1" "$T/day2"
	# dmd-query counts what it read
	run query_all -S -t "$DMD_TABLE" 'host0000.cpu.user'
	assert_line --regexp '^\{"name":"dmd\..*\.query\.table_read_units","time":[0-9]+,"value":[0-9.]*[1-9][0-9.]*\}$'
}

@test "?ttl=30d gives every chunk item an expiry x = l + 2592000, and the name items none" {
	export DMD_TABLE="$DMD_TABLE&ttl=30d"
	gen 2 7200 $B >"$T/in"
	ingest "$T/in"
	run --separate-stderr flush_all -C -S
	assert_success
	[ -z "$stderr" ]
	dmd_dynamo_items "$TABLE" >"$T/items"
	run grep -vc '^#' "$T/items"
	assert_output 20
	run awk -F'\t' '$1 !~ /^#/ && $5 != $4 + 2592000' "$T/items"
	assert_output ''
	run awk -F'\t' '$1 ~ /^#/ && $5 != "-"' "$T/items"
	assert_output ''
	check_answer -- "$T/in"
}

@test "exits 2 for a bad dynamodb:// URL, in every program, and moves nothing" {
	gen 1 600 $B >"$T/in"
	ingest "$T/in"
	e=$DYNAMO_ENDPOINT
	for url in 'dynamodb://' "dynamodb://?endpoint=$e" 'dynamodb://ab' \
	    "dynamodb://dmd/sub?endpoint=$e" "dynamodb://a%20b?endpoint=$e"; do
		run --separate-stderr flush_all -t "$url"
		assert_failure 2
		assert_stderr --partial "dmd-flush: table \"$url\": bad table name"
	done
	# $prog: a command and its arguments, split on purpose
	# shellcheck disable=SC2086
	for prog in 'timeout 60 dmd-flush' 'timeout 60 dmd-query -f 0 x.y' \
	    'timeout 60 dmd-archive'; do
		run --separate-stderr $prog -t "dynamodb://dmd?endpoint=$e&ttl=abc"
		assert_failure 2
		assert_stderr --partial 'ttl "abc": want a duration such as 30d'
		run --separate-stderr $prog -t "dynamodb://dmd?endpoint=$e&ttl=0"
		assert_failure 2
		assert_stderr --partial 'ttl "0": want a duration'
		run --separate-stderr $prog -t 'dynamodb://dmd?endpoint=ftp://127.0.0.1:1'
		assert_failure 2
		assert_stderr --partial 'endpoint "ftp://127.0.0.1:1": want http:// or https://'
		run --separate-stderr $prog -t 'dynamodb://'
		assert_failure 2
		assert_stderr --partial 'bad table name'
	done
	# nothing moved by any of them
	[ "$(count_keys 'dmd:*:c:*')" = 10 ]
	[ "$(count_keys 'dmd:*:f:*')" = 0 ]
}

@test "exits 2 naming the variables when the credentials are missing, and moves nothing" {
	gen 1 600 $B >"$T/in"
	ingest "$T/in"
	# shellcheck disable=SC2086
	for prog in 'timeout 60 dmd-flush' 'timeout 60 dmd-query -f 0 x.y' \
	    'timeout 60 dmd-archive'; do
		for unset in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; do
			run --separate-stderr env -u "$unset" $prog
			assert_failure 2
			assert_stderr --partial 'no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'
		done
		run --separate-stderr env AWS_SECRET_ACCESS_KEY= $prog
		assert_failure 2
		assert_stderr --partial 'no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'
	done
	[ "$(count_keys 'dmd:*:c:*')" = 10 ]
	[ "$(count_keys 'dmd:*:f:*')" = 0 ]
}

@test "the secret key and session token appear in no output, on success or failure" {
	secret=dmdSECRETe5b1c0ffee9a
	token=dmdTOKEN77aa0d9e
	export AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
	gen 2 3600 $B >"$T/in"
	ingest "$T/in"
	{
		flush_all -C -S
		query_all -S -o tsv 'host*.*.*'
		ingest "$T/in"
		flush_all -S -t "$(dmd_dynamo_url dmd-none)"
		query_all -S 'host*.*.*' -t "$(dmd_dynamo_url dmd-none)"
		# nobody there: every try fails
		flush_all -S -t "$(dmd_dynamo_url "$TABLE" http://127.0.0.1:1)"
		flush_all -t "dynamodb://dmd?endpoint=$DYNAMO_ENDPOINT&ttl=x"
		env -u AWS_ACCESS_KEY_ID timeout 60 dmd-flush
		flush_all -C -S
		timeout 60 dmd-archive -S -o 1d
	} >"$T/out" 2>&1 || true
	# it printed counters and errors: the check has something to look at
	grep -q 'flush\.table_write_units' "$T/out"
	grep -q 'archive\.table_read_units' "$T/out"
	grep -q 'ResourceNotFoundException' "$T/out"
	grep -q '^dmd-flush: table: dynamodb ' "$T/out"
	grep -q 'no credentials' "$T/out"
	run grep -c -e "$secret" -e "$token" "$T/out"
	assert_output 0
	check_answer -- "$T/in"
}

@test "through a proxy that fails 30% of the requests, flushes and queries answer the input, the retries counted" {
	# 500, 503, throttling, dropped connections and unprocessed batches;
	# at most 4 in a row, fewer than the 8 tries of a request
	proxy_start proxy -r 0.3 -s 42 -m 4 \
		-f 500,503,throttle,provisioned,drop,unprocessed "$DYNAMO_ENDPOINT"
	direct=$DMD_TABLE
	export DMD_TABLE=$(dmd_dynamo_url "$TABLE" "http://127.0.0.1:$PROXY_PORT")
	: >"$T/all"
	requests=0 errors=0 start=$SECONDS
	for k in 0 1 2; do
		gen 30 2400 $((B + k * 2400)) >"$T/slice"
		ingest "$T/slice"
		cat "$T/slice" >>"$T/all"
		run --separate-stderr flush_all -C -S
		assert_success
		[ -z "$stderr" ]
		echo "$output" >"$T/stats"
		[ "$(dmd_stat "$T/stats" flush.series)" = 300 ]
		[ "$(dmd_stat "$T/stats" flush.points)" = 12000 ]
		requests=$((requests + $(dmd_stat "$T/stats" flush.table_requests)))
		errors=$((errors + $(dmd_stat "$T/stats" flush.table_errors)))
		[ "$(count_keys 'dmd:*:[cf]:*')" = 0 ]
	done
	# the query through the proxy answers the input, retrying as well
	canon "$T/all" >"$T/expected"
	query_all -S 'host*.*.*' >"$T/answer"
	grep -v '^{"name":"dmd\.' "$T/answer" | LC_ALL=C sort >"$T/got"
	diff -u "$T/expected" "$T/got"
	qerr=$(dmd_stat "$T/answer" query.table_errors)
	faults=$(grep -c '^faultproxy: fault ' "$T/proxy.log")
	kinds=$(sed -n 's/^faultproxy: fault [0-9]* \([a-z0-9]*\) .*/\1/p' "$T/proxy.log" |
		LC_ALL=C sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
	echo "# $faults faults ($kinds) in $((SECONDS - start)) s; flushes:" \
		"$requests table requests, $errors failed; last query $qerr failed" >&3
	[ "$faults" -ge 30 ]
	[ "$errors" -ge 10 ]
	[ "$qerr" -ge 1 ]
	# the table holds what a run without faults writes: 900 chunks and
	# 300 names, none twice
	dmd_dynamo_items "$TABLE" >"$T/items"
	run grep -vc '^#' "$T/items"
	assert_output 900
	run grep -c '^#' "$T/items"
	assert_output 300
	check_answer -t "$direct" -- "$T/all"
}

@test "dynalite stopped in the middle of a flush: exit 4, the cache keeps what was not written, a rerun after the restart finishes, nothing lost" {
	run flush_all -C
	assert_success
	gen 300 1200 $B >"$T/in"
	ingest "$T/in"
	timeout 60 dmd-flush -n 1 -a 100w -S >"$T/stats1" 2>"$T/err1" 3>&- &
	pid=$!
	bg_pids=$pid
	# stop it once the flush has moved some series and has more to move
	for i in $(seq 1 1000); do
		left=$(count_keys 'dmd:*:[cf]:*')
		[ "$left" -lt 3000 ] && [ "$left" -gt 0 ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	dmd_dynamo_stop TERM
	dynamo_stopped=1
	rc=0
	wait "$pid" || rc=$?
	bg_pids=
	echo "# stopped with $left of 3000 series cached, after $i polls" >&3
	[ "$rc" = 4 ]
	run cat "$T/err1"
	assert_output --regexp '^dmd-flush: table: dynamodb [A-Za-z]+: '
	# the counters of a failed run count what it did
	moved=$(dmd_stat "$T/stats1" flush.series)
	[ "$moved" -ge 1 ] && [ "$moved" -lt 3000 ]
	# the series of the failed write stay frozen in the cache
	frozen=$(count_keys 'dmd:*:f:*')
	[ "$frozen" -ge 1 ]
	[ $((moved + $(count_keys 'dmd:*:[cf]:*'))) = 3000 ]

	dmd_dynamo_restart
	dynamo_stopped=
	# nothing lost while it was down
	check_answer -- "$T/in"
	run --separate-stderr flush_all -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats2"
	[ "$(dmd_stat "$T/stats2" flush.resumed)" = "$frozen" ]
	[ $((moved + $(dmd_stat "$T/stats2" flush.series))) = 3000 ]
	check_answer -- "$T/in"
	[ "$(count_keys 'dmd:*:[cf]:*')" = 0 ]
	# a chunk per series, the resumed ones written again under their keys
	dmd_dynamo_items "$TABLE" >"$T/items"
	run grep -vc '^#' "$T/items"
	assert_output 3000
	run grep -c '^#' "$T/items"
	assert_output 3000
}
