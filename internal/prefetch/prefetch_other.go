//go:build !amd64

package prefetch

import (
	"sync/atomic"
	"unsafe"
)

// Line loads the word at p, which brings its line in as a prefetch
// would, though a miss then holds up what follows. p must point to an
// 8-byte aligned word of a live object.
func Line(p unsafe.Pointer) { atomic.LoadUint64((*uint64)(p)) }
