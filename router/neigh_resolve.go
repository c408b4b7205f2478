package router

// Resolve decides what to do with item, a frame for neighbour ip on iface
// (the next hop: the gateway, or the destination when on-link). The steps:
//
//  1. Hit path, no lock: a REACHABLE neighbour confirmed less than
//     ReachableTime ago, or one being PROBEd, gives Send with its MAC.
//  2. Otherwise, under the lock:
//     - unknown: a new INCOMPLETE entry (evicting a FAILED or STALE one when
//     the table is full, else TableFull) holds item: QueueAndRequest;
//     - INCOMPLETE: item joins the queue (the oldest is pushed out past
//     MaxQueue and returned as Dropped): Queued;
//     - STALE, or REACHABLE past its time: now PROBE, SendAndProbe;
//     - FAILED within FailedHold: Unreachable; after it, resolution starts
//     again as for an unknown neighbour.
//
// item belongs to the cache only for QueueAndRequest and Queued.
func (c *Cache[T]) Resolve(iface int, ip [4]byte, item T, now int64) Decision[T] {
	key := neighKey(iface, ip)
	if n := c.find(key); n != nil {
		w := n.word.Load()
		switch State(w >> 48) {
		case StateReachable:
			if now-n.confirmed.Load() < c.reachable {
				_, mac := unpackWord(w)
				return Decision[T]{Action: Send, MAC: mac}
			}
		case StateProbe:
			_, mac := unpackWord(w)
			return Decision[T]{Action: Send, MAC: mac}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.find(key)
	if n == nil {
		if !c.makeRoom(now) {
			c.stats.tableFull.Add(1)
			return Decision[T]{Action: TableFull}
		}
		n = &neighbour[T]{key: key}
		c.insert(n)
		return c.startResolution(n, item, now)
	}
	st, mac := unpackWord(n.word.Load())
	switch st {
	case StateIncomplete:
		return c.enqueue(n, item)
	case StateReachable:
		if now-n.confirmed.Load() < c.reachable {
			return Decision[T]{Action: Send, MAC: mac}
		}
		fallthrough
	case StateStale:
		c.set(n, StateProbe, mac, now)
		n.probes = 1
		n.next = now + c.retrans
		c.stats.probes.Add(1)
		return Decision[T]{Action: SendAndProbe, MAC: mac}
	case StateProbe:
		return Decision[T]{Action: Send, MAC: mac}
	default: // StateFailed
		if now < n.next {
			c.stats.unreachable.Add(1)
			return Decision[T]{Action: Unreachable}
		}
		return c.startResolution(n, item, now)
	}
}

// startResolution makes n INCOMPLETE holding item, the first request sent.
func (c *Cache[T]) startResolution(n *neighbour[T], item T, now int64) Decision[T] {
	c.set(n, StateIncomplete, [6]byte{}, now)
	n.probes = 1
	n.next = now + c.retrans
	if n.queue == nil {
		n.queue = make([]T, 0, c.cfg.MaxQueue)
	}
	n.queue = append(n.queue[:0], item)
	c.stats.requests.Add(1)
	return Decision[T]{Action: QueueAndRequest}
}

// enqueue adds item to n's queue, pushing out the oldest when full.
func (c *Cache[T]) enqueue(n *neighbour[T], item T) Decision[T] {
	d := Decision[T]{Action: Queued}
	if len(n.queue) >= c.cfg.MaxQueue {
		d.Dropped, d.HasDropped = n.queue[0], true
		copy(n.queue, n.queue[1:])
		var zero T
		n.queue[len(n.queue)-1] = zero
		n.queue = n.queue[:len(n.queue)-1]
		c.stats.queueOverflow.Add(1)
	}
	n.queue = append(n.queue, item)
	return d
}

// takeQueue appends n's queued items to out and empties the queue, keeping
// its storage and clearing it so the items are not kept alive.
func (n *neighbour[T]) takeQueue(out []T) []T {
	out = append(out, n.queue...)
	clear(n.queue)
	n.queue = n.queue[:0]
	return out
}

// makeRoom makes sure one more neighbour fits: when the table is full it
// evicts a FAILED neighbour, else the STALE one (or REACHABLE past its
// time) changed longest ago. INCOMPLETE, PROBE and fresh REACHABLE
// neighbours are never evicted. The walk goes in order of last change, so
// under a flood of new senders the victim is the first one looked at.
// Under mu.
func (c *Cache[T]) makeRoom(now int64) bool {
	if c.count < c.cfg.MaxEntries {
		return true
	}
	var victim *neighbour[T]
	for n := c.order.newer; n != &c.order; n = n.newer {
		st := n.state()
		if st == StateFailed {
			victim = n
			break
		}
		if c.failed > 0 || victim != nil {
			continue
		}
		if st == StateStale || st == StateReachable && now-n.confirmed.Load() >= c.reachable {
			victim = n
			if c.failed == 0 {
				break
			}
		}
	}
	if victim == nil {
		return false
	}
	c.remove(victim)
	c.stats.evicted.Add(1)
	return true
}

// Lookup returns the neighbour's MAC and state without changing anything
// (for trace dry runs and show). A REACHABLE neighbour past its time is
// reported STALE.
func (c *Cache[T]) Lookup(iface int, ip [4]byte, now int64) (mac [6]byte, st State) {
	n := c.find(neighKey(iface, ip))
	if n == nil {
		return mac, StateNone
	}
	st, mac = unpackWord(n.word.Load())
	if st == StateReachable && now-n.confirmed.Load() >= c.reachable {
		st = StateStale
	}
	return mac, st
}
