package nat

// Fuzz targets over arbitrary frames, the oracle in check_test.go. Run one
// at a time, e.g.
//
//	go test ./nat -run '^$' -fuzz '^FuzzRewrite$' -fuzztime 60s -fuzzminimizetime 5s

import (
	"bytes"
	"encoding/binary"
	"testing"

	"neutrino/packet/header"
)

// seedFrames returns the frames of the table tests.
func seedFrames(t testing.TB) [][]byte {
	udp := udpFrame(t, vmIP, extIP, 40000, 9000, 21)
	fs := [][]byte{
		tcpFrame(t, vmIP, extIP, 40000, 5201, 33),
		tcpOptionsFrame(t, vmIP, extIP, 40000, 5201),
		taggedTCPFrame(t, vmIP, extIP, 40000, 5201),
		udp,
		echoFrame(t, vmIP, extIP, header.ICMPv4Echo, 7),
		echoFrame(t, extIP, gwIP, header.ICMPv4EchoReply, 7),
		fragment(t, udpFrame(t, vmIP, extIP, 40000, 9000, 200), 0, 64),
		fragment(t, udpFrame(t, vmIP, extIP, 40000, 9000, 200), 64, 64),
		fragment(t, tcpFrame(t, vmIP, extIP, 40000, 5201, 200), 0, 64),
	}
	for _, c := range errorCases(t) {
		fs = append(fs, c.frame)
	}
	return fs
}

func u32(a [4]byte) uint32 { return binary.BigEndian.Uint32(a[:]) }

func addr(u uint32) (a [4]byte) {
	binary.BigEndian.PutUint32(a[:], u)
	return a
}

// FuzzRewrite: on any frame Rewrite does not panic; on one Parse accepts
// it writes exactly the addresses and ports asked for, changes no other
// byte, and keeps every checksummed region's sum (so checksums made right
// first verify after).
func FuzzRewrite(f *testing.F) {
	for i, fr := range seedFrames(f) {
		f.Add(fr, u32(gwIP), u32(extIP), uint16(1025+i), uint16(9000), i%2 == 0, i%3 != 0)
	}
	f.Fuzz(func(t *testing.T, frame []byte, src, dst uint32, sport, dport uint16, partial, valid bool) {
		var l header.Layout
		m := header.Parse(frame, &l)
		a := Addrs{Src: addr(src), Dst: addr(dst), SPort: sport, DPort: dport}
		if m != header.OK {
			// Outside the contract, but an IPv4 header that passed its
			// checks is still safe to rewrite.
			Rewrite(frame, &l, a, partial)
			return
		}
		if l.Flags&header.IsIPv4 == 0 {
			before := clone(frame)
			Rewrite(frame, &l, a, partial)
			if !bytes.Equal(frame, before) {
				t.Fatal("non-IPv4 frame changed")
			}
			return
		}
		if valid {
			makeValid(frame, &l, partial)
		}
		before := clone(frame)
		s0 := sumsOf(frame, &l)
		Rewrite(frame, &l, a, partial)

		if err := untouched(before, frame, rewritable(frame, &l)); err != nil {
			t.Fatal(err)
		}
		want := a
		hasL4 := l.Flags&(header.Fragment|header.HasL4) == header.HasL4
		switch {
		case !hasL4 || (l.Proto != header.ProtoTCP && l.Proto != header.ProtoUDP && l.Proto != header.ProtoICMP):
			want.SPort, want.DPort = 0, 0
		case l.Proto == header.ProtoICMP && isEcho(frame[l.L4]):
			want.DPort = want.SPort
		case l.Proto == header.ProtoICMP:
			want.SPort, want.DPort = 0, 0
		}
		if got := carried(frame, &l); got != want {
			t.Fatalf("carries %+v, want %+v", got, want)
		}

		s1 := sumsOf(frame, &l)
		if s1.ip != s0.ip {
			t.Fatalf("IPv4 header sum %#x -> %#x", s0.ip, s1.ip)
		}
		if valid && !header.IPv4(frame[l.L3:]).ChecksumValid() {
			t.Fatal("IPv4 checksum invalid")
		}
		if !hasL4 {
			return
		}
		c := int(l.L4) + l4Csum(l.Proto)
		field0 := binary.BigEndian.Uint16(before[c:])
		field1 := binary.BigEndian.Uint16(frame[c:])
		switch {
		case partial && l.Proto == header.ProtoICMP:
			if field1 != field0 {
				t.Fatal("partial ICMP checksum changed")
			}
		case partial:
			if s1.partial != s0.partial {
				t.Fatalf("partial sum minus pseudo-header %#x -> %#x", s0.partial, s1.partial)
			}
			ip := header.IPv4(frame[l.L3:])
			if ps := header.PseudoHeaderChecksum(l.Proto, ip.Src(), ip.Dst(), pseudoLen(frame, &l)); valid &&
				field0 != 0 && field1 != ps {
				t.Fatalf("partial sum %#04x, want the pseudo-header's %#04x", field1, ps)
			}
		case l.Proto == header.ProtoUDP && field0 == 0:
			if field1 != 0 {
				t.Fatalf("UDP checksum none became %#04x", field1)
			}
		default:
			if s1.l4 != s0.l4 {
				t.Fatalf("L4 sum %#x -> %#x", s0.l4, s1.l4)
			}
			if l.Proto == header.ProtoUDP && field1 == 0 {
				t.Fatal("UDP checksum became 0")
			}
			if valid && s1.l4 != 0 {
				t.Fatalf("L4 checksum made valid does not verify after: sum %#x", s1.l4)
			}
		}
	})
}

