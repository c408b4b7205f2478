package datapath

import (
	"errors"

	"neutrino/link"
	"neutrino/packet"
	"neutrino/packet/header"
)

// egress writes one port's queue as one batch; at holds each queued
// frame's trace cursor.
func (n *Node) egress(w *Worker, p *port, q []*packet.Buffer) {
	if p.down.Load() {
		for i, b := range q {
			if tr := b.Meta.Trace; tr != nil {
				w.traceAt(int(p.id), i, tr)
			}
			w.dropOut(p, b, ReasonPortDown)
		}
		return
	}
	ready := w.ready[:0]
	tagged := w.tagged[:0]
	usedSegs := 0
	for i, b := range q {
		if tr := b.Meta.Trace; tr != nil {
			w.traceAt(int(p.id), i, tr)
		}
		var vid uint16
		tag := false
		if p.trunk != nil {
			var ok bool
			vid, tag, ok = p.trunk.Egress(b.Meta.LVID)
			if !ok {
				w.dropOut(p, b, ReasonNoTag)
				continue
			}
		}
		if canTake(p.caps, b) {
			if !b.Meta.GSO.IsGSO() && b.Len() > p.maxFrame {
				w.dropOut(p, b, ReasonMTUExceeded)
				continue
			}
			if tag {
				if !b.PushVLAN(header.EtherTypeVLAN, vid) {
					w.dropOut(p, b, ReasonNoHeadroom)
					continue
				}
				tagged = append(tagged, b)
			}
			ready = append(ready, b)
			if tr := b.Meta.Trace; tr != nil {
				tr.Addf(p.element(), "output", "%s%s", wireTag(tag, vid), gsoDetail(b))
			}
			continue
		}
		if !b.Meta.GSO.IsGSO() {
			// A partial checksum the egress can't finish: finish it
			// here. The frame stays valid for every other egress.
			if err := packet.CompleteChecksum(b); err != nil {
				w.dropOut(p, b, ReasonSegmentError)
				continue
			}
			if b.Len() > p.maxFrame {
				w.dropOut(p, b, ReasonMTUExceeded)
				continue
			}
			if tag {
				if !b.PushVLAN(header.EtherTypeVLAN, vid) {
					w.dropOut(p, b, ReasonNoHeadroom)
					continue
				}
				tagged = append(tagged, b)
			}
			ready = append(ready, b)
			if tr := b.Meta.Trace; tr != nil {
				tr.Addf(p.element(), "output", "%s checksum completed", wireTag(tag, vid))
			}
			continue
		}
		// A super-frame the egress can't take: segment it into scratch
		// buffers. Flush what is ready first when scratch runs short.
		segs := w.scratch()
		k, err := packet.Segment(b, segs[usedSegs:])
		if errors.Is(err, packet.ErrSegmentShort) && usedSegs > 0 {
			// Scratch is short: write what is ready and start over.
			n.write(w, p, ready)
			ready = ready[:0]
			usedSegs = 0
			k, err = packet.Segment(b, segs)
		}
		if err != nil {
			w.dropOut(p, b, ReasonSegmentError)
			continue
		}
		if tr := b.Meta.Trace; tr != nil {
			tr.Addf(p.element(), "output", "%s segmented into %d frames", wireTag(tag, vid), k)
		}
		for _, s := range segs[usedSegs : usedSegs+k] {
			if s.Len() > p.maxFrame {
				// Cut for a larger MTU than this egress has.
				w.dropOut(p, s, ReasonMTUExceeded)
				continue
			}
			if tag && !s.PushVLAN(header.EtherTypeVLAN, vid) {
				w.dropOut(p, s, ReasonNoHeadroom)
				continue
			}
			ready = append(ready, s)
		}
		usedSegs += k
	}
	n.write(w, p, ready)
	for _, b := range tagged {
		b.PopVLAN()
	}
	w.ready = ready[:0]
	w.tagged = tagged[:0]
}

// write hands a batch to the port's endpoint and counts the outcome. An
// endpoint stops at the first frame it refuses: that frame is dropped and
// the rest is written.
func (n *Node) write(w *Worker, p *port, ready []*packet.Buffer) {
	for len(ready) > 0 {
		k, err := p.ep.WriteBatch(ready)
		if w.capt != nil {
			if cs := w.capt.dev[int(p.id)]; cs != nil {
				for _, b := range ready[:k] {
					record(cs, b, w.now, true)
				}
			}
		}
		var bytes uint64
		for _, b := range ready[:k] {
			bytes += uint64(b.Len())
		}
		p.c.txFrames.Add(uint64(k))
		p.c.txBytes.Add(bytes)
		if err == nil || k >= len(ready) {
			return
		}
		if errors.Is(err, link.ErrDeviceGone) || errors.Is(err, link.ErrClosed) {
			if errors.Is(err, link.ErrDeviceGone) {
				n.portGone(p, err)
			}
			for _, b := range ready[k:] {
				w.dropOut(p, b, ReasonPortDown)
			}
			return
		}
		w.dropOut(p, ready[k], ReasonTxError)
		ready = ready[k+1:]
	}
}

// dryOutput traces what a dry run would write to port p.
func (w *Worker) dryOutput(p *port, q []*packet.Buffer) {
	for i, b := range q {
		if tr := b.Meta.Trace; tr != nil {
			w.traceAt(int(p.id), i, tr)
			tr.Addf(p.element(), "output", "dry run: not written%s", gsoDetail(b))
			w.sentDry(p, b, tr.At)
		}
	}
}

// dropOut counts a frame dropped on egress, against the port too.
func (w *Worker) dropOut(p *port, b *packet.Buffer, r Reason) {
	p.c.txDrops.Add(1)
	w.drops[StagePortOut][r].inc()
	if tr := b.Meta.Trace; tr != nil {
		tr.Add(p.element(), "drop", r.String())
	}
}
