package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// These tests check security groups as a user of the lab would: VMs are
// attach: netns ports with real kernel stacks, traffic is ping, TCP
// connections and UDP datagrams sent with `neutrino exec`, and what the
// filters did is read back from `show security-groups` and `show
// counters`.

// sgTopology is one tenant network behind a router, with VMs in different
// groups, a host without port security on the same network, and an
// outside host (no port security either) on the external network, which
// reaches one VM by its floating IP.
//
//	a, b, mallory  default (egress anything, ingress from default's members)
//	vip            default, and the VIP 10.61.0.100 as an allowed address pair
//	open           no port security: no member of any group
//	web            tcp 8080 from anywhere, icmp from a (10.61.0.11/32) only
//	quiet          egress anything, no ingress rule
//	pub            icmp and tcp 8080 from anywhere; floating IP 203.0.113.104
const sgTopology = `version: 1
uplinks:
  - name: physnet1
    tap: {{.Tap}}
networks:
  - name: ext-net
    type: flat
    physical: physnet1
    external: true
    subnets:
      - name: ext-subnet
        cidr: 203.0.113.0/24
        gateway: 203.0.113.1
        enable_dhcp: false
  - name: lan
    type: local
    subnets:
      - name: lan-subnet
        cidr: 10.61.0.0/24
        gateway: 10.61.0.1
ports:
  - {name: a, network: lan, attach: netns, netns: {{ns "a"}}, fixed_ips: [10.61.0.11]}
  - {name: b, network: lan, attach: netns, netns: {{ns "b"}}, fixed_ips: [10.61.0.12]}
  - {name: open, network: lan, attach: netns, netns: {{ns "open"}}, fixed_ips: [10.61.0.13], port_security: false}
  - {name: web, network: lan, attach: netns, netns: {{ns "web"}}, fixed_ips: [10.61.0.14], security_groups: [web]}
  - {name: quiet, network: lan, attach: netns, netns: {{ns "quiet"}}, fixed_ips: [10.61.0.15], security_groups: [egress-only]}
  - name: vip
    network: lan
    attach: netns
    netns: {{ns "vip"}}
    fixed_ips: [10.61.0.16]
    allowed_address_pairs: [{ip_address: 10.61.0.100}]
  - {name: mallory, network: lan, attach: netns, netns: {{ns "mallory"}}, fixed_ips: [10.61.0.17]}
  - {name: pub, network: lan, attach: netns, netns: {{ns "pub"}}, fixed_ips: [10.61.0.18], security_groups: [pub]}
  - name: outside
    network: ext-net
    attach: netns
    netns: {{ns "outside"}}
    port_security: false
    fixed_ips: [203.0.113.15]
routers:
  - name: router1
    external_gateway: {network: ext-net, ip: 203.0.113.110}
    interfaces: [lan-subnet]
floating_ips:
  - {floating_ip_address: 203.0.113.104, floating_network: ext-net, port: pub}
security_groups:
  - name: web
    rules:
      - {direction: ingress, protocol: tcp, port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: 0.0.0.0/0}
      - {direction: ingress, protocol: icmp, remote_ip_prefix: 10.61.0.11/32}
      - {direction: egress}
  - name: egress-only
    rules:
      - {direction: egress}
  - name: pub
    rules:
      - {direction: ingress, protocol: icmp, remote_ip_prefix: 0.0.0.0/0}
      - {direction: ingress, protocol: tcp, port_range_min: 8080, port_range_max: 8080, remote_ip_prefix: 0.0.0.0/0}
      - {direction: egress}
`

// The lab's addresses.
const (
	sgA       = "10.61.0.11"
	sgB       = "10.61.0.12"
	sgOpen    = "10.61.0.13"
	sgWeb     = "10.61.0.14"
	sgQuiet   = "10.61.0.15"
	sgVIPPort = "10.61.0.16"
	sgVIP     = "10.61.0.100" // vip's allowed address pair
	sgMallory = "10.61.0.17"
	sgPub     = "10.61.0.18"
	sgFIP     = "203.0.113.104" // pub's floating IP
	sgOutside = "203.0.113.15"
	sgForeign = "10.61.0.201" // nobody's
)

