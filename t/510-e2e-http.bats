#!/usr/bin/env bats
# dmd-e2e's HTTP mode: a probe of another store.  A private
# victoria-metrics takes the probe point as a Prometheus import over HTTP
# and as a carbon plaintext line over TCP, and its export shows it; the
# output points (with --label, with -N); a match that never appears
# (exit 6); a read or write answered with a non-2xx status, or refused
# (exit 4); usage errors (exit 2); the output taken by dmd-ingest; the
# bytes of a tcp:// write (templates rendered, the newline added); the
# carbon line taken by diamond's own listener.
#
# A new series takes victoria-metrics about 10 s to show,
# a known one about 1 s: only the first two probes here use new series.
# Without victoria-metrics the tests that need it are skipped.

bats_require_minimum_version 1.5.0
load lib/dmd

# libcurl takes proxies from the environment (dmd-e2e does not turn that
# off): the servers here are all on 127.0.0.1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# A TCP port on 127.0.0.1 nobody listens on: random, below the kernel's
# ephemeral range (so no outgoing connection takes it meanwhile), checked
# by connecting.  vm_start retries should it be taken before its use.
free_port() {
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 9<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "free_port: no free port found" >&2
	return 1
}

# GET PATH from the private victoria-metrics over bash's /dev/tcp (no
# curl needed): its body on stdout; fails unless the status is 200.
vm_get() {
	timeout 10 bash -c '
		exec 9<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&9
		IFS= read -r status <&9 || exit 1
		case $status in
		"HTTP/1."?" 200 "*) ;;
		*) echo "vm_get $2: $status" >&2; exit 1 ;;
		esac
		sed "1,/^\r\$/d" <&9' _ "$VM_PORT" "$1"
}

vm_stop() {
	local i
	[ -n "${VM_PID:-}" ] || return 0
	kill -TERM "$VM_PID" 2>/dev/null || true
	for i in $(seq 1 200); do
		_dmd_alive "$VM_PID" || break
		sleep 0.05
	done
	if _dmd_alive "$VM_PID"; then
		kill -KILL "$VM_PID" 2>/dev/null || true
	fi
	wait "$VM_PID" 2>/dev/null || true
	VM_PID=
}

# A private victoria-metrics on free ports of 127.0.0.1, its data in the
# file's temp dir: sets and exports VM_PORT (HTTP), VM_GPORT (carbon
# plaintext), VM_PID, VM_DIR.  Without victoria-metrics VM_PORT is empty.
vm_start() {
	local try i
	VM_PORT= VM_GPORT= VM_PID=
	VM_DIR=$BATS_FILE_TMPDIR/vm
	export VM_PORT VM_GPORT VM_PID VM_DIR
	command -v victoria-metrics >/dev/null || return 0
	for try in 1 2 3 4 5; do
		VM_PORT=$(free_port) && VM_GPORT=$(free_port) || return 1
		[ "$VM_PORT" != "$VM_GPORT" ] || continue
		rm -rf "$VM_DIR"
		mkdir -p "$VM_DIR"
		# fd 3 closed: bats waits for whoever holds it
		victoria-metrics -httpListenAddr "127.0.0.1:$VM_PORT" \
			-graphiteListenAddr "127.0.0.1:$VM_GPORT" \
			-storageDataPath "$VM_DIR/data" -loggerLevel ERROR \
			3>&- >"$VM_DIR/log" 2>&1 &
		VM_PID=$!
		# ours answers (a port taken meanwhile makes it exit), and
		# its carbon port is open
		for i in $(seq 1 300); do
			_dmd_alive "$VM_PID" || break
			if [ "$(vm_get /health 2>/dev/null)" = OK ] &&
				_dmd_alive "$VM_PID" &&
				(exec 9<>"/dev/tcp/127.0.0.1/$VM_GPORT") 2>/dev/null; then
				return 0
			fi
			sleep 0.05
		done
		vm_stop
	done
	echo "victoria-metrics did not start; log:" >&2
	cat "$VM_DIR/log" >&2
	VM_PORT=
	return 1
}

