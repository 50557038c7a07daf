#!/usr/bin/env bats
# Bad input: every reject reason with its FILE:LINE, the good lines
# around bad ones still stored, --rejects, the 100-message cap.
#
# t/data/bad/lines.txt holds one bad line per reject reason, with good
# lines between them.  A NUL byte and an overlong line are appended at
# test time (lines 43 and 44, then a good line 45); lines.expected is the
# stderr expected for the whole, the reasons of common/parse.c.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() { rcli flushall >/dev/null; }

# Every stored point of names with one to five components.
query_everything() {
	dmd-query -f 0 -u 253402300799 '*' '*.*' '*.*.*' '*.*.*.*' '*.*.*.*.*'
}

# N spaces.
blanks() {
	head -c "$1" /dev/zero | tr '\0' ' '
}

# The corpus with its generated lines, as $BATS_TEST_TMPDIR/lines.txt.
make_corpus() {
	{
		cat "$DATA/bad/lines.txt"
		printf 'bad.x 1\0 1\n'
		printf '{"name":"bad.x","time":1,"value":1}'
		blanks 70000
		printf '\n'
		printf 'good.e 5 5\n'
	} >"$BATS_TEST_TMPDIR/lines.txt"
}

@test "rejects every bad line of the corpus with its line number and reason" {
	make_corpus
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr dmd-ingest lines.txt
	assert_failure 1
	assert_output ''
	diff -u "$DATA/bad/lines.expected" <(printf '%s\n' "$stderr")
}

@test "stores the good lines between bad ones and nothing of the bad ones" {
	make_corpus
	run dmd-ingest "$BATS_TEST_TMPDIR/lines.txt"
	assert_failure 1
	run query_everything
	assert_success
	assert_output - <<-'EOF'
	{"name":"good.a","time":1,"value":1}
	{"name":"good.arr","time":1,"value":1}
	{"name":"good.arr","time":2,"value":2}
	{"name":"good.b","time":2,"value":2.5}
	{"name":"good.c","time":3,"value":3}
	{"name":"good.d","time":4,"value":-4}
	{"name":"good.e","time":5,"value":5}
	EOF
}

@test "rejects a point whose name contains a slash" {
	run --separate-stderr dmd-ingest <<<'{"name":"a/b","time":1,"value":2}'
	assert_failure 1
	assert_stderr "dmd-ingest: stdin:1: name has bad character '/'"
	run query_everything
	assert_output ''
}

@test "rejects a point whose name contains a space, as in the man page example" {
	# dmd-ingest(1), EXAMPLES
	run --separate-stderr dmd-ingest < <(printf '{"name":"a b","time":1,"value":2}\n')
	assert_failure 1
	assert_output ''
	assert_stderr "dmd-ingest: stdin:1: name has bad character ' '"
}

@test "shows a non-printable byte of a name as \\xNN" {
	run --separate-stderr dmd-ingest -F json <<-'EOF'
	{"name":"a\tb","time":1,"value":2}
	{"name":"a\u007fb","time":1,"value":2}
	{"name":"a\u00e9","time":1,"value":2}
	EOF
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: stdin:1: name has bad character '\x09'
	dmd-ingest: stdin:2: name has bad character '\x7f'
	dmd-ingest: stdin:3: name has bad character '\xc3'
	EOF
}

@test "rejects a name of 256 bytes and accepts one of 255" {
	n255=$(printf 'a%.0s' $(seq 255))
	run --separate-stderr dmd-ingest <<-EOF
	${n255} 1 1
	${n255}b 1 1
	EOF
	assert_failure 1
	assert_stderr 'dmd-ingest: stdin:2: name too long (256 bytes > 255)'
	run query_everything
	assert_output "{\"name\":\"$n255\",\"time\":1,\"value\":1}"
}

