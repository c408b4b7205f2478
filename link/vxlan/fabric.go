package vxlan

import (
	"net/netip"
	"sync"

	"neutrino/link"
	"neutrino/link/udp"
)

// Fabric is an in-memory underlay for tests: Transports on it, each at
// an address, exchange UDP payloads by destination address, as hosts on
// one IP network would. A datagram to an address with no Transport is
// lost; Sent records every datagram written, for inspection.
//
// A train (a udp.Datagram with SegSize > 0) is cut into its datagrams, as
// the kernel's UDP GSO does; with GRO on (SetGRO), it reaches the
// receiver whole, SegSize kept, as the kernel's UDP GRO would hand it
// over.
type Fabric struct {
	mu     sync.Mutex
	ports  map[netip.Addr]*fabricPort
	sent   []Sent
	trains int
	gro    bool
}

// Sent is a datagram written on a Fabric (one of a train: Train counts
// the trains written, from 1, and is 0 for a datagram sent alone). A
// datagram waiting to be read may be a train, of SegSize-byte datagrams.
type Sent struct {
	From, To netip.AddrPort
	Flow     uint32
	Payload  []byte
	Train    int
	SegSize  int
}

// SetGRO makes trains reach their receiver whole (on) or as separate
// datagrams (off, the default).
func (f *Fabric) SetGRO(on bool) {
	f.mu.Lock()
	f.gro = on
	f.mu.Unlock()
}

// NewFabric returns an empty fabric.
func NewFabric() *Fabric { return &Fabric{ports: map[netip.Addr]*fabricPort{}} }

// Transport returns the transport at address a, sending from source port
// sport.
func (f *Fabric) Transport(a netip.Addr, sport uint16) Transport {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := &fabricPort{f: f, addr: netip.AddrPortFrom(a, sport)}
	p.cond = sync.NewCond(&p.mu)
	f.ports[a] = p
	return p
}

// Inject delivers payload to the transport at to as if from from.
func (f *Fabric) Inject(from, to netip.AddrPort, payload []byte) {
	f.mu.Lock()
	p := f.ports[to.Addr()]
	f.mu.Unlock()
	if p != nil {
		p.deliver(from, payload, 0)
	}
}

// InjectTrain delivers payload to the transport at to as if from from, as
// a train of segSize-byte datagrams (the last may be shorter), as UDP GRO
// hands them over.
func (f *Fabric) InjectTrain(from, to netip.AddrPort, payload []byte, segSize int) {
	f.mu.Lock()
	p := f.ports[to.Addr()]
	f.mu.Unlock()
	if p != nil {
		p.deliver(from, payload, segSize)
	}
}

// Sent returns what was written so far.
func (f *Fabric) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

type fabricPort struct {
	f    *Fabric
	addr netip.AddrPort

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []Sent
	closed bool
}

func (p *fabricPort) deliver(from netip.AddrPort, payload []byte, segSize int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.queue = append(p.queue, Sent{From: from, To: p.addr, Payload: append([]byte(nil), payload...), SegSize: segSize})
		p.cond.Broadcast()
	}
}

func (p *fabricPort) ReadBatch(ds []udp.Datagram) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.queue) == 0 && !p.closed {
		p.cond.Wait()
	}
	if p.closed {
		return 0, link.ErrClosed
	}
	n := 0
	for n < len(ds) && len(p.queue) > 0 {
		s := p.queue[0]
		p.queue = p.queue[1:]
		ds[n].Buf.SetData(s.Payload)
		ds[n].Peer = s.From
		ds[n].SegSize = s.SegSize
		ds[n].Flow = 0
		n++
	}
	return n, nil
}

func (p *fabricPort) WriteBatch(ds []udp.Datagram) (int, error) {
	for _, d := range ds {
		data := d.Buf.Data()
		seg := d.SegSize
		if seg <= 0 || seg >= len(data) {
			seg = 0
		}
		p.f.mu.Lock()
		train := 0
		if seg > 0 {
			p.f.trains++
			train = p.f.trains
		}
		for off := 0; off == 0 || off < len(data); {
			end := len(data)
			if seg > 0 {
				end = min(off+seg, len(data))
			}
			p.f.sent = append(p.f.sent, Sent{From: p.addr, To: d.Peer, Flow: d.Flow, Payload: append([]byte(nil), data[off:end]...), Train: train})
			off = end
			if off == 0 {
				break
			}
		}
		to, gro := p.f.ports[d.Peer.Addr()], p.f.gro
		p.f.mu.Unlock()
		if to == nil {
			continue
		}
		if gro || seg == 0 {
			to.deliver(p.addr, data, seg)
			continue
		}
		for off := 0; off < len(data); off += seg {
			to.deliver(p.addr, data[off:min(off+seg, len(data))], 0)
		}
	}
	return len(ds), nil
}

func (p *fabricPort) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.cond.Broadcast()
	return nil
}

// Pending returns how many datagrams wait to be read at address a.
func (f *Fabric) Pending(a netip.Addr) int {
	f.mu.Lock()
	p := f.ports[a]
	f.mu.Unlock()
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.queue)
}
