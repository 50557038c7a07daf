#!/usr/bin/env bats
# Input formats of dmd-ingest and output formats of dmd-query: what goes
# in comes back out in canonical form (DESIGN.md section 3).

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() { rcli flushall >/dev/null; }

# Every point of the named series, whatever its time.
query_all() {
	dmd-query -f 0 -u 2000000000 "$@"
}

# ingest INPUT-ON-STDIN [OPTIONS]: must store it all, silently.
ingest() {
	run --separate-stderr dmd-ingest "$@"
	assert_success
	assert_output ''
	assert_stderr ''
}

@test "stores NDJSON points and prints them back in canonical form" {
	ingest <<-'EOF'
	{"name":"web01.cpu.user","time":1732406400,"value":12.5}
	{ "name" : "web01.cpu.user" , "time" : 1732406460 , "value" : 13.250 }
	{"value":7,"time":1732406400,"name":"web02.cpu.user"}
	EOF
	run query_all 'web01.cpu.user' 'web02.cpu.user'
	assert_success
	assert_output - <<-'EOF'
	{"name":"web01.cpu.user","time":1732406400,"value":12.5}
	{"name":"web01.cpu.user","time":1732406460,"value":13.25}
	{"name":"web02.cpu.user","time":1732406400,"value":7}
	EOF
}

@test "stores every point of a JSON array given on one line" {
	ingest <<-'EOF'
	[{"name":"a.b","time":100,"value":1},{"name":"a.c","time":100,"value":2}, {"name":"a.b","time":160,"value":3}]
	EOF
	run query_all 'a.*'
	assert_output - <<-'EOF'
	{"name":"a.b","time":100,"value":1}
	{"name":"a.b","time":160,"value":3}
	{"name":"a.c","time":100,"value":2}
	EOF
}

@test "stores nothing and rejects nothing for an empty JSON array" {
	ingest <<<'[]'
	run query_all 'a.*'
	assert_output ''
}

@test "stores graphite plaintext split on runs of blanks and tabs" {
	printf 'g.a 1.5 100\ng.b   2    100\n\tg.c \t 3 \t\t 100  \n' |
		ingest --format graphite
	run query_all 'g.*'
	assert_output - <<-'EOF'
	{"name":"g.a","time":100,"value":1.5}
	{"name":"g.b","time":100,"value":2}
	{"name":"g.c","time":100,"value":3}
	EOF
}

@test "truncates a fractional graphite time as carbon does" {
	ingest <<-'EOF'
	g.a 1 100.9
	g.b 2 200.1
	g.c 3 1.5e2
	EOF
	run query_all 'g.*'
	assert_output - <<-'EOF'
	{"name":"g.a","time":100,"value":1}
	{"name":"g.b","time":200,"value":2}
	{"name":"g.c","time":150,"value":3}
	EOF
}

@test "stores graphite values written as Python floats: +1, .5, 1. and 1e3" {
	ingest <<-'EOF'
	g.a +1 1
	g.a .5 2
	g.a 1. 3
	g.a 1e3 4
	EOF
	run query_all g.a
	assert_output - <<-'EOF'
	{"name":"g.a","time":1,"value":1}
	{"name":"g.a","time":2,"value":0.5}
	{"name":"g.a","time":3,"value":1}
	{"name":"g.a","time":4,"value":1000}
	EOF
}

@test "stores tab-separated name, value and time lines" {
	printf 't.a\t1.5\t100\nt.b\t-2\t200\n' | ingest
	run query_all 't.*'
	assert_output - <<-'EOF'
	{"name":"t.a","time":100,"value":1.5}
	{"name":"t.b","time":200,"value":-2}
	EOF
}

@test "detects the format of each line when JSON, graphite and TSV are mixed" {
	printf '%s\n' '{"name":"m.json","time":100,"value":1}' \
		'm.graphite 2 100' \
		"$(printf 'm.tsv\t3\t100')" \
		'[{"name":"m.array","time":100,"value":4}]' \
		'  {"name":"m.indented","time":100,"value":5}' |
		ingest
	run query_all 'm.*'
	assert_output - <<-'EOF'
	{"name":"m.array","time":100,"value":4}
	{"name":"m.graphite","time":100,"value":2}
	{"name":"m.indented","time":100,"value":5}
	{"name":"m.json","time":100,"value":1}
	{"name":"m.tsv","time":100,"value":3}
	EOF
}

@test "--format graphite reads a line with tabs as graphite, not TSV" {
	# auto would take this line for TSV and reject "f.a " as a name
	printf 'f.a \t 1 \t 100\n' | ingest -F graphite
	run query_all f.a
	assert_output '{"name":"f.a","time":100,"value":1}'
}

