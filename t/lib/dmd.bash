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

# S3 stand-in (t/3xx on the s3:// archive): s3rver from t/servers
# (npm ci --prefix t/servers; ./bootstrap check does it), its PUT made
# atomic by t/servers/s3rver.js.
#
#   dmd_s3_start           s3rver on 127.0.0.1, a port of its choosing,
#                          bucket "dmd", data in a temp dir; sets S3_DIR
#                          S3_PID S3_PORT S3_ENDPOINT S3_ROOT (the
#                          directory of the archive's objects), exports
#                          AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
#                          DMD_ARCHIVE=s3://dmd/arch?endpoint=...; sets
#                          S3_SKIP (a reason) and returns 0 instead when
#                          s3rver is not installed in a tree without .git
#                          (a tarball: make distcheck)
#   dmd_s3_stop [SIG]      stop it by its PID (TERM), wait until gone
#   dmd_s3_reset           remove every object of the archive
#   dmd_s3_curl ARGS...    curl signed as the archive's requests are, for
#                          URLs under $S3_ENDPOINT
#
# Backend-neutral views of $DMD_ARCHIVE (file:// or this s3rver):
#
#   dmd_archive_objects    the object keys (gGG/START-LEN-SEQ), sorted
#   dmd_archive_file KEY   the file that holds the bytes of object KEY
#   dmd_archive_horizon    the content of the "horizon" object

dmd_s3_start() {
	local i
	S3_SKIP=
	if [ ! -f "$DMD_SRCDIR/t/servers/node_modules/s3rver/bin/s3rver.js" ] ||
	    ! command -v node >/dev/null 2>&1; then
		if [ ! -e "$DMD_SRCDIR/.git" ]; then
			S3_SKIP="s3rver is not installed (npm ci --prefix t/servers)"
			export S3_SKIP
			return 0
		fi
		echo "s3rver is not installed: run ./bootstrap check or" \
			"npm ci --prefix $DMD_SRCDIR/t/servers" >&2
		return 1
	fi
	S3_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/s3.XXXXXX")
	# s3rver with an atomic PUT (t/servers/s3rver.js); node 17+ needs
	# the legacy provider for its continuation tokens; port 0: the
	# kernel picks a free one, s3rver prints it
	node --openssl-legacy-provider "$DMD_SRCDIR/t/servers/s3rver.js" \
		-a 127.0.0.1 -p 0 \
		-d "$S3_DIR/data" --configure-bucket dmd --silent \
		3>&- >"$S3_DIR/s3rver.log" 2>&1 &
	S3_PID=$!
	S3_PORT=
	for i in $(seq 1 200); do
		S3_PORT=$(sed -n 's/^S3rver listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
			"$S3_DIR/s3rver.log")
		if [ -n "$S3_PORT" ] && curl -s -o /dev/null --max-time 1 \
		    "http://127.0.0.1:$S3_PORT/"; then
			break
		fi
		S3_PORT=
		_dmd_alive "$S3_PID" || break
		sleep 0.05
	done
	if [ -z "$S3_PORT" ]; then
		echo "s3rver did not start; log:" >&2
		cat "$S3_DIR/s3rver.log" >&2
		dmd_s3_stop KILL
		return 1
	fi
	S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
	S3_ROOT="$S3_DIR/data/dmd/arch"
	DMD_S3_ARCHIVE="s3://dmd/arch?endpoint=$S3_ENDPOINT&region=us-east-1"
	# s3rver knows one account and checks no signature
	export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
	export S3_SKIP S3_DIR S3_PID S3_PORT S3_ENDPOINT S3_ROOT DMD_S3_ARCHIVE
	export DMD_ARCHIVE="$DMD_S3_ARCHIVE"
}

dmd_s3_stop() {
	local sig=${1:-TERM} i
	[ -n "${S3_PID:-}" ] || return 0
	kill "-$sig" "$S3_PID" 2>/dev/null || true
	for i in $(seq 1 100); do
		_dmd_alive "$S3_PID" || break
		sleep 0.05
	done
	if _dmd_alive "$S3_PID"; then
		kill -KILL "$S3_PID" 2>/dev/null || true
	fi
	wait "$S3_PID" 2>/dev/null || true
	S3_PID=
}

dmd_s3_reset() {
	[ -n "${S3_ROOT:-}" ] && rm -rf "$S3_ROOT"
	return 0
}

dmd_s3_curl() {
	curl -sS --max-time 10 --aws-sigv4 aws:amz:us-east-1:s3 \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$@"
}

