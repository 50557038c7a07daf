#!/usr/bin/env bats
# Injected I/O faults (issue 9): every program meets a failing write,
# fsync, rename, open, read, connect or malloc, made by
# t/helpers/faultinject.so (LD_PRELOAD; see the top of faultinject.c),
# at every call number N of a small run (counted with DMD_FAULTS=count),
# or at sampled N for malloc.
#
# After each fault: the exit status is one the man page documents, never
# a signal (but SIGABRT after "PROG: out of memory", the designed end of
# an allocation failure, see xmalloc.h), never a sanitizer report; a
# failure is said as "PROG: ...: strerror"; no temp file is left in the
# table or archive; points stay readable at every moment (DESIGN.md
# section 5, invariant 1).  Then the same run again without the fault,
# and dmd-query must print exactly the expected answer.  EINTR and short
# counts of read(2) and write(2) are not failures: the run must succeed
# as if they had not happened.  A SIGKILL at call N ("kill") is a crash
# at that very moment: points stay readable, and the run again (which
# must also clear what the killed one left in the temp directories)
# gives exactly the expected answer.
#
# The fault log (DMD_FAULT_LOG) proves each fault fired: a sweep where
# none did fails.  DMD_FAULT_TALLY=FILE appends "PROG FAULT STATUS" for
# each fault injected, for the figures of bench/RESULTS.md.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }

setup() {
	local asan

	FI_SO=$DMD_BUILDDIR/t/helpers/faultinject.so
	[ -f "$FI_SO" ] ||
		skip "t/helpers/faultinject.so is not built (make check builds it)"
	# Under ASan its runtime must come first; its allocator then wins
	# over ours, so malloc faults cannot be injected there.
	FI_PRELOAD=$FI_SO
	FI_ASAN=
	asan=$(ldd "$DMD_BUILDDIR/dmd-ingest" | awk '/libasan/ { print $3 }')
	if [ -n "$asan" ]; then
		FI_PRELOAD="$asan $FI_SO"
		FI_ASAN=1
	fi
	dmd_reset
	T=$BATS_TEST_TMPDIR
	TAB=$(dmd_table_dir)
	ARC=$(dmd_archive_dir)
	FAULTS=0	# faults that fired in this test
}

B=1732406400
ALL=(-f 0 -u 2000000000)

# points FIRST COUNT: "name value time" lines of three series on two
# hosts, points FIRST .. FIRST+COUNT-1 a minute apart.
points() {
	awk -v first="$1" -v cnt="$2" -v b="$B" 'BEGIN {
		for (i = first; i < first + cnt; i++)
			for (s = 0; s < 3; s++)
				printf "h%d.s%d %d %d\n", s % 2, s, s * 1000 + i,
				    b + 60 * i
	}'
}

# inject SPEC PREFIX CMD...: run CMD with the faults SPEC ("" for none) on
# paths under PREFIX ("" for all); stdout in $T/out, stderr in $T/err,
# the status in $st, the faults injected in $T/fault.log.
inject() {
	local spec=$1 prefix=$2
	shift 2
	rm -f "$T/fault.log"
	st=0
	# a subshell: CMD may be a function of the test
	(
		export LD_PRELOAD="$FI_PRELOAD" DMD_FAULTS="$spec" \
		    DMD_FAULT_PATH="$prefix" DMD_FAULT_LOG="$T/fault.log"
		"$@"
	) >"$T/out" 2>"$T/err" || st=$?
	return 0
}

# fi_count CALL PREFIX CMD...: how many calls of CALL CMD makes.
fi_count() {
	local call=$1
	shift
	inject count "$@"
	awk -v c="$call" '$2 == "count" && $3 == c { n = $4 } END { print n + 0 }' \
	    "$T/fault.log"
}

fired() {
	[ -s "$T/fault.log" ]
}

# The strerror(3) text of an errno name.
strerr() {
	case $1 in
	ENOSPC) echo 'No space left on device' ;;
	EIO) echo 'Input/output error' ;;
	EACCES) echo 'Permission denied' ;;
	ENOMEM) echo 'memory' ;;
	ECONNREFUSED) echo 'Connection refused' ;;
	EAGAIN) echo 'Resource temporarily unavailable' ;;
	ECONNRESET) echo 'Connection reset by peer' ;;
	*) echo "$1" ;;
	esac
}

