package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neutrino/configs"
)

// check lists what a valid topology describes but neutrino does not do yet,
// after its summary, and still exits 0.
// ipv6Topology has a DHCPv6 subnet, which nothing serves yet.
const ipv6Topology = `version: 1
networks:
  - {name: n, type: local, subnets: [{name: s6, cidr: 'fd00::/64'}]}
ports:
  - {name: p, network: n, port_security: false}
`

func writeTopology(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckUnimplemented(t *testing.T) {
	seed := writeTopology(t, ipv6Topology)
	code, out, errs := runCLI("check", seed)
	if code != 0 || errs != "" {
		t.Fatalf("check %s: exit %d, stderr %q", seed, code, errs)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		seed + ": ok: ",
		unimplementedHeading,
		"  " + seed + ":3:38: networks[0] (n): subnets[0] (s6): DHCPv6 and router advertisements are not implemented yet",
	}
	if len(lines) != len(want) {
		t.Fatalf("check %s: %d lines, want %d:\n%s", seed, len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("check %s: line %d is\n%s\nwant it to start with\n%s", seed, i+1, lines[i], w)
		}
	}

	def := "../../configs/default.yaml"
	code, out, errs = runCLI("check", def)
	if code != 0 || errs != "" || !strings.HasPrefix(out, def+": ok: ") || strings.Count(out, "\n") != 1 {
		t.Errorf("check %s: exit %d, want 0 and the summary alone:\n%s%s", def, code, out, errs)
	}
	if strings.Contains(out, "not implemented") {
		t.Errorf("check %s lists unimplemented parts:\n%s", def, out)
	}
}

func TestWarnUnimplemented(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(slog.NewTextHandler(&b, nil))
	f := writeTopology(t, ipv6Topology)
	v, _, err := loadView(f, "")
	if err != nil {
		t.Fatal(err)
	}
	warnUnimplemented(log, v)
	if n := strings.Count(b.String(), "level=WARN"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, &b)
	}
	if !strings.Contains(b.String(), `part="`+f+`:3:38: networks[0] (n): subnets[0] (s6): DHCPv6 and router advertisements are not implemented yet`) {
		t.Errorf("no warning about the DHCPv6 subnet:\n%s", &b)
	}
	// What is built is not warned about.
	b.Reset()
	v, _, err = loadView("../../configs/examples/two-node-vxlan.yaml", "network01")
	if err != nil {
		t.Fatal(err)
	}
	warnUnimplemented(log, v)
	if b.Len() != 0 {
		t.Errorf("two-node-vxlan.yaml gives warnings:\n%s", &b)
	}

	b.Reset()
	v, source, err := loadView("", "")
	if err != nil || source != "embedded default ("+configs.DefaultName+")" {
		t.Fatalf("default: %v, %q", err, source)
	}
	warnUnimplemented(log, v)
	if b.Len() != 0 {
		t.Errorf("the default topology gives warnings:\n%s", &b)
	}
	if _, _, err := loadView("", "nosuch"); err == nil {
		t.Error("loadView of a missing node: no error")
	}
}
