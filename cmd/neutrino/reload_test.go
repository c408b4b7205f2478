package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"neutrino/datapath"
)

// What reload prints: a line per kind of change, connections deleted by
// cause, and in JSON the same under stable names.
func TestPrintReload(t *testing.T) {
	a := &reloadAnswer{Node: "net01", Source: "/lab/lab.yaml", ReloadResult: datapath.ReloadResult{
		PortsAdded: []string{"vm3"}, PortsRemoved: []string{"vm2"}, PortsChanged: []string{"vm1 (security groups)"},
		FloatingIPsRemoved: []string{"203.0.113.5 -> 10.0.0.11"},
		ConntrackDeleted:   map[string]int{"floating IP removed or moved": 2, "no rule allows it now": 1},
		LeasesReleased:     1, Unchanged: 7, TookMS: 1.5,
	}}
	var b bytes.Buffer
	printReload(&b, a)
	want := `reloaded /lab/lab.yaml on node net01 in 1.5 ms
  ports added:           vm3
  ports removed:         vm2
  ports changed:         vm1 (security groups)
  floating IPs removed:  203.0.113.5 -> 10.0.0.11
  conntrack deleted:     1 (no rule allows it now), 2 (floating IP removed or moved)
  leases released:       1
  ports unchanged:       7
`
	if b.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	printReload(&b, &reloadAnswer{Node: "net01", Source: "x.yaml", ReloadResult: datapath.ReloadResult{Unchanged: 3, TookMS: 0.1}})
	if got := b.String(); got != "reloaded x.yaml on node net01 in 0.1 ms: nothing changed (3 ports)\n" {
		t.Errorf("nothing changed: %q", got)
	}
	js, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"node":"net01"`, `"topology":"/lab/lab.yaml"`, `"ports_added":["vm3"]`, `"floating_ips_removed":`, `"conntrack_deleted":`, `"leases_released":1`, `"ports_unchanged":7`, `"took_ms":1.5`} {
		if !strings.Contains(string(js), key) {
			t.Errorf("JSON lacks %s: %s", key, js)
		}
	}
}
