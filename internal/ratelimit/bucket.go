// Package ratelimit is the token bucket behind the datapath's per-port
// limits: broadcast and multicast storm control, and the DHCP requests a
// port may send.
//
// A Bucket holds up to burst tokens and gains rate tokens a second; each
// allowed event takes one (AllowN: n). It is kept as a GCRA (the generic
// cell rate algorithm of ATM, RFC 2697's single-rate form): one int64, the
// theoretical arrival time of the next conforming event, so Allow is a few
// integer operations, reads no clock and allocates nothing. Time is given by
// the caller as Unix nanoseconds from the node's injectable clock, read once
// per batch.
//
// # Concurrency
//
// A Bucket is not safe for concurrent use. It is meant to have one writer:
// a per-ingress-port limit belongs to that port's reader goroutine, which is
// the only one to call Allow and AllowN. Give every port its own Buckets
// rather than sharing one behind a lock.
package ratelimit

import (
	"math"
	"time"
)

// maxSpan bounds every duration the bucket computes, so that the sum of a
// Unix time (about 1.8e18 ns today) and a span never overflows an int64.
const maxSpan = math.MaxInt64 / 4

// Bucket is a token bucket. The zero Bucket allows nothing; build one with
// New.
type Bucket struct {
	interval int64 // ns per token; 0 = no limit
	tol      int64 // burst*interval: how far ahead of now tat may run
	burst    int
	tat      int64 // theoretical arrival time of the next event, Unix ns
	all      bool  // rate is infinite
}

// New returns a full bucket of burst tokens that gains rate tokens a
// second. rate may be fractional (0.5 is one token every 2 s);
// math.Inf(1), or any rate above one token a nanosecond, allows every
// event. A rate of 0 or less, or a burst below 1, allows nothing.
func New(rate float64, burst int) Bucket {
	switch {
	case burst < 1 || !(rate > 0): // also NaN
		return Bucket{}
	case rate >= float64(time.Second):
		return Bucket{burst: burst, all: true}
	}
	iv := float64(time.Second) / rate
	interval := int64(maxSpan)
	if iv < float64(maxSpan) {
		interval = max(int64(math.Round(iv)), 1)
	}
	return Bucket{interval: interval, tol: mulSat(interval, int64(burst)), burst: burst}
}

// Allow reports whether one event may happen at now (Unix ns) and, if so,
// takes its token.
func (b *Bucket) Allow(now int64) bool {
	if b.all {
		return true
	}
	if b.burst == 0 {
		return false
	}
	tat := max(b.tat, now) + b.interval
	if tat-now > b.tol {
		return false
	}
	b.tat = tat
	return true
}

// AllowN reports whether n events may happen at now and, if so, takes
// their n tokens; otherwise it takes none. n <= 0 is always allowed, and n
// above the burst never is.
func (b *Bucket) AllowN(now int64, n int) bool {
	switch {
	case n <= 0 || b.all:
		return true
	case n > b.burst:
		return false
	}
	tat := max(b.tat, now) + mulSat(b.interval, int64(n))
	if tat-now > b.tol {
		return false
	}
	b.tat = tat
	return true
}

// Tokens returns how many whole tokens the bucket holds at now, for
// counters and traces. It changes nothing.
func (b *Bucket) Tokens(now int64) int {
	switch {
	case b.all:
		return b.burst
	case b.burst == 0:
		return 0
	}
	ahead := max(b.tat, now) - now // spent credit
	return int((b.tol - ahead) / b.interval)
}

// Burst returns the bucket's capacity.
func (b *Bucket) Burst() int { return b.burst }

// mulSat returns a*b for positive a and b, saturated at maxSpan.
func mulSat(a, b int64) int64 {
	if a > maxSpan/b {
		return maxSpan
	}
	return a * b
}
