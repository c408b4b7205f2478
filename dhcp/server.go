package dhcp

import (
	"fmt"
	"net/netip"
)

// Client says where a message came from. The datapath fills it in per
// frame.
type Client struct {
	Port     int    // the ingress port's index: the key of its DISCOVER rate limit
	PortName string // the ingress port's name, recorded in its leases and counted for MaxPoolLeasesPerPort
	// Trusted is set for ports without port security (port_security:
	// false): they may relay, send for other MACs and are not limited.
	Trusted bool
	SrcMAC  MAC        // the frame's source MAC (a relay's, for relayed messages)
	SrcIP   netip.Addr // the frame's source IP (0.0.0.0 from a client without an address)
}

// Reply is an answer to send: a UDP datagram from SrcIP:67 to
// DstIP:DstPort, in an Ethernet frame from SrcMAC to DstMAC.
type Reply struct {
	Payload []byte      // the DHCP message; aliases Handle's out when it was long enough
	Type    MessageType // Offer, Ack or Nak
	SrcIP   netip.Addr  // the answering subnet's ServerIP
	SrcMAC  MAC         // Config.ServerMAC
	DstIP   netip.Addr
	DstPort uint16 // 68 to a client, 67 to a relay
	DstMAC  MAC
}

// UDP ports of DHCP.
const (
	ServerPort = 67
	ClientPort = 68
)

// Server is the DHCP server of one network on this node. Handle may be
// called from several goroutines at once.
type Server struct {
	network   string
	serverMAC MAC
	subnets   []subnet
	hosts     []host
	byMAC     map[MAC][]int32 // indexes into hosts, in Config order
	limits    Limits
	lim       *limiter
	leases    *Leases
	stats     counters
}

// subnet is a Subnet with what Handle needs precomputed.
type subnet struct {
	Subnet
	id                 uint16 // interned name in Leases
	opts               optionSet
	network, broadcast uint32
	poolLo             uint32
	poolSize           int // 0: no pool
}

// host is a Host with its subnet and encoded options.
type host struct {
	Host
	subnet int
	opts   optionSet
}

// New checks cfg and builds its server around leases, which it shares
// with the other networks' servers and keeps across reloads. A nil leases
// is an in-memory one of its own.
func New(cfg Config, leases *Leases) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(cfg.Subnets) == 0 {
		return nil, fmt.Errorf("%w: network %s: no DHCP subnet", ErrConfig, cfg.Network)
	}
	if leases == nil {
		leases = NewLeases()
	}
	limits := cfg.Limits.withDefaults()
	s := &Server{
		network:   cfg.Network,
		serverMAC: cfg.ServerMAC,
		byMAC:     map[MAC][]int32{},
		limits:    limits,
		lim:       newLimiter(limits),
		leases:    leases,
	}
	for _, sc := range cfg.Subnets {
		sn := subnet{Subnet: sc, id: leases.subnetID(sc.Name)}
		sn.opts = buildOptions(&sn.Subnet, "", nil)
		sn.network = u32(sc.CIDR.Masked().Addr())
		sn.broadcast = sn.network | ^net4Mask(sc.CIDR.Bits())
		if sc.CIDR.Bits() >= 31 {
			sn.network, sn.broadcast = 0, 0 // both usable; 0.0.0.0 is never in a pool
		}
		if sc.Pool != nil {
			sn.poolLo, sn.poolSize = u32(sc.Pool.Start), sc.Pool.Size()
		}
		s.subnets = append(s.subnets, sn)
	}
	for _, hc := range cfg.Hosts {
		si := s.subnetContaining(hc.IP)
		h := host{Host: hc, subnet: si}
		h.opts = buildOptions(&s.subnets[si].Subnet, neutronHostname(hc.IP), hc.Options)
		s.byMAC[hc.MAC] = append(s.byMAC[hc.MAC], int32(len(s.hosts)))
		s.hosts = append(s.hosts, h)
	}
	return s, nil
}

// Network returns the network's name as configured.
func (s *Server) Network() string { return s.network }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Handle answers one DHCP message (a UDP payload to port 67) that came in
// as c says, at now (Unix ns). It encodes the reply into out (pass at least
// MaxReply bytes) and returns it with Answered, or a zero Reply and why
// nothing is sent. It never keeps payload or out.
func (s *Server) Handle(payload []byte, c Client, now int64, out []byte) (Reply, Result) {
	var m message
	res := m.decode(payload)
	t := m.typ
	if res != Answered || int(t) >= NumMessageTypes {
		t = MessageNone
	}
	s.stats.received[t].Add(1)
	var rep Reply
	if res == Answered {
		rep, res = s.handle(&m, &c, now, out)
	}
	s.stats.results[res].Add(1)
	if res == Answered {
		s.stats.sent[rep.Type].Add(1)
	}
	return rep, res
}

