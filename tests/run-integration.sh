#!/usr/bin/env bash
# Run every tests/integration/*.sh against the daemon in $BUILD (default build/).
# Each script exits 0 on success; it finds the binaries through $BUILD.
set -u
cd "$(dirname "$0")/.."
export BUILD="${BUILD:-build}"
pass=0; fail=0; failed=()
for t in tests/integration/*.sh; do
	[ -e "$t" ] || continue
	echo "== $t ($BUILD)"
	if bash "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$t"); fi
done
echo "integration scripts ($BUILD): $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
