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
