#!/usr/bin/env bats
# Hostile names: names that try to leave the configured directories
# (../x, /abs, a/b), to inject into Redis keys or hash tags ({tag},
# spaces), to hide ("." "..", a leading dot or dash), to confuse a glob
# or a shell, or that are as long as allowed and longer.  Each is
# rejected with its reason by dmd-ingest and dmd-stream put alike, or
# stored and read back exactly by dmd-query at every step of ingest ->
# flush -> archive (file:// tiers), also once the cache is emptied, and
# by dmd-stream get; nothing is written outside the table, archive and
# log directories (the whole temp tree is listed before and after).
#
# Names that differ only in case are stored apart here, as this file
# system tells case apart; on one that does not, the file:// table would
# give them one directory, which the test of them would show.

bats_require_minimum_version 1.5.0
load lib/dmd

B=1732406400	# time of every point: long past the archive's cutoff

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }

setup() {
	T=$BATS_TEST_TMPDIR
	rcli flushall >/dev/null
	W=$T/w
	C=$W/cwd	# the programs' working directory, with their input
	mkdir -p "$C" "$W/tmp"
	export DMD_TABLE="file://$W/table" DMD_ARCHIVE="file://$W/archive"
	export TMPDIR=$W/tmp
	LOG="file://$W/log"
}

# Names stored as they are: dots, dashes, colons, digits, case, length.
good_names() {
	local a255 d255 x255

	a255=$(printf 'a%.0s' $(seq 255))
	d255=$(printf '.%.0s' $(seq 255))
	x255="$(printf 'x.%.0s' $(seq 126))abc"
	printf '%s\n' . .. ... .x x. ..x x.. a..b .hidden.x .a.b. \
	    -x -- --help - -.- -rf : :: a:b C:.. C:x 0 1.2 _ \
	    dmd-table tmp lock horizon dmd-archive g00 g00.x \
	    Web.cpu web.cpu WEB.CPU web.CPU wEb.Cpu \
	    "$a255" "$d255" "$x255"
}

# Names rejected, as JSON string contents, TAB, the reason.
bad_names() {
	local a256 a4096

	a256=$(printf 'a%.0s' $(seq 256))
	a4096=$(printf 'a%.0s' $(seq 4096))
	printf '%s\t%s\n' \
	    '../x' "name has bad character '/'" \
	    '/abs' "name has bad character '/'" \
	    'a/b' "name has bad character '/'" \
	    '..\u002fx' "name has bad character '/'" \
	    '\/etc\/passwd.dmd' "name has bad character '/'" \
	    '{tag}' "name has bad character '{'" \
	    'a.{s0001}.b' "name has bad character '{'" \
	    '}' "name has bad character '}'" \
	    '%2e%2e' "name has bad character '%'" \
	    '%2f' "name has bad character '%'" \
	    'a\\b' "name has bad character '\x5c'" \
	    '..\\x' "name has bad character '\x5c'" \
	    'a b' "name has bad character ' '" \
	    ' a' "name has bad character ' '" \
	    'a\nb' "name has bad character '\x0a'" \
	    'a\rb' "name has bad character '\x0d'" \
	    'a\tb' "name has bad character '\x09'" \
	    'a\u0000b' "name has bad character '\x00'" \
	    'a\u0001b' "name has bad character '\x01'" \
	    'a\u001b[0m' "name has bad character '\x1b'" \
	    'a\u007fb' "name has bad character '\x7f'" \
	    'a\"b' "name has bad character '\"'" \
	    "a'b" "name has bad character '\x27'" \
	    'a`b' "name has bad character '\`'" \
	    '$(id)' "name has bad character '\$'" \
	    'a;b' "name has bad character ';'" \
	    'a|b' "name has bad character '|'" \
	    'a&b' "name has bad character '&'" \
	    'a>b' "name has bad character '>'" \
	    'a<b' "name has bad character '<'" \
	    '~' "name has bad character '~'" \
	    'a=b' "name has bad character '='" \
	    'a,b' "name has bad character ','" \
	    'a#b' "name has bad character '#'" \
	    'a!b' "name has bad character '!'" \
	    'a@b' "name has bad character '@'" \
	    'a+b' "name has bad character '+'" \
	    'a(b)' "name has bad character '('" \
	    'a*b' "name has bad character '*'" \
	    'a?b' "name has bad character '?'" \
	    'a[b]' "name has bad character '['" \
	    'a]b' "name has bad character ']'" \
	    '\u00e9' "name has bad character '\xc3'" \
	    'a\u2215b' "name has bad character '\xe2'" \
	    'a\uff0fb' "name has bad character '\xef'" \
	    '' 'name empty' \
	    "$a256" 'name too long (256 bytes > 255)' \
	    "$a4096" 'name too long (4096 bytes > 255)'
}

