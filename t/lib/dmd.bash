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
# The table of the servers this file started (dmd_redis_start in
# setup_file exports REDIS_DIR), else none: never the system default.
# This runs again in every test, so it must not undo setup_file's.
export DMD_TABLE="${REDIS_DIR:+file://$REDIS_DIR/table}"
export DMD_ARCHIVE="${REDIS_DIR:+file://$REDIS_DIR/archive}"
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
	export DMD_ARCHIVE="file://$REDIS_DIR/archive"
	_dmd_redis_launch
}

dmd_reset() {
	rcli flushall >/dev/null
	rm -rf "$REDIS_DIR/table" "$REDIS_DIR/archive"
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

# Helpers of the flush and tier tests (t/2xx):
#
#   dmd_points PREFIX NSERIES FIRST COUNT [OFFSET]
#                          "name value time" lines: series PREFIX.s000 ...,
#                          points FIRST .. FIRST+COUNT-1 at 1732406400 + 60 *
#                          index, integer value OFFSET*10^7 + series*10^4 +
#                          index (so an OFFSET rewrites with new values)
#   dmd_expect [FILE...]   "name value time" lines to the NDJSON dmd-query
#                          prints: the last value of each (name, time),
#                          by name then time (values printed as given)
#   dmd_query_all ARGS...  dmd-query over all time
#   dmd_keys PATTERN       cache keys matching PATTERN, sorted
#   dmd_table_dir          the directory of $DMD_TABLE
#   dmd_chunks             chunk files of the table, paths under its
#                          directory (.../NAME/FIRST_LAST_SEQ), sorted
#   dmd_tmp_files          files in the table's tmp directory
#   dmd_stat FILE NAME     the value of counter NAME (flush.series, ...)
#                          in the --stats output in FILE

dmd_points() {
	awk -v p="$1" -v ns="$2" -v first="$3" -v cnt="$4" -v off="${5:-0}" '
	BEGIN {
		for (i = first; i < first + cnt; i++)
			for (s = 0; s < ns; s++)
				printf "%s.s%03d %d %d\n", p, s,
				    off * 10000000 + s * 10000 + i,
				    1732406400 + 60 * i
	}'
}

dmd_expect() {
	awk '{ v[$1 " " $3] = $2 }
	END { for (k in v) print k, v[k] }' "$@" |
		LC_ALL=C sort -t' ' -k1,1 -k2,2n |
		awk '{ printf "{\"name\":\"%s\",\"time\":%s,\"value\":%s}\n",
		    $1, $2, $3 }'
}

dmd_query_all() {
	dmd-query -f 0 -u 2000000000 "$@"
}

dmd_keys() {
	rcli --scan --pattern "$1" | LC_ALL=C sort
}

dmd_table_dir() {
	echo "${DMD_TABLE#file://}"
}

dmd_chunks() {
	local d
	d=$(dmd_table_dir)
	[ -d "$d" ] || return 0
	(cd "$d" && find . -path ./tmp -prune -o -type f ! -name dmd-table \
		-print) | sed 's|^\./||' | LC_ALL=C sort
}

dmd_tmp_files() {
	local d
	d=$(dmd_table_dir)/tmp
	[ -d "$d" ] || return 0
	find "$d" -mindepth 1 -print | LC_ALL=C sort
}

dmd_stat() {
	sed -n 's/^{"name":"dmd\..*\.'"$2"'","time":[0-9]*,"value":\(.*\)}$/\1/p' "$1"
}

# Helpers of the archive tests (t/3xx):
#
#   dmd_archive_dir        the directory of $DMD_ARCHIVE
#   dmd_objects            the archive's object keys (gGG/START-LEN-SEQ),
#                          sorted
#   dmd_archive_tmp_files  files in the archive's tmp directory

dmd_archive_dir() {
	echo "${DMD_ARCHIVE#file://}"
}

dmd_objects() {
	local d
	d=$(dmd_archive_dir)
	[ -d "$d" ] || return 0
	(cd "$d" && find . -path './g*/*' -type f -print) | sed 's|^\./||' |
		LC_ALL=C sort
}

dmd_archive_tmp_files() {
	local d
	d=$(dmd_archive_dir)/tmp
	[ -d "$d" ] || return 0
	find "$d" -mindepth 1 -print | LC_ALL=C sort
}
