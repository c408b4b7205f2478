package conntrack

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"neutrino/packet/header"
)

// TestHitCacheSameVerdicts runs one random stream of packets (a few
// connections, TCP with every flag mix, UDP, ICMP, both directions, a
// clock moving on by random steps) through a table with a HitCache in
// front and through one without, with and without loose pickup: every
// verdict must be the same, and so must the tables' contents at the end.
// Two more tables take the way of a flow cache: a packet whose FlowKey
// has a Pin (taken from their HitCache after an earlier packet) that
// Holds is answered ESTABLISHED by the pin alone, without the table;
// their verdicts and contents must be the same too.
func TestHitCacheSameVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cached, plain := New(Config{TCPLoose: true}), New(Config{TCPLoose: true})
	strictCached, strictPlain := New(Config{}), New(Config{})
	pinned, strictPinned := New(Config{TCPLoose: true}), New(Config{})
	var h, hStrict, hPinned, hStrictPinned HitCache
	type pinKey struct {
		k0, k1 uint64
		zone   uint16
	}
	pins, strictPins := map[pinKey]Pin{}, map[pinKey]Pin{}
	pinHits := 0
	now := t0
	flagSets := []uint8{fSYN, fSYN | fACK, fACK, fACK, fACK, fACK | fPSH, fFIN | fACK, fRST, 0, fPSH}
	for i := 0; i < 200000; i++ {
		if rng.IntN(32) == 0 {
			now += int64(rng.IntN(3000)) * 1e6
		}
		c := rng.IntN(4)
		src, dst := cliIP, srvIP
		sp, dp := uint16(40000+c), uint16(80)
		if rng.IntN(2) == 0 {
			src, dst, sp, dp = dst, src, dp, sp
		}
		var f []byte
		switch rng.IntN(3) {
		case 0:
			f = tcpFrame(src, dst, sp, dp, flagSets[rng.IntN(len(flagSets))])
		case 1:
			f = udpFrame(src, dst, sp, dp)
		default:
			typ := uint8(header.ICMPv4Echo)
			if rng.IntN(2) == 0 {
				typ = header.ICMPv4EchoReply
			}
			f = echoFrame(src, dst, typ, uint16(c))
		}
		var l header.Layout
		header.Parse(f, &l)
		zone := uint16(rng.IntN(2))
		strict := rng.IntN(2) == 0
		var a, b, pv Verdict
		ct, pt, hc := cached, plain, &h
		pnt, hp, pm := pinned, &hPinned, pins
		if strict {
			ct, pt, hc = strictCached, strictPlain, &hStrict
			pnt, hp, pm = strictPinned, &hStrictPinned, strictPins
		}
		hit := hc.Hit(f, &l, zone, 0, now)
		ct.TrackCached(hc, &a, f, &l, zone, 0, now)
		b = pt.Track(f, &l, zone, now)
		if hit && b.State != StateEstablished {
			t.Fatalf("packet %d: Hit, but the table says %v/%v", i, b.State, b.Reason)
		}
		if a.State != b.State || a.Dir != b.Dir || a.Reason != b.Reason {
			t.Fatalf("packet %d: cached %v/%v/%v, plain %v/%v/%v", i, a.State, a.Dir, a.Reason, b.State, b.Dir, b.Reason)
		}
		k0, k1, fok := FlowKey(f, &l)
		pk := pinKey{k0, k1, zone}
		if p, ok := pm[pk]; fok && ok && p.Holds(Millis(now)) {
			if b.State != StateEstablished {
				t.Fatalf("packet %d: a pin holds, but the table says %v/%v", i, b.State, b.Reason)
			}
			pinHits++
		} else {
			pnt.TrackCached(hp, &pv, f, &l, zone, 0, now)
			if pv.State != b.State || pv.Dir != b.Dir || pv.Reason != b.Reason {
				t.Fatalf("packet %d: pinned %v/%v/%v, plain %v/%v/%v", i, pv.State, pv.Dir, pv.Reason, b.State, b.Dir, b.Reason)
			}
			if p, ok := hp.Pin(f, &l, zone, 0, now); fok && ok {
				pm[pk] = p
			}
		}
		if a.State == StateNew && !a.Conn.Valid() && rng.IntN(2) == 0 {
			ct.Commit(&a, now)
			pt.Commit(&b, now)
			pnt.Commit(&pv, now)
		}
		if rng.IntN(1000) == 0 {
			for _, t := range []*Table{cached, plain, strictCached, strictPlain, pinned, strictPinned} {
				t.Expire(now, 1<<20)
			}
		}
	}
	if h.hits+hStrict.hits < 10000 {
		t.Errorf("only %d packets answered from the caches", h.hits+hStrict.hits)
	}
	if pinHits < 10000 {
		t.Errorf("only %d packets answered by pins", pinHits)
	}
	if a, b := dump(pinned, now), dump(plain, now); a != b {
		t.Errorf("pinned table differs:\npinned:\n%s\nplain:\n%s", a, b)
	}
	if a, b := dump(strictPinned, now), dump(strictPlain, now); a != b {
		t.Errorf("pinned table without loose pickup differs:\npinned:\n%s\nplain:\n%s", a, b)
	}
	if a, b := dump(cached, now), dump(plain, now); a != b {
		t.Errorf("tables differ:\ncached:\n%s\nplain:\n%s", a, b)
	}
	if a, b := dump(strictCached, now), dump(strictPlain, now); a != b {
		t.Errorf("tables without loose pickup differ:\ncached:\n%s\nplain:\n%s", a, b)
	}
}

// dump returns the table's connections, sorted.
func dump(t *Table, now int64) string {
	var lines []string
	t.Each(now, func(i Info) bool {
		lines = append(lines, Format(i))
		return true
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestTrackDry: a dry verdict is the one Track gives right after, and a
// dry run changes nothing in the table (states, stamps, counters).
func TestTrackDry(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tab := New(Config{TCPLoose: true})
	now := t0
	for i := 0; i < 50000; i++ {
		now += int64(rng.IntN(50)) * 1e6
		f, l := randomPacket(rng)
		before, stats := dump(tab, now), tab.Stats()
		d := tab.TrackDry(f, &l, 0, now)
		if after := dump(tab, now); after != before || tab.Stats() != stats {
			t.Fatalf("packet %d: a dry run changed the table:\n%s\n---\n%s", i, before, after)
		}
		v := tab.Track(f, &l, 0, now)
		if d.State != v.State || d.Dir != v.Dir || d.Reason != v.Reason {
			t.Fatalf("packet %d: dry %v/%v/%v, real %v/%v/%v", i, d.State, d.Dir, d.Reason, v.State, v.Dir, v.Reason)
		}
		if v.State == StateNew && !v.Conn.Valid() {
			tab.Commit(&v, now)
		}
	}
}
