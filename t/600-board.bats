#!/usr/bin/env bats
# dmd-board: the default board and board files drawn from points read
# back from the tiers; the page's structure (no script, no URL, one path
# per series, escaped text, gaps); -o written atomically and kept when a
# tier fails; errors in a board as FILE:LINE; and the page rendered by
# headless Chromium into a screenshot that is not blank.

bats_require_minimum_version 1.5.0
load lib/dmd

setup_file() { dmd_redis_start; }
teardown_file() { dmd_redis_teardown; }
setup() {
	dmd_reset
	T=$BATS_TEST_TMPDIR
	# pages go to a directory of their own: bats keeps files in $T
	W=$T/www
	mkdir "$W"
	NOW=$(date +%s)
}

# The store's own metrics of the last hour, one point a minute: two
# ingesters, an e2e probe that missed minute 30, a cache.
health() {
	awk -v now="$NOW" 'BEGIN {
		for (i = 0; i < 60; i++) {
			t = now - 3540 + 60 * i
			printf "dmd.h1.ingest.accepted %d %d\n", 1000 + i, t
			printf "dmd.h2.ingest.accepted %d %d\n", 500 + i, t
			if (i != 30)
				printf "dmd.e2e.h1.latency_ms %.2f %d\n",
				    0.25 + i / 100, t
			printf "dmd.h1.cache.due_series %d %d\n", i % 5, t
			printf "dmd.h1.cache.used_memory_bytes %d %d\n",
			    2000000 + 1000 * i, t
		}
	}' | dmd-ingest
}

# The series of the web board at fixed times: 2024-11-24T00:00Z and on.
servers() {
	local i
	for i in $(seq 0 59); do
		echo "servers.web1.cpu.user $((10 + i % 7)) $((1732406400 + 60 * i))"
		echo "servers.web2.cpu.user $((20 + i % 3)) $((1732406400 + 60 * i))"
		echo "servers.db1.cpu.user 5 $((1732406400 + 60 * i))"
		echo "servers.lb1.requests $((100 * i)) $((1732406400 + 60 * i))"
	done | dmd-ingest
}

# The d attribute of the path of series NAME in FILE.
path_of() {
	sed -n 's/.*data-name="'"$1"'"[^>]* d="\([^"]*\)".*/\1/p' "$2"
}

# How many times STRING occurs in FILE.
occurrences() {
	grep -o -F -- "$1" "$2" | wc -l
}

@test "dmd-board --help prints the synopsis on stdout and exits 0" {
	run --separate-stderr dmd-board --help
	assert_success
	assert_line --index 0 --regexp '^usage: dmd-board \['
	assert_stderr ''
	local long=$output
	run --separate-stderr dmd-board -h
	assert_success
	assert_output "$long"
}

@test "dmd-board --help prints the SYNOPSIS of its man page" {
	command -v "${MANDOC:-mandoc}" >/dev/null || skip "mandoc not found"
	run dmd-board --help
	help=$(printf '%s\n' "$output" | tr -s ' \n' '  ' |
		sed 's/^usage: //; s/ $//')
	man=$("${MANDOC:-mandoc}" -Tascii -O width=1000 \
		"$DMD_SRCDIR/man/dmd-board.1" | col -b |
		sed -n '/^SYNOPSIS/,/^[A-Z]/{/^[A-Z]/d;p;}' | tr -s ' \n' '  ' |
		sed 's/^ //; s/ $//')
	[ -n "$man" ]
	[ "$help" = "$man" ] || {
		echo "help: $help"
		echo "man:  $man"
		false
	}
}

@test "dmd-board --version prints its name and version" {
	run --separate-stderr dmd-board --version
	assert_success
	assert_output --regexp '^dmd-board [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "rejects an unknown option with exit 2 and the synopsis" {
	usage_error 'usage: dmd-board' dmd-board -x
	usage_error 'usage: dmd-board' dmd-board --frobnicate
}

@test "rejects two board files with exit 2" {
	usage_error 'usage: dmd-board' dmd-board "$DATA/board/web.board" \
		"$DATA/board/web.board"
}

@test "rejects a cache URL with an unknown scheme with exit 2" {
	usage_error 'cache "ftp://x"' dmd-board -c ftp://x
}

