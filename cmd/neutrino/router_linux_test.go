package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"neutrino/datapath"
)

// These tests run the router of configs/examples/seed002-lab.yaml against
// real kernel stacks: VMs and an outside host are attach: netns ports, and
// everything is checked through `neutrino exec` (ping, iperf3, tcpdump, a
// UDP probe) and the node's `show --json` answers.

// seed002Lab is configs/examples/seed002-lab.yaml with unique names, an
// external network whose MTU (1400) is lower than the tenants' (1500), and
// VMs whose security groups let anything in (group open): these tests are
// about the router; the filters only have to pass what it sends.
const seed002Lab = `version: 1
uplinks:
  - name: physnet1
    tap: {{.Tap}}
networks:
  - name: ext-net
    type: flat
    physical: physnet1
    external: true
    mtu: 1400
    subnets:
      - name: ext-subnet
        cidr: 192.168.1.0/24
        gateway: 192.168.1.1
        enable_dhcp: false
  - name: net-91
    type: local
    subnets:
      - name: subnet-91
        cidr: 91.1.180.0/24
        gateway: 91.1.180.1
  - name: net-81
    type: local
    subnets:
      - name: subnet-81
        cidr: 81.1.180.0/24
        gateway: 81.1.180.1
ports:
  - name: vm-91-14
    network: net-91
    attach: netns
    netns: {{ns "vm-91-14"}}
    mac: fa:16:3e:f3:1e:c0
    fixed_ips: [91.1.180.14]
    security_groups: [default, open]
  - name: vm-81-12
    network: net-81
    attach: netns
    netns: {{ns "vm-81-12"}}
    mac: fa:16:3e:2b:3e:2a
    fixed_ips: [81.1.180.12]
    security_groups: [default, open]
  - name: outside
    network: ext-net
    attach: netns
    netns: {{ns "outside"}}
    port_security: false
    fixed_ips: [192.168.1.15]
routers:
  - name: router1
    external_gateway:
      network: ext-net
      ip: 192.168.1.110
      mac: fa:16:3e:2e:5b:23
    interfaces:
      - {subnet: subnet-91, mac: "fa:16:3e:90:e5:50"}
      - {subnet: subnet-81, mac: "fa:16:3e:87:40:f3"}
floating_ips:
  - floating_ip_address: 192.168.1.104
    floating_network: ext-net
    port: vm-91-14
security_groups:
  - name: open
    rules: [{direction: ingress}]
`

// The seed's addresses.
const (
	vm91     = "91.1.180.14" // has the floating IP
	vm81     = "81.1.180.12" // has none
	qr91     = "91.1.180.1"
	qr81     = "81.1.180.1"
	outside  = "192.168.1.15"
	gwIP     = "192.168.1.110"
	fip      = "192.168.1.104"
	extGW    = "192.168.1.1"
	iperfTCP = "4M" // bytes an iperf3 run sends
)

func TestRouterSeed002(t *testing.T) {
	t.Parallel()
	l := startRouterLab(t, seed002Lab)

	// First: later tests must not have left a path MTU in the VM's cache.
	t.Run("mtu", func(t *testing.T) { l.t = t; testRouterMTU(l) })
	t.Run("snat_ping", func(t *testing.T) { l.t = t; testRouterSNATPing(l) })
	t.Run("snat_tcp", func(t *testing.T) { l.t = t; testRouterSNATTCP(l) })
	t.Run("snat_udp", func(t *testing.T) { l.t = t; testRouterSNATUDP(l) })
	t.Run("fip_ping", func(t *testing.T) { l.t = t; testRouterFIPPing(l) })
	t.Run("fip_tcp", func(t *testing.T) { l.t = t; testRouterFIPTCP(l) })
	t.Run("hairpin", func(t *testing.T) { l.t = t; testRouterHairpin(l) })
	t.Run("hairpin_self_conntrack", func(t *testing.T) { l.t = t; testRouterHairpinSelfConntrack(l) })
	t.Run("east_west", func(t *testing.T) { l.t = t; testRouterEastWest(l) })
	t.Run("ttl_exceeded", func(t *testing.T) { l.t = t; testRouterTTL(l) })
	t.Run("port_unreachable", func(t *testing.T) { l.t = t; testRouterPortUnreachable(l) })
	t.Run("show", func(t *testing.T) { l.t = t; testRouterShow(l) })
}

