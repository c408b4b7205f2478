package datapath

import (
	"net"
	"net/netip"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"neutrino/conntrack"
	"neutrino/packet"
	"neutrino/packet/header"
)

// A reply trace changes nothing on a node that has run traffic: no
// counter, no connection (state or stamp), no FDB entry; its first part
// is the trace's. Traced again after the same flows ran for real, the
// replies find the table's connections instead of the trace's own.
func TestTraceReplyChangesNothing(t *testing.T) {
	n, _ := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	flows := []struct{ port, flow, want string }{
		{"vm-81-12", "icmp,nw_dst=192.168.1.15", "un-snat 192.168.1.110:20052 -> 81.1.180.12:20052"},
		{"physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=22", "un-dnat 91.1.180.14:22 -> 192.168.1.104:22"},
		{"vm-81-12", "tcp,nw_dst=91.1.180.14,tp_dst=22", "sg-vm-81-12 ingress conntrack established zone 4097"},
		{"vm-81-12", "udp,nw_dst=192.168.1.104,tp_dst=7000", "no reply: the frame was dropped"},
	}
	check := func(when string) {
		t.Helper()
		for _, f := range flows {
			fwd, err := n.Trace(f.port, f.flow)
			if err != nil {
				t.Fatal(err)
			}
			out, err := n.TraceReply(f.port, f.flow)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, fwd+"\n") {
				t.Errorf("%s: the reply trace of %s does not start with its trace:\n%s\n---\n%s", when, f.flow, fwd, out)
			}
			if !strings.Contains(strings.Join(strings.Fields(out[len(fwd):]), " "), f.want) {
				t.Errorf("%s: the reply of %s lacks %q:\n%s", when, f.flow, f.want, out[len(fwd):])
			}
		}
	}
	now := n.clock.Now()
	snapshot := func() (Counters, string, []string) {
		var conns []string
		n.ct.Each(now, func(i conntrack.Info) bool {
			conns = append(conns, conntrack.Format(i))
			return true
		})
		sort.Strings(conns)
		var fdb []string
		for _, e := range n.FDB() {
			fdb = append(fdb, e.Port+" "+e.MAC)
		}
		sort.Strings(fdb)
		return n.Counters(), strings.Join(conns, "\n"), fdb
	}

	// On an empty node.
	c0, ct0, fdb0 := snapshot()
	check("empty node")
	if c1, ct1, fdb1 := snapshot(); !reflect.DeepEqual(c0, c1) || ct1 != ct0 || !reflect.DeepEqual(fdb0, fdb1) || n.ct.Len() != 0 {
		t.Fatalf("a reply trace changed the empty node:\ncounters %+v\n-> %+v\nconntrack %q, fdb %v", c0, c1, ct1, fdb1)
	}

	// The same flows for real: connections, NAT bindings and learned MACs.
	w := n.NewWorker(1)
	for _, f := range flows {
		idx, frame, err := n.traceInput(f.port, f.flow)
		if err != nil {
			t.Fatal(err)
		}
		b := packet.NewBuffer(packet.MaxFrame)
		b.SetData(frame)
		n.Process(w, idx, []*packet.Buffer{b})
	}
	if n.ct.Len() == 0 {
		t.Fatal("the flows made no connection")
	}
	c0, ct0, fdb0 = snapshot()
	check("after the flows")
	if c1, ct1, fdb1 := snapshot(); !reflect.DeepEqual(c0, c1) || ct1 != ct0 || !reflect.DeepEqual(fdb0, fdb1) {
		t.Fatalf("a reply trace changed the node:\ncounters %+v\n-> %+v\nconntrack:\n%s\n---\n%s\nfdb %v -> %v", c0, c1, ct0, ct1, fdb0, fdb1)
	}
}

