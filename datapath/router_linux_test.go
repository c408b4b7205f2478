//go:build linux

package datapath

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"neutrino/internal/netnstest"
)

// The differential test: the router scenarios run through neutrino and
// through Linux set up as Neutron's L3 agent sets up a legacy router, and
// what leaves each port is compared field by field.
//
// The Linux router is a qrouter namespace with a veth per router port
// (the qr- and qg- names, MACs, addresses and MTUs of the topology), the
// floating IP as a /32 on qg, the default route via the external subnet's
// gateway, the sysctls of Neutron's RouterNamespace (ip_forward=1,
// arp_ignore=1, arp_announce=2, nf_conntrack_tcp_be_liberal=1) and the
// mangle and nat rules the L3 agent writes (router_info.py), in its
// chains:
//
//	mangle: -i QG -j MARK --set-xmark 0x2/0xffff
//	nat PREROUTING, OUTPUT: -d FIP/32 -j DNAT --to-destination FIXED
//	nat POSTROUTING: ! -o QG -m conntrack ! --ctstate DNAT -j ACCEPT
//	float-snat: -s FIXED/32 -j SNAT --to-source FIP --random-fully
//	snat: -o QG -j SNAT --to-source GW --random-fully
//	snat: -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source GW --random-fully
//
// (--random-fully is there when the agent's use_random_fully is true, the
// default; the "no-random-fully" run leaves it out.) The other ends of the
// veths are in a second namespace, where the test writes the scenario's
// frames with AF_PACKET sockets and reads what the router sends; it
// answers the router's ARP requests for the lab's hosts at once, as the
// neutrino driver does. IPv6 is off in both namespaces, and rp_filter
// (off) and send_redirects (on, the kernel's default) are set rather than
// inherited from the host.
//
// Compared, frame by frame in each step's output on each port: Ethernet
// addresses; ARP replies whole; IPv4 addresses, protocol, TTL, TOS, total
// length, DF and MF, fragment offset (so fragment sizes), identification
// (of forwarded datagrams and fragments); UDP and TCP ports, lengths,
// flags, sequence and acknowledgment numbers, window and data; ICMP type
// and code, echo id, sequence and data, the next-hop MTU; and in an ICMP
// error the quoted datagram: its addresses, protocol, TTL, length, id,
// flags, ports (echo id), its L4 checksum field and the number of bytes
// quoted. Every checksum of both routers' frames is verified rather than
// compared.
//
// Not compared: the identification of datagrams a router makes itself
// (echo replies, ICMP errors: a per-destination hash in Linux, a counter in
// neutrino); the router's ARP requests (timing, probing of stale
// neighbours, answered by the test); the length of the frames (Ethernet
// padding; the IP total length is compared); and the source port (echo
// id) a router picks for a connection it SNATs when it does not keep the
// original: with --random-fully Linux picks one at random even when the
// original is free, where neutrino keeps it, and both pick at random when
// it is taken. Such a port is checked to be in the original's range
// (1-511, 600-1023 or 1024-65535), and then to be the one Linux goes on
// using for the connection; --random-fully with a free port is logged as
// a known difference, and the no-random-fully run compares kept ports
// exactly. The differences in routerKnownDiffs are logged too (and one
// that no longer shows fails the test, to be taken out of the list); any
// other fails the test. Linux runs the steps back to back rather than at their
// capture times: no step waits for a timer.
func TestRouterDifferentialLinux(t *testing.T) {
	netnstest.RequireRoot(t)
	fw := findFirewall(t)
	spec := loadTestSpec(t, filepath.Join(goldenRouterDir, "topology.yaml"), "")
	own := routerOwnAddrs(spec)
	snatSrc := map[[4]byte]bool{}
	for _, r := range spec.Routers {
		if r.Gateway >= 0 {
			snatSrc[r.Ports[r.Gateway].Addr.Addr().As4()] = true
		}
		for _, f := range r.FloatingIPs {
			snatSrc[f.Address.As4()] = true
		}
	}
	cases := routerCases(t)
	for _, random := range []bool{true, false} {
		name := "neutron"
		if !random {
			name = "no-random-fully"
		}
		t.Run(name, func(t *testing.T) {
			for _, c := range cases {
				if !random && !hasSNAT(c) {
					continue // nothing the setting changes
				}
				t.Run(c.name, func(t *testing.T) {
					want := runRouterCase(t, newNeutrinoDriver(t, spec), c)
					lx := newLinuxRouter(t, spec, fw, random)
					for i, st := range want.steps {
						lx.expect = append(lx.expect, expected(c.name, i, st.out))
					}
					got := runRouterCase(t, lx, c)
					d := differ{t: t, cas: c.name, own: own, snatSrc: snatSrc, random: random, picked: map[string]string{}, seen: map[*knownDiff]bool{}}
					for i, st := range c.steps {
						d.step(i, st, want.steps[i].in, want.steps[i].out, got.steps[i].out)
					}
					d.finish()
				})
			}
		})
	}
}

