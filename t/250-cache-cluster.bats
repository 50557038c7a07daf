#!/usr/bin/env bats
# The redis-cluster:// cache on a private six-node Redis Cluster (three
# masters, a replica each): dmd-ingest, dmd-flush, dmd-query (-H) and
# dmd-e2e through it; a master SIGKILLed mid-ingest (its replica takes
# over, the writer's retries reach it) and mid-flush (the next run
# finishes); slots moved mid-ingest (MOVED and ASK followed); every node
# down (spill and exit 3, exit 4); bad URLs (exit 2).
#
# Every comparison is exact: the query answer is the input points, each
# once (dmd_expect), whichever masters hold them.
#
# One cluster serves the file.  setup() starts again any node that an
# earlier test stopped, waits until the cluster is whole (three masters
# with slots, three replicas in sync), empties it, and takes two masters
# of the moment as the seeds of DMD_CACHE, so each test stands alone.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_cluster_start; }
teardown_file() { dmd_cluster_teardown; }

setup() {
	T=$BATS_TEST_TMPDIR
	BG=()
	dmd_cluster_heal
	dmd_cluster_flushall
	DMD_CACHE=$(dmd_cluster_seeds)
	export DMD_CACHE
	rm -rf "$(dmd_table_dir)" "$(dmd_archive_dir)"
}

teardown() {
	kill_jobs "${BG[@]}"
	# a slot a test left half moved: stable again, on both masters
	if [ -n "${open_slot:-}" ]; then
		set -- $open_slot
		ccli "$2" cluster setslot "$1" stable >/dev/null 2>&1 || true
		ccli "$3" cluster setslot "$1" stable >/dev/null 2>&1 || true
	fi
	return 0
}

query_all() {
	timeout 30 dmd-query -f 0 -u 2000000000 "$@"
}

# check_answer PREFIX FILE...: the query answer of PREFIX.* is exactly
# the points of the "name value time" files, the last value of each.
check_answer() {
	local prefix=$1
	shift
	dmd_expect "$@" >"$T/expected"
	query_all "$prefix.*" >"$T/got"
	diff -u "$T/expected" "$T/got"
}

flush_all() {
	timeout 60 dmd-flush -n 1 -a 100w "$@"
}

# The counter NAME (ingest.retries, flush.points, ...) in --stats FILE.
stat_of() {
	dmd_stat "$1" "$2"
}

# keys_on PORT PATTERN: the keys of the node on PORT matching PATTERN.
keys_on() {
	ccli "$1" --scan --pattern "$2" | LC_ALL=C sort
}

# all_keys PATTERN: the keys of every master matching PATTERN.
all_keys() {
	local p
	for p in $(dmd_cluster_masters); do
		keys_on "$p" "$1"
	done | LC_ALL=C sort
}

# info_field PORT SECTION FIELD: a numeric field of INFO SECTION.
info_field() {
	ccli "$1" info "$2" | tr -d '\r' | sed -n "s/^$3:\\([0-9.]*\\)$/\\1/p"
}

# error_count PORT CODE: how many CODE (MOVED, ASK) error replies the
# node sent since its last CONFIG RESETSTAT.
error_count() {
	local n
	n=$(ccli "$1" info errorstats | tr -d '\r' |
		sed -n "s/^errorstat_$2:count=\\([0-9]*\\)$/\\1/p")
	echo "${n:-0}"
}

# slots_of PORT: how many slots the master on PORT serves.
slots_of() {
	ccli "$1" cluster nodes | awk '$3 ~ /myself/ {
		for (i = 9; i <= NF; i++) {
			if ($i ~ /^\[/)
				continue
			n = split($i, r, "-")
			s += n == 2 ? r[2] - r[1] + 1 : 1
		}
		print s + 0 }'
}

# wait_file FILE SECONDS: until FILE exists.
wait_file() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "$1 did not appear in $2 s"
	return 1
}

