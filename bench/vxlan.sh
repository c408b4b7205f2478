#!/usr/bin/env bash
# bench/vxlan.sh: two VMs on one VXLAN network, on two nodes joined by a veth
# underlay: two neutrino nodes (br-tun) vs two Linux kernel VXLAN devices,
# and the same two neutrino nodes on a flat provider network (no tunnel).
# TCP single stream and 64-byte UDP packet rate, in one run. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/vxlan.sh [--only LIST] [--runs N] [--duration SECONDS]
                           [--udp-len BYTES] [--veth-gro on|off]
                           [--node-cpus N] [--cpuprofile PREFIX] [--keep DIR] [-h|--help]

Two underlay namespaces joined by a veth pair (192.0.2.1/24, 192.0.2.2/24,
MTU 1500) carry VNI 100 between two VMs (namespaces, 10.10.0.11/24 and
10.10.0.12/24, MTU 1450):
  neutrino  a neutrino node in each underlay namespace (underlay_ip
            192.0.2.1 and 192.0.2.2), the VMs as attach: netns ports
  flat      the same nodes and VMs, but the network is flat (provider
            physnet1, each node's uplink its underlay veth, bound with
            AF_PACKET) with the same MTU 1450: the same path through
            both nodes without the tunnel, so neutrino/flat is what
            br-tun's encapsulation costs
  kernel    a Linux VXLAN device in each underlay namespace (id 100, local,
            remote, dstport 4789, dev the veth, offloads as the kernel
            sets them), moved into the VM's namespace
Each run measures every setup in turn (run 1 of each, then run 2 of
each...), each brought up afresh, so that a machine whose speed drifts
weighs on all of them alike.
and measures for each:
  - TCP: iperf3, one stream vm1 -> vm2, -t DURATION, Gb/s (client's
    end.sum_received)
  - UDP: iperf3 -u -b 0 -l BYTES (default 18: a 60-byte inner frame), kpps
    delivered (server's packets - lost_packets over its seconds)
  - for neutrino and flat, the CPU time both nodes spent during the TCP
    test, in seconds per 10 Gb received (steadier than Gb/s on a busy
    machine)
then prints medians, each run's values and the ratios neutrino/kernel,
flat/kernel and neutrino/flat.

Options:
  --only LIST        comma-separated subset of neutrino,flat,kernel
                     (default all three)
  --runs N           repetitions, medians reported (default $RUNS or 1)
  --duration S       seconds per test (default $DURATION or 10)
  --udp-len BYTES    UDP payload (default 18)
  --veth-gro on|off  GRO on the underlay veths, in both setups (default on:
                     without it a veth hands the receiving node single
                     datagrams, never trains)
  --node-cpus N      run each neutrino node with --cpus N (default: the
                     node's default, all CPUs); the header says which
  --cpuprofile PREFIX  run the neutrino nodes with --cpuprofile, writing
                     PREFIX.SETUP.RUN.n1 and .n2 (each node's whole run)
  --keep DIR         copy iperf3 JSON, counters and logs to DIR
Environment: DURATION, RUNS (same as the options), NEUTRINO_BIN (use this
  binary instead of building ./cmd/neutrino).
EOF
}

DURATION=${DURATION:-10}
RUNS=${RUNS:-1}
UDP_LEN=18
VGRO=on
ONLY="neutrino,flat,kernel"
KEEP=""
PROFILE=""
NODE_CPUS=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--udp-len) UDP_LEN=${2:?--udp-len needs bytes}; shift 2 ;;
	--udp-len=*) UDP_LEN=${1#*=}; shift ;;
	--veth-gro) VGRO=${2:?--veth-gro needs on or off}; shift 2 ;;
	--veth-gro=*) VGRO=${1#*=}; shift ;;
	--node-cpus) NODE_CPUS=${2:?--node-cpus needs a number}; shift 2 ;;
	--node-cpus=*) NODE_CPUS=${1#*=}; shift ;;
	--cpuprofile) PROFILE=${2:?--cpuprofile needs a file prefix}; shift 2 ;;
	--cpuprofile=*) PROFILE=${1#*=}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "vxlan.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "vxlan.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer, got '$DURATION'"
[[ $VGRO == on || $VGRO == off ]] || die "--veth-gro must be on or off, got '$VGRO'"
[[ $UDP_LEN =~ ^[0-9]+$ ]] && ((UDP_LEN >= 16 && UDP_LEN <= 1422)) ||
	die "--udp-len must be 16..1422, got '$UDP_LEN'"

[[ -z $NODE_CPUS || $NODE_CPUS =~ ^[1-9][0-9]*$ ]] || die "--node-cpus must be a positive integer, got '$NODE_CPUS'"
[[ -z $PROFILE ]] || PROFILE=$(realpath -m "$PROFILE")

pick "$ONLY" setup neutrino flat kernel
SETUPS=("${PICKED[@]}")
want() { [[ " ${SETUPS[*]} " == *" $1 "* ]]; }

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TAP and VXLAN devices): run it with sudo"
need ip iproute2
need timeout coreutils
need awk mawk
need ethtool ethtool
need nsenter util-linux
need iperf3 iperf3
GO=""
if { want neutrino || want flat; } && [[ -z ${NEUTRINO_BIN:-} ]]; then
	need_go
