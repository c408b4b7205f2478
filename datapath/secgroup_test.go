package datapath

import (
	"net"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet"
)

// The hosts of testdata/secgroups/topology.yaml.
var (
	sgA     = sgHost{"a", hw("fa:16:3e:00:05:0a"), v4("10.50.0.10")}
	sgB     = sgHost{"b", hw("fa:16:3e:00:05:0b"), v4("10.50.0.11")}
	sgWeb   = sgHost{"web", hw("fa:16:3e:00:05:0c"), v4("10.50.0.12")}
	sgVIP   = sgHost{"vip", hw("fa:16:3e:00:05:0d"), v4("10.50.0.13")}
	sgLoose = sgHost{"loose", hw("fa:16:3e:00:05:0e"), v4("10.50.0.14")}
	sgOpen  = sgHost{"open", hw("fa:16:3e:00:05:0f"), v4("10.50.0.15")}
	sgOut   = sgHost{"physnet1", hw("52:54:00:05:00:c8"), v4("10.50.0.200")}
)

type sgHost struct {
	port string
	mac  net.HardwareAddr
	ip   net.IP
}

// sgLab is the node of testdata/secgroups with every host's MAC learned
// (each has sent a gratuitous ARP).
type sgLab struct {
	t  *testing.T
	n  *Node
	ob *outbox
}

func newSGLab(t *testing.T) *sgLab {
	n, eps := memNode(t, loadTestSpec(t, "testdata/secgroups/topology.yaml", ""), Options{})
	l := &sgLab{t: t, n: n, ob: newOutbox(eps)}
	for _, h := range []sgHost{sgA, sgB, sgWeb, sgVIP, sgLoose, sgOpen, sgOut} {
		send(t, n, h.port, arpWhoHas(t, h.mac, h.ip, h.ip))
	}
	l.ob.take()
	return l
}

// send runs frame in from h's port and returns the ports it left by.
func (l *sgLab) send(h sgHost, frame []byte) map[string][][]byte {
	l.t.Helper()
	send(l.t, l.n, h.port, frame)
	return l.ob.take()
}

// passes checks that frame from h reaches to's port, and returns it.
func (l *sgLab) passes(what string, h, to sgHost, frame []byte) gopacket.Packet {
	l.t.Helper()
	out := l.send(h, frame)
	if len(out[to.port]) != 1 {
		l.t.Errorf("%s: %d frames out of %s, want 1 (out: %v)", what, len(out[to.port]), to.port, ports(out))
		return nil
	}
	return checked(l.t, out[to.port][0])
}

// dropped checks that frame from h reaches none of the VM ports given and
// that the drop counter of reason grew by one.
func (l *sgLab) dropped(what string, h sgHost, frame []byte, reason SGReason, not ...sgHost) {
	l.t.Helper()
	before := l.n.Counters().Drops[reason.String()]
	out := l.send(h, frame)
	for _, to := range not {
		if len(out[to.port]) != 0 {
			l.t.Errorf("%s: reached %s", what, to.port)
		}
	}
	if got := l.n.Counters().Drops[reason.String()] - before; got != 1 {
		l.t.Errorf("%s: drop %s grew by %d, want 1 (out: %v)", what, reason, got, ports(out))
	}
}

func ports(out map[string][][]byte) map[string]int {
	m := map[string]int{}
	for k, v := range out {
		m[k] = len(v)
	}
	return m
}

func udpTo(t testing.TB, from, to sgHost, sport, dport uint16) []byte {
	return udpDgram(t, from.mac, to.mac, from.ip, to.ip, sport, dport, 64, 10)
}

// dryTrace runs frame in from h's port as a dry run and returns its
// trace.
func (l *sgLab) dryTrace(h sgHost, f []byte) string {
	l.t.Helper()
	idx, ok := l.n.PortIndex(h.port)
	if !ok {
		l.t.Fatalf("no port %s", h.port)
	}
	w := l.n.NewWorker(1)
	w.SetDryRun(true)
	var tr packet.Trace
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(f)
	b.Meta.Trace = &tr
	l.n.Process(w, idx, []*packet.Buffer{b})
	return tr.String()
}

