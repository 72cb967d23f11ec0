#!/usr/bin/env bash
# Demo: the three-node cluster (scripts/cluster.sh) with NS1 serving the
# checkout's own zonefiles/: editing or adding a file there is the demo.
# In network namespaces over WireGuard when this machine allows it (root,
# wireguard-go, ip netns); otherwise three nodes on 127.0.0.11-13 port 5300,
# no tunnel, and it says so. Builds nothing itself ("make demo" runs
# "make all" first). "make demo-stop" (scripts/demo.sh stop) tears it down.
# Environment: BUILD (default build).
set -u
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
export BUILD
ZONES=zonefiles
RUN=run/cluster

if [ "${1:-}" = stop ]; then
	exec ./scripts/cluster.sh down --run "$RUN"
fi
if [ ! -x "$BUILD/flame-dnsd" ]; then
	echo "demo: $BUILD/flame-dnsd is missing; run 'make demo' (or 'make all') first" >&2
	exit 1
fi
first=example.com
[ -f "$ZONES/$first.zone" ] || first=$(basename "$(ls "$ZONES"/*.zone | head -n1)" .zone)

# One zone is signed by NS1 (DNSSEC, docs/dnssec.md) to show the signed path.
signed=example.net
SIGNED=""
[ -f "$ZONES/$signed.zone" ] && SIGNED="--sign $signed"
if ./scripts/cluster.sh check; then
	./scripts/cluster.sh up --zones "$ZONES" --run "$RUN" $SIGNED || exit 1
	N2=203.0.113.2 P=53 TUN1=198.51.100.1 TUN2=198.51.100.2
else
	echo "demo: network namespaces or wireguard-go cannot be used here (needs root and wireguard-go):"
	echo "demo: running the three nodes on loopback instead, without the WireGuard tunnel."
	./scripts/cluster.sh up --loopback --zones "$ZONES" --run "$RUN" $SIGNED || exit 1
	N2=127.0.0.12 P=5300 TUN1="" TUN2=127.0.0.12
fi
SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' keys/tsig/cluster.key)
sleep 1
./scripts/cluster.sh status --run "$RUN"
cat <<EOT

Try:
  dig @$N2 -p $P $first SOA                       # NS2 answers for the zone NS1 serves
  scripts/cluster.sh status                       # every zone's serial on each node, converged or not
  build/flamectl -s $RUN/ns1/control.sock cluster-status   # the same, through NS1's control socket
  build/flamectl -s $RUN/ns2/control.sock zones            # NS2's zones: serial, last transfer, next refresh
  build/flamectl -s $RUN/ns1/control.sock key list         # the TSIG keys in force (docs/key-rotation.md)
EOT
if [ -n "$SIGNED" ]; then
	cat <<EOT
  dig @$N2 -p $P +dnssec $signed SOA                # signed by NS1 (DNSSEC): RRSIGs served by NS2 too
  dig @$N2 -p $P +dnssec nope.$signed A             # NXDOMAIN with its signed NSEC proof
EOT
fi
if [ -n "$TUN1" ]; then
	cat <<EOT
  kdig @$N2 $first AXFR -y hmac-sha256:cluster-key:$SECRET
                                                  # REFUSED: transfers only over the tunnel
  ip netns exec ns1 kdig @$TUN2 $first AXFR -y hmac-sha256:cluster-key:$SECRET
                                                  # over the tunnel, with the key: the zone
EOT
else
	cat <<EOT
  kdig @$TUN2 -p $P $first AXFR -y hmac-sha256:cluster-key:$SECRET
EOT
fi
cat <<EOT
  Edit $ZONES/$first.zone (raise the serial), or add $ZONES/newcustomer.test.zone,
  then run scripts/cluster.sh status again: NS2 and NS3 follow within a second.
Logs: $RUN/ns{1,2,3}/flame-dnsd.log.   Stop: make demo-stop
EOT
