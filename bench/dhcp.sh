#!/usr/bin/env bash
# bench/dhcp.sh: DHCPv4 exchanges per second under ISC perfdhcp, dnsmasq
# (lease file) vs neutrino's DHCP server (leases in its state directory),
# each in network namespaces of its own. See bench/README.md. Needs root.
set -euo pipefail

usage() {
	cat <<'EOF'
Usage: sudo bench/dhcp.sh [--only LIST] [--rate N] [--clients N]
                          [--duration SECONDS] [--runs N] [--keep DIR]
                          [-h|--help]

Runs perfdhcp (as a DHCP relay agent: from port 67, giaddr 10.20.0.11) against
  dnsmasq    dnsmasq --dhcp-range=10.20.1.0,10.20.255.254,255.255.0.0,3600
             with a lease file (rewritten on every lease change)
  neutrino   neutrino run --state-dir DIR bench/dhcp-topology.yaml: the DHCP
             port of network perf (10.20.0.2), same pool and lease time,
             leases persisted in its state directory
with perfdhcp -4 -r RATE -R CLIENTS -p DURATION, one fresh server (no leases)
per run, and prints for each server: DISCOVER-OFFER and REQUEST-ACK sent,
received and drops %, completed exchanges per second (REQUEST-ACK received /
test period, perfdhcp's "Rate"), and the server's CPU time (utime+stime from
/proc/PID/stat) per completed exchange; then the ratio neutrino/dnsmasq and
whether the target (>= 10x dnsmasq's exchanges/s, < 5% REQUEST-ACK drops) is
met.

Options:
  --only LIST       comma-separated subset of dnsmasq,neutrino (default both)
  --rate N          DORA exchanges per second offered, perfdhcp -r (10000)
  --clients N       distinct clients (MAC addresses), perfdhcp -R (50000)
  --duration S      test period in seconds, perfdhcp -p (8)
  --runs N          repeat each measurement N times, report medians (1)
  --keep DIR        copy perfdhcp outputs, logs, lease files and state to DIR
Environment: RATE, CLIENTS, DURATION, RUNS (same as the options),
  NEUTRINO_BIN (use this binary instead of building ./cmd/neutrino),
  PERFDHCP_OPTS (perfdhcp options for the measured tests; default "-g single":
  perfdhcp's receive thread of its multi-thread mode takes a core of its
  own and starves both sides on a 2-core machine; set it to "" for that mode).
EOF
}

RATE=${RATE:-10000}
PERFDHCP_OPTS=${PERFDHCP_OPTS-"-g single"}
CLIENTS=${CLIENTS:-50000}
DURATION=${DURATION:-8}
RUNS=${RUNS:-1}
ONLY="dnsmasq,neutrino"
KEEP=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--only) ONLY=${2:?--only needs a list}; shift 2 ;;
	--only=*) ONLY=${1#*=}; shift ;;
	--rate) RATE=${2:?--rate needs a number}; shift 2 ;;
	--rate=*) RATE=${1#*=}; shift ;;
	--clients) CLIENTS=${2:?--clients needs a number}; shift 2 ;;
	--clients=*) CLIENTS=${1#*=}; shift ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--duration=*) DURATION=${1#*=}; shift ;;
	--runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) RUNS=${1#*=}; shift ;;
	--keep) KEEP=${2:?--keep needs a directory}; shift 2 ;;
	--keep=*) KEEP=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "dhcp.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
	esac
done

die() { echo "dhcp.sh: $*" >&2; exit 1; }
# shellcheck source=bench/checks.sh
source "$(dirname "${BASH_SOURCE[0]}")/checks.sh"
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

posint() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, got '$2'"; }
posint --rate "$RATE"
posint --clients "$CLIENTS"
posint --duration "$DURATION"
posint --runs "$RUNS"

pick "$ONLY" server dnsmasq neutrino
SERVERS=("${PICKED[@]}")
want() { [[ " ${SERVERS[*]} " == *" $1 "* ]]; }

# The addresses of bench/dhcp-topology.yaml; dnsmasq gets the same ones.
CIDR_LEN=16
SERVER_IP=10.20.0.2
RELAY_IP=10.20.0.11
POOL_START=10.20.1.0
POOL_END=10.20.255.254
POOL_SIZE=65279 # 10.20.1.0 .. 10.20.255.254
LEASE_TIME=3600

# ---------------------------------------------------------------- checks

