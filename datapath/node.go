package datapath

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"neutrino/conntrack"
	"neutrino/dhcp"
	"neutrino/internal/clock"
	"neutrino/internal/ratelimit"
	"neutrino/link"
	"neutrino/packet/header"
	l2switch "neutrino/switch"
)

// Opener opens the endpoint of a port.
type Opener func(PortSpec) (link.Endpoint, error)

// Options are the node's collaborators and knobs; zero values are defaults.
type Options struct {
	Clock          clock.Clock   // default: the real clock
	Logger         *slog.Logger  // default: slog.Default()
	Open           Opener        // default: TAP devices and AF_PACKET sockets
	AgingTime      time.Duration // FDB aging; default 300 s
	MaxMACsPerPort int           // default 1024
	// MaxFDBEntries bounds br-int's table (OVS's mac-table-size): a new
	// MAC on a full table evicts the oldest learned on an uplink; default
	// 65536, negative: no bound.
	MaxFDBEntries int
	// StormRate is how many broadcast and multicast frames a second each
	// port may send into br-int (burst StormBurst); the rest are dropped
	// and counted (storm_control). 0: DefaultStormRate; negative: no limit.
	StormRate  float64
	StormBurst int
	BatchSize  int // frames per read; default 64
	// Leases are the DHCP leases, long-lived beside the graph (a state
	// directory's, from dhcp.OpenLeases); default: in memory only.
	Leases *dhcp.Leases
	// ConntrackMax bounds the routers' connection table (the node's
	// nf_conntrack_max); 0: the Spec's, else conntrack.DefaultMaxEntries.
	ConntrackMax int
}

// Node is one running node: its device ports, the element graph that
// joins them, the long-lived state the elements use (br-int's FDB) and
// the counters.
type Node struct {
	spec   *Spec
	ports  []*port // device ports; port i is br-int port i
	sw     *l2switch.Switch
	leases *dhcp.Leases
	ct     *conntrack.Table // the routers' and the security groups' connections, a zone each
	// filterGen numbers the security group filters built (sgFilter.gen).
	filterGen atomic.Uint32
	// captures are the live captures (nil: none), changed under
	// captureMu.
	captures  atomic.Pointer[captureSet]
	captureMu sync.Mutex
	// tracer is the dry-run worker of Trace, made on first use; traceMu
	// serializes traces.
	tracer  *Worker
	traceMu sync.Mutex
	g       atomic.Pointer[graph]
	clock   clock.Clock
	log     *slog.Logger
	batch   int

	workersMu sync.Mutex
	workers   []*Worker // whose drop counters the node sums
}

// port is one port of the node with its endpoint.
type port struct {
	id       l2switch.PortID
	spec     PortSpec
	ep       link.Endpoint
	caps     link.Caps
	trunk    *l2switch.Trunk // uplinks only
	maxFrame int             // largest frame without GSO: MTU + Ethernet header (+ tag on uplinks)
	down     atomic.Bool
	c        portCounters
}