# points_of NAMES-FILE: a JSON point per name, value its line number.
points_of() {
	awk -v b="$B" '{ printf "{\"name\":\"%s\",\"time\":%d,\"value\":%d}\n", $0, b, NR }' "$1"
}

# The points dmd-query prints for the good names, in the order of
# good_names.
good_answer() {
	good_names | awk -v b="$B" '{ printf "{\"name\":\"%s\",\"time\":%d,\"value\":%d}\n", $0, b, NR }'
}

# query_each: every good name looked up by itself, one query a line on
# the standard input (so that "-" and "--help" are names, not options).
query_each() {
	good_names | sed "s/\$/ 0 253402300799/" | dmd-query
}

# tree: every path of the whole temp tree of this run and the cache's
# directory, but the contents of the table, archive and log directories,
# the cache's own files and the test's own files beside $W, sorted.
tree() {
	find "$BATS_RUN_TMPDIR" "$REDIS_DIR" \
	    \( -path "$W/table" -o -path "$W/archive" -o -path "$W/log" \
	    -o -path "$REDIS_DIR/appendonlydir" \) -prune -o \
	    \( -path "$T/*" ! -path "$W" ! -path "$W/*" \) -prune -o -print |
		LC_ALL=C sort
}

# Nothing but those directories appeared since tree() wrote FILE.
nothing_else_written() {
	tree >"$T/tree.after"
	if ! diff -u "$1" "$T/tree.after" | grep '^[-+][^-+]' >"$T/tree.diff"; then
		return 0
	fi
	# the three directories themselves may be new, and nothing else
	grep -v -x -e "+$W/table" -e "+$W/archive" -e "+$W/log" \
	    "$T/tree.diff" >"$T/tree.other" || true
	if [ -s "$T/tree.other" ]; then
		echo "written outside the table, archive and log directories:"
		cat "$T/tree.other"
		return 1
	fi
	for p in /abs /x /etc/passwd.dmd; do
		[ ! -e "$p" ] || { echo "$p exists"; return 1; }
	done
}

@test "every hostile-looking name that passes the check goes through ingest, flush and archive and reads back exactly, also from the table alone" {
	good_names >"$C/good"
	points_of "$C/good" >"$C/good.ndjson"
	good_answer >"$T/want"
	tree >"$T/tree.before"
	cd "$C"

	run --separate-stderr dmd-ingest "$C/good.ndjson"
	assert_success
	assert_stderr ''
	query_each >"$T/cached"
	diff -u "$T/want" "$T/cached"

	run --separate-stderr dmd-flush -n 1 -a 100w
	assert_success
	query_each >"$T/flushed"
	diff -u "$T/want" "$T/flushed"
	# one series directory per name: none met another
	run sh -c "find '$W/table' -mindepth 3 -maxdepth 3 -type d | wc -l"
	assert_output "$(wc -l <"$C/good")"

	run --separate-stderr dmd-archive
	assert_success
	assert_stderr ''
	query_each >"$T/archived"
	diff -u "$T/want" "$T/archived"
	run dmd_chunks
	assert_output ''

	# with the cache emptied the names come from the table's directories
	rcli flushall >/dev/null
	query_each >"$T/from-table"
	diff -u "$T/want" "$T/from-table"
	dmd-query -f 0 -u 253402300799 '*' '*.*' '*.*.*' '*.*.*.*' |
		LC_ALL=C sort >"$T/globbed"
	awk -F'"' 'split($4, c, ".") <= 4' "$T/want" |
		LC_ALL=C sort >"$T/want.globbed"
	diff -u "$T/want.globbed" "$T/globbed"

	nothing_else_written "$T/tree.before"
}

