#!/usr/bin/env bats
# dmd-e2e: the end-to-end probe.  A probe point written through the cache
# is read back through the merged cache and table read, and stays stored;
# the output points (latency, success, with -N the percentiles and
# failures) and dmd-ingest taking them; a cache that fails (exit 4), a
# cache that acknowledges writes and loses them (exit 6), usage errors.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
	# the host part of the names dmd-e2e prints (dmd_hostname())
	H=$(uname -n)
	H=${H%%.*}
	H=$(printf '%s' "${H:0:63}" | tr -c 'A-Za-z0-9_-' _)
	[ -n "$H" ] || H=localhost
	PROBE=dmd.e2e.$H.probe
}

teardown() {
	if [ -n "${lossy_pid:-}" ]; then
		kill -KILL "$lossy_pid" 2>/dev/null || true
		wait "$lossy_pid" 2>/dev/null || true
	fi
	if [ -n "${lossy_dir:-}" ]; then
		rm -rf "$lossy_dir"
	fi
	return 0
}

NUM='[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?'

# The regular expression of an output line: point NAME [VALUE-REGEX]
point_re() {
	printf '^\\{"name":"dmd\\.e2e\\.%s\\.%s","time":([0-9]+),"value":(%s)\\}$' \
		"$H" "$1" "${2:-$NUM}"
}

# The value of output point NAME in $output.
value_of() {
	printf '%s\n' "$output" |
		sed -n 's/^{"name":"dmd\.e2e\.[^"]*\.'"$1"'","time":[0-9]*,"value":\(.*\)}$/\1/p'
}

# The times of the output points in $output, one a line.
times_of() {
	printf '%s\n' "$output" | sed -n 's/.*"time":\([0-9]*\),.*/\1/p'
}

# A private redis-server that acknowledges the RPUSH of a block and stores
# nothing: RPUSH is renamed away and PUBLISH, which takes the same two
# arguments and answers an integer, renamed to RPUSH.  A real server with
# a real fault: a cache that loses acknowledged writes.  Sets lossy_dir,
# lossy_sock and lossy_pid (teardown stops it by that PID).
lossy_redis_start() {
	lossy_dir=$(mktemp -d /tmp/dmd-t.XXXXXX)
	lossy_sock=$lossy_dir/redis.sock
	redis-server --port 0 --unixsocket "$lossy_sock" --unixsocketperm 700 \
		--dir "$lossy_dir" --save '' --appendonly no \
		--logfile "$lossy_dir/redis.log" --daemonize no \
		--rename-command RPUSH '' --rename-command PUBLISH RPUSH \
		3>&- >/dev/null 2>&1 &
	lossy_pid=$!
	local i
	for i in $(seq 1 100); do
		if redis-cli -s "$lossy_sock" ping >/dev/null 2>&1; then
			break
		fi
		_dmd_alive "$lossy_pid" || break
		sleep 0.05
	done
	redis-cli -s "$lossy_sock" ping >/dev/null 2>&1 ||
		skip "redis-server does not start with rename-command: $(tail -3 "$lossy_dir/redis.log")"
	# it is the fault asked for: RPUSH answers, and nothing is stored
	run redis-cli -s "$lossy_sock" RPUSH k v
	assert_success
	assert_output 0
	run redis-cli -s "$lossy_sock" EXISTS k
	assert_output 0
}

@test "dmd-e2e --help prints the synopsis on stdout and exits 0; -h is the same" {
	run --separate-stderr dmd-e2e --help
	assert_success
	assert_line --index 0 --regexp '^usage: dmd-e2e \[-hV\]'
	assert_stderr ''
	local long=$output
	run --separate-stderr dmd-e2e -h
	assert_success
	assert_output "$long"
}

@test "dmd-e2e --version and -V print its name and version" {
	run --separate-stderr dmd-e2e --version
	assert_success
	assert_output 'dmd-e2e 0.1.0'
	assert_stderr ''
	run dmd-e2e -V
	assert_output 'dmd-e2e 0.1.0'
}

@test "one probe: exit 0, latency_ms (a number >= 0) and success 1, stamped now, quiet" {
	local t0 t1 t
	t0=$(date +%s)
	run --separate-stderr dmd-e2e
	t1=$(date +%s)
	assert_success
	assert_stderr ''
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re latency_ms)"
	assert_line --index 1 --regexp "$(point_re success 1)"
	awk -v v="$(value_of latency_ms)" 'BEGIN { exit !(v + 0 >= 0) }'
	for t in $(times_of); do
		[ "$t" -ge "$t0" ]
		[ "$t" -le "$t1" ]
	done
}