// handle dispatches a decoded message.
func (s *Server) handle(m *message, c *Client, now int64, out []byte) (Reply, Result) {
	only := -1 // a relayed message is answered from giaddr's subnet only
	if m.giaddr.IsValid() {
		if !c.Trusted {
			return Reply{}, RelayUntrusted
		}
		if only = s.subnetContaining(m.giaddr); only < 0 {
			return Reply{}, NoSubnet
		}
	} else if !c.Trusted && m.chaddr != c.SrcMAC {
		return Reply{}, ChaddrMismatch
	}
	switch m.typ {
	case Discover:
		return s.discover(m, c, only, now, out)
	case Request:
		return s.request(m, c, only, now, out)
	case Decline:
		return Reply{}, s.decline(m, now)
	case Release:
		return Reply{}, s.release(m, now)
	case Inform:
		return s.inform(m, c, only, out)
	}
	return Reply{}, IgnoredType
}

// discover answers a DISCOVER with an OFFER: a static host's address, or a
// pool address reserved for OfferHold.
func (s *Server) discover(m *message, c *Client, only int, now int64, out []byte) (Reply, Result) {
	if !c.Trusted && !s.lim.allow(c.Port, now) {
		return Reply{}, RateLimited
	}
	if h := s.host(m.chaddr, only, netip.Addr{}); h != nil {
		return s.answer(m, c, Offer, h.subnet, h.IP, &h.opts, false, out), Answered
	}
	l := s.leases
	l.mu.Lock()
	si, ip, res := s.poolOffer(m, c, only, now)
	l.mu.Unlock()
	if res != Answered {
		return Reply{}, res
	}
	return s.answer(m, c, Offer, si, addr4(ip), &s.subnets[si].opts, false, out), Answered
}

// poolOffer finds or reserves a pool address for an unknown MAC, with the
// leases locked.
func (s *Server) poolOffer(m *message, c *Client, only int, now int64) (int, uint32, Result) {
	l := s.leases
	port := l.portID(c.PortName)
	anyPool := false
	for i := range s.subnets {
		sn := &s.subnets[i]
		if sn.poolSize == 0 || (only >= 0 && i != only) {
			continue
		}
		anyPool = true
		ri := l.byMACRec(sn.id, m.chaddr)
		if ri < 0 {
			continue
		}
		r := &l.recs[ri]
		if !sn.inPool(r.ip) || r.kind == kindStatic {
			l.remove(ri) // the pool share moved, or the host lost its entry
			continue
		}
		if r.expires <= now {
			l.update(ri, kindOffered, port, now+OfferHold)
		}
		return i, r.ip, Answered
	}
	if !anyPool {
		return 0, 0, UnknownClient
	}
	if !c.Trusted && l.portFull(port, s.limits.MaxPoolLeasesPerPort, now) {
		return 0, 0, PortLeaseCap
	}
	for i := range s.subnets {
		sn := &s.subnets[i]
		if sn.poolSize == 0 || (only >= 0 && i != only) {
			continue
		}
		if ip, ok := s.allocate(sn, m.chaddr, m.requested, now); ok {
			l.insert(lease{expires: now + OfferHold, port: port, ip: ip, mac: m.chaddr, subnet: sn.id, kind: kindOffered})
			return i, ip, Answered
		}
	}
	return 0, 0, PoolExhausted
}

