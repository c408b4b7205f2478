package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// These tests run the real binary with attach: netns ports: the node, in a
// test namespace of its own, creates one namespace per port under
// /run/netns (names with a random suffix, except for the embedded default
// topology's vm1 and vm2), and deletes those it created when it stops.

// netnsLab: one local network with MTU 1450; subnet a with a gateway and a
// host route, subnet b without a gateway. h1 has an address in each (b's
// first, so the default route must come from the first subnet that has a
// gateway); h2 names its device ens3.
const netnsLab = `version: 1
networks:
  - name: lab
    type: local
    mtu: 1450
    subnets:
      - name: a
        cidr: 10.61.0.0/24
        gateway: 10.61.0.1
        host_routes:
          - {destination: 172.31.0.0/16, nexthop: 10.61.0.254}
      - name: b
        cidr: 10.62.0.0/24
        gateway: none
ports:
  - name: h1
    network: lab
    attach: netns
    netns: %s
    fixed_ips: [10.62.0.11, 10.61.0.11]
  - name: h2
    network: lab
    attach: netns
    netns: %s
    ifname: ens3
    fixed_ips: [10.61.0.12]
`

func TestNetnsPorts(t *testing.T) {
	requireNetnsTools(t, "ping", "sh", "cat")
	bin := buildBinary(t)
	ns1, ns2 := uniqueNetns(t, "ntnsa"), uniqueNetns(t, "ntnsb")
	sw := netnstest.New(t, "ntsw")
	n := startNetnsNode(t, bin, fmt.Sprintf(netnsLab, ns1, ns2), sw)
	n.waitRunning(t)

	macs := map[string]string{}
	for _, p := range n.ports(t) {
		macs[p.Name] = p.MAC
		switch p.Name {
		case "h1", "h2":
			want := map[string]string{"h1": ns1, "h2": ns2}[p.Name]
			if p.Netns != want || p.Attach != "netns" {
				t.Errorf("show --json ports: %s has netns %q attach %q, want %q netns", p.Name, p.Netns, p.Attach, want)
			}
		}
	}

	type want struct {
		ns, dev, mac string
		addrs        []string
	}
	for _, w := range []want{
		{ns1, "eth0", macs["h1"], []string{"10.61.0.11/24", "10.62.0.11/24"}},
		{ns2, "ens3", macs["h2"], []string{"10.61.0.12/24"}},
	} {
		links := nsLinks(t, w.ns)
		if lo, ok := links["lo"]; !ok || !lo.up() {
			t.Errorf("%s: lo not up: %+v", w.ns, lo)
		}
		dev, ok := links[w.dev]
		if !ok {
			t.Errorf("%s: no device %s: %+v", w.ns, w.dev, links)
			continue
		}
		if len(links) != 2 {
			t.Errorf("%s: links %v, want lo and %s only", w.ns, mapKeys(links), w.dev)
		}
		if !dev.up() || dev.MTU != 1450 || w.mac == "" || !strings.EqualFold(dev.Address, w.mac) {
			t.Errorf("%s: %s flags %v mtu %d mac %s, want UP, mtu 1450, the port's MAC %q", w.ns, w.dev, dev.Flags, dev.MTU, dev.Address, w.mac)
		}
		got := dev.inet()
		slices.Sort(got)
		if !slices.Equal(got, w.addrs) {
			t.Errorf("%s: %s has addresses %v, want %v", w.ns, w.dev, got, w.addrs)
		}
		// `ip -j link` says the same of the device as `ip -j addr`.
		var ll []ipLink
		ipnsJSON(t, w.ns, &ll, "link", "show", "dev", w.dev)
		if len(ll) != 1 || ll[0].MTU != 1450 || !strings.EqualFold(ll[0].Address, w.mac) {
			t.Errorf("%s: ip -j link show dev %s: %+v", w.ns, w.dev, ll)
		}

		var routes []ipRoute
		ipnsJSON(t, w.ns, &routes, "route", "show")
		var defaults, hostRoutes int
		for _, r := range routes {
			switch r.Dst {
			case "default":
				defaults++
				if r.Gateway != "10.61.0.1" || r.Dev != w.dev {
					t.Errorf("%s: default route %+v, want via 10.61.0.1 dev %s", w.ns, r, w.dev)
				}
			case "172.31.0.0/16":
				hostRoutes++
				if r.Gateway != "10.61.0.254" || r.Dev != w.dev {
					t.Errorf("%s: host route %+v, want 172.31.0.0/16 via 10.61.0.254 dev %s", w.ns, r, w.dev)
				}
			}
		}
		if defaults != 1 || hostRoutes != 1 {
			t.Errorf("%s: %d default routes and %d host routes, want one each: %+v", w.ns, defaults, hostRoutes, routes)
		}
	}

	// neutrino exec: traffic both ways, exit status, stdin.
	for _, c := range []struct{ port, to string }{{"h1", "10.61.0.12"}, {"h2", "10.61.0.11"}} {
		if r := neutrinoExec(t, bin, n.socket, "", c.port, "--", "ping", "-c", "1", "-W", "2", c.to); r.code != 0 {
			t.Errorf("exec %s -- ping %s: exit %d\n%s%s\nnode:\n%s", c.port, c.to, r.code, r.stdout, r.stderr, n.Output())
		}
	}
	if r := neutrinoExec(t, bin, n.socket, "", "h1", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec h1 -- sh -c 'exit 7': exit %d, want 7\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := neutrinoExec(t, bin, n.socket, "hello", "h2", "--", "cat"); r.code != 0 || r.stdout != "hello" {
		t.Errorf("exec h2 -- cat with stdin hello: exit %d, stdout %q, want hello\n%s", r.code, r.stdout, r.stderr)
	}
	// The command runs in the port's namespace: it sees its device.
	if r := neutrinoExec(t, bin, n.socket, "", "h2", "--", "ip", "-br", "addr", "show", "dev", "ens3"); r.code != 0 || !strings.Contains(r.stdout, "10.61.0.12/24") {
		t.Errorf("exec h2 -- ip -br addr show dev ens3: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// show ports: a NETNS column with each port's namespace.
	code, out, errs := runCLI("show", "--socket", n.socket, "ports")
	if code != 0 {
		t.Fatalf("show ports: exit %d\n%s%s", code, out, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	col := slices.Index(strings.Fields(lines[0]), "NETNS")
	if col < 0 {
		t.Fatalf("show ports: no NETNS column:\n%s", out)
	}
	found := map[string]string{}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > col {
			found[f[0]] = f[col]
		}
	}
	if found["h1"] != ns1 || found["h2"] != ns2 {
		t.Errorf("show ports: NETNS of h1 %q, h2 %q, want %s, %s:\n%s", found["h1"], found["h2"], ns1, ns2, out)
	}

	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit status %d after SIGTERM, want 0:\n%s", code, n.Output())
	}
	requireNetnsGone(t, ns1, ns2)
}

func TestNetnsStopSIGINT(t *testing.T) {
	requireNetnsTools(t)
	bin := buildBinary(t)
	ns1, ns2 := uniqueNetns(t, "ntnsa"), uniqueNetns(t, "ntnsb")
	sw := netnstest.New(t, "ntsw")
	n := startNetnsNode(t, bin, fmt.Sprintf(netnsLab, ns1, ns2), sw)
	n.waitRunning(t)
	if !netnsExists(ns1) || !netnsExists(ns2) {
		t.Fatalf("namespaces %s %s: exist %v %v, want both", ns1, ns2, netnsExists(ns1), netnsExists(ns2))
	}
	if code := n.stop(t, syscall.SIGINT); code != 0 {
		t.Errorf("node exit status %d after SIGINT, want 0:\n%s", code, n.Output())
	}
	requireNetnsGone(t, ns1, ns2)
}

// netnsThree: three netns ports, p2's namespace between the others.
const netnsThree = `version: 1
networks:
  - name: lab
    type: local
    subnets: [{name: lab-subnet, cidr: 10.63.0.0/24}]
ports:
  - {name: p1, network: lab, attach: netns, netns: %s, fixed_ips: [10.63.0.11]}
  - {name: p2, network: lab, attach: netns, netns: %s, fixed_ips: [10.63.0.12]%s}
  - {name: p3, network: lab, attach: netns, netns: %s, fixed_ips: [10.63.0.13]}
`

func TestNetnsExisting(t *testing.T) {
	requireNetnsTools(t, "ping")
	bin := buildBinary(t)
	ns1, ns2, ns3 := uniqueNetns(t, "ntnsa"), uniqueNetns(t, "ntnsb"), uniqueNetns(t, "ntnsc")
	netnstest.Exec(t, "ip", "netns", "add", ns2)
	sw := netnstest.New(t, "ntsw")

	// Refused: the node exits 1 and leaves nothing behind.
	n := startNetnsNode(t, bin, fmt.Sprintf(netnsThree, ns1, ns2, "", ns3), sw)
	if code := n.wait(t, 15*time.Second); code != 1 {
		t.Errorf("node exit status %d with namespace %s existing, want 1:\n%s", code, ns2, n.Output())
	}
	if out := n.Output(); !strings.Contains(out, ns2) || !strings.Contains(out, "netns_reuse") {
		t.Errorf("the node's error does not name namespace %s and netns_reuse:\n%s", ns2, out)
	}
	for _, ns := range []string{ns1, ns3} {
		if netnsExists(ns) {
			t.Errorf("namespace %s (created before or after the refused one) left behind", ns)
		}
	}
	if !netnsExists(ns2) {
		t.Fatalf("the existing namespace %s is gone", ns2)
	}
	for _, c := range []struct{ ns, what string }{{sw.Name, "the node's namespace"}, {ns2, "the existing namespace"}} {
		if links := nsLinks(t, c.ns); len(links) != 1 {
			t.Errorf("links left in %s (%s): %v, want lo only", c.what, c.ns, mapKeys(links))
		}
	}

	// netns_reuse: true: the node uses it and leaves it in place.
	n = startNetnsNode(t, bin, fmt.Sprintf(netnsThree, ns1, ns2, ", netns_reuse: true", ns3), sw)
	n.waitRunning(t)
	var p2 datapath.PortInfo
	for _, p := range n.ports(t) {
		if p.Name == "p2" {
			p2 = p
		}
	}
	links := nsLinks(t, ns2)
	if eth0 := links["eth0"]; !eth0.up() || !strings.EqualFold(eth0.Address, p2.MAC) || !slices.Equal(eth0.inet(), []string{"10.63.0.12/24"}) {
		t.Errorf("reused %s: eth0 %+v, want up with p2's MAC %s and 10.63.0.12/24", ns2, eth0, p2.MAC)
	}
	if r := neutrinoExec(t, bin, n.socket, "", "p1", "--", "ping", "-c", "1", "-W", "2", "10.63.0.12"); r.code != 0 {
		t.Errorf("exec p1 -- ping p2 in the reused namespace: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit status %d after SIGTERM, want 0:\n%s", code, n.Output())
	}
	requireNetnsGone(t, ns1, ns3)
	if !netnsExists(ns2) {
		t.Fatalf("the reused namespace %s was deleted at stop", ns2)
	}
	// Its device goes with the node (a TAP device lives as long as its
	// descriptor; the kernel may take a moment).
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		links := nsLinks(t, ns2)
		if len(links) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("links left in the reused namespace %s after stop: %v", ns2, mapKeys(links))
			break
		}
	}
}

func TestNetnsDefaultTopology(t *testing.T) {
	requireNetnsTools(t, "ping")
	for _, ns := range []string{"vm1", "vm2"} {
		if netnsExists(ns) {
			t.Skipf("namespace %s exists already: the default topology would be refused", ns)
		}
	}
	bin := buildBinary(t)
	removeNetnsAtCleanup(t, "vm1")
	removeNetnsAtCleanup(t, "vm2")
	sw := netnstest.New(t, "ntsw")
	n := startNetnsNode(t, bin, "", sw)
	n.waitRunning(t)
	for _, c := range []struct{ port, to string }{{"vm1", "10.0.0.12"}, {"vm2", "10.0.0.11"}} {
		if r := neutrinoExec(t, bin, n.socket, "", c.port, "--", "ping", "-c", "1", "-W", "2", c.to); r.code != 0 {
			t.Errorf("exec %s -- ping -c 1 %s: exit %d\n%s%s\nnode:\n%s", c.port, c.to, r.code, r.stdout, r.stderr, n.Output())
		}
	}
	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit status %d after SIGTERM, want 0:\n%s", code, n.Output())
	}
	requireNetnsGone(t, "vm1", "vm2")
}

