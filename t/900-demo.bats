#!/usr/bin/env bats
# The demo of `./bootstrap demo` runs on embedded defaults and stops
# what it started.

load lib/dmd

@test "the demo stores a day of metrics, reads it back across every tier, probes, charts and writes a board" {
	export DMD_DEMO_BOARD="$BATS_TEST_TMPDIR/board.html"
	run "$DMD_SRCDIR/t/demo"
	assert_success
	assert_output --partial "stored 288000 points"
	assert_output --partial "read back 288000 points with"
	assert_output --partial "read back 288000 points across cache and table"
	assert_output --regexp "moved [1-9][0-9]* points to the table"
	assert_output --regexp "archived [1-9][0-9]* points in [1-9][0-9]* objects"
	assert_output --partial "read back 288000 points across cache, table and archive"
	assert_output --regexp "a probe point was readable after [0-9.]+ ms"
	assert_output --regexp "host0001\.loadavg\.load1 +[▁▂▃▄▅▆▇█]+"
	assert_output --partial "open file://$DMD_DEMO_BOARD"
	assert_output --partial "stopped redis-server"
	# the board has the day's series and the store's own counters
	assert_file_exists "$DMD_DEMO_BOARD"
	run grep -c 'data-name="host0001.cpu.user"' "$DMD_DEMO_BOARD"
	assert_output 1
	run grep -c 'data-name="dmd\.[^"]*\.ingest\.accepted"' "$DMD_DEMO_BOARD"
	assert_output 1
	run grep -c 'data-name="dmd\.e2e\.[^"]*\.latency_ms"' "$DMD_DEMO_BOARD"
	assert_output 1
}
