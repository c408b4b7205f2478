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
	node   string // its name in the topology
	open   Opener
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
	// g is the running graph, with the spec and the ports it was built
	// from; a reload swaps it whole.
	g     atomic.Pointer[graph]
	clock clock.Clock
	log   *slog.Logger
	batch int

	workersMu sync.Mutex
	workers   []*Worker // whose drop counters the node sums

	// Storm control's bucket for each port, what reloads build with.
	storm   ratelimit.Bucket
	stormOn bool
	// reloadMu serializes reloads; slots are the br-int ports' ids by
	// what holds them (slotKeys), changed under it.
	reloadMu sync.Mutex
	slots    map[string]l2switch.PortID
	// running is set by Run: a reload starts readers for new ports;
	// stopped once Run has closed the ports: no reload opens any after.
	running *runState
	stopped bool
	// noRouteCache turns the workers' route cache off (tests compare).
	noRouteCache bool
}

// port is one port of the node in one graph: its spec, its br-int port
// (slot) and its device. A reload that leaves a port's device as it was
// makes a new port around the same device, so the endpoint, its reader and
// its counters go on untouched.
type port struct {
	*device
	id    l2switch.PortID // its slot: br-int port id and device index, stable across reloads
	spec  PortSpec
	trunk *l2switch.Trunk // uplinks only
}

// device is a port's endpoint and what lives as long as it does.
type device struct {
	ep       link.Endpoint
	caps     link.Caps
	maxFrame int // largest frame without GSO: MTU + Ethernet header (+ tag on uplinks)
	mtu      int
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
	if opts.ConntrackMax == 0 {
		opts.ConntrackMax = spec.ConntrackMax
	}
	if opts.Leases == nil {
		opts.Leases = dhcp.NewLeases()
	}
	n := &Node{
		node:   spec.Node,
		open:   opts.Open,
		leases: opts.Leases,
		clock:  opts.Clock,
		log:    opts.Logger,
		batch:  opts.BatchSize,
		// NAT picks up TCP mid-stream after a restart (nf_conntrack_tcp_loose).
		ct: conntrack.New(conntrack.Config{MaxEntries: opts.ConntrackMax, TCPLoose: true}),
		sw: l2switch.New(l2switch.Config{AgingTime: opts.AgingTime, MaxMACsPerPort: opts.MaxMACsPerPort,
			MaxEntries: opts.MaxFDBEntries}),
	}
	n.storm, n.stormOn = stormBucket(opts)
	slots, err := assignSlots(nil, slotKeys(spec))
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", spec.Node, err)
	}
	ports := make([]*port, slotCount(slots))
	closeAll := func() error {
		var errs []error
		for _, p := range ports {
			if p != nil {
				errs = append(errs, p.close())
			}
		}
		return errors.Join(errs...)
	}
	for _, ps := range spec.Ports {
		p, err := n.openPort(spec, ps, slots[portSlotKey(ps.Name)])
		if err != nil {
			return nil, errors.Join(err, closeAll())
		}
		ports[p.id] = p
	}
	g, membership, err := n.buildGraph(spec, ports, slots, nil)
	if err != nil {
		return nil, errors.Join(err, closeAll())
	}
	n.setLimits(g)
	if err := n.sw.SetMembership(membership); err != nil {
		return nil, errors.Join(err, closeAll())
	}
	n.slots = slots
	n.g.Store(g)
	for _, r := range spec.Routers {
		n.logRouter("router up", &r)
	}
	return n, nil
}

