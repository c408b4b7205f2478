package router

// Learn takes what an ARP packet on iface says about its sender (ip is at
// mac) and appends to out the items that were waiting for ip, now to be
// sent to mac. The caller checks that ip belongs on iface's subnet. As
// Linux's arp_process and neigh_update:
//
//   - a group MAC, a zero MAC, or a zero, multicast or broadcast ip is
//     ignored (Bogus);
//   - HeardReply makes a known neighbour REACHABLE (from any state) and
//     ignores an unknown one (Unsolicited);
//   - HeardRequest creates an unknown neighbour as STALE, or updates a known
//     one (an INCOMPLETE one becomes STALE; a changed MAC makes it STALE);
//   - HeardOther updates a known neighbour only, as HeardRequest does.
func (c *Cache[T]) Learn(iface int, ip [4]byte, mac [6]byte, ev Evidence, now int64, out []T) []T {
	if mac[0]&1 != 0 || mac == ([6]byte{}) || ip == ([4]byte{}) || ip[0] >= 224 {
		c.stats.bogus.Add(1)
		return out
	}
	key := neighKey(iface, ip)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.find(key)
	if n == nil {
		switch ev {
		case HeardReply:
			c.stats.unsolicited.Add(1)
		case HeardRequest:
			if !c.makeRoom(now) {
				c.stats.tableFull.Add(1)
				return out
			}
			n = &neighbour[T]{key: key}
			c.insert(n)
			c.set(n, StateStale, mac, now)
			c.stats.learnedReq.Add(1)
		}
		return out
	}
	st, old := unpackWord(n.word.Load())
	if st == StateIncomplete {
		c.stats.resolved.Add(1)
		out = n.takeQueue(out)
	} else if old != mac {
		c.stats.changed.Add(1)
	}
	switch {
	case ev == HeardReply:
		n.confirmed.Store(now)
		c.set(n, StateReachable, mac, now)
		n.probes = 0
		c.stats.learnedReply.Add(1)
	case st == StateIncomplete || st == StateFailed || old != mac:
		c.set(n, StateStale, mac, now)
		n.probes = 0
		if ev == HeardRequest {
			c.stats.learnedReq.Add(1)
		}
	}
	return out
}
