package datapath

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"neutrino/packet"
	l2switch "neutrino/switch"
)

// Capture is a live capture of one port of a running node: every frame
// the port receives or sends, copied as it passes, until Stop. Frames a
// slow reader leaves no room for are dropped and counted; a capture never
// slows the datapath. Ports nobody captures pay a nil check a batch (and
// one a frame where br-int meets a router port).
type Capture struct {
	n      *Node
	Port   string
	Kind   string // port, uplink, tunnel, or the router port's kind (qr, qg)
	frames chan CapturedFrame
	drops  atomic.Uint64
	key    captureKey
	ended  chan struct{} // closed when a reload removes the port
	endMu  sync.Once
}

// CapturedFrame is one frame of a capture: when, which way, and its bytes
// (a super-frame whole, as the port carries it).
type CapturedFrame struct {
	Time int64 // Unix nanoseconds
	Out  bool  // sent by the port (false: received)
	Data []byte
}

// captureKey says where a capture is taken: a device port (its index), or
// a router port (its br-int port id).
type captureKey struct {
	dev    int // -1: not a device port
	bridge int // -1: not a router port
}

// captureSet is the node's captures, replaced whole on each change.
type captureSet struct {
	dev    map[int][]*Capture
	bridge map[int][]*Capture
}

// captureBuffer is how many frames a capture holds for its reader.
const captureBuffer = 4096

// StartCapture starts capturing port (a port, uplink or tunnel port by
// name or device, or a router's qr-/qg- port by its device name). An
// unknown port is an error that lists the ports there are.
func (n *Node) StartCapture(port string) (*Capture, error) {
	c := &Capture{n: n, Port: port, frames: make(chan CapturedFrame, captureBuffer), key: captureKey{dev: -1, bridge: -1},
		ended: make(chan struct{})}
	for _, p := range n.ports() {
		if p.spec.Name == port || p.spec.Device == port {
			c.key.dev, c.Kind, c.Port = int(p.id), p.spec.Kind.String(), p.spec.Name
		}
	}
	if c.key.dev < 0 {
		for _, e := range n.g.Load().routers {
			for k := range e.ports {
				if e.ports[k].name == port {
					c.key.bridge, c.Kind = int(e.ports[k].bport), e.ports[k].kind()
				}
			}
		}
	}
	if c.key.dev < 0 && c.key.bridge < 0 {
		return nil, fmt.Errorf("no port %q on node %s (ports: %s)", port, n.node, strings.Join(n.portNames(true), ", "))
	}
	n.captureMu.Lock()
	defer n.captureMu.Unlock()
	n.setCaptures(func(s *captureSet) {
		if c.key.dev >= 0 {
			s.dev[c.key.dev] = append(s.dev[c.key.dev], c)
		} else {
			s.bridge[c.key.bridge] = append(s.bridge[c.key.bridge], c)
		}
	})
	return c, nil
}

// Frames returns the captured frames, in the order they passed.
func (c *Capture) Frames() <-chan CapturedFrame { return c.frames }

// Ended is closed when a reload removes the captured port: no frame
// comes after those already in Frames.
func (c *Capture) Ended() <-chan struct{} { return c.ended }

// endCaptures ends the captures of the br-int ports in slots (a reload
// removed them).
func (n *Node) endCaptures(slots []l2switch.PortID) {
	if len(slots) == 0 {
		return
	}
	n.captureMu.Lock()
	defer n.captureMu.Unlock()
	var ended []*Capture
	n.setCaptures(func(s *captureSet) {
		for _, id := range slots {
			for _, m := range []map[int][]*Capture{s.dev, s.bridge} {
				ended = append(ended, m[int(id)]...)
				delete(m, int(id))
			}
		}
	})
	for _, c := range ended {
		c.endMu.Do(func() { close(c.ended) })
	}
}

// Dropped returns how many frames the capture lost because its reader
// was behind.
func (c *Capture) Dropped() uint64 { return c.drops.Load() }

// Stop ends the capture; frames already captured stay readable.
func (c *Capture) Stop() {
	n := c.n
	n.captureMu.Lock()
	defer n.captureMu.Unlock()
	n.setCaptures(func(s *captureSet) {
		drop := func(m map[int][]*Capture, k int) {
			out := m[k][:0:0]
			for _, x := range m[k] {
				if x != c {
					out = append(out, x)
				}
			}
			if len(out) == 0 {
				delete(m, k)
			} else {
				m[k] = out
			}
		}
		if c.key.dev >= 0 {
			drop(s.dev, c.key.dev)
		} else {
			drop(s.bridge, c.key.bridge)
		}
	})
}

// setCaptures applies change to a copy of the node's captures and
// publishes it (nil when none is left). n.captureMu is held.
func (n *Node) setCaptures(change func(*captureSet)) {
	s := &captureSet{dev: map[int][]*Capture{}, bridge: map[int][]*Capture{}}
	if old := n.captures.Load(); old != nil {
		for k, v := range old.dev {
			s.dev[k] = v
		}
		for k, v := range old.bridge {
			s.bridge[k] = v
		}
	}
	change(s)
	if len(s.dev) == 0 && len(s.bridge) == 0 {
		s = nil
	}
	n.captures.Store(s)
}

// record copies b to every capture of cs.
func record(cs []*Capture, b *packet.Buffer, now int64, out bool) {
	for _, c := range cs {
		f := CapturedFrame{Time: now, Out: out, Data: append([]byte(nil), b.Data()...)}
		select {
		case c.frames <- f:
		default:
			c.drops.Add(1)
		}
	}
}

// portNames lists the device ports, in port order, and with routers the
// routers' qr- and qg- ports after them: what a capture (routers too) or
// a trace (device ports) may name.
func (n *Node) portNames(routers bool) []string {
	var names []string
	for _, p := range n.ports() {
		names = append(names, p.spec.Name)
	}
	if routers {
		for _, e := range n.g.Load().routers {
			for k := range e.ports {
				names = append(names, e.ports[k].name)
			}
		}
	}
	return names
}
