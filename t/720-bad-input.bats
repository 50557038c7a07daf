#!/usr/bin/env bats
# Bad input: the corpus of t/data/bad through dmd-ingest, dmd-stream put
# (a file:// log) and dmd-ingest --listen (TCP on 127.0.0.1).  Each line
# of each input is stored, as dmd-query shows, or rejected with its line
# number and reason, the same ones by all three; the exit status is the
# documented one and no program crashes.  A 100 MB line is rejected once,
# in bounded memory, and the lines around it are stored.
#
# For each input X.txt, X.expected is the standard error of
# "dmd-ingest X.txt" and X.stored what dmd-query prints afterwards (see
# t/data/bad/generate).  lines.txt is t/110's, whose lines.expected also
# has the two lines t/110 appends at test time (43 and 44).

bats_require_minimum_version 1.5.0
load lib/dmd

# What the 100 MB line test allows a program's peak resident set to be,
# in KiB: well under the line, well over what ASan adds.
RSS_MAX_KB=32768

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }

setup() {
	T=$BATS_TEST_TMPDIR
	ipid=
	rcli flushall >/dev/null
}

teardown() {
	# the listener, if a test failed with it still running
	if [ -n "$ipid" ]; then
		kill -KILL "$ipid" 2>/dev/null || true
		wait "$ipid" 2>/dev/null || true
	fi
	return 0
}

# The inputs of the corpus, by file name.
inputs() {
	(cd "$DATA/bad" && ls -- *.txt)
}

# expected NAME PROG: the rejects of input NAME as PROG prints them.
expected() {
	local f=$DATA/bad/${1%.txt}.expected

	if [ "$1" = lines.txt ]; then
		grep -v '^dmd-ingest: lines\.txt:4[34]: ' "$f"
	else
		cat "$f"
	fi | sed "s/^dmd-ingest:/$2:/"
}

# Every point stored, of names of one to three components.
query_everything() {
	dmd-query -f 0 -u 253402300799 '*' '*.*' '*.*.*'
}

# check NAME HOW STATUS STDERR-FILE PROG: the exit status, the rejects
# and the stored points of input NAME fed to HOW are the expected ones;
# says what differs otherwise.
check() {
	local name=$1 how=$2 st=$3 err=$4 prog=$5 want=0

	[ -s "$DATA/bad/${name%.txt}.expected" ] && want=1
	expected "$name" "$prog" >"$T/want.err"
	if ! cmp -s "$T/want.err" "$err"; then
		echo "$how $name: rejects differ (exit status $st):"
		diff -u "$T/want.err" "$err" | head -40 | cut -c1-200
		return 1
	fi
	if [ "$st" -ne "$want" ]; then
		echo "$how $name: exit status $st, want $want"
		return 1
	fi
	query_everything >"$T/got.stored"
	if ! cmp -s "$DATA/bad/${name%.txt}.stored" "$T/got.stored"; then
		echo "$how $name: stored points differ:"
		diff -u "$DATA/bad/${name%.txt}.stored" "$T/got.stored" | head -40
		return 1
	fi
}

# The 100 MB line: a JSON point padded to 100,000,000 bytes, between two
# good lines, and without a newline a second one at the end.
long_input() {
	printf 'good.long 1 1\n{"name":"bad.long","time":1,"value":1'
	head -c 100000000 /dev/zero | tr '\0' ' '
	printf '}\ngood.long 2 2\n'
	head -c 100000000 /dev/zero | tr '\0' 'x'
}

long_stored() {
	printf '%s\n' '{"name":"good.long","time":1,"value":1}' \
	    '{"name":"good.long","time":2,"value":2}'
}

# rss_ok FILE: FILE holds a peak resident set size in KiB under
# RSS_MAX_KB.
rss_ok() {
	local kb

	kb=$(tail -n 1 "$1")
	echo "peak RSS ${kb} KiB"
	[[ $kb =~ ^[0-9]+$ ]] && [ "$kb" -lt "$RSS_MAX_KB" ]
}

