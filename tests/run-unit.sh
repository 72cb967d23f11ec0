#!/usr/bin/env bash
# Run cmocka unit test binaries given as arguments; fail if any fails.
# Prints one "N passed, N failed" summary line at the end.
set -u
pass=0; fail=0; failed=()
for t in "$@"; do
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$t"); fi
done
echo "unit test binaries (${BUILD:-build}): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
