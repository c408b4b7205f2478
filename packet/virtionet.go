package packet

import "neutrino/packet/header"

// DecodeVirtioNet fills g from a virtio-net header (what a TAP device or
// an AF_PACKET socket with PACKET_VNET_HDR puts in front of a frame).
func (g *GSO) DecodeVirtioNet(h header.VirtioNet) {
	f := h.Flags()
	*g = GSO{
		Type:       GSOType(h.GSOType()),
		NeedsCsum:  f&header.VirtioNetFlagNeedsCsum != 0,
		DataValid:  f&header.VirtioNetFlagDataValid != 0,
		HdrLen:     h.HdrLen(),
		Size:       h.GSOSize(),
		CsumStart:  h.CsumStart(),
		CsumOffset: h.CsumOffset(),
	}
}

// EncodeVirtioNet writes the virtio-net header that describes g into h.
func (g *GSO) EncodeVirtioNet(h header.VirtioNet) {
	var f uint8
	if g.NeedsCsum {
		f |= header.VirtioNetFlagNeedsCsum
	}
	if g.DataValid {
		f |= header.VirtioNetFlagDataValid
	}
	h.SetFlags(f)
	h.SetGSOType(uint8(g.Type))
	h.SetHdrLen(g.HdrLen)
	h.SetGSOSize(g.Size)
	h.SetCsumStart(g.CsumStart)
	h.SetCsumOffset(g.CsumOffset)
}
