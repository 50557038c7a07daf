#!/usr/bin/env bats
# dmd-ingest --listen: many TCP clients at once, each in Graphite
# plaintext, NDJSON or TSV; a bad client costs only its own lines;
# unfinished lines are dropped and counted, never stored; SIGTERM drains
# what clients sent and exits with the normal status; --max-clients,
# --idle-timeout, --stats-interval (also on stdin), bad addresses, and
# the cache going down under a listener.
#
# Clients are bash's /dev/tcp (there is no nc).  Every listener is
# started by start_listener and stopped by its PID.

bats_require_minimum_version 1.5.0
load lib/dmd

B=1732406400	# time of the first point of every client

# The cache-down test stops Redis and starts it again: keep the current
# PID in a file for the tests after it and for teardown_file.
setup_file() {
	dmd_redis_start
	echo "$REDIS_PID" >"$BATS_FILE_TMPDIR/redis.pid"
}

teardown_file() {
	REDIS_PID=$(cat "$BATS_FILE_TMPDIR/redis.pid" 2>/dev/null || true)
	dmd_redis_teardown
}

setup() {
	REDIS_PID=$(cat "$BATS_FILE_TMPDIR/redis.pid")
	T=$BATS_TEST_TMPDIR
	LOUT=$T/out LERR=$T/err	# of start_listener
	BG=()
	ipid=
	rcli flushall >/dev/null
}

teardown() {
	kill_jobs ${ipid:-} "${BG[@]}"
	[ -n "$REDIS_PID" ] || dmd_redis_restart
	echo "$REDIS_PID" >"$BATS_FILE_TMPDIR/redis.pid"
}

# send FILE: one client that connects, sends FILE and closes cleanly.
send() {
	cat "$1" >"/dev/tcp/127.0.0.1/$port"
}

# send_slowly FILE: the same in two halves 0.3 s apart, so that the
# clients started together are connected together.
send_slowly() {
	local n

	n=$(wc -l <"$1")
	exec 5>"/dev/tcp/127.0.0.1/$port"
	head -n $((n / 2)) "$1" >&5
	sleep 0.3
	tail -n +$((n / 2 + 1)) "$1" >&5
	exec 5>&-
}

# client_points K PREFIX N: N points of client K in $T/PREFIX$K.in, in
# all three formats (every 10th line NDJSON, every 10th + 5 TSV, the rest
# Graphite), over four series PREFIX.cKK.s0 .. s3; the NDJSON lines that
# dmd-query prints for them in $T/PREFIX$K.want.
client_points() {
	awk -v k="$1" -v p="$2" -v n="$3" -v b="$B" \
	    -v in_="$T/$2$1.in" -v want="$T/$2$1.want" '
	BEGIN {
		for (i = 0; i < n; i++) {
			name = sprintf("%s.c%02d.s%d", p, k, i % 4)
			v = sprintf("%d.25", k * 100000 + i)
			t = b + 60 * i
			if (i % 10 == 0)
				printf "{\"name\":\"%s\",\"time\":%d,\"value\":%s}\n",
				    name, t, v >in_
			else if (i % 10 == 5)
				printf "%s\t%s\t%d\n", name, v, t >in_
			else
				printf "%s %s %d\n", name, v, t >in_
			printf "{\"name\":\"%s\",\"time\":%d,\"value\":%s}\n",
			    name, t, v >want
		}
	}'
}

# query_is PATTERN WANT...: dmd-query over all time of PATTERN prints
# exactly the lines of the WANT files, in any order, each once.
query_is() {
	local pat=$1
	shift
	sorted "$@" >"$T/want.sorted"
	dmd-query -f 0 -u 2000000000 "$pat" >"$T/query.out"
	sorted "$T/query.out" >"$T/got.sorted"
	if ! cmp -s "$T/want.sorted" "$T/got.sorted"; then
		echo "points differ: want $(wc -l <"$T/want.sorted") lines," \
		    "got $(wc -l <"$T/got.sorted"); diff want got:"
		diff "$T/want.sorted" "$T/got.sorted" | head -20
		return 1
	fi
}

# stat_values FILE COUNTER: the values of dmd.HOST.ingest.COUNTER in
# the --stats output FILE, one per report.
stat_values() {
	sed -n -E "s/^\{\"name\":\"dmd\.[^\"]*\.ingest\.$2\",\"time\":[0-9]+,\"value\":([^}]*)\}$/\1/p" "$1"
}

# stat_sum FILE COUNTER: their sum over all reports.
stat_sum() {
	stat_values "$1" "$2" | awk '{ s += $1 } END { print s + 0 }'
}

