#!/usr/bin/env bats
# dmd-stream, the durable intake log on files: put validates as
# dmd-ingest does and acknowledges (exit 0) once its records are durable;
# get prints them again from the oldest record, the latest, a time or a
# checkpoint, optionally following the log; info says how far a
# checkpoint lags.  Records are read whole or not at all, whatever
# SIGKILL does to a put, and a reader killed mid-output loses nothing
# when it is run again with its checkpoint (at least once; dmd-ingest
# makes the duplicates harmless).
#
# Comparisons are exact: the output of get is compared with the input as
# a multiset of NDJSON lines, so a lost and a duplicated point both fail
# where the log promises neither.  Every background process is stopped by
# its PID, every foreground one is bounded by timeout(1).

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }

setup() {
	rcli flushall >/dev/null
	T=$BATS_TEST_TMPDIR
	LOG=$T/log
	export DMD_LOG="file://$LOG"
	BG=()
}

teardown() {
	kill_jobs "${BG[@]}"
	return 0
}

# dmd-stream, bounded in time.
stream() {
	timeout 60 dmd-stream "$@"
}

# The NDJSON lines dmd-stream get prints for "name value time" lines
# with integer values (dmd_points), in the same order.
ndjson() {
	awk '{ printf "{\"name\":\"%s\",\"time\":%s,\"value\":%s}\n",
	    $1, $3, $2 }' "$@"
}

# same_lines WANT GOT: the two files hold the same lines, each as many
# times; shows the first differences otherwise.
same_lines() {
	sorted "$1" >"$T/want.sorted"
	sorted "$2" >"$T/got.sorted"
	if ! cmp -s "$T/want.sorted" "$T/got.sorted"; then
		echo "lines differ: want $(wc -l <"$1"), got $(wc -l <"$2");" \
		    "diff want got:"
		diff "$T/want.sorted" "$T/got.sorted" | head -20
		return 1
	fi
}

# covers GOT WANT: every line of WANT is in GOT at least once.
covers() {
	local missing
	missing=$(LC_ALL=C comm -13 <(sorted -u "$1") <(sorted -u "$2") | wc -l)
	if [ "$missing" -ne 0 ]; then
		echo "$missing lines of $2 are not in $1:"
		LC_ALL=C comm -13 <(sorted -u "$1") <(sorted -u "$2") | head -10
		return 1
	fi
}

# query_is PATTERN FILE...: dmd-query over all time of PATTERN prints
# exactly the last value of each (name, time) of the "name value time"
# FILEs.
query_is() {
	local pattern=$1
	shift
	dmd_expect "$@" >"$T/expected"
	dmd_query_all "$pattern" >"$T/query.out"
	diff -u "$T/expected" "$T/query.out" | head -20
	cmp -s "$T/expected" "$T/query.out"
}

# The committed end of partition K (the 8 bytes of pNNN/end).
end_of() {
	od -An -t u8 "$LOG/p$(printf %03d "$1")/end" | tr -d ' '
}

# The path of the segment of partition K that starts at offset OFF.
segment() {
	printf '%s/p%03d/%020d.seg' "$LOG" "$1" "$2"
}

# Every record of the log up to each partition's committed end, one a
# line: "PARTITION OFFSET LENGTH TIME_MS TAGS", TAGS the first name
# components of its series, distinct, comma-separated (the file layout
# of dmd-stream(1) and the records of common/logrec.h, read without
# dmd-stream).
records() {
	perl -e '
	sub varint {
		my ($s, $q) = @_;
		my ($v, $sh, $c) = (0, 0);
		do {
			$c = ord(substr($s, $$q++, 1));
			$v |= ($c & 0x7f) << $sh;
			$sh += 7;
		} while ($c & 0x80);
		return $v;
	}
	for my $pd (sort glob("$ARGV[0]/p[0-9][0-9][0-9]")) {
		my $p = substr($pd, -3);
		open(my $ef, "<:raw", "$pd/end") or next;
		my $eb = ""; read($ef, $eb, 8); close $ef;
		my $end = length($eb) == 8 ? unpack("Q<", $eb) : 0;
		my @segs = sort glob("$pd/*.seg");
		for my $i (0 .. $#segs) {
			my ($base) = $segs[$i] =~ m{/(\d{20})\.seg$};
			my $stop = $end;
			$stop = ($segs[$i + 1] =~ m{/(\d{20})\.seg$})[0]
			    if $i < $#segs;
			$stop = $end if $stop > $end;
			open(my $f, "<:raw", $segs[$i]) or die "$segs[$i]: $!\n";
			for (my $off = $base + 0; $off < $stop;) {
				my ($h, $d) = ("", "");
				read($f, $h, 16) == 16 or die "short header at $off\n";
				my ($len, $crc, $ms) = unpack("V V Q<", $h);
				read($f, $d, $len) == $len or die "short record at $off\n";
				my %tag;
				# logrec.h: "DMR1", then varint name length,
				# name, varint block length, block
				my $q = 4;
				while ($q < length($d)) {
					my $nl = varint($d, \$q);
					my ($t) = substr($d, $q, $nl) =~ /^([^.]*)/;
					$tag{$t}++;
					$q += $nl;
					$q += varint($d, \$q);
				}
				print "$p $off $len $ms ", join(",", sort keys %tag), "\n";
				$off += 16 + $len;
			}
		}
	}' "$LOG"
}

# --- put and get --------------------------------------------------------

@test "put then get prints every point once as NDJSON, and get | dmd-ingest stores exactly the input" {
	dmd_points rt 50 0 200 >"$T/in"		# 10000 points
	run --separate-stderr stream put "$T/in"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	assert_file_exists "$LOG/stream"
	assert_equal "$(cat "$LOG/stream")" "dmd-stream 1 4"

	stream get >"$T/out"
	ndjson "$T/in" >"$T/want"
	same_lines "$T/want" "$T/out"

	run dmd-ingest "$T/out"
	assert_success
	query_is 'rt.*' "$T/in"

	# reading does not consume: a second get prints the same again
	stream get >"$T/again"
	cmp "$T/out" "$T/again"
}