func hasSNAT(c rcase) bool {
	for _, st := range c.steps {
		if st.snat {
			return true
		}
	}
	return false
}

// linuxRules is how the Linux router gets its rules: an iptables-restore
// (legacy or nf_tables), or nft.
type linuxRules struct {
	restore []string // iptables-restore binaries to try, in order
	nft     string
}

// findFirewall finds the tools to write the router's rules, skipping the
// test when there are none.
func findFirewall(t *testing.T) linuxRules {
	t.Helper()
	var fw linuxRules
	for _, name := range []string{"iptables-restore", "iptables-nft-restore", "iptables-legacy-restore"} {
		if p, err := exec.LookPath(name); err == nil {
			fw.restore = append(fw.restore, p)
		}
	}
	fw.nft, _ = exec.LookPath("nft")
	if len(fw.restore) == 0 && fw.nft == "" {
		t.Skip("integration: needs iptables-restore or nft to write the router's NAT rules")
	}
	return fw
}

// neutronIptables is the L3 agent's mangle and nat tables for router r
// (iptables-restore input). The filter table is left out: in a router
// without address scopes its rules (the metadata proxy's port closed) let
// all the scenarios' traffic through.
func neutronIptables(r *RouterSpec, random bool) string {
	qg := r.Ports[r.Gateway].Name
	gw := r.Ports[r.Gateway].Addr.Addr()
	rf := ""
	if random {
		rf = " --random-fully"
	}
	var b strings.Builder
	b.WriteString("*mangle\n:neutron-l3-agent-PREROUTING - [0:0]\n:neutron-l3-agent-mark - [0:0]\n" +
		"-A PREROUTING -j neutron-l3-agent-PREROUTING\n" +
		"-A neutron-l3-agent-PREROUTING -j neutron-l3-agent-mark\n")
	fmt.Fprintf(&b, "-A neutron-l3-agent-mark -i %s -j MARK --set-xmark 0x2/0xffff\nCOMMIT\n", qg)
	b.WriteString("*nat\n:neutron-l3-agent-OUTPUT - [0:0]\n:neutron-l3-agent-POSTROUTING - [0:0]\n" +
		":neutron-l3-agent-PREROUTING - [0:0]\n:neutron-l3-agent-float-snat - [0:0]\n" +
		":neutron-l3-agent-snat - [0:0]\n:neutron-postrouting-bottom - [0:0]\n" +
		"-A PREROUTING -j neutron-l3-agent-PREROUTING\n-A OUTPUT -j neutron-l3-agent-OUTPUT\n" +
		"-A POSTROUTING -j neutron-l3-agent-POSTROUTING\n-A POSTROUTING -j neutron-postrouting-bottom\n")
	for _, f := range r.FloatingIPs {
		fmt.Fprintf(&b, "-A neutron-l3-agent-PREROUTING -d %s/32 -j DNAT --to-destination %s\n", f.Address, f.Fixed)
		fmt.Fprintf(&b, "-A neutron-l3-agent-OUTPUT -d %s/32 -j DNAT --to-destination %s\n", f.Address, f.Fixed)
		fmt.Fprintf(&b, "-A neutron-l3-agent-float-snat -s %s/32 -j SNAT --to-source %s%s\n", f.Fixed, f.Address, rf)
	}
	fmt.Fprintf(&b, "-A neutron-l3-agent-POSTROUTING ! -o %s -m conntrack ! --ctstate DNAT -j ACCEPT\n", qg)
	b.WriteString("-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat\n")
	if r.EnableSNAT {
		fmt.Fprintf(&b, "-A neutron-l3-agent-snat -o %s -j SNAT --to-source %s%s\n", qg, gw, rf)
	}
	fmt.Fprintf(&b, "-A neutron-l3-agent-snat -m mark ! --mark 0x2/0xffff -m conntrack --ctstate DNAT -j SNAT --to-source %s%s\n", gw, rf)
	b.WriteString("-A neutron-postrouting-bottom -m comment --comment \"Perform source NAT on outgoing traffic.\" -j neutron-l3-agent-snat\nCOMMIT\n")
	return b.String()
}