func TestSecurityGroupDefault(t *testing.T) {
	l := newSGLab(t)
	// Members of default reach each other.
	l.passes("a -> b", sgA, sgB, udpTo(t, sgA, sgB, 4000, 53))
	l.passes("b -> a", sgB, sgA, udpTo(t, sgB, sgA, 4001, 9999))
	// A host that is no member does not get in...
	l.dropped("outside -> a", sgOut, udpTo(t, sgOut, sgA, 4000, 53), SGNoRule, sgA)
	l.dropped("outside ping a", sgOut, echo(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 7, 1, false), SGNoRule, sgA)
	// ... unless a connection a opened answers.
	l.passes("a -> outside", sgA, sgOut, echo(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 64, 7, 1, false))
	l.passes("outside's reply", sgOut, sgA, echo(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 64, 7, 1, true))
	l.passes("a's TCP SYN out", sgA, sgOut, tcpSeg(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 40000, 443, true, false))
	l.passes("SYN-ACK in", sgOut, sgA, tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40000, true, true))
	// A TCP segment of no connection is NEW, as with Linux's loose
	// pickup, and matched against the rules: none lets it in...
	l.dropped("mid-stream ACK in", sgOut, tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40001, false, true), SGNoRule, sgA)
	// ... while one a rule allows picks the connection up (after a
	// restart of the node, say): the VM's next segment out, then the
	// peer's, pass.
	l.passes("mid-stream ACK out", sgA, sgOut, tcpSeg(t, sgA.mac, sgOut.mac, sgA.ip, sgOut.ip, 40001, 443, false, true))
	l.passes("the peer's next segment", sgOut, sgA, tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40001, false, true))
	// What no state allows stays INVALID: a TCP segment with SYN and FIN.
	synfin := tcpSeg(t, sgOut.mac, sgA.mac, sgOut.ip, sgA.ip, 443, 40002, true, false)
	synfin[14+20+13] |= 0x01
	l.dropped("SYN+FIN", sgOut, synfin, SGInvalid, sgA)
	// The unfiltered port takes anything.
	l.passes("outside -> open", sgOut, sgOpen, udpTo(t, sgOut, sgOpen, 4000, 53))
}

func TestSecurityGroupRules(t *testing.T) {
	l := newSGLab(t)
	l.passes("tcp 80 from outside", sgOut, sgWeb, tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 40000, 80, true, false))
	l.passes("its SYN-ACK", sgWeb, sgOut, tcpSeg(t, sgWeb.mac, sgOut.mac, sgWeb.ip, sgOut.ip, 80, 40000, true, true))
	l.dropped("tcp 22", sgOut, tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 40000, 22, true, false), SGNoRule, sgWeb)
	l.passes("ping from the subnet", sgOut, sgWeb, echo(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 64, 9, 1, false))
	l.dropped("an echo reply of no request", sgOut, echo(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 64, 10, 1, true), SGInvalid, sgWeb)
	l.passes("udp 5005 from a member of default", sgA, sgWeb, udpTo(t, sgA, sgWeb, 4000, 5005))
	l.dropped("udp 5011", sgA, udpTo(t, sgA, sgWeb, 4000, 5011), SGNoRule, sgWeb)
	l.dropped("udp 5005 from outside", sgOut, udpTo(t, sgOut, sgWeb, 4000, 5005), SGNoRule, sgWeb)
	// web is no member of default: a drops what web sends it.
	l.dropped("web -> a", sgWeb, udpTo(t, sgWeb, sgA, 4000, 53), SGNoRule, sgA)

	// Each rule counts the connections it let in; show lists them in
	// order between the fixed rules.
	infos, err := l.n.SecurityGroups("web")
	if err != nil {
		t.Fatal(err)
	}
	in := infos[0].Ingress
	hits := map[int]uint64{}
	for _, r := range in {
		if r.Group == "web" {
			hits[r.Index] = r.Packets
		}
	}
	if hits[0] != 1 || hits[1] != 1 || hits[2] != 1 {
		t.Errorf("ingress rule hits %v, want one each for rules 0, 1, 2", hits)
	}
	if _, err := l.n.SecurityGroups("nosuch"); err == nil || !strings.Contains(err.Error(), "web") {
		t.Errorf("unknown port: %v, want an error naming the filtered ports", err)
	}
}