# Skips (exit 0, with the reason) rather than failures: the benchmark cannot
# run here at all.
if [[ $(id -u) -ne 0 ]]; then
	echo "dhcp.sh: skipped: needs root (network namespaces, TAP devices, perfdhcp binds port 67): run it with sudo" >&2
	exit 0
fi
skip_missing=()
command -v perfdhcp >/dev/null 2>&1 || skip_missing+=("perfdhcp (Debian package: kea-admin)")
if want dnsmasq; then
	command -v dnsmasq >/dev/null 2>&1 || skip_missing+=("dnsmasq (Debian package: dnsmasq-base)")
fi
if ((${#skip_missing[@]} > 0)); then
	echo "dhcp.sh: skipped: missing tools; install them with apt-get install:" >&2
	printf '  %s\n' "${skip_missing[@]}" >&2
	exit 0
fi

need ip iproute2
need ss iproute2
need timeout coreutils
need awk mawk
need pgrep procps
GO=""
if want neutrino && [[ -z ${NEUTRINO_BIN:-} ]]; then
	need_go
fi
exit_if_missing dhcp.sh
((CLIENTS <= POOL_SIZE)) ||
	log "WARNING: --clients $CLIENTS is more than the pool's $POOL_SIZE addresses: both servers will run out"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
TOPOLOGY="$HERE/dhcp-topology.yaml"

# ---------------------------------------------------------------- state and cleanup

ID=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n') # 4 hex digits
NSP="nbdhcp-$ID"                                  # namespace prefix
tmp=$(mktemp -d -t "nbdhcp-$ID.XXXXXX")
# Hard upper bound for every long-running process this script starts: they
# are wrapped in timeout(1), so they die even if this script is SIGKILLed.
BUDGET=$(((${#SERVERS[@]} * RUNS * (DURATION + 60)) + 600))
KEEP_WHAT="raw results, logs, lease files and state"
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

child_of() { # child_of WRAPPER-PID: the process timeout(1) started
	local c=""
	for _ in $(seq 50); do
		c=$(pgrep -P "$1" | head -1) && [[ -n $c ]] && break
		sleep 0.1
	done
	echo "$c"
}

# ---------------------------------------------------------------- measurement

HZ=$(getconf CLK_TCK)
SERVER_PID="" # the DHCP server process measured

cpu_ticks() { # user+system clock ticks of SERVER_PID, all threads
	awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0
}

# parse_perfdhcp FILE -> "do_sent do_rcvd do_drop% ra_sent ra_rcvd ra_drop% rate"
parse_perfdhcp() {
	awk '
		/^\*\*\*Statistics for: DISCOVER-OFFER/ {sec = "do"; next}
		/^\*\*\*Statistics for: REQUEST-ACK/    {sec = "ra"; next}
		/^\*\*\*/                                {sec = ""}
		/^Rate: /                                {rate = $2}
		sec != "" && /^sent packets:/            {v[sec "s"] = $3}
		sec != "" && /^received packets:/        {v[sec "r"] = $3}
		sec != "" && /^drops ratio:/             {v[sec "d"] = $3}
		END {
			if (!("dos" in v)) exit 1
			printf "%s %s %s %s %s %s %s\n", v["dos"], v["dor"], v["dod"] + 0,
				("ras" in v) ? v["ras"] : 0, ("rar" in v) ? v["rar"] : 0,
				("rad" in v) ? v["rad"] + 0 : 100, (rate == "") ? 0 : rate
		}' "$1"
}

declare -A RES    # "server.run" -> "do_s do_r do_d ra_s ra_r ra_d exch_per_s cpu_us_per_exch cpu_pct"
declare -A STORE  # server -> lease store size after the last run
declare -A SKIP   # server -> reason it was not measured

# udp_stats NS: "InDatagrams RcvbufErrors" of the namespace's UDP (all sockets)
udp_stats() {
	ip netns exec "$1" awk '/^Udp:/ {if (!h) {for (i = 2; i <= NF; i++) k[i] = $i; h = 1}
		else for (i = 2; i <= NF; i++) v[k[i]] = $i}
		END {print v["InDatagrams"] + 0, v["RcvbufErrors"] + 0}' /proc/net/snmp 2>/dev/null || echo "0 0"
}

# link_drops NS DEV: "rx_dropped tx_dropped" of a device, as its namespace sees it
link_drops() {
	ip netns exec "$1" sh -c 'cd "/sys/class/net/$1/statistics" && echo "$(cat rx_dropped) $(cat tx_dropped)"' sh "$2" \
		2>/dev/null || echo "0 0"
}

declare -A WHERE # "server.run" -> where messages were lost, outside perfdhcp's counts

# perf SERVER RUN NS IFACE [SERVER-NS]: one perfdhcp test from NS (relay
# address on IFACE) to SERVER_IP, with SERVER_PID's CPU time around it, and
# the kernel's drop counters on perfdhcp's side (and on the server's, for a
# server that uses kernel UDP sockets).
perf() {
	local server=$1 run=$2 ns=$3 ifc=$4 sns=${5:-} tag="$1.$2" rc=0
	local c0 c1 cu0 cu1 su0 su1 l0 l1
	cu0=$(udp_stats "$ns")
	l0=$(link_drops "$ns" "$ifc")
	[[ -n $sns ]] && su0=$(udp_stats "$sns")
	c0=$(cpu_ticks)
	fg ip netns exec "$ns" timeout $((DURATION + 60)) \
		perfdhcp -4 -l "$ifc" -r "$RATE" -R "$CLIENTS" -p "$DURATION" -x e ${PERFDHCP_OPTS} "$SERVER_IP" \
		>"$tmp/$tag.perfdhcp" 2>&1 || rc=$?
	c1=$(cpu_ticks)
	cu1=$(udp_stats "$ns")
	l1=$(link_drops "$ns" "$ifc")
	[[ -n $sns ]] && su1=$(udp_stats "$sns")
	# 3: "one or more exchanges are not successfully completed", which is
	# what the drop counts report.
	if ((rc != 0 && rc != 3)); then
		sed 's/^/  perfdhcp: /' "$tmp/$tag.perfdhcp" >&2
		die "$server run $run: perfdhcp failed (exit status $rc)"
	fi
	local v
	v=$(parse_perfdhcp "$tmp/$tag.perfdhcp") || {
		sed 's/^/  perfdhcp: /' "$tmp/$tag.perfdhcp" >&2
		die "$server run $run: no statistics in perfdhcp's output"
	}
	local dos dor dod ras rar rad rate
	read -r dos dor dod ras rar rad rate <<<"$v"
	# Completed exchanges per second: perfdhcp's "Rate", the ACKs received
	# over the test's elapsed time; CPU time per completed exchange.
	local eps cpu pct
	eps=$(awk -v rate="$rate" -v r="$rar" -v d="$DURATION" 'BEGIN {printf "%.1f", (rate > 0) ? rate : r / d}')
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v r="$rar" 'BEGIN {if (r > 0) printf "%.1f", t / hz / r * 1e6; else print "nan"}')
	pct=$(awk -v t=$((c1 - c0)) -v hz="$HZ" -v d="$DURATION" 'BEGIN {printf "%.0f", t / hz / d * 100}')
	RES[$tag]="$dos $dor $dod $ras $rar $rad $eps $cpu $pct"
	local w
	w=$(awk -v a="$cu0" -v b="$cu1" 'BEGIN {split(a, x, " "); split(b, y, " ")
		printf "perfdhcp side: %d UDP datagrams received, %d dropped (receive buffer full)", y[1] - x[1], y[2] - x[2]}')
	w+=$(awk -v a="$l0" -v b="$l1" -v d="$ifc" 'BEGIN {split(a, x, " "); split(b, y, " ")
		printf ", %s rx_dropped %d tx_dropped %d", d, y[1] - x[1], y[2] - x[2]}')
	if [[ -n $sns ]]; then
		w+=$(awk -v a="$su0" -v b="$su1" 'BEGIN {split(a, x, " "); split(b, y, " ")
			printf "; server side: %d UDP datagrams received, %d dropped (receive buffer full)", y[1] - x[1], y[2] - x[2]}')
	fi
	WHERE[$tag]=$w
	log "$server run $run/$RUNS: DISCOVER-OFFER $dos sent, $dor received, $dod% drops;" \
		"REQUEST-ACK $ras sent, $rar received, $rad% drops; $eps exchanges/s;" \
		"server CPU $(awk -v t=$((c1 - c0)) -v hz="$HZ" 'BEGIN {printf "%.2f", t / hz}') s ($pct% of one CPU), $cpu us/exchange"
}

# probe NS IFACE: a few 4-way exchanges of one client (not one of the
# test's), retried while the server starts; succeeds once an ACK comes back.
probe() {
	local ns=$1 ifc=$2 v
	for _ in $(seq 10); do
		fg ip netns exec "$ns" timeout 10 perfdhcp -4 -l "$ifc" -r 10 -p 1 -b mac=02:00:00:00:00:01 "$SERVER_IP" \
			>"$tmp/probe.out" 2>&1 || true
		v=$(parse_perfdhcp "$tmp/probe.out") && (($(awk '{print $5}' <<<"$v") > 0)) && return 0
		sleep 0.5
	done
	return 1
}

fstype() { df -PT "$1" 2>/dev/null | awk 'NR == 2 {print $2 " (" $1 ")"}'; }

relay_addr() { # relay_addr NS DEV: perfdhcp's side, the giaddr
	timeout 10 ip -n "$1" addr add "$RELAY_IP/$CIDR_LEN" dev "$2"
	timeout 10 ip -n "$1" link set "$2" up
}

# ---------------------------------------------------------------- dnsmasq

run_dnsmasq() { # run_dnsmasq RUN
	local run=$1 s="$NSP-ds" c="$NSP-dc" sif="nbd${ID}s" cif="nbd${ID}c" dir="$tmp/dnsmasq.$1"
	mkdir -p "$dir"
	addns "$s"; addns "$c"
	timeout 10 ip -n "$s" link add "$sif" type veth peer name "$cif" netns "$c"
	timeout 10 ip -n "$s" addr add "$SERVER_IP/$CIDR_LEN" dev "$sif"
	timeout 10 ip -n "$s" link set "$sif" up
	relay_addr "$c" "$cif"
	# --no-ping: otherwise dnsmasq pings every address before offering it and
	# nothing answers here, so it completes next to nothing. --quiet-dhcp: no
	# log line per DHCP message. --dhcp-lease-max: the default (1000) would
	# refuse most of the clients. --conf-file=/dev/null: not the system's
	# /etc/dnsmasq.conf.
	ip netns exec "$s" timeout "$BUDGET" dnsmasq --no-daemon --conf-file=/dev/null --pid-file= \
		--port=0 --interface="$sif" --bind-interfaces \
		--dhcp-range="$POOL_START,$POOL_END,255.255.0.0,$LEASE_TIME" \
		--dhcp-leasefile="$dir/leases" --dhcp-authoritative \
		--dhcp-lease-max=$((POOL_SIZE + 1)) --no-ping --quiet-dhcp \
		>"$dir/dnsmasq.log" 2>&1 &
	local wrapper=$!
	PIDS+=("$wrapper")
	waitfor 20 "dnsmasq listening on port 67 in $s" \
		sh -c "ip netns exec '$s' ss -Hlun 'sport = :67' | grep -q ."
	SERVER_PID=$(child_of "$wrapper")
	[[ -n $SERVER_PID ]] || { cat "$dir/dnsmasq.log" >&2; die "dnsmasq: process not found"; }
	if ! probe "$c" "$cif"; then
		sed 's/^/  perfdhcp: /' "$tmp/probe.out" >&2
		sed 's/^/  dnsmasq: /' "$dir/dnsmasq.log" >&2
		die "dnsmasq: no answer to one relayed 4-way exchange (outputs above)"
	fi
	((run > 1)) || log "dnsmasq: pid $SERVER_PID, version $(dnsmasq --version | awk '{print $3; exit}'), lease file on $(fstype "$dir")"
	perf dnsmasq "$run" "$c" "$cif" "$s"
	kill -0 "$SERVER_PID" 2>/dev/null || log "dnsmasq: WARNING: the process died during the run"
	SERVER_PID=""
	stoppid "$wrapper" 10
	STORE[dnsmasq]="$(awk 'END {print NR}' "$dir/leases" 2>/dev/null || echo 0) leases in its lease file, $(du -sk "$dir/leases" 2>/dev/null | awk '{print $1}') KiB"
	delns "$c" "$s"
}

# ---------------------------------------------------------------- neutrino

NEUTRINO=""
neutrino_bin() { # builds once; sets NEUTRINO, or SKIP[neutrino] with the reason
	local bin=${NEUTRINO_BIN:-}
	if [[ -z $bin ]]; then
		log "neutrino: building ./cmd/neutrino"
		fg sh -c 'cd "$1" && CGO_ENABLED=0 exec timeout 600 "$3" build -o "$2" ./cmd/neutrino' \
			sh "$REPO" "$tmp/neutrino" "$GO" || die "neutrino: go build ./cmd/neutrino failed"
		bin="$tmp/neutrino"
	fi
	[[ -x $bin ]] || die "neutrino: $bin is not an executable"
	if ! timeout 10 "$bin" run -h 2>&1 | grep -q -- '-state-dir'; then
		SKIP[neutrino]="this neutrino has no 'run --state-dir' (its DHCP server with persisted leases is not there yet)"
		return 0
	fi
	NEUTRINO=$bin
}

run_neutrino() { # run_neutrino RUN
	local run=$1 sw="$NSP-ns" c="$NSP-nc" dir="$tmp/neutrino.$1" tap=tapperf
	mkdir -p "$dir/state"
	addns "$sw"; addns "$c"
	# neutrino runs in its own namespace, so its TAP device appears there.
	ip netns exec "$sw" timeout "$BUDGET" "$NEUTRINO" run --state-dir "$dir/state" \
		--socket "$dir/neutrino.sock" "$TOPOLOGY" >"$dir/neutrino.log" 2>&1 &
	local wrapper=$!
	PIDS+=("$wrapper")
	local i
	for i in $(seq 200); do
		if ! kill -0 "$wrapper" 2>/dev/null; then
			sed 's/^/  neutrino: /' "$dir/neutrino.log" >&2
			die "neutrino: the process exited before its TAP device appeared (log above)"
		fi
		ip -n "$sw" link show "$tap" >/dev/null 2>&1 && break
		((i < 200)) || die "neutrino: $tap did not appear in $sw within 20 s"
		sleep 0.1
	done
	SERVER_PID=$(child_of "$wrapper")
	[[ -n $SERVER_PID ]] || { cat "$dir/neutrino.log" >&2; die "neutrino: process not found"; }
	timeout 10 ip -n "$sw" link set "$tap" netns "$c"
	relay_addr "$c" "$tap"
	if ! probe "$c" "$tap"; then
		sed 's/^/  perfdhcp: /' "$tmp/probe.out" >&2
		sed 's/^/  neutrino: /' "$dir/neutrino.log" >&2
		die "neutrino: no answer to one relayed 4-way exchange (outputs above)"
	fi
	((run > 1)) || log "neutrino: pid $SERVER_PID, state directory on $(fstype "$dir/state")"
	perf neutrino "$run" "$c" "$tap"
	kill -0 "$SERVER_PID" 2>/dev/null || log "neutrino: WARNING: the process died during the run"
	if [[ -S $dir/neutrino.sock ]]; then
		timeout 10 "$NEUTRINO" show --socket "$dir/neutrino.sock" counters >"$tmp/neutrino.counters" 2>&1 || true
	fi
	SERVER_PID=""
	# Stopping flushes the leases: the state directory's size is measured after.
	stoppid "$wrapper" 10
	STORE[neutrino]="$(du -sk "$dir/state" | awk '{print $1}') KiB in its state directory ($(find "$dir/state" -type f | wc -l) files)"
	delns "$c" "$sw"
}

# ---------------------------------------------------------------- main

log "run $ID: servers ${SERVERS[*]}; perfdhcp -r $RATE -R $CLIENTS -p $DURATION, $RUNS run(s);" \
	"pool $POOL_START-$POOL_END ($POOL_SIZE addresses), lease time ${LEASE_TIME}s"
if want neutrino; then
	neutrino_bin
	[[ -n ${SKIP[neutrino]:-} ]] && log "neutrino: SKIPPED: ${SKIP[neutrino]}"
fi
for ((r = 1; r <= RUNS; r++)); do
	want dnsmasq && run_dnsmasq "$r"
	if want neutrino && [[ -z ${SKIP[neutrino]:-} ]]; then run_neutrino "$r"; fi
done

# ---------------------------------------------------------------- report

median() { # numbers on stdin -> median
	sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
		if (NR%2) print v[(NR+1)/2]; else printf "%.3f\n", (v[NR/2]+v[NR/2+1])/2}'
}
col() { # col SERVER N: median over the runs of field N of RES
	local r
	for ((r = 1; r <= RUNS; r++)); do awk -v n="$2" '{print $n}' <<<"${RES[$1.$r]}"; done | awk '$1 != "nan"' | median
}

echo
echo "neutrino DHCP benchmark $(date -u +%Y-%m-%dT%H:%M:%SZ), host $(uname -r), $(nproc) CPUs"
echo "perfdhcp $(perfdhcp -v 2>&1 | awk '{print $NF; exit}') as a relay agent (giaddr $RELAY_IP) to $SERVER_IP:" \
	"-r $RATE -R $CLIENTS -p $DURATION, $RUNS run(s)$( ((RUNS > 1)) && echo ', medians')"
echo "pool $POOL_START-$POOL_END ($POOL_SIZE addresses), lease time ${LEASE_TIME}s, leases on $(fstype "$tmp")"
echo
printf '%-9s %21s %21s %11s %10s %6s\n' "" "DISCOVER-OFFER" "REQUEST-ACK" "completed" "server CPU" ""
printf '%-9s %7s %7s %5s %7s %7s %5s %11s %10s %6s\n' server sent rcvd drop% sent rcvd drop% exchanges/s us/exch "%CPU"
declare -A EPS RAD
for s in "${SERVERS[@]}"; do
	if [[ -n ${SKIP[$s]:-} ]]; then
		printf '%-9s SKIPPED: %s\n' "$s" "${SKIP[$s]}"
		continue
	fi
	EPS[$s]=$(col "$s" 7)
	RAD[$s]=$(col "$s" 6)
	printf '%-9s %7.0f %7.0f %5.1f %7.0f %7.0f %5.1f %11.1f %10s %6s\n' "$s" \
		"$(col "$s" 1)" "$(col "$s" 2)" "$(col "$s" 3)" "$(col "$s" 4)" "$(col "$s" 5)" "${RAD[$s]}" \
		"${EPS[$s]}" "$(col "$s" 8)" "$(col "$s" 9)"
done
if ((RUNS > 1)); then
	echo
	echo "each run (exchanges/s, REQUEST-ACK drops %, server CPU us/exchange):"
	for s in "${SERVERS[@]}"; do
		[[ -n ${SKIP[$s]:-} ]] && continue
		printf '  %-9s' "$s"
		for ((r = 1; r <= RUNS; r++)); do
			awk '{printf "  %s/%s%%/%s", $7, $6, $8}' <<<"${RES[$s.$r]}"
		done
		echo
	done
fi
if ((${#WHERE[@]} > 0)); then
	echo
	echo "kernel drop counters, last run (messages perfdhcp counts as dropped may have been lost here):"
	for s in "${SERVERS[@]}"; do
		[[ -z ${WHERE[$s.$RUNS]:-} ]] || echo "  $s: ${WHERE[$s.$RUNS]}"
	done
fi
if ((${#STORE[@]} > 0)); then
	echo
	for s in "${SERVERS[@]}"; do
		[[ -z ${STORE[$s]:-} ]] || echo "$s after the last run: ${STORE[$s]}"
	done
fi
if want dnsmasq && want neutrino && [[ -n ${EPS[dnsmasq]:-} && -n ${EPS[neutrino]:-} ]]; then
	ratio=$(awk -v a="${EPS[neutrino]}" -v b="${EPS[dnsmasq]}" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "inf"}')
	echo
	echo "ratio neutrino/dnsmasq (completed exchanges/s): $ratio"
	met=$(awk -v r="$ratio" -v d="${RAD[neutrino]}" 'BEGIN {print ((r == "inf" || r >= 10) && d < 5) ? "met" : "NOT met"}')
	echo "target (neutrino >= 10x dnsmasq's exchanges/s, < 5% REQUEST-ACK drops): $met"
elif want neutrino && [[ -n ${SKIP[neutrino]:-} ]]; then
	echo
	echo "no ratio: neutrino was skipped (see above)"
fi
if [[ -s $tmp/neutrino.counters ]]; then
	# The dhcp part of "neutrino show counters": from a line that starts with
	# "dhcp" to the next line that is not indented.
	# and its "drops:" line.
	dhcp=$(awk 'tolower($0) ~ /^dhcp/ {on = 1; print; next} on && /^[ \t]/ {print; next} {on = 0}' "$tmp/neutrino.counters")
	echo
	echo "neutrino show counters after its last run:"
	grep '^drops:' "$tmp/neutrino.counters" | sed 's/^/  /' || true
	if [[ -n $dhcp ]]; then
		sed 's/^/  /' <<<"$dhcp"
	else
		echo "  (no dhcp section in this neutrino's show counters)"
	fi
fi
