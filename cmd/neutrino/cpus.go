package main

import (
	"fmt"
	"runtime"
	"strconv"
)

// cpusUsage is the help text of run's --cpus.
const cpusUsage = "how many CPUs the node runs its own code on at once (GOMAXPROCS; default: all it may use, or $GOMAXPROCS). " +
	"Fewer cost less CPU per frame where several nodes share a small host, but a port that never goes quiet (a storm) " +
	"then delays the others' frames"

// setDatapathCPUs applies --cpus: flag above 0 sets how many CPUs (Ps)
// the node's Go code may use at once; 0 keeps the runtime's choice (the
// CPUs the process may use, or $GOMAXPROCS). It returns the number in
// effect, or an error for a negative flag or one above the host's CPUs.
//
// All CPUs is the default because each port has its own reader: with
// one P, a port whose reader always finds frames (a broadcast storm, a
// flood from a VM) keeps the P, and the runtime looks for the other
// ports' frames only every 10 ms. bench/storm.sh measured it: a TCP
// stream beside a storm kept 0.27 to 0.42 Gb/s with one P, 3.6 to 4.0
// with two, on two CPUs. Fewer Ps still help where two nodes share a
// two-CPU host (bench/vxlan.sh: about 12% less CPU per 10 Gb with one P
// each), since the runtime then wakes no idle thread to look for work.
func setDatapathCPUs(flag int) (int, error) {
	if flag < 0 || flag > runtime.NumCPU() {
		return 0, fmt.Errorf("--cpus must be 1 to %d (the host's CPUs), or 0 for the default; got %d", runtime.NumCPU(), flag)
	}
	if flag > 0 {
		runtime.GOMAXPROCS(flag)
	}
	return runtime.GOMAXPROCS(0), nil
}

// cpusString formats the CPUs in use for the start-up log.
func cpusString(n int) string {
	return strconv.Itoa(n) + " of " + strconv.Itoa(runtime.NumCPU())
}