dmd_archive_objects() {
	case $DMD_ARCHIVE in
	s3://*)
		[ -d "$S3_ROOT" ] || return 0
		(cd "$S3_ROOT" && find . -path './g*/*' -type f \
			-name '*._S3rver_object' -print) |
			sed 's|^\./||; s|\._S3rver_object$||' | LC_ALL=C sort
		;;
	*)
		dmd_objects
		;;
	esac
}

dmd_archive_file() {
	case $DMD_ARCHIVE in
	s3://*) echo "$S3_ROOT/$1._S3rver_object" ;;
	*) echo "$(dmd_archive_dir)/$1" ;;
	esac
}

dmd_archive_horizon() {
	cat "$(dmd_archive_file horizon)"
}

# The tests of an s3:// archive run each test with the s3rver of
# setup_file (this file runs again in every test: see DMD_ARCHIVE above).
if [ -n "${DMD_S3_ARCHIVE:-}" ]; then
	export DMD_ARCHIVE="$DMD_S3_ARCHIVE"
fi

# Redis Cluster (t/250 on the redis-cluster:// cache): six private
# redis-server nodes on 127.0.0.1, three masters with a replica each,
# data in memory only, each node in its own directory under CLUSTER_DIR
# (its nodes.conf, log and PID record).  The state lives in files, so a
# node that one test stops or starts is known to the next test and to
# teardown_file.  Nodes are stopped by the PID recorded when they
# started (and only while that PID is still that node), never by name.
#
#   dmd_cluster_start      start the nodes on six free ports whose bus
#                          ports (+10000) are free too (other ports if
#                          one is taken meanwhile), create the cluster,
#                          wait until it is whole; sets CLUSTER_DIR and
#                          CLUSTER_PORTS, exports them, DMD_CACHE
#                          (redis-cluster:// with two masters as seeds)
#                          and DMD_TABLE, DMD_ARCHIVE under CLUSTER_DIR
#   dmd_cluster_wait [S]   wait (S seconds, default 30) until the cluster
#                          is whole: every node up with cluster_state:ok,
#                          seeing 3 masters with slots and 3 replicas
#                          (none failing), every replica's link up, all
#                          agreeing on the slots; 1 and the states if not
#   dmd_cluster_heal       start every node that does not run (same
#                          directory and nodes.conf: it rejoins, a master
#                          that was failed over as a replica), then
#                          dmd_cluster_wait
#   dmd_cluster_kill PORT [SIG]
#                          stop the node on PORT (SIGKILL by default),
#                          wait until it is gone
#   dmd_cluster_stop [SIG] stop every node (SIGTERM by default)
#   dmd_cluster_teardown   stop every node, remove CLUSTER_DIR
#   dmd_cluster_pid PORT   the PID of the node on PORT, if it runs
#   dmd_cluster_masters    the ports of the masters that serve slots,
#                          sorted (as the live nodes see them)
#   dmd_cluster_replicas   the ports of the replicas, sorted
#   dmd_cluster_id PORT    the node ID of the node on PORT
#   dmd_cluster_replica_of PORT
#                          the port of a replica of the master on PORT
#   dmd_cluster_flushall   FLUSHALL on every master (replicas follow)
#   dmd_cluster_seeds      redis-cluster://127.0.0.1:P,127.0.0.1:Q with
#                          the first two masters
#   ccli PORT ARGS...      redis-cli on the node on PORT (5 s at most)

ccli() {
	local port=$1
	shift
	timeout 5 redis-cli -h 127.0.0.1 -p "$port" "$@"
}

# PORT is taken: something accepts connections on 127.0.0.1:PORT.
_dmd_port_busy() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

dmd_cluster_pid() {
	local f=$CLUSTER_DIR/$1/pid pid
	[ -s "$f" ] || return 1
	pid=$(cat "$f")
	_dmd_alive "$pid" || return 1
	# still that node, not a PID reused since: redis-server names
	# itself "redis-server 127.0.0.1:PORT [cluster]"
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -q "^redis-server .*:$1\\b" || return 1
	echo "$pid"
}

