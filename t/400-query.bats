#!/usr/bin/env bats
# dmd-query: Graphite patterns, patterns on stdin, time arguments and
# the default range, copying between caches, a reader that leaves.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() { rcli flushall >/dev/null; }

# Six hosts with three metrics each, plus one name of five components;
# every series has points at 100 and 200, written newest first.
servers() {
	local h m
	for h in app1 bak1 db1 web1 web2 web10; do
		for m in cpu.user cpu.system mem.free; do
			echo "servers.$h.$m 2 200"
			echo "servers.$h.$m 1 100"
		done
	done
	echo "servers.web1.eth0.cpu.user 2 200"
	echo "servers.web1.eth0.cpu.user 1 100"
}

setup_servers() {
	servers | dmd-ingest
}

# The names (one per series) a query prints, in the order printed.
names() {
	dmd-query -f 0 -u 1000 -o tsv "$@" | awk -F'\t' '$3 == 100 { print $1 }'
}

@test "matches * within one component only" {
	setup_servers
	run names 'servers.web*.cpu.user'
	assert_success
	assert_output - <<-'EOF'
	servers.web1.cpu.user
	servers.web10.cpu.user
	servers.web2.cpu.user
	EOF
}

@test "does not let * match across a dot" {
	setup_servers
	run dmd-query -f 0 -u 1000 'servers.*' 'servers.web1.*' '*.web1.cpu'
	assert_success
	assert_output ''
}

@test "matches * in the middle of a component" {
	setup_servers
	run names 'servers.*e*1.cpu.user' 'servers.w*0.mem.free'
	assert_output - <<-'EOF'
	servers.web1.cpu.user
	servers.web10.mem.free
	EOF
}

@test "matches ? as exactly one character" {
	setup_servers
	run names 'servers.web?.cpu.user'
	assert_output - <<-'EOF'
	servers.web1.cpu.user
	servers.web2.cpu.user
	EOF
}

@test "matches a character class [a-c]" {
	setup_servers
	run names 'servers.[a-c]*.cpu.user'
	assert_output - <<-'EOF'
	servers.app1.cpu.user
	servers.bak1.cpu.user
	EOF
}

@test "matches a negated character class [!a]" {
	setup_servers
	run names 'servers.[!a]*.cpu.user'
	assert_output - <<-'EOF'
	servers.bak1.cpu.user
	servers.db1.cpu.user
	servers.web1.cpu.user
	servers.web10.cpu.user
	servers.web2.cpu.user
	EOF
}

@test "matches classes of digits one character each" {
	setup_servers
	run names 'servers.web[0-9][0-9].*.*'
	assert_output - <<-'EOF'
	servers.web10.cpu.system
	servers.web10.cpu.user
	servers.web10.mem.free
	EOF
}

@test "picks alternatives {cpu,mem}" {
	setup_servers
	run names 'servers.web1.{cpu,mem}.*'
	assert_output - <<-'EOF'
	servers.web1.cpu.system
	servers.web1.cpu.user
	servers.web1.mem.free
	EOF
}

@test "picks alternatives holding wildcards" {
	setup_servers
	run names 'servers.{web*,db1}.cpu.user'
	assert_output - <<-'EOF'
	servers.db1.cpu.user
	servers.web1.cpu.user
	servers.web10.cpu.user
	servers.web2.cpu.user
	EOF
}

@test "picks alternatives that are whole names" {
	setup_servers
	run names 'servers.web1.{cpu.user,mem.free}'
	assert_output - <<-'EOF'
	servers.web1.cpu.user
	servers.web1.mem.free
	EOF
}

@test "matches a pattern across several components, servers.*.cpu.*" {
	setup_servers
	run names 'servers.*.cpu.*'
	assert_output - <<-'EOF'
	servers.app1.cpu.system
	servers.app1.cpu.user
	servers.bak1.cpu.system
	servers.bak1.cpu.user
	servers.db1.cpu.system
	servers.db1.cpu.user
	servers.web1.cpu.system
	servers.web1.cpu.user
	servers.web10.cpu.system
	servers.web10.cpu.user
	servers.web2.cpu.system
	servers.web2.cpu.user
	EOF
}

