package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"neutrino/conntrack"
	"neutrino/datapath"
	"neutrino/dhcp"
)

// The metrics are read from the node's own counters when Prometheus
// scrapes: the datapath counts as it always does, and nothing is added to
// the path of a frame. Every series has the node's name as its node label.

// metricsPrefix starts every metric name of the node.
const metricsPrefix = "neutrino_"

// listenMetrics opens the --metrics address before the node starts: an
// address in use or malformed is an error naming the flag.
func listenMetrics(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err
		}
		return nil, fmt.Errorf("--metrics %s: %v", addr, err)
	}
	return ln, nil
}

// serveMetrics serves GET /metrics on ln until ctx is done.
func serveMetrics(ctx context.Context, ln net.Listener, n *datapath.Node, node string, log *slog.Logger) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newNodeCollector(n, node))
	reg.MustRegister(collectors.NewGoCollector())
	reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shut); err != nil {
			srv.Close()
		}
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics: serving stopped", "addr", ln.Addr().String(), "err", err)
	}
	<-done
}

// nodeCollector reads a node's counters at each scrape.
type nodeCollector struct {
	n   *datapath.Node
	all []*prometheus.Desc
	cl  prometheus.Labels

	portUp, portRxFrames, portRxBytes, portRxDrops, portTxFrames, portTxBytes, portTxDrops *prometheus.Desc

	link  *prometheus.Desc
	drops *prometheus.Desc

	fdbEntries, fdbLearned, fdbMoved, fdbAged, fdbEvicted, fdbTableFull *prometheus.Desc

	ctEntries, ctProtoEntries, ctUnreplied, ctAssured, ctMax            *prometheus.Desc
	routeCacheHits                                                      *prometheus.Desc
	vmFlowCacheHits                                                     *prometheus.Desc
	ctInserted, ctExpired, ctEarlyDrops, ctKilled, ctRefused, ctInvalid *prometheus.Desc

	routerMetrics  map[string]routerMetric
	routerOther    *prometheus.Desc
	natBindings    *prometheus.Desc
	floatingIPs    *prometheus.Desc
	routerPortsNum *prometheus.Desc

	leases                                         *prometheus.Desc
	dhcpPortFrames, dhcpPortReplies, dhcpPortOther *prometheus.Desc
	dhcpReceived, dhcpSent, dhcpResults            *prometheus.Desc

	vtepTxFrames, vtepTxBytes, vtepRxFrames, vtepRxBytes *prometheus.Desc
	tunnelARPAnswered, tunnelARPLocal                    *prometheus.Desc

	sgFixedPackets, sgFixedBytes, sgRulePackets, sgRuleBytes *prometheus.Desc
}

// routerMetric is where one of a router's counters goes: its metric, its
// type, and the value of the metric's label beyond router, if any.
type routerMetric struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	label string
}

// dhcpPortClasses are the frames the DHCP port takes in, by the name
// `show counters` prints, one class each.
var dhcpPortClasses = map[string]bool{"arp_requests": true, "icmp_echoes": true, "dhcp_messages": true, "ignored": true}

