package datapath

import (
	"encoding/binary"
	"testing"
	"time"

	"neutrino/packet"
	"neutrino/packet/header"
)

// The fuzz targets of the router run the seed 002 node on the rig (see
// rig): any frame into any of the ports that lead to the router, the
// router's timers driven by the fake clock. Beside the rig's checks after
// every step, each run ends by letting every timer run out: then no frame
// may still be held for a neighbour and no datagram for reassembly.

// Shaping bits: how much of a fuzzed frame the harness makes right
// before sending it, so that the fuzzer reaches past the first checks
// without losing the inputs that fail them.
const (
	shapeAddress  = 1 << iota // Ethernet: to the router's MAC on the port's network, from its host
	shapeLength               // IPv4: version 4, a header length that fits, the total length of the frame
	shapeChecksum             // IPv4: header, L4 and quoted header checksums right
)

// shape returns a copy of f, untagged Ethernet, made right as mode says
// for sending in from port. Its source MAC is never one of the router's:
// frames from a router MAC are the ones the rig checks.
func (r *rig) shape(port string, mode uint8, f []byte) []byte {
	f = append([]byte(nil), f...)
	if len(f) < header.EthernetLen {
		return f
	}
	if mode&shapeAddress != 0 {
		m, h := rigRouterOn[port], rigHostOn[port]
		copy(f[0:6], m[:])
		copy(f[6:12], h[:])
	}
	for r.isRouterMAC([6]byte(f[6:12])) {
		f[11] ^= 0x80
	}
	if binary.BigEndian.Uint16(f[12:14]) != header.EtherTypeIPv4 || len(f) < header.EthernetLen+header.IPv4MinLen {
		return f
	}
	ip := header.IPv4(f[header.EthernetLen:])
	if mode&shapeLength != 0 {
		ip[0] = 0x40 | ip[0]&0x0f
		if ip.HeaderLen() < header.IPv4MinLen || ip.HeaderLen() > len(ip) {
			ip[0] = 0x45
		}
		ip.SetTotalLength(uint16(min(len(ip), 0xffff)))
	}
	if mode&shapeChecksum != 0 && ip.Check() == header.OK {
		fixChecksums(ip[:ip.TotalLength()])
	}
	return f
}

// routerSeeds are frames of every kind the router meets, for the corpora.
func routerSeeds(t testing.TB) [][]byte {
	withOptions := rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 9, rawUDP(1, 2, 8))
	{
		// Record route, 12 bytes (one slot and padding): IHL 8.
		ip := frameIP(withOptions)
		opt := []byte{7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0}
		f := append(append(append([]byte(nil), withOptions[:header.EthernetLen+20]...), opt...), ip[20:]...)
		ip = frameIP(f)
		ip.SetHeaderLen(32)
		ip.SetTotalLength(uint16(len(ip)))
		fixChecksums(ip)
		withOptions = f
	}
	first := rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 10, rawUDP(3, 4, 1000))
	frags := fragmentsOf(first, [2]int{0, 512}, [2]int{512, 1008})
	return [][]byte{
		rawIPv4(mVM91, mQR91, aVM91, aQR91, header.ProtoICMP, 64, 1, rawICMP(header.ICMPv4Echo, 0, 7, 1, []byte("ping"))),
		rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 2, rawUDP(33000, 53, 20)),
		rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoICMP, 64, 3, rawICMP(header.ICMPv4Echo, 0, 99, 1, nil)),
		rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 4, rawTCP(40000, 22, tcpSYN, 100, 0, 0)),
		rawIPv4(mVM81, mQR81, aVM81, aFIP, header.ProtoUDP, 64, 5, rawUDP(5000, 6000, 10)),
		rawIPv4(mVM81, mQR81, aVM81, aVM91, header.ProtoTCP, 1, 6, rawTCP(41000, 80, tcpSYN, 1, 0, 0)),
		rawIPv4(mVM91, mQR91, aVM91, aNet, header.ProtoUDP, 0, 7, rawUDP(33434, 33434, 10)),
		rawIPv4(mVM91, mQR91, aVM91, aQR91, 47, 64, 8, []byte{0, 0, 8, 0}),
		rawIPv4(mVM91, mQR91, aVM91, aQR91, header.ProtoTCP, 64, 8, rawTCP(5000, 22, tcpSYN, 1, 0, 0)),
		rawIPv4(mUp, mQG, aNet, aGW, header.ProtoUDP, 60, 11, rawUDP(53, 33000, 20)),
		rawIPv4(mUp, mQG, aNet, aGW, header.ProtoICMP, 60, 12, rawICMP(3, 3, 0, 0,
			rawIPv4(mQG, mUp, aGW, aNet, header.ProtoUDP, 63, 2, rawUDP(33000, 53, 20))[header.EthernetLen:])),
		withOptions, frags[0], frags[1],
		rawARP(mVM91, mBcast, header.ARPRequest, mVM91, aVM91, [6]byte{}, aQR91),
		rawARP(mOut, mBcast, header.ARPRequest, mOut, aOut, [6]byte{}, aFIP),
		rawARP(mUp, mQG, header.ARPReply, mUp, aUp, mQG, aGW),
		rawARP(mOut, mBcast, header.ARPRequest, mOut, aGW, [6]byte{}, aGW),
	}
}

