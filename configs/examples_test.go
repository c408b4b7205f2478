package configs

import (
	"os"
	"path/filepath"
	"testing"
)

// Every example, and the embedded default, must be valid, and every node of
// each must slice.
func TestExamplesAreValid(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("examples", "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("examples: %v, %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			top, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range top.Nodes {
				if _, err := top.Node(n.Name); err != nil {
					t.Errorf("Node(%s): %v", n.Name, err)
				}
			}
		})
	}
}

func TestDefault(t *testing.T) {
	top := Default()
	if top.File != DefaultName {
		t.Errorf("File = %q", top.File)
	}
	v, err := top.Node("")
	if err != nil {
		t.Fatal(err)
	}
	if v.Node.Name != "local" || len(v.Networks) != 1 || v.Networks[0].Name != "demo" || v.Networks[0].Type != Local || v.Networks[0].LVID != 1 {
		t.Fatalf("view = %+v", v)
	}
	s := top.SubnetByName("demo-subnet")
	if s == nil || s.CIDR.String() != "10.0.0.0/24" || s.Gateway.String() != "10.0.0.1" {
		t.Fatalf("demo-subnet = %+v", s)
	}
	want := map[string][2]string{"vm1": {"eth0", "10.0.0.11"}, "vm2": {"eth0", "10.0.0.12"}}
	if len(v.Ports) != len(want) {
		t.Fatalf("%d ports", len(v.Ports))
	}
	for _, p := range v.Ports {
		w := want[p.Name]
		if p.Attach != AttachNetns || p.Netns != p.Name || p.Device != w[0] || len(p.FixedIPs) != 1 || p.FixedIPs[0].Address.String() != w[1] {
			t.Errorf("port %s: device %s, ips %v; want %v", p.Name, p.Device, p.FixedIPs, w)
		}
	}
	if Default() == top {
		t.Error("Default returns a shared Topology")
	}
	b := DefaultYAML()
	b[0] = 'X'
	if DefaultYAML()[0] == 'X' {
		t.Error("DefaultYAML returns the embedded slice")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !os.IsNotExist(unwrapAll(err)) {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}
