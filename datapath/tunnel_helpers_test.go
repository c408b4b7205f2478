package datapath

import (
	"log/slog"
	"net"
	"net/netip"
	"testing"

	"neutrino/link"
	"neutrino/link/mem"
	"neutrino/link/vxlan"
	"neutrino/packet"
)

// tunnelLab is nodes of one topology joined by an in-memory underlay:
// each node's VM ports and uplinks are mem endpoints, its tunnel port a
// VXLAN endpoint on the fabric at the node's underlay address.
type tunnelLab struct {
	t      *testing.T
	fabric *vxlan.Fabric
	nodes  map[string]*Node
	eps    map[string]map[string]*mem.Endpoint // node -> port -> endpoint
	tuns   map[string]*vxlan.Endpoint
	local  map[string]netip.Addr
	obs    map[string]*outbox
}

func newTunnelLab(t *testing.T, path string, nodes ...string) *tunnelLab {
	l := &tunnelLab{t: t, fabric: vxlan.NewFabric(), nodes: map[string]*Node{}, eps: map[string]map[string]*mem.Endpoint{},
		tuns: map[string]*vxlan.Endpoint{}, local: map[string]netip.Addr{}, obs: map[string]*outbox{}}
	for _, name := range nodes {
		spec := loadTestSpec(t, path, name)
		eps := map[string]*mem.Endpoint{}
		opts := Options{Logger: slog.New(slog.DiscardHandler)}
		opts.Open = func(ps PortSpec) (link.Endpoint, error) {
			if ps.Kind == PortTunnel {
				e := vxlan.New(ps.Name, l.fabric.Transport(ps.Tunnel.Local, 40000), ps.Tunnel.VTEPs, ps.Tunnel.Port, ps.MTU)
				l.tuns[name] = e
				l.local[name] = ps.Tunnel.Local
				return e, nil
			}
			e := mem.New(ps.Name, mem.WithMTU(ps.MTU))
			eps[ps.Name] = e
			return e, nil
		}
		n, err := New(spec, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { n.Close() })
		l.nodes[name] = n
		l.eps[name] = eps
		l.obs[name] = newOutbox(eps)
	}
	return l
}

// send runs frame in at port of node, then carries every datagram the
// underlay holds to its node until none is left.
func (l *tunnelLab) send(node, port string, frame []byte) {
	l.t.Helper()
	send(l.t, l.nodes[node], port, frame)
	l.pump()
}

// pump runs the datagrams waiting on the fabric through their nodes'
// tunnel ports, until none is left.
func (l *tunnelLab) pump() {
	l.t.Helper()
	for round := 0; round < 16; round++ {
		moved := false
		for name, n := range l.nodes {
			if l.fabric.Pending(l.local[name]) == 0 {
				continue
			}
			moved = true
			idx, ok := n.PortIndex("br-tun")
			if !ok {
				l.t.Fatalf("node %s has no tunnel port", name)
			}
			bufs := make([]*packet.Buffer, 64)
			for i := range bufs {
				bufs[i] = packet.NewBuffer(packet.MaxFrame)
			}
			k, err := l.tuns[name].ReadBatch(bufs)
			if err != nil {
				l.t.Fatal(err)
			}
			n.Process(n.NewWorker(k), idx, bufs[:k])
		}
		if !moved {
			return
		}
	}
	l.t.Fatal("the underlay never settles")
}

// out returns the frames each port of node sent since the last look.
func (l *tunnelLab) out(node string) map[string][][]byte { return l.obs[node].take() }

// mac returns the MAC of port on node.
func (l *tunnelLab) mac(node, port string) net.HardwareAddr {
	for _, ps := range l.nodes[node].Spec().Ports {
		if ps.Name == port {
			return ps.MAC
		}
	}
	l.t.Fatalf("no port %s on %s", port, node)
	return nil
}