// request answers a REQUEST in any client state (RFC 2131 §4.3.2):
//
//   - SELECTING: server identifier set. Another server's: the client chose
//     it, our offer is withdrawn, no answer (WrongServer). Ours: the
//     requested address (option 50) is ACKed if it is the client's.
//   - INIT-REBOOT: no server identifier, option 50 set, ciaddr 0.
//   - RENEWING (unicast) and REBINDING (broadcast): ciaddr set; both are
//     answered alike.
//
// The address is ACKed when it is the client's: its static entry, its pool
// lease or offer, or a free pool address when we have no record of the
// client (a client coming back after its record was lost). A client we
// know asking for another address gets a NAK; so does one asking for a
// pool address held by another client. A client we know nothing of gets
// no answer (UnknownClient), unless it selected us.
func (s *Server) request(m *message, c *Client, only int, now int64, out []byte) (Reply, Result) {
	a := m.requested
	selecting := m.serverID.IsValid()
	if selecting && s.serverSubnet(m.serverID) < 0 {
		s.withdrawOffer(m.chaddr)
		return Reply{}, WrongServer
	}
	if !a.IsValid() {
		a = m.ciaddr
	}
	if !a.Is4() {
		return Reply{}, Malformed
	}
	ip := u32(a)

	if _, ok := s.byMAC[m.chaddr]; ok {
		if h := s.host(m.chaddr, only, a); h != nil {
			s.commitStatic(h, m, c, now)
			return s.answer(m, c, Ack, h.subnet, a, &h.opts, false, out), Answered
		}
		return s.nak(m, c, only, a, out), Answered
	}

	l := s.leases
	l.mu.Lock()
	port := l.portID(c.PortName)
	anyPool, known := false, false
	for i := range s.subnets {
		sn := &s.subnets[i]
		if sn.poolSize == 0 {
			continue
		}
		anyPool = anyPool || only < 0 || i == only
		ri := l.byMACRec(sn.id, m.chaddr)
		if ri < 0 || l.recs[ri].kind == kindStatic {
			continue
		}
		known = true
		if r := &l.recs[ri]; r.ip == ip && sn.inPool(ip) && (only < 0 || i == only) {
			l.update(ri, kindPool, port, leaseEnd(now, sn.opts.leaseTime))
			l.setHostname(ri, m.hostname)
			l.mu.Unlock()
			return s.answer(m, c, Ack, i, a, &sn.opts, false, out), Answered
		}
	}
	if known {
		l.mu.Unlock()
		return s.nak(m, c, only, a, out), Answered
	}
	if si := s.subnetContaining(a); si >= 0 && (only < 0 || si == only) && s.subnets[si].inPool(ip) {
		sn := &s.subnets[si]
		ri := l.byIPRec(sn.id, ip)
		if ri < 0 || l.recs[ri].expires <= now {
			if !c.Trusted && l.portFull(port, s.limits.MaxPoolLeasesPerPort, now) {
				l.mu.Unlock()
				return Reply{}, PortLeaseCap
			}
			if ri >= 0 {
				l.remove(ri)
			}
			ri = l.insert(lease{expires: leaseEnd(now, sn.opts.leaseTime), port: port, ip: ip, mac: m.chaddr, subnet: sn.id, kind: kindPool})
			l.setHostname(ri, m.hostname)
			l.mu.Unlock()
			return s.answer(m, c, Ack, si, a, &sn.opts, false, out), Answered
		}
		l.mu.Unlock()
		return s.nak(m, c, only, a, out), Answered
	}
	l.mu.Unlock()
	if selecting && anyPool {
		return s.nak(m, c, only, a, out), Answered
	}
	return Reply{}, UnknownClient
}

// withdrawOffer forgets the offer made to mac, if any: it chose another
// server.
func (s *Server) withdrawOffer(mac MAC) {
	l := s.leases
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range s.subnets {
		if ri := l.byMACRec(s.subnets[i].id, mac); ri >= 0 && l.recs[ri].kind == kindOffered {
			l.remove(ri)
		}
	}
}

// commitStatic records a static host's lease.
func (s *Server) commitStatic(h *host, m *message, c *Client, now int64) {
	l := s.leases
	sn := &s.subnets[h.subnet]
	ip := u32(h.IP)
	l.mu.Lock()
	defer l.mu.Unlock()
	port := l.portID(c.PortName)
	end := leaseEnd(now, h.opts.leaseTime)
	ri := l.byMACRec(sn.id, m.chaddr)
	if ri >= 0 && l.recs[ri].ip != ip {
		l.remove(ri)
		ri = -1
	}
	if rj := l.byIPRec(sn.id, ip); rj >= 0 && rj != ri {
		l.remove(rj) // a stale record of another client: the static entry wins
	}
	if ri >= 0 {
		l.update(ri, kindStatic, port, end)
	} else {
		ri = l.insert(lease{expires: end, port: port, ip: ip, mac: m.chaddr, subnet: sn.id, kind: kindStatic})
	}
	l.setHostname(ri, m.hostname)
}

// decline sets the declined address aside for DeclineHold.
func (s *Server) decline(m *message, now int64) Result {
	if m.serverID.IsValid() && s.serverSubnet(m.serverID) < 0 {
		return WrongServer
	}
	if !m.requested.IsValid() {
		return Malformed
	}
	l := s.leases
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range s.subnets {
		sn := &s.subnets[i]
		ri := l.byMACRec(sn.id, m.chaddr)
		if ri >= 0 && l.recs[ri].ip == u32(m.requested) && l.recs[ri].kind.countsForPort() {
			l.update(ri, kindDeclined, 0, now+DeclineHold)
		}
	}
	return Declined
}

