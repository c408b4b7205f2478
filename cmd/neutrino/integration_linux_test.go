package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
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
	return startNodeIn(t, bin, topology, sw, t.TempDir(), devices...)
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
	vm3 := vm(t, n, "tapvm3", "10.0.0.13/24")

	if err := ping(vm1, "10.0.0.12"); err != nil {
		t.Fatalf("vm1 -> vm2 on one network: %v\nnode:\n%s", err, n.proc.Output())
	}
	// vm3 has an address of the same subnet but sits on another network.
	if err := ping(vm1, "10.0.0.13"); err == nil {
		t.Errorf("vm1 reached vm3 on another network")
	}

	// A TAP device deleted from under the node is reported once; the
	// other ports go on.
	vm3.Exec("ip", "link", "del", "tapvm3")
	waitFor(t, n, func() bool { return strings.Contains(n.proc.Output(), "port stopped") }, "the node to report tapvm3 gone")
	if err := ping(vm1, "10.0.0.12"); err != nil {
		t.Errorf("vm1 -> vm2 after tapvm3 was deleted: %v", err)
	}
	if got := strings.Count(n.proc.Output(), "port stopped"); got != 1 {
		t.Errorf("tapvm3's loss reported %d times, want once:\n%s", got, n.proc.Output())
	}

	// The node answers show over its control socket.
	code, out, errs := runCLI("show", "--socket", n.socket, "fdb")
	if code != 0 || !strings.Contains(out, "vm1") || !strings.Contains(out, "vm2") {
		t.Errorf("show fdb: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("show", "--socket", n.socket, "--json", "ports")
	var ports []datapath.PortInfo
	if code != 0 || json.Unmarshal([]byte(out), &ports) != nil || len(ports) != 3 || ports[2].State != "gone" {
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
		gbps, err := netnstest.IperfGbps(res)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("iperf3 TCP vm1 -> vm2 through neutrino: %.2f Gb/s", gbps)
		if gbps <= 0 {
			t.Errorf("iperf3 moved nothing")
		}
		// TCP crossed as super-frames, whole from TAP to TAP.
		c := nodeCounters(t, n)
		if c.Ports[0].Link["rx_super_frames"] == 0 || c.Ports[1].Link["tx_super_frames"] == 0 {
			t.Errorf("no super-frames from vm1 to vm2: %v / %v", c.Ports[0].Link, c.Ports[1].Link)
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

func TestIntegrationVLANUplink(t *testing.T) {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ping")
	bin := buildBinary(t)
	sw := netnstest.New(t, "ntsw")
	ext := netnstest.New(t, "ntext")
	// No IPv6 on the veth: its neighbour discovery would add untagged
	// frames the counts below don't expect.
	for _, ns := range []*netnstest.NS{sw, ext} {
		ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
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

	// Behind the uplink, a host on VLAN 100 (10.0.0.50), played by the
	// test on an AF_PACKET socket: the kernel may have no 8021q module,
	// and the test wants to see the tags on the wire anyway.
	host := startVLANHost(t, ext, peer, 100, net.IPv4(10, 0, 0, 50))
	if err := ping(vm1, "10.0.0.50"); err != nil {
		t.Fatalf("vm1 -> VLAN 100 behind the uplink: %v\nnode:\n%s\nhost saw: %v", err, n.proc.Output(), host.seen())
	}
	if seen := host.seen(); seen[100] == 0 || len(seen) != 1 {
		t.Errorf("frames on the uplink by VLAN id: %v, want only 100", seen)
	}
	// The host's frames on another VLAN, or untagged, reach nobody: the
	// node drops them as unknown_vlan (the network has no flat sibling).
	before := nodeCounters(t, n).Drops["unknown_vlan"]
	host.send(t, 200, arpRequest(host.mac, net.IPv4(10, 0, 0, 50), net.IPv4(10, 0, 0, 11)))
	host.send(t, 0, arpRequest(host.mac, net.IPv4(10, 0, 0, 50), net.IPv4(10, 0, 0, 11)))
	time.Sleep(300 * time.Millisecond)
	if got := nodeCounters(t, n).Drops["unknown_vlan"] - before; got != 2 {
		t.Errorf("unknown_vlan drops went up by %d after 2 frames tagged 200 and untagged, want 2", got)
	}
}

// nodeCounters reads the node's counters through `neutrino show`.
func nodeCounters(t *testing.T, n *node) datapath.Counters {
	t.Helper()
	code, out, errs := runCLI("show", "--socket", n.socket, "--json", "counters")
	var c datapath.Counters
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("show counters: exit %d\n%s%s", code, out, errs)
	}
	return c
}
