package conntrack

import "sync/atomic"

// Reason is why a packet is INVALID. The values and their names are
// stable: the datapath counts drops per reason.
type Reason uint8

// The reasons a packet is INVALID.
const (
	ReasonNone          Reason = iota // not invalid
	ReasonNotIPv4                     // not an IPv4 packet
	ReasonFragment                    // a fragment other than the first: no ports
	ReasonTruncated                   // L4 header missing or cut short
	ReasonTCPFlags                    // a TCP flag combination no segment may carry (SYN+FIN, no flag, FIN without ACK...)
	ReasonTCPNoSYN                    // a TCP segment without SYN and no connection (no loose pickup)
	ReasonTCPState                    // a TCP segment no state of its connection allows
	ReasonICMPNoConn                  // an echo reply without its request
	ReasonICMPType                    // an ICMP type that is neither echo nor an error
	ReasonICMPDirection               // an echo request in the reply direction or a reply in the original
	ReasonRelatedNoConn               // an ICMP error about no known connection
	ReasonRelatedBad                  // an ICMP error whose embedded packet is cut short or untrackable
	ReasonContended                   // other packets of its connection kept changing it (8 retries)
	NumReasons
)

var reasonNames = [NumReasons]string{
	"none", "not_ipv4", "fragment", "truncated", "tcp_flags", "tcp_no_syn", "tcp_state",
	"icmp_no_conn", "icmp_type", "icmp_direction", "related_no_conn", "related_bad", "contended",
}

func (r Reason) String() string {
	if r < NumReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Refusal is why a new connection was not created.
type Refusal uint8

// The reasons a Commit fails.
const (
	RefusedNone      Refusal = iota // created (or found)
	RefusedTableFull                // at MaxEntries and nothing could be evicted
	RefusedClash                    // the reply tuple belongs to another connection (NAT must pick another)
	RefusedNotNew                   // the verdict was not NEW
	NumRefusals
)

var refusalNames = [NumRefusals]string{"none", "table_full", "clash", "not_new"}

func (r Refusal) String() string {
	if r < NumRefusals {
		return refusalNames[r]
	}
	return "unknown"
}

// counters are one shard's event counters. Connection events are counted
// in the shard of the connection's original tuple, invalid packets in the
// shard their tuple hashes to (shard 0 when there is none), so that no
// counter is one cache line every core writes.
//
// A connection is only created or removed under its shard's mutex, so its
// events are plain counts under that mutex: an atomic add is a locked
// instruction, and a new connection in a full table would pay two.
type counters struct {
	inserted, expired, evicted, killed, deleted uint64 // under the shard's mu
	refused                                     [NumRefusals]atomic.Uint64
	invalid                                     [NumReasons]atomic.Uint64
}

// Stats is a snapshot of the table's counters.
type Stats struct {
	Entries  int    // connections in the table, timed out ones until Expire removes them
	Max      int    // the bound
	Inserted uint64 // connections created
	Expired  uint64 // removed after their timeout
	Evicted  uint64 // removed live by early drop to make room
	Killed   uint64 // ended by a packet (RST before a reply, reopened TIME_WAIT) and removed
	Deleted  uint64 // removed by Delete
	Refused  [NumRefusals]uint64
	Invalid  [NumReasons]uint64
}

// Stats sums the counters.
func (t *Table) Stats() Stats {
	s := Stats{Entries: int(t.total.Load()), Max: int(t.max.Load())}
	for i := range t.shards {
		sh := &t.shards[i]
		c := &sh.cnt
		sh.mu.Lock()
		s.Inserted += c.inserted
		s.Expired += c.expired
		s.Evicted += c.evicted
		s.Killed += c.killed
		s.Deleted += c.deleted
		sh.mu.Unlock()
		for j := range c.refused {
			s.Refused[j] += c.refused[j].Load()
		}
		for j := range c.invalid {
			s.Invalid[j] += c.invalid[j].Load()
		}
	}
	return s
}

// Counts are the live connections by protocol and state, for
// `show conntrack --count` and the metrics.
type Counts struct {
	Total     int
	TCP       [numTCPStates]int // by TCP state
	UDP       int
	ICMP      int
	Other     int
	Unreplied int // no reply seen yet
	Assured   int
}

// Count walks the table (lock-free, as Each) and counts the connections
// live at now by state. It costs one pass over the table.
func (t *Table) Count(now int64) Counts {
	var c Counts
	ms := millis(now)
	for si := range t.shards {
		tab := t.shards[si].tab.Load()
		for i := range tab.s {
			s := &tab.s[i]
			if s.w1.Load() == 0 {
				continue
			}
			r := slotRef(s.ref.Load())
			if refDir(r) != Original {
				continue
			}
			w := t.connOf(r).word.Load()
			if wGen(w) != refGen(r) || !t.timeout.live(w, ms) {
				continue
			}
			c.Total++
			switch wClass(w) {
			case classTCP:
				c.TCP[wState(w)]++
			case classUDP:
				c.UDP++
			case classICMP:
				c.ICMP++
			default:
				c.Other++
			}
			if w&fSeenReply == 0 {
				c.Unreplied++
			}
			if w&fAssured != 0 {
				c.Assured++
			}
		}
	}
	return c
}