# check_status PROG SPEC STATUS...: $st is one of STATUS, no crash, no
# sanitizer report; a failure names the program and the error.
check_status() {
	local prog=$1 spec=$2 s ok="" e
	shift 2
	e=${spec##*:}
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/err"; then
		echo "$prog under $spec: sanitizer report:"
		cat "$T/err"
		return 1
	fi
	# messages are text: no bytes of freed memory
	if LC_ALL=C grep -q '[^[:print:][:space:]]' "$T/err"; then
		echo "$prog under $spec: garbage in the messages:"
		cat -v "$T/err"
		return 1
	fi
	if [ "$st" -eq 134 ] && [[ $spec == malloc:* ]] &&
	    grep -q "^$prog: out of memory" "$T/err"; then
		return 0
	fi
	# killed at that call: what matters is the next run (sweep)
	if [ "$e" = kill ]; then
		[ "$st" -eq 137 ] && return 0
		echo "$prog under $spec: exit $st, want 137 (SIGKILL); stderr:"
		cat "$T/err"
		return 1
	fi
	for s in "$@"; do
		[ "$st" -eq "$s" ] && ok=1
	done
	if [ -z "$ok" ]; then
		echo "$prog under $spec: exit $st, want one of $*; stderr:"
		cat "$T/err"
		return 1
	fi
	# EINTR and short: the status of a run without them (sweep)
	[ "$st" -ne 0 ] && [ "$e" != EINTR ] && [ "$e" != short ] || return 0
	if [[ $spec == malloc:* ]]; then
		grep -q "^$prog: " "$T/err" && return 0
	elif grep -q "^$prog: .*$(strerr "$e")" "$T/err"; then
		return 0
	fi
	echo "$prog under $spec: exit $st without \"$prog: ...: $(strerr "$e")\";" \
	    "stderr:"
	cat "$T/err"
	return 1
}

# No temp file in the table's or the archive's tmp directory.
no_temp_files() {
	local left
	left=$(find "$TAB/tmp" "$ARC/tmp" -mindepth 1 2>/dev/null)
	if [ -n "$left" ]; then
		echo "temp files left ($1): $left"
		return 1
	fi
}

# markers_whole: the marker files of the table and the archive, where
# they exist, are whole (one is not rewritten once there).
markers_whole() {
	if [ -e "$TAB/dmd-table" ] &&
	    [ "$(cat "$TAB/dmd-table")" != 'diamond table, file layout 1' ]; then
		echo "torn table marker ($1): $(cat -v "$TAB/dmd-table")"
		return 1
	fi
	if [ -e "$ARC/dmd-archive" ] &&
	    [ "$(cat "$ARC/dmd-archive")" != 'diamond archive, file layout 1' ]; then
		echo "torn archive marker ($1): $(cat -v "$ARC/dmd-archive")"
		return 1
	fi
}

# answer_is WANT [WHEN]: dmd-query over every tier prints exactly WANT.
answer_is() {
	dmd-query "${ALL[@]}" 'h*.*' >"$T/got" 2>"$T/qerr" || {
		echo "dmd-query failed (${2:-}):"
		cat "$T/qerr"
		return 1
	}
	if ! cmp -s "$1" "$T/got"; then
		echo "answer differs (${2:-}): diff want got:"
		diff "$1" "$T/got" | head -20
		return 1
	fi
}

# Call numbers to try out of 1 .. TOTAL: each, or a sample (1, 2, 3, 4,
# 13, 40, ... growing threefold, and the last two).
call_numbers() {
	awk -v t="$1" -v all="$2" 'BEGIN {
		if (all) {
			for (n = 1; n <= t; n++)
				print n
			exit
		}
		for (n = 1; n <= 3 && n <= t; n++)
			print n
		for (n = 4; n <= t; n = n * 3 + 1)
			print n
		if (t > 1)
			print t - 1
		print t
	}' | sort -nu
}

