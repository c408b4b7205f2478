package conntrack

// evictSample is how many slots early drop looks at from its cursor, like
// the few buckets Linux's early_drop samples.
const evictSample = 128

// earlyDrop makes room in a full table by removing one connection found
// among the next evictSample slots of sh: a timed out or killed one if any,
// else one that is not ASSURED (unreplied, or replied only once). ASSURED
// connections, the established ones, are never evicted. It reports whether
// it removed one.
func (t *Table) earlyDrop(sh *shard, ms int64) bool {
	tab := sh.tab.Load()
	n := uint64(len(tab.s))
	scan := min(n, evictSample)
	start := sh.evictAt.Add(scan) - scan
	var victim uint64
	found := false
	for k := uint64(0); k < scan; k++ {
		s := &tab.s[(start+k)&tab.mask]
		if s.w1.Load() == 0 {
			continue
		}
		r := s.ref.Load()
		if refDir(r) != Original {
			continue // each connection once
		}
		w := t.connOf(r).word.Load()
		if wGen(w) != refGen(r) || w&fUsed == 0 {
			continue
		}
		if !t.timeout.live(w, ms) {
			victim, found = r, true
			break
		}
		if w&fAssured == 0 && !found {
			victim, found = r, true
		}
	}
	return found && t.remove(victim, removeIfUnassured, ms)
}
