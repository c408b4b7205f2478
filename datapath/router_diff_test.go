package datapath

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"neutrino/packet/header"
)

// rfield is one compared field of a frame.
type rfield struct {
	name, val string
}

// frameFields lists the fields of an untagged frame a router sent that
// the differential test compares (see TestRouterDifferentialLinux): the
// Ethernet addresses, ARP, IPv4 and its payload, and what an ICMP error
// quotes. Data is compared by a hash.
func frameFields(f []byte) []rfield {
	var fs []rfield
	add := func(name string, v any) { fs = append(fs, rfield{name, fmt.Sprint(v)}) }
	if len(f) < 14 {
		add("frame.len", len(f))
		return fs
	}
	add("eth.dst", net.HardwareAddr(f[0:6]))
	add("eth.src", net.HardwareAddr(f[6:12]))
	et := binary.BigEndian.Uint16(f[12:14])
	add("eth.type", fmt.Sprintf("%#04x", et))
	switch et {
	case 0x0806:
		a := header.ARP(f[14:])
		if !a.Valid() {
			add("arp", "truncated")
			return fs
		}
		sha, tha, spa, tpa := a.SHA(), a.THA(), a.SPA(), a.TPA()
		add("arp.op", a.Op())
		add("arp.sha", net.HardwareAddr(sha[:]))
		add("arp.spa", net.IP(spa[:]))
		add("arp.tha", net.HardwareAddr(tha[:]))
		add("arp.tpa", net.IP(tpa[:]))
	case 0x0800:
		ipFields(f[14:], "ip", true, add)
	}
	return fs
}

// ipFields adds the fields of the IPv4 datagram ip (whole, or quoted: cut
// short) under prefix; nested: look into an ICMP error's quote.
func ipFields(ip []byte, prefix string, nested bool, add func(string, any)) {
	if len(ip) < 20 || ip[0]>>4 != 4 {
		add(prefix, "not IPv4")
		return
	}
	h := header.IPv4(ip)
	hl := h.HeaderLen()
	add(prefix+".src", net.IP(ip[12:16]))
	add(prefix+".dst", net.IP(ip[16:20]))
	add(prefix+".proto", ip[9])
	add(prefix+".ttl", ip[8])
	add(prefix+".tos", fmt.Sprintf("%#02x", ip[1]))
	add(prefix+".len", h.TotalLength())
	add(prefix+".hlen", hl)
	if hl > 20 && hl <= len(ip) {
		add(prefix+".opts", hex.EncodeToString(ip[20:hl]))
	}
	add(prefix+".df", h.DontFragment())
	add(prefix+".mf", h.MoreFragments())
	add(prefix+".frag", h.FragmentOffset())
	add(prefix+".id", h.ID())
	end := min(int(h.TotalLength()), len(ip))
	if hl > end {
		return
	}
	pl := ip[hl:end]
	if h.FragmentOffset() != 0 {
		add(prefix+".data", digest(pl))
		return
	}
	p := prefix + ".l4"
	switch ip[9] {
	case header.ProtoUDP, header.ProtoTCP:
		if len(pl) >= 4 {
			add(p+".sport", binary.BigEndian.Uint16(pl[0:]))
			add(p+".dport", binary.BigEndian.Uint16(pl[2:]))
		}
		if ip[9] == header.ProtoUDP && len(pl) >= 8 {
			add(p+".udplen", binary.BigEndian.Uint16(pl[4:]))
			if !nested {
				add(p+".sum", binary.BigEndian.Uint16(pl[6:]))
			} else {
				add(p+".nosum", binary.BigEndian.Uint16(pl[6:]) == 0)
			}
			add(p+".data", digest(pl[8:]))
		}
		if ip[9] == header.ProtoTCP && len(pl) >= 8 {
			add(p+".seq", binary.BigEndian.Uint32(pl[4:]))
		}
		if ip[9] == header.ProtoTCP && len(pl) >= 20 {
			add(p+".ack", binary.BigEndian.Uint32(pl[8:]))
			add(p+".flags", tcpFlags(pl[13]))
			add(p+".win", binary.BigEndian.Uint16(pl[14:]))
			if !nested {
				add(p+".sum", binary.BigEndian.Uint16(pl[16:]))
			}
			if off := int(pl[12]>>4) * 4; off <= len(pl) {
				add(p+".data", digest(pl[off:]))
			}
		}
	case header.ProtoICMP:
		if len(pl) < 8 {
			add(p, "short ICMP")
			return
		}
		typ := pl[0]
		add(p+".type", typ)
		add(p+".code", pl[1])
		switch typ {
		case 0, 8:
			add(p+".id", binary.BigEndian.Uint16(pl[4:]))
			add(p+".seq", binary.BigEndian.Uint16(pl[6:]))
			add(p+".data", digest(pl[8:]))
		case 3, 5, 11, 12:
			add(p+".rest", hex.EncodeToString(pl[4:8])) // the next-hop MTU, a redirect's gateway
			if nested {
				add(p+".quoted", len(pl)-8)
				ipFields(pl[8:], prefix+".quote", false, add)
			}
		default:
			add(p+".data", digest(pl[4:]))
		}
	default:
		add(prefix+".data", digest(pl))
	}
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return strconv.Itoa(len(b)) + " bytes " + hex.EncodeToString(s[:6])
}

