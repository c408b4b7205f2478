package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"

	"neutrino/control"
	"neutrino/datapath"
	"neutrino/link"
	"neutrino/link/mem"
)

const traceAbout = `Sends a synthetic frame into a port (or uplink) of a running node, marked
for tracing and never delivered, and prints its whole path in Neutron's
words: the port and its security groups, br-int and the local VLAN,
br-tun with VNI and remote VTEP, the router's FIB entry, neighbour,
conntrack state and zone, NAT, qg, the uplink. Nothing it does changes
the node: nothing is learned, counted, tracked or written.

FLOW is Open vSwitch's flow syntax (as ofproto/trace takes it): a protocol
(ip, icmp, tcp, udp, arp) and fields dl_src, dl_dst, dl_vlan, nw_src,
nw_dst, nw_ttl, nw_tos, tp_src, tp_dst, icmp_type, icmp_code, tcp_flags
(+syn+ack...), arp_op, arp_spa, arp_tpa, arp_sha, arp_tha, payload (bytes).
What it leaves out comes from the port: its MAC and IP as the source, the
owner of nw_dst on its network (or its router) as dl_dst; an echo request,
a SYN from 32768 to 80, UDP to 53, TTL 64. A frame from an uplink needs
dl_src and nw_src.

With --reply the answer is traced too (as ofproto/trace's --ct-next):
the frame the host the traced frame reaches would send back (an echo
reply, a SYN-ACK, an ACK, the same UDP, an ARP reply), from the port the
frame was delivered to, with the addresses it had there (after NAT). Its
conntrack sees the connections the traced frame would have made, and
their NAT, as if they had been made: ESTABLISHED in the security groups,
SNAT and DNAT undone by the router. They exist only for the trace; the
node's table does not change. A frame that is dropped, answered by the
node itself (a router's address, ARP the node answers) or flooded to
several ports gets no reply, and the output says why.

With --offline TOPOLOGY the node is built from the file, in memory: no
node needs to run, and nothing on the system is touched.`

const traceExample = `  sudo neutrino trace vm-81-12 icmp,nw_dst=192.168.1.15
  sudo neutrino trace vm-91-14 tcp,nw_dst=81.1.180.12,tp_dst=22
  neutrino trace --offline configs/examples/seed002-router.yaml physnet1 \
      tcp,dl_src=52:54:00:00:00:01,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=22
  neutrino trace --offline configs/examples/seed002-router.yaml --reply vm-81-12 \
      icmp,nw_dst=192.168.1.15`

func cmdTrace(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("trace", "[--socket PATH | --node NAME | --offline TOPOLOGY] [--reply] PORT FLOW", traceAbout, traceExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to trace on, when several run on this host (with --offline: the node of the topology)")
	offline := fs.String("offline", "", "build the node from `TOPOLOGY` in memory instead of asking a running one")
	reply := fs.Bool("reply", false, "trace the reply too: the answer of the host the frame reaches, through the connections the frame made (as ofproto/trace's --ct-next)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "neutrino trace: give PORT and FLOW (see neutrino trace -h)\n")
		return 2
	}
	var out string
	if *offline != "" {
		out, err = traceOffline(*offline, *node, pos[0], pos[1], *reply)
	} else {
		var path string
		if path, err = findSocket(*socket, *node); err == nil {
			var v json.RawMessage
			args := pos
			if *reply {
				args = append(args, "reply")
			}
			if v, err = callArgs(path, "trace", args); err == nil {
				err = json.Unmarshal(v, &out)
			}
		}
	}
	if err != nil {
		hint := ""
		if errors.Is(err, iofs.ErrPermission) {
			hint = " (the node's socket belongs to root: try sudo)"
		}
		fmt.Fprintf(stderr, "neutrino trace: %v%s\n", err, hint)
		return 1
	}
	fmt.Fprint(stdout, out)
	return 0
}

// traceOffline builds the node of the topology with in-memory ports
// (nothing is created on the system) and traces there.
func traceOffline(path, node, port, flow string, reply bool) (string, error) {
	spec, _, _, err := loadSpec(path, node)
	if err != nil {
		return "", err
	}
	n, err := datapath.New(spec, datapath.Options{
		Logger: slog.New(slog.DiscardHandler),
		Open: func(ps datapath.PortSpec) (link.Endpoint, error) {
			mtu := ps.MTU
			if mtu == 0 {
				mtu = 1500
			}
			return mem.New(ps.Name, mem.WithMTU(mtu), mem.AsSink()), nil
		},
	})
	if err != nil {
		return "", err
	}
	defer n.Close()
	if reply {
		return n.TraceReply(port, flow)
	}
	return n.Trace(port, flow)
}

// callArgs sends a command with arguments and returns its single value.
func callArgs(path, cmd string, args []string) (json.RawMessage, error) {
	var v json.RawMessage
	err := control.Stream(path, control.Request{Cmd: cmd, Args: args}, func(m json.RawMessage, item bool) error {
		v = m
		return nil
	})
	return v, err
}
