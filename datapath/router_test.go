package datapath

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet"
)

// lab is the seed 002 node with its hosts: frames the router sends to ask
// for a host's MAC are answered as the host would, so a test sees only
// the frames that matter.
type lab struct {
	t     *testing.T
	n     *Node
	ob    *outbox
	hosts map[string]labHost // by IP
}

type labHost struct {
	port string
	mac  net.HardwareAddr
}

func newLab(t *testing.T) *lab {
	n, eps := seed002(t)
	return &lab{t: t, n: n, ob: newOutbox(eps), hosts: map[string]labHost{
		vm91IP.String(): {"vm-91-14", vm91MAC},
		vm81IP.String(): {"vm-81-12", vm81MAC},
		upIP.String():   {"physnet1", upMAC},
		outIP.String():  {"physnet1", outMAC},
	}}
}

// send runs frame in from port and returns what came out, by port, once
// every ARP request for a lab host has been answered.
func (l *lab) send(port string, frame []byte) map[string][]gopacket.Packet {
	l.t.Helper()
	send(l.t, l.n, port, frame)
	out := map[string][]gopacket.Packet{}
	for round := 0; round < 4; round++ {
		var replies []struct {
			port  string
			frame []byte
		}
		for p, frames := range l.ob.take() {
			for _, f := range frames {
				pk := checked(l.t, f)
				if a, ok := pk.Layer(layers.LayerTypeARP).(*layers.ARP); ok && a.Operation == layers.ARPRequest {
					if h, ok := l.hosts[net.IP(a.DstProtAddress).String()]; ok && h.port == p {
						replies = append(replies, struct {
							port  string
							frame []byte
						}{p, arpIsAt(l.t, h.mac, a.DstProtAddress, a.SourceHwAddress, a.SourceProtAddress)})
						continue
					}
				}
				out[p] = append(out[p], pk)
			}
		}
		if len(replies) == 0 {
			break
		}
		for _, r := range replies {
			send(l.t, l.n, r.port, r.frame)
		}
	}
	return out
}

// one returns the one frame out of port, failing unless it is all.
func (l *lab) one(out map[string][]gopacket.Packet, port string) gopacket.Packet {
	l.t.Helper()
	if len(out) != 1 || len(out[port]) != 1 {
		counts := map[string]int{}
		for k, v := range out {
			counts[k] = len(v)
		}
		l.t.Fatalf("want one frame out of %s, got %v", port, counts)
	}
	return out[port][0]
}

func ipOf(t *testing.T, p gopacket.Packet) *layers.IPv4 {
	t.Helper()
	ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if !ok {
		t.Fatalf("not IPv4: %v", p)
	}
	return ip
}

func wantAddrs(t *testing.T, p gopacket.Packet, src, dst net.IP, srcMAC, dstMAC net.HardwareAddr) *layers.IPv4 {
	t.Helper()
	ip := ipOf(t, p)
	e := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if !ip.SrcIP.Equal(src) || !ip.DstIP.Equal(dst) {
		t.Errorf("IP %s > %s, want %s > %s", ip.SrcIP, ip.DstIP, src, dst)
	}
	if e.SrcMAC.String() != srcMAC.String() || e.DstMAC.String() != dstMAC.String() {
		t.Errorf("Ethernet %s > %s, want %s > %s", e.SrcMAC, e.DstMAC, srcMAC, dstMAC)
	}
	return ip
}

