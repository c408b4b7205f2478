#!/usr/bin/env bash
# bench/storm.sh: a TCP stream between two ports of neutrino, without and
# with a broadcast storm from a third port, storm control on and off. See
# bench/README.md. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/storm.sh [--runs N] [--duration SECONDS] [--storm-rate N]
                           [--only LIST] [--gen trafgen|mausezahn]
                           [--keep DIR] [-h|--help]

Runs neutrino with one local network (10.0.0.0/24) and three ports vm1, vm2,
vm3 (TAP devices tapvm1..3 moved into three namespaces, 10.0.0.11..13), and
measures iperf3 TCP, one stream, vm1 -> vm2:
  (a) without a storm
  (b) while vm3 floods small broadcast frames (60-byte Ethernet frames to
      ff:ff:ff:ff:ff:ff, UDP to 10.0.0.255 port 9) as fast as the generator
      can send them
  (c) a control: the same generator in vm3's namespace sending into a TAP
      device nothing reads, so that it takes its CPU but neutrino sees none
      of its frames
with storm control on (neutrino run --storm-rate N, default neutrino's
10000 frames/s) and off (--storm-rate -1), one fresh neutrino per mode and
run. Reports Gb/s for (a), (b), (c), the ratios (b)/(a) and (c)/(a), the storm's
offered rate (frames/s from tapvm3's TX counters: tx_packets + tx_dropped),
the rate neutrino read it at, neutrino's storm_control drops, and neutrino's
CPU (utime+stime from /proc/PID/stat, all threads) during (a) and (b).

Options:
  --runs N          repeat N times, report medians (default 1)
  --duration S      seconds per iperf3 test (default $DURATION or 10)
  --storm-rate N    neutrino's --storm-rate for the "on" mode (default: its own)
  --only LIST       comma-separated subset of on,off (default both)
  --gen NAME        storm generator: trafgen (default; one worker, pinned
                    to one CPU) or mausezahn
  --keep DIR        copy iperf3 JSON, counters, generator output and logs to DIR
Environment: DURATION, RUNS (same as the options), NEUTRINO_BIN (use this
  binary instead of building ./cmd/neutrino).
EOF
}

