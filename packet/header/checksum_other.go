//go:build !amd64

package header

// No vector sum here: sumLE sums everything itself.
const useAVX2 = false

func sumWide(b []byte) (uint64, []byte) { return 0, b }
