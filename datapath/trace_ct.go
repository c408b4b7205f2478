package datapath

import (
	"neutrino/conntrack"
	"neutrino/packet"
	"neutrino/packet/header"
)

// traceRun is what a trace keeps across the frames it runs (the traced
// frame, then its reply) on the dry-run worker: the connections they
// would have created, in an overlay of the node's conntrack table that
// the next frame sees and the table never does, and the frames the dry
// run would have written to device ports. It is dropped with the trace.
type traceRun struct {
	ct   *conntrack.Overlay
	sent []sentFrame
}

// sentFrame is a traced frame a dry run would have written to device
// port port: a copy of its bytes and where its trace branch ended.
type sentFrame struct {
	port   int
	data   []byte
	lvid   uint16
	tunnel packet.Tunnel
	step   int // the step of its output, index+1
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

// sentDry keeps a copy of a traced frame a dry run would have written
// to port p.
func (w *Worker) sentDry(p *port, b *packet.Buffer, step int) {
	if t := w.trace; t != nil {
		t.sent = append(t.sent, sentFrame{port: int(p.id), data: append([]byte(nil), b.Data()...),
			lvid: b.Meta.LVID, tunnel: b.Meta.Tunnel, step: step})
	}
}
