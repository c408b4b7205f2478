// Package clock is the time source of every timer in the node (FDB aging,
// later conntrack timeouts and leases): the real clock in production, a fake
// one in tests, and one that follows capture timestamps in replay.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock tells the time in Unix nanoseconds.
type Clock interface {
	Now() int64
}

// Real is the system clock.
type Real struct{}

// Now returns the current time.
func (Real) Now() int64 { return time.Now().UnixNano() }

// Fake is a clock that moves only when told to. It is safe for concurrent use.
type Fake struct{ t atomic.Int64 }

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake {
	f := &Fake{}
	f.t.Store(t.UnixNano())
	return f
}

// Now returns the fake time.
func (f *Fake) Now() int64 { return f.t.Load() }

// Set moves the clock to t (Unix nanoseconds). It never moves backwards.
func (f *Fake) Set(t int64) {
	for {
		old := f.t.Load()
		if t <= old || f.t.CompareAndSwap(old, t) {
			return
		}
	}
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.t.Add(int64(d)) }