# sweep PROG STATUSES PREFIX SPEC...: for each fault spec CALL:N:ERRNO,
# prep; run do_run under the fault; check the status; during (what
# must hold right after the faulted run); redo (the run again without
# faults); then the final answer.  prep, do_run, during and redo are
# the test's functions.  N is a number, N+, "all" (1 .. the count of
# CALL in a run without faults) or "some" (a sample of those); ERRNO
# may be A/B: A at odd N, B at even N.  Calls on files (PREFIX set) are
# counted the same in every run: each fault must fire; the count of
# reads and writes on a socket varies a little.
sweep() {
	local prog=$1 statuses=$2 prefix=$3 spec call n e errs total ns
	shift 3
	for spec in "$@"; do
		call=${spec%%:*}
		n=${spec#*:}
		n=${n%%:*}
		errs=${spec##*:}
		ns=$n
		if [ "$n" = all ] || [ "$n" = some ]; then
			if [ "$call" = malloc ] && [ -n "$FI_ASAN" ]; then
				echo "# $prog: no malloc faults under ASan," \
				    "whose allocator comes first" >&3
				continue
			fi
			prep
			total=$(fi_count "$call" "$prefix" do_run)
			if [ "$total" -eq 0 ]; then
				echo "$prog makes no $call call under '$prefix'"
				return 1
			fi
			ns=$(call_numbers "$total" "$([ "$n" = all ] && echo 1)")
		fi
		for n in $ns; do
			e=${errs%/*}
			if [[ $errs == */* ]] && [ $((${n%+} % 2)) -eq 0 ]; then
				e=${errs#*/}
			fi
			prep
			inject "$call:$n:$e" "$prefix" do_run
			if ! fired; then
				[ -z "$prefix" ] && [ "$n" != 1 ] && continue
				echo "$prog: $call:$n:$e did not fire"
				return 1
			fi
			FAULTS=$((FAULTS + 1))
			# DMD_FAULT_TALLY=FILE: one line per fault, for figures
			if [ -n "${DMD_FAULT_TALLY:-}" ]; then
				echo "$prog $call:$n:$e $st" >>"$DMD_FAULT_TALLY"
			fi
			# shellcheck disable=SC2086
			check_status "$prog" "$call:$n:$e" $statuses || return 1
			if [ "$e" = EINTR ] || [ "$e" = short ]; then
				if [ "$st" -ne "$CLEAN_ST" ]; then
					echo "$prog under $call:$n:$e: exit $st," \
					    "want $CLEAN_ST as without it; stderr:"
					cat "$T/err"
					return 1
				fi
			fi
			# an abort or a kill leaves its temp files to the
			# next run, which must clear them (checked below)
			if [ "$st" -ne 134 ] && [ "$st" -ne 137 ]; then
				no_temp_files "$prog under $call:$n:$e" || return 1
			fi
			during "$call:$n:$e" || return 1
			redo
			answer_is "$T/want" "$prog under $call:$n:$e, then again" ||
			    return 1
			no_temp_files "after $prog under $call:$n:$e and again" ||
			    return 1
			markers_whole "after $prog under $call:$n:$e and again" ||
			    return 1
		done
	done
	echo "# $prog: $FAULTS faults so far" >&3
}

# --- dmd-ingest ----------------------------------------------------------

# Input: 5 points of 3 series, a bad line, a mark for -C.
ingest_input() {
	mkdir -p "$T/io"
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	{
		head -n 7 "$T/pts"
		echo 'bad line'
		tail -n +8 "$T/pts"
		echo '#mark 0 42'
	} >"$T/io/in"
}

ingest_prep() {
	rcli flushall >/dev/null
	rm -f "$T/io/rej" "$T/io/cp" "$T/io/spill" "$T"/io/.*.cp
}

# After the faulted run: what its status promises.
ingest_during() {
	case $st in
	0|1)
		answer_is "$T/want" "after $1, exit $st" || return 1
		[ "$(cat "$T/io/rej")" = 'bad line' ] || {
			echo "rejects file after $1, exit $st:"
			cat "$T/io/rej"
			return 1
		}
		grep -qx '0 42' "$T/io/cp" || {
			echo "checkpoint after $1, exit $st:"
			cat "$T/io/cp"
			return 1
		}
		;;
	3)
		# the points not stored are in the spill file
		{ dmd-query "${ALL[@]}" 'h*.*'; cat "$T/io/spill"; } |
			sort -u >"$T/have"
		sort "$T/want" | comm -23 - "$T/have" >"$T/lost"
		if [ -s "$T/lost" ]; then
			echo "after $1, exit 3: points neither stored nor spilled:"
			cat "$T/lost"
			return 1
		fi
		;;
	esac
}

