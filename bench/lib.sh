# Shared by the bench scripts (sourced, not run): cleanup on exit, network
# namespaces, and background processes that INT/TERM can stop at once.
#
# The sourcing script sets, before sourcing: tmp (its temp dir, removed on
# exit), KEEP (a directory to copy tmp to on exit, or empty) and KEEP_WHAT
# (what the kept files are, for the message). It then uses PIDS and NETNS
# through the functions below.

PIDS=()   # processes to stop on exit (timeout wrappers or daemons)
NETNS=()  # namespaces to delete on exit
CLEANED=0

cleanup() {
	local rc=$?
	((CLEANED)) && return 0
	CLEANED=1
	set +e
	trap '' INT TERM
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 50); do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		((alive)) || break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	# Anything still running inside our namespaces (iperf3, daemons' children).
	local ns
	for ns in "${NETNS[@]}"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	done
	sleep 0.2
	for ns in "${NETNS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [[ -n $KEEP ]]; then
		mkdir -p "$KEEP" && cp -r "$tmp"/. "$KEEP"/ 2>/dev/null && rm -f "$KEEP"/neutrino &&
			echo "${KEEP_WHAT:-raw results and logs} kept in $KEEP" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

addns() { # addns NAME: a fresh namespace, lo up, no IPv6 chatter
	timeout 10 ip netns add "$1"
	NETNS+=("$1")
	timeout 10 ip -n "$1" link set lo up
	timeout 10 ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1 || true
}

delns() { # delns NAME...: kill what runs inside and delete
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	done
	sleep 0.2
	for ns in "$@"; do
		timeout 10 ip netns del "$ns" 2>/dev/null || true
		local i keep=()
		for i in "${NETNS[@]}"; do [[ $i == "$ns" ]] || keep+=("$i"); done
		NETNS=("${keep[@]}")
	done
}

forget() { # forget PID: drop it from PIDS
	local i keep=()
	for i in "${PIDS[@]}"; do [[ $i == "$1" ]] || keep+=("$i"); done
	PIDS=("${keep[@]}")
}

stoppid() { # stoppid PID [SECONDS]: TERM, wait (default 5 s), KILL; forget it
	local p=$1 secs=${2:-5}
	kill -TERM "$p" 2>/dev/null || true
	for _ in $(seq $((secs * 10))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	forget "$p"
}

# fg CMD...: run CMD in the background and wait for it, so that INT/TERM
# reach our trap at once (bash defers traps while a foreground child runs,
# and drops SIGINT if the child did not die of it).
fg() {
	"$@" &
	local p=$! rc=0
	PIDS+=("$p")
	wait "$p" || rc=$?
	forget "$p"
	return "$rc"
}

waitfor() { # waitfor SECONDS WHAT CMD...: poll CMD every 0.1 s
	local secs=$1 what=$2
	shift 2
	for _ in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "timed out after ${secs}s waiting for $what"
}