@test "put reads every input format as dmd-ingest does: the points stored through the log equal those stored directly" {
	cat >"$T/in" <<-'EOF'
	fmt.graphite 1.5 1700000000
	fmt.graphite -0 1700000060.9
	{"name":"fmt.json","time":1700000000,"value":0.1}
	{"name":"fmt.json","time":1.70000006e9,"value":-2.5e-300}
	[{"name":"fmt.arr","time":1700000000,"value":1e300},{"name":"fmt.arr","time":1700000060,"value":7}]
	EOF
	printf 'fmt.tsv\t123456789012345680000\t1700000000\r\n' >>"$T/in"
	printf '\xef\xbb\xbf' >"$T/bom"
	echo 'fmt.bom 3 1700000000' >>"$T/bom"

	run stream put "$T/in" "$T/bom"
	assert_success
	stream get | dmd-ingest
	dmd_query_all 'fmt.*' >"$T/via-log"

	dmd-ingest -c "unix://$REDIS_SOCK?db=1" "$T/in" "$T/bom"
	dmd_query_all -c "unix://$REDIS_SOCK?db=1" 'fmt.*' >"$T/direct"
	assert_equal "$(wc -l <"$T/direct")" 8
	diff -u "$T/direct" "$T/via-log"

	# --format fixes one format: a graphite line read as json is rejected
	run --separate-stderr stream put -F json <<<'fmt.forced 1 1700000000'
	assert_failure 1
	assert_equal "$stderr" 'dmd-stream: stdin:1: not JSON'
}

@test "put rejects what dmd-ingest rejects, with the same FILE:LINE messages, keeps the rest and exits 1" {
	{
		cat "$DATA/bad/lines.txt"
		printf 'bad.x 1\0 1\n'
		printf 'good.e 5 5\n'
	} >"$T/lines.txt"
	cd "$T"
	run --separate-stderr dmd-ingest -R ingest.rejects lines.txt
	assert_failure 1
	printf '%s\n' "$stderr" | sed 's/^dmd-ingest: /dmd-stream: /' >want.err
	[ "$(wc -l <want.err)" -ge 40 ]

	run --separate-stderr stream put -R stream.rejects lines.txt
	assert_failure 1
	assert_output ''
	printf '%s\n' "$stderr" >got.err
	diff -u want.err got.err
	cmp ingest.rejects stream.rejects

	# the good lines are in the log, nothing of the bad ones
	rcli flushall >/dev/null
	stream get | dmd-ingest
	dmd-query -f 0 -u 253402300799 '*' '*.*' '*.*.*' >via-log
	rcli flushall >/dev/null
	dmd-ingest lines.txt 2>/dev/null || true
	dmd-query -f 0 -u 253402300799 '*' '*.*' '*.*.*' >direct
	[ -s direct ]
	diff -u direct via-log
}

@test "put reports an input file it cannot open, puts the other files and exits 5" {
	echo 'io.a 1 100' >"$T/a"
	echo 'io.b 2 200' >"$T/b"
	run --separate-stderr stream put "$T/a" "$T/missing" "$T/b"
	assert_failure 5
	[[ $stderr == *"dmd-stream: $T/missing: No such file or directory"* ]]
	stream get >"$T/out"
	printf '%s\n' '{"name":"io.a","time":100,"value":1}' \
	    '{"name":"io.b","time":200,"value":2}' >"$T/want"
	same_lines "$T/want" "$T/out"
}

@test "put -d makes points trickling through stdin durable within the delay, before the input ends" {
	mkfifo "$T/fifo"
	dmd-stream put -d 100 <"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	exec {wfd}>"$T/fifo"	# held open: the input has not ended
	dmd_points slow 3 0 2 >&"$wfd"
	st=1
	for ((i = 0; i < 100; i++)); do
		# the log exists once put has opened it (get makes none)
		if ! dmd-stream get >"$T/out" 2>/dev/null; then
			sleep 0.05
			continue
		fi
		[ "$(wc -l <"$T/out")" -eq 6 ] && { st=0; break; }
		sleep 0.05
	done
	assert_equal "$st" 0
	kill -0 "$pid"		# still reading

	dmd_points slow 3 2 2 >&"$wfd"
	exec {wfd}>&-
	wait_for "$pid" 10
	assert_equal "$st" 0
	stream get >"$T/out"
	ndjson <(dmd_points slow 3 0 4) >"$T/want"
	same_lines "$T/want" "$T/out"
}

# --- partitions ----------------------------------------------------------

@test "every point of a series is in one partition: get -p K outputs are disjoint by name and together the input" {
	dmd_points part 50 0 40 >"$T/in"
	stream put "$T/in"
	: >"$T/all"
	: >"$T/names"
	for k in 0 1 2 3; do
		stream get -p "$k" >"$T/p$k"
		[ -s "$T/p$k" ]
		cat "$T/p$k" >>"$T/all"
		sed 's/^{"name":"\([^"]*\)".*/\1/' "$T/p$k" | sort -u >>"$T/names"
	done
	ndjson "$T/in" >"$T/want"
	same_lines "$T/want" "$T/all"
	# no name in two partitions
	run sh -c "sort '$T/names' | uniq -d"
	assert_output ''
	assert_equal "$(wc -l <"$T/names")" 50

	# and a later put sends each series to the same partition again
	dmd_points part 50 40 10 >"$T/in2"
	stream put "$T/in2"
	for k in 0 1 2 3; do
		stream get -p "$k" | sed 's/^{"name":"\([^"]*\)".*/\1/' |
			sort -u >"$T/names2"
		sed 's/^{"name":"\([^"]*\)".*/\1/' "$T/p$k" | sort -u >"$T/names1"
		cmp "$T/names1" "$T/names2"
	done
}

@test "-n sets the partitions of a new log only; an existing log keeps its own" {
	echo 'np.a 1 1' >"$T/in"
	run stream put -n 7 "$T/in"
	assert_success
	assert_equal "$(cat "$LOG/stream")" "dmd-stream 1 7"
	assert_dir_exists "$LOG/p006"
	assert_dir_not_exists "$LOG/p007"
	run stream put -n 2 "$T/in"
	assert_success
	assert_equal "$(cat "$LOG/stream")" "dmd-stream 1 7"
	run stream get -p 6
	assert_success
	run --separate-stderr stream get -p 7
	assert_failure 2
	assert_equal "$stderr" 'dmd-stream: partition 7: the log has 7'
}

# --- where get starts ------------------------------------------------------