ingest_redo() {
	[ ! -s "$T/io/spill" ] || dmd-ingest "$T/io/spill"
	dmd-ingest -R "$T/io/rej" -C "$T/io/cp" -s "$T/io/spill" "$T/io/in" 2>/dev/null ||
		[ $? -eq 1 ]
}

@test "dmd-ingest: faults on its input, rejects, checkpoint and spill files, the cache's socket, and malloc" {
	ingest_input
	prep() { ingest_prep; }
	do_run() {
		dmd-ingest -r 1s -R "$T/io/rej" -C "$T/io/cp" -s "$T/io/spill" "$T/io/in"
	}
	during() { ingest_during "$@"; }
	redo() { ingest_redo; }
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 1 ] || { cat "$T/err"; false; }
	ingest_during clean

	# the files: input, rejects, checkpoint (io holds nothing else)
	sweep dmd-ingest '0 1 2 3 5' "$T/io/" open:all:EIO/EACCES \
	    read:all:EIO write:all:ENOSPC/EIO fsync:all:EIO/ENOSPC \
	    rename:all:ENOSPC/EIO
	# reads and writes, the socket's too: handled, not reported
	sweep dmd-ingest '1' '' read:some:EINTR write:some:EINTR \
	    read:1+:short write:1+:short
	# the cache refuses once (retried), or for good (spilled)
	sweep dmd-ingest '1 3' '' connect:1:ECONNREFUSED connect:1:EAGAIN \
	    connect:1+:ECONNREFUSED
	# every read or write fails from the first on: the cache's, retried,
	# then the spill file's or the input's
	sweep dmd-ingest '1 3 5' '' write:1+:EIO read:1+:ECONNRESET
	sweep dmd-ingest '0 1 2 3 5' '' malloc:some:ENOMEM
	# killed at each call on its files, at some on the socket
	sweep dmd-ingest 137 "$T/io/" open:all:kill read:all:kill \
	    write:all:kill fsync:all:kill rename:all:kill
	sweep dmd-ingest 137 '' read:some:kill write:some:kill \
	    malloc:some:kill
}

@test "dmd-ingest: faults on the spill file while the cache is down" {
	ingest_input
	prep() { ingest_prep; }
	do_run() {
		dmd-ingest -r 0 -c "unix://$T/no.sock" -R "$T/io/rej" -s "$T/io/spill" \
		    "$T/io/in"
	}
	during() {
		if [ "$st" -eq 3 ]; then
			sort "$T/want" >"$T/want.s"
			sort "$T/io/spill" | cmp -s "$T/want.s" - || {
				echo "spill file after $1, exit 3:"
				cat "$T/io/spill"
				return 1
			}
		fi
	}
	redo() {
		[ ! -s "$T/io/spill" ] || dmd-ingest "$T/io/spill"
		dmd-ingest "$T/io/in" 2>/dev/null || [ $? -eq 1 ]
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 3 ] || { cat "$T/err"; false; }
	sweep dmd-ingest '3 5' "$T/io/spill" open:all:EIO write:all:ENOSPC/EIO \
	    fsync:all:EIO
}

@test "dmd-ingest: a rejects file that fails mid-run is reported, not lost" {
	mkdir -p "$T/io"
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	# 15 KB of bad lines: stdio writes the rejects file several times
	awk '{ print } NR % 3 == 0 {
		for (i = 0; i < 60; i++)
			printf "a bad line %d-%d, long enough to fill a buffer\n", NR, i
	}' "$T/pts" >"$T/io/in"
	grep '^a bad' "$T/io/in" >"$T/bad"
	prep() { rcli flushall >/dev/null; rm -f "$T/io/rej"; }
	do_run() { dmd-ingest -R "$T/io/rej" "$T/io/in"; }
	during() {
		if [ "$st" -eq 1 ] && ! cmp -s "$T/bad" "$T/io/rej"; then
			echo "exit 1 after $1, but the rejects file lacks lines:" \
			    "$(wc -l <"$T/io/rej") of $(wc -l <"$T/bad")"
			return 1
		fi
	}
	redo() { dmd-ingest "$T/io/in" 2>/dev/null || [ $? -eq 1 ]; }
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 1 ] || { cat "$T/err"; false; }
	cmp "$T/bad" "$T/io/rej"
	sweep dmd-ingest '1 5' "$T/io/rej" write:all:ENOSPC/EIO
}

