package defrag

import "testing"

// BenchmarkReassemble3 reassembles a 4028-byte UDP datagram from three
// fragments (1500-byte MTU), in order and last first.
func BenchmarkReassemble3(b *testing.B) {
	frags := split(b, udpDatagram(b, 1, nil, 4000), 1480, nil)
	if len(frags) != 3 {
		b.Fatalf("%d fragments", len(frags))
	}
	for _, bc := range []struct {
		name  string
		order []int
	}{{"in order", []int{0, 1, 2}}, {"last first", []int{2, 0, 1}}} {
		b.Run(bc.name, func(b *testing.B) {
			tab := New(Config{})
			dst := make([]byte, maxDatagram)
			b.SetBytes(4028)
			b.ReportAllocs()
			for b.Loop() {
				for _, i := range bc.order {
					tab.Add(frags[i], 0, t0, dst)
				}
			}
			if s := tab.Stats(); s.Fragments[Complete] == 0 || s.Fragments[Held] != 2*s.Fragments[Complete] {
				b.Fatalf("%d complete, %d held", s.Fragments[Complete], s.Fragments[Held])
			}
		})
	}
}
