package datapath

import (
	"strings"
	"testing"
)

// A trace of the seed 002 node from a VM to the outside names each
// decision and changes nothing; a flow that doesn't parse says where.
func TestTraceFlow(t *testing.T) {
	n, _ := memNode(t, loadTestSpec(t, "../configs/examples/seed002-router.yaml", ""), Options{})
	before := n.Counters()
	out, err := n.Trace("vm-81-12", "icmp,nw_dst=192.168.1.15")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sg-vm-81-12", "egress", "conntrack new zone", "br-int", "qrouter-router1", "snat", "192.168.1.110"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	after := n.Counters()
	for i := range before.Ports {
		if before.Ports[i].RxFrames != after.Ports[i].RxFrames || before.Ports[i].TxFrames != after.Ports[i].TxFrames {
			t.Errorf("a trace moved %s's counters", before.Ports[i].Port)
		}
	}
	if len(after.Drops) != len(before.Drops) || n.ct.Len() != 0 || len(n.FDB()) != 0 {
		t.Errorf("a trace changed the node: drops %v, %d connections, fdb %v", after.Drops, n.ct.Len(), n.FDB())
	}
	// Into the floating IP from outside (the uplink needs the sender).
	out, err = n.Trace("physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=80")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dnat", "91.1.180.14", "sg-vm-91-14", "no_rule"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace to the floating IP lacks %q:\n%s", want, out)
		}
	}
	if _, err := n.Trace("vm-81-12", "icmp,nw_dts=1.2.3.4"); err == nil || !strings.Contains(err.Error(), "column 6") {
		t.Errorf("bad flow: %v", err)
	}
	if _, err := n.Trace("nosuch", "icmp"); err == nil || !strings.Contains(err.Error(), "vm-81-12") {
		t.Errorf("unknown port: %v", err)
	}
	if _, err := n.Trace("physnet1", "icmp,nw_dst=1.2.3.4"); err == nil || !strings.Contains(err.Error(), "needs dl_src") {
		t.Errorf("uplink without source: %v", err)
	}
}