# _dmd_cluster_launch PORT: start the node on PORT, record its PID.
# 0 started, 2 its port is taken, 1 another failure.
_dmd_cluster_launch() {
	local port=$1 d=$CLUSTER_DIR/$1 i
	mkdir -p "$d"
	rm -f "$d/redis.pid" "$d/pid"
	# replica-validity-factor 0: a replica may always take over;
	# diskless sync delay 0: replicas are in sync at once, not in 5 s
	redis-server --port "$port" --bind 127.0.0.1 \
		--cluster-enabled yes --cluster-config-file nodes.conf \
		--cluster-node-timeout 2000 \
		--cluster-replica-validity-factor 0 \
		--repl-diskless-sync-delay 0 \
		--save '' --appendonly no \
		--dir "$d" --logfile "$d/redis.log" \
		--daemonize yes --pidfile "$d/redis.pid" \
		3>&- >/dev/null 2>&1 </dev/null || return 1
	for i in $(seq 1 100); do
		if [ -s "$d/redis.pid" ]; then
			cat "$d/redis.pid" >"$d/pid"
			if [ "$(ccli "$port" ping 2>/dev/null)" = PONG ]; then
				return 0
			fi
		elif grep -q 'Address already in use' "$d/redis.log" \
		    2>/dev/null; then
			return 2
		fi
		sleep 0.05
	done
	echo "redis-server on port $port did not start; log:" >&2
	tail -20 "$d/redis.log" >&2
	return 1
}

dmd_cluster_start() {
	local lo base p rc addrs seeds
	CLUSTER_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/cluster.XXXXXX")
	export CLUSTER_DIR
	# ports and bus ports below the ephemeral range, where no
	# outgoing connection holds them
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range \
		2>/dev/null || echo 32768)
	for _ in $(seq 1 10); do
		if ((lo > 22000 + 10006)); then
			base=$((20000 + RANDOM % (lo - 10006 - 20000)))
		else
			base=$((20000 + RANDOM % 10000))
		fi
		CLUSTER_PORTS=
		for p in $(seq "$base" $((base + 5))); do
			if _dmd_port_busy "$p" || _dmd_port_busy $((p + 10000)); then
				CLUSTER_PORTS=
				break
			fi
			CLUSTER_PORTS="$CLUSTER_PORTS${CLUSTER_PORTS:+ }$p"
		done
		[ -n "$CLUSTER_PORTS" ] || continue
		export CLUSTER_PORTS
		echo "$CLUSTER_PORTS" >"$CLUSTER_DIR/ports"
		rc=0
		for p in $CLUSTER_PORTS; do
			_dmd_cluster_launch "$p" || { rc=$?; break; }
		done
		[ "$rc" = 0 ] && break
		# taken meanwhile (or failed): stop what started, try again
		dmd_cluster_stop KILL
		rm -rf "${CLUSTER_DIR:?}"/[0-9]*
		[ "$rc" = 2 ] || return 1
		CLUSTER_PORTS=
	done
	if [ -z "$CLUSTER_PORTS" ]; then
		echo "no six free ports found for the cluster" >&2
		return 1
	fi
	addrs=
	for p in $CLUSTER_PORTS; do
		addrs="$addrs 127.0.0.1:$p"
	done
	# shellcheck disable=SC2086
	if ! timeout 60 redis-cli --cluster create $addrs \
	    --cluster-replicas 1 --cluster-yes \
	    >"$CLUSTER_DIR/create.log" 2>&1 </dev/null; then
		echo "redis-cli --cluster create failed:" >&2
		cat "$CLUSTER_DIR/create.log" >&2
		dmd_cluster_stop KILL
		return 1
	fi
	if ! dmd_cluster_wait 30; then
		dmd_cluster_stop KILL
		return 1
	fi
	seeds=$(dmd_cluster_seeds)
	export DMD_CACHE="$seeds"
	export DMD_TABLE="file://$CLUSTER_DIR/table"
	export DMD_ARCHIVE="file://$CLUSTER_DIR/archive"
}

