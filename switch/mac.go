package l2switch

import (
	"encoding/binary"
	"fmt"
)

// MAC is an Ethernet address in wire order. Callers usually point one at a
// frame without copying: (*l2switch.MAC)(frame[0:6]).
type MAC [6]byte

// String formats m as six colon-separated lower-case hex bytes.
func (m MAC) String() string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5])
}

// IsMulticast reports whether the I/G bit is set (multicast or broadcast).
func (m MAC) IsMulticast() bool { return m[0]&1 != 0 }

// fdbKey packs (lvid, mac) into a table key: the MAC's six bytes little-endian
// in the low 48 bits, the lvid above. A valid lvid is never 0, so neither is a
// key: 0 marks an empty slot.
func fdbKey(lvid uint16, m *MAC) uint64 {
	return uint64(binary.LittleEndian.Uint32(m[0:4])) |
		uint64(binary.LittleEndian.Uint16(m[4:6]))<<32 |
		uint64(lvid)<<48
}

// splitKey is the inverse of fdbKey.
func splitKey(k uint64) (lvid uint16, m MAC) {
	binary.LittleEndian.PutUint32(m[0:4], uint32(k))
	binary.LittleEndian.PutUint16(m[4:6], uint16(k>>32))
	return uint16(k >> 48), m
}
