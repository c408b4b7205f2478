package datapath

import (
	"encoding/binary"
	"strings"

	"neutrino/conntrack"
	"neutrino/packet"
	"neutrino/packet/header"
)

// state is the stateful part of a filter, for an IPv4 packet past the
// fixed rules of its direction: INVALID is dropped, ESTABLISHED and
// RELATED pass, a NEW packet passes when a group rule allows it and its
// connection is then committed in the port's zone. A stateless port
// (stateful: false) matches every packet against the rules.
func (f *sgFilter) state(w *Worker, b *packet.Buffer, dir int) bool {
	l := &b.Meta.Layout
	d := b.Data()
	if l.Flags&header.Fragment != 0 {
		return f.laterFragment(w, b, dir)
	}
	if !f.stateful {
		return f.rule(w, b, dir, nil)
	}
	var v conntrack.Verdict
	if w.dryRun {
		v = w.trackDry(f.n.ct, d, l, f.zone) // a trace changes no connection
	} else {
		w.sgf.epoch++ // the table may change: the flow caches check their pins again
		w.vfc.epoch++
		f.n.ct.TrackCached(&w.ctc, &v, d, l, f.zone, f.tag(d, dir), w.now)
	}
	tr := b.Meta.Trace
	switch v.State {
	case conntrack.StateEstablished, conntrack.StateRelated:
		if tr != nil {
			tr.Addf(f.label, sgDirName[dir], "conntrack %s zone %d", strings.ToLower(v.State.String()), f.zone)
		}
		ok := f.verdict(w, b, dir, SGAcceptEstablished)
		if d[l.L3+6]&0x20 != 0 { // MF: a first fragment
			f.firstFragment(w, b, dir)
		}
		return ok
	case conntrack.StateInvalid:
		if tr != nil {
			tr.Addf(f.label, sgDirName[dir], "conntrack invalid zone %d (%s)", f.zone, v.Reason)
		}
		return f.verdict(w, b, dir, SGInvalid)
	}
	if tr != nil {
		tr.Addf(f.label, sgDirName[dir], "conntrack new zone %d", f.zone)
	}
	return f.rule(w, b, dir, &v)
}

// tag is what the worker's conntrack cache keeps beside a connection
// this filter let through in direction dir, so that a packet with the
// same key and tag may skip the filter's checks (fast): the filter (its
// generation), the direction and, for egress, the source MAC the
// anti-spoofing checked. Everything else those checks read is in the
// key.
func (f *sgFilter) tag(d []byte, dir int) uint64 {
	if dir == sgIngress {
		return 1<<63 | uint64(f.gen)<<48
	}
	return uint64(f.gen)<<48 | binary.BigEndian.Uint64(d[4:12])&(1<<48-1)
}

// fast takes b through when the worker's conntrack cache answers it: a
// packet of a connection established through this filter in direction
// dir, with the same key and tag as one the filter let through, so that
// every check the filter made then would pass again. It counts the
// packet as the established rule's. Not for traced frames and dry runs
// (their trace shows every decision, and they count nothing), nor for
// first fragments (firstFragment must see them).
func (f *sgFilter) fast(w *Worker, b *packet.Buffer, dir int) bool {
	if !f.stateful || b.Meta.Trace != nil || w.dryRun {
		return false
	}
	d := b.Data()
	l := &b.Meta.Layout
	if l.Flags&header.IsIPv4 == 0 || d[l.L3+6]&0x20 != 0 {
		return false
	}
	if !w.ctc.Hit(d, l, f.zone, f.tag(d, dir), w.now) {
		return false
	}
	c := &w.sg[f.p.id][dir][SGAcceptEstablished]
	c.pkts.inc()
	c.bytes.add(uint64(len(d)))
	return true
}

// rule matches b against the group rules of direction dir; a NEW packet
// of a stateful port (v) that a rule allows is committed.
func (f *sgFilter) rule(w *Worker, b *packet.Buffer, dir int, v *conntrack.Verdict) bool {
	l := &b.Meta.Layout
	d := b.Data()
	ip := d[l.L3:]
	remote := [4]byte(ip[16:20]) // egress: the destination
	if dir == sgIngress {
		remote = [4]byte(ip[12:16])
	}
	id, ok := f.match[dir].Match(l.Proto, remote, matchKey(d, l))
	if !ok {
		return f.verdict(w, b, dir, SGNoRule)
	}
	if v != nil && !w.dryRun {
		if _, why := f.n.ct.Commit(v, w.now); why != conntrack.RefusedNone && why != conntrack.RefusedNotNew {
			return f.verdict(w, b, dir, SGConntrackFull)
		}
	} else if v != nil {
		w.commitDry(f.n.ct, v, v.Key().Invert())
	}
	if !w.dryRun {
		h := &f.hits[id]
		h.pkts.Add(1)
		h.bytes.Add(uint64(b.Len()))
	}
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(f.label, sgDirName[dir], "accept: %s", f.ruleText(id))
	}
	if d[l.L3+6]&0x20 != 0 { // MF: a first fragment
		f.firstFragment(w, b, dir)
	}
	return true
}

// matchKey returns what a rule's port range is compared with: the
// destination port of tcp, udp, dccp, sctp and udplite, type<<8|code of
// ICMP, 0 for other protocols and for packets too short to say.
func matchKey(d []byte, l *header.Layout) uint16 {
	hl := int(d[l.L3]&0x0f) * 4
	at := int(l.L3) + hl
	end := int(l.L3) + int(binary.BigEndian.Uint16(d[l.L3+2:]))
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP, 33, 132, 136: // dccp, sctp, udplite
		if at+4 <= end {
			return binary.BigEndian.Uint16(d[at+2:])
		}
	case header.ProtoICMP:
		if at+2 <= end {
			return uint16(d[at])<<8 | uint16(d[at+1])
		}
	}
	return 0
}
