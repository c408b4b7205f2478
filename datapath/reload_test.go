package datapath

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"neutrino/conntrack"
	"neutrino/link"
	"neutrino/packet"
)

// reloadText applies topology text to n as a reload does: the file
// validated and resolved with the node's local VLANs kept.
func reloadText(t *testing.T, n *Node, text string) *ReloadResult {
	t.Helper()
	res, err := n.Reload(specOfText(t, n, text))
	if err != nil {
		t.Fatalf("reload: %v", err)
	}
	return res
}

// specOfText resolves topology text for n's node, keeping its VLANs.
func specOfText(t *testing.T, n *Node, text string) *Spec {
	t.Helper()
	path := filepath.Join(t.TempDir(), "topology.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadForReload(t, n, path)
}

// sendFrames runs frame into port of n in batches of 8, on a worker of its
// own as a port's reader, counting them in sent, until stop is closed. It
// fails the test if the port's slot changes meanwhile.
func sendFrames(t *testing.T, n *Node, port string, frame []byte, sent *atomic.Int64, stop <-chan struct{}) {
	slot, ok := n.PortIndex(port)
	if !ok {
		t.Errorf("no port %s", port)
		return
	}
	w := n.NewWorker(8)
	batch := make([]*packet.Buffer, 8)
	for j := range batch {
		batch[j] = packet.NewBuffer(packet.MaxFrame)
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		for _, b := range batch {
			b.SetData(frame)
		}
		if in, _ := n.PortIndex(port); in != slot {
			t.Errorf("%s moved from slot %d to %d", port, slot, in)
			return
		}
		n.Process(w, slot, batch)
		sent.Add(int64(len(batch)))
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit returns text with old replaced by new, failing when old is not in
// it.
func edit(t *testing.T, text, old, new string) string {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("%q not in the topology", old)
	}
	return strings.Replace(text, old, new, 1)
}

// countingOpener wraps memNode's opener so a test sees which devices a
// reload opens.
func countingOpener(n *Node) *[]string {
	var opened []string
	open := n.open
	n.open = func(ps PortSpec) (link.Endpoint, error) {
		opened = append(opened, ps.Name)
		return open(ps)
	}
	return &opened
}

// The same file again changes nothing: no device is opened or closed,
// counters, the FDB and connections go on.
func TestReloadSameFile(t *testing.T) {
	const path = "testdata/secgroups/topology.yaml"
	l := newSGLab(t)
	l.passes("a to web, tcp 80", sgA, sgWeb, tcpSeg(t, sgA.mac, sgWeb.mac, sgA.ip, sgWeb.ip, 40000, 80, true, false))
	before := l.n.Counters()
	fdb := len(l.n.FDB())
	opened := countingOpener(l.n)
	res := reloadText(t, l.n, readText(t, path))
	if res.Changed() || res.Unchanged != 7 || len(*opened) != 0 || res.ConntrackDeleted != nil {
		t.Fatalf("reload of the same file: %+v, opened %v", res, *opened)
	}
	if got := len(l.n.FDB()); got != fdb {
		t.Errorf("FDB: %d entries, had %d", got, fdb)
	}
	if got := l.n.Counters().Ports; !slices.EqualFunc(got, before.Ports, func(a, b PortCounters) bool { return a.RxFrames == b.RxFrames }) {
		t.Errorf("port counters changed: %+v, were %+v", got, before.Ports)
	}
	// The connection is still there: web's answer passes as a reply.
	l.passes("web's SYN-ACK after the reload", sgWeb, sgA, tcpSeg(t, sgWeb.mac, sgA.mac, sgWeb.ip, sgA.ip, 80, 40000, true, true))
}

// A rule removed ends the connections it allowed, not the others; a
// port added comes up with its device, one removed goes, with its FDB
// entries, and the others are untouched.
func TestReloadSecurityGroupsAndPorts(t *testing.T) {
	const path = "testdata/secgroups/topology.yaml"
	text := readText(t, path)
	l := newSGLab(t)
	l.passes("a to web, tcp 80", sgA, sgWeb, tcpSeg(t, sgA.mac, sgWeb.mac, sgA.ip, sgWeb.ip, 40000, 80, true, false))
	l.passes("web's SYN-ACK", sgWeb, sgA, tcpSeg(t, sgWeb.mac, sgA.mac, sgWeb.ip, sgA.ip, 80, 40000, true, true))
	l.passes("a to web, udp 5000 (remote group default)", sgA, sgWeb, udpTo(t, sgA, sgWeb, 6000, 5000))

	noHTTP := edit(t, text, "      - {direction: ingress, protocol: tcp, port_range_min: 80, remote_ip_prefix: 0.0.0.0/0}\n", "")
	res := reloadText(t, l.n, noHTTP)
	if !slices.Equal(res.PortsChanged, []string{"web (security groups)"}) {
		t.Errorf("ports changed: %v", res.PortsChanged)
	}
	if got := res.ConntrackDeleted[deletedRuleRemoved]; got != 1 {
		t.Errorf("connections deleted for the rule: %d, want 1 (%v)", got, res.ConntrackDeleted)
	}
	// a's side of the connection is a's (default: egress anything), but
	// web's is gone: the next segment is new there, and no rule lets it.
	l.dropped("a to web, tcp 80, after the rule went", sgA, tcpSeg(t, sgA.mac, sgWeb.mac, sgA.ip, sgWeb.ip, 40000, 80, false, true), SGNoRule, sgWeb)
	l.passes("a to web, udp 5000 still", sgA, sgWeb, udpTo(t, sgA, sgWeb, 6000, 5000))

	// b goes, c comes (in default, as a and b).
	withC := edit(t, noHTTP, `  - {name: b, network: demo, mac: "fa:16:3e:00:05:0b", fixed_ips: [10.50.0.11]}`,
		`  - {name: c, network: demo, mac: "fa:16:3e:00:05:1c", fixed_ips: [10.50.0.21]}`)
	bEP := l.ob.eps["b"]
	opened := countingOpener(l.n)
	res = reloadText(t, l.n, withC)
	// The members of default changed: a, web (udp from default) and vip
	// compile to other rules.
	if !slices.Equal(res.PortsAdded, []string{"c"}) || !slices.Equal(res.PortsRemoved, []string{"b"}) ||
		!slices.Equal(res.PortsChanged, []string{"a (security groups)", "web (security groups)", "vip (security groups)"}) {
		t.Errorf("reload: %+v", res)
	}
	if !slices.Equal(*opened, []string{"c"}) {
		t.Errorf("opened %v, want [c]", *opened)
	}
	if _, err := bEP.ReadBatch(nil); !errors.Is(err, link.ErrClosed) {
		t.Errorf("b's device: read gives %v, want closed", err)
	}
	for _, e := range l.n.FDB() {
		if e.MAC == sgB.mac.String() {
			t.Errorf("b's MAC still in the FDB: %+v", e)
		}
	}
	sgC := sgHost{"c", hw("fa:16:3e:00:05:1c"), v4("10.50.0.21")}
	send(t, l.n, "c", arpWhoHas(t, sgC.mac, sgC.ip, sgC.ip))
	l.ob.take()
	l.passes("c to a (members of default)", sgC, sgA, echo(t, sgC.mac, sgA.mac, sgC.ip, sgA.ip, 64, 1, 1, false))
	l.passes("a's reply to c", sgA, sgC, echo(t, sgA.mac, sgC.mac, sgA.ip, sgC.ip, 64, 1, 1, true))
	out := l.send(sgA, udpTo(t, sgA, sgB, 6000, 7000))
	if len(out["b"]) != 0 {
		t.Errorf("a frame reached the removed port b")
	}
	if _, ok := l.n.PortIndex("b"); ok {
		t.Errorf("b is still a port")
	}
}

// A floating IP removed: its connections go, its address is no longer
// answered; put back, it is announced by gratuitous ARP (only it, not the
// router's other addresses); moved to another VM, the same.
func TestReloadFloatingIP(t *testing.T) {
	const path = "../configs/examples/seed002-router.yaml"
	text := readText(t, path)
	n, eps := memNode(t, loadTestSpec(t, path, ""), Options{})
	ob := newOutbox(eps)
	send(t, n, "vm-91-14", arpWhoHas(t, vm91MAC, vm91IP, vm91IP))
	send(t, n, "physnet1", arpWhoHas(t, outMAC, outIP, fipIP))
	if got := ob.take()["physnet1"]; len(got) != 1 {
		t.Fatalf("the floating IP is not answered: %d frames", len(got))
	}
	send(t, n, "physnet1", echo(t, outMAC, qgMAC, outIP, fipIP, 64, 9, 1, false))
	if got := ob.take()["vm-91-14"]; len(got) != 1 {
		t.Fatalf("a ping of the floating IP did not reach the VM")
	}
	zone := n.Spec().Routers[0].Zone
	fipConns := func() int {
		k := 0
		n.ct.Each(n.clock.Now(), func(i conntrack.Info) bool {
			if i.Zone == zone && i.Orig.Dst == [4]byte(fipIP.To4()) {
				k++
			}
			return true
		})
		return k
	}
	if fipConns() != 1 {
		t.Fatalf("%d connections to the floating IP, want 1", fipConns())
	}

	fip := `floating_ips:
  - floating_ip_address: 192.168.1.104
    floating_network: ext-net
    port: vm-91-14
`
	noFIP := edit(t, text, fip, "")
	res := reloadText(t, n, noFIP)
	if !slices.Equal(res.FloatingIPsRemoved, []string{"192.168.1.104 -> 91.1.180.14"}) || res.ConntrackDeleted[deletedFloatingIP] != 1 {
		t.Fatalf("reload: %+v", res)
	}
	if fipConns() != 0 {
		t.Errorf("connections to the removed floating IP are left")
	}
	send(t, n, "physnet1", arpWhoHas(t, outMAC, outIP, fipIP))
	if got := ob.take(); len(got) != 0 {
		t.Errorf("the removed floating IP is still answered: %v", ports(got))
	}
	// A ping sent on to the qg MAC is routed as to any address of the
	// subnet (the router asks who has it), never to the VM.
	send(t, n, "physnet1", echo(t, outMAC, qgMAC, outIP, fipIP, 64, 9, 2, false))
	if got := ob.take(); len(got["vm-91-14"]) != 0 {
		t.Errorf("the removed floating IP is still forwarded to the VM")
	}

	// Back, on the other VM: moved (from nothing) and announced.
	moved := edit(t, text, "    port: vm-91-14\n", "    port: vm-81-12\n")
	res = reloadText(t, n, moved)
	if !slices.Equal(res.FloatingIPsAdded, []string{"192.168.1.104 -> 81.1.180.12"}) {
		t.Errorf("reload: %+v", res)
	}
	w := n.NewWorker(64)
	rt := &routerTimers{}
	n.routerTick(w, rt, n.clock.Now())
	garps := ob.take()["physnet1"]
	if len(garps) != 2 {
		t.Fatalf("%d frames out of physnet1 at the first tick, want 2 (a request and a reply for 192.168.1.104)", len(garps))
	}
	for _, f := range garps {
		a, ok := checked(t, f).Layer(layers.LayerTypeARP).(*layers.ARP)
		if !ok || string(a.SourceProtAddress) != string(fipIP.To4()) {
			t.Errorf("not a gratuitous ARP for the floating IP: %x", f)
		}
	}
	// Moved again, to vm-91-14: a move.
	res = reloadText(t, n, text)
	if !slices.Equal(res.FloatingIPsMoved, []string{"192.168.1.104 -> 91.1.180.14 (was 81.1.180.12)"}) {
		t.Errorf("reload: %+v", res)
	}
}

// A capture of a port a reload removes ends; one of a port it keeps goes
// on.
func TestReloadEndsCaptures(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{})
	gone, err := n.StartCapture("b1")
	if err != nil {
		t.Fatal(err)
	}
	kept, err := n.StartCapture("r2")
	if err != nil {
		t.Fatal(err)
	}
	defer kept.Stop()
	without := twoNetSpec()
	without.Ports = slices.DeleteFunc(without.Ports, func(p PortSpec) bool { return p.Name == "b1" })
	if _, err := n.Reload(without); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gone.Ended():
	default:
		t.Fatal("the capture of the removed port did not end")
	}
	select {
	case <-kept.Ended():
		t.Fatal("the capture of a kept port ended")
	default:
	}
	send(t, n, "r1", udpFrame(t, mac(0x11), broadcast, 0, 10))
	if len(kept.Frames()) != 1 {
		t.Errorf("the kept capture saw %d frames, want 1", len(kept.Frames()))
	}
	gone.Stop() // harmless after the end
}

