package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// reload applies a topology template to the lab's node with `neutrino
// reload` and returns its exit status and output.
func (l *routerLab) reload(topology string) (int, string, string) {
	l.t.Helper()
	path := filepath.Join(l.t.TempDir(), "topology.yaml")
	if err := os.WriteFile(path, []byte(l.render(topology)), 0o644); err != nil {
		l.t.Fatal(err)
	}
	return runCLI("reload", "--socket", l.node.socket, path)
}

// mustReload is reload for a topology that must apply; it returns what
// reload printed.
func (l *routerLab) mustReload(topology string) string {
	l.t.Helper()
	code, out, errs := l.reload(topology)
	if code != 0 {
		l.t.Fatalf("reload: exit %d\n%s%s\nnode:\n%s", code, out, errs, l.node.Output())
	}
	return out
}

// replied returns the icmp_seq numbers ping printed replies for.
func replied(pingOutput string) []int {
	var seqs []int
	for _, m := range regexp.MustCompile(`icmp_seq=(\d+)`).FindAllStringSubmatch(pingOutput, -1) {
		k, _ := strconv.Atoi(m[1])
		seqs = append(seqs, k)
	}
	return seqs
}

// pingAcross pings dst from port every 200 ms, 15 times, runs change at
// about the fifth, and returns the sequence numbers answered.
func (l *routerLab) pingAcross(port, dst string, change func()) []int {
	l.t.Helper()
	p := l.start(port, "", "ping", "-n", "-i", "0.2", "-c", "15", "-W", "1", dst)
	time.Sleep(time.Second)
	change()
	out, _ := p.wait(l.t, 10*time.Second)
	return replied(out)
}