fi
need_json
exit_if_missing vxlan.sh

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
NSP="nbvx-$ID"
tmp=$(mktemp -d -t "nbvx-$ID.XXXXXX")
KEEP_WHAT="raw results and logs"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

U1="$NSP-u1" U2="$NSP-u2" VM1="$NSP-vm1" VM2="$NSP-vm2"
IP1=10.10.0.11 IP2=10.10.0.12

json_tcp_gbps() { # FILE: client JSON -> Gb/s received
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
if "error" in d: sys.exit("iperf3: "+d["error"])
print("%.3f" % (d["end"]["sum_received"]["bits_per_second"]/1e9))' "$1"
	else
		jq -er 'if .error then error("iperf3: "+.error) else .end.sum_received.bits_per_second/1e9 end' "$1" |
			awk '{printf "%.3f\n", $1}'
	fi
}

json_udp_kpps() { # FILE: server JSON -> "kpps sent_pkts lost_pkts seconds"
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
if "error" in d: sys.exit("iperf3: "+d["error"])
s=d["end"].get("sum_received") or d["end"]["sum"]
rx=s["packets"]-s["lost_packets"]
print("%.1f %d %d %.3f" % (rx/s["seconds"]/1e3, s["packets"], s["lost_packets"], s["seconds"]))' "$1"
	else
		jq -er 'if .error then error("iperf3: "+.error) else (.end.sum_received // .end.sum) |
			"\((.packets-.lost_packets)/.seconds/1e3) \(.packets) \(.lost_packets) \(.seconds)" end' "$1" |
			awk '{printf "%.1f %d %d %.3f\n", $1, $2, $3, $4}'
	fi
}

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}
med() { tr ' ' '\n' <<<"$1" | grep . | median; }

underlay() { # the two underlay namespaces and the veth between them
	addns "$U1"
	addns "$U2"
	timeout 10 ip link add vxb-a netns "$U1" type veth peer name vxb-b netns "$U2"
	timeout 10 ip -n "$U1" addr add 192.0.2.1/24 dev vxb-a
	timeout 10 ip -n "$U2" addr add 192.0.2.2/24 dev vxb-b
	timeout 10 ip -n "$U1" link set vxb-a up
	timeout 10 ip -n "$U2" link set vxb-b up
	timeout 10 ip netns exec "$U1" ethtool -K vxb-a gro "$VGRO" >/dev/null 2>&1 || log "ethtool -K vxb-a gro $VGRO failed"
	timeout 10 ip netns exec "$U2" ethtool -K vxb-b gro "$VGRO" >/dev/null 2>&1 || log "ethtool -K vxb-b gro $VGRO failed"
}

SERVER_PID=""
start_server() { # start_server TAG: iperf3 -s -1 in vm2
	ip netns exec "$VM2" timeout $((DURATION + 60)) iperf3 -s -1 -B "$IP2" -p 5201 -J \
		>"$tmp/$1.server.json" 2>"$tmp/$1.server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	for _ in $(seq 50); do
		ip netns exec "$VM2" ss -ltn 2>/dev/null | grep -q ":5201 " && return
		sleep 0.1
	done
}
wait_server() {
	wait "$SERVER_PID" 2>/dev/null || true
	forget "$SERVER_PID"
}

