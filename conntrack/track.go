package conntrack

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// CtState is a packet's state as iptables' conntrack match names it.
type CtState uint8

// The packet states.
const (
	StateInvalid     CtState = iota // no connection allows it: security groups drop it
	StateNew                        // it opens a connection (or repeats an unanswered opening)
	StateEstablished                // it belongs to a connection that has seen a reply
	StateRelated                    // an ICMP error about a known connection
)

func (s CtState) String() string {
	switch s {
	case StateNew:
		return "NEW"
	case StateEstablished:
		return "ESTABLISHED"
	case StateRelated:
		return "RELATED"
	}
	return "INVALID"
}

// Verdict is what Track decided about one packet.
type Verdict struct {
	Conn   Ref     // its connection; zero for a NEW packet without one and mostly for INVALID
	State  CtState //
	Dir    Dir     // the packet's direction in Conn
	Reason Reason  // why INVALID
	k0, k1 uint64  // the packet's tuple, packed (see Key)
	init   uint64  // for a NEW packet without connection: the state word Commit creates
	dry    bool    // TrackDry: decide, write nothing
	ahead  lookahead
}

// Key returns the packet's tuple (for an ICMP error, its addresses and
// zone only). It is zero when the packet was not IPv4.
func (v *Verdict) Key() Key {
	if v.k1 == 0 {
		return Key{}
	}
	return unpack(v.k0, v.k1)
}

// NewVerdict returns the verdict of a NEW packet with tuple k for a
// protocol of state-less tracking (UDP, ICMP echo, others) or a TCP SYN,
// as Track would return it on a miss: for callers that create connections
// without a packet (tests, a restored table).
func NewVerdict(k Key, now int64) Verdict {
	v := Verdict{State: StateNew}
	v.k0, v.k1 = k.pack()
	s := TCPNone
	if k.Proto == 6 {
		s = TCPSynSent
	}
	v.init = packWord(millis(now), s, 0, classOf(k.Proto), 0)
	return v
}

// Track runs one packet through the table and returns its verdict. frame
// must have been parsed into l by header.Parse with result OK; zone is the
// packet's conntrack zone. A hit on an established connection takes no lock
// and writes at most the connection's timestamp, once a second. A NEW
// packet creates nothing: Commit does, once the packet is accepted.
func (t *Table) Track(frame []byte, l *header.Layout, zone uint16, now int64) (v Verdict) {
	t.track(&v, frame, l, zone, now, t.loose)
	return v
}

// TrackDry is Track that changes nothing: no state moves, no timestamp
// is renewed, no connection ends, no counter counts. The verdict is the
// one Track would give now (a trace's, which must leave the table as it
// was).
func (t *Table) TrackDry(frame []byte, l *header.Layout, zone uint16, now int64) (v Verdict) {
	v.dry = true
	t.track(&v, frame, l, zone, now, t.loose)
	return v
}

func (t *Table) track(v *Verdict, frame []byte, l *header.Layout, zone uint16, now int64, loose bool) {
	if l.Flags&header.IsIPv4 == 0 || int(l.L3)+header.IPv4MinLen > len(frame) {
		t.invalid(v, ReasonNotIPv4, 0)
		return
	}
	if l.Flags&header.Fragment != 0 {
		t.invalid(v, ReasonFragment, 0)
		return
	}
	// The packed key (Key.pack) straight from the frame: the addresses
	// in one load, the ports below.
	v.k0 = binary.LittleEndian.Uint64(frame[l.L3+12 : l.L3+20])
	v.k1 = uint64(zone)<<32 | uint64(l.Proto)<<48 | usedBit
	ms := millis(now)
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP, header.ProtoICMP:
		if l.Flags&header.HasL4 == 0 || int(l.L4)+8 > len(frame) {
			t.invalid(v, ReasonTruncated, 0)
			return
		}
	}
	switch l.Proto {
	case header.ProtoTCP:
		if int(l.L4)+header.TCPMinLen > len(frame) {
			t.invalid(v, ReasonTruncated, 0)
			return
		}
		th := header.TCP(frame[l.L4:])
		v.k1 |= ports(th.SrcPort(), th.DstPort())
		t.trackTCP(v, th.Flags(), ms, loose)
		return
	case header.ProtoUDP:
		u := header.UDP(frame[l.L4:])
		v.k1 |= ports(u.SrcPort(), u.DstPort())
		t.trackSimple(v, classUDP, ms)
		return
	case header.ProtoICMP:
		ic := header.ICMPv4(frame[l.L4:])
		switch ic.Type() {
		case header.ICMPv4Echo, header.ICMPv4EchoReply:
			v.k1 |= ports(ic.ID(), ic.ID())
			if ic.Type() == header.ICMPv4Echo {
				v.k1 |= echoRequestBit
			}
			t.trackEcho(v, ic.Type() == header.ICMPv4Echo, ms)
			return
		case header.ICMPv4DestUnreach, header.ICMPv4TimeExceeded, header.ICMPv4ParamProblem,
			4 /* source quench */, header.ICMPv4Redirect:
			t.related(v, l.L4Payload(frame), ms)
			return
		}
		t.invalid(v, ReasonICMPType, 0)
		return
	}
	switch l.Proto {
	case protoDCCP, protoSCTP, protoUDPLite:
		// Port protocols tracked without states of their own: their
		// ports are in the tuple, as Linux's trackers have them, so a
		// rule's port range holds for each connection.
		hl := int(frame[l.L3]&0x0f) * 4
		at := int(l.L3) + hl
		if at+4 > int(l.L3)+int(header.IPv4(frame[l.L3:]).TotalLength()) {
			t.invalid(v, ReasonTruncated, 0)
			return
		}
		v.k1 |= ports(binary.BigEndian.Uint16(frame[at:]), binary.BigEndian.Uint16(frame[at+2:]))
	}
	t.trackSimple(v, classGeneric, ms)
}