// A topology of another node is refused, and the node stays as it was.
func TestReloadOtherNode(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{})
	before := n.Spec()
	spec := twoNetSpec()
	spec.Node = "elsewhere"
	if _, err := n.Reload(spec); err == nil || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("reload: %v, want an error naming the other node", err)
	}
	if n.Spec() != before {
		t.Errorf("the node changed")
	}
}

// conntrack_max changed in the file moves the table's bound.
func TestReloadConntrackMax(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{})
	spec := twoNetSpec()
	spec.ConntrackMax = 1000
	res, err := n.Reload(spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.ConntrackMax != "262144 -> 1000" || n.ct.Stats().Max != 1000 {
		t.Errorf("reload: %+v, table max %d", res, n.ct.Stats().Max)
	}
}

// A device that won't open refuses the reload and leaves the node as it
// was.
func TestReloadOpenFails(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	spec := twoNetSpec()
	spec.Ports = append(spec.Ports, PortSpec{Name: "r3", Device: "tapr3", MAC: mac(0x13), MTU: 1500, Network: "red", LVID: 1})
	before := n.Spec()
	open := n.open
	n.open = func(ps PortSpec) (link.Endpoint, error) {
		if ps.Name == "r3" {
			return nil, errors.New("no such device")
		}
		return open(ps)
	}
	if _, err := n.Reload(spec); err == nil || !strings.Contains(err.Error(), "r3") {
		t.Fatalf("reload: %v, want an error naming r3", err)
	}
	if n.Spec() != before {
		t.Errorf("the node's spec changed")
	}
	send(t, n, "r1", udpFrame(t, mac(0x11), broadcast, 0, 10))
	if got := received(eps); got["r2"] != 1 {
		t.Errorf("after the refused reload: %v", got)
	}
}

