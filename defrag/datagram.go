package defrag

import "neutrino/packet/header"

// datagram is the reassembly state of one datagram: Linux's ipq.
type datagram struct {
	key          key
	born         int64     // arrival of its first fragment, for Timeout and eviction order
	older, newer *datagram // the table's age list; older also links the spare list
	frags        []fragment
	size         int // payload bytes held: the sum of the fragments' lengths
	end          int // the end of the furthest fragment; the payload length once last is set
	bytes        int // buffer capacity held
	maxFrag      int // total length of the largest fragment
	ecn          uint8
	first, last  bool // the fragment at offset 0, the one without MF, arrived
	hlen         int  // header length of the first fragment
	header       [header.IPv4MaxLen]byte
}

// fragment is one held fragment's payload and its place in the datagram.
type fragment struct {
	off, end int
	buf      []byte // the payload; its capacity is the buffer's size class
}

// place decides where p goes in d. It returns Held and the index to insert
// p at in d.frags, Duplicate for an exact copy of a held fragment, or the
// reason p kills d. Linux's checks come first: a last fragment that ends
// before data already held or elsewhere than an earlier last fragment, or
// a fragment past the end a last fragment set, is Malformed. Then overlap
// (RFC 5722 as Linux applies it to IPv4 since the FragmentSmack fix): any
// fragment that overlaps held data is Overlap, except an exact copy.
// Linux also lets through as a duplicate a fragment that lies inside
// contiguous held data without matching one fragment; we call that an
// overlap, since no sender produces it. Then the size and count bounds.
func (d *datagram) place(p *piece, maxFrags int) (int, Outcome) {
	if !p.more {
		if p.end < d.end || d.last && p.end != d.end {
			return 0, Malformed
		}
	} else if d.last && p.end > d.end {
		return 0, Malformed
	}
	i := d.search(p.off)
	if i < len(d.frags) && d.frags[i].off == p.off && d.frags[i].end == p.end {
		return i, Duplicate
	}
	if i > 0 && d.frags[i-1].end > p.off || i < len(d.frags) && d.frags[i].off < p.end {
		return 0, Overlap
	}
	hlen := header.IPv4MinLen
	switch {
	case d.first:
		hlen = d.hlen
	case p.off == 0:
		hlen = p.hlen
	}
	if hlen+max(p.end, d.end) > maxDatagram {
		return 0, TooBig
	}
	if len(d.frags) >= maxFrags {
		return 0, TooManyFragments
	}
	return i, Held
}

// search returns the index of the first held fragment at or after off.
func (d *datagram) search(off int) int {
	lo, hi := 0, len(d.frags)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.frags[m].off < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// insert holds p at index i with its payload in buf, a buffer of p's
// length.
func (d *datagram) insert(i int, p *piece, buf []byte) {
	copy(buf, p.payload())
	d.frags = append(d.frags, fragment{})
	copy(d.frags[i+1:], d.frags[i:])
	d.frags[i] = fragment{off: p.off, end: p.end, buf: buf}
	d.size += p.end - p.off
	d.bytes += cap(buf)
	d.end = max(d.end, p.end)
	d.maxFrag = max(d.maxFrag, len(p.ip))
	d.ecn |= p.ecn()
	if !p.more {
		d.last = true
	}
	if p.off == 0 {
		d.first = true
		d.hlen = copy(d.header[:], p.ip[:p.hlen])
	}
}

// complete reports whether every byte of the datagram is held. With no
// overlaps, that is when the fragments add up to the end.
func (d *datagram) complete() bool { return d.first && d.last && d.size == d.end }

// reset empties d for reuse, giving its buffers back to pool.
func (d *datagram) reset(pool *pool) {
	for i := range d.frags {
		pool.put(d.frags[i].buf)
		d.frags[i] = fragment{}
	}
	frags := d.frags[:0]
	*d = datagram{frags: frags}
}
