#!/usr/bin/env bats
# Migration from Graphite: contrib/whisper2dmd prints the points of
# whisper files (made here with python3-whisper's whisper-create and
# whisper-update) as Graphite plaintext, and dmd-ingest stores them;
# dmd-query must give back exactly the values whisper held, names taken
# from the files' paths, the coarser archives only where the finer ones
# have no points, and bad files or values reported, not dropped quietly.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() {
	if ! command -v whisper-create >/dev/null 2>&1 ||
	    ! command -v whisper-dump >/dev/null 2>&1; then
		export WHISPER_SKIP="python3-whisper is not installed (apt-get install python3-whisper)"
		return 0
	fi
	dmd_redis_start
}

teardown_file() { dmd_redis_teardown; }

setup() {
	[ -z "${WHISPER_SKIP:-}" ] || skip "$WHISPER_SKIP"
	dmd_reset
	W=$BATS_TEST_TMPDIR/whisper
	mkdir -p "$W"
	# whisper takes only points younger than its longest archive, so
	# the times are recent: BASE is now, rounded down to 5 minutes
	NOW=$(date +%s)
	BASE=$((NOW - NOW % 300))
}

whisper2dmd() { timeout 120 "$DMD_SRCDIR/contrib/whisper2dmd" "$@"; }
query_all() { timeout 60 dmd-query -N -f 0 -u $((NOW + 3600)) "$@"; }

# wsp FILE RETENTIONS...: a whisper file under $W (directories made)
wsp() {
	local f=$W/$1
	shift
	mkdir -p "$(dirname "$f")"
	whisper-create "$f" "$@" >/dev/null
}

# upd FILE TIME:VALUE...
upd() {
	local f=$W/$1
	shift
	whisper-update "$f" "$@"
}

# NDJSON of "name time value" lines, sorted as dmd-query prints them
expect() {
	LC_ALL=C sort -t' ' -k1,1 -k2,2n |
		awk '{ printf "{\"name\":\"%s\",\"time\":%s,\"value\":%s}\n", $1, $2, $3 }'
}

@test "moves a tree of one-archive files into diamond, every value exact" {
	local t=$((BASE - 3600))
	wsp web01/cpu/user.wsp 60:1d
	wsp web01/cpu/system.wsp 60:1d
	wsp db-1/disk/sda_used.wsp 10:1d
	upd web01/cpu/user.wsp $t:12.34 $((t + 60)):0.30000000000000004 \
		$((t + 120)):-0 $((t + 180)):1e+20 $((t + 240)):16777216
	upd web01/cpu/system.wsp $t:-5.5 $((t + 300)):1.7976931348623157e+308
	upd db-1/disk/sda_used.wsp $t:3 $((t + 10)):2.5e-05 $((t + 20)):4
	run --separate-stderr sh -c "'$DMD_SRCDIR/contrib/whisper2dmd' '$W' | dmd-ingest"
	assert_success
	assert_stderr ''
	run query_all '*.*.*'
	assert_success
	assert_output - < <(expect <<-EOF
	web01.cpu.user $t 12.34
	web01.cpu.user $((t + 60)) 0.30000000000000004
	web01.cpu.user $((t + 120)) -0
	web01.cpu.user $((t + 180)) 1e+20
	web01.cpu.user $((t + 240)) 16777216
	web01.cpu.system $t -5.5
	web01.cpu.system $((t + 300)) 1.7976931348623157e+308
	db-1.disk.sda_used $t 3
	db-1.disk.sda_used $((t + 10)) 2.5e-05
	db-1.disk.sda_used $((t + 20)) 4
	EOF
	)
}

@test "takes a coarser archive's points only before the finer archive's first" {
	# one hour at 60 s, a day at 5 min; points older than an hour go
	# to the 5-minute archive, newer ones to both (averaged there)
	local f=$((BASE - 3000)) k args=
	wsp m/x.wsp 60:1h 300:1d
	for k in $(seq 0 9); do args="$args $((f + 60 * k)):$k.5"; done
	for k in 2 3 4; do args="$args $((f - 300 * k)):-$k"; done
	upd m/x.wsp $args
	# the 5-minute archive holds the averages of the newer points too
	run sh -c "whisper-dump '$W/m/x.wsp' | grep -c '^[0-9]*: $f, '"
	assert_output 2
	run sh -c "'$DMD_SRCDIR/contrib/whisper2dmd' '$W' | dmd-ingest"
	assert_success
	run query_all m.x
	assert_success
	assert_output - < <(for k in $(seq 0 9); do echo "m.x $((f + 60 * k)) $k.5"; done |
		cat - <(for k in 2 3 4; do echo "m.x $((f - 300 * k)) -$k"; done) | expect)
}

@test "leaves out a coarser aggregate that overlaps the finer archive's first point" {
	# the first point 2 minutes into a 5-minute bucket: the bucket's
	# average is in the coarse archive, at the bucket's start
	local f=$((BASE - 3000 + 120)) k args=
	wsp m/y.wsp 60:1h 300:1d
	for k in $(seq 0 5); do args="$args $((f + 60 * k)):$k"; done
	upd m/y.wsp $args
	run sh -c "whisper-dump '$W/m/y.wsp' | grep -c '^[0-9]*: $((f - 120)), '"
	assert_output 1
	run whisper2dmd "$W"
	assert_success
	assert_output - < <(for k in $(seq 0 5); do echo "m.y $k $((f + 60 * k))"; done)
}

@test "names a file given alone by its path from -r root" {
	wsp a/b/c.wsp 60:1d
	upd a/b/c.wsp $((BASE - 600)):7
	run whisper2dmd -r "$W" "$W/a/b/c.wsp"
	assert_success
	assert_output "a.b.c 7 $((BASE - 600))"
	run whisper2dmd -r "$W/" "$W/a/b/"
	assert_output "a.b.c 7 $((BASE - 600))"
}

@test "a NaN whisper holds is rejected with its line, the rest stored" {
	wsp n/y.wsp 60:1d
	upd n/y.wsp $((BASE - 600)):1 $((BASE - 540)):nan $((BASE - 480)):3
	run --separate-stderr sh -c "'$DMD_SRCDIR/contrib/whisper2dmd' '$W' | dmd-ingest"
	assert_failure 1
	assert_stderr --partial ':2:'
	run query_all n.y
	assert_output - < <(printf '%s\n' "n.y $((BASE - 600)) 1" "n.y $((BASE - 480)) 3" | expect)
}

@test "reports a file whisper-dump cannot read and migrates the others" {
	wsp ok/z.wsp 60:1d
	upd ok/z.wsp $((BASE - 600)):2
	mkdir -p "$W/bad"
	printf 'not whisper' > "$W/bad/broken.wsp"
	run --separate-stderr whisper2dmd "$W"
	assert_failure 1
	assert_stderr --partial "whisper2dmd: $W/bad/broken.wsp: "
	assert_output "ok.z 2 $((BASE - 600))"
}

@test "refuses a path that does not exist, and no path at all" {
	run --separate-stderr whisper2dmd "$W/nowhere"
	assert_failure 1
	assert_stderr "whisper2dmd: $W/nowhere: no such file or directory"
	run --separate-stderr whisper2dmd
	assert_failure 2
}
