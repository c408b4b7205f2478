package datapath

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"neutrino/conntrack"
	"neutrino/defrag"
	"neutrino/link/mem"
	"neutrino/packet/header"
)

// The seed's addresses as arrays, for the raw builders.
var (
	aVM91, aVM81, aQR91, aQR81 = [4]byte(vm91IP), [4]byte(vm81IP), [4]byte(qr91IP), a4("81.1.180.1")
	aGW, aFIP, aUp, aOut       = [4]byte(gwIP), [4]byte(fipIP), [4]byte(upIP), [4]byte(outIP)
	aNet                       = [4]byte(internet)
	mVM91, mVM81, mUp, mOut    = [6]byte(vm91MAC), [6]byte(vm81MAC), [6]byte(upMAC), [6]byte(outMAC)
	mQR91, mQR81, mQG          = [6]byte(qr91MAC), [6]byte(qr81MAC), [6]byte(qgMAC)
	mBcast                     = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
)

// frameIP returns the IPv4 header of an untagged frame.
func frameIP(f []byte) header.IPv4 { return header.IPv4(f[header.EthernetLen:]) }

// only returns the one frame out of port among got, failing unless it is
// all there is.
func only(t *testing.T, got map[string][][]byte, port string) []byte {
	t.Helper()
	if len(got) != 1 || len(got[port]) != 1 {
		t.Fatalf("want one frame out of %s, got %v", port, frameCounts(got))
	}
	return got[port][0]
}

func frameCounts(got map[string][][]byte) map[string]int {
	c := map[string]int{}
	for k, v := range got {
		c[k] = len(v)
	}
	return c
}

// ipFrames returns the IPv4 frames among fs.
func ipFrames(fs [][]byte) [][]byte {
	var out [][]byte
	for _, f := range fs {
		if _, ok := ipID(f); ok {
			out = append(out, f)
		}
	}
	return out
}

// wantIP fails unless f's IPv4 addresses are src > dst.
func wantIP(t *testing.T, f []byte, src, dst [4]byte) header.IPv4 {
	t.Helper()
	ip := frameIP(f)
	if ip.Src() != src || ip.Dst() != dst {
		t.Fatalf("IP %s > %s, want %s > %s", ip.SrcAddr(), ip.DstAddr(), netip.AddrFrom4(src), netip.AddrFrom4(dst))
	}
	return ip
}

// connOf returns the connection whose original tuple starts at src:sport.
func connOf(n *Node, src [4]byte, sport uint16) (ConntrackEntry, bool) {
	var got ConntrackEntry
	found := false
	n.EachConntrack(ConntrackFilter{Zone: -1, Src: netip.AddrFrom4(src)}, func(e ConntrackEntry) bool {
		if e.Orig.SPort == sport {
			got, found = e, true
			return false
		}
		return true
	})
	return got, found
}

// synFlood is count SYNs from distinct outside sources (100.64.0.0/10) to
// the floating IP's port 22, starting at source number first.
func synFlood(first, count int) [][]byte {
	out := make([][]byte, count)
	for i := range out {
		k := first + i
		src := [4]byte{100, 64 + byte(k>>16&0x3f), byte(k >> 8), byte(k)}
		out[i] = rawIPv4(mUp, mQG, src, aFIP, header.ProtoTCP, 60, uint16(k), rawTCP(uint16(1024+k%60000), 22, tcpSYN, uint32(k), 0, 0))
	}
	return out
}

