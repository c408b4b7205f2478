package datapath

import (
	"sync/atomic"

	"neutrino/conntrack"
	"neutrino/link"
	"neutrino/nat"
	"neutrino/packet"
	l2switch "neutrino/switch"
)

// maxSegments bounds the segments of one super-frame (64 KB at an MSS of
// 536 bytes is 123).
const maxSegments = 128

// poolBuffers bounds the buffers one worker holds for generated frames and
// writable copies within a batch.
const poolBuffers = 128

// Worker holds the per-goroutine state of the datapath: the worklist of
// the frame being run, one output queue per device port, the buffer pool,
// scratch buffers for software segmentation and the drop counters. A
// Worker is used by one goroutine at a time.
type Worker struct {
	n   *Node
	g   *graph // loaded once per batch
	now int64  // the batch's time, Unix nanoseconds

	hops uint8 // elements the frame being run has passed
	// run is the batch being run and at the index of the frame being run
	// in it, for elements that ask for what the next frames will need
	// from memory while they work on this one (see ahead).
	run     []*packet.Buffer
	at      int
	ctAhead conntrack.AheadMemo // for conntrack's Ahead, reset with each batch

	// dryRun: decide and trace, change nothing: no learning, no leases,
	// no tokens taken, no counters, nothing written.
	dryRun bool
	// trace is what a trace keeps across its frames (dry runs only; nil
	// otherwise): see traceRun.
	trace *traceRun

	queues [][]*packet.Buffer // per device port
	// Trace cursors of the traced frames in the queues (untraced frames
	// pay nothing for them).
	qat    []queuedTrace
	dirty  []int            // ports with a non-empty queue, in first-use order
	ready  []*packet.Buffer // the frames of one port's flush
	tagged []*packet.Buffer // frames that got a tag pushed, to pop after writing
	segs   []*packet.Buffer // segmentation scratch, allocated on first use
	segLen int              // size of each scratch buffer

	pool  *packet.Pool
	batch int // frames per batch, what the queues are made for
	// seq is odd while the worker runs a batch: a reload waits for the
	// batches that began on the graph it replaced.
	seq     atomic.Uint32
	covered *graph           // the graph cover last sized the worker for
	held    []*packet.Buffer // taken from the pool in this batch, given back after the flush

	drops dropCounters
	sg    []sgCounters // by device port: the fixed rules of its filter
	capt  *captureSet  // the node's captures, loaded once per batch (nil: none)
	// rc is the route cache (nil until a walk is first recorded), rec
	// the walk being recorded.
	rc      *routeCache
	rec     routeRec
	cacheOK bool // the batch may use the route cache: no dry run, no capture
	// routeHits counts the frames the route cache answered, vmHits
	// those the VM flow cache did (added once a batch).
	routeHits uint64Counter
	vmHits    uint64Counter
	// ctc answers conntrack hits that change nothing in the table (the
	// security groups', twice a frame between two VMs of the node).
	ctc conntrack.HitCache
	sgf sgFlowCache // the filters' flow cache, in front of ctc
	vfc vmFlowCache // the cache of VM ports' flows through br-int, in front of both

	// Routers: the SNAT port allocator, the empty frame handed to a
	// neighbour cache (kept when the cache keeps it), frames released by
	// a resolved neighbour, fragments being made, and the largest
	// fragment of the reassembled datagram being routed (0: none).
	snat     nat.Allocator
	nbox     *heldFrame
	released []*heldFrame
	frags    []*packet.Buffer
	fragMax  int
}

// NewWorker returns a worker for batches of up to batch frames. Its drop
// counters join the node's.
func (n *Node) NewWorker(batch int) *Worker {
	w := &Worker{n: n, batch: batch}
	w.cover(n.g.Load())
	w.ready = make([]*packet.Buffer, 0, batch+maxSegments)
	w.tagged = make([]*packet.Buffer, 0, batch)
	w.pool = packet.NewPool(poolBuffers, packet.MaxFrame)
	w.held = make([]*packet.Buffer, 0, poolBuffers)
	n.workersMu.Lock()
	n.workers = append(n.workers, w)
	n.workersMu.Unlock()
	return w
}

// cover makes the worker's per-port state (output queues, filter
// counters, segmentation scratch) cover every slot of g; it allocates
// only when g has more slots, or larger frames, than any graph before
// (after a reload).
func (w *Worker) cover(g *graph) {
	w.covered = g
	if w.rc != nil {
		*w.rc = routeCache{} // recorded on an older graph: let it go
	}
	w.vfc.reset()
	if len(w.sg) < len(g.ports) {
		w.n.workersMu.Lock() // show reads w.sg under it
		w.sg = append(w.sg, make([]sgCounters, len(g.ports)-len(w.sg))...)
		w.n.workersMu.Unlock()
	}
	for len(w.queues) < len(g.ports) {
		w.queues = append(w.queues, make([]*packet.Buffer, 0, w.batch))
	}
	if cap(w.dirty) < len(g.ports) {
		w.dirty = append(make([]int, 0, len(g.ports)), w.dirty...)
	}
	mtu := 0
	for _, p := range g.ports {
		if p != nil {
			mtu = max(mtu, p.maxFrame)
		}
	}
	if mtu+64 > w.segLen {
		w.segLen = mtu + 64
		w.segs = nil // made again, larger, on first use
	}
}

// begin starts a batch on graph g; end ends it.
func (w *Worker) begin(g *graph) {
	w.seq.Store(w.seq.Load() + 1)
	w.g = g
	if w.covered != g {
		w.cover(g)
	}
}

func (w *Worker) end() { w.seq.Store(w.seq.Load() + 1) }

