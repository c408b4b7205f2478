package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"path/filepath"
	"strings"

	"neutrino/control"
)

const showExample = `  neutrino show fdb
  neutrino show routes router1
  neutrino show conntrack --addr 192.168.1.104
  neutrino show conntrack --count
  neutrino show --node compute01 --json counters | jq .drops`

// showAbout is the help's description, its list of subjects built from
// showSubjects.
func showAbout() string {
	return "Reads a running node over its control socket and prints, as aligned tables\n" +
		"or as JSON:\n" + subjectHelp() +
		"Tables and JSON are printed while the node sends them, however long.\n" +
		"Without --socket or --node it reads the only node running on this host."
}

func cmdShow(args []string, stdout, stderr io.Writer) int {
	names := subjectNames()
	fs := newFlags("show", "[--socket PATH | --node NAME] [--json] "+strings.Join(names, "|"), showAbout(), showExample)
	socket := fs.String("socket", "", "control socket of the node (default /run/neutrino/NODE.sock)")
	node := fs.String("node", "", "the node to read, when several run on this host")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	count := fs.Bool("count", false, "conntrack: print how many connections there are (with the filters: how many match)")
	var filters []string
	for _, f := range []struct{ name, short, usage string }{
		{"src", "s", "conntrack: connections whose original source is `ADDR`"},
		{"dst", "d", "conntrack: connections whose original destination is `ADDR`"},
		{"addr", "", "conntrack: connections with `ADDR` in either direction (a floating IP, a SNAT address)"},
		{"zone", "w", "conntrack: connections in zone `N` (a router's, see show routers, or a filtered port's, see show security-groups)"},
	} {
		set := func(v string) error {
			filters = append(filters, f.name+"="+v)
			return nil
		}
		fs.Func(f.name, f.usage, set)
		if f.short != "" {
			fs.Func(f.short, "the same as --"+f.name, set)
		}
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagError(fs, err, stdout, stderr)
	}
	say := fmt.Sprintf("say what to show: %s (see neutrino show -h)", strings.Join(names, ", "))
	if len(pos) == 0 {
		fmt.Fprintf(stderr, "neutrino show: %s\n", say)
		return 2
	}
	sub, ok := findSubject(pos[0])
	if !ok {
		fmt.Fprintf(stderr, "neutrino show: unknown %q: %s\n", pos[0], say)
		return 2
	}
	if len(pos)-1 > sub.maxArgs {
		if sub.maxArgs == 0 {
			fmt.Fprintf(stderr, "neutrino show %s: takes no arguments, got %q\n", sub.name, strings.Join(pos[1:], " "))
		} else {
			fmt.Fprintf(stderr, "neutrino show %s: takes %s, got %q\n", sub.name, sub.argsUsage, strings.Join(pos[1:], " "))
		}
		return 2
	}
	args = pos[1:]
	if sub.name == "conntrack" {
		args = filters
		if *count {
			sub, _ = findSubject("conntrack-count")
		}
	} else if *count || len(filters) > 0 {
		fmt.Fprintf(stderr, "neutrino show %s: --count, --src, --dst, --addr and --zone are for show conntrack\n", sub.name)
		return 2
	}
	path, err := findSocket(*socket, *node)
	if err != nil {
		fmt.Fprintf(stderr, "neutrino show: %v\n", err)
		return 1
	}
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	if err := show(out, path, sub, args, *asJSON); err != nil {
		out.Flush()
		hint := ""
		if errors.Is(err, iofs.ErrPermission) {
			hint = " (the node's socket belongs to root: try sudo)"
		}
		fmt.Fprintf(stderr, "neutrino show: %v%s\n", err, hint)
		return 1
	}
	return 0
}

// show reads sub from the node at path and prints it while it arrives.
func show(w io.Writer, path string, sub showSubject, args []string, asJSON bool) error {
	var p *printer
	start := func() {
		if p != nil {
			return
		}
		if asJSON {
			p = jsonPrinter(w, sub.list)
		} else {
			p = sub.table(w)
		}
	}
	err := control.Stream(path, control.Request{Cmd: sub.name, Args: args}, func(v json.RawMessage, item bool) error {
		start()
		switch {
		case item == sub.list:
			return p.add(v)
		case item:
			return fmt.Errorf("%s: the node answered a list", sub.name)
		}
		// A whole list in one value: a node from before answers were
		// streamed.
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil {
			return fmt.Errorf("%s: %w", sub.name, err)
		}
		for _, it := range items {
			if err := p.add(it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && p == nil {
		return err // nothing printed: not even a header
	}
	start() // an empty list still prints its header, or []
	if endErr := p.end(err == nil); err == nil {
		err = endErr
	}
	return err
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