# --- dmd-flush -----------------------------------------------------------

@test "dmd-flush: faults on the table's files, the cache's socket, and malloc" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	prep() {
		rcli flushall >/dev/null
		rm -rf "$TAB" "$ARC"
		dmd-ingest "$T/pts"
	}
	do_run() { dmd-flush -n 1 -a 100w; }
	during() {
		answer_is "$T/want" "right after $1, exit $st" || return 1
		if [ "$st" -eq 0 ] && [ -n "$(dmd_keys 'dmd:*:[cf]:*')" ]; then
			echo "exit 0 after $1, but cached points are left:"
			dmd_keys 'dmd:*:[cf]:*'
			return 1
		fi
	}
	redo() {
		dmd-flush -n 1 -a 100w
		[ -z "$(dmd_keys 'dmd:*:[cf]:*')" ]
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }

	sweep dmd-flush '0 4' "$TAB" open:all:EIO/ENOSPC \
	    write:all:ENOSPC/EIO fsync:all:EIO/ENOSPC rename:all:EIO/ENOSPC
	# the table's files (a full disk) and the table marker of a new table
	sweep dmd-flush '4' "$TAB" write:1+:ENOSPC open:1+:ENOSPC
	sweep dmd-flush '0' '' read:some:EINTR write:some:EINTR \
	    read:1+:short write:1+:short
	sweep dmd-flush '4' '' connect:1:ECONNREFUSED connect:1:EAGAIN
	sweep dmd-flush '0 4' '' malloc:some:ENOMEM
	# killed at each call on the table's files, at some on the socket
	sweep dmd-flush 137 "$TAB" open:all:kill write:all:kill \
	    fsync:all:kill rename:all:kill
	sweep dmd-flush 137 '' read:some:kill write:some:kill malloc:some:kill
}

# --- dmd-archive ---------------------------------------------------------

@test "dmd-archive: faults on the table's and the archive's files, and malloc" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	rcli flushall >/dev/null
	dmd-ingest "$T/pts"
	dmd-flush -n 1 -a 100w
	cp -a "$TAB" "$T/table0"
	prep() {
		rm -rf "$TAB" "$ARC"
		cp -a "$T/table0" "$TAB"
	}
	do_run() { dmd-archive; }
	during() { answer_is "$T/want" "right after $1, exit $st"; }
	redo() {
		dmd-archive
		# everything moved: no chunk left in the table
		[ -z "$(dmd_chunks)" ]
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }

	sweep dmd-archive '0 4' "$REDIS_DIR/" open:all:EIO/ENOSPC \
	    write:all:ENOSPC/EIO fsync:all:EIO/ENOSPC rename:all:EIO/ENOSPC \
	    read:all:EIO
	sweep dmd-archive '4' "$ARC" write:1+:ENOSPC
	sweep dmd-archive '0' '' read:some:EINTR write:some:EINTR \
	    read:1+:short write:1+:short
	sweep dmd-archive '0 4' '' malloc:some:ENOMEM
	# killed at each call on the table's and the archive's files
	sweep dmd-archive 137 "$REDIS_DIR/" open:all:kill read:all:kill \
	    write:all:kill fsync:all:kill rename:all:kill
	sweep dmd-archive 137 '' malloc:some:kill
}

# --- dmd-query -----------------------------------------------------------

# Points in every tier: 0-4 archived, 5-9 in the table, 10-14 cached.
three_tiers() {
	points 0 5 >"$T/p1"
	points 5 5 >"$T/p2"
	points 10 5 >"$T/p3"
	dmd_expect "$T/p1" "$T/p2" "$T/p3" >"$T/want"
	dmd-ingest "$T/p1"
	dmd-flush -n 1 -a 100w
	dmd-archive
	dmd-ingest "$T/p2"
	dmd-flush -n 1 -a 100w
	dmd-ingest "$T/p3"
	[ -n "$(dmd_objects)" ] && [ -n "$(dmd_chunks)" ] &&
		[ -n "$(dmd_keys 'dmd:*:c:*')" ]
	answer_is "$T/want" "three tiers"
}

