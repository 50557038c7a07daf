#!/usr/bin/env bats
# The command-line surface of every program: --help, --version, usage
# errors, checked option values, DMD_CACHE, man pages, exit statuses.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() { rcli flushall >/dev/null; }

# The SYNOPSIS of a man page as one line, words separated by one blank.
man_synopsis() {
	"${MANDOC:-mandoc}" -Tascii -O width=1000 "$1" | col -b |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p;}' | tr -s ' \n' '  ' |
		sed 's/^ //; s/ $//'
}

@test "dmd-ingest --help prints the synopsis on stdout and exits 0" {
	run --separate-stderr dmd-ingest --help
	assert_success
	assert_line --index 0 --regexp '^usage: dmd-ingest \['
	assert_output --partial '[file ...]'
	assert_stderr ''
}

@test "dmd-query --help prints the synopsis on stdout and exits 0" {
	run --separate-stderr dmd-query --help
	assert_success
	assert_line --index 0 --regexp '^usage: dmd-query \['
	assert_stderr ''
}

@test "dmd-ingest -h is the same as --help" {
	run --separate-stderr dmd-ingest --help
	local long=$output
	run --separate-stderr dmd-ingest -h
	assert_success
	assert_output "$long"
}

@test "dmd-ingest --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-ingest --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-ingest.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-query --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-query --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-query.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-flush --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-flush --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-flush.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-archive --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-archive --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-archive.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-e2e --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-e2e --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-e2e.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-stream --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-stream --help
	assert_success
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' | sed 's/^usage: //; s/ $//')
	man=$(man_synopsis "$DMD_SRCDIR/man/dmd-stream.1")
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		printf 'help: %s\nman:  %s\n' "$help" "$man"
		false
	}
}

@test "dmd-ingest --version prints its name and version" {
	run --separate-stderr dmd-ingest --version
	assert_success
	assert_output 'dmd-ingest 0.1.0'
	assert_stderr ''
}

@test "dmd-query --version prints its name and version" {
	run --separate-stderr dmd-query --version
	assert_success
	assert_output 'dmd-query 0.1.0'
	assert_stderr ''
}

@test "dmd-ingest -V is the same as --version" {
	run dmd-ingest -V
	assert_success
	assert_output 'dmd-ingest 0.1.0'
}

@test "dmd-ingest rejects an unknown option with the usage on stderr and exit 2" {
	run --separate-stderr dmd-ingest --no-such-option </dev/null
	assert_failure 2
	assert_output ''
	assert_stderr --partial 'no-such-option'
	assert_stderr --regexp $'\nusage: dmd-ingest \\['
}

@test "dmd-ingest rejects an unknown short option with the usage on stderr and exit 2" {
	run --separate-stderr dmd-ingest -x </dev/null
	assert_failure 2
	assert_output ''
	assert_stderr --regexp $'\nusage: dmd-ingest \\['
}

@test "dmd-query rejects an unknown option with the usage on stderr and exit 2" {
	run --separate-stderr dmd-query --no-such-option a.b
	assert_failure 2
	assert_output ''
	assert_stderr --partial 'no-such-option'
	assert_stderr --regexp $'\nusage: dmd-query \\['
}

@test "dmd-ingest stores nothing after a usage error" {
	run --separate-stderr dmd-ingest --batch 0 <<<'a.b 1 100'
	assert_failure 2
	run dmd-query -f 0 -u 1000 a.b
	assert_success
	assert_output ''
}

@test "dmd-ingest --batch 0 says the batch size is too small" {
	run --separate-stderr dmd-ingest --batch 0 </dev/null
	assert_failure 2
	assert_output ''
	assert_stderr 'dmd-ingest: batch size is 0: too small'
}

@test "dmd-ingest --batch abc is a usage error naming the value" {
	usage_error 'batch size is abc' dmd-ingest --batch abc
}

@test "dmd-ingest --batch above 10000000 says the batch size is too large" {
	usage_error 'batch size is 10000001: too large' dmd-ingest -b 10000001
}

@test "dmd-ingest accepts --batch 1 and --batch 10000000, the ends of its range" {
	run dmd-ingest --batch 1 <<<'a.b 1 100'
	assert_success
	run dmd-ingest --batch 10000000 <<<'a.b 2 101'
	assert_success
	run dmd-query -f 0 -u 1000 a.b
	assert_output - <<-'EOF'
	{"name":"a.b","time":100,"value":1}
	{"name":"a.b","time":101,"value":2}
	EOF
}

@test "dmd-ingest --format xml is a usage error naming the format" {
	usage_error '"xml"' dmd-ingest --format xml
}

@test "dmd-ingest --max-delay -5 is a usage error naming the value" {
	usage_error 'max delay is -5' dmd-ingest --max-delay -5
}

