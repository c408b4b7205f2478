package router

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"

	"neutrino/packet/header"
)

// ARPInterface is what a router port answers ARP for: its own addresses
// (the subnet's gateway IP on a qr- port, the gateway IP on qg-) and the
// proxy addresses (each floating IP on qg-: the legacy L3 agent adds them
// as /32s on qg, so they share its MAC).
type ARPInterface struct {
	Index int
	MAC   [6]byte
	Addrs []netip.Addr
	Proxy []netip.Addr
}

// Responder answers ARP requests for a router's addresses. It is immutable:
// a change of floating IPs builds a new one (atomic.Pointer in the
// datapath). Only the counters change, and Answer allocates nothing.
type Responder struct {
	addrs map[uint64]arpAddr // neighKey(iface, ip)
	macs  map[int][6]byte    // interface -> its MAC
	stats *arpCounters
}

type arpAddr struct {
	mac   [6]byte
	proxy bool
}

// Errors returned (wrapped) by NewResponder.
var (
	ErrNotIPv4       = errors.New("ARP address is not IPv4")
	ErrDuplicateAddr = errors.New("address given twice on one interface")
)

// NewResponder compiles the interfaces' addresses.
func NewResponder(ifs []ARPInterface) (*Responder, error) {
	r := &Responder{addrs: make(map[uint64]arpAddr), macs: make(map[int][6]byte), stats: new(arpCounters)}
	add := func(ifc ARPInterface, a netip.Addr, proxy bool) error {
		if !a.Is4() {
			return fmt.Errorf("interface %d: %s: %w", ifc.Index, a, ErrNotIPv4)
		}
		k := neighKey(ifc.Index, a.As4())
		if _, dup := r.addrs[k]; dup {
			return fmt.Errorf("interface %d: %s: %w", ifc.Index, a, ErrDuplicateAddr)
		}
		r.addrs[k] = arpAddr{mac: ifc.MAC, proxy: proxy}
		return nil
	}
	for _, ifc := range ifs {
		r.macs[ifc.Index] = ifc.MAC
		for _, a := range ifc.Addrs {
			if err := add(ifc, a, false); err != nil {
				return nil, err
			}
		}
		for _, a := range ifc.Proxy {
			if err := add(ifc, a, true); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// ARPVerdict is what Answer did with an ARP frame.
type ARPVerdict uint8

// Verdicts of Answer.
const (
	// ARPOther: an ARP packet not for the router (a request for another
	// host, a gratuitous ARP, a reply to someone else). Left untouched; the
	// caller may still Learn its sender with HeardOther.
	ARPOther ARPVerdict = iota
	// ARPAnswered: a request for one of the router's addresses, rewritten
	// in place into the reply; send it back out the interface it came in
	// on. Learn the sender with HeardRequest.
	ARPAnswered
	// ARPProxied: as ARPAnswered, for a proxy address (a floating IP).
	ARPProxied
	// ARPReplyToUs: a reply to one of the router's own addresses. Learn the
	// sender with HeardReply.
	ARPReplyToUs
	// ARPOtherHost: unicast to another MAC (flooded by the switch as an
	// unknown destination). Ignore it; do not learn from it.
	ARPOtherHost
	// ARPConflict: the sender claims one of the router's addresses on the
	// interface. Not answered, not learned (Linux refuses a local source).
	ARPConflict
	// ARPInvalid: not an Ethernet/IPv4 ARP frame, a group sender MAC, or an
	// unknown operation. Drop it.
	ARPInvalid
)

// ARPResult is Answer's decision and, for learning, the sender as it was
// before any rewrite.
type ARPResult struct {
	Verdict   ARPVerdict
	SenderIP  [4]byte
	SenderMAC [6]byte
}

// Answer decides what an ARP frame received on iface is to the router and,
// for a request for one of its addresses there, turns the frame into the
// reply in place as the OVS ARP responder does (NEUTRON.md §2, table 21):
//
//	eth_dst <- eth_src, eth_src <- MAC, op <- 2,
//	tha <- sha, tpa <- spa, sha <- MAC, spa <- the address asked for.
//
// An 802.1Q tag, if any, is kept. l is frame's Layout from header.Parse.
// A request is answered only when sent to broadcast (or multicast) or to
// the interface's MAC; a DAD probe (spa 0.0.0.0) is answered like any
// request, to its sender, as Linux does.
func (r *Responder) Answer(iface int, frame []byte, l *header.Layout) ARPResult {
	if l.Flags&header.IsARP == 0 || int(l.L3)+header.ARPLen > len(frame) {
		r.stats.invalid.Add(1)
		return ARPResult{Verdict: ARPInvalid}
	}
	eth := header.Ethernet(frame)
	a := header.ARP(frame[l.L3:])
	res := ARPResult{SenderIP: a.SPA(), SenderMAC: a.SHA()}
	if res.SenderMAC[0]&1 != 0 || eth.Src()[0]&1 != 0 {
		r.stats.invalid.Add(1)
		res.Verdict = ARPInvalid
		return res
	}
	if !eth.IsMulticast() {
		if mac, ok := r.macs[iface]; !ok || eth.Dst() != mac {
			r.stats.otherHost.Add(1)
			res.Verdict = ARPOtherHost
			return res
		}
	}
	if _, self := r.addrs[neighKey(iface, res.SenderIP)]; self {
		r.stats.conflict.Add(1)
		res.Verdict = ARPConflict
		return res
	}
	tpa := a.TPA()
	addr, ours := r.addrs[neighKey(iface, tpa)]
	switch {
	case !ours:
		r.stats.other.Add(1)
		res.Verdict = ARPOther
	case a.Op() == header.ARPReply:
		if addr.proxy {
			r.stats.other.Add(1)
			res.Verdict = ARPOther
			return res
		}
		r.stats.replies.Add(1)
		res.Verdict = ARPReplyToUs
	case a.Op() == header.ARPRequest:
		eth.SetDst(eth.Src())
		eth.SetSrc(addr.mac)
		a.SetOp(header.ARPReply)
		a.SetTHA(res.SenderMAC)
		a.SetTPA(res.SenderIP)
		a.SetSHA(addr.mac)
		a.SetSPA(tpa)
		if addr.proxy {
			r.stats.proxied.Add(1)
			res.Verdict = ARPProxied
		} else {
			r.stats.answered.Add(1)
			res.Verdict = ARPAnswered
		}
	default:
		r.stats.invalid.Add(1)
		res.Verdict = ARPInvalid
	}
	return res
}

// ARPStats counts Answer's verdicts.
type ARPStats struct {
	Answered  uint64 // requests for the router's own addresses, answered
	Proxied   uint64 // requests for proxy addresses (floating IPs), answered
	Replies   uint64 // replies to the router's addresses
	Other     uint64 // ARP for other hosts, left alone
	OtherHost uint64 // unicast to another MAC, ignored
	Conflict  uint64 // senders claiming one of the router's addresses, ignored
	Invalid   uint64 // dropped: not Ethernet/IPv4, group sender MAC, unknown op
}

type arpCounters struct {
	answered, proxied, replies, other, otherHost, conflict, invalid atomic.Uint64
}

// Stats returns the counters.
func (r *Responder) Stats() ARPStats {
	s := r.stats
	return ARPStats{
		Answered: s.answered.Load(), Proxied: s.proxied.Load(), Replies: s.replies.Load(),
		Other: s.other.Load(), OtherHost: s.otherHost.Load(), Conflict: s.conflict.Load(), Invalid: s.invalid.Load(),
	}
}
