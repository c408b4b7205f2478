package afpacket

import (
	"neutrino/packet"
	"neutrino/packet/header"
)

// vnetLen is the size of struct virtio_net_hdr, the PACKET_VNET_HDR size.
const vnetLen = header.VirtioNetLen

// decodeVnet fills g from the virtio-net header h.
func decodeVnet(h header.VirtioNet, g *packet.GSO) {
	f := h.Flags()
	*g = packet.GSO{
		Type:       packet.GSOType(h.GSOType()),
		NeedsCsum:  f&header.VirtioNetFlagNeedsCsum != 0,
		DataValid:  f&header.VirtioNetFlagDataValid != 0,
		HdrLen:     h.HdrLen(),
		Size:       h.GSOSize(),
		CsumStart:  h.CsumStart(),
		CsumOffset: h.CsumOffset(),
	}
}

// encodeVnet writes the virtio-net header for g into h.
func encodeVnet(h header.VirtioNet, g *packet.GSO) {
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