func TestSecurityGroups(t *testing.T) {
	t.Parallel()
	l := startSGLab(t, sgTopology)

	for _, c := range []struct {
		name string
		fn   func(*sgLab)
	}{
		{"default_group", testSGDefaultGroup},
		{"rules", testSGRules},
		{"replies_only", testSGRepliesOnly},
		{"spoofed_source", testSGSpoofedSource},
		{"spoofed_arp", testSGSpoofedARP},
		{"allowed_address_pair", testSGAllowedAddressPair},
		{"dhcp_server", testSGDHCPServer},
		{"floating_ip", testSGFloatingIP},
		{"show", testSGShow},
	} {
		t.Run(c.name, func(t *testing.T) { l.setT(t); c.fn(l) })
	}
}

// default_group: members of default reach each other by ping, UDP and
// TCP. A host without port security is no member: a VM in default drops
// what it starts (ping, TCP), while the VM reaches it, the replies being
// part of a connection the VM started.
func testSGDefaultGroup(l *sgLab) {
	t := l.t
	l.mustPing("a", sgB)
	l.mustPing("b", sgA)
	if from := l.udpFrom("b", "a", sgB, "7201"); !strings.HasPrefix(from, sgA+":") {
		t.Errorf("UDP from a to b arrived from %s, want %s", from, sgA)
	}
	srv := l.tcpServe("a", "8080")
	l.mustConnect("b", sgA+":8080")

	before := l.sgInfo("a")
	l.noPing("open", sgA)
	l.noConnect("open", sgA+":8080")
	after := l.sgInfo("a")
	if d0, d1 := l.sgFixed(before, true, "no_rule"), l.sgFixed(after, true, "no_rule"); d1 < d0+2 {
		t.Errorf("show security-groups a: ingress no_rule %d -> %d, want at least 2 more (open's ping and SYN)", d0, d1)
	}

	// The other way round: a's ping is a new connection of its own
	// (egress anything), the echo reply ESTABLISHED.
	l.mustPing("a", sgOpen)
	if e0, e1 := l.sgFixed(after, true, "established"), l.sgFixed(l.sgInfo("a"), true, "established"); e1 <= e0 {
		t.Errorf("show security-groups a: ingress established %d -> %d, want the echo reply from open counted", e0, e1)
	}
	// Which does not open a's door to open's own pings.
	l.noPing("open", sgA)

	srv.stop()
	if acc := linesWith(srv.Output(), "accepted"); len(acc) != 1 || !strings.Contains(acc[0], "from "+sgB+":") {
		t.Errorf("tcp server in a: accepted %q, want b's connection only", acc)
	}
}

// rules: web allows tcp 8080 from anywhere and icmp from a's /32 only.
func testSGRules(l *sgLab) {
	t := l.t
	srv := l.tcpServe("web", "8080", "8081")
	// The server listens on both ports: web reaches itself.
	l.mustConnect("web", "127.0.0.1:8081")

	l.mustConnect("b", sgWeb+":8080")
	l.mustConnect("open", sgWeb+":8080") // 0.0.0.0/0: members or not
	l.noConnect("b", sgWeb+":8081")
	l.noConnect("a", sgWeb+":8081")

	l.mustPing("a", sgWeb)
	l.noPing("b", sgWeb)
	l.noPing("open", sgWeb)

	srv.stop()
	out := srv.Output()
	if n := len(linesWith(out, "accepted 8080 from ")); n != 2 {
		t.Errorf("tcp server in web: %d connections accepted on 8080, want 2 (b, open)\n%s", n, out)
	}
	if acc := linesWith(out, "accepted 8081 from "); len(acc) != 1 || !strings.Contains(acc[0], "from 127.0.0.1:") {
		t.Errorf("tcp server in web: accepted on 8081 %q, want web's own connection only", acc)
	}

	s := l.sgInfo("web")
	for _, c := range []struct {
		index int
		what  string
		min   uint64
	}{{0, "tcp 8080 (b, open)", 2}, {1, "icmp from a", 1}} {
		if r := l.sgRule(s, true, "web", c.index); r.Packets < c.min || r.Bytes == 0 {
			t.Errorf("show security-groups web: web rules[%d] (%s) %d packets %d bytes, want at least %d packets", c.index, c.what, r.Packets, r.Bytes, c.min)
		}
	}
	if n := l.sgFixed(s, true, "no_rule"); n < 4 {
		t.Errorf("show security-groups web: ingress no_rule %d, want at least 4 (two SYNs to 8081, pings of b and open)", n)
	}
}