# A TCP sink for one connection, on a port the OS picks (perl, which
# Debian always has): the bytes it receives go to FILE.  Sets sink_pid and
# sink_port; tcp_sink_wait waits for it to have written them.
tcp_sink_start() {
	local i
	rm -f "$1" "$1.port"
	timeout 30 perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		    LocalPort => 0, Listen => 1) or die "listen: $!";
		open(my $p, ">", "$ARGV[0].tmp") or die "$!";
		print $p $s->sockport, "\n";
		close $p;
		rename("$ARGV[0].tmp", "$ARGV[0].port") or die "$!";
		my $c = $s->accept or die "accept: $!";
		open(my $o, ">", "$ARGV[0].part") or die "$!";
		binmode $o;
		my $buf;
		print $o $buf while sysread($c, $buf, 65536);
		close $o;
		rename("$ARGV[0].part", $ARGV[0]) or die "$!";
	' "$1" 3>&- &
	sink_pid=$!
	for i in $(seq 1 200); do
		[ -s "$1.port" ] && break
		sleep 0.05
	done
	sink_port=$(cat "$1.port")
	[ -n "$sink_port" ]
}

tcp_sink_wait() {
	wait "$sink_pid"
	sink_pid=
}

need_vm() {
	[ -n "$VM_PORT" ] || skip "victoria-metrics is not installed"
}

setup_file() {
	dmd_redis_start
	vm_start
}

teardown_file() {
	vm_stop
	dmd_redis_teardown
}

setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
	# the host part of the names dmd-e2e prints (dmd_hostname())
	H=$(uname -n)
	H=${H%%.*}
	H=$(printf '%s' "${H:0:63}" | tr -c 'A-Za-z0-9_-' _)
	[ -n "$H" ] || H=localhost
	PROBE=dmd.e2e.$H.probe
	VM=http://127.0.0.1:$VM_PORT
	# the two ways victoria-metrics takes a point, and its export
	PROM_W=$VM/api/v1/import/prometheus
	PROM_B='{name} {value} {time_ms}'
	EXPORT="$VM/api/v1/export?match[]={name}"
}

teardown() {
	if [ -n "${sink_pid:-}" ]; then
		kill -TERM "$sink_pid" 2>/dev/null || true
		wait "$sink_pid" 2>/dev/null || true
	fi
	if [ -n "${ingest_pid:-}" ]; then
		kill -KILL "$ingest_pid" 2>/dev/null || true
		wait "$ingest_pid" 2>/dev/null || true
	fi
	return 0
}

NUM='[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?'

# The regular expression of an output line: point NAME [VALUE-REGEX]
point_re() {
	printf '^\\{"name":"dmd\\.e2e\\.%s\\.%s","time":([0-9]+),"value":(%s)\\}$' \
		"$H" "${1//./\\.}" "${2:-$NUM}"
}

# The value of output point NAME in $output.
value_of() {
	printf '%s\n' "$output" |
		sed -n 's/^{"name":"dmd\.e2e\.'"$H"'\.'"${1//./\\.}"'","time":[0-9]*,"value":\(.*\)}$/\1/p'
}

# A usage error: exit 2, nothing on stdout, MESSAGE on stderr.
usage_error() {
	local msg=$1
	shift
	run --separate-stderr timeout 10 "$@" </dev/null
	assert_failure 2
	assert_output ''
	assert_stderr --partial "$msg"
}

