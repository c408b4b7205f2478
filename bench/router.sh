#!/usr/bin/env bash
# bench/router.sh: a VM behind a router with SNAT sending to an outside host:
# neutrino's router vs a Linux qrouter namespace (as Neutron's L3 agent builds
# it) vs Open vSwitch userspace with ct nat flows. TCP single stream and
# 64-byte UDP packet rate, in one run. See bench/README.md. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/router.sh [--only LIST] [--runs N] [--duration SECONDS]
                            [--udp-duration SECONDS] [--gen trafgen|iperf3]
                            [--udp-len BYTES] [--iptables nft|legacy]
                            [--cpuprofile FILE] [--keep DIR] [-h|--help]

A VM (10.0.0.11/24, default route via its router 10.0.0.1) sends to an outside
host (203.0.113.100/24, on the router's external network, with no route back
to 10.0.0.0/24) through SNAT to the router's gateway IP 203.0.113.10:
  neutrino  neutrino run bench/router-topology.yaml: router r1 (enable_snat,
            a floating IP 203.0.113.20 for another port); the VM and the
            outside host are its TAP devices, moved into namespaces
  linux     a qrouter namespace as Neutron's L3 agent builds it: qr- and qg-
            veths, ip_forward=1, the agent's iptables rules (nat: SNAT
            --random-fully to the gateway IP, DNAT/float-snat for the floating
            IP, the "! -i qg ! -o qg ! --ctstate DNAT -j ACCEPT" rule; mangle
            marks; filter chains); the VM and the outside host on the peers
  ovs       Open vSwitch, userspace datapath (datapath_type=netdev), TAP ports,
            OpenFlow: ARP answers for the router's two addresses,
            ct(zone=1,nat) both ways, ct(commit,nat(src=203.0.113.10)) for new
            connections from the VM, MAC rewrite and dec_ttl (static
            neighbours), everything else dropped
and measures for each:
  - TCP: iperf3, one stream VM -> outside, -t DURATION, Gb/s (client's
    end.sum_received)
  - UDP: 64-byte frames (payload BYTES, default 18: 18 + 8 + 20 + 14 = 60,
    64 with the FCS) VM -> outside, as fast as the generator sends, started
    2 s before a fixed window of UDP_DURATION seconds; delivered kpps = UDP
    datagrams the outside host's kernel received over the window (/proc/net/snmp
    Udp InDatagrams + NoPorts + InErrors in its namespace; the outside host
    has rp_filter=1 and no route to 10.0.0.0/24, so only translated datagrams
    get that far)
with the setups interleaved within each run, then prints medians, each run's
values and the ratios neutrino/linux and neutrino/ovs (targets: TCP vs linux
>= 0.7, UDP vs ovs >= 1.0).

Options:
  --only LIST        comma-separated subset of neutrino,linux,ovs (default all)
  --runs N           repetitions, medians reported (default $RUNS or 3)
  --duration S       seconds per TCP test (default $DURATION or 10)
  --udp-duration S   the UDP test's counting window (default: the TCP duration)
  --gen NAME         UDP generator in the VM namespace: trafgen (default; one
                     process, no gap) or iperf3 (-u -b 0 -l BYTES, to an
                     iperf3 server on the outside host)
  --udp-len BYTES    UDP payload (default 18)
  --iptables NAME    the Linux qrouter's iptables: nft (iptables-nft-restore,
                     default) or legacy (iptables-legacy-restore)
  --cpuprofile FILE  run neutrino with --cpuprofile and write the profile of
                     its whole run (all its tests, and idle during the others')
                     to FILE
  --keep DIR         copy iperf3 JSON, counters, rule and flow dumps, logs to DIR
Environment: DURATION, RUNS (same as the options), NEUTRINO_BIN (use this
  binary instead of building ./cmd/neutrino), OVS_SCHEMA (default
  /usr/share/openvswitch/vswitch.ovsschema).
EOF
}

DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
UDP_SECS=""
GEN=trafgen
UDP_LEN=18
IPT=nft
ONLY="neutrino,linux,ovs"
PROFILE=""
KEEP=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--udp-duration) UDP_SECS=${2:?--udp-duration needs seconds}; shift 2 ;;
	--udp-duration=*) UDP_SECS=${1#*=}; shift ;;
	--gen) GEN=${2:?--gen needs trafgen or iperf3}; shift 2 ;;
	--gen=*) GEN=${1#*=}; shift ;;
	--udp-len) UDP_LEN=${2:?--udp-len needs bytes}; shift 2 ;;
	--udp-len=*) UDP_LEN=${1#*=}; shift ;;
	--iptables) IPT=${2:?--iptables needs nft or legacy}; shift 2 ;;
	--iptables=*) IPT=${1#*=}; shift ;;
	--cpuprofile) PROFILE=${2:?--cpuprofile needs a file}; shift 2 ;;
	--cpuprofile=*) PROFILE=${1#*=}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "router.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done
UDP_SECS=${UDP_SECS:-$DURATION}

die() { echo "router.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer, got '$DURATION'"
[[ $UDP_SECS =~ ^[1-9][0-9]*$ ]] || die "--udp-duration must be a positive integer, got '$UDP_SECS'"
[[ $GEN == trafgen || $GEN == iperf3 ]] || die "--gen must be trafgen or iperf3, got '$GEN'"
[[ $IPT == nft || $IPT == legacy ]] || die "--iptables must be nft or legacy, got '$IPT'"
[[ $UDP_LEN =~ ^[0-9]+$ ]] && ((UDP_LEN >= 16 && UDP_LEN <= 1472)) ||
	die "--udp-len must be 16..1472, got '$UDP_LEN'"
if [[ -n $PROFILE ]]; then
	PROFILE=$(realpath -m "$PROFILE")
	[[ -d $(dirname "$PROFILE") ]] || die "--cpuprofile: no directory $(dirname "$PROFILE")"
fi

pick "$ONLY" setup neutrino linux ovs
SETUPS=("${PICKED[@]}")
want() { [[ " ${SETUPS[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- checks

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TAP devices, iptables, OVS): run it with sudo"

need ip iproute2
need ss iproute2
need timeout coreutils
need awk mawk
need pgrep procps
need iperf3 iperf3
[[ $GEN == trafgen ]] && need trafgen netsniff-ng
want linux && need "iptables-$IPT-restore" iptables
if want ovs; then
	need ovsdb-tool openvswitch-common
	need ovsdb-server openvswitch-common
	need ovs-vsctl openvswitch-switch
	need ovs-vswitchd openvswitch-switch
	need ovs-ofctl openvswitch-switch
	need ovs-appctl openvswitch-common
	OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
	[[ -r $OVS_SCHEMA ]] || missing+=("$OVS_SCHEMA (Debian package: openvswitch-common)")
fi
GO=""
if want neutrino && [[ -z ${NEUTRINO_BIN:-} ]]; then
	need_go
fi
need_json
exit_if_missing router.sh

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

# ---------------------------------------------------------------- state and cleanup

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n') # 4 hex digits
NSP="nbrouter-$ID"                                # namespace prefix
tmp=$(mktemp -d -t "nbrouter-$ID.XXXXXX")
# Hard upper bound for every long-running process this script starts: they
# are wrapped in timeout(1) so that they die even if this script is SIGKILLed.
BUDGET=$((RUNS * ${#SETUPS[@]} * (DURATION + UDP_SECS + 40) + 600))
KEEP_WHAT="raw results, dumps and logs"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- the lab
#
# The same addresses and MACs in the three setups (bench/router-topology.yaml
# gives neutrino these).
VM_IP=10.0.0.11 VM_MAC=fa:16:3e:00:00:11
FIXED2_IP=10.0.0.12                     # the port that holds the floating IP
QR_IP=10.0.0.1 QR_MAC=fa:16:3e:00:00:0a # the router's interface on the VM's subnet
GW_IP=203.0.113.10 QG_MAC=fa:16:3e:00:00:0b
EXT_GW=203.0.113.1                      # the external subnet's gateway (absent)
FIP=203.0.113.20
OUT_IP=203.0.113.100 OUT_MAC=fa:16:3e:00:01:00
TOPO="$REPO/bench/router-topology.yaml"

declare -A VMNS OUTNS VMDEV OUTDEV PROC # setup -> namespaces, devices, forwarding process
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------- helpers

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

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}
med() { tr ' ' '\n' <<<"$1" | grep . | median; } # med "v1 v2 ...": median
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else printf "n/a"}'; }
now() { date +%s.%N; }

cpu_ticks() { # cpu_ticks PID: user+system clock ticks, all threads; 0 if none
	if [[ -n $1 && -r /proc/$1/stat ]]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi
}
cpu_pct() { # cpu_pct TICKS SECONDS: % of one CPU
	awk -v t="$1" -v hz="$HZ" -v s="$2" 'BEGIN {printf "%.0f", 100 * t / hz / s}'
}

devstat() { # devstat NS DEV: "rx_packets tx_packets tx_dropped" as the namespace sees DEV
	ip netns exec "$1" sh -c 'cd /sys/class/net/$1/statistics && cat rx_packets tx_packets tx_dropped' sh "$2" |
		paste -sd' '
}

udp_in() { # udp_in NS: datagrams the namespace's UDP received (InDatagrams + NoPorts + InErrors)
	ip netns exec "$1" awk '/^Udp:/ {if (!h) {for (i = 2; i <= NF; i++) f[$i] = i; h = 1}
		else {print $f["InDatagrams"] + $f["NoPorts"] + $f["InErrors"]; exit}}' /proc/net/snmp
}

link_info() { # link_info NS DEV: "mac M, mtu N, tso on|off" for the log
	local mtu tso mac
	mtu=$(ip -n "$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	mac=$(ip -n "$1" -o link show dev "$2" | sed -n 's|.* link/ether \([0-9a-f:]*\).*|\1|p')
	tso=$(ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk '/^tcp-segmentation-offload:/ {print $2}') || true
	echo "mac ${mac:-?}, mtu ${mtu:-?}, tso ${tso:-?}"
}

# host_up NS DEV IP/LEN [GATEWAY]: address a device moved into a host's
# namespace, bring it up, and add the default route.
host_up() {
	timeout 10 ip -n "$1" addr add "$3" dev "$2"
	timeout 10 ip -n "$1" link set "$2" up
	[[ -z ${4:-} ]] || timeout 10 ip -n "$1" route add default via "$4" dev "$2"
}

# The outside host drops what it has no route back to (strict reverse path
# filter, and no route to 10.0.0.0/24): an untranslated packet never reaches
# its UDP or TCP, so every count there, and every reply, proves the SNAT.
outside_strict() { # outside_strict NS DEV
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=1 "net.ipv4.conf.$2.rp_filter=1" >/dev/null
}

# check_path SETUP: ping and a short TCP exchange VM -> outside; the outside
# host can only answer the gateway IP.
check_path() {
	local s=$1
	if ! fg ip netns exec "${VMNS[$s]}" timeout 20 ping -c 3 -i 0.2 -W 3 "$OUT_IP" >"$tmp/$s.ping" 2>&1; then
		cat "$tmp/$s.ping" >&2
		die "$s: the VM cannot ping the outside host $OUT_IP through SNAT"
	fi
	log "$s: VM -> outside through SNAT works ($(grep -o 'rtt.*' "$tmp/$s.ping" || true))"
}

SERVER_PID=""
start_server() { # start_server NS TAG: one-off iperf3 server on the outside host
	ip netns exec "$1" timeout $((DURATION + UDP_SECS + 60)) iperf3 -s -1 -J -B "$OUT_IP" -p 5201 \
		>"$tmp/$2.server.json" 2>"$tmp/$2.server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	waitfor 10 "iperf3 server in $1" sh -c "ip netns exec '$1' ss -Hltn 'sport = :5201' | grep -q ."
}
wait_server() { # the one-off server exits after writing its JSON
	for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	stoppid "$SERVER_PID"
}

stopgen() { # stopgen PID NS: stop the generator and whatever it forked in NS
	stoppid "$1"
	local i
	for i in $(seq 50); do
		[[ -z $(ip netns pids "$2" 2>/dev/null) ]] && return 0
		ip netns pids "$2" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		sleep 0.1
	done
	die "the generator in $2 did not stop"
}

# ---------------------------------------------------------------- measurements

declare -A TCP UDP TCPCPU UDPCPU UDPUS OFFERED RXDEV # setup -> per-run values

tcp_test() { # tcp_test SETUP RUN
	local s=$1 r=$2 tag="$1.tcp.$2" c0 c1 t0 t1 v cpu="" pid=${PROC[$1]:-}
	start_server "${OUTNS[$s]}" "$tag"
	c0=$(cpu_ticks "$pid"); t0=$(now)
	fg ip netns exec "${VMNS[$s]}" timeout $((DURATION + 30)) \
		iperf3 -c "$OUT_IP" -p 5201 -t "$DURATION" -J >"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
	c1=$(cpu_ticks "$pid"); t1=$(now)
	wait_server
	v=$(json_tcp_gbps "$tmp/$tag.client.json") || die "$s TCP run $r failed: $(cat "$tmp/$tag.client.err")"
	TCP[$s]+="$v "
	if [[ -n $pid ]]; then
		cpu=$(cpu_pct $((c1 - c0)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
		TCPCPU[$s]+="$cpu "
		cpu=", $s process CPU $cpu%"
	fi
	log "$s run $r/$RUNS: TCP $v Gb/s$cpu"
}

GEN_CFG="$tmp/udp.trafgen"
udp_test() { # udp_test SETUP RUN
	local s=$1 r=$2 tag="$1.udp.$2" vmns=${VMNS[$1]} outns=${OUTNS[$1]} pid=${PROC[$1]:-}
	local gen u0 u1 d0 d1 x0 x1 c0 c1 t0 t1
	if [[ $GEN == iperf3 ]]; then
		start_server "$outns" "$tag"
		ip netns exec "$vmns" timeout $((UDP_SECS + 60)) iperf3 -c "$OUT_IP" -p 5201 -u -b 0 -l "$UDP_LEN" \
			-t $((UDP_SECS + 4)) -J >"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" &
	else
		# One process, no gap, forever; --no-sock-mem leaves the host's
		# net.core socket memory sysctls alone.
		ip netns exec "$vmns" timeout $((UDP_SECS + 60)) trafgen --dev "${VMDEV[$s]}" --cpus 1 --no-sock-mem \
			--num 0 --conf "$GEN_CFG" >"$tmp/$tag.gen.out" 2>&1 &
	fi
	gen=$!
	PIDS+=("$gen")
	fg sleep 2
	kill -0 "$gen" 2>/dev/null ||
		{ cat "$tmp/$tag.gen.out" "$tmp/$tag.client.err" 2>/dev/null >&2; die "$s: the $GEN generator exited at once"; }
	u0=$(udp_in "$outns"); d0=$(devstat "$outns" "${OUTDEV[$s]}"); x0=$(devstat "$vmns" "${VMDEV[$s]}")
	c0=$(cpu_ticks "$pid"); t0=$(now)
	fg sleep "$UDP_SECS"
	u1=$(udp_in "$outns"); d1=$(devstat "$outns" "${OUTDEV[$s]}"); x1=$(devstat "$vmns" "${VMDEV[$s]}")
	c1=$(cpu_ticks "$pid"); t1=$(now)
	kill -0 "$gen" 2>/dev/null || log "$s: WARNING: the generator stopped during the window"
	stopgen "$gen" "$vmns"
	[[ $GEN == iperf3 ]] && wait_server
	local secs kpps offered rxdev cpu="" us
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	read -r kpps offered rxdev < <(awk -v u0="$u0" -v u1="$u1" -v d0="$d0" -v d1="$d1" -v x0="$x0" -v x1="$x1" \
		-v s="$secs" 'BEGIN {split(d0, a, " "); split(d1, b, " "); split(x0, c, " "); split(x1, d, " ")
		printf "%.1f %.1f %.1f\n", (u1 - u0) / s / 1e3, (d[2] - c[2] + d[3] - c[3]) / s / 1e3, (b[1] - a[1]) / s / 1e3}')
	UDP[$s]+="$kpps "; OFFERED[$s]+="$offered "; RXDEV[$s]+="$rxdev "
	if [[ -n $pid ]]; then
		cpu=$(cpu_pct $((c1 - c0)) "$secs")
		UDPCPU[$s]+="$cpu "
		# CPU microseconds of the forwarding process per frame delivered: less
		# sensitive than kpps to other load on the machine.
		us=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v k="$kpps" -v s="$secs" \
			'BEGIN {if (k > 0) printf "%.2f", (t / hz) / (k * 1000 * s) * 1e6; else print "nan"}')
		UDPUS[$s]+="$us "
		cpu=", $s process CPU $cpu% ($us us/frame)"
	fi
	log "$s run $r/$RUNS: UDP $kpps kpps delivered to the outside host's UDP over ${secs}s" \
		"(offered $offered kpps by $GEN, $rxdev kpps onto its interface)$cpu"
}

# ---------------------------------------------------------------- neutrino

NEUTRINO="" NEUTRINO_WRAPPER="" SOCK="$tmp/neutrino.sock"
setup_neutrino() {
	local bin=${NEUTRINO_BIN:-}
	if [[ -z $bin ]]; then
		log "neutrino: building ./cmd/neutrino"
		fg sh -c 'cd "$1" && CGO_ENABLED=0 exec timeout 600 "$3" build -o "$2" ./cmd/neutrino' \
			sh "$REPO" "$tmp/neutrino" "$GO" || die "neutrino: go build ./cmd/neutrino failed"
		bin="$tmp/neutrino"
	fi
	[[ -x $bin ]] || die "$bin is not an executable"
	NEUTRINO=$bin
	timeout 10 "$NEUTRINO" check "$TOPO" >"$tmp/check.out" 2>&1 ||
		{ cat "$tmp/check.out" >&2; die "neutrino: $TOPO does not load (no routers in this neutrino?)"; }
	local flags=()
	if [[ -n $PROFILE ]]; then
		timeout 10 "$NEUTRINO" run -h 2>&1 | grep -q -- '-cpuprofile' || die "--cpuprofile: this neutrino has no run --cpuprofile"
		flags=(--cpuprofile "$tmp/neutrino.cpuprofile")
	fi
	local sw="$NSP-nsw" vm="$NSP-nvm" out="$NSP-nout"
	addns "$sw"; addns "$vm"; addns "$out"
	# neutrino runs in its own namespace, so its TAP devices appear there;
	# its control socket and state directory are private to this run.
	ip netns exec "$sw" timeout "$BUDGET" "$NEUTRINO" run --socket "$SOCK" --state-dir "$tmp/neutrino-state" \
		"${flags[@]}" "$TOPO" >"$tmp/neutrino.log" 2>&1 &
	NEUTRINO_WRAPPER=$!
	PIDS+=("$NEUTRINO_WRAPPER")
	local i
	for i in $(seq 200); do
		if ! kill -0 "$NEUTRINO_WRAPPER" 2>/dev/null; then
			sed 's/^/  neutrino: /' "$tmp/neutrino.log" >&2
			die "neutrino: the process exited before its TAP devices appeared (log above)"
		fi
		ip -n "$sw" link show tapvm1 >/dev/null 2>&1 && ip -n "$sw" link show tapout >/dev/null 2>&1 && break
		((i < 200)) || die "neutrino: tapvm1 and tapout did not appear in $sw within 20 s"
		sleep 0.1
	done
	PROC[neutrino]=$(pgrep -P "$NEUTRINO_WRAPPER" | head -1) || true
	[[ -n ${PROC[neutrino]} ]] || { cat "$tmp/neutrino.log" >&2; die "neutrino: process not found"; }
	timeout 10 ip -n "$sw" link set tapvm1 netns "$vm"
	timeout 10 ip -n "$sw" link set tapout netns "$out"
	host_up "$vm" tapvm1 "$VM_IP/24" "$QR_IP"
	host_up "$out" tapout "$OUT_IP/24"
	outside_strict "$out" tapout
	VMNS[neutrino]=$vm OUTNS[neutrino]=$out VMDEV[neutrino]=tapvm1 OUTDEV[neutrino]=tapout
	log "neutrino: pid ${PROC[neutrino]}; tapvm1 $(link_info "$vm" tapvm1); tapout $(link_info "$out" tapout)"
}

neutrino_show() { # neutrino_show FILE ARGS...: a show command's output into FILE
	local f=$1
	shift
	timeout 10 "$NEUTRINO" show --socket "$SOCK" "$@" >"$f" 2>&1 || true
}

stop_neutrino() {
	[[ -n $NEUTRINO_WRAPPER ]] || return 0
	kill -0 "${PROC[neutrino]}" 2>/dev/null || log "neutrino: WARNING: the process died during the run"
	neutrino_show "$tmp/neutrino.counters" counters
	neutrino_show "$tmp/neutrino.routers" routers
	neutrino_show "$tmp/neutrino.conntrack" conntrack
	# A CPU profile is written when the process stops: give it time.
	stoppid "$NEUTRINO_WRAPPER" 20
	NEUTRINO_WRAPPER=""
	if [[ -n $PROFILE ]]; then
		if [[ -s $tmp/neutrino.cpuprofile ]]; then
			cp "$tmp/neutrino.cpuprofile" "$PROFILE" && log "neutrino: CPU profile in $PROFILE"
		else
			log "neutrino: WARNING: no CPU profile was written"
		fi
	fi
}

# ---------------------------------------------------------------- Linux qrouter

QR_DEV="qr-${ID}c1e7-5a" QG_DEV="qg-${ID}b2f0-9d" # Neutron's device names: prefix + 11 characters

# The rules Neutron's L3 agent writes into a legacy router's namespace
# (iptables_manager, wrap name neutron-l3-agent) for a router with a gateway,
# enable_snat and one floating IP, in iptables-save form.
qrouter_rules() {
	cat <<EOF
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-PREROUTING - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:neutron-l3-agent-FORWARD - [0:0]
:neutron-l3-agent-INPUT - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-float-snat - [0:0]
:neutron-l3-agent-floatingip - [0:0]
:neutron-l3-agent-mark - [0:0]
:neutron-l3-agent-scope - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A INPUT -j neutron-l3-agent-INPUT
-A FORWARD -j neutron-l3-agent-FORWARD
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A neutron-l3-agent-POSTROUTING -o $QG_DEV -m connmark --mark 0x0/0xffff0000 -j CONNMARK --save-mark --nfmask 0xffff0000 --ctmask 0xffff0000
-A neutron-l3-agent-PREROUTING -j neutron-l3-agent-mark
-A neutron-l3-agent-PREROUTING -j neutron-l3-agent-scope
-A neutron-l3-agent-PREROUTING -m connmark ! --mark 0x0/0xffff0000 -j CONNMARK --restore-mark --nfmask 0xffff0000 --ctmask 0xffff0000
-A neutron-l3-agent-PREROUTING -j neutron-l3-agent-floatingip
-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xffff
-A neutron-l3-agent-float-snat -m connmark --mark 0x0/0xffff0000 -j CONNMARK --save-mark --nfmask 0xffff0000 --ctmask 0xffff0000
-A neutron-l3-agent-mark -i $QG_DEV -j MARK --set-xmark 0x2/0xffff
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-float-snat - [0:0]
:neutron-l3-agent-snat - [0:0]
:neutron-postrouting-bottom - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A POSTROUTING -j neutron-postrouting-bottom
-A neutron-l3-agent-OUTPUT -d $FIP/32 -j DNAT --to-destination $FIXED2_IP
-A neutron-l3-agent-POSTROUTING ! -i $QG_DEV ! -o $QG_DEV -m conntrack ! --ctstate DNAT -j ACCEPT
-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -i qr-+ -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A neutron-l3-agent-PREROUTING -d $FIP/32 -j DNAT --to-destination $FIXED2_IP
-A neutron-l3-agent-float-snat -s $FIXED2_IP/32 -j SNAT --to-source $FIP --random-fully
-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
-A neutron-l3-agent-snat -o $QG_DEV -j SNAT --to-source $GW_IP --random-fully
-A neutron-l3-agent-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source $GW_IP --random-fully
-A neutron-postrouting-bottom -m comment --comment "Perform source NAT on outgoing traffic." -j neutron-l3-agent-snat
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:neutron-filter-top - [0:0]
:neutron-l3-agent-FORWARD - [0:0]
:neutron-l3-agent-INPUT - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-local - [0:0]
:neutron-l3-agent-scope - [0:0]
-A INPUT -j neutron-l3-agent-INPUT
-A FORWARD -j neutron-filter-top
-A FORWARD -j neutron-l3-agent-FORWARD
-A OUTPUT -j neutron-filter-top
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A neutron-filter-top -j neutron-l3-agent-local
-A neutron-l3-agent-FORWARD -j neutron-l3-agent-scope
-A neutron-l3-agent-INPUT -m mark --mark 0x1/0xffff -j ACCEPT
-A neutron-l3-agent-INPUT -p tcp -m tcp --dport 9697 -j DROP
COMMIT
EOF
}

setup_linux() {
	local qr="$NSP-lqr" vm="$NSP-lvm" out="$NSP-lout"
	addns "$qr"; addns "$vm"; addns "$out"
	# The L3 agent's namespace settings.
	ip netns exec "$qr" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 >/dev/null
	# qr- and qg- are OVS internal ports on br-int and br-ex for Neutron; here
	# veths whose peers are the VM's and the outside host's interfaces.
	timeout 10 ip -n "$qr" link add "$QR_DEV" address "$QR_MAC" type veth peer name eth0 address "$VM_MAC" netns "$vm"
	timeout 10 ip -n "$qr" link add "$QG_DEV" address "$QG_MAC" type veth peer name eth0 address "$OUT_MAC" netns "$out"
	timeout 10 ip -n "$qr" addr add "$QR_IP/24" dev "$QR_DEV"
	timeout 10 ip -n "$qr" addr add "$GW_IP/24" dev "$QG_DEV"
	timeout 10 ip -n "$qr" addr add "$FIP/32" dev "$QG_DEV" # the agent puts floating IPs on qg as /32
	timeout 10 ip -n "$qr" link set "$QR_DEV" up
	timeout 10 ip -n "$qr" link set "$QG_DEV" up
	timeout 10 ip -n "$qr" route add default via "$EXT_GW" dev "$QG_DEV" onlink
	qrouter_rules >"$tmp/qrouter.rules"
	ip netns exec "$qr" "iptables-$IPT-restore" <"$tmp/qrouter.rules" 2>"$tmp/qrouter.rules.err" ||
		{ cat "$tmp/qrouter.rules.err" >&2; die "linux: iptables-$IPT-restore refused the L3 agent's rules"; }
	host_up "$vm" eth0 "$VM_IP/24" "$QR_IP"
	host_up "$out" eth0 "$OUT_IP/24"
	outside_strict "$out" eth0
	VMNS[linux]=$vm OUTNS[linux]=$out VMDEV[linux]=eth0 OUTDEV[linux]=eth0 PROC[linux]=""
	LINUX_NS=$qr
	log "linux: qrouter $qr ($QR_DEV, $QG_DEV, iptables-$IPT); VM eth0 $(link_info "$vm" eth0)"
}
LINUX_NS=""
dump_linux() {
	[[ -n $LINUX_NS ]] || return 0
	ip netns exec "$LINUX_NS" "iptables-$IPT-save" -c >"$tmp/qrouter.rules.counters" 2>&1 || true
	ip netns exec "$LINUX_NS" cat /proc/sys/net/netfilter/nf_conntrack_count >"$tmp/qrouter.conntrack_count" 2>&1 || true
}

# ---------------------------------------------------------------- OVS

OVS_NS="" OVS_DIR="" OVS_DB_WRAPPER="" OVS_VSD_WRAPPER="" OVS_BR="nbr$ID"
vsctl() { timeout 30 ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=20 "$@"; }
ofctl() { timeout 30 ovs-ofctl "$@"; }
appctl() { timeout 30 ovs-appctl --target="$OVS_DIR/run/ovs-vswitchd.ctl" "$@"; }

ovs_env() { env OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" OVS_LOGDIR="$OVS_DIR/log" OVS_SYSCONFDIR="$OVS_DIR/etc" "$@"; }

hexmac() { echo "0x${1//:/}"; }
hexip() { local IFS=.; set -- $1; printf '0x%02x%02x%02x%02x' "$1" "$2" "$3" "$4"; }

# The flows of a router with SNAT in OpenFlow (port 1: the VM, port 2: the
# outside host). ARP answers for the router's addresses; the router's
# neighbours are static (the MACs in the rewrite actions).
ovs_flows() {
	local arp='move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:%s,load:0x2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],load:%s->NXM_NX_ARP_SHA[],load:%s->NXM_OF_ARP_SPA[],in_port'
	local to_out="mod_dl_src:$QG_MAC,mod_dl_dst:$OUT_MAC,dec_ttl,output:2"
	local to_vm="mod_dl_src:$QR_MAC,mod_dl_dst:$VM_MAC,dec_ttl,output:1"
	printf "table=0,priority=300,arp,in_port=1,arp_op=1,arp_tpa=$QR_IP,actions=$arp\n" "$QR_MAC" "$(hexmac "$QR_MAC")" "$(hexip "$QR_IP")"
	printf "table=0,priority=300,arp,in_port=2,arp_op=1,arp_tpa=$GW_IP,actions=$arp\n" "$QG_MAC" "$(hexmac "$QG_MAC")" "$(hexip "$GW_IP")"
	cat <<EOF
table=0,priority=200,ip,in_port=1,dl_dst=$QR_MAC,nw_dst=203.0.113.0/24,actions=ct(zone=1,nat,table=1)
table=0,priority=200,ip,in_port=2,dl_dst=$QG_MAC,nw_dst=$GW_IP,actions=ct(zone=1,nat,table=2)
table=0,priority=0,actions=drop
table=1,priority=100,ct_state=+new+trk,ip,actions=ct(commit,zone=1,nat(src=$GW_IP)),$to_out
table=1,priority=100,ct_state=+est+trk,ip,actions=$to_out
table=1,priority=0,actions=drop
table=2,priority=100,ct_state=+est+trk,ip,actions=$to_vm
table=2,priority=100,ct_state=+rel+trk,ip,actions=$to_vm
table=2,priority=0,actions=drop
EOF
}

setup_ovs() {
	OVS_NS="$NSP-ovs"
	OVS_DIR="$tmp/ovs"
	local vm="$NSP-ovm" out="$NSP-oout" va="nbo${ID}v" oa="nbo${ID}o"
	mkdir -p "$OVS_DIR"/{run,db,log,etc}
	addns "$OVS_NS"; addns "$vm"; addns "$out"
	timeout 10 ovsdb-tool create "$OVS_DIR/db/conf.db" "$OVS_SCHEMA"
	# Private database, sockets, pid files and logs: the system's OVS, if
	# any, is neither used nor touched.
	ip netns exec "$OVS_NS" timeout "$BUDGET" env OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" \
		OVS_LOGDIR="$OVS_DIR/log" OVS_SYSCONFDIR="$OVS_DIR/etc" \
		ovsdb-server "$OVS_DIR/db/conf.db" --remote="punix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/run/ovsdb-server.pid" --unixctl="$OVS_DIR/run/ovsdb-server.ctl" \
		--log-file="$OVS_DIR/log/ovsdb-server.log" --no-chdir \
		>"$OVS_DIR/log/ovsdb-server.out" 2>&1 &
	OVS_DB_WRAPPER=$!
	PIDS+=("$OVS_DB_WRAPPER")
	waitfor 20 "ovsdb-server ($OVS_DIR/db.sock)" test -S "$OVS_DIR/db.sock"
	vsctl --no-wait init
	ip netns exec "$OVS_NS" timeout "$BUDGET" env OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" \
		OVS_LOGDIR="$OVS_DIR/log" OVS_SYSCONFDIR="$OVS_DIR/etc" \
		ovs-vswitchd "unix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/run/ovs-vswitchd.pid" --unixctl="$OVS_DIR/run/ovs-vswitchd.ctl" \
		--log-file="$OVS_DIR/log/ovs-vswitchd.log" --no-chdir \
		>"$OVS_DIR/log/ovs-vswitchd.out" 2>&1 &
	OVS_VSD_WRAPPER=$!
	PIDS+=("$OVS_VSD_WRAPPER")
	waitfor 20 "ovs-vswitchd's control socket" test -S "$OVS_DIR/run/ovs-vswitchd.ctl"
	PROC[ovs]=$(cat "$OVS_DIR/run/ovs-vswitchd.pid" 2>/dev/null || true)
	vsctl add-br "$OVS_BR" -- set bridge "$OVS_BR" datapath_type=netdev fail_mode=secure \
		-- add-port "$OVS_BR" "$va" -- set interface "$va" type=tap ofport_request=1 \
		-- add-port "$OVS_BR" "$oa" -- set interface "$oa" type=tap ofport_request=2
	ovs_flows >"$tmp/ovs.flows"
	ofctl add-flows "unix:$OVS_DIR/run/$OVS_BR.mgmt" "$tmp/ovs.flows" 2>"$tmp/ovs.flows.err" ||
		{ cat "$tmp/ovs.flows.err" >&2; die "ovs: ovs-ofctl add-flows refused the flows"; }
	# The TAP devices ovs-vswitchd created, moved into the hosts' namespaces.
	waitfor 20 "OVS tap devices in $OVS_NS" sh -c "ip -n '$OVS_NS' link show '$va' && ip -n '$OVS_NS' link show '$oa'"
	timeout 10 ip -n "$OVS_NS" link set "$va" netns "$vm"
	timeout 10 ip -n "$OVS_NS" link set "$oa" netns "$out"
	timeout 10 ip -n "$vm" link set "$va" address "$VM_MAC"
	timeout 10 ip -n "$out" link set "$oa" address "$OUT_MAC"
	host_up "$vm" "$va" "$VM_IP/24" "$QR_IP"
	host_up "$out" "$oa" "$OUT_IP/24"
	outside_strict "$out" "$oa"
	VMNS[ovs]=$vm OUTNS[ovs]=$out VMDEV[ovs]=$va OUTDEV[ovs]=$oa
	log "ovs: pid ${PROC[ovs]}, bridge $OVS_BR (netdev); $va $(link_info "$vm" "$va")"
}

dump_ovs() {
	[[ -n $OVS_DIR && -S $OVS_DIR/run/ovs-vswitchd.ctl ]] || return 0
	ofctl dump-flows "unix:$OVS_DIR/run/$OVS_BR.mgmt" >"$tmp/ovs.dump-flows" 2>&1 || true
	appctl dpctl/dump-conntrack >"$tmp/ovs.conntrack" 2>&1 || true
	appctl dpif/show >"$tmp/ovs.dpif-show" 2>&1 || true
	appctl coverage/show >"$tmp/ovs.coverage" 2>&1 || true
}

stop_ovs() {
	[[ -n $OVS_VSD_WRAPPER ]] || return 0
	dump_ovs
	stoppid "$OVS_VSD_WRAPPER"
	stoppid "$OVS_DB_WRAPPER"
	OVS_VSD_WRAPPER=""
}

# ---------------------------------------------------------------- main

log "run $ID: setups ${SETUPS[*]}; ${RUNS} run(s); TCP ${DURATION}s; UDP ${UDP_SECS}s window, $GEN," \
	"payload ${UDP_LEN} B (frame $((UDP_LEN + 42)) B, $((UDP_LEN + 46)) B with FCS); JSON via $JSON"
if [[ $GEN == trafgen ]]; then
	printf '{ eth(da=%s, sa=%s, type=0x0800), ipv4(saddr=%s, daddr=%s, ttl=64), udp(sp=40000, dp=9), fill(0x00, %d) }\n' \
		"$QR_MAC" "$VM_MAC" "$VM_IP" "$OUT_IP" "$UDP_LEN" >"$GEN_CFG"
fi
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
want neutrino && setup_neutrino
want linux && setup_linux
want ovs && setup_ovs
for s in "${SETUPS[@]}"; do check_path "$s"; done

for ((r = 1; r <= RUNS; r++)); do
	for s in "${SETUPS[@]}"; do tcp_test "$s" "$r"; done
	for s in "${SETUPS[@]}"; do udp_test "$s" "$r"; done
done

LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
want linux && dump_linux
want ovs && stop_ovs
want neutrino && stop_neutrino

# ---------------------------------------------------------------- report

echo
echo "neutrino router benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs, ${RUNS} run(s)$( ((RUNS > 1)) && echo ', medians')"
echo "load average (1, 5, 15 min) at the start: $LOAD0, at the end: $LOAD1"
echo "VM $VM_IP -> outside $OUT_IP through SNAT to $GW_IP; iperf3 $(iperf3 --version | awk 'NR==1 {print $2}')"
echo "TCP: one stream, ${DURATION}s, Gb/s received.  UDP: $GEN, frames of $((UDP_LEN + 42)) B ($((UDP_LEN + 46)) B with FCS),"
echo "     kpps delivered to the outside host's UDP over a ${UDP_SECS}s window"
echo
declare -A MT MU
printf '%-9s %9s %9s %9s %9s %9s %9s %9s\n' setup "TCP Gb/s" "UDP kpps" "offered" "onto dev" "CPU TCP" "CPU UDP" "us/frame"
for s in "${SETUPS[@]}"; do
	MT[$s]=$(med "${TCP[$s]}")
	MU[$s]=$(med "${UDP[$s]}")
	ct="-" cu="-" uf="-"
	[[ -n ${TCPCPU[$s]:-} ]] && ct=$(printf '%.0f%%' "$(med "${TCPCPU[$s]}")")
	[[ -n ${UDPCPU[$s]:-} ]] && cu=$(printf '%.0f%%' "$(med "${UDPCPU[$s]}")")
	[[ -n ${UDPUS[$s]:-} ]] && uf=$(printf '%.2f' "$(med "${UDPUS[$s]}")")
	printf '%-9s %9.2f %9.1f %9.1f %9.1f %9s %9s %9s\n' "$s" "${MT[$s]}" "${MU[$s]}" "$(med "${OFFERED[$s]}")" \
		"$(med "${RXDEV[$s]}")" "$ct" "$cu" "$uf"
done
if want neutrino && ((${#SETUPS[@]} > 1)); then
	echo
	printf '%-16s %8s %8s   %s\n' ratio TCP UDP "target"
	want linux && printf '%-16s %8s %8s   %s\n' neutrino/linux "$(ratio "${MT[neutrino]}" "${MT[linux]}")" \
		"$(ratio "${MU[neutrino]}" "${MU[linux]}")" "TCP >= 0.7"
	want ovs && printf '%-16s %8s %8s   %s\n' neutrino/ovs "$(ratio "${MT[neutrino]}" "${MT[ovs]}")" \
		"$(ratio "${MU[neutrino]}" "${MU[ovs]}")" "UDP >= 1.0"
fi
if ((RUNS > 1)); then
	echo
	echo "each run (TCP Gb/s | UDP kpps):"
	for s in "${SETUPS[@]}"; do
		printf '  %-9s %s | %s\n' "$s" "${TCP[$s]% }" "${UDP[$s]% }"
	done
fi
echo
echo "offered: kpps the generator handed to the VM's interface (tx_packets + tx_dropped); onto dev: kpps"
echo "written onto the outside host's interface (its rx_packets); CPU: the neutrino or ovs-vswitchd"
echo "process, user+system, all threads, % of one CPU (the Linux qrouter forwards in softirq, not counted);"
echo "us/frame: that CPU time per UDP frame delivered (it includes the outside host's receive path, which"
echo "runs in the forwarding process's writes to the TAP device)."
if want neutrino && [[ -s $tmp/neutrino.counters ]]; then
	echo
	echo "neutrino show counters, at the end:"
	sed 's/^/  /' "$tmp/neutrino.counters"
fi