@test "names that differ only in case are separate series, in the cache, the table and the archive" {
	printf '%s\n' web.cpu Web.cpu WEB.CPU web.CPU wEb.Cpu >"$C/names"
	points_of "$C/names" >"$C/points"
	dmd-ingest "$C/points"
	dmd-flush -n 1 -a 100w
	dmd-archive
	rcli flushall >/dev/null
	run dmd-query -f 0 -u 253402300799 '[wW][eE][bB].*'
	assert_output - <<-EOF
	{"name":"WEB.CPU","time":$B,"value":3}
	{"name":"Web.cpu","time":$B,"value":2}
	{"name":"wEb.Cpu","time":$B,"value":5}
	{"name":"web.CPU","time":$B,"value":4}
	{"name":"web.cpu","time":$B,"value":1}
	EOF
	# five series directories, which a file system that ignores case
	# would make fewer
	run sh -c "find '$W/table' -mindepth 3 -maxdepth 3 -type d | wc -l"
	assert_output 5
}

@test "dmd-ingest rejects every escaping, injecting or overlong name with its reason, and stores nothing of them" {
	bad_names | cut -f1 >"$C/bad"
	bad_names | cut -f2 | nl -ba -s': ' -w1 | sed 's/^/dmd-ingest: points:/' >"$T/want"
	points_of "$C/bad" >"$C/points"
	tree >"$T/tree.before"
	cd "$C"
	run --separate-stderr dmd-ingest points
	assert_failure 1
	assert_output ''
	diff -u "$T/want" <(printf '%s\n' "$stderr")
	run rcli dbsize
	assert_output 0
	run dmd-flush -n 1 -a 100w
	assert_success
	run dmd-archive
	assert_success
	run dmd_chunks
	assert_output ''
	nothing_else_written "$T/tree.before"
}

@test "the same names in Graphite and TSV lines are rejected for the same reasons" {
	# the names a text line can hold: not empty, no blank, and none of
	# the JSON escapes (newline, NUL and so on)
	bad_names | grep -v -e '^[^	]*\\' -e '^[^	]* ' -e '^	' >"$T/names"
	cut -f1 "$T/names" | sed -e 's/$/ 1 '"$B"'/' >"$C/graphite"
	cut -f1 "$T/names" | sed -e 's/$/	1	'"$B"'/' >"$C/tsv"
	cut -f2 "$T/names" | nl -ba -s': ' -w1 >"$T/reasons"
	[ "$(wc -l <"$T/names")" -ge 30 ]	# of the 48
	cd "$C"
	for f in graphite tsv; do
		# -F: by -F auto a line that starts with '{' is JSON
		run --separate-stderr dmd-ingest -F "$f" "$f"
		assert_failure 1
		diff -u <(sed "s/^/dmd-ingest: $f:/" "$T/reasons") <(printf '%s\n' "$stderr")
	done
	run rcli dbsize
	assert_output 0
}

