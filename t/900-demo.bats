#!/usr/bin/env bats
# The demo of `./bootstrap demo` runs on embedded defaults and stops
# what it started.

load lib/dmd

@test "the demo ingests an hour of metrics and reads them back" {
	run "$DMD_SRCDIR/t/demo"
	assert_success
	assert_output --partial "stored 12000 points"
	assert_output --partial "read back 12000 points"
	assert_output --partial "read back 12000 points across cache and table"
	assert_output --regexp "moved [1-9][0-9]* points to the table"
	assert_output --partial "read back 12000 points across cache, table and archive"
	assert_output --partial "stopped redis-server"
}