// mtu: a datagram too big for ext-net's MTU is fragmented by the router
// without DF and answered with fragmentation needed (mtu 1400) with DF.
func testRouterMTU(l *routerLab) {
	t := l.t
	links := nsLinks(t, l.netns["outside"])
	if eth0 := links["eth0"]; eth0.MTU != 1400 {
		t.Fatalf("outside: eth0 MTU %d, want ext-net's 1400", eth0.MTU)
	}
	if r := l.routers()["router1"]; len(r.Ports) != 3 || r.Ports[2].MTU != 1400 {
		t.Fatalf("show routers: ports %+v, want the qg- port last with MTU 1400", r.Ports)
	}

	// 1500 bytes without DF: the router sends it on in two fragments,
	// which the outside host reassembles; its answer comes back the same
	// way, fragmented by the outside host's own stack.
	before := l.snmpIP("outside", "ReasmOKs")
	if r := l.ping("vm-81-12", "-c", "1", "-M", "dont", "-s", "1472", outside); r.code != 0 || !strings.Contains(r.stdout, "1480 bytes from "+outside) {
		t.Errorf("ping -M dont -s 1472 %s: exit %d, want an answer\n%s%s", outside, r.code, r.stdout, r.stderr)
	}
	if after := l.snmpIP("outside", "ReasmOKs"); after <= before {
		t.Errorf("outside: ReasmOKs %d -> %d: the 1500-byte datagram did not arrive in fragments", before, after)
	}

	// With DF: fragmentation needed from the qr- address the VM sent to,
	// carrying the qg- port's MTU; ping reports it.
	for _, c := range []struct{ port, qr string }{{"vm-81-12", qr81}, {"vm-91-14", qr91}} {
		r := l.ping(c.port, "-c", "1", "-M", "do", "-s", "1472", outside)
		want := "From " + c.qr + " icmp_seq=1 Frag needed and DF set (mtu = 1400)"
		if r.code == 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: ping -M do -s 1472 %s: exit %d, want it to fail with %q\n%s%s", c.port, outside, r.code, want, r.stdout, r.stderr)
		}
	}
	// The VM learnt the path MTU; without DF, larger datagrams still go
	// through, now fragmented by the VM.
	for _, c := range []struct{ from, to string }{{"vm-81-12", outside}, {"vm-91-14", outside}, {"outside", fip}} {
		if r := l.ping(c.from, "-c", "1", "-M", "dont", "-s", "3000", c.to); r.code != 0 || !strings.Contains(r.stdout, "3008 bytes from "+c.to) {
			t.Errorf("%s: ping -M dont -s 3000 %s: exit %d, want an answer\n%s%s", c.from, c.to, r.code, r.stdout, r.stderr)
		}
	}
}

// snat_ping: the outside host sees the VM's ping from the gateway IP.
func testRouterSNATPing(l *routerLab) {
	t := l.t
	dump := l.capture("outside", 1, "icmp[icmptype] == icmp-echo")
	l.mustPing("vm-81-12", outside)
	out, err := dump.wait(t, 5*time.Second)
	if err != nil {
		t.Fatalf("tcpdump in outside: %v\n%s", err, out)
	}
	if want := "IP " + gwIP + " > " + outside + ": ICMP echo request"; !strings.Contains(out, want) {
		t.Errorf("tcpdump in outside: want %q:\n%s", want, out)
	}
	l.expectConn("icmp", vm81, outside, 0, fmt.Sprintf("with the reply %s -> %s (SNAT to the gateway IP), replied, zone 1", outside, gwIP), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == outside && e.Reply.Dst == gwIP && e.Replied && e.Zone == 1
	})
}

// snat_tcp: iperf3 from the VM to the outside host, who accepts it from
// the gateway IP.
func testRouterSNATTCP(l *routerLab) {
	t := l.t
	run := l.iperf("outside", "vm-81-12", outside, "-n", iperfTCP)
	if run.client.End.SumReceived.Bytes <= 0 {
		t.Errorf("iperf3 %s -> %s: received %v bytes", vm81, outside, run.client.End.SumReceived.Bytes)
	}
	if c := run.client.Start.Connected; len(c) != 1 || c[0].LocalHost != vm81 {
		t.Errorf("iperf3 client: connected %+v, want from %s", c, vm81)
	}
	if want := "Accepted connection from " + gwIP + ","; !strings.Contains(run.server, want) {
		t.Errorf("iperf3 server in outside: want %q:\n%s", want, run.server)
	}
	l.expectConn("tcp", vm81, outside, 5201, "with the reply to "+gwIP+" and the same port (kept), closed", func(e datapath.ConntrackEntry) bool {
		return e.Reply.Dst == gwIP && e.Reply.DPort == e.Orig.SPort && (e.State == "TIME_WAIT" || e.State == "CLOSE")
	})
}