@test "dmd-ingest --retry-for 1y is a usage error naming the value" {
	usage_error 'retry time is 1y' dmd-ingest --retry-for 1y
}

@test "dmd-ingest --cache with an unknown scheme is a usage error naming the scheme" {
	usage_error '"http"' dmd-ingest --cache http://x
}

@test "dmd-ingest --cache without a scheme is a usage error" {
	usage_error 'nourl' dmd-ingest --cache nourl
}

@test "dmd-query --cache with an unknown scheme is a usage error naming the scheme" {
	usage_error '"http"' dmd-query --cache http://x a.b
}

@test "dmd-query -o xml is a usage error naming the format" {
	usage_error '"xml"' dmd-query -o xml a.b
}

@test "dmd-query -f garbage is a usage error naming the time" {
	usage_error '"garbage"' dmd-query -f garbage a.b
}

@test "dmd-query -u garbage is a usage error naming the time" {
	usage_error '"garbage"' dmd-query -u garbage a.b
}

@test "dmd-query with -f after -u is a usage error" {
	usage_error 'after' dmd-query -f now -u -1h a.b
}

@test "dmd-query rejects a pattern with a character no name can hold" {
	usage_error "'/'" dmd-query -f 0 -u 1000 a/b
}

@test "dmd-query rejects a pattern with an unbalanced bracket" {
	usage_error '[a' dmd-query -f 0 -u 1000 '[a'
}

@test "dmd-ingest stores into the cache named by DMD_CACHE" {
	DMD_CACHE="unix://$REDIS_SOCK?db=1" run dmd-ingest <<<'a.b 1 100'
	assert_success
	run dmd-query -c "unix://$REDIS_SOCK?db=1" -f 0 -u 1000 a.b
	assert_output '{"name":"a.b","time":100,"value":1}'
	run dmd-query -c "unix://$REDIS_SOCK" -f 0 -u 1000 a.b
	assert_success
	assert_output ''
}

@test "dmd-ingest --cache beats DMD_CACHE" {
	DMD_CACHE=unix:///nonexistent/redis.sock run dmd-ingest -r 1s \
		-s "$BATS_TEST_TMPDIR/spill" -c "unix://$REDIS_SOCK?db=2" <<<'a.b 1 100'
	assert_success
	assert_file_not_exist "$BATS_TEST_TMPDIR/spill"
	run dmd-query -c "unix://$REDIS_SOCK?db=2" -f 0 -u 1000 a.b
	assert_output '{"name":"a.b","time":100,"value":1}'
}

@test "dmd-ingest --cache beats a DMD_CACHE with an unknown scheme" {
	DMD_CACHE=http://x run dmd-ingest -c "unix://$REDIS_SOCK" <<<'a.b 1 100'
	assert_success
}

@test "dmd-query reads the cache named by DMD_CACHE" {
	dmd-ingest -c "unix://$REDIS_SOCK?db=3" <<<'a.b 1 100'
	DMD_CACHE="unix://$REDIS_SOCK?db=3" run dmd-query -f 0 -u 1000 a.b
	assert_success
	assert_output '{"name":"a.b","time":100,"value":1}'
}

@test "dmd-query --cache beats DMD_CACHE" {
	dmd-ingest -c "unix://$REDIS_SOCK?db=3" <<<'a.b 1 100'
	DMD_CACHE=unix:///nonexistent/redis.sock run --separate-stderr \
		dmd-query -c "unix://$REDIS_SOCK?db=3" -f 0 -u 1000 a.b
	assert_success
	assert_output '{"name":"a.b","time":100,"value":1}'
	assert_stderr ''
}

@test "dmd-query exits 4 with a message when the cache is unreachable" {
	run --separate-stderr dmd-query -c unix:///nonexistent/sock -f 0 -u 1000 a.b
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-query: .*redis'
}

@test "dmd-query exits 4 when the cache is unreachable for a glob" {
	run --separate-stderr dmd-query -c unix:///nonexistent/sock -f 0 -u 1000 'a.*'
	assert_failure 4
	assert_output ''
	assert_stderr --regexp '^dmd-query: '
}

@test "the man pages are clean under mandoc -Tlint" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run "${MANDOC:-mandoc}" -Tlint -W warning \
		"$DMD_SRCDIR"/man/*.1 "$DMD_SRCDIR"/man/*.7
	assert_success
	assert_output ''
}

@test "there is a man page for every program and the overview" {
	assert_file_exist "$DMD_SRCDIR/man/dmd-ingest.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd-query.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd-flush.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd-archive.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd-e2e.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd-stream.1"
	assert_file_exist "$DMD_SRCDIR/man/dmd.7"
}
