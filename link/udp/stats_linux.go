package udp

import "sync/atomic"

// counters are updated once per batch.
type counters struct {
	rxDatagrams, rxTrains, rxBytes, rxTruncated, rxErrors atomic.Uint64
	txDatagrams, txTrains, txBytes, txErrors, txTooBig    atomic.Uint64
	txBlocked, txGSOOff                                   atomic.Uint64
}

// received adds what one ReadBatch did.
func (c *counters) received(r *reader) {
	if r.n == 0 && r.trunc == 0 {
		return
	}
	c.rxDatagrams.Add(uint64(r.wire))
	c.rxTrains.Add(uint64(r.trains))
	c.rxBytes.Add(uint64(r.bytes))
	c.rxTruncated.Add(uint64(r.trunc))
}

// sent adds what one WriteBatch did.
func (c *counters) sent(w *writer) {
	c.txDatagrams.Add(uint64(w.wire))
	c.txTrains.Add(uint64(w.trains))
	c.txBytes.Add(uint64(w.bytes))
	if w.failed > 0 {
		c.txErrors.Add(uint64(w.failed))
		c.txTooBig.Add(uint64(w.tooBig))
	}
	if w.blocked > 0 {
		c.txBlocked.Add(uint64(w.blocked))
	}
	if w.gsoOff > 0 {
		c.txGSOOff.Add(uint64(w.gsoOff))
	}
}

// Counters returns the Underlay's counters since Open, by snake_case name:
//
//	rx_datagrams       datagrams received (a GRO train counts its datagrams)
//	rx_gro_trains      GRO trains received (Datagrams with SegSize > 0)
//	rx_bytes           UDP payload bytes received
//	rx_truncated       datagrams dropped for a buffer too small
//	rx_errors          receive calls that failed
//	tx_datagrams       datagrams sent (a GSO train counts its datagrams)
//	tx_gso_trains      UDP_SEGMENT sends
//	tx_bytes           UDP payload bytes sent
//	tx_errors          datagrams (entries of WriteBatch) refused
//	tx_errors_too_big  of which over the path MTU (EMSGSIZE, or EINVAL for a train)
//	tx_blocked         times a send waited for room in a socket buffer
//	tx_gso_off         times GSO was turned off after the kernel refused a train
func (u *Underlay) Counters() map[string]uint64 {
	c := &u.stats
	return map[string]uint64{
		"rx_datagrams": c.rxDatagrams.Load(), "rx_gro_trains": c.rxTrains.Load(),
		"rx_bytes": c.rxBytes.Load(), "rx_truncated": c.rxTruncated.Load(), "rx_errors": c.rxErrors.Load(),
		"tx_datagrams": c.txDatagrams.Load(), "tx_gso_trains": c.txTrains.Load(), "tx_bytes": c.txBytes.Load(),
		"tx_errors": c.txErrors.Load(), "tx_errors_too_big": c.txTooBig.Load(),
		"tx_blocked": c.txBlocked.Load(), "tx_gso_off": c.txGSOOff.Load(),
	}
}

// LinkCounters returns Counters, for link.Counter.
func (u *Underlay) LinkCounters() map[string]uint64 { return u.Counters() }
