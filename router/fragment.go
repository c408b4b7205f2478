package router

import "neutrino/packet/header"

// maxFragEnd is the largest offset plus payload length of a datagram
// Fragment cuts: past it, fragment offsets would not fit their 13 bits.
const maxFragEnd = 0xffff

// Fragment cuts the IPv4 datagram ip (header and payload, DF clear) into
// fragments of at most mtu bytes for an egress link of that MTU, as Linux's
// ip_do_fragment does:
//
//   - every fragment's payload but the last is a multiple of 8 bytes, as
//     large as the MTU allows;
//   - the first fragment keeps all of ip's options; later ones keep only
//     the options with the copied flag set (source routes, security, ...),
//     padded with zeros to a multiple of 4 bytes. Linux instead keeps the
//     header length and overwrites the other options with NOPs, which
//     receivers skip: the options they see are the same;
//   - offsets continue ip's own offset when ip is itself a fragment, and
//     the last fragment has MF when ip had it; the other fields are ip's,
//     the reserved flag cleared, and each header checksum is computed.
//
// For each fragment in turn, next(size) returns the slice (not overlapping
// ip) to write that fragment's IPv4 datagram into, of at least size bytes,
// of which the first size are written; the caller keeps room before it for
// the link header. When ip fits in mtu, next is called once and ip copied
// as it is, DF or not. Fragment returns the number of fragments written and
// true, or false when next returns nil or too short a slice (count then
// says how many were written before), or when ip cannot be fragmented,
// nothing written: ip is not a well-formed IPv4 datagram
// (header.IPv4.Check), has DF (the caller answers "fragmentation needed"
// instead), has malformed options (Linux drops those on input), has an
// offset plus payload length above 65535 bytes, or mtu leaves fewer than 8
// bytes after the header. Fragment allocates nothing.
func Fragment(ip []byte, mtu int, next func(size int) []byte) (count int, ok bool) {
	d := header.IPv4(ip)
	if d.Check() != header.OK {
		return 0, false
	}
	d = d[:d.TotalLength()]
	if len(d) <= mtu {
		b := next(len(d))
		if len(b) < len(d) {
			return 0, false
		}
		copy(b, d)
		return 1, true
	}
	hl := d.HeaderLen()
	var opts [header.IPv4MaxLen - header.IPv4MinLen]byte
	ol, good := copiedOptions(opts[:], d[header.IPv4MinLen:hl])
	ff := d.FlagsFragment()
	off := int(ff&header.IPv4FragOffsetMask) << 3
	payload := d[hl:]
	if !good || ff&header.IPv4FlagDF != 0 || mtu-hl < 8 || off+len(payload) > maxFragEnd {
		return 0, false
	}
	for pos, h := 0, hl; pos < len(payload); h = header.IPv4MinLen + ol {
		n := min(len(payload)-pos, mtu-h)
		more := pos+n < len(payload)
		if more {
			n &^= 7
		}
		b := next(h + n)
		if len(b) < h+n {
			return count, false
		}
		f := header.IPv4(b[:h+n])
		copy(f, d[:header.IPv4MinLen])
		if pos == 0 {
			copy(f[header.IPv4MinLen:], d[header.IPv4MinLen:hl])
		} else {
			copy(f[header.IPv4MinLen:], opts[:ol])
		}
		copy(f[h:], payload[pos:pos+n])
		v := uint16((off + pos) >> 3)
		if more || ff&header.IPv4FlagMF != 0 {
			v |= header.IPv4FlagMF
		}
		f.SetHeaderLen(h)
		f.SetTotalLength(uint16(h + n))
		f.SetFlagsFragment(v)
		f.SetChecksum(f.CalculateChecksum())
		pos += n
		count++
	}
	return count, true
}

// copiedOptions writes into dst the options of opts (an IPv4 header's
// option bytes) whose copied flag is set, zero-padded to a multiple of 4
// bytes, and returns their padded length. It stops at an end-of-list
// option and drops NOPs; ok is false when an option's length runs short of
// 2 bytes or past opts. dst must hold len(opts) bytes.
func copiedOptions(dst, opts []byte) (n int, ok bool) {
	for i := 0; i < len(opts); {
		switch t := opts[i]; t {
		case 0: // end of option list
			i = len(opts)
		case 1: // no operation
			i++
		default:
			if i+1 >= len(opts) {
				return 0, false
			}
			l := int(opts[i+1])
			if l < 2 || i+l > len(opts) {
				return 0, false
			}
			if t&0x80 != 0 {
				n += copy(dst[n:], opts[i:i+l])
			}
			i += l
		}
	}
	p := (n + 3) &^ 3
	clear(dst[n:p])
	return p, true
}
