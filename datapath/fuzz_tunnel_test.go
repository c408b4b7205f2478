package datapath

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"neutrino/packet/header"
)

// FuzzTunnel sends an arbitrary UDP payload to a node's VTEP, from a
// VTEP of the topology or a stranger, as the underlay would deliver it.
// Nothing may panic; a payload that is no VXLAN frame is counted by the
// tunnel endpoint, one that is goes on or is counted as a drop.
func FuzzTunnel(f *testing.F) {
	vx := func(vni uint32, inner []byte) []byte {
		h := make([]byte, 8)
		header.VXLAN(h).Encode(vni)
		return append(h, inner...)
	}
	f.Add(true, vx(100, udpDgram(f, hw("fa:16:3e:00:00:01"), hw("ff:ff:ff:ff:ff:ff"), v4("10.10.0.11"), v4("10.10.0.255"), 1, 2, 64, 10)))
	f.Add(true, vx(100, arpWhoHas(f, hw("fa:16:3e:00:00:01"), v4("10.10.0.11"), v4("10.10.0.12"))))
	f.Add(false, vx(100, []byte{1, 2, 3}))
	f.Add(true, vx(7, make([]byte, 60)))
	f.Add(true, []byte{0x08, 0, 0})
	// What a kernel VXLAN device sends over a veth: checksums left
	// partial (the field holds the pseudo-header sum), a TSO frame whole.
	partial := func(f []byte) []byte {
		ip := f[14:34]
		l4 := f[34:]
		at := 6
		if ip[9] == header.ProtoTCP {
			at = 16
		}
		binary.BigEndian.PutUint16(l4[at:], header.PseudoHeaderChecksum(ip[9], [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(len(l4))))
		return f
	}
	f.Add(true, vx(100, partial(udpDgram(f, hw("fa:16:3e:00:00:01"), hw("fa:16:3e:00:00:02"), v4("10.10.0.11"), v4("10.10.0.12"), 1, 2, 64, 18))))
	f.Add(true, vx(100, partial(tcpIP(f, hw("fa:16:3e:00:00:01"), hw("fa:16:3e:00:00:02"), v4("10.10.0.11"), v4("10.10.0.12"), 1, 2, "FA", 1000, 1, 1398*5))))
	sentinel := vx(100, udpDgram(f, hw("fa:16:3e:00:00:01"), hw("ff:ff:ff:ff:ff:ff"), v4("10.10.0.11"), v4("10.10.0.255"), 1, 2, 64, 10))
	f.Fuzz(func(t *testing.T, known bool, payload []byte) {
		if len(payload) > 9000 {
			return
		}
		l := newTunnelLab(t, twoNode, "compute01")
		from := netip.AddrPortFrom(netip.MustParseAddr("10.168.7.16"), 40000)
		if !known {
			from = netip.AddrPortFrom(netip.MustParseAddr("10.168.7.99"), 40000)
		}
		to := netip.AddrPortFrom(netip.MustParseAddr("10.168.7.17"), 4789)
		l.fabric.Inject(from, to, payload)
		// A good datagram after it, so that a read of the tunnel always
		// finds one frame (it blocks until it does).
		l.fabric.Inject(netip.AddrPortFrom(netip.MustParseAddr("10.168.7.16"), 40000), to, sentinel)
		l.pump()
		n := l.nodes["compute01"]
		c := n.Counters()
		lc := l.tuns["compute01"].LinkCounters()
		var rx uint64
		for _, p := range c.Ports {
			if p.Port == "br-tun" {
				rx = p.RxFrames
			}
		}
		if lc["vxlan_rx_datagrams"] != 2 || rx+lc["vxlan_rx_short"]+lc["vxlan_rx_no_vni"] != 2 {
			t.Fatalf("datagram not accounted for: link %v, br-tun rx %d", lc, rx)
		}
	})
}