// A SYN flood into a small table: the table stays at its bound, unassured
// connections make room for new ones (early drop) and, once only assured
// ones are left, new connections are refused and counted under
// conntrack_table_full; an established connection made before the flood
// keeps working all along.
func TestRouterSYNFloodSmallTable(t *testing.T) {
	const max = 4096
	r := newRig(t, nil, Options{ConntrackMax: max, StormRate: -1})
	// The established connection: outside host -> floating IP, ssh.
	r.in("physnet1", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 1, rawTCP(40000, 22, tcpSYN, 100, 0, 0)))
	wantIP(t, only(t, r.take(), "vm-91-14"), aOut, aVM91)
	r.in("vm-91-14", rawIPv4(mVM91, mQR91, aVM91, aOut, header.ProtoTCP, 64, 2, rawTCP(22, 40000, tcpSYN|tcpACK, 500, 101, 0)))
	wantIP(t, only(t, r.take(), "physnet1"), aFIP, aOut)
	r.in("physnet1", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 3, rawTCP(40000, 22, tcpACK, 101, 501, 0)))
	wantIP(t, only(t, r.take(), "vm-91-14"), aOut, aVM91)
	if c, ok := connOf(r.n, aOut, 40000); !ok || !c.Assured || !c.Replied {
		t.Fatalf("the established connection is not ASSURED: %+v", c)
	}
	// established checks that the connection still carries data both ways.
	seq := uint32(101)
	established := func() {
		t.Helper()
		seq += 10
		r.in("physnet1", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 4, rawTCP(40000, 22, tcpPSH|tcpACK, seq, 501, 10)))
		f := only(t, r.take(), "vm-91-14")
		wantIP(t, f, aOut, aVM91)
		r.in("vm-91-14", rawIPv4(mVM91, mQR91, aVM91, aOut, header.ProtoTCP, 64, 5, rawTCP(22, 40000, tcpPSH|tcpACK, 501, seq+10, 10)))
		wantIP(t, only(t, r.take(), "physnet1"), aFIP, aOut)
	}

	// 1. Unanswered SYNs from 20000 sources: each goes through, the table
	// stays full, the oldest unassured connections make room.
	for k := 0; k < 20000; k += 1000 {
		r.in("physnet1", synFlood(k, 1000)...)
		if got := len(r.take()["vm-91-14"]); got != 1000 {
			t.Fatalf("%d of 1000 SYNs forwarded while unassured connections can make room", got)
		}
		established()
	}
	cc := r.n.CountConntrack(ConntrackFilter{Zone: -1})
	if cc.Count != max || r.n.ct.Len() != max {
		t.Fatalf("%d connections (%d in the table) after the flood, want the bound %d", cc.Count, r.n.ct.Len(), max)
	}
	if cc.EarlyDrop < 20000-max {
		t.Errorf("%d early drops, want at least %d", cc.EarlyDrop, 20000-max)
	}
	if got := r.drops(RouterConntrackFull); got != 0 {
		t.Errorf("conntrack_table_full %d while unassured connections could be evicted", got)
	}

	// 2. Assured connections take every other place: UDP from vm-81-12,
	// each answered before the next starts. Early drop looks at a sample
	// of the table, so when few unassured connections are left it may
	// find none and refuse one: go on until every place is assured.
	for i := 0; ; i++ {
		if i >= max-1 && i%32 == 0 {
			if cc = r.n.CountConntrack(ConntrackFilter{Zone: -1}); cc.Assured == max {
				break
			}
		}
		if i == 4*max {
			t.Fatalf("%d connections, %d assured after %d answered flows: want the table full of assured ones (%d)", cc.Count, cc.Assured, i, max)
		}
		sport := uint16(10000 + i)
		r.inQuiet("vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, uint16(i), rawUDP(sport, 53, 8)))
		r.inQuiet("physnet1", rawIPv4(mUp, mQG, aNet, aGW, header.ProtoUDP, 60, uint16(i), rawUDP(53, sport, 8)))
	}
	r.drain()
	r.check()
	r.take()

	// 3. Now the flood finds no room: every SYN is dropped and counted.
	full := r.drops(RouterConntrackFull)
	refused := r.n.CountConntrack(ConntrackFilter{Zone: -1}).Refused
	for k := 20000; k < 25000; k += 1000 {
		r.in("physnet1", synFlood(k, 1000)...)
		if got := r.take(); len(got) != 0 {
			t.Fatalf("SYNs forwarded into a table full of assured connections: %v", frameCounts(got))
		}
		established()
	}
	if got := r.drops(RouterConntrackFull) - full; got != 5000 {
		t.Errorf("conntrack_table_full grew by %d, want 5000 (one per refused SYN)", got)
	}
	if got := r.n.ct.Len(); got != max {
		t.Errorf("%d connections, want the bound %d", got, max)
	}
	if got := r.n.CountConntrack(ConntrackFilter{Zone: -1}).Refused - refused; got != 5000 {
		t.Errorf("conntrack insert_failed grew by %d, want 5000", got)
	}
}

// rigWide is the rig with the external subnet widened to a /12
// (192.160.0.0/12): room for a million neighbours on qg.
func rigWide(t *testing.T, opts Options, epOpts ...mem.Option) *rig {
	spec := *seed002Loaded(t)
	spec.Routers = append([]RouterSpec(nil), spec.Routers...)
	rs := &spec.Routers[0]
	rs.Ports = append([]RouterPortSpec(nil), rs.Ports...)
	rs.Routes = append(rs.Routes[:0:0], rs.Routes...)
	gw := &rs.Ports[rs.Gateway]
	old := gw.Addr.Masked()
	gw.Addr = netip.PrefixFrom(gw.Addr.Addr(), 12)
	for i := range rs.Routes {
		if rs.Routes[i].Prefix == old {
			rs.Routes[i].Prefix = gw.Addr.Masked()
		}
	}
	return newRig(t, &spec, opts, epOpts...)
}

// extAddr is address number k of the external network, away from the
// seed's hosts: in 192.168.1.0/24 when narrow, else across the /12.
func extAddr(k int, wide bool) [4]byte {
	if !wide {
		return [4]byte{192, 168, 1, byte(120 + k%100)} // clear of the seed's hosts and the router's addresses
	}
	k += 1 << 16
	return [4]byte{192, 160 | byte(k>>16&0x0f), byte(k >> 8), byte(k)}
}

