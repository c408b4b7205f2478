#!/usr/bin/env bash
# bench/secgroups.sh: two VM ports on one network, with stateful security
# groups ("filtered") and with port security off ("unfiltered"), in one run:
# TCP single stream and 64-byte UDP packet rate, and the ratio
# filtered/unfiltered. See bench/README.md. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/secgroups.sh [--runs N] [--duration SECONDS] [--udp-len BYTES]
                               [--only LIST] [--keep DIR] [-h|--help]

Two neutrino nodes, each in a namespace of its own, each with the network of
bench/secgroups-topology.yaml: ports vm1 (10.0.0.11) and vm2 (10.0.0.12) as
TAP devices moved into two namespaces:
  filtered    the topology as it is: both ports with port security and the
              stateful groups default and bench-iperf3 (filtered on egress
              before br-int and on ingress before the device, a conntrack
              zone per port)
  unfiltered  the same topology with port_security: false on both ports (no
              groups): nothing is filtered
and measures for each, vm1 -> vm2:
  - TCP: iperf3, one stream, -t DURATION, Gb/s (client's end.sum_received),
    and the sender's retransmissions
  - UDP: iperf3 -u -b 0 -l BYTES (default 18: 18 + 8 + 20 + 14 = a 60-byte
    frame, 64 with the FCS), kpps delivered = (packets - lost) / seconds from
    the server's JSON
with the setups alternated run by run (filtered first in odd runs, unfiltered
first in even ones), then prints medians, each run's values, the ratios
filtered/unfiltered (target: TCP >= 0.9), the filtered node's security group
counters and the drops of both nodes during the tests.

Options:
  --runs N          repetitions, medians reported (default $RUNS or 3)
  --duration S      seconds per test (default $DURATION or 10)
  --udp-len BYTES   UDP payload (default 18)
  --only LIST       comma-separated subset of filtered,unfiltered (default both;
                    the ratios need both)
  --keep DIR        copy iperf3 JSON, counters, show security-groups, logs to DIR
Environment: DURATION, RUNS (same as the options), NEUTRINO_BIN (use this
  binary instead of building ./cmd/neutrino).
EOF
}

