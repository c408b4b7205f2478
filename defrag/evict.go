package defrag

// room makes space within MaxBytes for a buffer holding n more bytes of
// d's (d may be new, holding nothing). A free buffer of the right size
// costs nothing. Otherwise other free buffers are let go first, then the
// oldest datagrams other than d are evicted until the buffer fits, as
// older Linux kernels pruned the oldest reassembly queues when over
// ipfrag_high_thresh (newer ones refuse new queues instead, which lets a
// flood of never-completed fragments lock every new datagram out until it
// times out). The fragment is refused, TableFull, only when d's own
// buffers and the new one exceed MaxBytes; d can then never complete, and
// is dropped.
func (t *Table) room(d *datagram, n int) Outcome {
	if t.pool.reusable(n) {
		return Held
	}
	size := classSize(classOf(n))
	if d.bytes+size > t.cfg.MaxBytes {
		return TableFull
	}
	for t.pool.held+t.pool.idle+size > t.cfg.MaxBytes {
		if t.pool.release() {
			continue
		}
		// Held bytes exceed d's, so another datagram holds some.
		victim := t.oldest
		if victim == d {
			victim = d.newer
		}
		t.evict(victim)
	}
	return Held
}

// evict drops d to make room.
func (t *Table) evict(d *datagram) {
	t.drop(d)
	t.cnt.evicted++
}