// portClass is the range Linux keeps a translated source port in.
func portClass(p uint16) string {
	switch {
	case p < 512:
		return "1-511"
	case p < 1024:
		return "600-1023"
	}
	return "1024-65535"
}

// knownDiff is a difference between neutrino and Linux found by the
// differential test and kept: in that step of that case, on that port,
// those fields (and no others) may differ, or with no fields, the frames
// sent there; the test logs them.
type knownDiff struct {
	cas    string
	step   int // from 1
	port   string
	fields []string
	why    string
}

// routerKnownDiffs are the differences between neutrino and Linux that
// the differential test reports without failing.
var routerKnownDiffs = []knownDiff{
	{cas: "ip-options", step: 1, port: "vm-91-14", fields: []string{"ip.opts"},
		why: "record route: Linux writes the outgoing interface's address into the option, neutrino leaves it"},
	{cas: "ip-options", step: 2, port: "physnet1", fields: []string{"ip.opts"},
		why: "record route: Linux writes the outgoing interface's address (the gateway IP) into the option, " +
			"neutrino leaves it"},
	{cas: "fragments", step: 11, port: "vm-91-14", fields: []string{"ip.len", "ip.frag", "ip.data", "ip.l4.data"},
		why: "a reassembled datagram that must be fragmented again: Linux sends the fragments it received when they " +
			"fit the egress MTU (ip_do_fragment's fast path over the fragment list: here 496 then 1004 bytes), " +
			"neutrino cuts it again at the size of the largest (1000 then 500)"},
}

// differ compares the output of neutrino (want) and Linux (got) step by
// step.
type differ struct {
	t       testing.TB
	cas     string
	own     map[[4]byte]bool // the router's addresses
	snatSrc map[[4]byte]bool // the addresses it SNATs to
	random  bool             // Linux SNATs with --random-fully
	// picked: for a SNATed connection whose port (echo id) the routers
	// chose differently, Linux's choice, by snatKey.
	picked map[string]string
	seen   map[*knownDiff]bool // the known differences that showed
}

// finish fails the case for each of its known differences that did not
// show: fixed, it is to be taken out of routerKnownDiffs.
func (d *differ) finish() {
	d.t.Helper()
	for k := range routerKnownDiffs {
		if kd := &routerKnownDiffs[k]; kd.cas == d.cas && !d.seen[kd] {
			d.t.Errorf("step %d, out of %s: the known difference is gone (take it out of routerKnownDiffs): %s", kd.step, kd.port, kd.why)
		}
	}
}

func (d *differ) step(i int, st rstep, in []byte, want, got map[string][][]byte) {
	t := d.t
	t.Helper()
	where := fmt.Sprintf("step %d (%s at %v)", i+1, st.port, st.at)
	for _, port := range unionKeys(want, got) {
		n, l := want[port], got[port]
		if tt, ok := t.(*testing.T); ok {
			checkRouterFrames(tt, "Linux "+port, l)
		}
		var known *knownDiff
		for k := range routerKnownDiffs {
			if kd := &routerKnownDiffs[k]; kd.cas == d.cas && kd.step == i+1 && kd.port == port {
				known = kd
			}
		}
		if known != nil && known.fields == nil {
			if slices.EqualFunc(n, l, func(a, b []byte) bool { return rsummary(a) == rsummary(b) }) {
				t.Errorf("%s, out of %s: a known difference is gone: %s\nboth sent:\n%s", where, port, known.why, summaries(n))
			} else {
				d.seen[known] = true
				t.Logf("known difference: %s, out of %s: %s\nneutrino:\n%sLinux:\n%s", where, port, known.why, summaries(n), summaries(l))
			}
			continue
		}
		if len(n) != len(l) {
			t.Errorf("%s, out of %s: neutrino sent %d frames, Linux %d\nneutrino:\n%sLinux:\n%s", where, port, len(n), len(l), summaries(n), summaries(l))
			continue
		}
		for k := range n {
			d.frame(fmt.Sprintf("%s, out of %s, frame %d", where, port, k+1), st, in, n[k], l[k], known)
		}
	}
}

