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
//
// Bulk TCP crosses in big units both ways. A TCP super-frame written is
// cut into its segments in software, each behind its own VXLAN header,
// all in one buffer handed to the Transport as one train (a UDP GSO send
// on a node's underlay). On receive, a Transport may hand over trains
// (UDP GRO); consecutive VXLAN packets holding segments of one TCP/IPv4
// flow are coalesced again into one super-frame (see
// packet.Coalescer), which a TAP takes whole and the datapath segments
// for an egress that does not.
type Endpoint struct {
	name  string
	t     Transport
	mtu   int
	port  uint16
	vteps []netip.Addr
	index map[netip.Addr]uint16

	scratch sync.Pool // *txScratch

	rxDatagrams, rxShort, rxNoVNI, rxTooBig, rxSuper, rxCoalesced atomic.Uint64
	rxPartial                                                     atomic.Uint64
	txDatagrams, txNoVTEP, txSuper, txBad                         atomic.Uint64

	rx rxState // ReadBatch's, one reader at a time
}

// rxState is what ReadBatch read from the Transport and has not handed
// out yet: datagrams ds[i:n], the first from offset off.
type rxState struct {
	ds   []udp.Datagram
	bufs []*packet.Buffer // the buffers of ds, owned by the endpoint
	n, i int
	off  int
	err  error // the Transport's, returned once ds is drained
	c    packet.Coalescer

	// The last sender looked up and its VTEP number: datagrams come in
	// runs from one peer, which then costs no map lookup.
	peer     netip.AddrPort
	peerVTEP uint16
	peerOK   bool

	// Counts of the current call, added to the counters at its end.
	datagrams, short, noVNI, tooBig, super, coalesced uint64
	partial                                           uint64 // lone frames passed on with a partial checksum
}

// txScratch is one WriteBatch's: the datagrams and the train buffers.
type txScratch struct {
	ds     []udp.Datagram
	trains []*packet.Buffer
}

// Limits of the endpoint.
const (
	// maxRead is how many datagrams (or trains) one read asks for.
	maxRead = 64
	// trainBuf is the initial size of a train buffer: the largest
	// super-frame cut at a 1400-byte MSS, with a VXLAN header and copied
	// headers per segment.
	trainBuf = 80 << 10
	// maxTrainBuf bounds the train of one super-frame (a tiny MSS makes
	// it long); a frame needing more is refused.
	maxTrainBuf = 1 << 20
)

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
	// A TCP frame longer than mtu is a sender's TSO frame that reached
	// the socket whole (a kernel VXLAN device over a veth): it goes on as
	// a super-frame of segments that fit.
	e.rx.c.SetMTU(mtu)
	return e
}

// Name implements link.Endpoint.
func (e *Endpoint) Name() string { return e.name }

// MTU implements link.Endpoint: the largest inner L3 packet.
func (e *Endpoint) MTU() int { return e.mtu }

// Caps implements link.Endpoint: TCP super-frames and partial checksums,
// both finished here (segmented into a train, checksums completed).
func (e *Endpoint) Caps() link.Caps { return link.CapGSO | link.CapCsumPartial }

// VTEPs returns the remote VTEPs, in the order Meta.Tunnel.VTEP counts
// them from 1.
func (e *Endpoint) VTEPs() []netip.Addr { return e.vteps }

// ReadBatch implements link.Endpoint. The Transport's datagrams are read
// into buffers of the endpoint's own (udp.MaxTrain bytes each, as GRO
// needs), then each VXLAN packet (each datagram, or each SegSize bytes of
// a train) is copied out into bufs as one frame, but that consecutive TCP
// segments of one flow from one VTEP and VNI become one super-frame (see
// packet.Coalescer). Packets that are no VXLAN frame (shorter than the
// header and an Ethernet header, or without the I flag) are dropped and
// counted. What does not fit in bufs waits for the next call: nothing
// read is lost. Every frame gets Meta.Tunnel and the receive time.
func (e *Endpoint) ReadBatch(bufs []*packet.Buffer) (int, error) {
	r := &e.rx
	if len(bufs) == 0 {
		return 0, nil
	}
	defer e.flushRx()
	for {
		if r.i >= r.n {
			if err := r.err; err != nil {
				r.err = nil
				return 0, err
			}
			if err := e.fill(len(bufs)); err != nil {
				return 0, err
			}
			continue
		}
		n := 0
		for n < len(bufs) && r.i < r.n {
			if e.decode(bufs[n]) {
				n++
			}
		}
		if n > 0 {
			if r.i >= r.n && r.err != nil {
				err := r.err
				r.err = nil
				return n, err
			}
			return n, nil
		}
	}
}