// A running node reloaded: a bad file changes nothing; ports come and go
// while a TCP stream through SNAT goes on undisturbed; a removed rule ends
// the ping it allowed, at once; a removed floating IP ends its
// connections; SIGHUP re-reads the node's own file; leases survive all of
// it.
func TestReloadLive(t *testing.T) {
	t.Parallel()
	netnstest.RequireTool(t, "iperf3")
	l := startRouterLab(t, seed002Lab)
	l.mustPing("vm-81-12", outside)
	l.mustPing("outside", fip)

	// A lease to see survive (udhcpc's script does nothing: the
	// namespace keeps its address).
	var leases []datapath.LeaseEntry
	if _, err := exec.LookPath("udhcpc"); err == nil {
		l.mustExec("vm-81-12", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "3", "-T", "1", "-s", "/bin/true")
		l.show(&leases, "leases")
		if len(leases) != 1 {
			t.Fatalf("leases after udhcpc: %+v", leases)
		}
	}

	// An invalid file: its error where it is, the node as it was.
	before := l.node.ports(t)
	bad := strings.Replace(seed002Lab, "    network: net-81\n", "    network: net-18\n", 1)
	code, out, errs := l.reload(bad)
	if code != 1 || !regexp.MustCompile(`topology\.yaml:\d+:\d+: .*net-18`).MatchString(errs) {
		t.Fatalf("reload of a bad file: exit %d\n%s%s", code, out, errs)
	}
	if after := l.node.ports(t); len(after) != len(before) {
		t.Fatalf("ports after a refused reload: %d, were %d", len(after), len(before))
	}

	// TCP through SNAT while a port is added, then another added and the
	// first removed: every half second of the stream carries data.
	extra := func(names ...string) string {
		s := seed002Lab
		for _, name := range names {
			s = strings.Replace(s, "routers:\n", `  - name: `+name+`
    network: net-81
    attach: netns
    netns: {{ns "`+name+`"}}
    port_security: false
    fixed_ips: [81.1.180.`+strconv.Itoa(30+len(name))+`]
routers:
`, 1)
		}
		return s
	}
	srv := l.start("outside", "Server listening", "iperf3", "-s", "-1", "--forceflush")
	cli := l.start("vm-81-12", "", "iperf3", "-c", outside, "-t", "4", "-i", "0.5", "-J", "--connect-timeout", "3000")
	time.Sleep(time.Second)
	if out := l.mustReload(extra("extra")); !regexp.MustCompile(`ports added:\s+extra\n`).MatchString(out) {
		t.Errorf("reload adding a port printed:\n%s", out)
	}
	time.Sleep(time.Second)
	out = l.mustReload(extra("extra22"))
	if !regexp.MustCompile(`ports added:\s+extra22\n`).MatchString(out) || !regexp.MustCompile(`ports removed:\s+extra\n`).MatchString(out) {
		t.Errorf("reload adding and removing a port printed:\n%s", out)
	}
	cliOut, err := cli.wait(t, 15*time.Second)
	if err != nil {
		t.Fatalf("iperf3 client: %v\n%s", err, cliOut)
	}
	if out, err := srv.wait(t, 5*time.Second); err != nil {
		t.Errorf("iperf3 server: %v\n%s", err, out)
	}
	var run struct {
		Intervals []struct {
			Sum struct {
				Bytes   int64   `json:"bytes"`
				Seconds float64 `json:"seconds"`
			} `json:"sum"`
		} `json:"intervals"`
	}
	if err := json.Unmarshal([]byte(cliOut), &run); err != nil || len(run.Intervals) < 7 {
		t.Fatalf("iperf3: %v, %d intervals\n%s", err, len(run.Intervals), cliOut)
	}
	for i, iv := range run.Intervals {
		if iv.Sum.Seconds > 0.2 && iv.Sum.Bytes == 0 {
			t.Errorf("interval %d of the stream carried nothing: it stalled across a reload", i)
		}
	}
	l.mustPing("extra22", qr81)
	if r := l.exec("extra", "true"); r.code == 0 {
		t.Errorf("the removed port's namespace still runs commands")
	}

	// The rule letting the outside in (group open) removed: the ping
	// through the floating IP stops at once, as its connection is gone.
	noOpen := strings.Replace(extra("extra22"), "    fixed_ips: [91.1.180.14]\n    security_groups: [default, open]\n",
		"    fixed_ips: [91.1.180.14]\n    security_groups: [default]\n", 1)
	var printed string
	seqs := l.pingAcross("outside", fip, func() { printed = l.mustReload(noOpen) })
	if !strings.Contains(printed, "vm-91-14 (security groups)") || !strings.Contains(printed, "no rule allows it now") {
		t.Errorf("reload removing the group printed:\n%s", printed)
	}
	if len(seqs) == 0 || seqs[len(seqs)-1] > 10 {
		t.Errorf("pings answered %v: the connection outlived its rule", seqs)
	}

	// The group back, the floating IP removed: its pings stop, its
	// connections are gone.
	l.mustReload(extra("extra22"))
	l.mustPing("outside", fip)
	fipBlock := "floating_ips:\n  - floating_ip_address: 192.168.1.104\n    floating_network: ext-net\n    port: vm-91-14\n"
	if !strings.Contains(seed002Lab, fipBlock) {
		t.Fatal("the lab has no floating IP block")
	}
	seqs = l.pingAcross("outside", fip, func() {
		printed = l.mustReload(strings.Replace(extra("extra22"), fipBlock, "", 1))
	})
	if !regexp.MustCompile(`floating IPs removed:\s+192\.168\.1\.104 -> 91\.1\.180\.14\n`).MatchString(printed) || !strings.Contains(printed, "floating IP removed or moved") {
		t.Errorf("reload removing the floating IP printed:\n%s", printed)
	}
	if len(seqs) == 0 || seqs[len(seqs)-1] > 10 {
		t.Errorf("pings answered %v: the floating IP outlived its removal", seqs)
	}
	for _, e := range l.conntrack("--dst", fip) {
		if e.Reply.Src == vm91 {
			t.Errorf("a connection to the removed floating IP is left: %s", e.Line)
		}
	}

	// SIGHUP: the node's own file, changed, is read again.
	if err := os.WriteFile(l.node.topology, []byte(l.render(extra("extra22", "hup"))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(l.node.cmd.Process.Pid, syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(l.node.Output(), "SIGHUP: reloading"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload after SIGHUP:\n%s", l.node.Output())
		}
	}
	waitForPort := func(name string) {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			for _, p := range l.node.ports(t) {
				if p.Name == name {
					return
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("port %s did not come with SIGHUP:\n%s", name, l.node.Output())
			}
		}
	}
	waitForPort("hup")
	l.mustPing("hup", qr81)

	// Two reloads at once: one waits for the other, both are answered.
	results := make(chan string, 2)
	for _, s := range []string{extra("extra22", "hup"), extra("extra22", "hup", "second")} {
		path := filepath.Join(t.TempDir(), "topology.yaml")
		if err := os.WriteFile(path, []byte(l.render(s)), 0o644); err != nil {
			t.Fatal(err)
		}
		go func() {
			code, out, errs := runCLI("reload", "--socket", l.node.socket, path)
			results <- fmt.Sprintf("exit %d\n%s%s", code, out, errs)
		}()
	}
	for range 2 {
		if r := <-results; !strings.HasPrefix(r, "exit 0\n") {
			t.Errorf("one of two concurrent reloads: %s", r)
		}
	}

	var after []datapath.LeaseEntry
	l.show(&after, "leases")
	if len(after) != len(leases) || len(leases) > 0 && after[0].IP != leases[0].IP {
		t.Errorf("leases before the reloads %+v, after %+v", leases, after)
	}
}