# The cluster is whole (see dmd_cluster_wait); prints what is not.
_dmd_cluster_whole() {
	local p nodes m r
	for p in $CLUSTER_PORTS; do
		if ! dmd_cluster_pid "$p" >/dev/null; then
			echo "node $p is not running"
			return 1
		fi
		if ! ccli "$p" cluster info 2>/dev/null |
		    grep -q '^cluster_state:ok'; then
			echo "node $p: not cluster_state:ok"
			return 1
		fi
		nodes=$(ccli "$p" cluster nodes 2>/dev/null) || return 1
		m=$(awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9' \
			<<<"$nodes" | wc -l)
		r=$(awk '$3 ~ /slave/ && $3 !~ /fail/' <<<"$nodes" | wc -l)
		if [ "$m" != 3 ] || [ "$r" != 3 ]; then
			echo "node $p sees $m masters with slots and $r replicas"
			return 1
		fi
		if [ "$(ccli "$p" role 2>/dev/null | head -n 1)" = slave ] &&
		    ! ccli "$p" info replication 2>/dev/null |
		    grep -q '^master_link_status:up'; then
			echo "replica $p: link to its master not up"
			return 1
		fi
	done
	p=${CLUSTER_PORTS%% *}
	if ! timeout 10 redis-cli --cluster check "127.0.0.1:$p" \
	    >/dev/null 2>&1; then
		echo "redis-cli --cluster check fails: nodes disagree"
		return 1
	fi
}

dmd_cluster_wait() {
	local secs=${1:-30} start=$SECONDS why
	while ! why=$(_dmd_cluster_whole); do
		if ((SECONDS - start >= secs)); then
			echo "the cluster is not whole after $secs s: $why" >&2
			local p
			for p in $CLUSTER_PORTS; do
				echo "node $p:" >&2
				ccli "$p" cluster nodes >&2 2>/dev/null
			done
			return 1
		fi
		sleep 0.1
	done
}

dmd_cluster_heal() {
	local p
	for p in $CLUSTER_PORTS; do
		if ! dmd_cluster_pid "$p" >/dev/null; then
			_dmd_cluster_launch "$p" || return 1
		fi
	done
	dmd_cluster_wait 30
}

dmd_cluster_kill() {
	local port=$1 sig=${2:-KILL} pid i
	pid=$(dmd_cluster_pid "$port") || return 0
	kill "-$sig" "$pid" 2>/dev/null || true
	for i in $(seq 1 100); do
		_dmd_alive "$pid" || break
		sleep 0.05
	done
	if _dmd_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			_dmd_alive "$pid" || break
			sleep 0.05
		done
	fi
	rm -f "$CLUSTER_DIR/$port/pid"
}

dmd_cluster_stop() {
	local sig=${1:-TERM} p
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	for p in ${CLUSTER_PORTS:-}; do
		dmd_cluster_kill "$p" "$sig"
	done
}

dmd_cluster_teardown() {
	dmd_cluster_stop TERM
	[ -n "${CLUSTER_DIR:-}" ] && rm -rf "$CLUSTER_DIR"
	return 0
}

# _dmd_cluster_nodes: CLUSTER NODES as the first live node sees it.
_dmd_cluster_nodes() {
	local p
	for p in $CLUSTER_PORTS; do
		dmd_cluster_pid "$p" >/dev/null || continue
		ccli "$p" cluster nodes 2>/dev/null && return 0
	done
	return 1
}

dmd_cluster_masters() {
	_dmd_cluster_nodes |
		awk '$3 ~ /master/ && $3 !~ /fail/ && NF >= 9 {
			split($2, a, "[:@]"); print a[2] }' | sort -n
}

dmd_cluster_replicas() {
	_dmd_cluster_nodes |
		awk '$3 ~ /slave/ && $3 !~ /fail/ {
			split($2, a, "[:@]"); print a[2] }' | sort -n
}

dmd_cluster_id() {
	ccli "$1" cluster myid
}

dmd_cluster_replica_of() {
	local id
	id=$(dmd_cluster_id "$1") || return 1
	_dmd_cluster_nodes |
		awk -v id="$id" '$3 ~ /slave/ && $4 == id {
			split($2, a, "[:@]"); print a[2]; exit }'
}

dmd_cluster_flushall() {
	local p
	for p in $(dmd_cluster_masters); do
		ccli "$p" flushall >/dev/null || return 1
	done
}

dmd_cluster_seeds() {
	dmd_cluster_masters | head -n 2 |
		awk '{ s = s (NR > 1 ? "," : "") "127.0.0.1:" $1 }
		END { print "redis-cluster://" s }'
}

# The tests of a redis-cluster:// cache run each test with the cluster
# of setup_file: its table and archive (see DMD_TABLE above).
if [ -n "${CLUSTER_DIR:-}" ]; then
	export DMD_TABLE="file://$CLUSTER_DIR/table"
	export DMD_ARCHIVE="file://$CLUSTER_DIR/archive"
fi

