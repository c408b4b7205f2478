package packet

import "testing"

func TestTraceTree(t *testing.T) {
	var tr Trace
	tr.Add("port:a", "receive", "60 bytes")
	tr.Add("br-int", "flood", "2 ports")
	flood := tr.At
	tr.Add("port:b", "output", "untagged")
	tr.At = flood
	tr.Add("qdhcp:net", "arp", "reply")
	tr.Add("port:a", "output", "untagged")
	want := ` 1. port:a             receive    60 bytes
 2. br-int             flood      2 ports
 3. ├─ port:b             output     untagged
 4. └─ qdhcp:net          arp        reply
 5.    port:a             output     untagged
`
	if got := tr.String(); got != want {
		t.Fatalf("trace:\n%s\nwant:\n%s", got, want)
	}
}

func TestTraceLinear(t *testing.T) {
	var tr Trace
	tr.Add("port:a", "receive", "x")
	tr.Add("port:a", "drop", "runt")
	want := " 1. port:a             receive    x\n 2. port:a             drop       runt\n"
	if got := tr.String(); got != want {
		t.Fatalf("trace:\n%q\nwant:\n%q", got, want)
	}
}

func TestTraceKeepsAtMost(t *testing.T) {
	var tr Trace
	for i := 0; i < MaxTraceSteps+3; i++ {
		tr.Add("e", "d", "")
	}
	if tr.N != MaxTraceSteps || tr.Dropped != 3 {
		t.Fatalf("N %d Dropped %d", tr.N, tr.Dropped)
	}
	tr.Reset()
	if tr.N != 0 || tr.At != 0 || tr.String() != "" {
		t.Fatal("Reset left steps")
	}
}