@test "--from latest prints nothing, and a follower started there prints only what is put after" {
	dmd_points lat 10 0 10 >"$T/old"
	stream put "$T/old"
	run --separate-stderr stream get --from latest
	assert_success
	assert_output ''
	[ -z "$stderr" ]

	dmd-stream get --follow --from latest >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	# probes, one every 0.1 s, until it prints one: it has taken its
	# positions by then
	for ((i = 0; i < 100; i++)); do
		echo "lat.probe $i 1700000000" | stream put
		sleep 0.1
		[ -s "$T/out" ] && break
	done
	dmd_points lat 10 10 5 >"$T/new"
	stream put "$T/new"
	wait_lines "$T/out" 50 10
	kill -TERM "$pid"
	wait_for "$pid" 10
	assert_equal "$st" 0
	[ ! -s "$T/err" ]
	# nothing put before it started, then every probe since its first
	# and the new points
	first=$(sed -n 's/^{"name":"lat.probe","time":1700000000,"value":\([0-9]*\)}$/\1/p' \
	    "$T/out" | head -n 1)
	[ -n "$first" ]
	{
		for ((j = first; j <= i; j++)); do
			echo "lat.probe $j 1700000000"
		done
		cat "$T/new"
	} | ndjson >"$T/want"
	same_lines "$T/want" "$T/out"
}

@test "--from TIME starts at the first record appended at or after TIME, in Unix seconds, ISO 8601 or relative" {
	dmd_points tm 20 0 10 >"$T/a"
	stream put "$T/a"
	# a whole second after the first put, and the second put after it
	t=$(($(date +%s) + 1))
	wait_until "$t"
	dmd_points tm 20 10 10 >"$T/b"
	stream put "$T/b"
	ndjson "$T/b" >"$T/want-b"
	ndjson "$T/a" "$T/b" >"$T/want-all"

	stream get --from "$t" >"$T/out"
	same_lines "$T/want-b" "$T/out"
	stream get -s "$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)" >"$T/out"
	same_lines "$T/want-b" "$T/out"
	# and for one partition: its points of the second put
	stream get -p 1 | grep -F -x -f "$T/want-b" >"$T/want-p1"
	[ -s "$T/want-p1" ]
	stream get -p 1 -s "$t" >"$T/out"
	same_lines "$T/want-p1" "$T/out"
	# relative to now, and 0: everything
	stream get -s -1h >"$T/out"
	same_lines "$T/want-all" "$T/out"
	stream get -s 0 >"$T/out"
	same_lines "$T/want-all" "$T/out"
	# after the last append: nothing
	run stream get -s $(($(date +%s) + 3600))
	assert_success
	assert_output ''
}

# --- checkpoints ------------------------------------------------------------

@test "with a checkpoint a second get prints nothing, a later one only what was put since" {
	dmd_points cp 30 0 20 >"$T/a"
	stream put "$T/a"
	stream get -c "$T/cp" >"$T/out1"
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/out1"
	assert_file_exists "$T/cp"
	# one "PARTITION POSITION" line per partition, each at its end
	for k in 0 1 2 3; do
		assert_equal "$(awk -v k="$k" '$1 == k { print $2 }' "$T/cp")" \
		    "$(end_of "$k")"
	done
	assert_equal "$(grep -vc '^#' "$T/cp")" 4

	run --separate-stderr stream get -c "$T/cp"
	assert_success
	assert_output ''

	dmd_points cp 30 20 5 >"$T/b"
	stream put "$T/b"
	stream get --checkpoint "$T/cp" >"$T/out2"
	ndjson "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out2"

	# --from overrides the checkpoint, which then moves on as usual
	stream get -c "$T/cp" -s oldest >"$T/out3"
	ndjson "$T/a" "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out3"
	run stream get -c "$T/cp"
	assert_output ''
}

@test "readers of different partitions, one after the other, keep each other's lines of a shared checkpoint file" {
	dmd_points sh 40 0 10 >"$T/a"
	stream put "$T/a"
	: >"$T/all"
	n=0
	for k in 2 0 3 1; do
		stream get -p "$k" -c "$T/cp" >>"$T/all"
		n=$((n + 1))
		assert_equal "$(grep -vc '^#' "$T/cp")" "$n"
		assert_equal "$(awk -v k="$k" '$1 == k { print $2 }' "$T/cp")" \
		    "$(end_of "$k")"
	done
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/all"
	run stream get -c "$T/cp"
	assert_success
	assert_output ''
}

