package conntrack

// evictSample is how many slots early drop looks at in a shard, like the
// few buckets Linux's early_drop samples. It looks first where the new
// connection's original tuple hashes, as Linux does: the lookup that
// missed has just read those slots, so the sample costs no cache miss of
// its own. Only when that sample has no candidate does it move on to the
// other shards (at most evictShards in all, each from a cursor of its
// own), which matters in small tables.
const (
	evictSample = 128
	evictShards = numShards
)

// earlyDrop makes room in a full table by removing the first connection of
// the sample that is timed out or not ASSURED (unreplied, or a TCP
// handshake not completed). ASSURED connections, the established ones, are
// never evicted. The sample starts at the home slot of hash h, the new
// connection's. It reports whether it removed one, whose place under the
// bound is then the caller's. also is a slot the caller asks for with the
// victim's (see remove).
func (t *Table) earlyDrop(h uint64, ms int64, also homeSlot) bool {
	sh, first := t.shardOf(h)
	tab := sh.tab.Load()
	if r, ok := t.candidate(tab, tab.home(h), ms); ok {
		return t.remove(r, removeIfUnassured, ms, also)
	}
	for k := 1; k < evictShards; k++ {
		sh := &t.shards[(first+k)%numShards]
		tab := sh.tab.Load()
		scan := min(uint64(len(tab.s)), evictSample)
		if r, ok := t.candidate(tab, sh.evictAt.Add(scan)-scan, ms); ok {
			return t.remove(r, removeIfUnassured, ms, also)
		}
	}
	return false
}

// candidate looks at evictSample slots of tab from start on (all of them
// in a smaller table) for a connection to evict.
func (t *Table) candidate(tab *slots, start uint64, ms int64) (uint64, bool) {
	scan := min(uint64(len(tab.s)), evictSample)
	for k := uint64(0); k < scan; k++ {
		s := &tab.s[(start+k)&tab.mask]
		if s.w1.Load() == 0 {
			continue
		}
		r := slotRef(s.ref.Load())
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
