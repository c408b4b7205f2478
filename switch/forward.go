package l2switch

// Action is what the datapath does with a frame.
type Action uint8

const (
	// Drop: discard the frame; Decision.Drop says why.
	Drop Action = iota
	// Unicast: send the frame out Decision.Port only.
	Unicast
	// Flood: send the frame to FloodPorts(lvid) except the ingress port.
	Flood
)

var actionNames = [...]string{Drop: "drop", Unicast: "unicast", Flood: "flood"}

// String returns "drop", "unicast" or "flood".
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "action_unknown"
}

// LearnResult says what Forward did with the frame's source MAC.
type LearnResult uint8

const (
	// LearnNone: nothing was written (a fresh entry on this port, or a
	// frame dropped before learning).
	LearnNone LearnResult = iota
	// LearnNew: a new entry (or one that had aged out) now points here.
	LearnNew
	// LearnRefreshed: the entry's timestamp was renewed.
	LearnRefreshed
	// LearnMoved: the MAC moved here from another port.
	LearnMoved
	// LearnLimitReached: the port owns its maximum of MACs; the frame is
	// dropped (DropMACLimit).
	LearnLimitReached
	// LearnTableFull: the table holds Config.MaxEntries entries and none
	// could make room; the MAC is not learned, the frame goes on.
	LearnTableFull
)

var learnNames = [...]string{
	LearnNone:         "none",
	LearnNew:          "new",
	LearnRefreshed:    "refreshed",
	LearnMoved:        "moved",
	LearnLimitReached: "limit_reached",
	LearnTableFull:    "table_full",
}

// String returns the result's snake_case name.
func (r LearnResult) String() string {
	if int(r) < len(learnNames) {
		return learnNames[r]
	}
	return "learn_unknown"
}

// DropReason says why Forward dropped a frame. Its String is a stable
// counter name.
type DropReason uint8

const (
	DropNone            DropReason = iota
	DropMulticastSource            // source MAC has the I/G bit set
	DropSamePort                   // destination was learned on the ingress port
	DropMACLimit                   // the ingress port owns MaxMACsPerPort MACs
	DropInvalidVLAN                // lvid outside 1..MaxLVID (0, or 4095 dead port)

	// NumDropReasons sizes per-reason counter arrays.
	NumDropReasons = iota
)

var dropNames = [...]string{
	DropNone:            "none",
	DropMulticastSource: "multicast_source",
	DropSamePort:        "same_port",
	DropMACLimit:        "mac_limit",
	DropInvalidVLAN:     "invalid_vlan",
}

// String returns the reason's counter name, e.g. "same_port".
func (r DropReason) String() string {
	if int(r) < len(dropNames) {
		return dropNames[r]
	}
	return "drop_unknown"
}

// Decision is Forward's verdict on one frame.
type Decision struct {
	Action Action
	Port   PortID      // the egress port when Action is Unicast
	Learn  LearnResult // what happened to the source MAC
	Drop   DropReason  // why, when Action is Drop
}

// Forward decides one frame's fate. now is Unix nanoseconds; the datapath
// reads its clock once per batch. dst and src are read, never kept.
//
//  1. lvid outside 1..MaxLVID: drop (DropInvalidVLAN).
//  2. Multicast or broadcast source: drop (DropMulticastSource).
//  3. Learn (lvid, src) -> in, unless the entry already points at in and was
//     refreshed within the refresh interval; a port at its limit: drop
//     (DropMACLimit); a full table: evict, or go on without learning.
//  4. Multicast or broadcast destination: Flood.
//  5. (lvid, dst) unknown or aged: Flood; learned on in: drop
//     (DropSamePort); else Unicast to its port.
//
// Forward allocates nothing (except when a new MAC makes its shard's table
// grow, or a port at its limit triggers a sweep that shrinks one) and, for
// a source MAC already learned on in, writes no shared memory more than
// once per refresh interval. On a full table, learning a new MAC costs a
// sampled search for the entry to evict (BenchmarkForwardEvict).
func (s *Switch) Forward(in PortID, lvid uint16, dst, src *MAC, now int64) Decision {
	if lvid-1 >= MaxLVID { // also catches 0
		return Decision{Action: Drop, Drop: DropInvalidVLAN}
	}
	if src[0]&1 != 0 {
		return Decision{Action: Drop, Drop: DropMulticastSource}
	}
	ms := millis(now)

	var d Decision
	skey := fdbKey(lvid, src)
	shash := mix(skey)
	v, ok := s.shardOf(shash).get(skey, shash)
	if !ok || valPort(v) != in || valAge(ms, v) >= s.refreshMS {
		d.Learn = s.learnSlow(in, skey, shash, now, ms)
		if d.Learn == LearnLimitReached {
			d.Drop = DropMACLimit
			return d
		}
	}

	if dst[0]&1 != 0 {
		d.Action = Flood
		return d
	}
	// The destination lookup is toDestination's, written out: this is the
	// forwarding hot path, and the call costs a tenth of Forward.
	dkey := fdbKey(lvid, dst)
	dh := mix(dkey)
	v, ok = s.shardOf(dh).get(dkey, dh)
	if !ok || valAge(ms, v) >= s.agingMS {
		d.Action = Flood
		return d
	}
	if p := valPort(v); p != in {
		d.Action = Unicast
		d.Port = p
		return d
	}
	d.Drop = DropSamePort
	return d
}

