package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"text/template"
	"time"

	"neutrino/datapath"
	"neutrino/internal/netnstest"
)

// Tests of br-tun over a real underlay: two namespaces joined by a veth
// pair carry 192.0.2.1 and 192.0.2.2, the nodes' underlay_ip; the VMs
// are netns ports. Either both nodes run neutrino, or the second is the
// Linux kernel's VXLAN device (which proves the wire format).

const tunnelTopology = `version: 1
nodes:
  - {name: n1, underlay_ip: 192.0.2.1}
  - {name: n2, underlay_ip: 192.0.2.2}
networks:
  - name: demo
    type: vxlan
    segment: 100
    subnets: [{name: demo-subnet, cidr: 10.10.0.0/24, enable_dhcp: false}]
ports:
  - {name: vm1, node: n1, network: demo, attach: netns, netns: {{ns "vm1"}}, mac: "fa:16:3e:00:10:01", fixed_ips: [10.10.0.11]}
  - {name: vm2, node: n2, network: demo, attach: netns, netns: {{ns "vm2"}}, mac: "fa:16:3e:00:10:02", fixed_ips: [10.10.0.12]}
`

// tunnelLab is the underlay: two namespaces and the topology with unique
// VM namespaces.
type tunnelLab struct {
	t      *testing.T
	bin    string
	u1, u2 *netnstest.NS
	dev2   string // u2's end of the veth
	topo   string
	netns  map[string]string
}

func newTunnelLab(t *testing.T) *tunnelLab {
	t.Helper()
	requireNetnsTools(t, "ping")
	l := &tunnelLab{t: t, bin: buildBinary(t), netns: map[string]string{}}
	l.u1, l.u2 = netnstest.New(t, "ntu1"), netnstest.New(t, "ntu2")
	a, b := netnstest.Veth(t, l.u1, l.u2)
	l.dev2 = b
	l.u1.Exec("ip", "addr", "add", "192.0.2.1/24", "dev", a)
	l.u2.Exec("ip", "addr", "add", "192.0.2.2/24", "dev", b)
	tmpl := template.Must(template.New("t").Funcs(template.FuncMap{"ns": func(p string) string {
		if _, ok := l.netns[p]; !ok {
			l.netns[p] = uniqueNetns(t, "ntv")
		}
		return l.netns[p]
	}}).Parse(tunnelTopology))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, nil); err != nil {
		t.Fatal(err)
	}
	l.topo = buf.String()
	return l
}

// start runs node name of the topology in namespace ns.
func (l *tunnelLab) start(name string, ns *netnstest.NS) *netnsNode {
	l.t.Helper()
	n := startNetnsNode(l.t, l.bin, l.topo, ns, "--node", name)
	n.waitRunning(l.t)
	return n
}

func (l *tunnelLab) exec(n *netnsNode, port string, args ...string) execResult {
	l.t.Helper()
	return neutrinoExec(l.t, l.bin, n.socket, "", append([]string{port, "--"}, args...)...)
}

