package datapath

import "sync/atomic"

// uint64Counter is a counter with one writer: the writer adds without a
// read-modify-write instruction, readers load it atomically.
type uint64Counter struct{ v atomic.Uint64 }

func (c *uint64Counter) inc()         { c.v.Store(c.v.Load() + 1) }
func (c *uint64Counter) add(n uint64) { c.v.Store(c.v.Load() + n) }
func (c *uint64Counter) load() uint64 { return c.v.Load() }

// portCounters are one port's counters. Receive counters are written by
// the port's own reader only; transmit counters by every reader, once per
// flushed batch.
type portCounters struct {
	rxFrames, rxBytes, rxDrops atomic.Uint64
	_                          [64 - 3*8]byte // rx and tx on cache lines of their own
	txFrames, txBytes, txDrops atomic.Uint64
	_                          [64 - 3*8]byte
}

// PortCounters is a snapshot of one port's counters.
type PortCounters struct {
	Port     string `json:"port"`
	RxFrames uint64 `json:"rx_frames"`
	RxBytes  uint64 `json:"rx_bytes"`
	RxDrops  uint64 `json:"rx_drops"`
	TxFrames uint64 `json:"tx_frames"`
	TxBytes  uint64 `json:"tx_bytes"`
	TxDrops  uint64 `json:"tx_drops"`
	// Link holds the endpoint's own counters (link.Counter), if any.
	Link map[string]uint64 `json:"link,omitempty"`
}

// Counters is a snapshot of the node's counters.
type Counters struct {
	Ports []PortCounters `json:"ports"`
	// Drops counts drops per reason, summed over the stages (reason names
	// are unique across stages); only reasons seen appear.
	Drops map[string]uint64 `json:"drops"`
	// Stages counts the same drops per stage and reason.
	Stages map[string]map[string]uint64 `json:"stages,omitempty"`
	FDB    map[string]uint64            `json:"fdb"` // learning statistics
	// DHCP counts each DHCP port's work, per network.
	DHCP map[string]map[string]uint64 `json:"dhcp,omitempty"`
	// Routers counts each router's work, by router name; Conntrack the
	// node's connection table.
	Routers   map[string]map[string]uint64 `json:"routers,omitempty"`
	Conntrack map[string]uint64            `json:"conntrack,omitempty"`
	// RouteCacheHits counts the routed frames the workers' route caches
	// answered without walking the graph (they are in the routers'
	// forwarded counts too).
	RouteCacheHits uint64 `json:"route_cache_hits,omitempty"`
	// VMFlowCacheHits counts the frames of VM ports the workers' VM flow
	// caches answered without walking br-int and the filters.
	VMFlowCacheHits uint64 `json:"vm_flow_cache_hits,omitempty"`
}

func (c *portCounters) snapshot(name string) PortCounters {
	return PortCounters{
		Port:     name,
		RxFrames: c.rxFrames.Load(),
		RxBytes:  c.rxBytes.Load(),
		RxDrops:  c.rxDrops.Load(),
		TxFrames: c.txFrames.Load(),
		TxBytes:  c.txBytes.Load(),
		TxDrops:  c.txDrops.Load(),
	}
}