// New opens an endpoint for every port of spec and builds br-int. When
// any endpoint fails to open, those already opened are closed again (TAP
// devices created are removed) and nothing is left behind.
func New(spec *Spec, opts Options) (*Node, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Open == nil {
		opts.Open = DeviceOpener(opts.Logger)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	routerPorts := 0
	for _, r := range spec.Routers {
		routerPorts += len(r.Ports)
	}
	if len(spec.Ports)+len(spec.Networks)+routerPorts > int(^l2switch.PortID(0)) {
		return nil, fmt.Errorf("node %s: too many ports (%d)", spec.Node, len(spec.Ports))
	}
	if opts.ConntrackMax == 0 {
		opts.ConntrackMax = spec.ConntrackMax
	}
	if opts.Leases == nil {
		opts.Leases = dhcp.NewLeases()
	}
	n := &Node{
		spec:   spec,
		leases: opts.Leases,
		clock:  opts.Clock,
		log:    opts.Logger,
		batch:  opts.BatchSize,
		// NAT picks up TCP mid-stream after a restart (nf_conntrack_tcp_loose).
		ct: conntrack.New(conntrack.Config{MaxEntries: opts.ConntrackMax, TCPLoose: true}),
		sw: l2switch.New(l2switch.Config{AgingTime: opts.AgingTime, MaxMACsPerPort: opts.MaxMACsPerPort,
			MaxEntries: opts.MaxFDBEntries}),
	}
	membership := make(l2switch.Membership, len(spec.Ports))
	for i, ps := range spec.Ports {
		ep, err := opts.Open(ps)
		if err != nil {
			err = fmt.Errorf("%s %s (%s): %w", ps.Kind, ps.Name, ps.Device, err)
			return nil, errors.Join(err, n.Close())
		}
		p := &port{id: l2switch.PortID(i), spec: ps, ep: ep, caps: ep.Caps()}
		mtu := ps.MTU
		if em := ep.MTU(); mtu == 0 || ps.Attach == AttachExisting && em < mtu {
			// An existing interface can't carry more than its own MTU.
			if mtu != 0 {
				n.log.Warn("interface MTU is below the network's; using it", "port", ps.Name, "device", ps.Device, "interface_mtu", em, "network_mtu", mtu)
			}
			mtu = em
		}
		p.maxFrame = mtu + header.EthernetLen
		switch {
		case ps.Kind == PortTunnel:
			for _, tn := range ps.Tunnel.Networks {
				membership[p.id] = append(membership[p.id], tn.LVID)
			}
			n.sw.SetUnlimited(p.id) // every remote port's MAC is behind it
		case ps.Kind == PortUplink:
			trunk, err := l2switch.NewTrunk(ps.Untagged, ps.Tags)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("uplink %s: %w", ps.Name, err), ep.Close(), n.Close())
			}
			p.trunk = trunk
			membership[p.id] = uplinkVLANs(ps)
			// Any number of hosts may sit behind a physical network.
			n.sw.SetUnlimited(p.id)
		default:
			membership[p.id] = []uint16{ps.LVID}
		}
		n.ports = append(n.ports, p)
		switch ps.Kind {
		case PortTunnel:
			n.log.Info("tunnel up", "name", ps.Name, "local", ps.Tunnel.Local, "port", ps.Tunnel.Port,
				"vteps", len(ps.Tunnel.VTEPs), "networks", len(ps.Tunnel.Networks), "mtu", mtu)
		case PortUplink:
			n.log.Info("uplink up", "name", ps.Name, "device", ps.Device, "attach", ps.Attach.String(),
				"networks", n.uplinkVLANs(ps), "mtu", mtu)
		default:
			n.log.Info("port up", "name", ps.Name, "device", ps.Device, "attach", ps.Attach.String(),
				"mac", ps.MAC.String(), "network", ps.Network, "lvid", ps.LVID, "mtu", mtu)
		}
	}
	storm, stormOn := stormBucket(opts)
	g, err := n.buildGraph(membership, storm, stormOn)
	if err != nil {
		return nil, errors.Join(err, n.Close())
	}
	if err := n.sw.SetMembership(membership); err != nil {
		return nil, errors.Join(err, n.Close())
	}
	n.g.Store(g)
	for _, r := range spec.Routers {
		var ports []string
		for _, p := range r.Ports {
			ports = append(ports, p.Name+"="+p.Addr.String())
		}
		n.log.Info("router up", "name", r.Name, "ports", strings.Join(ports, ","),
			"floating_ips", len(r.FloatingIPs), "enable_snat", r.EnableSNAT, "conntrack_zone", r.Zone)
	}
	return n, nil
}

// Storm control defaults: a port may send this many broadcast and multicast
// frames a second into br-int, and a burst of DefaultStormBurst. A lab's
// ARP, DHCP (answered before storm control) and neighbour discovery stay
// far below; a broadcast storm from one port no longer takes the CPU the
// other ports' traffic needs.
const (
	DefaultStormRate  = 10000
	DefaultStormBurst = 1000
)

// stormBucket is the storm-control bucket each port starts with; ok false
// when storm control is off.
func stormBucket(opts Options) (b ratelimit.Bucket, ok bool) {
	rate, burst := opts.StormRate, opts.StormBurst
	if rate < 0 {
		return b, false
	}
	if rate == 0 {
		rate = DefaultStormRate
	}
	if burst <= 0 {
		burst = max(DefaultStormBurst, int(rate/10))
	}
	return ratelimit.New(rate, burst), true
}

// uplinkVLANs lists the local VLANs an uplink carries.
func uplinkVLANs(ps PortSpec) []uint16 {
	var l []uint16
	if ps.Untagged != 0 {
		l = append(l, ps.Untagged)
	}
	for _, lvid := range ps.Tags {
		l = append(l, lvid)
	}
	return l
}

// Close closes every endpoint (removing the TAP devices the node created).
func (n *Node) Close() error {
	var errs []error
	for _, p := range n.ports {
		if err := p.ep.Close(); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", p.spec.Kind, p.spec.Name, err))
		}
	}
	return errors.Join(errs...)
}

// PortIndex returns the index of the port or uplink named name.
func (n *Node) PortIndex(name string) (int, bool) {
	for i, p := range n.ports {
		if p.spec.Name == name {
			return i, true
		}
	}
	return 0, false
}
