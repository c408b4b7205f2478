package packet

import "neutrino/packet/header"

// Headroom is the room kept in front of every frame: enough for a VXLAN
// outer header (14+20+8+8 bytes), an 802.1Q tag and a virtio-net header.
const Headroom = 96

// MaxFrame is the largest frame a Buffer holds: a TCP super-frame with the
// largest IPv6 payload (65535 bytes after the 40-byte IPv6 header), its
// Ethernet header and one VLAN tag.
const MaxFrame = header.EthernetLen + header.VLANTagLen + 40 + 65535

// Buffer is one frame. Data()[0] is the first byte of the Ethernet header.
type Buffer struct {
	b    []byte // backing store
	off  int    // where the frame starts in b
	data []byte // the frame, b[off:off+len]: kept so that Data costs a load, not a slice

	// Meta is what the datapath knows about the frame besides its bytes.
	Meta Meta
}

// Meta is the per-frame metadata that travels with a Buffer.
type Meta struct {
	Layout header.Layout // filled once by header.Parse
	GSO    GSO           // offload state from the virtio-net header
	Time   int64         // receive or capture time, Unix nanoseconds
	InPort uint16        // index of the port the frame came in on
	// Shared is set while the buffer is on its way to several receivers
	// (a flood): they may read it, and one that changes it takes a copy.
	Shared bool
	LVID   uint16 // local VLAN of the frame inside the node, 0 until classified
	Trace  *Trace // non-nil when the frame is traced
	// Tunnel is where a frame read from a VXLAN tunnel came from, or
	// where one written to it goes.
	Tunnel Tunnel
}

// Tunnel is a frame's VXLAN tunnel: its VNI and its remote VTEP, 1 + the
// VTEP's index in the tunnel endpoint's list (0: none, or a sender that
// is no VTEP of the topology).
type Tunnel struct {
	VNI  uint32
	VTEP uint16
}

// NewBuffer returns a buffer that holds frames of up to size bytes after
// Headroom bytes of headroom.
func NewBuffer(size int) *Buffer {
	b := make([]byte, Headroom+size)
	return &Buffer{b: b, off: Headroom, data: b[Headroom:Headroom]}
}

// Data returns the frame.
func (p *Buffer) Data() []byte { return p.data }

// Len returns the frame length.
func (p *Buffer) Len() int { return len(p.data) }

// Space returns the whole area after the headroom, for a reader to fill;
// follow it with SetLen.
func (p *Buffer) Space() []byte { return p.b[Headroom:] }

// Cap returns the largest frame the buffer holds after Reset.
func (p *Buffer) Cap() int { return len(p.b) - Headroom }

// SetLen resets the frame to start after the headroom with n bytes.
func (p *Buffer) SetLen(n int) {
	p.off = Headroom
	p.data = p.b[Headroom : Headroom+n]
}

// Reset empties the buffer and clears its metadata.
func (p *Buffer) Reset() {
	p.off = Headroom
	p.data = p.b[Headroom:Headroom]
	p.Meta = Meta{}
}

// Headroom returns how many bytes can still be pushed in front of the frame.
func (p *Buffer) Headroom() int { return p.off }

// Push grows the frame by n bytes at the front and returns them. It panics
// if the headroom is exhausted: callers push only what Headroom reserves.
func (p *Buffer) Push(n int) []byte {
	p.off -= n
	p.data = p.b[p.off : p.off+len(p.data)+n]
	return p.data[:n]
}

// Pull removes n bytes from the front of the frame.
func (p *Buffer) Pull(n int) {
	p.off += n
	p.data = p.data[n:]
}

// Truncate shortens the frame to n bytes.
func (p *Buffer) Truncate(n int) { p.data = p.data[:n] }

// SetData replaces the frame by a copy of b, after the headroom.
func (p *Buffer) SetData(b []byte) {
	p.off = Headroom
	n := copy(p.b[Headroom:], b)
	p.data = p.b[Headroom : Headroom+n]
}
