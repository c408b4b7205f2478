package conntrack

import "sync/atomic"

// conn is one connection, both directions, stored in its owner shard's
// slab and reused after it is freed. Every field is an atomic word so that
// lock-free readers and the race detector agree; a reader trusts what it
// read only if the generation in word still matches the one it started
// with. 40 bytes.
type conn struct {
	o0, o1 atomic.Uint64 // original tuple, packed
	r0, r1 atomic.Uint64 // reply tuple, packed
	word   atomic.Uint64 // state, see below
}

// The state word of a conn packs everything a packet may change, so that
// one compare-and-swap moves it from one consistent state to the next:
//
//	 63             46 45 44 43   40 39  36 35                        0
//	+-----------------+-----+-------+------+---------------------------+
//	|   generation    |class| flags | TCP  | last refresh, ms (wraps   |
//	|   (18 bits)     |     |       |state |  every 795 days)          |
//	+-----------------+-----+-------+------+---------------------------+
//
// The generation grows each time the slot is freed, so a handle to a freed
// and reused conn no longer matches.
const (
	stampBits = 36
	stampMask = 1<<stampBits - 1

	stateShift = 36
	stateMask  = 0xf

	flagShift         = 40
	fSeenReply uint64 = 1 << (flagShift + 0) // a packet went in the reply direction
	fAssured   uint64 = 1 << (flagShift + 1) // early drop spares it
	fDead      uint64 = 1 << (flagShift + 2) // killed, until removed: lookups miss it
	fUsed      uint64 = 1 << (flagShift + 3) // allocated

	classShift = 44
	classMask  = 0x3

	genShift = 46
	genMask  = 1<<18 - 1
)

// class is the protocol family of a conn, which picks its timeouts.
type class uint8

const (
	classGeneric class = iota
	classTCP
	classUDP
	classICMP
)

func classOf(proto uint8) class {
	switch proto {
	case 6:
		return classTCP
	case 17:
		return classUDP
	case 1:
		return classICMP
	}
	return classGeneric
}

func wState(w uint64) TCPState { return TCPState(w >> stateShift & stateMask) }
func wClass(w uint64) class    { return class(w >> classShift & classMask) }
func wGen(w uint64) uint32     { return uint32(w >> genShift & genMask) }
func withState(w uint64, s TCPState) uint64 {
	return w&^(stateMask<<stateShift) | uint64(s)<<stateShift
}
func withStamp(w uint64, ms int64) uint64 { return w&^stampMask | uint64(ms)&stampMask }

func packWord(ms int64, s TCPState, flags uint64, c class, gen uint32) uint64 {
	return uint64(ms)&stampMask | uint64(s)<<stateShift | flags | uint64(c)<<classShift | uint64(gen&genMask)<<genShift
}

// millis converts Unix ns to the stamp's unit.
func millis(now int64) int64 { return now / 1e6 }

// ageMS returns how many ms ago w was stamped, as seen at ms. A stamp from
// a goroutine whose clock read was slightly later gives a small negative
// age, treated as fresh.
func ageMS(ms int64, w uint64) int64 {
	return int64((uint64(ms)-w)<<(64-stampBits)) >> (64 - stampBits)
}

// A slot reference names a conn and the direction a slot's key has in it:
//
//	 63   57 56  55    50 49          32 31                 0
//	+-------+---+--------+--------------+--------------------+
//	|   0   |dir| owner  |  generation  |  index in the slab |
//	+-------+---+--------+--------------+--------------------+
//
// In a slot the top seven bits hold the slot's distance from its key's
// home slot (distMax: that far or farther), which spares deletion the
// hash of every key it may shift back; slotRef strips them.
func packRef(owner int, idx uint32, gen uint32, d Dir) uint64 {
	return uint64(idx) | uint64(gen&genMask)<<32 | uint64(owner)<<50 | uint64(d)<<56
}

func refIdx(r uint64) uint32    { return uint32(r) }
func refGen(r uint64) uint32    { return uint32(r>>32) & genMask }
func refOwner(r uint64) int     { return int(r>>50) & (numShards - 1) }
func refDir(r uint64) Dir       { return Dir(r >> 56 & 1) }
func sameConn(a, b uint64) bool { return (a^b)&(refMask&^(1<<56)) == 0 }

const (
	distShift = 57
	distMax   = 1<<(64-distShift) - 1
	refMask   = 1<<distShift - 1
)

// slotRef returns the reference in a slot's reference word.
func slotRef(w uint64) uint64 { return w & refMask }

// withDist returns reference r with the distance d in its slot.
func withDist(r, d uint64) uint64 { return r&refMask | min(d, distMax)<<distShift }

// Dir is the direction of a packet in its connection.
type Dir uint8

// The two directions.
const (
	Original Dir = iota // the direction of the packet that created the connection
	Reply               // the other one
)

func (d Dir) String() string {
	if d == Reply {
		return "reply"
	}
	return "original"
}

// Ref is a handle to a connection returned by Lookup, Track and Commit. It
// stays safe to use after the connection is gone: its methods then report
// false. The zero Ref is no connection.
type Ref struct {
	c   *conn
	ref uint64 // the slot reference, Original direction
}

// Valid reports whether r names a connection (which may have ended since).
func (r Ref) Valid() bool { return r.c != nil }

// Tuples returns the original and reply tuples of the connection, and false
// if it has been removed (or r is the zero Ref).
func (r Ref) Tuples() (orig, reply Key, ok bool) {
	if r.c == nil {
		return orig, reply, false
	}
	o0, o1 := r.c.o0.Load(), r.c.o1.Load()
	r0, r1 := r.c.r0.Load(), r.c.r1.Load()
	w := r.c.word.Load()
	if wGen(w) != refGen(r.ref) || w&fUsed == 0 {
		return orig, reply, false
	}
	return unpack(o0, o1), unpack(r0, r1), true
}
