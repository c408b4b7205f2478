package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"neutrino/datapath"
)

const reloadAbout = `Makes a running node what a topology says, while traffic runs: the file is
validated first (an error is reported as FILE:LINE:COL and the node is left
as it was), then the node is changed as one step. Ports that are new get
their devices, removed ones lose them, and unchanged ones are not touched:
not a frame of theirs is lost. The connection table, the DHCP leases, the
FDB and the routers' neighbours are kept. As Neutron's agents do, a floating
IP removed or moved loses its connections (and a moved or new one is
announced by gratuitous ARP), connections a changed security group no
longer allows are deleted, and a removed port's leases are released.

Without TOPOLOGY the node re-reads the file it was started with. Sending
the node SIGHUP does the same (the result goes to its log). Reloads are
serialized: one that comes while another runs waits for it.

A network keeps its local VLAN and a port its conntrack zone for as long
as they exist; the node's name must stay the same.`

const reloadExample = `  sudo neutrino reload                        # re-read the node's own file
  sudo neutrino reload lab.yaml               # apply another file
  sudo neutrino reload --node net01 lab.yaml  # one of several nodes on this host
  sudo kill -HUP $(pidof neutrino)            # the same as the first, from a script`

func cmdReload(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("reload", "[--socket PATH | --node NAME] [--json] [TOPOLOGY]", reloadAbout, reloadExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to reload, when several run on this host")
	asJSON := fs.Bool("json", false, "print what changed as JSON")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "neutrino reload: one TOPOLOGY at most, got %d arguments\n", len(pos))
		return 2
	}
	var req []string
	if len(pos) == 1 {
		// The node runs elsewhere: it gets an absolute path.
		abs, err := filepath.Abs(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "neutrino reload: %v\n", err)
			return 1
		}
		req = []string{abs}
	}
	path, err := findSocket(*socket, *node)
	var v json.RawMessage
	if err == nil {
		v, err = callArgs(path, "reload", req)
	}
	if err != nil {
		hint := ""
		if errors.Is(err, iofs.ErrPermission) {
			hint = " (the node's socket belongs to root: try sudo)"
		}
		fmt.Fprintf(stderr, "neutrino reload: %v%s\n", strings.TrimPrefix(err.Error(), "node: "), hint)
		return 1
	}
	if *asJSON {
		fmt.Fprintf(stdout, "%s\n", v)
		return 0
	}
	var a reloadAnswer
	if err := json.Unmarshal(v, &a); err != nil {
		fmt.Fprintf(stderr, "neutrino reload: bad answer: %v\n", err)
		return 1
	}
	printReload(stdout, &a)
	return 0
}

// reloadAnswer is what the node answers a reload with.
type reloadAnswer struct {
	Node   string `json:"node"`
	Source string `json:"topology"`
	datapath.ReloadResult
}

// printReload prints what a reload changed, a line per kind of change.
func printReload(w io.Writer, a *reloadAnswer) {
	r := &a.ReloadResult
	if !r.Changed() {
		fmt.Fprintf(w, "reloaded %s on node %s in %.1f ms: nothing changed (%d ports)\n", a.Source, a.Node, r.TookMS, r.Unchanged)
		return
	}
	fmt.Fprintf(w, "reloaded %s on node %s in %.1f ms\n", a.Source, a.Node, r.TookMS)
	line := func(what string, l []string) {
		if len(l) > 0 {
			fmt.Fprintf(w, "  %-22s %s\n", what+":", strings.Join(l, ", "))
		}
	}
	for _, c := range r.Lists() {
		line(c.What, c.Items)
	}
	if len(r.ConntrackDeleted) > 0 {
		var causes []string
		for why, k := range r.ConntrackDeleted {
			causes = append(causes, fmt.Sprintf("%d (%s)", k, why))
		}
		sort.Strings(causes)
		line("conntrack deleted", causes)
	}
	if r.LeasesReleased > 0 {
		fmt.Fprintf(w, "  %-22s %d\n", "leases released:", r.LeasesReleased)
	}
	fmt.Fprintf(w, "  %-22s %d\n", "ports unchanged:", r.Unchanged)
}

// reloader applies topologies to a running node: the reload command and
// SIGHUP.
type reloader struct {
	n     *datapath.Node
	start string // the file the node started with ("" : the embedded default)
	log   *slog.Logger
	mu    sync.Mutex // one reload's loading and applying at a time
}

// reload loads path (the start file when "") and applies it.
func (r *reloader) reload(path string) (*reloadAnswer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if path == "" {
		path = r.start
	}
	node := r.n.Spec().Node
	v, source, err := loadView(path, node)
	if err != nil {
		return nil, err
	}
	had := map[string]uint16{}
	for _, nw := range r.n.Spec().Networks {
		had[nw.Name] = nw.LVID
	}
	v.KeepLVIDs(had)
	spec, err := datapath.SpecFromView(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	res, err := r.n.Reload(spec)
	if err != nil {
		return nil, err
	}
	warnUnimplemented(r.log, v)
	return &reloadAnswer{Node: node, Source: source, ReloadResult: *res}, nil
}