@test "dmd-query: faults on the table's and archive's files, the cache's socket, stdout, and malloc" {
	three_tiers
	prep() { :; }
	do_run() { dmd-query "${ALL[@]}" 'h*.*'; }
	during() {
		# what it printed is right, if not all of it
		if [ "$st" -eq 0 ]; then
			cmp -s "$T/want" "$T/out" || {
				echo "exit 0 after $1, output:"
				diff "$T/want" "$T/out" | head
				return 1
			}
		elif [ -n "$(comm -13 <(sort "$T/want") <(sort "$T/out"))" ]; then
			echo "after $1, exit $st: wrong points printed:"
			comm -13 <(sort "$T/want") <(sort "$T/out") | head
			return 1
		fi
	}
	redo() { :; }
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }

	# 0: the archive's horizon, an optimization, could not be read
	sweep dmd-query '0 4' "$REDIS_DIR/" open:all:EIO/EACCES read:all:EIO
	sweep dmd-query '0' '' read:all:EINTR write:all:EINTR \
	    read:1+:short write:1+:short
	sweep dmd-query '4' '' connect:1:ECONNREFUSED connect:1:EAGAIN
	sweep dmd-query '0 4 5' '' malloc:some:ENOMEM
	# stdout: a file, the one thing under the prefix
	do_run() { dmd-query "${ALL[@]}" 'h*.*' >"$T/q.out"; }
	during() { :; }
	sweep dmd-query '5' "$T/q.out" write:1:ENOSPC write:1:EIO
}

# --- dmd-e2e -------------------------------------------------------------

@test "dmd-e2e: faults on the cache's socket, stdout, and malloc" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	dmd-ingest "$T/pts"
	prep() { :; }
	do_run() { dmd-e2e -T 5s; }
	during() {
		if [ "$st" -eq 0 ]; then
			grep -q '\.success","time":[0-9]*,"value":1}$' "$T/out" || {
				echo "exit 0 after $1, output:"
				cat "$T/out"
				return 1
			}
		fi
	}
	redo() { :; }
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	# the probe points are not ours: the answer is of h*.* only
	sweep dmd-e2e '0' '' read:all:EINTR write:all:EINTR read:1+:short \
	    write:1+:short
	sweep dmd-e2e '4' '' connect:1:ECONNREFUSED connect:1:EAGAIN
	sweep dmd-e2e '0 4 5 6' '' malloc:some:ENOMEM
	do_run() { dmd-e2e -T 5s >"$T/e.out"; }
	sweep dmd-e2e '5' "$T/e.out" write:1:ENOSPC write:1:EIO
}

# --- dmd-board -----------------------------------------------------------

@test "dmd-board: faults on the board file, the page and its temp file, the cache's socket, and malloc" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	dmd-ingest "$T/pts"
	mkdir "$T/www"
	printf 'title faults\npanel all\nquery h*.*\nfrom %s\nuntil %s\n' \
	    "$B" $((B + 600)) >"$T/www/b.board"
	echo 'the old page' >"$T/www/page.html"
	prep() { echo 'the old page' >"$T/www/page.html"; }
	do_run() { dmd-board -o "$T/www/page.html" "$T/www/b.board"; }
	during() {
		local left
		left=$(find "$T/www" -name '.*' -type f)
		if [ -n "$left" ]; then
			echo "after $1, exit $st: temp files left: $left"
			return 1
		fi
		# the old page, or (0, or an abort after the rename) the new
		# one whole
		if [ "$st" -ne 0 ] &&
		    [ "$(cat "$T/www/page.html")" = 'the old page' ]; then
			return 0
		fi
		if [ "$st" -ne 0 ] && [ "$st" -ne 134 ]; then
			echo "after $1, exit $st: the old page changed"
			return 1
		fi
		grep -v '^<footer>' "$T/www/page.html" | cmp -s "$T/page0" - || {
			echo "after $1, exit $st: the page is not the old one" \
			    "nor the new one"
			return 1
		}
	}
	redo() { :; }
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	grep -v '^<footer>' "$T/www/page.html" >"$T/page0"
	grep -q 'h0.s0' "$T/page0"

	sweep dmd-board '4 5' "$T/www/" open:all:EIO/EACCES read:all:EIO \
	    write:all:ENOSPC/EIO fsync:all:EIO/ENOSPC rename:all:ENOSPC/EIO
	sweep dmd-board '0' '' read:all:EINTR write:all:EINTR \
	    read:1+:short write:1+:short
	sweep dmd-board '4' '' connect:1:ECONNREFUSED connect:1:EAGAIN
	sweep dmd-board '0 4 5' '' malloc:some:ENOMEM
}