// hostMAC is a distinct unicast MAC for host k.
func hostMAC(k int) [6]byte {
	return [6]byte{0x02, 0x42, byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
}

// An ARP flood from the external network: requests for 100k addresses
// that are not the router's, 100k gratuitous ARPs and 100k requests for
// the gateway IP, each from a different sender. The neighbour cache stays
// within its bound, the router answers what is its own, and routing still
// works afterwards.
func TestRouterARPFlood(t *testing.T) {
	const flood = 100000
	for _, wide := range []bool{false, true} {
		name := "seed"
		if wide {
			name = "wide"
		}
		t.Run(name, func(t *testing.T) {
			var r *rig
			if wide {
				r = rigWide(t, Options{StormRate: -1})
			} else {
				r = newRig(t, nil, Options{StormRate: -1})
			}
			max := r.e.neigh.Config().MaxEntries
			batch := func(mk func(k int) []byte) {
				fs := make([][]byte, 0, 10000)
				for k := 0; k < flood; k++ {
					fs = append(fs, mk(k))
					if len(fs) == cap(fs) {
						r.in("physnet1", fs...)
						fs = fs[:0]
					}
				}
			}
			// Who has 100k addresses of the external network that are
			// not the router's (100 of them, over and over, when it is
			// the seed's /24).
			batch(func(k int) []byte {
				return rawARP(mOut, mBcast, header.ARPRequest, mOut, aOut, [6]byte{}, extAddr(k, wide))
			})
			if got := r.take(); len(got) != 0 {
				t.Fatalf("ARP for other hosts answered: %v", frameCounts(got))
			}
			// 100k gratuitous ARPs, each from another sender.
			batch(func(k int) []byte {
				ip := extAddr(k, wide)
				return rawARP(hostMAC(k), mBcast, header.ARPRequest, hostMAC(k), ip, [6]byte{}, ip)
			})
			if got := r.take(); len(got) != 0 {
				t.Fatalf("gratuitous ARPs answered: %v", frameCounts(got))
			}
			// 100k requests for the gateway IP from different senders:
			// each answered, each sender learned as STALE.
			batch(func(k int) []byte {
				return rawARP(hostMAC(k), mBcast, header.ARPRequest, hostMAC(k), extAddr(k, wide), [6]byte{}, aGW)
			})
			if got := len(r.take()["physnet1"]); got != flood {
				t.Errorf("%d ARP replies for the gateway IP, want %d", got, flood)
			}
			nbs, _ := r.n.Neighbors("")
			if len(nbs) > max {
				t.Fatalf("%d neighbours, bound %d", len(nbs), max)
			}
			if wide && len(nbs) != max {
				t.Errorf("%d neighbours after 100k senders on a /12, want the cache full (%d)", len(nbs), max)
			}
			// The router still routes: vm-81-12 reaches the internet (the
			// upstream router is resolved again if it was evicted).
			r.in("vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 7, rawUDP(5000, 53, 8)))
			wantIP(t, only(t, r.take(), "physnet1"), aGW, aNet)
			r.settle(10 * time.Second)
			r.drained()
		})
	}
}

// Routed traffic to 100k on-link addresses that never answer: each new
// neighbour holds a frame while it resolves; the cache stays within its
// bound (frames to neighbours beyond it are dropped and counted), more
// frames for the resolving ones stay within the held-memory bound, and
// everything is given back once the resolutions fail.
func TestRouterNeighbourFloodUnresolved(t *testing.T) {
	r := rigWide(t, Options{StormRate: -1}) // the hosts answer; no one at the addresses flooded
	max := r.e.neigh.Config().MaxEntries
	fs := make([][]byte, 0, 10000)
	send := func() {
		r.in("vm-81-12", fs...)
		fs = fs[:0]
	}
	for k := 0; k < 100000; k++ {
		fs = append(fs, rawIPv4(mVM81, mQR81, aVM81, extAddr(k, true), header.ProtoUDP, 64, uint16(k), rawUDP(7000, 9, 100)))
		if len(fs) == cap(fs) {
			send()
		}
	}
	nbs, _ := r.n.Neighbors("")
	if len(nbs) != max {
		t.Errorf("%d neighbours resolving, want the bound %d", len(nbs), max)
	}
	if got := r.drops(RouterNeighTableFull); got != 100000-uint64(max) {
		t.Errorf("neighbour_table_full %d, want %d", got, 100000-max)
	}
	// Three more large frames for each resolving neighbour: the queues
	// (3 frames each) would hold more than the router allows.
	for k := 0; k < max; k++ {
		for range 3 {
			fs = append(fs, rawIPv4(mVM81, mQR81, aVM81, extAddr(k, true), header.ProtoUDP, 64, uint16(k), rawUDP(7000, 9, 1400)))
		}
	}
	send()
	if h := r.e.heldBytes.Load(); h <= maxHeldBytes-1500 || h > maxHeldBytes {
		t.Errorf("%d bytes held, want close to the bound %d", h, maxHeldBytes)
	}
	if r.drops(RouterNeighNoMemory) == 0 || r.drops(RouterNeighQueueFull) != uint64(max) {
		t.Errorf("neighbour_queue_memory %d (want some), neighbour_queue_full %d (want %d)",
			r.drops(RouterNeighNoMemory), r.drops(RouterNeighQueueFull), max)
	}
	r.settle(10 * time.Second)
	r.drained()
	nbs, _ = r.n.Neighbors("")
	for _, nb := range nbs {
		if _, ok := rigHosts[a4(nb.IP)]; !ok {
			t.Errorf("neighbour %+v left after every resolution failed and its hold ended", nb)
		}
	}
	if got := r.drops(RouterHostUnreachable); got != 3*uint64(max) {
		t.Errorf("host_unreachable %d, want one per queued frame (%d)", got, 3*max)
	}
}

// SNAT of many connections to one destination ip:port: every unprivileged
// source port of vm-81-12 keeps its port (64512 connections), then a
// second source finds every port taken: counted under
// snat_ports_exhausted, nothing sent, nothing broken.
func TestRouterSNATPortsExhausted(t *testing.T) {
	r := newRig(t, nil, Options{StormRate: -1}, mem.AsSink())
	up := r.eps["physnet1"]
	r.in("vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 1, rawUDP(1024, 53, 8)))
	r.in("physnet1", rawARP(mUp, mQG, header.ARPReply, mUp, aUp, mQG, aGW)) // the upstream router answers
	sent := up.Count()
	fs := make([][]byte, 0, 8192)
	flush := func(port string) {
		r.in(port, fs...)
		fs = fs[:0]
	}
	for p := 1025; p <= 65535; p++ {
		fs = append(fs, rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, uint16(p), rawUDP(uint16(p), 53, 8)))
		if len(fs) == cap(fs) {
			flush("vm-81-12")
		}
	}
	flush("vm-81-12")
	if got := r.routerCounter("snat_connections"); got != 64512 {
		t.Fatalf("%d SNAT connections, want 64512 (every unprivileged port)", got)
	}
	if got := up.Count() - sent; got != 64511 {
		t.Fatalf("%d frames out of the uplink, want 64511", got)
	}
	if got := r.drops(RouterSNATExhausted); got != 0 {
		t.Fatalf("snat_ports_exhausted %d before the ports ran out", got)
	}
	// A second address on the subnet: every port is taken.
	sent = up.Count()
	second := a4("81.1.180.13")
	for p := 0; p < 1000; p++ {
		fs = append(fs, rawIPv4(mVM81, mQR81, second, aNet, header.ProtoUDP, 64, uint16(p), rawUDP(uint16(2000+p), 53, 8)))
	}
	flush("vm-81-12")
	if got := r.drops(RouterSNATExhausted); got != 1000 {
		t.Errorf("snat_ports_exhausted %d, want 1000", got)
	}
	if got := up.Count() - sent; got != 0 {
		t.Errorf("%d frames sent without a SNAT port", got)
	}
	// A privileged source port has its own range, still free.
	r.in("vm-81-12", rawIPv4(mVM81, mQR81, second, aNet, header.ProtoUDP, 64, 9, rawUDP(123, 53, 8)))
	if got := up.Count() - sent; got != 1 {
		t.Errorf("a privileged source port was not translated (%d frames out)", got)
	}
	// Echo identifiers are a range of their own: 65536 of them.
	sent = up.Count()
	for id := 0; id < 1<<16; id++ {
		fs = append(fs, rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoICMP, 64, uint16(id), rawICMP(header.ICMPv4Echo, 0, uint16(id), 1, nil)))
		if len(fs) == cap(fs) {
			flush("vm-81-12")
		}
	}
	flush("vm-81-12")
	if got := up.Count() - sent; got != 1<<16 {
		t.Errorf("%d echo requests out, want 65536", got)
	}
	before := r.drops(RouterSNATExhausted)
	r.in("vm-81-12", rawIPv4(mVM81, mQR81, second, aNet, header.ProtoICMP, 64, 1, rawICMP(header.ICMPv4Echo, 0, 7, 1, nil)))
	if got := r.drops(RouterSNATExhausted) - before; got != 1 {
		t.Errorf("an echo with every identifier taken: snat_ports_exhausted grew by %d, want 1", got)
	}
}

// snatConn makes the UDP connection vm-81-12:33000 -> 8.8.8.8:53 (SNATed
// to the gateway IP, its port kept), answered, and returns the frame as
// it left the router.
func snatConn(t *testing.T, r *rig) []byte {
	t.Helper()
	r.in("vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 0x5151, rawUDP(33000, 53, 20)))
	out := only(t, r.take(), "physnet1")
	wantIP(t, out, aGW, aNet)
	if sp := binary.BigEndian.Uint16(out[34:36]); sp != 33000 {
		t.Fatalf("SNAT port %d, want 33000 kept", sp)
	}
	r.in("physnet1", rawIPv4(mUp, mQG, aNet, aGW, header.ProtoUDP, 60, 0x5252, rawUDP(53, 33000, 20)))
	only(t, r.take(), "vm-81-12")
	return out
}

// fipConn makes the TCP connection 192.168.1.15:40000 -> the floating IP
// port 22 (DNATed to vm-91-14), answered, and returns the SYN as vm-91-14
// got it.
func fipConn(t *testing.T, r *rig) []byte {
	t.Helper()
	r.in("physnet1", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 0x6161, rawTCP(40000, 22, tcpSYN, 100, 0, 0)))
	in := only(t, r.take(), "vm-91-14")
	wantIP(t, in, aOut, aVM91)
	r.in("vm-91-14", rawIPv4(mVM91, mQR91, aVM91, aOut, header.ProtoTCP, 64, 0x6262, rawTCP(22, 40000, tcpSYN|tcpACK, 500, 101, 0)))
	wantIP(t, only(t, r.take(), "physnet1"), aFIP, aOut)
	return in
}

// icmpErr builds an ICMP error from src to dst (type 3 code 3) quoting
// quote, from the host behind port.
func icmpErr(port string, src, dst [4]byte, typ, code uint8, quote []byte) []byte {
	return rawIPv4(rigHostOn[port], rigRouterOn[port], src, dst, header.ProtoICMP, 60, 0x7777, rawICMP(typ, code, 0, 0, quote))
}

// ICMP errors whose quoted packet is cut short, lies about itself or
// names no connection are not translated: they are dropped and counted
// (icmp_error_untranslated, or conntrack's invalid count and the router's
// own delivery), never sent on with a half-done translation. Intact ones
// are translated back to the VM.
func TestRouterICMPErrorsBadQuotes(t *testing.T) {
	r := newRig(t, nil, Options{})
	wire := snatConn(t, r)[header.EthernetLen:] // gwIP:33000 -> 8.8.8.8:53
	quote := func(n int, edit func(q []byte)) []byte {
		q := append([]byte(nil), wire[:min(n, len(wire))]...)
		if edit != nil {
			edit(q)
		}
		return q
	}
	// Intact: to vm-81-12, translated back inside and out.
	r.in("physnet1", icmpErr("physnet1", aNet, aGW, 3, 3, quote(28, nil)))
	f := only(t, r.take(), "vm-81-12")
	wantIP(t, f, aNet, aVM81)
	if in := header.IPv4(f[header.EthernetLen+20+8:]); in.Src() != aVM81 || binary.BigEndian.Uint16(in[20:22]) != 33000 {
		t.Fatalf("quoted packet not translated back: % x", in)
	}

	bad := []struct {
		name  string
		quote []byte
	}{
		{"shorter than an IP header", quote(12, nil)},
		{"header and 4 bytes", quote(24, nil)},
		{"header length beyond the quote", quote(28, func(q []byte) { q[0] = 0x4f })},
		{"header length below 20", quote(28, func(q []byte) { q[0] = 0x44 })},
		{"not IPv4", quote(28, func(q []byte) { q[0] = 0x65 })},
		{"a later fragment", quote(28, func(q []byte) { binary.BigEndian.PutUint16(q[6:8], 0x2003) })},
		{"no such connection", quote(28, func(q []byte) { binary.BigEndian.PutUint16(q[20:22], 33001) })},
		{"an error about an error", quote(28, func(q []byte) { q[9] = header.ProtoICMP; q[20] = 3 })},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			local, untranslated := r.routerCounter("local"), r.drops(RouterICMPUntranslated)
			ct := r.n.ct.Stats()
			r.in("physnet1", icmpErr("physnet1", aNet, aGW, 3, 3, c.quote))
			if got := r.take(); len(got) != 0 {
				t.Fatalf("sent on: %v", frameCounts(got))
			}
			ct2 := r.n.ct.Stats()
			invalid := ct2.Invalid[conntrack.ReasonRelatedBad] + ct2.Invalid[conntrack.ReasonRelatedNoConn] -
				ct.Invalid[conntrack.ReasonRelatedBad] - ct.Invalid[conntrack.ReasonRelatedNoConn]
			if invalid+r.drops(RouterICMPUntranslated)-untranslated == 0 {
				t.Errorf("not counted: conntrack invalid +%d, icmp_error_untranslated %d -> %d (local %d -> %d)",
					invalid, untranslated, r.drops(RouterICMPUntranslated), local, r.routerCounter("local"))
			}
		})
	}

	// A quote whose total length lies (longer than what is quoted) still
	// names the connection: translated, checksums right (the rig checks).
	r.in("physnet1", icmpErr("physnet1", aNet, aGW, 3, 3, quote(28, func(q []byte) { binary.BigEndian.PutUint16(q[2:4], 1400) })))
	wantIP(t, only(t, r.take(), "vm-81-12"), aNet, aVM81)
}