// neutronNft is the same rules for nft, in the same order, for hosts
// without iptables.
func neutronNft(r *RouterSpec, random bool) string {
	qg := r.Ports[r.Gateway].Name
	gw := r.Ports[r.Gateway].Addr.Addr()
	rf := ""
	if random {
		rf = " fully-random"
	}
	var pre, post strings.Builder
	for _, f := range r.FloatingIPs {
		fmt.Fprintf(&pre, "    ip daddr %s dnat to %s\n", f.Address, f.Fixed)
	}
	fmt.Fprintf(&post, "    oifname != %q ct status and dnat == 0 accept\n", qg)
	for _, f := range r.FloatingIPs {
		fmt.Fprintf(&post, "    ip saddr %s snat to %s%s\n", f.Fixed, f.Address, rf)
	}
	if r.EnableSNAT {
		fmt.Fprintf(&post, "    oifname %q snat to %s%s\n", qg, gw, rf)
	}
	fmt.Fprintf(&post, "    mark and 0xffff != 0x2 ct status dnat snat to %s%s\n", gw, rf)
	return fmt.Sprintf(`table ip neutron {
  chain mangle_prerouting {
    type filter hook prerouting priority mangle;
    iifname %q meta mark set mark and 0xffff0000 or 0x2
  }
  chain nat_prerouting {
    type nat hook prerouting priority dstnat;
%s  }
  chain nat_output {
    type nat hook output priority -100;
%s  }
  chain nat_postrouting {
    type nat hook postrouting priority srcnat;
%s  }
}
`, qg, pre.String(), pre.String(), post.String())
}

// linuxRouter is a qrouter namespace driven through the other ends of its
// veths.
type linuxRouter struct {
	t     testing.TB
	fds   map[string]int // by scenario port: the socket on the wire end
	ports []string
	buf   []byte
	// expect is how many frames neutrino sent at each step: a step
	// waits up to a second for Linux to send as many (a busy machine
	// may run the namespace's softirqs late), then until it is quiet.
	expect []int
	steps  int
}

