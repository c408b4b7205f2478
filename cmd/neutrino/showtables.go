package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"neutrino/datapath"
)

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// portRows: a node has a handful of ports, so their columns are aligned.
var portRows = rows[datapath.PortInfo]{
	tabbed: true,
	head: func(w io.Writer) {
		fmt.Fprintln(w, "PORT\tKIND\tDEVICE\tATTACH\tNETNS\tMAC\tNETWORK\tVLAN\tMTU\tSTATE")
	},
	row: func(w io.Writer, p datapath.PortInfo) {
		network, vlan := p.Network, fmt.Sprint(p.LVID)
		if p.Kind == "uplink" {
			network, vlan = p.VLANs, "trunk"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.Name, p.Kind, p.Device, p.Attach, dash(p.Netns), dash(p.MAC), dash(network), vlan, p.MTU, p.State)
	},
}

// fdbRows: the table may hold tens of thousands of entries, so rows are
// printed as they arrive, in columns of fixed width (a longer name shifts
// its row).
var fdbRows = rows[datapath.FDBEntry]{
	head: func(w io.Writer) { fdbRow(w, "PORT", "VLAN", "NETWORK", "MAC", "AGE", "") },
	row: func(w io.Writer, e datapath.FDBEntry) {
		where := ""
		switch {
		case e.VTEP != "":
			where = "vtep " + e.VTEP + " (" + e.Source + ")"
		case e.Source != "":
			where = e.Source
		}
		fdbRow(w, e.Port, fmt.Sprint(e.LVID), e.Network, e.MAC, fmt.Sprint(int(e.Age/time.Second)), where)
	},
	foot: func(w io.Writer, n int) { fmt.Fprintf(w, "%d entries\n", n) },
}

// fdbFormat: port and network names of up to 15 characters (a Linux
// interface name's maximum), a VLAN, a MAC, the age in seconds, and for
// MACs behind the tunnels their VTEP.
const fdbFormat = "%-15s  %4s  %-15s  %-17s  %-5s  %s"

func fdbRow(w io.Writer, cols ...any) {
	fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf(fdbFormat, cols...), " "))
}

func printCounters(w io.Writer, c datapath.Counters) {
	tw := newTable(w)
	fmt.Fprintln(tw, "PORT\tRX FRAMES\tRX BYTES\tRX DROPS\tTX FRAMES\tTX BYTES\tTX DROPS")
	for _, p := range c.Ports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\n", p.Port, p.RxFrames, p.RxBytes, p.RxDrops, p.TxFrames, p.TxBytes, p.TxDrops)
	}
	tw.Flush()
	var links []string
	for _, p := range c.Ports {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(p.Link)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, p.Link[k]))
		}
		if len(parts) > 0 {
			links = append(links, fmt.Sprintf("  %s: %s", p.Port, strings.Join(parts, ", ")))
		}
	}
	if len(links) > 0 {
		fmt.Fprintf(w, "\nlink counters (below the node):\n%s\n", strings.Join(links, "\n"))
	}
	fmt.Fprintln(w)
	if len(c.Drops) == 0 {
		fmt.Fprintln(w, "drops: none")
	} else {
		tw = newTable(w)
		fmt.Fprintln(tw, "DROP REASON\tFRAMES\tSTAGE")
		for _, k := range slices.Sorted(maps.Keys(c.Drops)) {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", k, c.Drops[k], stagesOf(c, k))
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.FDB)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, c.FDB[k]))
	}
	fmt.Fprintf(w, "fdb: %s\n", strings.Join(parts, ", "))
	for _, nw := range slices.Sorted(maps.Keys(c.DHCP)) {
		parts = parts[:0]
		for _, k := range slices.Sorted(maps.Keys(c.DHCP[nw])) {
			if v := c.DHCP[nw][k]; v != 0 {
				parts = append(parts, fmt.Sprintf("%s %d", k, v))
			}
		}
		if len(parts) == 0 {
			parts = append(parts, "nothing yet")
		}
		fmt.Fprintf(w, "dhcp %s: %s\n", nw, strings.Join(parts, ", "))
	}
	for _, r := range slices.Sorted(maps.Keys(c.Routers)) {
		fmt.Fprintf(w, "router %s: %s\n", r, nonZero(c.Routers[r]))
	}
	if c.RouteCacheHits > 0 {
		fmt.Fprintf(w, "route cache: %d frames answered without walking br-int and the router\n", c.RouteCacheHits)
	}
	if c.VMFlowCacheHits > 0 {
		fmt.Fprintf(w, "vm flow cache: %d frames answered without walking br-int and the filters\n", c.VMFlowCacheHits)
	}
	if c.Conntrack != nil {
		fmt.Fprintf(w, "conntrack: %s\n", nonZero(c.Conntrack))
	}
}

// nonZero renders the counters of m that are not zero, sorted by name.
func nonZero(m map[string]uint64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	if len(parts) == 0 {
		return "nothing yet"
	}
	return strings.Join(parts, ", ")
}

// leaseRows: a pool may hold thousands of leases, so rows are printed as
// they arrive, in columns of fixed width.
var leaseRows = rows[datapath.LeaseEntry]{
	head: func(w io.Writer) {
		fmt.Fprintf(w, leaseFormat, "MAC", "IP", "HOSTNAME", "SUBNET", "PORT", "EXPIRES")
	},
	row: func(w io.Writer, l datapath.LeaseEntry) {
		expires := "never"
		if !l.Expires.IsZero() {
			expires = l.Expires.Local().Format(time.DateTime)
		}
		ip := l.IP
		if l.Static {
			ip += " (fixed)"
		}
		fmt.Fprintf(w, leaseFormat, l.MAC, ip, dash(l.Hostname), l.Subnet, dash(l.Port), expires)
	},
	foot: func(w io.Writer, n int) { fmt.Fprintln(w, plural(n, "lease")) },
}

const leaseFormat = "%-17s  %-23s  %-16s  %-15s  %-15s  %s\n"

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stagesOf names the stages where frames were dropped for reason.
func stagesOf(c datapath.Counters, reason string) string {
	var out []string
	for _, st := range slices.Sorted(maps.Keys(c.Stages)) {
		if c.Stages[st][reason] != 0 {
			out = append(out, st)
		}
	}
	return strings.Join(out, ",")
}
