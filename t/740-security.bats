#!/usr/bin/env bats
# Security: credentials, the files the programs create, and --listen.
#
# - A Redis password in the cache URL (redis://:PASSWORD@HOST:PORT, also
#   USER:PASSWORD@) is sent as AUTH to a private redis-server started
#   with requirepass, and the password, AWS_SECRET_ACCESS_KEY and
#   AWS_SESSION_TOKEN (dynalite and s3rver with fake secrets) appear in
#   no stdout, stderr, --explain, --stats, spill or reject file, error
#   message (a wrong password, nobody listening, a bad URL) or command
#   line.  No program starts children; a running listener's own command
#   line holds no secret when the URL comes from DMD_CACHE.
# - Spill, reject, checkpoint and replaced files are created 0600 or as
#   umask says, and a symlink (or a hard link) planted where one will be
#   created, even at a name with the PID the program will have (planted
#   by a shell that then execs the program), is never followed: the file
#   it points to stays as it was, and the program fails clearly or
#   replaces the link.
# - dmd-ingest --listen binds 127.0.0.1 unless told otherwise (checked in
#   /proc/net/tcp), caps clients (-m), closes with -I a client that
#   trickles a byte a second (slow loris) or sends one endless line, and
#   survives 10,000 connections opened in batches by a node helper: a
#   client connected all along is served, its points stored, and the
#   listener's open files come back to what they were.
# - A Redis server (or anyone on the path of plain TCP) that answers
#   *800000000 does not make the client allocate 6 GB for the pointers
#   of an array that never comes (hiredis 0.14 would): the reply is
#   refused, with exit 4 and a message saying why.

bats_require_minimum_version 1.5.0
load lib/dmd

B=1732406400

setup_file() {
	dmd_redis_start
}

teardown_file() {
	dmd_redis_teardown
}

setup() {
	T=$BATS_TEST_TMPDIR
	rcli flushall >/dev/null
	export DMD_TABLE="file://$T/table" DMD_ARCHIVE="file://$T/archive"
	export TMPDIR=$T/tmp
	mkdir -p "$TMPDIR"
	BG=()
	# the host part of the programs' temp names (dmd_hostname())
	H=$(uname -n)
	H=${H%%.*}
	H=$(printf '%s' "${H:0:63}" | tr -c 'A-Za-z0-9_-' _)
	[ -n "$H" ] || H=localhost
}

teardown() {
	kill_jobs ${ipid:-} "${BG[@]}"
	if [ -n "${RP_PID:-}" ]; then
		kill -TERM "$RP_PID" 2>/dev/null || true
		wait "$RP_PID" 2>/dev/null || true
	fi
	[ -z "${S3_PID:-}" ] || dmd_s3_stop
	[ -z "${DYNAMO_DIR:-}" ] || dmd_dynamo_teardown
	return 0
}

# A file outside every directory the programs are given, that a planted
# link points to: it must stay as it is.
outside() {
	O=$T/outside
	printf 'precious\n' >"$O"
	chmod 644 "$O"
}

outside_untouched() {
	assert_equal "$(cat "$O")" precious
	assert_equal "$(stat -c %a "$O")" 644
}