@test "get --marks prints '#mark PARTITION POSITION' after each record and leaves the checkpoint to dmd-ingest --checkpoint" {
	dmd_points mk 40 0 10 >"$T/a"
	stream put "$T/a"
	dmd_points mk 40 10 10 >"$T/b"
	stream put "$T/b"
	stream get --marks -c "$T/cp" >"$T/out"
	# get reads the checkpoint but does not write it
	assert_file_not_exists "$T/cp"
	grep -v '^#mark ' "$T/out" >"$T/points"
	ndjson "$T/a" "$T/b" >"$T/want"
	same_lines "$T/want" "$T/points"
	# one mark per record, right after it: the offset after the record
	records | awk '{ print "#mark " $1 + 0, $2 + 16 + $3 }' >"$T/want.marks"
	grep '^#mark ' "$T/out" >"$T/marks"
	diff -u <(sort "$T/want.marks") <(sort "$T/marks")
	# each after the points of its record, the last line a mark
	run awk '/^#mark / && prev !~ /^\{/ { bad++ } { prev = $0 }
	    END { print bad + (prev !~ /^#mark /) }' "$T/out"
	assert_output 0

	run dmd-ingest --checkpoint "$T/cp" "$T/out"
	assert_success
	query_is 'mk.*' "$T/a" "$T/b"
	for k in 0 1 2 3; do
		assert_equal "$(awk -v k="$k" '$1 == k { print $2 }' "$T/cp")" \
		    "$(end_of "$k")"
	done
	run stream get -c "$T/cp"
	assert_success
	assert_output ''
}

@test "followers of all partitions sharing one checkpoint file, stopped together, lose nothing: a rerun prints only what they printed" {
	# They rewrite the file without a lock, so one may set another's
	# line back (dmd-stream(1), BUGS): records again, never fewer.
	stream put -n 4 </dev/null
	for k in 0 1 2 3; do
		dmd-stream get -f -p "$k" -c "$T/cp" >"$T/out$k" 2>"$T/err$k" 3>&- &
		pids[k]=$!
		BG+=("${pids[k]}")
	done
	: >"$T/all"
	for i in $(seq 0 19); do
		dmd_points shr 40 $((i * 5)) 5 >"$T/batch"
		stream put -d 10 "$T/batch"
		cat "$T/batch" >>"$T/all"
		sleep 0.0$((RANDOM % 10))
	done
	n=$(wc -l <"$T/all")
	for ((i = 0; i < 200; i++)); do
		[ "$(cat "$T"/out? | wc -l)" -ge "$n" ] && break
		sleep 0.05
	done
	for k in 0 1 2 3; do
		kill -TERM "${pids[k]}"
	done
	for k in 0 1 2 3; do
		wait_for "${pids[k]}" 10
		assert_equal "$st" 0
		[ ! -s "$T/err$k" ]
	done
	cat "$T"/out? >"$T/printed"
	ndjson "$T/all" >"$T/want"
	same_lines "$T/want" "$T/printed"

	stream get -c "$T/cp" >"$T/again"
	echo "# a rerun printed $(wc -l <"$T/again") points again" >&3
	covers "$T/printed" "$T/again"
	run stream get -c "$T/cp"
	assert_output ''
}

@test "a reader killed with SIGKILL mid-output, run again with its checkpoint: both outputs hold the input, and dmd-ingest of both stores exactly the input" {
	dmd_points kr 100 0 20 >"$T/a"
	stream put "$T/a"
	stream get -c "$T/cp" | dmd-ingest
	dmd_points kr 100 20 2000 >"$T/b"	# 200000 points, 12 MB
	stream put "$T/b"
	cp "$T/cp" "$T/cp.before"

	# a consumer that takes about 13 MB/s: the kill lands mid-output
	mkfifo "$T/fifo"
	perl -e '$| = 1; while (read(STDIN, $b, 65536)) { print $b;
	    select(undef, undef, undef, 0.005) }' <"$T/fifo" >"$T/out1" 3>&- &
	cpid=$!
	BG+=("$cpid")
	dmd-stream get -c "$T/cp" >"$T/fifo" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	sleep 0.$((3 + RANDOM % 4))
	kill -KILL "$pid"
	st=0
	wait "$pid" || st=$?
	assert_equal "$st" 137
	wait_for "$cpid" 10
	assert_equal "$st" 0
	n1=$(wc -l <"$T/out1")
	echo "# killed after $n1 of 200000 lines" >&3
	((n1 > 0 && n1 < 200000))
	# the checkpoint is written only after the output: not by this run
	cmp "$T/cp.before" "$T/cp"

	stream get -c "$T/cp" >"$T/out2"
	# the output a kill cut may end in part of a line: never a point
	# (an NDJSON line without its "}"), so drop it here as dmd-ingest
	# would reject it
	sed '$ { /}$/!d; }' "$T/out1" >"$T/out1.whole"
	cat "$T/out1.whole" "$T/out2" >"$T/both"
	ndjson "$T/b" >"$T/want"
	covers "$T/both" "$T/want"
	# nothing from before the checkpoint again
	ndjson "$T/a" >"$T/want-a"
	run env LC_ALL=C comm -12 <(sorted -u "$T/want-a") <(sorted -u "$T/both")
	assert_output ''

	run dmd-ingest "$T/out1.whole" "$T/out2"
	assert_success
	query_is 'kr.*' "$T/a" "$T/b"
	run stream get -c "$T/cp"
	assert_output ''
}

@test "get --follow prints what is put while it runs and on SIGTERM exits 0 leaving its checkpoint" {
	dmd_points fo 20 0 10 >"$T/a"
	stream put "$T/a"
	dmd-stream get -f -c "$T/cp" >"$T/out" 2>"$T/err" 3>&- &
	pid=$!
	BG+=("$pid")
	wait_lines "$T/out" 200 10
	: >"$T/all"
	cat "$T/a" >>"$T/all"
	for i in 1 2 3; do
		dmd_points fo 20 $((i * 10)) 10 >"$T/more"
		stream put "$T/more"
		cat "$T/more" >>"$T/all"
		wait_lines "$T/out" $(((i + 1) * 200)) 10
		sleep 0.$((RANDOM % 5))
	done
	kill -0 "$pid"
	t0=$EPOCHREALTIME
	kill -TERM "$pid"
	wait_for "$pid" 10
	t1=$EPOCHREALTIME
	assert_equal "$st" 0
	[ ! -s "$T/err" ]
	ms=$(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 ))
	echo "# exited ${ms} ms after SIGTERM" >&3
	((ms < 2000))

	ndjson "$T/all" >"$T/want"
	same_lines "$T/want" "$T/out"
	for k in 0 1 2 3; do
		assert_equal "$(awk -v k="$k" '$1 == k { print $2 }' "$T/cp")" \
		    "$(end_of "$k")"
	done
	run stream get -c "$T/cp"
	assert_success
	assert_output ''
}

@test "the pipeline: one follower per partition into dmd-ingest stores everything producers put" {
	stream put -n 4 </dev/null
	for k in 0 1 2 3; do
		mkfifo "$T/fifo$k"
		dmd-ingest -d 50 <"$T/fifo$k" >"$T/ingest$k.out" \
		    2>"$T/ingest$k.err" 3>&- &
		ipid[k]=$!
		BG+=("${ipid[k]}")
		dmd-stream get --follow --partition "$k" --checkpoint "$T/cp$k" \
		    >"$T/fifo$k" 2>"$T/get$k.err" 3>&- &
		gpid[k]=$!
		BG+=("${gpid[k]}")
	done
	: >"$T/all"
	for i in $(seq 0 9); do
		dmd_points pipe 40 $((i * 10)) 10 >"$T/batch"
		stream put "$T/batch"
		cat "$T/batch" >>"$T/all"
	done
	want=$(dmd_expect "$T/all" | wc -l)
	for ((i = 0; i < 200; i++)); do
		[ "$(dmd_query_all 'pipe.*' | wc -l)" -eq "$want" ] && break
		sleep 0.05
	done
	for k in 0 1 2 3; do
		kill -TERM "${gpid[k]}"
		wait_for "${gpid[k]}" 10
		assert_equal "$st" 0
		wait_for "${ipid[k]}" 10	# the pipe ended: it ends too
		assert_equal "$st" 0
		[ ! -s "$T/get$k.err" ]
		[ ! -s "$T/ingest$k.err" ]
		assert_equal "$(awk '!/^#/ { print $1 }' "$T/cp$k")" "$k"
	done
	query_is 'pipe.*' "$T/all"
}

# --- crashes and damage ---------------------------------------------------

