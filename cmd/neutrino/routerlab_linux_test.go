package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// Helpers for the router tests: a lab as configs/examples/seed002-lab.yaml
// builds it, VMs and outside hosts as attach: netns ports of one node,
// under names no other run uses: the node runs in a namespace of the
// test's, its uplink TAP and the ports' namespaces have random suffixes,
// and its control socket is in the test's temporary directory. Every
// command runs through `neutrino exec` in a port's namespace, bounded in
// time; whatever the test started is killed, and every namespace deleted,
// when it ends, failed or not.

// routerLab is a running node with routers and netns ports.
type routerLab struct {
	t     *testing.T
	bin   string // neutrino
	probe string // testdata/udpprobe
	node  *netnsNode
	netns map[string]string // port name -> its namespace
	tap   string            // the uplink TAP's name
}

// labNames are what a topology template may use: {{ns "PORT"}} is the
// namespace of port PORT, {{.Tap}} the name of the uplink TAP device.
type labNames struct {
	Tap string
}

// startRouterLab builds neutrino and the probe, fills in the topology
// template with unique names and runs the node until the test ends.
func startRouterLab(t *testing.T, topology string) *routerLab {
	t.Helper()
	requireNetnsTools(t, "ping")
	l := &routerLab{t: t, bin: buildBinary(t), probe: buildProbe(t), netns: map[string]string{}, tap: netnstest.IfName("ntrext")}
	sw := netnstest.New(t, "ntrsw")
	l.node = startNetnsNode(t, l.bin, l.render(topology), sw)
	l.node.waitRunning(t)
	return l
}

// render fills in a topology template with the lab's names: a port
// already named keeps its namespace, a new one gets a unique one.
func (l *routerLab) render(topology string) string {
	l.t.Helper()
	tmpl, err := template.New("topology").Funcs(template.FuncMap{
		"ns": func(port string) string {
			if ns, ok := l.netns[port]; ok {
				return ns
			}
			ns := uniqueNetns(l.t, "ntr")
			l.netns[port] = ns
			return ns
		},
	}).Parse(topology)
	if err != nil {
		l.t.Fatal(err)
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, labNames{Tap: l.tap}); err != nil {
		l.t.Fatal(err)
	}
	return b.String()
}

// buildProbe compiles testdata/udpprobe.
func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "udpprobe")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./testdata/udpprobe").CombinedOutput(); err != nil {
		t.Fatalf("go build udpprobe: %v\n%s", err, out)
	}
	return bin
}

// exec runs a command in port's namespace with `neutrino exec`.
func (l *routerLab) exec(port string, args ...string) execResult {
	l.t.Helper()
	return neutrinoExec(l.t, l.bin, l.node.socket, "", append([]string{port, "--"}, args...)...)
}

// mustExec is exec for a command that must succeed; it returns its
// output.
func (l *routerLab) mustExec(port string, args ...string) string {
	l.t.Helper()
	r := l.exec(port, args...)
	if r.code != 0 {
		l.t.Fatalf("exec %s -- %s: exit %d\n%s%s\nnode:\n%s", port, strings.Join(args, " "), r.code, r.stdout, r.stderr, l.node.Output())
	}
	return r.stdout
}

// ping runs ping in port's namespace with a short wait for each reply.
func (l *routerLab) ping(port string, args ...string) execResult {
	l.t.Helper()
	return l.exec(port, append([]string{"ping", "-n", "-W", "2"}, args...)...)
}

// mustPing pings dst once from port and fails the test unless the reply
// came.
func (l *routerLab) mustPing(port, dst string) {
	l.t.Helper()
	if r := l.ping(port, "-c", "1", dst); r.code != 0 || !strings.Contains(r.stdout, "1 received") {
		l.t.Fatalf("exec %s -- ping %s: exit %d\n%s%s", port, dst, r.code, r.stdout, r.stderr)
	}
}

// bgProc is a command running in the background in a port's namespace.
type bgProc struct {
	what string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed

	mu  sync.Mutex
	out bytes.Buffer
}

