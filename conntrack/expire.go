package conntrack

// Expire removes connections that timed out (or were killed) by now,
// looking at no more than budget slots per call, and returns how many it
// removed. A cursor remembers where it stopped, so periodic calls sweep the
// whole table a slice at a time: no goroutine, no timer per connection.
// Lookups already treat a timed out connection as gone; Expire gives its
// memory and its place under MaxEntries back. Calls are serialized.
func (t *Table) Expire(now int64, budget int) int {
	t.expMu.Lock()
	defer t.expMu.Unlock()
	ms := millis(now)
	victims := t.scratch[:0]
	si, pos := int(t.expAt>>32), t.expAt&0xffffffff
	for visited := 0; budget > 0 && visited <= numShards; {
		sh := &t.shards[si]
		tab := sh.tab.Load()
		n := uint64(len(tab.s))
		for ; pos < n && budget > 0; pos++ {
			budget--
			s := &tab.s[pos]
			if s.w1.Load() == 0 {
				continue
			}
			r := slotRef(s.ref.Load())
			if refDir(r) != Original {
				continue
			}
			w := t.connOf(r).word.Load()
			if wGen(w) == refGen(r) && w&fUsed != 0 && !t.timeout.live(w, ms) {
				victims = append(victims, r)
			}
		}
		if pos >= n {
			// One full sweep (the first shard again from its start)
			// is enough for one call.
			si, pos = (si+1)%numShards, 0
			visited++
		}
	}
	t.expAt = uint64(si)<<32 | pos
	removed := 0
	for _, r := range victims {
		if t.remove(r, removeIfNotLive, ms, homeSlot{}) {
			removed++
		}
	}
	t.scratch = victims[:0]
	if removed > 0 {
		for i := range t.shards {
			sh := &t.shards[i]
			if sh.mu.TryLock() {
				sh.shrink(&t.seed)
				sh.mu.Unlock()
			}
		}
	}
	return removed
}
