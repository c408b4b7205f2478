package afpacket

import "sync/atomic"

// Stats are the counters of a Socket since Open.
type Stats struct {
	RxFrames    uint64 // frames read
	RxGSO       uint64 // of which super-frames
	RxVLAN      uint64 // of which had their 802.1Q tag put back from the auxdata
	RxTruncated uint64 // frames dropped because a buffer was too small
	RxDown      uint64 // times the interface was reported down
	TxFrames    uint64 // frames sent
	TxGSO       uint64 // of which super-frames
	TxErrors    uint64 // frames the kernel refused
}

// counters are updated once per batch.
type counters struct {
	rxFrames, rxGSO, rxVLAN, rxTruncated, rxDown atomic.Uint64
	txFrames, txGSO, txErrors                    atomic.Uint64
}

// account adds what one ReadBatch did.
func (c *counters) account(r *reader) {
	if r.n == 0 && r.dropped == 0 && r.down == 0 {
		return
	}
	var gso, vlan uint64
	for _, b := range r.bufs[:r.n] {
		if b.Meta.GSO.IsGSO() {
			gso++
		}
	}
	vlan = uint64(r.vlan)
	c.rxFrames.Add(uint64(r.n))
	c.rxGSO.Add(gso)
	c.rxVLAN.Add(vlan)
	c.rxTruncated.Add(uint64(r.dropped))
	c.rxDown.Add(uint64(r.down))
}

// Stats returns the socket's counters.
func (s *Socket) Stats() Stats {
	c := &s.stats
	return Stats{
		RxFrames: c.rxFrames.Load(), RxGSO: c.rxGSO.Load(), RxVLAN: c.rxVLAN.Load(),
		RxTruncated: c.rxTruncated.Load(), RxDown: c.rxDown.Load(),
		TxFrames: c.txFrames.Load(), TxGSO: c.txGSO.Load(), TxErrors: c.txErrors.Load(),
	}
}

// LinkCounters implements link.Counter.
func (s *Socket) LinkCounters() map[string]uint64 {
	st := s.Stats()
	return map[string]uint64{
		"rx_super_frames": st.RxGSO, "rx_vlan_tags_restored": st.RxVLAN, "rx_truncated": st.RxTruncated,
		"rx_link_down": st.RxDown, "tx_super_frames": st.TxGSO, "tx_errors": st.TxErrors,
	}
}