// netnsBare: a netns port without a fixed IP, one with, and a tap port.
const netnsBare = `version: 1
networks:
  - name: lab
    type: local
    subnets: [{name: lab-subnet, cidr: 10.64.0.0/24}]
ports:
  - {name: bare, network: lab, attach: netns, netns: %s}
  - {name: host, network: lab, attach: netns, netns: %s, fixed_ips: [10.64.0.11]}
  - {name: vmtap, network: lab, fixed_ips: [10.64.0.12]}
`

func TestNetnsNoAddressAndExecErrors(t *testing.T) {
	requireNetnsTools(t)
	bin := buildBinary(t)
	ns1, ns2 := uniqueNetns(t, "ntnsa"), uniqueNetns(t, "ntnsb")
	sw := netnstest.New(t, "ntsw")
	n := startNetnsNode(t, bin, fmt.Sprintf(netnsBare, ns1, ns2), sw)
	n.waitRunning(t)

	links := nsLinks(t, ns1)
	if eth0, ok := links["eth0"]; !ok || !eth0.up() || len(eth0.inet()) != 0 {
		t.Errorf("%s: eth0 %+v, want up without an address", ns1, eth0)
	}
	var routes []ipRoute
	ipnsJSON(t, ns1, &routes, "route", "show")
	if len(routes) != 0 {
		t.Errorf("%s: routes %+v, want none", ns1, routes)
	}
	if out := n.Output(); !strings.Contains(out, "namespace "+ns1+": no fixed IP") {
		t.Errorf("the node's log does not say that %s comes up without an address:\n%s", ns1, out)
	}

	r := neutrinoExec(t, bin, n.socket, "", "nosuch", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, `"nosuch"`) {
		t.Errorf("exec nosuch: exit %d, want 1 and an error naming it\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range []string{"bare", "host", "vmtap"} {
		if !strings.Contains(r.stderr, p) {
			t.Errorf("exec nosuch: the error does not list port %s:\n%s", p, r.stderr)
		}
	}
	r = neutrinoExec(t, bin, n.socket, "", "vmtap", "--", "true")
	if r.code != 1 || !strings.Contains(r.stderr, "vmtap has no namespace") {
		t.Errorf("exec vmtap (a tap port): exit %d, want 1 and \"has no namespace\"\n%s%s", r.code, r.stdout, r.stderr)
	}

	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit status %d after SIGTERM, want 0:\n%s", code, n.Output())
	}
	requireNetnsGone(t, ns1, ns2)
}

