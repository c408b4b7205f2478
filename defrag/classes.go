package defrag

import "math/bits"

// Fragment payloads are copied into buffers of a few sizes, powers of two
// and halfway steps (64, 96, 128, 192, ... 49152, 65536), so that a freed
// buffer fits the next fragment of about its size and no more than a third
// of a buffer is wasted. 65536 holds the largest payload a fragment can
// carry.
const (
	minClassShift = 6                                   // the smallest buffer is 1<<minClassShift bytes
	maxClassShift = 16                                  // the largest is 1<<maxClassShift
	numClasses    = 2*(maxClassShift-minClassShift) + 1 // 21
)

// classSize returns the size of the buffers of class c.
func classSize(c int) int {
	if c%2 == 0 {
		return 1 << (minClassShift + c/2)
	}
	return 3 << (minClassShift + c/2 - 1)
}

// classOf returns the smallest class whose buffers hold n bytes, for n
// from 1 to 1<<maxClassShift.
func classOf(n int) int {
	if n <= 1<<minClassShift {
		return 0
	}
	b := bits.Len(uint(n - 1)) // 1<<(b-1) < n <= 1<<b
	if n <= 3<<(b-2) {
		return 2*(b-minClassShift) - 1
	}
	return 2 * (b - minClassShift)
}
