package configs

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// stripComments drops comment lines, trailing " # ..." comments and blank
// lines: the examples teach with comments, but small seeds fuzz (and
// minimize) much faster. It is naive about '#' inside quotes, which the
// examples do not have.
func stripComments(b []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if i := bytes.Index(line, []byte(" #")); i >= 0 {
			line = line[:i]
		}
		line = bytes.TrimRight(line, " ")
		if t := bytes.TrimSpace(line); len(t) == 0 || t[0] == '#' {
			continue
		}
		out = append(append(out, line...), '\n')
	}
	return out
}

// FuzzParse: Parse never panics; an error is always an ErrorList whose
// every entry has the file name and a real position; a topology without
// error slices for each of its nodes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("examples", "*.yaml"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(stripComments(b))
		}
	}
	f.Add(stripComments(DefaultYAML()))
	f.Add([]byte(twoNodes))
	f.Add([]byte("version: 1\nnetworks: [{name: n, type: local, subnets: [{name: s, cidr: 10.0.0.0/30}]}]\n"))
	f.Add([]byte("version: 1\nx: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse("f.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %T %v is not a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e.File != "f.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 || e.Msg == "" {
					t.Fatalf("error without a position or message: %#v", e)
				}
			}
			if top != nil {
				t.Fatal("a Topology came back with errors")
			}
			return
		}
		if top == nil {
			t.Fatal("no Topology and no error")
		}
		for _, n := range top.Nodes {
			v, err := top.Node(n.Name)
			if err != nil {
				t.Fatalf("Node(%s): %v", n.Name, err)
			}
			for _, nn := range v.Networks {
				if nn.LVID < 1 || nn.LVID > MaxVLAN {
					t.Fatalf("LVID %d", nn.LVID)
				}
			}
			for _, p := range v.Ports {
				if p.Device == "" || p.MAC.IsZero() || p.Network == nil || v.LVID(p.Network) == 0 {
					t.Fatalf("port %s not resolved: %+v", p.Name, p)
				}
			}
		}
	})
}

// The stripped seeds must still be valid topologies, or the fuzzer starts
// from error paths only.
func TestStrippedSeedsAreValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("examples", "*.yaml"))
	for _, name := range append(files, "default.yaml") {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(name, stripComments(b)); err != nil {
			t.Errorf("%s without comments: %v", name, err)
		}
	}
}