# DynamoDB stand-in (t/230 on the dynamodb:// table): dynalite from
# t/servers (npm ci --prefix t/servers; ./bootstrap check does it), its
# tables in a LevelDB directory, so a restart keeps them.  dynalite checks
# no signature and has no UpdateTimeToLive.
#
#   dmd_dynamo_start       dynalite on 127.0.0.1, a port the kernel picks;
#                          sets DYNAMO_DIR DYNAMO_PID DYNAMO_PORT
#                          DYNAMO_ENDPOINT, exports dummy AWS_ACCESS_KEY_ID
#                          and AWS_SECRET_ACCESS_KEY (no AWS_SESSION_TOKEN)
#                          and DMD_TABLE=$(dmd_dynamo_url dmd); sets
#                          DYNAMO_SKIP (a reason) and returns 0 instead when
#                          dynalite is not installed in a tree without .git
#                          (a tarball: make distcheck)
#   dmd_dynamo_stop [SIG]  stop it (TERM by default) by the PID it recorded
#                          in $DYNAMO_DIR/dynalite.pid, wait until gone; its
#                          tables stay
#   dmd_dynamo_restart     start it again on the same port and tables (the
#                          PID file follows, so a later test or
#                          teardown_file stops the new one)
#   dmd_dynamo_teardown    stop it if running, remove its directory
#   dmd_dynamo_url TABLE [ENDPOINT]
#                          the dynamodb:// URL of TABLE on it, or on
#                          ENDPOINT (a proxy in front of it)
#   dmd_dynamo_call OP JSON
#                          one DynamoDB API call (CreateTable, Scan, ...)
#                          signed as the table's requests are (curl
#                          --aws-sigv4); the answer on stdout
#   dmd_dynamo_items TABLE every item of TABLE (Scan, all pages), one a
#                          line, sorted: the attributes n k f l x and the
#                          byte length of d, tab-separated, "-" for one
#                          the item lacks

# dynalite's command line listens on 4567 when given port 0: this one
# takes the kernel's port and prints it.
_dmd_dynalite_js='
const [mod, port, path] = process.argv.slice(1);
const server = require(mod)({ path: path, createTableMs: 100,
    deleteTableMs: 100, updateTableMs: 100 });
server.listen(Number(port), "127.0.0.1", () => console.log(
    "Dynalite listening at: http://127.0.0.1:" + server.address().port));
for (const sig of ["SIGTERM", "SIGINT"])
	process.on(sig, () => process.exit(0));
'

