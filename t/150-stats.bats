#!/usr/bin/env bats
# --stats of every program: per backend tier and per operation used,
# PREFIX_requests, _errors, _seconds, _max_seconds, consistent with
# each other (the tier's counters are the sum of its operations'), and
# every line a point that dmd-ingest stores.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
	HOST=$(uname -n | cut -d. -f1 | sed 's/[^A-Za-z0-9_-]/_/g')
}

B=1732406400	# 2024-11-24: long older than dmd-archive's default age

# Points of two hosts over three days, in $T/in, stored in the cache.
ingest_days() {
	awk -v b="$B" 'BEGIN {
		for (d = 0; d < 3; d++)
			for (h = 1; h <= 2; h++)
				for (i = 0; i < 30; i++)
					printf "h%d.s%d %d %d\n", h, i % 3,
					    d * 1000 + i, b + d * 86400 + i * 60
	}' >"$T/in"
	run --separate-stderr dmd-ingest -S "$T/in"
	assert_success
	echo "$output" >"$T/ingest.stats"
}

flush_all() {
	run --separate-stderr dmd-flush -n 1 -a 100w -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/flush.stats"
}

# check_stats FILE PROG: every line of FILE is a counter point
# dmd.HOST.PROG.COUNTER; for each tier (cache, table, archive) the four
# totals are there, each operation listed has all four counters, was
# used (requests + errors >= 1), has integer counts and max_seconds <=
# seconds; a tier's requests and errors are the sums of its operations',
# its max_seconds their largest, its seconds their sum.  Prints what is
# wrong and fails.
check_stats() {
	awk -v prog="$2" -v host="$HOST" '
	BEGIN {
		n = split("put get names del list lock claim release due " \
		    "freeze take finish health", o, " ")
		for (i = 1; i <= n; i++)
			isop[o[i]] = 1
		split("requests errors seconds max_seconds", w, " ")
		for (i = 1; i <= 4; i++)
			iswhat[w[i]] = 1
	}
	function fail(msg) { print FILENAME ": " msg; bad = 1 }
	{
		if ($0 !~ /^\{"name":"dmd\.[A-Za-z0-9_-]+\.[a-z]+\.[a-z_]+","time":[0-9]+,"value":-?[0-9][0-9.e+-]*\}$/) {
			fail("not a counter point: " $0)
			next
		}
		name = $0
		sub(/^\{"name":"/, "", name)
		sub(/".*/, "", name)
		v = $0
		sub(/.*"value":/, "", v)
		sub(/\}$/, "", v)
		if (name !~ ("^dmd\\." host "\\." prog "\\."))
			fail("not dmd." host "." prog ".*: " name)
		c = name
		sub(/^dmd\.[^.]*\.[^.]*\./, "", c)
		if (c in seen)
			fail("counter twice: " c)
		seen[c] = 1
		if (c !~ /^(cache|table|archive)_/)
			next
		tier = c
		sub(/_.*/, "", tier)
		rest = substr(c, length(tier) + 2)
		if (rest in iswhat) {
			tot[tier, rest] = v
			tiers[tier] = 1
			next
		}
		op = rest
		sub(/_.*/, "", op)
		what = substr(rest, length(op) + 2)
		if (!(op in isop) || !(what in iswhat)) {
			fail("unknown counter " c)
			next
		}
		per[tier, op, what] = v
		ops[tier, op] = 1
	}
	END {
		for (t in tiers) {
			for (i = 1; i <= 4; i++)
				if (!((t, w[i]) in tot))
					fail(t "_" w[i] " missing")
			sr = se = ss = mx = 0
			for (k in ops) {
				split(k, p, SUBSEP)
				if (p[1] != t)
					continue
				op = p[2]
				for (i = 1; i <= 4; i++)
					if (!((t, op, w[i]) in per))
						fail(t "_" op "_" w[i] " missing")
				r = per[t, op, "requests"]
				e = per[t, op, "errors"]
				s = per[t, op, "seconds"]
				m = per[t, op, "max_seconds"]
				if (r !~ /^[0-9]+$/ || e !~ /^[0-9]+$/)
					fail(t "_" op ": counts " r ", " e \
					    " not integers")
				if (r + e < 1)
					fail(t "_" op " listed but not used")
				if (m + 0 > s + 0 || m + 0 < 0)
					fail(t "_" op ": max_seconds " m \
					    " not in [0, seconds " s "]")
				if (r == 1 && m != s)
					fail(t "_" op ": one request of " s \
					    " s, but max_seconds " m)
				sr += r; se += e; ss += s
				if (m + 0 > mx)
					mx = m + 0
			}
			if (tot[t, "requests"] != sr)
				fail(t "_requests " tot[t, "requests"] \
				    " != sum of operations " sr)
			if (tot[t, "errors"] != se)
				fail(t "_errors " tot[t, "errors"] \
				    " != sum of operations " se)
			if (tot[t, "max_seconds"] + 0 != mx)
				fail(t "_max_seconds " tot[t, "max_seconds"] \
				    " != largest of operations " mx)
			d = tot[t, "seconds"] - ss
			if (d < 0)
				d = -d
			if (d > 1e-9 * (ss + 1))
				fail(t "_seconds " tot[t, "seconds"] \
				    " != sum of operations " ss)
		}
		if (NR == 0)
			fail("no counters")
		exit bad
	}' "$1"
}

# used FILE PROG TIER OP...: each OP of TIER made requests (an integer
# >= 1) and no errors.
used() {
	local f=$1 prog=$2 tier=$3 op r e
	shift 3
	for op; do
		r=$(dmd_stat "$f" "$prog.${tier}_${op}_requests")
		e=$(dmd_stat "$f" "$prog.${tier}_${op}_errors")
		if ! [[ $r =~ ^[1-9][0-9]*$ && $e == 0 ]]; then
			echo "$prog ${tier}_$op: requests '$r', errors '$e'"
			return 1
		fi
	done
}

# unused FILE PROG TIER OP...: no counters of these operations.
unused() {
	local f=$1 prog=$2 tier=$3 op
	shift 3
	for op; do
		if grep -q "\.$prog\.${tier}_${op}_" "$f"; then
			echo "$prog ${tier}_$op unexpectedly counted:"
			grep "\.$prog\.${tier}_${op}_" "$f"
			return 1
		fi
	done
}

# stores FILE PROG: dmd-ingest stores every line of FILE, and dmd-query
# reads back exactly that many counters of PROG.
stores() {
	run --separate-stderr dmd-ingest "$1"
	assert_success
	[ -z "$stderr" ]
	run dmd-query -f 0 -u 253402300799 "dmd.$HOST.$2.*"
	assert_success
	assert_equal "${#lines[@]}" "$(wc -l <"$1")"
}

@test "dmd-ingest --stats counts one cache put per batch, and nothing else" {
	awk -v b="$B" 'BEGIN { for (i = 0; i < 100; i++)
		printf "p.a %d %d\n", i, b + 60 * i }' >"$T/in"
	run --separate-stderr dmd-ingest -S --batch 30 --max-delay 3600000 "$T/in"
	assert_success
	echo "$output" >"$T/stats"
	check_stats "$T/stats" ingest
	used "$T/stats" ingest cache put
	assert_equal "$(dmd_stat "$T/stats" ingest.cache_put_requests)" 4
	assert_equal "$(dmd_stat "$T/stats" ingest.cache_requests)" 4
	assert_equal "$(dmd_stat "$T/stats" ingest.batches)" 4
	unused "$T/stats" ingest cache get names del list lock claim release \
	    due freeze take finish health
	# a writer uses no other tier
	run grep -c -E '\.ingest\.(table|archive)_' "$T/stats"
	assert_output 0
	stores "$T/stats" ingest
}

@test "dmd-flush --stats counts claim, due, freeze, take, finish and release on the cache and put on the table" {
	ingest_days
	flush_all
	check_stats "$T/flush.stats" flush
	used "$T/flush.stats" flush cache claim due freeze take finish release
	used "$T/flush.stats" flush table put
	unused "$T/flush.stats" flush table get del
	# one table write per sub-batch, as the table's own counter says
	assert_equal "$(dmd_stat "$T/flush.stats" flush.table_put_requests)" \
	    "$(dmd_stat "$T/flush.stats" flush.table_requests)"
	# every claim is released
	assert_equal "$(dmd_stat "$T/flush.stats" flush.cache_claim_requests)" \
	    "$(dmd_stat "$T/flush.stats" flush.cache_release_requests)"
	stores "$T/flush.stats" flush
}

@test "dmd-archive --stats counts its table reads and deletions and its archive lists, reads and writes" {
	ingest_days
	flush_all
	run --separate-stderr dmd-archive -S
	assert_success
	[ -z "$stderr" ]
	echo "$output" >"$T/archive.stats"
	check_stats "$T/archive.stats" archive
	used "$T/archive.stats" archive table names get del
	used "$T/archive.stats" archive archive list put
	unused "$T/archive.stats" archive table put
	# a put for each object written, and one for the horizon
	assert_equal "$(dmd_stat "$T/archive.stats" archive.archive_put_requests)" \
	    $(($(dmd_stat "$T/archive.stats" archive.objects) + 1))
	stores "$T/archive.stats" archive
}

@test "dmd-query --stats counts its reads of every tier and no writes; a missing archive object is not an error" {
	ingest_days
	flush_all
	# the cache has a point more, so that the query reads it too
	printf 'h1.s0 7 %d\n' $((B + 3 * 86400)) | dmd-ingest

	# before any archive run: the archive has no objects
	run --separate-stderr dmd-query -f 0 -u 2000000000 -S 'h*.*'
	assert_success
	[ -z "$stderr" ]
	printf '%s\n' "${lines[@]}" | grep '^{"name":"dmd\.' >"$T/query.stats"
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -vc '^{"name":"dmd\.')" 181
	check_stats "$T/query.stats" query
	used "$T/query.stats" query cache names get
	used "$T/query.stats" query table names get
	used "$T/query.stats" query archive get
	assert_equal "$(dmd_stat "$T/query.stats" query.archive_errors)" 0
	for tier in cache table archive; do
		unused "$T/query.stats" query "$tier" put del claim freeze finish
	done
	stores "$T/query.stats" query

	# after it, the points come from the archive
	run --separate-stderr dmd-archive
	assert_success
	run --separate-stderr dmd-query -f 0 -u 2000000000 -S 'h*.*'
	assert_success
	printf '%s\n' "${lines[@]}" | grep '^{"name":"dmd\.' >"$T/query2.stats"
	assert_equal "$(printf '%s\n' "${lines[@]}" | grep -vc '^{"name":"dmd\.')" 181
	check_stats "$T/query2.stats" query
	used "$T/query2.stats" query archive list get
	assert_equal "$(dmd_stat "$T/query2.stats" query.points)" 181
}