# synced MASTER REPLICA: the replica has everything the master sent.
synced() {
	local m r
	m=$(info_field "$1" replication master_repl_offset)
	r=$(info_field "$2" replication slave_repl_offset)
	[ -n "$m" ] && [ "$m" = "$r" ]
}

# start_move NAME: start moving the slot of series NAME from its master
# (src) to another (dst), and move its live list already; the rest of
# its shard (count, due set) stays on src.  Sets key src dst slot srcid
# dstid, and open_slot for teardown, which makes the slot stable again if
# the test fails before finish_move.
start_move() {
	local p
	key='' src=''
	for p in $(dmd_cluster_masters); do
		key=$(keys_on "$p" "dmd:*:c:$1")
		if [ -n "$key" ]; then
			src=$p
			break
		fi
	done
	[ -n "$key" ]
	tag=${key#dmd:\{}
	tag=${tag%%\}*}
	slot=$(ccli "$src" cluster keyslot "{$tag}")
	dst=$(dmd_cluster_masters | grep -vx "$src" | head -n 1)
	srcid=$(dmd_cluster_id "$src")
	dstid=$(dmd_cluster_id "$dst")
	open_slot="$slot $src $dst"
	[ "$(ccli "$dst" cluster setslot "$slot" importing "$srcid")" = OK ]
	[ "$(ccli "$src" cluster setslot "$slot" migrating "$dstid")" = OK ]
	[ "$(ccli "$src" migrate 127.0.0.1 "$dst" "$key" 0 5000)" = OK ]
	[ "$(ccli "$dst" cluster countkeysinslot "$slot")" = 1 ]
}

# finish_move: move the rest of the slot's keys, then give the slot to
# dst on every master.
finish_move() {
	local keys p
	keys=$(ccli "$src" cluster getkeysinslot "$slot" 1000 | tr '\n' ' ')
	if [ -n "${keys// /}" ]; then
		# shellcheck disable=SC2086
		[ "$(ccli "$src" migrate 127.0.0.1 "$dst" '' 0 5000 \
		    keys $keys)" = OK ]
	fi
	for p in $(dmd_cluster_masters); do
		ccli "$p" cluster setslot "$slot" node "$dstid" >/dev/null
	done
	open_slot=
	[ "$(ccli "$src" cluster countkeysinslot "$slot")" = 0 ]
}

@test "ingest and query round trip: every point back, keys on all three masters, each with its shard's hash tag" {
	dmd_points rt 200 0 30 >"$T/in"		# 6000 points
	run --separate-stderr timeout 30 dmd-ingest -S "$T/in"
	assert_success
	echo "$output" >"$T/stats"
	assert_equal "$(stat_of "$T/stats" ingest.accepted)" 6000
	assert_equal "$(stat_of "$T/stats" ingest.retries)" 0
	check_answer rt "$T/in"
	run wc -l <"$T/got"
	assert_output 6000

	masters=$(dmd_cluster_masters)
	assert_equal "$(echo "$masters" | wc -l)" 3
	for p in $masters; do
		n=$(ccli "$p" dbsize)
		echo "master $p: $n keys"
		((n > 0))
		# every key carries its shard's hash tag
		run keys_on "$p" '*'
		[ "${#lines[@]}" = "$n" ]
		[ -z "$(printf '%s\n' "${lines[@]}" | grep -v '^dmd:{s[0-9]\{4\}}:')" ]
	done
	# one list per series, whichever master holds it
	run all_keys 'dmd:*:c:rt.*'
	assert_equal "${#lines[@]}" 200
	# a series' points are one list: a single series reads back alone
	run query_all -o tsv -f 1732406400 -u 1732406400 rt.s123
	assert_output $'rt.s123\t1230000\t1732406400'
}

