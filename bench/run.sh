#!/usr/bin/env bash
# bench/run.sh: neutrino vs Linux bridge vs Open vSwitch (userspace datapath),
# TCP single-stream throughput and 64-byte UDP packet rate between two
# network namespaces. See bench/README.md. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/run.sh [--only LIST] [--runs N] [--duration SECONDS]
                         [--udp-len BYTES] [--keep DIR] [-h|--help]

Measures, between two network namespaces, for each setup:
  neutrino   bench/tap-topology.yaml: ports vm1/vm2 as TAP devices (tapvm1, tapvm2)
  bridge     a Linux bridge over two veth pairs
  ovs        Open vSwitch userspace datapath (datapath_type=netdev), TAP
             ports (type=tap), OVS defaults
  ovs-tso    the same with other_config:userspace-tso-enable=true
             (ovs-vswitchd restarted after setting it)
  - iperf3 TCP, one stream, Gb/s (client's end.sum_received)
  - iperf3 UDP, -b 0, payload BYTES (default 18: 18+8 UDP+20 IP+14 Ethernet
    = 60-byte frame, 64 bytes with FCS), delivered kpps = (packets -
    lost_packets) / seconds from the server's JSON
then prints a table with neutrino's ratio to each other setup, and neutrino's
idle RSS right after start (VmRSS).

Options:
  --only LIST       comma-separated subset of neutrino,bridge,ovs,ovs-tso
                    (default: all four)
  --runs N          repeat each measurement N times, report medians (default 1)
  --duration S      seconds per iperf3 test (default $DURATION or 10)
  --udp-len BYTES   UDP payload size (iperf3 -l), default 18
  --keep DIR        copy raw iperf3 JSON and daemon logs to DIR at the end
Environment: DURATION (same as --duration), RUNS (same as --runs),
  NEUTRINO_BIN (use this binary instead of building ./cmd/neutrino),
  OVS_SCHEMA (default /usr/share/openvswitch/vswitch.ovsschema).
EOF
}

DURATION=${DURATION:-10}
RUNS=${RUNS:-1}
UDP_LEN=18
ONLY="neutrino,bridge,ovs,ovs-tso"
KEEP=""
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
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "run.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer, got '$DURATION'"
[[ $UDP_LEN =~ ^[0-9]+$ ]] && ((UDP_LEN >= 16 && UDP_LEN <= 1472)) ||
	die "--udp-len must be 16..1472, got '$UDP_LEN'"