// A packet to the floating IP that conntrack cannot track (INVALID: an
// ICMP error whose quote is cut short, an echo reply without a request, a
// TCP segment with SYN and FIN, an ICMP type conntrack does not know) is
// not DNATed. It is then for the router: the floating IP is an address of
// qg (the L3 agent puts it there as a /32), so Linux takes it in the
// qrouter namespace. It must not be routed back out of qg to a neighbour
// the router has to ask for its own floating IP.
func TestRouterUntrackedToFloatingIP(t *testing.T) {
	quote := rawIPv4(mQG, mOut, aFIP, aOut, header.ProtoTCP, 63, 1, rawTCP(22, 40000, tcpSYN|tcpACK, 500, 101, 0))[header.EthernetLen:]
	cases := []struct {
		name  string
		frame []byte
	}{
		{"ICMP error cut short", icmpErr("physnet1", aOut, aFIP, 3, 3, quote[:24])},
		{"echo reply without request", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoICMP, 64, 2, rawICMP(header.ICMPv4EchoReply, 0, 5, 1, nil))},
		{"TCP SYN and FIN", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 3, rawTCP(40001, 22, tcpSYN|tcpFIN, 1, 0, 0))},
		{"ICMP timestamp", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoICMP, 64, 4, rawICMP(13, 0, 5, 1, make([]byte, 12)))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil, Options{})
			fipConn(t, r)
			r.in("physnet1", c.frame) // the rig fails on an ARP request for the floating IP
			for _, f := range r.take()["physnet1"] {
				if id, ok := ipID(f); ok && frameIP(f).Dst() == aFIP {
					t.Errorf("sent back out of qg to the floating IP (id %#x)", id)
				}
			}
			nbs, _ := r.n.Neighbors("")
			for _, nb := range nbs {
				if nb.IP == fipIP.String() {
					t.Errorf("the floating IP is in the neighbour cache: %+v", nb)
				}
			}
		})
	}
}

