package conntrack

import "neutrino/packet/header"

// overlayMax bounds the connections one overlay holds: a trace and its
// reply create a handful (one per zone they are tracked in).
const overlayMax = 1024

// Overlay is a scratch layer over a table for a dry run of several packets
// (a traced frame, then its reply): what the run's packets would have done
// to the table (the connections they would have created, with NAT's reply
// tuples, and the states they would have moved) is kept here, where the
// next packet of the run sees it, while the table stays as it was. It is
// thrown away with the run.
//
// It holds the connections in a table of its own, made on the first
// commit, so that they follow the same state machine and timeouts as the
// table's; a run that commits nothing allocates nothing. Only dry runs use
// an overlay: tracking through the table itself never consults one. An
// Overlay is for one goroutine.
type Overlay struct {
	base    *Table
	scratch *Table // nil until the first commit
}

// NewOverlay returns an empty overlay over t.
func (t *Table) NewOverlay() *Overlay { return &Overlay{base: t} }

// Base returns the table the overlay lies over.
func (o *Overlay) Base() *Table { return o.base }

// Len returns the number of connections the overlay holds.
func (o *Overlay) Len() int {
	if o.scratch == nil {
		return 0
	}
	return o.scratch.Len()
}

// Track is TrackDry of the table with the overlay's connections seen
// first: a packet of one of them is tracked there (its state moves, in the
// overlay only); any other gets the table's verdict, and nothing changes
// (a packet of one of the table's connections moves no state, there or
// here: its verdict says what it would be now).
func (o *Overlay) Track(frame []byte, l *header.Layout, zone uint16, now int64) (v Verdict) {
	if s := o.scratch; s != nil {
		s.track(&v, frame, l, zone, now, s.loose)
		if v.Conn.Valid() {
			return v
		}
		v = Verdict{}
	}
	v.dry = true
	o.base.track(&v, frame, l, zone, now, o.base.loose)
	return v
}

// Lookup finds k among the overlay's connections, then the table's.
func (o *Overlay) Lookup(k Key, now int64) (Ref, Dir, bool) {
	if o.scratch != nil {
		if r, d, ok := o.scratch.Lookup(k, now); ok {
			return r, d, true
		}
	}
	return o.base.Lookup(k, now)
}

// Commit records the connection of a NEW verdict in the overlay, where
// Table.Commit would create it in the table.
func (o *Overlay) Commit(v *Verdict, now int64) (Ref, Refusal) {
	return o.CommitReply(v, v.Key().Invert(), now)
}

// CommitReply is Table.CommitReply into the overlay: the connection of a
// NEW verdict with reply tuple reply, refused when a connection of the
// table or of the overlay holds that tuple. A verdict that names a
// connection already (of either) returns it, as the table would.
func (o *Overlay) CommitReply(v *Verdict, reply Key, now int64) (Ref, Refusal) {
	if v.State != StateNew {
		return Ref{}, RefusedNotNew
	}
	if v.Conn.Valid() {
		return v.Conn, RefusedNone
	}
	if _, _, taken := o.base.Lookup(reply, now); taken {
		return Ref{}, RefusedClash
	}
	if o.scratch == nil {
		o.scratch = New(Config{MaxEntries: overlayMax, TCPLoose: o.base.loose})
		o.scratch.timeout = o.base.timeout
	}
	return o.scratch.CommitReply(v, reply, now)
}