DURATION=${DURATION:-10}
RUNS=${RUNS:-1}
STORM_RATE=""
ONLY="on,off"
GEN=trafgen
KEEP=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--storm-rate) STORM_RATE=${2:?--storm-rate needs a number}; shift 2 ;;
	--storm-rate=*) STORM_RATE=${1#*=}; shift ;;
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--gen) GEN=${2:?--gen needs trafgen or mausezahn}; shift 2 ;;
	--gen=*) GEN=${1#*=}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "storm.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "storm.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$RUNS'"
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || die "--duration must be a positive integer, got '$DURATION'"
[[ -z $STORM_RATE || $STORM_RATE =~ ^[0-9]+(\.[0-9]+)?$ ]] && [[ $STORM_RATE != 0 ]] ||
	die "--storm-rate must be a positive number (use --only off for no limit), got '$STORM_RATE'"
[[ $GEN == trafgen || $GEN == mausezahn ]] || die "--gen must be trafgen or mausezahn, got '$GEN'"
pick "$ONLY" mode on off
MODES=("${PICKED[@]}")

# ---------------------------------------------------------------- checks

# Skips (exit 0, with the reason) rather than failures: the benchmark cannot
# run here at all.
if [[ $(id -u) -ne 0 ]]; then
	echo "storm.sh: skipped: needs root (network namespaces, TAP devices, raw frames): run it with sudo" >&2
	exit 0
fi
skip_missing=()
skip_need() { command -v "$1" >/dev/null 2>&1 || skip_missing+=("$1 (Debian package: $2)"); }
skip_need iperf3 iperf3
skip_need "$GEN" netsniff-ng
skip_need ip iproute2
if ((${#skip_missing[@]} > 0)); then
	echo "storm.sh: skipped: missing tools; install them with apt-get install:" >&2
	printf '  %s\n' "${skip_missing[@]}" >&2
	exit 0
fi

need ss iproute2
need timeout coreutils
need awk mawk
need pgrep procps
GO=""
if [[ -z ${NEUTRINO_BIN:-} ]]; then
	need_go
fi
need_json
exit_if_missing storm.sh

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

# ---------------------------------------------------------------- state and cleanup

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n') # 4 hex digits
NSP="nbstorm-$ID"                                 # namespace prefix
tmp=$(mktemp -d -t "nbstorm-$ID.XXXXXX")
# Hard upper bound for every long-running process this script starts: they
# are wrapped in timeout(1) so that they die even if this script is SIGKILLed.
BUDGET=$((RUNS * ${#MODES[@]} * (2 * DURATION + 90) + 600))
KEEP_WHAT="raw results and logs"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- JSON

json_tcp_gbps() { # FILE: iperf3 client JSON -> Gb/s received
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

json_storm() { # FILE: neutrino show --json counters -> "storm_control_drops vm3_rx_frames"
	if [[ $JSON == python3 ]]; then
		python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
rx=[p.get("rx_frames",0) for p in d.get("ports") or [] if p.get("port")=="vm3"]
print((d.get("drops") or {}).get("storm_control",0), rx[0] if rx else 0)' "$1"
	else
		jq -er '"\(.drops.storm_control // 0) \([.ports[]? | select(.port=="vm3") | .rx_frames][0] // 0)"' "$1"
	fi
}

# ---------------------------------------------------------------- measurement

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}
med() { tr ' ' '\n' <<<"$1" | grep . | median; } # med "v1 v2 ...": median

HZ=$(getconf CLK_TCK)
NEUTRINO_PID=""
cpu_ticks() { awk '{print $14 + $15}' "/proc/$NEUTRINO_PID/stat" 2>/dev/null || echo 0; }
now() { date +%s.%N; }
txstat() { # txstat NS DEV: "tx_packets tx_dropped" as the namespace sees its device
	ip netns exec "$1" sh -c 'cat /sys/class/net/$1/statistics/tx_packets /sys/class/net/$1/statistics/tx_dropped' sh "$2" |
		paste -sd' '
}
counters() { # counters FILE: neutrino's counters as JSON into FILE
	timeout 10 "$NEUTRINO" show --socket "$SOCK" --json counters >"$1" 2>&1 ||
		die "neutrino show counters failed: $(cat "$1")"
}

SERVER_PID=""
start_server() { # start_server NS TAG: one-off iperf3 server on 10.0.0.12
	ip netns exec "$1" timeout $((DURATION + 60)) iperf3 -s -1 -J -B 10.0.0.12 -p 5201 \
		>"$tmp/$2.server.json" 2>"$tmp/$2.server.err" &
	SERVER_PID=$!
	PIDS+=("$SERVER_PID")
	waitfor 10 "iperf3 server in $1" sh -c "ip netns exec '$1' ss -Hltn 'sport = :5201' | grep -q ."
}
wait_server() { # the one-off server exits after writing its JSON
	for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
	stoppid "$SERVER_PID"
}

# tcp NSA TAG: one iperf3 TCP test vm1 -> vm2; sets GBPS, CPU (% of one CPU
# used by neutrino during the test) and SECS (the test's wall time).
tcp() {
	local nsa=$1 tag=$2 c0 c1 t0 t1
	c0=$(cpu_ticks); t0=$(now)
	fg ip netns exec "$nsa" timeout $((DURATION + 30)) \
		iperf3 -c 10.0.0.12 -p 5201 -t "$DURATION" -J >"$tmp/$tag.client.json" 2>"$tmp/$tag.client.err" || true
	c1=$(cpu_ticks); t1=$(now)
	GBPS=$(json_tcp_gbps "$tmp/$tag.client.json") || die "$tag: iperf3 failed: $(cat "$tmp/$tag.client.err")"
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
	CPU=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v s="$SECS" 'BEGIN {printf "%.0f", 100 * t / hz / s}')
}

stopgen() { # stopgen PID NS: stop the generator, and whatever it forked (trafgen's
	# worker may outlive its parent), so that no storm carries into the next test.
	stoppid "$1"
	local i
	for i in $(seq 50); do
		[[ -z $(ip netns pids "$2" 2>/dev/null) ]] && return 0
		ip netns pids "$2" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		sleep 0.1
	done
	die "the generator in $2 did not stop"
}

STORM_CFG="$tmp/storm.trafgen"
storm_cmd() { # storm_cmd DEV MAC: the generator's command line, sending on DEV in vm3's namespace
	if [[ $GEN == trafgen ]]; then
		# 14 Ethernet + 20 IPv4 + 8 UDP + 18 payload = 60 bytes (64 with FCS).
		printf '{ eth(da=ff:ff:ff:ff:ff:ff, sa=%s, type=0x0800), ipv4(saddr=10.0.0.13, daddr=10.0.0.255, ttl=64), udp(sp=9, dp=9), fill(0x00, 18) }\n' \
			"$2" >"$STORM_CFG"
		# One process (pinned to one CPU), no gap, forever; --no-sock-mem
		# leaves the host's net.core socket memory sysctls alone.
		echo trafgen --dev "$1" --cpus 1 --no-sock-mem --num 0 --conf "$STORM_CFG"
	else
		echo mausezahn "$1" -c 0 -d 0 -q -b bcast -A 10.0.0.13 -B 10.0.0.255 -t udp sp=9,dp=9 -p 18
	fi
}

declare -A GENONLY GENRATIO GENRATE BASE STORMED RATIO OFFERED READ DROPS PASSED CPUBASE CPUSTORM # mode -> per-run values

NEUTRINO="" SOCK=""
TOPO="$tmp/storm.yaml"
write_topology() {
	cat >"$TOPO" <<'EOF'
# bench/storm.sh: one local network, three VM ports on TAP devices.
version: 1
networks:
  - name: storm
    type: local
    subnets:
      - name: storm-subnet
        cidr: 10.0.0.0/24
ports:
  - name: vm1
    network: storm
    device: tapvm1
    attach: tap
    fixed_ips: [10.0.0.11]
  - name: vm2
    network: storm
    device: tapvm2
    attach: tap
    fixed_ips: [10.0.0.12]
  - name: vm3
    network: storm
    device: tapvm3
    attach: tap
    fixed_ips: [10.0.0.13]
EOF
	timeout 10 "$NEUTRINO" check "$TOPO" >"$tmp/check.out" 2>&1 || { cat "$tmp/check.out" >&2; die "the topology does not load"; }
}

neutrino_bin() {
	local bin=${NEUTRINO_BIN:-}
	if [[ -z $bin ]]; then
		log "building ./cmd/neutrino"
		fg sh -c 'cd "$1" && CGO_ENABLED=0 exec timeout 600 "$3" build -o "$2" ./cmd/neutrino' \
			sh "$REPO" "$tmp/neutrino" "$GO" || die "go build ./cmd/neutrino failed"
		bin="$tmp/neutrino"
	fi
	[[ -x $bin ]] || die "$bin is not an executable"
	if ! timeout 10 "$bin" run -h 2>&1 | grep -q -- '-storm-rate'; then
		echo "storm.sh: skipped: this neutrino has no 'run --storm-rate' (no storm control yet)" >&2
		exit 0
	fi
	NEUTRINO=$bin
}

one() { # one MODE RUN: a fresh neutrino; TCP without, then with, the storm
	local mode=$1 run=$2 tag="$1.$2"
	local sw="$NSP-sw" v1="$NSP-v1" v2="$NSP-v2" v3="$NSP-v3" flags=()
	if [[ $mode == off ]]; then
		flags=(--storm-rate -1)
	elif [[ -n $STORM_RATE ]]; then
		flags=(--storm-rate "$STORM_RATE")
	fi
	SOCK="$tmp/$tag.sock"
	mkdir -p "$tmp/$tag.state"
	addns "$sw"; addns "$v1"; addns "$v2"; addns "$v3"
	# neutrino runs in its own namespace, so its TAP devices appear there.
	ip netns exec "$sw" timeout "$BUDGET" "$NEUTRINO" run --socket "$SOCK" --state-dir "$tmp/$tag.state" \
		"${flags[@]}" "$TOPO" >"$tmp/$tag.neutrino.log" 2>&1 &
	local wrapper=$! i
	PIDS+=("$wrapper")
	for i in $(seq 200); do
		if ! kill -0 "$wrapper" 2>/dev/null; then
			sed 's/^/  neutrino: /' "$tmp/$tag.neutrino.log" >&2
			die "neutrino exited before its TAP devices appeared (log above)"
		fi
		ip -n "$sw" link show tapvm1 >/dev/null 2>&1 && ip -n "$sw" link show tapvm2 >/dev/null 2>&1 &&
			ip -n "$sw" link show tapvm3 >/dev/null 2>&1 && break
		((i < 200)) || die "tapvm1..3 did not appear in $sw within 20 s"
		sleep 0.1
	done
	NEUTRINO_PID=$(pgrep -P "$wrapper" | head -1) || true
	[[ -n $NEUTRINO_PID ]] || { cat "$tmp/$tag.neutrino.log" >&2; die "neutrino: process not found"; }
	local ns dev n=1
	for ns in "$v1" "$v2" "$v3"; do
		dev=tapvm$n
		timeout 10 ip -n "$sw" link set "$dev" netns "$ns"
		timeout 10 ip -n "$ns" addr add "10.0.0.1$n/24" dev "$dev"
		timeout 10 ip -n "$ns" link set "$dev" up
		n=$((n + 1))
	done
	local mac
	mac=$(ip -n "$v3" -o link show dev tapvm3 | sed -n 's|.* link/ether \([0-9a-f:]*\).*|\1|p')
	for ns in "$v1" "$v3"; do
		fg ip netns exec "$ns" timeout 15 ping -c 3 -i 0.2 -W 2 10.0.0.12 >"$tmp/$tag.ping" 2>&1 ||
			{ cat "$tmp/$tag.ping" >&2; die "$tag: $ns cannot ping 10.0.0.12"; }
	done

	# (a) no storm.
	start_server "$v2" "$tag.base"
	tcp "$v1" "$tag.base"
	wait_server
	local base=$GBPS cpubase=$CPU

	# (c) the generator alone: the same storm sent into a TAP device in vm3's
	# namespace that nothing reads, which drops it (tx_dropped). neutrino sees
	# none of it; what the stream loses here is the CPU the generator takes.
	local cmd gen x0 x1 k0 k1
	timeout 10 ip -n "$v3" tuntap add mode tap stormnull0
	timeout 10 ip -n "$v3" link set stormnull0 up
	cmd=$(storm_cmd stormnull0 "$mac")
	start_server "$v2" "$tag.gen"
	# shellcheck disable=SC2086 # cmd is a word list of our own
	ip netns exec "$v3" timeout $((DURATION + 60)) $cmd >"$tmp/$tag.gen-alone.out" 2>&1 &
	gen=$!
	PIDS+=("$gen")
	sleep 1
	kill -0 "$gen" 2>/dev/null || { cat "$tmp/$tag.gen-alone.out" >&2; die "$tag: $GEN exited at once (output above)"; }
	x0=$(txstat "$v3" stormnull0)
	tcp "$v1" "$tag.gen"
	x1=$(txstat "$v3" stormnull0)
	stopgen "$gen" "$v3"
	wait_server
	local genonly=$GBPS genrate
	genrate=$(awk -v x0="$x0" -v x1="$x1" -v s="$SECS" 'BEGIN {split(x0, a, " "); split(x1, b, " ")
		printf "%.0f", (b[1] - a[1] + b[2] - a[2]) / s}')

	# (b) the storm from vm3, started a second before the test and measured
	# over the test's wall time.
	cmd=$(storm_cmd tapvm3 "$mac")
	start_server "$v2" "$tag.storm"
	# shellcheck disable=SC2086 # cmd is a word list of our own
	ip netns exec "$v3" timeout $((DURATION + 60)) $cmd >"$tmp/$tag.gen.out" 2>&1 &
	gen=$!
	PIDS+=("$gen")
	sleep 1
	kill -0 "$gen" 2>/dev/null || { cat "$tmp/$tag.gen.out" >&2; die "$tag: $GEN exited at once (output above)"; }
	x0=$(txstat "$v3" tapvm3); counters "$tmp/$tag.counters0.json"
	tcp "$v1" "$tag.storm"
	x1=$(txstat "$v3" tapvm3); counters "$tmp/$tag.counters1.json"
	kill -0 "$gen" 2>/dev/null || log "$tag: WARNING: $GEN stopped during the test"
	stopgen "$gen" "$v3"
	wait_server
	k0=$(json_storm "$tmp/$tag.counters0.json"); k1=$(json_storm "$tmp/$tag.counters1.json")
	timeout 10 "$NEUTRINO" show --socket "$SOCK" counters >"$tmp/$tag.counters.txt" 2>&1 || true

	local offered read drops passed ratio genratio
	read -r offered read drops passed < <(awk -v x0="$x0" -v x1="$x1" -v k0="$k0" -v k1="$k1" -v s="$SECS" 'BEGIN {
		split(x0, a, " "); split(x1, b, " "); split(k0, c, " "); split(k1, d, " ")
		sent = b[1] - a[1]; lost = b[2] - a[2]; drops = d[1] - c[1]; rd = d[2] - c[2]
		printf "%.0f %.0f %d %.0f\n", (sent + lost) / s, rd / s, drops, (rd - drops) / s }')
	ratio=$(awk -v a="$GBPS" -v b="$base" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "nan"}')
	genratio=$(awk -v a="$genonly" -v b="$base" 'BEGIN {if (b > 0) printf "%.3f", a / b; else print "nan"}')
	GENONLY[$mode]+="$genonly "; GENRATIO[$mode]+="$genratio "; GENRATE[$mode]+="$genrate "
	BASE[$mode]+="$base "; STORMED[$mode]+="$GBPS "; RATIO[$mode]+="$ratio "
	OFFERED[$mode]+="$offered "; READ[$mode]+="$read "; DROPS[$mode]+="$drops "; PASSED[$mode]+="$passed "
	CPUBASE[$mode]+="$cpubase "; CPUSTORM[$mode]+="$CPU "
	log "storm control $mode, run $run/$RUNS: TCP $base Gb/s, with the storm $GBPS Gb/s (x$ratio)," \
		"with the generator alone $genonly Gb/s (x$genratio, $genrate frames/s into an unread TAP);" \
		"storm offered $offered/s, read $read/s, passed $passed/s, storm_control drops $drops;" \
		"neutrino CPU $cpubase% / $CPU%"

	kill -0 "$NEUTRINO_PID" 2>/dev/null || log "$tag: WARNING: neutrino died during the run"
	stoppid "$wrapper"
	NEUTRINO_PID=""
	delns "$v1" "$v2" "$v3" "$sw"
}

# ---------------------------------------------------------------- main

neutrino_bin
write_topology
log "run $ID: storm control ${MODES[*]}; ${RUNS} run(s) x 2 x ${DURATION}s; storm from $GEN;" \
	"on = --storm-rate ${STORM_RATE:-default}"
for ((r = 1; r <= RUNS; r++)); do
	for m in "${MODES[@]}"; do one "$m" "$r"; done
done

# ---------------------------------------------------------------- report

rate_on=${STORM_RATE:-$("$NEUTRINO" run -h 2>&1 | grep -A1 -- '-storm-rate' | sed -n 's/.*(default \([0-9.]*\)).*/\1/p' | head -1)}
echo
echo "neutrino storm benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs"
echo "iperf3 $(iperf3 --version | awk 'NR==1 {print $2}') TCP, one stream vm1 -> vm2, ${DURATION}s per test, ${RUNS} run(s)$( ((RUNS > 1)) && echo ', medians')"
echo "storm: $GEN on vm3, 60-byte broadcast frames (UDP to 10.0.0.255:9), as fast as it sends"
echo "on = --storm-rate ${rate_on:-default}, off = --storm-rate -1"
echo
printf '%-9s %10s %12s %10s %12s %10s %9s %9s\n' "storm" "no storm" "storm" "storm/" "generator" "alone/" "neutrino" "CPU"
printf '%-9s %10s %12s %10s %12s %10s %9s %9s\n' "control" "Gb/s" "Gb/s" "no storm" "alone Gb/s" "no storm" "no storm" "storm"
for m in "${MODES[@]}"; do
	printf '%-9s %10.2f %12.2f %10.2f %12.2f %10.2f %8.0f%% %8.0f%%\n' "$m" "$(med "${BASE[$m]}")" "$(med "${STORMED[$m]}")" \
		"$(med "${RATIO[$m]}")" "$(med "${GENONLY[$m]}")" "$(med "${GENRATIO[$m]}")" \
		"$(med "${CPUBASE[$m]}")" "$(med "${CPUSTORM[$m]}")"
done
echo
printf '%-9s %13s %13s %13s %20s %15s\n' "storm" "offered" "read by" "passed" "storm_control" "generator alone"
printf '%-9s %13s %13s %13s %20s %15s\n' "control" "frames/s" "neutrino /s" "frames/s" "drops" "frames/s"
for m in "${MODES[@]}"; do
	printf '%-9s %13.0f %13.0f %13.0f %20.0f %15.0f\n' "$m" "$(med "${OFFERED[$m]}")" "$(med "${READ[$m]}")" \
		"$(med "${PASSED[$m]}")" "$(med "${DROPS[$m]}")" "$(med "${GENRATE[$m]}")"
done
echo
echo "storm/no storm and alone/no storm: ratios of each run (one neutrino, tests back to back), then"
echo "the median. generator alone: the same generator sending into an unread TAP device in vm3's namespace"
echo "(the CPU it takes, without a frame reaching neutrino). CPU: neutrino's utime+stime, all threads,"
echo "in % of one CPU over the test. offered: tapvm3 tx_packets + tx_dropped over the storm test (frames"
echo "the generator handed to the TAP device); read: frames neutrino took off it (the rest overflowed"
echo "the TAP queue); passed: read - storm_control drops, flooded to vm1 and vm2; storm_control drops:"
echo "counted by neutrino during the storm test (${DURATION}s)."
if ((RUNS > 1)); then
	echo
	echo "each run (Gb/s: no storm | storm | generator alone):"
	for m in "${MODES[@]}"; do
		echo "  $m: ${BASE[$m]% } | ${STORMED[$m]% } | ${GENONLY[$m]% }; offered ${OFFERED[$m]% }; drops ${DROPS[$m]% }"
	done
fi
