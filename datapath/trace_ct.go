package datapath

import (
	"neutrino/conntrack"
	"neutrino/packet/header"
)

// traceRun is what a trace keeps across the frames it runs on the
// dry-run worker: the connections they would have created, in an overlay
// of the node's conntrack table that the next frame sees and the table
// never does. It is dropped with the trace.
type traceRun struct {
	ct *conntrack.Overlay
}

// overlay returns the trace's conntrack overlay over ct, or nil.
func (w *Worker) overlay(ct *conntrack.Table) *conntrack.Overlay {
	if t := w.trace; t != nil && t.ct != nil && t.ct.Base() == ct {
		return t.ct
	}
	return nil
}

// trackDry is conntrack's verdict for a dry run: the table's, changing
// nothing, with the connections the trace's earlier frames would have
// made seen first.
func (w *Worker) trackDry(ct *conntrack.Table, d []byte, l *header.Layout, zone uint16) conntrack.Verdict {
	if o := w.overlay(ct); o != nil {
		return o.Track(d, l, zone, w.now)
	}
	return ct.TrackDry(d, l, zone, w.now) // a trace changes no connection
}

// commitDry records, for the trace's next frames, the connection a NEW
// packet of a dry run would have created with reply tuple reply.
func (w *Worker) commitDry(ct *conntrack.Table, v *conntrack.Verdict, reply conntrack.Key) {
	if o := w.overlay(ct); o != nil {
		o.CommitReply(v, reply, w.now)
	}
}

// ctHolds reports whether a connection holds tuple k: one of the table's,
// or in a dry run one the trace's frames would have made.
func (w *Worker) ctHolds(ct *conntrack.Table, k conntrack.Key) bool {
	if o := w.overlay(ct); o != nil {
		_, _, ok := o.Lookup(k, w.now)
		return ok
	}
	_, _, ok := ct.Lookup(k, w.now)
	return ok
}
