package router

import (
	"sync"
	"sync/atomic"
	"time"
)

// State is a neighbour's state, as Linux's NUD states (DELAY is folded into
// PROBE: a STALE neighbour used again is probed at once).
type State uint8

// Neighbour states.
const (
	StateNone       State = iota // no entry
	StateIncomplete              // resolving: broadcast requests sent, frames queued
	StateReachable               // confirmed by a reply less than ReachableTime ago
	StateStale                   // MAC known but unconfirmed; used as is, probed when used
	StateProbe                   // stale and used: frames go out, unicast requests confirm
	StateFailed                  // resolution failed: unreachable until FailedHold passes
)

var stateNames = [...]string{"NONE", "INCOMPLETE", "REACHABLE", "STALE", "PROBE", "FAILED"}

// String returns the state's name as ip neigh shows it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "INVALID"
}

// Config sets a neighbour cache's bounds and timers. Zero fields take the
// defaults, which are Linux's (net.ipv4.neigh.default.*).
type Config struct {
	MaxEntries    int           // neighbours held at most (1024); then FAILED and STALE ones are evicted
	MaxQueue      int           // frames queued per unresolved neighbour (3); more push out the oldest
	Retries       int           // requests sent before giving up (3, mcast_solicit and ucast_solicit)
	RetransTime   time.Duration // between requests (1 s, retrans_time_ms)
	ReachableTime time.Duration // a reply keeps a neighbour REACHABLE this long (30 s)
	FailedHold    time.Duration // a FAILED neighbour answers Unreachable this long (1 s), then resolution starts again
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxEntries, 1024)
	def(&c.MaxQueue, 3)
	def(&c.Retries, 3)
	defD(&c.RetransTime, time.Second)
	defD(&c.ReachableTime, 30*time.Second)
	defD(&c.FailedHold, time.Second)
	return c
}

// Action tells the datapath what to do with a frame for a neighbour.
type Action uint8

// Actions returned by Resolve. Who owns the item afterwards is in each.
const (
	// Send: the MAC is valid; send the frame now. The caller keeps the item.
	Send Action = iota
	// SendAndProbe: send the frame now with the (stale) MAC, and send a
	// unicast ARP request to that MAC to confirm it. The caller keeps the item.
	SendAndProbe
	// QueueAndRequest: the cache keeps the item; broadcast an ARP request.
	QueueAndRequest
	// Queued: the cache keeps the item; a request is already out.
	Queued
	// Unreachable: resolution failed; drop the frame and answer ICMP host
	// unreachable. The caller keeps the item.
	Unreachable
	// TableFull: no room for one more neighbour; drop the frame (no ICMP,
	// as Linux's "neighbour table overflow"). The caller keeps the item.
	TableFull
)

var actionNames = [...]string{"send", "send+probe", "queue+request", "queued", "unreachable", "table-full"}

// String names the action for traces.
func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "invalid"
}

// Decision is Resolve's answer.
type Decision[T any] struct {
	Action Action
	MAC    [6]byte // for Send and SendAndProbe
	// Dropped is the oldest queued item, pushed out by this one when the
	// neighbour's queue was full (HasDropped); the caller frees it.
	Dropped    T
	HasDropped bool
}

// Request is an ARP request the datapath is to send: broadcast when MAC is
// zero, else unicast to MAC (a probe of a stale neighbour).
type Request struct {
	Iface int
	IP    [4]byte
	MAC   [6]byte
}

// Evidence says what an ARP packet tells about its sender.
type Evidence uint8

// Kinds of evidence given to Learn.
const (
	// HeardReply: an ARP reply to the router. Confirms a neighbour being
	// resolved or known (REACHABLE); an unsolicited reply for an unknown
	// address creates nothing (Linux's arp_accept=0).
	HeardReply Evidence = iota
	// HeardRequest: a request for one of the router's addresses. Creates
	// or updates the sender as STALE, as Linux does.
	HeardRequest
	// HeardOther: any other ARP (gratuitous, for someone else). Updates an
	// existing entry whose MAC changed; creates nothing.
	HeardOther
)