@test "--format json rejects a graphite line as not JSON" {
	run --separate-stderr dmd-ingest --format json <<<'f.a 1 100'
	assert_failure 1
	assert_stderr 'dmd-ingest: stdin:1: not JSON'
	run query_all f.a
	assert_output ''
}

@test "--format tsv rejects a graphite line and a JSON line" {
	run --separate-stderr dmd-ingest --format tsv <<-'EOF'
	f.a 1 100
	{"name":"f.b","time":100,"value":1}
	EOF
	assert_failure 1
	# how the blank is shown is the business of t/110
	assert_stderr --regexp "^dmd-ingest: stdin:1: name has bad character '[^']+'
dmd-ingest: stdin:2: name has bad character '\\{'\$"
	run query_all f.a f.b
	assert_output ''
}

@test "--format graphite rejects a JSON line" {
	run --separate-stderr dmd-ingest -F graphite <<<'{"name":"f.b","time":100,"value":1}'
	assert_failure 1
	assert_stderr --regexp "^dmd-ingest: stdin:1: name has bad character '"
	run query_all f.b
	assert_output ''
}

@test "--format auto is the default" {
	printf 'f.a 1 100\nf.b\t2\t100\n{"name":"f.c","time":100,"value":3}\n' |
		ingest --format auto
	run query_all 'f.*'
	assert_output - <<-'EOF'
	{"name":"f.a","time":100,"value":1}
	{"name":"f.b","time":100,"value":2}
	{"name":"f.c","time":100,"value":3}
	EOF
}

@test "accepts CRLF line ends in every format" {
	printf '{"name":"c.json","time":100,"value":1}\r\nc.graphite 2 100\r\nc.tsv\t3\t100\r\n[{"name":"c.array","time":100,"value":4}]\r\nc.last 5 100\r' |
		ingest
	run query_all 'c.*'
	assert_output - <<-'EOF'
	{"name":"c.array","time":100,"value":4}
	{"name":"c.graphite","time":100,"value":2}
	{"name":"c.json","time":100,"value":1}
	{"name":"c.last","time":100,"value":5}
	{"name":"c.tsv","time":100,"value":3}
	EOF
}

@test "accepts a leading UTF-8 byte order mark before a JSON line" {
	printf '\xef\xbb\xbf{"name":"b.a","time":100,"value":1}\n' | ingest
	run query_all b.a
	assert_output '{"name":"b.a","time":100,"value":1}'
}

@test "accepts a leading UTF-8 byte order mark before a graphite line" {
	printf '\xef\xbb\xbfb.a 1 100\r\n' | ingest
	run query_all b.a
	assert_output '{"name":"b.a","time":100,"value":1}'
}

@test "accepts a leading byte order mark in each FILE" {
	printf '\xef\xbb\xbfb.a 1 100\n' >"$BATS_TEST_TMPDIR/one"
	printf '\xef\xbb\xbfb.b 2 100\n' >"$BATS_TEST_TMPDIR/two"
	ingest "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/two"
	run query_all 'b.*'
	assert_output - <<-'EOF'
	{"name":"b.a","time":100,"value":1}
	{"name":"b.b","time":100,"value":2}
	EOF
}

@test "ignores blank lines and lines of blanks, and still counts them" {
	run --separate-stderr dmd-ingest < <(printf '\n  \n\t\n\r\nb.a 1 100\n\nbad/x 1 100\n')
	assert_failure 1
	assert_stderr "dmd-ingest: stdin:7: name has bad character '/'"
	run query_all b.a
	assert_output '{"name":"b.a","time":100,"value":1}'
}

@test "stores a last line that has no newline" {
	printf 'b.a 1 100\nb.a 2 101' | ingest
	run query_all b.a
	assert_output - <<-'EOF'
	{"name":"b.a","time":100,"value":1}
	{"name":"b.a","time":101,"value":2}
	EOF
}

@test "ignores unknown fields, also ones holding names, objects and arrays" {
	ingest <<-'EOF'
	{"host":"web01","name":"u.a","unit":"%","time":100,"tags":{"name":"u.evil","time":1,"value":9},"value":1,"list":[{"value":8},null]}
	{"name":"u.b","time":100,"value":2,"extra":true,"more":null}
	EOF
	run query_all 'u.*'
	assert_output - <<-'EOF'
	{"name":"u.a","time":100,"value":1}
	{"name":"u.b","time":100,"value":2}
	EOF
}

