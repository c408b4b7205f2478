package l2switch

// UnicastUntil says how long Forward's Unicast of a frame from in on
// lvid, src to dst, to port out, stays its answer without a write: it
// returns the time (ms, as Millis) before which Forward, at any now,
// finds the source learned on in and fresh (no refresh to write) and the
// destination learned on out and not aged, and false when that is not so
// at now. It holds only while Gen is what it was before the decision was
// made: moves and removals change Gen, and a refresh of either entry only
// moves its time later. It is for caches of Forward's decisions (a
// worker's flow cache), asked once per cached flow, never per frame.
func (s *Switch) UnicastUntil(in, out PortID, lvid uint16, dst, src *MAC, now int64) (int64, bool) {
	if lvid-1 >= MaxLVID || src[0]&1 != 0 || dst[0]&1 != 0 || in == out {
		return 0, false
	}
	ms := millis(now)
	skey, dkey := fdbKey(lvid, src), fdbKey(lvid, dst)
	sh := mix(skey)
	sv, ok := s.shardOf(sh).get(skey, sh)
	if !ok || valPort(sv) != in {
		return 0, false
	}
	sage := valAge(ms, sv)
	if sage >= s.refreshMS {
		return 0, false
	}
	dh := mix(dkey)
	dv, ok := s.shardOf(dh).get(dkey, dh)
	if !ok || valPort(dv) != out {
		return 0, false
	}
	dage := valAge(ms, dv)
	if dage >= s.agingMS {
		return 0, false
	}
	return min(ms-sage+s.refreshMS, ms-dage+s.agingMS), true
}

// Millis converts Unix nanoseconds to the unit of UnicastUntil.
func Millis(now int64) int64 { return millis(now) }