// Cache is one router's neighbour (ARP) cache. T is what the datapath queues
// while a neighbour resolves, typically a pooled frame buffer: the cache
// only holds items and hands them back (to send, or to drop), it never looks
// inside.
//
// Resolve's hit path (a REACHABLE or PROBE neighbour) takes no lock and
// writes nothing shared; every other change happens under one mutex, and
// every decision comes back as a value. Times are Unix nanoseconds from the
// caller's clock.
type Cache[T any] struct {
	cfg       Config
	reachable int64 // ns
	retrans   int64
	hold      int64

	ix   atomic.Pointer[index[T]] // readers load it; writers replace it under mu
	tomb *neighbour[T]            // marks a deleted slot

	mu     sync.Mutex
	count  int          // live neighbours, under mu
	failed int          // FAILED neighbours, under mu
	order  neighbour[T] // sentinel of the list of live neighbours, least recently changed first
	stats  counters
}

// neighbour is one entry. key never changes; word and confirmed are read
// without the lock; the rest is under Cache.mu.
type neighbour[T any] struct {
	key       uint64        // neighKey(iface, ip)
	word      atomic.Uint64 // State<<48 | MAC
	confirmed atomic.Int64  // when a reply last confirmed it

	probes  int   // requests sent in this round of resolution or probing
	next    int64 // next retry, failure, or end of FAILED hold
	changed int64 // last change of state: the eviction order
	queue   []T

	older, newer *neighbour[T] // in Cache.order, under mu
}

// New returns an empty cache.
func New[T any](cfg Config) *Cache[T] {
	cfg = cfg.withDefaults()
	c := &Cache[T]{
		cfg:       cfg,
		reachable: int64(cfg.ReachableTime),
		retrans:   int64(cfg.RetransTime),
		hold:      int64(cfg.FailedHold),
		tomb:      &neighbour[T]{},
	}
	c.ix.Store(newIndex[T](cfg.MaxEntries))
	c.order.older, c.order.newer = &c.order, &c.order
	return c
}

// Config returns the cache's configuration with defaults filled in.
func (c *Cache[T]) Config() Config { return c.cfg }

func neighKey(iface int, ip [4]byte) uint64 {
	return uint64(uint32(iface))<<32 | uint64(ip[0])<<24 | uint64(ip[1])<<16 | uint64(ip[2])<<8 | uint64(ip[3])
}

func keyParts(k uint64) (iface int, ip [4]byte) {
	return int(int32(k >> 32)), [4]byte{byte(k >> 24), byte(k >> 16), byte(k >> 8), byte(k)}
}

func packWord(s State, mac [6]byte) uint64 {
	return uint64(s)<<48 | uint64(mac[0])<<40 | uint64(mac[1])<<32 | uint64(mac[2])<<24 |
		uint64(mac[3])<<16 | uint64(mac[4])<<8 | uint64(mac[5])
}

func unpackWord(w uint64) (State, [6]byte) {
	return State(w >> 48), [6]byte{byte(w >> 40), byte(w >> 32), byte(w >> 24), byte(w >> 16), byte(w >> 8), byte(w)}
}

func (n *neighbour[T]) state() State { return State(n.word.Load() >> 48) }

// set changes n's state and MAC and moves it to the end of the eviction
// order. Under mu; n must be linked (inserted).
func (c *Cache[T]) set(n *neighbour[T], s State, mac [6]byte, now int64) {
	if n.state() == StateFailed {
		c.failed--
	}
	if s == StateFailed {
		c.failed++
	}
	n.changed = now
	n.word.Store(packWord(s, mac))
	c.unlink(n)
	c.linkLast(n)
}

func (c *Cache[T]) linkLast(n *neighbour[T]) {
	n.older, n.newer = c.order.older, &c.order
	c.order.older.newer = n
	c.order.older = n
}

func (c *Cache[T]) unlink(n *neighbour[T]) {
	if n.older != nil {
		n.older.newer, n.newer.older = n.newer, n.older
		n.older, n.newer = nil, nil
	}
}