# settle NREJECTS NPOINTS: wait (10 s at most) until the listener has
# printed NREJECTS rejects and stored NPOINTS points.
settle() {
	local i

	for ((i = 0; i < 200; i++)); do
		if [ "$(grep -vc ' listening on ' "$T/lerr")" -ge "$1" ] &&
		    [ "$(query_everything | wc -l)" -ge "$2" ]; then
			return 0
		fi
		sleep 0.05
	done
}

@test "the corpus has an input for every kind of bad input, each with its rejects and points" {
	for x in json numbers utf8 nul crlf cr empty blank graphite tsv deep binary lines; do
		assert_file_exists "$DATA/bad/$x.txt"
		assert_file_exists "$DATA/bad/$x.expected"
		assert_file_exists "$DATA/bad/$x.stored"
	done
	# the reasons are all of dmd-ingest(1)'s list
	cat "$DATA"/bad/*.expected | sed -E 's/^dmd-ingest: [a-z0-9]+\.txt:[0-9]+(\[[0-9]+\])?: //' |
		sed -E 's/ "[^"]*"$//; s/ \(256 bytes > 255\)$//; s/ '\''.*'\''$//' |
		sort -u >"$T/reasons"
	run cat "$T/reasons"
	assert_output - <<-'EOF'
	NUL byte
	invalid UTF-8
	line longer than 65536 bytes
	name empty
	name has bad character
	name missing
	name not a string
	name too long
	not JSON
	not a point object
	time missing
	time not an integer
	time out of range
	trailing garbage
	value missing
	value not a number
	value not finite
	EOF
}

@test "dmd-ingest rejects each bad line of the corpus by file, line and reason, stores the others, exits 1 or 0" {
	local name st fails=0 n=0

	cd "$DATA/bad"
	for name in $(inputs); do
		rcli flushall >/dev/null
		st=0
		dmd-ingest "$name" 2>"$T/err" || st=$?
		check "$name" dmd-ingest "$st" "$T/err" dmd-ingest || fails=$((fails + 1))
		n=$((n + 1))
	done
	[ "$n" -ge 13 ]
	[ "$fails" -eq 0 ]
}

@test "dmd-ingest reads the corpus on its standard input the same way, as stdin" {
	local name st fails=0

	for name in $(inputs); do
		rcli flushall >/dev/null
		st=0
		dmd-ingest <"$DATA/bad/$name" 2>"$T/err.stdin" || st=$?
		sed "s/^dmd-ingest: stdin:/dmd-ingest: $name:/" "$T/err.stdin" >"$T/err"
		check "$name" "dmd-ingest <" "$st" "$T/err" dmd-ingest || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ]
}

@test "dmd-stream put rejects the same lines for the same reasons, and get gives back exactly the points dmd-ingest stores" {
	local name st fails=0

	cd "$DATA/bad"
	for name in $(inputs); do
		rm -rf "$T/log"
		rcli flushall >/dev/null
		st=0
		dmd-stream put -l "file://$T/log" "$name" 2>"$T/err" || st=$?
		# what is in the log, stored: the points put, the last of each
		# (name, time) winning as in dmd-ingest
		dmd-stream get -l "file://$T/log" >"$T/got.log" || {
			echo "dmd-stream get $name failed"
			fails=$((fails + 1))
			continue
		}
		dmd-ingest "$T/got.log" || {
			echo "dmd-ingest of what get printed for $name failed"
			fails=$((fails + 1))
			continue
		}
		check "$name" "dmd-stream put" "$st" "$T/err" dmd-stream || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ]
}

@test "dmd-ingest --listen rejects the same lines as PEER:LINE for the same reasons and stores the others" {
	local name st fails=0 nrej npts

	for name in $(inputs); do
		rcli flushall >/dev/null
		start_listener
		cat "$DATA/bad/$name" >"/dev/tcp/127.0.0.1/$port"
		nrej=$(expected "$name" dmd-ingest | wc -l)
		npts=$(wc -l <"$DATA/bad/${name%.txt}.stored")
		settle "$nrej" "$npts"
		stop_listener
		grep -v ' listening on ' "$T/lerr" |
			sed -E "s/^dmd-ingest: 127\.0\.0\.1:[0-9]+:/dmd-ingest: $name:/" >"$T/err"
		check "$name" "dmd-ingest -L" "$st" "$T/err" dmd-ingest || fails=$((fails + 1))
	done
	[ "$fails" -eq 0 ]
}

# rejected_lines NAME: the lines of input NAME that its .expected
# rejects, each once, verbatim (a CR before the newline kept), each
# ending in a newline.
rejected_lines() {
	expected "$1" dmd-ingest |
		sed -E 's/^dmd-ingest: [^:]*:([0-9]+)(\[[0-9]+\])?: .*/\1/' |
		uniq | perl -e '
			my %want = map { chomp; ($_, 1) } <STDIN>;
			open(my $f, "<", $ARGV[0]) or die "$ARGV[0]: $!";
			while (my $l = <$f>) {
				$l .= "\n" unless $l =~ /\n$/;
				print $l if $want{$.};
			}' "$DATA/bad/$1"
}

