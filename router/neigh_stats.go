package router

import "sync/atomic"

// NeighStats counts what the neighbour cache did, one counter per reason.
type NeighStats struct {
	Entries       int    // neighbours held now
	Requests      uint64 // broadcast ARP requests asked for (first and retries)
	Probes        uint64 // unicast ARP requests asked for (stale neighbours in use)
	Resolved      uint64 // INCOMPLETE neighbours that got a MAC
	Failed        uint64 // resolutions or probes that ran out of retries
	Unreachable   uint64 // frames refused or dropped because their neighbour failed
	QueueOverflow uint64 // queued frames pushed out by newer ones (per-neighbour cap)
	TableFull     uint64 // frames or learnings refused: table full, nothing evictable
	Evicted       uint64 // FAILED or STALE neighbours removed to make room
	Expired       uint64 // FAILED neighbours removed after their hold time
	LearnedReply  uint64 // neighbours confirmed by an ARP reply
	LearnedReq    uint64 // neighbours created or updated from a request to the router
	Changed       uint64 // known neighbours whose MAC changed
	Unsolicited   uint64 // replies for addresses the router did not ask about (ignored)
	Bogus         uint64 // ARP senders with a group MAC or a zero/group IP (ignored)
}

// counters are the cache's counters; all are written under Cache.mu and
// read by Stats without it.
type counters struct {
	requests, probes, resolved, failed, unreachable, queueOverflow, tableFull,
	evicted, expired, learnedReply, learnedReq, changed, unsolicited, bogus atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (c *Cache[T]) Stats() NeighStats {
	c.mu.Lock()
	n := c.count
	c.mu.Unlock()
	s := &c.stats
	return NeighStats{
		Entries: n, Requests: s.requests.Load(), Probes: s.probes.Load(),
		Resolved: s.resolved.Load(), Failed: s.failed.Load(), Unreachable: s.unreachable.Load(),
		QueueOverflow: s.queueOverflow.Load(), TableFull: s.tableFull.Load(), Evicted: s.evicted.Load(),
		Expired: s.expired.Load(), LearnedReply: s.learnedReply.Load(), LearnedReq: s.learnedReq.Load(),
		Changed: s.changed.Load(), Unsolicited: s.unsolicited.Load(), Bogus: s.bogus.Load(),
	}
}