# The probe point victoria-metrics exports for series NAME: checks there
# is exactly one, stamped (in ms) within [T0, T1] seconds, and that it is
# the probe's: dmd-e2e's value is the second of the time modulo 10^6,
# then six digits of microseconds.
vm_has_probe() {
	local name=$1 t0=$2 t1=$3 v ts
	run vm_get "/api/v1/export?match[]=$name"
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^\{"metric":\{"__name__":"'"${name//./\\.}"'"\},"values":\[[0-9]+\],"timestamps":\[[0-9]+000\]\}$'
	v=$(printf '%s\n' "$output" | sed 's/.*"values":\[\([0-9]*\)\].*/\1/')
	ts=$(printf '%s\n' "$output" | sed 's/.*"timestamps":\[\([0-9]*\)000\].*/\1/')
	[ "$ts" -ge "$t0" ]
	[ "$ts" -le "$t1" ]
	[ $((v / 1000000)) -eq $((ts % 1000000)) ]
}

@test "a Prometheus import probe of victoria-metrics: exit 0, latency_ms > 0, success 1; its export holds the probe value" {
	need_vm
	local t0 t1
	t0=$(date +%s)
	run --separate-stderr timeout 90 dmd-e2e -w "$PROM_W" -b "$PROM_B" \
		-r "$EXPORT"
	t1=$(date +%s)
	assert_success
	assert_stderr ''
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re latency_ms)"
	assert_line --index 1 --regexp "$(point_re success 1)"
	awk -v v="$(value_of latency_ms)" 'BEGIN { exit !(v + 0 > 0) }'
	# the default series, as in diamond mode, with a millisecond time
	vm_has_probe "$PROBE" "$t0" "$t1"
}

@test "a carbon plaintext probe (tcp://) of victoria-metrics with -l vm: the points are dmd.e2e.HOST.vm.*" {
	need_vm
	local t0 t1
	t0=$(date +%s)
	# the default body: carbon's "name value time" line
	run --separate-stderr timeout 90 dmd-e2e -w "tcp://127.0.0.1:$VM_GPORT" \
		-r "$EXPORT" -n e2e.carbon.probe -l vm
	t1=$(date +%s)
	assert_success
	assert_stderr ''
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re vm.latency_ms)"
	assert_line --index 1 --regexp "$(point_re vm.success 1)"
	awk -v v="$(value_of vm.latency_ms)" 'BEGIN { exit !(v + 0 > 0) }'
	vm_has_probe e2e.carbon.probe "$t0" "$t1"
}

@test "--count 2 --interval 0 over HTTP: latency_ms, _p99, _max, success 1 and failures 0" {
	need_vm
	# the series of the first test: known, so about a second a probe
	run --separate-stderr timeout 90 dmd-e2e -w "$PROM_W" -b "$PROM_B" \
		-r "$EXPORT" --count 2 --interval 0
	assert_success
	assert_stderr ''
	[ "${#lines[@]}" -eq 5 ]
	assert_line --index 0 --regexp "$(point_re latency_ms)"
	assert_line --index 1 --regexp "$(point_re latency_ms_p99)"
	assert_line --index 2 --regexp "$(point_re latency_ms_max)"
	assert_line --index 3 --regexp "$(point_re success 1)"
	assert_line --index 4 --regexp "$(point_re failures 0)"
	# of 2 latencies: the median is the lower, p99 and max the greater
	[ "$(value_of latency_ms_p99)" = "$(value_of latency_ms_max)" ]
	awk -v m="$(value_of latency_ms)" -v x="$(value_of latency_ms_max)" \
		'BEGIN { exit !(m + 0 > 0 && m + 0 <= x + 0) }'
}

@test "a read match that never appears: exit 6 after -T 2s, success 0, a message naming the probe" {
	need_vm
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr timeout 30 dmd-e2e -w "$PROM_W" -b "$PROM_B" \
		-r "$EXPORT" -m 'never-{value}' -T 2s
	t1=$(date +%s%N)
	assert_failure 6
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr "dmd-e2e: probe 1: $PROBE not readable within 2000 ms"
	# it polled until the timeout, and not much longer: a 250 ms wait
	# and a read at most
	local ms=$(((t1 - t0) / 1000000))
	echo "took $ms ms"
	[ "$ms" -ge 2000 ]
	[ "$ms" -lt 5000 ]
}

@test "a read URL answered 400 or 404: exit 4 at once, success 0, the status and the start of the body on stderr" {
	need_vm
	local t0 t1
	t0=$(date +%s)
	# victoria-metrics 1.79 single-node has no Graphite /render
	run --separate-stderr timeout 30 dmd-e2e -w "$PROM_W" -b "$PROM_B" \
		-r "$VM/render?target={name}&from=-5min&format=json"
	t1=$(date +%s)
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp "^dmd-e2e: read: GET $VM/render\\?target=${PROBE//./\\.}&from=-5min&format=json: HTTP status 400: "
	assert_stderr --partial 'unsupported path requested: "/render"'
	[ $((t1 - t0)) -lt 10 ]

	run --separate-stderr timeout 30 dmd-e2e -w "$PROM_W" -b "$PROM_B" \
		-r "$VM/vmui/no-such-page"
	assert_failure 4
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp "^dmd-e2e: read: GET $VM/vmui/no-such-page: HTTP status 404: "
}

@test "a write URL answered 400: exit 4, success 0, the status on stderr; -N stops there" {
	need_vm
	run --separate-stderr timeout 30 dmd-e2e -w "$VM/no-such-import" \
		-r "$EXPORT" -N 3 -i 10s
	assert_failure 4
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_line --index 1 --regexp "$(point_re failures 1)"
	assert_stderr --regexp "^dmd-e2e: write: POST $VM/no-such-import: HTTP status 400: "
}

@test "a write to a closed port, http:// or tcp://: exit 4 at once, success 0, the refusal on stderr" {
	local port t0 t1
	port=$(free_port)
	t0=$(date +%s)
	run --separate-stderr timeout 30 dmd-e2e \
		-w "http://127.0.0.1:$port/api/v1/import/prometheus" \
		-r "http://127.0.0.1:$port/api/v1/export?match[]={name}"
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp "^dmd-e2e: write: POST http://127\\.0\\.0\\.1:$port/api/v1/import/prometheus: .*[Cc]onnect"

	run --separate-stderr timeout 30 dmd-e2e -w "tcp://127.0.0.1:$port" \
		-r "http://127.0.0.1:$port/" -l vm
	t1=$(date +%s)
	assert_failure 4
	[ "${#lines[@]}" -eq 1 ]
	assert_line --index 0 --regexp "$(point_re vm.success 0)"
	assert_stderr "dmd-e2e: write: 127.0.0.1:$port: Connection refused"
	# not after the 60 s default timeout
	[ $((t1 - t0)) -lt 10 ]
}

@test "HTTP mode usage errors: exit 2, nothing probed" {
	usage_error '--write-url and --read-url go together' \
		dmd-e2e -w http://127.0.0.1:1/w
	usage_error '--write-url and --read-url go together' \
		dmd-e2e --read-url http://127.0.0.1:1/r
	usage_error 'write URL "ftp://127.0.0.1/w": want http://, https:// or tcp://' \
		dmd-e2e -w ftp://127.0.0.1/w -r http://127.0.0.1:1/r
	usage_error 'read URL "tcp://127.0.0.1:1": want http:// or https://' \
		dmd-e2e -w tcp://127.0.0.1:1 -r tcp://127.0.0.1:1
	usage_error '--write-body and --read-match need --write-url and --read-url' \
		dmd-e2e --write-body '{name} {value} {time}'
	usage_error '--write-body and --read-match need --write-url and --read-url' \
		dmd-e2e -m '{value}'
	usage_error "label \"a/b\": name has bad character '/'" \
		dmd-e2e -l a/b -w tcp://127.0.0.1:1 -r http://127.0.0.1:1/
	usage_error 'timeout is 0: too small' \
		dmd-e2e -T 0 -w tcp://127.0.0.1:1 -r http://127.0.0.1:1/
	# the synopsis shows the HTTP options
	run dmd-e2e --help
	assert_success
	assert_output --partial 'dmd-e2e -w url [-b template] -r url [-m template]'
}

@test "the output of an HTTP probe piped into dmd-ingest is stored" {
	need_vm
	run timeout 90 bash -c 'set -o pipefail
		dmd-e2e -l vm -w "$1" -b "$2" -r "$3" | dmd-ingest' _ \
		"$PROM_W" "$PROM_B" "$EXPORT"
	assert_success
	run dmd_query_all "dmd.e2e.$H.vm.*"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	assert_line --index 0 --regexp '^\{"name":"dmd\.e2e\.[^"]*\.vm\.latency_ms","time":[0-9]+,"value":'
	assert_line --index 1 --regexp '^\{"name":"dmd\.e2e\.[^"]*\.vm\.success","time":[0-9]+,"value":1\}$'
}

@test "the tcp:// body arrives byte for byte: escapes rendered, the newline appended only when missing" {
	local got
	# no newline: one is added
	tcp_sink_start "$T/sink1"
	run --separate-stderr timeout 30 dmd-e2e -w "tcp://127.0.0.1:$sink_port" \
		-b '{name}\t{value}\t{time} \\{time_ms}' \
		-r "http://127.0.0.1:$(free_port)/" -n e2e.sink.probe
	assert_failure 4
	assert_stderr --regexp '^dmd-e2e: read: GET http://127\.0\.0\.1:[0-9]+/: '
	tcp_sink_wait
	got=$(cat "$T/sink1"; echo x)
	got=${got%x}
	echo "got: $(printf '%s' "$got" | od -c)"
	[[ $got =~ ^e2e\.sink\.probe$'\t'([0-9]+)$'\t'([0-9]+)' \'([0-9]+)$'\n'$ ]]
	[ "${BASH_REMATCH[3]}" = "${BASH_REMATCH[2]}000" ]
	[ $((BASH_REMATCH[1] / 1000000)) -eq $((BASH_REMATCH[2] % 1000000)) ]

	# the default body ends in a newline: no second one
	tcp_sink_start "$T/sink2"
	run --separate-stderr timeout 30 dmd-e2e -w "tcp://127.0.0.1:$sink_port" \
		-r "http://127.0.0.1:$(free_port)/" -n e2e.sink.probe
	assert_failure 4
	tcp_sink_wait
	got=$(cat "$T/sink2"; echo x)
	got=${got%x}
	[[ $got =~ ^e2e\.sink\.probe\ [0-9]+\ [0-9]+$'\n'$ ]]
}

@test "a tcp:// write to diamond's own listener stores the probe point (no HTTP read there: exit 4)" {
	# diamond has no HTTP read API: the read goes to a closed port and
	# fails, after the write, which is what is looked at here
	local port i t0 t1 v t
	dmd-ingest -L 127.0.0.1:0 3>&- 2>"$T/ingest.err" &
	ingest_pid=$!
	for i in $(seq 1 100); do
		grep -q 'listening on ' "$T/ingest.err" && break
		sleep 0.05
	done
	run sed -n 's/.*listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/ingest.err"
	assert_success
	[ -n "$output" ]
	port=$output
	t0=$(date +%s)
	run --separate-stderr timeout 30 dmd-e2e -w "tcp://127.0.0.1:$port" \
		-r "http://127.0.0.1:$(free_port)/" -n e2e.listen.probe
	t1=$(date +%s)
	assert_failure 4
	assert_line --index 0 --regexp "$(point_re success 0)"
	assert_stderr --regexp '^dmd-e2e: read: GET http://127\.0\.0\.1:[0-9]+/: '
	# stopped by its PID, it stores what it took
	kill -TERM "$ingest_pid"
	for i in $(seq 1 300); do
		_dmd_alive "$ingest_pid" || break
		sleep 0.05
	done
	! _dmd_alive "$ingest_pid"
	wait "$ingest_pid"
	ingest_pid=
	run cat "$T/ingest.err"
	assert_output --regexp '^dmd-ingest: listening on 127\.0\.0\.1:[0-9]+$'
	run dmd_query_all e2e.listen.probe
	assert_success
	[ "${#lines[@]}" -eq 1 ]
	assert_output --regexp '^\{"name":"e2e\.listen\.probe","time":[0-9]+,"value":[0-9]+\}$'
	t=${output#*\"time\":}
	t=${t%%,*}
	v=${output##*\"value\":}
	v=${v%\}}
	[ "$t" -ge "$t0" ]
	[ "$t" -le "$t1" ]
	[ $((v / 1000000)) -eq $((t % 1000000)) ]
}
