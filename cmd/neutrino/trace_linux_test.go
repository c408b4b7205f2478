package main

import (
	"os/exec"
	"strings"
	"testing"
)

// trace --reply on a running node: after a real ping, the trace of the
// same ping and its reply finds the node's connection; a TCP SYN no
// connection has yet is answered through the connections the trace
// itself would make (SNAT undone, ESTABLISHED in the VM's group). Without
// --reply the control request keeps its two arguments and the output
// its one part.
func TestTraceReplyLive(t *testing.T) {
	l := startRouterLab(t, seed002Lab)
	l.mustPing("vm-81-12", outside)
	trace := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(l.bin, append([]string{"trace", "--socket", l.node.socket}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("trace %v: %v\n%s", args, err, out)
		}
		return strings.Join(strings.Fields(string(out)), " ")
	}
	for _, tc := range []struct {
		flow string
		want []string
	}{
		{"icmp,nw_dst=" + outside, []string{"reply: outside at port:", "echo reply", "established zone 1", "(reply)", "un-snat " + gwIP, "sg-vm-81-12 ingress conntrack established"}},
		{"tcp,nw_dst=" + outside + ",tp_dst=9", []string{"reply: outside at port:", "[SA]", "un-snat " + gwIP + ":32768 -> " + vm81 + ":32768", "sg-vm-81-12 ingress conntrack established"}},
	} {
		out := trace("--reply", "vm-81-12", tc.flow)
		for _, want := range tc.want {
			if !strings.Contains(out, want) {
				t.Errorf("trace --reply %s lacks %q:\n%s", tc.flow, want, out)
			}
		}
		if out := trace("vm-81-12", tc.flow); strings.Contains(out, "reply:") {
			t.Errorf("trace without --reply traces a reply:\n%s", out)
		}
	}
}