// frame compares one frame of each.
func (d *differ) frame(where string, st rstep, in, n, l []byte, known *knownDiff) {
	t := d.t
	t.Helper()
	nf, lf := frameFields(n), frameFields(l)
	lv := map[string]string{}
	for _, f := range lf {
		lv[f.name] = f.val
	}
	nv := map[string]string{}
	made := routerMade(n, d.own) || routerMade(l, d.own)
	var diffs, knowns []string
	for _, f := range nf {
		nv[f.name] = f.val
		g, ok := lv[f.name]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s: neutrino %s, Linux has none", f.name, f.val))
		case g == f.val:
		case f.name == "ip.id" && made:
			// The router's own datagrams: not compared.
		case (f.name == "ip.l4.sport" || f.name == "ip.l4.id") && d.snatted(n):
			if !d.snatPort(where, st, in, n, f.name, f.val, g) {
				diffs = append(diffs, fmt.Sprintf("%s: neutrino %s, Linux %s", f.name, f.val, g))
			}
		case known != nil && slices.Contains(known.fields, f.name):
			knowns = append(knowns, fmt.Sprintf("%s: neutrino %s, Linux %s", f.name, f.val, g))
		default:
			diffs = append(diffs, fmt.Sprintf("%s: neutrino %s, Linux %s", f.name, f.val, g))
		}
	}
	for _, f := range lf {
		if _, ok := nv[f.name]; !ok {
			diffs = append(diffs, fmt.Sprintf("%s: Linux %s, neutrino has none", f.name, f.val))
		}
	}
	if len(diffs) > 0 {
		t.Errorf("%s differs:\n  neutrino: %s\n  Linux:    %s\n  %s", where, rsummary(n), rsummary(l), strings.Join(append(diffs, knowns...), "\n  "))
	} else if len(knowns) > 0 {
		d.seen[known] = true
		t.Logf("known difference: %s: %s\n  neutrino: %s\n  Linux:    %s\n  %s", where, known.why, rsummary(n), rsummary(l), strings.Join(knowns, "\n  "))
	}
}

// snatted reports whether f, a frame a router sent, comes from an
// address it SNATs to: its port (echo id) may be one the router picked.
func (d *differ) snatted(f []byte) bool {
	return len(f) >= 34 && binary.BigEndian.Uint16(f[12:14]) == 0x0800 && d.snatSrc[[4]byte(f[26:30])]
}

// snatKey names a SNATed connection by what neutrino sent: protocol,
// destination and its port, and the source port (echo id) neutrino kept.
func snatKey(f []byte, name, nval string) string {
	fs := frameFields(f)
	get := func(k string) string {
		for _, x := range fs {
			if x.name == k {
				return x.val
			}
		}
		return ""
	}
	return strings.Join([]string{get("ip.proto"), get("ip.dst"), get("ip.l4.dport"), name, nval}, " ")
}

// origPort is the source port (echo id) of the step's input, when it
// shows one.
func origPort(in []byte, name string) (string, bool) {
	for _, f := range frameFields(in) {
		if f.name == name {
			return f.val, true
		}
	}
	return "", false
}

// snatPort judges a source port (echo id) that differs in a frame from a
// SNAT address, and reports whether the difference is expected: the
// router picked a port for the connection, and Linux's is its own pick
// in the same range (--random-fully, or the original port taken), as
// before for a connection already seen.
func (d *differ) snatPort(where string, st rstep, in, n []byte, name, nval, lval string) bool {
	t := d.t
	t.Helper()
	key := snatKey(n, name, nval)
	if p, ok := d.picked[key]; ok {
		return p == lval // the connection's port, as Linux picked it
	}
	if !st.snat {
		return false
	}
	orig, ok := origPort(in, name)
	taken := ok && orig != nval // neutrino found the port in use: it picked another
	if !d.random && !taken {
		return false // the original port is free: Linux must keep it
	}
	if name == "ip.l4.sport" {
		np, _ := strconv.Atoi(nval)
		lp, _ := strconv.Atoi(lval)
		if portClass(uint16(np)) != portClass(uint16(lp)) {
			t.Errorf("%s: SNAT port: neutrino %s, Linux %s, not in the same range", where, nval, lval)
		}
	}
	if taken && lval == orig {
		t.Errorf("%s: SNAT: neutrino found %s %s taken and picked %s, Linux kept it", where, name, orig, nval)
	}
	d.picked[key] = lval
	if taken {
		t.Logf("%s: %s %s taken: neutrino picked %s, Linux %s", where, name, orig, nval, lval)
	} else {
		t.Logf("known difference: %s: SNAT with --random-fully: neutrino keeps %s %s, Linux picked %s", where, name, nval, lval)
	}
	return true
}