// replies_only: quiet allows no ingress at all. What it starts toward
// open (unfiltered on its own side), a UDP exchange or a TCP connection,
// has its answers back; what open starts toward quiet does not arrive.
func testSGRepliesOnly(l *sgLab) {
	t := l.t
	if from := l.udpFrom("open", "quiet", sgOpen, "7301"); !strings.HasPrefix(from, sgQuiet+":") {
		t.Errorf("UDP from quiet to open arrived from %s, want %s", from, sgQuiet)
	}
	srv := l.tcpServe("open", "8080")
	l.mustConnect("quiet", sgOpen+":8080")
	srv.stop()
	// Through the router (SNAT to its gateway IP) to the outside host, and
	// in fragments both ways.
	l.mustPing("quiet", sgOutside)
	if r := l.ping("quiet", "-c", "1", "-s", "3000", sgOpen); r.code != 0 || !strings.Contains(r.stdout, "3008 bytes from "+sgOpen) {
		t.Errorf("quiet: ping -s 3000 %s: exit %d, want an answer in fragments\n%s%s", sgOpen, r.code, r.stdout, r.stderr)
	}
	// ICMP errors about what quiet sent are RELATED: open's port
	// unreachable, and the router's time exceeded.
	if out := l.mustExec("quiet", l.routerLab.probe, "refused", sgOpen+":7999"); !strings.Contains(out, "refused") {
		t.Errorf("quiet: udpprobe refused %s:7999: %s", sgOpen, out)
	}
	if r := l.ping("quiet", "-c", "1", "-t", "1", sgOutside); !strings.Contains(r.stdout, "From 10.61.0.1 icmp_seq=1 Time to live exceeded") {
		t.Errorf("quiet: ping -t 1 %s: exit %d, want time exceeded from the router\n%s%s", sgOutside, r.code, r.stdout, r.stderr)
	}

	s0 := l.sgInfo("quiet")
	lis := l.startSG("quiet", "-timeout", "2500ms", "udp-listen", "7302")
	l.mustSG("open", "-count", "3", "-payload", "unsolicited", "udp-send", sgQuiet+":7302")
	l.noPing("open", sgQuiet)
	if out := l.waitProbe(lis, 5*time.Second); strings.Contains(out, "from ") {
		t.Errorf("quiet heard what open sent unsolicited:\n%s", out)
	}
	s1 := l.sgInfo("quiet")
	if d0, d1 := l.sgFixed(s0, true, "no_rule"), l.sgFixed(s1, true, "no_rule"); d1 < d0+4 {
		t.Errorf("show security-groups quiet: ingress no_rule %d -> %d, want at least 4 more (3 datagrams, 1 ping)", d0, d1)
	}
	if n := l.sgFixed(s1, true, "established"); n < 2 {
		t.Errorf("show security-groups quiet: ingress established %d, want at least 2 (the UDP reply, the SYN-ACK)", n)
	}
}

