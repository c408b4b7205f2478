package dhcp

// ReleasePort removes every lease, offer included, that the port named
// name holds, as Neutron's DHCP agent forgets a deleted port's host entry:
// its addresses are free at once. It returns how many it removed.
func (l *Leases) ReleasePort(name string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	id, ok := l.portIDs[name]
	if !ok || id == 0 {
		return 0
	}
	n := 0
	for i := range l.recs {
		r := &l.recs[i]
		if r.port == id && (r.kind == kindOffered || r.kind == kindPool || r.kind == kindStatic) {
			l.remove(int32(i))
			n++
		}
	}
	return n
}