# --- dmd-stream ----------------------------------------------------------

# The points of get's output (or of a file of them), sorted, once each.
stream_set() {
	LC_ALL=C sort -u "$@"
}

@test "dmd-stream put: faults on an existing log's files; EINTR and short writes" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	stream_set "$T/want" >"$T/want.set"
	dmd-stream put -l "file://$T/log0" "$T/pts"
	prep() { rm -rf "$T/log" "$T/spill"; cp -a "$T/log0" "$T/log"; }
	do_run() {
		dmd-stream put --retry-for 0 --spill "$T/spill" \
		    -l "file://$T/log" "$T/pts"
	}
	during() {
		if [ "$st" -eq 3 ]; then
			# the points not in the log are in the spill file
			{ dmd-stream get -l "file://$T/log"; cat "$T/spill"; } |
				stream_set >"$T/got.set"
			comm -23 "$T/want.set" "$T/got.set" | grep -q . || return 0
			echo "after $1, exit 3: points neither in the log" \
			    "nor spilled"
			return 1
		fi
		[ "$st" -eq 0 ] || return 0
		dmd-stream get -l "file://$T/log" | stream_set >"$T/got.set"
		cmp -s "$T/want.set" "$T/got.set" || {
			echo "exit 0 after $1, but the log lacks points"
			return 1
		}
	}
	# at least once: put again, replay the whole log into the cache
	redo() {
		dmd-stream put -l "file://$T/log" "$T/pts"
		rcli flushall >/dev/null
		dmd-stream get -l "file://$T/log" | dmd-ingest
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	sweep dmd-stream '0 3 4' "$T/log/" write:all:ENOSPC/EIO \
	    fdatasync:all:EIO/ENOSPC write:1+:ENOSPC
	sweep dmd-stream '0' '' write:some:EINTR write:1+:short read:1+:short
	# killed at each call on the log's files
	sweep dmd-stream 137 "$T/log/" open:all:kill write:all:kill \
	    fdatasync:all:kill
	sweep dmd-stream 137 '' malloc:some:kill
}