@test "draws the default board: the four panels and every series ingested" {
	health
	run --separate-stderr dmd-board
	assert_success
	assert_stderr ''
	assert_line --index 0 '<!doctype html>'
	assert_line '<title>diamond: the store&#39;s own health</title>'
	assert_line '<h2>Points stored per minute</h2>'
	assert_line '<h2>End-to-end probe latency</h2>'
	assert_line '<h2>Flush backlog (series due)</h2>'
	assert_line '<h2>Redis memory</h2>'
	printf '%s\n' "$output" >"$W/page.html"
	[ "$(occurrences '<svg ' "$W/page.html")" -eq 4 ]
	[ "$(occurrences 'class="series"' "$W/page.html")" -eq 5 ]
	for s in dmd.h1.ingest.accepted dmd.h2.ingest.accepted \
	    dmd.e2e.h1.latency_ms dmd.h1.cache.due_series \
	    dmd.h1.cache.used_memory_bytes; do
		grep -q "<path class=\"series\" data-name=\"$s\" stroke=\"#" \
			"$W/page.html" || { echo "no path of $s"; false; }
	done
	# last values in the legend, with their units
	assert_output --partial 'dmd.h1.ingest.accepted <span class="last">1.06k pts/min</span>'
	assert_output --partial 'dmd.e2e.h1.latency_ms <span class="last">0.84 ms</span>'
	assert_output --partial 'dmd.h1.cache.used_memory_bytes <span class="last">2.06M B</span>'
	assert_output --partial 'step 1m, sum</p>'
	assert_line --regexp '^<footer>generated at [0-9-]+ [0-9:]+ UTC by dmd-board [0-9.]+</footer>$'
	assert_line --index -1 '</html>'
}

@test "writes a self-contained page: no script, no URL, no external file" {
	health
	dmd-board >"$W/page.html"
	run grep -i -E '<script|https?:|src=|href=|@import|url\(' "$W/page.html"
	assert_failure 1
	assert_output ''
}

@test "breaks a line where a bucket has no point" {
	health
	dmd-board >"$W/page.html"
	# the probe missed one minute: two runs of points
	run path_of dmd.e2e.h1.latency_ms "$W/page.html"
	assert_success
	[ "$(grep -o M <<<"$output" | wc -l)" -eq 2 ]
	# the ingesters missed none
	run path_of dmd.h1.ingest.accepted "$W/page.html"
	[ "$(grep -o M <<<"$output" | wc -l)" -eq 1 ]
	[ "$(grep -o L <<<"$output" | wc -l)" -ge 58 ]
}

@test "says no data for panels whose queries match nothing" {
	run --separate-stderr dmd-board
	assert_success
	printf '%s\n' "$output" >"$W/page.html"
	[ "$(occurrences '>no data</text>' "$W/page.html")" -eq 4 ]
	[ "$(occurrences 'class="series"' "$W/page.html")" -eq 0 ]
}

@test "draws a board file: title, refresh, units, several queries" {
	servers
	run --separate-stderr dmd-board "$DATA/board/web.board"
	assert_success
	assert_stderr ''
	assert_line '<meta http-equiv="refresh" content="60">'
	assert_line '<h1>Web servers &lt;test&gt; &amp; &quot;co&quot;</h1>'
	assert_line '<h2>CPU time, user</h2>'
	assert_line '<h2>Requests per minute</h2>'
	assert_line '<p class="meta">2024-11-24 00:00 to 2024-11-24 00:59 UTC, step 5m, sum</p>'
	assert_line '<text class="unit" x="54" y="14">%</text>'
	assert_line '<text class="unit" x="54" y="14">req/min</text>'
	printf '%s\n' "$output" >"$W/page.html"
	[ "$(occurrences 'class="series"' "$W/page.html")" -eq 4 ]
	for s in servers.db1.cpu.user servers.web1.cpu.user \
	    servers.web2.cpu.user servers.lb1.requests; do
		grep -q "data-name=\"$s\"" "$W/page.html" ||
			{ echo "no path of $s"; false; }
	done
	# series sorted by name: db1 gets the first colour
	assert_output --partial 'data-name="servers.db1.cpu.user" stroke="#1f77b4"'
	# the last 5m bucket of the requests: 5500 + ... + 5900
	assert_output --partial 'servers.lb1.requests <span class="last">28.5k req/min</span>'
	# a raw title never reaches the page
	run grep -F '<test>' "$W/page.html"
	assert_failure
}

