package udp

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neutrino/internal/netnstest"
	"neutrino/link"
	"neutrino/packet"
)

// BenchmarkUnderlayLoopback sends 1500-byte datagrams from one Underlay to
// another on the loopback of a fresh namespace (127.0.0.1 to 127.0.0.2),
// b.N datagrams in batches of 64 entries: single datagrams, or GSO trains
// of 43 (the most 1500-byte payloads under MaxPayload), received with or
// without GRO. It reports the datagrams received per second, and the share
// lost (the receiver falling behind).
func BenchmarkUnderlayLoopback(b *testing.B) {
	for _, c := range []struct {
		name     string
		gso, gro bool
	}{{"plain", false, false}, {"gso", true, false}, {"gso+gro", true, true}} {
		b.Run(c.name, func(b *testing.B) { benchLoopback(b, c.gso, c.gro) })
	}
}

func benchLoopback(b *testing.B, gso, gro bool) {
	const size, batch = 1500, 64
	requireNS(b)
	ns := netnstest.New(b, "udp")
	la, lb := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")
	tx := openIn(b, ns, la, Options{SrcPorts: 4, GSO: gso, SendBuffer: 4 << 20})
	rx := openIn(b, ns, lb, Options{GRO: gro, RecvBuffer: 32 << 20})
	if on, _ := tx.Caps(); on != gso {
		b.Skip("no UDP GSO here")
	}
	if _, on := rx.Caps(); on != gro {
		b.Skip("no UDP GRO here")
	}
	seg := 0
	per := 1 // datagrams per entry
	if gso {
		seg, per = size, MaxPayload/size
	}
	dst := netip.AddrPortFrom(lb, 0)
	ds := make([]Datagram, batch)
	for i := range ds {
		buf := packet.NewBuffer(per * size)
		buf.SetData(make([]byte, per*size))
		ds[i] = Datagram{Buf: buf, Peer: dst, SegSize: seg, Flow: uint32(i)}
	}

	var got atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rd := bufs(batch, max(size, map[bool]int{true: MaxTrain}[gro]))
		for {
			n, err := rx.ReadBatch(rd)
			if err != nil {
				if !errors.Is(err, link.ErrClosed) {
					b.Error(err)
				}
				return
			}
			k := 0
			for _, d := range rd[:n] {
				if d.SegSize > 0 {
					k += (d.Buf.Len() + d.SegSize - 1) / d.SegSize
				} else {
					k++
				}
			}
			got.Add(int64(k))
		}
	}()

	b.SetBytes(size)
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; {
		k := min(batch, (b.N-sent+per-1)/per)
		n, err := tx.WriteBatch(ds[:k])
		if err != nil {
			b.Fatal(err)
		}
		sent += n * per
	}
	// Wait for the receiver to drain what it can.
	for last := int64(-1); got.Load() != last && got.Load() < int64(b.N); {
		last = got.Load()
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	rx.Close()
	wg.Wait()
	r := got.Load()
	b.ReportMetric(float64(r)/elapsed.Seconds(), "datagrams/s")
	b.ReportMetric(100*float64(int64(b.N)-min(r, int64(b.N)))/float64(b.N), "%lost")
	if r == 0 {
		b.Fatal(fmt.Sprintf("nothing received: counters %v / %v", tx.Counters(), rx.Counters()))
	}
}