# has FILE TEXT / has_re FILE ERE: FILE has a line with TEXT / matching
# ERE; shows FILE otherwise.
has() {
	if ! grep -qF -- "$2" "$1"; then
		echo "\"$2\" not found in $1:"
		head -40 "$1" | cut -c1-200
		return 1
	fi
}

has_re() {
	if ! grep -qE -- "$2" "$1"; then
		echo "/$2/ not found in $1:"
		head -40 "$1" | cut -c1-200
		return 1
	fi
}

# wait_stored PATTERN N: wait (5 s at most) until dmd-query finds N
# points of PATTERN.
wait_stored() {
	local i n=0

	for ((i = 0; i < 100; i++)); do
		n=$(dmd-query -f 0 -u 2000000000 "$1" | wc -l)
		[ "$n" -eq "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: $n points stored, want $2"
	return 1
}

@test "stores exactly the points of 50 clients sending Graphite, NDJSON and TSV lines at once" {
	for k in $(seq 1 50); do
		client_points "$k" l 230
	done
	start_listener -S
	for k in $(seq 1 50); do
		send_slowly "$T/l$k.in" 3>&- &
		BG+=("$!")
	done
	for pid in "${BG[@]}"; do
		wait_for "$pid" 20
		assert_equal "$st" 0
	done
	stop_listener

	assert_equal "$st" 0
	# nothing but the port on stderr: no rejects, no dropped lines
	assert_equal "$(wc -l <"$T/err")" 1
	query_is 'l.*.*' "$T"/l*.want
	assert_equal "$(wc -l <"$T/query.out")" 11500
	assert_equal "$(stat_values "$T/out" accepted)" 11500
	assert_equal "$(stat_values "$T/out" rejected)" 0
	assert_equal "$(stat_values "$T/out" connections)" 50
	assert_equal "$(stat_values "$T/out" lines)" 11500
	assert_equal "$(stat_values "$T/out" bytes)" "$(cat "$T"/l*.in | wc -c)"
	assert_equal "$(stat_values "$T/out" clients)" 0
	assert_equal "$(stat_values "$T/out" refused)" 0
}

@test "rejects a bad client's garbage, overlong line and broken JSON by peer and line, and stores the good clients' points" {
	for k in $(seq 1 10); do
		client_points "$k" g 100
	done
	{
		printf 'bad.first 1 %d\n' "$B"
		printf '\001\002\000\377garbage\000\n'
		printf '\303\050\240\241 1 %d\n' "$B"
		head -c 70000 /dev/zero | tr '\0' a
		printf ' 1 %d\n' "$B"
		printf '{"name":"bad.json","time":%d,"value":\n' "$B"
		printf 'bad.last 2 %d\n' "$B"
	} >"$T/bad.in"
	printf '{"name":"bad.first","time":%d,"value":1}\n' "$B" >"$T/bad.want"
	printf '{"name":"bad.last","time":%d,"value":2}\n' "$B" >>"$T/bad.want"

	start_listener -S
	send_slowly "$T/bad.in" 3>&- &
	BG+=("$!")
	for k in $(seq 1 10); do
		send_slowly "$T/g$k.in" 3>&- &
		BG+=("$!")
	done
	for pid in "${BG[@]}"; do
		wait_for "$pid" 20
		assert_equal "$st" 0
	done
	stop_listener

	assert_equal "$st" 1
	query_is 'g.*.*' "$T"/g*.want
	query_is 'bad.*' "$T/bad.want"
	# the four bad lines, each once, all from the same peer
	grep -v 'listening on ' "$T/err" >"$T/rejects"
	assert_equal "$(wc -l <"$T/rejects")" 4
	peer='127\.0\.0\.1:[0-9]+'
	has_re "$T/rejects" "^dmd-ingest: $peer:2: NUL byte$"
	has_re "$T/rejects" "^dmd-ingest: $peer:3: invalid UTF-8$"
	has_re "$T/rejects" "^dmd-ingest: $peer:4: line longer than 65536 bytes$"
	has_re "$T/rejects" "^dmd-ingest: $peer:5: not JSON$"
	assert_equal "$(sed -E 's/^dmd-ingest: ([^ ]*):[0-9]+: .*/\1/' \
	    "$T/rejects" | sort -u | wc -l)" 1
	assert_equal "$(stat_values "$T/out" rejected)" 4
	assert_equal "$(stat_values "$T/out" accepted)" 1002
	assert_equal "$(stat_values "$T/out" connections)" 11
}

@test "SIGTERM stores a connected client's complete lines, drops its unfinished last line and exits 1" {
	start_listener -S
	exec {c}>"/dev/tcp/127.0.0.1/$port"
	printf 'o.a 1 %d\no.b 2 %d\no.c 3 17324' "$B" "$B" >&"$c"
	sleep 0.5
	kill -0 "$ipid"
	stop_listener
	exec {c}>&-

	assert_equal "$st" 1
	has_re "$T/err" '^dmd-ingest: 127\.0\.0\.1:[0-9]+:3: unfinished line of 11 bytes dropped'
	query_is 'o.*' /dev/stdin <<-EOF
	{"name":"o.a","time":$B,"value":1}
	{"name":"o.b","time":$B,"value":2}
	EOF
	assert_equal "$(stat_values "$T/out" accepted)" 2
	assert_equal "$(stat_values "$T/out" rejected)" 1
}

@test "stores a last line without newline when its client closes cleanly" {
	start_listener
	printf 'n.a 1 %d\nn.b 2 %d' "$B" "$B" >"$T/in"
	send "$T/in"
	# stored while the listener still runs: at the close, not the drain
	wait_stored 'n.*' 2
	kill -0 "$ipid"
	stop_listener

	assert_equal "$st" 0
	assert_equal "$(wc -l <"$T/err")" 1
	query_is 'n.*' /dev/stdin <<-EOF
	{"name":"n.a","time":$B,"value":1}
	{"name":"n.b","time":$B,"value":2}
	EOF
}

@test "drops and counts the unfinished line of a client that resets its connection" {
	start_listener -S
	perl -MIO::Socket::INET -MSocket -e '
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ARGV[0]")
		    or die "connect: $!";
		print $s "r.a 1 $ARGV[1]\nr.b 2 $ARGV[1]\nr.c 3 17";
		$s->flush;
		sleep 1;
		# linger 0: close sends RST, not FIN
		setsockopt($s, SOL_SOCKET, SO_LINGER, pack("ii", 1, 0)) or die;
		close $s;' "$port" "$B"
	sleep 0.5
	stop_listener

	assert_equal "$st" 1
	has_re "$T/err" '^dmd-ingest: 127\.0\.0\.1:[0-9]+:3: unfinished line of 8 bytes dropped'
	query_is 'r.*' /dev/stdin <<-EOF
	{"name":"r.a","time":$B,"value":1}
	{"name":"r.b","time":$B,"value":2}
	EOF
	assert_equal "$(stat_values "$T/out" resets)" 1
	assert_equal "$(stat_values "$T/out" rejected)" 1
}

@test "--max-clients 2 closes a third connection at once, counts it as refused and stores the first two clients' points" {
	start_listener -S -m 2
	exec {c1}<>"/dev/tcp/127.0.0.1/$port" {c2}<>"/dev/tcp/127.0.0.1/$port"
	sleep 0.5
	exec {c3}<>"/dev/tcp/127.0.0.1/$port"
	t0=$EPOCHREALTIME
	run timeout 5 cat <&"$c3"
	t1=$EPOCHREALTIME
	exec {c3}<&-
	# end of file, not the timeout, and at once
	assert_success
	assert_output ''
	ms=$(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 ))
	echo "third connection closed after ${ms} ms"
	(( ms < 2000 ))

	# the first two are still served
	printf 'm.a 1 %d\n' "$B" >&"$c1"
	printf 'm.b 2 %d\n' "$B" >&"$c2"
	exec {c1}<&- {c2}<&-
	wait_stored 'm.*' 2
	stop_listener

	assert_equal "$st" 0
	query_is 'm.*' /dev/stdin <<-EOF
	{"name":"m.a","time":$B,"value":1}
	{"name":"m.b","time":$B,"value":2}
	EOF
	assert_equal "$(stat_values "$T/out" refused)" 1
	assert_equal "$(stat_values "$T/out" connections)" 2
}

