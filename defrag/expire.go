package defrag

// Expire drops the datagrams that have waited Timeout or longer at now and
// returns how many. Add also drops an expired datagram when one of its
// fragments comes late, so Expire only gives memory back sooner; call it
// every second or so. No ICMP time exceeded (fragment reassembly) is
// sent: for conntrack's reassembly queues Linux's ip_expire sends one only
// when the datagram was addressed to the host itself (RFC 792 leaves it to
// the end host), which is the business of whoever delivers such datagrams
// locally, not of the tracker; the sender's stack times out the same way.
func (t *Table) Expire(now int64) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for t.oldest != nil && t.expired(t.oldest, now) {
		t.drop(t.oldest)
		n++
	}
	t.cnt.timedOut += uint64(n)
	return n
}
