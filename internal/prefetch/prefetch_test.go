package prefetch

import (
	"testing"
	"unsafe"
)

// Line reads nothing that changes and writes nothing.
func TestLine(t *testing.T) {
	b := make([]uint64, 1024)
	for i := range b {
		b[i] = uint64(i)
	}
	for i := range b {
		Line(unsafe.Pointer(&b[i]))
	}
	for i := range b {
		if b[i] != uint64(i) {
			t.Fatalf("word %d changed to %d", i, b[i])
		}
	}
}