@test "dmd-flush moves every series to the table: same answer before and after, nothing left cached, a second run moves nothing" {
	dmd_points fl 150 0 20 >"$T/in"		# 3000 points
	timeout 30 dmd-ingest "$T/in"
	check_answer fl "$T/in"

	run --separate-stderr flush_all -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/stats"
	assert_equal "$(stat_of "$T/stats" flush.series)" 150
	assert_equal "$(stat_of "$T/stats" flush.points)" 3000
	assert_equal "$(stat_of "$T/stats" flush.chunks)" 150
	check_answer fl "$T/in"
	run all_keys 'dmd:*:[cf]:*'
	assert_output ''
	run all_keys 'dmd:*:due'
	assert_output ''
	dmd_chunks >"$T/chunks"
	assert_equal "$(wc -l <"$T/chunks")" 150
	# the cache alone is empty now
	run query_all -t '' 'fl.*'
	assert_success
	assert_output ''

	# a second run finds nothing to move
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats2"
	assert_equal "$(stat_of "$T/stats2" flush.series)" 0
	assert_equal "$(stat_of "$T/stats2" flush.points)" 0
	run dmd_chunks
	assert_output "$(cat "$T/chunks")"
	check_answer fl "$T/in"

	# cache and table together: new times, and new values for times
	# already in the table
	dmd_points fl 150 10 20 1 >"$T/in2"
	timeout 30 dmd-ingest "$T/in2"
	check_answer fl "$T/in" "$T/in2"
	run --separate-stderr flush_all
	assert_success
	check_answer fl "$T/in" "$T/in2"
}

@test "dmd-query -H adds up the three masters: used_memory above any one's, and not the replicas'; clients and due series of all" {
	dmd_points h 120 0 5 >"$T/in"
	timeout 30 dmd-ingest "$T/in"

	declare -A mem
	sum=0
	for p in $(dmd_cluster_masters); do
		mem[$p]=$(info_field "$p" memory used_memory)
		sum=$((sum + mem[$p]))
	done
	run --separate-stderr timeout 30 dmd-query -H
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/health"
	used=$(sed -n 's/.*cache\.used_memory_bytes","time":[0-9]*,"value":\([0-9]*\)}$/\1/p' "$T/health")
	echo "used_memory: dmd-query -H $used, the masters $sum"
	for p in "${!mem[@]}"; do
		((used > mem[$p]))
	done
	# about the masters' sum: a fourth node (a replica) would add a
	# third to it
	((used * 100 > sum * 85 && used * 100 < sum * 115))
	assert_line --regexp 'cache\.clients","time":[0-9]+,"value":([3-9]|[1-9][0-9]+)\}$'
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":120\}$'

	run --separate-stderr flush_all
	assert_success
	run --separate-stderr timeout 30 dmd-query -H
	assert_success
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":0\}$'
}