// spoofed_source: mallory sends from an address of its own choosing,
// which is not its port's; b hears nothing of it, and the filter counts
// the drops, while what mallory sends from its own address arrives.
func testSGSpoofedSource(l *sgLab) {
	t := l.t
	l.ipIn("mallory", []string{"addr", "add", sgForeign + "/24", "dev", "eth0"}, []string{"addr", "del", sgForeign + "/24", "dev", "eth0"})
	// Spoofing the source of ARP too would be dropped before any IP
	// packet is sent: give mallory b's MAC without asking.
	l.ipIn("mallory", []string{"neigh", "replace", sgB, "lladdr", l.macOf("b"), "dev", "eth0", "nud", "permanent"},
		[]string{"neigh", "del", sgB, "dev", "eth0"})

	before := l.sgDrops()
	egress0 := l.sgFixed(l.sgInfo("mallory"), false, "spoofed_source")
	lis := l.startSG("b", "-timeout", "5s", "-until", "control", "udp-listen", "7401")
	l.mustSG("mallory", "-from", sgForeign+":7401", "-payload", "spoofed", "udp-send", sgB+":7401")
	l.noPing("mallory", sgB, "-I", sgForeign)
	l.mustSG("mallory", "-from", sgMallory+":7402", "-payload", "control", "-count", "1", "udp-send", sgB+":7401")
	out := l.waitProbe(lis, 6*time.Second)
	if !strings.Contains(out, "from "+sgMallory+":7402 control") {
		t.Errorf("b did not hear mallory from its own address:\n%s", out)
	}
	if strings.Contains(out, "spoofed") || strings.Contains(out, sgForeign) {
		t.Errorf("b heard mallory from %s:\n%s", sgForeign, out)
	}
	l.dropsGrew(before, "spoofed_source", 4)
	if egress1 := l.sgFixed(l.sgInfo("mallory"), false, "spoofed_source"); egress1 < egress0+4 {
		t.Errorf("show security-groups mallory: egress spoofed_source %d -> %d, want at least 4 more (3 datagrams, 1 ping)", egress0, egress1)
	}
}

// spoofed_arp: mallory announces a's IP as its own; b neither sees the
// announcement nor updates its neighbour entry for a, while mallory's
// announcement of its own address reaches b.
func testSGSpoofedARP(l *sgLab) {
	t := l.t
	malMAC, aMAC := l.macOf("mallory"), l.macOf("a")
	l.mustPing("b", sgA) // b has a neighbour entry for a: an announcement would update it

	before := l.sgDrops()
	lis := l.startSG("b", "-timeout", "5s", "-until", sgMallory, "arp-listen", "eth0")
	l.mustSG("mallory", "arp-announce", "eth0", sgA)
	l.mustSG("mallory", "-count", "1", "arp-announce", "eth0", sgMallory)
	out := l.waitProbe(lis, 6*time.Second)
	if !strings.Contains(out, "arp from "+sgMallory+" "+malMAC) {
		t.Errorf("b did not see mallory announce its own address:\n%s", out)
	}
	if strings.Contains(out, "arp from "+sgA+" "+malMAC) {
		t.Errorf("b saw mallory (%s) announce a's address %s:\n%s", malMAC, sgA, out)
	}
	l.dropsGrew(before, "spoofed_arp", 3)

	var neigh []struct {
		Dst    string `json:"dst"`
		LLAddr string `json:"lladdr"`
	}
	ipnsJSON(t, l.netns["b"], &neigh, "neigh", "show", sgA)
	for _, n := range neigh {
		if n.LLAddr != "" && n.LLAddr != aMAC {
			t.Errorf("b's neighbour entry for %s: %s, want a's MAC %s", sgA, n.LLAddr, aMAC)
		}
	}
}