// When SNAT cannot keep the source port (the table holds the reply tuple
// it would give), the dry run picks another, and the reply is translated
// back from that one.
func TestTraceReplySNATPort(t *testing.T) {
	n, _ := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	now := n.clock.Now()
	k := conntrack.Key{Src: [4]byte{192, 168, 1, 15}, Dst: [4]byte{192, 168, 1, 110}, SPort: 80, DPort: 32768, Zone: 1, Proto: 6}
	v := conntrack.NewVerdict(k, now)
	if _, why := n.ct.Commit(&v, now); why != conntrack.RefusedNone {
		t.Fatal(why)
	}
	out, err := n.TraceReply("vm-81-12", "tcp,nw_dst=192.168.1.15,tp_dst=80")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`snat +81\.1\.180\.12:32768 -> 192\.168\.1\.110:(\d+)`).FindStringSubmatch(out)
	if m == nil || m[1] == "32768" {
		t.Fatalf("SNAT kept a taken port, or did not say:\n%s", out)
	}
	for _, want := range []string{
		"TCP 192.168.1.15:80 > 192.168.1.110:" + m[1] + " [SA]",
		"conntrack established zone 1 tcp 192.168.1.15:80 -> 192.168.1.110:" + m[1] + " (reply)",
		"un-snat 192.168.1.110:" + m[1] + " -> 81.1.180.12:32768",
		"sg-vm-81-12 ingress conntrack established zone 4097",
	} {
		if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
			t.Errorf("the reply lacks %q:\n%s", want, out)
		}
	}
	if n.ct.Len() != 1 {
		t.Errorf("the trace changed the table: %d connections", n.ct.Len())
	}
}

// The answers replyFrame builds parse, carry right checksums and the
// swapped addresses; what has no answer says why.
func TestReplyFrame(t *testing.T) {
	n, _ := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	vm, _ := n.PortIndex("vm-91-14")
	for _, tc := range []struct{ flow, want, err string }{
		{"icmp,nw_dst=91.1.180.14,payload=20", "ICMP 91.1.180.14 > 81.1.180.12 echo reply id 20052 seq 1, ttl 64, length 48", ""},
		{"tcp,nw_dst=91.1.180.14,tp_dst=22", "TCP 91.1.180.14:22 > 81.1.180.12:32768 [SA], ttl 64, length 40", ""},
		{"tcp,nw_dst=91.1.180.14,tp_dst=22,tcp_flags=+ack,payload=10", "TCP 91.1.180.14:22 > 81.1.180.12:32768 [A], ttl 64, length 40", ""},
		{"udp,nw_dst=91.1.180.14,tp_dst=53,payload=5", "UDP 91.1.180.14:53 > 81.1.180.12:32768, ttl 64, length 33", ""},
		{"arp,arp_tpa=91.1.180.14", "ARP reply 91.1.180.14 is-at fa163ef31ec0", ""},
		{"tcp,nw_dst=91.1.180.14,tcp_flags=+rst", "", "a reset is not answered"},
		{"icmp,nw_dst=91.1.180.14,icmp_type=0", "", "ICMP type 0 is not answered"},
		{"arp,arp_tpa=91.1.180.14,arp_op=2", "", "an ARP reply is not answered"},
		{"udp,nw_dst=91.1.180.255", "", "a broadcast or multicast has no single answer"},
		{"udp,nw_dst=224.0.0.251", "", "a broadcast or multicast has no single answer"},
	} {
		from, _ := n.PortIndex("vm-81-12")
		_, d, err := n.traceInput(n.portAt(from).spec.Name, tc.flow)
		if err != nil {
			t.Fatal(err)
		}
		copy(d[0:6], n.portAt(vm).spec.MAC) // as delivered to vm-91-14
		s := sentFrame{port: vm, data: d, lvid: n.portAt(vm).spec.LVID}
		if !n.takes(s) {
			t.Errorf("%s: vm-91-14 does not take it", tc.flow)
		}
		f, _, err := n.replyFrame(s)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.flow, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.flow, err)
		}
		var l header.Layout
		if m := header.Parse(f, &l); m != header.OK {
			t.Fatalf("%s: the reply does not parse: %v", tc.flow, m)
		}
		if got := packetSummary(f, &l); got != tc.want {
			t.Errorf("%s: reply %q, want %q", tc.flow, got, tc.want)
		}
		if [6]byte(f[0:6]) != [6]byte(d[6:12]) || [6]byte(f[6:12]) != [6]byte(n.portAt(vm).spec.MAC) {
			t.Errorf("%s: reply %s > %s", tc.flow, net.HardwareAddr(f[6:12]), net.HardwareAddr(f[0:6]))
		}
		if l.Flags&header.IsIPv4 == 0 {
			continue
		}
		ip := header.IPv4(f[l.L3:])
		body := f[l.L4 : int(l.L3)+int(ip.TotalLength())]
		ok := ip.ChecksumValid()
		switch l.Proto {
		case header.ProtoTCP:
			ok = ok && header.TCP(body).ChecksumValid(ip.Src(), ip.Dst())
		case header.ProtoUDP:
			ok = ok && header.UDP(body).ChecksumValid(ip.Src(), ip.Dst())
		case header.ProtoICMP:
			ok = ok && header.ICMPv4(body).ChecksumValid()
		}
		if !ok {
			t.Errorf("%s: a checksum of the reply is wrong", tc.flow)
		}
	}
	// A VM does not take a frame to another MAC; a stranger's MAC behind
	// an uplink is a stand-in.
	_, d, _ := n.traceInput("vm-81-12", "icmp,nw_dst=91.1.180.14,dl_dst=fa:16:3e:00:00:01")
	if n.takes(sentFrame{port: vm, data: d}) {
		t.Error("vm-91-14 takes a frame to another MAC")
	}
	up, _ := n.PortIndex("physnet1")
	_, d, _ = n.traceInput("vm-81-12", "icmp,nw_dst=192.168.1.15,dl_dst=ff:ff:ff:ff:ff:ff")
	f, note, err := n.replyFrame(sentFrame{port: up, data: d, lvid: n.portAt(up).spec.Untagged})
	if err != nil || [6]byte(f[6:12]) != standInMAC(netip.MustParseAddr("192.168.1.15")) || !strings.Contains(note, "stands for it") {
		t.Errorf("stand-in: %v %s %q", err, net.HardwareAddr(f[6:12]), note)
	}
}