// fill reads up to want datagrams from the Transport; it returns the
// Transport's error when nothing was read.
func (e *Endpoint) fill(want int) error {
	r := &e.rx
	m := min(want, maxRead)
	for len(r.bufs) < m {
		r.bufs = append(r.bufs, packet.NewBuffer(udp.MaxTrain))
		r.ds = append(r.ds, udp.Datagram{})
	}
	for i := range m {
		r.ds[i] = udp.Datagram{Buf: r.bufs[i]}
	}
	k, err := e.t.ReadBatch(r.ds[:m])
	// The transport may have reordered ds (udp drops a datagram by
	// swapping it back): the buffers stay ours, in another order.
	for i := range m {
		r.bufs[i] = r.ds[i].Buf
	}
	r.n, r.i, r.off = k, 0, 0
	if k == 0 {
		return err
	}
	r.err = err
	return nil
}

// peek returns the VXLAN packet at the cursor and its datagram, and where
// the cursor goes past it.
func (r *rxState) peek() (pkt []byte, d *udp.Datagram, i, off int) {
	d = &r.ds[r.i]
	data := d.Buf.Data()
	end := len(data)
	if s := d.SegSize; s > 0 && r.off+s < end {
		end = r.off + s
	}
	i, off = r.i, end
	if end >= len(data) {
		i, off = r.i+1, 0
	}
	return data[r.off:end], d, i, off
}

// decode moves the cursor past the next frame and reports whether it put
// it into out; a packet it drops is counted.
func (e *Endpoint) decode(out *packet.Buffer) bool {
	r := &e.rx
	pkt, d, ni, noff := r.peek()
	r.datagrams++
	v := header.VXLAN(pkt)
	if len(v) < header.VXLANLen+header.EthernetLen {
		r.short++
		r.i, r.off = ni, noff
		return false
	}
	if !v.HasVNI() {
		r.noVNI++
		r.i, r.off = ni, noff
		return false
	}
	vni := v.VNI()
	inner := v.Payload()
	peer := d.Peer
	meta := packet.Meta{Time: d.Buf.Meta.Time, Tunnel: packet.Tunnel{VNI: vni, VTEP: e.vtepOf(peer)}}
	if s, ok := packet.ParseTCPSegment(inner); ok && r.c.Start(out, inner, s) {
		r.i, r.off = ni, noff
		for r.i < r.n {
			pkt, d, ni, noff := r.peek()
			v := header.VXLAN(pkt)
			if d.Peer != peer || len(v) < header.VXLANLen+header.EthernetLen || !v.HasVNI() || v.VNI() != vni {
				break
			}
			if !r.c.AppendFrame(v.Payload()) {
				break
			}
			r.datagrams++
			r.i, r.off = ni, noff
		}
		if k := r.c.Segments(); k > 1 {
			r.super++
			r.coalesced += uint64(k)
		}
		r.c.Finish()
		gso := out.Meta.GSO
		if gso.NeedsCsum && !gso.IsGSO() {
			r.partial++
		}
		out.Meta = meta
		out.Meta.GSO = gso
		return true
	}
	r.i, r.off = ni, noff
	if len(inner) > out.Cap() {
		r.tooBig++
		return false
	}
	out.Reset()
	out.SetData(inner)
	out.Meta = meta
	if start, off, ok := packet.LeftPartial(inner); ok {
		// Sent with its checksum offloaded and never finished (a kernel
		// VXLAN device over a veth): partial, as a TAP would say.
		g := packet.GSO{NeedsCsum: true, CsumStart: uint16(start), CsumOffset: uint16(off)}
		if off == 16 && len(inner)-header.EthernetLen > e.mtu {
			// A whole TSO frame the coalescer does not take (one with
			// FIN, say): a super-frame of segments that fit the MTU.
			// (LeftPartial saw a whole TCP header at start.)
			hdr := start + int(inner[start+12]>>4)*4
			if mss := e.mtu - (hdr - header.EthernetLen); hdr < len(inner) && mss > 0 {
				g.Type, g.HdrLen, g.Size = packet.GSOTCPv4, uint16(hdr), uint16(mss)
			}
		}
		out.Meta.GSO = g
		r.partial++
	}
	return true
}

