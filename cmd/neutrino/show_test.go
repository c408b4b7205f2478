package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"neutrino/control"
	"neutrino/datapath"
)

func TestShowArguments(t *testing.T) {
	say := "say what to show: ports, fdb, counters, leases, routers, routes, neighbors, conntrack, nat, tunnels, security-groups (see neutrino show -h)\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "neutrino show: " + say},
		{"unknown", []string{"bogus"}, `neutrino show: unknown "bogus": ` + say},
		{"too many", []string{"fdb", "ports"}, `neutrino show fdb: takes no arguments, got "ports"` + "\n"},
		{"two routers", []string{"routes", "r1", "r2"}, `neutrino show routes: takes [ROUTER], got "r1 r2"` + "\n"},
		{"count elsewhere", []string{"fdb", "--count"}, "neutrino show fdb: --count, --src, --dst, --addr and --zone are for show conntrack\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(append([]string{"show"}, tt.args...)...)
			if code != 2 || out != "" {
				t.Errorf("exit %d, stdout %q; want 2 and nothing", code, out)
			}
			if diff := cmp.Diff(tt.want, errs); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestShowHelpListsSubjects(t *testing.T) {
	_, out, _ := runCLI("show", "-h")
	_, usage, _ := runCLI("help")
	for _, s := range showSubjects {
		if !strings.Contains(out, "\n  "+s.name+" ") {
			t.Errorf("show -h does not list %s:\n%s", s.name, out)
		}
		if !strings.Contains(usage, s.name) {
			t.Errorf("neutrino help does not mention %s:\n%s", s.name, usage)
		}
	}
}

// fakeNode serves the show commands with made-up answers; fdb streams
// entries items.
func fakeNode(t *testing.T, entries int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "node.sock")
	srv, err := control.Listen(path, map[string]control.Handler{
		"ports": func() (any, error) {
			return []datapath.PortInfo{
				{Name: "vm1", Kind: "port", Device: "tapvm1", Attach: "tap", MAC: "fa:16:3e:00:00:01", Network: "demo", LVID: 1, MTU: 1500, State: "up"},
				{Name: "physnet1", Kind: "uplink", Device: "eth1", Attach: "existing", VLANs: "demo untagged", MTU: 1500, State: "up"},
			}, nil
		},
		"counters": func() (any, error) {
			return datapath.Counters{Drops: map[string]uint64{"same_port": 2}, Stages: map[string]map[string]uint64{"bridge": {"same_port": 2}},
				FDB: map[string]uint64{"learned": 3}, DHCP: map[string]map[string]uint64{"demo": {"rx_discover": 1, "tx_offer": 1, "ignored": 0}}}, nil
		},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.Handle("fdb", control.Seq(func(yield func(datapath.FDBEntry) bool) {
		for i := range entries {
			e := datapath.FDBEntry{Port: "physnet1", LVID: 1, Network: "demo", MAC: fmt.Sprintf("02:00:00:%02x:%02x:%02x", i>>16&0xff, i>>8&0xff, i&0xff), Age: 42 * time.Second}
			if !yield(e) {
				return
			}
		}
	}))
	srv.Handle("broken", func([]string, func(any) error) error { return errors.New("out of order") })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return path
}

func TestShowTables(t *testing.T) {
	sock := fakeNode(t, 2)
	tests := []struct {
		what, want string
	}{
		{"ports", `
PORT      KIND    DEVICE  ATTACH    NETNS  MAC                NETWORK        VLAN   MTU   STATE
vm1       port    tapvm1  tap       -      fa:16:3e:00:00:01  demo           1      1500  up
physnet1  uplink  eth1    existing  -      -                  demo untagged  trunk  1500  up
`},
		{"fdb", `
PORT             VLAN  NETWORK          MAC                AGE
physnet1            1  demo             02:00:00:00:00:00  42
physnet1            1  demo             02:00:00:00:00:01  42
2 entries
`},
		{"counters", `
PORT  RX FRAMES  RX BYTES  RX DROPS  TX FRAMES  TX BYTES  TX DROPS

DROP REASON  FRAMES  STAGE
same_port    2       bridge

fdb: learned 3
dhcp demo: rx_discover 1, tx_offer 1
`},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			code, out, errs := runCLI("show", "--socket", sock, tt.what)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if diff := cmp.Diff(tt.want[1:], out); diff != "" {
				t.Errorf("show %s (-want +got):\n%s", tt.what, diff)
			}
		})
	}
}

func TestShowJSON(t *testing.T) {
	sock := fakeNode(t, 2)
	code, out, _ := runCLI("show", "--socket", sock, "--json", "fdb")
	want := `[
  {
    "port": "physnet1",
    "lvid": 1,
    "network": "demo",
    "mac": "02:00:00:00:00:00",
    "age_ns": 42000000000
  },
  {
    "port": "physnet1",
    "lvid": 1,
    "network": "demo",
    "mac": "02:00:00:00:00:01",
    "age_ns": 42000000000
  }
]
`
	if diff := cmp.Diff(want, out); code != 0 || diff != "" {
		t.Errorf("show --json fdb: exit %d (-want +got):\n%s", code, diff)
	}
	code, out, _ = runCLI("show", "--socket", fakeNode(t, 0), "--json", "fdb")
	if code != 0 || out != "[]\n" {
		t.Errorf("show --json fdb of an empty table: exit %d, %q", code, out)
	}
	code, out, _ = runCLI("show", "--socket", sock, "--json", "counters")
	var c datapath.Counters
	if err := json.Unmarshal([]byte(out), &c); code != 0 || err != nil || c.Drops["same_port"] != 2 {
		t.Errorf("show --json counters: exit %d, %v:\n%s", code, err, out)
	}
}

// TestShowLargeFDB: 300k entries, far past what one 16 MiB answer held,
// are printed, as a table and as JSON.
func TestShowLargeFDB(t *testing.T) {
	const n = 300000
	sock := fakeNode(t, n)
	code, out, errs := runCLI("show", "--socket", sock, "fdb")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 0 || len(lines) != n+2 || lines[n+1] != fmt.Sprintf("%d entries", n) {
		t.Fatalf("show fdb: exit %d, %d lines, last %q; %s", code, len(lines), lines[len(lines)-1], errs)
	}
	code, out, errs = runCLI("show", "--socket", sock, "--json", "fdb")
	var fdb []datapath.FDBEntry
	if err := json.Unmarshal([]byte(out), &fdb); code != 0 || err != nil || len(fdb) != n {
		t.Fatalf("show --json fdb: exit %d, %d entries, %v; %s", code, len(fdb), err, errs)
	}
	if fdb[n-1].MAC != "02:00:00:04:93:df" {
		t.Errorf("last entry %+v", fdb[n-1])
	}
}

func TestShowNodeError(t *testing.T) {
	sock := fakeNode(t, 0)
	// A subject the node does not serve: the node's error is shown.
	showSubjects = append(showSubjects, listOf("broken", "a command that fails", fdbRows))
	defer func() { showSubjects = showSubjects[:len(showSubjects)-1] }()
	code, out, errs := runCLI("show", "--socket", sock, "broken")
	if code != 1 || out != "" || errs != "neutrino show: node: out of order\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
