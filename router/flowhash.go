package router

import "encoding/binary"

// FlowHash hashes an IPv4 flow's 5-tuple for ECMP. It is symmetric in
// nothing: both directions of a connection may take different paths, as
// with Linux's L4 multipath hash (fib_multipath_hash_policy=1). For ICMP and
// other protocols without ports, pass zero ports.
func FlowHash(src, dst [4]byte, proto uint8, sport, dport uint16) uint32 {
	a := uint64(binary.BigEndian.Uint32(src[:]))<<32 | uint64(binary.BigEndian.Uint32(dst[:]))
	b := uint64(proto)<<32 | uint64(sport)<<16 | uint64(dport)
	return uint32(fmix64(a^fmix64(b+0x9e3779b97f4a7c15)) >> 32)
}

// fmix64 is MurmurHash3's 64-bit finalizer: every input bit affects every
// output bit, so the top 32 bits used for hash-threshold selection are
// evenly spread even when flows differ by a single port.
func fmix64(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9fe1a85ec53
	k ^= k >> 33
	return k
}
