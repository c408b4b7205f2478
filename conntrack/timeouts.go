package conntrack

import "time"

// Timeouts are how long a connection lives without packets, per protocol
// and state. The zero value of a field means Linux's default
// (nf_conntrack_proto_tcp.c, _udp.c, _icmp.c, _generic.c).
type Timeouts struct {
	TCPSynSent     time.Duration // 120 s
	TCPSynRecv     time.Duration // 60 s
	TCPEstablished time.Duration // 432000 s (5 days)
	TCPFinWait     time.Duration // 120 s
	TCPCloseWait   time.Duration // 60 s
	TCPLastAck     time.Duration // 30 s
	TCPTimeWait    time.Duration // 120 s
	TCPClose       time.Duration // 10 s
	TCPSynSent2    time.Duration // 120 s
	// Linux caps the timeout of a connection with unacknowledged data or
	// too many retransmissions at these; they need sequence tracking,
	// which this package does not do yet, so they are unused for now.
	TCPUnacknowledged time.Duration // 300 s
	TCPRetrans        time.Duration // 300 s

	UDPUnreplied time.Duration // 30 s
	UDPReplied   time.Duration // 120 s, once a reply was seen (assured)
	ICMP         time.Duration // 30 s
	Generic      time.Duration // 600 s, other IP protocols
}

// DefaultTimeouts returns Linux's default timeouts.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		TCPSynSent:        120 * time.Second,
		TCPSynRecv:        60 * time.Second,
		TCPEstablished:    432000 * time.Second,
		TCPFinWait:        120 * time.Second,
		TCPCloseWait:      60 * time.Second,
		TCPLastAck:        30 * time.Second,
		TCPTimeWait:       120 * time.Second,
		TCPClose:          10 * time.Second,
		TCPSynSent2:       120 * time.Second,
		TCPUnacknowledged: 300 * time.Second,
		TCPRetrans:        300 * time.Second,
		UDPUnreplied:      30 * time.Second,
		UDPReplied:        120 * time.Second,
		ICMP:              30 * time.Second,
		Generic:           600 * time.Second,
	}
}

// withDefaults fills the zero fields of t.
func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	for _, p := range []struct{ v, def *time.Duration }{
		{&t.TCPSynSent, &d.TCPSynSent}, {&t.TCPSynRecv, &d.TCPSynRecv},
		{&t.TCPEstablished, &d.TCPEstablished}, {&t.TCPFinWait, &d.TCPFinWait},
		{&t.TCPCloseWait, &d.TCPCloseWait}, {&t.TCPLastAck, &d.TCPLastAck},
		{&t.TCPTimeWait, &d.TCPTimeWait}, {&t.TCPClose, &d.TCPClose},
		{&t.TCPSynSent2, &d.TCPSynSent2}, {&t.TCPUnacknowledged, &d.TCPUnacknowledged},
		{&t.TCPRetrans, &d.TCPRetrans}, {&t.UDPUnreplied, &d.UDPUnreplied},
		{&t.UDPReplied, &d.UDPReplied}, {&t.ICMP, &d.ICMP}, {&t.Generic, &d.Generic},
	} {
		if *p.v <= 0 {
			*p.v = *p.def
		}
	}
	return t
}

// timeoutTable holds the timeouts in ms, indexed for the state word: TCP
// states 0..15 of classTCP, then the other classes.
type timeoutTable struct {
	tcp                      [16]int64
	udpUnreplied, udpReplied int64
	icmp, generic            int64
}

func (t Timeouts) table() timeoutTable {
	ms := func(d time.Duration) int64 { return d.Milliseconds() }
	var tt timeoutTable
	tt.tcp[TCPSynSent] = ms(t.TCPSynSent)
	tt.tcp[TCPSynRecv] = ms(t.TCPSynRecv)
	tt.tcp[TCPEstablished] = ms(t.TCPEstablished)
	tt.tcp[TCPFinWait] = ms(t.TCPFinWait)
	tt.tcp[TCPCloseWait] = ms(t.TCPCloseWait)
	tt.tcp[TCPLastAck] = ms(t.TCPLastAck)
	tt.tcp[TCPTimeWait] = ms(t.TCPTimeWait)
	tt.tcp[TCPClose] = ms(t.TCPClose)
	tt.tcp[TCPSynSent2] = ms(t.TCPSynSent2)
	tt.udpUnreplied = ms(t.UDPUnreplied)
	tt.udpReplied = ms(t.UDPReplied)
	tt.icmp = ms(t.ICMP)
	tt.generic = ms(t.Generic)
	return tt
}

// of returns the timeout in ms of a conn whose state word is w.
func (tt *timeoutTable) of(w uint64) int64 {
	switch wClass(w) {
	case classTCP:
		return tt.tcp[wState(w)]
	case classUDP:
		if w&fSeenReply != 0 {
			return tt.udpReplied
		}
		return tt.udpUnreplied
	case classICMP:
		return tt.icmp
	}
	return tt.generic
}

// live reports whether a conn with state word w is in use, not killed and
// not timed out at ms.
func (tt *timeoutTable) live(w uint64, ms int64) bool {
	return w&(fUsed|fDead) == fUsed && ageMS(ms, w) < tt.of(w)
}

// refreshMS is how old a stamp must be before a packet that changes
// nothing else rewrites it: the hot path then writes at most once a second
// per connection. A connection may thus time out up to this much before
// its full timeout has passed since its last packet.
const refreshMS = 1000