// FuzzRouterFrame sends one frame, shaped as mode says, into one of the
// ports that lead to the router. setup says what comes before and after:
// whether the lab's hosts answer ARP, whether connections (SNAT, floating
// IP, SNATed echo) exist for the frame to belong to or be an error about,
// whether the frame comes twice and through the other ports too, and how
// long the timers run before the end.
func FuzzRouterFrame(f *testing.F) {
	for i, s := range routerSeeds(f) {
		f.Add(uint8(i%3), uint8(shapeAddress|shapeLength|shapeChecksum), uint8(i), s)
		f.Add(uint8(i%3), uint8(0), uint8(0xff), s)
	}
	f.Fuzz(func(t *testing.T, port, mode, setup uint8, frame []byte) {
		if len(frame) > 9000 {
			return
		}
		r := newRig(t, nil, Options{})
		r.answer = setup&1 == 0
		if setup&2 != 0 {
			r.answer = true
			snatConn(t, r)
			fipConn(t, r)
			r.in("vm-81-12", rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoICMP, 64, 3, rawICMP(header.ICMPv4Echo, 0, 99, 1, nil)))
			r.answer = setup&1 == 0
		}
		in := rigPorts[int(port)%len(rigPorts)]
		r.in(in, r.shape(in, mode, frame))
		if setup&4 != 0 {
			r.in(in, r.shape(in, mode, frame))
		}
		if setup&8 != 0 {
			for _, p := range rigPorts {
				if p != in {
					r.in(p, r.shape(p, mode, frame))
				}
			}
		}
		for range setup >> 4 {
			r.tick(time.Second)
		}
		r.finish()
	})
}

// FuzzRouterScript runs a sequence of frames and timer ticks. Each record
// is an op byte, a length byte and that many bytes: op&3 is the port (3:
// the timers run for length*100 ms and no bytes follow); op bit 2 makes
// the bytes an ARP packet, else an IPv4 datagram; bits 3 to 5 are the
// shaping bits; bit 6 sends to the broadcast MAC instead of the router's.
func FuzzRouterScript(f *testing.F) {
	rec := func(op uint8, b []byte) []byte {
		return append([]byte{op, byte(len(b))}, b...)
	}
	ipOf := func(fr []byte) []byte { return fr[header.EthernetLen:] }
	all := uint8(shapeAddress|shapeLength|shapeChecksum) << 3
	var script []byte
	for i, s := range routerSeeds(f) {
		if len(s)-header.EthernetLen > 255 {
			continue
		}
		op := uint8(i % 3)
		if binary.BigEndian.Uint16(s[12:14]) == header.EtherTypeARP {
			op |= 4
		}
		f.Add(rec(op|all, ipOf(s)))
		script = append(script, rec(op|all, ipOf(s))...)
		script = append(script, 3, 10) // a second of timers
	}
	f.Add(script)
	f.Add(append(rec(1|all, ipOf(rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 2, rawUDP(33000, 53, 20)))),
		3, 50, 1|all, 28+8))
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 4096 {
			return
		}
		r := newRig(t, nil, Options{})
		for len(script) >= 2 {
			op, n := script[0], int(script[1])
			script = script[2:]
			if op&3 == 3 {
				r.tick(time.Duration(n) * 100 * time.Millisecond)
				continue
			}
			n = min(n, len(script))
			body := script[:n]
			script = script[n:]
			port := rigPorts[op&3]
			fr := make([]byte, header.EthernetLen, header.EthernetLen+n)
			dst, src := rigRouterOn[port], rigHostOn[port]
			if op&0x40 != 0 {
				dst = mBcast
			}
			copy(fr[0:6], dst[:])
			copy(fr[6:12], src[:])
			et := uint16(header.EtherTypeIPv4)
			if op&4 != 0 {
				et = header.EtherTypeARP
			}
			binary.BigEndian.PutUint16(fr[12:14], et)
			fr = append(fr, body...)
			r.in(port, r.shape(port, op>>3&7&^shapeAddress, fr))
		}
		r.finish()
	})
}