// An ICMP error from a VM whose quote is cut short cannot be related to
// the VM's connection: it is not translated. Either it is dropped, or it
// leaves exactly as Linux forwards an untracked packet: unchanged but for
// the TTL and the Ethernet addresses, never half translated.
func TestRouterICMPErrorFromVMUntracked(t *testing.T) {
	r := newRig(t, nil, Options{})
	in := fipConn(t, r)[header.EthernetLen:] // 192.168.1.15:40000 -> vm91:22 as the VM got it
	e := icmpErr("vm-91-14", aVM91, aOut, 3, 3, in[:24])
	r.in("vm-91-14", e)
	got := r.take()
	for _, f := range got["physnet1"] {
		want := append([]byte(nil), e[header.EthernetLen:]...)
		setTTL(header.IPv4(want), want[8]-1)
		if !bytes.Equal(f[header.EthernetLen:], want) {
			t.Errorf("an untracked error left changed:\n got % x\nwant % x", f[header.EthernetLen:], want)
		}
	}
	delete(got, "physnet1")
	if len(got) != 0 {
		t.Errorf("sent elsewhere: %v", frameCounts(got))
	}
}

// TTL 0 and 1: a packet to forward is answered with time exceeded from the
// address of the port it came in by, quoting it as it came (before NAT),
// and dropped; one for the router itself is answered; an ICMP error is
// dropped without an error about it.
func TestRouterTTLZeroAndOne(t *testing.T) {
	for _, ttl := range []uint8{0, 1} {
		r := newRig(t, nil, Options{})
		r.settle(3 * time.Second) // the gratuitous ARPs
		r.take()
		cases := []struct {
			port     string
			frame    []byte
			from, to [4]byte
		}{
			{"vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, ttl, 1, rawUDP(33434, 33434, 10)), aQR81, aVM81},
			{"vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoTCP, ttl, 2, rawTCP(5555, 80, tcpSYN, 1, 0, 0)), aQR81, aVM81},
			{"vm-91-14", rawIPv4(mVM91, mQR91, aVM91, aVM81, header.ProtoICMP, ttl, 3, rawICMP(header.ICMPv4Echo, 0, 9, 1, []byte("ping"))), aQR91, aVM91},
			// To the floating IP: the error leaves from it (Linux NATs it
			// as related to the DNATed connection).
			{"physnet1", rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, ttl, 4, rawTCP(41000, 22, tcpSYN, 1, 0, 0)), aFIP, aOut},
			{"physnet1", rawIPv4(mOut, mQG, aOut, aVM91, header.ProtoUDP, ttl, 5, rawUDP(1, 2, 3)), aGW, aOut},
		}
		for i, c := range cases {
			before := r.drops(RouterTTLExceeded)
			r.clk.Advance(2 * time.Second) // past the per-destination rate limit
			r.in(c.port, c.frame)
			got := r.take()
			f := only(t, got, c.port)
			ip := wantIP(t, f, c.from, c.to)
			m := header.ICMPv4(ip.Payload())
			if m.Type() != 11 || m.Code() != 0 {
				t.Fatalf("ttl %d case %d: ICMP %d/%d, want time exceeded", ttl, i, m.Type(), m.Code())
			}
			if q := m.Payload(); !bytes.Equal(q, c.frame[header.EthernetLen:header.EthernetLen+len(q)]) {
				t.Errorf("ttl %d case %d: the quote is not the packet as sent:\n% x\n% x", ttl, i, q, c.frame[header.EthernetLen:])
			}
			if got := r.drops(RouterTTLExceeded) - before; got != 1 {
				t.Errorf("ttl %d case %d: ttl_exceeded grew by %d", ttl, i, got)
			}
		}
		// For the router itself: answered whatever the TTL.
		r.in("vm-91-14", rawIPv4(mVM91, mQR91, aVM91, aQR91, header.ProtoICMP, ttl, 6, rawICMP(header.ICMPv4Echo, 0, 9, 2, []byte("ping"))))
		if m := header.ICMPv4(wantIP(t, only(t, r.take(), "vm-91-14"), aQR91, aVM91).Payload()); m.Type() != header.ICMPv4EchoReply {
			t.Errorf("ttl %d: a ping to the router got type %d", ttl, m.Type())
		}
		// An ICMP error about a connection: dropped, no error about it.
		wire := snatConn(t, r)[header.EthernetLen:]
		before := r.drops(RouterTTLExceeded)
		r.in("physnet1", rawIPv4(mUp, mQG, aNet, aGW, header.ProtoICMP, ttl, 7, rawICMP(3, 3, 0, 0, wire[:28])))
		if got := r.take(); len(got) != 0 {
			t.Errorf("ttl %d: an ICMP error was answered or sent on: %v", ttl, frameCounts(got))
		}
		if got := r.drops(RouterTTLExceeded) - before; got != 1 {
			t.Errorf("ttl %d: an ICMP error with ttl %d: ttl_exceeded grew by %d", ttl, ttl, got)
		}
	}
}

// fragmentsOf cuts the IPv4 datagram of frame f into fragments carrying
// the payload ranges given (in bytes, multiples of 8 but the last), each
// its own frame with the same Ethernet header.
func fragmentsOf(f []byte, ranges ...[2]int) [][]byte {
	ip := frameIP(f)
	hl := ip.HeaderLen()
	payload := ip[hl:ip.TotalLength()]
	var out [][]byte
	for _, rg := range ranges {
		lo, hi := rg[0], min(rg[1], len(payload))
		fr := make([]byte, header.EthernetLen+hl+hi-lo)
		copy(fr, f[:header.EthernetLen+hl])
		copy(fr[header.EthernetLen+hl:], payload[lo:hi])
		fip := frameIP(fr)
		fip.SetTotalLength(uint16(hl + hi - lo))
		ff := uint16(lo / 8)
		if hi < len(payload) {
			ff |= header.IPv4FlagMF
		}
		fip.SetFlagsFragment(ff | ip.FlagsFragment()&0x4000)
		fip.SetChecksum(0)
		fip.SetChecksum(^header.Checksum(fip[:hl], 0))
		out = append(out, fr)
	}
	return out
}

// Fragments: overlapping ones drop their datagram, one never completed
// is dropped when the reassembly timeout passes, one with too many
// fragments is dropped, duplicates are dropped; each counted under
// fragment_reassembly. In order or not, a complete datagram is routed and
// leaves in fragments no larger than the largest that came.
func TestRouterFragmentsBad(t *testing.T) {
	r := newRig(t, nil, Options{})
	big := func(id uint16) []byte {
		return rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, id, rawUDP(6000, 7000, 2000))
	}
	counted := func(what string, before uint64, want uint64) {
		t.Helper()
		if got := r.drops(RouterFragment) - before; got != want {
			t.Errorf("%s: fragment_reassembly grew by %d, want %d", what, got, want)
		}
	}

	// Out of order, complete: routed, SNATed, in fragments of at most 808
	// bytes (the largest that came).
	fr := fragmentsOf(big(1), [2]int{1600, 2008}, [2]int{800, 1600}, [2]int{0, 800})
	r.in("vm-81-12", fr...)
	out := ipFrames(r.take()["physnet1"])
	if len(out) != 3 {
		t.Fatalf("%d fragments out, want 3", len(out))
	}
	for _, f := range out {
		if ip := wantIP(t, f, aGW, aNet); ip.TotalLength() > 820 {
			t.Errorf("a fragment of %d bytes, larger than any that came", ip.TotalLength())
		}
	}

	// Overlapping: the second fragment overlaps the first without being
	// its copy; the datagram is dropped, and the last fragment finds
	// nothing to complete.
	before := r.drops(RouterFragment)
	r.in("vm-81-12", fragmentsOf(big(2), [2]int{0, 800}, [2]int{400, 1200}, [2]int{1200, 2008})...)
	if got := r.take(); len(got) != 0 {
		t.Fatalf("overlapping fragments sent on: %v", frameCounts(got))
	}
	counted("overlap", before, 1)

	// An exact duplicate: dropped and counted, the datagram completes
	// (and leaves in fragments of at most 1228 bytes, its largest).
	before = r.drops(RouterFragment)
	r.in("vm-81-12", fragmentsOf(big(3), [2]int{0, 800}, [2]int{0, 800}, [2]int{800, 2008})...)
	if got := len(ipFrames(r.take()["physnet1"])); got != 2 {
		t.Errorf("after a duplicate: %d fragments out, want 2", got)
	}
	counted("duplicate", before, 1)

	// Too many fragments: 65 of 8 bytes, never the last.
	before = r.drops(RouterFragment)
	var many [][2]int
	for i := 0; i < 66; i++ {
		many = append(many, [2]int{i * 8, i*8 + 8})
	}
	r.in("vm-81-12", fragmentsOf(big(4), many...)...)
	if got := r.take(); len(got) != 0 {
		t.Fatalf("sent on: %v", frameCounts(got))
	}
	if fs := r.e.frags.Stats(); fs.Fragments[defrag.TooManyFragments] != 1 {
		t.Fatalf("no datagram had too many fragments: %+v", fs)
	}
	counted("too many fragments", before, 1) // the 65th kills the datagram, the 66th starts another

	// Never completed: the first half only. Held until the reassembly
	// timeout, then dropped, and the drop counted.
	r.settle(31 * time.Second)
	r.take()
	before = r.drops(RouterFragment)
	r.in("vm-81-12", fragmentsOf(big(5), [2]int{0, 800})...)
	if fs := r.e.frags.Stats(); fs.Datagrams != 1 || r.routerCounter("fragment_bytes_held") == 0 {
		t.Fatalf("the fragment is not held: %+v", fs)
	}
	r.settle(31 * time.Second)
	if fs := r.e.frags.Stats(); fs.Datagrams != 0 || fs.TimedOut == 0 || r.routerCounter("fragment_bytes_held") != 0 {
		t.Fatalf("the incomplete datagram is still held after the timeout: %+v", fs)
	}
	if got := r.take(); len(ipFrames(got["physnet1"])) != 0 || len(got["vm-81-12"]) != 0 {
		t.Errorf("sent on: %v", frameCounts(got))
	}
	counted("timed out", before, 1)

	// Many datagrams never completed: the table stays bounded.
	var firsts [][]byte
	for id := 0; id < 3000; id++ {
		firsts = append(firsts, fragmentsOf(big(uint16(1000+id)), [2]int{0, 800})...)
	}
	r.in("vm-81-12", firsts...)
	r.settle(31 * time.Second)
	r.drained()
}

