package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"neutrino/datapath"
)

// The router subjects of `neutrino show`: routers, routes, neighbors,
// conntrack and nat.

// routerRows print a block per router: its ports, floating IPs and
// counters.
var routerRows = rows[datapath.RouterInfo]{
	head: func(io.Writer) {},
	row:  printRouter,
	foot: func(w io.Writer, n int) {
		if n == 0 {
			fmt.Fprintln(w, "no routers on this node")
		}
	},
}

func printRouter(w io.Writer, r datapath.RouterInfo) {
	snat := "enable_snat"
	if !r.EnableSNAT {
		snat = "snat disabled"
	}
	gw := "no gateway"
	if r.GatewayIP != "" {
		gw = "gateway " + r.GatewayIP + ", " + snat
	}
	fmt.Fprintf(w, "router %s (qrouter-%s, conntrack zone %d, %s)\n", r.Name, r.Name, r.Zone, gw)
	tw := newTable(w)
	fmt.Fprintln(tw, "  PORT\tKIND\tMAC\tADDRESS\tSUBNET\tNETWORK\tVLAN\tMTU")
	for _, p := range r.Ports {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", p.Name, p.Kind, p.MAC, p.Address, p.Subnet, p.Network, p.LVID, p.MTU)
	}
	tw.Flush()
	if len(r.FloatingIPs) > 0 {
		tw = newTable(w)
		fmt.Fprintln(tw, "  FLOATING IP\tFIXED IP\tPORT")
		for _, f := range r.FloatingIPs {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.FloatingIP, f.FixedIP, f.Port)
		}
		tw.Flush()
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(r.Counters)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, r.Counters[k]))
	}
	fmt.Fprintf(w, "  counters: %s\n\n", strings.Join(parts, ", "))
}

// routeRows print as `ip route` does, one router after the other.
var routeRows = rows[datapath.RouteInfo]{
	tabbed: true,
	head:   func(w io.Writer) { fmt.Fprintln(w, "ROUTER\tDESTINATION\tVIA\tDEV\tSRC\tKIND") },
	row: func(w io.Writer, r datapath.RouteInfo) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Router, r.Destination, dash(r.Via), dash(r.Dev), dash(r.Source), r.Kind)
	},
}

var neighborRows = rows[datapath.NeighborInfo]{
	tabbed: true,
	head:   func(w io.Writer) { fmt.Fprintln(w, "ROUTER\tDEV\tIP\tLLADDR\tSTATE\tQUEUED") },
	row: func(w io.Writer, n datapath.NeighborInfo) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", n.Router, n.Dev, n.IP, dash(n.MAC), n.State, n.Queued)
	},
}

// conntrackRows print conntrack -L's lines as they arrive, and its
// closing count.
var conntrackRows = rows[datapath.ConntrackEntry]{
	head: func(io.Writer) {},
	row:  func(w io.Writer, e datapath.ConntrackEntry) { fmt.Fprintln(w, e.Line) },
	foot: func(w io.Writer, n int) {
		fmt.Fprintf(w, "neutrino show conntrack: %d flow entries have been shown.\n", n)
	},
}

func printConntrackCount(w io.Writer, c datapath.ConntrackCount) {
	fmt.Fprintf(w, "%d\n", c.Count)
	fmt.Fprintf(w, "(max %d; tcp %d, udp %d, icmp %d, other %d; unreplied %d, assured %d; inserted %d, early drops %d, refused when full %d)\n",
		c.Max, c.TCP, c.UDP, c.ICMP, c.Other, c.Unreplied, c.Assured, c.Inserted, c.EarlyDrop, c.Refused)
}

func printNAT(w io.Writer, n datapath.NATInfo) {
	if len(n.FloatingIPs) == 0 {
		fmt.Fprintln(w, "floating IPs: none")
	} else {
		tw := newTable(w)
		fmt.Fprintln(tw, "ROUTER\tFLOATING IP\tFIXED IP\tPORT")
		for _, f := range n.FloatingIPs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Router, f.FloatingIP, f.FixedIP, f.Port)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	if len(n.Bindings) == 0 {
		fmt.Fprintln(w, "NAT bindings: none")
	} else {
		tw := newTable(w)
		fmt.Fprintln(tw, "ROUTER\tKIND\tPROTO\tINSIDE\tOUTSIDE\tREMOTE\tSTATE")
		for _, b := range n.Bindings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.Router, b.Kind, b.Proto, b.Inside, b.Outside, b.Remote, b.State)
		}
		tw.Flush()
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(n.Counters)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, n.Counters[k]))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "\nconnections translated since start: %s\n", strings.Join(parts, ", "))
	}
}