@test "--idle-timeout 1s closes a silent client and counts it, but not a client that keeps sending" {
	start_listener -S -I 1s
	# a client that sends a line every 0.4 s for 2.4 s
	(
		exec 5>"/dev/tcp/127.0.0.1/$port"
		for i in 0 1 2 3 4 5 6; do
			printf 'i.busy %d %d\n' "$i" $((B + 60 * i)) >&5
			sleep 0.4
		done
	) 3>&- &
	BG+=("$!")
	exec {c}<>"/dev/tcp/127.0.0.1/$port"
	printf 'i.idle 1 %d\n' "$B" >&"$c"
	t0=$EPOCHREALTIME
	run timeout 5 cat <&"$c"
	t1=$EPOCHREALTIME
	exec {c}<&-
	assert_success		# end of file: closed by dmd-ingest
	ms=$(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 ))
	echo "idle client closed after ${ms} ms"
	(( ms >= 900 && ms < 3000 ))

	wait_for "${BG[0]}" 10
	assert_equal "$st" 0	# the busy client could write to the end
	stop_listener

	assert_equal "$st" 0
	assert_equal "$(stat_values "$T/out" idle_closed)" 1
	assert_equal "$(stat_values "$T/out" connections)" 2
	run dmd-query -f 0 -u 2000000000 -o tsv 'i.*'
	assert_equal "${#lines[@]}" 8
	assert_line "i.idle	1	$B"
	assert_line "i.busy	6	$((B + 360))"
}

