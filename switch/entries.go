package l2switch

import (
	"bytes"
	"cmp"
	"slices"
	"time"
)

// Entry is one learned MAC, as `show fdb` prints it (OVS fdb/show).
type Entry struct {
	Port PortID
	LVID uint16
	MAC  MAC
	Age  time.Duration // since the entry was last refreshed, 1 ms resolution
}

// Entries lists the live entries at now, sorted by port, lvid and MAC.
// Entries that have aged out but were not yet removed are left out.
func (s *Switch) Entries(now int64) []Entry {
	var out []Entry
	s.Each(now, func(e Entry) bool {
		out = append(out, e)
		return true
	})
	slices.SortFunc(out, cmpEntry)
	return out
}

// cmpEntry orders entries by port, lvid and MAC.
func cmpEntry(a, b Entry) int {
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.LVID, b.LVID); c != 0 {
		return c
	}
	return bytes.Compare(a.MAC[:], b.MAC[:])
}

// Each calls f for every live entry at now, in no particular order, until
// f returns false. It builds no list of the table: it copies one shard's
// entries at a time (a few thousand at most, see Config.MaxEntries) and
// calls f with no lock held, so f may take its time (write to a socket)
// while learning goes on. An entry learned, moved or removed meanwhile may
// be seen in either state, or, when it changes shard position, not at all.
func (s *Switch) Each(now int64, f func(Entry) bool) {
	ms := millis(now)
	var buf []Entry
	for i := range s.shards {
		buf = s.shards[i].live(buf[:0], ms, s.agingMS)
		for _, e := range buf {
			if !f(e) {
				return
			}
		}
	}
}

// live appends sh's entries younger than agingMS at ms to buf.
func (sh *shard) live(buf []Entry, ms, agingMS int64) []Entry {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.tab.Load()
	for j := range t.slots {
		k := t.slots[j].key.Load()
		if k == 0 {
			continue
		}
		v := t.slots[j].val.Load()
		age := valAge(ms, v)
		if age >= agingMS {
			continue
		}
		lvid, mac := splitKey(k)
		buf = append(buf, Entry{
			Port: valPort(v),
			LVID: lvid,
			MAC:  mac,
			Age:  time.Duration(max(age, 0)) * time.Millisecond,
		})
	}
	return buf
}

// Expire removes the entries that have aged out at now and returns how many.
// The datapath calls it periodically (every few seconds is plenty: lookups
// already ignore aged entries; Expire gives their slots and quota back).
func (s *Switch) Expire(now int64) int {
	ms := millis(now)
	return s.removeAll(func(_, v uint64) bool { return valAge(ms, v) >= s.agingMS }, true)
}

// FlushPort forgets every entry learned on p, e.g. when the port is deleted
// or its network changes. Frames to those MACs are flooded until relearned.
func (s *Switch) FlushPort(p PortID) {
	s.removeAll(func(_, v uint64) bool { return valPort(v) == p }, false)
}

// removeAll deletes the entries matching drop from every shard, releases
// their quota and counts them as aged or as flushed.
func (s *Switch) removeAll(drop func(k, v uint64) bool, aging bool) int {
	var scratch []uint64
	gone := func(v uint64) { s.release(valPort(v)) }
	total := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n := sh.removeIf(&scratch, drop, gone)
		s.count.Add(int64(-n))
		if n > 0 {
			s.gen.Add(1)
		}
		sh.shrink()
		if aging {
			sh.aged.Add(uint64(n))
		} else {
			sh.flushed.Add(uint64(n))
		}
		sh.mu.Unlock()
		total += n
	}
	return total
}
