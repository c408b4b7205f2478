package conntrack

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neutrino/packet/header"
)

// TestConcurrent tracks established connections from several goroutines
// while another commits new ones into a small table (evicting), and
// another expires: run under -race.
func TestConcurrent(t *testing.T) {
	tab := New(Config{MaxEntries: 2000})
	var now atomic.Int64
	now.Store(t0)
	const flows = 64
	type flow struct {
		f [3][]byte
		l [3]header.Layout
	}
	fl := make([]flow, flows)
	for i := range fl {
		p := uint16(1000 + i)
		fl[i].f = [3][]byte{
			tcpFrame(cliIP, srvIP, p, 80, fSYN),
			tcpFrame(srvIP, cliIP, 80, p, fSYN|fACK),
			tcpFrame(cliIP, srvIP, p, 80, fACK),
		}
		for j := range fl[i].f {
			header.Parse(fl[i].f[j], &fl[i].l[j])
			v := tab.Track(fl[i].f[j], &fl[i].l[j], 0, now.Load())
			if v.State == StateNew {
				tab.Commit(&v, now.Load())
			}
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if n%256 == 0 {
					runtime.Gosched() // leave the writers their share of 2 cores
				}
				f := &fl[n%flows]
				if v := tab.Track(f.f[2], &f.l[2], 0, now.Load()); v.State != StateEstablished {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 10000; i++ {
			ip := [4]byte{10, 1, byte(i >> 8), byte(i)}
			f := udpFrame(ip, srvIP, uint16(i), 53)
			var l header.Layout
			header.Parse(f, &l)
			v := tab.Track(f, &l, uint16(i%3), now.Load())
			if v.State == StateNew {
				tab.Commit(&v, now.Load())
			}
			if i%100 == 0 {
				now.Add(int64(time.Second))
				runtime.Gosched()
			}
		}
		close(stop)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				tab.Expire(now.Load(), 256)
				runtime.Gosched()
			}
		}
	}()
	wg.Wait()
	if bad.Load() != 0 {
		t.Errorf("%d established packets not ESTABLISHED", bad.Load())
	}
	s := tab.Stats()
	if s.Entries > 2000 {
		t.Errorf("%d entries over the bound", s.Entries)
	}
	if got := int(s.Inserted - s.Expired - s.Evicted - s.Killed - s.Deleted); got != s.Entries {
		t.Errorf("counters: inserted-removed = %d, entries %d (%+v)", got, s.Entries, s)
	}
}