// snat_udp: iperf3 -u, and a UDP probe that tells whom the outside host
// heard from.
func testRouterSNATUDP(l *routerLab) {
	t := l.t
	run := l.iperf("outside", "vm-81-12", outside, "-u", "-b", "50M", "-l", "1000", "-n", "500K")
	if s := run.client.End.Sum; s.Bytes <= 0 || s.Packets <= 0 || s.LostPackets >= s.Packets {
		t.Errorf("iperf3 -u %s -> %s: %+v, want datagrams through", vm81, outside, s)
	}
	if want := "connected to " + gwIP + " port"; !strings.Contains(run.server, want) {
		t.Errorf("iperf3 server in outside: want %q:\n%s", want, run.server)
	}
	if from := l.udpFrom("outside", "vm-81-12", outside, "7101"); !strings.HasPrefix(from, gwIP+":") {
		t.Errorf("UDP from %s to %s arrived from %s, want %s (SNAT)", vm81, outside, from, gwIP)
	}
	l.expectConn("udp", vm81, outside, 7101, fmt.Sprintf("with the reply to %s, replied, zone 1", gwIP), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Dst == gwIP && e.Replied && e.Zone == 1
	})
}

// udpFrom runs the UDP probe's server in server's namespace on port, a
// client in client's toward addr:port, and returns the address the server
// heard from.
func (l *routerLab) udpFrom(server, client, addr, port string) string {
	l.t.Helper()
	srv := l.start(server, "listening", l.probe, "serve", port)
	l.mustExec(client, l.probe, "send", addr+":"+port)
	out, err := srv.wait(l.t, 5*time.Second)
	if err != nil {
		l.t.Fatalf("udpprobe serve in %s: %v\n%s", server, err, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if from, ok := strings.CutPrefix(line, "from "); ok {
			return from
		}
	}
	l.t.Fatalf("udpprobe serve in %s: no sender:\n%s", server, out)
	return ""
}

// fip_ping: the outside host pings the floating IP; the VM answers.
func testRouterFIPPing(l *routerLab) {
	t := l.t
	l.mustPing("outside", fip)
	l.expectConn("icmp", outside, fip, 0, fmt.Sprintf("with the reply %s -> %s (DNAT only), replied, zone 1", vm91, outside), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == vm91 && e.Reply.Dst == outside && e.Replied && e.Zone == 1
	})
	// What the VM sends out leaves from its floating IP, not the
	// gateway's.
	if from := l.udpFrom("outside", "vm-91-14", outside, "7102"); !strings.HasPrefix(from, fip+":") {
		t.Errorf("UDP from %s to %s arrived from %s, want its floating IP %s", vm91, outside, from, fip)
	}
}

// fip_tcp: iperf3 from the outside host to the floating IP; the VM sees
// the outside host's own address.
func testRouterFIPTCP(l *routerLab) {
	t := l.t
	run := l.iperf("vm-91-14", "outside", fip, "-n", iperfTCP)
	if run.client.End.SumReceived.Bytes <= 0 {
		t.Errorf("iperf3 %s -> %s: received %v bytes", outside, fip, run.client.End.SumReceived.Bytes)
	}
	if c := run.client.Start.Connected; len(c) != 1 || c[0].RemoteHost != fip {
		t.Errorf("iperf3 client: connected %+v, want to %s", c, fip)
	}
	if want := "Accepted connection from " + outside + ","; !strings.Contains(run.server, want) {
		t.Errorf("iperf3 server in vm-91-14: want %q:\n%s", want, run.server)
	}
	l.expectConn("tcp", outside, fip, 5201, fmt.Sprintf("with the reply %s -> %s", vm91, outside), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == vm91 && e.Reply.Dst == outside
	})
}