// newLinuxRouter builds the router of spec as the L3 agent would, and
// opens a socket on the wire end of each of its ports.
func newLinuxRouter(t *testing.T, spec *Spec, fw linuxRules, random bool) *linuxRouter {
	t.Helper()
	if len(spec.Routers) != 1 || spec.Routers[0].Gateway < 0 {
		t.Fatal("the differential test wants one router with a gateway")
	}
	r := &spec.Routers[0]
	qr := netnstest.New(t, "qrouter")
	wire := netnstest.New(t, "nrwire")
	for _, ns := range []*netnstest.NS{qr, wire} {
		sysctl(t, ns, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	}
	sysctl(t, qr, "net.ipv4.ip_forward=1",
		"net.ipv4.conf.all.arp_ignore=1", "net.ipv4.conf.all.arp_announce=2",
		"net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0",
		"net.ipv4.conf.all.send_redirects=1", "net.ipv4.conf.default.send_redirects=1")

	// The router's ports, and the scenario port each one faces.
	facing := map[int]string{}
	for _, ps := range spec.Ports {
		for i, rp := range r.Ports {
			if (ps.Kind == PortUplink && i == r.Gateway) || (ps.Kind != PortUplink && ps.Network == rp.Network) {
				facing[i] = ps.Name
			}
		}
	}
	wires := map[string]string{}
	addrs := map[string][4]byte{} // by scenario port: the router's address there
	for i, rp := range r.Ports {
		w := fmt.Sprintf("w%d", i)
		mtu := fmt.Sprint(rp.MTU)
		qr.Exec("ip", "link", "add", rp.Name, "address", rp.MAC.String(), "mtu", mtu,
			"type", "veth", "peer", "name", w, "netns", wire.Name, "mtu", mtu)
		qr.Exec("ip", "addr", "add", rp.Addr.String(), "dev", rp.Name)
		if i == r.Gateway {
			for _, f := range r.FloatingIPs {
				qr.Exec("ip", "addr", "add", f.Address.String()+"/32", "dev", rp.Name)
			}
		}
		qr.Exec("ip", "link", "set", rp.Name, "up")
		wire.Exec("ip", "link", "set", w, "up")
		if facing[i] != "" {
			wires[facing[i]] = w
			addrs[facing[i]] = rp.Addr.Addr().As4()
		}
	}
	for _, rt := range r.Routes {
		if rt.Gateway.IsValid() {
			qr.Exec("ip", "route", "add", rt.Prefix.String(), "via", rt.Gateway.String())
		}
	}
	applyRules(t, qr, fw, r, random)
	sysctl(t, qr, "net.netfilter.nf_conntrack_tcp_be_liberal=1")

	lr := &linuxRouter{t: t, fds: map[string]int{}, buf: make([]byte, 1<<16)}
	err := wire.Do(func() error {
		for port, w := range wires {
			fd, err := packetSocket(w)
			if err != nil {
				return err
			}
			lr.fds[port] = fd
			lr.ports = append(lr.ports, port)
		}
		return nil
	})
	t.Cleanup(func() {
		for _, fd := range lr.fds {
			unix.Close(fd)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	lr.ready(addrs)
	return lr
}

// ready waits until the router answers on every port: an ARP probe
// (sender 0.0.0.0, which teaches it nothing) for its address there, sent
// until answered. Links that just came up drop frames for a moment.
func (r *linuxRouter) ready(addrs map[string][4]byte) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, port := range r.ports {
		ip := addrs[port]
		probe := arpWhoHas(r.t, hw("52:54:00:ff:ff:fe"), net.IPv4zero.To4(), ip[:])
		for {
			if _, err := unix.Write(r.fds[port], probe); err != nil && err != unix.ENOBUFS {
				r.t.Fatalf("probing %s: %v", port, err)
			}
			answered := false
			for _, f := range r.collect(10 * time.Millisecond)[port] {
				if len(f) >= 42 && binary.BigEndian.Uint16(f[12:14]) == 0x0806 && binary.BigEndian.Uint16(f[20:22]) == 2 && [4]byte(f[28:32]) == ip {
					answered = true
				}
			}
			if answered {
				break
			}
			if time.Now().After(deadline) {
				r.t.Fatalf("the Linux router does not answer on %s", port)
			}
		}
	}
	r.collect(10 * time.Millisecond)
}

// sysctl sets each NAME=VALUE in the namespace, as sysctl -w does (a
// file under /proc/sys/net is the namespace of the thread opening it).
func sysctl(t *testing.T, ns *netnstest.NS, settings ...string) {
	t.Helper()
	err := ns.Do(func() error {
		for _, kv := range settings {
			k, v, _ := strings.Cut(kv, "=")
			path := "/proc/sys/" + strings.ReplaceAll(k, ".", "/")
			if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
				return fmt.Errorf("sysctl %s: %w", kv, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// applyRules writes the L3 agent's rules into the namespace with the
// first tool that works.
func applyRules(t *testing.T, ns *netnstest.NS, fw linuxRules, r *RouterSpec, random bool) {
	t.Helper()
	var errs []error
	try := func(tool, rules string) bool {
		f := filepath.Join(t.TempDir(), "rules")
		if err := os.WriteFile(f, []byte(rules), 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{tool, f}
		if filepath.Base(tool) == "nft" {
			args = []string{tool, "-f", f}
		}
		_, err := ns.Run(context.Background(), args...)
		errs = append(errs, err)
		return err == nil
	}
	for _, tool := range fw.restore {
		if try(tool, neutronIptables(r, random)) {
			return
		}
	}
	if fw.nft != "" && try(fw.nft, neutronNft(r, random)) {
		return
	}
	t.Skipf("integration: cannot write the router's NAT rules: %v", errors.Join(errs...))
}

// packetSocket opens a non-blocking AF_PACKET socket on the interface,
// which does not read back what it sends.
func packetSocket(ifname string) (int, error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return -1, err
	}
	proto := int(htons(unix.ETH_P_ALL))
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return -1, err
	}
	if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index}); err != nil {
		unix.Close(fd)
		return -1, err
	}
	// Older kernels lack it; recvfrom's packet type tells then.
	_ = unix.SetsockoptInt(fd, unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	return fd, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func (r *linuxRouter) send(port string, _ time.Duration, frame []byte) map[string][][]byte {
	r.t.Helper()
	fd, ok := r.fds[port]
	if !ok {
		r.t.Fatalf("no wire for %s", port)
	}
	if _, err := unix.Write(fd, frame); err != nil {
		r.t.Fatalf("writing into %s: %v", port, err)
	}
	want := 0
	if r.steps < len(r.expect) {
		want = r.expect[r.steps]
	}
	r.steps++
	out := r.collect(25 * time.Millisecond)
	for deadline := time.Now().Add(time.Second); count(out) < want && time.Now().Before(deadline); {
		for p, fs := range r.collect(25 * time.Millisecond) {
			out[p] = append(out[p], fs...)
		}
	}
	return out
}

// expected is how many frames Linux should send at step i of case cas,
// by what neutrino sent: on ports where they are known to differ in
// number, none.
func expected(cas string, i int, out map[string][][]byte) int {
	n := 0
	for port, fs := range out {
		known := false
		for _, kd := range routerKnownDiffs {
			known = known || (kd.cas == cas && kd.step == i+1 && kd.port == port && kd.fields == nil)
		}
		if !known {
			n += len(fs)
		}
	}
	return n
}

func count(out map[string][][]byte) int {
	n := 0
	for _, fs := range out {
		n += len(fs)
	}
	return n
}

// collect reads what the router sends until it has been quiet for quiet,
// answering its ARP requests for the lab's hosts as they come.
func (r *linuxRouter) collect(quiet time.Duration) map[string][][]byte {
	r.t.Helper()
	out := map[string][][]byte{}
	pfds := make([]unix.PollFd, len(r.ports))
	for i, p := range r.ports {
		pfds[i] = unix.PollFd{Fd: int32(r.fds[p]), Events: unix.POLLIN}
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		n, err := unix.Poll(pfds, int(quiet/time.Millisecond))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			r.t.Fatalf("poll: %v", err)
		}
		if n == 0 {
			return out
		}
		for i, p := range r.ports {
			if pfds[i].Revents&unix.POLLIN == 0 {
				continue
			}
			for {
				k, from, err := unix.Recvfrom(r.fds[p], r.buf, 0)
				if err == unix.EAGAIN {
					break
				}
				if err != nil {
					r.t.Fatalf("reading %s: %v", p, err)
				}
				if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
					continue
				}
				f := append([]byte(nil), r.buf[:k]...)
				if h, ip, ok := labARPRequest(p, f); ok {
					sha, spa := [6]byte(f[22:28]), [4]byte(f[28:32])
					if _, err := unix.Write(r.fds[p], arpIsAt(r.t, h.mac, ip[:], sha[:], spa[:])); err != nil {
						r.t.Fatalf("answering ARP on %s: %v", p, err)
					}
					continue
				}
				out[p] = append(out[p], f)
			}
		}
	}
	r.t.Errorf("the Linux router kept sending for 2 s")
	return out
}
