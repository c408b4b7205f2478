package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"neutrino/control"
	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// Helpers for the DHCP client tests: real DHCP clients (ISC dhclient,
// busybox udhcpc, dhcpcd) run in a VM's namespace against a running node.
// None of them may touch a file of the host: each runs with a script of
// ours, which applies what the client got with ip(8) inside the namespace
// and records the client's environment to a log in the test's temporary
// directory, and never writes resolv.conf or a hostname.

// startNodeIn starts `neutrino run` in sw with its topology, control
// socket and state in dir, so that a second node started on the same dir
// finds the first one's leases.
func startNodeIn(t *testing.T, bin, topology string, sw *netnstest.NS, dir string, devices ...string) *node {
	t.Helper()
	topo := filepath.Join(dir, "topology.yaml")
	if err := os.WriteFile(topo, []byte(topology), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &node{sw: sw, socket: filepath.Join(dir, "node.sock"), bin: bin}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	n.proc = sw.Start(ctx, bin, "run", "--socket", n.socket, "--state-dir", filepath.Join(dir, "state"), topo)
	for _, dev := range devices {
		waitFor(t, n, func() bool {
			_, err := sw.Run(context.Background(), "ip", "link", "show", dev)
			return err == nil
		}, "device "+dev+" to appear")
	}
	waitFor(t, n, func() bool {
		_, err := control.Call(n.socket, "ports")
		return err == nil
	}, "the control socket")
	return n
}

// stopNode stops the node with SIGTERM and waits for it to exit.
func stopNode(t *testing.T, n *node) {
	t.Helper()
	if err := n.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := n.proc.Wait(10 * time.Second); err != nil {
		t.Fatalf("node exit: %v\n%s", err, n.proc.Output())
	}
}

// clientVM moves the node's TAP device dev into a new namespace and brings
// it up, without an address: the DHCP client is to configure it.
func clientVM(t *testing.T, n *node, dev string) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t, "ntdh")
	// No IPv6: its router and neighbour solicitations are noise here.
	ns.Exec("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	n.sw.Exec("ip", "link", "set", dev, "netns", ns.Name)
	ns.Exec("ip", "link", "set", dev, "up")
	return ns
}

// nodeLeases reads the node's DHCP leases, as `neutrino show --json
// leases` prints them.
func nodeLeases(t *testing.T, n *node) []datapath.LeaseEntry {
	t.Helper()
	var leases []datapath.LeaseEntry
	code, out, errs := runCLI("show", "--socket", n.socket, "--json", "leases")
	if code != 0 {
		t.Fatalf("show --json leases: exit %d\n%s%s", code, out, errs)
	}
	if err := json.Unmarshal([]byte(out), &leases); err != nil {
		t.Fatalf("show --json leases: %v\n%s", err, out)
	}
	return leases
}

// leaseOf returns the lease of mac, if the node lists one.
func leaseOf(leases []datapath.LeaseEntry, mac string) (datapath.LeaseEntry, bool) {
	for _, l := range leases {
		if strings.EqualFold(l.MAC, mac) {
			return l, true
		}
	}
	return datapath.LeaseEntry{}, false
}

// dhcpStats returns the node's DHCP counters for network.
func dhcpStats(t *testing.T, n *node, network string) map[string]uint64 {
	t.Helper()
	c := nodeCounters(t, n)
	if c.DHCP[network] == nil {
		return map[string]uint64{}
	}
	return c.DHCP[network]
}

// portMAC returns the MAC the node gave the port's TAP device.
func portMAC(t *testing.T, n *node, port string) string {
	t.Helper()
	data, err := control.Call(n.socket, "ports")
	if err != nil {
		t.Fatal(err)
	}
	var ports []datapath.PortInfo
	if err := json.Unmarshal(data, &ports); err != nil {
		t.Fatal(err)
	}
	for _, p := range ports {
		if p.Name == port {
			return p.MAC
		}
	}
	t.Fatalf("the node has no port %s", port)
	return ""
}

// A clientEvent is one run of a client's script: the reason (bound,
// renew, BOUND, ...) and the environment the client gave it.
type clientEvent struct {
	Reason string
	Env    map[string]string
}

