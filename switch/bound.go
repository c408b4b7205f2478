package l2switch

// The table bound (Config.MaxEntries). A count of entries shared by all
// shards admits a new MAC while the table has room. When it is full, the
// new MAC takes the place of a victim, searched first in its own shard and
// then, without ever blocking on a lock, in the others:
//
//   - an entry that has aged out (lookups already ignore it) goes first;
//   - else the least recently refreshed of a sample of evictSample entries
//     learned on ports without a per-port limit (uplinks, SetUnlimited):
//     a sweep that resumes where the last one stopped, like a clock hand,
//     so an approximate LRU at O(1) per eviction;
//   - entries of limited ports (VMs) are never evicted: their ports'
//     quotas already bound them.
//
// The own shard's victim is taken when it has one (the common case: a
// table filled by an uplink has uplink entries in every shard); else the
// oldest of the other shards' victims. With no victim anywhere the MAC is
// not learned (LearnTableFull) and the other shards are not searched again
// for one refresh interval, so a table full of VM entries costs each new
// MAC one shard scan, not 64.

// evictSample is how many candidate entries a victim search compares.
const evictSample = 8

// admit makes room for one new entry in sh at ms: it reserves a place in
// the count, or evicts a victim and takes its place. With commit false it
// only says whether it could, and which key would go (0 for none). The
// caller holds sh.mu.
func (s *Switch) admit(sh *shard, ms int64, commit bool) (gone uint64, ok bool) {
	if !commit {
		if s.maxEntries < 0 || s.count.Load() < s.maxEntries {
			return 0, true
		}
	} else if s.reserve() {
		return 0, true
	}
	if k, ok := s.evictIn(sh, ms, commit); ok {
		return k, true
	}
	if ms < s.noVictim.Load() {
		return 0, false
	}
	// The shard whose victim is the oldest goes, among those not locked
	// by another writer.
	var best *shard
	bestAge := int64(-1 << 63)
	for i := range s.shards {
		o := &s.shards[i]
		if o == sh || !o.mu.TryLock() {
			continue
		}
		t := o.tab.Load()
		if j, _, ok := s.victim(t, ms, o.evictAt); ok {
			if age := valAge(ms, t.slots[j].val.Load()); age > bestAge {
				best, bestAge = o, age
			}
		}
		o.mu.Unlock()
	}
	if best != nil && best.mu.TryLock() {
		k, ok := s.evictIn(best, ms, commit)
		best.mu.Unlock()
		if ok {
			return k, true
		}
	}
	if commit && best == nil {
		s.noVictim.Store(ms + s.refreshMS)
	}
	return 0, false
}

// reserve counts one more entry, unless the table is full.
func (s *Switch) reserve() bool {
	if s.maxEntries < 0 {
		s.count.Add(1)
		return true
	}
	for {
		c := s.count.Load()
		if c >= s.maxEntries {
			return false
		}
		if s.count.CompareAndSwap(c, c+1) {
			return true
		}
	}
}

// evictIn removes sh's victim (with commit false, only finds it) and
// returns its key. Its place in the count passes to the entry that evicted
// it. The caller holds sh.mu.
func (s *Switch) evictIn(sh *shard, ms int64, commit bool) (uint64, bool) {
	t := sh.tab.Load()
	i, next, ok := s.victim(t, ms, sh.evictAt)
	if !ok {
		return 0, false
	}
	k, v := t.slots[i].key.Load(), t.slots[i].val.Load()
	if !commit {
		return k, true
	}
	sh.evictAt = next
	s.release(valPort(v))
	sh.seq.Add(1)
	t.deleteAt(i)
	sh.seq.Add(1)
	s.gen.Add(1) // after the entry is gone: a cache that read Gen before a lookup that found it sees the change
	sh.n--
	if valAge(ms, v) >= s.agingMS {
		sh.aged.Add(1)
	} else {
		sh.evicted.Add(1)
	}
	return k, true
}

// victim picks the entry of t to evict at ms, scanning from start: the
// first aged entry met, or the oldest of the first evictSample entries of
// unlimited ports. next is where the following search should start.
func (s *Switch) victim(t *table, ms int64, start uint64) (i, next uint64, ok bool) {
	ports := *s.ports.Load()
	bestAge := int64(-1 << 63)
	seen := 0
	for n := uint64(0); n <= t.mask; n++ {
		j := (start + n) & t.mask
		k := t.slots[j].key.Load()
		if k == 0 {
			continue
		}
		v := t.slots[j].val.Load()
		age := valAge(ms, v)
		if age >= s.agingMS {
			return j, j + 1, true
		}
		if p := valPort(v); s.limit >= 0 && (int(p) >= len(ports) || !ports[p].unlimited.Load()) {
			continue
		}
		if age > bestAge {
			bestAge, i, ok = age, j, true
		}
		if seen++; seen == evictSample {
			return i, j + 1, true
		}
	}
	return i, i + 1, ok
}
