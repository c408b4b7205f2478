package router

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// peerTable holds ICMPLimiter's per-destination state in memory allocated
// once: an array of peers, an open-addressing index over it (linear
// probing; a removal shifts the entries after it back, so there are no
// tombstones and lookups stay short) and a recency list through the array,
// whose tail is evicted when the table is full. The index hash is keyed
// with a random seed, so that no one can choose addresses that collide.
type peerTable struct {
	peers []peer
	slots []int32 // index into peers plus one; 0 is an empty slot
	mask  uint64
	seed  uint64
	n     int   // peers in use: peers[:n]
	head  int32 // most recently limited, -1 when empty
	tail  int32 // least recently limited, -1 when empty
}

// peer is one destination's tokens, counted in nanoseconds of credit.
type peer struct {
	addr       [4]byte
	tokens     int64
	last       int64
	prev, next int32 // recency list, -1 at the ends
}

func (t *peerTable) init(capacity int) {
	size := 1 << bits.Len(uint(2*capacity-1)) // a power of two >= 2*capacity
	t.peers = make([]peer, capacity)
	t.slots = make([]int32, size)
	t.mask = uint64(size - 1)
	t.seed = rand.Uint64()
	t.head, t.tail = -1, -1
}

// allow applies inet_peer_xrlim_allow to dst's tokens at now: the time
// since its last message is added, up to peerBurst messages' worth, and a
// message costs cost. A destination seen for the first time starts full.
// evicted reports that the least recent destination was forgotten for it.
func (t *peerTable) allow(dst [4]byte, now, cost int64) (ok, evicted bool) {
	full := peerBurst * cost
	i := t.find(dst)
	if i < 0 {
		i, evicted = t.add(dst)
		t.peers[i].tokens, t.peers[i].last = full, now
	} else {
		t.unlink(i)
	}
	t.pushFront(i)
	p := &t.peers[i]
	elapsed := min(max(now-p.last, 0), full)
	p.last = now
	p.tokens = min(p.tokens+elapsed, full)
	if p.tokens >= cost {
		p.tokens -= cost
		return true, evicted
	}
	return false, evicted
}

func (t *peerTable) home(a [4]byte) uint64 {
	return fmix64(uint64(binary.BigEndian.Uint32(a[:]))^t.seed) & t.mask
}

// find returns the index of dst's peer, or -1.
func (t *peerTable) find(dst [4]byte) int32 {
	for s := t.home(dst); ; s = (s + 1) & t.mask {
		i := t.slots[s] - 1
		if i < 0 || t.peers[i].addr == dst {
			return i
		}
	}
}

// add returns a peer for dst, unlinked and indexed: a free one, or the
// least recent one, removed from the index first.
func (t *peerTable) add(dst [4]byte) (i int32, evicted bool) {
	if t.n < len(t.peers) {
		i = int32(t.n)
		t.n++
	} else {
		i, evicted = t.tail, true
		t.unlink(i)
		t.unindex(i)
	}
	t.peers[i].addr = dst
	s := t.home(dst)
	for t.slots[s] != 0 {
		s = (s + 1) & t.mask
	}
	t.slots[s] = i + 1
	return i, evicted
}

// unindex removes peer i from the index, moving back each entry of the
// probe run after it that may fill the hole (one whose home slot is not
// between the hole and where it sits).
func (t *peerTable) unindex(i int32) {
	hole := t.home(t.peers[i].addr)
	for t.slots[hole] != i+1 {
		hole = (hole + 1) & t.mask
	}
	for s := (hole + 1) & t.mask; t.slots[s] != 0; s = (s + 1) & t.mask {
		h := t.home(t.peers[t.slots[s]-1].addr)
		if (s-h)&t.mask >= (s-hole)&t.mask { // h is at or before the hole, cyclically
			t.slots[hole] = t.slots[s]
			hole = s
		}
	}
	t.slots[hole] = 0
}

func (t *peerTable) unlink(i int32) {
	p := &t.peers[i]
	if p.prev >= 0 {
		t.peers[p.prev].next = p.next
	} else {
		t.head = p.next
	}
	if p.next >= 0 {
		t.peers[p.next].prev = p.prev
	} else {
		t.tail = p.prev
	}
}

func (t *peerTable) pushFront(i int32) {
	p := &t.peers[i]
	p.prev, p.next = -1, t.head
	if t.head >= 0 {
		t.peers[t.head].prev = i
	} else {
		t.tail = i
	}
	t.head = i
}