func newNodeCollector(n *datapath.Node, node string) *nodeCollector {
	c := &nodeCollector{n: n, cl: prometheus.Labels{"node": node}}
	d := c.desc

	port := []string{"port", "kind"}
	c.portUp = d("port_up", "Whether the port's device is there (1) or went away under the node (0), as show ports' state.", port...)
	c.portRxFrames = d("port_rx_frames_total", "Frames the node received from the port's device (a VM's TAP, an uplink's interface, br-tun's underlay).", port...)
	c.portRxBytes = d("port_rx_bytes_total", "Bytes of the frames the node received from the port's device.", port...)
	c.portRxDrops = d("port_rx_drops_total", "Frames received from the port that the node dropped at the port (port security, VLAN, MAC limit, storm control, security groups); see neutrino_drops_total for why.", port...)
	c.portTxFrames = d("port_tx_frames_total", "Frames the node wrote to the port's device.", port...)
	c.portTxBytes = d("port_tx_bytes_total", "Bytes of the frames the node wrote to the port's device.", port...)
	c.portTxDrops = d("port_tx_drops_total", "Frames for the port that could not be written to its device.", port...)
	c.link = d("link_events_total", "The port's device's own counters below the node (TAP, AF_PACKET socket, VXLAN underlay socket), by the name show counters prints under link counters.", "port", "kind", "counter")

	c.drops = d("drops_total", "Frames the node dropped, by the stage of the pipeline that dropped them and why (the reasons show counters prints).", "stage", "reason")

	c.fdbEntries = d("fdb_entries", "MACs in br-int's forwarding table (ovs-appctl fdb/show), aged ones until they are removed.")
	c.fdbLearned = d("fdb_learned_total", "MACs br-int learned (an entry created, again after aging).")
	c.fdbMoved = d("fdb_moved_total", "Learned MACs seen on another port than before (a VM migrated, or a loop).")
	c.fdbAged = d("fdb_aged_total", "Forwarding table entries that aged out (mac-aging-time).")
	c.fdbEvicted = d("fdb_evicted_total", "Live forwarding table entries replaced by a new MAC because the table was full (mac-table-size).")
	c.fdbTableFull = d("fdb_table_full_total", "MACs not learned because the forwarding table was full and no entry could go.")

	c.routeCacheHits = d("route_cache_hits_total", "Routed packets the workers' route caches answered with the walk recorded for their flow's first (they count in router_forwarded_packets_total too).")
	c.vmFlowCacheHits = d("vm_flow_cache_hits_total", "Frames of VM ports the workers' VM flow caches answered with br-int's and the filters' decisions for their flow's earlier frames.")
	c.ctEntries = d("conntrack_entries", "Connections in the node's connection table (routers' zones and security groups' zones), as conntrack -C.")
	c.ctProtoEntries = d("conntrack_protocol_entries", "Connections in the connection table by protocol.", "protocol")
	c.ctUnreplied = d("conntrack_unreplied_entries", "Connections that have seen no reply yet ([UNREPLIED] in conntrack -L).")
	c.ctAssured = d("conntrack_assured_entries", "Connections marked [ASSURED] (seen both ways; last to go when the table is full).")
	c.ctMax = d("conntrack_max", "The bound on the connection table (nf_conntrack_max).")
	c.ctInserted = d("conntrack_inserted_total", "Connections created: the first packet of each NEW connection that was committed.")
	c.ctExpired = d("conntrack_expired_total", "Connections removed after their timeout.")
	c.ctEarlyDrops = d("conntrack_early_drops_total", "Live connections removed to make room for a new one when the table was full (conntrack -S early_drop).")
	c.ctKilled = d("conntrack_killed_total", "Connections ended by a packet (an RST before a reply, a reopened TIME_WAIT) and removed.")
	c.ctRefused = d("conntrack_refused_total", "New connections not created: table_full (conntrack -S insert_failed), clash (the reply tuple was taken).", "reason")
	c.ctInvalid = d("conntrack_invalid_total", "Packets conntrack found INVALID, by why.", "reason")

	r := []string{"router"}
	c.routerMetrics = map[string]routerMetric{}
	rc := func(key string, desc *prometheus.Desc, typ prometheus.ValueType, label string) {
		c.routerMetrics[key] = routerMetric{desc, typ, label}
	}
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	rc("forwarded", d("router_forwarded_packets_total", "Packets the router routed from one of its ports to another (qr- to qg- and back, qr- to qr-).", r...), counter, "")
	rc("local", d("router_local_packets_total", "Packets for the router itself (pings of its addresses and the like), answered or not.", r...), counter, "")
	rc("ignored", d("router_ignored_frames_total", "Frames flooded to the router's ports that were not for it.", r...), counter, "")
	rc("arp_answered", d("router_arp_answered_total", "ARP requests for the router's own addresses it answered.", r...), counter, "")
	rc("arp_proxied", d("router_arp_proxied_total", "ARP requests for floating IPs the router answered on the external network.", r...), counter, "")
	rc("gratuitous_arp", d("router_gratuitous_arp_total", "Gratuitous ARPs the router sent for its addresses.", r...), counter, "")
	rc("icmp_errors_sent", d("router_icmp_errors_sent_total", "ICMP errors the router sent (unreachable, time exceeded, fragmentation needed).", r...), counter, "")
	rc("icmp_errors_rate_limited", d("router_icmp_errors_rate_limited_total", "ICMP errors the router did not send because of its rate limit.", r...), counter, "")
	rc("neighbour_requests", d("router_neighbour_requests_total", "ARP requests the router sent to resolve next hops.", r...), counter, "")
	rc("neighbour_failed", d("router_neighbour_failed_total", "Next hops the router could not resolve (ARP unanswered).", r...), counter, "")
	rc("neighbour_queued", d("router_neighbour_queued_packets_total", "Packets the router held while it resolved their next hop.", r...), counter, "")
	rc("neighbour_released", d("router_neighbour_released_packets_total", "Held packets the router sent once their next hop resolved.", r...), counter, "")
	rc("neighbour_entries", d("router_neighbour_entries", "Entries in the router's neighbour cache (ip neigh in the qrouter namespace).", r...), gauge, "")
	rc("fragments_held", d("router_fragments_held_total", "IPv4 fragments the router held for reassembly (for conntrack and NAT).", r...), counter, "")
	rc("datagrams_reassembled", d("router_reassembled_datagrams_total", "IPv4 datagrams the router reassembled from fragments.", r...), counter, "")
	rc("fragment_bytes_held", d("router_fragment_held_bytes", "Bytes of fragments the router holds for reassembly now.", r...), gauge, "")
	natConns := d("router_nat_connections_total", "Connections the router translated when they began: snat (to the gateway's or a floating IP's address), dnat (to a floating IP's fixed IP).", "router", "kind")
	rc("snat_connections", natConns, counter, "snat")
	rc("dnat_connections", natConns, counter, "dnat")
	c.routerOther = d("router_events_total", "A router's other counters, by the name show counters prints.", "router", "counter")
	c.natBindings = d("nat_bindings", "Translated connections in the connection table now, by router and kind: snat, dnat (a floating IP), hairpin (both).", "router", "kind")
	c.floatingIPs = d("router_floating_ips", "Floating IPs of the router.", r...)
	c.routerPortsNum = d("router_ports", "The router's ports (qr- interfaces and the qg- gateway).", r...)

	c.leases = d("dhcp_leases", "DHCP leases not expired, by subnet and allocation: fixed (a port's fixed IP) or pool (from allocation_pool).", "subnet", "allocation")
	nw := []string{"network"}
	c.dhcpPortFrames = d("dhcp_port_frames_total", "Frames the network's DHCP port (qdhcp) took in, by class: arp_requests, icmp_echoes and dhcp_messages for it, ignored when flooded to it and not for it.", "network", "class")
	c.dhcpPortReplies = d("dhcp_port_replies_total", "Frames the network's DHCP port sent back (ARP replies, echo replies, DHCP answers).", nw...)
	c.dhcpPortOther = d("dhcp_port_events_total", "The DHCP port's other counters, by the name show counters prints.", "network", "counter")
	c.dhcpReceived = d("dhcp_received_messages_total", "DHCP messages the network's DHCP server received, by message type (none: malformed before its type was known).", "network", "type")
	c.dhcpSent = d("dhcp_sent_messages_total", "DHCP replies the network's DHCP server sent, by message type (offer, ack, nak).", "network", "type")
	c.dhcpResults = d("dhcp_results_total", "DHCP messages the network's DHCP server handled, by outcome (answered, or why no reply was sent).", "network", "result")

	v := []string{"vtep", "remote_node"}
	c.vtepTxFrames = d("tunnel_tx_frames_total", "Frames br-tun sent to the remote VTEP (the vxlan- tunnel port), encapsulated.", v...)
	c.vtepTxBytes = d("tunnel_tx_bytes_total", "Bytes of the inner frames br-tun sent to the remote VTEP.", v...)
	c.vtepRxFrames = d("tunnel_rx_frames_total", "Frames br-tun received from the remote VTEP, decapsulated.", v...)
	c.vtepRxBytes = d("tunnel_rx_bytes_total", "Bytes of the inner frames br-tun received from the remote VTEP.", v...)
	c.tunnelARPAnswered = d("tunnel_arp_responder_answers_total", "ARP requests br-tun's ARP responder (l2population) answered locally instead of flooding them to the tunnels.")
	c.tunnelARPLocal = d("tunnel_arp_kept_local_total", "ARP requests for an address on this node that br-tun kept off the tunnels.")

	sgFixed := []string{"port", "direction", "rule"}
	c.sgFixedPackets = d("security_group_fixed_rule_packets_total", "Packets a port's fixed firewall rules matched (anti-spoofing, conntrack state, DHCP, the final drop), by direction (egress: from the VM) and rule; a rule appears once it has matched.", sgFixed...)
	c.sgFixedBytes = d("security_group_fixed_rule_bytes_total", "Bytes of the packets a port's fixed firewall rules matched.", sgFixed...)
	sgRule := []string{"port", "direction", "group", "index"}
	c.sgRulePackets = d("security_group_rule_packets_total", "Packets a security group rule let in or out of the port (new connections for stateful groups), by the group and the rule's index in it.", sgRule...)
	c.sgRuleBytes = d("security_group_rule_bytes_total", "Bytes of the packets a security group rule let in or out of the port.", sgRule...)
	return c
}

