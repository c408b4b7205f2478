package dhcp

import "net/netip"

// SplitPool returns node index's share of pool when nodes nodes serve it:
// contiguous equal shares in node order, the last one taking the
// remainder. It returns false when the share is empty (more nodes than
// addresses) or the arguments make no sense.
func SplitPool(pool Range, nodes, index int) (Range, bool) {
	size := pool.Size()
	if size == 0 || nodes <= 0 || index < 0 || index >= nodes {
		return Range{}, false
	}
	share := size / nodes
	start := u32(pool.Start) + uint32(share*index)
	end := start + uint32(share) - 1
	if index == nodes-1 {
		end = u32(pool.End)
	} else if share == 0 {
		return Range{}, false
	}
	return Range{Start: addr4(start), End: addr4(end)}, true
}

// inPool reports whether ip is an address of sn's pool that may be given
// out (not the network or broadcast address).
func (sn *subnet) inPool(ip uint32) bool {
	return sn.poolSize > 0 && ip-sn.poolLo < uint32(sn.poolSize) && ip != sn.network && ip != sn.broadcast
}

// allocate picks a free pool address of sn for mac, with l.mu held: the
// requested address when it is free, else the first never-used address
// from a point that depends on the MAC (so a client that comes back after
// its record was forgotten most likely gets its old address), else the
// first address whose lease has expired, whose record is then forgotten.
func (s *Server) allocate(sn *subnet, mac MAC, requested netip.Addr, now int64) (uint32, bool) {
	l := s.leases
	if requested.Is4() {
		if ip := u32(requested); sn.inPool(ip) {
			switch ri := l.byIPRec(sn.id, ip); {
			case ri < 0:
				return ip, true
			case l.recs[ri].expires <= now:
				l.remove(ri)
				return ip, true
			}
		}
	}
	size := uint32(sn.poolSize)
	start := macHash(mac) % size
	for i := range size {
		ip := sn.poolLo + (start+i)%size
		if sn.inPool(ip) && l.byIPRec(sn.id, ip) < 0 {
			return ip, true
		}
	}
	for i := range size {
		ip := sn.poolLo + (start+i)%size
		if ri := l.byIPRec(sn.id, ip); ri >= 0 && l.recs[ri].expires <= now && sn.inPool(ip) {
			l.remove(ri)
			return ip, true
		}
	}
	return 0, false
}

// macHash spreads MACs over a pool (FNV-1a).
func macHash(m MAC) uint32 {
	h := uint32(2166136261)
	for _, b := range m {
		h ^= uint32(b)
		h *= 16777619
	}
	return h
}