@test "names the JSON token of a time or value of the wrong type, as the reason list says" {
	# dmd-ingest(1): time not an integer "T", value not a number "V"
	run --separate-stderr dmd-ingest <<-'EOF'
	{"name":"a.b","time":1,"value":null}
	{"name":"a.b","time":1,"value":true}
	{"name":"a.b","time":1,"value":{}}
	{"name":"a.b","time":1,"value":[]}
	{"name":"a.b","time":null,"value":1}
	{"name":"a.b","time":1,"value":"abc"}
	{"name":"a.b","time":"1","value":1}
	EOF
	assert_failure 1
	assert_output ''
	assert_stderr_line --index 0 'dmd-ingest: stdin:1: value not a number "null"'
	assert_stderr_line --index 1 'dmd-ingest: stdin:2: value not a number "true"'
	assert_stderr_line --index 2 'dmd-ingest: stdin:3: value not a number "{}"'
	assert_stderr_line --index 3 'dmd-ingest: stdin:4: value not a number "[]"'
	assert_stderr_line --index 4 'dmd-ingest: stdin:5: time not an integer "null"'
	# how the quotes of a string are escaped is not specified
	assert_stderr_line --index 5 --regexp '^dmd-ingest: stdin:6: value not a number ".*abc.*"$'
	assert_stderr_line --index 6 --regexp '^dmd-ingest: stdin:7: time not an integer ".*1.*"$'
	[ "${#stderr_lines[@]}" -eq 7 ]
	run query_everything
	assert_output ''
}

@test "rejects a JSON line that is not an object or array as not a point object" {
	run --separate-stderr dmd-ingest --format json <<-'EOF'
	42
	"a.b 1 1"
	null
	true
	EOF
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: stdin:1: not a point object
	dmd-ingest: stdin:2: not a point object
	dmd-ingest: stdin:3: not a point object
	dmd-ingest: stdin:4: not a point object
	EOF
}

@test "rejects a JSON value written +1, .5, -.5 or 1. as not JSON" {
	# The same numbers are fine in graphite (t/100), not in JSON; with
	# or without an extra key (the parser's fast path and yajl agree).
	run --separate-stderr dmd-ingest <<-'EOF'
	{"name":"a.b","time":1,"value":+1}
	{"name":"a.b","time":1,"value":.5}
	{"name":"a.b","time":1,"value":-.5}
	{"name":"a.b","time":1,"value":1.}
	{"name":"a.b","time":01,"value":1}
	{"name":"a.b","time":1,"value":.5,"x":1}
	EOF
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: stdin:1: not JSON
	dmd-ingest: stdin:2: not JSON
	dmd-ingest: stdin:3: not JSON
	dmd-ingest: stdin:4: not JSON
	dmd-ingest: stdin:5: not JSON
	dmd-ingest: stdin:6: not JSON
	EOF
	run query_everything
	assert_output ''
}

@test "rejects array elements as FILE:LINE[INDEX] and stores the good ones of the line" {
	printf '%s\n' 'a.x 1 1' \
		'[{"name":"a.b","time":1,"value":1},{"name":"a/b","time":1,"value":1},7,{"name":"a.c","time":1},{"name":"a.b","time":2,"value":2}]' \
		>"$BATS_TEST_TMPDIR/array"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr dmd-ingest array
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: array:2[1]: name has bad character '/'
	dmd-ingest: array:2[2]: not a point object
	dmd-ingest: array:2[3]: value missing
	EOF
	run query_everything
	assert_output - <<-'EOF'
	{"name":"a.b","time":1,"value":1}
	{"name":"a.b","time":2,"value":2}
	{"name":"a.x","time":1,"value":1}
	EOF
}

