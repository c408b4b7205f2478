package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// Helpers for the tests of attach: netns ports. The node is started with
// nsenter --net, not `ip netns exec`: the latter also gives the command a
// mount namespace of its own whose mounts do not propagate back, so the
// namespaces the node names under /run/netns would be invisible to the
// test (and to `neutrino exec`).

// netnsDir is where named namespaces live.
const netnsDir = "/run/netns"

// requireNetnsTools skips the test unless it runs as root with ip, nsenter
// and the named tools.
func requireNetnsTools(t *testing.T, tools ...string) {
	t.Helper()
	netnstest.RequireRoot(t)
	for _, tool := range append([]string{"nsenter"}, tools...) {
		netnstest.RequireTool(t, tool)
	}
}

// netnsExists reports whether the named namespace is under /run/netns.
func netnsExists(name string) bool {
	_, err := os.Lstat(filepath.Join(netnsDir, name))
	return err == nil
}

// uniqueNetns returns a namespace name no one else uses (prefix and 6 random
// hex digits) and removes a namespace of that name when the test ends.
func uniqueNetns(t *testing.T, prefix string) string {
	t.Helper()
	name := netnstest.IfName(prefix)
	removeNetnsAtCleanup(t, name)
	return name
}

// removeNetnsAtCleanup deletes the named namespace, if it exists when the
// test ends, after killing what still runs in it.
func removeNetnsAtCleanup(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		if !netnsExists(name) {
			return
		}
		if out, err := netnstest.Run(context.Background(), "ip", "netns", "pids", name); err == nil {
			for _, f := range strings.Fields(out) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 && pid != os.Getpid() {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		if _, err := netnstest.Run(context.Background(), "ip", "netns", "del", name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// netnsNode is a `neutrino run` in a test namespace.
type netnsNode struct {
	cmd      *exec.Cmd
	socket   string
	topology string // the file it runs ("": the embedded default)
	done     chan struct{}
	err      error // set before done is closed

	mu  sync.Mutex
	out bytes.Buffer
}

func (n *netnsNode) Write(b []byte) (int, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.out.Write(b)
}

// Output returns what the node wrote so far.
func (n *netnsNode) Output() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.out.String()
}

// startNetnsNode runs `neutrino run --socket S --state-dir D [RUNARGS]
// [TOPOLOGY]` in namespace sw (the embedded default topology when
// topology is ""). The node is killed when the test ends if it still runs.
func startNetnsNode(t *testing.T, bin, topology string, sw *netnstest.NS, runArgs ...string) *netnsNode {
	t.Helper()
	dir := t.TempDir()
	n := &netnsNode{socket: filepath.Join(dir, "node.sock"), done: make(chan struct{})}
	args := []string{"--net=" + filepath.Join(netnsDir, sw.Name), "--", bin, "run",
		"--socket", n.socket, "--state-dir", filepath.Join(dir, "state")}
	args = append(args, runArgs...)
	if topology != "" {
		topo := filepath.Join(dir, "topology.yaml")
		if err := os.WriteFile(topo, []byte(topology), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, topo)
		n.topology = topo
	}
	n.cmd = exec.Command("nsenter", args...)
	n.cmd.Stdout, n.cmd.Stderr = n, n
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("starting the node: %v", err)
	}
	go func() {
		n.err = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		select {
		case <-n.done:
			return
		default:
		}
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-n.done:
		case <-time.After(5 * time.Second):
		}
	})
	return n
}

// waitRunning waits until the node says it runs (its ports are open).
func (n *netnsNode) waitRunning(t *testing.T) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for !strings.Contains(n.Output(), "node running") {
		select {
		case <-n.done:
			t.Fatalf("the node exited (%v) before it ran:\n%s", n.err, n.Output())
		case <-deadline:
			t.Fatalf("the node did not start within 15s:\n%s", n.Output())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// wait waits at most timeout for the node to exit and returns its exit
// status (-1 when it did not exit: it is killed then).
func (n *netnsNode) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-n.done:
		return n.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		_ = syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
		t.Errorf("the node still ran %v later: killed\n%s", timeout, n.Output())
		return -1
	}
}

// stop sends sig to the node and returns its exit status.
func (n *netnsNode) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v: %v", sig, err)
	}
	return n.wait(t, 10*time.Second)
}

// ports returns `neutrino show --json ports`.
func (n *netnsNode) ports(t *testing.T) []datapath.PortInfo {
	t.Helper()
	code, out, errs := runCLI("show", "--socket", n.socket, "--json", "ports")
	var ports []datapath.PortInfo
	if code != 0 {
		t.Fatalf("show --json ports: exit %d\n%s%s", code, out, errs)
	}
	if err := json.Unmarshal([]byte(out), &ports); err != nil {
		t.Fatalf("show --json ports: %v\n%s", err, out)
	}
	return ports
}

// execResult is what a `neutrino exec` did.
type execResult struct {
	code           int
	stdout, stderr string
}

// neutrinoExec runs `neutrino exec --socket S ARGS...` (the binary: exec
// replaces the process) with stdin, bounded in time.
func neutrinoExec(t *testing.T, bin, socket, stdin string, args ...string) execResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"exec", "--socket", socket}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	r := execResult{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("neutrino exec %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("neutrino exec %s: timed out\n%s%s", strings.Join(args, " "), r.stdout, r.stderr)
	}
	return r
}

// ipLink is a link of `ip -j link` or `ip -j addr`.
type ipLink struct {
	IfName   string   `json:"ifname"`
	Flags    []string `json:"flags"`
	MTU      int      `json:"mtu"`
	Address  string   `json:"address"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
		Scope     string `json:"scope"`
	} `json:"addr_info"`
}

func (l ipLink) up() bool {
	for _, f := range l.Flags {
		if f == "UP" {
			return true
		}
	}
	return false
}

// inet returns the IPv4 addresses, and IPv6 ones of global scope, as
// address/prefixlen.
func (l ipLink) inet() []string {
	var s []string
	for _, a := range l.AddrInfo {
		if a.Family == "inet" || a.Family == "inet6" && a.Scope == "global" {
			s = append(s, a.Local+"/"+strconv.Itoa(a.PrefixLen))
		}
	}
	return s
}

// ipRoute is a route of `ip -j route`.
type ipRoute struct {
	Dst     string `json:"dst"`
	Gateway string `json:"gateway"`
	Dev     string `json:"dev"`
}

// ipnsJSON runs `ip -n NS -j ARGS...` and decodes its output into v.
func ipnsJSON(t *testing.T, ns string, v any, args ...string) {
	t.Helper()
	out := netnstest.Exec(t, append([]string{"ip", "-n", ns, "-j"}, args...)...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("ip -n %s -j %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
}

// nsLinks returns the links of namespace ns by name, with their addresses.
func nsLinks(t *testing.T, ns string) map[string]ipLink {
	t.Helper()
	var links []ipLink
	ipnsJSON(t, ns, &links, "addr", "show")
	m := map[string]ipLink{}
	for _, l := range links {
		m[l.IfName] = l
	}
	return m
}

// requireNetnsGone reports the namespaces still under /run/netns. The
// node deletes those it created before it exits: no waiting.
func requireNetnsGone(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if netnsExists(name) {
			t.Errorf("namespace %s still under %s after the node stopped", name, netnsDir)
		}
	}
}