# kill_round I: 150 series x 1000 points (about 9 MB, more than put
# gathers before its first append), value I * 10^7 + index, where index
# = step * 150 + series: name and time follow from the value.
kill_round() {
	awk -v r="$1" 'BEGIN {
		for (i = 0; i < 1000; i++)
			for (s = 0; s < 150; s++)
				printf "{\"name\":\"k.s%03d\",\"time\":%d,\"value\":%d}\n",
				    s, 1700000000 + 60 * i, r * 10000000 + i * 150 + s
	}'
}

@test "SIGKILL of put at random moments: get never fails, what put acknowledged is there once, a killed put leaves each series a prefix of its points, the next put works" {
	local i k rc pid seg d ms t0 t1 kills=0 torn=0 start=$SECONDS
	# round 0, whole: every series and its partition, and how long a
	# put takes here (the kills land from half to 1.2 times that, where
	# put appends its batch; a put that finishes first makes the next
	# kill come sooner)
	kill_round 0 >"$T/in"
	t0=$EPOCHREALTIME
	stream put "$T/in"
	t1=$EPOCHREALTIME
	ms=$(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 ))
	for k in 0 1 2 3; do
		stream get -p "$k" | sed 's/^{"name":"\([^"]*\)".*/\1 '"$k"'/' |
			sort -u >>"$T/parts"
	done
	assert_equal "$(wc -l <"$T/parts")" 150
	stream get -c "$T/cp" >"$T/all"
	: >"$T/acked"
	: >"$T/put.err"
	for ((i = 1; i <= 30 && SECONDS - start < 45; i++)); do
		kill_round "$i" >"$T/in"
		# a run killed while LeakSanitizer checks it at exit makes
		# its tracer complain on stderr: no leak check for these
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    dmd-stream put "$T/in" 2>>"$T/put.err" 3>&- &
		pid=$!
		BG+=("$pid")
		d=$((ms / 2 + RANDOM % (ms * 7 / 10 + 1)))
		sleep "$((d / 1000)).$(printf '%03d' $((d % 1000)))"
		kill -KILL "$pid" 2>/dev/null || true
		rc=0
		{ wait "$pid"; } 2>/dev/null || rc=$?
		case $rc in
		0)
			echo "$i" >>"$T/acked"
			# it was faster than round 0 (a loaded machine then,
			# an idle one now): aim earlier
			ms=$((ms * 2 / 3 > 2 ? ms * 2 / 3 : 2))
			;;
		137) kills=$((kills + 1)) ;;
		*) echo "put exited $rc in round $i" >&2; false ;;
		esac
		# whatever the kill left, a reader reads whole records only
		for k in 0 1 2 3; do
			seg=$(ls "$LOG/p00$k/"*.seg | tail -n 1)
			if (($(stat -c %s "$seg") > $(end_of "$k"))); then
				torn=$((torn + 1))
				break
			fi
		done
		rc=0
		stream get -c "$T/cp" >>"$T/all" 2>>"$T/get.err" || rc=$?
		assert_equal "$rc" 0
		# and the next put works, and is there
		printf 'mark.r%03d %d 1700000000\n' "$i" "$i" >"$T/mark"
		run stream put "$T/mark"
		assert_success
	done
	rounds=$((i - 1))
	stream get -c "$T/cp" >>"$T/all"	# the last marker
	echo "# $rounds rounds in $((SECONDS - start)) s (a put took $ms ms at last):" \
	    "$kills puts killed, $(wc -l <"$T/acked") finished first," \
	    "$torn left bytes past a committed end" >&3
	((rounds >= 10))
	((kills >= 1))
	run cat "$T/put.err" "$T/get.err"
	assert_output ''

	# what get -c printed bit by bit is as much as a get of everything
	assert_equal "$(stream get | wc -l -c | awk '{ print $1, $2 }')" \
	    "$(wc -l -c <"$T/all" | awk '{ print $1, $2 }')"

	# every point whole, once; each series' points of a round are the
	# first ones of that round's input for that series, in order (put
	# appends batch after batch, a batch's points of a series in one
	# record); acknowledged rounds whole; each marker once
	awk -v acked="$(tr '\n' ' ' <"$T/acked")" -v rounds="$rounds" '
	/^\{"name":"mark\.r[0-9]+","time":1700000000,"value":[0-9]+\}$/ {
		mark[substr($0, index($0, "\"value\":") + 8) + 0]++
		next
	}
	!/^\{"name":"k\.s[0-9][0-9][0-9]","time":[0-9]+,"value":[0-9]+\}$/ {
		print "not a point of the input: " $0; bad++; next
	}
	{
		s = substr($0, 13, 3) + 0
		t = substr($0, index($0, "\"time\":") + 7) + 0
		v = substr($0, index($0, "\"value\":") + 8) + 0
		r = int(v / 10000000); x = v % 10000000
		if (s != x % 150 || t != 1700000000 + 60 * int(x / 150)) {
			print "name or time do not match the value: " $0; bad++
			next
		}
		key = s SUBSEP r
		if (!(key in due))
			due[key] = s
		if (x != due[key]) {
			print "series " s " round " r ": point " x " where " \
			    due[key] " was due"
			if (++bad > 20) exit 1
		}
		due[key] = x + 150
		n[r]++
	}
	END {
		if (n[0] != 150000) { print "round 0: " n[0] " points"; bad++ }
		na = split(acked, a, " ")
		for (j = 1; j <= na; j++)
			if (n[a[j]] != 150000) {
				print "round " a[j] " was acknowledged: " n[a[j]] \
				    " points"
				bad++
			}
		for (j = 1; j <= rounds; j++) {
			if (n[j] > 150000) { print "round " j ": " n[j]; bad++ }
			if (n[j] > 0 && n[j] < 150000) partial++
			if (mark[j] != 1) { print "marker " j ": " mark[j] + 0; bad++ }
		}
		print "# " partial + 0 " rounds left part of their points" \
		    >"/dev/fd/3"
		exit (bad > 0)
	}' "$T/all"

	# the log holds whole records only, back to back up to each
	# committed end
	records >"$T/records"
	for k in 0 1 2 3; do
		assert_equal "$(awk -v p="$(printf %03d "$k")" '$1 == p { s += 16 + $3 }
		    END { print s + 0 }' "$T/records")" "$(end_of "$k")"
	done
	# a killed put may have left a tail past the end of a partition not
	# written since; the next put to each partition cuts it
	tails=0
	for k in 0 1 2 3; do
		seg=$(ls "$LOG/p00$k/"*.seg | tail -n 1)
		(($(stat -c %s "$seg") >= $(end_of "$k")))
		(($(stat -c %s "$seg") > $(end_of "$k"))) && tails=$((tails + 1))
	done
	echo "# $tails partitions with a tail past their end" >&3
	dmd_points fin 150 0 1 >"$T/fin"
	run stream put "$T/fin"
	assert_success
	for k in 0 1 2 3; do
		seg=$(ls "$LOG/p00$k/"*.seg | tail -n 1)
		assert_equal "$(stat -c %s "$seg")" "$(end_of "$k")"
	done
	run stream get -c "$T/cp"
	assert_success
	printf '%s\n' "$output" >"$T/out"
	ndjson "$T/fin" >"$T/want"
	same_lines "$T/want" "$T/out"
}