// hairpin: a VM without a floating IP, and the floating IP's own VM, reach
// the floating IP; the answers come back through the router.
func testRouterHairpin(l *routerLab) {
	t := l.t
	l.mustPing("vm-81-12", fip)
	l.expectConn("icmp", vm81, fip, 0, fmt.Sprintf("with the reply %s -> %s (DNAT, then SNAT to the gateway IP), replied", vm91, gwIP), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == vm91 && e.Reply.Dst == gwIP && e.Replied
	})
	if from := l.udpFrom("vm-91-14", "vm-81-12", fip, "7103"); !strings.HasPrefix(from, gwIP+":") {
		t.Errorf("UDP from %s to %s arrived at %s from %s, want %s (hairpin SNAT)", vm81, fip, vm91, from, gwIP)
	}

	// The VM to its own floating IP: Neutron's float-snat rule applies as
	// it leaves by qr-, so it hears itself from the floating IP.
	l.mustPing("vm-91-14", fip)
	if from := l.udpFrom("vm-91-14", "vm-91-14", fip, "7104"); !strings.HasPrefix(from, fip+":") {
		t.Errorf("UDP from %s to its floating IP arrived from %s, want %s", vm91, from, fip)
	}
	l.expectConn("udp", vm91, fip, 7104, fmt.Sprintf("with the reply %s:7104 -> %s, replied", vm91, fip), func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == vm91 && e.Reply.SPort == 7104 && e.Reply.Dst == fip && e.Replied
	})
}

// hairpin_self_conntrack: the echo reply of a VM pinging its own floating
// IP is the reply direction of its connection, as in Linux's conntrack
// (where it is replied: the reply tuple has type 0, the original type 8).
func testRouterHairpinSelfConntrack(l *routerLab) {
	l.mustPing("vm-91-14", fip)
	l.expectConn("icmp", vm91, fip, 0, "with the reply "+vm91+" -> "+fip+" (DNAT, then float-snat), replied: the VM's echo reply came back", func(e datapath.ConntrackEntry) bool {
		return e.Reply.Src == vm91 && e.Reply.Dst == fip && e.Replied
	})
}

// east_west: traffic between the router's subnets is routed untranslated,
// the floating IP's VM included.
func testRouterEastWest(l *routerLab) {
	t := l.t
	for _, c := range []struct{ port, from, to, udp string }{
		{"vm-91-14", vm91, vm81, "7105"},
		{"vm-81-12", vm81, vm91, "7106"},
	} {
		l.mustPing(c.port, c.to)
		l.expectConn("icmp", c.from, c.to, 0, "with the reply tuple the inverse of the original, replied", func(e datapath.ConntrackEntry) bool {
			return e.Reply == datapath.Tuple{Src: e.Orig.Dst, Dst: e.Orig.Src, SPort: e.Orig.DPort, DPort: e.Orig.SPort} && e.Replied
		})
		server := map[string]string{vm91: "vm-91-14", vm81: "vm-81-12"}[c.to]
		if from := l.udpFrom(server, c.port, c.to, c.udp); !strings.HasPrefix(from, c.from+":") {
			t.Errorf("UDP from %s to %s arrived from %s, want %s (no NAT between the router's subnets)", c.from, c.to, from, c.from)
		}
	}
	var nat datapath.NATInfo
	l.show(&nat, "nat")
	for _, b := range nat.Bindings {
		// A hairpin's remote is "FIP -> FIXED": only a translated
		// east-west connection has a VM's address for its remote.
		if remote, _, _ := strings.Cut(b.Remote, ":"); remote == vm81 || remote == vm91 {
			t.Errorf("show nat: binding %+v between the tenant subnets", b)
		}
	}
}

// ttl_exceeded: a ping with TTL 1 toward the outside gets time exceeded
// from the qr- address, as the first hop of a traceroute.
func testRouterTTL(l *routerLab) {
	t := l.t
	before := l.routers()["router1"].Counters["icmp_errors_sent"]
	var drops0 datapath.Counters
	l.show(&drops0, "counters")
	for _, c := range []struct{ port, qr string }{{"vm-91-14", qr91}, {"vm-81-12", qr81}} {
		r := l.ping(c.port, "-c", "1", "-t", "1", outside)
		want := "From " + c.qr + " icmp_seq=1 Time to live exceeded"
		if r.code == 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: ping -t 1 %s: exit %d, want %q\n%s%s", c.port, outside, r.code, want, r.stdout, r.stderr)
		}
	}
	if after := l.routers()["router1"].Counters["icmp_errors_sent"]; after < before+2 {
		t.Errorf("show routers: icmp_errors_sent %d -> %d, want 2 more", before, after)
	}
	var c datapath.Counters
	l.show(&c, "counters")
	if d0, d1 := drops0.Drops["ttl_exceeded"], c.Drops["ttl_exceeded"]; d1 < d0+2 {
		t.Errorf("show counters: drops ttl_exceeded %d -> %d, want 2 more", d0, d1)
	}
}