// allowed_address_pair: vip takes its pair's address as a second one, as
// keepalived does with a VIP: a (a member of default) pings the VIP and
// gets answers, and vip sends from the VIP.
func testSGAllowedAddressPair(l *sgLab) {
	t := l.t
	before := l.sgDrops()
	l.ipIn("vip", []string{"addr", "add", sgVIP + "/24", "dev", "eth0"}, []string{"addr", "del", sgVIP + "/24", "dev", "eth0"})
	l.mustPing("a", sgVIP)
	// From the VIP: allowed by the pair, and a member's address to b.
	if r := l.ping("vip", "-c", "1", "-I", sgVIP, sgB); r.code != 0 || !strings.Contains(r.stdout, "1 received") {
		t.Errorf("vip: ping -I %s %s: exit %d, want an answer\n%s%s", sgVIP, sgB, r.code, r.stdout, r.stderr)
	}
	if from := l.udpFrom("b", "vip", sgB, "7501"); !strings.HasPrefix(from, sgVIPPort+":") {
		t.Errorf("UDP from vip to b arrived from %s, want %s", from, sgVIPPort)
	}
	after := l.sgDrops()
	for _, r := range []string{"spoofed_source", "spoofed_arp"} {
		if after[r] != before[r] {
			t.Errorf("show counters: security_group drop %s %d -> %d while vip used its pair", r, before[r], after[r])
		}
	}
}

// dhcp_server: mallory sends from port 67 to 255.255.255.255:68, as a
// rogue DHCP server's offer; b, listening on 68, hears nothing of it,
// while a datagram from another port to the same place arrives.
func testSGDHCPServer(l *sgLab) {
	t := l.t
	before := l.sgDrops()
	lis := l.startSG("b", "-timeout", "5s", "-until", "control", "udp-listen", "68")
	l.mustSG("mallory", "-from", sgMallory+":67", "-payload", "offer", "udp-send", "255.255.255.255:68")
	l.mustSG("mallory", "-from", sgMallory+":6767", "-payload", "control", "-count", "1", "udp-send", "255.255.255.255:68")
	out := l.waitProbe(lis, 6*time.Second)
	if !strings.Contains(out, "from "+sgMallory+":6767 control") {
		t.Errorf("b did not hear mallory's broadcast from port 6767:\n%s", out)
	}
	if strings.Contains(out, "offer") {
		t.Errorf("b heard mallory's datagrams from port 67:\n%s", out)
	}
	l.dropsGrew(before, "dhcp_server", 3)
}

// floating_ip: the outside host reaches pub by its floating IP as far as
// pub's groups allow: ping and tcp 8080, not tcp 8081.
func testSGFloatingIP(l *sgLab) {
	t := l.t
	srv := l.tcpServe("pub", "8080", "8081")
	l.mustPing("outside", sgFIP)
	l.mustConnect("outside", sgFIP+":8080")
	l.noConnect("outside", sgFIP+":8081")
	// Without a floating IP, a VM is out of the outside host's reach
	// whatever its groups.
	l.noPing("outside", sgWeb)

	srv.stop()
	out := srv.Output()
	if acc := linesWith(out, "accepted"); len(acc) != 1 || !strings.Contains(acc[0], "accepted 8080 from "+sgOutside+":") {
		t.Errorf("tcp server in pub: accepted %q, want the outside host's connection to 8080 from its own address", acc)
	}
	s := l.sgInfo("pub")
	for i, what := range []string{"icmp", "tcp 8080"} {
		if r := l.sgRule(s, true, "pub", i); r.Packets == 0 {
			t.Errorf("show security-groups pub: pub rules[%d] (%s) let nothing through", i, what)
		}
	}
	if n := l.sgFixed(s, true, "no_rule"); n == 0 {
		t.Errorf("show security-groups pub: ingress no_rule 0, want the SYN to 8081 counted")
	}
}