@test "--stats-interval 1s with --listen reports while running, and the reports add up to the run" {
	client_points 1 s 100
	client_points 2 s 150
	start_listener -i 1s
	send "$T/s1.in"
	sleep 1.3
	send "$T/s2.in"
	sleep 1.3
	cp "$T/out" "$T/out.running"
	stop_listener

	assert_equal "$st" 0
	# two reports at least before the SIGTERM, one more at exit
	n=$(stat_values "$T/out.running" accepted | wc -l)
	echo "reports while running: $n"
	(( n >= 2 ))
	(( $(stat_values "$T/out" accepted | wc -l) == n + 1 ))
	for c in accepted rejected connections clients lines bytes seconds \
	    cache_requests; do
		assert_equal "$(stat_values "$T/out" "$c" | wc -l)" $((n + 1))
	done
	# per operation: in the reports of intervals that stored something
	(( $(stat_sum "$T/out" cache_put_requests) >= 2 ))
	assert_equal "$(stat_sum "$T/out" cache_put_requests)" \
	    "$(stat_sum "$T/out" cache_requests)"
	assert_equal "$(stat_sum "$T/out" accepted)" 250
	assert_equal "$(stat_sum "$T/out" lines)" 250
	assert_equal "$(stat_sum "$T/out" connections)" 2
	assert_equal "$(stat_sum "$T/out" rejected)" 0
	# the first report already has the first client's points
	assert_equal "$(stat_values "$T/out" accepted | head -n 1)" 100
	query_is 's.*.*' "$T/s1.want" "$T/s2.want"
	# the reports are points that dmd-ingest stores
	run --separate-stderr dmd-ingest "$T/out"
	assert_success
}

@test "--stats-interval on stdin reports while input is idle, and the reports add up to the input" {
	{
		printf 'p.a 1 %d\np.b 2 %d\n' "$B" "$B"
		sleep 2.5
		printf 'p.c 3 %d\n' "$B"
	} | dmd-ingest -i 1s >"$T/out"

	n=$(stat_values "$T/out" accepted | wc -l)
	echo "reports: $n"
	(( n >= 3 ))
	assert_equal "$(stat_sum "$T/out" accepted)" 3
	assert_equal "$(stat_values "$T/out" accepted | head -n 1)" 2
	assert_equal "$(stat_values "$T/out" seconds | wc -l)" "$n"
	# no listener counters without --listen
	assert_equal "$(stat_values "$T/out" connections)" ''
	run dmd-query -f 0 -u 2000000000 'p.*'
	assert_equal "${#lines[@]}" 3
}

@test "exits 2 when --listen is given files, a bad address or a port in use" {
	printf 'u.a 1 %d\n' "$B" >"$T/in"
	run --separate-stderr timeout 5 dmd-ingest -L 127.0.0.1:0 "$T/in"
	assert_equal "$status" 2
	assert_stderr --partial 'dmd-ingest: --listen reads clients, not files'

	run --separate-stderr timeout 5 dmd-ingest -L nonsense:port
	assert_equal "$status" 2
	assert_stderr --partial 'bad address "nonsense:port"'

	for a in 127.0.0.1: '[::1]' a:b:c 12ab; do
		run --separate-stderr timeout 5 dmd-ingest -L "$a"
		assert_equal "$status" 2
		assert_stderr --partial "\"$a\""
	done

	start_listener
	run --separate-stderr timeout 5 dmd-ingest -L "127.0.0.1:$port"
	assert_equal "$status" 2
	assert_stderr --partial "127.0.0.1:$port"
	assert_stderr --partial 'Address already in use'
	# the first one is not disturbed
	kill -0 "$ipid"
	stop_listener
	assert_equal "$st" 0
	run dmd-query -f 0 -u 2000000000 'u.*'
	assert_output ''
}

