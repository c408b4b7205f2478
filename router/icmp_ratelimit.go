package router

import (
	"sync"
	"time"

	"neutrino/packet/header"
)

// ICMPLimitConfig sets an ICMPLimiter's rates. Zero fields take the
// defaults, which are Linux's (net.ipv4.icmp_*).
type ICMPLimitConfig struct {
	MsgsPerSec int           // global refill rate of the limited types (1000, icmp_msgs_per_sec)
	MsgsBurst  int           // global bucket size (50, icmp_msgs_burst)
	RateLimit  time.Duration // a destination's rate: one error per RateLimit, bursts of 6 (1 s, icmp_ratelimit)
	RateMask   uint32        // bit t set: type t is limited (0x1818: types 3, 4, 11 and 12, icmp_ratemask)
	MaxPeers   int           // destinations tracked at most (4096); then the least recent is forgotten
}

func (c ICMPLimitConfig) withDefaults() ICMPLimitConfig {
	if c.MsgsPerSec <= 0 {
		c.MsgsPerSec = 1000
	}
	if c.MsgsBurst <= 0 {
		c.MsgsBurst = 50
	}
	if c.RateLimit <= 0 {
		c.RateLimit = time.Second
	}
	if c.RateMask == 0 {
		c.RateMask = 1<<header.ICMPv4DestUnreach | 1<<icmpSourceQuench |
			1<<header.ICMPv4TimeExceeded | 1<<header.ICMPv4ParamProblem
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = 4096
	}
	return c
}

const (
	icmpSourceQuench = 4  // ICMP type 4, deprecated but still in the mask
	icmpMaxType      = 18 // NR_ICMP_TYPES: types above are never limited
	peerBurst        = 6  // XRLIM_BURST_FACTOR: a destination's burst, in messages
	globalMinRefill  = time.Second / 50
)

// ICMPLimiter decides which ICMP errors the router may send, with Linux's
// two limits (icmp_send: icmpv4_global_allow, icmpv4_xrlim_allow):
//
//   - a global token bucket: MsgsBurst messages, refilled at MsgsPerSec,
//     and only once at least 20 ms have passed since the last refill;
//   - per destination (inet_peer_xrlim_allow): tokens counted in time, a
//     message costs RateLimit, a destination holds at most 6 RateLimit of
//     them and a new one starts full: a burst of 6, then one per RateLimit.
//
// Only types whose bit is set in RateMask are limited, and never
// "fragmentation needed" (type 3 code 4), which path MTU discovery depends
// on, nor types above 18. The global bucket is checked first, but a token
// is only taken when the destination's limit lets the message out too
// (Linux's icmp_global_consume), so refusals cost the others nothing.
// Linux takes a random 0 to 2 tokens per message, against probing the
// bucket from outside; here a message takes exactly one, so that the
// limits are exact.
//
// Destinations are kept in a table of MaxPeers; a new one when it is full
// takes the place of the one limited least recently. One idle for 6
// RateLimit has its full burst again, so forgetting it changes nothing;
// only when more than MaxPeers destinations draw errors within that time
// does one get its burst back early, and the global bucket still bounds the
// total. Linux ages its inet_peer entries out after minutes instead.
//
// Times are Unix nanoseconds passed in. An ICMPLimiter is safe for
// concurrent use (errors are a slow path: one mutex) and allocates nothing
// after NewICMPLimiter.
type ICMPLimiter struct {
	cfg ICMPLimitConfig

	mu      sync.Mutex
	started bool
	credit  int64 // global tokens
	stamp   int64 // last global refill
	peers   peerTable
	stats   ICMPLimitStats
}

// ICMPLimitStats counts an ICMPLimiter's answers. The names in parentheses
// are Linux's counters (nstat Icmp*).
type ICMPLimitStats struct {
	Allowed       uint64 // errors allowed, those of types not limited included
	LimitedGlobal uint64 // refused by the global bucket (IcmpRateLimitGlobal)
	LimitedHost   uint64 // refused by the destination's limit (IcmpRateLimitHost)
	Evicted       uint64 // destinations forgotten to make room for new ones
	Peers         int    // destinations tracked now
}

// NewICMPLimiter returns a limiter with a full global bucket.
func NewICMPLimiter(cfg ICMPLimitConfig) *ICMPLimiter {
	cfg = cfg.withDefaults()
	l := &ICMPLimiter{cfg: cfg}
	l.peers.init(cfg.MaxPeers)
	return l
}

// Config returns the configuration in use, defaults filled in.
func (l *ICMPLimiter) Config() ICMPLimitConfig { return l.cfg }

// Allow reports whether an ICMP error of type typ and code to dst may be
// sent at time now, and counts it as sent if so.
func (l *ICMPLimiter) Allow(dst [4]byte, typ, code uint8, now int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.limited(typ, code) {
		l.stats.Allowed++
		return true
	}
	if !l.globalAvailable(now) {
		l.stats.LimitedGlobal++
		return false
	}
	allowed, evicted := l.peers.allow(dst, now, int64(l.cfg.RateLimit))
	if evicted {
		l.stats.Evicted++
	}
	if !allowed {
		l.stats.LimitedHost++
		return false
	}
	l.credit--
	l.stats.Allowed++
	return true
}

// limited reports whether messages of typ and code are rate limited.
func (l *ICMPLimiter) limited(typ, code uint8) bool {
	if typ > icmpMaxType || typ == header.ICMPv4DestUnreach && code == header.ICMPv4FragNeeded {
		return false
	}
	return l.cfg.RateMask&(1<<typ) != 0
}

// globalAvailable reports whether the global bucket holds a token, first
// refilling it as Linux's icmp_global_allow: only when empty, by
// MsgsPerSec per second elapsed (at most one second's worth), and only
// after 20 ms. A clock that steps back restarts the wait from now.
func (l *ICMPLimiter) globalAvailable(now int64) bool {
	if !l.started {
		l.started, l.credit, l.stamp = true, int64(l.cfg.MsgsBurst), now
	}
	if l.credit > 0 {
		return true
	}
	if now < l.stamp {
		l.stamp = now
		return false
	}
	delta := min(now-l.stamp, int64(time.Second))
	if delta < int64(globalMinRefill) {
		return false
	}
	incr := int64(l.cfg.MsgsPerSec) * delta / int64(time.Second)
	if incr == 0 {
		return false
	}
	l.stamp = now
	l.credit = min(l.credit+incr, int64(l.cfg.MsgsBurst))
	return true
}

// Stats returns a snapshot of the counters.
func (l *ICMPLimiter) Stats() ICMPLimitStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Peers = l.peers.n
	return s
}