# A free TCP port on 127.0.0.1 (one the kernel gave and took back).
free_port() {
	node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# redis_auth_start PASSWORD: a redis-server of this test that wants
# PASSWORD, on 127.0.0.1:$RP_PORT (the password in a config file, not on
# its command line).
redis_auth_start() {
	local i try

	mkdir -p "$T/rp"
	for try in 1 2 3; do
		RP_PORT=$(free_port)
		(umask 077 && printf 'port %s\nbind 127.0.0.1\nrequirepass %s\nsave ""\nappendonly no\ndir %s\n' \
		    "$RP_PORT" "$1" "$T/rp" >"$T/rp/redis.conf")
		redis-server "$T/rp/redis.conf" 3>&- >"$T/rp/log" 2>&1 &
		RP_PID=$!
		for ((i = 0; i < 100; i++)); do
			if redis-cli -p "$RP_PORT" ping 2>/dev/null |
			    grep -q NOAUTH; then
				return 0
			fi
			kill -0 "$RP_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -TERM "$RP_PID" 2>/dev/null || true
		wait "$RP_PID" 2>/dev/null || true
		RP_PID=
	done
	echo "redis-server with requirepass did not start:"
	cat "$T/rp/log"
	return 1
}

# runs LABEL CMD...: run CMD, its stdout and stderr to $T/all, bounded,
# its status noted there too as "status N of LABEL" (not the command:
# it may hold a secret).
runs() {
	local label=$1
	shift
	timeout 60 "$@" >>"$T/all" 2>&1 ||
		echo "status $? of $label" >>"$T/all"
}

# no_secret SECRET...: none of the secrets in $T/all or in any file
# under $T except the servers' own configuration.
no_secret() {
	local s

	for s in "$@"; do
		if grep -F -- "$s" "$T/all"; then
			echo "a secret was printed (above)"
			return 1
		fi
		if grep -rlF --exclude=redis.conf -- "$s" "$T" |
		    grep -v '/all$'; then
			echo "a secret is in the files above"
			return 1
		fi
	done
}

# children PID: the PIDs of PID's children, one a line (none: empty).
children() {
	cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | sed '/^$/d'
}

@test "a Redis password in the URL is sent as AUTH, and appears in no output, file, error or command line" {
	pw="pw-$RANDOM$RANDOM-Zq9"
	redis_auth_start "$pw"
	good="redis://:$pw@127.0.0.1:$RP_PORT"
	printf 'sec.a 1 %d\nsec.b 2 %d\nnot a point\n' "$B" "$B" >"$T/in"
	: >"$T/all"
	# stored and read back through AUTH, with --stats, rejects, explain
	runs ingest env DMD_CACHE="$good" dmd-ingest -S -R "$T/rejects" "$T/in"
	runs query env DMD_CACHE="$good" dmd-query -S -e -f 0 -u 2000000000 \
	    'sec.*'
	runs flush env DMD_CACHE="$good" dmd-flush -S -n 1 -a 100w
	runs query-user env DMD_CACHE="redis://default:$pw@127.0.0.1:$RP_PORT/0" \
	    dmd-query -f 0 -u 2000000000 'sec.*'
	# failures: a wrong password (the points spilled), nobody there, a
	# bad database, a bad port, a cluster nobody serves, no password
	runs wrong env DMD_CACHE="redis://:wrong-$pw@127.0.0.1:$RP_PORT" \
	    DMD_SPILL="$T/spill" dmd-ingest -S -r 1s "$T/in"
	runs nobody env DMD_CACHE="redis://:$pw@127.0.0.1:1" dmd-query -S -e \
	    -f 0 -u 2000000000 'sec.*'
	runs bad-db env DMD_CACHE="redis://:$pw@127.0.0.1:$RP_PORT/db9x" \
	    dmd-query 'sec.*'
	runs bad-port dmd-ingest -c "redis://:$pw@127.0.0.1:99999" "$T/in"
	runs cluster dmd-flush -c "redis-cluster://:$pw@127.0.0.1:1,127.0.0.1:2" \
	    -n 1
	runs no-password env DMD_CACHE="redis://127.0.0.1:$RP_PORT" dmd-query \
	    'sec.*'

	# they did what they should
	grep -qxF '{"name":"sec.a","time":1732406400,"value":1}' "$T/all"
	grep -q 'dmd\.[^"]*\.query\.cache_requests' "$T/all"
	grep -q 'WRONGPASS' "$T/all"
	grep -q 'NOAUTH' "$T/all"
	grep -qF "cache \"redis://:***@127.0.0.1:$RP_PORT/db9x\"" "$T/all"
	grep -qF 'cache "redis://:***@127.0.0.1:99999"' "$T/all"
	grep -qx 'status 3 of wrong' "$T/all"	# spilled
	grep -qx 'status 1 of ingest' "$T/all"	# stored, one rejected
	[ -s "$T/spill" ] && [ -s "$T/rejects" ]
	[ "$(grep -c '^status ' "$T/all")" -ge 6 ]
	run redis-cli -p "$RP_PORT" -a "$pw" --no-auth-warning \
	    keys 'dmd:*'
	[ "${#lines[@]}" -ge 1 ]
	no_secret "$pw"

	# a listener given the URL in DMD_CACHE: its command line holds no
	# secret, and it starts no children
	DMD_CACHE="$good" dmd-ingest -L 127.0.0.1:0 >"$T/lout" 2>"$T/lerr" 3>&- &
	ipid=$!
	for ((i = 0; i < 100; i++)); do
		grep -q 'listening on' "$T/lerr" && break
		sleep 0.05
	done
	grep -q 'listening on' "$T/lerr"
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/lerr")
	printf 'sec.l 3 %d\n' "$B" >"/dev/tcp/127.0.0.1/$port"
	run ! grep -aF -- "$pw" "/proc/$ipid/cmdline"
	assert_equal "$(children "$ipid")" ''
	kill -TERM "$ipid"
	wait "$ipid" || true
	ipid=
	run redis-cli -p "$RP_PORT" -a "$pw" --no-auth-warning \
	    exists "$(redis-cli -p "$RP_PORT" -a "$pw" --no-auth-warning \
	    keys 'dmd:*:c:sec.l' | head -n 1)"
	assert_output 1
	cat "$T/lout" "$T/lerr" >>"$T/all"
	no_secret "$pw"
}

@test "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN appear in no output, --explain, --stats, spill, reject or stored file, on success or failure" {
	dmd_dynamo_start
	[ -z "${DYNAMO_SKIP:-}" ] || skip "$DYNAMO_SKIP"
	dmd_s3_start
	[ -z "${S3_SKIP:-}" ] || skip "$S3_SKIP"
	secret="sEcReT-$RANDOM$RANDOM-wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
	token="ToKeN-$RANDOM$RANDOM-FwoGZXIvYXdzEBQaDK"
	export AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
	export DMD_TABLE=$(dmd_dynamo_url "sec$RANDOM")
	export DMD_ARCHIVE=$DMD_S3_ARCHIVE
	printf 'aws.a 1 %d\naws.b 2 %d\nbroken\n' "$B" "$((B + 60))" >"$T/in"
	: >"$T/all"
	runs ingest dmd-ingest -S -R "$T/rejects" "$T/in"
	runs flush dmd-flush -S -C -n 1 -a 100w
	runs archive dmd-archive -S -o 1d
	runs query dmd-query -S -e -f 0 -u 2000000000 'aws.*'
	# failures: nobody at the endpoints, a bad URL, no key id
	runs flush-nobody dmd-flush -S \
	    -t "$(dmd_dynamo_url nobody http://127.0.0.1:1)"
	runs query-nobody dmd-query -S -e -f 0 -u 2000000000 \
	    -t "$(dmd_dynamo_url nobody http://127.0.0.1:1)" \
	    -A "s3://dmd/x?endpoint=http://127.0.0.1:1" 'aws.*'
	runs bad-url dmd-archive \
	    -a "s3://dmd/x?endpoint=$S3_ENDPOINT&style=bogus"
	runs no-key env -u AWS_ACCESS_KEY_ID dmd-archive -S
	# with the cache down too: the points spilled
	runs spill env DMD_CACHE="unix://$T/nobody.sock" DMD_SPILL="$T/spill" \
	    dmd-ingest -S -r 1s "$T/in"

	grep -q 'dmd\.[^"]*\.flush\.table_write_units' "$T/all"
	grep -qF '{"name":"aws.b","time":1732406460,"value":2}' "$T/all"
	grep -q 'no credentials' "$T/all"
	[ -s "$T/spill" ] && [ -s "$T/rejects" ]
	[ "$(grep -c '^status ' "$T/all")" -ge 5 ]
	no_secret "$secret" "$token" "${secret#sEcReT-}"
	run grep -rlF -e "$secret" -e "$token" "$S3_DIR" "$DYNAMO_DIR"
	assert_output ''
}

@test "the spill file is created 0600 and a symlink planted at its name, even the default one with the PID to come, is not followed" {
	outside
	printf 'sp.a 1 %d\n' "$B" >"$T/in"
	export DMD_CACHE="unix://$T/nobody.sock"
	# the default name, TMPDIR/dmd-ingest.PID.spill, planted by the
	# shell that becomes dmd-ingest
	run -5 sh -c 'ln -s "$1" "$TMPDIR/dmd-ingest.$$.spill" &&
	    exec dmd-ingest -r 1s "$2"' sh "$O" "$T/in"
	assert_output --partial 'cannot open spill file'
	outside_untouched
	# one named with DMD_SPILL
	ln -s "$O" "$T/spill"
	run -5 env DMD_SPILL="$T/spill" dmd-ingest -r 1s "$T/in"
	assert_output --partial "cannot open spill file $T/spill"
	outside_untouched
	# a link to nothing does not create its target either
	ln -s "$T/created" "$T/spill2"
	run -5 env DMD_SPILL="$T/spill2" dmd-ingest -r 1s "$T/in"
	assert_file_not_exists "$T/created"
	# a spill file of its own: 0600 whatever the umask
	run -3 sh -c 'umask 0; exec env DMD_SPILL="$1" dmd-ingest -r 1s "$2"' \
	    sh "$T/spill3" "$T/in"
	assert_equal "$(stat -c %a "$T/spill3")" 600
	grep -qF '"name":"sp.a"' "$T/spill3"
}

@test "the rejects file honours umask and a symlink planted at its name is not followed" {
	outside
	printf 'rj.a 1 %d\ngarbage\n' "$B" >"$T/in"
	ln -s "$O" "$T/rejects"
	run dmd-ingest -R "$T/rejects" "$T/in"
	[ "$status" -ne 0 ]
	assert_output --partial "$T/rejects"
	outside_untouched
	ln -s "$T/created" "$T/rejects2"
	run dmd-ingest -R "$T/rejects2" "$T/in"
	[ "$status" -ne 0 ]
	assert_file_not_exists "$T/created"
	# its own file: as umask says
	run -1 sh -c 'umask 077; exec dmd-ingest -R "$1" "$2"' sh \
	    "$T/rejects3" "$T/in"
	assert_equal "$(stat -c %a "$T/rejects3")" 600
	grep -q garbage "$T/rejects3"
	run -1 sh -c 'umask 022; exec dmd-ingest -R "$1" "$2"' sh \
	    "$T/rejects4" "$T/in"
	assert_equal "$(stat -c %a "$T/rejects4")" 644
}

@test "a checkpoint and its lock never follow a planted symlink: the checkpoint link is replaced, the lock refused" {
	outside
	# a checkpoint the link may be read through, but never written
	printf '# precious\n' >"$O"
	log="file://$T/log"
	printf 'cp.a 1 %d\n' "$B" | dmd-stream put -l "$log"
	# the checkpoint itself: replaced by a file of its own (rename)
	ln -s "$O" "$T/cp"
	run -0 dmd-stream get -l "$log" -c "$T/cp" -s checkpoint
	assert_output --partial '"name":"cp.a"'
	[ -f "$T/cp" ] && [ ! -L "$T/cp" ]
	grep -q '^0 ' "$T/cp"
	assert_equal "$(cat "$O")" '# precious'
	# its lock: a link to nothing is not followed (nothing created)
	ln -s "$T/created" "$T/cp2.lock"
	run dmd-stream get -l "$log" -c "$T/cp2" -s checkpoint
	[ "$status" -ne 0 ]
	assert_output --partial "$T/cp2.lock"
	assert_file_not_exists "$T/created"
	# a checkpoint of its own honours umask
	run -0 sh -c 'umask 077; exec dmd-stream get -l "$1" -c "$2"' sh \
	    "$log" "$T/cp3"
	assert_equal "$(stat -c %a "$T/cp3")" 600
}

@test "a file replaced by rename (dmd-board -o) never writes through a link planted at its temp name or its own" {
	outside
	printf 'bd.a 1 %d\n' "$B" | dmd-ingest
	printf 'title t\npanel p\nquery bd.*\nfrom %d\nuntil %d\n' \
	    $((B - 3600)) $((B + 3600)) >"$T/board"
	# a hard link to the outside file at the temp name of the PID to
	# come (.HOST.PID.page): unlinked first, never written through
	run -0 sh -c 'ln "$1" "$(dirname "$2")/.$3.$$.$(basename "$2")" &&
	    exec dmd-board -o "$2" "$4"' sh "$O" "$T/page.html" "$H" \
	    "$T/board"
	outside_untouched
	grep -q '<svg' "$T/page.html"
	# a symlink at the temp name: not followed
	run -0 sh -c 'ln -s "$1" "$(dirname "$2")/.$3.$$.$(basename "$2")" &&
	    exec dmd-board -o "$2" "$4"' sh "$O" "$T/page2.html" "$H" \
	    "$T/board"
	outside_untouched
	grep -q '<svg' "$T/page2.html"
	# a symlink at the page's own name: the link is replaced
	ln -s "$O" "$T/page3.html"
	run -0 dmd-board -o "$T/page3.html" "$T/board"
	[ -f "$T/page3.html" ] && [ ! -L "$T/page3.html" ]
	outside_untouched
}

# stat_value COUNTER: dmd-ingest's COUNTER in its --stats ($T/lout).
stat_value() {
	sed -n -E "s/^\{\"name\":\"dmd\.[^\"]*\.ingest\.$1\",\"time\":[0-9]+,\"value\":([^}]*)\}$/\1/p" "$T/lout"
}

# listen_addrs PID: the local addresses (HEX_IP:HEX_PORT) of PID's
# listening TCP sockets, from /proc/net/tcp and tcp6.
listen_addrs() {
	local inodes

	inodes=$(ls -l "/proc/$1/fd" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p')
	for i in $inodes; do
		awk -v ino="$i" '$4 == "0A" && $10 == ino { print $2 }' \
		    /proc/net/tcp /proc/net/tcp6
	done
}

# nfds PID: PID's open files.
nfds() {
	ls "/proc/$1/fd" | wc -l
}

# wait_stored PATTERN N: wait (10 s at most) until N points of PATTERN
# are stored.
wait_stored() {
	local i n=0

	for ((i = 0; i < 200; i++)); do
		n=$(dmd-query -f 0 -u 2000000000 "$1" | wc -l)
		[ "$n" -eq "$2" ] && return 0
		sleep 0.05
	done
	echo "$1: $n points stored, want $2"
	return 1
}

@test "--listen with a port only binds 127.0.0.1, *:PORT binds every address, and nothing else listens" {
	LISTEN=0 start_listener -S
	hexport=$(printf '%04X' "$port")
	run listen_addrs "$ipid"
	assert_output "0100007F:$hexport"
	stop_listener
	LISTEN='*:0' start_listener -S
	hexport=$(printf '%04X' "$port")
	run listen_addrs "$ipid"
	assert_line "00000000:$hexport"
	refute_line --regexp '^0100007F:'
	stop_listener
}

@test "--listen -I closes a slow-loris client that trickles a byte a second, and one endless line, while serving others" {
	start_listener -S -I 2s -m 8
	# a byte a second, never a newline: 12 s at most
	(
		trap '' PIPE	# a write after the close fails, not kills
		exec 5>"/dev/tcp/127.0.0.1/$port"
		for ((i = 0; i < 12; i++)); do
			printf 'x' >&5 || exit 0
			sleep 1
		done
		exit 1
	) 3>&- 2>/dev/null &
	BG+=("$!")
	# an endless line, 4 KB a quarter second: 12 s at most
	(
		trap '' PIPE
		exec 5>"/dev/tcp/127.0.0.1/$port"
		chunk=$(head -c 4096 /dev/zero | tr '\0' y)
		for ((i = 0; i < 48; i++)); do
			printf '%s' "$chunk" >&5 || exit 0
			sleep 0.25
		done
		exit 1
	) 3>&- 2>/dev/null &
	BG+=("$!")
	# meanwhile a client that sends a line a second is served
	exec {c}>"/dev/tcp/127.0.0.1/$port"
	for ((i = 0; i < 6; i++)); do
		printf 'sl.ok %d %d\n' "$i" $((B + 60 * i)) >&"$c"
		sleep 1
	done
	wait_stored 'sl.ok' 6
	# both were closed (their writes failed) before their end
	for pid in "${BG[@]}"; do
		st=0
		wait "$pid" || st=$?
		assert_equal "$st" 0
	done
	exec {c}>&-
	stop_listener
	assert_equal "$(stat_value idle_closed)" 2
	assert_equal "$(stat_value connections)" 3
	# the bytes each had sent rejected, never stored
	assert_equal "$(grep -c 'unfinished line of [0-9]* bytes dropped: the client idled past the idle timeout' "$T/lerr")" 2
	run -0 dmd-query -f 0 -u 2000000000 '*'	# no "xx", no "yyy..."
	assert_output ''
}

@test "--listen survives 10,000 connections in batches: a connected client is served throughout, caps hold, no file is leaked" {
	start_listener -S -m 100 -I 30s
	exec {c}>"/dev/tcp/127.0.0.1/$port"
	printf 'fl.ok 0 %d\n' "$B" >&"$c"
	# its files with the client and the cache connected
	wait_stored 'fl.ok' 1
	base=$(nfds "$ipid")
	# 10,000 connections, 500 at a time, each held until its batch is
	# all connected (or refused), then closed
	node -e '
const net = require("net");
const [port, total, batch] = process.argv.slice(1).map(Number);
let ok = 0, failed = 0;
function one() {
	return new Promise((done) => {
		const s = net.connect(port, "127.0.0.1");
		s.setTimeout(20000, () => s.destroy());
		s.on("connect", () => { ok++; done(s); });
		s.on("error", () => { failed++; done(null); });
	});
}
(async () => {
	for (let n = 0; n < total; n += batch) {
		const socks = await Promise.all(
		    Array.from({ length: batch }, one));
		await new Promise((r) => setTimeout(r, 20));
		for (const s of socks)
			if (s) s.destroy();
	}
	console.log("connected " + ok + " failed " + failed);
})();' "$port" 10000 500 >"$T/flood" 2>&1 3>&- &
	flood=$!
	BG+=("$flood")
	# the connected client goes on sending while the flood runs
	for ((i = 1; i <= 100; i++)); do
		kill -0 "$flood" 2>/dev/null || break
		printf 'fl.ok %d %d\n' "$i" $((B + 60 * i)) >&"$c"
		sleep 0.2
	done
	wait "$flood"
	cat "$T/flood"
	grep -q '^connected [0-9]* failed [0-9]*$' "$T/flood"
	n=$((i))
	printf 'fl.ok %d %d\n' "$n" $((B + 60 * n)) >&"$c"
	wait_stored 'fl.ok' $((n + 1))
	# every flood connection closed: back to the files it had
	for ((i = 0; i < 200; i++)); do
		[ "$(nfds "$ipid")" -le "$base" ] && break
		sleep 0.05
	done
	assert_equal "$(nfds "$ipid")" "$base"
	exec {c}>&-
	# a new client is served after it
	printf 'fl.new 1 %d\n' "$B" >"/dev/tcp/127.0.0.1/$port"
	wait_stored 'fl.new' 1
	stop_listener
	assert_equal "$st" 0
	conns=$(stat_value connections)
	refused=$(stat_value refused)
	echo "connections $conns refused $refused"
	# all 10,002 reached it: at most 100 at a time were let in
	[ "$((conns + refused))" -ge 10002 ]
	[ "$refused" -gt 0 ]
}

@test "a Redis reply announcing an array of 800,000,000 elements is refused with a message, not allocated for" {
	node -e 'const s = require("net").createServer((c) => {
	c.on("error", () => {});
	c.once("data", () => c.end("*800000000\r\n"));
});
s.listen(0, "127.0.0.1", () => console.log(s.address().port));' \
	    >"$T/hport" &
	BG+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/hport" ] && break
		sleep 0.05
	done
	local url=redis://127.0.0.1:$(cat "$T/hport")

	run --separate-stderr dmd-query -H -c "$url"
	assert_failure 4
	assert_stderr --partial "redis: reply announces an array of 800000000 elements, more than 16777216"
	run --separate-stderr dmd-query -c "$url" -f $B -u $((B + 60)) 'a.*'
	assert_failure 4
	assert_stderr --partial "reply announces an array of 800000000 elements"
	run --separate-stderr dmd-flush -c "$url" -a 0
	assert_failure 4
	assert_stderr --partial "reply announces an array of 800000000 elements"
}