func TestSecurityGroupAntiSpoofing(t *testing.T) {
	l := newSGLab(t)
	forged := sgHost{"a", sgA.mac, v4("10.50.0.99")}
	l.dropped("a foreign source IP", forged, udpTo(t, forged, sgB, 4000, 53), SGSpoofedSource, sgB)
	otherMAC := sgHost{"a", hw("fa:16:3e:00:05:99"), sgA.ip}
	l.dropped("a foreign source MAC", otherMAC, udpTo(t, otherMAC, sgB, 4000, 53), SGSpoofedSource, sgB)
	l.dropped("ARP for a foreign IP", sgA, arpWhoHas(t, sgA.mac, v4("10.50.0.11"), v4("10.50.0.1")), SGSpoofedARP, sgB)
	// An ARP probe (sender 0.0.0.0) claims nothing and passes.
	out := l.send(sgA, arpWhoHas(t, sgA.mac, v4("0.0.0.0"), sgA.ip))
	if len(out["b"]) != 1 || len(out["physnet1"]) != 1 {
		t.Errorf("ARP probe: out %v, want flooded", ports(out))
	}
	// The VIP of an allowed address pair is vip's to use, as keepalived
	// does: a gratuitous ARP and traffic from it.
	vipAddr := sgHost{"vip", sgVIP.mac, v4("10.50.0.100")}
	out = l.send(vipAddr, arpWhoHas(t, vipAddr.mac, vipAddr.ip, vipAddr.ip))
	if len(out["a"]) != 1 {
		t.Errorf("gratuitous ARP of the VIP: out %v, want flooded", ports(out))
	}
	l.passes("from the VIP", vipAddr, sgA, udpTo(t, vipAddr, sgA, 4000, 53))
	// ... and a member of default: b takes what the VIP sends.
	l.passes("VIP -> b", vipAddr, sgB, udpTo(t, vipAddr, sgB, 4001, 53))
	// A VM may not answer DHCP; its offer reaches nobody.
	offer := udpDgram(t, sgA.mac, hw("ff:ff:ff:ff:ff:ff"), sgA.ip, v4("255.255.255.255"), 67, 68, 64, 300)
	l.dropped("a DHCP offer", sgA, offer, SGDHCPServer, sgB, sgOpen)
	// A DHCP discover from 0.0.0.0 leaves the port (and floods to where
	// it is let in: the unfiltered port and the uplink).
	discover := udpDgram(t, sgA.mac, hw("ff:ff:ff:ff:ff:ff"), v4("0.0.0.0"), v4("255.255.255.255"), 68, 67, 64, 300)
	out = l.send(sgA, discover)
	if len(out["open"]) != 1 || len(out["physnet1"]) != 1 || len(out["b"]) != 0 {
		t.Errorf("DHCP discover: out %v, want open and physnet1 only", ports(out))
	}
	// IPv6 and other EtherTypes are not let through a filtered port.
	v6 := frame(t, eth(sgA.mac, sgB.mac, layers.EthernetTypeIPv6), &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolNoNextHeader, SrcIP: net.ParseIP("fe80::1"), DstIP: net.ParseIP("fe80::2")})
	l.dropped("IPv6", sgA, v6, SGIPv6, sgB)
	lldp := append(append(append([]byte{}, sgB.mac...), sgA.mac...), 0x88, 0xcc, 0, 0)
	lldp = append(lldp, make([]byte, 46)...)
	l.dropped("LLDP", sgA, lldp, SGEtherType, sgB)
}

func TestSecurityGroupStateless(t *testing.T) {
	l := newSGLab(t)
	l.passes("udp 7000 in", sgOut, sgLoose, udpTo(t, sgOut, sgLoose, 40000, 7000))
	// No conntrack: the reply is matched on its own, and no rule has it.
	l.dropped("the reply", sgLoose, udpTo(t, sgLoose, sgOut, 7000, 40000), SGNoRule, sgOut)
	l.passes("udp to 7000 out", sgLoose, sgOut, udpTo(t, sgLoose, sgOut, 40000, 7000))
	l.dropped("its answer", sgOut, udpTo(t, sgOut, sgLoose, 7000, 40000), SGNoRule, sgLoose)
	if n := l.n.ct.Len(); n != 0 {
		t.Errorf("%d connections tracked for a stateless port", n)
	}
}