@test "rejects a whole array line with a syntax error and stores none of it" {
	run --separate-stderr dmd-ingest <<-'EOF'
	[{"name":"a.b","time":1,"value":1},{"name":"a.c","time":1,"value":1},{"name":
	[{"name":"a.d","time":1,"value":1},{"name":"a.e","time":1,"value":1}]]
	[{"name":"a.f","time":1,"value":1} {"name":"a.g","time":1,"value":1}]
	[{"name":"a.h","time":1,"value":1},{"name":"a/x","time":1,"value":NaN}]
	EOF
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: stdin:1: not JSON
	dmd-ingest: stdin:2: trailing garbage
	dmd-ingest: stdin:3: not JSON
	dmd-ingest: stdin:4: value not finite "NaN"
	EOF
	run query_everything
	assert_output ''
}

@test "--rejects FILE gets each rejected line verbatim, once per line" {
	printf '%s\n' 'a.ok 1 1' \
		'[{"name":"a/b","time":1,"value":1},{"name":"a.b","time":1,"value":1},5,{"name":"a c","time":1,"value":1}]' \
		'{"name":"a.b","time":1,"value":"x"}' \
		'a.ok 2 2' \
		'  bad/x   1   1  ' >"$BATS_TEST_TMPDIR/in"
	printf 'bad\xffutf8 1 1\n' >>"$BATS_TEST_TMPDIR/in"
	printf 'a.ok 3 3\n' >>"$BATS_TEST_TMPDIR/in"
	printf '%s\n' \
		'[{"name":"a/b","time":1,"value":1},{"name":"a.b","time":1,"value":1},5,{"name":"a c","time":1,"value":1}]' \
		'{"name":"a.b","time":1,"value":"x"}' \
		'  bad/x   1   1  ' >"$BATS_TEST_TMPDIR/expected"
	printf 'bad\xffutf8 1 1\n' >>"$BATS_TEST_TMPDIR/expected"
	run --separate-stderr dmd-ingest --rejects "$BATS_TEST_TMPDIR/rejects" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 6 ]
	cmp "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/rejects"
	run query_everything
	assert_output - <<-'EOF'
	{"name":"a.b","time":1,"value":1}
	{"name":"a.ok","time":1,"value":1}
	{"name":"a.ok","time":2,"value":2}
	{"name":"a.ok","time":3,"value":3}
	EOF
}

@test "--rejects FILE gets a line with a NUL byte verbatim" {
	printf 'a.b 1\0 1\n' >"$BATS_TEST_TMPDIR/in"
	run dmd-ingest -R "$BATS_TEST_TMPDIR/rejects" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/rejects"
}

@test "--rejects FILE gets the first 64 KiB of a longer line" {
	{
		printf 'a.b 1 1 '
		blanks 70000
		printf 'end\n'
	} >"$BATS_TEST_TMPDIR/in"
	run dmd-ingest -R "$BATS_TEST_TMPDIR/rejects" "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	{ head -c 65536 "$BATS_TEST_TMPDIR/in"; printf '\n'; } >"$BATS_TEST_TMPDIR/expected"
	cmp "$BATS_TEST_TMPDIR/expected" "$BATS_TEST_TMPDIR/rejects"
}

@test "--rejects FILE is appended to, not overwritten" {
	printf 'earlier reject\n' >"$BATS_TEST_TMPDIR/rejects"
	run dmd-ingest --rejects "$BATS_TEST_TMPDIR/rejects" <<<'bad/x 1 1'
	assert_failure 1
	run cat "$BATS_TEST_TMPDIR/rejects"
	assert_output $'earlier reject\nbad/x 1 1'
}

@test "--rejects FILE gets nothing when nothing is rejected" {
	run dmd-ingest --rejects "$BATS_TEST_TMPDIR/rejects" <<<'a.b 1 1'
	assert_success
	run cat "$BATS_TEST_TMPDIR/rejects"
	assert_output ''
}

@test "prints 100 reject messages, then how many more were not shown" {
	for i in $(seq 1 150); do
		printf 'bad/x 1 %d\na.b %d %d\n' "$i" "$i" "$i"
	done >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr dmd-ingest -R "$BATS_TEST_TMPDIR/rejects" - <"$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 101 ]
	assert_stderr_line --index 0 "dmd-ingest: stdin:1: name has bad character '/'"
	assert_stderr_line --index 99 "dmd-ingest: stdin:199: name has bad character '/'"
	assert_stderr_line --index 100 'dmd-ingest: 50 more rejects not shown'
	# every reject is still kept, and every good line stored
	run wc -l <"$BATS_TEST_TMPDIR/rejects"
	assert_output 150
	run dmd-query -f 0 -u 1000 a.b
	[ "${#lines[@]}" -eq 150 ]
}

@test "prints exactly 100 reject messages and no summary for 100 rejects" {
	for i in $(seq 1 100); do
		printf 'bad/x 1 %d\n' "$i"
	done >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 100 ]
	assert_stderr_line --index 99 "dmd-ingest: $BATS_TEST_TMPDIR/in:100: name has bad character '/'"
}