// IP protocols with ports that have no tracker of their own here.
const (
	protoDCCP    = 33
	protoSCTP    = 132
	protoUDPLite = 136
)

// invalid returns v as INVALID for reason r, counted in shard i.
func (t *Table) invalid(v *Verdict, r Reason, i int) {
	v.State, v.Reason = StateInvalid, r
	if !v.dry {
		t.shards[i].cnt.invalid[r].Add(1)
	}
}

// stripe returns the shard that counts invalid packets with packed tuple
// (w0, w1).
func (t *Table) stripe(w0, w1 uint64) int {
	_, i := t.shardOf(t.seed.hash(w0, w1))
	return i
}

// ports returns the ports' part of a packed key.
func ports(src, dst uint16) uint64 { return uint64(src) | uint64(dst)<<16 }

// hit fills v for a packet of connection r in direction d whose state
// word, after the packet, is w.
func hit(v *Verdict, t *Table, r uint64, d Dir, w uint64) {
	v.Conn = Ref{c: t.connOf(r), ref: r &^ (1 << 56)}
	v.Dir = d
	if d == Original && w&fSeenReply == 0 {
		v.State = StateNew
	} else {
		v.State = StateEstablished
	}
}

// update stores nw as the state word of c in place of w: with the
// stamp renewed when anything changed or the stamp is a refresh interval
// old, and not at all when nothing would change (the hot path then writes
// nothing). It reports false when w is no longer current.
func update(c *conn, w, nw uint64, ms int64) bool {
	return store(c, w, nw, ms, true)
}

// store is update, with the stamp left alone unless renew.
func store(c *conn, w, nw uint64, ms int64, renew bool) bool {
	if renew && (nw != w || ageMS(ms, w) >= refreshMS) {
		nw = withStamp(nw, ms)
	}
	if nw == w {
		return true
	}
	return c.word.CompareAndSwap(w, nw)
}

// tries bounds the compare-and-swap loops of one packet: each failure
// means another packet of the same connection moved it on.
const tries = 8

// trackTCP is Track for a TCP segment with flags.
func (t *Table) trackTCP(v *Verdict, flags uint8, ms int64, loose bool) {
	w0, w1 := v.k0, v.k1
	if !tcpFlagsValid(flags) {
		t.invalid(v, ReasonTCPFlags, t.stripe(w0, w1))
		return
	}
	for try := 0; try < tries; try++ {
		r, w, ok := t.lookup(w0, w1, ms)
		if !ok {
			s, ok := tcpNew(flags, loose)
			if !ok {
				t.invalid(v, ReasonTCPNoSYN, t.stripe(w0, w1))
				return
			}
			v.State = StateNew
			v.init = packWord(ms, s, 0, classTCP, 0)
			return
		}
		d := refDir(r)
		c := t.connOf(r)
		nw, step := tcpNext(w, d, flags, ms)
		switch step {
		case tcpBad:
			hit(v, t, r, d, w)
			t.invalid(v, ReasonTCPState, t.stripe(w0, w1))
			return
		case tcpKeep:
			hit(v, t, r, d, w)
			return
		case tcpKill:
			if v.dry {
				hit(v, t, r, d, w)
				return
			}
			if !t.kill(c, w) {
				continue
			}
			hit(v, t, r, d, w)
			return
		case tcpReopen:
			if v.dry { // killed, the SYN would open a new connection
				v.Conn, v.State = Ref{}, StateNew
				v.init = packWord(ms, TCPSynSent, 0, classTCP, 0)
				return
			}
			if !t.kill(c, w) {
				continue
			}
			// Looked up again, the tuple now misses: a new connection.
			continue
		}
		if v.dry || store(c, w, nw, ms, step != tcpNoRenew) {
			hit(v, t, r, d, nw)
			return
		}
	}
	t.invalid(v, ReasonContended, t.stripe(w0, w1))
}

