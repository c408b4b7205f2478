package dhcp

import (
	"math"
	"sync/atomic"
)

// Limits protect the server from ports with port security (untrusted
// ports); trusted ports are never limited. A zero field takes its default;
// a negative one means no limit.
type Limits struct {
	// RatePerPort is the DISCOVERs per second a port may send on average
	// (default DefaultRatePerPort); Burst how many it may send at once
	// (default DefaultBurst).
	RatePerPort float64
	Burst       int
	// MaxPoolLeasesPerPort is how many pool addresses (offered or leased)
	// one port may hold at a time (default DefaultMaxPoolLeasesPerPort).
	MaxPoolLeasesPerPort int
}

// Defaults of Limits.
const (
	DefaultRatePerPort          = 10
	DefaultBurst                = 20
	DefaultMaxPoolLeasesPerPort = 16
)

// withDefaults fills in the zero fields.
func (l Limits) withDefaults() Limits {
	if l.RatePerPort == 0 {
		l.RatePerPort = DefaultRatePerPort
	}
	if l.Burst == 0 {
		l.Burst = DefaultBurst
	}
	if l.MaxPoolLeasesPerPort == 0 {
		l.MaxPoolLeasesPerPort = DefaultMaxPoolLeasesPerPort
	}
	return l
}

// Port buckets live in chunks allocated on first use, so a port index costs
// nothing until its port sends a DISCOVER; indexes past maxPorts share
// buckets.
const (
	chunkBits = 8
	chunkSize = 1 << chunkBits
	maxChunks = 256
	maxPorts  = chunkSize * maxChunks
)

// limiter is a token bucket per port, kept as GCRA (the generic cell rate
// algorithm): one atomic "theoretical arrival time" per port, updated with
// compare-and-swap, so ports never contend on a lock.
type limiter struct {
	interval int64 // ns between DISCOVERs at the sustained rate; 0: unlimited
	burst    int64 // ns of credit: (Burst-1) intervals
	chunks   [maxChunks]atomic.Pointer[[chunkSize]atomic.Int64]
}

func newLimiter(l Limits) *limiter {
	lim := &limiter{}
	if l.RatePerPort > 0 {
		lim.interval = max(int64(math.Round(1e9/l.RatePerPort)), 1)
		lim.burst = lim.interval * int64(max(l.Burst, 1)-1)
	}
	return lim
}

// allow reports whether port may send one more DISCOVER at now, and takes
// it from its bucket when so.
func (lim *limiter) allow(port int, now int64) bool {
	if lim.interval == 0 {
		return true
	}
	p := uint(port) % maxPorts
	chunk := lim.chunks[p>>chunkBits].Load()
	if chunk == nil {
		fresh := new([chunkSize]atomic.Int64)
		if lim.chunks[p>>chunkBits].CompareAndSwap(nil, fresh) {
			chunk = fresh
		} else {
			chunk = lim.chunks[p>>chunkBits].Load()
		}
	}
	tat := &chunk[p&(chunkSize-1)]
	for {
		old := tat.Load()
		t := max(old, now)
		if t-now > lim.burst {
			return false
		}
		if tat.CompareAndSwap(old, t+lim.interval) {
			return true
		}
	}
}
