# Shared by the bench scripts (sourced, not run, right after the script
# defines die): choosing the setups to measure and checking the tools they
# need. It defines functions and the empty list missing, nothing else.

missing=() # the tools not found, as "CMD (Debian package: PKG)"

# pick SELECTED WHAT ALL...: the names of ALL, in that order, that the
# comma-separated SELECTED (an --only value) lists, into PICKED. An unknown
# name, or none at all, is an error naming the choices.
pick() {
	local sel=$1 what=$2 s w
	shift 2
	local -a wanted
	PICKED=()
	IFS=',' read -r -a wanted <<<"$sel"
	for s in "$@"; do
		for w in "${wanted[@]}"; do if [[ $w == "$s" ]]; then PICKED+=("$s"); break; fi; done
	done
	for w in "${wanted[@]}"; do
		[[ " $* " == *" $w "* ]] || die "--only: unknown $what '$w' (want some of $(IFS=,; echo "$*"))"
	done
	((${#PICKED[@]} > 0)) || die "--only selects no $what"
}

# need CMD DEBIAN-PACKAGE: CMD must be on the PATH.
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package: $2)"); }

# need_go: the Go toolchain, to build neutrino, into GO.
need_go() {
	GO=$(command -v go 2>/dev/null || true)
	[[ -z $GO && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
	[[ -n $GO ]] || missing+=("go (the Go toolchain: golang-go, or the one in /usr/local/go)")
}

# need_json: python3 or jq, to read iperf3's and neutrino's JSON, into JSON.
need_json() {
	if command -v python3 >/dev/null 2>&1; then
		JSON=python3
	elif command -v jq >/dev/null 2>&1; then
		JSON=jq
	else
		missing+=("python3 or jq (Debian package: python3, or jq)")
	fi
}

# exit_if_missing NAME: list the missing tools and exit 1, if any.
exit_if_missing() {
	((${#missing[@]} == 0)) && return
	echo "$1: missing tools; install them with apt-get install:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	exit 1
}
