package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// These tests run the real binary inside a network namespace of their own
// (so its TAP devices appear there, never in the host's namespace), move
// the TAP devices into one namespace per VM, and send traffic between them.

// buildBinary builds neutrino once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "neutrino")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// node is a running `neutrino run` in its own namespace.
type node struct {
	sw     *netnstest.NS
	proc   *netnstest.Proc
	socket string
	bin    string
}

func startNode(t *testing.T, bin, topology string, sw *netnstest.NS, devices ...string) *node {
	t.Helper()
	dir := t.TempDir()
	topo := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(topo, []byte(topology), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &node{sw: sw, socket: filepath.Join(dir, "node.sock"), bin: bin}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	n.proc = sw.Start(ctx, bin, "run", "--socket", n.socket, topo)
	for _, dev := range devices {
		waitFor(t, n, func() bool {
			_, err := sw.Run(context.Background(), "ip", "link", "show", dev)
			return err == nil
		}, "device "+dev+" to appear")
	}
	waitFor(t, n, func() bool { _, err := os.Stat(n.socket); return err == nil }, "the control socket")
	return n
}

func waitFor(t *testing.T, n *node, ok func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s; node output:\n%s", what, n.proc.Output())
}

// vm moves a TAP device of the node into a new namespace and addresses it.
func vm(t *testing.T, n *node, dev, cidr string) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t, "ntvm")
	n.sw.Exec("ip", "link", "set", dev, "netns", ns.Name)
	ns.Exec("ip", "addr", "add", cidr, "dev", dev)
	ns.Exec("ip", "link", "set", dev, "up")
	return ns
}

func ping(ns *netnstest.NS, addr string) error {
	_, err := ns.Run(context.Background(), "ping", "-c", "3", "-i", "0.2", "-W", "1", addr)
	return err
}

const twoNetworks = `version: 1
networks:
  - name: demo
    type: local
    subnets: [{name: demo-subnet, cidr: 10.0.0.0/24}]
  - name: other
    type: local
    subnets: [{name: other-subnet, cidr: 10.0.0.0/24}]
ports:
  - {name: vm1, network: demo, fixed_ips: [10.0.0.11]}
  - {name: vm2, network: demo, fixed_ips: [10.0.0.12]}
  - {name: vm3, network: other, fixed_ips: [10.0.0.13]}
`

