package nat

import "math/rand/v2"

// Port ranges of SNAT without an explicit range, by the class of the
// original port, as Linux keeps them: a privileged port maps to a
// privileged one, and ports 512-1023 (where rsh and its kin check
// credentials) stay above 600.
const (
	lowMin, lowSize   = 1, 511              // original port 0-511: 1-511
	midMin, midSize   = 600, 1023 - 600 + 1 // 512-1023: 600-1023
	highMin, highSize = 1024, 65536 - 1024  // 1024-65535: 1024-65535
)

// maxAttempts bounds the candidates of the first round of a search; each
// later round tries half as many, down to 8, so a search asks at most 248
// candidates besides the original port (Linux's NF_NAT_MAX_ATTEMPTS and
// the rounds of nf_nat_l4proto_unique_tuple).
const maxAttempts = 128

// Allocator picks the source port (or ICMP echo identifier) of a new SNAT
// connection. It is one worker's: not safe for concurrent use. The zero
// value seeds itself from the runtime's random source on first use;
// NewAllocator gives a reproducible sequence.
type Allocator struct {
	rng    rand.PCG
	seeded bool
}

// NewAllocator returns an Allocator whose random choices follow seed.
func NewAllocator(seed uint64) *Allocator {
	a := &Allocator{seeded: true}
	a.rng.Seed(seed, 0)
	return a
}

// Pick returns a TCP or UDP port for a connection whose original source
// port is orig: orig itself when free says so, otherwise the first free
// one of a random search in orig's class (1-511, 600-1023 or 1024-65535)
// as Linux's --random-fully: a run of up to 128 consecutive ports from a
// random start, then runs of 64, 32, 16 and 8 from new random starts. free
// reports whether a port is usable, typically by looking up the reply
// tuple SNATReply builds; it is called at most 249 times and not kept.
// ok is false when every candidate was taken.
func (a *Allocator) Pick(orig uint16, free func(port uint16) bool) (port uint16, ok bool) {
	switch {
	case orig < 512:
		return a.search(orig, lowMin, lowSize, free)
	case orig < 1024:
		return a.search(orig, midMin, midSize, free)
	}
	return a.search(orig, highMin, highSize, free)
}

// PickID is Pick for an ICMP echo identifier, whose range is 0-65535.
func (a *Allocator) PickID(orig uint16, free func(id uint16) bool) (id uint16, ok bool) {
	return a.search(orig, 0, 1<<16, free)
}

// search is Pick over the range of size values from min.
func (a *Allocator) search(orig uint16, min, size uint32, free func(uint16) bool) (uint16, bool) {
	if free(orig) {
		return orig, true
	}
	attempts := uint32(maxAttempts)
	if size < attempts {
		attempts = size
	}
	for {
		off := a.below(size)
		for i := uint32(0); i < attempts; i++ {
			if p := uint16(min + (off+i)%size); free(p) {
				return p, true
			}
		}
		if attempts >= size || attempts < 16 {
			return 0, false
		}
		attempts /= 2
	}
}

// below returns a random number in [0, n), n > 0.
func (a *Allocator) below(n uint32) uint32 {
	if !a.seeded {
		a.rng.Seed(rand.Uint64(), rand.Uint64())
		a.seeded = true
	}
	return uint32(a.rng.Uint64()>>32) % n
}