// toDestination completes d with the lookup of the destination key dkey at
// ms: Flood when unknown or aged, Unicast to its port, or DropSamePort
// when it was learned on in.
func (s *Switch) toDestination(d Decision, in PortID, dkey uint64, ms int64) Decision {
	dh := mix(dkey)
	v, ok := s.shardOf(dh).get(dkey, dh)
	if !ok || valAge(ms, v) >= s.agingMS {
		d.Action = Flood
		return d
	}
	if p := valPort(v); p != in {
		d.Action = Unicast
		d.Port = p
		return d
	}
	d.Drop = DropSamePort
	return d
}

// learnSlow writes (key -> in) and handles a port at its limit or a full
// table: it sweeps aged entries (at most once per refresh interval) and
// tries once more, and counts the drop if the port is still full.
func (s *Switch) learnSlow(in PortID, key, h uint64, now, ms int64) LearnResult {
	r := s.learn(in, key, h, ms)
	if r != LearnLimitReached && r != LearnTableFull {
		return r
	}
	if s.sweepDue(ms) && s.Expire(now) > 0 {
		r = s.learn(in, key, h, ms)
	}
	switch r {
	case LearnLimitReached:
		s.port(in).limitDrops.Add(1)
	case LearnTableFull:
		s.shardOf(h).tableFull.Add(1)
	}
	return r
}

// learn records key -> in at time ms under the shard lock.
func (s *Switch) learn(in PortID, key, h uint64, ms int64) LearnResult {
	sh := s.shardOf(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()

	t := sh.tab.Load()
	i, found := t.find(key, h)
	if !found {
		if !s.acquire(in) {
			return LearnLimitReached
		}
		if _, ok := s.admit(sh, ms, true); !ok {
			s.release(in)
			return LearnTableFull
		}
		sh.insert(key, h, packVal(in, ms))
		sh.learned.Add(1)
		return LearnNew
	}

	v := t.slots[i].val.Load()
	age := valAge(ms, v)
	expired := age >= s.agingMS
	old := valPort(v)
	if old == in {
		if age < s.refreshMS {
			return LearnNone // another goroutine refreshed it first
		}
		t.slots[i].val.Store(packVal(in, ms))
		if expired {
			sh.aged.Add(1)
			sh.learned.Add(1)
			return LearnNew
		}
		return LearnRefreshed
	}
	if !s.acquire(in) {
		return LearnLimitReached
	}
	s.release(old)
	t.slots[i].val.Store(packVal(in, ms))
	s.gen.Add(1)
	if expired {
		sh.aged.Add(1)
		sh.learned.Add(1)
		return LearnNew
	}
	sh.moved.Add(1)
	return LearnMoved
}

// sweepDue reports whether a limit-triggered sweep may run at ms, and if so
// claims it.
func (s *Switch) sweepDue(ms int64) bool {
	s.sweepMu.Lock()
	defer s.sweepMu.Unlock()
	if s.sweptAny && ms-s.lastSweep < s.refreshMS {
		return false
	}
	s.sweptAny, s.lastSweep = true, ms
	return true
}