// FuzzRewriteICMPError: on any frame RewriteICMPError and ICMPErrorInner
// do not panic and agree on what they accept; a refused frame is left
// alone; an accepted one carries exactly the addresses and ports asked
// for, no other byte changes, and every checksummed region keeps its sum:
// outer IPv4 header, ICMP message, quoted IPv4 header, quoted L4 bytes
// under a patched checksum. A quoted UDP checksum of 0 stays 0.
func FuzzRewriteICMPError(f *testing.F) {
	for i, fr := range seedFrames(f) {
		f.Add(fr, u32(hopIP), u32(vmIP), u32(vmIP), u32(extIP), uint16(40000+i), uint16(9000), i%3 != 0)
	}
	f.Fuzz(func(t *testing.T, frame []byte, osrc, odst, isrc, idst uint32, sport, dport uint16, valid bool) {
		var l header.Layout
		header.Parse(frame, &l)
		inner := Addrs{Src: addr(isrc), Dst: addr(idst), SPort: sport, DPort: dport}
		_, proto, okInner := ICMPErrorInner(frame, &l)
		if valid && okInner {
			makeValid(frame, &l, false)
		}
		before := clone(frame)
		var q0 quoteSums
		var s0 regionSums
		if okInner {
			q0 = quoteSumsOf(l.Transport(frame))
			s0 = sumsOf(frame, &l)
		}
		ok := RewriteICMPError(frame, &l, addr(osrc), addr(odst), inner)
		if ok != okInner {
			t.Fatalf("RewriteICMPError %v, ICMPErrorInner %v", ok, okInner)
		}
		if !ok {
			if !bytes.Equal(frame, before) {
				t.Fatal("refused frame changed")
			}
			return
		}
		if err := untouched(before, frame, errorRewritable(frame, &l)); err != nil {
			t.Fatal(err)
		}
		ip := header.IPv4(frame[l.L3:])
		if ip.Src() != addr(osrc) || ip.Dst() != addr(odst) {
			t.Fatalf("outer %v -> %v", ip.Src(), ip.Dst())
		}
		want := inner
		switch proto {
		case header.ProtoICMP:
			want.DPort = want.SPort
		case header.ProtoTCP, header.ProtoUDP:
		default:
			want.SPort, want.DPort = 0, 0
		}
		got, gotProto, ok := ICMPErrorInner(frame, &l)
		if !ok || got != want || gotProto != proto {
			t.Fatalf("quotes %+v proto %d (ok %v), want %+v proto %d", got, gotProto, ok, want, proto)
		}

		msg := l.Transport(frame)
		s1, q1 := sumsOf(frame, &l), quoteSumsOf(msg)
		if s1.ip != s0.ip || s1.l4 != s0.l4 || q1.ip != q0.ip || q1.l4 != q0.l4 {
			t.Fatalf("sums (IPv4, ICMP, quoted IPv4, quoted L4) %#x %#x %#x %#x -> %#x %#x %#x %#x",
				s0.ip, s0.l4, q0.ip, q0.l4, s1.ip, s1.l4, q1.ip, q1.l4)
		}
		in := msg[header.ICMPv4Len:]
		hl := int(in[0]&0x0f) * 4
		if proto == header.ProtoUDP {
			was := binary.BigEndian.Uint16(before[int(l.Payload)+hl+udpCsum:])
			now := binary.BigEndian.Uint16(in[hl+udpCsum:])
			if (was == 0) != (now == 0) {
				t.Fatalf("quoted UDP checksum %#04x -> %#04x", was, now)
			}
		}
		if proto == header.ProtoTCP && len(in) < hl+header.TCPMinLen && len(in) >= hl+tcpCsum+2 &&
			!bytes.Equal(in[hl+tcpCsum:hl+tcpCsum+2], before[int(l.Payload)+hl+tcpCsum:][:2]) {
			t.Fatal("quoted TCP checksum changed without the whole header quoted")
		}
		if valid && (!ip.ChecksumValid() || !header.ICMPv4(msg).ChecksumValid() ||
			!header.IPv4(in).ChecksumValid() || (q1.l4 != none && q1.l4 != 0)) {
			t.Fatalf("checksums made valid do not verify after (quoted L4 sum %#x)", q1.l4)
		}
	})
}