@test "reads the board from stdin given -" {
	servers
	run --separate-stderr dmd-board - <"$DATA/board/web.board"
	assert_success
	assert_line '<h2>Requests per minute</h2>'
}

@test "writes the same page for the same data and times, but the footer" {
	servers
	dmd-board "$DATA/board/web.board" | grep -v '^<footer>' >"$T/a.html"
	sleep 1
	dmd-board "$DATA/board/web.board" | grep -v '^<footer>' >"$T/b.html"
	[ -s "$T/a.html" ]
	cmp "$T/a.html" "$T/b.html"
}

@test "reports a bad board as FILE:LINE and exits 2, writing nothing" {
	echo 'old page' >"$W/page.html"
	run --separate-stderr dmd-board -o "$W/page.html" "$DATA/board/bad.board"
	assert_failure 2
	assert_output ''
	assert_stderr "dmd-board: $DATA/board/bad.board:6: unknown keyword \"colour\""
	assert_equal "$(cat "$W/page.html")" 'old page'
	assert_equal "$(ls -A "$W" | grep -c -v '^page.html$')" 0
}

@test "reports each kind of board error with its line" {
	printf 'title T\nquery a.b\n' >"$T/b1"
	usage_error "$T/b1:2: query outside a panel" dmd-board "$T/b1"
	printf 'panel P\nquery a.b\nfrom yesterday\n' >"$T/b2"
	usage_error "$T/b2:3: from: bad time \"yesterday\"" dmd-board "$T/b2"
	printf 'panel P\nquery a.b\nagg median\n' >"$T/b3"
	usage_error "$T/b3:3: unknown aggregate \"median\"" dmd-board "$T/b3"
	printf 'panel P\nquery a.b\nstep 0s\n' >"$T/b4"
	usage_error "$T/b4:3: step is \"0s\": too small" dmd-board "$T/b4"
	printf '# no query\npanel P\nunit ms\n' >"$T/b5"
	usage_error "$T/b5:2: panel has no query" dmd-board "$T/b5"
	printf 'panel P\nquery a/b\n' >"$T/b6"
	usage_error "$T/b6:2: pattern \"a/b\": name has bad character" \
		dmd-board "$T/b6"
	printf '' >"$T/b7"
	usage_error "$T/b7: no panel" dmd-board "$T/b7"
	printf 'panel P\nquery a\nfrom -1h\nuntil -2h\n' >"$T/b8"
	usage_error "$T/b8:4: from is after until" dmd-board "$T/b8"
	usage_error "stdin:1: unknown keyword \"x\"" sh -c 'echo x | dmd-board -'
}

@test "exits 5 when the board file cannot be read" {
	run --separate-stderr dmd-board "$T/none.board"
	assert_failure 5
	assert_output ''
	assert_stderr --partial "$T/none.board"
}

@test "-o writes the whole page, leaves no temp file and keeps the mode" {
	health
	run --separate-stderr dmd-board -o "$W/page.html"
	assert_success
	assert_output ''
	assert_stderr ''
	assert_equal "$(head -n 1 "$W/page.html")" '<!doctype html>'
	assert_equal "$(tail -n 1 "$W/page.html")" '</html>'
	assert_equal "$(ls -A "$W")" 'page.html'
	chmod 640 "$W/page.html"
	dmd-board -o "$W/page.html"
	assert_equal "$(stat -c %a "$W/page.html")" 640
	assert_equal "$(ls -A "$W")" 'page.html'
	[ "$(occurrences 'class="series"' "$W/page.html")" -eq 5 ]
}

@test "-o replaces the page by rename: a reader of the old one keeps it" {
	health
	echo 'old page' >"$W/page.html"
	exec 4<"$W/page.html"
	dmd-board -o "$W/page.html"
	# the old inode still holds the old page, whole
	assert_equal "$(cat <&4)" 'old page'
	exec 4<&-
	assert_equal "$(tail -n 1 "$W/page.html")" '</html>'
}

