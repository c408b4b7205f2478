package l2switch

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestShardModel drives one shard through random inserts, updates and
// deletions (with few distinct keys, so probe runs collide and wrap) and
// checks it against a map after every step.
func TestShardModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sh shard
	sh.tab.Store(newTable(minSlots))
	model := map[uint64]uint64{}
	var scratch []uint64

	keyOf := func(n int) uint64 { return uint64(1)<<48 | uint64(n)*0x10001 }
	for step := range 5000 {
		k := keyOf(rng.IntN(300))
		h := mix(k)
		sh.mu.Lock()
		switch op := rng.IntN(3); {
		case op < 2: // insert or update
			v := rng.Uint64()
			t := sh.tab.Load()
			if i, ok := t.find(k, h); ok {
				t.slots[i].val.Store(v)
			} else {
				sh.insert(k, h, v)
			}
			model[k] = v
		default: // delete, sometimes a batch
			var removed []uint64
			n := sh.removeIf(&scratch,
				func(kk, _ uint64) bool { return kk == k || (step%7 == 0 && kk%5 == 0) },
				func(v uint64) { removed = append(removed, v) })
			want := 0
			for kk := range model {
				if kk == k || (step%7 == 0 && kk%5 == 0) {
					delete(model, kk)
					want++
				}
			}
			if n != want || len(removed) != want {
				t.Fatalf("step %d: removed %d (%d values), want %d", step, n, len(removed), want)
			}
		}
		sh.mu.Unlock()

		if sh.n != len(model) {
			t.Fatalf("step %d: n = %d, want %d", step, sh.n, len(model))
		}
		if sh.seq.Load()&1 != 0 {
			t.Fatalf("step %d: seq left odd", step)
		}
		for n := range 300 {
			k := keyOf(n)
			got, ok := sh.get(k, mix(k))
			want, wantOK := model[k]
			if ok != wantOK || got != want {
				t.Fatalf("step %d: get(%#x) = %#x, %v, want %#x, %v", step, k, got, ok, want, wantOK)
			}
		}
	}
	if n := len(sh.tab.Load().slots); n > 1024 {
		t.Errorf("table grew to %d slots for at most 300 keys", n)
	}
}

func TestKeyRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		lvid uint16
		mac  MAC
	}{
		{1, vm(1)},
		{MaxLVID, MAC{0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54}},
		{17, MAC{}},
	} {
		k := fdbKey(tc.lvid, &tc.mac)
		if k == 0 {
			t.Errorf("fdbKey(%d, %v) = 0, the empty marker", tc.lvid, tc.mac)
		}
		l, m := splitKey(k)
		if l != tc.lvid || m != tc.mac {
			t.Errorf("splitKey(fdbKey(%d, %v)) = %d, %v", tc.lvid, tc.mac, l, m)
		}
	}
}

func TestValAge(t *testing.T) {
	for _, tc := range []struct {
		stamp, now, want int64
	}{
		{1000, 1000, 0},
		{1000, 301000, 300000},
		{1000, 990, -10},                   // a goroutine whose clock read was a bit later
		{stampMask - 5, stampMask + 5, 10}, // across the 48-bit wrap
		{-2000, 500, 2500},                 // before 1970
	} {
		if got := valAge(tc.now, packVal(7, tc.stamp)); got != tc.want {
			t.Errorf("valAge(%d, stamp %d) = %d, want %d", tc.now, tc.stamp, got, tc.want)
		}
	}
	if got := millis(-1); got != -1 {
		t.Errorf("millis(-1) = %d, want -1", got)
	}
}

// TestShardConcurrentReads checks the sequence lock: while a writer keeps
// inserting and deleting keys that share probe runs with a set of stable
// keys, lock-free readers must always find every stable key with its own
// value, never a miss or a neighbour's value.
//
// To keep stable keys moving, the writer also pulls some out and puts them
// back behind churn keys inside one odd-sequence window (invisible to
// readers); later deletions of those churn keys shift them back.
func TestShardConcurrentReads(t *testing.T) {
	var sh shard
	sh.tab.Store(newTable(minSlots))
	keyOf := func(n int) uint64 { return uint64(1)<<48 | uint64(n)*0x10001 }
	valOf := func(k uint64) uint64 { return k * 3 }
	const stable, churn = 8, 400
	isChurn := func(k uint64) bool { return k >= keyOf(stable) }
	sh.mu.Lock()
	for n := range stable {
		k := keyOf(n)
		sh.insert(k, mix(k), valOf(k))
	}
	sh.mu.Unlock()

	rounds := 5000
	if testing.Short() {
		rounds = 500
	}
	var stop atomic.Bool
	go func() {
		defer stop.Store(true)
		rng := rand.New(rand.NewPCG(3, 4))
		var scratch []uint64
		addChurn := func(n int) {
			for range n {
				k := keyOf(stable + rng.IntN(churn))
				if _, ok := sh.tab.Load().find(k, mix(k)); !ok {
					sh.insert(k, mix(k), ^valOf(k))
				}
			}
		}
		for range rounds {
			sh.mu.Lock()
			sh.seq.Add(1)
			for range 3 {
				k := keyOf(rng.IntN(stable))
				t := sh.tab.Load()
				i, _ := t.find(k, mix(k))
				t.deleteAt(i)
				sh.n--
				addChurn(20)
				sh.insert(k, mix(k), valOf(k))
			}
			sh.seq.Add(1)
			sh.removeIf(&scratch, func(k, _ uint64) bool { return isChurn(k) && rng.IntN(2) == 0 }, func(uint64) {})
			addChurn(20)
			sh.mu.Unlock()
		}
	}()

	var wg sync.WaitGroup
	var bad atomic.Int64
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := r; !stop.Load(); i++ {
				k := keyOf(i % stable)
				v, ok := sh.get(k, mix(k))
				if !ok || v != valOf(k) {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n != 0 {
		t.Errorf("%d lookups of stable keys missed or read a wrong value", n)
	}
}
