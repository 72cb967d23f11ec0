# shellcheck shell=bash
# Sourced (after common.bash) by the tests that run the three-node cluster
# with scripts/cluster.sh: they SKIP where namespaces or wireguard-go are
# missing, or when a cluster (the demo) is already up, and bring theirs
# down at exit. Sets CL (the script), RUN (its state) and ZD (its zones).
CL="$PWD/scripts/cluster.sh"
RUN="$T/run"
ZD="$T/zones"

# cluster_require NAME: exit 0 with SKIP when the cluster cannot run here.
cluster_require() {
	if ! "$CL" check 2>/dev/null; then
		echo "$1: SKIP (needs root, ip netns and wireguard-go; scripts/deps.sh installs wireguard-go)"
		exit 0
	fi
	if ip netns list | grep -qw ns1 || ip link show flbr0 >/dev/null 2>&1; then
		echo "$1: SKIP (a cluster is already up: make demo-stop first)"
		exit 0
	fi
}

# soa NODE ZONE: the serial node N answers on its public address
soa() { dig @203.0.113."$1" +norec +time=1 +tries=1 +short "$2" SOA 2>/dev/null | awk '!/^;/ && NF >= 7 { print $3; exit }'; }
# wait_serial NODE ZONE SERIAL SECONDS
wait_serial() {
	local i
	for i in $(seq 1 $(($4 * 20 * SLOW))); do
		[ "$(soa "$1" "$2")" == "$3" ] && return 0
		sleep 0.05
	done
	return 1
}

# axfr NODE ZONE: canonical AXFR over the tunnel (from ns1), TSIG stripped;
# needs SECRET (the cluster key's secret)
axfr() {
	ip netns exec ns1 kdig @198.51.100."$1" -y "hmac-sha256:cluster-key:$SECRET" +time=3 +retry=0 "$2" AXFR 2>/dev/null |
		grep -v '^;' | awk 'NF && $4 != "TSIG"' | sort -u
}
# same_axfr NODE ZONE: "same, N records" when NODE's AXFR equals NS1's and
# is not empty (two failed transfers must not look equal)
same_axfr() {
	local a b
	a=$(axfr 1 "$2")
	b=$(axfr "$1" "$2")
	if [ -z "$a" ]; then echo "ns1's AXFR failed"; elif [ "$a" != "$b" ]; then echo "differs"; else echo "same, $(wc -l <<<"$a") records"; fi
}