// icmpErrCase is a connection through the router and an ICMP error about
// it: who sends the error (from where, its outer addresses), the packet
// it quotes as that sender saw it on the wire, and where the error must
// arrive, translated: the connection's sender, the packet it quotes as
// that sender sent it.
type icmpErrCase struct {
	port       string // the error comes in here
	src, dst   [4]byte
	quote      []byte // from the IPv4 header on
	wantPort   string
	wantDst    [4]byte
	wantQuoted [12]byte // the quoted packet's addresses and ports as sent
}

// quoted12 is the addresses and first 4 bytes of L4 of an IPv4 packet.
func quoted12(ip []byte) (q [12]byte) {
	copy(q[:8], ip[12:20])
	copy(q[8:], ip[header.IPv4(ip).HeaderLen():])
	return q
}

// makeICMPErrCase builds the connection of kind k on r and returns the
// error case about it.
func makeICMPErrCase(t *testing.T, r *rig, k uint8) icmpErrCase {
	ipOf := func(f []byte) []byte { return append([]byte(nil), f[header.EthernetLen:]...) }
	switch k % 7 {
	case 0: // SNAT UDP: the internet answers port unreachable
		sent := rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 0x11, rawUDP(33000, 53, 20))
		r.in("vm-81-12", sent)
		wire := only(t, r.take(), "physnet1")
		return icmpErrCase{"physnet1", aNet, aGW, ipOf(wire), "vm-81-12", aVM81, quoted12(ipOf(sent))}
	case 1: // floating IP, TCP in: the VM answers with an error
		in := fipConn(t, r)
		sent := rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 0x6161, rawTCP(40000, 22, tcpSYN, 100, 0, 0))
		return icmpErrCase{"vm-91-14", aVM91, aOut, ipOf(in), "physnet1", aOut, quoted12(ipOf(sent))}
	case 2: // SNATed echo: the internet says time exceeded
		sent := rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoICMP, 64, 0x12, rawICMP(header.ICMPv4Echo, 0, 99, 1, []byte("0123456789")))
		r.in("vm-81-12", sent)
		wire := only(t, r.take(), "physnet1")
		return icmpErrCase{"physnet1", a4("203.0.113.9"), aGW, ipOf(wire), "vm-81-12", aVM81, quoted12(ipOf(sent))}
	case 3: // hairpin: vm-81-12 to the floating IP; vm-91-14 answers with an error
		sent := rawIPv4(mVM81, mQR81, aVM81, aFIP, header.ProtoUDP, 64, 0x13, rawUDP(5000, 6000, 10))
		r.in("vm-81-12", sent)
		got := only(t, r.take(), "vm-91-14")
		return icmpErrCase{"vm-91-14", aVM91, aGW, ipOf(got), "vm-81-12", aVM81, quoted12(ipOf(sent))}
	case 4: // east-west TCP: no translation at all
		sent := rawIPv4(mVM81, mQR81, aVM81, aVM91, header.ProtoTCP, 64, 0x14, rawTCP(41000, 80, tcpSYN, 1, 0, 0))
		r.in("vm-81-12", sent)
		got := only(t, r.take(), "vm-91-14")
		return icmpErrCase{"vm-91-14", aVM91, aVM81, ipOf(got), "vm-81-12", aVM81, quoted12(ipOf(sent))}
	case 5: // float-snat: vm-91-14 out as its floating IP
		sent := rawIPv4(mVM91, mQR91, aVM91, aNet, header.ProtoUDP, 64, 0x15, rawUDP(7000, 53, 4))
		r.in("vm-91-14", sent)
		wire := only(t, r.take(), "physnet1")
		return icmpErrCase{"physnet1", aNet, aFIP, ipOf(wire), "vm-91-14", aVM91, quoted12(ipOf(sent))}
	default: // floating IP: the VM's answer meets an error outside
		fipConn(t, r)
		sent := rawIPv4(mVM91, mQR91, aVM91, aOut, header.ProtoTCP, 64, 0x6262, rawTCP(22, 40000, tcpSYN|tcpACK, 500, 101, 0))
		wire := rawIPv4(mQG, mOut, aFIP, aOut, header.ProtoTCP, 63, 0x6262, rawTCP(22, 40000, tcpSYN|tcpACK, 500, 101, 0))
		return icmpErrCase{"physnet1", aOut, aFIP, ipOf(wire), "vm-91-14", aVM91, quoted12(ipOf(sent))}
	}
}