DURATION=${DURATION:-10}
RUNS=${RUNS:-3}
UDP_LEN=18
ONLY="filtered,unfiltered"
KEEP=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--udp-len) UDP_LEN=${2:?--udp-len needs bytes}; shift 2 ;;
	--udp-len=*) UDP_LEN=${1#*=}; shift ;;
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "secgroups.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "secgroups.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer, got '$DURATION'"
[[ $UDP_LEN =~ ^[0-9]+$ ]] && ((UDP_LEN >= 16 && UDP_LEN <= 1472)) ||
	die "--udp-len must be 16..1472, got '$UDP_LEN'"

pick "$ONLY" setup filtered unfiltered
SETUPS=("${PICKED[@]}")
want() { [[ " ${SETUPS[*]} " == *" $1 "* ]]; }

# ---------------------------------------------------------------- checks

[[ $(id -u) -eq 0 ]] || die "needs root (network namespaces, TAP devices): run it with sudo"

need ip iproute2
need ss iproute2
need timeout coreutils
need awk mawk
need pgrep procps
need iperf3 iperf3
GO=""
[[ -z ${NEUTRINO_BIN:-} ]] && need_go
need_json
exit_if_missing secgroups.sh

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOPO="$REPO/bench/secgroups-topology.yaml"
[[ -r $TOPO ]] || die "no topology $TOPO"

# ---------------------------------------------------------------- state and cleanup

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n') # 4 hex digits
NSP="nbsg-$ID"                                    # namespace prefix
tmp=$(mktemp -d -t "nbsg-$ID.XXXXXX")
# Hard upper bound for every long-running process this script starts: they
# are wrapped in timeout(1) so that they die even if this script is SIGKILLed.
BUDGET=$((RUNS * ${#SETUPS[@]} * 2 * (DURATION + 30) + 600))
KEEP_WHAT="raw results, counters and logs"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

A_IP=10.0.0.11 B_IP=10.0.0.12
declare -A ANS BNS SOCK PROC WRAPPER TOPOS # setup -> namespaces, control socket, process
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------- JSON

json_tcp() { # FILE: iperf3 client JSON -> "Gb/s retransmits"
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
if "error" in d: sys.exit("iperf3: "+d["error"])
e=d["end"]
print("%.3f %d" % (e["sum_received"]["bits_per_second"]/1e9, e["sum_sent"].get("retransmits", 0)))' "$1"
	else
		jq -er 'if .error then error("iperf3: "+.error) else
			"\(.end.sum_received.bits_per_second/1e9) \(.end.sum_sent.retransmits // 0)" end' "$1" |
			awk '{printf "%.3f %d\n", $1, $2}'
	fi
}

json_udp() { # FILE: iperf3 server JSON -> "kpps sent lost seconds"
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

# json_drops FILE: neutrino show --json counters -> one "KEY COUNT" line per
# counter that says a frame was lost: "STAGE/REASON N" for the drops per
# stage, "PORT:rx_drops N", "PORT:tx_drops N" and "PORT:link.NAME N" for
# the link's rx_dropped and tx_errors.
json_drops() {
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for st, rs in sorted((d.get("stages") or {}).items()):
    for r, n in sorted(rs.items()): print("%s/%s %d" % (st, r, n))
for p in d.get("ports") or []:
    for k in ("rx_drops", "tx_drops"): print("%s:%s %d" % (p["port"], k, p.get(k, 0)))
    for k in ("rx_dropped", "tx_errors"): print("%s:link.%s %d" % (p["port"], k, (p.get("link") or {}).get(k, 0)))' "$1"
	else
		jq -er '((.stages // {}) | to_entries[] | .key as $s | .value | to_entries[] | "\($s)/\(.key) \(.value)"),
			((.ports // [])[] | .port as $p | "\($p):rx_drops \(.rx_drops // 0)", "\($p):tx_drops \(.tx_drops // 0)",
			 "\($p):link.rx_dropped \(.link.rx_dropped // 0)", "\($p):link.tx_errors \(.link.tx_errors // 0)")' "$1"
	fi
}

json_sg_ports() { # FILE: neutrino show --json security-groups -> the filtered ports' names
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(" ".join(p["port"] for p in (d or [])))' "$1"
	else
		jq -er '[(. // [])[] | .port] | join(" ")' "$1"
	fi
}

# ---------------------------------------------------------------- helpers

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}
med() { tr ' ' '\n' <<<"$1" | grep . | median; } # med "v1 v2 ...": median
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else printf "n/a"}'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }

cpu_ticks() { # cpu_ticks PID: user+system clock ticks, all threads; 0 if none
	if [[ -n $1 && -r /proc/$1/stat ]]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi
}
cpu_pct() { # cpu_pct TICKS SECONDS: % of one CPU
	awk -v t="$1" -v hz="$HZ" -v s="$2" 'BEGIN {printf "%.0f", 100 * t / hz / s}'
}

link_info() { # link_info NS DEV: "mac M, mtu N, tso on|off" for the log
	local mtu tso mac
	mtu=$(ip -n "$1" -o link show dev "$2" | sed -n 's/.* mtu \([0-9]*\).*/\1/p')
	mac=$(ip -n "$1" -o link show dev "$2" | sed -n 's|.* link/ether \([0-9a-f:]*\).*|\1|p')
	tso=$(ip netns exec "$1" ethtool -k "$2" 2>/dev/null | awk '/^tcp-segmentation-offload:/ {print $2}') || true
	echo "mac ${mac:-?}, mtu ${mtu:-?}, tso ${tso:-?}"
}

show() { # show SETUP FILE ARGS...: a neutrino show command's output into FILE
	local s=$1 f=$2
	shift 2
	timeout 10 "$NEUTRINO" show --socket "${SOCK[$s]}" "$@" >"$f" 2>&1
}

# ---------------------------------------------------------------- neutrino

NEUTRINO=""
build_neutrino() {
	NEUTRINO=${NEUTRINO_BIN:-}
	if [[ -z $NEUTRINO ]]; then
		log "neutrino: building ./cmd/neutrino"
		fg sh -c 'cd "$1" && CGO_ENABLED=0 exec timeout 600 "$3" build -o "$2" ./cmd/neutrino' \
			sh "$REPO" "$tmp/neutrino" "$GO" || die "neutrino: go build ./cmd/neutrino failed"
		NEUTRINO="$tmp/neutrino"
	fi
	[[ -x $NEUTRINO ]] || die "neutrino: $NEUTRINO is not an executable"
}

# The two topologies: the file as it is, and the same with port security off
# (a port without port security may list no groups).
write_topologies() {
	TOPOS[filtered]="$tmp/filtered.yaml"
	TOPOS[unfiltered]="$tmp/unfiltered.yaml"
	cp "$TOPO" "${TOPOS[filtered]}"
	sed -e 's/^\([[:space:]]*\)port_security:[[:space:]]*true\b/\1port_security: false/' \
		-e '/^[[:space:]]*security_groups:[[:space:]]*\[/d' "$TOPO" >"${TOPOS[unfiltered]}"
	local s
	for s in filtered unfiltered; do
		timeout 10 "$NEUTRINO" check "${TOPOS[$s]}" >"$tmp/$s.check" 2>&1 ||
			{ cat "$tmp/$s.check" >&2; die "$s: the topology does not load"; }
	done
	grep -q 'port_security: false' "${TOPOS[unfiltered]}" || die "unfiltered: no port_security line to turn off in $TOPO"
}

setup_neutrino() { # setup_neutrino SETUP: a node in its own namespace, its TAPs moved to two hosts
	local s=$1 p=${1:0:1}
	local sw="$NSP-${p}sw" a="$NSP-${p}a" b="$NSP-${p}b"
	addns "$sw"; addns "$a"; addns "$b"
	SOCK[$s]="$tmp/$s.sock"
	# The node runs in its own namespace, so its TAP devices appear there; its
	# control socket and state directory are private to this run.
	ip netns exec "$sw" timeout "$BUDGET" "$NEUTRINO" run --socket "${SOCK[$s]}" --state-dir "$tmp/$s-state" \
		"${TOPOS[$s]}" >"$tmp/$s.log" 2>&1 &
	WRAPPER[$s]=$!
	PIDS+=("${WRAPPER[$s]}")
	local i
	for i in $(seq 200); do
		if ! kill -0 "${WRAPPER[$s]}" 2>/dev/null; then
			sed 's/^/  neutrino: /' "$tmp/$s.log" >&2
			die "$s: neutrino exited before its TAP devices appeared (log above)"
		fi
		ip -n "$sw" link show tapvm1 >/dev/null 2>&1 && ip -n "$sw" link show tapvm2 >/dev/null 2>&1 && break
		((i < 200)) || die "$s: tapvm1 and tapvm2 did not appear in $sw within 20 s"
		sleep 0.1
	done
	PROC[$s]=$(pgrep -P "${WRAPPER[$s]}" | head -1) || true
	[[ -n ${PROC[$s]} ]] || { cat "$tmp/$s.log" >&2; die "$s: neutrino process not found"; }
	timeout 10 ip -n "$sw" link set tapvm1 netns "$a"
	timeout 10 ip -n "$sw" link set tapvm2 netns "$b"
	timeout 10 ip -n "$a" addr add "$A_IP/24" dev tapvm1
	timeout 10 ip -n "$a" link set tapvm1 up
	timeout 10 ip -n "$b" addr add "$B_IP/24" dev tapvm2
	timeout 10 ip -n "$b" link set tapvm2 up
	ANS[$s]=$a BNS[$s]=$b
	log "$s: neutrino pid ${PROC[$s]}; tapvm1 $(link_info "$a" tapvm1); tapvm2 $(link_info "$b" tapvm2)"
}

# check_setup SETUP: vm1 pings vm2, and the node filters both ports (filtered)
# or none (unfiltered).
check_setup() {
	local s=$1 ports
	if ! fg ip netns exec "${ANS[$s]}" timeout 15 ping -c 3 -i 0.2 -W 2 "$B_IP" >"$tmp/$s.ping" 2>&1; then
		cat "$tmp/$s.ping" >&2
		die "$s: $A_IP cannot ping $B_IP"
	fi
	show "$s" "$tmp/$s.sg0.json" --json security-groups ||
		die "$s: neutrino show security-groups failed: $(cat "$tmp/$s.sg0.json")"
	ports=$(json_sg_ports "$tmp/$s.sg0.json") || die "$s: cannot read show --json security-groups"
	if [[ $s == filtered ]]; then
		[[ " $ports " == *" vm1 "* && " $ports " == *" vm2 "* ]] ||
			die "filtered: the node does not filter vm1 and vm2 (filtered ports: '${ports:-none}')"
	else
		[[ -z $ports ]] || die "unfiltered: the node filters ports '$ports'"
	fi
	log "$s: $A_IP -> $B_IP works ($(grep -o 'rtt.*' "$tmp/$s.ping" || true)); filtered ports: ${ports:-none}"
}

stop_neutrino() { # stop_neutrino SETUP
	local s=$1
	[[ -n ${WRAPPER[$s]:-} ]] || return 0
	kill -0 "${PROC[$s]}" 2>/dev/null || log "$s: WARNING: neutrino died during the run"
	stoppid "${WRAPPER[$s]}"
	WRAPPER[$s]=""
}

# ---------------------------------------------------------------- measurements

SERVER_PID=""
start_server() { # start_server NS TAG: one-off iperf3 server on vm2
	ip netns exec "$1" timeout $((DURATION + 60)) iperf3 -s -1 -J -B "$B_IP" -p 5201 \
		>"$tmp/$2.server.json" 2>"$tmp/$2.server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	waitfor 10 "iperf3 server in $1" sh -c "ip netns exec '$1' ss -Hltn 'sport = :5201' | grep -q ."
}
wait_server() { # the one-off server exits after writing its JSON
	for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	stoppid "$SERVER_PID"
}

other() { [[ $1 == filtered ]] && echo unfiltered || echo filtered; }

declare -A TCP RETR UDP LOSS TCPCPU TCPGB UDPCPU UDPUS IDLECPU # setup -> per-run values

# run_test SETUP RUN tcp|udp
run_test() {
	local s=$1 r=$2 kind=$3 tag="$1.$3.$2" pid=${PROC[$1]} idle="" c0 c1 i0=0 i1=0 t0 t1 secs cpu
	want "$(other "$s")" && idle=${PROC[$(other "$s")]}
	local args=(-t "$DURATION")
	[[ $kind == udp ]] && args=(-u -b 0 -l "$UDP_LEN" -t "$DURATION")
	start_server "${BNS[$s]}" "$tag"
	c0=$(cpu_ticks "$pid"); [[ -n $idle ]] && i0=$(cpu_ticks "$idle"); t0=$(now)
	fg ip netns exec "${ANS[$s]}" timeout $((DURATION + 30)) iperf3 -c "$B_IP" -p 5201 "${args[@]}" -J \
		>"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
	c1=$(cpu_ticks "$pid"); [[ -n $idle ]] && i1=$(cpu_ticks "$idle"); t1=$(now)
	wait_server
	secs=$(elapsed "$t0" "$t1")
	cpu=$(cpu_pct $((c1 - c0)) "$secs")
	[[ -n $idle ]] && IDLECPU[$(other "$s")]+="$(cpu_pct $((i1 - i0)) "$secs") "
	if [[ $kind == tcp ]]; then
		local v rt gb
		v=$(json_tcp "$tmp/$tag.client.json") ||
			die "$s TCP run $r failed: $(cat "$tmp/$tag.client.err" "$tmp/$tag.server.err")"
		read -r v rt <<<"$v"
		# CPU seconds of neutrino per GB carried.
		gb=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v g="$v" -v s="$secs" \
			'BEGIN {if (g > 0) printf "%.3f", (t / hz) / (g * s / 8); else print "nan"}')
		TCP[$s]+="$v "; RETR[$s]+="$rt "; TCPCPU[$s]+="$cpu "; TCPGB[$s]+="$gb "
		log "$s run $r/$RUNS: TCP $v Gb/s, $rt retransmission(s), neutrino CPU $cpu% ($gb s/GB)"
	else
		local v kpps pk lost us loss
		v=$(json_udp "$tmp/$tag.server.json") ||
			die "$s UDP run $r failed: $(cat "$tmp/$tag.server.err" "$tmp/$tag.client.err")"
		read -r kpps pk lost us <<<"$v"
		loss=$(awk -v p="$pk" -v l="$lost" 'BEGIN {if (p > 0) printf "%.1f", 100 * l / p; else print "nan"}')
		# CPU microseconds of neutrino per frame delivered: less sensitive
		# than kpps to other load on the machine.
		us=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v k="$kpps" -v s="$secs" \
			'BEGIN {if (k > 0) printf "%.2f", (t / hz) / (k * 1000 * s) * 1e6; else print "nan"}')
		UDP[$s]+="$kpps "; LOSS[$s]+="$loss "; UDPCPU[$s]+="$cpu "; UDPUS[$s]+="$us "
		log "$s run $r/$RUNS: UDP $kpps kpps delivered ($pk sent, $lost lost: $loss%), neutrino CPU $cpu% ($us us/frame)"
	fi
}

# ---------------------------------------------------------------- main

log "run $ID: setups ${SETUPS[*]}; ${RUNS} run(s) x ${DURATION}s; UDP payload ${UDP_LEN} B" \
	"(frame $((UDP_LEN + 42)) B, $((UDP_LEN + 46)) B with FCS); JSON via $JSON"
build_neutrino
write_topologies
for s in "${SETUPS[@]}"; do setup_neutrino "$s"; done
for s in "${SETUPS[@]}"; do check_setup "$s"; done
# The counters before the tests, so that the drops reported are the tests'.
for s in "${SETUPS[@]}"; do
	show "$s" "$tmp/$s.counters0.json" --json counters || die "$s: neutrino show counters failed: $(cat "$tmp/$s.counters0.json")"
done
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

ORDERS=()
for ((r = 1; r <= RUNS; r++)); do
	order=("${SETUPS[@]}")
	if ((r % 2 == 0 && ${#SETUPS[@]} == 2)); then order=("${SETUPS[1]}" "${SETUPS[0]}"); fi
	ORDERS+=("${order[*]}")
	for s in "${order[@]}"; do run_test "$s" "$r" tcp; done
	for s in "${order[@]}"; do run_test "$s" "$r" udp; done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

for s in "${SETUPS[@]}"; do
	show "$s" "$tmp/$s.counters1.json" --json counters || die "$s: neutrino show counters failed: $(cat "$tmp/$s.counters1.json")"
	show "$s" "$tmp/$s.counters.txt" counters || true
	show "$s" "$tmp/$s.security-groups.txt" security-groups || true
	show "$s" "$tmp/$s.sg1.json" --json security-groups || true
done
for s in "${SETUPS[@]}"; do stop_neutrino "$s"; done

# ---------------------------------------------------------------- report

# drops_delta SETUP: "KEY DELTA" for every loss counter that grew during the tests
drops_delta() {
	local s=$1
	json_drops "$tmp/$s.counters0.json" >"$tmp/$s.drops0" || die "$s: cannot read show --json counters"
	json_drops "$tmp/$s.counters1.json" >"$tmp/$s.drops1" || die "$s: cannot read show --json counters"
	awk 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (d != 0) print $1, d}' "$tmp/$s.drops0" "$tmp/$s.drops1"
}

echo
echo "neutrino security groups benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs, ${RUNS} run(s)$( ((RUNS > 1)) && echo ', medians')"
echo "load average (1, 5, 15 min) at the start: $LOAD0, at the end: $LOAD1"
echo "vm1 $A_IP -> vm2 $B_IP on one network; iperf3 $(iperf3 --version | awk 'NR==1 {print $2}')"
echo "TCP: one stream, ${DURATION}s, Gb/s received.  UDP: -b 0 -l ${UDP_LEN} (frame $((UDP_LEN + 42)) B, $((UDP_LEN + 46)) B with FCS),"
echo "     kpps delivered to the server = (packets - lost) / seconds"
echo
declare -A MT MU
printf '%-11s %9s %8s %9s %9s %8s %7s %8s %9s\n' setup "TCP Gb/s" "retrans" "UDP kpps" "UDP loss" "CPU TCP" "s/GB" "CPU UDP" "us/frame"
for s in "${SETUPS[@]}"; do
	MT[$s]=$(med "${TCP[$s]}")
	MU[$s]=$(med "${UDP[$s]}")
	printf '%-11s %9.2f %8.0f %9.1f %8.1f%% %7.0f%% %7.3f %7.0f%% %9.2f\n' "$s" "${MT[$s]}" "$(med "${RETR[$s]}")" "${MU[$s]}" \
		"$(med "${LOSS[$s]}")" "$(med "${TCPCPU[$s]}")" "$(med "${TCPGB[$s]}")" "$(med "${UDPCPU[$s]}")" "$(med "${UDPUS[$s]}")"
done
if want filtered && want unfiltered; then
	RT=$(ratio "${MT[filtered]}" "${MT[unfiltered]}")
	RU=$(ratio "${MU[filtered]}" "${MU[unfiltered]}")
	verdict=$(awk -v r="$RT" 'BEGIN {print (r + 0 >= 0.9) ? "met" : "NOT met"}')
	echo
	# Each run's ratios: the setups of a run ran back to back, so these
	# pairs share the machine's load of the moment.
	declare -A PR=()
	for ((r = 1; r <= RUNS; r++)); do
		for m in TCP UDP TCPGB UDPUS; do
			declare -n vals=$m
			PR[$m]+="$(ratio "$(cut -d' ' -f"$r" <<<"${vals[filtered]}")" "$(cut -d' ' -f"$r" <<<"${vals[unfiltered]}")") "
			unset -n vals
		done
	done
	printf '%-28s %6s %6s %6s %8s   %s\n' ratio TCP UDP s/GB us/frame target
	printf '%-28s %6s %6s %6s %8s   %s\n' "filtered/unfiltered" "$RT" "$RU" \
		"$(ratio "$(med "${TCPGB[filtered]}")" "$(med "${TCPGB[unfiltered]}")")" \
		"$(ratio "$(med "${UDPUS[filtered]}")" "$(med "${UDPUS[unfiltered]}")")" "TCP >= 0.9: $verdict"
	if ((RUNS > 1)); then
		printf '%-28s %6.2f %6.2f %6.2f %8.2f\n' "median of each run's ratio" "$(med "${PR[TCP]}")" "$(med "${PR[UDP]}")" \
			"$(med "${PR[TCPGB]}")" "$(med "${PR[UDPUS]}")"
	fi
fi
if ((RUNS > 1)); then
	echo
	echo "each run (order; TCP Gb/s | UDP kpps):"
	for ((r = 1; r <= RUNS; r++)); do
		line=""
		for s in "${SETUPS[@]}"; do
			t=$(cut -d' ' -f"$r" <<<"${TCP[$s]}") u=$(cut -d' ' -f"$r" <<<"${UDP[$s]}")
			line+=$(printf '  %s %s | %s' "$s" "$t" "$u")
		done
		if want filtered && want unfiltered; then
			line+=$(printf '  ratio %s | %s' \
				"$(ratio "$(cut -d' ' -f"$r" <<<"${TCP[filtered]}")" "$(cut -d' ' -f"$r" <<<"${TCP[unfiltered]}")")" \
				"$(ratio "$(cut -d' ' -f"$r" <<<"${UDP[filtered]}")" "$(cut -d' ' -f"$r" <<<"${UDP[unfiltered]}")")")
		fi
		printf '  run %d (%s):%s\n' "$r" "${ORDERS[$((r - 1))]// /, }" "$line"
	done
fi
if want filtered && want unfiltered; then
	echo
	printf 'the idle node (up, not under test) used %.0f%% (filtered) and %.0f%% (unfiltered) of a CPU, medians\n' \
		"$(med "${IDLECPU[filtered]}")" "$(med "${IDLECPU[unfiltered]}")"
fi
echo
echo "retrans: the TCP sender's retransmissions over the test; UDP loss: lost / sent, as the iperf3"
echo "server counts it (mostly its socket buffer overflowing); CPU: the neutrino process under test,"
echo "user+system, all threads, % of one CPU; s/GB: that CPU time per GB of TCP carried; us/frame: per"
echo "UDP frame delivered (both less sensitive than the rates to other load on the machine). The target is"
echo "judged on the ratio of the medians (first line)."

if want filtered; then
	echo
	echo "filtered node, neutrino show security-groups after the tests (rows with packets, and the"
	echo "drop rows for invalid state, no rule and a full conntrack table):"
	awk '/^port / || /^  may send/ || /^  Chain/ {print "  " $0; next}
		$1 == "pkts" {print "  " $0; next}
		NF >= 4 && $1 ~ /^[0-9.]+[KMGT]?$/ && ($1 != "0" || $4 == "invalid" || $4 == "no_rule" || $4 == "conntrack_full") {print "  " $0}' \
		"$tmp/filtered.security-groups.txt"
fi
echo
echo "drops during the tests (neutrino show --json counters, after the path checks and after the tests):"
for s in "${SETUPS[@]}"; do
	drops_delta "$s" >"$tmp/$s.drops"
	if [[ -s $tmp/$s.drops ]]; then
		printf '  %-11s %s\n' "$s" "$(awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}' "$tmp/$s.drops")"
	else
		printf '  %-11s none\n' "$s"
	fi
done
if want filtered; then
	sgsum() { awk -v k="$1" '$1 ~ k {n += $2} END {print n + 0}' "$2"; }
	SGDROPS=$(sgsum '^security_group/' "$tmp/filtered.drops")
	printf '  the filters (stage security_group) dropped %d frame(s) during the tests' "$SGDROPS"
	for r in no_rule invalid conntrack_full; do
		printf ', %s %d' "$r" "$(sgsum "^security_group/$r\$" "$tmp/filtered.drops")"
	done
	printf '; %d since the node started\n' "$(sgsum '^security_group/' "$tmp/filtered.drops1")"
	((SGDROPS == 0)) || echo "  WARNING: the security groups dropped frames during the benchmark"
fi
