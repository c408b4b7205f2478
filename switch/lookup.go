package l2switch

// Lookup returns the Decision that Forward would return for the same frame
// at now, its Learn result included, and changes nothing: no entry is
// learned, refreshed, moved or evicted and no counter moves. It is the dry
// run behind `neutrino trace`.
//
// It follows Forward step by step, including what learning would do to the
// destination lookup (a frame from a MAC to itself, an entry the new MAC
// would evict, a sweep that would make room). Another goroutine forwarding
// meanwhile may of course change the answer. Lookup takes shard locks where
// Forward's learning would, so it is not for the hot path.
func (s *Switch) Lookup(in PortID, lvid uint16, dst, src *MAC, now int64) Decision {
	if lvid-1 >= MaxLVID {
		return Decision{Action: Drop, Drop: DropInvalidVLAN}
	}
	if src[0]&1 != 0 {
		return Decision{Action: Drop, Drop: DropMulticastSource}
	}
	ms := millis(now)

	var d Decision
	skey := fdbKey(lvid, src)
	var gone uint64 // the key learning would evict
	d.Learn, gone = s.wouldLearn(in, skey, mix(skey), ms)
	if d.Learn == LearnLimitReached {
		d.Drop = DropMACLimit
		return d
	}

	if dst[0]&1 != 0 {
		d.Action = Flood
		return d
	}
	dkey := fdbKey(lvid, dst)
	switch {
	case dkey == skey && d.Learn != LearnTableFull:
		// Forward finds the entry it has just written (or left fresh).
		d.Drop = DropSamePort
		return d
	case dkey == gone:
		d.Action = Flood
		return d
	}
	return s.toDestination(d, in, dkey, ms)
}

// wouldLearn is learnSlow without writes: what learning key -> in at ms
// would do, and the key it would evict (0 for none).
func (s *Switch) wouldLearn(in PortID, key, h uint64, ms int64) (LearnResult, uint64) {
	r, gone := s.wouldLearnOnce(in, key, h, ms, false)
	if r != LearnLimitReached && r != LearnTableFull || !s.sweepWouldRun(ms) {
		return r, gone
	}
	// Forward would expire aged entries and try again: that frees the
	// port's quota if it owns an aged entry, and a place in the table if
	// any entry has aged.
	owner := -1
	if r == LearnLimitReached {
		owner = int(in)
	}
	if !s.anyAged(ms, owner) {
		return r, gone
	}
	if r == LearnTableFull {
		return LearnNew, 0
	}
	// The port's own aged entry goes; learning may then still need a
	// place in the table.
	return s.wouldLearnOnce(in, key, h, ms, true)
}

// wouldLearnOnce is learn without writes. freed says a sweep has removed
// an aged entry of the port, giving it quota and the table a free place.
func (s *Switch) wouldLearnOnce(in PortID, key, h uint64, ms int64, freed bool) (LearnResult, uint64) {
	sh := s.shardOf(h)
	if v, ok := sh.get(key, h); ok && valPort(v) == in && valAge(ms, v) < s.refreshMS {
		return LearnNone, 0 // Forward's fast path: nothing to write
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.tab.Load()
	i, found := t.find(key, h)
	if !found {
		if freed {
			return LearnNew, 0
		}
		if !s.couldAcquire(in) {
			return LearnLimitReached, 0
		}
		gone, ok := s.admit(sh, ms, false)
		if !ok {
			return LearnTableFull, 0
		}
		return LearnNew, gone
	}
	v := t.slots[i].val.Load()
	age := valAge(ms, v)
	expired := age >= s.agingMS
	if valPort(v) == in {
		switch {
		case age < s.refreshMS:
			return LearnNone, 0
		case expired:
			return LearnNew, 0
		}
		return LearnRefreshed, 0
	}
	if !freed && !s.couldAcquire(in) {
		return LearnLimitReached, 0
	}
	if expired {
		return LearnNew, 0
	}
	return LearnMoved, 0
}

// couldAcquire is acquire without writes.
func (s *Switch) couldAcquire(p PortID) bool {
	ps := *s.ports.Load()
	if s.limit < 0 || int(p) >= len(ps) || ps[p].unlimited.Load() {
		return true
	}
	return ps[p].macs.Load() < s.limit
}

// sweepWouldRun is sweepDue without claiming the sweep.
func (s *Switch) sweepWouldRun(ms int64) bool {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	return !s.sweptAny || ms-s.lastSweep >= s.refreshMS
}

// anyAged reports whether some entry has aged out at ms; of port owner,
// when owner >= 0.
func (s *Switch) anyAged(ms int64, owner int) bool {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		t := sh.tab.Load()
		for j := range t.slots {
			if t.slots[j].key.Load() == 0 {
				continue
			}
			v := t.slots[j].val.Load()
			if valAge(ms, v) >= s.agingMS && (owner < 0 || int(valPort(v)) == owner) {
				sh.mu.Unlock()
				return true
			}
		}
		sh.mu.Unlock()
	}
	return false
}