// trackSimple is Track for UDP and other protocols without states: a
// reply marks the connection replied (and a UDP one ASSURED, with the
// longer timeout).
func (t *Table) trackSimple(v *Verdict, cl class, ms int64) {
	w0, w1 := v.k0, v.k1
	for try := 0; try < tries; try++ {
		r, w, ok := t.lookup(w0, w1, ms)
		if !ok {
			v.State = StateNew
			v.init = packWord(ms, TCPNone, 0, cl, 0)
			return
		}
		d := refDir(r)
		nw := w
		if d == Reply {
			nw |= fSeenReply
			if cl == classUDP {
				nw |= fAssured
			}
		}
		if v.dry || update(t.connOf(r), w, nw, ms) {
			hit(v, t, r, d, nw)
			return
		}
	}
	t.invalid(v, ReasonContended, t.stripe(w0, w1))
}

// trackEcho is Track for an ICMP echo request (req) or reply.
func (t *Table) trackEcho(v *Verdict, req bool, ms int64) {
	w0, w1 := v.k0, v.k1
	for try := 0; try < tries; try++ {
		r, w, ok := t.lookup(w0, w1, ms)
		if !ok {
			if !req {
				t.invalid(v, ReasonICMPNoConn, t.stripe(w0, w1))
				return
			}
			v.State = StateNew
			v.init = packWord(ms, TCPNone, 0, classICMP, 0)
			return
		}
		d := refDir(r)
		if req != (d == Original) {
			if c := t.connOf(r); !req && c.o0.Load() == c.r0.Load() && c.o1.Load() == c.r1.Load() {
				// One tuple for both directions (a host pinging itself
				// through NAT, e.g. its own floating IP): the key holds no
				// ICMP type, so the echo's type says the direction, as
				// the type in Linux's tuple does.
				d = Reply
			} else {
				hit(v, t, r, d, w)
				t.invalid(v, ReasonICMPDirection, t.stripe(w0, w1))
				return
			}
		}
		nw := w
		if d == Reply {
			nw |= fSeenReply
		}
		if v.dry || update(t.connOf(r), w, nw, ms) {
			hit(v, t, r, d, nw)
			return
		}
	}
	t.invalid(v, ReasonContended, t.stripe(w0, w1))
}

// Commit creates the connection of a NEW verdict, with the reply tuple of
// a connection without NAT (the inverted tuple). It returns the
// connection, which may be one another packet created meanwhile; for a
// NEW packet of an existing (unreplied) connection it returns that one.
func (t *Table) Commit(v *Verdict, now int64) (Ref, Refusal) {
	k := v.Key()
	return t.CommitReply(v, k.Invert(), now)
}

// CommitReply is Commit with an explicit reply tuple: NAT's, where the
// reply comes back to the translated address and port. A reply tuple that
// another live connection holds is refused (RefusedClash).
func (t *Table) CommitReply(v *Verdict, reply Key, now int64) (Ref, Refusal) {
	return t.commitReply(v, reply, now, true)
}

// TryCommitReply is CommitReply for a reply tuple the caller only hopes
// is free (SNAT keeping the source port, the common case, without a
// lookup first): a clash is refused as by CommitReply but not counted,
// and the caller picks another tuple.
func (t *Table) TryCommitReply(v *Verdict, reply Key, now int64) (Ref, Refusal) {
	return t.commitReply(v, reply, now, false)
}

func (t *Table) commitReply(v *Verdict, reply Key, now int64, countClash bool) (Ref, Refusal) {
	if v.State != StateNew {
		return Ref{}, RefusedNotNew
	}
	if v.Conn.Valid() {
		return v.Conn, RefusedNone
	}
	r, d, why := t.insert(v.k0, v.k1, &reply, v.init, millis(now), countClash, &v.ahead)
	if why == RefusedNone {
		v.Conn, v.Dir = r, d
	}
	return r, why
}