func (p *bgProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output returns what the command wrote so far, stdout and stderr.
func (p *bgProc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// start runs a command in port's namespace in the background, for at most
// 30 seconds, and waits until its output says ready (unless ready is "").
// It is killed when the test ends if it still runs.
func (l *routerLab) start(port, ready string, args ...string) *bgProc {
	l.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	p := &bgProc{what: port + ": " + strings.Join(args, " "), done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, l.bin, append([]string{"exec", "--socket", l.node.socket, port, "--"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	// `neutrino exec` and `ip netns exec` replace themselves: the
	// process is the command, its group everything it started.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p.cmd.Cancel = func() error { return syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) }
	p.cmd.WaitDelay = time.Second
	if err := p.cmd.Start(); err != nil {
		cancel()
		l.t.Fatalf("starting %s: %v", p.what, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		cancel()
		close(p.done)
	}()
	l.t.Cleanup(func() { p.stop() })
	if ready == "" {
		return p
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.Output(), ready); time.Sleep(10 * time.Millisecond) {
		select {
		case <-p.done:
			l.t.Fatalf("%s exited (%v) before it said %q:\n%s", p.what, p.err, ready, p.Output())
		default:
		}
		if time.Now().After(deadline) {
			p.stop()
			l.t.Fatalf("%s did not say %q within 10s:\n%s", p.what, ready, p.Output())
		}
	}
	return p
}

// stop kills the command's group and waits for it.
func (p *bgProc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
}

// wait waits at most timeout for the command to exit, killing it after
// that, and returns its output.
func (p *bgProc) wait(t *testing.T, timeout time.Duration) (string, error) {
	t.Helper()
	select {
	case <-p.done:
		return p.Output(), p.err
	case <-time.After(timeout):
		p.stop()
		return p.Output(), fmt.Errorf("%s: still running after %v, killed", p.what, timeout)
	}
}

// capture starts tcpdump on eth0 of port's namespace, stopping after count
// packets that match filter.
func (l *routerLab) capture(port string, count int, filter ...string) *bgProc {
	l.t.Helper()
	netnstest.RequireTool(l.t, "tcpdump")
	args := append([]string{"tcpdump", "-i", "eth0", "-n", "-l", "-c", fmt.Sprint(count)}, filter...)
	return l.start(port, "listening on", args...)
}

// iperfRun is what an iperf3 client and its server said.
type iperfRun struct {
	client iperfJSON
	server string // the server's text output: whom it accepted
}

type iperfJSON struct {
	Start struct {
		Connected []struct {
			LocalHost  string `json:"local_host"`
			RemoteHost string `json:"remote_host"`
		} `json:"connected"`
	} `json:"start"`
	End struct {
		SumReceived struct {
			Bytes float64 `json:"bytes"`
		} `json:"sum_received"`
		Sum struct {
			Bytes       float64 `json:"bytes"`
			Packets     int     `json:"packets"`
			LostPackets int     `json:"lost_packets"`
		} `json:"sum"`
	} `json:"end"`
	Error string `json:"error"`
}

// iperf runs one iperf3 test: a server in server's namespace, a client in
// client's toward addr with the extra arguments (a byte count, -u).
func (l *routerLab) iperf(server, client, addr string, extra ...string) iperfRun {
	l.t.Helper()
	netnstest.RequireTool(l.t, "iperf3")
	srv := l.start(server, "Server listening", "iperf3", "-s", "-1", "--forceflush")
	args := append([]string{"iperf3", "-c", addr, "-J", "--connect-timeout", "3000"}, extra...)
	r := l.exec(client, args...)
	var run iperfRun
	if err := json.Unmarshal([]byte(r.stdout), &run.client); err != nil || r.code != 0 || run.client.Error != "" {
		l.t.Fatalf("exec %s -- %s: exit %d, %v %s\n%s%s\nserver:\n%s", client, strings.Join(args, " "), r.code, err, run.client.Error, r.stdout, r.stderr, srv.Output())
	}
	out, err := srv.wait(l.t, 5*time.Second)
	if err != nil {
		l.t.Errorf("iperf3 server in %s: %v\n%s", server, err, out)
	}
	run.server = out
	return run
}

// show runs `neutrino show --json ARGS...` and decodes its output into v.
func (l *routerLab) show(v any, args ...string) {
	l.t.Helper()
	args = append([]string{"show", "--socket", l.node.socket, "--json"}, args...)
	code, out, errs := runCLI(args...)
	if code != 0 {
		l.t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		l.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// routers returns `show routers`.
func (l *routerLab) routers() map[string]datapath.RouterInfo {
	l.t.Helper()
	var rs []datapath.RouterInfo
	l.show(&rs, "routers")
	m := map[string]datapath.RouterInfo{}
	for _, r := range rs {
		m[r.Name] = r
	}
	return m
}

// conntrack returns `show conntrack` with the filter flags given
// (--addr A, --zone N, ...).
func (l *routerLab) conntrack(filters ...string) []datapath.ConntrackEntry {
	l.t.Helper()
	var es []datapath.ConntrackEntry
	l.show(&es, append([]string{"conntrack"}, filters...)...)
	return es
}

// expectConn waits a little (the node tracks connections on threads of
// its own) for a connection of proto from src to dst (and to dport,
// unless it is 0) for which ok holds. If none comes, it fails the test
// with want, saying what ok looks for, and the connections it found.
func (l *routerLab) expectConn(proto, src, dst string, dport uint16, want string, ok func(e datapath.ConntrackEntry) bool) {
	l.t.Helper()
	var found []string
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		found = found[:0]
		for _, e := range l.conntrack("--src", src, "--dst", dst) {
			if e.Proto != proto || dport != 0 && e.Orig.DPort != dport {
				continue
			}
			if ok(e) {
				return
			}
			found = append(found, e.Line)
		}
		if time.Now().After(deadline) {
			break
		}
	}
	l.t.Errorf("show conntrack: no %s connection %s -> %s (port %d) %s; found:\n%s", proto, src, dst, dport, want, strings.Join(found, "\n"))
}

// macOf returns the MAC of a port, as show ports has it.
func (l *routerLab) macOf(port string) string {
	l.t.Helper()
	for _, p := range l.node.ports(l.t) {
		if p.Name == port {
			return p.MAC
		}
	}
	l.t.Fatalf("no port %s in show ports", port)
	return ""
}

// snmpIP returns a counter of the Ip: lines of /proc/net/snmp in port's
// namespace (ReasmOKs, FragCreates, ...).
func (l *routerLab) snmpIP(port, name string) int64 {
	l.t.Helper()
	out := l.mustExec(port, "cat", "/proc/net/snmp")
	var head []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Ip:" {
			continue
		}
		if head == nil {
			head = f
			continue
		}
		for i := range head {
			if head[i] == name && i < len(f) {
				var v int64
				if _, err := fmt.Sscan(f[i], &v); err != nil {
					l.t.Fatalf("/proc/net/snmp: %s %q: %v", name, f[i], err)
				}
				return v
			}
		}
	}
	l.t.Fatalf("no Ip: %s in /proc/net/snmp of %s:\n%s", name, port, out)
	return 0
}
