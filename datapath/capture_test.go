package datapath

import (
	"strings"
	"testing"
)

func TestCapture(t *testing.T) {
	n, _ := memNode(t, twoNetSpec(), Options{})
	r1, r2 := mac(0x11), mac(0x12)
	c, err := n.StartCapture("r2")
	if err != nil {
		t.Fatal(err)
	}
	send(t, n, "r1", udpFrame(t, r1, broadcast, 0, 30)) // r2 sends it out
	send(t, n, "r2", udpFrame(t, r2, r1, 0, 30))        // r2 receives it
	send(t, n, "b1", udpFrame(t, mac(0x21), broadcast, 0, 30))
	got := drain(c)
	if len(got) != 2 || !got[0].Out || got[1].Out || string(got[1].Data[6:12]) != string(r2) {
		t.Fatalf("captured %+v, want r1's broadcast out of r2, then r2's frame in", got)
	}
	c.Stop()
	send(t, n, "r1", udpFrame(t, r1, broadcast, 0, 30))
	if got := drain(c); len(got) != 0 {
		t.Errorf("%d frames after Stop", len(got))
	}
	if n.captures.Load() != nil {
		t.Errorf("captures left after the last Stop")
	}
	if _, err := n.StartCapture("nosuch"); err == nil || !strings.Contains(err.Error(), "r1, r2") {
		t.Errorf("unknown port: %v, want an error listing the ports", err)
	}

}

// Capturing changes no counter: the same frames through two nodes, one
// captured, count the same.
func TestCaptureCountsNothing(t *testing.T) {
	a, _ := memNode(t, twoNetSpec(), Options{})
	b, _ := memNode(t, twoNetSpec(), Options{})
	c, err := a.StartCapture("r2")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	r1, r2 := mac(0x11), mac(0x12)
	for _, n := range []*Node{a, b} {
		send(t, n, "r1", udpFrame(t, r1, broadcast, 0, 30))
		send(t, n, "r2", udpFrame(t, r2, r1, 0, 30))
		send(t, n, "b1", udpFrame(t, mac(0x21), broadcast, 0, 30))
	}
	if len(drain(c)) != 2 {
		t.Errorf("the capture missed frames")
	}
	ca, cb := a.Counters(), b.Counters()
	for i := range ca.Ports {
		pa, pb := ca.Ports[i], cb.Ports[i]
		if pa.RxFrames != pb.RxFrames || pa.TxFrames != pb.TxFrames || pa.RxDrops != pb.RxDrops || pa.TxDrops != pb.TxDrops || pa.RxBytes != pb.RxBytes || pa.TxBytes != pb.TxBytes {
			t.Errorf("port %s: captured %+v, not %+v", ca.Ports[i].Port, ca.Ports[i], cb.Ports[i])
		}
	}
}

func TestCaptureRouterPort(t *testing.T) {
	l := newLab(t)
	var qr string
	for _, e := range l.n.g.Load().routers {
		for k := range e.ports {
			if e.ports[k].mac == [6]byte(qr91MAC) {
				qr = e.ports[k].name
			}
		}
	}
	c, err := l.n.StartCapture(qr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	l.send("vm-91-14", echo(t, vm91MAC, qr91MAC, vm91IP, qr91IP, 64, 1, 1, false))
	// The echo in, the router's ARP for the VM out, the VM's answer in,
	// the echo reply out.
	got := drain(c)
	if len(got) != 4 || got[0].Out || !got[1].Out || got[2].Out || !got[3].Out || got[1].Data[12] != 0x08 || got[1].Data[13] != 0x06 {
		t.Fatalf("captured on %s: %d frames %+v", qr, len(got), got)
	}
}

func drain(c *Capture) []CapturedFrame {
	var out []CapturedFrame
	for {
		select {
		case f := <-c.Frames():
			out = append(out, f)
		default:
			return out
		}
	}
}