func (l *tunnelLab) mustPing(n *netnsNode, port string, args ...string) {
	l.t.Helper()
	r := l.exec(n, port, append([]string{"ping", "-c", "1", "-W", "2"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "1 received") {
		l.t.Fatalf("exec %s -- ping %s: exit %d\n%s%s\nnode:\n%s", port, strings.Join(args, " "), r.code, r.stdout, r.stderr, n.Output())
	}
}

func TestTunnelTwoNeutrinoNodes(t *testing.T) {
	l := newTunnelLab(t)
	n1, n2 := l.start("n1", l.u1), l.start("n2", l.u2)
	l.mustPing(n1, "vm1", "10.10.0.12")
	l.mustPing(n2, "vm2", "10.10.0.11")
	// The largest packet the overlay carries, DF set: 1450 bytes in a
	// 1500-byte underlay.
	l.mustPing(n1, "vm1", "-M", "do", "-s", "1422", "10.10.0.12")
	if r := l.exec(n1, "vm1", "ping", "-c", "1", "-W", "1", "-M", "do", "-s", "1423", "10.10.0.12"); r.code == 0 {
		t.Errorf("a 1451-byte DF ping went through a 1450-byte overlay:\n%s", r.stdout)
	}
	// TCP across.
	l.tcp(n1, "vm1", []string{"ip", "netns", "exec", l.netns["vm2"]}, "10.10.0.12")
	// show tunnels on n1: n2's VTEP with frames both ways.
	var ti datapath.TunnelInfo
	showJSON(t, n1.socket, &ti, "tunnels")
	if len(ti.VTEPs) != 1 || ti.VTEPs[0].Address != "192.0.2.2" || ti.VTEPs[0].TxFrames == 0 || ti.VTEPs[0].RxFrames == 0 {
		t.Errorf("show tunnels on n1: %+v", ti)
	}
}

// The other node is the kernel's VXLAN device with vm2's MAC and address.
func TestTunnelKernelVXLAN(t *testing.T) {
	l := newTunnelLab(t)
	n1 := l.start("n1", l.u1)
	l.u2.Exec("ip", "link", "add", "vx100", "type", "vxlan", "id", "100", "local", "192.0.2.2", "remote", "192.0.2.1",
		"dstport", "4789", "dev", l.dev2)
	l.u2.Exec("ip", "link", "set", "vx100", "address", "fa:16:3e:00:10:02", "mtu", "1450", "up")
	l.u2.Exec("ip", "addr", "add", "10.10.0.12/24", "dev", "vx100")
	l.mustPing(n1, "vm1", "10.10.0.12")
	if out, err := l.u2.Run(context.Background(), "ping", "-c", "1", "-W", "2", "10.10.0.11"); err != nil || !strings.Contains(out, "1 received") {
		t.Fatalf("kernel side ping of vm1: %v\n%s\nnode:\n%s", err, out, n1.Output())
	}
	l.mustPing(n1, "vm1", "-M", "do", "-s", "1422", "10.10.0.12")
	// TCP both ways, with the kernel's offloads as it sets them: it leaves
	// the inner checksums of what it sends to a NIC that a veth is not,
	// and the node takes those frames as partial instead of corrupt.
	l.tcp(n1, "vm1", []string{"ip", "netns", "exec", l.u2.Name}, "10.10.0.12")
	l.tcpFrom(n1, "vm1", "10.10.0.11", []string{"ip", "netns", "exec", l.u2.Name})
	// The lone partial frames (handshakes, ACKs) are counted.
	code, out, errs := runCLI("show", "--socket", n1.socket, "counters")
	if code != 0 || !regexp.MustCompile(`vxlan_rx_csum_partial [1-9]`).MatchString(out) {
		t.Errorf("show counters: exit %d, no vxlan_rx_csum_partial above 0:\n%s%s", code, out, errs)
	}
}

// tcpFrom sends 4 MB with iperf3 run with the command prefix client (a
// namespace's ip netns exec) to a server at addr in port of node n.
func (l *tunnelLab) tcpFrom(n *netnsNode, port, addr string, client []string) {
	l.t.Helper()
	l.iperf(n, []string{"ip", "netns", "exec", l.netns[port]}, addr, func(args ...string) (string, bool) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, client[0], append(client[1:], args...)...).CombinedOutput()
		return string(out), err == nil
	})
}

// tcp sends 4 MB with iperf3 from port of node n to a server at addr
// run with the command prefix server (a namespace's ip netns exec).
func (l *tunnelLab) tcp(n *netnsNode, port string, server []string, addr string) {
	l.t.Helper()
	l.iperf(n, server, addr, func(args ...string) (string, bool) {
		r := l.exec(n, port, args...)
		return r.stdout + r.stderr, r.code == 0
	})
}

// iperf runs an iperf3 server at addr with the command prefix server and
// has client (which runs the command it is given and returns its output
// and whether it succeeded) send it 4 MB, again while the server does not
// listen yet. It fails the test, with node n's log, if the client fails.
func (l *tunnelLab) iperf(n *netnsNode, server []string, addr string, client func(args ...string) (string, bool)) {
	l.t.Helper()
	netnstest.RequireTool(l.t, "iperf3")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := exec.CommandContext(ctx, server[0], append(server[1:], "iperf3", "-s", "-1", "--forceflush", "-B", addr)...)
	var out bytes.Buffer
	srv.Stdout, srv.Stderr = &out, &out
	if err := srv.Start(); err != nil {
		l.t.Fatal(err)
	}
	defer func() {
		cancel()
		_ = srv.Wait()
	}()
	var tries []string
	for try := 0; try < 20; try++ {
		res, ok := client("iperf3", "-c", addr, "-n", "4M", "--connect-timeout", "2000")
		if ok {
			return
		}
		tries = append(tries, res)
		if !strings.Contains(res, "refused") {
			break // the server was there: it failed
		}
		time.Sleep(100 * time.Millisecond) // the server may not listen yet
	}
	l.t.Fatalf("iperf3 to %s: %s\nserver:\n%s\nnode:\n%s", addr, strings.Join(tries, "\n"), out.String(), n.Output())
}

// showJSON runs neutrino show --json ARGS against the node's socket and
// decodes its answer into v.
func showJSON(t *testing.T, socket string, v any, args ...string) {
	t.Helper()
	args = append([]string{"show", "--socket", socket, "--json"}, args...)
	code, out, errs := runCLI(args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
