package defrag

import "sync"

// Table reassembles IPv4 fragments. All methods are safe for concurrent
// use; one mutex serializes them, since fragments are a slow path.
type Table struct {
	mu      sync.Mutex
	cfg     Config
	timeout int64 // cfg.Timeout in ns
	byKey   map[key]*datagram
	oldest  *datagram // age list, see age.go
	newest  *datagram
	spare   *datagram // freed datagrams for reuse, linked by older
	pool    pool
	frags   int // fragments held, all datagrams together
	cnt     counters
}

// New returns an empty table bounded by cfg.
func New(cfg Config) *Table {
	cfg = cfg.withDefaults()
	return &Table{
		cfg:     cfg,
		timeout: int64(cfg.Timeout),
		byKey:   make(map[key]*datagram),
	}
}

// Add takes one IPv4 fragment, ip (from its header; bytes past its total
// length are ignored), of the datagram it names in zone, at now (ns, on
// the clock Expire is given). On Complete the whole datagram is written to
// dst (whose capacity is used; 65535 bytes always suffice) and n is its
// length; every other outcome writes nothing and n is 0. The table keeps
// no reference to ip or dst.
func (t *Table) Add(ip []byte, zone uint16, now int64, dst []byte) (n int, v Verdict) {
	p, out := parse(ip)
	t.mu.Lock()
	defer t.mu.Unlock()
	if out == Held {
		n, v = t.add(&p, keyOf(p.ip, zone), now, dst)
	} else {
		v.Outcome = out
	}
	t.cnt.fragments[v.Outcome]++
	return n, v
}

// add is Add for a fragment that passed parse, under the lock.
func (t *Table) add(p *piece, k key, now int64, dst []byte) (int, Verdict) {
	d := t.byKey[k]
	if d != nil && t.expired(d, now) {
		t.drop(d)
		t.cnt.timedOut++
		d = nil
	}
	fresh := d == nil
	if fresh {
		d = t.newDatagram()
	}
	i, out := d.place(p, t.cfg.MaxFragments)
	if out == Held {
		out = t.room(d, p.end-p.off)
	}
	if out != Held {
		if fresh {
			t.putSpare(d)
		} else if out != Duplicate {
			t.drop(d)
			t.cnt.killed++
		}
		return 0, Verdict{Outcome: out}
	}
	if fresh {
		if len(t.byKey) >= t.cfg.MaxDatagrams {
			t.evict(t.oldest)
		}
		d.key, d.born = k, now
		t.byKey[k] = d
		t.link(d)
	}
	d.insert(i, p, t.pool.get(p.end-p.off))
	t.frags++
	if !d.complete() {
		return 0, Verdict{Outcome: Held}
	}
	var n int
	if cap(dst) < d.hlen+d.end {
		out = ShortBuffer
	} else {
		n, out = d.assemble(dst[:cap(dst)])
	}
	v := Verdict{Outcome: out}
	if out == Complete {
		v.MaxFragSize = d.maxFrag
	} else {
		t.cnt.killed++
	}
	t.drop(d)
	return n, v
}

// newDatagram returns an empty datagram, a spare one when there is one.
func (t *Table) newDatagram() *datagram {
	d := t.spare
	if d == nil {
		return &datagram{}
	}
	t.spare = d.older
	d.older = nil
	return d
}

// putSpare keeps d, empty and out of the table, for reuse. Spares number
// at most MaxDatagrams+1, as they once were all in use.
func (t *Table) putSpare(d *datagram) {
	d.reset(&t.pool)
	d.older = t.spare
	t.spare = d
}

// drop removes d from the table and frees its state.
func (t *Table) drop(d *datagram) {
	delete(t.byKey, d.key)
	t.unlink(d)
	t.frags -= len(d.frags)
	t.putSpare(d)
}
