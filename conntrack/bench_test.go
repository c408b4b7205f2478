package conntrack

import (
	"testing"

	"neutrino/packet/header"
)

// fill commits n TCP connections and returns their keys.
func fill(b *testing.B, tab *Table, n int) []Key {
	keys := make([]Key, n)
	for i := range keys {
		keys[i] = Key{Src: [4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}, Dst: srvIP, SPort: uint16(i), DPort: 443, Proto: 6}
		v := NewVerdict(keys[i], t0)
		v.init = packWord(millis(t0), TCPEstablished, fSeenReply|fAssured, classTCP, 0)
		if _, why := tab.Commit(&v, t0); why != RefusedNone {
			b.Fatal(why)
		}
	}
	return keys
}

func BenchmarkLookupHit(b *testing.B) {
	tab := New(Config{})
	keys := fill(b, tab, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, ok := tab.Lookup(keys[i%len(keys)], t0); !ok {
			b.Fatal("miss")
		}
	}
}

func BenchmarkTrackEstablished(b *testing.B) {
	for _, n := range []int{1000, 1000000} {
		b.Run(itoa(n), func(b *testing.B) {
			tab := New(Config{MaxEntries: n})
			keys := fill(b, tab, n)
			const nf = 1024
			frames := make([][]byte, nf)
			lays := make([]header.Layout, nf)
			for i := range frames {
				k := keys[i*(n/nf)%n]
				frames[i] = tcpFrame(k.Src, k.Dst, k.SPort, k.DPort, fACK|fPSH)
				header.Parse(frames[i], &lays[i])
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i & (nf - 1)
				if v := tab.Track(frames[j], &lays[j], 0, t0); v.State != StateEstablished {
					b.Fatal(v.State, v.Reason)
				}
			}
		})
	}
}

func BenchmarkTrackEstablishedParallel(b *testing.B) {
	tab := New(Config{})
	keys := fill(b, tab, 100000)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		frames := make([][]byte, 256)
		lays := make([]header.Layout, 256)
		for i := range frames {
			k := keys[(i*389)%len(keys)]
			frames[i] = tcpFrame(k.Src, k.Dst, k.SPort, k.DPort, fACK)
			header.Parse(frames[i], &lays[i])
		}
		i := 0
		for pb.Next() {
			j := i & 255
			tab.Track(frames[j], &lays[j], 0, t0)
			i++
		}
	})
}

// BenchmarkNewConnection: Track of a SYN that misses, then Commit, into a
// full table where each new connection evicts an unreplied one.
func BenchmarkNewConnection(b *testing.B) {
	const n = 65536
	tab := New(Config{MaxEntries: n})
	const nf = 1 << 17
	frames := make([][]byte, nf)
	lays := make([]header.Layout, nf)
	for i := range frames {
		frames[i] = tcpFrame([4]byte{10, 3, byte(i >> 8), byte(i)}, srvIP, uint16(i>>16)+1, 443, fSYN)
		header.Parse(frames[i], &lays[i])
	}
	now := t0
	for i := range frames {
		v := tab.Track(frames[i], &lays[i], 0, now)
		tab.Commit(&v, now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i & (nf - 1)
		v := tab.Track(frames[j], &lays[j], 0, now)
		if v.State == StateNew && !v.Conn.Valid() {
			if _, why := tab.Commit(&v, now); why != RefusedNone {
				b.Fatal(why)
			}
		}
	}
}

func itoa(n int) string {
	if n >= 1000000 {
		return string(rune('0'+n/1000000)) + "M"
	}
	return string(rune('0'+n/1000)) + "k"
}