@test "matches only names with as many components as the pattern" {
	setup_servers
	run names '*.*.*.*.*'
	assert_output 'servers.web1.eth0.cpu.user'
	run names 'servers.web1.*.cpu.user'
	assert_output 'servers.web1.eth0.cpu.user'
}

@test "prints nothing and exits 0 for a name that does not exist" {
	setup_servers
	run --separate-stderr dmd-query -f 0 -u 1000 servers.web3.cpu.user
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "prints nothing and exits 0 for a pattern that matches nothing" {
	setup_servers
	run --separate-stderr dmd-query -f 0 -u 1000 'nothing.*' 'servers.x?.cpu.user'
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "prints nothing and exits 0 for a pattern on an empty cache" {
	run --separate-stderr dmd-query -f 0 -u 1000 '*.*'
	assert_success
	assert_output ''
	[ -z "$stderr" ]
}

@test "prints each series once for several overlapping patterns" {
	setup_servers
	run names servers.web1.cpu.user 'servers.web*.cpu.user' \
		'servers.*.cpu.{user,system}' servers.web1.cpu.user
	assert_output - <<-'EOF'
	servers.app1.cpu.system
	servers.app1.cpu.user
	servers.bak1.cpu.system
	servers.bak1.cpu.user
	servers.db1.cpu.system
	servers.db1.cpu.user
	servers.web1.cpu.system
	servers.web1.cpu.user
	servers.web10.cpu.system
	servers.web10.cpu.user
	servers.web2.cpu.system
	servers.web2.cpu.user
	EOF
}

@test "prints points sorted by name then time, whatever the order of writing and of patterns" {
	setup_servers
	run dmd-query -f 0 -u 1000 servers.web2.mem.free 'servers.web1.cpu.*' servers.app1.mem.free
	assert_output - <<-'EOF'
	{"name":"servers.app1.mem.free","time":100,"value":1}
	{"name":"servers.app1.mem.free","time":200,"value":2}
	{"name":"servers.web1.cpu.system","time":100,"value":1}
	{"name":"servers.web1.cpu.system","time":200,"value":2}
	{"name":"servers.web1.cpu.user","time":100,"value":1}
	{"name":"servers.web1.cpu.user","time":200,"value":2}
	{"name":"servers.web2.mem.free","time":100,"value":1}
	{"name":"servers.web2.mem.free","time":200,"value":2}
	EOF
}

@test "answers each stdin line as a query of its own, in order, when no pattern is given" {
	setup_servers
	run names < <(printf 'servers.web2.mem.free\n\nservers.db1.cpu.*\r\nservers.web1.cpu.user\n')
	assert_success
	assert_output - <<-'EOF'
	servers.web2.mem.free
	servers.db1.cpu.system
	servers.db1.cpu.user
	servers.web1.cpu.user
	EOF
}

@test "reads PATTERN FROM UNTIL query lines with -" {
	setup_servers
	run dmd-query -f 0 -u 1000 -o tsv - <<-'EOF'
	servers.web1.cpu.user 100 100
	servers.db1.cpu.user
	servers.web2.mem.free 0
	EOF
	assert_success
	assert_output - <<-'EOF'
	servers.web1.cpu.user	1	100
	servers.db1.cpu.user	1	100
	servers.db1.cpu.user	2	200
	servers.web2.mem.free	1	100
	servers.web2.mem.free	2	200
	EOF
}

@test "prints nothing and exits 0 when stdin holds no pattern" {
	setup_servers
	run dmd-query -f 0 -u 1000 </dev/null
	assert_success
	assert_output ''
}

@test "rejects a bad query line with its line number, answers the others, exits 1" {
	setup_servers
	run --separate-stderr dmd-query -f 0 -u 1000 -o tsv - <<-'EOF'
	a/b
	servers.web1.cpu.user 100 100
	servers.web1.cpu.user 200 100
	servers.web1.cpu.user x
	servers.web1.cpu.user 1 2 3
	EOF
	assert_failure 1
	assert_output "$(printf 'servers.web1.cpu.user\t1\t100')"
	[[ $stderr == *'stdin:1: '*'/'* ]]
	[[ $stderr == *'stdin:3: from is after until'* ]]
	[[ $stderr == *'stdin:4: '* ]]
	[[ $stderr == *'stdin:5: want PATTERN [FROM [UNTIL]]'* ]]
}

@test "rejects - given with other patterns" {
	run dmd-query -f 0 -u 1000 - servers.web1.cpu.user
	assert_failure 2
}

@test "takes -f and -u as Unix seconds" {
	dmd-ingest <<-'EOF'
	t.a 1 1699999999
	t.a 2 1700000000
	t.a 3 1700003600
	t.a 4 1700003601
	EOF
	run dmd-query -f 1700000000 -u 1700003600 t.a
	assert_output - <<-'EOF'
	{"name":"t.a","time":1700000000,"value":2}
	{"name":"t.a","time":1700003600,"value":3}
	EOF
}

@test "takes -f and -u as ISO 8601 times in UTC" {
	dmd-ingest <<-'EOF'
	t.a 1 1699999999
	t.a 2 1700000000
	t.a 3 1700003600
	t.a 4 1700003601
	EOF
	run dmd-query -f 2023-11-14T22:13:20Z -u 2023-11-14T23:13:20Z t.a
	assert_output - <<-'EOF'
	{"name":"t.a","time":1700000000,"value":2}
	{"name":"t.a","time":1700003600,"value":3}
	EOF
	# 22:13 is 20 s before the second point; 2023-11-15 is midnight
	run dmd-query -f 2023-11-14T22:13Z -u 2023-11-15 -o tsv t.a
	assert_output - <<-EOF
	t.a	1	1699999999
	t.a	2	1700000000
	t.a	3	1700003600
	t.a	4	1700003601
	EOF
	run dmd-query -f 2023-11-14 -u 2023-11-14T22:13:19Z -o tsv t.a
	assert_output $'t.a\t1\t1699999999'
}

@test "takes now as -u and leaves out points in the future" {
	now=$(date +%s)
	printf 't.a 1 %d\nt.a 2 %d\n' $((now - 600)) $((now + 600)) | dmd-ingest
	run dmd-query -f 0 -u now t.a
	assert_output "{\"name\":\"t.a\",\"time\":$((now - 600)),\"value\":1}"
	run dmd-query -f now -u $((now + 3600)) t.a
	assert_output "{\"name\":\"t.a\",\"time\":$((now + 600)),\"value\":2}"
}

@test "takes -f as a time relative to now: -30m, -2h, -7200s, -1d, -1w" {
	now=$(date +%s)
	printf 't.a %d %d\n' \
		8 $((now - 8 * 86400)) \
		2 $((now - 2 * 86400)) \
		15 $((now - 5400)) \
		20 $((now - 1200)) | dmd-ingest
	run dmd-query -f -30m -o tsv t.a
	assert_output $'t.a\t20\t'$((now - 1200))
	run dmd-query -f -2h t.a
	[ "${#lines[@]}" -eq 2 ]
	two_hours=$output
	run dmd-query -f -7200s t.a
	assert_output "$two_hours"
	run dmd-query -f -1d t.a
	assert_output "$two_hours"
	run dmd-query -f -1w t.a
	[ "${#lines[@]}" -eq 3 ]
	assert_line --index 0 "{\"name\":\"t.a\",\"time\":$((now - 2 * 86400)),\"value\":2}"
}

@test "takes -1h as one hour before now" {
	now=$(date +%s)
	printf 't.a 1 %d\nt.a 2 %d\n' $((now - 3700)) $((now - 3500)) | dmd-ingest
	run dmd-query -f -1h -u now t.a
	assert_output "{\"name\":\"t.a\",\"time\":$((now - 3500)),\"value\":2}"
}

@test "reads the last hour by default" {
	now=$(date +%s)
	printf 't.a 1 %d\nt.a 2 %d\nt.a 3 %d\n' \
		$((now - 7200)) $((now - 600)) $((now + 600)) | dmd-ingest
	run dmd-query t.a
	assert_success
	assert_output "{\"name\":\"t.a\",\"time\":$((now - 600)),\"value\":2}"
}

@test "copies data to another cache through a pipe into dmd-ingest" {
	setup_servers
	dmd-query -f 0 -u 1000 'servers.*.cpu.*' | dmd-ingest --cache "unix://$REDIS_SOCK?db=1"
	run dmd-query -f 0 -u 1000 'servers.*.cpu.*'
	[ "${#lines[@]}" -eq 24 ]
	orig=$output
	run dmd-query -c "unix://$REDIS_SOCK?db=1" -f 0 -u 1000 '*.*.*.*' '*.*.*.*.*'
	assert_success
	assert_output "$orig"
}

@test "prints no error message when the reader leaves early, as with | head -1" {
	dmd-gen -H 50 -d 3600 -s 1700000000 | dmd-ingest
	first=$(dmd-query -f 0 -u 2000000000 -o tsv 'host*.*.*' | sed -n 1p)
	[ -n "$first" ]
	dmd-query -f 0 -u 2000000000 -o tsv 'host*.*.*' 2>"$BATS_TEST_TMPDIR/err" |
		head -1 >"$BATS_TEST_TMPDIR/out"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output "$first"
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output ''
}

@test "-o chart draws one line per series within \$COLUMNS, then the time axis" {
	setup_servers
	COLUMNS=100 run dmd-query -f 0 -u 399 -o chart 'servers.web1.*.*'
	assert_success
	assert_equal "${#lines[@]}" 4
	assert_line --index 0 --regexp '^servers\.web1\.cpu\.system +[ ▁▂▃▄▅▆▇█]+  min 1  max 2  last 2$'
	assert_line --index 2 --regexp '^servers\.web1\.mem\.free '
	assert_line --index 3 --regexp '^ +1970-01-01T00:00Z +1970-01-01T00:06Z$'
	# every line fits the terminal, counted in characters
	local l
	for l in "${lines[@]}"; do
		[ "$(printf '%s' "$l" | LC_ALL=C.UTF-8 wc -m)" -le 100 ]
	done
	# the points at 100 and 200 of a 400 s range: columns 1/4 and 1/2
	# of the way, the higher value the full block
	[[ ${lines[0]} == *'▁'*'█'* ]]
}

@test "-o chart prints nothing but the axis for a query with no points" {
	COLUMNS=80 run dmd-query -f 0 -u 59 -o chart nothing.here
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^ +1970-01-01T00:00Z +1970-01-01T00:00Z$'
}

@test "-H prints the cache's health as points: memory, clients, the flush backlog" {
	run --separate-stderr dmd-query -H
	assert_success
	assert_line --regexp '^\{"name":"dmd\.[^.]+\.cache\.used_memory_bytes","time":[0-9]+,"value":[0-9]+\}$'
	assert_line --regexp '^\{"name":"dmd\.[^.]+\.cache\.clients","time":[0-9]+,"value":[1-9][0-9]*\}$'
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":0\}$'
	refute_line --partial 'oldest_point_age_seconds'

	# three series cached, the oldest point a day old
	now=$(date +%s)
	printf 'h.a 1 %d\nh.b 1 %d\nh.c 1 %d\n' $((now - 86400)) $((now - 60)) \
		$((now - 60)) | dmd-ingest
	run --separate-stderr dmd-query -H
	assert_success
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":3\}$'
	age=$(printf '%s\n' "$output" |
		sed -n 's/.*oldest_point_age_seconds","time":[0-9]*,"value":\([0-9]*\)}$/\1/p')
	[ "$age" -ge 86400 ] && [ "$age" -le 86460 ]

	# flushed: no backlog left; the points go into dmd-ingest as any
	dmd-flush -n 1 -a 100w
	run --separate-stderr dmd-query -H
	assert_line --regexp 'cache\.due_series","time":[0-9]+,"value":0\}$'
	run sh -c 'dmd-query -H | dmd-ingest'
	assert_success
}

@test "-H exits 4 with a message when the cache cannot be read" {
	run --separate-stderr dmd-query -H -c unix:///nonexistent/redis.sock
	assert_failure 4
	assert_output ''
	[[ $stderr == *'cache: cannot connect'* ]]
}
