package vxlan

import (
	"encoding/binary"
	"net/netip"
	"sync"
	"sync/atomic"

	"neutrino/link"
	"neutrino/link/udp"
	"neutrino/packet"
	"neutrino/packet/header"
)

// Transport carries UDP payloads to and from remote VTEPs: *udp.Underlay
// on a node, a Fabric's in tests.
type Transport interface {
	ReadBatch(ds []udp.Datagram) (int, error)
	WriteBatch(ds []udp.Datagram) (int, error)
	Close() error
}

// Endpoint is a link.Endpoint over a Transport. Written frames carry in
// Meta.Tunnel the VNI and the VTEP (1 + its index in the list given to
// New); frames read carry the VNI and VTEP they came with, VTEP 0 when
// the sender is no VTEP of the list (the datapath drops those: nothing is
// learned from strangers).
type Endpoint struct {
	name  string
	t     Transport
	mtu   int
	port  uint16
	vteps []netip.Addr
	index map[netip.Addr]uint16

	scratch sync.Pool // *[]udp.Datagram

	rxDatagrams, rxShort, rxNoVNI, txDatagrams, txNoVTEP atomic.Uint64
	rds                                                  []udp.Datagram // ReadBatch's, one reader at a time
}

// New returns an endpoint named name that sends to the VTEPs at port
// (0: 4789) and carries inner frames of up to mtu bytes of L3.
func New(name string, t Transport, vteps []netip.Addr, port uint16, mtu int) *Endpoint {
	if port == 0 {
		port = header.VXLANPort
	}
	e := &Endpoint{name: name, t: t, mtu: mtu, port: port, vteps: vteps, index: map[netip.Addr]uint16{}}
	for i, a := range vteps {
		e.index[a] = uint16(i + 1)
	}
	return e
}

// Name implements link.Endpoint.
func (e *Endpoint) Name() string { return e.name }

// MTU implements link.Endpoint: the largest inner L3 packet.
func (e *Endpoint) MTU() int { return e.mtu }

// Caps implements link.Endpoint: none, so the datapath segments
// super-frames and completes checksums before encapsulating.
func (e *Endpoint) Caps() link.Caps { return 0 }

// VTEPs returns the remote VTEPs, in the order Meta.Tunnel.VTEP counts
// them from 1.
func (e *Endpoint) VTEPs() []netip.Addr { return e.vteps }

// ReadBatch implements link.Endpoint: each datagram is read into one of
// bufs; those that are no VXLAN frame (shorter than the header and an
// Ethernet header, or without the I flag) are dropped and counted.
func (e *Endpoint) ReadBatch(bufs []*packet.Buffer) (int, error) {
	if cap(e.rds) < len(bufs) {
		e.rds = make([]udp.Datagram, len(bufs))
	}
	ds := e.rds[:len(bufs)]
	for {
		for i, b := range bufs {
			b.Reset()
			ds[i] = udp.Datagram{Buf: b}
		}
		k, err := e.t.ReadBatch(ds)
		// The transport may have reordered ds (udp drops a datagram by
		// swapping it back): bufs follows it, a permutation of itself.
		for i := range ds {
			bufs[i] = ds[i].Buf
		}
		n := 0
		for i := 0; i < k; i++ {
			b := bufs[i]
			e.rxDatagrams.Add(1)
			v := header.VXLAN(b.Data())
			if len(v) < header.VXLANLen+header.EthernetLen {
				e.rxShort.Add(1)
				continue
			}
			if !v.HasVNI() {
				e.rxNoVNI.Add(1)
				continue
			}
			vni := v.VNI()
			b.Pull(header.VXLANLen)
			b.Meta.Tunnel = packet.Tunnel{VNI: vni, VTEP: e.index[ds[i].Peer.Addr().Unmap()]}
			bufs[n], bufs[i] = b, bufs[n] // the good ones at the front, in order
			n++
		}
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// WriteBatch implements link.Endpoint: each frame is sent in VXLAN to the
// VTEP and with the VNI of its Meta.Tunnel, from a source port picked by
// a hash of its inner flow. A frame without a VTEP is refused.
func (e *Endpoint) WriteBatch(bufs []*packet.Buffer) (int, error) {
	p, _ := e.scratch.Get().(*[]udp.Datagram)
	if p == nil {
		p = new([]udp.Datagram)
	}
	if cap(*p) < len(bufs) {
		*p = make([]udp.Datagram, len(bufs))
	}
	ds := (*p)[:len(bufs)]
	n := len(bufs)
	for i, b := range bufs {
		t := b.Meta.Tunnel
		if t.VTEP == 0 || int(t.VTEP) > len(e.vteps) || b.Headroom() < header.VXLANLen {
			e.txNoVTEP.Add(1)
			n = i
			break
		}
		flow := FlowHash(b.Data())
		header.VXLAN(b.Push(header.VXLANLen)).Encode(t.VNI)
		ds[i] = udp.Datagram{Buf: b, Peer: netip.AddrPortFrom(e.vteps[t.VTEP-1], e.port), Flow: flow}
	}
	k, err := e.t.WriteBatch(ds[:n])
	for _, b := range bufs[:n] {
		b.Pull(header.VXLANLen)
	}
	clear(ds)
	e.scratch.Put(p)
	e.txDatagrams.Add(uint64(k))
	if err == nil && n < len(bufs) {
		err = link.ErrFrameTooBig
	}
	return k, err
}

// FlowHash hashes an inner frame's flow (its MAC addresses, and its IPv4
// addresses and ports when it has them), for the outer source port: one
// flow keeps one port, as the kernel's VXLAN does.
func FlowHash(f []byte) uint32 {
	if len(f) < header.EthernetLen {
		return 0
	}
	h := uint64(binary.LittleEndian.Uint32(f[0:4]))*0x9e3779b97f4a7c15 ^ uint64(binary.LittleEndian.Uint64(f[4:12]))
	if binary.BigEndian.Uint16(f[12:14]) == header.EtherTypeIPv4 && len(f) >= header.EthernetLen+header.IPv4MinLen {
		ip := f[header.EthernetLen:]
		h ^= binary.LittleEndian.Uint64(ip[12:20]) * 0xff51afd7ed558ccd
		hl := int(ip[0]&0x0f) * 4
		if (ip[9] == header.ProtoTCP || ip[9] == header.ProtoUDP) && len(ip) >= hl+4 && hl >= header.IPv4MinLen {
			h ^= uint64(binary.LittleEndian.Uint32(ip[hl:hl+4])) * 0xc4ceb9fe1a85ec53
		}
	}
	h ^= h >> 33
	return uint32(h)
}

// Close implements link.Endpoint.
func (e *Endpoint) Close() error { return e.t.Close() }

// LinkCounters implements link.Counter.
func (e *Endpoint) LinkCounters() map[string]uint64 {
	return map[string]uint64{
		"vxlan_rx_datagrams": e.rxDatagrams.Load(),
		"vxlan_rx_short":     e.rxShort.Load(),
		"vxlan_rx_no_vni":    e.rxNoVNI.Load(),
		"vxlan_tx_datagrams": e.txDatagrams.Load(),
		"vxlan_tx_no_vtep":   e.txNoVTEP.Load(),
	}
}