@test "dmd-e2e through the cluster: exit 0, success 1, the probe points stored" {
	run --separate-stderr timeout 60 dmd-e2e -N 3 -i 0
	assert_success
	[ -z "$stderr" ]
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.success","time":[0-9]+,"value":1\}$'
	assert_line --regexp '^\{"name":"dmd\.e2e\.[^"]*\.failures","time":[0-9]+,"value":0\}$'
	# the probes of one second share a point
	run query_all 'dmd.e2e.*.probe'
	assert_success
	((${#lines[@]} >= 1))
	assert_line --index 0 --regexp '^\{"name":"dmd\.e2e\.[^"]*\.probe","time":[0-9]+,"value":[0-9]+\}$'
	run all_keys 'dmd:*:c:dmd.e2e.*.probe'
	assert_equal "${#lines[@]}" 1
}

@test "a master SIGKILLed mid-ingest: its replica takes over, the writer retries, every point is stored" {
	dmd_points fo 300 0 40 >"$T/in"		# 12000 points
	# a seed of DMD_CACHE: the slot map must come from another node
	victim=$(dmd_cluster_masters | head -n 1)
	[[ $DMD_CACHE == *":$victim,"* ]]
	replica=$(dmd_cluster_replica_of "$victim")
	[ -n "$replica" ]

	mkfifo "$T/fifo"
	timeout 90 dmd-ingest -b 1000 -d 50 -S <"$T/fifo" >"$T/stats" \
	    2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	# half the points, a pause for the kill, then the rest in slices
	{
		head -n 6000 "$T/in"
		: >"$T/half"
		for ((i = 0; i < 600; i++)); do
			[ -e "$T/go" ] && break
			sleep 0.05
		done
		for ((i = 6001; i <= 12000; i += 500)); do
			sed -n "$i,$((i + 499))p" "$T/in"
			sleep 0.2
		done
	} >"$T/fifo" 3>&- &
	fpid=$!
	BG+=("$fpid")

	wait_file "$T/half" 20
	# the first half stored, and on the replica too: no write in
	# flight when the master dies
	for ((i = 0; i < 200; i++)); do
		[ "$(query_all 'fo.*' | wc -l)" = 6000 ] && break
		sleep 0.05
	done
	[ "$(query_all 'fo.*' | wc -l)" = 6000 ]
	for ((i = 0; i < 200; i++)); do
		synced "$victim" "$replica" && break
		sleep 0.05
	done
	synced "$victim" "$replica"
	kill -0 "$ipid"

	dmd_cluster_kill "$victim" KILL
	start=$SECONDS
	: >"$T/go"
	wait_for "$fpid" 60
	assert_equal "$st" 0
	wait_for "$ipid" 60
	echo "# dmd-ingest ended $((SECONDS - start)) s after the kill" >&3
	assert_equal "$st" 0
	has "$T/err" "retrying"
	retries=$(stat_of "$T/stats" ingest.retries)
	echo "retries: $retries"
	((retries >= 1))
	assert_equal "$(stat_of "$T/stats" ingest.accepted)" 12000
	assert_equal "$(stat_of "$T/stats" ingest.spilled)" 0
	# the replica is a master now
	run ccli "$replica" role
	assert_line --index 0 master

	# read with the killed seed still down
	dmd_cluster_pid "$victim" && false
	check_answer fo "$T/in"
	run --separate-stderr flush_all
	assert_success
	check_answer fo "$T/in"
}

@test "a master SIGKILLed mid-flush: that run exits 4, a run after the failover moves the rest, no point lost or doubled" {
	dmd_points kf 2000 0 5 >"$T/in"		# 10000 points
	timeout 30 dmd-ingest "$T/in"
	victim=$(dmd_cluster_masters | head -n 1)
	replica=$(dmd_cluster_replica_of "$victim")
	[ -n "$replica" ]
	for ((i = 0; i < 200; i++)); do
		synced "$victim" "$replica" && break
		sleep 0.05
	done
	synced "$victim" "$replica"

	flush_all -S >"$T/stats1" 2>"$T/err1" 3>&- &
	fpid=$!
	BG+=("$fpid")
	sleep 0.2
	dmd_cluster_kill "$victim" KILL
	start=$SECONDS
	wait_for "$fpid" 60
	first=$st
	if [ "$first" != 0 ]; then
		assert_equal "$first" 4
		has "$T/err1" "dmd-flush: cache: "
	fi
	# runs fail (exit 4) until the replica takes over
	for ((i = 0; i < 60; i++)); do
		run --separate-stderr flush_all -S
		[ "$status" = 0 ] && break
		assert_equal "$status" 4
		sleep 0.25
	done
	assert_success
	echo "$output" >"$T/stats2"
	echo "# the killed run: exit $first, $(stat_of "$T/stats1" flush.series)" \
		"series moved; $i runs failed in $((SECONDS - start)) s; then" \
		"$(stat_of "$T/stats2" flush.series) moved," \
		"$(stat_of "$T/stats2" flush.resumed) resumed" >&3
	check_answer kf "$T/in"
	run all_keys 'dmd:*:[cf]:*'
	assert_output ''
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/stats3"
	assert_equal "$(stat_of "$T/stats3" flush.points)" 0
	check_answer kf "$T/in"
}

@test "2000 slots resharded mid-ingest: MOVED (and ASK) followed, every point stored; dmd-flush afterwards" {
	mapfile -t masters < <(dmd_cluster_masters)
	src=${masters[0]}
	dst=${masters[1]}
	srcid=$(dmd_cluster_id "$src")
	dstid=$(dmd_cluster_id "$dst")
	before=$(slots_of "$dst")
	for p in $(dmd_cluster_masters); do
		ccli "$p" config resetstat >/dev/null
	done

	dmd_points rs 300 0 40 >"$T/in"		# 12000 points
	mkfifo "$T/fifo"
	timeout 120 dmd-ingest -b 300 -d 50 -S <"$T/fifo" >"$T/stats" \
	    2>"$T/err" 3>&- &
	ipid=$!
	BG+=("$ipid")
	# 150 points at a time, 0.1 s apart until the reshard is done
	{
		for ((i = 1; i <= 12000; i += 150)); do
			sed -n "$i,$((i + 149))p" "$T/in"
			[ -e "$T/resharded" ] || sleep 0.1
		done
	} >"$T/fifo" 3>&- &
	fpid=$!
	BG+=("$fpid")

	sleep 0.3
	start=$SECONDS
	run timeout 120 redis-cli --cluster reshard "127.0.0.1:$dst" \
	    --cluster-from "$srcid" --cluster-to "$dstid" \
	    --cluster-slots 2000 --cluster-yes --cluster-pipeline 10
	: >"$T/resharded"
	[ "$status" = 0 ] || { echo "$output" | tail -20; false; }
	feeding=no
	kill -0 "$fpid" 2>/dev/null && feeding=yes
	wait_for "$fpid" 60
	assert_equal "$st" 0
	wait_for "$ipid" 60
	assert_equal "$st" 0
	moved=$(error_count "$src" MOVED)
	ask=$(error_count "$src" ASK)
	asking=$(ccli "$dst" info commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_asking:calls=\([0-9]*\),.*/\1/p')
	echo "# reshard of 2000 slots: $((SECONDS - start)) s, input still" \
		"flowing at its end: $feeding; $moved MOVED, $ask ASK" \
		"(${asking:-0} ASKING), $(stat_of "$T/stats" ingest.retries)" \
		"retries" >&3
	assert_equal "$(slots_of "$dst")" $((before + 2000))
	assert_equal "$(stat_of "$T/stats" ingest.accepted)" 12000
	assert_equal "$(stat_of "$T/stats" ingest.spilled)" 0
	# the writer's map went stale under it: MOVED followed
	((moved > 0))
	check_answer rs "$T/in"

	run --separate-stderr flush_all -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/fstats"
	assert_equal "$(stat_of "$T/fstats" flush.series)" 300
	check_answer rs "$T/in"
	run all_keys 'dmd:*:[cf]:*'
	assert_output ''
	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/fstats2"
	assert_equal "$(stat_of "$T/fstats2" flush.points)" 0
}

@test "a slot half migrated: writes of its moved list follow ASK, its other keys stay; reads exact or TRYAGAIN; MOVED once done" {
	dmd_points as 50 0 10 >"$T/in1"
	timeout 30 dmd-ingest "$T/in1"
	for p in $(dmd_cluster_masters); do
		ccli "$p" config resetstat >/dev/null
	done
	start_move as.s007

	# writes: the list through ASK, the rest where it is.  One
	# dmd-ingest for this and the writes after the move, its slot map
	# loaded before the move
	dmd_points as 50 10 5 >"$T/in2"
	dmd_points as 50 15 5 >"$T/in3"
	mkfifo "$T/fifo"
	timeout 60 dmd-ingest -d 50 -S <"$T/fifo" >"$T/stats" 2>"$T/err" \
	    3>&- &
	ipid=$!
	BG+=("$ipid")
	exec {wfd}>"$T/fifo"
	cat "$T/in2" >&"$wfd"
	# stored: the moved list has the block of this batch too (the
	# ASK redirections come last in a batch)
	for ((i = 0; i < 200; i++)); do
		n=$(printf 'ASKING\nLLEN %s\n' "$key" | ccli "$dst" | tail -n 1)
		[ "$n" = 2 ] && break
		sleep 0.05
	done
	assert_equal "$n" 2
	ask=$(error_count "$src" ASK)
	asking=$(ccli "$dst" info commandstats | tr -d '\r' |
		sed -n 's/^cmdstat_asking:calls=\([0-9]*\),.*/\1/p')
	echo "ASK: $ask, ASKING: $asking"
	((ask > 0 && asking > 0))
	[ -z "$(keys_on "$src" "$key")" ]
	assert_equal "$(ccli "$dst" cluster countkeysinslot "$slot")" 1

	# a read of that series: its script reads two keys, one of them
	# missing, which the importing master answers with TRYAGAIN; never
	# a wrong answer (TRYAGAIN is not retried yet: exit 4)
	dmd_expect "$T/in1" "$T/in2" >"$T/expected"
	run --separate-stderr query_all 'as.*'
	if [ "$status" = 0 ]; then
		diff -u "$T/expected" <(printf '%s\n' "$output")
	else
		echo "# a read of the half-moved slot: exit $status: $stderr" >&3
		assert_failure 4
		assert_output ''
		assert_stderr --partial 'TRYAGAIN'
	fi

	# the move finished
	finish_move
	# the writer's map is stale now: MOVED
	cat "$T/in3" >&"$wfd"
	exec {wfd}>&-
	wait_for "$ipid" 30
	assert_equal "$st" 0
	assert_equal "$(stat_of "$T/stats" ingest.accepted)" 500
	assert_equal "$(stat_of "$T/stats" ingest.retries)" 0
	moved=$(error_count "$src" MOVED)
	echo "MOVED: $moved"
	((moved > 0))
	check_answer as "$T/in1" "$T/in2" "$T/in3"

	run --separate-stderr flush_all -S
	assert_success
	echo "$output" >"$T/fstats"
	assert_equal "$(stat_of "$T/fstats" flush.series)" 50
	check_answer as "$T/in1" "$T/in2" "$T/in3"
	run all_keys 'dmd:*:[cf]:*'
	assert_output ''
	dmd_cluster_wait 30
}

@test "every node down: dmd-ingest spills every point and exits 3; dmd-query, -H and dmd-flush exit 4 with a message" {
	dmd_points dn 40 0 10 >"$T/in"		# 400 points
	dmd_expect "$T/in" | sorted >"$T/want"
	dmd_cluster_stop TERM

	run --separate-stderr timeout 30 dmd-ingest -r 1s -s "$T/spill" "$T/in"
	assert_equal "$status" 3
	assert_stderr --partial "$T/spill"
	assert_file_exists "$T/spill"
	sorted "$T/spill" >"$T/spilled"
	diff -u "$T/want" "$T/spilled"

	run --separate-stderr query_all 'dn.*'
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-query: cache: cannot connect to redis 127\.0\.0\.1:[0-9]+: Connection refused$'
	run --separate-stderr timeout 30 dmd-query -H
	assert_failure 4
	assert_output ''
	assert_stderr --partial 'dmd-query: cache: cannot connect'
	run --separate-stderr flush_all
	assert_failure 4
	assert_stderr --partial 'dmd-flush: '
	assert_stderr --partial 'cannot connect'

	# back up (empty: no persistence), the spill file replayed
	dmd_cluster_heal
	run --separate-stderr timeout 30 dmd-ingest "$T/spill"
	assert_success
	check_answer dn "$T/in"
}

@test "dmd-query -H counts each master once whatever the seeds: a replica seed adds nothing, a dead seed fails nothing" {
	dmd_points hs 50 0 5 >"$T/in"
	timeout 30 dmd-ingest "$T/in"
	sum=0
	for p in $(dmd_cluster_masters); do
		sum=$((sum + $(info_field "$p" memory used_memory)))
	done
	replica=$(dmd_cluster_replicas | head -n 1)

	# a replica as the only seed: the slot map comes from it, the INFO
	# from the three masters
	DMD_CACHE="redis-cluster://127.0.0.1:$replica" \
	    run --separate-stderr timeout 30 dmd-query -H
	assert_success
	used=$(printf '%s\n' "$output" |
		sed -n 's/.*cache\.used_memory_bytes","time":[0-9]*,"value":\([0-9]*\)}$/\1/p')
	echo "used_memory: dmd-query -H $used, the masters $sum"
	((used * 100 > sum * 85 && used * 100 < sum * 115))
	assert_line --regexp 'cache\.clients","time":[0-9]+,"value":3\}$'
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":50\}$'

	# a seed that is down (the killed replica), the cluster whole
	dmd_cluster_kill "$replica" KILL
	DMD_CACHE="redis-cluster://127.0.0.1:$replica,${DMD_CACHE#redis-cluster://}" \
	    run --separate-stderr timeout 30 dmd-query -H
	assert_success
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":50\}$'
}

@test "a read and a flush of a half-migrated slot wait out TRYAGAIN: exact answer, exit 0" {
	dmd_points ta 50 0 10 >"$T/in"
	timeout 30 dmd-ingest "$T/in"
	start_move ta.s007
	# both read the two lists of ta.s007 in one script: TRYAGAIN until
	# the move is finished, a second later
	query_all 'ta.*' >"$T/got" 2>"$T/qerr" 3>&- &
	qpid=$!
	BG+=("$qpid")
	flush_all -S >"$T/fstats" 2>"$T/ferr" 3>&- &
	fpid=$!
	BG+=("$fpid")
	sleep 1
	finish_move
	wait_for "$qpid" 30
	assert_equal "$st" 0
	dmd_expect "$T/in" >"$T/expected"
	diff -u "$T/expected" "$T/got"
	wait_for "$fpid" 60
	assert_equal "$st" 0
	assert_equal "$(stat_of "$T/fstats" flush.series)" 50
	check_answer ta "$T/in"
}

# usage_error URL CMD...: CMD -c URL, and CMD with DMD_CACHE=URL, exit 2
# with a message that names the URL, and print nothing.
usage_error() {
	local url=$1
	shift
	run --separate-stderr timeout 10 "$@" -c "$url"
	echo "$* -c $url: $status: $stderr"
	assert_failure 2
	assert_output ''
	assert_stderr --partial "cache \"$url\": "
	DMD_CACHE=$url run --separate-stderr timeout 10 "$@"
	assert_failure 2
	assert_output ''
	assert_stderr --partial "cache \"$url\": "
}

@test "bad redis-cluster:// URLs are usage errors: exit 2, a message naming the URL, nothing done" {
	p=$(dmd_cluster_masters | head -n 1)
	echo 'bad.url 1 1732406400' >"$T/in"
	for url in 'redis-cluster://' 'redis-cluster://host' \
	    'redis-cluster://h:1/0' "redis-cluster://127.0.0.1:$p/0" \
	    "redis-cluster://127.0.0.1:$p?db=1"; do
		usage_error "$url" dmd-ingest "$T/in"
		usage_error "$url" dmd-query -f 0 -u 2000000000 'bad.*'
		usage_error "$url" dmd-query -H
		usage_error "$url" dmd-flush
		usage_error "$url" dmd-e2e
	done
	run all_keys '*'
	assert_output ''
}