// port_unreachable: the outside host's (or the VM's) port unreachable for
// a translated UDP datagram reaches the sender's socket as ECONNREFUSED:
// the router translated the error and the datagram it quotes.
func testRouterPortUnreachable(l *routerLab) {
	t := l.t
	before := l.routers()["router1"]
	for _, c := range []struct {
		port, src, dst, replySrc, replyDst string
	}{
		{"vm-81-12", vm81, outside, outside, gwIP}, // SNAT
		{"vm-91-14", vm91, outside, outside, fip},  // float-snat
		{"outside", outside, fip, vm91, outside},   // DNAT
		{"vm-81-12", vm81, fip, vm91, gwIP},        // hairpin
	} {
		if out := l.mustExec(c.port, l.probe, "refused", c.dst+":7999"); !strings.Contains(out, "refused") {
			t.Errorf("%s: udpprobe refused %s:7999: %s", c.port, c.dst, out)
		}
		l.expectConn("udp", c.src, c.dst, 7999, fmt.Sprintf("with the reply %s -> %s", c.replySrc, c.replyDst), func(e datapath.ConntrackEntry) bool {
			return e.Reply.Src == c.replySrc && e.Reply.Dst == c.replyDst
		})
	}
	after := l.routers()["router1"]
	// Each datagram and its error forwarded; no error of the router's own.
	if f0, f1 := before.Counters["forwarded"], after.Counters["forwarded"]; f1 < f0+8 {
		t.Errorf("show routers: forwarded %d -> %d, want 8 more (4 datagrams, 4 errors)", f0, f1)
	}
	if e0, e1 := before.Counters["icmp_errors_sent"], after.Counters["icmp_errors_sent"]; e1 != e0 {
		t.Errorf("show routers: icmp_errors_sent %d -> %d: the router sent errors itself", e0, e1)
	}
	var c datapath.Counters
	l.show(&c, "counters")
	if n := c.Drops["icmp_error_untranslated"]; n != 0 {
		t.Errorf("show counters: icmp_error_untranslated %d, want 0", n)
	}
}