@test "listens on [::1] and names an IPv6 client [ADDR]:PORT in its rejects" {
	run --separate-stderr timeout 1 dmd-ingest -L '[::1]:0' </dev/null
	[ "$status" -ne 2 ] || skip "no IPv6 loopback: $stderr"
	LISTEN='[::1]:0' start_listener
	printf 'v6.a 1 %d\nv6.b x %d\n' "$B" "$B" >"/dev/tcp/::1/$port"
	wait_stored 'v6.*' 1
	stop_listener

	assert_equal "$st" 1
	has_re "$T/err" '^dmd-ingest: \[::1\]:[0-9]+:2: value not a number "x"$'
	query_is 'v6.*' /dev/stdin <<-EOF
	{"name":"v6.a","time":$B,"value":1}
	EOF
}

@test "exits 2 with a message for a port number above 65535" {
	for a in 999999 127.0.0.1:65536; do
		run --separate-stderr timeout 2 dmd-ingest -L "$a"
		assert_equal "$status" 2
		assert_stderr --partial "\"$a\""
	done
}

@test "--idle-timeout below one second either is refused or closes a silent client" {
	run --separate-stderr timeout 1 dmd-ingest -I 500ms -L 127.0.0.1:0 </dev/null
	if [ "$status" -eq 2 ]; then
		assert_stderr --partial 'idle timeout'
		return 0
	fi
	start_listener -I 500ms
	exec {c}<>"/dev/tcp/127.0.0.1/$port"
	run timeout 3 cat <&"$c"
	exec {c}<&-
	assert_success		# closed by dmd-ingest, not by the timeout
	stop_listener
}

@test "SIGTERM keeps the points of a client that connected and sent while the listener was busy" {
	# With the cache down, the listener hands a first batch to the
	# sender, which retries; a second batch makes it wait for the
	# sender.  A client that connects meanwhile is not yet accepted
	# (the kernel has completed its connection): its points must be
	# stored or spilled at SIGTERM like the others', not lost.
	dmd_redis_stop TERM
	start_listener -S -s "$T/spill"
	printf 'w.one 1 %d\n' "$B" >"/dev/tcp/127.0.0.1/$port"
	sleep 0.5
	printf 'w.two 2 %d\n' "$B" >"/dev/tcp/127.0.0.1/$port"
	sleep 0.5
	printf 'w.three 3 %d\n' "$B" >"/dev/tcp/127.0.0.1/$port"
	sleep 0.5
	stop_listener

	assert_equal "$st" 3
	has "$T/err" "points spilled to $T/spill"
	sorted "$T/spill" >"$T/spill.got"
	sorted >"$T/spill.want" <<-EOF
	{"name":"w.one","time":$B,"value":1}
	{"name":"w.three","time":$B,"value":3}
	{"name":"w.two","time":$B,"value":2}
	EOF
	diff -u "$T/spill.want" "$T/spill.got"
	assert_equal "$(stat_values "$T/out" connections)" 3
}

@test "spills the clients' points when the cache goes down, exits 3 after SIGTERM, and the spill file stores them later" {
	client_points 1 d 100
	client_points 2 d 100
	client_points 3 d 100
	# the spill file holds points as dmd-ingest parsed them: NDJSON
	start_listener -S -r 1s -s "$T/spill"
	exec {c2}>"/dev/tcp/127.0.0.1/$port" {c3}>"/dev/tcp/127.0.0.1/$port"
	send "$T/d1.in"
	wait_stored 'd.*.*' 100

	dmd_redis_stop TERM
	cat "$T/d2.in" >&"$c2"
	cat "$T/d3.in" >&"$c3"
	exec {c2}>&- {c3}>&-
	# past the retry budget: spilling
	sleep 2
	kill -0 "$ipid"
	stop_listener

	assert_equal "$st" 3
	has "$T/err" "200 points spilled to $T/spill"
	assert_equal "$(stat_values "$T/out" spilled)" 200
	assert_equal "$(stat_values "$T/out" accepted)" 100
	assert_equal "$(stat_values "$T/out" connections)" 3
	sorted "$T/d2.want" "$T/d3.want" >"$T/spill.want"
	sorted "$T/spill" >"$T/spill.got"
	diff -u "$T/spill.want" "$T/spill.got"

	dmd_redis_restart
	run --separate-stderr dmd-ingest <"$T/spill"
	assert_success
	query_is 'd.*.*' "$T/d1.want" "$T/d2.want" "$T/d3.want"
}
