package conntrack

// DeleteIf removes every live connection for which f returns true and
// returns how many it removed: what conntrack -D does with a filter, and
// what a reload does when a floating IP, a security group rule or a port
// goes. It may run while packets are tracked; a connection created
// meanwhile may or may not be looked at.
func (t *Table) DeleteIf(now int64, f func(Info) bool) int {
	var doomed []Key
	t.Each(now, func(i Info) bool {
		if f(i) {
			doomed = append(doomed, i.Orig)
		}
		return true
	})
	n := 0
	for _, k := range doomed {
		if r, _, ok := t.Lookup(k, now); ok && t.Delete(r) {
			n++
		}
	}
	return n
}