// FuzzRouterICMPError sends ICMP errors about the router's connections
// (SNAT, floating IP both ways, SNATed echo, hairpin, east-west,
// float-snat) with their quoted packet cut (cut), changed (patch, XORed
// in), lying about its length or checksum, from the right side or not.
// Untouched, the error must arrive at the connection's sender with the
// quoted packet as that sender sent it; anything else the rig checks.
func FuzzRouterICMPError(f *testing.F) {
	for k := range uint8(7) {
		f.Add(k, uint8(0), uint8(3), uint16(0), uint8(0), []byte(nil))
		if k < 5 { // cut short, an error to the floating IP meets TestRouterUntrackedToFloatingIP's bug
			f.Add(k, uint8(1), uint8(0), uint16(24), uint8(0), []byte(nil))
		}
		f.Add(k, uint8(2), uint8(4), uint16(0), uint8(1), []byte{0, 0, 0xff})
		f.Add(k, uint8(3), uint8(3), uint16(0), uint8(0x18), []byte{0x0a})
	}
	types := []uint8{3, 11, 12, 4, 5}
	f.Fuzz(func(t *testing.T, kind, typ, code uint8, cut uint16, mode uint8, patch []byte) {
		r := newRig(t, nil, Options{})
		c := makeICMPErrCase(t, r, kind)
		r.take()
		q := c.quote
		for i, p := range patch {
			q[i%len(q)] ^= p
		}
		if cut != 0 {
			q = q[:int(cut)%(len(q)+1)]
		}
		et := typ
		if int(typ) < 3*len(types) {
			et = types[int(typ)%len(types)]
		}
		ttl := uint8(60)
		if mode&0x08 != 0 {
			ttl = mode >> 5
		}
		fr := rawIPv4(rigHostOn[c.port], rigRouterOn[c.port], c.src, c.dst, header.ProtoICMP, ttl, 0x7777, rawICMP(et, code, 0, 0, q))
		ip := frameIP(fr)
		m := header.ICMPv4(ip[header.IPv4MinLen:])
		if mode&1 != 0 && len(q) >= 12 { // a quoted header checksum that is wrong
			q := m.Payload()
			q[10] ^= 0x5a
			m.SetChecksum(0)
			m.SetChecksum(m.CalculateChecksum())
		}
		if mode&2 != 0 { // an ICMP checksum that is wrong
			m[2] ^= 0x01
		}
		if mode&4 != 0 { // an outer header checksum that is wrong
			ip[10] ^= 0x10
		}
		in := c.port
		if mode&0x10 != 0 { // from the other side
			in = c.wantPort
			m, h := rigRouterOn[in], rigHostOn[in]
			copy(fr[0:6], m[:])
			copy(fr[6:12], h[:])
		}
		r.in(in, fr)
		intact := len(patch) == 0 && cut == 0 && mode&0x1f == 0 && typ < 3*uint8(len(types))
		if !intact {
			r.finish()
			return
		}
		got := r.take()
		out := ipFrames(got[c.wantPort])
		if len(out) != 1 || len(got) != 1 {
			t.Fatalf("kind %d: want the error out of %s alone, got %v", kind%7, c.wantPort, frameCounts(got))
		}
		oip := frameIP(out[0])
		om := header.ICMPv4(oip[oip.HeaderLen():oip.TotalLength()])
		if oip.Dst() != c.wantDst || oip.Protocol() != header.ProtoICMP || om.Type() != et || om.Code() != code {
			t.Fatalf("kind %d: got %s > %s proto %d, want an error to %v", kind%7, oip.SrcAddr(), oip.DstAddr(), oip.Protocol(), c.wantDst)
		}
		if got := quoted12(om.Payload()); got != c.wantQuoted {
			t.Fatalf("kind %d: quoted % x, want % x (as the sender sent it)", kind%7, got, c.wantQuoted)
		}
		r.finish()
	})
}

