package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"neutrino/control"
	"neutrino/datapath"
)

const showAbout = `Reads a running node over its control socket and prints, as aligned tables
or as JSON:
  ports     every port and uplink: device, attachment, MAC, network, local
            VLAN, MTU, state
  fdb       br-int's learned MACs per local VLAN, like ovs-appctl fdb/show
  counters  rx/tx frames, bytes and drops per port, drops per reason, and
            learning statistics
Without --socket or --node it reads the only node running on this host.`

const showExample = `  neutrino show fdb
  neutrino show --node compute01 --json counters | jq .drops`

var showWhat = []string{"ports", "fdb", "counters"}

func cmdShow(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("show", "[--socket PATH | --node NAME] [--json] ports|fdb|counters", showAbout, showExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to read, when several run on this host")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) != 1 || !contains(showWhat, pos[0]) {
		fmt.Fprintf(stderr, "neutrino show: say what to show: %s (see neutrino show -h)\n", strings.Join(showWhat, ", "))
		return 2
	}
	path, err := findSocket(*socket, *node)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino show: %v\n", err)
		return 1
	}
	data, err := control.Call(path, pos[0])
	if err != nil {
		hint := ""
		if errors.Is(err, iofs.ErrPermission) {
			hint = " (the node's socket belongs to root: try sudo)"
		}
		fmt.Fprintf(stderr, "neutrino show: %v%s\n", err, hint)
		return 1
	}
	if *asJSON {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			fmt.Fprintf(stderr, "neutrino show: %v\n", err)
			return 1
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(stderr, "neutrino show: %v\n", err)
			return 1
		}
		return 0
	}
	if err := printShow(stdout, pos[0], data); err != nil {
		fmt.Fprintf(stderr, "neutrino show: %v\n", err)
		return 1
	}
	return 0
}

// findSocket picks the control socket: the one given, the node's, or the
// only one running.
func findSocket(socket, node string) (string, error) {
	if socket != "" {
		return socket, nil
	}
	if node != "" {
		return defaultSocket(node), nil
	}
	found, _ := filepath.Glob(defaultSocket("*"))
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no node is running here (no %s); start one with `neutrino run`, or give --socket", defaultSocket("NODE"))
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("several nodes run here (%s): choose one with --node", strings.Join(found, ", "))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func printShow(w io.Writer, what string, data json.RawMessage) error {
	switch what {
	case "ports":
		var ports []datapath.PortInfo
		if err := json.Unmarshal(data, &ports); err != nil {
			return err
		}
		printPorts(w, ports)
	case "fdb":
		var fdb []datapath.FDBEntry
		if err := json.Unmarshal(data, &fdb); err != nil {
			return err
		}
		printFDB(w, fdb)
	case "counters":
		var c datapath.Counters
		if err := json.Unmarshal(data, &c); err != nil {
			return err
		}
		printCounters(w, c)
	}
	return nil
}

func printPorts(w io.Writer, ports []datapath.PortInfo) {
	tw := newTable(w)
	fmt.Fprintln(tw, "PORT\tKIND\tDEVICE\tATTACH\tMAC\tNETWORK\tVLAN\tMTU\tSTATE")
	for _, p := range ports {
		network, vlan := p.Network, fmt.Sprint(p.LVID)
		if p.Kind == "uplink" {
			network, vlan = p.VLANs, "trunk"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", p.Name, p.Kind, p.Device, p.Attach, dash(p.MAC), dash(network), vlan, p.MTU, p.State)
	}
	tw.Flush()
}

func printFDB(w io.Writer, fdb []datapath.FDBEntry) {
	tw := newTable(w)
	fmt.Fprintln(tw, "PORT\tVLAN\tNETWORK\tMAC\tAGE")
	for _, e := range fdb {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\n", e.Port, e.LVID, e.Network, e.MAC, int(e.Age/time.Second))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d entries\n", len(fdb))
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
		fmt.Fprintln(tw, "DROP REASON\tFRAMES")
		for _, k := range slices.Sorted(maps.Keys(c.Drops)) {
			fmt.Fprintf(tw, "%s\t%d\n", k, c.Drops[k])
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(c.FDB)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, c.FDB[k]))
	}
	fmt.Fprintf(w, "fdb: %s\n", strings.Join(parts, ", "))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
