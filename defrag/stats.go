package defrag

// counters are the table's event counters, under its mutex.
type counters struct {
	fragments                 [NumOutcomes]uint64
	killed, timedOut, evicted uint64
}

// Stats is a snapshot of a table's counters and occupancy.
type Stats struct {
	Fragments [NumOutcomes]uint64 // fragments given to Add, by outcome
	Killed    uint64              // datagrams dropped by one of their fragments (any outcome but Held, Complete, Duplicate, NotFragment)
	TimedOut  uint64              // datagrams dropped after waiting Timeout (Linux's ReasmTimeout)
	Evicted   uint64              // datagrams dropped to make room for others

	Datagrams     int // datagrams waiting now
	HeldFragments int // fragments held for them
	HeldBytes     int // capacity of the buffers holding those fragments
	IdleBytes     int // capacity of the free buffers kept for reuse; HeldBytes+IdleBytes <= MaxBytes
}

// Stats returns the counters and what the table holds now.
func (t *Table) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{
		Fragments:     t.cnt.fragments,
		Killed:        t.cnt.killed,
		TimedOut:      t.cnt.timedOut,
		Evicted:       t.cnt.evicted,
		Datagrams:     len(t.byKey),
		HeldFragments: t.frags,
		HeldBytes:     t.pool.held,
		IdleBytes:     t.pool.idle,
	}
}