// vtepOf returns the VTEP number of the sender peer, 0 for a stranger.
func (e *Endpoint) vtepOf(peer netip.AddrPort) uint16 {
	r := &e.rx
	if !r.peerOK || peer != r.peer {
		r.peer, r.peerVTEP, r.peerOK = peer, e.index[peer.Addr().Unmap()], true
	}
	return r.peerVTEP
}

// flushRx adds the counts of a ReadBatch to the counters.
func (e *Endpoint) flushRx() {
	r := &e.rx
	e.rxDatagrams.Add(r.datagrams)
	if r.short|r.noVNI|r.tooBig|r.super|r.partial != 0 {
		e.rxPartial.Add(r.partial)
		e.rxShort.Add(r.short)
		e.rxNoVNI.Add(r.noVNI)
		e.rxTooBig.Add(r.tooBig)
		e.rxSuper.Add(r.super)
		e.rxCoalesced.Add(r.coalesced)
	}
	r.datagrams, r.short, r.noVNI, r.tooBig, r.super, r.coalesced, r.partial = 0, 0, 0, 0, 0, 0, 0
}

// WriteBatch implements link.Endpoint: each frame is sent in VXLAN to the
// VTEP and with the VNI of its Meta.Tunnel, from a source port picked by
// a hash of its inner flow. A TCP super-frame is cut into its segments,
// each behind its own VXLAN header, in one train buffer sent as one
// datagram train (SegSize the size of a VXLAN packet of a full segment);
// a frame with a partial checksum has it completed first. Frames keep
// their order per flow. A frame without a VTEP, or a super-frame that
// cannot be cut or whose segments exceed the MTU, is refused: WriteBatch
// sends the frames before it and returns link.ErrFrameTooBig.
func (e *Endpoint) WriteBatch(bufs []*packet.Buffer) (int, error) {
	s, _ := e.scratch.Get().(*txScratch)
	if s == nil {
		s = new(txScratch)
	}
	if cap(s.ds) < len(bufs) {
		s.ds = make([]udp.Datagram, len(bufs))
	}
	ds := s.ds[:len(bufs)]
	n := len(bufs)
	trains, wire := 0, 0
	for i, b := range bufs {
		t := b.Meta.Tunnel
		if t.VTEP == 0 || int(t.VTEP) > len(e.vteps) {
			e.txNoVTEP.Add(1)
			n = i
			break
		}
		peer := netip.AddrPortFrom(e.vteps[t.VTEP-1], e.port)
		flow := FlowHash(b.Data())
		if b.Meta.GSO.IsGSO() {
			tb, segs, seg := e.train(s, trains, b, t.VNI)
			if tb == nil {
				e.txBad.Add(1)
				n = i
				break
			}
			trains++
			wire += segs
			ds[i] = udp.Datagram{Buf: tb, Peer: peer, Flow: flow, SegSize: seg}
			continue
		}
		if b.Headroom() < header.VXLANLen || packet.CompleteChecksum(b) != nil {
			e.txBad.Add(1)
			n = i
			break
		}
		header.VXLAN(b.Push(header.VXLANLen)).Encode(t.VNI)
		wire++
		ds[i] = udp.Datagram{Buf: b, Peer: peer, Flow: flow}
	}
	k, err := e.t.WriteBatch(ds[:n])
	for i, b := range bufs[:n] {
		if ds[i].Buf == b {
			b.Pull(header.VXLANLen)
		}
	}
	if k == n {
		e.txDatagrams.Add(uint64(wire))
	} else {
		for _, d := range ds[:k] {
			e.txDatagrams.Add(uint64(segments(d)))
		}
	}
	e.txSuper.Add(uint64(trains))
	clear(ds)
	e.scratch.Put(s)
	if err == nil && n < len(bufs) {
		err = link.ErrFrameTooBig
	}
	return k, err
}