// A ping larger than the MTU to the router's own address arrives in
// fragments, is reassembled and answered; the answer, as large, leaves in
// fragments too (as Linux's ip_fragment on the way out), not as one frame
// the port cannot carry.
func TestRouterBigPingToRouter(t *testing.T) {
	r := newRig(t, nil, Options{})
	r.in("vm-91-14", rawARP(mVM91, mBcast, header.ARPRequest, mVM91, aVM91, [6]byte{}, aQR91))
	r.take()
	body := make([]byte, 2972) // ping -s 2972: a 3000-byte datagram
	for i := range body {
		body[i] = byte(i)
	}
	req := rawIPv4(mVM91, mQR91, aVM91, aQR91, header.ProtoICMP, 64, 0x4242, rawICMP(header.ICMPv4Echo, 0, 77, 1, body))
	r.in("vm-91-14", fragmentsOf(req, [2]int{0, 1480}, [2]int{1480, 2960}, [2]int{2960, 2980})...)
	out := ipFrames(r.take()["vm-91-14"])
	total := 0
	for _, f := range out {
		ip := wantIP(t, f, aQR91, aVM91)
		total += int(ip.TotalLength()) - ip.HeaderLen()
	}
	if total != 2980 {
		t.Errorf("echo reply: %d frames with %d bytes of ICMP, want 2980; port_out drops %v",
			len(out), total, r.n.Counters().Stages[StagePortOut.String()])
	}
}

