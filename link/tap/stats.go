package tap

import "sync/atomic"

// Stats are the counters of a Device since Open.
type Stats struct {
	RxFrames       uint64 // frames read
	RxGSO          uint64 // of which TCP super-frames
	RxDropped      uint64 // frames dropped: bigger than the buffer, or not describable in a virtio-net header
	TxFrames       uint64 // frames written
	TxGSO          uint64 // of which super-frames
	TxErrors       uint64 // frames the kernel refused
	TxUDPCoalesced uint64 // UDP datagrams written as parts of UDP super-frames
}

// counters are updated once per batch.
type counters struct {
	rxFrames, rxGSO, rxDropped atomic.Uint64
	txFrames, txGSO, txErrors  atomic.Uint64
	txUSO                      atomic.Uint64
}

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	c := &d.stats
	return Stats{
		RxFrames: c.rxFrames.Load(), RxGSO: c.rxGSO.Load(), RxDropped: c.rxDropped.Load(),
		TxFrames: c.txFrames.Load(), TxGSO: c.txGSO.Load(), TxErrors: c.txErrors.Load(),
		TxUDPCoalesced: c.txUSO.Load(),
	}
}

// LinkCounters implements link.Counter.
func (d *Device) LinkCounters() map[string]uint64 {
	s := d.Stats()
	return map[string]uint64{
		"rx_super_frames": s.RxGSO, "rx_dropped": s.RxDropped,
		"tx_super_frames": s.TxGSO, "tx_errors": s.TxErrors,
		"tx_udp_coalesced": s.TxUDPCoalesced,
	}
}
