package router

import (
	"net/netip"
	"sync/atomic"
)

// FIBTable holds the FIB in use. Readers Load it (or call Lookup) without a
// lock; Replace builds a new FIB beside the old one and swaps it in, so a
// reload never stalls forwarding and a bad route list changes nothing.
// The zero value holds an empty FIB.
type FIBTable struct{ p atomic.Pointer[FIB] }

var emptyFIB = &FIB{}

// Load returns the FIB in use.
func (t *FIBTable) Load() *FIB {
	if f := t.p.Load(); f != nil {
		return f
	}
	return emptyFIB
}

// Store publishes f.
func (t *FIBTable) Store(f *FIB) { t.p.Store(f) }

// Replace builds a FIB from routes and publishes it; on error the FIB in
// use is kept.
func (t *FIBTable) Replace(routes []Route) error {
	f, err := Build(routes)
	if err != nil {
		return err
	}
	t.p.Store(f)
	return nil
}

// Lookup looks dst up in the FIB in use.
func (t *FIBTable) Lookup(dst netip.Addr, flowHash uint32) (NextHop, bool) {
	return t.Load().Lookup(dst, flowHash)
}
