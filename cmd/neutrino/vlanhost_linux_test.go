package main

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/internal/netnstest"
	"neutrino/link"
	"neutrino/link/afpacket"
	"neutrino/packet"
)

// vlanHost is a host on one VLAN behind an uplink, played in userspace on
// an AF_PACKET socket: it answers ARP and ICMP echo for its address on its
// VLAN and counts the frames it sees per VLAN id (0 = untagged).
type vlanHost struct {
	sock *afpacket.Socket
	vid  uint16
	ip   net.IP
	mac  net.HardwareAddr

	mu    sync.Mutex
	count map[uint16]int
}

func startVLANHost(t *testing.T, ns *netnstest.NS, ifname string, vid uint16, ip net.IP) *vlanHost {
	t.Helper()
	h := &vlanHost{vid: vid, ip: ip.To4(), mac: net.HardwareAddr{0x02, 0, 0, 0, 0, ip.To4()[3]}, count: map[uint16]int{}}
	err := ns.Do(func() error {
		s, err := afpacket.Open(afpacket.Config{Interface: ifname})
		h.sock = s
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.serve(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		h.sock.Close()
		<-done
	})
	return h
}

func (h *vlanHost) seen() map[uint16]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := map[uint16]int{}
	for k, v := range h.count {
		m[k] = v
	}
	return m
}

func (h *vlanHost) serve(ctx context.Context) {
	bufs := []*packet.Buffer{packet.NewBuffer(packet.MaxFrame)}
	for ctx.Err() == nil {
		n, err := h.sock.ReadBatch(bufs)
		if errors.Is(err, link.ErrClosed) || err != nil && ctx.Err() != nil {
			return
		}
		if n == 0 {
			continue
		}
		p := gopacket.NewPacket(bufs[0].Data(), layers.LayerTypeEthernet, gopacket.Default)
		if p.Layer(layers.LayerTypeARP) == nil && p.Layer(layers.LayerTypeIPv4) == nil {
			continue // only what the test sends counts
		}
		vid := uint16(0)
		if d, ok := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q); ok {
			vid = d.VLANIdentifier
		}
		h.mu.Lock()
		h.count[vid]++
		h.mu.Unlock()
		if vid != h.vid {
			continue
		}
		if reply := h.answer(p); reply != nil {
			h.sendFrame(vid, reply)
		}
	}
}

// answer builds the reply layers to an ARP request or ICMP echo request
// for the host's address.
func (h *vlanHost) answer(p gopacket.Packet) []gopacket.SerializableLayer {
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	if arp, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP); ok && arp.Operation == layers.ARPRequest && net.IP(arp.DstProtAddress).Equal(h.ip) {
		return []gopacket.SerializableLayer{
			&layers.Ethernet{SrcMAC: h.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeARP},
			&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
				Operation: layers.ARPReply, SourceHwAddress: h.mac, SourceProtAddress: h.ip,
				DstHwAddress: arp.SourceHwAddress, DstProtAddress: arp.SourceProtAddress},
		}
	}
	ip, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	icmp, ok2 := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if !ok || !ok2 || !ip.DstIP.Equal(h.ip) || icmp.TypeCode.Type() != layers.ICMPv4TypeEchoRequest {
		return nil
	}
	return []gopacket.SerializableLayer{
		&layers.Ethernet{SrcMAC: h.mac, DstMAC: eth.SrcMAC, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: h.ip, DstIP: ip.SrcIP},
		&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoReply, 0), Id: icmp.Id, Seq: icmp.Seq},
		gopacket.Payload(icmp.Payload),
	}
}

// sendFrame serializes the layers, tagged with vid unless it is 0.
func (h *vlanHost) sendFrame(vid uint16, ls []gopacket.SerializableLayer) error {
	if vid != 0 {
		eth := ls[0].(*layers.Ethernet)
		inner := eth.EthernetType
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append([]gopacket.SerializableLayer{eth, &layers.Dot1Q{VLANIdentifier: vid, Type: inner}}, ls[1:]...)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		return err
	}
	b := packet.NewBuffer(2048)
	b.SetData(buf.Bytes())
	_, err := h.sock.WriteBatch([]*packet.Buffer{b})
	return err
}

func (h *vlanHost) send(t *testing.T, vid uint16, ls []gopacket.SerializableLayer) {
	t.Helper()
	if err := h.sendFrame(vid, ls); err != nil {
		t.Fatal(err)
	}
}

// arpRequest asks who has target, from (mac, ip).
func arpRequest(mac net.HardwareAddr, ip, target net.IP) []gopacket.SerializableLayer {
	return []gopacket.SerializableLayer{
		&layers.Ethernet{SrcMAC: mac, DstMAC: net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, EthernetType: layers.EthernetTypeARP},
		&layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: mac, SourceProtAddress: ip.To4(),
			DstHwAddress: make([]byte, 6), DstProtAddress: target.To4()},
	}
}