// An ICMP error about a SNATed connection that comes in fragments is
// reassembled, translated back and sent on to the VM; larger than the
// MTU, it leaves in fragments no larger than those it came in, as Linux
// forwards a reassembled datagram, not as one frame the port cannot
// carry.
func TestRouterBigICMPErrorRelated(t *testing.T) {
	r := newRig(t, nil, Options{})
	wire := snatConn(t, r)[header.EthernetLen:]
	q := make([]byte, 2000)
	copy(q, wire)
	e := icmpErr("physnet1", aNet, aGW, 3, 3, q)
	r.in("physnet1", fragmentsOf(e, [2]int{0, 1480}, [2]int{1480, 2008})...)
	out := ipFrames(r.take()["vm-81-12"])
	total := 0
	for _, f := range out {
		ip := wantIP(t, f, aNet, aVM81)
		total += int(ip.TotalLength()) - ip.HeaderLen()
	}
	if total != 2008 {
		t.Errorf("the error reached vm-81-12 as %d frames with %d bytes of ICMP, want 2008", len(out), total)
	}
}

// A datagram SNATed on its way out that leaves in fragments, to a
// neighbour that never answers: the host unreachable goes back to the VM
// that sent it, quoting its first fragment as the VM sent it (before
// SNAT), as for a datagram that left whole. It must not go to the SNAT
// address, the router's own gateway IP, nor make the router ask for it.
func TestRouterUnreachableFragmentedSNAT(t *testing.T) {
	for _, fragmented := range []bool{false, true} {
		r := newRig(t, nil, Options{})
		r.in("vm-81-12", rawARP(mVM81, mBcast, header.ARPRequest, mVM81, aVM81, [6]byte{}, aQR81))
		r.settle(3 * time.Second)
		r.take()
		nowhere := a4("192.168.1.77") // on the external network, no one there
		dg := rawIPv4(mVM81, mQR81, aVM81, nowhere, header.ProtoUDP, 64, 0x999, rawUDP(6000, 7000, 2000))
		frames := fragmentsOf(dg, [2]int{0, 1000}, [2]int{1000, 2008})
		if !fragmented {
			dg = rawIPv4(mVM81, mQR81, aVM81, nowhere, header.ProtoUDP, 64, 0x999, rawUDP(6000, 7000, 1000))
			frames = [][]byte{dg}
		}
		r.in("vm-81-12", frames...)
		r.settle(5 * time.Second)
		var errs [][]byte
		for _, f := range ipFrames(r.take()["vm-81-12"]) {
			if ip := frameIP(f); ip.Protocol() == header.ProtoICMP && header.ICMPv4(ip.Payload()).Type() == 3 {
				errs = append(errs, f)
			}
		}
		if len(errs) != 1 {
			t.Fatalf("fragmented %v: %d host unreachable errors reached vm-81-12, want 1", fragmented, len(errs))
		}
		ip := wantIP(t, errs[0], aQR81, aVM81)
		if q := header.IPv4(header.ICMPv4(ip.Payload()).Payload()); q.Src() != aVM81 || q.Dst() != nowhere {
			t.Errorf("fragmented %v: the error quotes %s > %s, want the datagram as vm-81-12 sent it", fragmented, q.SrcAddr(), q.DstAddr())
		}
	}
}

