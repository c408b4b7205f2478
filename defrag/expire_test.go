package defrag

import (
	"testing"
	"time"
)

func TestExpire(t *testing.T) {
	sec := int64(time.Second)
	first := func(id uint16) []byte { return frag(t, id, id, 0, 8, true) }
	last := func(id uint16) []byte { return frag(t, id, id, 8, 8, false) }
	t.Run("default 30 s", func(t *testing.T) {
		tab := New(Config{})
		feed(t, tab, 0, t0, first(1))
		feed(t, tab, 0, t0+10*sec, first(2))
		if n := tab.Expire(t0 + 30*sec - 1); n != 0 {
			t.Fatalf("expired %d before 30 s", n)
		}
		if n := tab.Expire(t0 + 30*sec); n != 1 {
			t.Fatalf("expired %d at 30 s, want 1", n)
		}
		if _, v := tab.Add(last(1), 0, t0+30*sec, nil); v.Outcome != Held {
			t.Errorf("expired datagram's last fragment: %v, want held", v.Outcome)
		}
		if n := tab.Expire(t0 + 40*sec); n != 1 {
			t.Fatalf("expired %d at 40 s, want 1", n)
		}
		s := tab.Stats()
		if s.TimedOut != 2 || s.Datagrams != 1 || s.HeldBytes != 64 {
			t.Errorf("%d timed out, %d datagrams, %d bytes; want 2, 1, 64", s.TimedOut, s.Datagrams, s.HeldBytes)
		}
		invariants(t, tab)
	})
	t.Run("configured", func(t *testing.T) {
		tab := New(Config{Timeout: 5 * time.Second})
		feed(t, tab, 0, t0, first(1))
		if n := tab.Expire(t0 + 5*sec); n != 1 {
			t.Fatalf("expired %d at 5 s, want 1", n)
		}
	})
	t.Run("completes just in time", func(t *testing.T) {
		tab := New(Config{})
		if _, v := feed(t, tab, 0, t0, first(1)); v.Outcome != Held {
			t.Fatal(v.Outcome)
		}
		if _, v := tab.Add(last(1), 0, t0+30*sec-1, make([]byte, 100)); v.Outcome != Complete {
			t.Fatalf("%v, want complete", v.Outcome)
		}
	})
	t.Run("late fragment without Expire", func(t *testing.T) {
		tab := New(Config{})
		feed(t, tab, 0, t0, first(1))
		if _, v := tab.Add(last(1), 0, t0+30*sec, make([]byte, 100)); v.Outcome != Held {
			t.Fatalf("%v, want held in a new datagram", v.Outcome)
		}
		s := tab.Stats()
		if s.TimedOut != 1 || s.Datagrams != 1 || s.HeldFragments != 1 {
			t.Errorf("%d timed out, %d datagrams, %d fragments; want 1, 1, 1", s.TimedOut, s.Datagrams, s.HeldFragments)
		}
		// The new datagram times out 30 s after its own first fragment.
		if n := tab.Expire(t0 + 59*sec); n != 0 {
			t.Errorf("expired %d, want 0", n)
		}
		invariants(t, tab)
	})
	t.Run("never completed", func(t *testing.T) {
		tab := New(Config{})
		f := split(t, udpDatagram(t, 4, nil, 5000), 1480, nil)
		now := t0
		for _, i := range []int{3, 0, 2} { // 1 never comes
			feed(t, tab, 0, now, f[i])
			now += 9 * sec
		}
		if n := tab.Expire(now); n != 0 {
			t.Fatalf("expired %d at 27 s", n)
		}
		if n := tab.Expire(now + 3*sec); n != 1 {
			t.Fatalf("expired %d at 30 s, want 1", n)
		}
		if s := tab.Stats(); s.Datagrams != 0 || s.HeldBytes != 0 || s.HeldFragments != 0 || s.TimedOut != 1 {
			t.Errorf("after: %+v", s)
		}
	})
}