# The PID of the dynalite of $DYNAMO_DIR, if it still runs.
_dmd_dynamo_pid() {
	local pid
	pid=$(cat "$DYNAMO_DIR/dynalite.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && _dmd_alive "$pid" || return 1
	# a recycled PID is not ours: ours has our directory in its arguments
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -qxF "$DYNAMO_DIR/db" || return 1
	echo "$pid"
}

_dmd_dynamo_launch() {
	local port=$1 i
	: >"$DYNAMO_DIR/dynalite.log"
	node -e "$_dmd_dynalite_js" "$DMD_SRCDIR/t/servers/node_modules/dynalite" \
		"$port" "$DYNAMO_DIR/db" 3>&- >"$DYNAMO_DIR/dynalite.log" 2>&1 &
	DYNAMO_PID=$!
	echo "$DYNAMO_PID" >"$DYNAMO_DIR/dynalite.pid"
	DYNAMO_PORT=
	for i in $(seq 1 200); do
		DYNAMO_PORT=$(sed -n 's|^Dynalite listening at: http://127\.0\.0\.1:\([0-9]*\)$|\1|p' \
			"$DYNAMO_DIR/dynalite.log")
		if [ -n "$DYNAMO_PORT" ] && curl -s -o /dev/null --max-time 1 \
		    "http://127.0.0.1:$DYNAMO_PORT/"; then
			break
		fi
		DYNAMO_PORT=
		_dmd_alive "$DYNAMO_PID" || break
		sleep 0.05
	done
	if [ -z "$DYNAMO_PORT" ]; then
		echo "dynalite did not start; log:" >&2
		cat "$DYNAMO_DIR/dynalite.log" >&2
		dmd_dynamo_stop KILL
		return 1
	fi
	DYNAMO_ENDPOINT="http://127.0.0.1:$DYNAMO_PORT"
	export DYNAMO_PID DYNAMO_PORT DYNAMO_ENDPOINT
}

dmd_dynamo_start() {
	DYNAMO_SKIP=
	if [ ! -f "$DMD_SRCDIR/t/servers/node_modules/dynalite/index.js" ] ||
	    ! command -v node >/dev/null 2>&1; then
		if [ ! -e "$DMD_SRCDIR/.git" ]; then
			DYNAMO_SKIP="dynalite is not installed (npm ci --prefix t/servers)"
			export DYNAMO_SKIP
			return 0
		fi
		echo "dynalite is not installed: run ./bootstrap check or" \
			"npm ci --prefix $DMD_SRCDIR/t/servers" >&2
		return 1
	fi
	DYNAMO_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/dynamo.XXXXXX")
	export DYNAMO_SKIP DYNAMO_DIR
	_dmd_dynamo_launch 0 || return 1
	export AWS_ACCESS_KEY_ID=DMDTESTKEY AWS_SECRET_ACCESS_KEY=dmd-test-secret
	unset AWS_SESSION_TOKEN
	DMD_DYNAMO_TABLE=$(dmd_dynamo_url dmd)
	export DMD_DYNAMO_TABLE DMD_TABLE="$DMD_DYNAMO_TABLE"
}

dmd_dynamo_stop() {
	local sig=${1:-TERM} pid i
	[ -n "${DYNAMO_DIR:-}" ] || return 0
	if pid=$(_dmd_dynamo_pid); then
		kill "-$sig" "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			_dmd_alive "$pid" || break
			sleep 0.05
		done
		if _dmd_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	DYNAMO_PID=
	return 0
}

dmd_dynamo_restart() {
	_dmd_dynamo_launch "$DYNAMO_PORT"
}

dmd_dynamo_teardown() {
	dmd_dynamo_stop TERM
	[ -n "${DYNAMO_DIR:-}" ] && rm -rf "$DYNAMO_DIR"
	return 0
}

dmd_dynamo_url() {
	echo "dynamodb://$1?endpoint=${2:-$DYNAMO_ENDPOINT}&region=us-east-1"
}

dmd_dynamo_call() {
	curl -sS --max-time 10 --aws-sigv4 aws:amz:us-east-1:dynamodb \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.0' \
		-H "X-Amz-Target: DynamoDB_20120810.$1" --data-binary "$2" \
		"$DYNAMO_ENDPOINT/"
}

# One page of a Scan on stdin: its items as lines, then its
# LastEvaluatedKey (a line that starts with "{"), if any.
_dmd_dynamo_page_js='
let s = "";
process.stdin.on("data", c => s += c).on("end", () => {
	const r = JSON.parse(s);
	if (!Array.isArray(r.Items)) {
		process.stderr.write("Scan: " + s + "\n");
		process.exit(1);
	}
	for (const it of r.Items) {
		const a = (n, t) => it[n] && it[n][t] !== undefined ? it[n][t] : "-";
		const d = it.d && it.d.B !== undefined ?
		    Buffer.from(it.d.B, "base64").length : "-";
		console.log([a("n", "S"), a("k", "S"), a("f", "N"), a("l", "N"),
		    a("x", "N"), d].join("\t"));
	}
	if (r.LastEvaluatedKey)
		console.log(JSON.stringify(r.LastEvaluatedKey));
});
'

dmd_dynamo_items() {
	local start='' out
	while :; do
		out=$(dmd_dynamo_call Scan "{\"TableName\":\"$1\"${start:+,\"ExclusiveStartKey\":$start}}" |
			node -e "$_dmd_dynamo_page_js") || return 1
		start=$(printf '%s\n' "$out" | sed -n '/^{/p')
		printf '%s\n' "$out" | sed '/^{/d; /^$/d'
		[ -n "$start" ] || break
	done | LC_ALL=C sort
	return "${PIPESTATUS[0]}"
}

# The tests of a dynamodb:// table run each test with the dynalite of
# setup_file (this file runs again in every test: see DMD_TABLE above).
if [ -n "${DMD_DYNAMO_TABLE:-}" ]; then
	export DMD_TABLE="$DMD_DYNAMO_TABLE"
fi

# Kinesis stand-in (t/180 on the kinesis:// log): kinesalite from
# t/servers (npm ci --prefix t/servers; ./bootstrap check does it), its
# streams in a LevelDB directory, so a restart keeps them.  kinesalite
# checks no signature; its command line binds every interface, so it is
# started from node on 127.0.0.1.
#
#   dmd_kinesis_start      kinesalite on 127.0.0.1, a port the kernel picks;
#                          sets KINESIS_DIR KINESIS_PID KINESIS_PORT
#                          KINESIS_ENDPOINT, exports dummy AWS_ACCESS_KEY_ID
#                          and AWS_SECRET_ACCESS_KEY (no AWS_SESSION_TOKEN)
#                          and DMD_LOG=$(dmd_kinesis_url dmd); sets
#                          KINESIS_SKIP (a reason) and returns 0 instead
#                          when kinesalite is not installed in a tree
#                          without .git (a tarball: make distcheck)
#   dmd_kinesis_stop [SIG] stop it (TERM by default) by the PID it recorded
#                          in $KINESIS_DIR/kinesalite.pid, wait until gone;
#                          its streams stay
#   dmd_kinesis_restart    start it again on the same port and streams (the
#                          PID file follows, so a later test or
#                          teardown_file stops the new one)
#   dmd_kinesis_teardown   stop it if running, remove its directory
#   dmd_kinesis_url STREAM [ENDPOINT]
#                          the kinesis:// URL of STREAM on it, or on
#                          ENDPOINT (a proxy in front of it)
#   dmd_kinesis_call OP JSON
#                          one Kinesis API call (DescribeStreamSummary,
#                          ListShards, ...) signed as the log's requests
#                          are (curl --aws-sigv4); the answer on stdout

# Port 0 to the kernel, the port it gave printed; streams made ACTIVE at
# once (a put -n waits for ACTIVE all the same).
_dmd_kinesalite_js='
const [mod, port, path] = process.argv.slice(1);
const server = require(mod)({ path: path, createStreamMs: 50,
    deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
server.listen(Number(port), "127.0.0.1", () => console.log(
    "kinesalite listening on 127.0.0.1:" + server.address().port));
for (const sig of ["SIGTERM", "SIGINT"])
	process.on(sig, () => process.exit(0));
'

# The PID of the kinesalite of $KINESIS_DIR, if it still runs.
_dmd_kinesis_pid() {
	local pid
	pid=$(cat "$KINESIS_DIR/kinesalite.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && _dmd_alive "$pid" || return 1
	# a recycled PID is not ours: ours has our directory in its arguments
	tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null |
		grep -qxF "$KINESIS_DIR/db" || return 1
	echo "$pid"
}

_dmd_kinesis_launch() {
	local port=$1 i
	: >"$KINESIS_DIR/kinesalite.log"
	node -e "$_dmd_kinesalite_js" \
		"$DMD_SRCDIR/t/servers/node_modules/kinesalite" \
		"$port" "$KINESIS_DIR/db" \
		3>&- >"$KINESIS_DIR/kinesalite.log" 2>&1 &
	KINESIS_PID=$!
	echo "$KINESIS_PID" >"$KINESIS_DIR/kinesalite.pid"
	KINESIS_PORT=
	for i in $(seq 1 200); do
		KINESIS_PORT=$(sed -n 's|^kinesalite listening on 127\.0\.0\.1:\([0-9]*\)$|\1|p' \
			"$KINESIS_DIR/kinesalite.log")
		if [ -n "$KINESIS_PORT" ] && curl -s -o /dev/null --max-time 1 \
		    "http://127.0.0.1:$KINESIS_PORT/"; then
			break
		fi
		KINESIS_PORT=
		_dmd_alive "$KINESIS_PID" || break
		sleep 0.05
	done
	if [ -z "$KINESIS_PORT" ]; then
		echo "kinesalite did not start; log:" >&2
		cat "$KINESIS_DIR/kinesalite.log" >&2
		dmd_kinesis_stop KILL
		return 1
	fi
	KINESIS_ENDPOINT="http://127.0.0.1:$KINESIS_PORT"
	export KINESIS_PID KINESIS_PORT KINESIS_ENDPOINT
}

dmd_kinesis_start() {
	KINESIS_SKIP=
	if [ ! -f "$DMD_SRCDIR/t/servers/node_modules/kinesalite/index.js" ] ||
	    ! command -v node >/dev/null 2>&1; then
		if [ ! -e "$DMD_SRCDIR/.git" ]; then
			KINESIS_SKIP="kinesalite is not installed (npm ci --prefix t/servers)"
			export KINESIS_SKIP
			return 0
		fi
		echo "kinesalite is not installed: run ./bootstrap check or" \
			"npm ci --prefix $DMD_SRCDIR/t/servers" >&2
		return 1
	fi
	KINESIS_DIR=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/kinesis.XXXXXX")
	export KINESIS_SKIP KINESIS_DIR
	_dmd_kinesis_launch 0 || return 1
	export AWS_ACCESS_KEY_ID=DMDTESTKEY AWS_SECRET_ACCESS_KEY=dmd-test-secret
	unset AWS_SESSION_TOKEN
	DMD_KINESIS_LOG=$(dmd_kinesis_url dmd)
	export DMD_KINESIS_LOG DMD_LOG="$DMD_KINESIS_LOG"
}

dmd_kinesis_stop() {
	local sig=${1:-TERM} pid i
	[ -n "${KINESIS_DIR:-}" ] || return 0
	if pid=$(_dmd_kinesis_pid); then
		kill "-$sig" "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			_dmd_alive "$pid" || break
			sleep 0.05
		done
		if _dmd_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	fi
	KINESIS_PID=
	return 0
}

dmd_kinesis_restart() {
	_dmd_kinesis_launch "$KINESIS_PORT"
}

dmd_kinesis_teardown() {
	dmd_kinesis_stop TERM
	[ -n "${KINESIS_DIR:-}" ] && rm -rf "$KINESIS_DIR"
	return 0
}

dmd_kinesis_url() {
	echo "kinesis://$1?endpoint=${2:-$KINESIS_ENDPOINT}&region=us-east-1"
}

dmd_kinesis_call() {
	curl -sS --max-time 10 --aws-sigv4 aws:amz:us-east-1:kinesis \
		--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H 'Content-Type: application/x-amz-json-1.1' \
		-H "X-Amz-Target: Kinesis_20131202.$1" --data-binary "$2" \
		"$KINESIS_ENDPOINT/"
}

# The tests of a kinesis:// log run each test with the kinesalite of
# setup_file (this file runs again in every test).
if [ -n "${DMD_KINESIS_LOG:-}" ]; then
	export DMD_LOG="$DMD_KINESIS_LOG"
fi

# wait_for PID SECONDS: wait for background job PID and set st to its
# exit status; if it still runs after SECONDS, kill it and set st=124.
wait_for() {
	local pid=$1 secs=$2 i

	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		st=124
		return 0
	fi
	st=0
	wait "$pid" || st=$?
}

# A usage error: exit 2, nothing on stdout, MESSAGE on stderr.
# usage_error MESSAGE COMMAND...
usage_error() {
	local msg=$1
	shift
	run --separate-stderr "$@" </dev/null
	assert_failure 2
	assert_output ''
	assert_stderr --partial "$msg"
}

# Wait until the wall clock is at Unix second $1 or later.
wait_until() {
	while [ "$(date +%s)" -lt "$1" ]; do
		sleep 0.1
	done
}

# wait_lines FILE N SECONDS: wait until FILE has at least N lines.
wait_lines() {
	local i

	for ((i = 0; i < $3 * 20; i++)); do
		[ "$(wc -l <"$1" 2>/dev/null || echo 0)" -ge "$2" ] && return 0
		sleep 0.05
	done
	echo "$1 has $(wc -l <"$1") lines after $3 s, want $2"
	return 1
}

# has FILE TEXT: FILE contains TEXT (fixed string); shows FILE otherwise.
has() {
	if ! grep -qF -- "$2" "$1"; then
		echo "\"$2\" not found in $1:"
		head -40 "$1"
		return 1
	fi
}

# start_listener [OPTION...]: dmd-ingest -L "${LISTEN:-127.0.0.1:0}"
# OPTION... in the background, stdout in $LOUT and stderr in $LERR
# ($T/lout and $T/lerr unless set); sets ipid and port (read from
# "listening on ADDR:N").
start_listener() {
	local i out=${LOUT:-$T/lout} err=${LERR:-$T/lerr}

	# there before the child opens it, for the loop below
	: >"$err"
	dmd-ingest -L "${LISTEN:-127.0.0.1:0}" "$@" >"$out" 2>"$err" 3>&- &
	ipid=$!
	port=
	for ((i = 0; i < 100; i++)); do
		port=$(sed -n 's/^dmd-ingest: listening on .*:\([0-9][0-9]*\)$/\1/p' "$err" | head -n 1)
		[ -n "$port" ] && return 0
		kill -0 "$ipid" 2>/dev/null || break
		sleep 0.05
	done
	echo "no port from dmd-ingest; its stderr:"
	cat "$err"
	return 1
}

# stop_listener: SIGTERM to the listener started by start_listener and
# wait for it, 20 s at most (then SIGKILL and st=124); st is its exit
# status.
stop_listener() {
	kill -TERM "$ipid"
	wait_for "$ipid" 20
	ipid=
}

# kill_jobs PID...: SIGKILL each PID that is still a job of this shell
# not waited for yet (a PID waited for may have been reused by another
# process), and reap it; for teardown.
kill_jobs() {
	local pid live

	live=" $(jobs -p | tr '\n' ' ') "
	for pid in "$@"; do
		[[ $live == *" $pid "* ]] || continue
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}
