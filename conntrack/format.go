package conntrack

import (
	"net/netip"
	"strconv"
)

// Info is one connection as `conntrack -L` shows it.
type Info struct {
	Proto    uint8    // IP protocol number
	Timeout  int64    // seconds left before it times out
	TCPState TCPState // TCP only
	Orig     Key      // original tuple
	Reply    Key      // reply tuple
	Replied  bool     // a reply was seen (else [UNREPLIED])
	Assured  bool     // [ASSURED]
	Zone     uint16
}

// ProtoName returns the protocol's name as conntrack prints it.
func (i *Info) ProtoName() string {
	switch i.Proto {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	}
	return "unknown"
}

// Info returns what Each would show of the connection r, and false if it
// is gone or timed out.
func (t *Table) Info(r Ref, now int64) (Info, bool) {
	if r.c == nil {
		return Info{}, false
	}
	return t.info(r.c, refGen(r.ref), millis(now))
}

func (t *Table) info(c *conn, gen uint32, ms int64) (Info, bool) {
	o0, o1 := c.o0.Load(), c.o1.Load()
	r0, r1 := c.r0.Load(), c.r1.Load()
	w := c.word.Load()
	if wGen(w) != gen || !t.timeout.live(w, ms) {
		return Info{}, false
	}
	i := Info{
		Orig:    unpack(o0, o1),
		Reply:   unpack(r0, r1),
		Timeout: (t.timeout.of(w) - ageMS(ms, w)) / 1000,
		Replied: w&fSeenReply != 0,
		Assured: w&fAssured != 0,
	}
	i.Proto, i.Zone = i.Orig.Proto, i.Orig.Zone
	if wClass(w) == classTCP {
		i.TCPState = wState(w)
	}
	return i, true
}

// Each calls f for every live connection at now until f returns false. It
// takes no lock and may run while packets are tracked: a connection created
// or removed meanwhile may or may not be seen. For a streamed
// `show conntrack`.
func (t *Table) Each(now int64, f func(Info) bool) {
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
			if info, ok := t.info(t.connOf(r), refGen(r), ms); ok && !f(info) {
				return
			}
		}
	}
}

// Format returns i in conntrack -L's words, e.g.
//
//	tcp 6 431999 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1234 dport=80 src=10.0.0.2 dst=10.0.0.1 sport=80 dport=1234 [ASSURED] zone=3
func Format(i Info) string { return string(AppendFormat(nil, i)) }

// AppendFormat appends Format(i) to b.
func AppendFormat(b []byte, i Info) []byte {
	b = append(b, i.ProtoName()...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(i.Proto), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, i.Timeout, 10)
	if i.Proto == 6 {
		b = append(b, ' ')
		b = append(b, i.TCPState.String()...)
	}
	b = appendTuple(b, &i.Orig, 8)
	if !i.Replied {
		b = append(b, " [UNREPLIED]"...)
	}
	b = appendTuple(b, &i.Reply, 0)
	if i.Assured {
		b = append(b, " [ASSURED]"...)
	}
	if i.Zone != 0 {
		b = append(b, " zone="...)
		b = strconv.AppendUint(b, uint64(i.Zone), 10)
	}
	return b
}

// appendTuple appends " src=... dst=..." and the ports, or for ICMP the
// type (icmpType), code and id.
func appendTuple(b []byte, k *Key, icmpType int) []byte {
	b = append(b, " src="...)
	b = netip.AddrFrom4(k.Src).AppendTo(b)
	b = append(b, " dst="...)
	b = netip.AddrFrom4(k.Dst).AppendTo(b)
	switch k.Proto {
	case 6, 17:
		b = append(b, " sport="...)
		b = strconv.AppendUint(b, uint64(k.SPort), 10)
		b = append(b, " dport="...)
		b = strconv.AppendUint(b, uint64(k.DPort), 10)
	case 1:
		b = append(b, " type="...)
		b = strconv.AppendInt(b, int64(icmpType), 10)
		b = append(b, " code=0 id="...)
		b = strconv.AppendUint(b, uint64(k.SPort), 10)
	}
	return b
}
