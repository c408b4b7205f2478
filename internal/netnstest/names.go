package netnstest

import (
	"crypto/rand"
	"encoding/hex"
)

// maxIfName is the longest interface name Linux takes (IFNAMSIZ - 1).
const maxIfName = 15

// suffix returns 6 random hex digits.
func suffix() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// IfName returns a unique interface name: prefix (cut to 9 bytes) followed
// by 6 random hex digits, at most 15 bytes in all. Use it for the TAP
// devices and other interfaces a test creates itself.
func IfName(prefix string) string {
	if len(prefix) > maxIfName-6 {
		prefix = prefix[:maxIfName-6]
	}
	return prefix + suffix()
}