// readEvents reads the events a script recorded, each a line "@@ EVENT",
// the output of env and a line "@@.". An event still being written is
// left out.
func readEvents(path string) []clientEvent {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var evs []clientEvent
	var cur *clientEvent
	for _, line := range strings.Split(string(data), "\n") {
		switch r, ok := strings.CutPrefix(line, "@@ "); {
		case ok:
			cur = &clientEvent{Reason: r, Env: map[string]string{}}
		case line == "@@." && cur != nil:
			evs = append(evs, *cur)
			cur = nil
		case cur != nil:
			if k, v, ok := strings.Cut(line, "="); ok {
				cur.Env[k] = v
			}
		}
	}
	return evs
}

// lastEvent returns the last recorded event with one of the reasons.
func lastEvent(evs []clientEvent, reasons ...string) (clientEvent, bool) {
	for i := len(evs) - 1; i >= 0; i-- {
		for _, r := range reasons {
			if evs[i].Reason == r {
				return evs[i], true
			}
		}
	}
	return clientEvent{}, false
}

// waitEvent waits until the script has recorded count events with one of
// the reasons, and returns the last of them.
func waitEvent(log string, timeout time.Duration, count int, reasons ...string) (clientEvent, bool) {
	deadline := time.Now().Add(timeout)
	for {
		evs := readEvents(log)
		n := 0
		for _, e := range evs {
			for _, r := range reasons {
				if e.Reason == r {
					n++
				}
			}
		}
		if n >= count {
			return lastEvent(evs, reasons...)
		}
		if time.Now().After(deadline) {
			return clientEvent{}, false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// writeScript writes a file, executable (the scripts; the clients'
// configuration files too, which does no harm).
func writeScript(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

// udhcpcScript is busybox udhcpc's -s script: $1 is the event; ip, mask
// (a prefix length), router, staticroutes (option 121 as "CIDR GW ..."),
// mtu, dns and domain are in the environment. Option 121, when present,
// replaces the router option (RFC 3442); a gateway 0.0.0.0 means on-link.
const udhcpcScript = `
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set dev "$interface" up
	;;
bound|renew)
	ip addr replace "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	if [ -n "$staticroutes" ]; then
		set -- $staticroutes
		while [ $# -ge 2 ]; do
			if [ "$2" = 0.0.0.0 ]; then
				ip route replace "$1" dev "$interface"
			else
				ip route replace "$1" via "$2" dev "$interface"
			fi
			shift 2
		done
	else
		for r in $router; do ip route replace default via "$r" dev "$interface"; done
	fi
	;;
esac
`

// dhclientScript is ISC dhclient's -sf script: $reason is the event;
// new_ip_address, new_subnet_mask (dotted), new_routers,
// new_rfc3442_classless_static_routes (option 121 as decimal bytes),
// new_interface_mtu, new_domain_name_servers and new_domain_name are in
// the environment.
const dhclientScript = `
case "$reason" in
PREINIT)
	ip link set dev "$interface" up
	;;
BOUND|RENEW|REBIND|REBOOT)
	ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
	[ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
	if [ -n "$new_rfc3442_classless_static_routes" ]; then
		set -- $new_rfc3442_classless_static_routes
		while [ $# -gt 0 ]; do
			w=$1; shift
			n=$(( (w + 7) / 8 )); i=0; net=
			while [ $i -lt 4 ]; do
				if [ $i -lt $n ]; then o=$1; shift; else o=0; fi
				net="$net${net:+.}$o"; i=$((i + 1))
			done
			gw="$1.$2.$3.$4"; shift 4
			if [ "$gw" = 0.0.0.0 ]; then
				ip route replace "$net/$w" dev "$interface"
			else
				ip route replace "$net/$w" via "$gw" dev "$interface"
			fi
		done
	else
		for r in $new_routers; do ip route replace default via "$r" dev "$interface"; done
	fi
	;;
esac
`

// dhclientConf asks for what Debian's dhclient.conf asks for, option 121
// included (which dhclient must be told the format of).
const dhclientConf = `option rfc3442-classless-static-routes code 121 = array of unsigned integer 8;
request subnet-mask, broadcast-address, time-offset, routers,
	domain-name, domain-name-servers, domain-search, host-name,
	interface-mtu, rfc3442-classless-static-routes;
timeout 15;
retry 1;
`

// dhcpcdScript is dhcpcd's -c script. dhcpcd configures the address and
// routes itself; the script only records, and sets the link MTU as
// Debian's hooks of older dhcpcd versions did (dhcpcd 9 puts the MTU on
// its routes).
const dhcpcdScript = `
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
	[ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
	;;
esac
`

// dhcpcdConf is dhcpcd's configuration: Debian's requests, no IPv6, no
// link-local fallback, no ARP probing (the test has no other host to
// collide with, and the probe takes seconds). Its hooks (resolv.conf,
// hostname, ...) never run: -c replaces them with the test's script.
const dhcpcdConf = `option domain_name_servers, domain_name, domain_search, host_name
option classless_static_routes
option interface_mtu
require dhcp_server_identifier
ipv4only
noipv4ll
noarp
`

// scriptFor returns the script for one client: it saves the event (event
// is how the client passes it: udhcpc as $1, the others as $reason), runs
// body, then appends the event and the environment to log (see
// readEvents), so that an event in the log is one whose configuration is
// done.
func scriptFor(body, log, event string) string {
	return "#!/bin/sh\nevent=\"" + event + "\"\n" + body +
		"{ echo \"@@ $event\"; env; echo @@.; } >> '" + log + "'\nexit 0\n"
}

// capture records the DHCP traffic on dev in ns with tcpdump, when it is
// installed, and logs it in full if the test fails.
func capture(t *testing.T, ns *netnstest.NS, dev string) {
	t.Helper()
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return
	}
	pcap := filepath.Join(t.TempDir(), dev+".pcap")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	p := ns.Start(ctx, "tcpdump", "-i", dev, "-n", "-U", "--immediate-mode", "-s", "1500", "-w", pcap, "udp port 67 or udp port 68")
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(p.Output(), "listening on") {
			break
		}
	}
	t.Cleanup(func() {
		// Give tcpdump's last packets a moment, then stop it.
		time.Sleep(100 * time.Millisecond)
		_ = p.Signal(os.Interrupt)
		_ = p.Wait(2 * time.Second)
		cancel()
		if !t.Failed() {
			return
		}
		out, _ := netnstest.Run(context.Background(), "tcpdump", "-n", "-vv", "-r", pcap)
		t.Logf("DHCP traffic on %s:\n%s", dev, out)
	})
}

// ipJSON runs `ip -j ARGS` in ns and decodes its output into v.
func ipJSON(t *testing.T, ns *netnstest.NS, v any, args ...string) {
	t.Helper()
	out := ns.Exec(append([]string{"ip", "-j"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("ip -j %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// addrsOf returns the IPv4 addresses of dev as CIDRs ("10.0.0.5/24").
func addrsOf(t *testing.T, ns *netnstest.NS, dev string) []string {
	t.Helper()
	var links []struct {
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	ipJSON(t, ns, &links, "-4", "addr", "show", "dev", dev)
	var out []string
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if a.Family == "inet" {
				out = append(out, fmt.Sprintf("%s/%d", a.Local, a.PrefixLen))
			}
		}
	}
	return out
}

// route is one IPv4 route of the main table, as `ip -j route` has it.
type route struct {
	Dst     string           `json:"dst"`
	Gateway string           `json:"gateway"`
	Dev     string           `json:"dev"`
	Scope   string           `json:"scope"`
	Metrics []map[string]any `json:"metrics"`
}

// String is "DST via GW" or "DST dev" (on-link), with "default" written
// 0.0.0.0/0.
func (r route) String() string {
	dst := r.Dst
	if dst == "default" {
		dst = "0.0.0.0/0"
	}
	if r.Gateway == "" {
		return dst + " on-link"
	}
	return dst + " via " + r.Gateway
}

// mtu returns the route's mtu metric, 0 if none.
func (r route) mtu() int {
	for _, m := range r.Metrics {
		if v, ok := m["mtu"].(float64); ok {
			return int(v)
		}
	}
	return 0
}

// routesOf returns the IPv4 routes through dev.
func routesOf(t *testing.T, ns *netnstest.NS, dev string) []route {
	t.Helper()
	var rs []route
	ipJSON(t, ns, &rs, "-4", "route", "show", "dev", dev)
	for i := range rs {
		rs[i].Dev = dev
	}
	return rs
}

// linkMTU returns dev's MTU.
func linkMTU(t *testing.T, ns *netnstest.NS, dev string) int {
	t.Helper()
	var links []struct {
		MTU int `json:"mtu"`
	}
	ipJSON(t, ns, &links, "link", "show", "dev", dev)
	if len(links) != 1 {
		t.Fatalf("ip -j link show dev %s: %d links", dev, len(links))
	}
	return links[0].MTU
}
