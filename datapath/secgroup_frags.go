package datapath

import (
	"encoding/binary"
	"sync"

	"neutrino/packet"
	"neutrino/packet/header"
)

// fragMemory remembers the datagrams whose first fragment a filter let
// through, so that their later fragments (which carry no ports to match)
// follow it. It holds the last fragMemorySize datagrams for fragMemoryTTL
// each: a bounded stand-in for the reassembly Linux does before its
// conntrack. A later fragment that arrives before its first, or after
// the datagram was forgotten, is dropped and counted (fragment_unknown).
// Fragments are rare; a mutex is enough.
type fragMemory struct {
	mu   sync.Mutex
	next int
	ents [fragMemorySize]fragEntry
}

const (
	fragMemorySize = 64
	fragMemoryTTL  = 30e9 // ns, Linux's ipfrag_time
)

type fragEntry struct {
	src, dst uint32
	id       uint16
	proto    uint8
	dir      uint8
	at       int64 // when the first fragment passed; 0: empty
}

func newFragMemory() *fragMemory { return new(fragMemory) }

func fragKey(ip header.IPv4, dir int) fragEntry {
	return fragEntry{
		src: binary.BigEndian.Uint32(ip[12:16]), dst: binary.BigEndian.Uint32(ip[16:20]),
		id: ip.ID(), proto: ip[9], dir: uint8(dir),
	}
}

// firstFragment remembers b when it is the first fragment of a datagram
// the filter lets through in direction dir.
func (f *sgFilter) firstFragment(w *Worker, b *packet.Buffer, dir int) {
	l := &b.Meta.Layout
	ip := header.IPv4(b.Data()[l.L3:])
	if !ip.MoreFragments() || w.dryRun {
		return
	}
	k := fragKey(ip, dir)
	k.at = w.now
	m := f.frags
	m.mu.Lock()
	for i := range m.ents {
		if e := &m.ents[i]; e.at != 0 && e.src == k.src && e.dst == k.dst && e.id == k.id && e.proto == k.proto && e.dir == k.dir {
			e.at = k.at
			m.mu.Unlock()
			return
		}
	}
	m.ents[m.next] = k
	m.next = (m.next + 1) % fragMemorySize
	m.mu.Unlock()
}

// laterFragment lets a fragment past the first through when its first
// passed in the same direction.
func (f *sgFilter) laterFragment(w *Worker, b *packet.Buffer, dir int) bool {
	l := &b.Meta.Layout
	k := fragKey(header.IPv4(b.Data()[l.L3:]), dir)
	m := f.frags
	m.mu.Lock()
	found := false
	for i := range m.ents {
		e := &m.ents[i]
		if e.at != 0 && w.now-e.at < fragMemoryTTL && e.src == k.src && e.dst == k.dst && e.id == k.id && e.proto == k.proto && e.dir == k.dir {
			found = true
			break
		}
	}
	m.mu.Unlock()
	if found {
		return f.verdict(w, b, dir, SGAcceptFragment)
	}
	return f.verdict(w, b, dir, SGFragment)
}