@test "counts rejected array elements towards the 100 messages" {
	line='[{"name":"a/b","time":1,"value":1},{"name":"a/b","time":1,"value":1},{"name":"a/b","time":1,"value":1}]'
	for i in $(seq 1 40); do
		printf '%s\n' "$line"
	done >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/in"
	assert_failure 1
	[ "${#stderr_lines[@]}" -eq 101 ]
	assert_stderr_line --index 99 --partial ':34[0]: '
	assert_stderr_line --index 100 'dmd-ingest: 20 more rejects not shown'
}

@test "calls standard input stdin in messages, read by default or as -" {
	run --separate-stderr dmd-ingest <<<'bad/x 1 1'
	assert_failure 1
	assert_stderr "dmd-ingest: stdin:1: name has bad character '/'"
	run --separate-stderr dmd-ingest - <<<'bad/x 1 1'
	assert_failure 1
	assert_stderr "dmd-ingest: stdin:1: name has bad character '/'"
}

@test "exits 0 and prints nothing when nothing is rejected" {
	run --separate-stderr dmd-ingest <<-'EOF'
	{"name":"a.b","time":1,"value":1}
	a.b 2 2
	EOF
	assert_success
	assert_output ''
	assert_stderr ''
}

@test "accepts a line of exactly 65536 bytes and rejects one of 65537" {
	{
		printf '{"name":"a.b","time":1,"value":1}'
		blanks $((65536 - 33))
		printf '\n{"name":"a.c","time":1,"value":1}'
		blanks $((65537 - 33))
		printf '\nbad/x 1 1\na.d 1 1\n'
	} >"$BATS_TEST_TMPDIR/in"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr dmd-ingest in
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: in:2: line longer than 65536 bytes
	dmd-ingest: in:3: name has bad character '/'
	EOF
	run query_everything
	assert_output - <<-'EOF'
	{"name":"a.b","time":1,"value":1}
	{"name":"a.d","time":1,"value":1}
	EOF
}

@test "does not count the CR of a CRLF line end towards the 65536 bytes" {
	{
		printf '{"name":"a.b","time":1,"value":1}'
		blanks $((65536 - 33))
		printf '\r\n'
	} >"$BATS_TEST_TMPDIR/in"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/in"
	assert_success
	assert_stderr ''
	run query_everything
	assert_output '{"name":"a.b","time":1,"value":1}'
}

@test "rejects a line far longer than 64 KiB once and goes on with the next line" {
	{
		printf 'a.b 1 1\n'
		blanks 300000
		printf 'x\nbad/x 1 1\na.c 1 1\n'
	} >"$BATS_TEST_TMPDIR/in"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr dmd-ingest in
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: in:2: line longer than 65536 bytes
	dmd-ingest: in:3: name has bad character '/'
	EOF
	run query_everything
	assert_output - <<-'EOF'
	{"name":"a.b","time":1,"value":1}
	{"name":"a.c","time":1,"value":1}
	EOF
}

@test "rejects a JSON time with a real fraction" {
	run --separate-stderr dmd-ingest <<<'{"name":"a.b","time":100.5,"value":1}'
	assert_failure 1
	assert_stderr 'dmd-ingest: stdin:1: time not an integer "100.5"'
}

@test "rejects a TSV time with a fraction, which only graphite truncates" {
	run --separate-stderr dmd-ingest < <(printf 'a.b\t1\t100.5\n')
	assert_failure 1
	assert_stderr 'dmd-ingest: stdin:1: time not an integer "100.5"'
}

@test "rejects graphite nan and inf in any case as not finite" {
	run --separate-stderr dmd-ingest <<-'EOF'
	a.b NaN 1
	a.b -Inf 1
	a.b +infinity 1
	a.b 1e999 1
	EOF
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: stdin:1: value not finite "NaN"
	dmd-ingest: stdin:2: value not finite "-Inf"
	dmd-ingest: stdin:3: value not finite "+infinity"
	dmd-ingest: stdin:4: value not finite "1e999"
	EOF
	run query_everything
	assert_output ''
}