// Datagrams the fragment fuzzer cuts up: UDP routed and SNATed; an echo
// request to the router; TCP to the floating IP; UDP east-west with IP
// options; UDP SNATed to an address of the external network that never
// answers ARP; an ICMP error from the internet about quote, a connection
// through the router.
func fragDatagrams(quote []byte) [][]byte {
	body := make([]byte, 1300)
	for i := range body {
		body[i] = byte(i * 7)
	}
	opts := rawIPv4(mVM81, mQR81, aVM81, aVM91, header.ProtoUDP, 64, 0x404, rawUDP(9000, 9001, 2400))
	{
		ip := frameIP(opts)
		f := append(append(append([]byte(nil), opts[:header.EthernetLen+20]...), 1, 1, 1, 0), ip[20:]...) // NOP NOP NOP EOL
		ip = frameIP(f)
		ip.SetHeaderLen(24)
		ip.SetTotalLength(uint16(len(ip)))
		fixChecksums(ip)
		opts = f
	}
	q := make([]byte, 1200)
	copy(q, quote)
	return [][]byte{
		rawIPv4(mVM81, mQR81, aVM81, aNet, header.ProtoUDP, 64, 0x101, rawUDP(6000, 7000, 2992)),
		rawIPv4(mVM91, mQR91, aVM91, aQR91, header.ProtoICMP, 64, 0x202, rawICMP(header.ICMPv4Echo, 0, 5, 1, body)),
		rawIPv4(mOut, mQG, aOut, aFIP, header.ProtoTCP, 64, 0x303, rawTCP(40000, 22, tcpACK|tcpPSH, 1, 1, 1780)),
		opts,
		rawIPv4(mVM81, mQR81, aVM81, a4("192.168.1.77"), header.ProtoUDP, 64, 0x505, rawUDP(6001, 7001, 1600)),
		rawIPv4(mUp, mQG, aNet, aGW, header.ProtoICMP, 60, 0x606, rawICMP(3, 3, 0, 0, q)),
	}
}

// fragPorts are the ports the fragDatagrams come in by.
var fragPorts = []string{"vm-81-12", "vm-91-14", "physnet1", "vm-81-12", "vm-81-12", "physnet1"}