@test "--stats counts the failed requests of an unreachable cache as errors of their operation" {
	printf 'e.a 1 %d\n' "$B" >"$T/in"
	run --separate-stderr dmd-ingest -S -r 1s -s "$T/spill" \
	    -c "unix://$T/nothing.sock" "$T/in"
	assert_equal "$status" 3
	echo "$output" >"$T/ingest.stats"
	check_stats "$T/ingest.stats" ingest
	e=$(dmd_stat "$T/ingest.stats" ingest.cache_put_errors)
	(( e >= 1 ))
	assert_equal "$(dmd_stat "$T/ingest.stats" ingest.cache_errors)" "$e"
	assert_equal "$(dmd_stat "$T/ingest.stats" ingest.cache_put_requests)" 0

	run --separate-stderr dmd-query -f 0 -u 2000000000 -S \
	    -c "unix://$T/nothing.sock" 'e.*'
	assert_equal "$status" 4
	echo "$output" >"$T/query.stats"
	check_stats "$T/query.stats" query
	(( $(dmd_stat "$T/query.stats" query.cache_errors) >= 1 ))
	# and still points that dmd-ingest stores
	stores "$T/ingest.stats" ingest
}

@test "a second program stores the counters of each one: dmd-x --stats | dmd-ingest" {
	ingest_days
	run -0 sh -c 'dmd-flush -n 1 -a 100w --stats | dmd-ingest'
	run -0 sh -c 'dmd-archive --stats | dmd-ingest'
	run -0 sh -c "dmd-query -f 0 -u 2000000000 --stats 'h*.*' |
	    grep '^{\"name\":\"dmd\\.' | dmd-ingest"
	run -0 sh -c "printf 'x.a 1 $B\n' | dmd-ingest --stats | dmd-ingest"
	for prog in flush archive query ingest; do
		run dmd-query -f 0 -u 253402300799 -o tsv "dmd.$HOST.$prog.*"
		assert_success
		assert_line --regexp "^dmd\.$HOST\.$prog\.[a-z]+_requests	[1-9][0-9]*	[0-9]+$"
		assert_line --regexp "^dmd\.$HOST\.$prog\.seconds	"
	done
}
