package dhcp

import (
	"net/netip"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

// The fixed BOOTP header (RFC 2131 §2), 236 bytes, then the magic cookie:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
//	+---------------+---------------+---------------+---------------+
//	|                            xid (4)                            |
//	+-------------------------------+-------------------------------+
//	|           secs (2)            |           flags (2)           |
//	+-------------------------------+-------------------------------+
//	|                          ciaddr  (4)                          |
//	|                          yiaddr  (4)                          |
//	|                          siaddr  (4)                          |
//	|                          giaddr  (4)                          |
//	|                          chaddr  (16)                         |
//	|                          sname   (64)                         |
//	|                          file    (128)                        |
//	|                          options (variable)                   |
//	+---------------------------------------------------------------+
const (
	offOp      = 0
	offHtype   = 1
	offHlen    = 2
	offXid     = 4
	offFlags   = 10
	offCiaddr  = 12
	offYiaddr  = 16
	offSiaddr  = 20
	offGiaddr  = 24
	offChaddr  = 28
	offCookie  = 236
	headerLen  = 240 // with the cookie
	bootpMin   = 300 // RFC 951: some relays drop shorter messages
	opRequest  = 1
	opReply    = 2
	htypeEther = 1

	flagBroadcast = 0x8000
)

var magicCookie = [4]byte{99, 130, 83, 99}

// MaxReply is the largest reply Handle writes with the options it is given
// (a few long extra options); an out buffer this long is never outgrown.
const MaxReply = 1472

// message is what Handle needs of a client's message.
type message struct {
	typ       MessageType
	xid       [4]byte
	flags     uint16
	ciaddr    netip.Addr // the zero Addr when 0.0.0.0
	giaddr    netip.Addr
	chaddr    MAC
	requested netip.Addr // option 50
	serverID  netip.Addr // option 54
	hostname  []byte     // option 12, aliases the decoded message
}

// decode parses a client message: the fixed fields from the bytes, the
// options with dhcpv4. It returns Answered when the message is usable.
func (m *message) decode(b []byte) Result {
	if len(b) < headerLen {
		return Malformed
	}
	if b[offOp] != opRequest {
		return NotBootRequest
	}
	if b[offHtype] != htypeEther || b[offHlen] != 6 || [4]byte(b[offCookie:]) != magicCookie {
		return Malformed
	}
	d, err := dhcpv4.FromBytes(b)
	if err != nil {
		return Malformed
	}
	mt := d.Options.Get(dhcpv4.OptionDHCPMessageType)
	if len(mt) != 1 || mt[0] == 0 {
		return Malformed
	}
	m.typ = MessageType(mt[0])
	copy(m.xid[:], b[offXid:])
	m.flags = uint16(b[offFlags])<<8 | uint16(b[offFlags+1])
	m.ciaddr = addrAt(b, offCiaddr)
	m.giaddr = addrAt(b, offGiaddr)
	copy(m.chaddr[:], b[offChaddr:])
	m.requested = optAddr(d.Options.Get(dhcpv4.OptionRequestedIPAddress))
	m.serverID = optAddr(d.Options.Get(dhcpv4.OptionServerIdentifier))
	m.hostname = d.Options.Get(dhcpv4.OptionHostName)
	return Answered
}

// addrAt reads an address field; 0.0.0.0 gives the zero Addr.
func addrAt(b []byte, off int) netip.Addr {
	a := [4]byte(b[off:])
	if a == [4]byte{} {
		return netip.Addr{}
	}
	return netip.AddrFrom4(a)
}

// optAddr reads a 4-byte address option; anything else gives the zero Addr.
func optAddr(v []byte) netip.Addr {
	if len(v) != 4 || [4]byte(v) == [4]byte{} {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(v))
}

// reply is an answer to encode.
type reply struct {
	typ      MessageType
	ciaddr   netip.Addr
	yiaddr   netip.Addr
	siaddr   [4]byte
	serverID netip.Addr
	flags    uint16
	opts     *optionSet // nil for a NAK
	inform   bool       // no lease options
}

// encode writes the reply to m into out[:0] (growing it only when the
// options don't fit) and returns it.
func (r *reply) encode(out []byte, m *message) []byte {
	b := out[:0]
	if cap(b) < headerLen {
		b = make([]byte, 0, MaxReply)
	}
	b = b[:headerLen]
	clear(b)
	b[offOp] = opReply
	b[offHtype] = htypeEther
	b[offHlen] = 6
	copy(b[offXid:], m.xid[:])
	b[offFlags] = byte(r.flags >> 8)
	b[offFlags+1] = byte(r.flags)
	putAddr(b[offCiaddr:], r.ciaddr)
	putAddr(b[offYiaddr:], r.yiaddr)
	copy(b[offSiaddr:], r.siaddr[:])
	putAddr(b[offGiaddr:], m.giaddr)
	copy(b[offChaddr:], m.chaddr[:])
	copy(b[offCookie:], magicCookie[:])
	b = append(b, optMessageType, 1, byte(r.typ))
	sid := r.serverID.As4()
	b = append(b, optServerID, 4, sid[0], sid[1], sid[2], sid[3])
	if r.opts != nil {
		if !r.inform {
			b = append(b, r.opts.lease...)
		}
		b = append(b, r.opts.rest...)
	}
	b = append(b, optEnd)
	for len(b) < bootpMin {
		b = append(b, 0)
	}
	return b
}

func putAddr(b []byte, a netip.Addr) {
	if a.Is4() {
		x := a.As4()
		copy(b, x[:])
	}
}
