package conntrack

import "neutrino/packet/header"

// TCPState is the state of a TCP connection, as Linux names them.
type TCPState uint8

// The TCP states of nf_conntrack_proto_tcp.c, in its order.
const (
	TCPNone TCPState = iota
	TCPSynSent
	TCPSynRecv
	TCPEstablished
	TCPFinWait
	TCPCloseWait
	TCPLastAck
	TCPTimeWait
	TCPClose
	TCPSynSent2 // simultaneous open: both sides sent a SYN
	numTCPStates

	tcpInvalid TCPState = 14 // sIV: no state allows the packet
	tcpIgnore  TCPState = 15 // sIG: let it through, change nothing
)

var tcpStateNames = [numTCPStates]string{
	TCPNone: "NONE", TCPSynSent: "SYN_SENT", TCPSynRecv: "SYN_RECV",
	TCPEstablished: "ESTABLISHED", TCPFinWait: "FIN_WAIT", TCPCloseWait: "CLOSE_WAIT",
	TCPLastAck: "LAST_ACK", TCPTimeWait: "TIME_WAIT", TCPClose: "CLOSE", TCPSynSent2: "SYN_SENT2",
}

// String returns the state's name as conntrack -L prints it.
func (s TCPState) String() string {
	if s < numTCPStates {
		return tcpStateNames[s]
	}
	return "INVALID"
}

// tcpIndex classifies a segment by its flags as Linux's
// get_conntrack_index does: RST first, then SYN (with or without ACK),
// FIN, ACK, and nothing of these.
type tcpIndex uint8

const (
	tcpSYN tcpIndex = iota
	tcpSYNACK
	tcpFIN
	tcpACK
	tcpRST
	tcpNONE
)

func tcpIndexOf(flags uint8) tcpIndex {
	switch {
	case flags&header.TCPFlagRST != 0:
		return tcpRST
	case flags&header.TCPFlagSYN != 0:
		if flags&header.TCPFlagACK != 0 {
			return tcpSYNACK
		}
		return tcpSYN
	case flags&header.TCPFlagFIN != 0:
		return tcpFIN
	case flags&header.TCPFlagACK != 0:
		return tcpACK
	}
	return tcpNONE
}

// tcpValidFlags are the flag combinations Linux's tcp_error accepts,
// ECE, CWR and PSH aside; any other segment is INVALID before its
// connection is looked at.
var tcpValidFlags = func() (v [64]bool) {
	const (
		fin, syn, rst, ack, urg = header.TCPFlagFIN, header.TCPFlagSYN, header.TCPFlagRST, header.TCPFlagACK, header.TCPFlagURG
	)
	for _, f := range []uint8{syn, syn | urg, syn | ack, rst, rst | ack, fin | ack, fin | ack | urg, ack, ack | urg} {
		v[f] = true
	}
	return v
}()

func tcpFlagsValid(flags uint8) bool {
	return tcpValidFlags[flags&^(header.TCPFlagECE|header.TCPFlagCWR|header.TCPFlagPSH)&63]
}

// tcpTransitions is Linux's tcp_conntracks table: the next state by
// direction, segment kind and current state. Window tracking (sequence
// numbers) is not done, so a few of Linux's refinements that depend on it
// are missing; see doc.go.
var tcpTransitions = func() (t [2][6][numTCPStates]TCPState) {
	const (
		sNO, sSS, sSR, sES, sFW = TCPNone, TCPSynSent, TCPSynRecv, TCPEstablished, TCPFinWait
		sCW, sLA, sTW, sCL, sS2 = TCPCloseWait, TCPLastAck, TCPTimeWait, TCPClose, TCPSynSent2
		sIV, sIG                = tcpInvalid, tcpIgnore
	)
	t[Original] = [6][numTCPStates]TCPState{
		//          sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2
		tcpSYN:    {sSS, sSS, sIG, sIG, sIG, sIG, sIG, sSS, sSS, sS2},
		tcpSYNACK: {sIV, sIV, sSR, sIV, sIV, sIV, sIV, sIV, sIV, sSR},
		tcpFIN:    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
		tcpACK:    {sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV},
		tcpRST:    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
		tcpNONE:   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
	}
	t[Reply] = [6][numTCPStates]TCPState{
		//          sNO, sSS, sSR, sES, sFW, sCW, sLA, sTW, sCL, sS2
		tcpSYN:    {sIV, sS2, sIV, sIV, sIV, sIV, sIV, sSS, sIV, sS2},
		tcpSYNACK: {sIV, sSR, sIG, sIG, sIG, sIG, sIG, sIG, sIG, sSR},
		tcpFIN:    {sIV, sIV, sFW, sFW, sLA, sLA, sLA, sTW, sCL, sIV},
		tcpACK:    {sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG},
		tcpRST:    {sIV, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL, sCL},
		tcpNONE:   {sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV, sIV},
	}
	return t
}()

// tcpNew is the state a first segment with flags creates, or false when it
// may not create one (Linux's tcp_new): a SYN opens SYN_SENT; with loose
// pickup (nf_conntrack_tcp_loose) a segment with ACK and no SYN, FIN or
// RST is taken as an established connection seen mid-stream.
func tcpNew(flags uint8, loose bool) (TCPState, bool) {
	switch tcpTransitions[Original][tcpIndexOf(flags)][TCPNone] {
	case TCPSynSent:
		return TCPSynSent, true
	case TCPEstablished:
		return TCPEstablished, loose
	}
	return TCPNone, false
}

// tcpStep is the outcome of a segment on an existing connection.
type tcpStep uint8

const (
	tcpUpdate  tcpStep = iota // store the new state word (may equal the old)
	tcpKeep                   // valid, change nothing
	tcpBad                    // INVALID
	tcpKill                   // valid; the connection ends now
	tcpReopen                 // the connection ends; the segment opens a new one
	tcpNoRenew                // store the new state word, keeping the old timestamp
)

// tcpNext computes the state word after a segment with flags in direction
// d, at ms, from the word w (Linux's tcp_packet without window tracking).
func tcpNext(w uint64, d Dir, flags uint8, ms int64) (uint64, tcpStep) {
	old := wState(w)
	idx := tcpIndexOf(flags)
	ns := tcpTransitions[d][idx][old]
	switch ns {
	case tcpInvalid:
		return w, tcpBad
	case tcpIgnore:
		return w, tcpKeep
	case TCPSynSent:
		if old >= TCPTimeWait {
			// RFC 1122 reopening from TIME_WAIT or CLOSE: Linux kills
			// the old connection and tracks the SYN as a new one.
			return w, tcpReopen
		}
	}
	seen := w&fSeenReply != 0
	if !seen {
		if idx == tcpRST {
			// The only reply is a RST: no connection to keep.
			return w, tcpKill
		}
		if idx == tcpSYN && old == TCPSynSent {
			// A retransmitted SYN (or the peer's SYN of a simultaneous
			// open) does not renew the timeout, or port reuse could keep
			// the entry alive for ever.
			if d == Reply {
				w |= fSeenReply
			}
			return withState(w, ns), tcpNoRenew
		}
	} else if (old == TCPSynRecv || old == TCPEstablished) && ns == TCPEstablished {
		w |= fAssured
	}
	if d == Reply {
		w |= fSeenReply
	}
	if ns != old {
		w = withState(w, ns)
		w = withStamp(w, ms)
	}
	return w, tcpUpdate
}
