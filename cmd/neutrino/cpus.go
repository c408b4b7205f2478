package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// cpusUsage is the help text of run's --cpus.
const cpusUsage = "how many CPUs the node runs its own code on at once (GOMAXPROCS); " +
	"default: half of those it may use, at least 1, or $GOMAXPROCS when set"

// datapathCPUs returns how many CPUs (Ps) the node's Go code may use at
// once: flag when it is above 0, else the GOMAXPROCS environment variable
// when it is set (env, which the runtime has already applied: avail is
// then its value), else half of avail, the CPUs the process may use, at
// least 1.
//
// Half, because the datapath's work is only partly its own: a write into
// a TAP device runs the receiving VM's network stack in the writing
// thread, and a send on the underlay runs the peer's whole receive path,
// while the VMs' own threads need CPUs too. Two nodes of a lab on a
// two-CPU host, or one node routing between VMs there, make more
// throughput with one P each than with two: with every CPU given to the
// runtime, its idle threads are woken to look for work on every packet
// and contend with the VMs (measured with bench/vxlan.sh and
// bench/router.sh; see the README's performance section).
func datapathCPUs(flag int, env string, avail int) int {
	switch {
	case flag > 0:
		return flag
	case env != "":
		return avail
	}
	return max(1, avail/2)
}

// setDatapathCPUs applies --cpus (see datapathCPUs) and returns the
// number of CPUs set, or an error for a negative flag or one above what
// the host has.
func setDatapathCPUs(flag int) (int, error) {
	if flag < 0 || flag > runtime.NumCPU() {
		return 0, fmt.Errorf("--cpus must be 1 to %d (the host's CPUs), or 0 for the default; got %d", runtime.NumCPU(), flag)
	}
	n := datapathCPUs(flag, os.Getenv("GOMAXPROCS"), runtime.GOMAXPROCS(0))
	if n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
	return n, nil
}

// cpusString formats the CPUs in use for the start-up log.
func cpusString(n int) string {
	return strconv.Itoa(n) + " of " + strconv.Itoa(runtime.NumCPU())
}