// Frames between two ports a reload leaves alone all arrive while other
// ports come and go, reload after reload.
func TestReloadUnderTraffic(t *testing.T) {
	n, eps := memNode(t, twoNetSpec(), Options{})
	r1, r2 := mac(0x11), mac(0x12)
	send(t, n, "r2", udpFrame(t, r2, broadcast, 0, 10)) // r2's MAC learned
	received(eps)
	with := twoNetSpec()
	without := twoNetSpec()
	without.Ports = slices.DeleteFunc(without.Ports, func(p PortSpec) bool { return p.Name == "b1" })
	added := twoNetSpec()
	added.Ports = append(added.Ports, PortSpec{Name: "r3", Device: "tapr3", MAC: mac(0x13), MTU: 1500, Network: "red", LVID: 1})

	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		sendFrames(t, n, "r1", udpFrame(t, r1, r2, 0, 100), &sent, stop)
	}()
	for sent.Load() == 0 {
		time.Sleep(time.Millisecond) // the reloads begin under traffic
	}
	for i := range 60 {
		// Each reload comes while frames flow.
		for was := sent.Load(); sent.Load() < was+64; {
			time.Sleep(10 * time.Microsecond)
		}
		next := [...]*Spec{without, added, with}[i%3]
		if _, err := n.Reload(next); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if got := int64(eps["r2"].Count()); got != sent.Load() || got == 0 {
		t.Errorf("r2 got %d frames of the %d r1 sent", got, sent.Load())
	}
}