@test "dmd-stream put rejects the same names for the same reasons, and get gives the others back exactly" {
	good_names >"$C/good"
	bad_names | cut -f1 >"$C/bad"
	{ points_of "$C/good"; points_of "$C/bad"; } >"$C/points"
	n=$(wc -l <"$C/good")
	bad_names | cut -f2 | awk -v n="$n" '{ printf "dmd-stream: points:%d: %s\n", n + NR, $0 }' >"$T/want.err"
	points_of "$C/good" >"$T/want"
	tree >"$T/tree.before"
	cd "$C"
	run --separate-stderr dmd-stream put -l "$LOG" points
	assert_failure 1
	diff -u "$T/want.err" <(printf '%s\n' "$stderr")
	# one partition keeps the order of the input
	dmd-stream get -l "$LOG" | LC_ALL=C sort >"$T/got"
	diff -u <(LC_ALL=C sort "$T/want") "$T/got"
	dmd-stream get -l "$LOG" | dmd-ingest
	query_each >"$T/stored"
	diff -u <(good_answer) "$T/stored"
	nothing_else_written "$T/tree.before"
}

@test "Redis keys keep their shard hash tag whatever the name: every key is dmd:{sNNNN}:..., names only after it" {
	good_names >"$C/good"
	bad_names | cut -f1 >"$C/bad"
	{ points_of "$C/good"; points_of "$C/bad"; } >"$C/points"
	run dmd-ingest "$C/points"
	assert_failure 1
	rcli --scan >"$T/keys"
	[ -s "$T/keys" ]
	# one hash tag, the shard's, first in every key
	run grep -c -v -E '^dmd:\{s[0-9]{4}\}:[^{}]*$' "$T/keys"
	assert_output 0
	# the series keys are exactly the good names
	sed -n -E 's/^dmd:\{s[0-9]{4}\}:c://p' "$T/keys" | LC_ALL=C sort >"$T/series"
	diff -u <(LC_ALL=C sort "$C/good") "$T/series"
	# the names sets hold exactly the good names
	for k in $(grep -E '^dmd:\{s[0-9]{4}\}:n$' "$T/keys"); do
		rcli smembers "$k"
	done | LC_ALL=C sort >"$T/members"
	diff -u <(LC_ALL=C sort "$C/good") "$T/members"
}

@test "dmd-query rejects a pattern that holds a bad name, and a pattern with a slash or a dot-dot reads nothing outside the table" {
	good_names >"$C/good"
	points_of "$C/good" | dmd-ingest
	dmd-flush -n 1 -a 100w
	tree >"$T/tree.before"
	for p in ../x /abs a/b '{../x,a}' '%2e%2e' 'a\b' 'a b' '{tag' '[' '}'; do
		run --separate-stderr dmd-query -f 0 -u 253402300799 -- "$p"
		assert_failure 2
		assert_output ''
		assert_stderr --partial "dmd-query: pattern \""
	done
	# wildcards: matched against names, so a slash matches nothing
	for p in '*/..' '../*' '*/*' '[/]*' '%*' '%.*' '*%' '?/?'; do
		run --separate-stderr dmd-query -f 0 -u 253402300799 -- "$p"
		assert_success
		assert_output ''
	done
	# the characters of names that mean something in a pattern
	run dmd-query -f 0 -u 253402300799 -- '[-]*' '*[:]*' '[!-.]?' '{-,--}'
	assert_output - <<-EOF
	{"name":"-","time":$B,"value":14}
	{"name":"--","time":$B,"value":12}
	{"name":"--help","time":$B,"value":13}
	{"name":"-rf","time":$B,"value":16}
	{"name":"-x","time":$B,"value":11}
	{"name":":","time":$B,"value":17}
	{"name":"::","time":$B,"value":18}
	{"name":"C:x","time":$B,"value":21}
	{"name":"a:b","time":$B,"value":19}
	EOF
	# and a pattern's literal first component . or .. is a name's, the
	# table's directory of names that start with a dot
	run dmd-query -f 0 -u 253402300799 -- '.*' '..*'
	assert_output - <<-EOF
	{"name":".","time":$B,"value":1}
	{"name":"..","time":$B,"value":2}
	{"name":"..x","time":$B,"value":6}
	{"name":".x","time":$B,"value":4}
	EOF
	nothing_else_written "$T/tree.before"
}