// show: `show security-groups` lists the filtered ports only, a port's
// table has the hits of its rules, and --json says the same.
func testSGShow(l *sgLab) {
	t := l.t
	// Something for each of web's ingress rules to count, and for its
	// fallback, and for default's rules on a.
	srv := l.tcpServe("web", "8080")
	l.mustConnect("b", sgWeb+":8080")
	srv.stop()
	l.mustPing("a", sgWeb)
	l.noPing("b", sgWeb)
	l.mustPing("b", sgA)

	show := func(args ...string) (int, string, string) {
		return runCLI(append([]string{"show", "--socket", l.node.socket}, args...)...)
	}

	code, out, errs := show("security-groups")
	if code != 0 {
		t.Fatalf("show security-groups: exit %d\n%s%s", code, out, errs)
	}
	for _, p := range []string{"a", "b", "web", "quiet", "vip", "mallory", "pub"} {
		if len(linesWith(out, "port "+p+" (")) != 1 {
			t.Errorf("show security-groups: no port %s:\n%s", p, out)
		}
	}
	for _, p := range []string{"open", "outside"} {
		if len(linesWith(out, "port "+p+" (")) != 0 {
			t.Errorf("show security-groups: port %s, which has no port security:\n%s", p, out)
		}
	}
	if code, out, errs := show("security-groups", "open"); code == 0 || !strings.Contains(out+errs, "web") {
		t.Errorf("show security-groups open: exit %d, want an error naming the filtered ports\n%s%s", code, out, errs)
	}

	// The table of web: the header of each chain, and the packets of the
	// rules hit in rules.
	code, out, errs = show("security-groups", "web")
	if code != 0 {
		t.Fatalf("show security-groups web: exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{"port web (", "groups web", "stateful", "may send from: 10.61.0.14/32", "Chain egress (from the VM)", "Chain ingress (to the VM)"} {
		if !strings.Contains(out, want) {
			t.Errorf("show security-groups web: no %q:\n%s", want, out)
		}
	}
	s := l.sgInfo("web")
	for _, c := range []struct {
		rule string // as the table's rule column says it
		want uint64 // the packets --json says, read after the table
	}{
		{"web rules[0]", l.sgRule(s, true, "web", 0).Packets},
		{"web rules[1]", l.sgRule(s, true, "web", 1).Packets},
		{"no_rule", l.sgFixed(s, true, "no_rule")},
	} {
		// Fixed rules are in both chains: ingress is the second.
		ls := linesWith(out, " "+c.rule+" ")
		if len(ls) == 0 {
			t.Errorf("show security-groups web: no line of %s:\n%s", c.rule, out)
			continue
		}
		line := ls[len(ls)-1]
		var pkts uint64
		if _, err := fmt.Sscan(strings.Fields(line)[0], &pkts); err != nil {
			t.Errorf("show security-groups web: %s: packets in %q: %v", c.rule, line, err)
			continue
		}
		if pkts == 0 || pkts > c.want {
			t.Errorf("show security-groups web: %s: %d packets in the table, %d in --json read after it; want > 0, and no more than --json\n%s", c.rule, pkts, c.want, out)
		}
	}
	if r := l.sgRule(s, true, "web", 0); r.Action != "accept" || r.Match == "" {
		t.Errorf("show --json security-groups web: rules[0] %+v, want an accept with a match", r)
	}
	if len(s.Groups) != 1 || s.Groups[0] != "web" || !s.Stateful || s.Device != "eth0" {
		t.Errorf("show --json security-groups web: groups %v, stateful %v, device %q; want [web], stateful, eth0", s.Groups, s.Stateful, s.Device)
	}
	// The default group's rules hit on a: b's ping at least.
	a := l.sgInfo("a")
	var hits uint64
	for _, r := range a.Ingress {
		if r.Group == "default" {
			hits += r.Packets
		}
	}
	if hits < 1 {
		t.Errorf("show --json security-groups a: default's ingress rules let %d packets through, want at least 1 (b's ping)\n%+v", hits, a.Ingress)
	}
}
