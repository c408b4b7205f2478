package router

// Tick runs the cache's timers at now. It appends to reqs the ARP requests
// to send (retries of INCOMPLETE neighbours, broadcast; probes of PROBE
// neighbours, unicast) and to dropped the queued items of neighbours whose
// resolution just failed: they now belong to the caller, which answers
// each with ICMP host unreachable (rate-limited) and frees it. A neighbour
// that ran out of retries becomes FAILED for FailedHold and is then
// removed. Call it every RetransTime or more often; timers fire late by at
// most the interval.
func (c *Cache[T]) Tick(now int64, reqs []Request, dropped []T) ([]Request, []T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.each(func(n *neighbour[T]) {
		st, mac := unpackWord(n.word.Load())
		if now < n.next {
			return
		}
		switch st {
		case StateIncomplete, StateProbe:
			if n.probes < c.cfg.Retries {
				n.probes++
				n.next = now + c.retrans
				iface, ip := keyParts(n.key)
				r := Request{Iface: iface, IP: ip}
				if st == StateProbe {
					r.MAC = mac
					c.stats.probes.Add(1)
				} else {
					c.stats.requests.Add(1)
				}
				reqs = append(reqs, r)
				return
			}
			c.stats.failed.Add(1)
			c.stats.unreachable.Add(uint64(len(n.queue)))
			dropped = n.takeQueue(dropped)
			c.set(n, StateFailed, [6]byte{}, now)
			n.next = now + c.hold
		case StateFailed:
			c.remove(n)
			c.stats.expired.Add(1)
		}
	})
	return reqs, dropped
}

// Neighbour is one entry of the cache as show neighbors prints it.
type Neighbour struct {
	Iface  int
	IP     [4]byte
	MAC    [6]byte
	State  State
	Queued int // frames waiting (INCOMPLETE)
}

// Entries returns the neighbours held at now, in no particular order. A
// REACHABLE neighbour past its time is reported STALE.
func (c *Cache[T]) Entries(now int64) []Neighbour {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Neighbour, 0, c.count)
	c.each(func(n *neighbour[T]) {
		iface, ip := keyParts(n.key)
		st, mac := unpackWord(n.word.Load())
		if st == StateReachable && now-n.confirmed.Load() >= c.reachable {
			st = StateStale
		}
		out = append(out, Neighbour{Iface: iface, IP: ip, MAC: mac, State: st, Queued: len(n.queue)})
	})
	return out
}