@test "--rejects FILE of dmd-ingest and dmd-stream put gets each rejected line of the corpus verbatim, once" {
	local name prog st want fails=0

	cd "$DATA/bad"
	for name in $(inputs); do
		rejected_lines "$name" >"$T/want.rej"
		want=0
		[ -s "$T/want.rej" ] && want=1
		for prog in dmd-ingest "dmd-stream put -l file://$T/log"; do
			rm -f "$T/rej"
			st=0
			$prog -R "$T/rej" "$name" 2>/dev/null || st=$?
			if [ "$st" -ne "$want" ]; then
				echo "$prog -R, $name: exit status $st, want $want"
				fails=$((fails + 1))
			fi
			[ -e "$T/rej" ] || : >"$T/rej"
			if ! cmp -s "$T/want.rej" "$T/rej"; then
				echo "$prog -R, $name: rejected lines differ"
				diff -u "$T/want.rej" "$T/rej" | head -20 | cut -c1-200
				fails=$((fails + 1))
			fi
		done
	done
	[ "$fails" -eq 0 ]
}

@test "dmd-ingest rejects a 100 MB line once, in bounded memory, and stores the lines around it" {
	st=0
	long_input | /usr/bin/time -o "$T/rss" -f %M dmd-ingest 2>"$T/err" || st=$?
	assert_equal "$st" 1
	run cat "$T/err"
	assert_output - <<-'EOF'
	dmd-ingest: stdin:2: line longer than 65536 bytes
	dmd-ingest: stdin:4: line longer than 65536 bytes
	EOF
	rss_ok "$T/rss"
	run query_everything
	assert_output "$(long_stored)"
}

@test "dmd-stream put rejects a 100 MB line once, in bounded memory, and puts the lines around it" {
	st=0
	long_input | /usr/bin/time -o "$T/rss" -f %M \
	    dmd-stream put -l "file://$T/log" 2>"$T/err" || st=$?
	assert_equal "$st" 1
	run cat "$T/err"
	assert_output - <<-'EOF'
	dmd-stream: stdin:2: line longer than 65536 bytes
	dmd-stream: stdin:4: line longer than 65536 bytes
	EOF
	rss_ok "$T/rss"
	dmd-stream get -l "file://$T/log" | dmd-ingest
	run query_everything
	assert_output "$(long_stored)"
	# the log holds the two points and nothing of the long lines
	run du -sk "$T/log"
	[ "${output%%[^0-9]*}" -lt 1024 ]
}

@test "dmd-ingest --listen rejects a client's 100 MB line once, in bounded memory, and stores its other lines" {
	start_listener
	long_input >"/dev/tcp/127.0.0.1/$port"
	settle 2 2
	awk '/^VmHWM:/ { print $2 }' "/proc/$ipid/status" >"$T/rss"
	stop_listener
	assert_equal "$st" 1
	grep -v ' listening on ' "$T/lerr" | sed -E 's/127\.0\.0\.1:[0-9]+:/PEER:/' >"$T/err"
	run cat "$T/err"
	assert_output - <<-'EOF'
	dmd-ingest: PEER:2: line longer than 65536 bytes
	dmd-ingest: PEER:4: line longer than 65536 bytes
	EOF
	rss_ok "$T/rss"
	run query_everything
	assert_output "$(long_stored)"
}
