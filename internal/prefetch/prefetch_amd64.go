package prefetch

import "unsafe"

// Line asks for the cache line holding p (PREFETCHT0). p must point into
// a live object; nothing is read from it, and no fault is possible.
//
//go:noescape
func Line(p unsafe.Pointer)