// openPort opens the endpoint of ps, a port of spec, as the port in
// slot id.
func (n *Node) openPort(spec *Spec, ps PortSpec, id l2switch.PortID) (*port, error) {
	ep, err := n.open(ps)
	if err != nil {
		return nil, fmt.Errorf("%s %s (%s): %w", ps.Kind, ps.Name, ps.Device, err)
	}
	d := &device{ep: ep, caps: ep.Caps(), mtu: ps.MTU}
	if em := ep.MTU(); d.mtu == 0 || ps.Attach == AttachExisting && em < d.mtu {
		// An existing interface can't carry more than its own MTU.
		if d.mtu != 0 {
			n.log.Warn("interface MTU is below the network's; using it", "port", ps.Name, "device", ps.Device, "interface_mtu", em, "network_mtu", d.mtu)
		}
		d.mtu = em
	}
	d.maxFrame = d.mtu + header.EthernetLen
	p, err := newPort(d, id, ps)
	if err != nil {
		return nil, errors.Join(err, ep.Close())
	}
	switch ps.Kind {
	case PortTunnel:
		n.log.Info("tunnel up", "name", ps.Name, "local", ps.Tunnel.Local, "port", ps.Tunnel.Port,
			"vteps", len(ps.Tunnel.VTEPs), "networks", len(ps.Tunnel.Networks), "mtu", d.mtu)
	case PortUplink:
		n.log.Info("uplink up", "name", ps.Name, "device", ps.Device, "attach", ps.Attach.String(),
			"networks", uplinkNetworks(spec, ps), "mtu", d.mtu)
	default:
		n.log.Info("port up", "name", ps.Name, "device", ps.Device, "attach", ps.Attach.String(),
			"mac", ps.MAC.String(), "network", ps.Network, "lvid", ps.LVID, "mtu", d.mtu)
	}
	return p, nil
}

// newPort makes the port of ps in slot id around device d.
func newPort(d *device, id l2switch.PortID, ps PortSpec) (*port, error) {
	p := &port{device: d, id: id, spec: ps}
	if ps.Kind == PortUplink {
		trunk, err := l2switch.NewTrunk(ps.Untagged, ps.Tags)
		if err != nil {
			return nil, fmt.Errorf("uplink %s: %w", ps.Name, err)
		}
		p.trunk = trunk
	}
	return p, nil
}

// close closes the port's endpoint (a TAP device the node created goes).
func (p *port) close() error {
	if err := p.ep.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", p.spec.Kind, p.spec.Name, err)
	}
	return nil
}

// vlans lists the local VLANs the device port carries on br-int.
func (p *port) vlans() []uint16 {
	switch p.spec.Kind {
	case PortTunnel:
		var l []uint16
		for _, tn := range p.spec.Tunnel.Networks {
			l = append(l, tn.LVID)
		}
		return l
	case PortUplink:
		return uplinkVLANs(p.spec)
	}
	return []uint16{p.spec.LVID}
}

// setLimits sets br-int's MAC limit of each device port of g: none on
// the tunnel (every remote port's MAC is behind it) and on uplinks (any
// number of hosts may sit behind a physical network), the limit on VM
// ports.
func (n *Node) setLimits(g *graph) {
	for _, p := range g.ports {
		if p != nil {
			n.sw.SetUnlimited(p.id, p.spec.Kind != PortVM)
		}
	}
}

// logRouter logs a router's ports, floating IPs and zone.
func (n *Node) logRouter(msg string, r *RouterSpec) {
	var ports []string
	for _, p := range r.Ports {
		ports = append(ports, p.Name+"="+p.Addr.String())
	}
	n.log.Info(msg, "name", r.Name, "ports", strings.Join(ports, ","),
		"floating_ips", len(r.FloatingIPs), "enable_snat", r.EnableSNAT, "conntrack_zone", r.Zone)
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
	for _, p := range n.ports() {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// ports lists the node's device ports now, in slot order.
func (n *Node) ports() []*port {
	var l []*port
	for _, p := range n.g.Load().ports {
		if p != nil {
			l = append(l, p)
		}
	}
	return l
}

// Spec returns what the node is made of now (after the last reload).
func (n *Node) Spec() *Spec { return n.g.Load().spec }

// PortIndex returns the slot (the index Process takes) of the port or
// uplink named name.
func (n *Node) PortIndex(name string) (int, bool) {
	for _, p := range n.g.Load().ports {
		if p != nil && p.spec.Name == name {
			return int(p.id), true
		}
	}
	return 0, false
}

// portAt returns the device port in slot i of the running graph.
func (n *Node) portAt(i int) *port { return n.g.Load().ports[i] }
