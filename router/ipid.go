package router

import (
	"math/rand/v2"
	"sync/atomic"
)

// ipIdent numbers the datagrams the router originates with DF clear: ICMP
// errors and echo replies. It is a single counter for every destination,
// started at a random value so that the IDs do not count the router's
// uptime. Linux spreads the same job over many counters chosen by a keyed
// hash of the addresses (ip_idents), so that one destination learns less
// about the router's traffic to others; a router's ICMP is too little
// traffic for the shared counter to wrap within a reassembly timeout at the
// rates ICMPLimiter lets errors out.
var ipIdent atomic.Uint32

func init() { ipIdent.Store(rand.Uint32()) }

// nextIPID returns the next identification.
func nextIPID() uint16 { return uint16(ipIdent.Add(1)) }
