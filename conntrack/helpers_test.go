package conntrack

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"time"

	"neutrino/packet/header"
)

var (
	cliIP = [4]byte{10, 0, 0, 1}
	srvIP = [4]byte{10, 0, 0, 2}
	rtrIP = [4]byte{10, 0, 0, 254}
)

// t0 is the fake clock's start, in Unix ns.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// frame builds an Ethernet/IPv4 frame around l4 (checksums are not
// needed by the tracker and left zero).
func frame(src, dst [4]byte, proto uint8, l4 []byte) []byte {
	b := make([]byte, 14+20+len(l4))
	binary.BigEndian.PutUint16(b[12:], header.EtherTypeIPv4)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(l4)))
	ip[8] = 64
	ip[9] = proto
	copy(ip[12:16], src[:])
	copy(ip[16:20], dst[:])
	copy(ip[20:], l4)
	return b
}

func tcpFrame(src, dst [4]byte, sport, dport uint16, flags uint8) []byte {
	l4 := make([]byte, 20)
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	l4[12] = 5 << 4
	l4[13] = flags
	return frame(src, dst, header.ProtoTCP, l4)
}

func udpFrame(src, dst [4]byte, sport, dport uint16) []byte {
	l4 := make([]byte, 12)
	binary.BigEndian.PutUint16(l4[0:], sport)
	binary.BigEndian.PutUint16(l4[2:], dport)
	binary.BigEndian.PutUint16(l4[4:], 12)
	return frame(src, dst, header.ProtoUDP, l4)
}

func echoFrame(src, dst [4]byte, typ uint8, id uint16) []byte {
	l4 := make([]byte, 16)
	l4[0] = typ
	binary.BigEndian.PutUint16(l4[4:], id)
	return frame(src, dst, header.ProtoICMP, l4)
}

// icmpErrorFrame builds an ICMP error from src to dst about the IP packet
// of the frame about (its first n bytes after the Ethernet header).
func icmpErrorFrame(src, dst [4]byte, typ, code uint8, about []byte, n int) []byte {
	inner := about[14:]
	if n < len(inner) {
		inner = inner[:n]
	}
	l4 := make([]byte, 8+len(inner))
	l4[0], l4[1] = typ, code
	copy(l4[8:], inner)
	return frame(src, dst, header.ProtoICMP, l4)
}

const (
	fSYN = header.TCPFlagSYN
	fACK = header.TCPFlagACK
	fFIN = header.TCPFlagFIN
	fRST = header.TCPFlagRST
	fPSH = header.TCPFlagPSH
)

// env is a table on a fake clock and a firewall that accepts everything:
// every NEW packet is committed.
type env struct {
	t   *testing.T
	tab *Table
	now int64
}

func newEnv(t *testing.T, cfg Config) *env {
	return &env{t: t, tab: New(cfg), now: t0}
}

func (e *env) advance(d time.Duration) { e.now += int64(d) }

// track runs frame through the table without committing.
func (e *env) track(f []byte, zone uint16) Verdict {
	e.t.Helper()
	var l header.Layout
	if m := header.Parse(f, &l); m != header.OK {
		e.t.Fatalf("test frame malformed: %v", m)
	}
	return e.tab.Track(f, &l, zone, e.now)
}

// pass tracks frame and commits it when NEW.
func (e *env) pass(f []byte, zone uint16) Verdict {
	e.t.Helper()
	v := e.track(f, zone)
	if v.State == StateNew {
		if _, why := e.tab.Commit(&v, e.now); why != RefusedNone {
			e.t.Fatalf("commit refused: %v", why)
		}
	}
	return v
}

// tcpState returns the state of the TCP connection with tuple k, or
// TCPNone when there is none.
func (e *env) state(k Key) (TCPState, bool) {
	r, _, ok := e.tab.Lookup(k, e.now)
	if !ok {
		return TCPNone, false
	}
	i, ok := e.tab.Info(r, e.now)
	return i.TCPState, ok
}

func tcpKey(zone uint16) Key {
	return Key{Src: cliIP, Dst: srvIP, SPort: 40000, DPort: 80, Zone: zone, Proto: header.ProtoTCP}
}

// randomPacket returns one of a few flows' packets, either way, parsed:
// TCP with any of the usual flag sets, UDP, or an ICMP echo request or
// reply (the differential tests' traffic).
func randomPacket(rng *rand.Rand) ([]byte, header.Layout) {
	flagSets := []uint8{fSYN, fSYN | fACK, fACK, fACK | fPSH, fFIN | fACK, fRST, 0}
	src, dst := cliIP, srvIP
	sp, dp := uint16(40000+rng.IntN(3)), uint16(80)
	if rng.IntN(2) == 0 {
		src, dst, sp, dp = dst, src, dp, sp
	}
	var f []byte
	switch rng.IntN(3) {
	case 0:
		f = tcpFrame(src, dst, sp, dp, flagSets[rng.IntN(len(flagSets))])
	case 1:
		f = udpFrame(src, dst, sp, dp)
	default:
		typ := uint8(header.ICMPv4Echo)
		if rng.IntN(2) == 0 {
			typ = header.ICMPv4EchoReply
		}
		f = echoFrame(src, dst, typ, sp)
	}
	var l header.Layout
	header.Parse(f, &l)
	return f, l
}