@test "the probe point is stored under dmd.e2e.HOST.probe: one integer value at the time of the run" {
	local t0 t1
	t0=$(date +%s)
	run dmd-e2e
	assert_success
	t1=$(date +%s)
	run dmd_query_all "$PROBE"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^\{"name":"'"${PROBE//./\\.}"'","time":[0-9]+,"value":[0-9]+\}$'
	local t=${output#*\"time\":}
	t=${t%%,*}
	[ "$t" -ge "$t0" ]
	[ "$t" -le "$t1" ]
	# and it is the cache that holds it
	run dmd_keys "dmd:*:c:$PROBE"
	assert_output --regexp "^dmd:\{s[0-9]{4}\}:c:${PROBE//./\\.}\$"
}

@test "-N 5 -i 0: median, p99, max, success 1 and failures 0, in that order" {
	run --separate-stderr dmd-e2e -N 5 -i 0
	assert_success
	assert_stderr ''
	[ "${#lines[@]}" -eq 5 ]
	assert_line --index 0 --regexp "$(point_re latency_ms)"
	assert_line --index 1 --regexp "$(point_re latency_ms_p99)"
	assert_line --index 2 --regexp "$(point_re latency_ms_max)"
	assert_line --index 3 --regexp "$(point_re success 1)"
	assert_line --index 4 --regexp "$(point_re failures 0)"
	# of 5 latencies the 99th percentile by nearest rank is the greatest
	[ "$(value_of latency_ms_p99)" = "$(value_of latency_ms_max)" ]
	awk -v m="$(value_of latency_ms)" -v x="$(value_of latency_ms_max)" \
		'BEGIN { exit !(m + 0 >= 0 && m + 0 <= x + 0) }'
	# the store keeps one point per (name, time): probes within one
	# second replace each other
	run dmd_query_all "$PROBE"
	[ "${#lines[@]}" -ge 1 ]
	[ "${#lines[@]}" -le 2 ]
}

@test "-N 5 one second apart stores 5 probe points with 5 distinct times and values" {
	run --separate-stderr dmd-e2e -N 5 -i 1100ms
	assert_success
	assert_line --index 3 --regexp "$(point_re success 1)"
	assert_line --index 4 --regexp "$(point_re failures 0)"
	dmd_query_all "$PROBE" >"$T/probes"
	run wc -l <"$T/probes"
	assert_output 5
	run sh -c "sed 's/.*\"time\":\([0-9]*\),.*/\1/' '$T/probes' | sort -u | wc -l"
	assert_output 5
	run sh -c "sed 's/.*\"value\":\([0-9]*\)}\$/\1/' '$T/probes' | sort -u | wc -l"
	assert_output 5
	run grep -vc '"value":[0-9][0-9]*}$' "$T/probes"
	assert_output 0
}

@test "--name writes the probes to that series; the output names stay dmd.e2e.HOST.*" {
	run --separate-stderr dmd-e2e --name e2e.custom.probe
	assert_success
	assert_line --index 0 --regexp "$(point_re latency_ms)"
	assert_line --index 1 --regexp "$(point_re success 1)"
	run dmd_query_all e2e.custom.probe
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^\{"name":"e2e\.custom\.probe",'
	run dmd_query_all "$PROBE"
	assert_output ''
	run dmd-e2e -n e2e.short.probe
	assert_success
	run dmd_query_all e2e.short.probe
	[ "${#lines[@]}" -eq 1 ]
}

@test "the probes flushed to the table stay readable, and a new probe reads its series through the table" {
	local before t
	run dmd-e2e -n e2e.t.probe
	assert_success
	before=$(dmd_query_all e2e.t.probe)
	[ -n "$before" ]
	run dmd-flush -n 1 -a 100w
	assert_success
	run dmd_keys 'dmd:*:c:e2e.t.probe'
	assert_output ''
	run dmd_chunks
	assert_output --partial e2e.t.probe/
	# not in the cache any more: only the table has it
	DMD_TABLE='' run dmd_query_all e2e.t.probe
	assert_output ''
	run dmd_query_all e2e.t.probe
	assert_output "$before"

	# a later second, so the new probe does not replace the old point
	t=${before#*\"time\":}
	t=${t%%,*}
	while [ "$(date +%s)" -le "$t" ]; do sleep 0.1; done
	run --separate-stderr dmd-e2e -n e2e.t.probe
	assert_success
	assert_stderr ''
	assert_line --index 1 --regexp "$(point_re success 1)"
	run dmd_query_all e2e.t.probe
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 "$before"
}

@test "a table that cannot be read: exit 4, success 0 printed, the message names the table" {
	: >"$T/table-file"
	DMD_TABLE="file://$T/table-file" run --separate-stderr dmd-e2e
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp '^dmd-e2e: table: '
	# -t beats DMD_TABLE; -t '' reads no table
	DMD_TABLE="file://$T/table-file" run dmd-e2e -t "$DMD_TABLE"
	assert_success
	DMD_TABLE="file://$T/table-file" run dmd-e2e -t ''
	assert_success
	# an empty DMD_TABLE is no table, not the default
	DMD_TABLE='' run dmd-e2e
	assert_success
}

@test "the archive is never read: a DMD_ARCHIVE that no program could use does not matter" {
	: >"$T/archive-file"
	DMD_ARCHIVE="file://$T/archive-file" run --separate-stderr dmd-e2e
	assert_success
	assert_stderr ''
	DMD_ARCHIVE=http://x run dmd-e2e
	assert_success
}

@test "the output piped into dmd-ingest is stored, beside the probe point" {
	run bash -c 'set -o pipefail; dmd-e2e -N 2 -i 0 | dmd-ingest'
	assert_success
	run dmd_query_all "dmd.e2e.$H.*"
	assert_success
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.failures","time":[0-9]+,"value":0\}$'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.latency_ms","time":[0-9]+,"value":'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.latency_ms_max","time":[0-9]+,"value":'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.latency_ms_p99","time":[0-9]+,"value":'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.probe","time":[0-9]+,"value":[0-9]+\}$'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.success","time":[0-9]+,"value":1\}$'
}

@test "an unreachable cache: exit 4 at once, success 0 printed, a message naming the cache" {
	run --separate-stderr dmd-e2e -c unix:///nonexistent/redis.sock
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp '^dmd-e2e: cache: cannot connect to redis'

	# -N: no more probes after the failure (no 10 s waits), no latency
	local t0 t1
	t0=$(date +%s)
	DMD_CACHE=unix:///nonexistent/redis.sock run --separate-stderr \
		dmd-e2e -N 3 -i 10s
	t1=$(date +%s)
	assert_failure 4
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	# the probe that met the failure counts as failed
	assert_line --index 1 --regexp "$(point_re failures 1)"
	[ $((t1 - t0)) -lt 10 ]
	# --cache beats DMD_CACHE
	DMD_CACHE=unix:///nonexistent/redis.sock run dmd-e2e -c "unix://$REDIS_SOCK"
	assert_success
}

@test "a cache that acknowledges the probe and loses it: exit 6 after the timeout, success 0, no latency" {
	lossy_redis_start
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr dmd-e2e -c "unix://$lossy_sock" -T 300ms
	t1=$(date +%s%N)
	assert_failure 6
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr "dmd-e2e: probe 1: $PROBE not readable within 300 ms"
	# it polled until the timeout, backing off: more than a read or two,
	# far fewer than a read a millisecond
	[ $(((t1 - t0) / 1000000)) -ge 300 ]
	local reads
	reads=$(redis-cli -s "$lossy_sock" info commandstats |
		sed -n 's/^cmdstat_eval:calls=\([0-9]*\),.*/\1/p')
	echo "reads: $reads"
	[ "$reads" -ge 5 ]
	[ "$reads" -le 100 ]
}

@test "-N 3 on a cache that loses the probes: exit 6, failures 3, a message per probe" {
	lossy_redis_start
	run --separate-stderr dmd-e2e -c "unix://$lossy_sock" -N 3 -i 0 -T 100ms
	assert_failure 6
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_line --index 1 --regexp "$(point_re failures 3)"
	assert_stderr - <<-EOF
	dmd-e2e: probe 1: $PROBE not readable within 100 ms
	dmd-e2e: probe 2: $PROBE not readable within 100 ms
	dmd-e2e: probe 3: $PROBE not readable within 100 ms
	EOF
}

@test "dmd-e2e rejects an unknown option with the usage on stderr and exit 2" {
	run --separate-stderr dmd-e2e --no-such-option
	assert_failure 2
	assert_output ''
	assert_stderr --partial 'no-such-option'
	assert_stderr --regexp $'\nusage: dmd-e2e \\['
	run --separate-stderr dmd-e2e -x
	assert_failure 2
	assert_output ''
	assert_stderr --regexp $'\nusage: dmd-e2e \\['
	run --separate-stderr dmd-e2e operand
	assert_failure 2
	assert_output ''
	assert_stderr --regexp '^usage: dmd-e2e \['
}

@test "dmd-e2e option values out of range are usage errors naming the value, and probe nothing" {
	usage_error 'count is 0: too small' dmd-e2e -N 0
	usage_error 'count is 1000001: too large' dmd-e2e --count 1000001
	usage_error 'count is abc' dmd-e2e -N abc
	usage_error 'timeout is 0: too small' dmd-e2e -T 0
	usage_error 'timeout is 0ms: too small' dmd-e2e --timeout 0ms
	usage_error 'timeout is 2h: too large' dmd-e2e -T 2h
	usage_error 'timeout is 1y' dmd-e2e -T 1y
	usage_error 'interval is 2h: too large' dmd-e2e -i 2h
	usage_error 'interval is -1' dmd-e2e --interval -1
	usage_error "name \"a/b\": name has bad character '/'" dmd-e2e -n a/b
	usage_error 'name ""' dmd-e2e --name ''
	usage_error '"http"' dmd-e2e -c http://x
	usage_error 'nourl' dmd-e2e --cache nourl
	usage_error '"http"' dmd-e2e -t http://x
	DMD_CACHE=http://x usage_error '"http"' dmd-e2e
	run dmd_keys 'dmd:*'
	assert_output ''
}

@test "dmd-e2e accepts the ends of its ranges: -N 1, -T 1ms, -T 1h, -i 0, -i 1h" {
	run dmd-e2e -N 1 -T 1h -i 1h
	assert_success
	# a value the first read finds is visible, however short the timeout
	run dmd-e2e -T 1ms -i 0 -N 2
	assert_success
}