@test "-o keeps the old page and exits 4 when the cache cannot be read" {
	health
	echo 'old page' >"$W/page.html"
	run --separate-stderr dmd-board -c "unix://$T/no-such.sock" \
		-o "$W/page.html"
	assert_failure 4
	assert_output ''
	assert_stderr --partial 'dmd-board: cache'
	assert_equal "$(cat "$W/page.html")" 'old page'
	assert_equal "$(ls -A "$W")" 'page.html'
}

@test "without -o, a cache that cannot be read still gives a whole page" {
	run --separate-stderr dmd-board -c "unix://$T/no-such.sock"
	assert_failure 4
	assert_stderr --partial 'dmd-board: cache'
	assert_line --index 0 '<!doctype html>'
	assert_line --index -1 '</html>'
	printf '%s\n' "$output" >"$W/page.html"
	[ "$(occurrences '<p class="error">' "$W/page.html")" -eq 4 ]
	[ "$(occurrences '<svg' "$W/page.html")" -eq 0 ]
}

@test "-o exits 5 when the page cannot be written" {
	run --separate-stderr dmd-board -o "$T/no/such/dir/page.html"
	assert_failure 5
	assert_stderr --partial "$T/no/such/dir"
}

@test "-o removes the temp files that dead runs of this host left" {
	local h
	h=$(uname -n)
	h=${h%%.*}
	h=$(printf '%s' "${h:0:63}" | tr -c 'A-Za-z0-9_-' _)
	# no process has a PID this high (the kernel's limit is 2^22)
	echo partial >"$W/.$h.99999999.page.html"
	echo other >"$W/.$h.99999999.other.html"
	echo mine >"$W/.$h.$$.page.html"
	dmd-board -o "$W/page.html"
	[ ! -e "$W/.$h.99999999.page.html" ]
	# another page's temp file, and one of a live process, stay
	[ -e "$W/.$h.99999999.other.html" ]
	[ -e "$W/.$h.$$.page.html" ]
}

@test "renders in headless Chromium: not blank, with the series' colours" {
	command -v chromium >/dev/null || skip "chromium not found"
	command -v convert >/dev/null || skip "ImageMagick not found"
	health
	dmd-board -o "$W/page.html"
	# as root Chromium needs --no-sandbox; a private profile and HOME
	HOME=$T timeout -k 5 60 chromium --headless --no-sandbox \
		--disable-gpu --hide-scrollbars --user-data-dir="$T/profile" \
		--window-size=1000,1200 --screenshot="$T/shot.png" \
		"file://$W/page.html" 3>&- >"$T/chromium.log" 2>&1 || {
		cat "$T/chromium.log"
		false
	}
	[ -s "$T/shot.png" ]
	# not one flat colour: text, axes and lines
	sd=$(convert "$T/shot.png" -colorspace gray \
		-format '%[fx:standard_deviation]' info:)
	awk -v sd="$sd" 'BEGIN { exit !(sd > 0.05) }' || {
		echo "standard deviation $sd"
		false
	}
	colours=$(convert "$T/shot.png" -format %k info:)
	[ "$colours" -gt 100 ]
	# the first two series' colours, drawn as lines over the last hour
	# of six, 120 pixels long: about that many pixels each
	for c in '#1f77b4' '#ff7f0e'; do
		n=$(convert "$T/shot.png" -fuzz 8% -fill black +opaque "$c" \
			-fill white -opaque "$c" -format '%[fx:mean*w*h]' info:)
		awk -v n="$n" 'BEGIN { exit !(n > 80) }' || {
			echo "$c: $n pixels"
			false
		}
	done
	# and a page with no data has none of the second colour
	rcli flushall >/dev/null
	dmd-board -o "$T/empty.html"
	HOME=$T timeout -k 5 60 chromium --headless --no-sandbox \
		--disable-gpu --hide-scrollbars --user-data-dir="$T/profile" \
		--window-size=1000,1200 --screenshot="$T/empty.png" \
		"file://$T/empty.html" 3>&- >"$T/chromium.log" 2>&1
	n=$(convert "$T/empty.png" -fuzz 8% -fill black +opaque '#ff7f0e' \
		-fill white -opaque '#ff7f0e' -format '%[fx:mean*w*h]' info:)
	awk -v n="$n" 'BEGIN { exit !(n < 10) }' || {
		echo "#ff7f0e: $n pixels on an empty board"
		false
	}
}
