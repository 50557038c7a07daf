# t/lib/dmd.bash - shared helper for the bats tests.
#
# Starts private servers in temp dirs and stops them by the PID it
# started (never by name).  Load with:  load lib/dmd
#
#   dmd_redis_start        private redis-server on a unix socket; sets
#                          REDIS_DIR REDIS_SOCK REDIS_PID, exports DMD_CACHE
#                          and DMD_TABLE (file://$REDIS_DIR/table)
#   dmd_reset              empty the cache and remove the table (setup)
#   dmd_redis_stop [SIG]   stop it (TERM by default), wait until gone
#   dmd_redis_restart      start again on the same dir and socket (AOF)
#   rcli ARGS...           redis-cli on that socket
#   dmd_redis_teardown     stop if running, remove the dir (teardown_file)
#   assert_stderr, assert_stderr_line   bats-assert on $stderr

bats_load_library bats-support
bats_load_library bats-assert
bats_load_library bats-file

: "${DMD_SRCDIR:=$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
: "${DMD_BUILDDIR:=$DMD_SRCDIR}"
PATH="$DMD_BUILDDIR:$PATH"
export DMD_SRCDIR DMD_BUILDDIR PATH
# No table unless a test starts its servers: never the system default.
export DMD_TABLE=
DATA="$DMD_SRCDIR/t/data"

_dmd_redis_launch() {
	# fd 3 closed: bats waits for whoever holds it
	redis-server --port 0 --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
		--dir "$REDIS_DIR" --save '' --appendonly yes \
		--appendfsync everysec --logfile "$REDIS_DIR/redis.log" \
		--daemonize no 3>&- >/dev/null 2>&1 &
	REDIS_PID=$!
	export REDIS_PID
	local i
	for i in $(seq 1 100); do
		if redis-cli -s "$REDIS_SOCK" ping >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "redis-server did not start; log:" >&2
	cat "$REDIS_DIR/redis.log" >&2
	return 1
}

dmd_redis_start() {
	# A short path: unix socket paths are limited to 107 bytes.
	REDIS_DIR=$(mktemp -d /tmp/dmd-t.XXXXXX)
	REDIS_SOCK="$REDIS_DIR/redis.sock"
	export REDIS_DIR REDIS_SOCK
	export DMD_CACHE="unix://$REDIS_SOCK"
	export DMD_TABLE="file://$REDIS_DIR/table"
	_dmd_redis_launch
}

dmd_reset() {
	rcli flushall >/dev/null
	rm -rf "$REDIS_DIR/table"
}

# Alive and not a zombie (a server restarted in an earlier test is no
# longer our child, and init may take seconds to reap it).
_dmd_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

dmd_redis_stop() {
	local sig=${1:-TERM} i
	[ -n "${REDIS_PID:-}" ] || return 0
	kill "-$sig" "$REDIS_PID" 2>/dev/null || true
	for i in $(seq 1 100); do
		_dmd_alive "$REDIS_PID" || break
		sleep 0.05
	done
	if _dmd_alive "$REDIS_PID"; then
		kill -KILL "$REDIS_PID" 2>/dev/null || true
	fi
	wait "$REDIS_PID" 2>/dev/null || true
	REDIS_PID=
}

dmd_redis_restart() {
	_dmd_redis_launch
}

rcli() {
	redis-cli -s "$REDIS_SOCK" "$@"
}

dmd_redis_teardown() {
	dmd_redis_stop TERM
	[ -n "${REDIS_DIR:-}" ] && rm -rf "$REDIS_DIR"
	return 0
}

# assert_output / assert_line on the stderr of `run --separate-stderr`.
assert_stderr() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_output "$@"
}

assert_stderr_line() {
	local output=$stderr
	local -a lines=("${stderr_lines[@]}")
	assert_line "$@"
}

# Sorted NDJSON of FILE, for comparing sets of points.
sorted() {
	LC_ALL=C sort "$@"
}
