package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line in-process and returns its exit status and
// outputs.
func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelp(t *testing.T) {
	for _, cmd := range []string{"run", "check", "replay", "show", "exec", "capture", "trace", "reload"} {
		t.Run(cmd, func(t *testing.T) {
			code, out, errs := runCLI(cmd, "-h")
			if code != 0 || errs != "" {
				t.Errorf("%s -h exit %d, want 0; stderr %q, want nothing", cmd, code, errs)
			}
			for _, want := range []string{"Usage: neutrino " + cmd, "Example:"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s -h does not say %q:\n%s", cmd, want, out)
				}
			}
		})
	}
	if code, _, errs := runCLI("frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", code, errs)
	}
}

func TestCheck(t *testing.T) {
	examples, err := filepath.Glob("../../configs/examples/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, ex := range examples {
		if code, out, errs := runCLI("check", ex); code != 0 || !strings.Contains(out, ": ok: ") {
			t.Errorf("check %s: exit %d\n%s%s", ex, code, out, errs)
		}
	}
	var code int
	var errs string
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nnetworks:\n  - name: n\n    type: vlan\n    segmnet: 5\n"), 0o644)
	code, _, errs = runCLI("check", bad)
	if code != 1 {
		t.Errorf("check bad: exit %d, want 1", code)
	}
	for _, want := range []string{bad + ":5:5:", "did you mean segment?"} {
		if !strings.Contains(errs, want) {
			t.Errorf("check bad: stderr lacks %q:\n%s", want, errs)
		}
	}
	// Several files: each is checked, and one bad file makes it fail.
	code, out, errs := runCLI("check", examples[0], bad)
	if code != 1 || !strings.Contains(out, examples[0]+": ok") || !strings.Contains(errs, bad+":5:5:") {
		t.Errorf("check good bad: exit %d\n%s%s", code, out, errs)
	}
	if code, _, _ := runCLI("check"); code != 2 {
		t.Errorf("check without file: exit %d, want 2", code)
	}
}

func TestReplayBadInput(t *testing.T) {
	topo := "../../datapath/testdata/golden/topology.yaml"
	capture := "../../datapath/testdata/golden/learning/in/r1.pcap"
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a capture at all\n"), 0o644)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"--in", "r1=" + filepath.Join(dir, "nope.pcap")}, 1, "no such file or directory"},
		{"unknown port", []string{"--in", "vm9=" + capture}, 1, `no such port or uplink "vm9" on node local (have: b1, e1, physnet1, r1, r2)`},
		{"not pcap", []string{"--in", "r1=" + text}, 1, "not a pcap or pcapng file"},
		{"bad --in", []string{"--in", "r1"}, 2, "want PORT=FILE.pcap"},
		{"no --out", nil, 2, "--out DIR is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"replay", topo}, tc.args...)
			if tc.name != "no --out" {
				args = append(args, "--out", filepath.Join(dir, "out"))
			}
			code, _, errs := runCLI(args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errs, tc.want)
			}
		})
	}
}

