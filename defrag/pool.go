package defrag

// pool owns every fragment buffer of a table: those held for datagrams
// (held bytes) and freed ones kept for reuse (idle bytes), one free list
// per size class. The table keeps held+idle within MaxBytes, so idle
// buffers never add to the bound: they are let go before any datagram is
// evicted to make room.
type pool struct {
	free       [numClasses][][]byte
	held, idle int // bytes, by buffer capacity
}

// reusable reports whether a free buffer can hold n bytes without growing
// the pool.
func (p *pool) reusable(n int) bool { return len(p.free[classOf(n)]) > 0 }

// get returns a buffer of length n, reused when one of its class is free.
// The caller has made room for it.
func (p *pool) get(n int) []byte {
	c := classOf(n)
	size := classSize(c)
	p.held += size
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		p.idle -= size
		return b[:n]
	}
	return make([]byte, n, size)
}

// put takes back a buffer get returned.
func (p *pool) put(b []byte) {
	c := classOf(cap(b))
	p.free[c] = append(p.free[c], b[:0])
	p.held -= cap(b)
	p.idle += cap(b)
}

// release lets one free buffer go, the largest, and reports whether there
// was one.
func (p *pool) release() bool {
	for c := numClasses - 1; c >= 0; c-- {
		if l := len(p.free[c]); l > 0 {
			p.idle -= cap(p.free[c][l-1])
			p.free[c][l-1] = nil
			p.free[c] = p.free[c][:l-1]
			return true
		}
	}
	return false
}
