package datapath

import (
	"encoding/binary"
	"net/netip"

	"neutrino/link/pcap"
	"neutrino/link/vxlan"
	"neutrino/packet"
	"neutrino/packet/header"
)

// Outer headers of a VXLAN datagram as the underlay carries it.
const outerLen = header.EthernetLen + header.IPv4MinLen + header.UDPLen + header.VXLANLen

// Placeholder MACs of the underlay in replays (the node does not know the
// underlay's own Ethernet).
var (
	underlayLocalMAC  = [6]byte{0x02, 0, 0, 0, 0, 0x01}
	underlayRemoteMAC = [6]byte{0x02, 0, 0, 0, 0, 0x02}
)

// replayTunnel is the tunnel port in a replay: what the node sends into
// the tunnels is written to the capture as the underlay carries it
// (Ethernet, IPv4 from the node's underlay_ip to the VTEP, UDP to 4789
// from a port of the inner flow's hash, the VXLAN header, the frame).
type replayTunnel struct {
	*pcap.Writer
	spec    *TunnelSpec
	scratch *packet.Buffer
}

func newReplayTunnel(w *pcap.Writer, spec *TunnelSpec) *replayTunnel {
	return &replayTunnel{Writer: w, spec: spec, scratch: packet.NewBuffer(packet.MaxFrame + outerLen)}
}

// WriteBatch encapsulates each frame and writes it.
func (t *replayTunnel) WriteBatch(bufs []*packet.Buffer) (int, error) {
	for i, b := range bufs {
		k := b.Meta.Tunnel.VTEP
		if k == 0 || int(k) > len(t.spec.VTEPs) {
			continue
		}
		inner := b.Data()
		s := t.scratch
		s.SetLen(outerLen + len(inner))
		f := s.Data()
		copy(f[0:6], underlayRemoteMAC[:])
		copy(f[6:12], underlayLocalMAC[:])
		binary.BigEndian.PutUint16(f[12:14], header.EtherTypeIPv4)
		ip := header.IPv4(f[header.EthernetLen:])
		ip[0] = 0x45
		binary.BigEndian.PutUint16(ip[2:4], uint16(len(f)-header.EthernetLen))
		ip[6] = 0x40 // DF
		ip[8] = 64
		ip[9] = header.ProtoUDP
		src, dst := t.spec.Local.As4(), t.spec.VTEPs[k-1].As4()
		copy(ip[12:16], src[:])
		copy(ip[16:20], dst[:])
		ip.SetChecksum(ip[:header.IPv4MinLen].CalculateChecksum())
		u := f[header.EthernetLen+header.IPv4MinLen:]
		binary.BigEndian.PutUint16(u[0:2], uint16(49152+vxlan.FlowHash(inner)%16384))
		binary.BigEndian.PutUint16(u[2:4], t.spec.Port)
		binary.BigEndian.PutUint16(u[4:6], uint16(len(u)))
		header.VXLAN(u[header.UDPLen:]).Encode(b.Meta.Tunnel.VNI)
		copy(f[outerLen:], inner)
		s.Meta.Time = b.Meta.Time
		if _, err := t.Writer.WriteBatch([]*packet.Buffer{s}); err != nil {
			return i, err
		}
	}
	return len(bufs), nil
}

// decapReplay turns a captured underlay frame read for the tunnel port
// into the frame inside it, with its VNI and VTEP (0 for a sender that
// is no VTEP of the topology), as the tunnel endpoint would. It reports
// false for a frame that is no VXLAN datagram to the node.
func decapReplay(b *packet.Buffer, spec *TunnelSpec) bool {
	f := b.Data()
	if len(f) < outerLen+header.EthernetLen || binary.BigEndian.Uint16(f[12:14]) != header.EtherTypeIPv4 {
		return false
	}
	ip := header.IPv4(f[header.EthernetLen:])
	if ip.Check() != header.OK || ip.Protocol() != header.ProtoUDP || ip.IsFragment() {
		return false
	}
	hl := ip.HeaderLen()
	u := header.UDP(ip[hl:ip.TotalLength()])
	if u.Check() != header.OK || u.DstPort() != spec.Port {
		return false
	}
	v := header.VXLAN(u[header.UDPLen:u.Length()])
	if len(v) < header.VXLANLen+header.EthernetLen || !v.HasVNI() {
		return false
	}
	from := netip.AddrFrom4(ip.Src())
	var k uint16
	for i, a := range spec.VTEPs {
		if a == from {
			k = uint16(i + 1)
		}
	}
	vni := v.VNI()
	b.Pull(header.EthernetLen + hl + header.UDPLen + header.VXLANLen)
	b.Truncate(len(v) - header.VXLANLen)
	b.Meta.Tunnel = packet.Tunnel{VNI: vni, VTEP: k}
	return true
}