func TestReplayPrintsCounters(t *testing.T) {
	code, out, errs := runCLI("replay", "../../datapath/testdata/golden/topology.yaml",
		"--in", "r1=../../datapath/testdata/golden/learning/in/r1.pcap",
		"--in", "r2=../../datapath/testdata/golden/learning/in/r2.pcap",
		"--out", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"replayed 4 frames from 2 captures", "RX FRAMES", "drops: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestShowWithoutNode(t *testing.T) {
	code, _, errs := runCLI("show", "--socket", filepath.Join(t.TempDir(), "x.sock"), "ports")
	if code != 1 || !strings.Contains(errs, "no node is running") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI("show", "bogus"); code != 2 || !strings.Contains(errs, "ports, fdb, counters") {
		t.Errorf("show bogus: exit %d, stderr %q", code, errs)
	}
}

func TestRunInvalidTopologyStartsNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nports:\n  - {name: vm1, network: nowhere}\n"), 0o644)
	socket := filepath.Join(dir, "node.sock")
	code, _, errs := runCLI("run", "--socket", socket, "--state-dir", filepath.Join(t.TempDir(), "state"), bad)
	if code != 1 || !strings.Contains(errs, bad+":3:") {
		t.Errorf("run bad topology: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("the control socket was created: %v", err)
	}
}

// A state directory that can't be written stops run before it creates
// anything: no control socket, no device, exit status 1, and it says why.
func TestRunUnwritableStateDirStartsNothing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	socket := filepath.Join(dir, "node.sock")
	code, _, errs := runCLI("run", "--socket", socket, "--state-dir", filepath.Join(file, "state"))
	if code != 1 || !strings.Contains(errs, "--state-dir") || !strings.Contains(errs, "not writable") {
		t.Errorf("run with an unwritable state dir: exit %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(socket); !os.IsNotExist(err) {
		t.Errorf("the control socket was created: %v", err)
	}
}

// exec's bad input: what to run is missing, or no node runs.
func TestExecArguments(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no port", []string{"exec"}, 2, "name one PORT"},
		{"no command", []string{"exec", "vm1"}, 2, "no command: neutrino exec vm1 -- COMMAND"},
		{"no command after --", []string{"exec", "vm1", "--"}, 2, "no command"},
		{"capture: no port", []string{"capture"}, 2, "name one PORT"},
		{"trace: no flow", []string{"trace", "vm1"}, 2, "give PORT and FLOW"},
		{"trace: bad flow", []string{"trace", "--offline", "../../configs/examples/seed002-router.yaml", "vm-81-12", "icmp,nw_dts=1"}, 1, `column 6: unknown field "nw_dts"`},
		{"trace: unknown port", []string{"trace", "--offline", "../../configs/examples/seed002-router.yaml", "vm9", "icmp"}, 1, "ports: vm-91-14, vm-81-12, physnet1"},
		{"capture: bad count", []string{"capture", "vm1", "-c", "-1"}, 2, "want a count"},
		{"capture: no node", []string{"capture", "--socket", sock, "vm1"}, 1, "none.sock"},
		{"no node", []string{"exec", "--socket", sock, "vm1", "--", "true"}, 1, "none.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCLI(tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q in it)", code, tc.code, errs, tc.want)
			}
		})
	}
}

// trace --offline --reply on the seed 002 example: the floating IP's
// path in, then the VM's answer out through its connection; a frame the
// VM's group drops has no reply.
func TestTraceOfflineReply(t *testing.T) {
	flow := "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst="
	code, out, errs := runCLI("trace", "--offline", "../../configs/examples/seed002-router.yaml", "--reply", "physnet1", flow+"22")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	fwd, reply, ok := strings.Cut(out, "\n\n")
	if !ok || !strings.Contains(fwd, "dnat") || strings.Contains(fwd, "reply:") {
		t.Fatalf("no forward part, then a blank line:\n%s", out)
	}
	for _, want := range []string{"reply: vm-91-14 at port: fa:16:3e:f3:1e:c0 > fa:16:3e:90:e5:50, TCP 91.1.180.14:22 > 192.168.1.15:32768 [SA]",
		"sg-vm-91-14        egress     conntrack established zone 4096", "un-dnat    91.1.180.14:22 -> 192.168.1.104:22", "uplink:physnet1    output"} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply lacks %q:\n%s", want, reply)
		}
	}
	code, out, errs = runCLI("trace", "--reply", "--offline", "../../configs/examples/seed002-router.yaml", "physnet1", flow+"80")
	if code != 0 || !strings.HasSuffix(out, "\n\nno reply: the frame was dropped (step 13: sg-vm-91-14 drop no_rule)\n") {
		t.Errorf("exit %d, %s:\n%s", code, errs, out)
	}
}

// trace --offline on the seed 002 example: the SNATed path, in a tree.
func TestTraceOffline(t *testing.T) {
	code, out, errs := runCLI("trace", "--offline", "../../configs/examples/seed002-router.yaml", "vm-81-12", "icmp,nw_dst=192.168.1.15")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"sg-vm-81-12", "qrouter-router1", "snat       81.1.180.12:", "-> 192.168.1.110", "uplink:physnet1"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
}

func TestReloadWithoutNode(t *testing.T) {
	code, _, errs := runCLI("reload", "--socket", filepath.Join(t.TempDir(), "x.sock"), "lab.yaml")
	if code != 1 || !strings.Contains(errs, "no node is running") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI("reload", "a.yaml", "b.yaml"); code != 2 || !strings.Contains(errs, "one TOPOLOGY at most") {
		t.Errorf("reload with two files: exit %d, stderr %q", code, errs)
	}
}