// segments returns how many datagrams a train stands for.
func segments(d udp.Datagram) int {
	if d.SegSize <= 0 {
		return 1
	}
	return (d.Buf.Len() + d.SegSize - 1) / d.SegSize
}

// train cuts the super-frame b into s's train buffer j, each segment
// behind a VXLAN header with vni, and returns the buffer, the number of
// segments and the SegSize to send it with (0 for a single segment). It
// returns a nil buffer for a frame it cannot cut or whose segments would
// exceed the MTU.
func (e *Endpoint) train(s *txScratch, j int, b *packet.Buffer, vni uint32) (*packet.Buffer, int, int) {
	need, _, err := packet.TrainLen(b, header.VXLANLen)
	if err != nil || need > maxTrainBuf {
		return nil, 0, 0
	}
	for len(s.trains) <= j {
		s.trains = append(s.trains, nil)
	}
	tb := s.trains[j]
	if tb == nil || tb.Cap() < need {
		tb = packet.NewBuffer(max(need, trainBuf))
		s.trains[j] = tb
	}
	tb.Reset()
	k, stride, l, err := packet.SegmentTrain(b, tb.Space(), header.VXLANLen)
	if err != nil {
		return nil, 0, 0
	}
	// The largest segment is the first: its L3 must fit the MTU.
	if first := min(stride, l) - header.VXLANLen - l3Offset(b.Data()); first > e.mtu {
		return nil, 0, 0
	}
	tb.SetLen(l)
	d := tb.Data()
	for i := range k {
		header.VXLAN(d[i*stride:]).Encode(vni)
	}
	if k == 1 {
		stride = 0
	}
	return tb, k, stride
}

// TrainSegments returns how many full-sized segments of a TCP
// super-frame with inner L3 packets of up to mtu bytes fit one UDP GSO
// send (udp.MaxPayload bytes, udp.MaxSegments datagrams), each behind an
// Ethernet and a VXLAN header. A super-frame of no more segments goes out
// as one train, a longer one as two or more: the TAP devices of VM ports
// get it as their gso_max_segs, so that the stack behind them builds no
// super-frame longer. It returns 0 for an mtu that leaves no room.
func TrainSegments(mtu int) int {
	per := mtu + header.EthernetLen + header.VXLANLen
	if mtu <= 0 || per > udp.MaxPayload {
		return 0
	}
	return min(udp.MaxPayload/per, udp.MaxSegments)
}

// l3Offset returns where the L3 header of Ethernet frame f starts (after
// one VLAN tag, if any).
func l3Offset(f []byte) int {
	if len(f) >= header.EthernetLen+header.VLANTagLen {
		if et := binary.BigEndian.Uint16(f[12:14]); et == header.EtherTypeVLAN || et == header.EtherTypeQinQ {
			return header.EthernetLen + header.VLANTagLen
		}
	}
	return header.EthernetLen
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

// LinkCounters implements link.Counter: the endpoint's counters, and
// the Transport's under "udp_" when it counts (a node's underlay does).
func (e *Endpoint) LinkCounters() map[string]uint64 {
	m := map[string]uint64{
		"vxlan_rx_datagrams":    e.rxDatagrams.Load(),
		"vxlan_rx_short":        e.rxShort.Load(),
		"vxlan_rx_no_vni":       e.rxNoVNI.Load(),
		"vxlan_rx_too_big":      e.rxTooBig.Load(),
		"vxlan_rx_super_frames": e.rxSuper.Load(),
		"vxlan_rx_coalesced":    e.rxCoalesced.Load(),
		"vxlan_rx_csum_partial": e.rxPartial.Load(),
		"vxlan_tx_datagrams":    e.txDatagrams.Load(),
		"vxlan_tx_super_frames": e.txSuper.Load(),
		"vxlan_tx_no_vtep":      e.txNoVTEP.Load(),
		"vxlan_tx_refused":      e.txBad.Load(),
	}
	if c, ok := e.t.(link.Counter); ok {
		for k, v := range c.LinkCounters() {
			m["udp_"+k] = v
		}
	}
	return m
}