// The router's traffic crosses the VM's filter: a floating IP reaches the
// VM only where its groups (seed 002: default and allow-ping-ssh) allow.
func TestSecurityGroupFloatingIP(t *testing.T) {
	n, eps := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	l := &lab{t: t, n: n, ob: newOutbox(eps), hosts: newLab(t).hosts}
	// Ping and ssh from outside: allowed, DNATed to the VM.
	p := l.one(l.send("physnet1", echo(t, outMAC, qgMAC, outIP, fipIP, 64, 3, 1, false)), "vm-91-14")
	wantAddrs(t, p, outIP, vm91IP, qr91MAC, vm91MAC)
	l.one(l.send("vm-91-14", echo(t, vm91MAC, qr91MAC, vm91IP, outIP, 64, 3, 1, true)), "physnet1")
	l.one(l.send("physnet1", tcpSeg(t, outMAC, qgMAC, outIP, fipIP, 40000, 22, true, false)), "vm-91-14")
	// http is no rule of the VM's: the router forwards it, the VM's
	// ingress filter drops it.
	before := n.Counters().Drops[SGNoRule.String()]
	if out := l.send("physnet1", tcpSeg(t, outMAC, qgMAC, outIP, fipIP, 40001, 80, true, false)); len(out["vm-91-14"]) != 0 {
		t.Errorf("tcp 80 to the floating IP reached the VM")
	}
	if got := n.Counters().Drops[SGNoRule.String()] - before; got != 1 {
		t.Errorf("no_rule drops grew by %d, want 1", got)
	}
	// East-west between the two VMs' subnets: both in default, allowed.
	l.one(l.send("vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, vm91IP, 5000, 6000, 64, 10)), "vm-91-14")
	// Hairpin arrives from the gateway IP, no member of default: dropped.
	if out := l.send("vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, fipIP, 5001, 6000, 64, 10)); len(out["vm-91-14"]) != 0 {
		t.Errorf("hairpin UDP from the gateway IP reached the VM")
	}
}

// Fragments: the first carries the ports and decides; the later ones
// follow it; a later fragment whose first never passed is dropped.
func TestSecurityGroupFragments(t *testing.T) {
	l := newSGLab(t)
	sizes := []int{1000, 1000, 8}
	big := frame(t, eth(sgOut.mac, sgWeb.mac, layers.EthernetTypeIPv4), ipv4(sgOut.ip, sgWeb.ip, layers.IPProtocolICMPv4, 64),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 11, Seq: 1}, gopacket.Payload(make([]byte, 2000)))
	for _, f := range fragments(t, big, sizes, nil) {
		l.passes("fragment", sgOut, sgWeb, f)
	}
	other := frame(t, eth(sgOut.mac, sgWeb.mac, layers.EthernetTypeIPv4), ipHdr(sgOut.ip, sgWeb.ip, layers.IPProtocolICMPv4, 64, 12, false),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(8, 0), Id: 12, Seq: 1}, gopacket.Payload(make([]byte, 2000)))
	l.dropped("a later fragment alone", sgOut, fragments(t, other, sizes, nil)[1], SGFragment, sgWeb)
	// A first fragment no rule allows takes its followers with it.
	denied := fragments(t, frame(t, eth(sgOut.mac, sgWeb.mac, layers.EthernetTypeIPv4), ipHdr(sgOut.ip, sgWeb.ip, layers.IPProtocolUDP, 64, 13, false),
		&layers.UDP{SrcPort: 4000, DstPort: 9}, gopacket.Payload(make([]byte, 2000))), sizes, nil)
	l.dropped("a denied first fragment", sgOut, denied[0], SGNoRule, sgWeb)
	l.dropped("its follower", sgOut, denied[1], SGFragment, sgWeb)
}

// The trace names the rule that let a frame in, or why it was dropped.
func TestSecurityGroupTrace(t *testing.T) {
	l := newSGLab(t)
	s := l.dryTrace(sgOut, tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 40000, 80, true, false))
	for _, want := range []string{"sg-web", "conntrack new zone", "accept: web rules[0] tcp"} {
		if !strings.Contains(s, want) {
			t.Errorf("trace lacks %q:\n%s", want, s)
		}
	}
	if s := l.dryTrace(sgOut, tcpSeg(t, sgOut.mac, sgWeb.mac, sgOut.ip, sgWeb.ip, 40000, 22, true, false)); !strings.Contains(s, "sg-web") || !strings.Contains(s, "no_rule") {
		t.Errorf("trace of a denied SYN:\n%s", s)
	}
	// Tracing changed nothing: the connection was never committed.
	if n := l.n.ct.Len(); n != 0 {
		t.Errorf("a trace left %d connections", n)
	}
}

// A port flooding spoofed sources: every frame dropped and counted, none
// delivered, and the others' traffic unaffected.
func TestSecurityGroupSpoofFlood(t *testing.T) {
	l := newSGLab(t)
	before := l.n.Counters().Drops[SGSpoofedSource.String()]
	const n = 20000
	frames := make([][]byte, 0, 64)
	sent := 0
	for i := 0; i < n; i++ {
		src := sgHost{"a", sgA.mac, net.IPv4(10, 50, byte(1+i/250%200), byte(1+i%250)).To4()}
		frames = append(frames, udpTo(t, src, sgB, uint16(1024+i%60000), 53))
		if len(frames) == cap(frames) || i == n-1 {
			send(t, l.n, "a", frames...)
			sent += len(frames)
			frames = frames[:0]
		}
	}
	if out := l.ob.take(); len(out["b"]) != 0 || len(out["physnet1"]) != 0 {
		t.Errorf("spoofed frames delivered: %v", ports(out))
	}
	if got := l.n.Counters().Drops[SGSpoofedSource.String()] - before; got != n {
		t.Errorf("spoofed_source grew by %d, want %d", got, n)
	}
	// b and the outside still talk, and a still reaches b from its own
	// address.
	l.passes("b -> outside", sgB, sgOut, udpTo(t, sgB, sgOut, 4000, 53))
	l.passes("a -> b", sgA, sgB, udpTo(t, sgA, sgB, 4001, 53))
}