// show: routers, routes, neighbors, conntrack (with --addr and --count)
// and nat against the running lab, after one connection of each kind.
func testRouterShow(l *routerLab) {
	t := l.t
	for _, c := range []struct{ from, to string }{
		{"vm-81-12", outside}, {"vm-91-14", outside}, {"outside", fip}, {"vm-81-12", fip}, {"vm-91-14", vm81},
	} {
		l.mustPing(c.from, c.to)
	}

	// routers
	rs := l.routers()
	r, ok := rs["router1"]
	if !ok || len(rs) != 1 {
		t.Fatalf("show routers: %+v, want router1 only", rs)
	}
	if r.Zone != 1 || r.GatewayIP != gwIP || !r.EnableSNAT {
		t.Errorf("show routers: zone %d gateway %q snat %v, want zone 1, %s, enabled", r.Zone, r.GatewayIP, r.EnableSNAT, gwIP)
	}
	type port struct{ kind, mac, addr, subnet, network string }
	want := []port{
		{"router_interface", "fa:16:3e:90:e5:50", qr91 + "/24", "subnet-91", "net-91"},
		{"router_interface", "fa:16:3e:87:40:f3", qr81 + "/24", "subnet-81", "net-81"},
		{"router_gateway", "fa:16:3e:2e:5b:23", gwIP + "/24", "ext-subnet", "ext-net"},
	}
	devOf := map[string]string{} // address -> port name
	if len(r.Ports) != len(want) {
		t.Fatalf("show routers: ports %+v, want %d", r.Ports, len(want))
	}
	for i, p := range r.Ports {
		w := want[i]
		prefix := map[string]string{"router_interface": "qr-", "router_gateway": "qg-"}[w.kind]
		if got := (port{p.Kind, p.MAC, p.Address, p.Subnet, p.Network}); got != w || !regexp.MustCompile(`^`+prefix+`[0-9a-f]{8}-[0-9a-f]{2}$`).MatchString(p.Name) {
			t.Errorf("show routers: port %d %+v, want %+v named %sXXXXXXXX-XX", i, p, w, prefix)
		}
		devOf[strings.TrimSuffix(p.Address, "/24")] = p.Name
	}
	if len(r.FloatingIPs) != 1 || r.FloatingIPs[0] != (datapath.FloatingIPInfo{Router: "router1", FloatingIP: fip, FixedIP: vm91, Port: "vm-91-14"}) {
		t.Errorf("show routers: floating IPs %+v, want %s -> %s", r.FloatingIPs, fip, vm91)
	}
	for _, k := range []string{"forwarded", "snat_connections", "dnat_connections", "arp_answered", "arp_proxied", "gratuitous_arp"} {
		if r.Counters[k] == 0 {
			t.Errorf("show routers: counter %s 0 after traffic of every kind: %v", k, r.Counters)
		}
	}
	// Their ports are br-int's internal ports, in the router's namespace.
	internal := 0
	for _, p := range l.node.ports(t) {
		if slices.Contains(slices.Collect(maps.Values(devOf)), p.Name) {
			internal++
			if p.Attach != "internal" || p.Netns != "qrouter-router1" {
				t.Errorf("show ports: %s attach %q netns %q, want internal in qrouter-router1", p.Name, p.Attach, p.Netns)
			}
		}
	}
	if internal != len(devOf) {
		t.Errorf("show ports: %d of the router's ports %v, want all", internal, devOf)
	}

	// routes: the connected subnets and the default route via ext-net's
	// gateway, by the names show routers gives the ports.
	var routes []datapath.RouteInfo
	l.show(&routes, "routes", "router1")
	wantRoutes := []datapath.RouteInfo{
		{Router: "router1", Destination: "81.1.180.0/24", Dev: devOf[qr81], Source: qr81, Kind: "connected"},
		{Router: "router1", Destination: "91.1.180.0/24", Dev: devOf[qr91], Source: qr91, Kind: "connected"},
		{Router: "router1", Destination: "192.168.1.0/24", Dev: devOf[gwIP], Source: gwIP, Kind: "connected"},
		{Router: "router1", Destination: "default", Via: extGW, Dev: devOf[gwIP], Kind: "default"},
	}
	if !slices.Equal(routes, wantRoutes) {
		t.Errorf("show routes router1:\n got %+v\nwant %+v", routes, wantRoutes)
	}
	if code, out, errs := runCLI("show", "--socket", l.node.socket, "routes", "nosuch"); code != 1 || !strings.Contains(errs, "router1") {
		t.Errorf("show routes nosuch: exit %d, want 1 and an error listing router1\n%s%s", code, out, errs)
	}

	// neighbors: the three hosts, REACHABLE after the pings (a STALE one
	// is probed as it is used: wait for its answer).
	wantNeigh := map[string]datapath.NeighborInfo{
		vm91:    {Router: "router1", Dev: devOf[qr91], IP: vm91, MAC: "fa:16:3e:f3:1e:c0", State: "REACHABLE"},
		vm81:    {Router: "router1", Dev: devOf[qr81], IP: vm81, MAC: "fa:16:3e:2b:3e:2a", State: "REACHABLE"},
		outside: {Router: "router1", Dev: devOf[gwIP], IP: outside, MAC: l.macOf("outside"), State: "REACHABLE"},
	}
	var neigh []datapath.NeighborInfo
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		neigh = nil
		l.show(&neigh, "neighbors")
		got := 0
		for _, n := range neigh {
			if w, ok := wantNeigh[n.IP]; ok && n == w {
				got++
			}
		}
		if got == len(wantNeigh) && len(neigh) == len(wantNeigh) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("show neighbors:\n got %+v\nwant %+v", neigh, wantNeigh)
			break
		}
	}

	// conntrack: --addr matches any of the four addresses, --count counts
	// what the list shows, --zone selects the router's (the VMs' ports
	// track their own connections in zones from 4096 up).
	byAddr := l.conntrack("--addr", fip, "--zone", "1")
	kinds := map[string]bool{}
	for _, e := range byAddr {
		if e.Zone != 1 || !slices.Contains([]string{e.Orig.Src, e.Orig.Dst, e.Reply.Src, e.Reply.Dst}, fip) || !strings.Contains(e.Line, "zone=1") {
			t.Errorf("show conntrack --addr %s: %s", fip, e.Line)
		}
		switch {
		case e.Orig.Dst == fip && e.Orig.Src == outside:
			kinds["dnat"] = true
		case e.Orig.Dst == fip && e.Orig.Src == vm81:
			kinds["hairpin"] = true
		case e.Orig.Src == vm91 && e.Reply.Dst == fip:
			kinds["float-snat"] = true
		}
	}
	if len(kinds) != 3 {
		t.Errorf("show conntrack --addr %s: found %v, want dnat, hairpin and float-snat connections:\n%+v", fip, kinds, byAddr)
	}
	var count datapath.ConntrackCount
	l.show(&count, "conntrack", "--count", "--addr", fip, "--zone", "1")
	// Connections come and go (TIME_WAIT ends, ICMP times out): count
	// again until two readings agree.
	for i := 0; i < 5 && count.Count != len(byAddr); i++ {
		byAddr = l.conntrack("--addr", fip, "--zone", "1")
		l.show(&count, "conntrack", "--count", "--addr", fip, "--zone", "1")
	}
	if count.Count != len(byAddr) || count.Count == 0 {
		t.Errorf("show conntrack --count --addr %s: %d, the list has %d", fip, count.Count, len(byAddr))
	}
	var all, zone1, zone2, vmZone datapath.ConntrackCount
	l.show(&all, "conntrack", "--count")
	l.show(&zone1, "conntrack", "--count", "--zone", "1")
	l.show(&zone2, "conntrack", "--count", "--zone", "2")
	l.show(&vmZone, "conntrack", "--count", "--zone", "4096")
	if all.Count < count.Count || zone1.Count == 0 || vmZone.Count == 0 || zone2.Count != 0 || all.Max != 262144 || all.ICMP == 0 || all.Inserted == 0 {
		t.Errorf("show conntrack --count: all %+v, zone 1 %+v, zone 2 %+v, zone 4096 %+v, want connections in the router's zone 1 and vm-91-14's 4096, none in 2, and the default max", all, zone1, zone2, vmZone)
	}
	for _, e := range l.conntrack("--src", vm81) {
		if e.Orig.Src != vm81 {
			t.Errorf("show conntrack --src %s: %s", vm81, e.Line)
		}
	}

	// nat: the floating IP and a binding of each kind.
	var nat datapath.NATInfo
	l.show(&nat, "nat")
	if len(nat.FloatingIPs) != 1 || nat.FloatingIPs[0] != (datapath.FloatingIPInfo{Router: "router1", FloatingIP: fip, FixedIP: vm91, Port: "vm-91-14"}) {
		t.Errorf("show nat: floating IPs %+v", nat.FloatingIPs)
	}
	wantB := map[string]datapath.NATBinding{
		"snat":    {Router: "router1", Kind: "snat", Proto: "icmp", Inside: vm81, Outside: gwIP, Remote: outside, State: "REPLIED"},
		"dnat":    {Router: "router1", Kind: "dnat", Proto: "icmp", Inside: vm91, Outside: fip, Remote: outside, State: "REPLIED"},
		"hairpin": {Router: "router1", Kind: "hairpin", Proto: "icmp", Inside: vm81, Outside: gwIP, Remote: fip + " -> " + vm91, State: "REPLIED"},
	}
	for _, b := range nat.Bindings {
		if w, ok := wantB[b.Kind]; ok && b == w {
			delete(wantB, b.Kind)
		}
	}
	if len(wantB) != 0 {
		t.Errorf("show nat: no bindings %+v among\n%+v", wantB, nat.Bindings)
	}
	if nat.Counters["router1/snat_connections"] == 0 || nat.Counters["router1/dnat_connections"] == 0 {
		t.Errorf("show nat: counters %v", nat.Counters)
	}
}