@test "garbage past the committed end of a segment is never read and is cut by the next put" {
	dmd_points torn 10 0 10 >"$T/a"
	stream put -n 1 "$T/a"
	seg=$(segment 0 0)
	end=$(end_of 0)
	assert_equal "$(stat -c %s "$seg")" "$end"
	# a torn record: a header that promises 100 bytes, and 20 of them
	printf '\x64\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00%s' \
	    '{"name":"torn.x","ti' >>"$seg"
	cp "$seg" "$T/torn.seg"

	run --separate-stderr stream get
	assert_success
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$T/out"
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/out"
	run stream info
	assert_success
	assert_line --regexp '^\{"name":"dmd\.[^.]+\.stream\.p000\.records","time":[0-9]+,"value":1\}$'
	# readers leave the file as it was
	cmp "$seg" "$T/torn.seg"

	dmd_points torn 10 10 10 >"$T/b"
	run stream put "$T/b"
	assert_success
	run stream get
	assert_success
	printf '%s\n' "$output" >"$T/out"
	ndjson "$T/a" "$T/b" >"$T/want"
	same_lines "$T/want" "$T/out"
	assert_equal "$(stat -c %s "$seg")" "$(end_of 0)"
	# the new record starts where the old end was: the garbage is gone
	run records
	assert_output - <<-EOF
	000 0 $((end - 16)) $(records | awk 'NR == 1 { print $4 }') torn
	000 $end $(($(end_of 0) - end - 16)) $(records | awk 'NR == 2 { print $4 }') torn
	EOF
}

@test "a damaged record inside the committed range: get prints the records before it, then exits 4 naming the segment" {
	# two puts, two records in partition 0
	dmd_points dmg 10 0 10 >"$T/a"
	dmd_points dmg 10 10 10 >"$T/b"
	stream put -n 1 "$T/a"
	stream put "$T/b"
	end_a=$(records | awk 'NR == 2 { print $2 }')
	[ -n "$end_a" ]
	seg=$(segment 0 0)
	# flip one byte of the second record's points
	byte=$(od -An -t u1 -j $((end_a + 40)) -N 1 "$seg" | tr -d ' ')
	printf "\\$(printf %03o $((byte ^ 1)))" |
		dd of="$seg" bs=1 seek=$((end_a + 40)) conv=notrunc 2>/dev/null

	run --separate-stderr stream get -c "$T/cp"
	assert_failure 4
	assert_equal "$stderr" "dmd-stream: log: damaged record in $seg"
	printf '%s\n' "$output" >"$T/out"
	ndjson "$T/a" >"$T/want"
	same_lines "$T/want" "$T/out"
	# what was printed is checkpointed; the rerun stops at the same place
	assert_equal "$(awk '$1 == 0 { print $2 }' "$T/cp")" "$end_a"
	run --separate-stderr stream get -c "$T/cp"
	assert_failure 4
	assert_output ''
	assert_equal "$stderr" "dmd-stream: log: damaged record in $seg"

	run --separate-stderr stream info
	assert_failure 4
	assert_equal "$stderr" "dmd-stream: log: damaged record in $seg"

	# a length past the committed end is damage too
	printf '\xff\xff\x00\x00' |
		dd of="$seg" bs=1 seek="$end_a" conv=notrunc 2>/dev/null
	run --separate-stderr stream get -s oldest
	assert_failure 4
	assert_equal "$stderr" "dmd-stream: log: bad record length in $seg"
}

@test "four puts at once on disjoint inputs: every point there once, each record from one put, each put's points of a series in order" {
	for j in 0 1 2 3; do
		awk -v j="$j" 'BEGIN { for (i = 0; i < 2000; i++)
			for (s = 0; s < 40; s++)
				printf "c%d.s%03d %d %d\n", j, s, i, 1700000000 + 60 * i
		}' >"$T/in$j"			# 80000 points each
	done
	for j in 0 1 2 3; do
		# -d 10: many small appends from each, to interleave
		( for part in 0 1 2 3 4 5 6 7; do
			sed -n "$((part * 10000 + 1)),$(((part + 1) * 10000))p" "$T/in$j"
			sleep 0.02
		  done ) | dmd-stream put -d 10 2>"$T/err$j" 3>&- &
		pids[j]=$!
		BG+=("${pids[j]}")
	done
	for j in 0 1 2 3; do
		wait_for "${pids[j]}" 60
		assert_equal "$st" 0
		[ ! -s "$T/err$j" ]
	done

	stream get >"$T/out"
	ndjson "$T/in0" "$T/in1" "$T/in2" "$T/in3" >"$T/want"
	same_lines "$T/want" "$T/out"

	records >"$T/records"
	# one put per record
	run grep -c ',' "$T/records"
	assert_output 0
	# and the puts did interleave, record by record
	run awk '{ if ($1 == p && $5 != t) n++; p = $1; t = $5 } END { print n + 0 }' \
	    "$T/records"
	echo "# $(wc -l <"$T/records") records, $output changes of put" >&3
	# each put's points of each series in the order it read them
	for j in 0 1 2 3; do
		for k in 0 1 2 3; do
			stream get -p "$k" | grep "^{\"name\":\"c$j\\." |
				sort -s -t '"' -k 4,4 >"$T/got" || true
			ndjson "$T/in$j" | grep -F -x -f "$T/got" |
				sort -s -t '"' -k 4,4 >"$T/want" || true
			cmp "$T/want" "$T/got"
		done
	done
}