// emit sends b to t, one of the running element's output wires: a
// device's output queue, or an element, which runs now. b is the frame
// being received or one the element made; b.Meta.Shared says whether
// others hold it too.
//
// The graph is walked depth first: emit calls the next element directly,
// and a flood runs each branch to its end before the next; every element a
// frame (or a copy, or a reply) reaches has run when Process's call to the
// port's ingress returns, and frames for devices wait in the output queues
// until flush. A FIFO worklist was measured first: writing each hop's item
// to memory and reading it back cost 50 ns a frame, a third of L2
// forwarding. The hop limit bounds the depth, so a wiring loop is a
// counted drop, never a spin or a deep stack.
func (w *Worker) emit(t target, b *packet.Buffer) {
	if t.elem == nil {
		w.enqueue(int(t.port), b)
		return
	}
	if w.hops >= maxHops {
		w.dropIn(t.elem, StageGraph, uint8(ReasonHopLimit), b)
		return
	}
	w.hops++
	t.elem.receive(w, t.port, b)
	w.hops--
}

// flood sends b to each of the wires of outs except except. Every receiver
// gets the same buffer, marked Shared while the flood lasts: one that
// changes it takes a writable copy first.
func (w *Worker) flood(wires []target, outs []l2switch.PortID, except l2switch.PortID, b *packet.Buffer) {
	k := 0
	for _, o := range outs {
		if o != except {
			k++
		}
	}
	was := b.Meta.Shared
	b.Meta.Shared = was || k > 1
	var at int
	tr := b.Meta.Trace
	if tr != nil {
		at = tr.At
	}
	for _, o := range outs {
		if o == except {
			continue
		}
		if tr != nil {
			tr.At = at // each copy branches from the flood
		}
		w.emit(wires[o], b)
	}
	b.Meta.Shared = was
}

// writable returns b ready to be changed: b itself when this receiver is
// its only holder, else a copy from the pool (nil, counted, when the pool
// is empty). The copy carries b's metadata.
func (w *Worker) writable(e element, b *packet.Buffer) *packet.Buffer {
	if !b.Meta.Shared {
		return b
	}
	return w.copyOf(e, b)
}

// copyOf returns a copy of b and its metadata from the pool, held by no
// one else (nil, counted, when the pool is empty).
func (w *Worker) copyOf(e element, b *packet.Buffer) *packet.Buffer {
	c := w.alloc(e, b)
	if c == nil {
		return nil
	}
	c.SetData(b.Data())
	c.Meta = b.Meta
	c.Meta.Shared = false
	return c
}

// private returns a copy of b from the pool that no one else holds,
// whether or not b is shared (nil, counted, when the pool is empty): what
// an element changes in a dry run.
func (w *Worker) private(e element, b *packet.Buffer) *packet.Buffer {
	if !w.dryRun {
		return w.writable(e, b)
	}
	return w.copyOf(e, b)
}

// alloc takes an empty buffer from the pool for a frame the element
// makes; it goes back to the pool after the batch is written. An empty
// pool is a drop of b (stage graph), and alloc returns nil.
func (w *Worker) alloc(e element, b *packet.Buffer) *packet.Buffer {
	c := w.pool.Get()
	if c == nil {
		w.dropIn(e, StageGraph, uint8(ReasonNoBuffer), b)
		return nil
	}
	w.held = append(w.held, c)
	return c
}

// dropIn counts b dropped by element e at stage s for reason r, and
// traces it.
func (w *Worker) dropIn(e element, s Stage, r uint8, b *packet.Buffer) {
	if !w.dryRun {
		w.drops[s][r].inc()
	}
	if tr := b.Meta.Trace; tr != nil {
		tr.Add(e.name(), "drop", w.n.reasonName(s, r))
	}
}

// enqueue queues b for device port i; a traced frame's cursor is kept
// beside it.
func (w *Worker) enqueue(i int, b *packet.Buffer) {
	q := w.queues[i]
	if len(q) == 0 {
		w.dirty = append(w.dirty, i)
	}
	if tr := b.Meta.Trace; tr != nil {
		w.qat = append(w.qat, queuedTrace{port: i, pos: len(q), at: tr.At})
	}
	w.queues[i] = append(q, b)
}

// queuedTrace is the trace cursor of the traced frame at position pos of
// port's queue.
type queuedTrace struct{ port, pos, at int }

// traceAt moves a traced frame's trace cursor to its branch: the one it
// was queued on, at position pos of port i's queue.
func (w *Worker) traceAt(i, pos int, tr *packet.Trace) {
	for _, q := range w.qat {
		if q.port == i && q.pos == pos {
			tr.At = q.at
			return
		}
	}
}

// flush writes every queue (step 5) and gives the batch's pool buffers
// back.
func (w *Worker) flush() {
	w.sgf.settleAll(w)
	w.vfc.settleAll(w)
	for _, i := range w.dirty {
		if w.dryRun {
			w.dryOutput(w.g.ports[i], w.queues[i])
		} else {
			w.n.egress(w, w.g.ports[i], w.queues[i])
		}
		w.queues[i] = w.queues[i][:0]
	}
	w.dirty = w.dirty[:0]
	w.qat = w.qat[:0]
	for _, b := range w.held {
		w.pool.Put(b)
	}
	w.held = w.held[:0]
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

// SetDryRun makes the worker decide and trace without changing anything:
// br-int looks up without learning, the DHCP server is not asked, storm
// control takes no token, no counter moves and nothing is written. What
// `neutrino trace` needs.
func (w *Worker) SetDryRun(on bool) { w.dryRun = on }

// ahead returns the frame of the batch k places after the one being run,
// nil when there is none.
func (w *Worker) ahead(k int) *packet.Buffer {
	if i := w.at + k; i < len(w.run) {
		return w.run[i]
	}
	return nil
}