@test "takes the last of a key given twice in a JSON object" {
	ingest <<-'EOF'
	{"name":"k.a","time":100,"value":1,"value":2}
	{"name":"k.wrong","name":"k.b","time":1,"time":100,"value":3}
	EOF
	run query_all 'k.*'
	assert_output - <<-'EOF'
	{"name":"k.a","time":100,"value":2}
	{"name":"k.b","time":100,"value":3}
	EOF
}

@test "stores the escaped name \\u0061.b as a.b" {
	ingest <<-'EOF'
	{"name":"\u0061.b","time":100,"value":1}
	{"n\u0061me":"a.\u0062","time":101,"value":2}
	EOF
	run query_all a.b
	assert_output - <<-'EOF'
	{"name":"a.b","time":100,"value":1}
	{"name":"a.b","time":101,"value":2}
	EOF
}

@test "prints 25.58 as 25.58 and 0.1 as 0.1" {
	ingest <<-'EOF'
	{"name":"v.a","time":100,"value":25.58}
	v.b 0.1 100
	EOF
	run query_all 'v.*'
	assert_output - <<-'EOF'
	{"name":"v.a","time":100,"value":25.58}
	{"name":"v.b","time":100,"value":0.1}
	EOF
}

@test "keeps the sign of -0 in every input and output format" {
	printf '{"name":"z.json","time":100,"value":-0}\nz.graphite -0 100\nz.tsv\t-0.0\t100\n' |
		ingest
	run query_all 'z.*'
	assert_output - <<-'EOF'
	{"name":"z.graphite","time":100,"value":-0}
	{"name":"z.json","time":100,"value":-0}
	{"name":"z.tsv","time":100,"value":-0}
	EOF
	run query_all -o tsv z.json
	assert_output $'z.json\t-0\t100'
	run query_all -o csv z.json
	assert_output $'name,time,value\nz.json,100,-0'
}

@test "stores large and precise values exactly: 1e300, 2^53+2 and 0.1+0.2" {
	ingest <<-'EOF'
	{"name":"v.a","time":100,"value":1e300}
	{"name":"v.b","time":100,"value":9007199254740994}
	{"name":"v.c","time":100,"value":0.30000000000000004}
	{"name":"v.d","time":100,"value":-1.7976931348623157e308}
	EOF
	run query_all 'v.*'
	assert_output - <<-'EOF'
	{"name":"v.a","time":100,"value":1e+300}
	{"name":"v.b","time":100,"value":9007199254740994}
	{"name":"v.c","time":100,"value":0.30000000000000004}
	{"name":"v.d","time":100,"value":-1.7976931348623157e+308}
	EOF
}

@test "reads an integer beyond 64 bits as the nearest double" {
	ingest <<-'EOF'
	{"name":"v.a","time":100,"value":123456789012345678901234567890}
	v.b 123456789012345678901234567890 100
	EOF
	run query_all 'v.*'
	assert_output - <<-'EOF'
	{"name":"v.a","time":100,"value":1.2345678901234568e+29}
	{"name":"v.b","time":100,"value":1.2345678901234568e+29}
	EOF
}

@test "prints the smallest subnormal 5e-324 in its shortest form" {
	ingest <<<'{"name":"v.a","time":100,"value":5e-324}'
	run query_all v.a
	assert_output '{"name":"v.a","time":100,"value":5e-324}'
}

@test "prints a subnormal value in its shortest form" {
	ingest <<<'v.a 2.5e-320 100'
	run query_all v.a
	assert_output '{"name":"v.a","time":100,"value":2.5e-320}'
}

@test "accepts a JSON time written 1e2 or 100.0 as 100" {
	ingest <<-'EOF'
	{"name":"j.a","time":1e2,"value":1}
	{"name":"j.b","time":100.0,"value":2}
	{"name":"j.c","time":1.5e2,"value":3}
	EOF
	run query_all 'j.*'
	assert_output - <<-'EOF'
	{"name":"j.a","time":100,"value":1}
	{"name":"j.b","time":100,"value":2}
	{"name":"j.c","time":150,"value":3}
	EOF
}

@test "accepts the ends of the time range, 0 and 253402300799" {
	ingest <<-'EOF'
	{"name":"e.a","time":0,"value":1}
	{"name":"e.a","time":253402300799,"value":2}
	EOF
	run dmd-query -f 0 -u 253402300799 e.a
	assert_output - <<-'EOF'
	{"name":"e.a","time":0,"value":1}
	{"name":"e.a","time":253402300799,"value":2}
	EOF
}

