package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neutrino/internal/netnstest"
)

// capture: a ping on a VM port and on the router's qg- port shows in
// captures readable by tcpdump, -c and Ctrl-C end them; an unknown port
// is an error that lists the ports.
func TestCapture(t *testing.T) {
	l := startRouterLab(t, seed002Lab)
	l.mustPing("vm-81-12", outside) // ARP settled, so a ping is two frames on the port

	file := filepath.Join(t.TempDir(), "vm.pcap")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Six frames: three pings' requests and replies, or fewer of them
	// when the namespace's IPv6 (a multicast listener report) speaks in
	// between; the check below wants one of each.
	cmd := exec.CommandContext(ctx, l.bin, "capture", "--socket", l.node.socket, "vm-81-12", "-w", file, "-c", "6")
	var errs bytes.Buffer
	cmd.Stderr = &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(errs.String(), "capturing") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for range 3 {
		l.mustPing("vm-81-12", outside)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("capture: %v\n%s", err, errs.String())
	}
	if !strings.Contains(errs.String(), "6 frames captured on vm-81-12") {
		t.Errorf("capture said:\n%s", errs.String())
	}
	if tcpdump, err := exec.LookPath("tcpdump"); err == nil {
		out, err := exec.Command(tcpdump, "-nn", "-r", file).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "ICMP echo request") || !strings.Contains(string(out), "ICMP echo reply") {
			t.Errorf("tcpdump -r of the capture: %v\n%s", err, out)
		}
	} else if st, err := os.Stat(file); err != nil || st.Size() < 24+4*(16+98) {
		t.Errorf("capture file: %v, %v", st, err)
	}
	// The qg- port, as a line per frame.
	var qg string
	for _, r := range l.routers() {
		for _, p := range r.Ports {
			if p.Kind == "router_gateway" {
				qg = p.Name
			}
		}
	}
	// Until Ctrl-C: the SNATed echo out, its reply in (and whatever ARP
	// the router does meanwhile).
	cmd = exec.CommandContext(ctx, l.bin, "capture", "--socket", l.node.socket, qg)
	var out bytes.Buffer
	errs.Reset()
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(errs.String(), "capturing") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	l.mustPing("vm-81-12", outside)
	time.Sleep(200 * time.Millisecond)
	_ = cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("capture %s after Ctrl-C: %v\n%s", qg, err, errs.String())
	}
	var req, rep bool
	for _, line := range strings.Split(out.String(), "\n") {
		req = req || strings.Contains(line, "Out") && strings.Contains(line, "IP 192.168.1.110 > 192.168.1.15") && strings.Contains(line, "EchoRequest")
		rep = rep || strings.Contains(line, "In ") && strings.Contains(line, "IP 192.168.1.15 > 192.168.1.110") && strings.Contains(line, "EchoReply")
	}
	if !req || !rep || !strings.Contains(errs.String(), "frames captured on "+qg) {
		t.Errorf("capture of %s (the SNATed echo out, its reply in):\n%s%s", qg, out.String(), errs.String())
	}

	// An unknown port.
	code, _, stderr := runCLI("capture", "--socket", l.node.socket, "nosuch", "-c", "1")
	if code != 1 || !strings.Contains(stderr, "vm-81-12") || !strings.Contains(stderr, qg) {
		t.Errorf("capture of an unknown port: exit %d, %s", code, stderr)
	}
	_ = netnstest.IfName
}
