package l2switch

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// PortID names a port of the switch. The datapath assigns them densely from 0.
type PortID uint16

// MaxLVID is the highest usable local VLAN id; lvids run 1..MaxLVID. 4095 is
// Neutron's dead-port tag and 0 means none.
const MaxLVID = 4094

// ErrBadVLAN is returned for a VLAN id or lvid outside 1..MaxLVID.
var ErrBadVLAN = errors.New("l2switch: VLAN id out of range 1..4094")

// Config tunes a Switch. The zero value gives Neutron's defaults.
type Config struct {
	// AgingTime is how long an entry lives without traffic from its MAC.
	// 0 means 300 s (OVS mac-aging-time). The resolution is 1 ms.
	AgingTime time.Duration
	// MaxMACsPerPort caps the entries a port may own. 0 means 1024; a
	// negative value means no limit.
	MaxMACsPerPort int
	// MaxEntries bounds the whole table, all ports and lvids together (OVS
	// other_config:mac-table-size). 0 means 65536; a negative value means
	// no bound. When the table is full, a new MAC takes the place of an
	// aged entry or of the least recently refreshed one learned on a port
	// without a per-port limit (an uplink); when there is none, the MAC is
	// not learned (LearnTableFull) and the frame goes on.
	MaxEntries int
}

// Defaults applied by New for zero Config fields.
const (
	DefaultAgingTime      = 300 * time.Second
	DefaultMaxMACsPerPort = 1024
	DefaultMaxEntries     = 65536
)

// Switch is one bridge's learning switch (br-int). It is safe for
// concurrent use; see the package comment.
type Switch struct {
	shards [numShards]shard

	agingMS   int64 // entries this old (ms) are gone
	refreshMS int64 // a same-port entry this old is rewritten
	limit     int64 // per-port entries, <0 = none

	maxEntries int64        // table bound, <0 = none
	count      atomic.Int64 // entries in all shards, aged ones included
	// gen counts the changes that can change where a known MAC's frames
	// go: moves, removals, evictions (Gen).
	gen atomic.Uint64
	// noVictim is the time (ms) before which no search for an entry to
	// evict in other shards is worth it: the last one found none.
	noVictim atomic.Int64

	flood atomic.Pointer[floodLists]

	portsMu sync.Mutex // serializes growth of ports
	ports   atomic.Pointer[[]*portState]

	// Last limit-triggered sweep, in ms; sweptAny false until the first.
	sweepMu   sync.Mutex
	lastSweep int64
	sweptAny  bool
}

// New returns an empty Switch with no members.
func New(cfg Config) *Switch {
	if cfg.AgingTime <= 0 {
		cfg.AgingTime = DefaultAgingTime
	}
	if cfg.MaxMACsPerPort == 0 {
		cfg.MaxMACsPerPort = DefaultMaxMACsPerPort
	}
	if cfg.MaxEntries == 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	s := &Switch{
		agingMS:    max(int64(cfg.AgingTime/time.Millisecond), 1),
		limit:      int64(cfg.MaxMACsPerPort),
		maxEntries: int64(cfg.MaxEntries),
	}
	s.refreshMS = max(min(1000, s.agingMS/8), 1)
	for i := range s.shards {
		s.shards[i].tab.Store(newTable(minSlots))
	}
	s.flood.Store(&floodLists{})
	empty := []*portState{}
	s.ports.Store(&empty)
	return s
}

// millis converts Unix nanoseconds to whole milliseconds, rounding down.
func millis(now int64) int64 {
	ms := now / 1e6
	if ms*1e6 > now {
		ms--
	}
	return ms
}

func (s *Switch) shardOf(h uint64) *shard {
	return &s.shards[h>>(64-shardBits)]
}

// Gen returns a number that changes whenever an entry moves to another
// port or leaves the table (aging, flushes, membership, eviction): a
// cache of unicast decisions made at one Gen holds while Gen does. New
// entries do not change it: they turn floods into unicasts, and floods
// are not cached.
func (s *Switch) Gen() uint64 { return s.gen.Load() }