pick "$ONLY" setup neutrino bridge ovs ovs-tso
SETUPS=("${PICKED[@]}")
want() { [[ " ${SETUPS[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- checks

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TAP devices, OVS): run it with sudo"

need ip iproute2
need ss iproute2
need timeout coreutils
need iperf3 iperf3
need awk mawk
if want ovs || want ovs-tso; then
	need ovsdb-tool openvswitch-common
	need ovsdb-server openvswitch-common
	need ovs-vsctl openvswitch-switch
	need ovs-vswitchd openvswitch-switch
	OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
	[[ -r $OVS_SCHEMA ]] || missing+=("$OVS_SCHEMA (Debian package: openvswitch-common)")
fi
if want neutrino && [[ -z ${NEUTRINO_BIN:-} ]]; then
	need go "the Go toolchain (golang-go, or the one in /usr/local/go)"
fi
need_json
exit_if_missing run.sh

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

# ---------------------------------------------------------------- state and cleanup

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n') # 4 hex digits
NSP="nbench-$ID"                                  # namespace prefix
tmp=$(mktemp -d -t "nbench-$ID.XXXXXX")
# Hard upper bound for every long-running process this script starts: they
# are wrapped in timeout(1) so that they die even if this script is SIGKILLed.
BUDGET=$(((${#SETUPS[@]} * RUNS * 2 * (DURATION + 20)) + 600))
KEEP_WHAT="raw results and logs"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- JSON

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

# ---------------------------------------------------------------- measurement

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}

declare -A TCP UDP # setup -> space-separated per-run values
HZ=$(getconf CLK_TCK)
declare -A TCPCPU UDPCPU # setup -> switch CPU per GB (TCP) / per frame (UDP), per run
SWITCH_PID="" # the userspace switch process measured (empty for the bridge)

cpu_ticks() { # user+system clock ticks of SWITCH_PID, all threads; 0 if none
	if [[ -n $SWITCH_PID && -r /proc/$SWITCH_PID/stat ]]; then
		awk '{print $14 + $15}' "/proc/$SWITCH_PID/stat"
	else
		echo 0
	fi
}

start_server() { # start_server NSB IP TAG: one-off iperf3 server, JSON to $tmp/TAG.server.json
	local nsb=$1 ipb=$2 tag=$3
	ip netns exec "$nsb" timeout $((DURATION + 60)) iperf3 -s -1 -J -B "$ipb" -p 5201 \
		>"$tmp/$tag.server.json" 2>"$tmp/$tag.server.err" &
	SERVER_PID=$!
	waitfor 10 "iperf3 server in $nsb" \
		sh -c "ip netns exec '$nsb' ss -Hltn 'sport = :5201' | grep -q ."
}

wait_server() { # the one-off server exits after writing its JSON
	for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
}

measure() { # measure SETUP NSA NSB: RUNS x (TCP, UDP) from NSA to 10.0.0.12 in NSB
	local setup=$1 nsa=$2 nsb=$3 ipb=10.0.0.12 r tag v
	# Reachability first: ARP and learning, and a clear error if it is broken.
	if ! fg ip netns exec "$nsa" timeout 15 ping -c 3 -i 0.2 -W 2 "$ipb" >"$tmp/$setup.ping" 2>&1; then
		cat "$tmp/$setup.ping" >&2
		die "$setup: 10.0.0.11 cannot ping $ipb"
	fi
	for ((r = 1; r <= RUNS; r++)); do
		tag="$setup.tcp.$r"
		start_server "$nsb" "$ipb" "$tag"
		c0=$(cpu_ticks)
		fg ip netns exec "$nsa" timeout $((DURATION + 30)) \
			iperf3 -c "$ipb" -p 5201 -t "$DURATION" -J >"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
		c1=$(cpu_ticks)
		wait_server
		v=$(json_tcp_gbps "$tmp/$tag.client.json") || die "$setup TCP run $r failed: $(cat "$tmp/$tag.client.err")"
		TCP[$setup]+="$v "
		cpu=""
		if [[ -n $SWITCH_PID ]]; then
			# CPU seconds of the switch per GB carried.
			cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v g="$v" -v d="$DURATION" 'BEGIN {printf "%.2f", (t/hz) / (g*d/8)}')
			TCPCPU[$setup]+="$cpu "
			cpu=", switch CPU $cpu s/GB"
		fi
		log "$setup run $r/$RUNS: TCP $v Gb/s$cpu"

		tag="$setup.udp.$r"
		start_server "$nsb" "$ipb" "$tag"
		c0=$(cpu_ticks)
		fg ip netns exec "$nsa" timeout $((DURATION + 30)) \
			iperf3 -c "$ipb" -p 5201 -u -b 0 -l "$UDP_LEN" -t "$DURATION" -J \
			>"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
		c1=$(cpu_ticks)
		wait_server
		v=$(json_udp_kpps "$tmp/$tag.server.json") ||
			die "$setup UDP run $r failed: $(cat "$tmp/$tag.server.err" "$tmp/$tag.client.err")"
		read -r kpps pk lost secs <<<"$v"
		UDP[$setup]+="$kpps "
		cpu=""
		if [[ -n $SWITCH_PID ]]; then
			# CPU microseconds of the switch per frame delivered.
			cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v k="$kpps" -v s="$secs" 'BEGIN {printf "%.2f", (t/hz) / (k*1000*s) * 1e6}')
			UDPCPU[$setup]+="$cpu "
			cpu=", switch CPU $cpu us/frame"
		fi
		log "$setup run $r/$RUNS: UDP $kpps kpps delivered ($pk sent, $lost lost, ${secs}s)$cpu"
	done
}

vm_addr() { # vm_addr NS DEV IP: bring a moved device up with its address
	timeout 10 ip -n "$1" addr add "$3/24" dev "$2"
	timeout 10 ip -n "$1" link set "$2" up
}

link_info() { # link_info NS DEV: "mac M, mtu N, tso on|off" for the report
	local mtu tso mac
	mtu=$(ip -n "$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	mac=$(ip -n "$1" -o link show dev "$2" | sed -n 's|.* link/ether \([0-9a-f:]*\).*|\1|p')
	tso=$(ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk '/^tcp-segmentation-offload:/ {print $2}') || true
	echo "mac ${mac:-?}, mtu ${mtu:-?}, tso ${tso:-?}"
}

# ---------------------------------------------------------------- setups

NEUTRINO_RSS=""
run_neutrino() {
	local bin=${NEUTRINO_BIN:-}
	if [[ -z $bin ]]; then
		log "neutrino: building ./cmd/neutrino"
		fg sh -c 'cd "$1" && exec timeout 600 go build -o "$2" ./cmd/neutrino' sh "$REPO" "$tmp/neutrino" ||
			die "neutrino: go build ./cmd/neutrino failed"
		bin="$tmp/neutrino"
	fi
	local sw="$NSP-sw" a="$NSP-na" b="$NSP-nb"
	addns "$sw"; addns "$a"; addns "$b"
	# neutrino runs in its own namespace, so its TAP devices appear there;
	# its control socket is private to this run.
	ip netns exec "$sw" timeout "$BUDGET" "$bin" run --socket "$tmp/neutrino.sock" \
		--state-dir "$tmp/neutrino-state" "$REPO/bench/tap-topology.yaml" \
		>"$tmp/neutrino.log" 2>&1 &
	local wrapper=$!
	PIDS+=("$wrapper")
	local i
	for i in $(seq 200); do
		if ! kill -0 "$wrapper" 2>/dev/null; then
			sed 's/^/  neutrino: /' "$tmp/neutrino.log" >&2
			die "neutrino: the process exited before its TAP devices appeared (log above)"
		fi
		ip -n "$sw" link show tapvm1 >/dev/null 2>&1 && ip -n "$sw" link show tapvm2 >/dev/null 2>&1 && break
		((i < 200)) || die "neutrino: tapvm1 and tapvm2 did not appear in $sw within 20 s"
		sleep 0.1
	done
	local pid
	pid=$(pgrep -P "$wrapper" | head -1) || true
	[[ -n $pid ]] || { cat "$tmp/neutrino.log" >&2; die "neutrino: process not found"; }
	sleep 1
	NEUTRINO_RSS=$(awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$pid/status")
	log "neutrino: pid $pid, idle VmRSS $NEUTRINO_RSS MB"
	SWITCH_PID=$pid
	timeout 10 ip -n "$sw" link set tapvm1 netns "$a"
	timeout 10 ip -n "$sw" link set tapvm2 netns "$b"
	vm_addr "$a" tapvm1 10.0.0.11
	vm_addr "$b" tapvm2 10.0.0.12
	log "neutrino: tapvm1 $(link_info "$a" tapvm1); tapvm2 $(link_info "$b" tapvm2)"
	measure neutrino "$a" "$b"
	SWITCH_PID=""
	kill -0 "$pid" 2>/dev/null || log "neutrino: WARNING: the process died during the run"
	if [[ -S $tmp/neutrino.sock ]]; then
		timeout 10 "$bin" show --socket "$tmp/neutrino.sock" counters >"$tmp/neutrino.counters" 2>&1 || true
	fi
	stoppid "$wrapper"
	delns "$a" "$b" "$sw"
}

run_bridge() {
	local br="$NSP-br" a="$NSP-ba" b="$NSP-bb" brname="nbb$ID"
	addns "$br"; addns "$a"; addns "$b"
	timeout 10 ip -n "$br" link add "$brname" type bridge
	timeout 10 ip -n "$br" link set "$brname" up
	timeout 10 ip -n "$br" link add "nbb${ID}a" type veth peer name "nbv${ID}a" netns "$a"
	timeout 10 ip -n "$br" link add "nbb${ID}b" type veth peer name "nbv${ID}b" netns "$b"
	local side
	for side in a b; do
		timeout 10 ip -n "$br" link set "nbb${ID}$side" master "$brname"
		timeout 10 ip -n "$br" link set "nbb${ID}$side" up
	done
	vm_addr "$a" "nbv${ID}a" 10.0.0.11
	vm_addr "$b" "nbv${ID}b" 10.0.0.12
	log "bridge: nbv${ID}a $(link_info "$a" "nbv${ID}a")"
	measure bridge "$a" "$b"
	delns "$a" "$b" "$br"
}

OVS_NS="" OVS_DIR="" OVS_DB_WRAPPER="" OVS_VSD_WRAPPER=""
vsctl() { timeout 30 ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=20 "$@"; }

ovs_start_db() {
	OVS_NS="$NSP-ovs"
	OVS_DIR="$tmp/ovs"
	mkdir -p "$OVS_DIR"/{run,db,log,etc}
	addns "$OVS_NS"
	timeout 10 ovsdb-tool create "$OVS_DIR/db/conf.db" "$OVS_SCHEMA"
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
}

ovs_start_vswitchd() {
	ip netns exec "$OVS_NS" timeout "$BUDGET" env OVS_RUNDIR="$OVS_DIR/run" OVS_DBDIR="$OVS_DIR/db" \
		OVS_LOGDIR="$OVS_DIR/log" OVS_SYSCONFDIR="$OVS_DIR/etc" \
		ovs-vswitchd "unix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/run/ovs-vswitchd.pid" --unixctl="$OVS_DIR/run/ovs-vswitchd.ctl" \
		--log-file="$OVS_DIR/log/ovs-vswitchd.log" --no-chdir \
		>"$OVS_DIR/log/ovs-vswitchd.out" 2>&1 &
	OVS_VSD_WRAPPER=$!
	PIDS+=("$OVS_VSD_WRAPPER")
	waitfor 20 "ovs-vswitchd's control socket" test -S "$OVS_DIR/run/ovs-vswitchd.ctl"
	SWITCH_PID=$(cat "$OVS_DIR/run/ovs-vswitchd.pid" 2>/dev/null || true)
	# A no-op transaction that waits for ovs-vswitchd to apply the config.
	vsctl set Open_vSwitch . other_config:nbench-ready="$RANDOM"
}

# OVS's TAP ports, created by ovs-vswitchd in OVS_NS, moved into the VM namespaces.
ovs_taps() { # ovs_taps NSA NSB
	local a=$1 b=$2
	waitfor 20 "OVS tap devices in $OVS_NS" \
		sh -c "ip -n '$OVS_NS' link show 'nbo${ID}a' && ip -n '$OVS_NS' link show 'nbo${ID}b'"
	timeout 10 ip -n "$OVS_NS" link set "nbo${ID}a" netns "$a"
	timeout 10 ip -n "$OVS_NS" link set "nbo${ID}b" netns "$b"
	vm_addr "$a" "nbo${ID}a" 10.0.0.11
	vm_addr "$b" "nbo${ID}b" 10.0.0.12
}

run_ovs() { # run_ovs: ovs and/or ovs-tso, whichever is selected
	local a="$NSP-oa" b="$NSP-ob"
	ovs_start_db
	want ovs || vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
	ovs_start_vswitchd
	vsctl add-br "nbr$ID" -- set bridge "nbr$ID" datapath_type=netdev \
		-- add-port "nbr$ID" "nbo${ID}a" -- set interface "nbo${ID}a" type=tap \
		-- add-port "nbr$ID" "nbo${ID}b" -- set interface "nbo${ID}b" type=tap
	if want ovs; then
		addns "$a"; addns "$b"
		ovs_taps "$a" "$b"
		log "ovs: nbo${ID}a $(link_info "$a" "nbo${ID}a")"
		measure ovs "$a" "$b"
		delns "$a" "$b"
		if want ovs-tso; then
			# userspace-tso-enable is read at start: restart ovs-vswitchd.
			vsctl --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
			stoppid "$OVS_VSD_WRAPPER"
			rm -f "$OVS_DIR/run/ovs-vswitchd.ctl"
			ovs_start_vswitchd
		fi
	fi
	if want ovs-tso; then
		grep -q "Userspace TCP Segmentation Offloading support enabled" "$OVS_DIR/log/ovs-vswitchd.log" ||
			log "ovs-tso: WARNING: ovs-vswitchd did not log that userspace TSO is enabled"
		addns "$a"; addns "$b"
		ovs_taps "$a" "$b"
		log "ovs-tso: nbo${ID}a $(link_info "$a" "nbo${ID}a")"
		measure ovs-tso "$a" "$b"
		delns "$a" "$b"
	fi
	stoppid "$OVS_VSD_WRAPPER"
	SWITCH_PID=""
	stoppid "$OVS_DB_WRAPPER"
	delns "$OVS_NS"
}

# ---------------------------------------------------------------- main

log "run $ID: setups ${SETUPS[*]}; ${RUNS} run(s) x ${DURATION}s; UDP payload ${UDP_LEN} B" \
	"(Ethernet frame $((UDP_LEN + 42)) B + 4 B FCS = $((UDP_LEN + 46)) B); JSON via $JSON"
want neutrino && run_neutrino
want bridge && run_bridge
if want ovs || want ovs-tso; then run_ovs; fi

# ---------------------------------------------------------------- report

echo
echo "neutrino benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs"
echo "iperf3 $(iperf3 --version | awk 'NR==1 {print $2}'), ${DURATION}s per test, ${RUNS} run(s)$( ((RUNS > 1)) && echo ', medians')"
echo "TCP: one stream, Gb/s received.  UDP: -b 0 -l ${UDP_LEN} (Ethernet frame $((UDP_LEN + 42)) B, $((UDP_LEN + 46)) B with FCS),"
echo "     kpps delivered to the server = (packets - lost) / seconds"
echo
declare -A MT MU
printf '%-10s %10s %10s' setup "TCP Gb/s" "UDP kpps"
((RUNS > 1)) && printf '   %-28s %s' "TCP runs" "UDP runs"
echo
for s in "${SETUPS[@]}"; do
	MT[$s]=$(tr ' ' '\n' <<<"${TCP[$s]}" | grep . | median)
	MU[$s]=$(tr ' ' '\n' <<<"${UDP[$s]}" | grep . | median)
	printf '%-10s %10.2f %10.1f' "$s" "${MT[$s]}" "${MU[$s]}"
	((RUNS > 1)) && printf '   %-28s %s' "${TCP[$s]% }" "${UDP[$s]% }"
	echo
done
if want neutrino && ((${#SETUPS[@]} > 1)); then
	echo
	printf '%-20s %10s %10s\n' ratio "TCP" "UDP"
	ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else printf "n/a"}'; }
	for s in "${SETUPS[@]}"; do
		[[ $s == neutrino ]] && continue
		printf '%-20s %10s %10s\n' "neutrino/$s" "$(ratio "${MT[neutrino]}" "${MT[$s]}")" "$(ratio "${MU[neutrino]}" "${MU[$s]}")"
	done
fi
cpu_rows=""
for s in "${SETUPS[@]}"; do
	[[ -n ${TCPCPU[$s]:-} ]] || continue
	cpu_rows+=$(printf '%-10s %12s %14s' "$s" \
		"$(tr ' ' '\n' <<<"${TCPCPU[$s]}" | grep . | median)" "$(tr ' ' '\n' <<<"${UDPCPU[$s]}" | grep . | median)")$'\n'
done
if [[ -n $cpu_rows ]]; then
	echo
	echo "CPU of the switch process itself (user+system, all threads; the kernel bridge has none):"
	printf '%-10s %12s %14s\n' setup "TCP s/GB" "UDP us/frame"
	printf '%s' "$cpu_rows"
fi
if want neutrino; then
	echo
	echo "neutrino idle RSS (VmRSS right after start, bench/tap-topology.yaml): ${NEUTRINO_RSS} MB"
	if [[ -s $tmp/neutrino.counters ]]; then
		echo
		echo "neutrino show counters, after its tests:"
		sed 's/^/  /' "$tmp/neutrino.counters"
	fi
fi
