package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neutrino/datapath"
)

// Helpers for the security group tests: a router lab (routerlab_linux_test.go)
// with a second probe, testdata/sgprobe, that sends from chosen source
// addresses and ports, makes TCP connections that may time out, and sends
// and watches ARP frames; and readers of the node's filter counters.

// sgLab is a router lab whose ports have security groups.
type sgLab struct {
	*routerLab
	sgprobe string // testdata/sgprobe
}

func startSGLab(t *testing.T, topology string) *sgLab {
	t.Helper()
	l := &sgLab{routerLab: startRouterLab(t, topology)}
	l.sgprobe = buildSGProbe(t)
	return l
}

// buildSGProbe compiles testdata/sgprobe.
func buildSGProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sgprobe")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/sgprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build sgprobe: %v\n%s", err, out)
	}
	return bin
}

// setT makes the lab report to the running (sub)test.
func (l *sgLab) setT(t *testing.T) { l.t = t }

// sgRun runs sgprobe in port's namespace and returns what it did.
func (l *sgLab) sgRun(port string, args ...string) execResult {
	l.t.Helper()
	return l.exec(port, append([]string{l.sgprobe}, args...)...)
}

// mustSG is sgRun for a run that must succeed; it returns its output.
func (l *sgLab) mustSG(port string, args ...string) string {
	l.t.Helper()
	return l.mustExec(port, append([]string{l.sgprobe}, args...)...)
}

// startSG runs sgprobe in the background in port's namespace, until it
// said "listening".
func (l *sgLab) startSG(port string, args ...string) *bgProc {
	l.t.Helper()
	return l.start(port, "listening", append([]string{l.sgprobe}, args...)...)
}

// noPing checks that one ping from port to dst gets no answer within a
// second.
func (l *sgLab) noPing(port, dst string, extra ...string) {
	l.t.Helper()
	args := append([]string{"ping", "-n", "-c", "1", "-W", "1"}, extra...)
	r := l.exec(port, append(args, dst)...)
	if r.code == 0 || strings.Contains(r.stdout, " 1 received") {
		l.t.Errorf("%s: %s %s answered, want no answer (filtered)\n%s%s", port, strings.Join(args, " "), dst, r.stdout, r.stderr)
	}
}

// mustConnect checks that a TCP connection from port to addr is accepted
// (and greeted by an sgprobe tcp-serve) within 3 seconds.
func (l *sgLab) mustConnect(port, addr string) {
	l.t.Helper()
	if r := l.sgRun(port, "-timeout", "3s", "tcp-connect", addr); r.code != 0 || !strings.Contains(r.stdout, "connected from") {
		l.t.Errorf("%s: tcp connect to %s: exit %d, want it accepted\n%s%s", port, addr, r.code, r.stdout, r.stderr)
	}
}

// noConnect checks that a TCP connection from port to addr times out: its
// SYN is dropped, neither accepted nor refused.
func (l *sgLab) noConnect(port, addr string) {
	l.t.Helper()
	r := l.sgRun(port, "-timeout", "1s", "tcp-connect", addr)
	if r.code == 0 || !strings.Contains(r.stdout, "timeout") {
		l.t.Errorf("%s: tcp connect to %s: exit %d, want a timeout (SYN dropped)\n%s%s", port, addr, r.code, r.stdout, r.stderr)
	}
}

// tcpServe starts an sgprobe tcp-serve on the ports in port's namespace,
// for at most 25 seconds.
func (l *sgLab) tcpServe(port string, ports ...string) *bgProc {
	l.t.Helper()
	return l.startSG(port, append([]string{"-timeout", "25s", "tcp-serve"}, ports...)...)
}

// sgInfo returns `show --json security-groups PORT`.
func (l *sgLab) sgInfo(port string) datapath.SecurityGroupInfo {
	l.t.Helper()
	var s []datapath.SecurityGroupInfo
	l.show(&s, "security-groups", port)
	if len(s) != 1 || s[0].Port != port {
		l.t.Fatalf("show security-groups %s: %+v, want that port alone", port, s)
	}
	return s[0]
}

// sgChain returns a direction of a port's chain.
func sgChain(s datapath.SecurityGroupInfo, ingress bool) []datapath.ChainRuleInfo {
	if ingress {
		return s.Ingress
	}
	return s.Egress
}

// sgFixed returns the packets a fixed rule (by its name: no_rule,
// spoofed_source, ...) of one direction of a port's chain counted.
func (l *sgLab) sgFixed(s datapath.SecurityGroupInfo, ingress bool, name string) uint64 {
	l.t.Helper()
	for _, r := range sgChain(s, ingress) {
		if r.Fixed == name {
			return r.Packets
		}
	}
	l.t.Fatalf("show security-groups %s: no fixed rule %s (ingress %v)", s.Port, name, ingress)
	return 0
}

// sgRule returns rules[index] of group in one direction of a port's
// chain.
func (l *sgLab) sgRule(s datapath.SecurityGroupInfo, ingress bool, group string, index int) datapath.ChainRuleInfo {
	l.t.Helper()
	for _, r := range sgChain(s, ingress) {
		if r.Group == group && r.Index == index {
			return r
		}
	}
	l.t.Fatalf("show security-groups %s: no rule %s rules[%d] (ingress %v)", s.Port, group, index, ingress)
	return datapath.ChainRuleInfo{}
}

// sgDrops returns the drops of stage security_group in `show counters`,
// by reason, checking that the node-wide drop counts agree.
func (l *sgLab) sgDrops() map[string]uint64 {
	l.t.Helper()
	var c datapath.Counters
	l.show(&c, "counters")
	stage := c.Stages["security_group"]
	for reason, n := range stage {
		if c.Drops[reason] < n {
			l.t.Errorf("show counters: drops %s %d, less than stage security_group's %d", reason, c.Drops[reason], n)
		}
	}
	if stage == nil {
		stage = map[string]uint64{}
	}
	return stage
}

// dropsGrew checks that the security_group drop of reason grew by at
// least want since before.
func (l *sgLab) dropsGrew(before map[string]uint64, reason string, want uint64) {
	l.t.Helper()
	after := l.sgDrops()
	if after[reason] < before[reason]+want {
		l.t.Errorf("show counters: security_group drop %s %d -> %d, want at least %d more", reason, before[reason], after[reason], want)
	}
}

// waitProbe waits for a background probe to end and returns its output.
func (l *sgLab) waitProbe(p *bgProc, timeout time.Duration) string {
	l.t.Helper()
	out, err := p.wait(l.t, timeout)
	if err != nil {
		l.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// ipIn runs ip in port's namespace; undo, when given, runs at cleanup
// (ip addr del for an ip addr add), failing or not.
func (l *sgLab) ipIn(port string, args []string, undo []string) {
	l.t.Helper()
	l.mustExec(port, append([]string{"ip"}, args...)...)
	if undo != nil {
		t := l.t
		ns := l.netns[port]
		t.Cleanup(func() {
			// The namespace may be gone already if the node stopped.
			if netnsExists(ns) {
				_ = exec.Command("ip", append([]string{"-n", ns}, undo...)...).Run()
			}
		})
	}
}

// linesWith returns the lines of out that hold s.
func linesWith(out, s string) []string {
	var m []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, s) {
			m = append(m, line)
		}
	}
	return m
}
