package defrag

// The table keeps its datagrams in a list by age, oldest first: Expire
// stops at the first that is young enough, and eviction takes the oldest.

// link appends d, the newest datagram, to the age list.
func (t *Table) link(d *datagram) {
	d.older, d.newer = t.newest, nil
	if t.newest != nil {
		t.newest.newer = d
	} else {
		t.oldest = d
	}
	t.newest = d
}

// unlink takes d out of the age list.
func (t *Table) unlink(d *datagram) {
	if d.older != nil {
		d.older.newer = d.newer
	} else {
		t.oldest = d.newer
	}
	if d.newer != nil {
		d.newer.older = d.older
	} else {
		t.newest = d.older
	}
	d.older, d.newer = nil, nil
}

// expired reports whether d has waited Timeout or longer at now.
func (t *Table) expired(d *datagram, now int64) bool { return now-d.born >= t.timeout }