// twoRouters: two routers, each with its tenant subnet, their gateways on
// one external network; vm-b has a floating IP. The VMs let anything in
// (group open), as in seed002Lab.
const twoRouters = `version: 1
uplinks:
  - name: physnet1
    tap: {{.Tap}}
networks:
  - name: public
    type: flat
    physical: physnet1
    external: true
    subnets:
      - name: public-subnet
        cidr: 172.24.4.0/24
        gateway: 172.24.4.1
        enable_dhcp: false
  - name: net-a
    type: local
    subnets: [{name: subnet-a, cidr: 10.10.1.0/24, gateway: 10.10.1.1}]
  - name: net-b
    type: local
    subnets: [{name: subnet-b, cidr: 10.10.2.0/24, gateway: 10.10.2.1}]
ports:
  - {name: vm-a, network: net-a, attach: netns, netns: {{ns "vm-a"}}, fixed_ips: [10.10.1.11], security_groups: [default, open]}
  - {name: vm-b, network: net-b, attach: netns, netns: {{ns "vm-b"}}, fixed_ips: [10.10.2.12], security_groups: [default, open]}
  - {name: outside, network: public, attach: netns, netns: {{ns "outside"}}, port_security: false, fixed_ips: [172.24.4.15]}
routers:
  - name: router-a
    external_gateway: {network: public, ip: 172.24.4.110}
    interfaces: [subnet-a]
  - name: router-b
    external_gateway: {network: public, ip: 172.24.4.120}
    interfaces: [subnet-b]
floating_ips:
  - {floating_ip_address: 172.24.4.104, floating_network: public, port: vm-b}
security_groups:
  - name: open
    rules: [{direction: ingress}]
`

