package datapath

import (
	"neutrino/link"
	"neutrino/packet"
)

// maxSegments bounds the segments of one super-frame (64 KB at an MSS of
// 536 bytes is 123).
const maxSegments = 128

// Worker holds the per-goroutine state of the datapath: one output queue
// per port, the frames ready to write, and scratch buffers for software
// segmentation. A Worker is used by one goroutine at a time.
type Worker struct {
	queues [][]*packet.Buffer // per port
	dirty  []int              // ports with a non-empty queue, in first-use order
	ready  []*packet.Buffer   // the frames of one port's flush
	tagged []*packet.Buffer   // frames that got a tag pushed, to pop after writing
	segs   []*packet.Buffer   // segmentation scratch, allocated on first use
	segLen int                // size of each scratch buffer
}

// NewWorker returns a worker for batches of up to batch frames.
func (n *Node) NewWorker(batch int) *Worker {
	w := &Worker{queues: make([][]*packet.Buffer, len(n.ports))}
	for i := range w.queues {
		w.queues[i] = make([]*packet.Buffer, 0, batch)
	}
	w.dirty = make([]int, 0, len(n.ports))
	w.ready = make([]*packet.Buffer, 0, batch+maxSegments)
	w.tagged = make([]*packet.Buffer, 0, batch)
	mtu := 0
	for _, p := range n.ports {
		mtu = max(mtu, p.maxFrame)
	}
	w.segLen = mtu + 64
	return w
}

// enqueue queues b for port p.
func (w *Worker) enqueue(p *port, b *packet.Buffer) {
	q := w.queues[p.id]
	if len(q) == 0 {
		w.dirty = append(w.dirty, int(p.id))
	}
	w.queues[p.id] = append(q, b)
}

// flush writes every queue (step 5).
func (w *Worker) flush(n *Node) {
	for _, i := range w.dirty {
		p := n.ports[i]
		n.egress(w, p, w.queues[i])
		w.queues[i] = w.queues[i][:0]
	}
	w.dirty = w.dirty[:0]
}

// scratch returns the segmentation buffers, allocating them on first use.
func (w *Worker) scratch() []*packet.Buffer {
	if w.segs == nil {
		w.segs = make([]*packet.Buffer, maxSegments)
		for i := range w.segs {
			w.segs[i] = packet.NewBuffer(w.segLen)
		}
	}
	return w.segs
}

// canTake reports whether the endpoint takes frames with b's offload state.
func canTake(c link.Caps, b *packet.Buffer) bool {
	g := &b.Meta.GSO
	if g.IsGSO() {
		return c.Has(link.CapGSO)
	}
	return !g.NeedsCsum || c.Has(link.CapCsumPartial)
}