func TestRouterARP(t *testing.T) {
	l := newLab(t)
	// The gateway of net-91, answered with the qr- port's MAC.
	p := l.one(l.send("vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, qr91IP)), "vm-91-14")
	a := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if a.Operation != layers.ARPReply || net.HardwareAddr(a.SourceHwAddress).String() != qr91MAC.String() || !net.IP(a.SourceProtAddress).Equal(qr91IP) {
		t.Errorf("reply %v", a)
	}
	// The floating IP, from outside: proxy ARP with the qg- MAC, as the
	// gateway IP itself.
	for _, ip := range []net.IP{fipIP, gwIP} {
		p = l.one(l.send("physnet1", arpWhoHas(t, outMAC, outIP, ip)), "physnet1")
		a = p.Layer(layers.LayerTypeARP).(*layers.ARP)
		if a.Operation != layers.ARPReply || net.HardwareAddr(a.SourceHwAddress).String() != qgMAC.String() || !net.IP(a.SourceProtAddress).Equal(ip) {
			t.Errorf("reply for %s: %v", ip, a)
		}
	}
	// Not the router's: nothing.
	if out := l.send("physnet1", arpWhoHas(t, outMAC, outIP, v4("192.168.1.99"))); len(out) != 0 {
		t.Errorf("ARP for another host answered: %v", out)
	}
}

func TestRouterPingGateway(t *testing.T) {
	l := newLab(t)
	l.send("vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, qr91IP))
	out := l.send("vm-91-14", echo(t, vm91MAC, qr91MAC, vm91IP, qr91IP, 64, 7, 1, false))
	var reply gopacket.Packet
	for _, p := range out["vm-91-14"] {
		if p.Layer(layers.LayerTypeICMPv4) != nil {
			reply = p
		}
	}
	if reply == nil {
		t.Fatalf("no echo reply: %v", out)
	}
	ip := wantAddrs(t, reply, qr91IP, vm91IP, qr91MAC, vm91MAC)
	ic := reply.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ic.TypeCode.Type() != layers.ICMPv4TypeEchoReply || ic.Id != 7 || ic.Seq != 1 || ip.TTL != 64 {
		t.Errorf("reply %v ttl %d", ic, ip.TTL)
	}
}

func TestRouterSNAT(t *testing.T) {
	l := newLab(t)
	// vm-81-12 has no floating IP: it leaves as the gateway IP.
	out := l.send("vm-81-12", echo(t, vm81MAC, qr81MAC, vm81IP, internet, 64, 99, 1, false))
	p := l.one(out, "physnet1")
	ip := wantAddrs(t, p, gwIP, internet, qgMAC, upMAC)
	ic := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if ip.TTL != 63 || ic.Id != 99 {
		t.Errorf("ttl %d id %d, want 63 and the id kept (99)", ip.TTL, ic.Id)
	}
	// The reply comes back to the VM.
	out = l.send("physnet1", echo(t, upMAC, qgMAC, internet, gwIP, 60, 99, 1, true))
	p = l.one(out, "vm-81-12")
	ip = wantAddrs(t, p, internet, vm81IP, qr81MAC, vm81MAC)
	if ip.TTL != 59 {
		t.Errorf("ttl %d, want 59", ip.TTL)
	}

	// UDP too, and an ICMP port unreachable about it is translated back,
	// its quoted packet included.
	out = l.send("vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, internet, 33000, 53, 64, 20))
	p = l.one(out, "physnet1")
	wantAddrs(t, p, gwIP, internet, qgMAC, upMAC)
	sent := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	quote := append([]byte(nil), sent.Contents...)
	quote = append(quote, sent.Payload[:8]...)
	unreach := frame(t, eth(upMAC, qgMAC, layers.EthernetTypeIPv4), ipv4(internet, gwIP, layers.IPProtocolICMPv4, 60),
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(3, 3)}, gopacket.Payload(quote))
	p = l.one(l.send("physnet1", unreach), "vm-81-12")
	wantAddrs(t, p, internet, vm81IP, qr81MAC, vm81MAC)
	inner := gopacket.NewPacket(p.Layer(layers.LayerTypeICMPv4).LayerPayload(), layers.LayerTypeIPv4, gopacket.Default)
	iip, ok := inner.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	if !ok || !iip.SrcIP.Equal(vm81IP) || !iip.DstIP.Equal(internet) {
		t.Fatalf("quoted packet %v, want %s > %s", inner, vm81IP, internet)
	}
	if u, ok := inner.Layer(layers.LayerTypeUDP).(*layers.UDP); !ok || u.SrcPort != 33000 {
		t.Errorf("quoted UDP %v, want source port 33000", inner.Layer(layers.LayerTypeUDP))
	}
}

func TestRouterFloatingIP(t *testing.T) {
	l := newLab(t)
	// Outside -> floating IP: DNAT to the fixed IP.
	out := l.send("physnet1", tcpSeg(t, outMAC, qgMAC, outIP, fipIP, 40000, 22, true, false))
	p := l.one(out, "vm-91-14")
	wantAddrs(t, p, outIP, vm91IP, qr91MAC, vm91MAC)
	// The answer leaves as the floating IP.
	out = l.send("vm-91-14", tcpSeg(t, vm91MAC, qr91MAC, vm91IP, outIP, 22, 40000, true, true))
	p = l.one(out, "physnet1")
	wantAddrs(t, p, fipIP, outIP, qgMAC, outMAC)
	if tc := p.Layer(layers.LayerTypeTCP).(*layers.TCP); tc.SrcPort != 22 || tc.DstPort != 40000 {
		t.Errorf("ports %d > %d", tc.SrcPort, tc.DstPort)
	}
	// A connection the VM opens leaves as its floating IP too (float-snat).
	out = l.send("vm-91-14", echo(t, vm91MAC, qr91MAC, vm91IP, internet, 64, 5, 1, false))
	wantAddrs(t, l.one(out, "physnet1"), fipIP, internet, qgMAC, upMAC)
}

func TestRouterHairpinAndEastWest(t *testing.T) {
	l := newLab(t)
	// vm-81-12 -> the floating IP of vm-91-14: DNAT, and SNAT to the
	// gateway IP so the answer comes back through the router.
	out := l.send("vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, fipIP, 5000, 6000, 64, 10))
	wantAddrs(t, l.one(out, "vm-91-14"), gwIP, vm91IP, qr91MAC, vm91MAC)
	out = l.send("vm-91-14", udpDgram(t, vm91MAC, qr91MAC, vm91IP, gwIP, 6000, 5000, 64, 10))
	wantAddrs(t, l.one(out, "vm-81-12"), fipIP, vm81IP, qr81MAC, vm81MAC)

	// Between the router's subnets nothing is translated.
	out = l.send("vm-81-12", tcpSeg(t, vm81MAC, qr81MAC, vm81IP, vm91IP, 41000, 80, true, false))
	ip := wantAddrs(t, l.one(out, "vm-91-14"), vm81IP, vm91IP, qr91MAC, vm91MAC)
	if ip.TTL != 63 {
		t.Errorf("ttl %d, want 63", ip.TTL)
	}
}

func TestRouterICMPErrors(t *testing.T) {
	l := newLab(t)
	l.send("vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, qr91IP))
	l.ob.take()
	// TTL 1: time exceeded from the qr- address.
	out := l.send("vm-91-14", udpDgram(t, vm91MAC, qr91MAC, vm91IP, internet, 33434, 33434, 1, 10))
	var got []gopacket.Packet
	for _, p := range out["vm-91-14"] {
		if p.Layer(layers.LayerTypeICMPv4) != nil {
			got = append(got, p)
		}
	}
	if len(got) != 1 {
		t.Fatalf("want one ICMP error, got %v", out)
	}
	wantAddrs(t, got[0], qr91IP, vm91IP, qr91MAC, vm91MAC)
	if ic := got[0].Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ic.TypeCode != layers.CreateICMPv4TypeCode(11, 0) {
		t.Errorf("type %v, want time exceeded", ic.TypeCode)
	}
	// UDP to the router: port unreachable.
	out = l.send("vm-91-14", udpDgram(t, vm91MAC, qr91MAC, vm91IP, qr91IP, 5000, 7, 64, 10))
	p := l.one(out, "vm-91-14")
	if ic := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ic.TypeCode != layers.CreateICMPv4TypeCode(3, 3) {
		t.Errorf("type %v, want port unreachable", ic.TypeCode)
	}
	// TCP to the router: a reset.
	out = l.send("vm-91-14", tcpSeg(t, vm91MAC, qr91MAC, vm91IP, qr91IP, 5000, 22, true, false))
	p = l.one(out, "vm-91-14")
	if tc, ok := p.Layer(layers.LayerTypeTCP).(*layers.TCP); !ok || !tc.RST {
		t.Errorf("want a reset, got %v", p)
	}
}

func TestRouterFragNeeded(t *testing.T) {
	spec := seed002Spec(t)
	r := &spec.Routers[0]
	r.Ports[r.Gateway].MTU = 1400
	n, eps := memNode(t, spec, Options{})
	l := &lab{t: t, n: n, ob: newOutbox(eps), hosts: newLab(t).hosts}
	l.send("vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, qr91IP))
	big := frame(t, eth(vm91MAC, qr91MAC, layers.EthernetTypeIPv4),
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: vm91IP, DstIP: internet, Flags: layers.IPv4DontFragment},
		&layers.UDP{SrcPort: 1, DstPort: 2}, gopacket.Payload(make([]byte, 1450)))
	out := l.send("vm-91-14", big)
	var errs []gopacket.Packet
	for _, p := range out["vm-91-14"] {
		if ic, ok := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok && ic.TypeCode == layers.CreateICMPv4TypeCode(3, 4) {
			errs = append(errs, p)
		}
	}
	if len(errs) != 1 || len(out["physnet1"]) != 0 {
		t.Fatalf("want one frag needed and nothing out: %v", out)
	}
	if mtu := errs[0].Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4).Seq; mtu != 1400 {
		t.Errorf("next-hop MTU %d, want 1400", mtu)
	}
	// Without DF: fragments of at most 1400 bytes.
	big = frame(t, eth(vm91MAC, qr91MAC, layers.EthernetTypeIPv4), ipv4(vm91IP, internet, layers.IPProtocolUDP, 64),
		&layers.UDP{SrcPort: 1, DstPort: 2}, gopacket.Payload(make([]byte, 1450)))
	out = l.send("vm-91-14", big)
	if len(out["physnet1"]) != 2 {
		t.Fatalf("want 2 fragments out, got %v", out)
	}
	for _, p := range out["physnet1"] {
		ip := ipOf(t, p)
		if ip.Length > 1400 || !ip.SrcIP.Equal(fipIP) {
			t.Errorf("fragment %d bytes from %s", ip.Length, ip.SrcIP)
		}
	}
}

// A traced frame names every decision of the router in Neutron's words.
func TestRouterTrace(t *testing.T) {
	l := newLab(t)
	l.send("vm-81-12", udpDgram(t, vm81MAC, qr81MAC, vm81IP, internet, 33000, 53, 64, 20))
	l.ob.take()
	idx, _ := l.n.PortIndex("vm-81-12")
	w := l.n.NewWorker(1)
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(udpDgram(t, vm81MAC, qr81MAC, vm81IP, internet, 33000, 53, 64, 20))
	var tr packet.Trace
	b.Meta.Trace = &tr
	l.n.Process(w, idx, []*packet.Buffer{b})
	got := strings.Join(strings.Fields(tr.String()), " ")
	for _, want := range []string{
		"qr-042ff29e-81 receive qrouter-router1: UDP 81.1.180.12:33000 > 8.8.8.8:53",
		"qrouter-router1 conntrack new zone 1 udp 81.1.180.12:33000 -> 8.8.8.8:53 (original)",
		"fib 8.8.8.8 via 192.168.1.1 dev qg-",
		"snat 81.1.180.12:33000 -> 192.168.1.110:33000",
		"neighbour 192.168.1.1: send 52:54:00:00:01:01",
		"uplink:physnet1 output",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("trace lacks %q:\n%s", want, tr.String())
		}
	}
}

// A dry run says what the router would do and changes nothing: no
// connection, no frame out, the caller's frame as it was.
func TestRouterDryRun(t *testing.T) {
	l := newLab(t)
	l.send("vm-81-12", echo(t, vm81MAC, qr81MAC, vm81IP, internet, 64, 1, 1, false)) // resolves the upstream router
	l.ob.take()
	conns := l.n.ct.Len()
	idx, _ := l.n.PortIndex("vm-81-12")
	w := l.n.NewWorker(1)
	w.SetDryRun(true)
	in := udpDgram(t, vm81MAC, qr81MAC, vm81IP, internet, 40000, 53, 64, 20)
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(in)
	var tr packet.Trace
	b.Meta.Trace = &tr
	l.n.Process(w, idx, []*packet.Buffer{b})
	got := strings.Join(strings.Fields(tr.String()), " ")
	for _, want := range []string{"conntrack new zone 1 udp 81.1.180.12:40000 -> 8.8.8.8:53", "snat 81.1.180.12:40000 -> 192.168.1.110:40000", "uplink:physnet1"} {
		if !strings.Contains(got, want) {
			t.Errorf("dry-run trace lacks %q:\n%s", want, tr.String())
		}
	}
	if string(b.Data()) != string(in) {
		t.Error("the dry run changed the frame")
	}
	if l.n.ct.Len() != conns {
		t.Errorf("the dry run made a connection: %d, was %d", l.n.ct.Len(), conns)
	}
	if out := l.ob.take(); len(out) != 0 {
		t.Errorf("the dry run sent frames: %v", out)
	}
}

// At start the router announces its addresses and floating IPs with
// gratuitous ARP (arping -U, then -A): the first round at once.
func TestRouterGratuitousARP(t *testing.T) {
	n, eps := seed002(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.routerLoop(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	up := eps["physnet1"]
	if up.WaitCount(4, 5*time.Second) < 4 {
		t.Fatalf("%d frames out of the uplink, want the 4 of the first round", up.Count())
	}
	seen := map[string]int{}
	for _, f := range up.Sent()[:4] {
		p := checked(t, f.Data)
		a, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP)
		if !ok || net.HardwareAddr(a.SourceHwAddress).String() != qgMAC.String() || !net.IP(a.SourceProtAddress).Equal(net.IP(a.DstProtAddress)) {
			t.Fatalf("not a gratuitous ARP from qg: %v", p)
		}
		seen[fmt.Sprintf("%s op %d", net.IP(a.SourceProtAddress), a.Operation)]++
	}
	want := map[string]int{"192.168.1.110 op 1": 1, "192.168.1.110 op 2": 1, "192.168.1.104 op 1": 1, "192.168.1.104 op 2": 1}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("gratuitous ARPs %v, want %v", seen, want)
	}
	if c := eps["vm-91-14"].WaitCount(2, 5*time.Second); c < 2 {
		t.Errorf("%d gratuitous ARPs for 91.1.180.1 on net-91, want 2", c)
	}
}

// A subnet's broadcast address is not forwarded, nor answered.
func TestRouterDirectedBroadcast(t *testing.T) {
	l := newLab(t)
	for _, dst := range []net.IP{v4("91.1.180.255"), v4("192.168.1.255")} {
		if out := l.send("vm-81-12", echo(t, vm81MAC, qr81MAC, vm81IP, dst, 64, 3, 1, false)); len(out) != 0 {
			t.Errorf("ping to %s: frames out %v", dst, out)
		}
	}
	if got := l.n.Counters().Stages["router"]["local"]; got != 2 {
		t.Errorf("local drops %d, want 2", got)
	}
}