// Addresses no packet may be routed to, nor an error sent to: the limited
// broadcast, multicast groups and the broadcast addresses of the router's
// subnets as destinations; the same, and the router's own addresses, as
// sources (Linux drops such sources as martians, and never forwards a
// limited or directed broadcast nor resolves one). The router sends
// nothing for any of them: no routed packet, no ARP request, no ICMP
// error, now or when its timers run.
func TestRouterBroadcastAndOwnAddresses(t *testing.T) {
	cases := []struct {
		name     string
		port     string
		src, dst [4]byte
		ttl      uint8
	}{
		{"to the limited broadcast", "vm-81-12", aVM81, [4]byte{255, 255, 255, 255}, 64},
		{"to a multicast group", "vm-81-12", aVM81, a4("239.1.1.1"), 64},
		{"to mDNS", "vm-81-12", aVM81, a4("224.0.0.251"), 64},
		{"to another subnet's broadcast", "vm-81-12", aVM81, a4("91.1.180.255"), 64},
		{"to its own subnet's broadcast", "vm-81-12", aVM81, a4("81.1.180.255"), 64},
		{"to the external broadcast from outside", "physnet1", aOut, a4("192.168.1.255"), 64},
		{"from a subnet's broadcast", "vm-91-14", a4("91.1.180.255"), aQR91, 64},
		{"from a subnet's broadcast, ttl 1", "vm-91-14", a4("91.1.180.255"), aNet, 1},
		{"from the gateway IP", "vm-91-14", aGW, aQR91, 64},
		{"from the floating IP", "vm-81-12", aFIP, aQR81, 64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil, Options{})
			r.settle(3 * time.Second) // the gratuitous ARPs
			r.take()
			r.in(c.port, rawIPv4(rigHostOn[c.port], rigRouterOn[c.port], c.src, c.dst, header.ProtoUDP, c.ttl, 1, rawUDP(5000, 5353, 10)))
			r.settle(5 * time.Second)
			if got := r.take(); len(got) != 0 {
				t.Errorf("sent: %v", frameCounts(got))
			}
		})
	}
}