// A signal while the node is still creating its namespaces stops it as
// one after: what it created so far is deleted.
func TestNetnsSignalDuringStartup(t *testing.T) {
	requireNetnsTools(t)
	bin := buildBinary(t)
	var b strings.Builder
	b.WriteString("version: 1\nnetworks:\n  - name: lab\n    type: local\n    subnets: [{name: s, cidr: 10.65.0.0/24}]\nports:\n")
	var names []string
	for i := 1; i <= 16; i++ {
		ns := uniqueNetns(t, "ntnsq")
		names = append(names, ns)
		fmt.Fprintf(&b, "  - {name: q%d, network: lab, attach: netns, netns: %s, fixed_ips: [10.65.0.%d]}\n", i, ns, 10+i)
	}
	sw := netnstest.New(t, "ntsw")
	n := startNetnsNode(t, bin, b.String(), sw)
	// As soon as the first namespace is ready, while the others are being
	// created.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(n.Output(), "namespace ready"); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no namespace ready within 10s:\n%s", n.Output())
		}
	}
	if code := n.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("node exit status %d (%v) after SIGTERM during startup, want 0:\n%s", code, n.cmd.ProcessState, n.Output())
	}
	requireNetnsGone(t, names...)
}

// ifname: lo can never work (every namespace has lo): check says so
// instead of run failing.
func TestNetnsIfnameLoRejectedByCheck(t *testing.T) {
	topo := filepath.Join(t.TempDir(), "lo.yaml")
	if err := os.WriteFile(topo, []byte(`version: 1
networks:
  - name: lab
    type: local
    subnets: [{name: s, cidr: 10.66.0.0/24}]
ports:
  - {name: p1, network: lab, attach: netns, ifname: lo, fixed_ips: [10.66.0.11]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI("check", topo)
	if code == 0 || !strings.Contains(out+errs, "ifname") || !strings.Contains(out+errs, "lo") {
		t.Errorf("check with ifname: lo: exit %d, want an error on ifname\n%s%s", code, out, errs)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var k []string
	for name := range m {
		k = append(k, name)
	}
	slices.Sort(k)
	return k
}