func TestRouterTwoRouters(t *testing.T) {
	t.Parallel()
	l := startRouterLab(t, twoRouters)
	const (
		vmA, vmB, out  = "10.10.1.11", "10.10.2.12", "172.24.4.15"
		gwA, gwB, fipB = "172.24.4.110", "172.24.4.120", "172.24.4.104"
	)

	rs := l.routers()
	if a, b := rs["router-a"], rs["router-b"]; len(rs) != 2 || a.Zone != 1 || b.Zone != 2 || a.GatewayIP != gwA || b.GatewayIP != gwB ||
		len(a.FloatingIPs) != 0 || len(b.FloatingIPs) != 1 || b.FloatingIPs[0].FloatingIP != fipB {
		t.Fatalf("show routers: %+v, want router-a (zone 1, %s) and router-b (zone 2, %s, floating IP %s)", rs, gwA, gwB, fipB)
	}

	// Each VM reaches the outside host, and the outside host vm-b.
	l.mustPing("vm-a", out)
	l.mustPing("vm-b", out)
	l.mustPing("outside", fipB)
	if from := l.udpFrom("outside", "vm-a", out, "7201"); !strings.HasPrefix(from, gwA+":") {
		t.Errorf("UDP from vm-a to %s arrived from %s, want router-a's gateway IP %s", out, from, gwA)
	}
	if from := l.udpFrom("outside", "vm-b", out, "7202"); !strings.HasPrefix(from, fipB+":") {
		t.Errorf("UDP from vm-b to %s arrived from %s, want its floating IP %s", out, from, fipB)
	}

	// vm-a to vm-b's floating IP: out of router-a SNATed, over the
	// external network, into router-b DNATed.
	l.mustPing("vm-a", fipB)
	if from := l.udpFrom("vm-b", "vm-a", fipB, "7203"); !strings.HasPrefix(from, gwA+":") {
		t.Errorf("UDP from vm-a to %s arrived at vm-b from %s, want router-a's gateway IP %s", fipB, from, gwA)
	}
	var inA, inB bool
	for _, e := range l.conntrack("--addr", fipB) {
		if e.Proto != "icmp" || !e.Replied {
			continue
		}
		switch {
		case e.Zone == 1 && e.Orig.Src == vmA && e.Orig.Dst == fipB && e.Reply.Src == fipB && e.Reply.Dst == gwA:
			inA = true
		case e.Zone == 2 && e.Orig.Src == gwA && e.Orig.Dst == fipB && e.Reply.Src == vmB && e.Reply.Dst == gwA:
			inB = true
		}
	}
	if !inA || !inB {
		t.Errorf("show conntrack --addr %s: the ping of vm-a in router-a's zone 1 %v (SNAT to %s), in router-b's zone 2 %v (DNAT to %s):\n%+v",
			fipB, inA, gwA, inB, vmB, l.conntrack("--addr", fipB))
	}
	// And back: vm-b to vm-a is not reachable through a floating IP, but
	// vm-b reaches router-a's gateway IP, which answers itself.
	l.mustPing("vm-b", gwA)
}