// FuzzRouterFragments cuts the fragDatagrams into fragments as a script
// says, four bytes a fragment: byte 0 says which datagram and how (bits
// 0-2 the datagram, bit 3 MF forced, bit 4 DF, bit 5 TTL 1, bit 6 a
// payload byte changed, bit 7 another identification), bytes 1 and 2 the
// offset and the length in 8-byte units, byte 3 how many seconds the
// timers run first. Overlaps, gaps, duplicates, too many fragments, never
// finished datagrams and timeouts all come of it; the rig's checks hold
// throughout, and nothing is left held once every timer has run.
func FuzzRouterFragments(f *testing.F) {
	f.Add([]byte{0, 0, 100, 0, 0, 100, 100, 0, 0, 200, 200, 0})
	f.Add([]byte{1, 100, 100, 0, 1, 0, 100, 0, 1, 50, 60, 0})
	f.Add([]byte{2, 0, 0, 0, 2, 1, 1, 0, 2, 2, 250, 31})
	f.Add([]byte{3, 0, 150, 0, 3, 150, 160, 0, 3, 0, 150, 0})
	f.Add([]byte{0x80, 0, 100, 0, 0x88, 0, 100, 0, 0x90, 100, 200, 0})
	f.Add([]byte{0x40, 0, 100, 0, 0, 100, 100, 0, 0, 200, 200, 0})
	f.Add([]byte{4, 100, 200, 0, 0x24, 0, 100, 0})
	f.Add([]byte{5, 0, 80, 0, 5, 80, 80, 0})
	f.Fuzz(func(t *testing.T, script []byte) {
		if len(script) > 4*64 {
			return
		}
		r := newRig(t, nil, Options{})
		dgs := fragDatagrams(snatConn(t, r)[header.EthernetLen:])
		for ; len(script) >= 4; script = script[4:] {
			op := script[0]
			k := int(op&7) % len(dgs)
			if script[3] != 0 {
				r.settle(time.Duration(script[3]) * time.Second)
			}
			d := dgs[k]
			ip := frameIP(d)
			hl := ip.HeaderLen()
			payload := int(ip.TotalLength()) - hl
			lo := min(int(script[1])*8, payload)
			hi := min(lo+max(int(script[2]), 1)*8, payload)
			fr := fragmentsOf(d, [2]int{lo, hi})[0]
			fip := frameIP(fr)
			ff := fip.FlagsFragment()
			if op&0x08 != 0 {
				ff |= header.IPv4FlagMF
			}
			if op&0x10 != 0 {
				ff |= 0x4000
			}
			fip.SetFlagsFragment(ff)
			if op&0x20 != 0 {
				fip.SetTTL(1)
			}
			if op&0x40 != 0 && hi > lo {
				fip[hl] ^= 0xa5
			}
			if op&0x80 != 0 {
				fip.SetID(fip.ID() + 1)
			}
			fip.SetChecksum(0)
			fip.SetChecksum(^header.Checksum(fip[:hl], 0))
			r.in(fragPorts[k], fr)
		}
		r.finish()
	})
}