@test "a log that stays unwritable: put retries for --retry-for, spills, exits 3; the partitions that took the batch took it once; the spill put later" {
	dmd_points sp 40 0 50 >"$T/a"		# 2000 points
	stream put -n 4 "$T/a"
	# partition 0's segment turned into a directory: its appends fail
	seg=$(segment 0 0)
	mv "$seg" "$T/saved.seg"
	mkdir "$seg"
	dmd_points sp 40 50 50 >"$T/b"
	run --separate-stderr stream put -S --retry-for 1s --spill "$T/spill" "$T/b"
	assert_failure 3
	echo "$output" >"$T/stats"
	echo "$stderr" >"$T/err"
	assert_equal "$(dmd_stat "$T/stats" stream.spilled)" 2000
	assert_equal "$(dmd_stat "$T/stats" stream.put_points)" 0
	retries=$(dmd_stat "$T/stats" stream.retries)
	echo "# $retries retries in 1 s" >&3
	((retries >= 2))
	grep -q "^dmd-stream: cannot open $seg: Is a directory; retrying for up to 1000 ms\$" "$T/err"
	grep -q "^dmd-stream: giving up on the log after [0-9]* ms: cannot open $seg: Is a directory\$" "$T/err"
	assert_equal "$(tail -n 1 "$T/err")" "dmd-stream: 2000 points spilled to $T/spill; put them later with dmd-stream put $T/spill"
	[ "$(stat -c %a "$T/spill")" = 600 ]
	# the other partitions took the batch once, not once a retry
	rmdir "$seg"
	mv "$T/saved.seg" "$seg"
	records >"$T/records"
	run awk '{ n[$1]++ } END { print n["000"], n["001"], n["002"], n["003"] }' "$T/records"
	assert_output "1 2 2 2"
	# the spill is the batch as read: put it, and the log holds both
	run stream put "$T/spill"
	assert_success
	stream get >"$T/out"
	timeout 60 dmd-ingest "$T/out"
	query_is 'sp.*' "$T/a" "$T/b"
}

# --- retention ---------------------------------------------------------

# A new segment starting at the committed end of partition K, as put
# makes one when the active segment has reached 64 MiB: the next put
# appends there.
roll() {
	: >"$(segment "$1" "$(end_of "$1")")"
}

@test "-r removes whole segments older than the retention, oldest first, never the active one; a reader behind it is told" {
	dmd_points ret 10 0 10 >"$T/a"
	dmd_points ret 10 10 10 >"$T/b"
	dmd_points ret 10 20 10 >"$T/c"
	stream put -n 1 "$T/a"
	e_a=$(end_of 0); roll 0
	stream put "$T/b"
	e_b=$(end_of 0); roll 0
	stream put "$T/c"
	seg_a=$(segment 0 0) seg_b=$(segment 0 "$e_a") seg_c=$(segment 0 "$e_b")
	stream get >"$T/out"
	ndjson "$T/a" "$T/b" "$T/c" >"$T/want"
	same_lines "$T/want" "$T/out"

	# a and c three days old, b an hour: a goes, b stops the removal
	touch -d '3 days ago' "$seg_a" "$seg_c"
	touch -d '1 hour ago' "$seg_b"
	run stream put -S -r 1d </dev/null
	assert_success
	echo "$output" >"$T/stats"
	assert_equal "$(dmd_stat "$T/stats" stream.segments_removed)" 1
	assert_file_not_exists "$seg_a"
	assert_file_exists "$seg_b"
	assert_file_exists "$seg_c"
	stream get >"$T/out"
	ndjson "$T/b" "$T/c" >"$T/want"
	same_lines "$T/want" "$T/out"
	# a checkpoint into a removed segment starts at the oldest kept,
	# and says what the reader never read: exit 4, once
	echo '0 0' >"$T/cp"
	run --separate-stderr stream get -c "$T/cp"
	assert_failure 4
	assert_equal "$stderr" "dmd-stream: log: partition 0: the records from 0 to $e_a were removed by retention before this reader read them"
	printf '%s\n' "$output" >"$T/out"
	same_lines "$T/want" "$T/out"
	run --separate-stderr stream get -c "$T/cp"
	assert_success
	assert_output ''
	[ -z "$stderr" ]
	# a checkpoint at the oldest kept is not a loss
	echo "0 $e_a" >"$T/cp"
	run --separate-stderr stream get -c "$T/cp"
	assert_success
	[ -z "$stderr" ]

	# all three days old: b goes, c is the active segment and stays
	touch -d '3 days ago' "$seg_b" "$seg_c"
	run stream put -r 1d </dev/null
	assert_success
	assert_file_not_exists "$seg_b"
	assert_file_exists "$seg_c"
	stream get >"$T/out"
	ndjson "$T/c" >"$T/want"
	same_lines "$T/want" "$T/out"

	# retention runs after the put: its points stay
	dmd_points ret 10 30 10 >"$T/d"
	run stream put -r 1s "$T/d"
	assert_success
	stream get >"$T/out"
	ndjson "$T/c" "$T/d" >"$T/want"
	same_lines "$T/want" "$T/out"
	[ "$(ls "$LOG/p000/"*.seg | wc -l)" -eq 1 ]
}

