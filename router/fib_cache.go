package router

import (
	"encoding/binary"
	"net/netip"
	"sync/atomic"
)

// Hop4 is an IPv4 next hop as the datapath uses it: out Interface, to
// Gateway, or to the destination itself when OnLink.
type Hop4 struct {
	Interface int
	Gateway   [4]byte
	OnLink    bool
}

// Neighbour returns the address to resolve for dst.
func (h Hop4) Neighbour(dst [4]byte) [4]byte {
	if h.OnLink {
		return dst
	}
	return h.Gateway
}

// cacheBits sizes a FIB's lookup cache: 4096 destinations.
const cacheBits = 12

// routeCache remembers, for destinations whose route has one next hop,
// which of the FIB's hops it is: a slot is the destination in its high
// 32 bits and the hop's index plus one in the low ones (0: empty). Slots
// are single atomic words, so lookups from any number of workers take no
// lock; a collision just replaces the slot. The FIB is immutable, so an
// entry never goes stale: a new FIB comes with an empty cache.
type routeCache struct {
	slots [1 << cacheBits]atomic.Uint64
}

func cacheSlot(d uint32) uint32 { return (d * 0x9e3779b1) >> (32 - cacheBits) }

// Route4 looks up an IPv4 destination (wire order). A destination whose
// route has a single next hop is answered from the FIB's cache after the
// first lookup, without the trie; ecmp true means the route has several
// next hops and the caller is to pick one with Lookup4 and the flow's
// hash (no cache: the choice is per flow). ok false: no route.
func (f *FIB) Route4(dst [4]byte) (h Hop4, ecmp, ok bool) {
	d := binary.BigEndian.Uint32(dst[:])
	s := &f.cache.slots[cacheSlot(d)]
	if e := s.Load(); uint32(e>>32) == d && uint32(e) != 0 {
		return f.hops4[uint32(e)-1], false, true
	}
	hops, ok := f.t.Lookup(netip.AddrFrom4(dst))
	if !ok {
		return h, false, false
	}
	if len(hops) > 1 {
		return h, true, true
	}
	i := f.hop4Index(hops[0])
	if i < 0 {
		return h, false, false
	}
	s.Store(uint64(d)<<32 | uint64(i+1))
	return f.hops4[i], false, true
}

// hop4Index returns the index of h in hops4, -1 when it is not an IPv4
// hop.
func (f *FIB) hop4Index(h NextHop) int {
	for i, x := range f.hops4 {
		if x.Interface == h.Interface && x.OnLink == h.OnLink() && (x.OnLink || netip.AddrFrom4(x.Gateway) == h.Gateway) {
			return i
		}
	}
	return -1
}

// addHop4 adds h to the FIB's distinct IPv4 next hops, for the cache.
func (f *FIB) addHop4(h NextHop) {
	if h.Gateway.IsValid() && !h.Gateway.Is4() {
		return
	}
	x := Hop4{Interface: h.Interface, OnLink: h.OnLink()}
	if !x.OnLink {
		x.Gateway = h.Gateway.As4()
	}
	for _, y := range f.hops4 {
		if x == y {
			return
		}
	}
	f.hops4 = append(f.hops4, x)
}
