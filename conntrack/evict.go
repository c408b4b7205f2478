package conntrack

// evictSample is how many slots early drop looks at per shard from its
// cursor, like the few buckets Linux's early_drop samples; it moves on to
// the next shards (at most evictShards in all) only when a shard has no
// candidate, which matters in small tables.
const (
	evictSample = 128
	evictShards = numShards
)

// earlyDrop makes room in a full table by removing the first connection of
// the sample that is timed out or not ASSURED (unreplied, or a TCP
// handshake not completed). ASSURED connections, the
// established ones, are never evicted. The sample starts in shard first.
// It reports whether it removed one.
func (t *Table) earlyDrop(first int, ms int64) bool {
	for k := 0; k < evictShards; k++ {
		sh := &t.shards[(first+k)%numShards]
		if r, ok := t.candidate(sh, ms); ok {
			return t.remove(r, removeIfUnassured, ms)
		}
	}
	return false
}

// candidate looks at the next evictSample slots of sh for a connection to
// evict.
func (t *Table) candidate(sh *shard, ms int64) (uint64, bool) {
	tab := sh.tab.Load()
	scan := min(uint64(len(tab.s)), evictSample)
	start := sh.evictAt.Add(scan) - scan
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
		if w&fAssured == 0 || !t.timeout.live(w, ms) {
			return r, true // the first one, as Linux's early_drop_list
		}
	}
	return 0, false
}