// release ends the client's lease of ciaddr now. The record stays, so the
// client gets the address back while it is free.
func (s *Server) release(m *message, now int64) Result {
	if m.serverID.IsValid() && s.serverSubnet(m.serverID) < 0 {
		return WrongServer
	}
	l := s.leases
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := range s.subnets {
		sn := &s.subnets[i]
		ri := l.byMACRec(sn.id, m.chaddr)
		if ri < 0 || l.recs[ri].ip != u32(m.ciaddr) || l.recs[ri].expires <= now {
			continue
		}
		switch r := &l.recs[ri]; r.kind {
		case kindOffered:
			l.remove(ri)
		case kindPool, kindStatic:
			l.update(ri, r.kind, r.port, now)
		}
	}
	return Released
}

// inform answers an INFORM: options without a lease, to ciaddr.
func (s *Server) inform(m *message, c *Client, only int, out []byte) (Reply, Result) {
	if !m.ciaddr.IsValid() {
		return Reply{}, Malformed
	}
	si := s.subnetContaining(m.ciaddr)
	if si < 0 || (only >= 0 && si != only) {
		return Reply{}, NoSubnet
	}
	if h := s.host(m.chaddr, si, m.ciaddr); h != nil {
		return s.answer(m, c, Ack, si, netip.Addr{}, &h.opts, true, out), Answered
	}
	if s.subnets[si].poolSize == 0 {
		return Reply{}, UnknownClient
	}
	return s.answer(m, c, Ack, si, netip.Addr{}, &s.subnets[si].opts, true, out), Answered
}

// nak answers with a NAK from the subnet the client addressed.
func (s *Server) nak(m *message, c *Client, only int, a netip.Addr, out []byte) Reply {
	si := s.serverSubnet(m.serverID)
	if si < 0 {
		si = only
	}
	if si < 0 {
		si = max(s.subnetContaining(a), 0)
	}
	return s.answer(m, c, Nak, si, netip.Addr{}, nil, false, out)
}

// answer encodes a reply from subnet si and addresses it (RFC 2131 §4.1):
// to a relay when giaddr is set; else a NAK is broadcast; else to ciaddr
// when set; else broadcast when the client asked for it; else to yiaddr at
// chaddr.
func (s *Server) answer(m *message, c *Client, typ MessageType, si int, yiaddr netip.Addr, opts *optionSet, inform bool, out []byte) Reply {
	sn := &s.subnets[si]
	r := reply{typ: typ, yiaddr: yiaddr, serverID: sn.ServerIP, flags: m.flags & flagBroadcast, opts: opts, inform: inform}
	if typ == Ack {
		r.ciaddr = m.ciaddr
	}
	if opts != nil {
		r.siaddr = opts.siaddr
	}
	rep := Reply{Type: typ, SrcIP: sn.ServerIP, SrcMAC: s.serverMAC, DstPort: ClientPort}
	switch {
	case m.giaddr.IsValid():
		rep.DstIP, rep.DstPort, rep.DstMAC = m.giaddr, ServerPort, c.SrcMAC
		if typ == Nak {
			r.flags |= flagBroadcast // the relay broadcasts it (RFC 2131 §4.3.2)
		}
	case typ == Nak:
		rep.DstIP, rep.DstMAC = netip.AddrFrom4([4]byte{255, 255, 255, 255}), Broadcast
	case m.ciaddr.IsValid():
		rep.DstIP, rep.DstMAC = m.ciaddr, m.chaddr
	case m.flags&flagBroadcast != 0:
		rep.DstIP, rep.DstMAC = netip.AddrFrom4([4]byte{255, 255, 255, 255}), Broadcast
	default:
		rep.DstIP, rep.DstMAC = yiaddr, m.chaddr
	}
	rep.Payload = r.encode(out, m)
	return rep
}

// host returns mac's static entry on subnet only (any when -1) with
// address a (any when zero), or nil.
func (s *Server) host(mac MAC, only int, a netip.Addr) *host {
	for _, i := range s.byMAC[mac] {
		h := &s.hosts[i]
		if (only < 0 || h.subnet == only) && (!a.IsValid() || h.IP == a) {
			return h
		}
	}
	return nil
}

// subnetContaining returns the index of the subnet that holds a, or -1.
func (s *Server) subnetContaining(a netip.Addr) int {
	for i := range s.subnets {
		if s.subnets[i].CIDR.Contains(a) {
			return i
		}
	}
	return -1
}

// serverSubnet returns the index of the subnet whose server IP is a, or -1.
func (s *Server) serverSubnet(a netip.Addr) int {
	if !a.IsValid() {
		return -1
	}
	for i := range s.subnets {
		if s.subnets[i].ServerIP == a {
			return i
		}
	}
	return -1
}

// leaseEnd is the expiry of a lease of lt seconds taken at now.
func leaseEnd(now int64, lt int) int64 {
	if lt == InfiniteLease {
		return Never
	}
	return now + int64(lt)*1e9
}
