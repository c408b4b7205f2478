package l2switch

import "sync/atomic"

// Stats is a snapshot of the switch's counters.
type Stats struct {
	MACs       int    // entries in the table, aged ones included until removed
	Learned    uint64 // entries created (including re-learned after aging)
	Moved      uint64 // MACs that moved to another port
	Aged       uint64 // entries that aged out
	Flushed    uint64 // entries removed by FlushPort or SetMembership
	LimitDrops uint64 // frames dropped with DropMACLimit, all ports
	Evicted    uint64 // live entries replaced by a new MAC because the table was full
	TableFull  uint64 // MACs not learned: the table was full and nothing could go

	// Ports is indexed by PortID and covers every port seen so far.
	Ports []PortStats
}

// PortStats are one port's counters.
type PortStats struct {
	MACs       int    // entries owned by the port (counted against its limit)
	LimitDrops uint64 // frames dropped with DropMACLimit on this port
}

// portState is a port's quota and drop counter. Each lives on its own cache
// line: the owner count is updated from any shard's writer and the drop
// counter by the port's ingress goroutine.
type portState struct {
	macs       atomic.Int64
	limitDrops atomic.Uint64
	unlimited  atomic.Bool // SetUnlimited: the switch's limit does not apply
	_          [40]byte
}

// port returns p's state, growing the table of ports when p is new.
func (s *Switch) port(p PortID) *portState {
	if ps := *s.ports.Load(); int(p) < len(ps) {
		return ps[p]
	}
	s.portsMu.Lock()
	defer s.portsMu.Unlock()
	ps := *s.ports.Load()
	if int(p) < len(ps) {
		return ps[p]
	}
	// Exactly p+1: ports are few and appear once each, and Stats reports
	// len(ports) of them.
	grown := make([]*portState, int(p)+1)
	copy(grown, ps)
	for i := len(ps); i < len(grown); i++ {
		grown[i] = new(portState)
	}
	s.ports.Store(&grown)
	return grown[p]
}

// acquire counts one more entry against p, unless p is at its limit.
func (s *Switch) acquire(p PortID) bool {
	ps := s.port(p)
	if s.limit < 0 || ps.unlimited.Load() {
		ps.macs.Add(1)
		return true
	}
	for {
		c := ps.macs.Load()
		if c >= s.limit {
			return false
		}
		if ps.macs.CompareAndSwap(c, c+1) {
			return true
		}
	}
}

// SetUnlimited exempts port p from MaxMACsPerPort (on) or puts it under
// it again (off): a trunk towards a physical network (an uplink) may have
// any number of hosts behind it, where a VM's port has a handful.
func (s *Switch) SetUnlimited(p PortID, on bool) { s.port(p).unlimited.Store(on) }

// release gives back one entry of p's quota.
func (s *Switch) release(p PortID) { s.port(p).macs.Add(-1) }

// Stats returns the counters. It takes no lock, so under traffic the totals
// may be a few events apart from each other.
func (s *Switch) Stats() Stats {
	var st Stats
	for i := range s.shards {
		sh := &s.shards[i]
		st.Learned += sh.learned.Load()
		st.Moved += sh.moved.Load()
		st.Aged += sh.aged.Load()
		st.Flushed += sh.flushed.Load()
		st.Evicted += sh.evicted.Load()
		st.TableFull += sh.tableFull.Load()
	}
	ps := *s.ports.Load()
	st.Ports = make([]PortStats, len(ps))
	for i := range st.Ports {
		st.Ports[i] = PortStats{MACs: int(ps[i].macs.Load()), LimitDrops: ps[i].limitDrops.Load()}
		st.MACs += st.Ports[i].MACs
		st.LimitDrops += st.Ports[i].LimitDrops
	}
	return st
}