// desc makes the description of metric neutrino_NAME, with the node label.
func (c *nodeCollector) desc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(metricsPrefix+name, help, labels, c.cl)
	c.all = append(c.all, d)
	return d
}

// Describe implements prometheus.Collector.
func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.all {
		ch <- d
	}
}

// Collect implements prometheus.Collector: one snapshot of each of the
// node's counters.
func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	n := c.n

	// Ports: the device ports (VMs, uplinks, br-tun), in topology order.
	kinds := map[string]string{}
	for _, p := range n.Ports() {
		kinds[p.Name] = p.Kind
		up := 0.0
		if p.State == "up" {
			up = 1
		}
		if p.Attach != "internal" {
			gauge(c.portUp, up, p.Name, p.Kind)
		}
	}
	cs := n.Counters()
	for _, p := range cs.Ports {
		k := kinds[p.Port]
		counter(c.portRxFrames, p.RxFrames, p.Port, k)
		counter(c.portRxBytes, p.RxBytes, p.Port, k)
		counter(c.portRxDrops, p.RxDrops, p.Port, k)
		counter(c.portTxFrames, p.TxFrames, p.Port, k)
		counter(c.portTxBytes, p.TxBytes, p.Port, k)
		counter(c.portTxDrops, p.TxDrops, p.Port, k)
		for name, v := range p.Link {
			counter(c.link, v, p.Port, k, name)
		}
	}
	for stage, reasons := range cs.Stages {
		for reason, v := range reasons {
			counter(c.drops, v, stage, reason)
		}
	}

	gauge(c.fdbEntries, float64(cs.FDB["entries"]))
	counter(c.fdbLearned, cs.FDB["learned"])
	counter(c.fdbMoved, cs.FDB["moved"])
	counter(c.fdbAged, cs.FDB["aged"])
	counter(c.fdbEvicted, cs.FDB["evicted"])
	counter(c.fdbTableFull, cs.FDB["table_full"])

	counter(c.routeCacheHits, cs.RouteCacheHits)
	counter(c.vmFlowCacheHits, cs.VMFlowCacheHits)
	ct := n.SummarizeConntrack()
	gauge(c.ctEntries, float64(ct.Live))
	gauge(c.ctProtoEntries, float64(ct.TCP), "tcp")
	gauge(c.ctProtoEntries, float64(ct.UDP), "udp")
	gauge(c.ctProtoEntries, float64(ct.ICMP), "icmp")
	gauge(c.ctProtoEntries, float64(ct.Other), "other")
	gauge(c.ctUnreplied, float64(ct.Unreplied))
	gauge(c.ctAssured, float64(ct.Assured))
	gauge(c.ctMax, float64(ct.Stats.Max))
	counter(c.ctInserted, ct.Stats.Inserted)
	counter(c.ctExpired, ct.Stats.Expired)
	counter(c.ctEarlyDrops, ct.Stats.Evicted)
	counter(c.ctKilled, ct.Stats.Killed)
	counter(c.ctRefused, ct.Stats.Refused[conntrack.RefusedTableFull], "table_full")
	counter(c.ctRefused, ct.Stats.Refused[conntrack.RefusedClash], "clash")
	for r, v := range ct.Stats.Invalid {
		if r != 0 && v != 0 {
			counter(c.ctInvalid, v, conntrack.Reason(r).String())
		}
	}

	routers, _ := n.Routers("")
	for _, ri := range routers {
		for key, v := range ri.Counters {
			m, ok := c.routerMetrics[key]
			switch {
			case !ok:
				counter(c.routerOther, v, ri.Name, key)
			case m.label != "":
				ch <- prometheus.MustNewConstMetric(m.desc, m.typ, float64(v), ri.Name, m.label)
			default:
				ch <- prometheus.MustNewConstMetric(m.desc, m.typ, float64(v), ri.Name)
			}
		}
		gauge(c.floatingIPs, float64(len(ri.FloatingIPs)), ri.Name)
		gauge(c.routerPortsNum, float64(len(ri.Ports)), ri.Name)
		for _, kind := range []string{"snat", "dnat", "hairpin"} {
			gauge(c.natBindings, float64(ct.NAT[ri.Name][kind]), ri.Name, kind)
		}
	}

	type leaseKey struct{ subnet, allocation string }
	leases := map[leaseKey]int{}
	n.EachLease(func(l datapath.LeaseEntry) bool {
		k := leaseKey{l.Subnet, "pool"}
		if l.Static {
			k.allocation = "fixed"
		}
		leases[k]++
		return true
	})
	for k, v := range leases {
		gauge(c.leases, float64(v), k.subnet, k.allocation)
	}
	for network, m := range cs.DHCP {
		for key, v := range m {
			c.dhcpCounter(ch, network, key, v)
		}
	}

	if t, ok := n.Tunnels(); ok {
		for _, v := range t.VTEPs {
			counter(c.vtepTxFrames, v.TxFrames, v.Address, v.Node)
			counter(c.vtepTxBytes, v.TxBytes, v.Address, v.Node)
			counter(c.vtepRxFrames, v.RxFrames, v.Address, v.Node)
			counter(c.vtepRxBytes, v.RxBytes, v.Address, v.Node)
		}
		counter(c.tunnelARPAnswered, t.ARPAnswered)
		counter(c.tunnelARPLocal, t.ARPLocal)
	}

	sgs, _ := n.SecurityGroups("")
	for _, sg := range sgs {
		for dir, chain := range map[string][]datapath.ChainRuleInfo{"egress": sg.Egress, "ingress": sg.Ingress} {
			for _, r := range chain {
				if r.Group == "" {
					// Every port has the same fixed rules, most of which
					// never match: only those that did are series.
					if r.Packets == 0 {
						continue
					}
					counter(c.sgFixedPackets, r.Packets, sg.Port, dir, r.Fixed)
					counter(c.sgFixedBytes, r.Bytes, sg.Port, dir, r.Fixed)
					continue
				}
				idx := strconv.Itoa(r.Index)
				counter(c.sgRulePackets, r.Packets, sg.Port, dir, r.Group, idx)
				counter(c.sgRuleBytes, r.Bytes, sg.Port, dir, r.Group, idx)
			}
		}
	}
}

// dhcpCounter sorts one of a DHCP port's counters, by the name show
// counters prints, into its metric.
func (c *nodeCollector) dhcpCounter(ch chan<- prometheus.Metric, network, key string, v uint64) {
	put := func(d *prometheus.Desc, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	switch {
	case dhcpPortClasses[key]:
		put(c.dhcpPortFrames, network, key)
	case key == "replies":
		put(c.dhcpPortReplies, network)
	case strings.HasPrefix(key, "rx_"):
		put(c.dhcpReceived, network, strings.TrimPrefix(key, "rx_"))
	case strings.HasPrefix(key, "tx_"):
		put(c.dhcpSent, network, strings.TrimPrefix(key, "tx_"))
	case dhcpResultNames[key]:
		put(c.dhcpResults, network, key)
	default:
		put(c.dhcpPortOther, network, key)
	}
}

// dhcpResultNames are the names of the DHCP server's outcomes.
var dhcpResultNames = func() map[string]bool {
	m := map[string]bool{}
	for r := range dhcp.NumResults {
		m[dhcp.Result(r).String()] = true
	}
	return m
}()