@test "a partition rolls over to a new segment past ?segment= bytes and is read across all of them" {
	# 1.2 million points, about 1.8 MB of records, in one partition of a
	# log whose segments roll over past 256 KiB (the default is 64 MiB);
	# values as put prints them (dmd-gen writes 40.30, put 40.3)
	export DMD_LOG="file://$LOG?segment=262144"
	dmd-gen -H 120 -d 60000 -s 1700000000 | sed -E \
	    -e 's/("value":-?[0-9]+)\.([0-9]*[1-9])0+}$/\1.\2}/' \
	    -e 's/("value":-?[0-9]+)\.0+}$/\1}/' >"$T/in"
	run stream put -n 1 "$T/in"
	assert_success
	# a segment rolls over at the first append after it is full
	dmd-gen -H 1 -d 60 -s 1800000000 | sed -E \
	    -e 's/("value":-?[0-9]+)\.([0-9]*[1-9])0+}$/\1.\2}/' \
	    -e 's/("value":-?[0-9]+)\.0+}$/\1}/' >"$T/more"
	run stream put "$T/more"
	assert_success
	segs=("$LOG"/p000/*.seg)
	echo "# ${#segs[@]} segments" >&3
	((${#segs[@]} >= 3))
	# each starts where the one before it ends, which was full
	off=0
	for ((i = 0; i < ${#segs[@]}; i++)); do
		assert_equal "${segs[i]##*/}" "$(printf '%020d.seg' "$off")"
		size=$(stat -c %s "${segs[i]}")
		((i == ${#segs[@]} - 1 || size >= 262144))
		off=$((off + size))
	done
	assert_equal "$off" "$(end_of 0)"
	stream get >"$T/out"
	cat "$T/in" "$T/more" >"$T/want"
	same_lines "$T/want" "$T/out"

	# the setting is checked like every other
	run --separate-stderr dmd-stream get -l "file://$LOG?segment=1000"
	assert_failure 2
	assert_equal "$stderr" "dmd-stream: log \"file://$LOG?segment=1000\": segment=1000: too small (want bytes, at least 65536)"
	run --separate-stderr dmd-stream get -l "file://$LOG?segmnet=1M"
	assert_failure 2
	assert_equal "$stderr" "dmd-stream: log \"file://$LOG?segmnet=1M\": unknown parameter \"segmnet\" (want segment)"
}

# --- info -------------------------------------------------------------------

# info_value FILE PARTITION COUNTER: dmd.HOST.stream.pNNN.COUNTER.
info_value() {
	sed -n "s/^{\"name\":\"dmd\\.[^\"]*\\.stream\\.p$(printf %03d "$2")\\.$3\",\"time\":[0-9]*,\"value\":\\(.*\\)}\$/\\1/p" "$1"
}

@test "info: records and bytes kept per partition, and the lag of a checkpoint before and after it reads" {
	dmd_points inf 40 0 20 >"$T/a"
	run stream put -S "$T/a"
	assert_success
	echo "$output" >"$T/put.stats"
	assert_equal "$(dmd_stat "$T/put.stats" stream.put_points)" 800

	run --separate-stderr stream info
	assert_success
	echo "$output" >"$T/info"
	assert_equal "$(wc -l <"$T/info")" 20
	recs=0 bytes=0
	for k in 0 1 2 3; do
		r=$(info_value "$T/info" "$k" records)
		b=$(info_value "$T/info" "$k" bytes)
		# without a checkpoint, everything lags
		assert_equal "$(info_value "$T/info" "$k" lag_records)" "$r"
		assert_equal "$(info_value "$T/info" "$k" lag_bytes)" "$b"
		# the record bytes: the end less a 16-byte header each
		assert_equal "$b" "$(($(end_of "$k") - 16 * r))"
		recs=$((recs + r)) bytes=$((bytes + b))
	done
	assert_equal "$recs" "$(dmd_stat "$T/put.stats" stream.put_records)"
	assert_equal "$bytes" "$(dmd_stat "$T/put.stats" stream.put_bytes)"

	# caught up: no lag
	stream get -c "$T/cp" >/dev/null
	run stream info -c "$T/cp"
	echo "$output" >"$T/info"
	for k in 0 1 2 3; do
		assert_equal "$(info_value "$T/info" "$k" lag_records)" 0
		assert_equal "$(info_value "$T/info" "$k" lag_bytes)" 0
		assert_equal "$(info_value "$T/info" "$k" lag_seconds)" 0
	done

	# two seconds later, a second put: it lags, by its age
	sleep 2
	dmd_points inf 40 20 5 >"$T/b"
	run stream put -S "$T/b"
	echo "$output" >"$T/put.stats"
	sleep 1
	run stream info --checkpoint "$T/cp"
	echo "$output" >"$T/info"
	recs=0 bytes=0
	for k in 0 1 2 3; do
		r=$(info_value "$T/info" "$k" lag_records)
		recs=$((recs + r))
		bytes=$((bytes + $(info_value "$T/info" "$k" lag_bytes)))
		s=$(info_value "$T/info" "$k" lag_seconds)
		if ((r > 0)); then
			awk -v s="$s" 'BEGIN { exit !(s >= 1 && s < 30) }'
		fi
	done
	assert_equal "$recs" "$(dmd_stat "$T/put.stats" stream.put_records)"
	assert_equal "$bytes" "$(dmd_stat "$T/put.stats" stream.put_bytes)"
	# and info without the checkpoint counts both puts
	run stream info
	echo "$output" >"$T/info"
	assert_equal "$(for k in 0 1 2 3; do info_value "$T/info" "$k" lag_records; done |
	    awk '{ s += $1 } END { print s }')" \
	    "$(records | wc -l)"
}

# --- usage -------------------------------------------------------------------

@test "bad usage exits 2 with a message and the synopsis, or a message naming the value" {
	echo 'use.a 1 1' | stream put
	usage_error 'unknown command "frob"' dmd-stream frob
	usage_error 'usage: dmd-stream put' dmd-stream
	usage_error 'usage: dmd-stream put' dmd-stream get --no-such-option
	usage_error 'usage: dmd-stream put' dmd-stream get file
	usage_error 'usage: dmd-stream put' dmd-stream info file
	usage_error 'partition 4: the log has 4' dmd-stream get -p 4
	usage_error 'partition is 1024' dmd-stream get -p 1024
	usage_error 'partition is -1' dmd-stream get --partition -1
	usage_error '--from: bad time "soon"' dmd-stream get --from soon
	usage_error '--from checkpoint needs --checkpoint FILE' \
	    dmd-stream get --from checkpoint
	usage_error 'partitions is 0' dmd-stream put -n 0
	usage_error 'partitions is 1025' dmd-stream put -n 1025
	usage_error 'max delay is x' dmd-stream put -d x
	usage_error 'retention is 1y' dmd-stream put -r 1y
	usage_error 'unknown format "xml"' dmd-stream put -F xml
	usage_error 'unknown log scheme "http"' dmd-stream get -l http://x
	usage_error "$T/none/r" dmd-stream put -R "$T/none/r"
	echo 'not a checkpoint' >"$T/cp"
	usage_error "$T/cp:1: want PARTITION POSITION" dmd-stream get -c "$T/cp"
	# nothing was put by the failed puts
	run stream get
	assert_output '{"name":"use.a","time":1,"value":1}'
}

@test "--help prints the synopsis of the three commands on stdout and exits 0" {
	run --separate-stderr dmd-stream --help
	assert_success
	[ -z "$stderr" ]
	assert_line --index 0 --regexp '^usage: dmd-stream put \['
	assert_line --regexp '^ +dmd-stream get \['
	assert_line --regexp '^ +dmd-stream info \['
	run dmd-stream get -h
	assert_success
	assert_line --index 0 --regexp '^usage: dmd-stream put \['
	run dmd-stream --version
	assert_success
	assert_output --regexp '^dmd-stream [0-9]+\.[0-9]+\.[0-9]+$'
}
