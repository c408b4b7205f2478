package conntrack

import (
	"testing"
	"time"

	"neutrino/packet/header"
)

// FuzzTrack feeds arbitrary frames (parsed by header.Parse) through a small
// table, committing every NEW packet and expiring as the clock moves:
// nothing may panic, the bound holds and the counters add up.
func FuzzTrack(f *testing.F) {
	syn := tcpFrame(cliIP, srvIP, 40000, 80, fSYN)
	f.Add(syn, uint16(0), uint8(0))
	f.Add(tcpFrame(srvIP, cliIP, 80, 40000, fSYN|fACK), uint16(0), uint8(1))
	f.Add(udpFrame(cliIP, srvIP, 1, 2), uint16(3), uint8(40))
	f.Add(echoFrame(cliIP, srvIP, header.ICMPv4Echo, 1), uint16(0), uint8(0))
	f.Add(icmpErrorFrame(rtrIP, cliIP, 3, 4, syn, 28), uint16(0), uint8(0))
	f.Add(icmpErrorFrame(rtrIP, cliIP, 11, 0, syn, 12), uint16(0), uint8(200))
	f.Add(frame(cliIP, srvIP, 47, nil), uint16(9), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, zone uint16, step uint8) {
		tab := New(Config{MaxEntries: 16, TCPLoose: step&1 != 0})
		now := t0
		// The frame, then variations of it: its own reply direction
		// and every single flag byte, so that short inputs still walk
		// the state machines.
		frames := [][]byte{data}
		var l header.Layout
		if header.Parse(data, &l) == header.OK && l.Flags&header.IsIPv4 != 0 {
			rev := append([]byte(nil), data...)
			ip := rev[l.L3:]
			copy(ip[12:16], data[l.L3+16:l.L3+20])
			copy(ip[16:20], data[l.L3+12:l.L3+16])
			if l.Flags&header.HasL4 != 0 && (l.Proto == header.ProtoTCP || l.Proto == header.ProtoUDP) {
				copy(rev[l.L4:l.L4+2], data[l.L4+2:l.L4+4])
				copy(rev[l.L4+2:l.L4+4], data[l.L4:l.L4+2])
			}
			frames = append(frames, rev, data, rev, data)
		}
		for i, fr := range frames {
			var l header.Layout
			if header.Parse(fr, &l) != header.OK {
				continue
			}
			v := tab.Track(fr, &l, zone, now)
			if v.State == StateNew {
				tab.Commit(&v, now)
			}
			if v.State == StateRelated && !v.Conn.Valid() {
				t.Fatal("RELATED without a connection")
			}
			now += int64(time.Duration(step) * time.Second / 4)
			if i%2 == 1 {
				tab.Expire(now, int(step))
			}
		}
		s := tab.Stats()
		if s.Entries > 16 || s.Entries < 0 {
			t.Fatalf("%d entries", s.Entries)
		}
		if got := int(s.Inserted - s.Expired - s.Evicted - s.Killed - s.Deleted); got != s.Entries {
			t.Fatalf("inserted-removed %d != entries %d: %+v", got, s.Entries, s)
		}
		n := 0
		tab.Each(now, func(i Info) bool {
			n++
			_ = Format(i)
			return true
		})
		if n > s.Entries {
			t.Fatalf("Each saw %d, entries %d", n, s.Entries)
		}
		tab.Expire(now+int64(433000*time.Second), 1<<20)
		if s := tab.Stats(); s.Entries != 0 {
			t.Fatalf("%d entries left after everything timed out", s.Entries)
		}
	})
}