// An uplink carries the reply of a vlan network with the network's tag.
func TestWireTagged(t *testing.T) {
	f := make([]byte, 60)
	f[12], f[13] = 0x08, 0x00
	ps := PortSpec{Untagged: 1, Tags: map[uint16]uint16{100: 2}}
	if got := wireTagged(f, ps, 1); len(got) != 60 {
		t.Errorf("untagged network: %d bytes", len(got))
	}
	got := wireTagged(f, ps, 2)
	if len(got) != 64 || got[12] != 0x81 || got[13] != 0 || got[14] != 0 || got[15] != 100 || got[16] != 0x08 {
		t.Errorf("tagged network: % x", got[:18])
	}
}

// Without one host that takes the frame there is no reply, and the
// output says why.
func TestTraceReplyNone(t *testing.T) {
	n, _ := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	vm91, _ := n.PortIndex("vm-91-14")
	vm81, _ := n.PortIndex("vm-81-12")
	up, _ := n.PortIndex("physnet1")
	_, d, _ := n.traceInput("vm-81-12", "icmp,nw_dst=192.168.1.15,dl_dst=fa:16:3e:f3:1e:c0")
	for _, tc := range []struct {
		sent []sentFrame
		want string
	}{
		{nil, "no reply: the frame reached no port\n"},
		{[]sentFrame{{port: vm81, data: d}}, "no reply: the frame reached only ports it is not for (vm-81-12)\n"},
		{[]sentFrame{{port: vm91, data: d}, {port: up, data: d}}, "no reply traced: the frame was flooded, 2 copies to hosts (vm-91-14, physnet1), and a reply has one sender; give dl_dst of the host that answers\n"},
	} {
		w := &Worker{n: n, trace: &traceRun{sent: tc.sent}}
		if got := n.traceReply(w, &packet.Trace{}); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