func TestIntegrationTwoPorts(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	bin := buildBinary(t)
	sw := netnstest.New(t, "ntsw")
	n := startNode(t, bin, twoNetworks, sw, "tapvm1", "tapvm2", "tapvm3")
	vm1 := vm(t, n, "tapvm1", "10.0.0.11/24")
	vm2 := vm(t, n, "tapvm2", "10.0.0.12/24")
	vm(t, n, "tapvm3", "10.0.0.13/24")

	if err := ping(vm1, "10.0.0.12"); err != nil {
		t.Fatalf("vm1 -> vm2 on one network: %v\nnode:\n%s", err, n.proc.Output())
	}
	// vm3 has an address of the same subnet but sits on another network.
	if err := ping(vm1, "10.0.0.13"); err == nil {
		t.Errorf("vm1 reached vm3 on another network")
	}

	// The node answers show over its control socket.
	code, out, errs := runCLI("show", "--socket", n.socket, "fdb")
	if code != 0 || !strings.Contains(out, "vm1") || !strings.Contains(out, "vm2") {
		t.Errorf("show fdb: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("show", "--socket", n.socket, "--json", "ports")
	var ports []datapath.PortInfo
	if code != 0 || json.Unmarshal([]byte(out), &ports) != nil || len(ports) != 3 {
		t.Errorf("show --json ports: exit %d\n%s%s", code, out, errs)
	}

	if _, err := exec.LookPath("iperf3"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		vm2.Start(ctx, "iperf3", "-s", "-1", "-B", "10.0.0.12")
		time.Sleep(300 * time.Millisecond)
		res, err := vm1.Run(ctx, "iperf3", "-c", "10.0.0.12", "-t", "3", "-J")
		if err != nil {
			t.Fatalf("iperf3: %v", err)
		}
		gbps := iperfGbps(t, res)
		t.Logf("iperf3 TCP vm1 -> vm2 through neutrino: %.2f Gb/s", gbps)
		if gbps <= 0 {
			t.Errorf("iperf3 moved nothing")
		}
	} else {
		t.Log("iperf3 not installed: TCP throughput not measured")
	}

	// SIGTERM stops the node cleanly and its TAP devices go away, even
	// those moved into other namespaces.
	if err := n.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := n.proc.Wait(10 * time.Second); err != nil {
		t.Errorf("node exit: %v\n%s", err, n.proc.Output())
	}
	if _, err := vm1.Run(context.Background(), "ip", "link", "show", "tapvm1"); err == nil {
		t.Errorf("tapvm1 still exists after the node stopped")
	}
}

func iperfGbps(t *testing.T, js string) float64 {
	t.Helper()
	var r struct {
		End struct {
			SumReceived struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatalf("iperf3 output: %v\n%s", err, js)
	}
	return r.End.SumReceived.BitsPerSecond / 1e9
}

func TestIntegrationVLANUplink(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	bin := buildBinary(t)
	sw := netnstest.New(t, "ntsw")
	ext := netnstest.New(t, "ntext")
	up, peer := netnstest.Veth(t, sw, ext)
	topology := fmt.Sprintf(`version: 1
uplinks:
  - {name: physnet1, interface: %s}
networks:
  - name: prov
    type: vlan
    physical: physnet1
    segment: 100
    subnets: [{name: prov-subnet, cidr: 10.0.0.0/24}]
ports:
  - {name: vm1, network: prov, fixed_ips: [10.0.0.11]}
`, up)
	n := startNode(t, bin, topology, sw, "tapvm1")
	vm1 := vm(t, n, "tapvm1", "10.0.0.11/24")

	// Behind the uplink: VLAN 100 holds 10.0.0.50, VLAN 200 10.0.0.60.
	ext.Exec("ip", "link", "add", "link", peer, "name", "v100", "type", "vlan", "id", "100")
	ext.Exec("ip", "addr", "add", "10.0.0.50/24", "dev", "v100")
	ext.Exec("ip", "link", "set", "v100", "up")
	ext.Exec("ip", "link", "add", "link", peer, "name", "v200", "type", "vlan", "id", "200")
	ext.Exec("ip", "addr", "add", "10.0.0.60/32", "dev", "v200")
	ext.Exec("ip", "link", "set", "v200", "up")

	if err := ping(vm1, "10.0.0.50"); err != nil {
		t.Fatalf("vm1 -> VLAN 100 behind the uplink: %v\nnode:\n%s", err, n.proc.Output())
	}
	if err := ping(vm1, "10.0.0.60"); err == nil {
		t.Errorf("vm1 reached VLAN 200, which is no network of the node")
	}
	// What the uplink carries really is tagged with the segment.
	if _, err := exec.LookPath("tcpdump"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		dump := ext.Start(ctx, "tcpdump", "-l", "-n", "-e", "-c", "2", "-i", peer, "vlan 100 and icmp")
		time.Sleep(500 * time.Millisecond)
		ping(vm1, "10.0.0.50")
		dump.Wait(5 * time.Second)
		if out := dump.Output(); !regexp.MustCompile(`vlan 100`).MatchString(out) {
			t.Errorf("tcpdump on the uplink saw no frame tagged 100:\n%s", out)
		}
	}
	// Frames tagged 200 reach the node and are dropped as unknown_vlan.
	ext.Run(context.Background(), "ping", "-c", "2", "-i", "0.2", "-W", "1", "-I", "v200", "10.0.0.11")
	code, out, errs := runCLI("show", "--socket", n.socket, "--json", "counters")
	var c datapath.Counters
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("show counters: exit %d\n%s%s", code, out, errs)
	}
	if c.Drops["unknown_vlan"] == 0 {
		t.Errorf("no unknown_vlan drops after frames tagged 200: %+v", c.Drops)
	}
}