@test "accepts a name of 255 bytes of every allowed character" {
	name=$(printf 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-%.0s' 1 2 3 4)
	name=${name:0:255}
	[ "${#name}" -eq 255 ]
	ingest <<<"$name 1 100"
	run query_all "$name"
	assert_output "{\"name\":\"$name\",\"time\":100,\"value\":1}"
}

@test "reads several FILE arguments and - for stdin, in order" {
	printf 'o.a 1 100\no.b 1 100\n' >"$BATS_TEST_TMPDIR/first"
	printf 'o.a 3 100\no.d 3 100\n' >"$BATS_TEST_TMPDIR/third"
	# the same (name, time) in all three: the last one read wins
	printf 'o.a 2 100\no.c 2 100\n' |
		ingest "$BATS_TEST_TMPDIR/first" - "$BATS_TEST_TMPDIR/third"
	run query_all 'o.*'
	assert_output - <<-'EOF'
	{"name":"o.a","time":100,"value":3}
	{"name":"o.b","time":100,"value":1}
	{"name":"o.c","time":100,"value":2}
	{"name":"o.d","time":100,"value":3}
	EOF
}

@test "names each FILE in its reject messages" {
	printf 'o.a 1 100\nbad/x 1 1\n' >"$BATS_TEST_TMPDIR/first"
	printf 'bad/y 1 1\n' >"$BATS_TEST_TMPDIR/second"
	cd "$BATS_TEST_TMPDIR"
	run --separate-stderr dmd-ingest first - second <<<'o.b 1 100'
	assert_failure 1
	assert_stderr - <<-'EOF'
	dmd-ingest: first:2: name has bad character '/'
	dmd-ingest: second:1: name has bad character '/'
	EOF
	run query_all 'o.*'
	assert_output - <<-'EOF'
	{"name":"o.a","time":100,"value":1}
	{"name":"o.b","time":100,"value":1}
	EOF
}

@test "reports a missing FILE, stores the others and exits 5" {
	printf 'o.a 1 100\n' >"$BATS_TEST_TMPDIR/first"
	printf 'o.b 2 100\n' >"$BATS_TEST_TMPDIR/last"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/first" \
		"$BATS_TEST_TMPDIR/missing" "$BATS_TEST_TMPDIR/last"
	assert_failure 5
	assert_output ''
	assert_stderr "dmd-ingest: $BATS_TEST_TMPDIR/missing: No such file or directory"
	run query_all 'o.*'
	assert_output - <<-'EOF'
	{"name":"o.a","time":100,"value":1}
	{"name":"o.b","time":100,"value":2}
	EOF
}

@test "exits 5, not 1, when a FILE is missing and a line is rejected" {
	printf 'bad/x 1 100\n' >"$BATS_TEST_TMPDIR/first"
	run --separate-stderr dmd-ingest "$BATS_TEST_TMPDIR/first" "$BATS_TEST_TMPDIR/missing"
	assert_failure 5
}

@test "-o tsv prints name, value and time separated by tabs" {
	ingest <<-'EOF'
	o.a 1.5 100
	o.a 2 160
	o.b -3 100
	EOF
	run query_all -o tsv 'o.*'
	assert_success
	assert_output - <<-EOF
	o.a	1.5	100
	o.a	2	160
	o.b	-3	100
	EOF
}

@test "-o csv prints a name,time,value header, then one row per point" {
	ingest <<-'EOF'
	o.a 1.5 100
	o.a 2 160
	o.b -3 100
	EOF
	run query_all --output csv 'o.*'
	assert_success
	assert_output - <<-'EOF'
	name,time,value
	o.a,100,1.5
	o.a,160,2
	o.b,100,-3
	EOF
}

@test "-o csv prints the header even when no point matches" {
	run query_all -o csv 'no.such.series'
	assert_success
	assert_output 'name,time,value'
}

@test "-o ndjson is the default output format" {
	ingest <<<'o.a 1.5 100'
	run query_all o.a
	default=$output
	run query_all -o ndjson o.a
	assert_output "$default"
	assert_output '{"name":"o.a","time":100,"value":1.5}'
}

@test "tsv output piped into dmd-ingest of a second cache gives the same points" {
	printf '%s\n' '{"name":"r.a","time":100,"value":25.58}' \
		'{"name":"r.a","time":160,"value":-0}' \
		'{"name":"r.b","time":100,"value":1e300}' \
		'{"name":"r.c","time":100,"value":0.30000000000000004}' | ingest
	run query_all 'r.*'
	orig=$output
	[ "${#lines[@]}" -eq 4 ]
	query_all -o tsv 'r.*' >"$BATS_TEST_TMPDIR/tsv"
	ingest -c "unix://$REDIS_SOCK?db=1" "$BATS_TEST_TMPDIR/tsv"
	run query_all -c "unix://$REDIS_SOCK?db=1" 'r.*'
	assert_success
	assert_output "$orig"
}