# node_ticks: CPU time (clock ticks) of the neutrino nodes so far: the
# processes in NODE_PIDS and their children (timeout runs the binary).
NODE_PIDS=()
node_ticks() {
	local t=0 p c st
	for p in "${NODE_PIDS[@]}"; do
		for c in "$p" $(pgrep -P "$p" 2>/dev/null); do
			st=$(cat "/proc/$c/stat" 2>/dev/null) || continue
			st=${st##*) } # fields after the command name
			t=$((t + $(awk '{print $12 + $13}' <<<"$st")))
		done
	done
	echo "$t"
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

declare -A TCP UDP CPU
measure() { # measure SETUP RUN: one TCP and one UDP test
	local setup=$1 r=$2 tag v kpps pk lost secs t0 t1 c
	if ! fg ip netns exec "$VM1" timeout 15 ping -c 3 -i 0.2 -W 2 "$IP2" >"$tmp/$setup.ping.$r" 2>&1; then
		cat "$tmp/$setup.ping.$r" >&2
		die "$setup: $IP1 cannot ping $IP2"
	fi
	{
		tag="$setup.tcp.$r"
		start_server "$tag"
		t0=$(node_ticks)
		fg ip netns exec "$VM1" timeout $((DURATION + 30)) \
			iperf3 -c "$IP2" -p 5201 -t "$DURATION" -J >"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
		t1=$(node_ticks)
		wait_server
		v=$(json_tcp_gbps "$tmp/$tag.client.json") || die "$setup TCP run $r failed: $(cat "$tmp/$tag.client.err")"
		TCP[$setup]+="$v "
		if [[ $setup != kernel ]]; then
			c=$(awk -v t="$((t1 - t0))" -v hz="$HZ" -v g="$v" -v d="$DURATION" \
				'BEGIN {printf "%.3f", (g > 0 ? t / hz / (g * d / 10) : 0)}')
			CPU[$setup]+="$c "
			log "$setup run $r/$RUNS: TCP $v Gb/s, nodes' CPU $c s per 10 Gb"
		else
			log "$setup run $r/$RUNS: TCP $v Gb/s"
		fi

		tag="$setup.udp.$r"
		start_server "$tag"
		fg ip netns exec "$VM1" timeout $((DURATION + 30)) \
			iperf3 -c "$IP2" -p 5201 -u -b 0 -l "$UDP_LEN" -t "$DURATION" -J \
			>"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
		wait_server
		v=$(json_udp_kpps "$tmp/$tag.server.json") ||
			die "$setup UDP run $r failed: $(cat "$tmp/$tag.server.err" "$tmp/$tag.client.err")"
		read -r kpps pk lost secs <<<"$v"
		UDP[$setup]+="$kpps "
		log "$setup run $r/$RUNS: UDP $kpps kpps delivered ($pk sent, $lost lost, ${secs}s)"
	}
}

BIN=${NEUTRINO_BIN:-}
build_neutrino() { # into BIN, once
	[[ -z $BIN ]] || return 0
	log "neutrino: building ./cmd/neutrino"
	fg sh -c 'cd "$1" && CGO_ENABLED=0 exec timeout 600 "$3" build -o "$2" ./cmd/neutrino' \
		sh "$REPO" "$tmp/neutrino" "$GO" || die "neutrino: go build ./cmd/neutrino failed"
	BIN="$tmp/neutrino"
}

# topology KIND: the two-node topology, its network vxlan or flat.
topology() {
	local net
	if [[ $1 == vxlan ]]; then
		net="type: vxlan
    segment: 100"
	else
		net="type: flat
    physical: physnet1
    mtu: 1450"
	fi
	cat <<EOF
version: 1
nodes:
  - {name: n1, underlay_ip: 192.0.2.1}
  - {name: n2, underlay_ip: 192.0.2.2}
uplinks:
  - {name: physnet1, node: n1, interface: vxb-a}
  - {name: physnet1, node: n2, interface: vxb-b}
networks:
  - name: demo
    $net
    subnets: [{name: demo-subnet, cidr: 10.10.0.0/24, enable_dhcp: false}]
ports:
  - {name: vm1, node: n1, network: demo, attach: netns, netns: $VM1, mac: "fa:16:3e:00:10:01", fixed_ips: [$IP1]}
  - {name: vm2, node: n2, network: demo, attach: netns, netns: $VM2, mac: "fa:16:3e:00:10:02", fixed_ips: [$IP2]}
EOF
}

up_neutrino() { # up_neutrino SETUP RUN: the two nodes, the VMs' namespaces up
	local setup=$1 r=$2 kind=vxlan n pids=() flags=()
	[[ $setup == flat ]] && kind=flat
	underlay
	# neutrino creates the VM namespaces (attach: netns) and deletes them
	# when it stops; cleanup deletes them too if it does not.
	NETNS+=("$VM1" "$VM2")
	topology "$kind" >"$tmp/$setup.yaml"
	for n in 1 2; do
		local ns=$U1
		((n == 2)) && ns=$U2
		flags=()
		[[ -z $PROFILE ]] || flags=(--cpuprofile "$PROFILE.$setup.$r.n$n")
		[[ -z $NODE_CPUS ]] || flags+=(--cpus "$NODE_CPUS")
		rm -rf "$tmp/state$n"
		# nsenter, not ip netns exec: the namespaces neutrino creates for
		# the VMs must be mounted where this shell sees them.
		nsenter --net="/run/netns/$ns" timeout $((2 * DURATION + 120)) "$BIN" run \
			--socket "$tmp/n$n.sock" --state-dir "$tmp/state$n" --node "n$n" "${flags[@]}" "$tmp/$setup.yaml" \
			>"$tmp/$setup.$r.n$n.log" 2>&1 &
		pids+=("$!")
		PIDS+=("$!")
	done
	NODE_PIDS=("${pids[@]}")
	waitfor 20 "the VM namespaces" sh -c "ip -n $VM1 addr show | grep -q $IP1 && ip -n $VM2 addr show | grep -q $IP2"
}

down_neutrino() { # down_neutrino SETUP RUN: counters kept, nodes stopped
	local n
	for n in 1 2; do
		timeout 10 "$BIN" show --socket "$tmp/n$n.sock" counters >"$tmp/$1.$2.n$n.counters" 2>&1 || true
	done
	for n in "${NODE_PIDS[@]}"; do stoppid "$n"; done
	NODE_PIDS=()
	delns "$VM1" "$VM2" "$U1" "$U2"
}

up_kernel() {
	underlay
	addns "$VM1"
	addns "$VM2"
	local i u vm ip local remote dev
	for i in 1 2; do
		if ((i == 1)); then
			u=$U1 vm=$VM1 ip=$IP1 local=192.0.2.1 remote=192.0.2.2 dev=vxb-a
		else
			u=$U2 vm=$VM2 ip=$IP2 local=192.0.2.2 remote=192.0.2.1 dev=vxb-b
		fi
		timeout 10 ip -n "$u" link add vx100 type vxlan id 100 local "$local" remote "$remote" dstport 4789 dev "$dev"
		timeout 10 ip -n "$u" link set vx100 netns "$vm"
		timeout 10 ip -n "$vm" link set vx100 address "fa:16:3e:00:10:0$i" mtu 1450 up
		timeout 10 ip -n "$vm" addr add "$ip/24" dev vx100
	done
}

down_kernel() { delns "$VM1" "$VM2" "$U1" "$U2"; }

if want neutrino || want flat; then build_neutrino; fi
for ((r = 1; r <= RUNS; r++)); do
	for s in "${SETUPS[@]}"; do
		if [[ $s == kernel ]]; then
			up_kernel
			measure kernel "$r"
			down_kernel
		else
			up_neutrino "$s" "$r"
			measure "$s" "$r"
			down_neutrino "$s" "$r"
		fi
	done
done

echo "neutrino VXLAN benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs, ${RUNS} run(s), veth GRO $VGRO, node CPUs ${NODE_CPUS:-all}"
printf '%-10s %10s %12s   %s\n' setup "TCP Gb/s" "UDP kpps" "runs (TCP; UDP)"
for s in "${SETUPS[@]}"; do
	printf '%-10s %10s %12s   %s; %s\n' "$s" "$(med "${TCP[$s]}")" "$(med "${UDP[$s]}")" "${TCP[$s]}" "${UDP[$s]}"
done
for s in neutrino flat; do
	want "$s" || continue
	echo "$s nodes' CPU during TCP: $(med "${CPU[$s]}") s per 10 Gb (runs: ${CPU[$s]})"
done
ratio() { # ratio A B: A/B of the TCP and UDP medians
	want "$1" && want "$2" || return 0
	awk -v n="$1/$2" -v a="$(med "${TCP[$1]}")" -v b="$(med "${TCP[$2]}")" -v c="$(med "${UDP[$1]}")" -v d="$(med "${UDP[$2]}")" \
		'BEGIN {printf "%s: TCP %.2f, UDP %.2f\n", n, (b > 0 ? a / b : 0), (d > 0 ? c / d : 0)}'
}
ratio neutrino kernel
ratio flat kernel
ratio neutrino flat