// FuzzRouterOffload sends TCP and UDP from a VM as a TAP device hands
// them over from a guest with offloads: the L4 checksum left partial
// (NEEDS_CSUM: the field holds the pseudo-header sum), and TCP as
// super-frames (TSO) of up to 64 KB with any MSS, through every kind of
// path: SNATed out of the uplink (which takes no offloads: the checksum
// is completed, the super-frame cut into segments or refused), out as the
// floating IP, hairpinned to the floating IP and east-west to the other
// VM (which takes them), DF set or not, and the answer back. Whatever
// leaves must carry right checksums once its offloads are done.
func FuzzRouterOffload(f *testing.F) {
	f.Add(uint8(0), uint8(0x05), uint16(1000), uint16(1448))
	f.Add(uint8(1), uint8(0x07), uint16(20000), uint16(1448))
	f.Add(uint8(2), uint8(0x0d), uint16(9000), uint16(536))
	f.Add(uint8(3), uint8(0x05), uint16(64000), uint16(1460))
	f.Add(uint8(0), uint8(0x04), uint16(1200), uint16(0))
	f.Add(uint8(2), uint8(0x14), uint16(1400), uint16(0))
	f.Fuzz(func(t *testing.T, kind, flags uint8, size, mss uint16) {
		r := newRig(t, nil, Options{})
		type flow struct {
			port     string
			src, dst [4]byte
			back     string // where the answer comes from
		}
		fl := []flow{
			{"vm-81-12", aVM81, aNet, "physnet1"},
			{"vm-91-14", aVM91, aNet, "physnet1"},
			{"vm-81-12", aVM81, aFIP, "vm-91-14"},
			{"vm-81-12", aVM81, aVM91, "vm-91-14"},
		}[kind%4]
		udp := flags&0x10 != 0
		super := flags&1 != 0 && !udp
		limit := 1500 - 20 - 20
		if udp {
			limit = 1500 - 20 - 8
		}
		n := int(size) % (limit + 1)
		if super {
			n = int(size) % (65535 - 20 - 20 + 1)
		}
		var l4 []byte
		proto := uint8(header.ProtoTCP)
		if udp {
			proto = header.ProtoUDP
			l4 = rawUDP(41000, 5201, n)
		} else {
			l4 = rawTCP(41000, 5201, tcpACK|tcpPSH, 1000, 1, n)
		}
		fr := rawIPv4(rigHostOn[fl.port], rigRouterOn[fl.port], fl.src, fl.dst, proto, 64, 0x4321, l4)
		ip := frameIP(fr)
		if flags&2 != 0 {
			ip.SetFlagsFragment(0x4000)
			fixChecksums(ip)
		}
		var g packet.GSO
		if flags&4 != 0 || super {
			// The partial checksum: the folded pseudo-header sum.
			off := uint16(16)
			if udp {
				off = 6
			}
			seg := ip[header.IPv4MinLen:]
			binary.BigEndian.PutUint16(seg[off:], header.PseudoHeaderChecksum(proto, ip.Src(), ip.Dst(), uint16(len(seg))))
			g = packet.GSO{NeedsCsum: true, CsumStart: header.EthernetLen + header.IPv4MinLen, CsumOffset: off}
		}
		if super {
			g.Type = packet.GSOTCPv4
			g.HdrLen = header.EthernetLen + header.IPv4MinLen + header.TCPMinLen
			g.Size = max(mss%9000, 88) // Linux's smallest MSS
			if flags&8 != 0 {
				g.Type |= packet.GSOECN
			}
		}
		r.gso = g
		r.in(fl.port, fr)
		got := r.take()
		// Unless its segments cannot fit the MTU, or are more than an
		// egress without offloads cuts (maxSegments), every byte arrives.
		fits := !super || int(g.Size)+header.IPv4MinLen+header.TCPMinLen <= 1500 &&
			(fl.back != "physnet1" || n <= maxSegments*int(g.Size))
		if delivered := l4Bytes(got[fl.back], proto, 5201); fits && delivered != n {
			t.Fatalf("%d of %d bytes arrived out of %s (GSO %+v); drops %v", delivered, n, fl.back, g, r.n.Counters().Drops)
		}
		if flags&0x20 != 0 {
			// The answer, plain, from the other end.
			for _, o := range ipFrames(got[fl.back]) {
				oip := frameIP(o)
				if oip.Protocol() != proto {
					continue
				}
				var ans []byte
				if udp {
					ans = rawUDP(5201, binary.BigEndian.Uint16(oip[20:22]), 16)
				} else {
					ans = rawTCP(5201, binary.BigEndian.Uint16(oip[20:22]), tcpACK, 1, 1000, 16)
				}
				m, h := rigRouterOn[fl.back], rigHostOn[fl.back]
				r.in(fl.back, rawIPv4(h, m, oip.Dst(), oip.Src(), proto, 64, 0x1234, ans))
				break
			}
		}
		r.finish()
	})
}

// l4Bytes sums the TCP or UDP payload bytes to port dport in frames
// (super-frames counted whole).
func l4Bytes(frames [][]byte, proto uint8, dport uint16) int {
	n := 0
	for _, f := range ipFrames(frames) {
		ip := frameIP(f)
		seg := ip[ip.HeaderLen():ip.TotalLength()]
		if ip.Protocol() != proto || ip.IsFragment() || len(seg) < 8 || binary.BigEndian.Uint16(seg[2:4]) != dport {
			continue
		}
		if proto == header.ProtoUDP {
			n += len(seg) - header.UDPLen
		} else {
			n += len(seg) - header.TCP(seg).HeaderLen()
		}
	}
	return n
}