# stream_get_setup: a log of 5 points of 3 series, and the functions of
# sweep for dmd-stream get of it to $T/g.out; CLEAN_ST is its status
# unfaulted.
stream_get_setup() {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	stream_set "$T/want" >"$T/want.set"
	dmd-stream put -l "file://$T/log" "$T/pts"
	prep() { rm -f "$T/g.out"; }
	do_run() { dmd-stream get -l "file://$T/log" >"$T/g.out"; }
	during() {
		[ "$st" -eq 0 ] || return 0
		stream_set "$T/g.out" | cmp -s "$T/want.set" - || {
			echo "exit 0 after $1, but the output lacks points"
			return 1
		}
	}
	redo() {
		rcli flushall >/dev/null
		dmd-stream get -l "file://$T/log" | dmd-ingest
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
}

@test "dmd-stream get: faults on its output" {
	stream_get_setup
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	# (its output goes through stdio: no EINTR or short write to try)
	sweep dmd-stream '5' "$T/g.out" write:all:ENOSPC/EIO
}

@test "dmd-stream get: read faults on the log: EINTR and short reads handled, an I/O error exits 4" {
	stream_get_setup
	sweep dmd-stream '0' "$T/log/" read:all:EINTR read:1+:short
	sweep dmd-stream '4' "$T/log/" read:all:EIO open:all:EIO
}

@test "dmd-stream put: a new log whose files cannot be made: exit 4 naming the file, nothing left behind; EINTR on a sync is no error" {
	points 0 5 >"$T/pts"
	for spec in write:1:ENOSPC fdatasync:1:EIO open:1+:EIO; do
		rm -rf "$T/new"
		inject "$spec" "$T/new/" dmd-stream put -l "file://$T/new" "$T/pts"
		fired
		[ "$st" -eq 4 ] || { echo "$spec: exit $st"; cat "$T/err"; false; }
		grep -q "^dmd-stream: log \"file://$T/new\": cannot [a-z]* $T/new/" "$T/err"
		run find "$T/new" -name '.*.stream'
		assert_output ''
	done
	rm -rf "$T/new"
	inject fsync:1:EINTR,fdatasync:1:EINTR,fdatasync:2:EINTR "$T/new/" dmd-stream put -l "file://$T/new" "$T/pts"
	fired
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	[ ! -s "$T/err" ]
	dmd-stream get -l "file://$T/new" | stream_set >"$T/got.set"
	dmd_expect "$T/pts" | stream_set | cmp - "$T/got.set"
}

@test "dmd-stream put: killed at each call while it makes a new log; the next put makes it whole and clears the temp file" {
	points 0 5 >"$T/pts"
	dmd_expect "$T/pts" >"$T/want"
	prep() { rm -rf "$T/new"; rcli flushall >/dev/null; }
	do_run() { dmd-stream put -l "file://$T/new" "$T/pts"; }
	during() { :; }
	# at least once: put again, replay the whole log into the cache
	redo() {
		dmd-stream put -l "file://$T/new" "$T/pts"
		dmd-stream get -l "file://$T/new" | dmd-ingest
		run find "$T/new" -name '.*.stream'
		assert_output ''
	}
	prep
	inject '' '' do_run
	CLEAN_ST=$st
	[ "$st" -eq 0 ] || { cat "$T/err"; false; }
	sweep dmd-stream 137 "$T/new/" open:all:kill write:all:kill \
	    fdatasync:all:kill fsync:all:kill
}

@test "dmd-stream put: a directory that cannot be synced is a failed append, never acknowledged" {
	points 0 5 >"$T/pts"
	# fsync is only ever called on directories here (files take
	# fdatasync): the log's parent, the log, each new partition's
	rm -rf "$T/new"
	total=$(fi_count fsync "$T/new" dmd-stream put -l "file://$T/new" "$T/pts")
	echo "# $total directory syncs" >&3
	[ "$total" -ge 3 ]
	for ((n = 1; n <= total; n++)); do
		rm -rf "$T/new" "$T/spill"
		inject "fsync:$n:EIO" "$T/new" dmd-stream put --retry-for 0 \
		    --spill "$T/spill" -l "file://$T/new" "$T/pts"
		fired
		[ "$st" -eq 3 ] || [ "$st" -eq 4 ] ||
			{ echo "fsync $n: exit $st"; cat "$T/err"; false; }
		grep -q "cannot sync $T/new" "$T/err"
	done
}

@test "faultinject.so: a fault fires once at N, from N on with N+, only under DMD_FAULT_PATH, and logs" {
	inject write:2:ENOSPC "$T/f" sh -c "echo a >'$T/f'; echo b >>'$T/f'; echo c >>'$T/f'"
	[ "$(cat "$T/f")" = "$(printf 'a\nc')" ]
	grep -qE '^[0-9]+ write 2 ENOSPC$' "$T/fault.log"
	inject write:2+:EIO "$T/g" sh -c "echo a >'$T/g'; echo b >>'$T/g'; echo c >>'$T/g'; echo d"
	[ "$(cat "$T/g")" = a ]
	[ "$(cat "$T/out")" = d ]
	[ "$(wc -l <"$T/fault.log")" -eq 2 ]
	inject open:1:EACCES "$T/h" cat "$T/h"
	[ "$st" -ne 0 ]
	grep -q 'Permission denied' "$T/err"
	inject bogus:1:EIO '' env true
	[ "$st" -eq 97 ]
	grep -q 'bad DMD_FAULTS item "bogus:1:EIO"' "$T/err"
}
