package packet

// Pool is a bounded free list of Buffers for one worker: the frames a node
// generates (ARP, ICMP and DHCP replies), the writable copies of flooded
// frames, and frames that wait. Buffers are made on first use, never more
// than the pool's cap; an empty pool answers nil and the caller counts a
// drop, it never blocks or grows. A Pool is used by one goroutine.
type Pool struct {
	free []*Buffer
	size int // frame capacity of each buffer
	made int // buffers made so far
	cap  int
}

// NewPool returns a pool of at most cap buffers, each holding frames of up
// to size bytes.
func NewPool(cap, size int) *Pool {
	return &Pool{free: make([]*Buffer, 0, cap), size: size, cap: cap}
}

// Get returns an empty buffer, or nil when all cap buffers are in use.
func (p *Pool) Get() *Buffer {
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		b.Reset()
		return b
	}
	if p.made == p.cap {
		return nil
	}
	p.made++
	return NewBuffer(p.size)
}

// Put gives a buffer from Get back. Putting a buffer twice, or one the
// pool did not make, corrupts the pool.
func (p *Pool) Put(b *Buffer) { p.free = append(p.free, b) }

// InUse returns how many buffers are out of the pool.
func (p *Pool) InUse() int { return p.made - len(p.free) }

// Cap returns the most buffers the pool hands out at once.
func (p *Pool) Cap() int { return p.cap }
