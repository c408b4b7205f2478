package router

import "neutrino/packet/header"

// TCPResetFrameLen is the length of the frames BuildTCPReset writes, without
// Ethernet padding (the caller pads to 60 bytes where the link needs it).
const TCPResetFrameLen = header.EthernetLen + header.IPv4MinLen + header.TCPMinLen

// BuildTCPReset writes into buf an untagged Ethernet frame from src to dst
// carrying the reset Linux's tcp_v4_send_reset answers orig with, orig being
// a TCP segment (an IPv4 datagram from its IP header on) to one of the
// router's addresses where nothing listens:
//
//   - when orig has ACK, RST with sequence number orig's acknowledgment
//     number; else RST|ACK with sequence number 0 and acknowledgment number
//     orig's sequence number plus its data length, plus one each for SYN
//     and FIN (RFC 9293 section 3.10.7.1);
//   - ports swapped, no options, window 0;
//   - IPv4 from orig's destination to its source, without options: TOS
//     orig's with the ECN bits clear, TTL 64, DF set and identification 0
//     (as Linux sends its resets);
//   - IP and TCP checksums computed.
//
// It returns TCPResetFrameLen, or 0, writing nothing, when no reset is due:
// buf is shorter than TCPResetFrameLen; orig is not a well-formed,
// unfragmented IPv4 TCP segment with a correct checksum (Linux drops those
// before looking for a socket; a fragmented segment must be reassembled
// first); orig has RST; or it comes from a source or goes to a destination
// ShouldSendError refuses. buf may be the buffer orig lies in.
func BuildTCPReset(buf []byte, dst, src [6]byte, orig []byte) int {
	o := header.IPv4(orig)
	if len(buf) < TCPResetFrameLen || o.Check() != header.OK || o.Protocol() != header.ProtoTCP || o.IsFragment() {
		return 0
	}
	from, to := o.Dst(), o.Src()
	if !unicastSource(to) || groupDest(from) {
		return 0
	}
	seg := header.TCP(o.Payload())
	if seg.Check() != header.OK || !seg.ChecksumValid(to, from) || seg.Flags()&header.TCPFlagRST != 0 {
		return 0
	}
	var seq, ack uint32
	flags := header.TCPFlagRST
	if f := seg.Flags(); f&header.TCPFlagACK != 0 {
		seq = seg.Ack()
	} else {
		ack = seg.Seq() + uint32(len(seg)-seg.HeaderLen())
		if f&header.TCPFlagSYN != 0 {
			ack++
		}
		if f&header.TCPFlagFIN != 0 {
			ack++
		}
		flags |= header.TCPFlagACK
	}
	sport, dport, tos := seg.DstPort(), seg.SrcPort(), o.TOS()&^0x03

	eth := header.Ethernet(buf)
	eth.SetDst(dst)
	eth.SetSrc(src)
	eth.SetType(header.EtherTypeIPv4)

	const at = header.EthernetLen + header.IPv4MinLen // the TCP header
	t := header.TCP(buf[at:TCPResetFrameLen])
	clear(t)
	t.SetSrcPort(sport)
	t.SetDstPort(dport)
	t.SetSeq(seq)
	t.SetAck(ack)
	t.SetDataOffset(header.TCPMinLen / 4)
	t.SetFlags(flags)
	t.SetChecksum(t.CalculateChecksum(from, to))

	writeIPv4(header.IPv4(buf[header.EthernetLen:at]), header.IPv4MinLen+header.TCPMinLen, tos, 0, header.IPv4FlagDF, header.ProtoTCP, from, to)
	return TCPResetFrameLen
}
